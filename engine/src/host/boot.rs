//! bootlist and the boot model (spec host-model.md "Booting").

use std::path::PathBuf;

use super::model::{BootEntry, Mount};
use super::{move_tree, Host};
use crate::error::{Error, Result};
use crate::events::{Event, Events};

/// What a reboot did.
#[derive(Debug, Clone, PartialEq)]
pub struct BootReport {
    /// The disk booted from.
    pub disk: String,
    /// The volume group that was rootvg before, now `old_rootvg` (None when the same VG booted again).
    pub old_rootvg_disk: Option<String>,
    /// The first-boot script that ran, with its exit status.
    pub firstboot: Option<(PathBuf, i32)>,
}

/// Where `alt_disk_copy -x` leaves the first-boot script on the clone (run once by [`Host::reboot`]).
pub const FIRSTBOOT_SCRIPT: &str = "etc/alt_disk_firstboot";

impl Host {
    /// Sets each disk's owning VG from the volume groups' member lists (after a rename).
    pub(crate) fn sync_disk_owners(&mut self) {
        for d in &mut self.state.disks {
            d.vg = self.state.vgs.iter().find(|v| v.disks.contains(&d.name)).map(|v| v.name.clone());
        }
    }

    /// Sets the normal-mode bootlist (`bootlist -m normal DISK [blv=..] ...`). Every disk must exist.
    pub fn set_bootlist(&mut self, entries: Vec<BootEntry>) -> Result<()> {
        if entries.is_empty() {
            return Err(Error::refused("bootlist: no device given"));
        }
        for e in &entries {
            if self.state.disk(&e.disk).is_none() {
                return Err(Error::refused(format!(
                    "0514-210 bootlist: Device {} is not valid for the normal boot list.",
                    e.disk
                )));
            }
        }
        self.state.bootlist = entries;
        self.save()?;
        self.log(&format!(
            "bootlist set: {}",
            self.state.bootlist.iter().map(|b| b.disk.as_str()).collect::<Vec<_>>().join(" ")
        ))
    }

    /// Boots the model: the first disk of the bootlist that is bootable and holds a bootable volume group
    /// becomes the running disk. Its VG becomes `rootvg` (tree renamed to `root/`); the previous rootvg becomes
    /// `old_rootvg`, varied off, tree renamed to `disks/<its boot disk>/`. A pending first-boot script runs
    /// once (a real process, cwd = the new root). The caller holds the lock.
    pub fn reboot(&mut self, events: &dyn Events) -> Result<BootReport> {
        if let Some(v) = self.state.alt_mounted() {
            return Err(Error::refused(format!(
                "cannot reboot: {} is mounted at /alt_inst; finish it (phase 3), put it to sleep (alt_rootvg_op -S) \
                 or remove it (alt_rootvg_op -X) first",
                v.name
            )));
        }
        let first = self.state.bootlist.first().map(|b| b.disk.clone()).unwrap_or_default();
        let mut target = None;
        for b in &self.state.bootlist {
            let disk_ok = self.state.disk(&b.disk).map(|d| d.bootable).unwrap_or(false);
            let vg = self.state.disk(&b.disk).and_then(|d| d.vg.clone());
            if let (true, Some(vg)) = (disk_ok, vg) {
                target = Some((b.disk.clone(), vg));
                break;
            }
        }
        let Some((disk, vgname)) = target else {
            return Err(Error::refused(format!(
                "cannot reboot: no disk in the bootlist ({}) holds a volume group",
                if first.is_empty() { "empty".to_string() } else { first }
            )));
        };
        let vg = self.state.vg(&vgname).ok_or_else(|| Error::refused(format!("no volume group {vgname}")))?;
        if !vg.bootable {
            return Err(Error::refused(format!(
                "cannot boot from {disk}: volume group {vgname} has no boot image (phase 3 of alt_disk_copy was not run)"
            )));
        }
        if vg.boot_disk() != disk {
            return Err(Error::refused(format!(
                "cannot boot from {disk}: the boot logical volume of {vgname} is on {}",
                vg.boot_disk()
            )));
        }
        let mut report = BootReport { disk: disk.clone(), old_rootvg_disk: None, firstboot: None };
        if vgname != "rootvg" {
            if let Some(other) = self.state.vg("old_rootvg") {
                if other.name != vgname {
                    return Err(Error::refused(
                        "cannot reboot: an old_rootvg already exists; remove it with alt_rootvg_op -X old_rootvg",
                    ));
                }
            }
            events.event(&Event::Message(&format!("Rebooting from {disk} ({vgname}).")));
            // Unmount the running rootvg: root/ → disks/<its boot disk>/.
            let ri = self.state.vgs.iter().position(|v| v.name == "rootvg");
            let ti = self.state.vgs.iter().position(|v| v.name == vgname);
            let (Some(ri), Some(ti)) = (ri, ti) else {
                return Err(Error::refused("the host has no rootvg volume group"));
            };
            let old = self.state.vgs[ri].clone();
            let old_dir = self.disk_dir(&old.boot_disk());
            move_tree(&self.root(), &old_dir)?;
            let o = &mut self.state.vgs[ri];
            o.name = "old_rootvg".into();
            o.varied_on = false;
            o.auto_varyon = false;
            o.mount = Mount::None;
            self.sync_disk_owners();
            self.save()?;
            let new_dir = self.disk_dir(&disk);
            move_tree(&new_dir, &self.root())?;
            let n = &mut self.state.vgs[ti];
            n.name = "rootvg".into();
            n.varied_on = true;
            n.auto_varyon = true;
            n.mount = Mount::Root;
            n.alt = None;
            self.sync_disk_owners();
            report.old_rootvg_disk = Some(old.boot_disk());
        } else {
            events.event(&Event::Message(&format!("Rebooting from {disk} (rootvg).")));
        }
        self.state.booted_from = disk.clone();
        self.save()?;
        self.log(&format!("booted from {disk}"))?;
        let pending = self.state.vg("rootvg").map(|v| v.firstboot_pending).unwrap_or(false);
        if pending {
            let script = self.root().join(FIRSTBOOT_SCRIPT);
            let status = std::process::Command::new(&script)
                .current_dir(self.root())
                .status()
                .map_err(|e| Error::io("run", &script, e))?;
            if let Some(v) = self.state.vg_mut("rootvg") {
                v.firstboot_pending = false;
            }
            self.save()?;
            let code = status.code().unwrap_or(-1);
            self.log(&format!("first-boot script {} exited {code}", script.display()))?;
            report.firstboot = Some((script, code));
        }
        Ok(report)
    }
}
