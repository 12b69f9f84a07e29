//! The writer stage into a directory tree: what `altdisk clone`, `restore -x` and phase 1 of
//! `alt_disk_copy`/`alt_disk_mksysb` end in.
//!
//! Entries arrive in order (a directory before its contents, a hard link after its first name). One
//! dispatcher thread (the caller's) creates directories, symlinks, fifos and devices itself, in order, and
//! hands regular files and hard links to a pool of workers, so the expensive part (data) runs in parallel
//! while every ordering the tree needs holds:
//!
//! * a directory exists before anything inside it (the dispatcher made it synchronously),
//! * a hard link waits until its first name has been written (files a link may name are tracked while in
//!   flight),
//! * directory owner, mode, times, xattrs and ACLs are applied at the very end, deepest first, since
//!   creating children changes a directory's times and a read-only mode would stop the children.
//!
//! Everything is created relative to an open parent directory, never through a symlink, so nothing is
//! written outside the target whatever the names (see the `names` and `dirs` modules).

mod data;
mod dirs;
mod meta;
mod names;
pub mod update;

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::Receiver;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use crate::entry::{Entry, EntryData, Kind, Meta};
use crate::error::Error;
use crate::events::{Event, Events};
use dirs::{DirCache, DirError};
use meta::{Apply, Obj, Shared};
use names::SafeName;

/// How hard to try to keep one metadata class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Policy {
    /// Do not apply it (the created object gets what the system gives: our uid, the umask).
    Off,
    /// Apply it; a failure (EPERM on `chown` as non-root, EOPNOTSUPP for xattrs) is counted in
    /// [`TreeStats::not_preserved`] and the run goes on.
    #[default]
    BestEffort,
    /// Apply it; a failure stops the run with an error.
    Required,
}

/// A hook called before each entry is written; an `Err` stops the run with that error.
pub type Admit = Arc<dyn Fn(&Entry) -> Result<(), Error> + Send + Sync>;

/// What [`write_tree`] writes where, and which metadata it keeps.
#[derive(Clone)]
pub struct TreeOptions {
    /// The directory the tree is written into (created if missing).
    pub target: PathBuf,
    /// Worker threads for files (0: one per CPU, [`crate::threads::or_default`]).
    pub threads: usize,
    /// Owner and group.
    pub owner: Policy,
    /// Permission bits including setuid, setgid and sticky.
    pub mode: Policy,
    /// Access and modification times, with nanoseconds.
    pub times: Policy,
    /// Extended attributes (user.*, security.*, trusted.*).
    pub xattrs: Policy,
    /// POSIX access and default ACLs.
    pub acls: Policy,
    /// Creation of character and block devices and fifos.
    pub devices: Policy,
    /// Keep holes: copy only data segments, and turn all-zero 4 KiB blocks of byte data into holes.
    pub sparse: bool,
    /// Create hard links as links; when false every name gets its own copy of the data.
    pub hard_links: bool,
    /// Write absolute names (`/etc/x`) at that absolute path, as AIX `restore` does. When false (the
    /// default) they go below the target with the leading `/` removed and one warning.
    pub absolute_names: bool,
    /// Restore semantics: an existing regular file is truncated and rewritten, an existing object of
    /// another kind is removed first (a symlink is unlinked, never followed). Existing directories are
    /// always reused. When false an existing object is a soft error for that entry.
    pub overwrite: bool,
    /// One `syncfs` of the target at the end (never a per-file fsync).
    pub sync: bool,
    /// Share a live source file's blocks with its copy (`FICLONE`, xfs with reflink=1 and btrfs) when the
    /// filesystems can. When false the data goes through read/write, as `cp --reflink=never` does (also
    /// `copy_file_range`, which reflinks by itself on those filesystems, is not used): for measuring.
    pub reflink: bool,
    /// Called before each entry is written, in entry order, from the dispatcher thread. Returning `Err`
    /// stops the run with that error (this models a full AIX filesystem, or any budget the caller keeps).
    pub admit: Option<Admit>,
}

impl fmt::Debug for TreeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TreeOptions")
            .field("target", &self.target)
            .field("threads", &self.threads)
            .field("owner", &self.owner)
            .field("mode", &self.mode)
            .field("times", &self.times)
            .field("xattrs", &self.xattrs)
            .field("acls", &self.acls)
            .field("devices", &self.devices)
            .field("sparse", &self.sparse)
            .field("hard_links", &self.hard_links)
            .field("absolute_names", &self.absolute_names)
            .field("overwrite", &self.overwrite)
            .field("sync", &self.sync)
            .field("reflink", &self.reflink)
            .field("admit", &self.admit.is_some())
            .finish()
    }
}

impl Default for TreeOptions {
    /// Everything kept as far as possible; owner only when we are root (a non-root `chown` fails anyway).
    fn default() -> Self {
        let root = rustix::process::geteuid().is_root();
        TreeOptions {
            target: PathBuf::from("."),
            threads: crate::threads::default_threads(),
            owner: if root { Policy::BestEffort } else { Policy::Off },
            mode: Policy::BestEffort,
            times: Policy::BestEffort,
            xattrs: Policy::BestEffort,
            acls: Policy::BestEffort,
            devices: Policy::BestEffort,
            sparse: true,
            hard_links: true,
            absolute_names: false,
            overwrite: false,
            sync: false,
            reflink: true,
            admit: None,
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreeStats {
    /// Entries received.
    pub entries: u64,
    /// Regular files written (including hard links written as copies).
    pub files: u64,
    /// Directories created or reused.
    pub dirs: u64,
    /// Symlinks created.
    pub symlinks: u64,
    /// Hard links created.
    pub hardlinks: u64,
    /// Fifos and devices created.
    pub specials: u64,
    /// Data bytes written (holes not counted).
    pub bytes: u64,
    /// Entries refused because their name is unsafe (`..`, a path through a symlink, a link out of the tree).
    pub refused: u64,
    /// Per metadata class ("owner", "mode", "times", "xattrs", "acls", "devices"): objects it could not be
    /// kept for under [`Policy::BestEffort`].
    pub not_preserved: BTreeMap<&'static str, u64>,
    /// Entries that could not be written (reported as [`Event::SoftError`]).
    pub soft_errors: u64,
    /// Live source files that changed after the walk saw them or while they were copied (each told as
    /// [`Event::Changed`], or as a soft error of class `changed` when the copy may mix versions).
    pub changed: u64,
    /// Live source files deleted between the walk and their copy (one warning each; nothing written).
    pub vanished: u64,
    /// Regular files whose data was cloned (`FICLONE`, shared extents) rather than copied.
    pub reflinked: u64,
}

/// Work for the pool.
enum Job {
    /// A regular file: create, write data, apply metadata.
    File { dir: Arc<OwnedFd>, name: CString, key: Vec<u8>, entry: Box<Entry>, tracked: bool },
    /// A hard link to `from`, made once `from` is written.
    Link {
        from_dir: Arc<OwnedFd>,
        from_name: CString,
        from_key: Vec<u8>,
        dir: Arc<OwnedFd>,
        name: CString,
        key: Vec<u8>,
    },
}

/// Writes the entries of `rx` into `opts.target`.
///
/// Returns the counts on success, including what could not be kept. Stops with an error on a full target
/// ([`Error::NoSpace`], naming the file), on a [`Policy::Required`] class that failed, when `admit` refuses,
/// or when the target cannot be opened; `rx` is dropped at once then, so the upstream stage fails its next
/// send and ends.
pub fn write_tree(
    opts: &TreeOptions,
    rx: Receiver<crate::batch::Batch>,
    events: &dyn Events,
) -> Result<TreeStats, Error> {
    if !opts.target.exists() {
        std::fs::create_dir_all(&opts.target).map_err(|e| Error::io("create", &opts.target, e))?;
    }
    let target_fd =
        rustix::fs::open(&opts.target, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| Error::io("open", &opts.target, e.into()))?;
    // A setgid or default-ACL target hands new objects another group or mode than we ask for.
    let target_setgid =
        rustix::fs::fstat(&target_fd).map(|st| st.st_mode & libc::S_ISGID != 0).unwrap_or(true);
    let mut probe = [0u8; 4];
    let target_default_acl = !matches!(
        rustix::fs::fgetxattr(&target_fd, crate::acl::XATTR_DEFAULT, &mut probe[..]),
        Err(rustix::io::Errno::NODATA) | Err(rustix::io::Errno::OPNOTSUPP)
    );
    // Keep a quarter of the descriptor limit for cached directories; the rest is for files and callers.
    let nofile = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(4096);
    let cache_cap = (nofile / 4).clamp(16, 4096) as usize;
    let sh = Shared::new(opts, events);
    let mut d = Dispatcher {
        sh: &sh,
        dirs: DirCache::new(Arc::new(target_fd), cache_cap),
        pending_dirs: Vec::new(),
        root_meta: None,
        warned_absolute: false,
        // With overwrite, directories that already exist are reused and may hand new objects another group
        // or mode; a target that is empty at the start holds only what this run creates.
        owner_known: !target_setgid
            && !target_default_acl
            && !opts.absolute_names
            && (!opts.overwrite
                || std::fs::read_dir(&opts.target).map(|mut d| d.next().is_none()).unwrap_or(false)),
    };
    let threads = crate::threads::or_default(opts.threads);
    // One queue per worker, so that one directory's files go to one worker (see `JobQueue::flush`).
    let mut txs = Vec::with_capacity(threads);
    let room = Room::default();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (jtx, jrx) = crossbeam_channel::bounded::<Vec<Job>>(QUEUE_SAME_DIR);
            txs.push(jtx);
            let (sh, room) = (&sh, &room);
            let owner_known = d.owner_known;
            s.spawn(move || worker(sh, room, jrx, owner_known));
        }
        let mut jobs = JobQueue {
            txs,
            room: &room,
            last: None,
            next: 0,
            pending: Vec::with_capacity(JOB_BATCH),
            bytes: 0,
            links: 0,
            sent: 0,
            file_names: vec![0u64; FILE_NAME_WORDS].into_boxed_slice(),
        };
        d.run(rx, &mut jobs);
        jobs.flush(&sh);
        drop(jobs);
    });
    if let Some(e) = sh.take_fatal() {
        // As GNU tar: the directories made so far get their modes and times on a stopped run too, not the
        // temporary 0700 and the time of the run. The first error is the one reported.
        let _ = d.finish_dirs();
        return Err(e);
    }
    d.finish_dirs()?;
    if opts.sync {
        rustix::fs::syncfs(d.dirs.target()).map_err(|e| sh.target_error("sync", b"", e.into()))?;
    }
    let c = &sh.counters;
    let mut stats = TreeStats {
        entries: c.entries.load(Ordering::Relaxed),
        files: c.files.load(Ordering::Relaxed),
        dirs: c.dirs.load(Ordering::Relaxed),
        symlinks: c.symlinks.load(Ordering::Relaxed),
        hardlinks: c.hardlinks.load(Ordering::Relaxed),
        specials: c.specials.load(Ordering::Relaxed),
        bytes: c.bytes.load(Ordering::Relaxed),
        refused: c.refused.load(Ordering::Relaxed),
        not_preserved: BTreeMap::new(),
        soft_errors: c.soft_errors.load(Ordering::Relaxed),
        changed: c.changed.load(Ordering::Relaxed),
        vanished: c.vanished.load(Ordering::Relaxed),
        reflinked: c.reflinked.load(Ordering::Relaxed),
    };
    if let Ok(lost) = sh.lost.lock() {
        for (class, l) in lost.iter() {
            stats.not_preserved.insert(class, l.count);
            events.event(&Event::Warning(format!("{} {class} not preserved: {}", l.count, l.first)));
        }
    }
    events.event(&Event::Progress { entries: stats.entries, bytes: stats.bytes });
    Ok(stats)
}

/// The dispatcher: runs on the caller's thread, owns the directory cache.
struct Dispatcher<'s, 'a> {
    sh: &'s Shared<'a>,
    dirs: DirCache,
    /// Directories whose metadata is applied at the end.
    pending_dirs: Vec<(SafeName, Meta)>,
    /// Metadata of `.` (the target itself), applied last.
    root_meta: Option<Meta>,
    warned_absolute: bool,
    /// Every directory objects are created in is ours and fresh: no setgid bit gives a new object another
    /// group and no default ACL another mode, so a `chown` to our own ids and a `chmod` to the creation mode
    /// can be skipped.
    owner_known: bool,
}

impl Dispatcher<'_, '_> {
    fn run(&mut self, rx: Receiver<crate::batch::Batch>, jobs: &mut JobQueue) {
        let sh = self.sh;
        loop {
            // Never sit on queued jobs while waiting for input: a streamed file's chunks only come once its
            // job runs, and idle workers are wasted.
            let batch = match rx.try_recv() {
                Ok(b) => b,
                Err(crossbeam_channel::TryRecvError::Empty) => {
                    jobs.flush(sh);
                    match rx.recv() {
                        Ok(b) => b,
                        Err(_) => break,
                    }
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => break,
            };
            if !self.batch(batch, jobs) {
                break;
            }
        }
        // Hang up on the upstream stage at once when stopping.
        drop(rx);
    }

    /// Handles one batch of entries; false when the run must stop.
    fn batch(&mut self, batch: crate::batch::Batch, jobs: &mut JobQueue) -> bool {
        let sh = self.sh;
        for entry in batch {
            if sh.stopped() {
                return false;
            }
            let n = sh.counters.entries.fetch_add(1, Ordering::Relaxed) + 1;
            if let Err(e) = self.one(entry, jobs) {
                sh.fail(e);
                return false;
            }
            if n & 4095 == 0 {
                let bytes = sh.counters.bytes.load(Ordering::Relaxed);
                sh.events.event(&Event::Progress { entries: n, bytes });
            }
        }
        true
    }

    /// Handles one entry; only fatal errors are returned.
    fn one(&mut self, entry: Entry, jobs: &mut JobQueue) -> Result<(), Error> {
        let sh = self.sh;
        let name = match names::resolve(&entry.name, sh.opts.absolute_names) {
            Ok(n) => n,
            Err(why) => {
                sh.refuse(&entry.name, &why.to_string());
                return Ok(());
            }
        };
        if name.stripped_root && !self.warned_absolute {
            self.warned_absolute = true;
            sh.events.event(&Event::Warning(format!(
                "removing the leading \"/\" from absolute names (first: {}); they are written below {}",
                entry.display_name(),
                sh.opts.target.display()
            )));
        }
        if let Some(admit) = &sh.opts.admit {
            admit(&entry)?;
        }
        sh.events.event(&Event::Entry {
            name: &entry.name,
            kind: entry.kind,
            size: entry.meta.size,
            link: if entry.kind == Kind::HardLink { entry.link_target.as_deref() } else { None },
        });
        if name.parts.is_empty() {
            if entry.kind == Kind::Dir {
                self.root_meta = Some(entry.meta);
            } else {
                sh.soft("create", b"", format!("{} names the target directory itself", entry.display_name()));
            }
            return Ok(());
        }
        let Some(parent) = self.parent(&entry.name, &name)? else { return Ok(()) };
        let key = name.key();
        let Ok(cname) = CString::new(name.last()) else { return Ok(()) };
        match entry.kind {
            Kind::Dir => {
                // A file of this name may still be queued or being written: let it land first, so that the
                // directory replaces it (and not the other way round).
                jobs.settle(sh, &key);
                self.dir(&parent, &cname, name, entry.meta, &key)
            }
            Kind::Symlink => self.symlink(&parent, &cname, &entry, &key),
            Kind::CharDev | Kind::BlockDev | Kind::Fifo => self.special(&parent, &cname, &entry, &key),
            Kind::HardLink if sh.opts.hard_links => self.link(parent, cname, &entry, key, jobs),
            Kind::File | Kind::HardLink => {
                let tracked = sh.opts.hard_links && entry.kind == Kind::File && entry.meta.nlink != 1;
                if tracked {
                    sh.begin(key.clone());
                }
                jobs.send(sh, Job::File { dir: parent, name: cname, key, entry: Box::new(entry), tracked });
                Ok(())
            }
        }
    }

    /// The open parent directory of `name`, creating missing ones. `None` when the entry was refused or
    /// failed softly.
    fn parent(&mut self, raw: &[u8], name: &SafeName) -> Result<Option<Arc<OwnedFd>>, Error> {
        let parts = &name.parts[..name.parts.len() - 1];
        match self.dirs.get(name.anchor, parts, Some(Mode::from_raw_mode(0o755))) {
            Ok(fd) => Ok(Some(fd)),
            Err(DirError::NotDir(k)) => {
                let why = format!("{} is a symlink or not a directory", self.sh.path(&k).display());
                self.sh.refuse(raw, &why);
                Ok(None)
            }
            Err(DirError::Io(k, e)) => {
                if meta::is_no_space(&e) {
                    return Err(self.sh.target_error("create", &k, e));
                }
                self.sh.soft("create", &k, e.to_string());
                Ok(None)
            }
        }
    }

    /// Removes an existing non-directory (or an empty directory) so that `name` can be created anew.
    fn remove(&mut self, dir: &OwnedFd, name: &CString, key: &[u8]) -> io::Result<()> {
        let st = rustix::fs::statat(dir, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)?;
        let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
        let flags = if is_dir { AtFlags::REMOVEDIR } else { AtFlags::empty() };
        rustix::fs::unlinkat(dir, name.as_c_str(), flags)?;
        if is_dir {
            self.dirs.forget(key);
        }
        Ok(())
    }

    /// Runs `create`; on EEXIST with overwrite, removes what is there and runs it again.
    fn create_replacing(
        &mut self,
        dir: &OwnedFd,
        name: &CString,
        key: &[u8],
        create: impl Fn() -> io::Result<()>,
    ) -> io::Result<()> {
        match create() {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) && self.sh.opts.overwrite => {
                self.remove(dir, name, key)?;
                create()
            }
            r => r,
        }
    }

    fn create_failed(&self, key: &[u8], e: io::Error) -> Result<(), Error> {
        if meta::is_no_space(&e) {
            return Err(self.sh.target_error("create", key, e));
        }
        self.sh.soft("create", key, e.to_string());
        Ok(())
    }

    fn dir(
        &mut self,
        parent: &OwnedFd,
        cname: &CString,
        name: SafeName,
        meta: Meta,
        key: &[u8],
    ) -> Result<(), Error> {
        let sh = self.sh;
        let mode = if sh.opts.mode == Policy::Off { (meta.mode & 0o777) | 0o700 } else { 0o700 };
        match rustix::fs::mkdirat(parent, cname.as_c_str(), Mode::from_raw_mode(mode)) {
            Ok(()) => {}
            Err(rustix::io::Errno::EXIST) => {
                let st = rustix::fs::statat(parent, cname.as_c_str(), AtFlags::SYMLINK_NOFOLLOW);
                let is_dir =
                    st.map(|s| FileType::from_raw_mode(s.st_mode) == FileType::Directory).unwrap_or(false);
                if !is_dir {
                    if !sh.opts.overwrite {
                        return self.create_failed(key, io::Error::from_raw_os_error(libc::EEXIST));
                    }
                    let r = self.remove(parent, cname, key).and_then(|()| {
                        rustix::fs::mkdirat(parent, cname.as_c_str(), Mode::from_raw_mode(mode))?;
                        Ok(())
                    });
                    if let Err(e) = r {
                        return self.create_failed(key, e);
                    }
                    sh.events.event(&Event::Warning(format!(
                        "{}: replaced the file of the same name by the directory",
                        sh.path(key).display()
                    )));
                }
            }
            Err(e) => return self.create_failed(key, e.into()),
        }
        sh.counters.dirs.fetch_add(1, Ordering::Relaxed);
        self.pending_dirs.push((name, meta));
        Ok(())
    }

    fn symlink(&mut self, parent: &OwnedFd, cname: &CString, entry: &Entry, key: &[u8]) -> Result<(), Error> {
        let sh = self.sh;
        let Some(target) = entry.link_target.as_deref() else {
            sh.soft("create", key, "symlink without a target".into());
            return Ok(());
        };
        let Ok(ctarget) = CString::new(target) else {
            sh.soft("create", key, "symlink target contains a NUL byte".into());
            return Ok(());
        };
        let r = self.create_replacing(parent, cname, key, || {
            rustix::fs::symlinkat(ctarget.as_c_str(), parent, cname.as_c_str())?;
            Ok(())
        });
        if let Err(e) = r {
            return self.create_failed(key, e);
        }
        sh.counters.symlinks.fetch_add(1, Ordering::Relaxed);
        let skip_owner = self.owner_known && entry.meta.uid == sh.euid && entry.meta.gid == sh.egid;
        let how = Apply { skip_owner, skip_mode: true };
        meta::apply(sh, Obj::At(parent.as_fd(), cname), Kind::Symlink, &entry.meta, key, how)
    }

    fn special(&mut self, parent: &OwnedFd, cname: &CString, entry: &Entry, key: &[u8]) -> Result<(), Error> {
        let sh = self.sh;
        if sh.opts.devices == Policy::Off {
            return Ok(());
        }
        let ft = match entry.kind {
            Kind::CharDev => FileType::CharacterDevice,
            Kind::BlockDev => FileType::BlockDevice,
            _ => FileType::Fifo,
        };
        let dev = if entry.kind == Kind::Fifo { 0 } else { entry.meta.rdev.to_dev() };
        let r = self.create_replacing(parent, cname, key, || {
            rustix::fs::mknodat(
                parent,
                cname.as_c_str(),
                ft,
                Mode::from_raw_mode(entry.meta.mode & 0o777),
                dev,
            )?;
            Ok(())
        });
        if let Err(e) = r {
            if e.raw_os_error() == Some(libc::EEXIST) || meta::is_no_space(&e) {
                return self.create_failed(key, e);
            }
            return sh.class_failed("devices", sh.opts.devices, key, e);
        }
        sh.counters.specials.fetch_add(1, Ordering::Relaxed);
        let how = Apply { skip_owner: false, skip_mode: false };
        meta::apply(sh, Obj::At(parent.as_fd(), cname), entry.kind, &entry.meta, key, how)
    }

    fn link(
        &mut self,
        parent: Arc<OwnedFd>,
        cname: CString,
        entry: &Entry,
        key: Vec<u8>,
        jobs: &mut JobQueue,
    ) -> Result<(), Error> {
        let sh = self.sh;
        let Some(target) = entry.link_target.as_deref() else {
            sh.soft("create", &key, "hard link without a target".into());
            return Ok(());
        };
        let from = match names::resolve(target, sh.opts.absolute_names) {
            Ok(f) if !f.parts.is_empty() => f,
            Ok(_) => {
                sh.refuse(&entry.name, "hard link to the target directory itself");
                return Ok(());
            }
            Err(why) => {
                sh.refuse(
                    &entry.name,
                    &format!("its link target {}: {why}", String::from_utf8_lossy(target)),
                );
                return Ok(());
            }
        };
        let from_parts = &from.parts[..from.parts.len() - 1];
        let from_dir = match self.dirs.get(from.anchor, from_parts, None) {
            Ok(fd) => fd,
            Err(DirError::NotDir(k)) => {
                let why = format!("its link target passes through {}", sh.path(&k).display());
                sh.refuse(&entry.name, &why);
                return Ok(());
            }
            Err(DirError::Io(k, e)) => {
                sh.soft("link", &key, format!("{}: {e}", sh.path(&k).display()));
                return Ok(());
            }
        };
        let Ok(from_name) = CString::new(from.last()) else { return Ok(()) };
        jobs.send(sh, Job::Link { from_dir, from_name, from_key: from.key(), dir: parent, name: cname, key });
        Ok(())
    }

    /// Applies the metadata of every directory, deepest first, then of the target itself.
    fn finish_dirs(&mut self) -> Result<(), Error> {
        let sh = self.sh;
        let mut pending = std::mem::take(&mut self.pending_dirs);
        pending.sort_by_key(|(n, _)| std::cmp::Reverse(n.parts.len()));
        for (name, meta) in pending {
            let key = name.key();
            let fd = match self.dirs.get(name.anchor, &name.parts, None) {
                Ok(fd) => fd,
                Err(DirError::NotDir(_)) => continue,
                Err(DirError::Io(k, e)) => {
                    sh.soft("create", &k, e.to_string());
                    continue;
                }
            };
            let how = Apply { skip_owner: false, skip_mode: false };
            meta::apply(sh, Obj::Fd(fd.as_fd()), Kind::Dir, &meta, &key, how)?;
        }
        if let Some(meta) = self.root_meta.take() {
            let fd = self.dirs.target().clone();
            let how = Apply { skip_owner: false, skip_mode: false };
            meta::apply(sh, Obj::Fd(fd.as_fd()), Kind::Dir, &meta, b"", how)?;
        }
        Ok(())
    }
}

/// File and link jobs go to the workers at most this many at a time: one hand-off per batch instead of per
/// file. Each worker's queue is in stream order (FIFO) and a job only ever waits for an earlier one (a hard
/// link for its file), so the earliest unfinished job never waits: no worker waits on a batch nobody takes.
const JOB_BATCH: usize = 64;

/// A batch that starts a directory goes to a worker with fewer than this many batches waiting: every job
/// holds its directories open, and deeper queues (eight batches of up to 64) ran a clone of 80k files out of
/// 512 descriptors.
const QUEUE_NEW_DIR: usize = 2;

/// A batch that goes on in the directory the previous batch ended in joins that batch's worker while its
/// queue holds fewer than this many: two workers creating names in one directory wait on its lock (6.6% of
/// a restore's CPU span there), while these batches pin that one directory only. A full queue spills over.
const QUEUE_SAME_DIR: usize = 16;

/// A batch of at least this many jobs is handed over as soon as the next job is in another directory, so that
/// workers mostly create files in different directories: creating a name locks its directory, and two workers
/// filling the same directory wait on each other.
const JOB_BATCH_DIR: usize = 8;

/// A batch holds at most this many hard links. A link pins the directory of its first name as well, and the
/// hard links of a system gather in a few directories (`/usr/sbin`) while their first names are spread all
/// over it: 64 of them to a batch held ~400 directories open at once.
const JOB_LINKS: usize = 8;

impl Job {
    /// The directory the job creates a name in.
    fn dir(&self) -> &Arc<OwnedFd> {
        match self {
            Job::File { dir, .. } | Job::Link { dir, .. } => dir,
        }
    }
}

/// The dispatcher's side of the worker queue.
struct JobQueue<'r> {
    /// Woken when a worker takes a batch: the dispatcher may be waiting for a short queue.
    room: &'r Room,
    /// Each worker's queue.
    txs: Vec<crossbeam_channel::Sender<Vec<Job>>>,
    /// The directory of the last job handed over, and the worker it went to.
    last: Option<(Arc<OwnedFd>, usize)>,
    /// Where the search for a worker with room starts (round robin among equals).
    next: usize,
    pending: Vec<Job>,
    /// In-memory file data held by `pending`.
    bytes: usize,
    /// Hard links in `pending`: each may hold another directory open (its first name's).
    links: usize,
    /// Jobs handed over (or pending) so far; the workers count the finished ones in `Shared::jobs_done`.
    sent: u64,
    /// A bit per hash of the names of files sent to the workers: a directory entry whose bit is set may
    /// replace one of them (a false hit only costs a wait).
    file_names: Box<[u64]>,
}

/// Words of [`JobQueue::file_names`]: 2^23 bits, 1 MiB (zeroed pages are mapped only when touched). With
/// one bit per name in 2^20 bits a tree of 30,000 files made every 35th directory wait for all the workers
/// to drain (a false hit); two bits per name in 2^23 make that about one in 20,000.
const FILE_NAME_WORDS: usize = 1 << 17;

/// The two bits of a name in [`JobQueue::file_names`] (halves of one FNV-1a hash): (word, mask) each.
fn name_bits(key: &[u8]) -> [(usize, u64); 2] {
    let h =
        key.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let bit = |x: u64| ((x >> 6) as usize % FILE_NAME_WORDS, 1u64 << (x & 63));
    [bit(h), bit(h.rotate_right(32))]
}

/// A worker took a batch off its queue (see [`JobQueue::flush`]).
#[derive(Default)]
struct Room {
    lock: std::sync::Mutex<()>,
    taken: std::sync::Condvar,
}

impl Room {
    /// Wakes the dispatcher; taking the lock first means a wake-up between its look at the queues and its
    /// wait is never lost.
    fn took(&self) {
        drop(self.lock.lock());
        self.taken.notify_one();
    }
}

impl JobQueue<'_> {
    fn send(&mut self, sh: &Shared<'_>, job: Job) {
        // A streamed file's producer waits for this job to consume its chunks: hand it over at once.
        let stream = matches!(&job, Job::File { entry, .. } if matches!(entry.data, EntryData::Stream(_)));
        if let Job::File { entry, key, .. } = &job {
            self.bytes += entry.data.in_memory_len();
            for (w, m) in name_bits(key) {
                self.file_names[w] |= m;
            }
        }
        self.sent += 1;
        if self.pending.len() >= JOB_BATCH_DIR
            && self.pending.last().is_some_and(|last| !Arc::ptr_eq(last.dir(), job.dir()))
        {
            self.flush(sh);
        }
        self.links += usize::from(matches!(job, Job::Link { .. }));
        self.pending.push(job);
        if stream
            || self.pending.len() >= JOB_BATCH
            || self.links >= JOB_LINKS
            || self.bytes >= crate::batch::BATCH_BYTES
        {
            self.flush(sh);
        }
    }

    /// Waits until a file named `key`, if one was sent, is written: hands the pending jobs over and waits
    /// for the workers to finish every job sent so far (or for the run to stop).
    fn settle(&mut self, sh: &Shared<'_>, key: &[u8]) {
        if name_bits(key).iter().any(|&(w, m)| self.file_names[w] & m == 0) {
            return;
        }
        self.flush(sh);
        while sh.jobs_done.load(Ordering::Acquire) < self.sent && !sh.stopped() {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }

    /// Hands the pending jobs to the workers; when they are gone (stopping), releases the files that hard
    /// links would wait for.
    fn flush(&mut self, sh: &Shared<'_>) {
        if self.pending.is_empty() {
            return;
        }
        self.bytes = 0;
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(JOB_BATCH));
        let stream = batch
            .iter()
            .any(|j| matches!(j, Job::File { entry, .. } if matches!(entry.data, EntryData::Stream(_))));
        let links = self.links > 0;
        self.links = 0;
        let last_dir = batch.last().map(|j| j.dir().clone());
        // Only a batch wholly in the last batch's directory joins its worker's longer queue, so that queue pins
        // one directory. A streamed file holds up the reader until its job runs: never behind a long queue.
        // Hard links pin other directories too: their batches keep to the short queues.
        let same = match &self.last {
            Some((dir, w)) if !stream && !links && batch.iter().all(|j| Arc::ptr_eq(dir, j.dir())) => {
                Some(*w)
            }
            _ => None,
        };
        let mut batch = batch;
        if let Some(w) = same {
            match self.txs[w].try_send(batch) {
                Ok(()) => {
                    self.last = last_dir.map(|d| (d, w));
                    return;
                }
                Err(crossbeam_channel::TrySendError::Full(b)) => batch = b,
                Err(crossbeam_channel::TrySendError::Disconnected(b)) => return Self::dropped(sh, b),
            }
        }
        // A worker with a short queue (the shortest, round robin among equals); wait for one when none is.
        let n = self.txs.len();
        let mut guard = self.room.lock.lock().ok();
        let w = loop {
            let best = (0..n).map(|i| (self.next + i) % n).min_by_key(|&i| self.txs[i].len());
            match best {
                Some(i) if self.txs[i].len() < QUEUE_NEW_DIR || sh.stopped() || guard.is_none() => break i,
                Some(_) => {
                    // The timeout only guards against a worker gone without a word.
                    let wait = std::time::Duration::from_millis(1);
                    guard = guard.and_then(|g| self.room.taken.wait_timeout(g, wait).ok()).map(|(g, _)| g);
                }
                None => return Self::dropped(sh, batch),
            }
        };
        drop(guard);
        self.next = (w + 1) % n;
        match self.txs[w].send(batch) {
            Ok(()) => self.last = last_dir.map(|d| (d, w)),
            Err(crossbeam_channel::SendError(b)) => Self::dropped(sh, b),
        }
    }

    /// A batch no worker takes (the run is stopping): counted as done, and the files that hard links would
    /// wait for are released.
    fn dropped(sh: &Shared<'_>, batch: Vec<Job>) {
        sh.jobs_done.fetch_add(batch.len() as u64, Ordering::Release);
        for job in batch {
            if let Job::File { key, tracked: true, .. } = job {
                sh.end(&key);
            }
        }
    }
}

fn worker(sh: &Shared<'_>, room: &Room, jobs: Receiver<Vec<Job>>, owner_known: bool) {
    let mut buf = Vec::new();
    for job in jobs.iter().inspect(|_| room.took()).flatten() {
        match job {
            Job::File { dir, name, key, entry, tracked } => {
                let r = if sh.stopped() {
                    Ok(())
                } else {
                    file(sh, &dir, &name, &key, *entry, owner_known, &mut buf)
                };
                if tracked {
                    sh.end(&key);
                }
                if let Err(e) = r {
                    sh.fail(e);
                }
            }
            Job::Link { from_dir, from_name, from_key, dir, name, key } => {
                if !sh.stopped() {
                    sh.wait_for(&from_key);
                    if let Err(e) = hard_link(sh, &from_dir, &from_name, &dir, &name, &key) {
                        sh.fail(e);
                    }
                }
            }
        }
        sh.jobs_done.fetch_add(1, Ordering::Release);
    }
}

/// Opens a new regular file for writing; with overwrite, an existing regular file is truncated and anything
/// else is removed first. Returns whether the file already existed.
fn open_new(sh: &Shared<'_>, dir: &OwnedFd, name: &CString, mode: u32) -> io::Result<(OwnedFd, bool)> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::openat(dir, name.as_c_str(), flags, Mode::from_raw_mode(mode)) {
        Ok(fd) => Ok((fd, false)),
        Err(rustix::io::Errno::EXIST) if sh.opts.overwrite => {
            let st = rustix::fs::statat(dir, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)?;
            match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile => {
                    let f = OFlags::WRONLY
                        | OFlags::TRUNC
                        | OFlags::NOFOLLOW
                        | OFlags::NONBLOCK
                        | OFlags::CLOEXEC;
                    Ok((rustix::fs::openat(dir, name.as_c_str(), f, Mode::empty())?, true))
                }
                FileType::Directory => {
                    rustix::fs::unlinkat(dir, name.as_c_str(), AtFlags::REMOVEDIR)?;
                    Ok((rustix::fs::openat(dir, name.as_c_str(), flags, Mode::from_raw_mode(mode))?, false))
                }
                _ => {
                    rustix::fs::unlinkat(dir, name.as_c_str(), AtFlags::empty())?;
                    Ok((rustix::fs::openat(dir, name.as_c_str(), flags, Mode::from_raw_mode(mode))?, false))
                }
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn file(
    sh: &Shared<'_>,
    dir: &OwnedFd,
    name: &CString,
    key: &[u8],
    entry: Entry,
    owner_known: bool,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    let m = entry.meta.mode & 0o777;
    // A live source is opened before its target is created: one that vanished or cannot be read is reported
    // by its own path and leaves nothing in the target.
    let source_path = match &entry.data {
        EntryData::Source(src) => Some(&src.path),
        _ => None,
    };
    let opened = match &entry.data {
        EntryData::Source(src) if src.open.is_none() => match data::open_source(src) {
            Ok(fd) => Some(fd),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                // Deleted since the walk: the target matches the source as it is now.
                sh.counters.vanished.fetch_add(1, Ordering::Relaxed);
                sh.events.event(&Event::Warning(format!(
                    "{}: deleted before it was copied; left out",
                    src.path.display()
                )));
                return Ok(());
            }
            Err(e) => {
                sh.soft_at("read", &src.path, e.to_string());
                return Ok(());
            }
        },
        _ => None,
    };
    let (out, existed) = match open_new(sh, dir, name, m) {
        Ok(x) => x,
        Err(e) if meta::is_no_space(&e) => return Err(sh.target_error("create", key, e)),
        Err(e) => {
            sh.soft("create", key, e.to_string());
            return Ok(());
        }
    };
    let mut meta = entry.meta;
    match data::write(sh, &out, &entry.data, opened, &meta, buf) {
        Ok(w) => {
            sh.counters.bytes.fetch_add(w.bytes, Ordering::Relaxed);
            // The target describes the version copied, not the one the walk saw.
            if let Some((len, mtime)) = w.copied {
                meta.size = len;
                meta.mtime = mtime;
            }
            match (&w.change, source_path) {
                (data::Change::None, _) | (_, None) => {}
                (data::Change::Settled(detail), Some(p)) => {
                    sh.counters.changed.fetch_add(1, Ordering::Relaxed);
                    let path = p.display().to_string();
                    sh.events.event(&Event::Changed { path: &path, detail });
                }
                (data::Change::Unsettled(message), Some(p)) => {
                    sh.counters.changed.fetch_add(1, Ordering::Relaxed);
                    sh.soft_at("changed", p, message.clone());
                }
            }
        }
        Err(data::DataError::Stopped) => return Ok(()),
        Err(data::DataError::Write(e)) if meta::is_no_space(&e) => {
            return Err(sh.target_error("write", key, e))
        }
        Err(data::DataError::Write(e)) => {
            sh.soft("write", key, e.to_string());
            return Ok(());
        }
        Err(data::DataError::Read(e)) => match source_path {
            // A live file that failed while read: named by its source path, and its incomplete copy removed.
            Some(p) => {
                drop(out);
                let _ = rustix::fs::unlinkat(dir, name.as_c_str(), AtFlags::empty());
                sh.soft_at("read", p, e.to_string());
                return Ok(());
            }
            None => {
                sh.soft("read", key, e.to_string());
                return Ok(());
            }
        },
    }
    sh.counters.files.fetch_add(1, Ordering::Relaxed);
    let meta = &meta;
    let skip_owner = !existed && owner_known && meta.uid == sh.euid && meta.gid == sh.egid;
    // The file was created with the wanted permission bits; only special bits, bits the umask took away, or
    // an existing file need a chmod (an ACL forces one too, see `apply`).
    let umask_took = sh.umask.map(|u| meta.mode & u & 0o777 != 0).unwrap_or(true);
    let skip_mode = !existed && owner_known && meta.mode & 0o7000 == 0 && !umask_took;
    meta::apply(sh, Obj::Fd(out.as_fd()), Kind::File, meta, key, Apply { skip_owner, skip_mode })
}

fn hard_link(
    sh: &Shared<'_>,
    from_dir: &OwnedFd,
    from_name: &CString,
    dir: &OwnedFd,
    name: &CString,
    key: &[u8],
) -> Result<(), Error> {
    let link = || rustix::fs::linkat(from_dir, from_name.as_c_str(), dir, name.as_c_str(), AtFlags::empty());
    let r = match link() {
        Err(rustix::io::Errno::EXIST) if sh.opts.overwrite => {
            let st = rustix::fs::statat(dir, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW);
            let is_dir =
                st.map(|s| FileType::from_raw_mode(s.st_mode) == FileType::Directory).unwrap_or(false);
            let flags = if is_dir { AtFlags::REMOVEDIR } else { AtFlags::empty() };
            rustix::fs::unlinkat(dir, name.as_c_str(), flags).and_then(|()| link())
        }
        r => r,
    };
    match r {
        Ok(()) => {
            sh.counters.hardlinks.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        Err(e) if meta::is_no_space(&e.into()) => Err(sh.target_error("link", key, e.into())),
        Err(e) => {
            sh.soft("link", key, io::Error::from(e).to_string());
            Ok(())
        }
    }
}
