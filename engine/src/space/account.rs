//! The accountant: entries in, per-file-system needs out.
//!
//! It works on the entry stream alone, so the walker and the archive reader feed it the same way, and it is
//! cheap enough to run inline in the pipeline: the only allocations are one map slot per directory and one
//! set slot per multiply-linked file.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::{jfs, jfs2, rup, FsTarget, FsType, SpaceError};
use crate::entry::{Entry, Kind, Meta};

/// What one file system needs for the entries it received.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FsNeed {
    /// The mount point.
    pub mount_point: String,
    /// Its type and parameters.
    pub fs_type: FsType,
    /// Its size in bytes when known; the fixed metadata below is evaluated at this size, or at
    /// [`FsNeed::min_size`] when unknown.
    pub size: Option<u64>,
    /// Inodes used: files + directories + symlinks + devices/fifos (hard links share an inode).
    pub objects: u64,
    /// Regular files (each inode once).
    pub files: u64,
    /// Directories.
    pub dirs: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Devices and fifos.
    pub specials: u64,
    /// Extra names of files counted once.
    pub hard_links: u64,
    /// Sum of file sizes (what `du --apparent-size` reports).
    pub logical_bytes: u64,
    /// File data as allocated (blocks, fragments, large blocks; holes not counted).
    pub data_bytes: u64,
    /// JFS indirect blocks or JFS2 xtree pages.
    pub index_bytes: u64,
    /// Directory blocks (JFS) or dtree pages (JFS2).
    pub dir_bytes: u64,
    /// Symlink targets stored outside the inode.
    pub symlink_bytes: u64,
    /// Extended-attribute blocks (JFS2).
    pub ea_bytes: u64,
    /// JFS2 inode extents and IAG pages (JFS pre-allocates its inodes: they are in `fixed_bytes`).
    pub inode_bytes: u64,
    /// Size-dependent metadata at the evaluated size: JFS inode area and maps; JFS2 block map, fixed area,
    /// fsck space and inline log.
    pub fixed_bytes: u64,
    /// Total need at the evaluated size.
    pub need_bytes: u64,
    /// The smallest size (a multiple of 512 bytes) that holds everything, inode limit included.
    pub min_size: u64,
    /// JFS: objects the file system can hold at the evaluated size.
    pub max_objects: Option<u64>,
}

impl FsNeed {
    /// Bytes that do not depend on the file-system size.
    fn variable(&self) -> u64 {
        [self.index_bytes, self.dir_bytes, self.symlink_bytes, self.ea_bytes, self.inode_bytes]
            .iter()
            .fold(self.data_bytes, |s, x| s.saturating_add(*x))
    }

    /// Metadata bytes (everything but file data).
    pub fn meta_bytes(&self) -> u64 {
        self.need_bytes - self.data_bytes
    }

    /// The same need evaluated for a file system of `size` bytes.
    pub fn at_size(&self, size: u64) -> FsNeed {
        let mut n = self.clone();
        n.size = Some(size);
        n.fixed_bytes = fixed(&self.fs_type, size);
        n.need_bytes = n.variable().saturating_add(n.fixed_bytes);
        n.max_objects = max_objects(&self.fs_type, size);
        n
    }

    /// Checks the need against the size: refuses naming the mount point, need and have. Without a size
    /// there is nothing to check.
    pub fn check(&self) -> Result<(), SpaceError> {
        let Some(have) = self.size else { return Ok(()) };
        if let (Some(max), FsType::Jfs(p)) = (self.max_objects, self.fs_type) {
            if self.objects > max {
                return Err(SpaceError::TooManyObjects {
                    mount_point: self.mount_point.clone(),
                    objects: self.objects,
                    inodes: max,
                    nbpi: p.nbpi,
                });
            }
        }
        if self.need_bytes > have {
            return Err(SpaceError::DoesNotFit {
                mount_point: self.mount_point.clone(),
                need: self.need_bytes,
                have,
                reason: format!(
                    "{} data + {} metadata on {}",
                    self.data_bytes,
                    self.meta_bytes(),
                    self.fs_type.name()
                ),
            });
        }
        Ok(())
    }
}

fn fixed(t: &FsType, size: u64) -> u64 {
    match t {
        FsType::Jfs(p) => p.fixed(size),
        FsType::Jfs2(p) => p.fixed(size),
    }
}

fn max_objects(t: &FsType, size: u64) -> Option<u64> {
    match t {
        FsType::Jfs(p) => Some(p.max_objects(size)),
        FsType::Jfs2(_) => None,
    }
}

/// The smallest size, in whole 512-byte blocks, at which `variable + fixed(size) ≤ size` and (JFS) the
/// objects fit the inodes. Fixed-point iteration: the fixed part grows slower than the size.
fn min_size(t: &FsType, variable: u64, objects: u64) -> u64 {
    let mut fs = rup(variable.max(512), 512);
    if let FsType::Jfs2(_) = t {
        fs = fs.max(jfs2::MIN_FS);
    }
    for _ in 0..4096 {
        let need = variable.saturating_add(fixed(t, fs));
        let inodes_ok = match max_objects(t, fs) {
            Some(m) => objects <= m,
            None => true,
        };
        if need <= fs && inodes_ok {
            return fs;
        }
        let mut next = rup(need, 512).max(fs.saturating_add(512));
        if let FsType::Jfs(p) = t {
            if !inodes_ok {
                if objects > jfs::MAX_INODES - jfs::RESERVED_INODES {
                    return rup(need, 512).max(jfs::max_size(p.nbpi, p.frag));
                }
                next = next.max(rup((objects + jfs::RESERVED_INODES).saturating_mul(u64::from(p.nbpi)), 512));
            }
        }
        fs = next;
    }
    fs
}

#[derive(Clone, Copy, Default)]
struct Acc {
    files: u64,
    dirs: u64,
    symlinks: u64,
    specials: u64,
    hard_links: u64,
    logical: u64,
    data: u64,
    index: u64,
    symlink: u64,
    ea: u64,
}

/// Per-directory counters: both the JFS block packing and the JFS2 slot count are kept (cheap), the owning
/// file system's type picks one at the end.
struct DirAcc {
    fs: usize,
    jfs_blocks: u64,
    jfs_used: u64,
    slots: u64,
}

impl DirAcc {
    fn new(fs: usize) -> Self {
        // "." and ".." take 12 bytes each in the first JFS block [R §4.1]; JFS2 keeps them in the header.
        DirAcc { fs, jfs_blocks: 1, jfs_used: 2 * jfs::dirent_bytes(1).max(12), slots: 0 }
    }

    fn add_name(&mut self, len: usize) {
        let e = jfs::dirent_bytes(len);
        if self.jfs_used + e > jfs::DIR_BLOCK {
            self.jfs_blocks += 1;
            self.jfs_used = e;
        } else {
            self.jfs_used += e;
        }
        self.slots += jfs2::name_slots(len);
    }
}

/// Sums what a stream of entries needs on each target file system.
pub struct Accountant {
    targets: Vec<FsTarget>,
    /// Target indices, longest mount point first, for the longest-prefix match.
    order: Vec<usize>,
    acc: Vec<Acc>,
    dirs: HashMap<Box<[u8]>, DirAcc>,
    links: HashSet<(u32, u32, u64)>,
    unassigned: u64,
}

/// The entry name as an absolute path: `./usr/bin` → `/usr/bin`, `.` → `/`, trailing slashes dropped.
/// Borrowed in the usual cases (no allocation).
fn canon(name: &[u8]) -> Cow<'_, [u8]> {
    let mut n = name;
    while n.len() > 1 && n.ends_with(b"/") {
        n = &n[..n.len() - 1];
    }
    if n == b"." || n.is_empty() || n == b"./" {
        return Cow::Borrowed(b"/");
    }
    if n.starts_with(b"./") {
        return Cow::Borrowed(&n[1..]);
    }
    if n.starts_with(b"/") {
        return Cow::Borrowed(n);
    }
    let mut v = Vec::with_capacity(n.len() + 1);
    v.push(b'/');
    v.extend_from_slice(n);
    Cow::Owned(v)
}

/// Splits `/a/b` into (`/a`, `b`) and `/a` into (`/`, `a`).
fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) => (b"/", &path[1..]),
        Some(p) => (&path[..p], &path[p + 1..]),
        None => (b"/", path),
    }
}

fn ea_bytes(meta: &Meta) -> u64 {
    let x: u64 = meta.xattrs.iter().map(|x| (x.name.len() + x.value.len() + 8) as u64).sum();
    let acl = |a: &Option<crate::acl::PosixAcl>, name: usize| {
        a.as_ref().map_or(0, |a| (name + 4 + 8 * a.entries.len() + 8) as u64)
    };
    x + acl(&meta.acl, "system.posix_acl_access".len())
        + acl(&meta.default_acl, "system.posix_acl_default".len())
}

impl Accountant {
    /// An accountant for these target file systems. Mount points are matched on whole path components.
    pub fn new(targets: Vec<FsTarget>) -> Self {
        let mut targets = targets;
        for t in &mut targets {
            while t.mount_point.len() > 1 && t.mount_point.ends_with('/') {
                t.mount_point.pop();
            }
        }
        let mut order: Vec<usize> = (0..targets.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(targets[i].mount_point.len()));
        let acc = vec![Acc::default(); targets.len()];
        Accountant { targets, order, acc, dirs: HashMap::new(), links: HashSet::new(), unassigned: 0 }
    }

    /// The file system holding `path` (absolute): the longest mount point that is a prefix on a component
    /// boundary.
    fn fs_of(&self, path: &[u8]) -> Option<usize> {
        self.order.iter().copied().find(|&i| {
            let mp = self.targets[i].mount_point.as_bytes();
            mp == b"/" || path == mp || (path.starts_with(mp) && path.get(mp.len()) == Some(&b'/'))
        })
    }

    /// Entries that fell outside every target file system so far.
    pub fn unassigned(&self) -> u64 {
        self.unassigned
    }

    /// Accounts one entry.
    pub fn add(&mut self, e: &Entry) {
        let path = canon(&e.name);
        let path: &[u8] = &path;
        let Some(fs) = self.fs_of(path) else {
            self.unassigned += 1;
            return;
        };
        if path != b"/" {
            let (parent, base) = split(path);
            if let Some(d) = self.dirs.get_mut(parent) {
                d.add_name(base.len());
            } else if let Some(pfs) = self.fs_of(parent) {
                let mut d = DirAcc::new(pfs);
                d.add_name(base.len());
                self.dirs.insert(parent.into(), d);
            }
        }
        let ft = self.targets[fs].fs_type;
        let a = &mut self.acc[fs];
        match e.kind {
            Kind::Dir => {
                a.dirs += 1;
                if !self.dirs.contains_key(path) {
                    self.dirs.insert(path.into(), DirAcc::new(fs));
                }
            }
            Kind::File => {
                if e.meta.nlink > 1 && e.meta.ino != 0 {
                    let key = (e.meta.dev.major, e.meta.dev.minor, e.meta.ino);
                    if !self.links.insert(key) {
                        // A later name of a file already counted: only its directory slot (added above).
                        a.hard_links += 1;
                        return;
                    }
                }
                a.files += 1;
                a.logical = a.logical.saturating_add(e.meta.size);
                let sparse = e.meta.sparse.as_deref();
                let (data, index) = match ft {
                    FsType::Jfs(p) => p.file(e.meta.size, sparse),
                    FsType::Jfs2(p) => p.file(e.meta.size, sparse),
                };
                a.data = a.data.saturating_add(data);
                a.index = a.index.saturating_add(index);
            }
            Kind::HardLink => a.hard_links += 1,
            Kind::Symlink => {
                a.symlinks += 1;
                let len = e.link_target.as_ref().map_or(e.meta.size, |t| t.len() as u64);
                a.symlink = a.symlink.saturating_add(match ft {
                    FsType::Jfs(p) => p.symlink(len),
                    FsType::Jfs2(p) => p.symlink(len),
                });
            }
            Kind::CharDev | Kind::BlockDev | Kind::Fifo => a.specials += 1,
        }
        // Extended attributes and ACLs of a counted inode: JFS2 EA blocks [I §4.2]; JFS1 has no named EAs and
        // keeps ACLs in its own inode extension, not counted [I].
        if let FsType::Jfs2(p) = ft {
            if e.kind != Kind::HardLink {
                a.ea = a.ea.saturating_add(p.ea(ea_bytes(&e.meta)));
            }
        }
    }

    /// The target file system an entry name belongs to (index into the targets given to [`Accountant::new`]).
    pub(crate) fn target_of(&self, name: &[u8]) -> Option<usize> {
        self.fs_of(&canon(name))
    }

    /// The target file systems, in the order they were given.
    pub fn targets(&self) -> &[FsTarget] {
        &self.targets
    }

    /// What target `i` needs so far, evaluated at its size: file data, index, symlink and EA blocks, inodes
    /// (JFS2 extents; JFS pre-allocates them in the fixed part) and the fixed metadata. Directory pages are
    /// only known at [`Accountant::finish`], so this is a lower bound of the final need — the right measure
    /// for modelling "file system full" while writing: when it passes the size, the real file system would
    /// already have refused the write.
    pub(crate) fn running_need(&self, i: usize) -> u64 {
        let (Some(t), Some(a)) = (self.targets.get(i), self.acc.get(i)) else { return 0 };
        let size = t.size.unwrap_or(0);
        let objects = a.files + a.dirs + a.symlinks + a.specials;
        let inodes = match t.fs_type {
            FsType::Jfs(_) => 0,
            FsType::Jfs2(p) => p.inodes(objects),
        };
        [a.index, a.symlink, a.ea, inodes, fixed(&t.fs_type, size)]
            .iter()
            .fold(a.data, |s, x| s.saturating_add(*x))
    }

    /// The need of every target file system, in the order they were given.
    pub fn finish(self) -> Vec<FsNeed> {
        let mut dir_bytes = vec![0u64; self.targets.len()];
        for d in self.dirs.values() {
            dir_bytes[d.fs] = dir_bytes[d.fs].saturating_add(match self.targets[d.fs].fs_type {
                FsType::Jfs(p) => p.dir(d.jfs_blocks),
                FsType::Jfs2(p) => p.dir(d.slots),
            });
        }
        self.targets
            .iter()
            .zip(&self.acc)
            .zip(dir_bytes)
            .map(|((t, a), dir)| {
                let objects = a.files + a.dirs + a.symlinks + a.specials;
                let inode_bytes = match t.fs_type {
                    FsType::Jfs(_) => 0,
                    FsType::Jfs2(p) => p.inodes(objects),
                };
                let mut n = FsNeed {
                    mount_point: t.mount_point.clone(),
                    fs_type: t.fs_type,
                    size: None,
                    objects,
                    files: a.files,
                    dirs: a.dirs,
                    symlinks: a.symlinks,
                    specials: a.specials,
                    hard_links: a.hard_links,
                    logical_bytes: a.logical,
                    data_bytes: a.data,
                    index_bytes: a.index,
                    dir_bytes: dir,
                    symlink_bytes: a.symlink,
                    ea_bytes: a.ea,
                    inode_bytes,
                    fixed_bytes: 0,
                    need_bytes: 0,
                    min_size: 0,
                    max_objects: None,
                };
                n.min_size = min_size(&t.fs_type, n.variable(), objects);
                let mut n = n.at_size(t.size.unwrap_or(n.min_size));
                n.size = t.size;
                n
            })
            .collect()
    }
}
