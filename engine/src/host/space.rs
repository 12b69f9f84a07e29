//! installp's space on the host model (spec installp.md §2.5, §12.10): the host's file systems, growable
//! with `-X` from the volume group's free partitions ([`HostSpace`], an [`installp::apply::Space`]).
//!
//! [`installp::apply::Space`]: crate::installp::apply::Space

use std::collections::BTreeMap;
use std::path::Path;

use super::Host;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::installp::apply::{no_space, Space};
use crate::installp::InstallpError;

/// [`crate::installp::apply::Space`] over the host model's mounted alternate file systems: free space is the file system's size
/// less what its tree needs by the JFS/JFS2 rules of `altdisk space`; `-X` grows a file system by whole
/// physical partitions of its volume group's free space.
pub struct HostSpace<'h> {
    host: &'h mut Host,
    vg: String,
    /// Mount point (as the clone sees it: `/`, `/usr`) → bytes used.
    used: BTreeMap<String, u64>,
}

impl<'h> HostSpace<'h> {
    /// Accounts the tree of volume group `vg` (mounted at `root`).
    pub fn new(host: &'h mut Host, vg: &str, root: &Path, events: &dyn Events) -> Result<Self> {
        let v = host.state.vg(vg).ok_or_else(|| Error::refused(format!("no volume group {vg}")))?.clone();
        let targets: Vec<crate::space::FsTarget> = v
            .mounted_fs_sorted()
            .iter()
            .map(|f| crate::space::FsTarget {
                mount_point: f.mount_point.clone(),
                fs_type: f.params.space_type(),
                size: Some(f.size_blocks * 512),
            })
            .collect();
        let mps: Vec<String> = targets.iter().map(|t| t.mount_point.clone()).collect();
        let needs = crate::pipeline::account_tree(root, &mps, None, 0, &[targets], &crate::NoEvents)?;
        let _ = events;
        let used = needs.into_iter().flatten().map(|n| (n.mount_point.clone(), n.need_bytes)).collect();
        Ok(HostSpace { host, vg: vg.to_string(), used })
    }

    fn fs_of(&self, path: &str) -> Option<(String, u64)> {
        let v = self.host.state.vg(&self.vg)?;
        v.mounted_fs_sorted()
            .iter()
            .filter(|f| {
                let mp = f.mount_point.as_str();
                mp == "/" || path == mp || path.starts_with(&format!("{mp}/"))
            })
            .max_by_key(|f| f.mount_point.len())
            .map(|f| (f.mount_point.clone(), f.size_blocks))
    }
}

impl Space for HostSpace<'_> {
    fn free(&self, path: &str) -> Result<(String, u64)> {
        let (mp, size) = self
            .fs_of(path)
            .ok_or_else(|| Error::refused(format!("installp: no file system of {} holds {path}", self.vg)))?;
        let used = self.used.get(&mp).copied().unwrap_or(0).div_ceil(512);
        Ok((mp, size.saturating_sub(used)))
    }

    fn ensure(&mut self, mount_point: &str, needed: u64, expand: bool, events: &dyn Events) -> Result<()> {
        let (mp, free) = self.free(mount_point)?;
        if needed <= free {
            return Ok(());
        }
        if !expand {
            return Err(no_space(&mp, needed, free));
        }
        let disks = self.host.state.disks.clone();
        let v = self.host.state.vg_mut(&self.vg).ok_or_else(|| Error::refused("volume group vanished"))?;
        let pp_blocks = v.pp_size_mb * 2048;
        let short = needed - free;
        let pps = short.div_ceil(pp_blocks);
        let free_pps = v.total_pps(&disks).saturating_sub(v.used_pps());
        if pps > free_pps {
            return Err(Error::Installp(InstallpError::NoSpace {
                message: format!(
                    "installp: 0503-430 cannot expand the {mp} file system by {short} 512-byte blocks: it needs {pps} \
                     more physical partitions and {} has {free_pps} free",
                    self.vg
                ),
            }));
        }
        let Some(lv) = v.lvs.iter_mut().find(|l| l.mount_point() == Some(mp.as_str())) else {
            return Err(no_space(&mp, needed, free));
        };
        lv.lps += pps;
        let mut new_size = 0;
        if let Some(fs) = lv.fs.as_mut() {
            fs.size_blocks += pps * pp_blocks;
            new_size = fs.size_blocks;
        }
        events.event(&Event::Message(&format!("Filesystem size changed to {new_size}")));
        self.host.save()
    }
}
