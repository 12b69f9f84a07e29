//! Reader stage for live filesystems: a parallel walker that emits [`Entry`]s in a deterministic order.
//!
//! # Names and order
//!
//! Names are archive names relative to [`WalkOptions::root`]: the root of the `/` filesystem is emitted as
//! `.` (AIX's `find .` prints `.` first; mksysb's list uses `./`, which names the same directory), its children
//! as `./etc`, `./usr/bin/ls`. The root of a listed filesystem such as `/usr` is emitted as `./usr`.
//!
//! The order is depth-first, a directory before its contents, names sorted bytewise within each directory,
//! identical for every run and every thread count (`./a`, `./a/x`, `./b`). Listed filesystems are walked one
//! after the other in sorted order of their names.
//!
//! # One filesystem at a time
//!
//! Each listed filesystem is walked like `find -xdev`: a directory on another device, or named in
//! [`WalkOptions::extra_foreign`], is emitted as a directory but not read. A directory that is itself a listed
//! filesystem is *not* emitted by its parent filesystem's walk: it is emitted once, as the root of its own
//! walk. AIX's `find` emits such a mount point twice (once in each walk); the duplicate carries no information
//! and costs an inode on restore, so we drop it. Because listed filesystems are walked in sorted order, a
//! mount point still comes after its parent directory.
//!
//! # How it is fast
//!
//! Directories are opened with `openat(O_DIRECTORY|O_NOFOLLOW)` relative to their parent's descriptor, read
//! with raw `getdents64` into a reused 64 KiB buffer, and every child is `statx`ed relative to the directory
//! descriptor (or, when the consumer wants data, a regular file is opened and stat'ed through its own
//! descriptor, which the entry then carries). Work runs on a small pool of threads; jobs wait in a priority
//! queue ordered by their position in the depth-first order, so the worker always picks what the emitter needs
//! soonest. The emitter walks the
//! tree in order, waits for each directory's listing (helping with queued work while it waits) and keeps at
//! most a bounded window of listings outstanding, so memory and open descriptors stay bounded. Directories
//! with more than [`SPLIT_THRESHOLD`] entries split their `statx` work across the pool.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, SeekFrom, StatxFlags, CWD};
use rustix::io::Errno;

use crate::acl::PosixAcl;
use crate::entry::{DevId, Entry, EntryData, Kind, Meta, OpenFile, SourceFile, Timestamp, Xattr};
use crate::error::Error;
use crate::events::{Event, Events};

/// Directories with more entries than this have their `statx` work split across the pool. A rootvg has a few
/// flat directories of hundreds or thousands of names (`/etc`, `/usr/bin`, `/usr/lib`); stat'ing (and, for a
/// copy, opening) one of them on a single thread left the writer without work and a core idle: ~35 ms per
/// 7,000 names, and ~50 ms at the very start for an `/etc` of 833 names and symlinks (clone of 80k files:
/// 1.57 -> 1.75 CPUs busy at 1,024).
pub const SPLIT_THRESHOLD: usize = 256;

/// How many names one split `statx` chunk holds.
const CHUNK: usize = 128;

/// Size of the reused `getdents64` buffer.
const DIRENT_BUF: usize = 64 * 1024;

/// How often (in entries) a [`Event::Progress`] is sent.
const PROGRESS_EVERY: u64 = 8192;

/// What to walk and how.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// The source system's `/` (on the live system, `/` itself).
    pub root: PathBuf,
    /// Mount points of the filesystems to walk, as absolute paths inside the source (`/usr` means
    /// `root/usr`); empty means just `/`.
    pub filesystems: Vec<PathBuf>,
    /// Threads doing directory work, the emitting thread included (0: one per CPU). The output order does
    /// not depend on it.
    pub threads: usize,
    /// Read extended attributes (other than ACLs) into [`Meta::xattrs`].
    pub xattrs: bool,
    /// Read POSIX ACLs into [`Meta::acl`] and [`Meta::default_acl`].
    pub acls: bool,
    /// Paths inside the source treated as foreign mount points even on the same device (e.g. `/alt_inst`).
    pub extra_foreign: Vec<PathBuf>,
    /// Attach [`EntryData::Source`] to regular files and hard links (a listing or count does not need it).
    ///
    /// A regular file is then opened by the walker, stat'ed through that descriptor and carried open in
    /// [`SourceFile::open`] (at most an eighth of `RLIMIT_NOFILE`, 4096, at once; beyond that the source is its
    /// directory and name only). Each source keeps its parent directory's descriptor open until the entry is
    /// dropped, so a consumer must not hoard entries of more directories than the descriptor limit allows.
    pub with_data_source: bool,
    /// Read regular files up to this many bytes into memory in the walker's threads, so their data arrives
    /// as [`EntryData::Bytes`] (0: never). An archive writer is one sequential thread: reading small files in
    /// parallel ahead of it takes their open/read/close off that thread. At most [`READ_AHEAD_BUDGET`] bytes
    /// are held this way at once; beyond that, and for larger or sparse files, entries carry
    /// [`EntryData::Source`]. Needs `with_data_source`.
    pub read_ahead: u64,
    /// Whether the files opened for the consumer are read ahead by the kernel ([`crate::prefetch`]).
    pub prefetch: crate::prefetch::Prefetch,
}

impl WalkOptions {
    /// The one starting point of every walk: `root`'s `/` filesystem, extended attributes and ACLs read,
    /// [`crate::threads::default_threads`] threads, no file data. Change what a command needs with the setters.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WalkOptions {
            root: root.into(),
            threads: crate::threads::default_threads(),
            xattrs: true,
            acls: true,
            ..WalkOptions::default()
        }
    }

    /// Walks these filesystems (mount points inside the source, e.g. `/`, `/usr`) instead of `/` alone.
    pub fn filesystems<P: AsRef<Path>>(mut self, fs: impl IntoIterator<Item = P>) -> Self {
        self.filesystems = fs.into_iter().map(|p| p.as_ref().to_path_buf()).collect();
        self
    }

    /// Uses `n` threads (0: the default, see [`crate::threads::or_default`]).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = crate::threads::or_default(n);
        self
    }

    /// Whether extended attributes and POSIX ACLs are read.
    pub fn metadata(mut self, xattrs: bool, acls: bool) -> Self {
        self.xattrs = xattrs;
        self.acls = acls;
        self
    }

    /// Treats `path` (inside the source) as a foreign mount point: emitted, not read (e.g. `/alt_inst`).
    pub fn foreign(mut self, path: impl Into<PathBuf>) -> Self {
        self.extra_foreign.push(path.into());
        self
    }

    /// Whether regular files carry their data source (see [`WalkOptions::with_data_source`]).
    pub fn with_data_source(mut self, on: bool) -> Self {
        self.with_data_source = on;
        self
    }

    /// When files opened for the consumer are read ahead (see [`crate::prefetch`]).
    pub fn prefetch(mut self, p: crate::prefetch::Prefetch) -> Self {
        self.prefetch = p;
        self
    }

    /// Reads files up to `bytes` into memory in the walker (see [`WalkOptions::read_ahead`]); needs data.
    pub fn read_ahead(mut self, bytes: u64) -> Self {
        self.read_ahead = bytes;
        self
    }
}

/// A good [`WalkOptions::read_ahead`] for archive writers: most files of a system are smaller.
pub const READ_AHEAD_DEFAULT: u64 = 64 << 10;

/// At most this many bytes of read-ahead file data are in flight (read, not yet written) at once.
pub const READ_AHEAD_BUDGET: usize = 16 << 20;

/// The pruning hook: true for a directory name (`./var/spool`) whose contents must not be read.
pub type Prune<'a> = &'a (dyn Fn(&[u8]) -> bool + Sync);

/// Totals of one walk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Entries emitted.
    pub entries: u64,
    /// Directories emitted.
    pub dirs: u64,
    /// Regular files emitted as [`Kind::File`] (hard links to them are not counted again).
    pub files: u64,
    /// Data bytes of the [`Kind::File`] entries.
    pub bytes: u64,
    /// Soft errors reported (entries or directories that could not be read).
    pub soft_errors: u64,
    /// Names deleted between the listing of their directory and their stat (one warning each).
    pub vanished: u64,
    /// Sockets skipped.
    pub sockets_skipped: u64,
    /// Directories emitted but not descended because they are foreign mount points.
    pub foreign_mounts: u64,
}

/// The [`SoftErr`] class of a name that was deleted before its stat: a warning, not an error.
const VANISHED: &str = "vanished";

/// A soft error found by a worker, reported by the emitter so events come in walk order.
#[derive(Debug)]
struct SoftErr {
    class: &'static str,
    message: String,
}

/// What a worker learned about one name in a directory.
// Sockets are rare; boxing the common variant would cost an allocation per entry.
#[allow(clippy::large_enum_variant)]
enum Info {
    Entry {
        kind: Kind,
        meta: Meta,
        link_target: Option<Vec<u8>>,
        data: Option<Bytes>,
        open: Option<OpenFile>,
        warnings: Vec<SoftErr>,
    },
    Socket,
}

struct Child {
    name: CString,
    info: Result<Info, SoftErr>,
}

/// A directory's contents as read by a worker.
struct Listing {
    fd: Option<Arc<OwnedFd>>,
    result: Result<Vec<Part>, SoftErr>,
}

enum Part {
    Ready(Vec<Child>),
    Pending(Receiver<Vec<Child>>),
}

enum Work {
    Dir { parent: Arc<OwnedFd>, name: CString, path: Arc<PathBuf>, key: Vec<u32>, reply: Sender<Listing> },
    Stat { dir: Arc<OwnedFd>, names: Vec<(CString, FileType)>, path: Arc<PathBuf>, reply: Sender<Vec<Child>> },
}

/// A queued job; the heap pops the smallest key (earliest in depth-first order) first.
struct Queued {
    key: Vec<u32>,
    work: Work,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

struct QueueState {
    heap: BinaryHeap<Queued>,
    shutdown: bool,
}

/// State shared by the emitter and the workers.
struct Shared {
    queue: Mutex<QueueState>,
    cv: Condvar,
    xattrs: bool,
    acls: bool,
    proc_fd: bool,
    /// [`WalkOptions::read_ahead`] (0 when no data sources are wanted).
    read_ahead: u64,
    /// Read-ahead bytes not yet released by the consumer.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    /// How many regular files may be open for the consumer at once (0: the walker opens none).
    open_budget: usize,
    /// Files open for the consumer now.
    open_now: Arc<std::sync::atomic::AtomicUsize>,
    /// Reads started ahead of the consumer on a cold source.
    prefetch: crate::prefetch::Prefetcher,
}

impl Shared {
    fn push(&self, key: Vec<u32>, work: Work) {
        if let Ok(mut q) = self.queue.lock() {
            q.heap.push(Queued { key, work });
        }
        self.cv.notify_one();
    }

    fn try_pop(&self) -> Option<Queued> {
        self.queue.lock().ok()?.heap.pop()
    }

    /// Blocks until there is work or the walk is over.
    fn pop_wait(&self) -> Option<Queued> {
        let mut q = self.queue.lock().ok()?;
        loop {
            if q.shutdown {
                return None;
            }
            if let Some(w) = q.heap.pop() {
                return Some(w);
            }
            q = self.cv.wait(q).ok()?;
        }
    }

    fn shutdown(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.shutdown = true;
            q.heap.clear();
        }
        self.cv.notify_all();
    }

    /// Waits for a reply, running queued work meanwhile (the emitter is a worker too).
    fn wait<T>(&self, rx: &Receiver<T>) -> Option<T> {
        loop {
            match rx.try_recv() {
                Ok(v) => return Some(v),
                Err(crossbeam_channel::TryRecvError::Disconnected) => return None,
                Err(crossbeam_channel::TryRecvError::Empty) => {}
            }
            match self.try_pop() {
                Some(q) => self.run(q),
                None => return rx.recv().ok(),
            }
        }
    }

    fn run(&self, q: Queued) {
        match q.work {
            Work::Dir { parent, name, path, key, reply } => {
                let listing = self.read_dir(&parent, &name, path, key);
                let _ = reply.send(listing);
            }
            Work::Stat { dir, names, path, reply } => {
                let children = self.stat_children(&dir, &path, names);
                let _ = reply.send(children);
            }
        }
    }

    /// Opens a directory relative to its parent, reads and sorts its names and stats them.
    fn read_dir(&self, parent: &OwnedFd, name: &CStr, path: Arc<PathBuf>, key: Vec<u32>) -> Listing {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(parent, name, flags, Mode::empty()) {
            Ok(fd) => Arc::new(fd),
            Err(e) => {
                let message = format!("cannot open directory: {}", io::Error::from(e));
                return Listing { fd: None, result: Err(SoftErr { class: "read", message }) };
            }
        };
        self.list_fd(fd, path, key)
    }

    fn list_fd(&self, fd: Arc<OwnedFd>, path: Arc<PathBuf>, key: Vec<u32>) -> Listing {
        let names = match read_names(&fd) {
            Ok(n) => n,
            Err(e) => {
                let message = format!("cannot read directory: {}", io::Error::from(e));
                return Listing { fd: Some(fd), result: Err(SoftErr { class: "read", message }) };
            }
        };
        if names.len() <= SPLIT_THRESHOLD {
            let children = self.stat_children(&fd, &path, names);
            return Listing { fd: Some(fd), result: Ok(vec![Part::Ready(children)]) };
        }
        let mut parts = Vec::new();
        let mut names = names.into_iter().peekable();
        let mut chunk_no = 0u32;
        while names.peek().is_some() {
            let chunk: Vec<(CString, FileType)> = names.by_ref().take(CHUNK).collect();
            let (tx, rx) = crossbeam_channel::bounded(1);
            let mut k = key.clone();
            k.extend_from_slice(&[0, chunk_no]);
            chunk_no += 1;
            self.push(k, Work::Stat { dir: fd.clone(), names: chunk, path: path.clone(), reply: tx });
            parts.push(Part::Pending(rx));
        }
        Listing { fd: Some(fd), result: Ok(parts) }
    }

    /// `statx` one name relative to its directory, plus whatever its kind needs (link target, sparse map,
    /// xattrs and ACLs, and for a consumer of data an open descriptor or the data itself).
    fn stat_child(
        &self,
        dir: &OwnedFd,
        dir_path: &Path,
        name: CString,
        dtype: FileType,
        pre: Option<OpenFile>,
    ) -> Child {
        let info = self.stat_info(dir, dir_path, &name, dtype, pre);
        Child { name, info }
    }

    /// [`Self::stat_child`] for each name of a listing (or a chunk of one). When the walker reads small files
    /// itself (an archive writer's walk) and the source is cold, the regular files are opened and their reads
    /// started first, so the reads of the whole chunk are in flight together rather than one at a time.
    fn stat_children(&self, dir: &OwnedFd, dir_path: &Path, names: Vec<(CString, FileType)>) -> Vec<Child> {
        if self.read_ahead == 0 || !self.prefetch.is_cold() {
            return names.into_iter().map(|(n, t)| self.stat_child(dir, dir_path, n, t, None)).collect();
        }
        let pre: Vec<Option<OpenFile>> = names
            .iter()
            .map(|(n, t)| {
                let f = (*t == FileType::RegularFile).then(|| self.open_file(dir, n)).flatten();
                if let Some(f) = &f {
                    crate::prefetch::advise(f.file().as_fd());
                }
                f
            })
            .collect();
        names.into_iter().zip(pre).map(|((n, t), f)| self.stat_child(dir, dir_path, n, t, f)).collect()
    }

    /// Opens a regular file for the consumer of the walk, within the budget of open descriptors.
    fn open_file(&self, dir: &OwnedFd, name: &CStr) -> Option<OpenFile> {
        if !take(&self.open_now, 1, self.open_budget) {
            return None;
        }
        // NONBLOCK and NOCTTY: should the name have become a fifo or a device since it was listed, the open
        // must neither hang nor take a terminal; the statx through the descriptor then tells what it is.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC;
        match rustix::fs::openat(dir, name, flags, Mode::empty()) {
            Ok(fd) => Some(OpenFile::new(std::fs::File::from(fd), self.open_now.clone())),
            Err(_) => {
                // Left to the by-name path, which reports what is wrong in its usual words.
                self.open_now.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
                None
            }
        }
    }

    fn stat_info(
        &self,
        dir: &OwnedFd,
        dir_path: &Path,
        name: &CStr,
        dtype: FileType,
        pre: Option<OpenFile>,
    ) -> Result<Info, SoftErr> {
        // A regular file whose data will be wanted is opened first and stat'ed through the descriptor: one
        // path lookup instead of three (statx, the xattr listing and the consumer's own open by name), and
        // the data read later is that of the file stat'ed.
        // `pre`: opened by stat_children, its read already started.
        let advised = pre.is_some();
        let mut opened = match pre {
            Some(f) => Some(f),
            None if dtype == FileType::RegularFile => self.open_file(dir, name),
            None => None,
        };
        let stx = match &opened {
            Some(f) => rustix::fs::statx(f.file(), c"", AtFlags::EMPTY_PATH | stat_flags(), statx_mask()),
            None => rustix::fs::statx(dir, name, stat_flags(), statx_mask()),
        }
        .map_err(|e| match e {
            // Deleted since the directory was listed: the copy matches the source as it is now.
            Errno::NOENT => SoftErr { class: VANISHED, message: String::new() },
            e => SoftErr { class: "read", message: format!("cannot stat: {}", io::Error::from(e)) },
        })?;
        let mode = u32::from(stx.stx_mode);
        if mode & 0o170000 == 0o140000 {
            return Ok(Info::Socket);
        }
        let kind = Kind::from_ifmt(mode).ok_or_else(|| SoftErr {
            class: "read",
            message: format!("unknown file type 0o{:o}", mode & 0o170000),
        })?;
        if kind != Kind::File {
            opened = None;
        }
        // After the statx: the probe of the page cache reads a byte, which may move the atime.
        if let (Some(f), true, false) = (&opened, stx.stx_size > 0, advised) {
            self.prefetch.opened(f.file().as_fd());
        }
        let mut meta = meta_from_statx(&stx, kind);
        let mut warnings = Vec::new();
        let mut link_target = None;
        match kind {
            Kind::Symlink => {
                let t = rustix::fs::readlinkat(dir, name, Vec::new()).map_err(|e| SoftErr {
                    class: "read",
                    message: format!("cannot read symbolic link: {}", io::Error::from(e)),
                })?;
                let t = t.into_bytes();
                meta.size = t.len() as u64;
                link_target = Some(t);
            }
            Kind::File if stx.stx_blocks.saturating_mul(512) < stx.stx_size => {
                let mapped = match &opened {
                    // SEEK_DATA/SEEK_HOLE move the shared offset: rewind it for a consumer reading in order.
                    Some(f) => sparse_segments(f.file().as_fd(), stx.stx_size)
                        .and_then(|s| rustix::fs::seek(f.file(), SeekFrom::Start(0)).map(|_| s)),
                    None => sparse_map(dir, name, stx.stx_size),
                };
                match mapped {
                    Ok(s) => meta.sparse = s,
                    Err(e) => warnings.push(SoftErr {
                        class: "sparse",
                        message: format!("cannot map holes: {}", io::Error::from(e)),
                    }),
                }
            }
            _ => {}
        }
        if let Some(f) = &opened {
            if self.xattrs || self.acls {
                if let Err(e) = read_xattrs(XTarget::Fd(f.file().as_fd()), self.xattrs, self.acls, &mut meta)
                {
                    warnings.push(e);
                }
            }
        } else if (self.xattrs || self.acls) && !has_no_xattrs(dir, name) {
            let target = if self.proc_fd {
                let mut p = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
                p.extend_from_slice(name.to_bytes());
                p
            } else {
                dir_path.join(OsStr::from_bytes(name.to_bytes())).into_os_string().into_vec()
            };
            if let Err(e) = read_xattrs(XTarget::Path(&target), self.xattrs, self.acls, &mut meta) {
                warnings.push(e);
            }
        }
        let data = match &opened {
            Some(f) if meta.sparse.is_none() => {
                self.read_ahead(f, &meta, || dir_path.join(OsStr::from_bytes(name.to_bytes())))
            }
            _ => None,
        };
        if data.is_some() {
            opened = None;
        }
        Ok(Info::Entry { kind, meta, link_target, data, open: opened, warnings })
    }

    /// The whole content of a small regular file, read now (see [`WalkOptions::read_ahead`]); `None` when it
    /// is too large, the budget is spent, or it cannot be read as stat'ed (the consumer then reads it itself
    /// and reports what it finds). A file that changed while read (its stamp after the read is not the one
    /// stat'ed) is left to the consumer too, which reads it again through the same descriptor.
    fn read_ahead(&self, f: &OpenFile, meta: &Meta, path: impl FnOnce() -> PathBuf) -> Option<Bytes> {
        let size = meta.size;
        if size == 0 || size > self.read_ahead {
            return None;
        }
        let n = size as usize;
        if !take(&self.in_flight, n, READ_AHEAD_BUDGET) {
            return None;
        }
        let mut held = Held { data: vec![0; n], in_flight: self.in_flight.clone() };
        crate::live::before_read(path);
        let mut got = 0;
        while got < n {
            // pread: the descriptor's offset stays at 0 for a consumer that reads the file after all.
            match rustix::io::pread(f.file(), &mut held.data[got..], got as u64) {
                Ok(0) => return None,
                Ok(k) => got += k,
                Err(Errno::INTR) => {}
                Err(_) => return None,
            }
        }
        match crate::live::Stamp::of_fd(f.file()) {
            Ok((after, true)) if after == crate::live::Stamp::of_meta(meta) => {}
            _ => return None,
        }
        Some(Bytes::from_owner(held))
    }
}

/// Read-ahead data, counted in the walk's in-flight budget until the last reference to it is dropped.
struct Held {
    data: Vec<u8>,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(self.data.len(), std::sync::atomic::Ordering::Relaxed);
    }
}

/// Set once the kernel has said it has no `listxattrat` (Linux < 6.13).
static NO_LISTXATTRAT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// True when `name` in `dir` certainly has no extended attributes (and so no ACLs): one `listxattrat(2)` size
/// query relative to the directory handle. Most files have none, and this spares them the `/proc/self/fd`
/// path resolution the full read needs, the walker's largest cost after `statx`. `false` when unsure (old
/// kernel, error): the full read then decides and reports.
fn has_no_xattrs(dir: &OwnedFd, name: &CStr) -> bool {
    use std::sync::atomic::Ordering;
    // Linux 6.13 gave the *xattrat calls the same number on every architecture.
    const SYS_LISTXATTRAT: libc::c_long = 465;
    if NO_LISTXATTRAT.load(Ordering::Relaxed) {
        return false;
    }
    // SAFETY: a size query (NULL buffer, size 0) with a valid directory descriptor and a NUL-terminated name;
    // the kernel writes nothing to our memory.
    let r = unsafe {
        libc::syscall(
            SYS_LISTXATTRAT,
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW as libc::c_uint,
            std::ptr::null_mut::<libc::c_char>(),
            0usize,
        )
    };
    if r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS) {
        NO_LISTXATTRAT.store(true, Ordering::Relaxed);
    }
    r == 0
}

/// Never follow a final symlink, never trigger an automount (AIX `find -xdev` does not) and never wait for a
/// network filesystem to revalidate a mount point we will not descend anyway.
fn stat_flags() -> AtFlags {
    AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT | AtFlags::STATX_DONT_SYNC
}

/// The `statx` fields the walker asks for: what an [`Entry`]'s metadata needs, nothing more.
pub fn statx_mask() -> StatxFlags {
    StatxFlags::TYPE
        | StatxFlags::MODE
        | StatxFlags::NLINK
        | StatxFlags::UID
        | StatxFlags::GID
        | StatxFlags::ATIME
        | StatxFlags::MTIME
        | StatxFlags::CTIME
        | StatxFlags::INO
        | StatxFlags::SIZE
        | StatxFlags::BLOCKS
}

fn meta_from_statx(stx: &rustix::fs::Statx, kind: Kind) -> Meta {
    let ts = |t: &rustix::fs::StatxTimestamp| Timestamp { sec: t.tv_sec, nsec: t.tv_nsec };
    Meta {
        mode: u32::from(stx.stx_mode) & 0o7777,
        uid: stx.stx_uid,
        gid: stx.stx_gid,
        atime: ts(&stx.stx_atime),
        mtime: ts(&stx.stx_mtime),
        ctime: ts(&stx.stx_ctime),
        size: if matches!(kind, Kind::File | Kind::Symlink) { stx.stx_size } else { 0 },
        nlink: stx.stx_nlink,
        ino: stx.stx_ino,
        dev: DevId { major: stx.stx_dev_major, minor: stx.stx_dev_minor },
        rdev: if matches!(kind, Kind::CharDev | Kind::BlockDev) {
            DevId { major: stx.stx_rdev_major, minor: stx.stx_rdev_minor }
        } else {
            DevId::default()
        },
        ..Meta::default()
    }
}

thread_local! {
    static DIRENT: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(DIRENT_BUF));
}

/// All names of a directory except `.` and `..`, sorted bytewise.
fn read_names(fd: &OwnedFd) -> rustix::io::Result<Vec<(CString, FileType)>> {
    DIRENT.with(|buf| {
        let mut buf = buf.borrow_mut();
        let mut names = Vec::new();
        let mut dir = rustix::fs::RawDir::new(fd, buf.spare_capacity_mut());
        while let Some(ent) = dir.next() {
            let ent = ent?;
            let n = ent.file_name();
            if n.to_bytes() == b"." || n.to_bytes() == b".." {
                continue;
            }
            names.push((n.to_owned(), ent.file_type()));
        }
        names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(names)
    })
}

/// The data segments of a file whose blocks do not cover its size; `None` when it turns out dense or the
/// filesystem cannot say.
fn sparse_map(dir: &OwnedFd, name: &CStr, size: u64) -> rustix::io::Result<Option<Vec<(u64, u64)>>> {
    // NONBLOCK: should the name have become a fifo since the statx, the open must not hang.
    let base = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    let fd = match rustix::fs::openat(dir, name, base | OFlags::NOATIME, Mode::empty()) {
        Err(Errno::PERM) => rustix::fs::openat(dir, name, base, Mode::empty())?,
        r => r?,
    };
    sparse_segments(fd.as_fd(), size)
}

/// The data segments of the open file `fd` of `size` bytes (see [`sparse_map`]).
fn sparse_segments(fd: BorrowedFd<'_>, size: u64) -> rustix::io::Result<Option<Vec<(u64, u64)>>> {
    let mut segs = Vec::new();
    let mut pos = 0u64;
    while pos < size {
        let data = match rustix::fs::seek(fd, SeekFrom::Data(pos)) {
            Ok(d) => d,
            Err(Errno::NXIO) => break,
            Err(Errno::INVAL) | Err(Errno::NOTSUP) => return Ok(None),
            Err(e) => return Err(e),
        };
        if data >= size {
            break;
        }
        let hole = rustix::fs::seek(fd, SeekFrom::Hole(data))?.min(size);
        if hole <= data {
            break;
        }
        segs.push((data, hole - data));
        pos = hole;
    }
    if segs.len() == 1 && segs[0] == (0, size) {
        return Ok(None);
    }
    Ok(Some(segs))
}

/// Where to read xattrs from: an open descriptor (a walk root) or a path that is not followed at its end.
enum XTarget<'a> {
    Fd(BorrowedFd<'a>),
    Path(&'a [u8]),
}

fn x_list(t: &XTarget<'_>, buf: &mut Vec<u8>) -> rustix::io::Result<usize> {
    match t {
        XTarget::Fd(fd) => rustix::fs::flistxattr(fd, buf),
        XTarget::Path(p) => rustix::fs::llistxattr(*p, buf),
    }
}

fn x_list_query(t: &XTarget<'_>) -> rustix::io::Result<usize> {
    match t {
        XTarget::Fd(fd) => rustix::fs::flistxattr_query(fd),
        XTarget::Path(p) => rustix::fs::llistxattr_query(*p),
    }
}

fn x_get(t: &XTarget<'_>, name: &[u8]) -> rustix::io::Result<Option<Vec<u8>>> {
    for _ in 0..4 {
        let n = match t {
            XTarget::Fd(fd) => rustix::fs::fgetxattr_query(fd, name),
            XTarget::Path(p) => rustix::fs::lgetxattr_query(*p, name),
        };
        let n = match n {
            Ok(n) => n,
            Err(Errno::NODATA) => return Ok(None),
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(Some(Vec::new()));
        }
        let mut buf = vec![0u8; n];
        let got = match t {
            XTarget::Fd(fd) => rustix::fs::fgetxattr(fd, name, &mut buf),
            XTarget::Path(p) => rustix::fs::lgetxattr(*p, name, &mut buf),
        };
        match got {
            Ok(len) => {
                buf.truncate(len);
                return Ok(Some(buf));
            }
            Err(Errno::RANGE) => continue,
            Err(Errno::NODATA) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Err(Errno::RANGE)
}

const ACL_ACCESS: &[u8] = b"system.posix_acl_access";
const ACL_DEFAULT: &[u8] = b"system.posix_acl_default";

/// Reads xattrs and/or ACLs into `meta`; ACLs never go into `meta.xattrs`.
fn read_xattrs(t: XTarget<'_>, want_x: bool, want_acl: bool, meta: &mut Meta) -> Result<(), SoftErr> {
    let class = if want_x { "xattrs" } else { "acls" };
    let fail = |what: &str, e: Errno| SoftErr { class, message: format!("{what}: {}", io::Error::from(e)) };
    let mut list = Vec::new();
    for _ in 0..4 {
        let n = match x_list_query(&t) {
            Ok(n) => n,
            Err(Errno::NOTSUP) => return Ok(()),
            Err(e) => return Err(fail("cannot list extended attributes", e)),
        };
        if n == 0 {
            return Ok(());
        }
        list.resize(n, 0);
        match x_list(&t, &mut list) {
            Ok(len) => {
                list.truncate(len);
                break;
            }
            Err(Errno::RANGE) => {
                list.clear();
                continue;
            }
            Err(e) => return Err(fail("cannot list extended attributes", e)),
        }
    }
    let mut names: Vec<&[u8]> = list.split(|&b| b == 0).filter(|n| !n.is_empty()).collect();
    names.sort_unstable();
    for name in names {
        let is_access = name == ACL_ACCESS;
        let is_default = name == ACL_DEFAULT;
        let wanted = if is_access || is_default { want_acl } else { want_x };
        if !wanted {
            continue;
        }
        let Some(value) = x_get(&t, name).map_err(|e| {
            fail(&format!("cannot read extended attribute {}", String::from_utf8_lossy(name)), e)
        })?
        else {
            continue;
        };
        if is_access || is_default {
            let acl = PosixAcl::from_xattr(&value)
                .map_err(|e| SoftErr { class: "acls", message: format!("bad ACL: {e}") })?;
            if is_access && acl.is_extended() {
                meta.acl = Some(acl);
            } else if is_default && !acl.entries.is_empty() {
                meta.default_acl = Some(acl);
            }
        } else {
            meta.xattrs.push(Xattr { name: name.to_vec(), value });
        }
    }
    Ok(())
}

/// The xattrs and ACLs of `path` (not followed at its end) read exactly as the walker reads a source's, for
/// `clone --update` to compare a target with its source; `None` when they cannot be read.
pub(crate) fn path_xattrs(path: &[u8], want_x: bool, want_acl: bool) -> Option<Meta> {
    let mut meta = Meta::default();
    read_xattrs(XTarget::Path(path), want_x, want_acl, &mut meta).ok()?;
    Some(meta)
}

/// Turns a path inside the source (`/usr`, `usr`, `/`) into its archive name (`./usr`, `.`).
fn archive_name(p: &Path) -> Result<Vec<u8>, Error> {
    let mut name = b".".to_vec();
    for c in p.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(s) => {
                name.push(b'/');
                name.extend_from_slice(s.as_bytes());
            }
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::refused(format!(
                    "walk: {} must be a path inside the source without '..'",
                    p.display()
                )));
            }
        }
    }
    Ok(name)
}

/// The path of an archive name under the root.
fn full_path(root: &Path, name: &[u8]) -> PathBuf {
    match name.strip_prefix(b"./") {
        Some(rest) => root.join(OsStr::from_bytes(rest)),
        None => root.to_path_buf(),
    }
}

/// Opens a filesystem root inside the source, component by component without following symlinks, so a
/// symlink in the source can never lead the walk onto the host.
fn open_fs_root(root: &Path, name: &[u8]) -> Result<OwnedFd, Error> {
    let dflags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut fd = rustix::fs::openat(CWD, root, dflags, Mode::empty())
        .map_err(|e| Error::io("open", root, e.into()))?;
    if let Some(rest) = name.strip_prefix(b"./") {
        for comp in rest.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            fd = rustix::fs::openat(&fd, comp, dflags | OFlags::NOFOLLOW, Mode::empty())
                .map_err(|e| Error::io("open", full_path(root, name), e.into()))?;
        }
    }
    Ok(fd)
}

/// A subdirectory that will be descended, and whether its job is queued yet.
struct Sub {
    name: CString,
    path: Arc<PathBuf>,
    key: Vec<u32>,
    rx: Option<Receiver<Listing>>,
}

/// A child ready for emission.
struct Prepared {
    child: Child,
    full: Vec<u8>,
    /// Index into [`Frame::subs`] when the child is a directory to descend.
    sub: Option<usize>,
    foreign: bool,
}

/// One directory on the emitter's depth-first stack.
struct Frame {
    fd: Option<Arc<OwnedFd>>,
    items: std::vec::IntoIter<Prepared>,
    subs: Vec<Sub>,
    next_submit: usize,
}

/// The per-walk state of the emitter.
struct Emitter<'a> {
    opts: &'a WalkOptions,
    prune: Option<Prune<'a>>,
    events: &'a dyn Events,
    out: crate::batch::Batcher<'a>,
    shared: &'a Shared,
    stats: WalkStats,
    links: HashMap<(DevId, u64), (Vec<u8>, u32)>,
    listed: HashSet<Vec<u8>>,
    foreign: HashSet<Vec<u8>>,
    outstanding: usize,
    window: usize,
}

impl Emitter<'_> {
    fn soft(&mut self, class: &'static str, path: &Path, message: String) {
        if class == VANISHED {
            self.stats.vanished += 1;
            let msg = format!("{}: deleted before it was copied; left out", path.display());
            self.events.event(&Event::Warning(msg));
            return;
        }
        self.stats.soft_errors += 1;
        self.events.event(&Event::SoftError { class, path: path.display().to_string(), message });
    }

    fn send(&mut self, e: Entry) -> Result<(), Error> {
        self.stats.entries += 1;
        match e.kind {
            Kind::Dir => self.stats.dirs += 1,
            Kind::File => {
                self.stats.files += 1;
                self.stats.bytes += e.meta.size;
            }
            _ => {}
        }
        self.out.push(e).map_err(|_| Error::Cancelled("the consumer of the walk hung up".into()))?;
        if self.stats.entries.is_multiple_of(PROGRESS_EVERY) {
            self.events.event(&Event::Progress { entries: self.stats.entries, bytes: self.stats.bytes });
        }
        Ok(())
    }

    fn pruned(&self, name: &[u8]) -> bool {
        self.prune.is_some_and(|p| p(name))
    }

    /// Walks one filesystem whose root has archive name `fs_name`.
    fn walk_fs(&mut self, fs_idx: u32, fs_name: &[u8]) -> Result<(), Error> {
        let root_path = full_path(&self.opts.root, fs_name);
        let fd = open_fs_root(&self.opts.root, fs_name)?;
        let stx = rustix::fs::statx(&fd, c"", AtFlags::EMPTY_PATH, statx_mask())
            .map_err(|e| Error::io("stat", &root_path, e.into()))?;
        let fs_dev = DevId { major: stx.stx_dev_major, minor: stx.stx_dev_minor };
        let mut meta = meta_from_statx(&stx, Kind::Dir);
        if self.opts.xattrs || self.opts.acls {
            if let Err(e) = read_xattrs(XTarget::Fd(fd.as_fd()), self.opts.xattrs, self.opts.acls, &mut meta)
            {
                self.soft(e.class, &root_path, e.message);
            }
        }
        self.send(Entry::new(fs_name.to_vec(), Kind::Dir, meta))?;
        if self.pruned(fs_name) {
            return Ok(());
        }
        let listing = self.shared.list_fd(Arc::new(fd), Arc::new(root_path.clone()), vec![fs_idx]);
        let mut stack: Vec<Frame> = Vec::new();
        if let Some(f) = self.frame(listing, fs_name, &root_path, &[fs_idx], fs_dev) {
            stack.push(f);
            self.top_up(&mut stack);
        }
        while let Some(top) = stack.last_mut() {
            let Some(p) = top.items.next() else {
                stack.pop();
                continue;
            };
            let dir_fd = top.fd.clone();
            let Prepared { child, full, sub, foreign } = p;
            let info = match child.info {
                Ok(i) => i,
                Err(e) => {
                    self.soft(e.class, &full_path(&self.opts.root, &full), e.message);
                    continue;
                }
            };
            let (kind, meta, link_target, data, open, warnings) = match info {
                Info::Socket => {
                    self.stats.sockets_skipped += 1;
                    let msg = format!("socket will not be backed up: {}", String::from_utf8_lossy(&full));
                    self.events.event(&Event::Warning(msg));
                    continue;
                }
                Info::Entry { kind, meta, link_target, data, open, warnings } => {
                    (kind, meta, link_target, data, open, warnings)
                }
            };
            for w in warnings {
                self.soft(w.class, &full_path(&self.opts.root, &full), w.message);
            }
            let mut entry = Entry { name: full, kind, meta, link_target, data: EntryData::None };
            if kind == Kind::File && entry.meta.nlink > 1 {
                self.link(&mut entry);
            }
            if self.opts.with_data_source && matches!(entry.kind, Kind::File | Kind::HardLink) {
                if let Some(b) = data {
                    entry.data = EntryData::Bytes(b);
                } else if let Some(dir) = dir_fd {
                    entry.data = EntryData::Source(SourceFile {
                        dir,
                        name: child.name,
                        path: full_path(&self.opts.root, &entry.name),
                        open: open.map(Arc::new),
                    });
                }
            }
            if foreign {
                self.stats.foreign_mounts += 1;
            }
            let name_for_frame = sub.map(|_| entry.name.clone());
            self.send(entry)?;
            let (Some(si), Some(name)) = (sub, name_for_frame) else { continue };
            let listing = self.take_listing(&mut stack, si)?;
            let (path, key) = match stack.last().map(|f| &f.subs[si]) {
                Some(s) => (s.path.clone(), s.key.clone()),
                None => continue,
            };
            if let Some(f) = self.frame(listing, &name, &path, &key, fs_dev) {
                stack.push(f);
            }
            self.top_up(&mut stack);
        }
        Ok(())
    }

    /// Gets the listing of subdirectory `si` of the top frame, queueing its job first if needed.
    fn take_listing(&mut self, stack: &mut [Frame], si: usize) -> Result<Listing, Error> {
        let Some(top) = stack.last_mut() else {
            return Err(Error::Cancelled("walk: empty stack".into()));
        };
        let fd = top.fd.clone();
        let sub = &mut top.subs[si];
        // About to wait for a listing that is not ready: let the next stage work on what we have meanwhile.
        if self.out.pending() > 0 && sub.rx.as_ref().is_none_or(|rx| rx.is_empty()) {
            self.out.flush().map_err(|_| Error::Cancelled("the consumer of the walk hung up".into()))?;
        }
        let rx = match sub.rx.take() {
            Some(rx) => rx,
            None => {
                let Some(fd) = fd else {
                    return Err(Error::Cancelled("walk: directory without descriptor".into()));
                };
                top.next_submit = top.next_submit.max(si + 1);
                let (tx, rx) = crossbeam_channel::bounded(1);
                let work = Work::Dir {
                    parent: fd,
                    name: sub.name.clone(),
                    path: sub.path.clone(),
                    key: sub.key.clone(),
                    reply: tx,
                };
                self.shared.push(sub.key.clone(), work);
                self.outstanding += 1;
                rx
            }
        };
        let listing = self.shared.wait(&rx).ok_or_else(|| Error::Cancelled("walk: a worker died".into()))?;
        self.outstanding -= 1;
        Ok(listing)
    }

    /// Queues directory jobs, innermost frame first, until the window is full.
    fn top_up(&mut self, stack: &mut [Frame]) {
        for f in stack.iter_mut().rev() {
            let Some(fd) = f.fd.clone() else { continue };
            while f.next_submit < f.subs.len() {
                if self.outstanding >= self.window {
                    return;
                }
                let sub = &mut f.subs[f.next_submit];
                f.next_submit += 1;
                if sub.rx.is_some() {
                    continue;
                }
                let (tx, rx) = crossbeam_channel::bounded(1);
                let work = Work::Dir {
                    parent: fd.clone(),
                    name: sub.name.clone(),
                    path: sub.path.clone(),
                    key: sub.key.clone(),
                    reply: tx,
                };
                self.shared.push(sub.key.clone(), work);
                sub.rx = Some(rx);
                self.outstanding += 1;
            }
        }
    }

    /// Builds a frame from a listing: names, mount-point decisions and the subdirectories to descend.
    fn frame(
        &mut self,
        listing: Listing,
        dir_name: &[u8],
        dir_path: &Path,
        key: &[u32],
        fs_dev: DevId,
    ) -> Option<Frame> {
        let parts = match listing.result {
            Ok(p) => p,
            Err(e) => {
                self.soft(e.class, dir_path, e.message);
                return None;
            }
        };
        let mut children = Vec::new();
        for part in parts {
            match part {
                Part::Ready(c) => children.extend(c),
                Part::Pending(rx) => match self.shared.wait(&rx) {
                    Some(c) => children.extend(c),
                    None => self.soft("read", dir_path, "a worker died while reading".into()),
                },
            }
        }
        let mut items = Vec::with_capacity(children.len());
        let mut subs = Vec::new();
        for child in children {
            let mut full = Vec::with_capacity(dir_name.len() + 1 + child.name.to_bytes().len());
            full.extend_from_slice(dir_name);
            full.push(b'/');
            full.extend_from_slice(child.name.to_bytes());
            let mut sub = None;
            let mut foreign = false;
            if let Ok(Info::Entry { kind: Kind::Dir, meta, .. }) = &child.info {
                if self.listed.contains(&full) {
                    // Emitted as the root of its own walk.
                    continue;
                }
                if meta.dev != fs_dev || self.foreign.contains(&full) {
                    foreign = true;
                } else if !self.pruned(&full) {
                    let mut k = key.to_vec();
                    k.push(subs.len() as u32 + 1);
                    subs.push(Sub {
                        name: child.name.clone(),
                        path: Arc::new(full_path(&self.opts.root, &full)),
                        key: k,
                        rx: None,
                    });
                    sub = Some(subs.len() - 1);
                }
            }
            items.push(Prepared { child, full, sub, foreign });
        }
        Some(Frame { fd: listing.fd, items: items.into_iter(), subs, next_submit: 0 })
    }

    /// Turns the second and later names of a multiply linked file into hard links to the first.
    fn link(&mut self, entry: &mut Entry) {
        let key = (entry.meta.dev, entry.meta.ino);
        if let Some((first, left)) = self.links.get_mut(&key) {
            entry.kind = Kind::HardLink;
            entry.link_target = Some(first.clone());
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.links.remove(&key);
            }
        } else {
            self.links.insert(key, (entry.name.clone(), entry.meta.nlink - 1));
        }
    }
}

/// Walks the listed filesystems of `opts.root`, sending every entry to `out` in depth-first, bytewise-sorted
/// order; a directory for which `prune(name)` holds is sent but not read.
///
/// Unreadable directories and entries are soft errors (reported and counted; the walk goes on); a missing root
/// or filesystem mount point is a hard error, as is a consumer that hangs up ([`Error::Cancelled`]).
pub fn walk(
    opts: &WalkOptions,
    prune: Option<Prune<'_>>,
    events: &dyn Events,
    out: &Sender<crate::batch::Batch>,
) -> Result<WalkStats, Error> {
    let fs_names = fs_names(opts)?;
    let mut foreign = HashSet::new();
    for p in &opts.extra_foreign {
        foreign.insert(archive_name(p)?);
    }
    let threads = crate::threads::or_default(opts.threads);
    let shared = Shared {
        queue: Mutex::new(QueueState { heap: BinaryHeap::new(), shutdown: false }),
        cv: Condvar::new(),
        xattrs: opts.xattrs,
        acls: opts.acls,
        proc_fd: Path::new("/proc/self/fd").is_dir(),
        read_ahead: if opts.with_data_source { opts.read_ahead } else { 0 },
        in_flight: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        open_budget: if opts.with_data_source { open_budget() } else { 0 },
        open_now: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        prefetch: crate::prefetch::Prefetcher::new(opts.prefetch),
    };
    let window = fd_window();
    std::thread::scope(|s| {
        /// Stops the workers however the emitter leaves.
        struct Stop<'a>(&'a Shared);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.shutdown();
            }
        }
        let _stop = Stop(&shared);
        for _ in 1..threads {
            s.spawn(|| {
                while let Some(q) = shared.pop_wait() {
                    shared.run(q);
                }
            });
        }
        let mut em = Emitter {
            opts,
            prune,
            events,
            out: crate::batch::Batcher::new(out),
            shared: &shared,
            stats: WalkStats::default(),
            links: HashMap::new(),
            listed: fs_names.iter().cloned().collect(),
            foreign,
            outstanding: 0,
            window,
        };
        for (i, name) in fs_names.iter().enumerate() {
            em.walk_fs(i as u32, name)?;
        }
        em.out.flush().map_err(|_| Error::Cancelled("the consumer of the walk hung up".into()))?;
        Ok(em.stats)
    })
}

/// The archive names of the filesystems to walk (`.` alone when none are listed), sorted, without duplicates.
fn fs_names(opts: &WalkOptions) -> Result<Vec<Vec<u8>>, Error> {
    let mut names = opts.filesystems.iter().map(|p| archive_name(p)).collect::<Result<Vec<_>, _>>()?;
    if names.is_empty() {
        names.push(b".".to_vec());
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// Takes `n` from a budget of `cap` counted in `used` (given back by whoever holds it); false, taking
/// nothing, when that would go over.
fn take(used: &std::sync::atomic::AtomicUsize, n: usize, cap: usize) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    if used.fetch_add(n, Relaxed) + n > cap {
        used.fetch_sub(n, Relaxed);
        return false;
    }
    true
}

/// The soft limit on open descriptors (no limit counts as 2^20).
fn nofile() -> usize {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(1 << 20) as usize
}

/// How many regular files the walker may hold open for its consumer at once: an eighth of the descriptor
/// limit (the walker's window of directories and the tree writer's directory cache take a quarter each, and
/// entries in flight hold their directories), at most 4096; none under a limit of 2048, where a clone of 80k
/// files already needs ~880 descriptors without them (the `altdisk` binary raises its soft limit to the hard
/// one at start).
fn open_budget() -> usize {
    let n = nofile();
    if n < 2048 {
        return 0;
    }
    (n / 8).min(4096)
}

/// How many directory listings may be outstanding: each holds an open descriptor, so stay well inside the
/// descriptor limit.
fn fd_window() -> usize {
    (nofile() / 4).clamp(16, 1024)
}
