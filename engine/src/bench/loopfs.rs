//! A fresh filesystem to measure on: a sparse image file under a chosen directory, formatted (`mkfs.ext4` or
//! `mkfs.xfs -m reflink=1`), attached to a loop device with direct I/O (so the page cache of the image file
//! does not hide the disk) and mounted; unmounted, detached and removed when dropped. Root only.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;

/// Which filesystem to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsKind {
    /// ext4, default features.
    Ext4,
    /// xfs with reflinks (`-m reflink=1`), so clones can share extents.
    Xfs,
}

impl FsKind {
    /// Parses "ext4" or "xfs".
    pub fn parse(s: &str) -> Option<FsKind> {
        match s {
            "ext4" => Some(FsKind::Ext4),
            "xfs" => Some(FsKind::Xfs),
            _ => None,
        }
    }

    /// The mkfs command line, without the device.
    fn mkfs(self) -> (&'static str, &'static [&'static str]) {
        match self {
            FsKind::Ext4 => ("mkfs.ext4", &["-q", "-F"]),
            FsKind::Xfs => ("mkfs.xfs", &["-q", "-f", "-m", "reflink=1"]),
        }
    }
}

/// A mounted loop filesystem; dropping it unmounts it and removes the image.
#[derive(Debug)]
pub struct LoopFs {
    image: PathBuf,
    device: String,
    mount: PathBuf,
    mounted: bool,
}

fn tool_error(what: &str, at: &Path, detail: impl Into<String>) -> crate::Error {
    crate::Error::io("make the bench filesystem", at, io::Error::other(format!("{what}: {}", detail.into())))
}

/// Runs a command; its trimmed standard output, or an error with its standard error.
fn run(cmd: &mut Command, what: &str, at: &Path) -> Result<String> {
    let o = cmd.output().map_err(|e| tool_error(what, at, format!("cannot run it ({e})")))?;
    if !o.status.success() {
        return Err(tool_error(what, at, String::from_utf8_lossy(&o.stderr).trim().to_string()));
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

impl LoopFs {
    /// Makes a `size`-byte (sparse) image `fs.img` in `parent`, formats it as `kind` and mounts it at
    /// `parent/mnt`.
    pub fn create(parent: &Path, kind: FsKind, size: u64) -> Result<LoopFs> {
        let image = parent.join("fs.img");
        let mount = parent.join("mnt");
        let f = std::fs::File::create(&image).map_err(|e| crate::Error::io("create", &image, e))?;
        f.set_len(size).map_err(|e| crate::Error::io("size", &image, e))?;
        drop(f);
        let mut fs = LoopFs { image, device: String::new(), mount, mounted: false };
        fs.device = run(
            Command::new("losetup")
                .args(["--find", "--show", "--direct-io=on", "--sector-size", "4096"])
                .arg(&fs.image),
            "losetup",
            &fs.image,
        )?;
        let (mkfs, args) = kind.mkfs();
        run(Command::new(mkfs).args(args).arg(&fs.device), mkfs, &fs.image)?;
        std::fs::create_dir_all(&fs.mount).map_err(|e| crate::Error::io("create", &fs.mount, e))?;
        run(Command::new("mount").arg(&fs.device).arg(&fs.mount), "mount", &fs.mount)?;
        fs.mounted = true;
        Ok(fs)
    }

    /// The mount point: the directory to run in.
    pub fn path(&self) -> &Path {
        &self.mount
    }

    /// The loop device ("/dev/loop3").
    pub fn device(&self) -> &str {
        &self.device
    }
}

impl Drop for LoopFs {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.mount).status();
        }
        if !self.device.is_empty() {
            let _ = Command::new("losetup").arg("-d").arg(&self.device).status();
        }
        let _ = std::fs::remove_dir(&self.mount);
        let _ = std::fs::remove_file(&self.image);
    }
}
