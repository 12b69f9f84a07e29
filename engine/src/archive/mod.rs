//! The AIX "backup by name" archive format (`backup -i`, `restore`, mksysb images): see
//! `../shared/spec/backup-format.md`.

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
}
