//! Helpers shared by the tree writer tests.
#![allow(dead_code)]

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use altdisk_engine::acl::{self, PosixAcl};
use altdisk_engine::entry::{SourceFile, Xattr};
use altdisk_engine::events::RecordEvents;
use altdisk_engine::tree::{write_tree, TreeOptions, TreeStats};
use altdisk_engine::{DevId, Entry, EntryData, Error, Kind, Meta, Timestamp};
use rustix::fs::{Mode, OFlags};

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Feeds `entries` through a bounded channel from another thread, as the pipeline does.
pub fn run(opts: &TreeOptions, entries: Vec<Entry>) -> (Result<TreeStats, Error>, Vec<String>) {
    let (tx, rx) = altdisk_engine::pipeline::channel();
    let feeder = std::thread::spawn(move || {
        let mut out = altdisk_engine::pipeline::Batcher::new(&tx);
        for e in entries {
            if out.push(e).is_err() {
                break;
            }
        }
    });
    let ev = RecordEvents::default();
    let r = write_tree(opts, rx, &ev);
    let _ = feeder.join();
    let lines = ev.0.lock().map(|v| v.clone()).unwrap_or_default();
    (r, lines)
}

pub fn opts(target: &Path) -> TreeOptions {
    TreeOptions { target: target.to_path_buf(), threads: 2, ..TreeOptions::default() }
}

pub fn meta(mode: u32) -> Meta {
    Meta {
        mode,
        uid: rustix::process::geteuid().as_raw(),
        gid: rustix::process::getegid().as_raw(),
        nlink: 1,
        ..Meta::default()
    }
}

pub fn file(name: &[u8], mode: u32, data: &[u8]) -> Entry {
    let mut m = meta(mode);
    m.size = data.len() as u64;
    let mut e = Entry::new(name, Kind::File, m);
    e.data = EntryData::Bytes(data.to_vec().into());
    e
}

pub fn dir(name: &[u8], mode: u32) -> Entry {
    Entry::new(name, Kind::Dir, meta(mode))
}

pub fn symlink(name: &[u8], target: &[u8]) -> Entry {
    let mut e = Entry::new(name, Kind::Symlink, meta(0o777));
    e.link_target = Some(target.to_vec());
    e
}

pub fn hardlink(name: &[u8], first: &[u8]) -> Entry {
    let mut e = Entry::new(name, Kind::HardLink, meta(0o644));
    e.link_target = Some(first.to_vec());
    e
}

fn open_dir(p: &Path) -> Arc<OwnedFd> {
    Arc::new(rustix::fs::open(p, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap())
}

/// A minimal walker for tests: every object below `root` as entries (pre-order, sorted), with full
/// metadata and `Source` data, the way the real walker hands them over.
pub fn walk(root: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::new();
    walk_in(root, b".", open_dir(root), &mut out, &mut seen);
    out
}

fn walk_in(
    path: &Path,
    name: &[u8],
    dirfd: Arc<OwnedFd>,
    out: &mut Vec<Entry>,
    seen: &mut std::collections::HashMap<(u64, u64), Vec<u8>>,
) {
    let md = std::fs::symlink_metadata(path).unwrap();
    let mut e = Entry::new(name, Kind::from_ifmt(md.mode()).unwrap(), meta_of(path, &md));
    if e.kind == Kind::Symlink {
        e.link_target = Some(std::fs::read_link(path).unwrap().as_os_str().as_bytes().to_vec());
    }
    if e.kind == Kind::File {
        if md.nlink() > 1 {
            if let Some(first) = seen.get(&(md.dev(), md.ino())) {
                e.kind = Kind::HardLink;
                e.link_target = Some(first.clone());
            } else {
                seen.insert((md.dev(), md.ino()), name.to_vec());
            }
        }
        let fname = path.file_name().unwrap().as_bytes();
        e.data = EntryData::Source(SourceFile {
            dir: dirfd.clone(),
            name: CString::new(fname).unwrap(),
            path: path.to_path_buf(),
            open: None,
        });
    }
    let is_dir = e.kind == Kind::Dir;
    out.push(e);
    if is_dir {
        let fd = open_dir(path);
        let mut kids: Vec<_> = std::fs::read_dir(path).unwrap().map(|d| d.unwrap().file_name()).collect();
        kids.sort();
        for k in kids {
            let mut n = name.to_vec();
            n.push(b'/');
            n.extend_from_slice(k.as_bytes());
            walk_in(&path.join(&k), &n, fd.clone(), out, seen);
        }
    }
}

pub fn meta_of(path: &Path, md: &std::fs::Metadata) -> Meta {
    let mut m = Meta {
        mode: md.mode() & 0o7777,
        uid: md.uid(),
        gid: md.gid(),
        atime: Timestamp { sec: md.atime(), nsec: md.atime_nsec() as u32 },
        mtime: Timestamp { sec: md.mtime(), nsec: md.mtime_nsec() as u32 },
        ctime: Timestamp { sec: md.ctime(), nsec: md.ctime_nsec() as u32 },
        size: md.size(),
        nlink: md.nlink() as u32,
        ino: md.ino(),
        dev: DevId::from_dev(md.dev()),
        rdev: DevId::from_dev(md.rdev()),
        ..Meta::default()
    };
    for name in xattr_names(path) {
        let v = get_xattr(path, &name).unwrap_or_default();
        if name == acl::XATTR_ACCESS {
            m.acl = PosixAcl::from_xattr(&v).ok();
        } else if name == acl::XATTR_DEFAULT {
            m.default_acl = PosixAcl::from_xattr(&v).ok();
        } else {
            m.xattrs.push(Xattr { name, value: v });
        }
    }
    m
}

pub fn xattr_names(path: &Path) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; 65536];
    let n = rustix::fs::llistxattr(path, &mut buf[..]).unwrap_or(0);
    buf[..n].split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| s.to_vec()).collect()
}

pub fn get_xattr(path: &Path, name: &[u8]) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 65536];
    let n = rustix::fs::lgetxattr(path, name, &mut buf[..]).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// `rsync -naHAXc --delete -i SRC/ DST/`: what rsync would still change (empty when the trees match).
pub fn rsync_diff(src: &Path, dst: &Path) -> String {
    let out = std::process::Command::new("rsync")
        .arg("-naHAXc")
        .arg("--delete")
        .arg("-i")
        .arg(format!("{}/", src.display()))
        .arg(format!("{}/", dst.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "rsync failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a shell command, asserting success.
pub fn sh(cmd: &str) {
    let st = std::process::Command::new("sh").arg("-c").arg(cmd).status().unwrap();
    assert!(st.success(), "command failed: {cmd}");
}
