//! `backup -i`: entries for the names read from a list (one per line, as `find . -print` writes them), each
//! stored exactly as given and `lstat`ed relative to the current directory (the job itself is
//! `pipeline::backup_list`).

use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{FileType, Mode, OFlags, CWD};

use crate::acl::{PosixAcl, XATTR_ACCESS, XATTR_DEFAULT};
use crate::entry::{DevId, Entry, EntryData, Kind, Meta, SourceFile, Timestamp, Xattr};

/// Builds [`Entry`] values from paths, keeping the last parent directory open (lists are grouped by
/// directory, so this opens each directory about once).
#[derive(Default)]
pub struct PathEntries {
    parent: Option<(PathBuf, Arc<OwnedFd>)>,
}

/// Result of [`PathEntries::entry`].
pub enum PathEntry {
    /// Archive this.
    Entry(Box<Entry>),
    /// A socket: AIX backup skips these.
    Socket,
}

impl PathEntries {
    /// A builder with no open directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// `lstat`s `name` (relative to the current directory unless absolute) and describes it. The data of a
    /// regular file is opened only when the writer needs it.
    pub fn entry(&mut self, name: &[u8]) -> std::io::Result<PathEntry> {
        let path = Path::new(std::ffi::OsStr::from_bytes(name));
        let st = rustix::fs::statat(CWD, path, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)?;
        let ft = FileType::from_raw_mode(st.st_mode);
        let kind = match ft {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            FileType::CharacterDevice => Kind::CharDev,
            FileType::BlockDevice => Kind::BlockDev,
            FileType::Fifo => Kind::Fifo,
            _ => return Ok(PathEntry::Socket),
        };
        let ts = |sec: i64, nsec: i64| Timestamp { sec, nsec: nsec.clamp(0, 999_999_999) as u32 };
        let mut meta = Meta {
            mode: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
            atime: ts(st.st_atime, st.st_atime_nsec as i64),
            mtime: ts(st.st_mtime, st.st_mtime_nsec as i64),
            ctime: ts(st.st_ctime, st.st_ctime_nsec as i64),
            size: if matches!(kind, Kind::File | Kind::Dir) { st.st_size as u64 } else { 0 },
            nlink: st.st_nlink as u32,
            ino: st.st_ino,
            dev: DevId::from_dev(st.st_dev),
            rdev: DevId::from_dev(st.st_rdev),
            ..Meta::default()
        };
        let mut e = Entry::new(name, kind, meta.clone());
        if kind == Kind::Symlink {
            let t = rustix::fs::readlinkat(CWD, path, Vec::new())?.into_bytes();
            meta.size = t.len() as u64;
            e.link_target = Some(t);
        } else {
            read_xattrs(path, &mut meta);
        }
        if kind == Kind::File {
            e.data = EntryData::Source(self.source(path)?);
        }
        e.meta = meta;
        Ok(PathEntry::Entry(Box::new(e)))
    }

    fn source(&mut self, path: &Path) -> std::io::Result<SourceFile> {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let dir = match &self.parent {
            Some((p, fd)) if *p == parent => fd.clone(),
            _ => {
                let fd = rustix::fs::openat(
                    CWD,
                    &parent,
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )?;
                let fd = Arc::new(fd);
                self.parent = Some((parent, fd.clone()));
                fd
            }
        };
        let base = path.file_name().map(|n| n.as_bytes()).unwrap_or(b".");
        let name = CString::new(base).map_err(std::io::Error::other)?;
        Ok(SourceFile { dir, name, path: path.to_path_buf(), open: None })
    }
}

/// Reads POSIX ACLs and the other xattrs (kept so the writer can count what the format drops).
fn read_xattrs(path: &Path, meta: &mut Meta) {
    let mut names = vec![0u8; 4096];
    let Ok(n) = rustix::fs::llistxattr(path, &mut names) else { return };
    for xname in names[..n].split(|&b| b == 0).filter(|s| !s.is_empty()) {
        let Ok(cname) = CString::new(xname) else { continue };
        let mut val = vec![0u8; 65536];
        let Ok(len) = rustix::fs::lgetxattr(path, cname.as_c_str(), &mut val) else { continue };
        val.truncate(len);
        if xname == XATTR_ACCESS {
            if let Ok(acl) = PosixAcl::from_xattr(&val) {
                if acl.is_extended() {
                    meta.acl = Some(acl);
                }
            }
        } else if xname == XATTR_DEFAULT {
            if let Ok(acl) = PosixAcl::from_xattr(&val) {
                meta.default_acl = Some(acl);
            }
        } else {
            meta.xattrs.push(Xattr { name: xname.to_vec(), value: val });
        }
    }
}
