//! The AIX "backup by name" archive format (`backup -i`, `restore`, mksysb images): see
//! `../shared/spec/backup-format.md`.
//!
//! One concept per file: [`record`] (byte layouts and the checksum), [`security`] (ACL/PCL),
//! [`pack`] (the Huffman codec of packed file data), [`reader`] (streaming reader), [`writer`]
//! (block-buffered writer), [`byname`] (`backup -i` from a name list).

pub mod byname;
pub mod pack;
pub mod reader;
pub mod record;
pub mod security;
pub mod writer;

pub use reader::{ArchiveEntry, ArchiveReader, ReadStats, ReaderOptions, Record};
pub use record::{NameHeader, VolumeHeader};
pub use security::Security;
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
    /// The block size is not a positive multiple of 512.
    #[error("block size {0} is not a positive multiple of 512 bytes")]
    BlockSize(usize),
}

impl ArchiveError {
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
            | ArchiveError::Unpack { offset, .. } => Some(*offset),
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
