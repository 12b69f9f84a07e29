//! Shared state of one run (counters, the first fatal error, hard-link completion) and the application of
//! metadata classes to a created object, in the order that keeps them all: xattrs, ACLs, owner, mode
//! (after the owner, since `chown` clears setuid/setgid), times (last, since every other change touches them).

use std::collections::{BTreeMap, HashSet};
use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use rustix::fs::{AtFlags, Gid, Mode, Timespec, Timestamps, Uid, XattrFlags};

use super::{Policy, TreeOptions};
use crate::acl;
use crate::entry::{Kind, Meta, Timestamp};
use crate::error::Error;
use crate::events::{Event, Events};

/// The counters of a run, updated from every worker.
#[derive(Default)]
pub(crate) struct Counters {
    pub entries: AtomicU64,
    pub files: AtomicU64,
    pub dirs: AtomicU64,
    pub symlinks: AtomicU64,
    pub hardlinks: AtomicU64,
    pub specials: AtomicU64,
    pub bytes: AtomicU64,
    pub refused: AtomicU64,
    pub soft_errors: AtomicU64,
    pub changed: AtomicU64,
    pub vanished: AtomicU64,
    pub reflinked: AtomicU64,
}

/// What one metadata class lost: how many objects, and the first reason with its path.
pub(crate) struct Lost {
    pub count: u64,
    pub first: String,
}

/// State shared by the dispatcher and the workers.
pub(crate) struct Shared<'a> {
    pub opts: &'a TreeOptions,
    pub events: &'a dyn Events,
    pub stop: AtomicBool,
    fatal: Mutex<Option<Error>>,
    pub counters: Counters,
    pub lost: Mutex<BTreeMap<&'static str, Lost>>,
    /// Keys of files being written that a later hard link may name.
    inflight: Mutex<HashSet<Vec<u8>>>,
    done: Condvar,
    /// Jobs the workers have finished (or skipped): a directory replacing a file waits for the file's job.
    pub jobs_done: std::sync::atomic::AtomicU64,
    /// The process umask (`None` when unknown): decides whether a created file needs a `fchmod`.
    pub umask: Option<u32>,
    /// Source filesystems (by device) whose files cannot be cloned into the target: `FICLONE` is not tried
    /// again for each of their files. Read for every file by every worker, so it takes no lock.
    pub no_reflink: DevSet,
    pub euid: u32,
    pub egid: u32,
}

/// A few device numbers, read without a lock (one relaxed load per slot): a run sees one or two source
/// filesystems. Should more than [`DevSet::SLOTS`] be added, the rest are not remembered (their files are
/// then tried, and fall back, one by one).
#[derive(Default)]
pub struct DevSet {
    /// `dev + 1` of each member (0: free).
    slots: [std::sync::atomic::AtomicU64; DevSet::SLOTS],
}

impl DevSet {
    const SLOTS: usize = 8;

    /// Whether `dev` is in the set.
    pub fn contains(&self, dev: crate::entry::DevId) -> bool {
        let want = dev.to_dev().wrapping_add(1);
        self.slots.iter().any(|s| s.load(Ordering::Relaxed) == want)
    }

    /// Adds `dev` (once, whichever worker gets there first).
    pub fn insert(&self, dev: crate::entry::DevId) {
        let want = dev.to_dev().wrapping_add(1);
        for s in &self.slots {
            match s.compare_exchange(0, want, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(have) if have == want => return,
                Err(_) => {}
            }
        }
    }
}

impl<'a> Shared<'a> {
    pub fn new(opts: &'a TreeOptions, events: &'a dyn Events) -> Self {
        Shared {
            opts,
            events,
            stop: AtomicBool::new(false),
            fatal: Mutex::new(None),
            counters: Counters::default(),
            lost: Mutex::new(BTreeMap::new()),
            inflight: Mutex::new(HashSet::new()),
            done: Condvar::new(),
            jobs_done: std::sync::atomic::AtomicU64::new(0),
            umask: read_umask(),
            no_reflink: DevSet::default(),
            euid: rustix::process::geteuid().as_raw(),
            egid: rustix::process::getegid().as_raw(),
        }
    }

    /// Whether the run is stopping.
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Records a fatal error (the first one wins) and stops the run.
    pub fn fail(&self, e: Error) {
        if let Ok(mut f) = self.fatal.lock() {
            if f.is_none() {
                *f = Some(e);
            }
        }
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Takes the fatal error, if any.
    pub(crate) fn take_fatal(&self) -> Option<Error> {
        self.fatal.lock().ok().and_then(|mut f| f.take())
    }

    /// The full path of a key, for messages.
    pub fn path(&self, key: &[u8]) -> PathBuf {
        if key.is_empty() {
            return self.opts.target.clone();
        }
        self.opts.target.join(std::ffi::OsStr::from_bytes(key))
    }

    /// An error on the target: no space stops the run as [`Error::NoSpace`], anything else is an I/O error.
    pub(crate) fn target_error(&self, op: &'static str, key: &[u8], e: io::Error) -> Error {
        if is_no_space(&e) {
            return Error::NoSpace { path: self.path(key), fs: self.opts.target.clone() };
        }
        Error::Io { op, path: self.path(key), source: e }
    }

    /// One entry could not be handled: reported and counted, the run goes on.
    pub fn soft(&self, class: &'static str, key: &[u8], message: String) {
        self.counters.soft_errors.fetch_add(1, Ordering::Relaxed);
        self.events.event(&Event::SoftError { class, path: self.path(key).display().to_string(), message });
    }

    /// One entry could not be read from its source at `path` (not the target): reported and counted, the run
    /// goes on.
    pub fn soft_at(&self, class: &'static str, path: &std::path::Path, message: String) {
        self.counters.soft_errors.fetch_add(1, Ordering::Relaxed);
        self.events.event(&Event::SoftError { class, path: path.display().to_string(), message });
    }

    /// An unsafe name was refused: counted and warned about.
    pub fn refuse(&self, name: &[u8], why: &str) {
        self.counters.refused.fetch_add(1, Ordering::Relaxed);
        self.events.event(&Event::Warning(format!("refused {}: {why}", String::from_utf8_lossy(name))));
    }

    /// A metadata class could not be applied. Counted, unless its policy is required or the target is full.
    pub(crate) fn class_failed(
        &self,
        class: &'static str,
        policy: Policy,
        key: &[u8],
        e: io::Error,
    ) -> Result<(), Error> {
        if is_no_space(&e) || policy == Policy::Required {
            return Err(self.target_error(class, key, e));
        }
        if let Ok(mut lost) = self.lost.lock() {
            let l = lost
                .entry(class)
                .or_insert_with(|| Lost { count: 0, first: format!("{e} ({})", self.path(key).display()) });
            l.count += 1;
        }
        Ok(())
    }

    /// Marks a file key as being written, so hard links to it wait.
    pub(crate) fn begin(&self, key: Vec<u8>) {
        if let Ok(mut s) = self.inflight.lock() {
            s.insert(key);
        }
    }

    /// Marks a file key as done (written or failed) and wakes waiting hard links.
    pub fn end(&self, key: &[u8]) {
        if let Ok(mut s) = self.inflight.lock() {
            s.remove(key);
        }
        self.done.notify_all();
    }

    /// Waits until the file `key` is no longer being written.
    pub(crate) fn wait_for(&self, key: &[u8]) {
        let Ok(mut s) = self.inflight.lock() else { return };
        while s.contains(key) {
            s = match self.done.wait(s) {
                Ok(s) => s,
                Err(_) => return,
            };
        }
    }
}

/// ENOSPC or EDQUOT: the target cannot take more.
pub(crate) fn is_no_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

fn read_umask() -> Option<u32> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("Umask:"))?;
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
}

/// The object metadata is applied to: an open file or directory, or a name in a directory (symlinks,
/// devices and fifos, which are never opened).
#[derive(Clone, Copy)]
pub(crate) enum Obj<'f> {
    /// An open regular file or directory.
    Fd(BorrowedFd<'f>),
    /// A name inside an open directory.
    At(BorrowedFd<'f>, &'f CStr),
}

impl Obj<'_> {
    /// A path that reaches the object without following it, for the `l*xattr` calls.
    fn proc_path(self) -> Option<CString> {
        match self {
            Obj::Fd(_) => None,
            Obj::At(dir, name) => {
                let mut p = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
                p.extend_from_slice(name.to_bytes());
                CString::new(p).ok()
            }
        }
    }

    fn set_xattr(self, name: &[u8], value: &[u8]) -> io::Result<()> {
        let cname = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        match self {
            Obj::Fd(fd) => rustix::fs::fsetxattr(fd, cname.as_c_str(), value, XattrFlags::empty())?,
            Obj::At(..) => {
                let p = self.proc_path().ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
                rustix::fs::lsetxattr(p.as_c_str(), cname.as_c_str(), value, XattrFlags::empty())?
            }
        }
        Ok(())
    }
}

fn ts(t: Timestamp) -> Timespec {
    Timespec { tv_sec: t.sec, tv_nsec: i64::from(t.nsec.min(999_999_999)) }
}

/// What [`apply`] needs to know beyond the metadata.
pub(crate) struct Apply {
    /// Skip `chown` (the object was just created and already has the wanted owner).
    pub skip_owner: bool,
    /// Skip `chmod` (the object was just created with exactly the wanted mode).
    pub skip_mode: bool,
}

/// Applies xattrs, ACLs, owner, mode and times to `obj` in that order. Only fatal errors are returned.
pub(crate) fn apply(
    sh: &Shared<'_>,
    obj: Obj<'_>,
    kind: Kind,
    meta: &Meta,
    key: &[u8],
    how: Apply,
) -> Result<(), Error> {
    let o = sh.opts;
    if o.xattrs != Policy::Off {
        for x in &meta.xattrs {
            if let Err(e) = obj.set_xattr(&x.name, &x.value) {
                sh.class_failed("xattrs", o.xattrs, key, e)?;
            }
        }
    }
    let mut acl_set = false;
    if o.acls != Policy::Off && kind != Kind::Symlink {
        if let Some(a) = &meta.acl {
            match obj.set_xattr(acl::XATTR_ACCESS, &a.to_xattr()) {
                Ok(()) => acl_set = true,
                Err(e) => sh.class_failed("acls", o.acls, key, e)?,
            }
        }
        if kind == Kind::Dir {
            if let Some(a) = &meta.default_acl {
                if let Err(e) = obj.set_xattr(acl::XATTR_DEFAULT, &a.to_xattr()) {
                    sh.class_failed("acls", o.acls, key, e)?;
                }
            }
        }
    }
    if o.owner != Policy::Off && !how.skip_owner {
        let (u, g) = (Some(Uid::from_raw(meta.uid)), Some(Gid::from_raw(meta.gid)));
        let r = match obj {
            Obj::Fd(fd) => rustix::fs::fchown(fd, u, g),
            Obj::At(dir, name) => rustix::fs::chownat(dir, name, u, g, AtFlags::SYMLINK_NOFOLLOW),
        };
        if let Err(e) = r {
            sh.class_failed("owner", o.owner, key, e.into())?;
        }
    }
    if o.mode != Policy::Off && kind != Kind::Symlink && (!how.skip_mode || acl_set) {
        let m = Mode::from_raw_mode(meta.mode & 0o7777);
        let r = match obj {
            Obj::Fd(fd) => rustix::fs::fchmod(fd, m),
            Obj::At(dir, name) => rustix::fs::chmodat(dir, name, m, AtFlags::empty()),
        };
        if let Err(e) = r {
            sh.class_failed("mode", o.mode, key, e.into())?;
        }
    }
    if o.times != Policy::Off {
        let t = Timestamps { last_access: ts(meta.atime), last_modification: ts(meta.mtime) };
        let r = match obj {
            Obj::Fd(fd) => rustix::fs::futimens(fd, &t),
            Obj::At(dir, name) => rustix::fs::utimensat(dir, name, &t, AtFlags::SYMLINK_NOFOLLOW),
        };
        if let Err(e) = r {
            sh.class_failed("times", o.times, key, e.into())?;
        }
    }
    Ok(())
}
