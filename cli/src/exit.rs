//! Exit codes and the one-line error report. The table is also in the README.

use altdisk_engine::Error;

/// Success.
pub const OK: i32 = 0;
/// The job failed, or finished with soft errors that make the result incomplete.
pub const FAILED: i32 = 1;
/// Bad command line: unknown flag, missing argument, conflicting flags.
pub const USAGE: i32 = 2;
/// The archive is damaged or not a by-name archive.
pub const ARCHIVE: i32 = 3;
/// The data does not fit the target (space check, or the target filled up).
pub const NO_SPACE: i32 = 4;
/// Refused before anything was changed (unsafe name, bad plan, disk in use).
pub const REFUSED: i32 = 5;

/// The exit table, for the man pages' EXIT STATUS section (the README has the same table).
pub const TABLE: &[(i32, &str)] = &[
    (OK, "success"),
    (FAILED, "the job failed, or finished with soft errors (unreadable files, metadata that could not be kept)"),
    (USAGE, "bad command line (unknown flag, missing argument, conflicting flags, bad exclude pattern)"),
    (ARCHIVE, "the archive is damaged or is not a by-name archive (the message names the byte offset)"),
    (
        NO_SPACE,
        "the data does not fit (space check refused, or the target filled up; backup and mksysb then remove the \
         archive file they could not finish, and say so; alt_disk_copy and alt_disk_mksysb remove the partial \
         altinst_rootvg, and say so)",
    ),
    (REFUSED, "refused before anything was changed (unsafe plan, disk in use, ...)"),
];

/// Prints `NAME: reason` (with the chain of causes) on standard error (and, with `--json`, as a fatal `error`
/// line) and returns the exit code.
pub fn report(name: &str, e: &anyhow::Error) -> i32 {
    let mut msg = format!("{name}: {e}");
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    crate::render::json::flush();
    eprintln!("{msg}");
    crate::render::json::error(&msg);
    code_for(e)
}

/// The exit code for an error.
pub fn code_for(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<UsageError>().is_some() || e.downcast_ref::<clap::Error>().is_some() {
        return USAGE;
    }
    match e.downcast_ref::<Error>() {
        Some(Error::Archive(_)) => ARCHIVE,
        // Another command holds the host: nothing was changed.
        Some(Error::Host(altdisk_engine::host::HostError::Busy { .. })) => REFUSED,
        Some(Error::Installp(altdisk_engine::installp::InstallpError::Malformed { .. })) => ARCHIVE,
        Some(Error::Installp(altdisk_engine::installp::InstallpError::NoSpace { .. })) => NO_SPACE,
        Some(Error::NoSpace { .. }) | Some(Error::Space(_)) => NO_SPACE,
        // ALT_BAK_ERR_FAIL on a copy that filled a filesystem: out of space, as without it.
        Some(Error::Host(altdisk_engine::host::HostError::CopyFailed { no_space: true, .. })) => NO_SPACE,
        Some(Error::Refused { .. }) => REFUSED,
        Some(Error::Exclude(_)) | Some(Error::Stanza(_)) => USAGE,
        _ => FAILED,
    }
}

/// A command-line error found after clap (conflicting flags, a relative path where a full one is needed).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Returns a usage error (exit code 2) with a message.
pub fn usage<T>(msg: impl Into<String>) -> anyhow::Result<T> {
    Err(UsageError(msg.into()).into())
}
