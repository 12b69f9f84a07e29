//! Metadata-aware tree comparison: did a contestant reproduce the source tree faithfully?
//!
//! Both trees are walked (without following symlinks) and every name is compared for type, permission
//! bits (suid/sgid/sticky included), owner, modification time, size, content, symlink target, device
//! numbers, xattrs (ACLs are xattrs too), allocation of sparse files and the hard-link structure (the names
//! that share an inode in the source must share one inode in the copy, and no others).

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
pub struct CompareOptions {
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
    /// Compare the hard-link structure.
    pub hardlinks: bool,
    /// Check sparse files stay sparse: the copy may allocate at most this many bytes more than the source.
    /// `None` skips the check.
    pub sparse_slack: Option<u64>,
    /// Keep at most this many differences. The summary counts only what is kept, so keep this above the
    /// number of names times the number of kinds when exact counts matter (the default does, for trees of
    /// up to 100,000 names losing nearly everything).
    pub max_differences: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            owners: true,
            mtime: TimePrecision::Nanos,
            dir_mtime: true,
            content: true,
            xattrs: true,
            hardlinks: true,
            sparse_slack: Some(1 << 20),
            max_differences: 1_000_000,
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
    /// Different xattrs (or ACLs).
    Xattrs,
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

/// What is known about one name.
struct Info {
    md: fs::Metadata,
    link: Option<PathBuf>,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Compares tree `a` (the source) with tree `b` (the copy). The roots' own metadata is compared too,
/// except the root directory's mtime.
pub fn compare_trees(a: &Path, b: &Path, opts: &CompareOptions) -> Result<Vec<Difference>> {
    let ta = scan(a, opts)?;
    let tb = scan(b, opts)?;
    let mut out = Vec::new();
    let push = |out: &mut Vec<Difference>, path: &Path, kind, detail: String| {
        if out.len() < opts.max_differences {
            out.push(Difference { path: path.to_path_buf(), kind, detail });
        }
    };
    for (rel, ia) in &ta {
        let Some(ib) = tb.get(rel) else {
            push(&mut out, rel, DiffKind::Missing, String::new());
            continue;
        };
        let (fa, fb) = (ia.md.file_type(), ib.md.file_type());
        if ia.md.mode() & 0o170000 != ib.md.mode() & 0o170000 {
            push(&mut out, rel, DiffKind::Type, format!("{fa:?} vs {fb:?}"));
            continue;
        }
        if !fa.is_symlink() && ia.md.mode() & 0o7777 != ib.md.mode() & 0o7777 {
            push(
                &mut out,
                rel,
                DiffKind::Mode,
                format!("{:o} vs {:o}", ia.md.mode() & 0o7777, ib.md.mode() & 0o7777),
            );
        }
        if opts.owners && (ia.md.uid(), ia.md.gid()) != (ib.md.uid(), ib.md.gid()) {
            let d = format!("{}:{} vs {}:{}", ia.md.uid(), ia.md.gid(), ib.md.uid(), ib.md.gid());
            push(&mut out, rel, DiffKind::Owner, d);
        }
        let check_time = !rel.as_os_str().is_empty() && (!fa.is_dir() || opts.dir_mtime);
        let (sa, na, sb, nb) = (ia.md.mtime(), ia.md.mtime_nsec(), ib.md.mtime(), ib.md.mtime_nsec());
        let time_differs = match opts.mtime {
            TimePrecision::Nanos => (sa, na) != (sb, nb),
            TimePrecision::Seconds => sa != sb,
            TimePrecision::Ignore => false,
        };
        if check_time && time_differs {
            push(&mut out, rel, DiffKind::Mtime, format!("{sa}.{na:09} vs {sb}.{nb:09}"));
        }
        if fa.is_symlink() && ia.link != ib.link {
            push(&mut out, rel, DiffKind::SymlinkTarget, format!("{:?} vs {:?}", ia.link, ib.link));
        }
        if fa.is_file() {
            if ia.md.size() != ib.md.size() {
                push(&mut out, rel, DiffKind::Size, format!("{} vs {}", ia.md.size(), ib.md.size()));
            } else if opts.content && !same_content(&a.join(rel), &b.join(rel))? {
                push(&mut out, rel, DiffKind::Content, String::new());
            }
            let (alloc_a, alloc_b) = (ia.md.blocks() * 512, ib.md.blocks() * 512);
            if let Some(slack) = opts.sparse_slack {
                if alloc_a < ia.md.size() && alloc_b > alloc_a + slack {
                    push(&mut out, rel, DiffKind::Sparse, format!("{alloc_a} vs {alloc_b} bytes allocated"));
                }
            }
        }
        if (fa.is_char_device() || fa.is_block_device()) && ia.md.rdev() != ib.md.rdev() {
            push(&mut out, rel, DiffKind::Rdev, format!("{:x} vs {:x}", ia.md.rdev(), ib.md.rdev()));
        }
        if opts.xattrs && ia.xattrs != ib.xattrs {
            let names = |x: &[(Vec<u8>, Vec<u8>)]| {
                x.iter().map(|(n, _)| String::from_utf8_lossy(n).into_owned()).collect::<Vec<_>>().join(",")
            };
            push(
                &mut out,
                rel,
                DiffKind::Xattrs,
                format!("[{}] vs [{}]", names(&ia.xattrs), names(&ib.xattrs)),
            );
        }
    }
    for rel in tb.keys() {
        if !ta.contains_key(rel) {
            push(&mut out, rel, DiffKind::Extra, String::new());
        }
    }
    if opts.hardlinks {
        hardlink_diffs(&ta, &tb, &mut |rel, d| push(&mut out, rel, DiffKind::HardLinks, d));
    }
    Ok(out)
}

/// Names sharing an inode in `a` must share one in `b`, with the same link count; a name alone in `a`
/// must be alone in `b`.
fn hardlink_diffs(
    ta: &BTreeMap<PathBuf, Info>,
    tb: &BTreeMap<PathBuf, Info>,
    push: &mut dyn FnMut(&Path, String),
) {
    let mut groups: HashMap<(u64, u64), Vec<&PathBuf>> = HashMap::new();
    for (rel, i) in ta {
        if !i.md.is_dir() {
            groups.entry((i.md.dev(), i.md.ino())).or_default().push(rel);
        }
    }
    for names in groups.values() {
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

fn scan(root: &Path, opts: &CompareOptions) -> Result<BTreeMap<PathBuf, Info>> {
    let mut map = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let p = root.join(&rel);
        let md = fs::symlink_metadata(&p).map_err(|e| crate::Error::io("stat", &p, e))?;
        if md.is_dir() {
            for ent in fs::read_dir(&p).map_err(|e| crate::Error::io("read directory", &p, e))? {
                let ent = ent.map_err(|e| crate::Error::io("read directory", &p, e))?;
                stack.push(rel.join(ent.file_name()));
            }
        }
        let link = if md.file_type().is_symlink() {
            Some(fs::read_link(&p).map_err(|e| crate::Error::io("readlink", &p, e))?)
        } else {
            None
        };
        let xattrs = if opts.xattrs { read_xattrs(&p)? } else { Vec::new() };
        map.insert(rel, Info { md, link, xattrs });
    }
    Ok(map)
}

fn read_xattrs(p: &Path) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut list = vec![0u8; 64 << 10];
    let n = match rustix::fs::llistxattr(p, &mut list[..]) {
        Ok(n) => n,
        Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(super::os_err("list xattrs", p, e)),
    };
    let mut out = Vec::new();
    let mut val = vec![0u8; 64 << 10];
    for name in list[..n].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        if name == b"security.selinux" {
            continue;
        }
        let cname = std::ffi::OsStr::from_bytes(name);
        let k = match rustix::fs::lgetxattr(p, cname, &mut val[..]) {
            Ok(k) => k,
            Err(rustix::io::Errno::NODATA) => continue,
            Err(e) => return Err(super::os_err("read xattr", p, e)),
        };
        out.push((name.to_vec(), val[..k].to_vec()));
    }
    out.sort();
    Ok(out)
}

fn same_content(a: &Path, b: &Path) -> Result<bool> {
    let mut fa = File::open(a).map_err(|e| crate::Error::io("open", a, e))?;
    let mut fb = File::open(b).map_err(|e| crate::Error::io("open", b, e))?;
    let (mut ba, mut bb) = (vec![0u8; 128 << 10], vec![0u8; 128 << 10]);
    loop {
        let n = read_full(&mut fa, &mut ba).map_err(|e| crate::Error::io("read", a, e))?;
        let m = read_full(&mut fb, &mut bb).map_err(|e| crate::Error::io("read", b, e))?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}
