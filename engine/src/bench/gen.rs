//! The deterministic rootvg-like test tree.
//!
//! The same `(files, seed)` always gives the same names, contents, modes, owners, times, links and xattrs,
//! so runs on different machines (and different contestants) see the same work. The shape follows an AIX
//! rootvg: `./usr/bin` commands (some setuid/setgid), `./usr/lib` libraries (a few of 1-8 MiB), a big
//! `./usr/share`, configs in `./etc`, logs in `./var/log`, users in `./home`, products in `./opt`, a sticky
//! `./tmp`, a 64 MiB sparse file and a fifo. About 80% of the data files are small (100 B - 16 KiB).

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{self as rfs, AtFlags, Mode, OFlags, Timespec, Timestamps, XattrFlags, CWD};
use serde::{Deserialize, Serialize};

use super::{os_err, Rng};
use crate::Result;

/// What [`generate_tree`] made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenStats {
    /// Regular files (each inode once; extra hard-link names are in `hardlinks`).
    pub files: u64,
    /// Directories, the root excluded.
    pub dirs: u64,
    /// Symbolic links (one of them dangling).
    pub symlinks: u64,
    /// Extra names given to existing files.
    pub hardlinks: u64,
    /// Named pipes.
    pub fifos: u64,
    /// Sparse files.
    pub sparse: u64,
    /// Files with the setuid or setgid bit.
    pub setid: u64,
    /// Files and directories given another owner (only when running as root).
    pub chowned: u64,
    /// `user.*` xattrs set.
    pub xattrs: u64,
    /// `user.*` xattrs the filesystem refused (counted, not an error).
    pub xattrs_refused: u64,
    /// Data bytes written (apparent size of all regular files).
    pub bytes: u64,
}

/// One area of the tree: where it is, its share of the files, how its files look.
struct Area {
    dir: &'static str,
    /// Share of the files, in percent.
    pct: u64,
    /// Subdirectory name prefix; empty means all files go straight into `dir`.
    sub: &'static str,
    /// File name stem and suffix.
    stem: &'static str,
    ext: &'static str,
    /// Modes to pick from.
    modes: &'static [u32],
}

const AREAS: &[Area] = &[
    Area { dir: "usr/bin", pct: 8, sub: "", stem: "cmd", ext: "", modes: &[0o755, 0o755, 0o555, 0o750] },
    Area { dir: "usr/sbin", pct: 2, sub: "", stem: "adm", ext: "", modes: &[0o755, 0o700, 0o500] },
    Area { dir: "usr/lib", pct: 15, sub: "lib", stem: "lib", ext: ".so.1", modes: &[0o755, 0o644, 0o444] },
    Area { dir: "usr/share", pct: 33, sub: "pkg", stem: "doc", ext: ".txt", modes: &[0o644, 0o444] },
    Area { dir: "etc", pct: 5, sub: "conf", stem: "conf", ext: ".conf", modes: &[0o644, 0o600, 0o640] },
    Area { dir: "var/log", pct: 3, sub: "", stem: "log", ext: ".log", modes: &[0o640, 0o600, 0o644] },
    Area { dir: "home", pct: 14, sub: "user", stem: "file", ext: "", modes: &[0o600, 0o644, 0o640] },
    Area { dir: "opt", pct: 20, sub: "prod", stem: "obj", ext: ".dat", modes: &[0o644, 0o755, 0o664] },
];

/// Files per generated subdirectory.
const PER_DIR: u64 = 40;
/// Names of the second level of subdirectories.
const SUBS: &[&str] = &["bin", "lib", "data", "doc"];
/// Size of the shared random content buffer; every file is a slice of it.
const CONTENT: usize = 9 << 20;
/// Base of the generated modification times (2020-09-13).
const T0: i64 = 1_600_000_000;

/// A directory to create: relative path, mode, owner (uid, gid) when root.
type DirSpec = (String, u32, Option<(u32, u32)>);

/// One regular file to write.
struct FileSpec {
    path: String,
    size: u64,
    mode: u32,
    owner: Option<(u32, u32)>,
    mtime: Timespec,
    off: usize,
    xattr: bool,
}

/// Builds the tree under `dir` (created if missing; must be empty or absent) with about `files` regular
/// files, deterministically from `seed`. A generator for benchmarks and tests, reusable by other tools.
pub fn generate_tree(dir: &Path, files: usize, seed: u64) -> Result<GenStats> {
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io("create", dir, e))?;
    let root = rfs::openat(CWD, dir, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| os_err("open", dir, e))?;
    let g = Gen { root, base: dir, root_is_root: rustix::process::geteuid().is_root() };
    g.run(files.max(1) as u64, seed)
}

struct Gen<'a> {
    root: OwnedFd,
    base: &'a Path,
    root_is_root: bool,
}

impl Gen<'_> {
    fn run(&self, files: u64, seed: u64) -> Result<GenStats> {
        let mut rng = Rng::new(seed);
        let mut st = GenStats::default();
        let mut content = vec![0u8; CONTENT];
        for chunk in content.chunks_mut(8) {
            let v = rng.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        // Directories are created first and their times set last, deepest first.
        let mut dirs: Vec<DirSpec> = Vec::new();
        for top in
            ["usr", "usr/bin", "usr/sbin", "usr/lib", "usr/share", "etc", "var", "var/log", "var/spool"]
        {
            dirs.push((top.to_string(), 0o755, None));
        }
        dirs.push(("var/adm".into(), 0o775, Some((0, 4))));
        dirs.push(("home".into(), 0o755, None));
        dirs.push(("opt".into(), 0o755, None));
        dirs.push(("tmp".into(), 0o1777, None));

        let mut specs: Vec<FileSpec> = Vec::with_capacity(files as usize);
        let large = (files / 8000).max(1);
        let small_budget = files.saturating_sub(large + 1); // + the sparse file
        let mut made = 0u64;
        for (ai, area) in AREAS.iter().enumerate() {
            let n = if ai + 1 == AREAS.len() {
                small_budget.saturating_sub(made)
            } else {
                small_budget * area.pct / 100
            };
            made += n;
            let nsub = if area.sub.is_empty() { 0 } else { n.div_ceil(PER_DIR).max(1) };
            let mut subdirs = Vec::new();
            for i in 0..nsub {
                let top = format!("{}/{}{:04}", area.dir, area.sub, i / SUBS.len() as u64);
                if i % SUBS.len() as u64 == 0 {
                    let (mode, owner) = if area.dir == "home" {
                        (0o700, Some((1000 + (i / 4) as u32, 100)))
                    } else {
                        (0o755, None)
                    };
                    dirs.push((top.clone(), mode, owner));
                }
                let sub = format!("{top}/{}", SUBS[(i % SUBS.len() as u64) as usize]);
                let mode = if rng.one_in(10) { 0o750 } else { 0o755 };
                dirs.push((sub.clone(), mode, None));
                subdirs.push(sub);
            }
            for k in 0..n {
                let d = if subdirs.is_empty() {
                    area.dir.to_string()
                } else {
                    subdirs[(k / PER_DIR) as usize].clone()
                };
                let size = if rng.one_in(5) {
                    rng.log_range(4 << 10, 32 << 10)
                } else {
                    rng.log_range(100, 16 << 10)
                };
                let mut mode = area.modes[rng.range(0, area.modes.len() as u64) as usize];
                if area.dir == "usr/bin" && k % 50 == 7 {
                    mode = 0o4755;
                    st.setid += 1;
                } else if area.dir == "usr/bin" && k % 73 == 11 {
                    mode = 0o2755;
                    st.setid += 1;
                }
                let owner =
                    if k % 20 == 3 { Some((200 + (k % 5) as u32, 300 + (k % 3) as u32)) } else { None };
                specs.push(self.spec(
                    &mut rng,
                    format!("{d}/{}{k}{}", area.stem, area.ext),
                    size,
                    mode,
                    owner,
                    k % 50 == 1,
                ));
            }
        }
        for i in 0..large {
            let size = rng.range(1, 8) * (1 << 20) + rng.range(0, 1 << 20);
            specs.push(self.spec(&mut rng, format!("usr/lib/libbig{i}.a"), size, 0o644, None, false));
        }

        for (d, mode, _) in &dirs {
            rfs::mkdirat(&self.root, d.as_str(), Mode::from_raw_mode(*mode))
                .map_err(|e| os_err("mkdir", &self.base.join(d), e))?;
            st.dirs += 1;
        }
        for s in &specs {
            self.write_file(s, &content, &mut st)?;
        }

        // The sparse file: 64 MiB apparent, two 4 KiB data blocks.
        let sparse = "var/adm/sparse.img";
        let fd = self.create(sparse, 0o600)?;
        let path = self.base.join(sparse);
        for off in [0u64, 32 << 20] {
            rfs::seek(&fd, rfs::SeekFrom::Start(off)).map_err(|e| os_err("seek", &path, e))?;
            write_all(&fd, &content[..4096], &path)?;
        }
        rfs::ftruncate(&fd, 64 << 20).map_err(|e| os_err("truncate", &path, e))?;
        set_times(&fd, ts(T0, 123_456_789), &path)?;
        st.files += 1;
        st.sparse += 1;
        st.bytes += 64 << 20;

        // Hard links: about 1% of the files get a second name elsewhere; one gets three names.
        let mut linked = 0u64;
        for (i, s) in specs.iter().enumerate().filter(|(i, _)| i % 97 == 5) {
            let new = format!("usr/sbin/hl{i}");
            self.link(&s.path, &new)?;
            linked += 1;
            if linked == 1 {
                self.link(&s.path, "opt/hl-third")?;
                linked += 1;
            }
        }
        st.hardlinks = linked;

        // Symlinks: relative in the same dir, relative across dirs, absolute, and one dangling.
        let mut nsym = 0u64;
        for (i, s) in specs.iter().enumerate().filter(|(i, _)| i % 33 == 2) {
            let (dir, name) = s.path.rsplit_once('/').unwrap_or(("", s.path.as_str()));
            let (link, target) = match nsym % 3 {
                0 => (format!("{dir}/sl{i}"), name.to_string()),
                1 => (format!("usr/bin/rl{i}"), format!("../../{}", s.path)),
                _ => (format!("etc/al{i}"), format!("/{}", s.path)),
            };
            self.symlink(&target, &link, ts(T0 + i as i64, 500))?;
            nsym += 1;
        }
        self.symlink("libgone.so.9", "usr/lib/libgone.so", ts(T0, 1))?;
        st.symlinks = nsym + 1;

        rfs::mkfifoat(&self.root, "var/spool/qdaemon.fifo", Mode::from_raw_mode(0o620))
            .map_err(|e| os_err("mkfifo", &self.base.join("var/spool/qdaemon.fifo"), e))?;
        rfs::utimensat(&self.root, "var/spool/qdaemon.fifo", &tss(ts(T0 + 77, 77)), AtFlags::empty())
            .map_err(|e| os_err("set times", &self.base.join("var/spool/qdaemon.fifo"), e))?;
        st.fifos = 1;

        // Directory owners and modes, then times, deepest (latest created) first.
        for (d, mode, owner) in dirs.iter().rev() {
            let p = self.base.join(d);
            if let (Some((u, g)), true) = (owner, self.root_is_root) {
                rfs::chownat(
                    &self.root,
                    d.as_str(),
                    Some(rfs::Uid::from_raw(*u)),
                    Some(rfs::Gid::from_raw(*g)),
                    AtFlags::empty(),
                )
                .map_err(|e| os_err("chown", &p, e))?;
                st.chowned += 1;
            }
            rfs::chmodat(&self.root, d.as_str(), Mode::from_raw_mode(*mode), AtFlags::empty())
                .map_err(|e| os_err("chmod", &p, e))?;
            let t = ts(T0 + rng.range(0, 100_000_000) as i64, rng.range(0, 1_000_000_000) as i64);
            rfs::utimensat(&self.root, d.as_str(), &tss(t), AtFlags::empty())
                .map_err(|e| os_err("set times", &p, e))?;
        }
        Ok(st)
    }

    fn spec(
        &self,
        rng: &mut Rng,
        path: String,
        size: u64,
        mode: u32,
        owner: Option<(u32, u32)>,
        xattr: bool,
    ) -> FileSpec {
        let off = rng.range(0, (CONTENT as u64).saturating_sub(size).max(1)) as usize;
        let mtime = ts(T0 + rng.range(0, 100_000_000) as i64, rng.range(0, 1_000_000_000) as i64);
        FileSpec { path, size, mode, owner, mtime, off, xattr }
    }

    fn create(&self, rel: &str, mode: u32) -> Result<OwnedFd> {
        rfs::openat(
            &self.root,
            rel,
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode & 0o777),
        )
        .map_err(|e| os_err("create", &self.base.join(rel), e))
    }

    fn write_file(&self, s: &FileSpec, content: &[u8], st: &mut GenStats) -> Result<()> {
        let path = self.base.join(&s.path);
        let fd = self.create(&s.path, s.mode)?;
        let end = (s.off + s.size as usize).min(content.len());
        write_all(&fd, &content[s.off..end], &path)?;
        if s.xattr {
            let value = format!("sum={:016x}", s.off as u64 ^ s.size);
            match rfs::fsetxattr(&fd, "user.checksum", value.as_bytes(), XattrFlags::empty()) {
                Ok(()) => st.xattrs += 1,
                Err(_) => st.xattrs_refused += 1,
            }
        }
        if let (Some((u, g)), true) = (s.owner, self.root_is_root) {
            rfs::fchown(&fd, Some(rfs::Uid::from_raw(u)), Some(rfs::Gid::from_raw(g)))
                .map_err(|e| os_err("chown", &path, e))?;
            st.chowned += 1;
        }
        // After chown, which clears setuid/setgid; also undoes the umask.
        rfs::fchmod(&fd, Mode::from_raw_mode(s.mode)).map_err(|e| os_err("chmod", &path, e))?;
        set_times(&fd, s.mtime, &path)?;
        st.files += 1;
        st.bytes += (end - s.off) as u64;
        Ok(())
    }

    fn link(&self, old: &str, new: &str) -> Result<()> {
        rfs::linkat(&self.root, old, &self.root, new, AtFlags::empty())
            .map_err(|e| os_err("link", &self.base.join(new), e))
    }

    fn symlink(&self, target: &str, link: &str, t: Timespec) -> Result<()> {
        let p = self.base.join(link);
        rfs::symlinkat(target, &self.root, link).map_err(|e| os_err("symlink", &p, e))?;
        rfs::utimensat(&self.root, link, &tss(t), AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| os_err("set times", &p, e))
    }
}

fn ts(sec: i64, nsec: i64) -> Timespec {
    Timespec { tv_sec: sec, tv_nsec: nsec as _ }
}

fn tss(t: Timespec) -> Timestamps {
    Timestamps { last_access: t, last_modification: t }
}

fn set_times(fd: impl AsFd, t: Timespec, path: &Path) -> Result<()> {
    rfs::futimens(fd, &tss(t)).map_err(|e| os_err("set times", path, e))
}

fn write_all(fd: impl AsFd, mut buf: &[u8], path: &Path) -> Result<()> {
    while !buf.is_empty() {
        let n = rustix::io::write(&fd, buf).map_err(|e| os_err("write", path, e))?;
        if n == 0 {
            return Err(crate::Error::io("write", path, std::io::ErrorKind::WriteZero.into()));
        }
        buf = &buf[n..];
    }
    Ok(())
}
