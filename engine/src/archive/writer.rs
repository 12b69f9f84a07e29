//! Writer of by-name archives that AIX `restore` accepts (spec §11).
//!
//! Output goes out in fixed writes of the block size (default 51,200 bytes, `backup -b N` = N×512), the
//! last one zero-filled after FS_END. Headers and security blocks are built in one reused scratch buffer
//! and file data is read straight into the block buffer, so there is no per-entry allocation on the data
//! path.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::Arc;

use super::record::{self, NameHeader, VolumeHeader};
use super::security::Security;
use super::ArchiveError;
use crate::entry::{DevId, Entry, EntryData, Kind, SourceFile};
use crate::events::{Event, Events, NoEvents};
use crate::live::Stamp;

/// Removes the archive file at `path` that a run created and could not finish: an archive cut short is no
/// backup and must not stay behind looking like one. Only a regular file is removed (a device, a pipe or a
/// terminal is left alone); true when it was.
pub fn remove_incomplete(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) && std::fs::remove_file(path).is_ok()
}

/// Checks, before a run reads anything, that the archive at `path` can be written: an existing one is opened
/// for writing (not truncated), a missing one is created and removed again. So a job whose output cannot be
/// made (`mksysb -i /proc/x`, a read-only or missing directory) is refused at once instead of after its walk.
pub fn check_creatable(path: &std::path::Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        std::fs::OpenOptions::new().write(true).open(path).map(drop)
    } else {
        std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
        std::fs::remove_file(path)
    }
}

/// Default write size: 100 blocks of 512 bytes.
pub(crate) const DEFAULT_BLOCK_SIZE: usize = record::DEF_CLUSTER as usize * 512;

/// Writer options; the CLI fills them from `backup` flags.
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Bytes per physical write; a multiple of 512 (`-b N` gives N×512).
    pub block_size: usize,
    /// Huffman-pack regular files when it saves at least one 4 KiB block (`-p`).
    pub pack: bool,
    /// Names matching this are never packed (`-e`).
    pub pack_exclude: Option<regex::bytes::Regex>,
    /// Backup date for the volume label, Unix seconds.
    pub date: i32,
    /// User name for the volume label (at most 15 bytes are kept).
    pub user: Vec<u8>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            block_size: DEFAULT_BLOCK_SIZE,
            pack: false,
            pack_exclude: None,
            date: 0,
            user: b"root".to_vec(),
        }
    }
}

/// What was written and what could not be represented.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Records written (every kind).
    pub entries: u64,
    /// Regular-file records written (hard links included).
    pub files: u64,
    /// Original data bytes of regular files.
    pub bytes: u64,
    /// Extended attributes that the format cannot hold (everything but POSIX access ACLs).
    pub xattrs_dropped: u64,
    /// POSIX default ACLs of directories, which the format cannot hold.
    pub default_acls_dropped: u64,
    /// Entries with a time after 2038-01-19 03:14:07 UTC, the largest the format's 32-bit times hold; they
    /// were stored as that time.
    pub times_clamped: u64,
    /// Files stored packed.
    pub packed_files: u64,
    /// Entries skipped with a soft error (unreadable, name too long, ...).
    pub skipped: u64,
    /// Soft errors reported (skipped entries, short reads, files that changed).
    pub soft_errors: u64,
    /// Live files that changed after the walk saw them or while they were read (see [`crate::live`]).
    pub changed: u64,
    /// Total archive bytes written, block filler included.
    pub archive_bytes: u64,
}

/// A live source file's stamp taken before its header was written, and its path for the test hook.
struct Live<'a> {
    before: Stamp,
    path: &'a std::path::Path,
}

/// Where a regular file's data comes from, opened before its header is written.
enum Source<'a> {
    Fd(&'a std::fs::File),
    Bytes(&'a [u8]),
    Stream(&'a crossbeam_channel::Receiver<io::Result<bytes::Bytes>>),
    Zeros,
}

/// An error while copying data: either the output failed (fatal) or the source did (soft).
enum CopyError {
    Out(ArchiveError),
    Src(io::Error),
}

/// The archive writer.
pub struct ArchiveWriter<W: Write> {
    out: W,
    block: Box<[u8]>,
    blen: usize,
    flushed: u64,
    opts: WriterOptions,
    summary: WriteSummary,
    events: Arc<dyn Events>,
    scratch: Vec<u8>,
    links: HashMap<(DevId, u64), u32>,
    next_ino: u32,
    pack_buf: Vec<u8>,
}

/// Largest file packed: the data is held in memory while it is counted and encoded.
pub(crate) const PACK_MAX: u64 = 256 << 20;

/// Feeds encoder output into the block buffer, never more than the `dsize` announced in the header.
struct PutSink<'a, W: Write> {
    w: &'a mut ArchiveWriter<W>,
    left: u64,
    err: Option<ArchiveError>,
}

impl<W: Write> Write for PutSink<'_, W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let k = (b.len() as u64).min(self.left) as usize;
        if let Err(e) = self.w.put(&b[..k]) {
            let msg = e.to_string();
            self.err = Some(e);
            return Err(io::Error::other(msg));
        }
        self.left -= k as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> ArchiveWriter<W> {
    /// Starts an archive: writes the FS_VOLUME label (into the block buffer).
    pub fn new(out: W, opts: WriterOptions) -> Result<Self, ArchiveError> {
        if opts.block_size == 0 || !opts.block_size.is_multiple_of(512) {
            return Err(ArchiveError::BlockSize(opts.block_size));
        }
        let mut w = ArchiveWriter {
            out,
            block: vec![0u8; opts.block_size].into_boxed_slice(),
            blen: 0,
            flushed: 0,
            summary: WriteSummary::default(),
            events: Arc::new(NoEvents),
            scratch: Vec::with_capacity(4096),
            links: HashMap::new(),
            next_ino: 1,
            pack_buf: Vec::new(),
            opts,
        };
        let vol = VolumeHeader::by_name(w.opts.date, &w.opts.user).encode();
        w.put(&vol)?;
        Ok(w)
    }

    /// Sends entry events, warnings and soft errors to `events`.
    pub fn with_events(mut self, events: Arc<dyn Events>) -> Self {
        self.events = events;
        self
    }

    /// Bytes produced so far (flushed or buffered).
    pub fn offset(&self) -> u64 {
        self.flushed + self.blen as u64
    }

    /// The summary so far.
    pub fn summary(&self) -> &WriteSummary {
        &self.summary
    }

    fn flush_block(&mut self) -> Result<(), ArchiveError> {
        let at = self.flushed;
        self.out.write_all(&self.block).map_err(|source| ArchiveError::Io { offset: at, source })?;
        self.flushed += self.block.len() as u64;
        self.blen = 0;
        Ok(())
    }

    fn put(&mut self, mut b: &[u8]) -> Result<(), ArchiveError> {
        let bs = self.block.len();
        while !b.is_empty() {
            if self.blen == 0 && b.len() >= bs {
                let whole = b.len() / bs * bs;
                let at = self.flushed;
                self.out.write_all(&b[..whole]).map_err(|source| ArchiveError::Io { offset: at, source })?;
                self.flushed += whole as u64;
                b = &b[whole..];
                continue;
            }
            let k = (bs - self.blen).min(b.len());
            self.block[self.blen..self.blen + k].copy_from_slice(&b[..k]);
            self.blen += k;
            b = &b[k..];
            if self.blen == bs {
                self.flush_block()?;
            }
        }
        Ok(())
    }

    fn put_zeros(&mut self, mut n: u64) -> Result<(), ArchiveError> {
        let bs = self.block.len();
        while n > 0 {
            let k = ((bs - self.blen) as u64).min(n) as usize;
            self.block[self.blen..self.blen + k].fill(0);
            self.blen += k;
            n -= k as u64;
            if self.blen == bs {
                self.flush_block()?;
            }
        }
        Ok(())
    }

    fn put_scratch(&mut self) -> Result<(), ArchiveError> {
        let s = std::mem::take(&mut self.scratch);
        let r = self.put(&s);
        self.scratch = s;
        self.scratch.clear();
        r
    }

    /// Records an entry the caller could not even describe (e.g. `lstat` failed): a soft error, counted
    /// as skipped.
    pub(crate) fn skip_entry(&mut self, class: &'static str, name: &[u8], message: String) {
        self.summary.skipped += 1;
        self.soft(class, name, message);
    }

    fn soft(&mut self, class: &'static str, name: &[u8], message: String) {
        self.summary.soft_errors += 1;
        self.events.event(&Event::SoftError {
            class,
            path: String::from_utf8_lossy(name).into_owned(),
            message,
        });
    }

    /// Writes one entry. Problems with the entry itself (unreadable source, name too long) are soft errors:
    /// reported through the events, counted in the summary, and the entry is skipped. Output errors are
    /// returned.
    pub fn write_entry(&mut self, entry: &Entry) -> Result<(), ArchiveError> {
        if entry.name.len() > record::MAX_NAME || entry.name.contains(&0) || entry.name.is_empty() {
            self.summary.skipped += 1;
            let why = if entry.name.len() > record::MAX_NAME {
                format!("name is {} bytes long; the format allows at most 1023", entry.name.len())
            } else {
                "name is empty or contains a NUL byte".to_string()
            };
            self.soft("name", &entry.name, why);
            return Ok(());
        }
        let m = &entry.meta;
        let mut size = m.size;
        let st_mode = entry.st_mode();
        let clamp = |t: i64| t.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        if [m.atime.sec, m.mtime.sec, m.ctime.sec].iter().any(|&t| t > i64::from(i32::MAX)) {
            self.summary.times_clamped += 1;
        }
        let mut h = NameHeader {
            rtype: record::FS_NAME_X,
            magic: record::MAGIC,
            nlink: m.nlink.clamp(1, u32::from(u16::MAX)) as u16,
            ino: 0,
            mode: st_mode,
            uid: m.uid,
            gid: m.gid,
            size: 0,
            atime: clamp(m.atime.sec),
            mtime: clamp(m.mtime.sec),
            ctime: clamp(m.ctime.sec),
            devmaj: m.dev.major,
            devmin: m.dev.minor,
            rdevmaj: 0,
            rdevmin: 0,
            dsize: 0,
        };
        if entry.kind != Kind::Dir && (m.nlink > 1 || entry.kind == Kind::HardLink) {
            // Hard-link identity: a nonzero 32-bit id per (dev, ino), unique within this archive.
            let next = self.next_ino;
            let id = *self.links.entry((m.dev, m.ino)).or_insert(next);
            if id == next {
                self.next_ino = self.next_ino.wrapping_add(1).max(1);
            }
            h.ino = id;
            h.nlink = h.nlink.max(2);
        }
        self.summary.xattrs_dropped += m.xattrs.len() as u64;
        if m.default_acl.is_some() {
            self.summary.default_acls_dropped += 1;
        }
        match entry.kind {
            Kind::Symlink => {
                let Some(target) = entry.link_target.as_deref() else {
                    self.summary.skipped += 1;
                    self.soft("read", &entry.name, "symbolic link without a target".into());
                    return Ok(());
                };
                h.size = target.len() as u64;
                h.dsize = h.size;
                self.scratch.clear();
                self.encode_header(&h, &entry.name)?;
                self.scratch.extend_from_slice(target);
                let padded = record::pad8(self.scratch.len() as u64) as usize;
                self.scratch.resize(padded, 0);
                self.put_scratch()?;
            }
            Kind::Dir | Kind::CharDev | Kind::BlockDev | Kind::Fifo => {
                if entry.kind == Kind::Dir {
                    h.dsize = m.size.min(i32::MAX as u64);
                } else if entry.kind != Kind::Fifo {
                    h.rdevmaj = m.rdev.major;
                    h.rdevmin = m.rdev.minor;
                }
                self.scratch.clear();
                self.encode_header(&h, &entry.name)?;
                Security::for_mode(st_mode, m.acl.as_ref()).encode(&mut self.scratch);
                self.put_scratch()?;
            }
            Kind::File | Kind::HardLink => {
                let opened;
                let src = match &entry.data {
                    // The walker usually opened the file already (and stat'ed it through that descriptor).
                    EntryData::Source(SourceFile { open: Some(f), .. }) => Source::Fd(f.file()),
                    EntryData::Source(sf) => match open_source(sf) {
                        Ok(f) => {
                            opened = f;
                            Source::Fd(&opened)
                        }
                        Err(e) => {
                            self.summary.skipped += 1;
                            self.soft("read", &entry.name, format!("cannot open: {e}"));
                            return Ok(());
                        }
                    },
                    EntryData::Bytes(b) => Source::Bytes(b),
                    EntryData::Stream(rx) => Source::Stream(rx),
                    // A later name of a file: restore never reads its data (AIX restore skips it too), so
                    // zeros stand for it, as a source without the data (a tar hard link) gives none.
                    EntryData::None if entry.kind == Kind::HardLink => Source::Zeros,
                    EntryData::None => {
                        if m.size > 0 {
                            self.soft("read", &entry.name, "no data available; zero-filled".into());
                        }
                        Source::Zeros
                    }
                };
                // A live file is stamped before its header goes out: the header announces the version about
                // to be read, which may be newer than the walk's.
                let mut live = None;
                if let (Source::Fd(f), EntryData::Source(sf)) = (&src, &entry.data) {
                    match Stamp::of_fd(f) {
                        Ok((before, true)) => {
                            if before != Stamp::of_meta(m) {
                                size = before.size;
                                h.mtime = clamp(before.mtime.sec);
                                h.ctime = clamp(before.ctime.sec);
                            }
                            live = Some(Live { before, path: &sf.path });
                        }
                        Ok((_, false)) => {
                            self.summary.skipped += 1;
                            self.soft("read", &entry.name, "not a regular file any more".into());
                            return Ok(());
                        }
                        Err(e) => {
                            self.summary.skipped += 1;
                            self.soft("read", &entry.name, format!("cannot stat: {e}"));
                            return Ok(());
                        }
                    }
                }
                self.write_file(entry, h, st_mode, src, size, live)?;
                self.summary.files += 1;
                self.summary.bytes += size;
            }
        }
        self.summary.entries += 1;
        self.events.event(&Event::Entry {
            name: &entry.name,
            kind: entry.kind,
            size,
            link: if entry.kind == Kind::HardLink { entry.link_target.as_deref() } else { None },
        });
        Ok(())
    }

    fn encode_header(&mut self, h: &NameHeader, name: &[u8]) -> Result<(), ArchiveError> {
        h.encode_into(name, &mut self.scratch).map_err(|source| ArchiveError::Encode {
            name: String::from_utf8_lossy(name).into_owned(),
            source,
        })
    }

    /// Writes a regular file of `size` bytes: header, then data. `live` is the stamp of a live source taken
    /// before the header: a file that changed since is reported as such.
    fn write_file(
        &mut self,
        entry: &Entry,
        mut h: NameHeader,
        st_mode: u32,
        mut src: Source<'_>,
        size: u64,
        live: Option<Live<'_>>,
    ) -> Result<(), ArchiveError> {
        if let Some(l) = &live {
            crate::live::before_read(|| l.path.to_path_buf());
        }
        if size > i32::MAX as u64 {
            h.rtype = record::FS_NAME_LF;
        }
        h.size = size;
        h.dsize = size;
        if self.opts.pack
            && h.rtype == record::FS_NAME_X
            && size > 0
            && self.try_pack(entry, &mut h, st_mode, &mut src, live.as_ref())?
        {
            return Ok(());
        }
        self.scratch.clear();
        self.encode_header(&h, &entry.name)?;
        Security::for_mode(st_mode, entry.meta.acl.as_ref()).encode(&mut self.scratch);
        self.put_scratch()?;
        let (copied, err) = self.copy_data(&mut src, size);
        if let (Some(l), Source::Fd(f), None | Some(CopyError::Src(_))) = (&live, &src, &err) {
            if self.live_check(entry, l, f, size, copied) {
                return self
                    .put_zeros(size - copied)
                    .and_then(|()| self.put_zeros(record::pad8(size) - size));
            }
        }
        match err {
            Some(CopyError::Out(e)) => return Err(e),
            Some(CopyError::Src(e)) => self.soft(
                "read",
                &entry.name,
                format!("read error after {copied} bytes, rest zero-filled: {e}"),
            ),
            None if copied < size && !matches!(src, Source::Zeros) => self.soft(
                "read",
                &entry.name,
                format!("file shrank during backup: {copied} of {size} bytes read, rest zero-filled"),
            ),
            None => {}
        }
        self.put_zeros(size - copied)?;
        self.put_zeros(record::pad8(size) - size)
    }

    /// Packs the file when AIX would (spec §7.4): not excluded by `-e`, not already SysV-packed, and only if
    /// it saves at least one 4 KiB block. The data must be stable between counting and encoding, so it is
    /// taken from memory: `Bytes` as is, a source file read into a reused buffer (files up to
    /// [`PACK_MAX`]; larger ones are stored plain). Returns true when the entry was written here.
    fn try_pack(
        &mut self,
        entry: &Entry,
        h: &mut NameHeader,
        st_mode: u32,
        src: &mut Source<'_>,
        live: Option<&Live<'_>>,
    ) -> Result<bool, ArchiveError> {
        let size = h.size;
        if size > PACK_MAX {
            return Ok(false);
        }
        if let Some(re) = &self.opts.pack_exclude {
            if re.is_match(&entry.name) {
                return Ok(false);
            }
        }
        let mut buf = std::mem::take(&mut self.pack_buf);
        buf.clear();
        let (from_fd, read_err) = match src {
            Source::Bytes(b) => {
                buf.extend_from_slice(&b[..(b.len() as u64).min(size) as usize]);
                (false, None)
            }
            Source::Fd(f) => {
                let r = f.take(size).read_to_end(&mut buf).err();
                (true, r)
            }
            Source::Stream(_) | Source::Zeros => {
                self.pack_buf = buf;
                return Ok(false);
            }
        };
        let mut complete = buf.len() as u64 == size && read_err.is_none();
        let mut reported = false;
        if let (Some(l), Source::Fd(f)) = (live, &*src) {
            // A file that changed while read is stored plain, as read (padded to its announced size).
            reported = self.live_check(entry, l, f, size, buf.len() as u64);
            complete &= !reported;
        }
        let code = if complete && !buf.starts_with(&super::pack::PACK_MAGIC_SYSV) {
            let mut freq = super::pack::Frequencies::new();
            freq.add(&buf);
            super::pack::PackCode::build(&freq).map(|c| {
                let out = c.packed_size(&freq);
                (c, out)
            })
        } else {
            None
        };
        let code = code.filter(|(_, out)| size.div_ceil(4096) > out.div_ceil(4096));
        if code.is_none() && !from_fd {
            self.pack_buf = buf;
            return Ok(false);
        }
        if let Some((_, out)) = &code {
            h.magic = record::PACKED_MAGIC;
            h.dsize = *out;
        }
        self.scratch.clear();
        self.encode_header(h, &entry.name)?;
        Security::for_mode(st_mode, entry.meta.acl.as_ref()).encode(&mut self.scratch);
        self.put_scratch()?;
        let result = match code {
            Some((code, out)) => {
                let mut sink = PutSink { w: self, left: out, err: None };
                let r = super::pack::pack_to(&code, &mut &buf[..], &mut sink);
                let (left, err) = (sink.left, sink.err.take());
                if let Some(e) = err {
                    self.pack_buf = buf;
                    return Err(e);
                }
                if let Err(e) = r {
                    self.soft("read", &entry.name, format!("packing failed, rest zero-filled: {e}"));
                }
                self.summary.packed_files += 1;
                self.put_zeros(left).and_then(|()| self.put_zeros(record::pad8(out) - out))
            }
            None => {
                if reported {
                } else if let Some(e) = read_err {
                    self.soft("read", &entry.name, format!("read error, rest zero-filled: {e}"));
                } else if (buf.len() as u64) < size {
                    self.soft(
                        "read",
                        &entry.name,
                        format!(
                            "file shrank during backup: {} of {size} bytes read, rest zero-filled",
                            buf.len()
                        ),
                    );
                }
                let got = buf.len() as u64;
                self.put(&buf)
                    .and_then(|()| self.put_zeros(size - got))
                    .and_then(|()| self.put_zeros(record::pad8(size) - size))
            }
        };
        self.pack_buf = buf;
        result.map(|()| true)
    }

    /// Compares a live file's stamp after its read with the one before (see [`crate::live`]): a file that
    /// changed in between is a soft error of class `changed` (true: reported; the caller pads to `size`), and
    /// one that changed only between the walk and its stamp is told as [`Event::Changed`].
    fn live_check(&mut self, entry: &Entry, l: &Live<'_>, f: &std::fs::File, size: u64, read: u64) -> bool {
        let after = match Stamp::of_fd(f) {
            Ok((a, _)) => a,
            Err(_) => return false,
        };
        let walked = Stamp::of_meta(&entry.meta);
        if after == l.before && read == size {
            if l.before != walked {
                self.summary.changed += 1;
                let detail = format!(
                    "changed after the walk ({}); archived as it is now",
                    walked.describe_change(&l.before)
                );
                let path = l.path.display().to_string();
                self.events.event(&Event::Changed { path: &path, detail: &detail });
            }
            return false;
        }
        self.summary.changed += 1;
        let what = if read < size {
            format!("{read} of {size} bytes read, rest zero-filled")
        } else {
            format!("stored as its first {size} bytes")
        };
        let message = match l.before.describe_change(&after) {
            d if d.is_empty() => format!("{}: {what}", crate::live::CHANGED),
            d => format!("{} ({d}): {what}", crate::live::CHANGED),
        };
        self.soft("changed", &entry.name, message);
        true
    }

    /// Copies up to `size` bytes of `src` into the output; returns how many, and the error that stopped it.
    fn copy_data(&mut self, src: &mut Source<'_>, size: u64) -> (u64, Option<CopyError>) {
        let mut done = 0u64;
        let bs = self.block.len();
        match src {
            Source::Zeros => {}
            Source::Bytes(b) => {
                let n = (b.len() as u64).min(size) as usize;
                if let Err(e) = self.put(&b[..n]) {
                    return (0, Some(CopyError::Out(e)));
                }
                done = n as u64;
            }
            Source::Stream(rx) => {
                for chunk in rx.iter() {
                    match chunk {
                        Ok(c) => {
                            let n = (c.len() as u64).min(size - done) as usize;
                            if let Err(e) = self.put(&c[..n]) {
                                return (done, Some(CopyError::Out(e)));
                            }
                            done += n as u64;
                            if done == size {
                                break;
                            }
                        }
                        Err(e) => return (done, Some(CopyError::Src(e))),
                    }
                }
            }
            Source::Fd(f) => {
                while done < size {
                    if self.blen == bs {
                        if let Err(e) = self.flush_block() {
                            return (done, Some(CopyError::Out(e)));
                        }
                    }
                    let room = ((bs - self.blen) as u64).min(size - done) as usize;
                    match f.read(&mut self.block[self.blen..self.blen + room]) {
                        Ok(0) => break,
                        Ok(k) => {
                            self.blen += k;
                            done += k as u64;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return (done, Some(CopyError::Src(e))),
                    }
                }
                if self.blen == bs {
                    if let Err(e) = self.flush_block() {
                        return (done, Some(CopyError::Out(e)));
                    }
                }
            }
        }
        (done, None)
    }

    /// Writes FS_END and zero-fills the last block; returns the output and the summary.
    pub fn finish(mut self) -> Result<(W, WriteSummary), ArchiveError> {
        self.put(&record::end_record())?;
        if self.blen > 0 {
            let n = self.block.len() - self.blen;
            self.put_zeros(n as u64)?;
        }
        let at = self.flushed;
        self.out.flush().map_err(|source| ArchiveError::Io { offset: at, source })?;
        self.summary.archive_bytes = self.flushed;
        Ok((self.out, self.summary))
    }
}

/// Opens a walker's source file without following a symlink swapped in since the walk.
pub(crate) fn open_source(sf: &crate::entry::SourceFile) -> io::Result<std::fs::File> {
    use rustix::fs::{openat, Mode, OFlags};
    let fd = openat(
        &*sf.dir,
        sf.name.as_c_str(),
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(std::fs::File::from(fd))
}
