//! JFS and JFS2 space accounting, JFS→JFS2 conversion and fit checks.

/// Why a space plan failed.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    /// A filesystem cannot hold its data.
    #[error("{mount_point}: need {need} bytes, have {have} bytes ({reason})")]
    DoesNotFit {
        /// The mount point.
        mount_point: String,
        /// Bytes needed.
        need: u64,
        /// Bytes available.
        have: u64,
        /// Why (which rule dominated).
        reason: String,
    },
}
