//! `alt_disk_copy`: AIX flags parsed exactly, then the engine's phase machine
//! (`altdisk_engine::altdisk::copy`).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use altdisk_engine::altdisk::copy::{alt_disk_copy, CopyOptions, Phases};
use altdisk_engine::altdisk::{AlwaysFits, BakErrPolicy, CopyRequest, CopyStats, Mover};
use altdisk_engine::events::{Event, Events};
use altdisk_engine::{Error, Kind};

use super::host::{fail, getopt, host_dir, Printer};

/// `alt_disk_copy -d "disks" [flags] [disks...]`.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let (flags, operands) = getopt(&args, "disbIlfFewPcxR", "DBOVgruTSn")?;
    let mut o = CopyOptions::default();
    for (c, v) in flags {
        let v = v.unwrap_or_default();
        match c {
            'd' => o.disks.extend(v.split_whitespace().map(str::to_string)),
            'i' => o.image_data = Some(PathBuf::from(v)),
            's' => o.customize.script = Some(PathBuf::from(v)),
            'e' => o.exclude = Some(PathBuf::from(v)),
            'R' => o.customize.resolv_conf = Some(PathBuf::from(v)),
            'x' => o.customize.first_boot = Some(PathBuf::from(v)),
            'c' => o.console = Some(v),
            'P' => match Phases::parse(&v) {
                Ok(p) => o.phases = p,
                Err(e) => return Ok(fail("alt_disk_copy", e)),
            },
            'b' | 'I' | 'l' | 'f' | 'F' | 'w' => o.update_flags.push(c),
            'n' => o.customize.nim_client = true,
            'D' => o.trace = true,
            'B' => o.no_bootlist = true,
            'O' => o.device_reset = true,
            'V' => o.verbose = true,
            'g' => o.skip_boot_check = true,
            'r' => o.reboot = true,
            'u' => o.wpars = true,
            'T' => o.to_jfs2 = true,
            'S' => o.skip_space_check = true,
            _ => return crate::exit::usage(format!("alt_disk_copy: unknown flag -{c}")),
        }
    }
    // Trailing disks, as AIX's own ps transcript shows: `alt_disk_copy -d hdisk4 hdisk14 -B`.
    o.disks.extend(operands);
    if o.disks.is_empty() {
        return crate::exit::usage(
            "usage: alt_disk_copy -d targetdisks... [-i image.data] [-s script] ... [-DBOVgruTS]",
        );
    }
    o.bak_err = if std::env::var("ALT_BAK_ERR_FAIL").as_deref() == Ok("1") {
        BakErrPolicy::Fail
    } else if std::env::var("ALT_BAK_ERR_REPORT").as_deref() == Ok("1") {
        BakErrPolicy::Report
    } else {
        BakErrPolicy::Continue
    };
    let printer = Printer::new();
    match alt_disk_copy(&dir, &o, &SimpleMover, &AlwaysFits, &printer) {
        Ok(out) if out.failed => Ok(crate::exit::FAILED),
        Ok(_) => Ok(crate::exit::OK),
        Err(e) => Ok(fail("alt_disk_copy", e)),
    }
}

/// A sequential std::fs copy: replaced by the pipeline at integration. It copies directories, files, symlinks,
/// hard links, fifos and devices with owner, mode and mtime; other filesystems' mount points and `/alt_inst`
/// are copied as empty directories; `-e` patterns are applied as regular expressions (ERE, not grep's BRE) to
/// the `./path` names. It does not model per-filesystem capacity (`fs_limits`), ACLs, xattrs or sparseness.
struct SimpleMover;

struct Job<'a> {
    req: &'a CopyRequest,
    stops: Vec<String>,
    exclude: Vec<regex::Regex>,
    links: HashMap<(u64, u64), PathBuf>,
    stats: CopyStats,
    events: &'a dyn Events,
}

impl Mover for SimpleMover {
    fn copy_filesystems(&self, req: &CopyRequest, events: &dyn Events) -> Result<CopyStats, Error> {
        let mut exclude = Vec::new();
        if let Some(f) = &req.exclude_file {
            let text = fs::read_to_string(f).map_err(|e| Error::io("read", f, e))?;
            for (n, line) in text.lines().enumerate() {
                let re = regex::Regex::new(line)
                    .map_err(|e| Error::refused(format!("{}:{}: bad pattern: {e}", f.display(), n + 1)))?;
                exclude.push(re);
            }
        }
        let mut stops: Vec<String> = req.filesystems.clone();
        stops.push("/alt_inst".into());
        let mut job = Job { req, stops, exclude, links: HashMap::new(), stats: CopyStats::default(), events };
        for mp in &req.filesystems {
            let rel = mp.trim_start_matches('/');
            let src = req.src_root.join(rel);
            let dst = req.dst_root.join(rel);
            fs::create_dir_all(&dst).map_err(|e| Error::io("create", &dst, e))?;
            job.dir(&src, &dst, if mp == "/" { "" } else { mp })?;
            job.times(&src, &dst);
        }
        Ok(job.stats)
    }
}

impl Job<'_> {
    fn soft(&mut self, path: &Path, e: impl std::fmt::Display) {
        self.stats.soft_errors.push(format!("{}: {e}", path.display()));
    }

    fn times(&mut self, src: &Path, dst: &Path) {
        let Ok(m) = fs::symlink_metadata(src) else { return };
        let _ = std::os::unix::fs::lchown(dst, Some(m.uid()), Some(m.gid()));
        if !m.file_type().is_symlink() {
            let _ = fs::set_permissions(dst, fs::Permissions::from_mode(m.mode() & 0o7777));
        }
        let ts = rustix::fs::Timestamps {
            last_access: rustix::fs::Timespec { tv_sec: m.atime(), tv_nsec: m.atime_nsec() as _ },
            last_modification: rustix::fs::Timespec { tv_sec: m.mtime(), tv_nsec: m.mtime_nsec() as _ },
        };
        let _ = rustix::fs::utimensat(rustix::fs::CWD, dst, &ts, rustix::fs::AtFlags::SYMLINK_NOFOLLOW);
    }

    /// Copies the children of `src` (whose name relative to `/` is `rel`, "" for `/`) into `dst`.
    fn dir(&mut self, src: &Path, dst: &Path, rel: &str) -> Result<(), Error> {
        let rd = match fs::read_dir(src) {
            Ok(rd) => rd,
            Err(e) => {
                self.soft(src, e);
                return Ok(());
            }
        };
        let mut names: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let n = name.to_string_lossy().into_owned();
            let child_rel = format!("{rel}/{n}");
            let s = src.join(&name);
            let d = dst.join(&name);
            let archive_name = format!(".{child_rel}");
            let excluded = self.exclude.iter().any(|r| r.is_match(&archive_name));
            let m = match fs::symlink_metadata(&s) {
                Ok(m) => m,
                Err(e) => {
                    self.soft(&s, e);
                    continue;
                }
            };
            let ft = m.file_type();
            if ft.is_dir() {
                if !excluded {
                    if let Err(e) = fs::create_dir_all(&d) {
                        self.soft(&d, e);
                        continue;
                    }
                    self.entry(&archive_name, Kind::Dir, 0);
                }
                // Foreign mounts (other filesystems, /alt_inst): the mount-point directory only.
                if !self.stops.contains(&child_rel) {
                    self.dir(&s, &d, &child_rel)?;
                }
                if d.exists() {
                    self.times(&s, &d);
                }
                continue;
            }
            if excluded {
                continue;
            }
            if let Some(p) = d.parent() {
                if let Err(e) = fs::create_dir_all(p) {
                    self.soft(p, e);
                    continue;
                }
            }
            let res = if ft.is_symlink() {
                fs::read_link(&s).and_then(|t| std::os::unix::fs::symlink(t, &d)).map(|_| Kind::Symlink)
            } else if ft.is_file() {
                let key = (m.dev(), m.ino());
                if m.nlink() > 1 {
                    if let Some(first) = self.links.get(&key) {
                        let r = fs::hard_link(first, &d).map(|_| Kind::HardLink);
                        if r.is_ok() {
                            self.entry(&archive_name, Kind::HardLink, 0);
                            continue;
                        }
                    }
                    self.links.insert(key, d.clone());
                }
                fs::copy(&s, &d).map(|n| {
                    self.stats.bytes += n;
                    Kind::File
                })
            } else {
                use std::os::unix::fs::FileTypeExt;
                let kind = if ft.is_fifo() {
                    rustix::fs::FileType::Fifo
                } else if ft.is_char_device() {
                    rustix::fs::FileType::CharacterDevice
                } else if ft.is_block_device() {
                    rustix::fs::FileType::BlockDevice
                } else {
                    continue; // sockets are skipped, as mksysb's find ! -type s
                };
                rustix::fs::mknodat(
                    rustix::fs::CWD,
                    &d,
                    kind,
                    rustix::fs::Mode::from_raw_mode(m.mode() & 0o7777),
                    m.rdev(),
                )
                .map(|_| Kind::Fifo)
                .map_err(std::io::Error::from)
            };
            match res {
                Ok(k) => {
                    self.entry(&archive_name, k, if k == Kind::File { m.len() } else { 0 });
                    self.times(&s, &d);
                }
                Err(e) => self.soft(&s, e),
            }
        }
        Ok(())
    }

    fn entry(&mut self, name: &str, kind: Kind, size: u64) {
        self.stats.entries += 1;
        if self.req.verbose {
            self.events.event(&Event::Entry { name: name.as_bytes(), kind, size, link: None });
        }
    }
}
