//! Helpers shared by the command-line tests: running the binary, on a modelled host or in a directory.
// Each test file uses its own subset.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_altdisk");

/// Runs the binary in `cwd` with no standard input.
pub fn altdisk<S: AsRef<OsStr>>(args: &[S], cwd: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(cwd).stdin(Stdio::null()).output().expect("run altdisk")
}

/// Runs the binary on the host model in `host`, without the caller's `ALT_BAK_ERR_*` settings.
pub fn run(host: &Path, args: &[&str]) -> Output {
    run_env(host, args, &[])
}

/// [`run`] with extra environment variables.
pub fn run_env(host: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args).env("ALTDISK_HOST", host).env_remove("ALT_BAK_ERR_FAIL").env_remove("ALT_BAK_ERR_REPORT");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run altdisk")
}

/// A sample host with `files` files in a new temporary directory.
pub fn new_host(files: &str) -> (tempfile::TempDir, PathBuf) {
    new_host_with(&["--files", files])
}

/// A sample host made with these extra `host init --sample` arguments, in a new temporary directory.
pub fn new_host_with(args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let h = t.path().join("host");
    let o = Command::new(BIN).args(["host", "init"]).arg(&h).arg("--sample").args(args).output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    (t, h)
}

/// Bytes as text, lossily.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Standard output as text.
pub fn out(o: &Output) -> String {
    text(&o.stdout)
}

/// Standard error as text.
pub fn err(o: &Output) -> String {
    text(&o.stderr)
}

/// The command names `altdisk --help` lists, in its order (not `help`).
pub fn listed_commands(help: &str) -> Vec<String> {
    help.split("Commands:\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|n| n != "help")
        .collect()
}

/// The rsync oracle: `rsync -naHAXci [--delete] SRC/ DST/`, what rsync would still change (empty when DST
/// equals SRC in every metadata class).
pub fn rsync_diff(src: &Path, dst: &Path, delete: bool) -> String {
    let mut c = Command::new("rsync");
    c.arg("-naHAXci");
    if delete {
        c.arg("--delete");
    }
    let o = c.arg(format!("{}/", src.display())).arg(format!("{}/", dst.display())).output().unwrap();
    assert!(o.status.success(), "rsync: {}", err(&o));
    out(&o)
}

/// True when the tests run as root (mounts, mknod, chown).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A tmpfs mounted for the duration of a test.
pub struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs of `size` (e.g. "512k") at `at`, creating the directory; `None` when mounting fails.
    pub fn tmpfs(at: &Path, size: &str) -> Option<Mount> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then(|| Mount(at.to_path_buf()))
    }
}

impl Mount {
    /// Makes a `size`-byte sparse image `img`, formats it with `mkfs` (`mkfs.xfs`, `mkfs.ext4` with its
    /// arguments) and loop-mounts it at `at`. `Err` says why not (not root, the tool missing, mount refused).
    pub fn loop_image(img: &Path, size: u64, mkfs: &[&str], at: &Path) -> Result<Mount, String> {
        if !is_root() {
            return Err("not root".into());
        }
        let f = std::fs::File::create(img).map_err(|e| format!("create {}: {e}", img.display()))?;
        f.set_len(size).map_err(|e| format!("size {}: {e}", img.display()))?;
        let o = Command::new(mkfs[0])
            .args(&mkfs[1..])
            .arg(img)
            .output()
            .map_err(|e| format!("{} not installed ({e})", mkfs[0]))?;
        if !o.status.success() {
            return Err(format!("{} failed: {}", mkfs[0], String::from_utf8_lossy(&o.stderr).trim()));
        }
        std::fs::create_dir_all(at).map_err(|e| format!("create {}: {e}", at.display()))?;
        let o = Command::new("mount")
            .args(["-o", "loop"])
            .arg(img)
            .arg(at)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !o.status.success() {
            return Err(format!("mount -o loop failed: {}", String::from_utf8_lossy(&o.stderr).trim()));
        }
        Ok(Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}
