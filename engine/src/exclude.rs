//! Exclude lists with exactly `grep -v -f` semantics (POSIX BRE by default, ERE on request).

/// Why an exclude list could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ExcludeError {
    /// The list file could not be read.
    #[error("cannot read exclude list {}: {source}", path.display())]
    Read {
        /// The list file.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
