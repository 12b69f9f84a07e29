//! `alt_rootvg_op`: remove (`-X`), query (`-q`), wake (`-W`), sleep (`-S`), rename (`-v`) and customize (`-C`)
//! an alternate volume group (spec alt-disk.md §1.4). Each command takes the host lock and calls the state
//! changes of `altdisk::vgstate`; `-C` is phase 2 of the one phase machine ([`super::phases`]).

use std::path::Path;

use super::phases::{self, Customize, NoSoftware, PhaseOptions, PhaseOutcome, SoftwareInstaller};
use super::vgstate::{remove_locked, sleep_locked, vg_on, wake_locked};
use crate::error::{Error, Result};
use crate::events::Events;
use crate::host::{Host, HostLock};

fn refuse<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::refused(msg))
}

fn locked(dir: &Path) -> Result<(HostLock, Host)> {
    let lock = HostLock::acquire(dir)?;
    let host = Host::open(dir)?;
    Ok((lock, host))
}

/// `-X [VG]`: removes an alternate volume group at any point (its trees are deleted, its disks become free)
/// and points the bootlist back at the running boot disk.
pub fn remove(dir: &Path, vg: &str, trace_on: bool, events: &dyn Events) -> Result<()> {
    let (_lock, mut host) = locked(dir)?;
    remove_locked(&mut host, vg, trace_on, events)
}

/// `-q -d DISK`: the boot disk of the volume group on `disk`.
pub fn query(dir: &Path, disk: &str) -> Result<String> {
    let host = Host::open(dir)?;
    let vg = vg_on(&host, disk)?;
    Ok(host.state.vg(&vg).map(|v| v.boot_disk()).unwrap_or_default())
}

/// `-W -d DISK`: wakes the volume group on `disk`: renamed `altinst_rootvg`, varied on, `alt_` LV names, its
/// tree mounted at `/alt_inst`. A volume group at a newer level than the running one needs `force` (`FORCE=yes`).
pub fn wake(dir: &Path, disk: &str, force: bool, trace_on: bool, events: &dyn Events) -> Result<()> {
    let (_lock, mut host) = locked(dir)?;
    wake_locked(&mut host, disk, force, trace_on, events)
}

/// `-S [-t]`: puts the woken volume group back to sleep (reverse of [`wake`]); `-t` rebuilds its boot image first.
pub fn sleep(dir: &Path, rebuild_boot: bool, trace_on: bool, events: &dyn Events) -> Result<()> {
    let (_lock, mut host) = locked(dir)?;
    sleep_locked(&mut host, rebuild_boot, trace_on, events)
}

/// `-v NAME -d DISK`: renames the (varied-off) volume group on `disk`.
pub fn rename(dir: &Path, new_name: &str, disk: &str) -> Result<()> {
    let (_lock, mut host) = locked(dir)?;
    let name = vg_on(&host, disk)?;
    if name == "rootvg" {
        return refuse("alt_rootvg_op: the running rootvg cannot be renamed");
    }
    if new_name.is_empty() || new_name.len() > 15 {
        return refuse(format!("alt_rootvg_op: invalid volume group name '{new_name}' (1 to 15 characters)"));
    }
    if host.state.vg(new_name).is_some() {
        return refuse(format!("alt_rootvg_op: a volume group named {new_name} already exists"));
    }
    if host.state.vg(&name).map(|v| v.varied_on).unwrap_or(false) {
        return refuse(format!(
            "alt_rootvg_op: volume group {name} is varied on; put it to sleep (-S) first"
        ));
    }
    if let Some(v) = host.state.vg_mut(&name) {
        v.name = new_name.to_string();
    }
    host.sync_disk_owners();
    host.save()?;
    host.log(&format!("renamed volume group {name} to {new_name}"))
}

/// `-C`: phase 2 (`-s`, `-R`) on `altinst_rootvg` (see [`customize_with`]), without software.
pub fn customize_op(dir: &Path, c: &Customize, trace_on: bool, events: &dyn Events) -> Result<()> {
    let o = PhaseOptions { customize: c.clone(), trace: trace_on, ..PhaseOptions::default() };
    customize_with(dir, &o, &NoSoftware, events).map(|_| ())
}

/// `-C`: phase 2 against an existing `altinst_rootvg` through the one phase machine: software from `o.software`
/// by `installer`, then `o.customize`. A mounted (woken or phase-1) `altinst_rootvg` stays mounted; a sleeping
/// one is woken first and put back to sleep after. `o.disks`, `o.phases`, `-B`, `-r` do not apply.
pub fn customize_with(
    dir: &Path,
    o: &PhaseOptions,
    installer: &dyn SoftwareInstaller,
    events: &dyn Events,
) -> Result<PhaseOutcome> {
    phases::run_customize(dir, o, installer, events)
}
