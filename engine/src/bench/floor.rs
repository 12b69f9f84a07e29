//! The floor contestant: the cheapest possible tree copy, to measure how close a real copy gets.
//!
//! It issues only what any copy must: one pass of `mkdir`s, then per file `openat` (source), `fstat`
//! (size and mode), `openat(O_CREAT|O_EXCL)` (target), a `copy_file_range` loop and two `close`s, over
//! `threads` workers taking whole directories. Symlinks are recreated so the tree keeps its shape. It keeps
//! no owners, times, xattrs, ACLs, holes or hard links, and skips fifos and devices: fidelity checks are
//! expected to report that. The same thing as `floor copycfr` in `/work/shared/tools/floor.c`.

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use rustix::fs::{self as rfs, Dir, FileType, Mode, OFlags, CWD};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};

use super::os_err;
use crate::Result;

/// What [`floor_copy`] copied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloorStats {
    /// Directories created (the target root excluded).
    pub dirs: u64,
    /// Regular files copied (hard-linked names copied again).
    pub files: u64,
    /// Symlinks recreated.
    pub symlinks: u64,
    /// Data bytes copied.
    pub bytes: u64,
    /// Fifos, devices and sockets skipped.
    pub skipped: u64,
}

/// Copies the tree `src` to `dst` (created if missing) the minimal way, with `threads` workers.
pub fn floor_copy(src: &Path, dst: &Path, threads: usize) -> Result<FloorStats> {
    // Pass 1: the directory list, parents before children, and the mkdirs.
    let mut dirs: Vec<PathBuf> = vec![PathBuf::new()];
    let mut i = 0;
    let mut buf = Vec::new();
    while i < dirs.len() {
        let rel = dirs[i].clone();
        let here = src.join(&rel);
        let fd = open_dir(&here)?;
        let mut dir = Dir::new(fd).map_err(|e| os_err("read directory", &here, e))?;
        buf.clear();
        while let Some(ent) = dir.read() {
            let ent = ent.map_err(|e| os_err("read directory", &here, e))?;
            let name = ent.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let ty = match ent.file_type() {
                FileType::Unknown => {
                    stat_type(dir.fd().map_err(|e| os_err("stat", &here, e))?, ent.file_name())
                        .map_err(|e| os_err("stat", &here.join(std::ffi::OsStr::from_bytes(name)), e))?
                }
                t => t,
            };
            if ty == FileType::Directory {
                buf.push(rel.join(std::ffi::OsStr::from_bytes(name)));
            }
        }
        dirs.append(&mut buf);
        i += 1;
    }
    match std::fs::create_dir(dst) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(crate::Error::io("mkdir", dst, e)),
    }
    for d in &dirs[1..] {
        let p = dst.join(d);
        rfs::mkdirat(CWD, &p, Mode::from_raw_mode(0o755)).map_err(|e| os_err("mkdir", &p, e))?;
    }

    // Pass 2: files, one directory at a time per worker.
    let next = AtomicUsize::new(0);
    let stats = Counters::default();
    let first_err: Mutex<Option<crate::Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                let mut io_buf = Vec::new();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= dirs.len() || first_err.lock().map(|g| g.is_some()).unwrap_or(true) {
                        return;
                    }
                    if let Err(e) = copy_dir(src, dst, &dirs[k], &stats, &mut io_buf) {
                        if let Ok(mut g) = first_err.lock() {
                            g.get_or_insert(e);
                        }
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = first_err.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(FloorStats {
        dirs: (dirs.len() - 1) as u64,
        files: stats.files.into_inner(),
        symlinks: stats.symlinks.into_inner(),
        bytes: stats.bytes.into_inner(),
        skipped: stats.skipped.into_inner(),
    })
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    symlinks: AtomicU64,
    bytes: AtomicU64,
    skipped: AtomicU64,
}

fn open_dir(p: &Path) -> Result<OwnedFd> {
    rfs::openat(CWD, p, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| os_err("open directory", p, e))
}

fn stat_type(dir: impl AsFd, name: &std::ffi::CStr) -> std::result::Result<FileType, Errno> {
    let st = rfs::statat(dir, name, rfs::AtFlags::SYMLINK_NOFOLLOW)?;
    Ok(FileType::from_raw_mode(st.st_mode))
}

fn copy_dir(src: &Path, dst: &Path, rel: &Path, c: &Counters, io_buf: &mut Vec<u8>) -> Result<()> {
    let sp = src.join(rel);
    let dp = dst.join(rel);
    let dfd = open_dir(&dp)?;
    let mut dir = Dir::new(open_dir(&sp)?).map_err(|e| os_err("read directory", &sp, e))?;
    let mut names: Vec<(CString, FileType)> = Vec::new();
    while let Some(ent) = dir.read() {
        let ent = ent.map_err(|e| os_err("read directory", &sp, e))?;
        let name = ent.file_name();
        if name.to_bytes() == b"." || name.to_bytes() == b".." {
            continue;
        }
        names.push((name.to_owned(), ent.file_type()));
    }
    let sfd = dir.fd().map_err(|e| os_err("read directory", &sp, e))?;
    let mut nbytes = 0u64;
    for (name, ty) in names {
        let path = || sp.join(std::ffi::OsStr::from_bytes(name.to_bytes()));
        let ty = match ty {
            FileType::Unknown => stat_type(sfd, &name).map_err(|e| os_err("stat", &path(), e))?,
            t => t,
        };
        match ty {
            FileType::Directory => {}
            FileType::Symlink => {
                let target =
                    rfs::readlinkat(sfd, &name, Vec::new()).map_err(|e| os_err("readlink", &path(), e))?;
                rfs::symlinkat(target.as_c_str(), &dfd, &name).map_err(|e| os_err("symlink", &path(), e))?;
                c.symlinks.fetch_add(1, Ordering::Relaxed);
            }
            FileType::RegularFile => {
                let flags = OFlags::RDONLY | OFlags::CLOEXEC;
                let input = match rfs::openat(sfd, &name, flags | OFlags::NOATIME, Mode::empty()) {
                    Err(Errno::PERM) => rfs::openat(sfd, &name, flags, Mode::empty()),
                    r => r,
                }
                .map_err(|e| os_err("open", &path(), e))?;
                let st = rfs::fstat(&input).map_err(|e| os_err("stat", &path(), e))?;
                let out = rfs::openat(
                    &dfd,
                    &name,
                    OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
                    Mode::from_raw_mode(st.st_mode & 0o7777),
                )
                .map_err(|e| os_err("create", &dp.join(std::ffi::OsStr::from_bytes(name.to_bytes())), e))?;
                nbytes += copy_data(&input, &out, st.st_size as u64, io_buf)
                    .map_err(|e| os_err("copy", &path(), e))?;
                c.files.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                c.skipped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    c.bytes.fetch_add(nbytes, Ordering::Relaxed);
    Ok(())
}

/// `copy_file_range` until the end; read/write where the kernel cannot (cross-device on old kernels, some
/// filesystems).
fn copy_data(
    input: &OwnedFd,
    out: &OwnedFd,
    size: u64,
    io_buf: &mut Vec<u8>,
) -> std::result::Result<u64, Errno> {
    let mut done = 0u64;
    while done < size {
        match rfs::copy_file_range(input, None, out, None, (size - done).min(1 << 30) as usize) {
            Ok(0) => return Ok(done),
            Ok(n) => done += n as u64,
            Err(Errno::XDEV | Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
                return read_write(input, out, done, io_buf);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

fn read_write(
    input: &OwnedFd,
    out: &OwnedFd,
    mut done: u64,
    io_buf: &mut Vec<u8>,
) -> std::result::Result<u64, Errno> {
    io_buf.resize(256 << 10, 0);
    loop {
        let n = rustix::io::read(input, &mut io_buf[..])?;
        if n == 0 {
            return Ok(done);
        }
        let mut w = &io_buf[..n];
        while !w.is_empty() {
            let k = rustix::io::write(out, w)?;
            w = &w[k..];
        }
        done += n as u64;
    }
}
