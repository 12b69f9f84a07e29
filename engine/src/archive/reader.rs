//! Streaming reader of by-name archives: no seeking, constant memory, 64-bit offsets.
//!
//! [`ArchiveReader::next_record`] yields the volume label, then one [`ArchiveEntry`] per file record, then
//! [`Record::End`]. After an entry the caller may read its data ([`ArchiveReader::read_data`]) or ignore it:
//! the next call skips what is left in fixed-size chunks, so a listing never holds file data in memory.
//! [`ArchiveReader::next_entry`] converts records into engine [`Entry`] values for the pipeline.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};

use super::record::{self, BadHeader, NameHeader, SacRec, VolumeHeader};
use super::security::{AixAcl, Pcl, Security};
use super::ArchiveError;
use crate::entry::{DevId, Entry, EntryData, Kind, Meta, Timestamp};
use crate::events::{Event, Events, NoEvents};

/// How much one `read` of the input asks for.
const READ_SIZE: usize = 128 * 1024;
/// The input is read into blocks of (at least) this size. Small files' data is handed out as slices of the
/// block, without a copy; a block is freed when the last entry referring to it has been written.
const BLOCK: usize = 1 << 20;
/// Files up to this size become [`EntryData::Bytes`]; larger ones are streamed in [`CHUNK`]s, so the bytes a
/// restore holds in flight stay bounded (a batch of entries is at most a few of these).
pub const INLINE_MAX: u64 = 256 << 10;
/// Size of the chunks a streamed file arrives in.
pub const CHUNK: usize = 256 * 1024;
/// Longest symlink target accepted (AIX backup refuses targets of 1024 bytes or more).
const MAX_TARGET: u64 = 64 * 1024;

/// Reader options.
#[derive(Clone, Debug, Default)]
pub struct ReaderOptions {
    /// On a bad header, step forward dword by dword to the next valid one (as AIX restore does) instead of
    /// failing. Skipped bytes are reported as warnings and counted in [`ReadStats`].
    pub resync: bool,
}

/// Counters a reader keeps for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Headers accepted.
    pub records: u64,
    /// Bytes skipped while resynchronising.
    pub skipped_bytes: u64,
    /// Times resynchronisation was needed.
    pub resyncs: u64,
    /// Records of unknown or unsupported type that were skipped.
    pub unknown_records: u64,
    /// ACL entries with no POSIX equivalent dropped by [`ArchiveReader::next_entry`].
    pub acl_entries_dropped: u64,
    /// PCLs carrying privileges (more than the base PCL), which an [`Entry`] cannot carry and
    /// [`ArchiveReader::next_entry`] therefore leaves out.
    pub pcls_dropped: u64,
    /// Packed members whose data could not be unpacked and were passed over (see
    /// [`ArchiveReader::skip_damaged_members`]).
    pub damaged_members: u64,
}

/// One record of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A volume label (the first record; later ones start further volumes of a concatenated set).
    Volume(VolumeHeader),
    /// A file record; its data (if any) is next in the stream.
    Entry(ArchiveEntry),
    /// FS_VOLEND: the end of this volume; more volumes follow.
    VolumeEnd,
    /// FS_END: the end of the archive. Nothing after it is parsed.
    End,
}

/// A file record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// The header fields.
    pub header: NameHeader,
    /// The name exactly as stored, up to its NUL.
    pub name: Vec<u8>,
    /// The security block (absent for symlinks and legacy records).
    pub security: Option<Security>,
    /// Bytes of data on the medium (packed length when packed), before dword filler.
    pub data_len: u64,
    /// Whether the data is Huffman-packed.
    pub packed: bool,
    /// Byte offset of the header in the stream.
    pub offset: u64,
    /// For a hard link (AIX rule: nlink > 1, not a directory, same ino/devmaj/devmin as an earlier record),
    /// the earlier name.
    pub hardlink_to: Option<Vec<u8>>,
}

impl ArchiveEntry {
    /// The kind from the mode (`None` for sockets and unknown types); hard links report [`Kind::HardLink`].
    pub fn kind(&self) -> Option<Kind> {
        if self.hardlink_to.is_some() {
            return Some(Kind::HardLink);
        }
        Kind::from_ifmt(self.header.mode)
    }

    /// The size to list: the original content length.
    pub fn size(&self) -> u64 {
        self.header.size
    }
}

enum Pending {
    None,
    Stream(crossbeam_channel::Sender<io::Result<Bytes>>),
}

/// The streaming reader.
pub struct ArchiveReader<R: Read> {
    inner: R,
    /// Read and not yet consumed.
    buf: BytesMut,
    eof: bool,
    offset: u64,
    opts: ReaderOptions,
    events: Arc<dyn Events>,
    volume: Option<VolumeHeader>,
    hdr: Vec<u8>,
    data_left: u64,
    pad_left: u64,
    cur_packed: bool,
    cur_size: u64,
    cur_offset: u64,
    done: bool,
    force_resync: bool,
    links: HashMap<(u32, u32, u32), Vec<u8>>,
    stats: ReadStats,
    pending: Pending,
    skip_damaged: bool,
}

impl<R: Read> ArchiveReader<R> {
    /// A reader over `inner`; nothing is read yet.
    pub fn new(inner: R, opts: ReaderOptions) -> Self {
        ArchiveReader {
            inner,
            buf: BytesMut::new(),
            eof: false,
            offset: 0,
            opts,
            events: Arc::new(NoEvents),
            volume: None,
            hdr: Vec::with_capacity(2048),
            data_left: 0,
            pad_left: 0,
            cur_packed: false,
            cur_size: 0,
            cur_offset: 0,
            done: false,
            force_resync: false,
            skip_damaged: false,
            links: HashMap::new(),
            stats: ReadStats::default(),
            pending: Pending::None,
        }
    }

    /// A packed member whose data cannot be unpacked no longer stops [`next_entry`](Self::next_entry): its
    /// data is stepped over (the header says how long it is, so the next member is still found), it is
    /// reported as a soft error naming it and the offset, and counted in [`ReadStats::damaged_members`]. A
    /// small member is then not returned at all; a streamed one was already returned, and its stream ends
    /// with that error. For `restore -x`, which extracts everything readable.
    pub fn skip_damaged_members(mut self) -> Self {
        self.skip_damaged = true;
        self
    }

    /// Sends warnings (resync, unknown records) to `events`.
    pub fn with_events(mut self, events: Arc<dyn Events>) -> Self {
        self.events = events;
        self
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The first volume label, once read.
    pub fn volume(&self) -> Option<&VolumeHeader> {
        self.volume.as_ref()
    }

    /// Counters so far.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    fn io_err(&self, source: io::Error) -> ArchiveError {
        ArchiveError::from_read(self.offset, source)
    }

    /// Makes at least `n` bytes available unless the stream ends; returns how many are.
    fn fill_to(&mut self, n: usize) -> Result<usize, ArchiveError> {
        while self.buf.len() < n && !self.eof {
            let len = self.buf.len();
            let want = READ_SIZE.max(n - len);
            if self.buf.capacity() - len < want {
                // A new block (the unconsumed tail moves along) unless the old one is no longer shared.
                self.buf.reserve(want.max(BLOCK));
            }
            let k = want.min(self.buf.capacity() - len);
            self.buf.resize(len + k, 0);
            let r = self.inner.read(&mut self.buf[len..]);
            self.buf.truncate(len + *r.as_ref().unwrap_or(&0));
            match r {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err(e)),
            }
        }
        Ok(self.buf.len())
    }

    fn consume(&mut self, n: usize) {
        self.buf.advance(n);
        self.offset += n as u64;
    }

    fn skip(&mut self, mut n: u64, what: &'static str) -> Result<(), ArchiveError> {
        while n > 0 {
            let avail = self.fill_to(1)?;
            if avail == 0 {
                return Err(ArchiveError::Truncated { offset: self.offset, what });
            }
            let take = (avail as u64).min(n) as usize;
            self.consume(take);
            n -= take as u64;
        }
        Ok(())
    }

    /// Reads what follows FS_END to the end of the input without parsing it (the last block's filler): the
    /// stream is consumed whole, so a compressed stream's end (its checksum included) is checked and a
    /// truncated one reported, and a writer at the other end of a pipe is never cut off.
    fn drain(&mut self) -> Result<(), ArchiveError> {
        // The offset stays at the end of FS_END: that is where the archive ends.
        self.buf.clear();
        if self.eof {
            return Ok(());
        }
        let mut tail = vec![0u8; 64 * 1024];
        loop {
            match self.inner.read(&mut tail) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err(e)),
            }
        }
        self.eof = true;
        Ok(())
    }

    /// Takes exactly `n` bytes (n is capped by the caller), without copying them.
    fn take(&mut self, n: usize, what: &'static str) -> Result<Bytes, ArchiveError> {
        if self.fill_to(n)? < n {
            return Err(ArchiveError::Truncated { offset: self.offset, what });
        }
        self.offset += n as u64;
        Ok(self.buf.split_to(n).freeze())
    }

    fn warn(&self, msg: String) {
        self.events.event(&Event::Warning(msg));
    }

    /// Reads the next header into `self.hdr`; returns its type and offset.
    fn read_header(&mut self) -> Result<(u8, u64), ArchiveError> {
        let resync = self.opts.resync || self.force_resync;
        self.force_resync = false;
        let mut skipped_from: Option<u64> = None;
        loop {
            let at = self.offset;
            if self.fill_to(8)? < 8 {
                if let Some(from) = skipped_from {
                    self.warn(format!(
                        "no valid header found after offset {from} up to the end of the archive"
                    ));
                }
                return Err(ArchiveError::Truncated { offset: at, what: "header (no FS_END record)" });
            }
            let mut h8 = [0u8; 8];
            h8.copy_from_slice(&self.buf[..8]);
            let problem = match record::goodhdr(&h8) {
                Ok(len) => {
                    let n = usize::from(len) * 8;
                    if self.fill_to(n)? < n {
                        ArchiveError::Truncated { offset: at, what: "header" }
                    } else {
                        let hb = &self.buf[..n];
                        let (computed, stored) = (record::checksum(hb), record::stored_checksum(hb));
                        if computed == stored {
                            self.hdr.clear();
                            self.hdr.extend_from_slice(hb);
                            self.consume(n);
                            self.stats.records += 1;
                            if let Some(from) = skipped_from {
                                let skipped = at - from;
                                self.stats.skipped_bytes += skipped;
                                self.stats.resyncs += 1;
                                self.warn(format!(
                                    "resynchronised: skipped {skipped} bytes from offset {from} to a valid header \
                                     at offset {at}"
                                ));
                            }
                            return Ok((h8[1], at));
                        }
                        ArchiveError::Checksum { offset: at, stored, computed }
                    }
                }
                Err(BadHeader::TrustedAix(magic)) if skipped_from.is_none() => {
                    return Err(ArchiveError::TrustedAix { offset: at, magic });
                }
                Err(reason) => ArchiveError::BadHeader { offset: at, reason },
            };
            if !resync {
                return Err(problem);
            }
            if skipped_from.is_none() {
                self.warn(format!("{problem}; resynchronising"));
                skipped_from = Some(at);
            }
            self.consume(8);
        }
    }

    /// Skips or streams out whatever is left of the current entry's data, and its filler.
    fn finish_data(&mut self) -> Result<(), ArchiveError> {
        if let Pending::Stream(tx) = std::mem::replace(&mut self.pending, Pending::None) {
            if !self.cur_packed {
                return self.stream_stored(tx);
            }
            let mut sink = ChannelWriter { tx: Some(tx), buf: Vec::new() };
            let r = self.read_data(&mut sink);
            match r {
                Ok(_) => sink.flush_chunk(),
                Err(e) => {
                    let damaged = self.skip_damaged && matches!(e, ArchiveError::Unpack { .. });
                    if let Some(tx) = sink.tx.take() {
                        let msg =
                            if damaged { format!("{e}; the file is incomplete") } else { e.to_string() };
                        let _ = tx.send(Err(io::Error::other(msg)));
                    }
                    if !damaged {
                        return Err(e);
                    }
                    // The member's length is known: step over the rest of it to the next one.
                    self.stats.damaged_members += 1;
                }
            }
        }
        let n = self.data_left + self.pad_left;
        self.data_left = 0;
        self.pad_left = 0;
        self.skip(n, "file data")
    }

    /// Sends the current entry's stored (unpacked) data to `tx` as slices of the blocks it is read into, up to
    /// [`CHUNK`] bytes each, without copying it; then skips the filler. Once the receiver is gone the rest is
    /// skipped. A truncated archive is reported to the receiver and returned.
    fn stream_stored(
        &mut self,
        tx: crossbeam_channel::Sender<io::Result<Bytes>>,
    ) -> Result<(), ArchiveError> {
        let mut tx = Some(tx);
        while self.data_left > 0 {
            let want = self.data_left.min(CHUNK as u64) as usize;
            let avail = self.fill_to(want)?;
            if avail == 0 {
                let e = ArchiveError::Truncated { offset: self.offset, what: "file data" };
                if let Some(tx) = tx.take() {
                    let _ = tx.send(Err(io::Error::other(e.to_string())));
                }
                return Err(e);
            }
            let k = avail.min(want);
            self.data_left -= k as u64;
            match &tx {
                Some(t) => {
                    let chunk = self.take(k, "file data")?;
                    if t.send(Ok(chunk)).is_err() {
                        tx = None;
                    }
                }
                None => self.consume(k),
            }
        }
        let pad = std::mem::take(&mut self.pad_left);
        self.skip(pad, "file data filler")
    }

    /// The next record, or `None` after [`Record::End`]. Skips unread data of the previous entry.
    pub fn next_record(&mut self) -> Result<Option<Record>, ArchiveError> {
        if self.done {
            return Ok(None);
        }
        self.finish_data()?;
        if self.volume.is_none() {
            let (ty, at) = self.read_header()?;
            if ty != record::FS_VOLUME {
                return Err(ArchiveError::NotByName {
                    offset: at,
                    message: format!("first record has type {ty}, not a volume header (FS_VOLUME)"),
                });
            }
            let v = VolumeHeader::decode(&self.hdr);
            if v.incno != record::BYNAME {
                return Err(ArchiveError::NotByName {
                    offset: at,
                    message: format!("volume header has incno {} (by-name archives have 100)", v.incno),
                });
            }
            if v.volnum != 1 {
                return Err(ArchiveError::NotByName {
                    offset: at,
                    message: format!("archive starts with volume {}, not volume 1", v.volnum),
                });
            }
            self.volume = Some(v.clone());
            return Ok(Some(Record::Volume(v)));
        }
        loop {
            let (ty, at) = self.read_header()?;
            match ty {
                record::FS_VOLUME => return Ok(Some(Record::Volume(VolumeHeader::decode(&self.hdr)))),
                record::FS_END => {
                    self.done = true;
                    self.drain()?;
                    return Ok(Some(Record::End));
                }
                record::FS_VOLEND => return Ok(Some(Record::VolumeEnd)),
                record::FS_NAME_X | record::FS_NAME_LF | record::FS_NAME | record::FS_ONAME => {
                    match self.entry_record(ty, at) {
                        Ok(e) => return Ok(Some(Record::Entry(e))),
                        Err(e) if self.opts.resync => {
                            self.warn(format!("{e}; resynchronising"));
                            self.force_resync = true;
                        }
                        Err(e) => return Err(e),
                    }
                }
                record::FS_BITS | record::FS_CLRI => {
                    let nwds = u64::from(u16::from_le_bytes([self.hdr[6], self.hdr[7]]));
                    self.stats.unknown_records += 1;
                    self.warn(format!("by-inode bitmap record (type {ty}) at offset {at} skipped"));
                    self.skip(nwds * 8, "bitmap")?;
                }
                record::FS_NAME_EA | record::FS_NAME_ACL | record::FS_NAME_E => {
                    self.stats.unknown_records += 1;
                    self.warn(format!(
                        "header type {ty} at offset {at} has an undocumented layout - skipped, resynchronising"
                    ));
                    self.force_resync = true;
                }
                _ => {
                    self.stats.unknown_records += 1;
                    self.warn(format!("Unknown header type {ty} at offset {at} - ignored"));
                }
            }
        }
    }

    fn entry_record(&mut self, ty: u8, at: u64) -> Result<ArchiveEntry, ArchiveError> {
        let Some((header, name)) = NameHeader::decode(&self.hdr) else {
            return Err(ArchiveError::BadHeader {
                offset: at,
                reason: BadHeader::Len { ty, len: self.hdr[0] },
            });
        };
        let name = name.to_vec();
        let is_link = header.mode & 0o170000 == 0o120000;
        let security = if (ty == record::FS_NAME_X || ty == record::FS_NAME_LF) && !is_link {
            let sac_at = self.offset;
            let b = self.take(8, "security block")?;
            let mut s8 = [0u8; 8];
            s8.copy_from_slice(&b);
            let sac = SacRec::decode(&s8);
            for (what, v) in [("aclsize", sac.aclsize), ("pclsize", sac.pclsize)] {
                if v > record::MAX_DWORDS {
                    return Err(ArchiveError::TooLarge { offset: sac_at, what, dwords: v });
                }
            }
            let acl_at = self.offset;
            let acl = AixAcl::decode(&self.take(sac.aclsize as usize * 8, "ACL")?)
                .map_err(|source| ArchiveError::Security { offset: acl_at, source })?;
            let pcl_at = self.offset;
            let pcl = Pcl::decode(&self.take(sac.pclsize as usize * 8, "PCL")?)
                .map_err(|source| ArchiveError::Security { offset: pcl_at, source })?;
            Some(Security { acl, pcl })
        } else {
            None
        };
        let data_len = match header.mode & 0o170000 {
            0o040000 | 0o020000 | 0o060000 | 0o010000 => 0,
            _ => header.stored_len(),
        };
        let hardlink_to = if header.nlink > 1 && header.mode & 0o170000 != 0o040000 {
            let key = (header.ino, header.devmaj, header.devmin);
            match self.links.get(&key) {
                Some(first) => Some(first.clone()),
                None => {
                    self.links.insert(key, name.clone());
                    None
                }
            }
        } else {
            None
        };
        self.data_left = data_len;
        self.pad_left = record::pad8(data_len) - data_len;
        self.cur_packed = header.packed() && data_len > 0;
        self.cur_size = header.size;
        self.cur_offset = self.offset;
        Ok(ArchiveEntry {
            packed: header.packed(),
            header,
            name,
            security,
            data_len,
            offset: at,
            hardlink_to,
        })
    }

    /// Writes the current entry's data to `out` (unpacked if packed); returns the bytes written. Call at
    /// most once per entry, before the next `next_record`.
    pub fn read_data(&mut self, out: &mut dyn Write) -> Result<u64, ArchiveError> {
        let written = if self.cur_packed {
            self.unpack_to(out)?
        } else {
            let mut n = 0u64;
            while self.data_left > 0 {
                let avail = self.fill_to(1)?;
                if avail == 0 {
                    return Err(ArchiveError::Truncated { offset: self.offset, what: "file data" });
                }
                let take = (avail as u64).min(self.data_left) as usize;
                let at = self.offset;
                out.write_all(&self.buf[..take])
                    .map_err(|source| ArchiveError::Output { offset: at, source })?;
                self.consume(take);
                self.data_left -= take as u64;
                n += take as u64;
            }
            n
        };
        let pad = self.pad_left;
        self.pad_left = 0;
        self.skip(pad, "file data filler")?;
        Ok(written)
    }

    /// The current entry's data in one buffer: a slice of the block it was read into when it is stored
    /// unpacked and whole (no copy), else unpacked or copied into its own.
    fn data_bytes(&mut self) -> Result<Bytes, ArchiveError> {
        let n = self.data_left as usize;
        if self.cur_packed || self.fill_to(n)? < n {
            // Packed, or the archive ends inside the data: `read_data` unpacks, or fails naming the offset.
            let mut v = Vec::with_capacity(self.cur_size.min(INLINE_MAX) as usize);
            self.read_data(&mut v)?;
            return Ok(v.into());
        }
        let b = self.take(n, "file data")?;
        self.data_left = 0;
        let pad = std::mem::take(&mut self.pad_left);
        self.skip(pad, "file data filler")?;
        Ok(b)
    }

    fn unpack_to(&mut self, out: &mut dyn Write) -> Result<u64, ArchiveError> {
        let at = self.cur_offset;
        let dsize = self.data_left;
        let size = self.cur_size;
        let mut counting = CountingWriter { inner: out, n: 0 };
        let (res, read_err) = {
            let mut data = DataReader { r: self, err: None };
            let res = super::pack::unpack_stream(&mut data, dsize, size, &mut counting);
            (res, data.err)
        };
        match (res, read_err) {
            (Ok(()), _) => {
                // The decoder may stop before the last filler bits; drop what it left unread.
                let left = self.data_left;
                self.data_left = 0;
                self.skip(left, "packed data")?;
                Ok(counting.n)
            }
            // The input failed under the decoder (a damaged zstd stream, an I/O error): report that.
            (Err(_), Some(input)) => Err(input),
            (Err(e), None) => Err(ArchiveError::Unpack { offset: at, message: e.to_string() }),
        }
    }

    /// The next record as an engine [`Entry`], skipping volume records; `None` at the end.
    ///
    /// Files up to [`INLINE_MAX`] bytes carry [`EntryData::Bytes`]. Larger ones carry
    /// [`EntryData::Stream`]: its chunks are produced by the **next** call of `next_entry` (or
    /// `next_record`), so the receiver must be drained on another thread, or dropped to skip the data.
    /// Hard links carry no data (AIX restore skips it too).
    pub fn next_entry(&mut self) -> Result<Option<Entry>, ArchiveError> {
        loop {
            let e = match self.next_record()? {
                None | Some(Record::End) => return Ok(None),
                Some(Record::Entry(e)) => e,
                Some(_) => continue,
            };
            let Some(kind) = e.kind() else {
                self.warn(format!(
                    "{}: file type {:o} is not supported - skipped",
                    String::from_utf8_lossy(&e.name),
                    e.header.mode & 0o170000
                ));
                continue;
            };
            if let Some(entry) = self.make_entry(e, kind)? {
                return Ok(Some(entry));
            }
        }
    }

    /// The entry of `e`; `None` when it is a damaged member passed over (see `skip_damaged_members`).
    fn make_entry(&mut self, e: ArchiveEntry, kind: Kind) -> Result<Option<Entry>, ArchiveError> {
        let h = &e.header;
        let (acl, dropped) = match &e.security {
            Some(s) => s.acl.to_posix(),
            None => (None, 0),
        };
        if dropped > 0 {
            self.stats.acl_entries_dropped += dropped as u64;
            self.warn(format!(
                "{}: {dropped} AIX ACL entries (deny/specify/multi-id) have no POSIX equivalent - dropped",
                String::from_utf8_lossy(&e.name)
            ));
        }
        if e.security.as_ref().is_some_and(|s| s.pcl.default != [0, 0] || !s.pcl.ext.is_empty()) {
            self.stats.pcls_dropped += 1;
        }
        let size = match kind {
            Kind::File | Kind::HardLink | Kind::Symlink => h.size,
            _ => 0,
        };
        let meta = Meta {
            mode: h.mode & 0o7777,
            uid: h.uid,
            gid: h.gid,
            atime: Timestamp::from_secs(i64::from(h.atime)),
            mtime: Timestamp::from_secs(i64::from(h.mtime)),
            ctime: Timestamp::from_secs(i64::from(h.ctime)),
            size,
            nlink: u32::from(h.nlink),
            ino: u64::from(h.ino),
            dev: DevId { major: h.devmaj, minor: h.devmin },
            rdev: DevId { major: h.rdevmaj, minor: h.rdevmin },
            acl,
            ..Meta::default()
        };
        let mut entry = Entry::new(e.name, kind, meta);
        match kind {
            Kind::HardLink => entry.link_target = e.hardlink_to,
            Kind::Symlink => {
                if e.data_len > MAX_TARGET {
                    return Err(ArchiveError::TooLarge {
                        offset: e.offset,
                        what: "symlink target",
                        dwords: record::btow(e.data_len).min(u64::from(u32::MAX)) as u32,
                    });
                }
                let mut t = Vec::with_capacity(e.data_len as usize);
                self.read_data(&mut t)?;
                entry.link_target = Some(t);
            }
            Kind::File if size <= INLINE_MAX => match self.data_bytes() {
                Ok(b) => entry.data = EntryData::Bytes(b),
                Err(e @ ArchiveError::Unpack { .. }) if self.skip_damaged => {
                    self.stats.damaged_members += 1;
                    self.events.event(&Event::SoftError {
                        class: "unpack",
                        path: entry.display_name().into_owned(),
                        message: format!("{e}; not restored"),
                    });
                    let n = self.data_left + self.pad_left;
                    self.data_left = 0;
                    self.pad_left = 0;
                    self.skip(n, "packed data")?;
                    return Ok(None);
                }
                Err(e) => return Err(e),
            },
            Kind::File => {
                let (tx, rx) = crossbeam_channel::bounded(4);
                self.pending = Pending::Stream(tx);
                entry.data = EntryData::Stream(rx);
            }
            _ => {}
        }
        Ok(Some(entry))
    }
}

impl<R: Read> Drop for ArchiveReader<R> {
    /// A stream whose data was never pumped would otherwise just end early: tell its consumer instead.
    fn drop(&mut self) {
        if let Pending::Stream(tx) = std::mem::replace(&mut self.pending, Pending::None) {
            let _ = tx.try_send(Err(io::Error::other(
                "archive reader dropped before this file's data was read (call next_entry again to stream it)",
            )));
        }
    }
}

/// `Read` over the current entry's stored data.
struct DataReader<'a, R: Read> {
    r: &'a mut ArchiveReader<R>,
    /// The error of the input, kept whole for the caller (the decoder only sees its text).
    err: Option<ArchiveError>,
}

impl<R: Read> Read for DataReader<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.r.data_left == 0 || out.is_empty() {
            return Ok(0);
        }
        let avail = match self.r.fill_to(1) {
            Ok(n) => n,
            Err(e) => {
                let msg = e.to_string();
                self.err = Some(e);
                return Err(io::Error::other(msg));
            }
        };
        if avail == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "archive ends inside file data"));
        }
        let take = (avail as u64).min(self.r.data_left).min(out.len() as u64) as usize;
        out[..take].copy_from_slice(&self.r.buf[..take]);
        self.r.consume(take);
        self.r.data_left -= take as u64;
        Ok(take)
    }
}

struct CountingWriter<'a> {
    inner: &'a mut dyn Write,
    n: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = self.inner.write(b)?;
        self.n += k as u64;
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Collects unpacked data into chunks for an [`EntryData::Stream`]; once the receiver is gone it discards.
struct ChannelWriter {
    tx: Option<crossbeam_channel::Sender<io::Result<Bytes>>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn flush_chunk(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        if let Some(tx) = &self.tx {
            if tx.send(Ok(chunk.into())).is_err() {
                self.tx = None;
            }
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.tx.is_none() {
            return Ok(b.len());
        }
        let room = CHUNK - self.buf.len();
        let k = room.min(b.len());
        self.buf.extend_from_slice(&b[..k]);
        if self.buf.len() == CHUNK {
            self.flush_chunk();
        }
        Ok(k)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
