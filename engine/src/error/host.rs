//! The host model's errors (re-exported by `host`): below every module so that `host` and the engine's
//! [`super::Error`] can both use them without importing each other.

use std::path::PathBuf;

/// Why a host directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// `host.json` is not valid.
    #[error("{}: not a valid host model: {message}", path.display())]
    BadModel {
        /// The host.json path.
        path: PathBuf,
        /// What serde said.
        message: String,
    },
    /// A customization or first-boot script failed.
    #[error("script {} failed with exit status {status}", path.display())]
    Script {
        /// The script.
        path: PathBuf,
        /// Its exit status (-1 when killed by a signal).
        status: i32,
    },
    /// The copy had backup/restore errors and `ALT_BAK_ERR_FAIL=1` asked to stop; the clone was removed.
    #[error(
        "{count} backup/restore error(s) during the copy; ALT_BAK_ERR_FAIL=1: altinst_rootvg was removed"
    )]
    CopyFailed {
        /// How many errors.
        count: usize,
        /// One of them was a full target filesystem (the command exits as out of space).
        no_space: bool,
    },
    /// Another command holds the host lock.
    #[error("host {} is busy: another altdisk command holds {}", host.display(), host.join("lock").display())]
    Busy {
        /// The host directory.
        host: PathBuf,
    },
}
