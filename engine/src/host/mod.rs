//! The modelled AIX host: disks, volume groups, logical volumes, filesystems, bootlist and boot state, kept in
//! `HOST/host.json` next to the real file trees (`HOST/root`, `HOST/disks/<hdisk>/`). See
//! `spec/host-model.md`. The data is real; the volume manager and boot state around it are modelled.
//!
//! Every command that changes the host holds [`HostLock`] (an `flock` on `HOST/lock`) and saves the model
//! atomically after each step ([`Host::save`]), so a kill at any moment leaves a state the next command can
//! read and clean up.

mod boot;
mod model;
mod sample;
pub mod space;
mod views;

pub use boot::{BootReport, FIRSTBOOT_SCRIPT};
pub use model::{
    level_cmp, usable_pps, AltState, BootEntry, Disk, FileSystem, FsParams, FsType, HostState, LogicalVolume,
    LvType, Mount, VolumeGroup,
};
pub use sample::FsSpec;
pub use views::{
    alt_path, bootinfo_b, bootinfo_big_b, bootinfo_s, bootlist_o, lspv, lsvg, lsvg_l, lsvg_o, lsvg_vg,
};

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

pub use crate::error::host::HostError;

/// A host directory and its loaded model.
#[derive(Debug)]
pub struct Host {
    dir: PathBuf,
    /// The model as last loaded or saved.
    pub state: HostState,
}

/// The exclusive lock on a host, held for the whole of a command that changes it. Dropping it unlocks.
#[derive(Debug)]
pub struct HostLock {
    _file: File,
}

/// How long [`HostLock::acquire`] retries before reporting the host busy.
pub const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

impl HostLock {
    /// Takes the lock on `dir/lock`; when another command holds it, fails within [`LOCK_GRACE`] instead of
    /// waiting for that command to end.
    ///
    /// The short grace covers a lock that was just released but whose open file description a freshly forked
    /// child of the releasing process (any thread's `Command::spawn`) still shares until it execs.
    pub fn acquire(dir: &Path) -> Result<HostLock> {
        let path = dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("open", &path, e))?;
        let start = std::time::Instant::now();
        loop {
            match rustix::fs::flock(file.as_fd(), rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(HostLock { _file: file }),
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                    if start.elapsed() >= LOCK_GRACE {
                        return Err(HostError::Busy { host: dir.to_path_buf() }.into());
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) => return Err(Error::io("lock", &path, e.into())),
            }
        }
    }
}

impl Host {
    /// Opens an existing host directory (reads `host.json`).
    pub fn open(dir: &Path) -> Result<Host> {
        let path = dir.join("host.json");
        let text = fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?;
        let state: HostState = serde_json::from_str(&text)
            .map_err(|e| HostError::BadModel { path: path.clone(), message: e.to_string() })?;
        Ok(Host { dir: dir.to_path_buf(), state })
    }

    /// Wraps a state for a directory without reading anything (used by the init functions).
    pub(crate) fn with_state(dir: &Path, state: HostState) -> Host {
        Host { dir: dir.to_path_buf(), state }
    }

    /// The host directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `HOST/root`: the running rootvg's tree ("/").
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// `HOST/root/alt_inst`: where an alternate volume group is mounted.
    pub fn alt_inst(&self) -> PathBuf {
        self.root().join("alt_inst")
    }

    /// `HOST/disks/<disk>`: where the tree of an unmounted volume group whose boot disk is `disk` lives.
    pub(crate) fn disk_dir(&self, disk: &str) -> PathBuf {
        self.dir.join("disks").join(disk)
    }

    /// Where the tree of volume group `vg` is now.
    pub fn tree_of(&self, vg: &VolumeGroup) -> PathBuf {
        match vg.mount {
            Mount::Root => self.root(),
            Mount::AltInst => self.alt_inst(),
            Mount::None => self.disk_dir(&vg.boot_disk()),
        }
    }

    /// Writes `host.json` atomically: temp file in the same directory, fsync, rename, fsync the directory.
    pub fn save(&self) -> Result<()> {
        let path = self.dir.join("host.json");
        let mut text = serde_json::to_string_pretty(&self.state)
            .map_err(|e| Error::io("encode", &path, std::io::Error::other(e)))?;
        text.push('\n');
        let mut tmp =
            tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| Error::io("create", &self.dir, e))?;
        tmp.write_all(text.as_bytes()).map_err(|e| Error::io("write", tmp.path(), e))?;
        tmp.as_file().sync_all().map_err(|e| Error::io("fsync", tmp.path(), e))?;
        tmp.persist(&path).map_err(|e| Error::io("rename", &path, e.error))?;
        let d = File::open(&self.dir).map_err(|e| Error::io("open", &self.dir, e))?;
        d.sync_all().map_err(|e| Error::io("fsync", &self.dir, e))?;
        Ok(())
    }

    /// Appends one line to `HOST/alt_disk_inst.log` (seconds since the epoch, then the text).
    pub fn log(&self, line: &str) -> Result<()> {
        append_log(&self.dir, line)
    }

    /// The running rootvg.
    pub fn rootvg(&self) -> Result<&VolumeGroup> {
        self.state.vg("rootvg").ok_or_else(|| Error::refused("the host has no rootvg volume group"))
    }

    /// The disk the running system booted from (what `bootinfo -b` prints).
    pub fn boot_disk(&self) -> &str {
        &self.state.booted_from
    }
}

/// Renames `from` to `to`, creating `to`'s parent; the model's "mount"/"unmount" of a tree.
pub(crate) fn move_tree(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
    }
    fs::rename(from, to).map_err(|e| Error::io("rename", from, e))
}

/// Removes a tree if it exists (used by cleanup).
pub(crate) fn remove_tree(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).map_err(|e| Error::io("remove", path, e)),
        Ok(_) => fs::remove_file(path).map_err(|e| Error::io("remove", path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("stat", path, e)),
    }
}

/// Appends `line` (with a timestamp) to `HOST/alt_disk_inst.log` of the host in `dir`.
pub(crate) fn append_log(dir: &Path, line: &str) -> Result<()> {
    let path = dir.join("alt_disk_inst.log");
    let mut f =
        OpenOptions::new().create(true).append(true).open(&path).map_err(|e| Error::io("open", &path, e))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    writeln!(f, "{now} {line}").map_err(|e| Error::io("write", &path, e))
}
