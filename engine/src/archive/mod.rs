//! The AIX "backup by name" archive format (`backup -i`, `restore`, mksysb images): see
//! `../shared/spec/backup-format.md`.
//!
//! One concept per file: [`record`] (byte layouts and the checksum), [`security`] (ACL/PCL),
//! [`pack`] (the Huffman codec of packed file data), [`reader`] (streaming reader), [`writer`]
//! (block-buffered writer), [`byname`] (`backup -i` from a name list), [`stream`] (the byte stream under
//! both: plain or zstd-compressed, recognised by its magic).

pub mod byname;
pub mod pack;
pub mod reader;
pub mod record;
pub mod security;
pub mod stream;
pub mod writer;

pub use reader::{ArchiveEntry, ArchiveReader, ReadStats, ReaderOptions, Record};
pub use record::{NameHeader, VolumeHeader};
pub use security::Security;
pub use stream::{open_stream, Compression, InStream, OutStream};
pub use writer::{ArchiveWriter, WriteSummary, WriterOptions};

/// Why an archive could not be read or written. Every read error names the byte offset in the stream.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The underlying stream failed.
    #[error("archive I/O error at byte offset {offset}: {source}")]
    Io {
        /// Byte offset in the archive stream.
        offset: u64,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Writing extracted data to its destination failed.
    #[error("cannot write the data of the file at archive offset {offset}: {source}")]
    Output {
        /// Byte offset in the archive stream.
        offset: u64,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The stream ended in the middle of something.
    #[error("archive truncated at byte offset {offset}: it ends inside the {what}")]
    Truncated {
        /// Byte offset where more bytes were needed.
        offset: u64,
        /// What was being read.
        what: &'static str,
    },
    /// A header failed restore's sanity check.
    #[error("bad header at byte offset {offset}: {reason}")]
    BadHeader {
        /// Byte offset of the header.
        offset: u64,
        /// What was wrong.
        reason: record::BadHeader,
    },
    /// A header checksum did not verify.
    #[error("checksum error in the header at byte offset {offset} (stored 0x{stored:04x}, computed 0x{computed:04x})")]
    Checksum {
        /// Byte offset of the header.
        offset: u64,
        /// Checksum in the header.
        stored: u16,
        /// Checksum of the bytes.
        computed: u16,
    },
    /// A Trusted-AIX labelled header, whose layout is not documented.
    #[error(
        "header at byte offset {offset} has Trusted-AIX magic {magic}: labelled (B1) archives are not supported"
    )]
    TrustedAix {
        /// Byte offset of the header.
        offset: u64,
        /// The magic found.
        magic: u16,
    },
    /// The stream is not a by-name archive (or not its first volume).
    #[error("not a by-name archive (byte offset {offset}): {message}")]
    NotByName {
        /// Byte offset of the offending record.
        offset: u64,
        /// What was found.
        message: String,
    },
    /// A size field exceeds the reader's cap.
    #[error("{what} of {dwords} dwords at byte offset {offset} exceeds the limit of 512 dwords")]
    TooLarge {
        /// Byte offset of the field.
        offset: u64,
        /// Which size.
        what: &'static str,
        /// The value found.
        dwords: u32,
    },
    /// The ACL or PCL is malformed.
    #[error("bad security block at byte offset {offset}: {source}")]
    Security {
        /// Byte offset of the ACL or PCL.
        offset: u64,
        /// What was wrong.
        #[source]
        source: security::SecurityError,
    },
    /// Packed data could not be decoded.
    #[error("packed data at byte offset {offset} cannot be unpacked: {message}")]
    Unpack {
        /// Byte offset of the packed data.
        offset: u64,
        /// What the decoder reported.
        message: String,
    },
    /// A header could not be encoded.
    #[error("cannot archive {name}: {source}")]
    Encode {
        /// The entry name.
        name: String,
        /// Why.
        #[source]
        source: record::EncodeError,
    },
    /// The zstd stream around the archive is truncated or corrupt.
    #[error("zstd stream damaged at compressed byte offset {compressed} (archive byte offset {uncompressed}): {message}")]
    Zstd {
        /// Compressed bytes consumed when the decoder failed.
        compressed: u64,
        /// Archive (uncompressed) bytes produced by then.
        uncompressed: u64,
        /// What the decoder reported.
        message: String,
    },
    /// A tar archive is damaged: bad header checksum, a header or data cut short, a malformed extended
    /// header.
    #[error("tar archive damaged at byte offset {offset}: {message}")]
    Tar {
        /// Byte offset in the (uncompressed) stream where reading stopped.
        offset: u64,
        /// What was wrong.
        message: String,
    },
    /// The input is neither a by-name nor a tar archive (nor either of them compressed with zstd).
    #[error("not a by-name or tar archive (byte offset 0): {message}")]
    UnknownFormat {
        /// What was found.
        message: String,
    },
    /// The block size is not a positive multiple of 512.
    #[error("block size {0} is not a positive multiple of 512 bytes")]
    BlockSize(usize),
}

impl ArchiveError {
    /// The error for a failed read of the archive stream at `offset`: damage reported by the zstd layer
    /// ([`stream::ZstdDamage`]) becomes [`ArchiveError::Zstd`], anything else [`ArchiveError::Io`].
    pub fn from_read(offset: u64, source: std::io::Error) -> Self {
        match stream::zstd_damage(&source) {
            Some(d) => ArchiveError::Zstd {
                compressed: d.compressed,
                uncompressed: d.uncompressed,
                message: d.message.clone(),
            },
            None => ArchiveError::Io { offset, source },
        }
    }

    /// The stream offset the error concerns, when it concerns one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            ArchiveError::Io { offset, .. }
            | ArchiveError::Output { offset, .. }
            | ArchiveError::Truncated { offset, .. }
            | ArchiveError::BadHeader { offset, .. }
            | ArchiveError::Checksum { offset, .. }
            | ArchiveError::TrustedAix { offset, .. }
            | ArchiveError::NotByName { offset, .. }
            | ArchiveError::TooLarge { offset, .. }
            | ArchiveError::Security { offset, .. }
            | ArchiveError::Unpack { offset, .. }
            | ArchiveError::Tar { offset, .. } => Some(*offset),
            ArchiveError::UnknownFormat { .. } => Some(0),
            ArchiveError::Zstd { uncompressed, .. } => Some(*uncompressed),
            ArchiveError::Encode { .. } | ArchiveError::BlockSize(_) => None,
        }
    }
}

/// Parses an arbitrary byte stream as an archive and reads every file's data, first strictly and then
/// with resynchronisation; returns the entries seen in each pass. Shared by the fuzz target and the corpus
/// replay test so both exercise exactly the same code.
pub fn fuzz_read_all(data: &[u8]) -> (usize, usize) {
    let mut counts = [0usize; 2];
    for (i, resync) in [false, true].into_iter().enumerate() {
        let mut r = ArchiveReader::new(data, ReaderOptions { resync });
        while let Ok(Some(rec)) = r.next_record() {
            if let Record::Entry(_) = rec {
                counts[i] += 1;
                if r.read_data(&mut std::io::sink()).is_err() {
                    break;
                }
            }
        }
        let mut r = ArchiveReader::new(data, ReaderOptions { resync });
        while let Ok(Some(e)) = r.next_entry() {
            if let crate::entry::EntryData::Stream(rx) = e.data {
                drop(rx);
            }
        }
    }
    (counts[0], counts[1])
}

/// Builds entries from arbitrary bytes, writes them (packing on), reads them back and compares names,
/// kinds, modes, owners, times and contents. `Err` describes the first difference. Shared by the
/// `archive_roundtrip` fuzz target and the engine tests.
pub fn fuzz_roundtrip(data: &[u8]) -> Result<(), String> {
    use crate::entry::{DevId, Entry, EntryData, Kind, Meta, Timestamp};
    let mut it = data.iter().copied();
    let mut entries = Vec::new();
    while entries.len() < 64 {
        let Some(k) = it.next() else { break };
        let kind = [Kind::File, Kind::Dir, Kind::Symlink, Kind::CharDev, Kind::BlockDev, Kind::Fifo]
            [usize::from(k % 6)];
        let nlen = usize::from(it.next().unwrap_or(0) % 40) + 1;
        let mut name = b"./".to_vec();
        name.extend(it.by_ref().take(nlen).map(|b| if b == 0 { b'_' } else { b }));
        let mut two = || u16::from_le_bytes([it.next().unwrap_or(0), it.next().unwrap_or(0)]);
        let mode = u32::from(two()) & 0o7777;
        // Times are i32 in the format: stay below 2038.
        let mtime = i64::from(two()) * 30_000;
        let dlen = usize::from(two() % 9000);
        let uid = u32::from(it.next().unwrap_or(0));
        let mut bytes: Vec<u8> = it.by_ref().take(dlen).collect();
        let meta = Meta {
            mode,
            uid,
            gid: uid / 2,
            mtime: Timestamp::from_secs(mtime),
            atime: Timestamp::from_secs(mtime + 1),
            nlink: 1,
            rdev: DevId { major: uid, minor: mode },
            size: if kind == Kind::File { bytes.len() as u64 } else { 0 },
            ..Meta::default()
        };
        let mut e = Entry::new(name, kind, meta);
        match kind {
            Kind::File => e.data = EntryData::Bytes(bytes.into()),
            Kind::Symlink => {
                bytes.retain(|&b| b != 0);
                bytes.truncate(1000);
                if bytes.is_empty() {
                    bytes.push(b'x');
                }
                e.meta.size = bytes.len() as u64;
                e.link_target = Some(bytes);
            }
            _ => {}
        }
        entries.push(e);
    }
    let opts = WriterOptions { block_size: 512, pack: true, ..Default::default() };
    let mut w = ArchiveWriter::new(Vec::new(), opts).map_err(|e| e.to_string())?;
    for e in &entries {
        w.write_entry(e).map_err(|e| e.to_string())?;
    }
    let (archive, _) = w.finish().map_err(|e| e.to_string())?;
    let mut r = ArchiveReader::new(&archive[..], ReaderOptions::default());
    let mut n = 0;
    while let Some(got) = r.next_entry().map_err(|e| e.to_string())? {
        let want = entries.get(n).ok_or("more entries read than written")?;
        n += 1;
        let same = got.name == want.name
            && got.kind == want.kind
            && got.meta.mode == want.meta.mode
            && got.meta.uid == want.meta.uid
            && got.meta.mtime == want.meta.mtime
            && got.meta.size == want.meta.size
            && got.link_target == want.link_target
            && match (&got.data, &want.data) {
                (EntryData::Bytes(a), EntryData::Bytes(b)) => a == b,
                (EntryData::None, EntryData::None) => true,
                _ => false,
            }
            && (!matches!(want.kind, Kind::CharDev | Kind::BlockDev) || got.meta.rdev == want.meta.rdev);
        if !same {
            return Err(format!("entry {n} differs: wrote {want:?}, read {got:?}"));
        }
    }
    if n != entries.len() {
        return Err(format!("wrote {} entries, read {n}", entries.len()));
    }
    Ok(())
}
