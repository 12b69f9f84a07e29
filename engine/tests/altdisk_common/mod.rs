//! Shared helpers for the host/altdisk tests (included with `#[path]`).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use altdisk_engine::altdisk::{CopyRequest, CopyStats, Mover};
use altdisk_engine::events::{Events, RecordEvents};
use altdisk_engine::host::Host;
use altdisk_engine::Error;

/// Test-only mover: `cp -a` per filesystem; other filesystems' mount points and /alt_inst stay empty dirs.
pub struct CpMover {
    /// Soft errors to report (for the ALT_BAK_ERR tests).
    pub fake_errors: Vec<String>,
    /// Fail hard after copying (a crash stand-in).
    pub fail: bool,
}

pub const CP: CpMover = CpMover { fake_errors: Vec::new(), fail: false };

impl Mover for CpMover {
    fn copy_filesystems(&self, req: &CopyRequest, _events: &dyn Events) -> Result<CopyStats, Error> {
        let mut stats = CopyStats::default();
        for mp in &req.filesystems {
            let rel = mp.trim_start_matches('/');
            let src = req.src_root.join(rel);
            let dst = req.dst_root.join(rel);
            std::fs::create_dir_all(&dst).map_err(|e| Error::io("create", &dst, e))?;
            for e in std::fs::read_dir(&src).map_err(|e| Error::io("read", &src, e))? {
                let e = e.map_err(|e| Error::io("read", &src, e))?;
                let child =
                    format!("{}/{}", if mp == "/" { "" } else { mp }, e.file_name().to_string_lossy());
                if child == "/alt_inst" || req.filesystems.contains(&child) {
                    std::fs::create_dir_all(dst.join(e.file_name()))
                        .map_err(|x| Error::io("create", &dst, x))?;
                    continue;
                }
                let st = Command::new("cp")
                    .arg("-a")
                    .arg(e.path())
                    .arg(&dst)
                    .status()
                    .map_err(|x| Error::io("run", "cp", x))?;
                if !st.success() {
                    stats.soft_errors.push(format!("cp {} failed", e.path().display()));
                }
                stats.entries += 1;
            }
            // The filesystem's root directory takes the source's mode (it is restored as `./mp`).
            let mode = std::fs::metadata(&src).map_err(|e| Error::io("stat", &src, e))?.mode();
            std::fs::set_permissions(&dst, std::os::unix::fs::PermissionsExt::from_mode(mode & 0o7777))
                .map_err(|e| Error::io("chmod", &dst, e))?;
        }
        stats.soft_errors.extend(self.fake_errors.iter().cloned());
        if self.fail {
            return Err(Error::Cancelled("test mover failed".into()));
        }
        Ok(stats)
    }
}

/// A sample host with ~`files` files in a fresh temporary directory.
pub fn sample(files: usize) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let dir = t.path().join("host");
    Host::init_sample(&dir, files, &[]).expect("init_sample");
    (t, dir)
}

/// Path → (mode, size, content digest or link target) of every entry under `root`, skipping `alt_inst`.
pub fn snapshot(root: &Path) -> BTreeMap<String, (u32, u64, String)> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, (u32, u64, String)>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(base).unwrap_or(&p).to_string_lossy().into_owned();
        if rel == "alt_inst" {
            continue;
        }
        let Ok(m) = std::fs::symlink_metadata(&p) else { continue };
        let what = if m.file_type().is_symlink() {
            std::fs::read_link(&p).map(|t| t.display().to_string()).unwrap_or_default()
        } else if m.is_file() {
            let data = std::fs::read(&p).unwrap_or_default();
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in data {
                h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
            }
            format!("{h:016x}")
        } else {
            String::new()
        };
        let size = if m.is_file() { m.len() } else { 0 };
        out.insert(rel, (m.mode(), size, what));
        if m.is_dir() {
            walk(base, &p, out);
        }
    }
}

/// The message lines recorded (without the `msg ` prefix).
pub fn messages(ev: &RecordEvents) -> Vec<String> {
    ev.0.lock()
        .map(|v| v.iter().filter_map(|l| l.strip_prefix("msg ").map(str::to_string)).collect())
        .unwrap_or_default()
}
