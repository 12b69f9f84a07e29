//! The state changes of an alternate volume group on a host whose lock is held: remove, wake, sleep (with
//! phase 3's renaming). `alt_rootvg_op` ([`super::rootvg_op`]) takes the lock and calls them; the phase machine
//! ([`super::phases`]) calls them inside its own lock (phase 3, `-C` on a sleeping `altinst_rootvg`,
//! `ALT_BAK_ERR_FAIL` clean-up). Keeping them here lets both sides use them without importing each other.

use super::{say, trace, unmount_lines, ALTINST};
use crate::error::{Error, Result};
use crate::events::Events;
use crate::host::{level_cmp, move_tree, remove_tree, AltState, BootEntry, Host, Mount};

fn refuse<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::refused(msg))
}

/// Removes volume group `vg` (`alt_rootvg_op -X`): its trees are deleted, its disks become free and the
/// bootlist points back at the running boot disk.
pub(crate) fn remove_locked(host: &mut Host, vg: &str, trace_on: bool, events: &dyn Events) -> Result<()> {
    if vg == "rootvg" {
        return refuse("alt_rootvg_op: rootvg is the running volume group and cannot be removed");
    }
    let Some(v) = host.state.vg(vg).cloned() else {
        return refuse(format!("alt_rootvg_op: volume group {vg} does not exist"));
    };
    trace(trace_on, events, &format!("remove {vg}"));
    if v.mount == Mount::AltInst {
        let mut mps: Vec<String> = v
            .lvs
            .iter()
            .filter_map(|l| l.fs.as_ref())
            .filter(|f| f.mounted)
            .map(|f| f.mount_point.clone())
            .collect();
        mps.sort();
        unmount_lines(host, events, &mps, 1)?;
        remove_tree(&host.alt_inst())?;
    }
    // Wherever a kill may have left its tree: every member disk's directory.
    for d in &v.disks {
        remove_tree(&host.disk_dir(d))?;
    }
    host.state.vgs.retain(|x| x.name != vg);
    host.sync_disk_owners();
    let boot = host.boot_disk().to_string();
    let blv = host.rootvg().map(|r| r.blv()).unwrap_or_else(|_| "hd5".into());
    host.state.bootlist = vec![BootEntry { disk: boot.clone(), blv: blv.clone() }];
    host.save()?;
    host.log(&format!("removed volume group {vg}"))?;
    say(host, events, &format!("Bootlist is set to the boot disk: {boot} blv={blv}"))
}

/// The volume group `disk` belongs to.
pub(crate) fn vg_on(host: &Host, disk: &str) -> Result<String> {
    let Some(d) = host.state.disk(disk) else {
        return refuse(format!("alt_rootvg_op: disk {disk} does not exist"));
    };
    match &d.vg {
        Some(v) => Ok(v.clone()),
        None => refuse(format!("alt_rootvg_op: disk {disk} does not belong to a volume group")),
    }
}

/// Where phase 3 prints the forced-unmount lines relative to the VGDA and LV control-block fix-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnmountOrder {
    /// Unmounts first, then all three fix-ups ([I] alt_disk_copy, spec §1.7: not confirmed).
    First,
    /// VGDA and LV control blocks, unmounts, then superblocks ([V] the alt_disk_mksysb transcript, §1.7).
    AfterLvFixes,
}

/// Unmounts a volume group from `/alt_inst` and gives its LVs their real names, naming it `new_name` and
/// varying it off (phase 3 and `-S`), with the message order of the command running it. Returns its boot
/// disk.
pub(crate) fn sleep_names_in(
    host: &mut Host,
    vg: &str,
    new_name: &str,
    order: UnmountOrder,
    events: &dyn Events,
) -> Result<String> {
    let Some(v) = host.state.vg(vg).cloned() else {
        return refuse(format!("volume group {vg} does not exist"));
    };
    if v.mount != Mount::AltInst {
        return refuse(format!("volume group {vg} is not mounted at /alt_inst"));
    }
    let mps: Vec<String> = v.mounted_fs_sorted().iter().map(|f| f.mount_point.clone()).collect();
    if order == UnmountOrder::First {
        unmount_lines(host, events, &mps, 2)?;
    }
    say(host, events, "Changing logical volume names in volume group descriptor area.")?;
    say(host, events, "Fixing LV control blocks...")?;
    if order == UnmountOrder::AfterLvFixes {
        unmount_lines(host, events, &mps, 2)?;
    }
    say(host, events, "Fixing file system superblocks...")?;
    let boot = v.boot_disk();
    let to = host.disk_dir(&boot);
    remove_tree(&to)?;
    move_tree(&host.alt_inst(), &to)?;
    if let Some(x) = host.state.vg_mut(vg) {
        for l in &mut x.lvs {
            if let Some(real) = l.name.strip_prefix("alt_") {
                l.name = real.to_string();
            }
            if let Some(f) = l.fs.as_mut() {
                f.mounted = false;
            }
        }
        x.varied_on = false;
        x.mount = Mount::None;
        x.name = new_name.to_string();
    }
    host.sync_disk_owners();
    host.save()?;
    host.log(&format!("{vg} unmounted from /alt_inst, varied off as {new_name}"))?;
    Ok(boot)
}

/// Wakes the volume group on `disk` (`alt_rootvg_op -W`): renamed `altinst_rootvg`, varied on, `alt_` LV
/// names, its tree mounted at `/alt_inst`. A volume group at a newer level than the running one needs `force`.
pub(crate) fn wake_locked(
    host: &mut Host,
    disk: &str,
    force: bool,
    trace_on: bool,
    events: &dyn Events,
) -> Result<()> {
    let name = vg_on(host, disk)?;
    let Some(v) = host.state.vg(&name).cloned() else {
        return refuse(format!("alt_rootvg_op: volume group {name} does not exist"));
    };
    if v.mount != Mount::None || v.varied_on {
        return refuse(format!("alt_rootvg_op: volume group {name} on {disk} is already varied on"));
    }
    if let Some(m) = host.state.alt_mounted() {
        return refuse(format!("alt_rootvg_op: {} is already mounted at /alt_inst", m.name));
    }
    if name != ALTINST && host.state.vg(ALTINST).is_some() {
        return refuse(format!("alt_rootvg_op: a volume group named {ALTINST} already exists"));
    }
    let running = host.rootvg()?.oslevel.clone();
    if level_cmp(&v.oslevel, &running).is_gt() && !force {
        return refuse(format!(
            "alt_rootvg_op: volume group {name} on {disk} is at level {}, newer than the running system ({running}); \
             set FORCE=yes to wake it up anyway",
            v.oslevel
        ));
    }
    trace(trace_on, events, &format!("wake {name}"));
    say(host, events, &format!("Waking up {name} volume group ..."))?;
    move_tree(&host.disk_dir(&v.boot_disk()), &host.alt_inst())?;
    if let Some(x) = host.state.vg_mut(&name) {
        for l in &mut x.lvs {
            if !l.name.starts_with("alt_") {
                l.name = format!("alt_{}", l.name);
            }
            if let Some(f) = l.fs.as_mut() {
                f.mounted = true;
            }
        }
        x.varied_on = true;
        x.mount = Mount::AltInst;
        x.name = ALTINST.into();
        x.alt = Some(AltState {
            phase_done: 1,
            step: "woken".into(),
            woken_from: Some(name.clone()),
            ..AltState::default()
        });
    }
    host.sync_disk_owners();
    host.save()?;
    host.log(&format!("woke {name} as {ALTINST}"))
}

/// Puts the woken `altinst_rootvg` back to sleep (`alt_rootvg_op -S`, reverse of [`wake_locked`]). The boot
/// image is rebuilt first with `rebuild_boot` (`-t`) or when phase 2 left it stale.
pub(crate) fn sleep_locked(
    host: &mut Host,
    rebuild_boot: bool,
    trace_on: bool,
    events: &dyn Events,
) -> Result<()> {
    let Some(v) = host.state.vg(ALTINST).cloned() else {
        return refuse(format!("alt_rootvg_op: there is no woken {ALTINST} to put to sleep"));
    };
    let Some(orig) = v.alt.as_ref().and_then(|a| a.woken_from.clone()) else {
        return refuse(format!(
            "alt_rootvg_op: {ALTINST} was not woken with -W; finish it with alt_disk_copy -P3 or remove it with -X"
        ));
    };
    let rebuild = rebuild_boot || v.alt.as_ref().map(|a| a.boot_image_stale).unwrap_or(false);
    trace(trace_on, events, &format!("sleep {orig}"));
    if rebuild {
        say(host, events, "Building boot image on cloned disk.")?;
    }
    sleep_names_in(host, ALTINST, &orig, UnmountOrder::First, events)?;
    if let Some(x) = host.state.vg_mut(&orig) {
        x.alt = None;
        if rebuild {
            x.bootable = true;
        }
    }
    host.save()
}
