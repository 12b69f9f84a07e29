//! `clone --update`: the stage between the exclude filter and the tree writer that drops every entry the target
//! already holds as the source has it, and `--delete`'s pass over the target afterwards.
//!
//! An entry is unchanged when the target's `lstat` of the same name shows the same type, size, modification
//! time, permission bits and owner (each only when the writer would keep it), the same symlink target or device
//! number, and the same xattrs and ACLs; a hard link is unchanged when its name already is the same inode as
//! its first name. Directories always go through (the writer reuses them and applies their metadata at the
//! end, after their contents changed their times). Everything is looked up relative to the open target
//! directory, never following a symlink at the end of a name; below a name whose target was not a directory
//! nothing is looked up at all (the writer makes it anew).

use std::collections::{HashMap, HashSet};
use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use super::names::{self, key_of};
use super::{Policy, TreeOptions};
use crate::entry::{Entry, Kind, Meta, Timestamp};

/// A directory's access and modification times.
type DirTimes = (Timestamp, Timestamp);
use crate::error::Error;
use crate::events::{Event, Events};

/// The `--update` comparison against one target directory, and what `--delete` needs to know afterwards.
pub struct Update {
    target: OwnedFd,
    target_path: Vec<u8>,
    dev: u64,
    owner: bool,
    mode: bool,
    times: bool,
    xattrs: bool,
    acls: bool,
    /// Directories whose target was missing or not a directory: everything below them is new.
    fresh: HashSet<Vec<u8>>,
    /// Every name the source has (only with `--delete`), with a directory's access and modification times
    /// (put back after a removal inside it changed them).
    seen: Option<HashMap<Vec<u8>, Option<DirTimes>>>,
    /// Entries found unchanged and dropped.
    pub unchanged: u64,
}

impl Update {
    /// Compares against `opts.target` (which must exist), keeping what `opts` would keep; `delete` remembers
    /// every source name for [`Update::delete_extraneous`].
    pub fn new(opts: &TreeOptions, delete: bool) -> Result<Self, Error> {
        let target = rustix::fs::open(
            &opts.target,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io("open", &opts.target, e.into()))?;
        let dev = rustix::fs::fstat(&target).map_err(|e| Error::io("stat", &opts.target, e.into()))?.st_dev;
        Ok(Update {
            target,
            target_path: opts.target.as_os_str().as_bytes().to_vec(),
            dev,
            owner: opts.owner != Policy::Off,
            mode: opts.mode != Policy::Off,
            times: opts.times != Policy::Off,
            xattrs: opts.xattrs != Policy::Off,
            acls: opts.acls != Policy::Off,
            fresh: HashSet::new(),
            seen: delete.then(HashMap::new),
            unchanged: 0,
        })
    }

    /// True when `e` must be written: it is new, or differs from what the target holds. A non-directory that
    /// stands where the source has a directory is left to the writer (which replaces it); a directory that
    /// stands where the source has anything else is removed here, with its contents, so the writer can
    /// create the new object.
    pub fn changed(&mut self, e: &Entry, events: &dyn Events) -> bool {
        let Ok(name) = names::resolve(&e.name, false) else { return true };
        let key = name.key();
        let is_dir = e.kind == Kind::Dir;
        if let Some(seen) = &mut self.seen {
            seen.insert(key.clone(), is_dir.then_some((e.meta.atime, e.meta.mtime)));
        }
        if name.parts.is_empty() {
            return true;
        }
        let parent = key_of(name.anchor, &name.parts[..name.parts.len() - 1]);
        if !parent.is_empty() && self.fresh.contains(&parent) {
            if is_dir {
                self.fresh.insert(key);
            }
            return true;
        }
        let st = match rustix::fs::statat(&self.target, key.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(_) => {
                if is_dir {
                    self.fresh.insert(key);
                }
                return true;
            }
        };
        let ft = FileType::from_raw_mode(st.st_mode);
        if is_dir {
            if ft != FileType::Directory {
                self.fresh.insert(key);
            }
            return true;
        }
        if ft == FileType::Directory {
            if let Err(err) = remove_tree(&self.target, &key, self.dev) {
                events.event(&Event::SoftError {
                    class: "delete",
                    path: self.path_display(&key),
                    message: err.to_string(),
                });
            }
            return true;
        }
        let same_object = match e.kind {
            Kind::File => ft == FileType::RegularFile && st.st_size as u64 == e.meta.size,
            Kind::Symlink => {
                ft == FileType::Symlink
                    && rustix::fs::readlinkat(&self.target, key.as_slice(), Vec::new())
                        .is_ok_and(|t| Some(t.as_bytes()) == e.link_target.as_deref())
            }
            Kind::CharDev => ft == FileType::CharacterDevice && st.st_rdev == e.meta.rdev.to_dev(),
            Kind::BlockDev => ft == FileType::BlockDevice && st.st_rdev == e.meta.rdev.to_dev(),
            Kind::Fifo => ft == FileType::Fifo,
            Kind::HardLink => {
                let first = e.link_target.as_deref().and_then(|t| names::resolve(t, false).ok());
                let same = first.is_some_and(|f| {
                    rustix::fs::statat(&self.target, f.key().as_slice(), AtFlags::SYMLINK_NOFOLLOW)
                        .is_ok_and(|fst| fst.st_dev == st.st_dev && fst.st_ino == st.st_ino)
                });
                if same {
                    self.unchanged += 1;
                }
                return !same;
            }
            Kind::Dir => true,
        };
        if same_object && self.same_meta(&st, &e.meta, e.kind, &key) {
            self.unchanged += 1;
            return false;
        }
        true
    }

    /// Owner, permission bits, modification time, xattrs and ACLs, each only when the writer keeps it.
    fn same_meta(&self, st: &rustix::fs::Stat, m: &Meta, kind: Kind, key: &[u8]) -> bool {
        if self.owner && (st.st_uid != m.uid || st.st_gid != m.gid) {
            return false;
        }
        if self.mode && kind != Kind::Symlink && st.st_mode & 0o7777 != m.mode & 0o7777 {
            return false;
        }
        if self.times && (st.st_mtime != m.mtime.sec || st.st_mtime_nsec as i64 != i64::from(m.mtime.nsec)) {
            return false;
        }
        if self.xattrs || self.acls {
            let mut path = self.target_path.clone();
            path.push(b'/');
            path.extend_from_slice(key);
            let Some(have) = crate::walk::path_xattrs(&path, self.xattrs, self.acls) else { return false };
            if have.xattrs != m.xattrs || have.acl != m.acl || have.default_acl != m.default_acl {
                return false;
            }
        }
        true
    }

    fn path_display(&self, key: &[u8]) -> String {
        let mut p = std::path::PathBuf::from(OsStr::from_bytes(&self.target_path));
        p.push(OsStr::from_bytes(key));
        p.display().to_string()
    }

    /// `--delete`: removes every object of the target the source does not have (contents before their
    /// directory), except names `keep` says to keep (the excluded ones, which the source never sent). Never
    /// follows a symlink and never enters another filesystem. Returns how many objects were removed; a
    /// removal that fails is a soft error.
    pub fn delete_extraneous(&self, keep: &dyn Fn(&[u8]) -> bool, events: &dyn Events) -> u64 {
        let Some(seen) = &self.seen else { return 0 };
        let mut removed = 0;
        let mut stack: Vec<(OwnedFd, Vec<u8>)> = Vec::new();
        let Ok(root) = rustix::fs::openat(&self.target, c".", dir_flags(), Mode::empty()) else { return 0 };
        stack.push((root, Vec::new()));
        while let Some((dir, prefix)) = stack.pop() {
            let before = removed;
            for child in list(&dir) {
                let mut key = prefix.clone();
                if !key.is_empty() {
                    key.push(b'/');
                }
                key.extend_from_slice(&child);
                if seen.contains_key(&key) {
                    let Ok(c) = CString::new(child.clone()) else { continue };
                    if let Ok(fd) = rustix::fs::openat(&dir, c.as_c_str(), dir_flags(), Mode::empty()) {
                        if rustix::fs::fstat(&fd).is_ok_and(|s| s.st_dev == self.dev) {
                            stack.push((fd, key));
                        }
                    }
                    continue;
                }
                let mut walk_name = b"./".to_vec();
                walk_name.extend_from_slice(&key);
                if keep(&walk_name) {
                    continue;
                }
                match remove_tree(&dir, &child, self.dev) {
                    Ok(n) => removed += n,
                    Err(err) => events.event(&Event::SoftError {
                        class: "delete",
                        path: self.path_display(&key),
                        message: err.to_string(),
                    }),
                }
            }
            if removed != before && self.times {
                if let Some(Some((atime, mtime))) = seen.get(&prefix) {
                    let ts = |t: &Timestamp| rustix::fs::Timespec {
                        tv_sec: t.sec,
                        tv_nsec: i64::from(t.nsec) as _,
                    };
                    let t = rustix::fs::Timestamps { last_access: ts(atime), last_modification: ts(mtime) };
                    if let Err(err) = rustix::fs::futimens(&dir, &t) {
                        events.event(&Event::SoftError {
                            class: "times",
                            path: self.path_display(&prefix),
                            message: io::Error::from(err).to_string(),
                        });
                    }
                }
            }
        }
        removed
    }
}

fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

/// The names in `dir` (without `.` and `..`).
fn list(dir: &OwnedFd) -> Vec<Vec<u8>> {
    let Ok(d) = rustix::fs::Dir::read_from(dir) else { return Vec::new() };
    d.filter_map(Result::ok)
        .map(|e| e.file_name().to_bytes().to_vec())
        .filter(|n| n != b"." && n != b"..")
        .collect()
}

/// Removes `name` in `dir` (a relative name, possibly with `/`), and, for a directory, its contents first,
/// deepest first; a directory on another filesystem is not entered (and so not removed). Returns how many
/// objects went.
fn remove_tree(dir: &OwnedFd, name: &[u8], dev: u64) -> io::Result<u64> {
    let c = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let st = rustix::fs::statat(dir, c.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        rustix::fs::unlinkat(dir, c.as_c_str(), AtFlags::empty())?;
        return Ok(1);
    }
    if st.st_dev != dev {
        return Err(io::Error::from_raw_os_error(libc::EXDEV));
    }
    let sub = rustix::fs::openat(dir, c.as_c_str(), dir_flags(), Mode::empty())?;
    let mut n = 0;
    for child in list(&sub) {
        n += remove_tree(&sub, &child, dev)?;
    }
    rustix::fs::unlinkat(dir, c.as_c_str(), AtFlags::REMOVEDIR)?;
    Ok(n + 1)
}
