//! Files that change while they are copied.
//!
//! Every reader of a live regular file (the walker's read-ahead, the tree writer, the archive writer) takes a
//! [`Stamp`] (size, mtime and ctime, with nanoseconds) of the open descriptor just before it reads the data
//! and again after the last byte. Two equal stamps mean no write or truncation reached the file while it was
//! read (every write moves mtime and ctime). What each writer does with a difference:
//!
//! * the tree writer (`clone`, `alt_disk_copy` phase 1) copies the file again once, from a truncated target,
//!   and takes the target's size and mtime from the last stamp; when the file changed during the second read
//!   too, the second copy is kept and reported as a soft error (class `changed`);
//! * the archive writer (`backup`, `mksysb`) has sent the header already: it stops at the announced size or
//!   pads with zeros up to it, and reports a soft error (class `changed`).
//!
//! A change between the walk's stat and the read, with a stable read, only makes the copy newer than the
//! walk saw it: it is counted and told as [`Event::Changed`](crate::events::Event::Changed), not an error.

use std::os::fd::AsFd;

use crate::entry::{Meta, Timestamp};

/// What tells one version of a file from the next: any write or truncation moves mtime and ctime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Length in bytes.
    pub size: u64,
    /// Modification time.
    pub mtime: Timestamp,
    /// Status-change time.
    pub ctime: Timestamp,
}

impl Stamp {
    /// The stamp the walk recorded in `meta`.
    pub fn of_meta(meta: &Meta) -> Self {
        Stamp { size: meta.size, mtime: meta.mtime, ctime: meta.ctime }
    }

    /// The stamp of the open file `fd`, and whether it is a regular file.
    pub fn of_fd(fd: impl AsFd) -> std::io::Result<(Self, bool)> {
        let st = rustix::fs::fstat(fd)?;
        let ts = |sec: i64, nsec: u64| Timestamp { sec, nsec: nsec.min(999_999_999) as u32 };
        let stamp = Stamp {
            size: st.st_size.max(0) as u64,
            mtime: ts(st.st_mtime, st.st_mtime_nsec),
            ctime: ts(st.st_ctime, st.st_ctime_nsec),
        };
        Ok((stamp, st.st_mode & libc::S_IFMT == libc::S_IFREG))
    }

    /// Describes how `self` (before) differs from `after`, for messages: "size 10 -> 12, mtime".
    pub fn describe_change(&self, after: &Stamp) -> String {
        let mut parts = Vec::new();
        if self.size != after.size {
            parts.push(format!("size {} -> {}", self.size, after.size));
        }
        if self.mtime != after.mtime {
            parts.push("mtime".to_string());
        }
        if self.ctime != after.ctime {
            parts.push("ctime".to_string());
        }
        parts.join(", ")
    }
}

/// The message of a file whose copy may not be one version of it.
pub const CHANGED: &str = "changed while copied";

/// Runs the test hook registered for `path`, if any, between the "before" stamp and the read. `path` is
/// only computed when a hook is registered (test builds only).
#[inline]
pub(crate) fn before_read(path: impl FnOnce() -> std::path::PathBuf) {
    #[cfg(any(test, feature = "test-hooks"))]
    hook::fire(path);
    #[cfg(not(any(test, feature = "test-hooks")))]
    let _ = path;
}

/// Test hooks (test builds and the `test-hooks` feature only): run a closure at the moment a chosen file has
/// been stamped and is about to be read, so a test can change exactly that file at exactly that moment.
#[cfg(any(test, feature = "test-hooks"))]
pub mod hook {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    type Hook = Box<dyn FnOnce() + Send>;

    /// Hooks registered and not yet run (a cheap check for the common case of none).
    static PENDING: AtomicUsize = AtomicUsize::new(0);
    static HOOKS: Mutex<Vec<(PathBuf, Hook)>> = Mutex::new(Vec::new());

    /// Runs `f` once, the first time any reader has stamped `path` and is about to read its data.
    pub fn before_read(path: impl AsRef<Path>, f: impl FnOnce() + Send + 'static) {
        if let Ok(mut v) = HOOKS.lock() {
            v.push((path.as_ref().to_path_buf(), Box::new(f)));
            PENDING.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub(crate) fn fire(path: impl FnOnce() -> PathBuf) {
        if PENDING.load(Ordering::SeqCst) == 0 {
            return;
        }
        let p = path();
        let f = {
            let Ok(mut v) = HOOKS.lock() else { return };
            let Some(i) = v.iter().position(|(q, _)| *q == p) else { return };
            PENDING.fetch_sub(1, Ordering::SeqCst);
            v.swap_remove(i).1
        };
        f();
    }
}
