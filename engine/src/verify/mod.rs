//! `altdisk verify`: metadata-aware comparison of a copy with its source (a tree, or a by-name archive).
//!
//! Both trees are walked (without following symlinks) and every name is compared for type, permission
//! bits (suid/sgid/sticky included), owner, modification time, size, content, symlink target, device
//! numbers, xattrs, POSIX ACLs, allocation of sparse files and the hard-link structure (the names that
//! share an inode in the source must share one inode in the copy, and no others). Contents are compared
//! byte by byte (no hash crate is in the lock file, and reading both files is what a hash would cost
//! anyway). Both walks and the content comparison run on one rayon pool of `threads` workers: the work is
//! independent and unordered, which is what rayon's work stealing is for (`docs/parallelism.md`). `altdisk bench` checks its contestants with the same code.
//!
//! [`compare_archive`] compares an archive with a tree, as it streams.

mod archive;

pub use archive::compare_archive;

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exclude::ExcludeList;
use crate::Result;

/// Precision used to compare modification times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimePrecision {
    /// To the nanosecond.
    Nanos,
    /// To the second (archive formats that keep whole seconds).
    Seconds,
    /// Not compared.
    Ignore,
}

/// What [`compare_trees`] checks. The default checks everything a `cp -a` as root keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CompareOptions {
    /// Compare permission bits.
    pub mode: bool,
    /// Compare uid/gid.
    pub owners: bool,
    /// How to compare modification times of files and symlinks.
    pub mtime: TimePrecision,
    /// Also compare directory modification times.
    pub dir_mtime: bool,
    /// Compare file contents byte by byte.
    pub content: bool,
    /// Compare xattrs (names and values; `security.selinux` is skipped as it is host policy).
    pub xattrs: bool,
    /// Compare POSIX ACLs (the `system.posix_acl_*` xattrs).
    pub acls: bool,
    /// Compare the hard-link structure.
    pub hardlinks: bool,
    /// Check sparse files stay sparse: the copy may allocate at most this many bytes more than the source.
    /// `None` skips the check.
    pub sparse_slack: Option<u64>,
    /// Keep at most this many differences. The summary counts only what is kept, so keep this above the
    /// number of names times the number of kinds when exact counts matter (the default does, for trees of
    /// up to 100,000 names losing nearly everything).
    pub max_differences: usize,
    /// Threads comparing contents (0: one per CPU).
    pub threads: usize,
    /// In the source, descend only into directories on these filesystems (`st_dev`), as `clone`'s walk
    /// of `/` and each `--fs` does; `None` descends everywhere.
    #[serde(skip)]
    pub source_devices: Option<Vec<u64>>,
}

impl CompareOptions {
    /// Adds a difference to `out`, unless [`CompareOptions::max_differences`] are there already.
    fn push(&self, out: &mut Vec<Difference>, path: &Path, kind: DiffKind, detail: String) {
        if out.len() < self.max_differences {
            out.push(Difference { path: path.to_path_buf(), kind, detail });
        }
    }
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            mode: true,
            owners: true,
            mtime: TimePrecision::Nanos,
            dir_mtime: true,
            content: true,
            xattrs: true,
            acls: true,
            hardlinks: true,
            sparse_slack: Some(1 << 20),
            max_differences: 1_000_000,
            threads: 0,
            source_devices: None,
        }
    }
}

/// The class of a difference, used to summarise what a contestant failed to preserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DiffKind {
    /// In the source, not in the copy.
    Missing,
    /// In the copy, not in the source.
    Extra,
    /// Different file type.
    Type,
    /// Different permission bits.
    Mode,
    /// Different uid or gid.
    Owner,
    /// Different modification time.
    Mtime,
    /// Different size.
    Size,
    /// Same size, different bytes.
    Content,
    /// Different symlink target.
    SymlinkTarget,
    /// Hard-link groups split or joined.
    HardLinks,
    /// Different xattrs.
    Xattrs,
    /// Different POSIX ACLs.
    Acls,
    /// A sparse file lost its holes.
    Sparse,
    /// Different device numbers.
    Rdev,
}

impl DiffKind {
    /// A short lower-case label ("mode", "owner", "hard links", ...).
    pub fn label(self) -> &'static str {
        match self {
            DiffKind::Missing => "missing",
            DiffKind::Extra => "extra",
            DiffKind::Type => "type",
            DiffKind::Mode => "mode",
            DiffKind::Owner => "owner",
            DiffKind::Mtime => "mtime",
            DiffKind::Size => "size",
            DiffKind::Content => "content",
            DiffKind::SymlinkTarget => "symlink target",
            DiffKind::HardLinks => "hard links",
            DiffKind::Xattrs => "xattrs",
            DiffKind::Sparse => "sparse",
            DiffKind::Rdev => "rdev",
            DiffKind::Acls => "acls",
        }
    }

    /// One word for `altdisk verify`'s `CLASS PATH: detail` lines and `--ignore` ("links", "symlink", ...).
    pub fn class(self) -> &'static str {
        match self {
            DiffKind::SymlinkTarget => "symlink",
            DiffKind::HardLinks => "links",
            k => k.label(),
        }
    }
}

/// One difference between the trees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// The name relative to the tree roots (`usr/bin/ls`; empty for the roots themselves).
    pub path: PathBuf,
    /// What differs.
    pub kind: DiffKind,
    /// Source and copy values, for a human.
    pub detail: String,
}

/// One line per kind: "ok", or e.g. "owner (1200), mtime (80000), xattrs (40)".
pub fn summarize(diffs: &[Difference]) -> String {
    if diffs.is_empty() {
        return "ok".to_string();
    }
    let mut by: BTreeMap<DiffKind, usize> = BTreeMap::new();
    for d in diffs {
        *by.entry(d.kind).or_default() += 1;
    }
    by.iter().map(|(k, n)| format!("{} ({n})", k.label())).collect::<Vec<_>>().join(", ")
}

/// Every scanned name (relative to the tree's root) and what is compared of it. A hash map: lookups by
/// path are most of the comparison, and a `BTreeMap`'s component-by-component path ordering cost a fifth
/// of a verify's time; the differences are sorted once at the end.
type Scanned = HashMap<PathBuf, Info>;

/// What is known about one name.
struct Info {
    md: fs::Metadata,
    link: Option<PathBuf>,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Compares tree `a` (the source) with tree `b` (the copy). The roots' own metadata is compared too,
/// except the root directory's mtime.
pub fn compare_trees(a: &Path, b: &Path, opts: &CompareOptions) -> Result<Vec<Difference>> {
    compare_trees_excluding(a, b, opts, None)
}

/// [`compare_trees`] leaving out, on both sides, the names `exclude` drops (`./usr/tmp/x`, as `clone`
/// matches them). The differences come sorted by path, then class.
pub fn compare_trees_excluding(
    a: &Path,
    b: &Path,
    opts: &CompareOptions,
    exclude: Option<&ExcludeList>,
) -> Result<Vec<Difference>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(crate::threads::or_default(opts.threads))
        .thread_name(|i| format!("verify-{i}"))
        .build()
        .map_err(|e| crate::Error::io("start verify threads for", a, std::io::Error::other(e)))?;
    pool.install(|| compare_in_pool(a, b, opts, exclude))
}

/// [`compare_trees_excluding`] on the current rayon pool.
fn compare_in_pool(
    a: &Path,
    b: &Path,
    opts: &CompareOptions,
    exclude: Option<&ExcludeList>,
) -> Result<Vec<Difference>> {
    let (ta, tb) = rayon::join(
        || scan(a, opts, exclude),
        || scan(b, &CompareOptions { source_devices: None, ..opts.clone() }, exclude),
    );
    let (ta, tb) = (ta?, tb?);
    let mut out = Vec::new();
    let mut contents: Vec<&PathBuf> = Vec::new();
    for (rel, ia) in &ta {
        let Some(ib) = tb.get(rel) else {
            opts.push(&mut out, rel, DiffKind::Missing, "not in the copy".to_string());
            continue;
        };
        let (fa, fb) = (ia.md.file_type(), ib.md.file_type());
        if ia.md.mode() & 0o170000 != ib.md.mode() & 0o170000 {
            opts.push(&mut out, rel, DiffKind::Type, format!("{fa:?} vs {fb:?}"));
            continue;
        }
        if opts.mode && !fa.is_symlink() && ia.md.mode() & 0o7777 != ib.md.mode() & 0o7777 {
            opts.push(
                &mut out,
                rel,
                DiffKind::Mode,
                format!("{:o} vs {:o}", ia.md.mode() & 0o7777, ib.md.mode() & 0o7777),
            );
        }
        if opts.owners && (ia.md.uid(), ia.md.gid()) != (ib.md.uid(), ib.md.gid()) {
            let d = format!("{}:{} vs {}:{}", ia.md.uid(), ia.md.gid(), ib.md.uid(), ib.md.gid());
            opts.push(&mut out, rel, DiffKind::Owner, d);
        }
        let check_time = !rel.as_os_str().is_empty() && (!fa.is_dir() || opts.dir_mtime);
        let (sa, na, sb, nb) = (ia.md.mtime(), ia.md.mtime_nsec(), ib.md.mtime(), ib.md.mtime_nsec());
        let time_differs = match opts.mtime {
            TimePrecision::Nanos => (sa, na) != (sb, nb),
            TimePrecision::Seconds => sa != sb,
            TimePrecision::Ignore => false,
        };
        if check_time && time_differs {
            opts.push(&mut out, rel, DiffKind::Mtime, format!("{sa}.{na:09} vs {sb}.{nb:09}"));
        }
        if fa.is_symlink() && ia.link != ib.link {
            let show =
                |l: &Option<PathBuf>| l.as_deref().map(|p| p.display().to_string()).unwrap_or_default();
            opts.push(
                &mut out,
                rel,
                DiffKind::SymlinkTarget,
                format!("{} vs {}", show(&ia.link), show(&ib.link)),
            );
        }
        if fa.is_file() {
            if ia.md.size() != ib.md.size() {
                opts.push(&mut out, rel, DiffKind::Size, format!("{} vs {}", ia.md.size(), ib.md.size()));
            } else if opts.content {
                contents.push(rel);
            }
            let (alloc_a, alloc_b) = (ia.md.blocks() * 512, ib.md.blocks() * 512);
            if let Some(slack) = opts.sparse_slack {
                if alloc_a < ia.md.size() && alloc_b > alloc_a + slack {
                    opts.push(
                        &mut out,
                        rel,
                        DiffKind::Sparse,
                        format!("{alloc_a} vs {alloc_b} bytes allocated"),
                    );
                }
            }
        }
        if (fa.is_char_device() || fa.is_block_device()) && ia.md.rdev() != ib.md.rdev() {
            opts.push(&mut out, rel, DiffKind::Rdev, format!("{:x} vs {:x}", ia.md.rdev(), ib.md.rdev()));
        }
        for (kind, on, acl) in [(DiffKind::Xattrs, opts.xattrs, false), (DiffKind::Acls, opts.acls, true)] {
            let pick = |x: &[(Vec<u8>, Vec<u8>)]| -> Vec<(Vec<u8>, Vec<u8>)> {
                x.iter().filter(|(n, _)| is_acl(n) == acl).cloned().collect()
            };
            let (xa, xb) = (pick(&ia.xattrs), pick(&ib.xattrs));
            if on && xa != xb {
                let names = |x: &[(Vec<u8>, Vec<u8>)]| {
                    x.iter()
                        .map(|(n, _)| String::from_utf8_lossy(n).into_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                opts.push(&mut out, rel, kind, format!("[{}] vs [{}]", names(&xa), names(&xb)));
            }
        }
    }
    for rel in tb.keys() {
        if !ta.contains_key(rel) {
            opts.push(&mut out, rel, DiffKind::Extra, "not in the source".to_string());
        }
    }
    for rel in differing_contents(a, b, &contents)? {
        opts.push(&mut out, &rel, DiffKind::Content, "the bytes differ".to_string());
    }
    if opts.hardlinks {
        hardlink_diffs(&ta, &tb, &mut |rel, d| opts.push(&mut out, rel, DiffKind::HardLinks, d));
    }
    out.sort_by(|x, y| (&x.path, x.kind).cmp(&(&y.path, y.kind)));
    Ok(out)
}

/// Names sharing an inode in `a` must share one in `b`, with the same link count; a name alone in `a`
/// must be alone in `b`.
fn hardlink_diffs(ta: &Scanned, tb: &Scanned, push: &mut dyn FnMut(&Path, String)) {
    let mut groups: HashMap<(u64, u64), Vec<&PathBuf>> = HashMap::new();
    for (rel, i) in ta {
        if !i.md.is_dir() {
            groups.entry((i.md.dev(), i.md.ino())).or_default().push(rel);
        }
    }
    for names in groups.values_mut() {
        // The group's first name in path order names it, whatever order the map gave.
        names.sort();
        let ty = ta.get(names[0]).map(|i| i.md.mode() & 0o170000);
        let in_b: Vec<&Info> =
            names.iter().filter_map(|n| tb.get(*n)).filter(|i| Some(i.md.mode() & 0o170000) == ty).collect();
        if in_b.len() != names.len() {
            continue; // reported as missing or as a type change
        }
        let first = (in_b[0].md.dev(), in_b[0].md.ino());
        let split = in_b.iter().any(|i| (i.md.dev(), i.md.ino()) != first);
        let la = ta.get(names[0]).map(|i| i.md.nlink()).unwrap_or(0);
        let lb = in_b[0].md.nlink();
        if split {
            push(names[0], format!("{} names no longer share one inode", names.len()));
        } else if names.len() as u64 == la && lb != la {
            push(names[0], format!("link count {la} vs {lb}"));
        }
    }
}

/// True for the xattrs that hold POSIX ACLs.
fn is_acl(name: &[u8]) -> bool {
    name.starts_with(b"system.posix_acl_")
}

/// The archive-style name of `rel`: `./usr/bin/ls`, `.` for the root (how exclude lists and `altdisk
/// verify` name it).
pub fn dot_name(rel: &Path) -> Vec<u8> {
    let mut n = b".".to_vec();
    if !rel.as_os_str().is_empty() {
        n.push(b'/');
        n.extend_from_slice(rel.as_os_str().as_bytes());
    }
    n
}

/// Of the files in `rels` (same size on both sides), those whose bytes differ. Each file pair is
/// independent and their order does not matter, so rayon's work stealing spreads them over the pool (one
/// pair of 128 KiB buffers per worker).
fn differing_contents(a: &Path, b: &Path, rels: &[&PathBuf]) -> Result<Vec<PathBuf>> {
    use rayon::prelude::*;
    let found: Result<Vec<Option<PathBuf>>> = rels
        .par_iter()
        .map_init(
            || (vec![0u8; 128 << 10], vec![0u8; 128 << 10]),
            |bufs, rel| Ok((!same_content(&a.join(rel), &b.join(rel), bufs)?).then(|| rel.to_path_buf())),
        )
        .collect();
    Ok(found?.into_iter().flatten().collect())
}

/// Every name under `root` (the root itself as the empty path) with what is compared of it. Directories
/// are read in parallel: each subdirectory is a rayon task, so a wide tree keeps every worker busy.
fn scan(root: &Path, opts: &CompareOptions, exclude: Option<&ExcludeList>) -> Result<Scanned> {
    let mut out = Vec::new();
    scan_one(root, PathBuf::new(), 0, opts, exclude, &mut out)?;
    Ok(out.into_iter().collect())
}

/// Directories this deep or deeper are scanned on the worker that reached them, not split into tasks:
/// enough tasks exist by then, and the recursion stays far from the end of a worker's stack however deep
/// a (hostile) tree goes.
const PARALLEL_DEPTH: usize = 12;

/// Scans `rel`, `depth` levels below the root (and, when it is a directory the walk enters, everything
/// below it) into `out`.
fn scan_one(
    root: &Path,
    rel: PathBuf,
    depth: usize,
    opts: &CompareOptions,
    exclude: Option<&ExcludeList>,
    out: &mut Vec<(PathBuf, Info)>,
) -> Result<()> {
    use rayon::prelude::*;
    let (info, children) = scan_entry(root, &rel, opts, exclude)?;
    if depth < PARALLEL_DEPTH {
        let below: Result<Vec<Vec<(PathBuf, Info)>>> = children
            .into_par_iter()
            .map(|c| {
                let mut v = Vec::new();
                scan_one(root, c, depth + 1, opts, exclude, &mut v)?;
                Ok(v)
            })
            .collect();
        out.extend(below?.into_iter().flatten());
    } else {
        // Deeper: an explicit stack on this worker, no recursion.
        let mut stack = children;
        while let Some(c) = stack.pop() {
            let (info, below) = scan_entry(root, &c, opts, exclude)?;
            stack.extend(below);
            if let Some(info) = info {
                out.push((c, info));
            }
        }
    }
    if let Some(info) = info {
        out.push((rel, info));
    }
    Ok(())
}

/// One name, without descending: what is compared of it (`None` when excluded) and, for a directory the
/// walk enters, its children.
fn scan_entry(
    root: &Path,
    rel: &Path,
    opts: &CompareOptions,
    exclude: Option<&ExcludeList>,
) -> Result<(Option<Info>, Vec<PathBuf>)> {
    let p = root.join(rel);
    let md = fs::symlink_metadata(&p).map_err(|e| crate::Error::io("stat", &p, e))?;
    let name = dot_name(rel);
    let pruned = exclude.is_some_and(|l| !rel.as_os_str().is_empty() && l.prunes_subtree(&name));
    let other_fs = opts.source_devices.as_ref().is_some_and(|d| !d.contains(&md.dev()));
    let mut children = Vec::new();
    if md.is_dir() && !pruned && !other_fs {
        for ent in fs::read_dir(&p).map_err(|e| crate::Error::io("read directory", &p, e))? {
            let ent = ent.map_err(|e| crate::Error::io("read directory", &p, e))?;
            children.push(rel.join(ent.file_name()));
        }
    }
    if !rel.as_os_str().is_empty() && exclude.is_some_and(|l| l.is_excluded(&name)) {
        return Ok((None, children));
    }
    let link = if md.file_type().is_symlink() {
        Some(fs::read_link(&p).map_err(|e| crate::Error::io("readlink", &p, e))?)
    } else {
        None
    };
    let xattrs = if opts.xattrs || opts.acls { read_xattrs(&p)? } else { Vec::new() };
    Ok((Some(Info { md, link, xattrs }), children))
}

fn read_xattrs(p: &Path) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    // Most files have no xattr: a small list buffer on the stack, and no value buffer at all then (two
    // zeroed 64 KiB buffers per name were most of a verify's time).
    let mut small = [0u8; 1024];
    let mut big = Vec::new();
    let list: &[u8] = match rustix::fs::llistxattr(p, &mut small[..]) {
        Ok(n) => &small[..n],
        Err(rustix::io::Errno::RANGE) => {
            big.resize(64 << 10, 0);
            match rustix::fs::llistxattr(p, &mut big[..]) {
                Ok(n) => &big[..n],
                Err(e) => return Err(crate::Error::io("list xattrs", p, e.into())),
            }
        }
        Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(crate::Error::io("list xattrs", p, e.into())),
    };
    let mut out = Vec::new();
    let mut val = Vec::new();
    for name in list.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        if name == b"security.selinux" {
            continue;
        }
        if val.is_empty() {
            val.resize(64 << 10, 0);
        }
        let cname = std::ffi::OsStr::from_bytes(name);
        let k = match rustix::fs::lgetxattr(p, cname, &mut val[..]) {
            Ok(k) => k,
            Err(rustix::io::Errno::NODATA) => continue,
            Err(e) => return Err(crate::Error::io("read xattr", p, e.into())),
        };
        out.push((name.to_vec(), val[..k].to_vec()));
    }
    out.sort();
    Ok(out)
}

fn same_content(a: &Path, b: &Path, bufs: &mut (Vec<u8>, Vec<u8>)) -> Result<bool> {
    let mut fa = File::open(a).map_err(|e| crate::Error::io("open", a, e))?;
    let mut fb = File::open(b).map_err(|e| crate::Error::io("open", b, e))?;
    let (ba, bb) = (&mut bufs.0, &mut bufs.1);
    loop {
        let n = read_full(&mut fa, ba).map_err(|e| crate::Error::io("read", a, e))?;
        let m = read_full(&mut fb, bb).map_err(|e| crate::Error::io("read", b, e))?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

pub(crate) fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
