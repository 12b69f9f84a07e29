//! How an install's space is checked and made (spec installp.md §2.5, §12.10): the [`Space`] trait, and the
//! real file systems under a plain directory ([`StatvfsSpace`]). The host model's file systems are in
//! `host::space`.

use std::path::PathBuf;

use super::InstallpError;
use crate::error::{Error, Result};
use crate::events::Events;

/// How the target's file systems are checked and grown: the host model's filesystems (alt_disk_copy), or
/// the file systems a plain directory sits on.
pub trait Space {
    /// The free space (512-byte blocks) of the file system holding each path, and the file system's mount
    /// point, for the RESOURCES table: `(mount point, free)`.
    fn free(&self, path: &str) -> Result<(String, u64)>;
    /// Makes `needed` blocks available in the file system at `mount_point`, growing it when `expand` (`-X`)
    /// and it can; refuses otherwise, naming the file system and the shortfall.
    fn ensure(&mut self, mount_point: &str, needed: u64, expand: bool, events: &dyn Events) -> Result<()>;
}

/// [`Space`] for a plain directory: `statvfs` of the mount holding each path; nothing can grow.
pub struct StatvfsSpace {
    /// The tree's root.
    pub root: PathBuf,
}

impl Space for StatvfsSpace {
    fn free(&self, path: &str) -> Result<(String, u64)> {
        let mut p = self.root.join(path.trim_start_matches('/'));
        while !p.exists() {
            match p.parent() {
                Some(up) => p = up.to_path_buf(),
                None => break,
            }
        }
        let st = rustix::fs::statvfs(&p).map_err(|e| Error::io("statvfs", &p, e.into()))?;
        let free = st.f_bavail.saturating_mul(st.f_frsize) / 512;
        // Name the file system by the path's top directory in the tree (/, /usr, /var, ...).
        let top = path.trim_start_matches('/').split('/').next().unwrap_or_default();
        let mp = if matches!(top, "usr" | "var" | "opt" | "tmp" | "home") {
            format!("/{top}")
        } else {
            "/".into()
        };
        Ok((mp, free))
    }

    fn ensure(&mut self, mount_point: &str, needed: u64, _expand: bool, _events: &dyn Events) -> Result<()> {
        let (_, free) = self.free(mount_point)?;
        if needed > free {
            return Err(no_space(mount_point, needed, free));
        }
        Ok(())
    }
}

/// installp's refusal when a file system is too small.
pub fn no_space(mount_point: &str, needed: u64, free: u64) -> Error {
    Error::Installp(InstallpError::NoSpace {
        message: format!(
            "installp: 0503-430 There is not enough space in the {mount_point} file system: {needed} 512-byte blocks \
             are needed, {free} are free ({} short). Use -X to expand file systems, or free space.",
            needed.saturating_sub(free)
        ),
    })
}
