//! The `alt_disk_copy` phase machine (spec alt-disk.md §1.2, §1.6, §1.7).
//!
//! Everything that can be refused is refused before anything changes; then each step saves the host model, so
//! a kill at any point leaves a host that `alt_rootvg_op -X` cleans.

use std::path::{Path, PathBuf};

use super::plan::{account_tree, create_altinst, make_plan, ImageSource, PlanRequest};
use super::rootvg_op::{remove_locked, sleep_names_in, UnmountOrder};
use super::{customize, say, trace, BakErrPolicy, CopyRequest, CopyStats, Customize, Mover, SpaceCheck};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::exclude::{ExcludeList, Syntax};
use crate::host::{BootEntry, BootReport, Host, HostError, HostLock, Mount};

/// The name of the volume group alternate-disk operations build.
pub const ALTINST: &str = "altinst_rootvg";

/// Which phases to run (`-P`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phases {
    /// Phase 1: create and copy.
    pub one: bool,
    /// Phase 2: customize.
    pub two: bool,
    /// Phase 3: unmount, rename, bootlist.
    pub three: bool,
}

impl Default for Phases {
    fn default() -> Self {
        Phases { one: true, two: true, three: true }
    }
}

impl Phases {
    /// Parses `-P`: only `1`, `2`, `3`, `12`, `23` and `all` are valid (`13` is not).
    pub fn parse(s: &str) -> Result<Phases> {
        let p = |one, two, three| Ok(Phases { one, two, three });
        match s {
            "1" => p(true, false, false),
            "2" => p(false, true, false),
            "3" => p(false, false, true),
            "12" => p(true, true, false),
            "23" => p(false, true, true),
            "all" => p(true, true, true),
            _ => Err(Error::refused(format!(
                "alt_disk_copy: invalid phase option '{s}': use 1, 2, 3, 12, 23 or all"
            ))),
        }
    }
}

/// Everything `alt_disk_copy` was asked to do. The CLI fills it from AIX flags.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// `-d`: the target disks.
    pub disks: Vec<String>,
    /// `-P`.
    pub phases: Phases,
    /// `-i`: a customized image.data: its lv_data/fs_data define the alt LVs and filesystems.
    pub image_data: Option<PathBuf>,
    /// `-e`: exclude list.
    pub exclude: Option<PathBuf>,
    /// `-s -R -n -x`: phase-2 work.
    pub customize: Customize,
    /// `-B`: leave the bootlist alone.
    pub no_bootlist: bool,
    /// `-r`: reboot from the clone at the end.
    pub reboot: bool,
    /// `-g`: skip the bootability check.
    pub skip_boot_check: bool,
    /// `-S`: skip the space check.
    pub skip_space_check: bool,
    /// `-O`: device reset.
    pub device_reset: bool,
    /// `-c`: console device (only with `-O`).
    pub console: Option<String>,
    /// `-T`: convert JFS filesystems to JFS2.
    pub to_jfs2: bool,
    /// `-u`: also copy defined WPARs' filesystems (the model has no WPARs: nothing more to copy).
    pub wpars: bool,
    /// `-V`.
    pub verbose: bool,
    /// `-D`: `+ step` trace lines.
    pub trace: bool,
    /// Update flags given (`-l -b -f -F -w -I`): refused, installp is not modelled.
    pub update_flags: Vec<char>,
    /// `ALT_BAK_ERR_FAIL` / `ALT_BAK_ERR_REPORT`.
    pub bak_err: BakErrPolicy,
    /// The command name used in refusals (empty: `alt_disk_copy`); `alt_disk_mksysb` shares these checks.
    pub command: &'static str,
}

impl CopyOptions {
    /// The command name for messages.
    pub fn cmd(&self) -> &'static str {
        if self.command.is_empty() {
            "alt_disk_copy"
        } else {
            self.command
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct CopyOutcome {
    /// Phase 1's copy statistics.
    pub stats: Option<CopyStats>,
    /// True when the command must exit 1 (`ALT_BAK_ERR_REPORT=1` and errors).
    pub failed: bool,
    /// Set by `-r`.
    pub boot: Option<BootReport>,
}

fn refuse<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::refused(msg))
}

fn need_full(cmd: &str, flag: char, p: &Option<PathBuf>) -> Result<()> {
    match p {
        Some(p) if !p.is_absolute() => {
            refuse(format!("{cmd}: the -{flag} argument {} must be a full path name", p.display()))
        }
        _ => Ok(()),
    }
}

/// Checks the flags alone (no host needed), in the documented order.
pub fn validate_flags(o: &CopyOptions) -> Result<()> {
    if o.no_bootlist && o.reboot {
        return refuse(format!("{}: the -B and -r flags cannot be used together", o.cmd()));
    }
    if o.console.is_some() && !o.device_reset {
        return refuse(format!("{}: the -c flag is only valid with the -O flag", o.cmd()));
    }
    need_full(o.cmd(), 'i', &o.image_data)?;
    need_full(o.cmd(), 's', &o.customize.script)?;
    need_full(o.cmd(), 'R', &o.customize.resolv_conf)?;
    need_full(o.cmd(), 'e', &o.exclude)?;
    need_full(o.cmd(), 'x', &o.customize.first_boot)?;
    if let Some(f) = o.update_flags.first() {
        return refuse(format!(
            "{}: -{f}: installation of updates into the clone is not implemented yet",
            o.cmd()
        ));
    }
    if o.disks.is_empty() {
        return refuse(format!("{}: a target disk is required (-d)", o.cmd()));
    }
    for (flag, p) in [
        ('i', &o.image_data),
        ('e', &o.exclude),
        ('R', &o.customize.resolv_conf),
        ('x', &o.customize.first_boot),
        ('s', &o.customize.script),
    ] {
        if let Some(p) = p {
            if !p.is_file() {
                return refuse(format!("{}: -{flag}: {} does not exist", o.cmd(), p.display()));
            }
        }
    }
    if let Some(s) = &o.customize.script {
        use std::os::unix::fs::PermissionsExt;
        let exec = std::fs::metadata(s).map(|m| m.permissions().mode() & 0o111 != 0).unwrap_or(false);
        if !exec {
            return refuse(format!("{}: -s: {} is not executable", o.cmd(), s.display()));
        }
    }
    Ok(())
}

/// Runs `alt_disk_copy` on the host in `dir`: takes the lock, then runs the asked phases.
pub fn alt_disk_copy(
    dir: &Path,
    o: &CopyOptions,
    mover: &dyn Mover,
    space: &dyn SpaceCheck,
    events: &dyn Events,
) -> Result<CopyOutcome> {
    validate_flags(o)?;
    run_phases(dir, o, &mut |host: &mut Host| phase1(host, o, mover, space, events), events)
}

/// The phase machine shared with `alt_disk_mksysb`: takes the lock, runs `phase1` (when asked), phase 2
/// (customize) and phase 3 (unmount, rename, bootlist, reboot). Flags must have been validated.
pub(crate) fn run_phases(
    dir: &Path,
    o: &CopyOptions,
    phase1: &mut dyn FnMut(&mut Host) -> Result<CopyStats>,
    events: &dyn Events,
) -> Result<CopyOutcome> {
    let _lock = HostLock::acquire(dir)?;
    let mut host = Host::open(dir)?;
    let mut out = CopyOutcome::default();
    if o.phases.one {
        out.stats = Some(phase1(&mut host)?);
    } else {
        need_phase(&host, o, if o.phases.two { 2 } else { 3 })?;
    }
    if o.phases.two {
        events.event(&Event::Phase(2));
        trace(o.trace, events, "phase 2");
        set_step(&mut host, "phase 2")?;
        customize(&mut host, &o.customize, o.trace, events)?;
        if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
            a.phase_done = 2;
        }
        host.save()?;
    }
    let errors = host.state.vg(ALTINST).and_then(|v| v.alt.as_ref()).map(|a| a.copy_errors).unwrap_or(0);
    out.failed = o.bak_err == BakErrPolicy::Report && errors > 0;
    if o.phases.three {
        events.event(&Event::Phase(3));
        trace(o.trace, events, "phase 3");
        let order =
            if o.cmd() == "alt_disk_mksysb" { UnmountOrder::AfterLvFixes } else { UnmountOrder::First };
        let boot_disk = phase3(&mut host, order, events)?;
        if !o.no_bootlist && !out.failed {
            let blv = host.state.vg(ALTINST).map(|v| v.blv()).unwrap_or_else(|| "hd5".into());
            host.set_bootlist(vec![BootEntry { disk: boot_disk.clone(), blv: blv.clone() }])?;
            say(&host, events, &format!("Bootlist is set to the boot disk: {boot_disk} blv={blv}"))?;
        }
        if o.reboot && !out.failed {
            trace(o.trace, events, "reboot");
            out.boot = Some(host.reboot(events)?);
        }
    }
    Ok(out)
}

/// Refuses a phase 2 or 3 run when phase 1 has not left an `altinst_rootvg` on these disks.
fn need_phase(host: &Host, o: &CopyOptions, phase: u8) -> Result<()> {
    let Some(v) = host.state.vg(ALTINST) else {
        return refuse(format!(
            "{c}: phase {phase} needs phase 1 first: there is no {ALTINST} (run {c} -P1)",
            c = o.cmd()
        ));
    };
    let done = v.alt.as_ref().map(|a| a.phase_done).unwrap_or(3);
    if v.mount != Mount::AltInst || done == 0 {
        return refuse(format!(
            "{}: phase {phase} needs a completed phase 1 with /alt_inst mounted ({ALTINST} is {})",
            o.cmd(),
            if done == 0 {
                "incomplete: remove it with alt_rootvg_op -X"
            } else {
                "not mounted: phase 3 was already run or it is asleep"
            }
        ));
    }
    let mut want = o.disks.clone();
    let mut have = v.disks.clone();
    want.sort();
    have.sort();
    if want != have {
        return refuse(format!(
            "{}: {ALTINST} is on {}, not on {}",
            o.cmd(),
            v.disks.join(" "),
            o.disks.join(" ")
        ));
    }
    Ok(())
}

fn set_step(host: &mut Host, step: &str) -> Result<()> {
    if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
        a.step = step.to_string();
    }
    host.save()
}

/// Phase 1 checks, in order; nothing is changed until all pass.
pub(crate) fn check_phase1(host: &Host, o: &CopyOptions) -> Result<()> {
    let st = &host.state;
    for d in &o.disks {
        let Some(disk) = st.disk(d) else {
            return refuse(format!("{}: target disk {d} does not exist", o.cmd()));
        };
        if disk.vg.is_some() {
            return refuse(format!(
                "0505-126 {}- target disk {d} has a volume group assigned to it.",
                o.cmd()
            ));
        }
        if !o.skip_boot_check && !disk.bootable {
            return refuse(format!(
                "{}: target disk {d} is not bootable (bootinfo -B {d} gives 0); use -g to skip this check",
                o.cmd()
            ));
        }
    }
    if st.vg(ALTINST).is_some() {
        return refuse(format!(
            "{}: the {ALTINST} volume group already exists; remove it with alt_rootvg_op -X {ALTINST}",
            o.cmd()
        ));
    }
    let alt = host.alt_inst();
    if std::fs::read_dir(&alt).map(|mut d| d.next().is_some()).unwrap_or(false) {
        return refuse(format!(
            "{}: {} (/alt_inst) is not empty; it must be an unused mount point",
            o.cmd(),
            alt.display()
        ));
    }
    let root = host.rootvg()?;
    // Without -i the image.data comes from the running rootvg, so its LV names are checked here; with -i the
    // file's names are checked in "Checking disk sizes.".
    for lv in root.lvs.iter().filter(|_| o.image_data.is_none()) {
        if lv.name.len() > 11 {
            return refuse(format!(
                "{}: logical volume name {} is longer than 11 characters: alt_{} would exceed the \
                 15-character LVM limit; shorten it with a customized image.data (-i)",
                o.cmd(),
                lv.name,
                lv.name
            ));
        }
    }
    Ok(())
}

fn phase1(
    host: &mut Host,
    o: &CopyOptions,
    mover: &dyn Mover,
    space: &dyn SpaceCheck,
    events: &dyn Events,
) -> Result<CopyStats> {
    events.event(&Event::Phase(1));
    trace(o.trace, events, "phase 1");
    check_phase1(host, o)?;
    if o.wpars {
        // -u copies the filesystems of WPARs in the defined state; the host model defines no WPARs, so there
        // is nothing more to copy. Say so rather than accept the flag silently.
        events.event(&Event::Warning(
            "-u: this host defines no WPARs: no WPAR filesystems to copy".to_string(),
        ));
    }
    let root = host.rootvg()?.clone();
    let mounted: Vec<String> = root.mounted_fs_sorted().iter().map(|f| f.mount_point.clone()).collect();
    let exclude = match &o.exclude {
        Some(p) => Some(ExcludeList::from_file(p, Syntax::Basic)?),
        None => None,
    };
    let src_root = host.root();
    let needs_of = |sets: &[Vec<crate::space::FsTarget>]| {
        account_tree(&src_root, &mounted, exclude.as_ref(), 2, sets, events)
    };
    let src = match &o.image_data {
        Some(p) => ImageSource::File(p.clone()),
        None => ImageSource::Mkszfile,
    };
    let preq = PlanRequest {
        disks: o.disks.clone(),
        to_jfs2: o.to_jfs2,
        skip_space_check: o.skip_space_check,
        trace: o.trace,
    };
    let plan = make_plan(host, src, &preq, &needs_of, events)?;
    // The mounted rootvg filesystems the image names are copied; a filesystem only the image names is
    // created empty.
    let filesystems: Vec<String> = plan.filesystems.iter().filter(|m| mounted.contains(m)).cloned().collect();
    let req = CopyRequest {
        src_root,
        filesystems,
        dst_root: host.alt_inst(),
        exclude_file: o.exclude.clone(),
        verbose: o.verbose,
        fs_limits: plan.fs_limits.clone(),
        fs_types: plan
            .lvs
            .iter()
            .filter_map(|lv| lv.fs.as_ref())
            .map(|f| (f.mount_point.clone(), f.params.space_type()))
            .collect(),
    };
    if !o.skip_space_check {
        space.check(&host.state, &req)?;
    }
    create_altinst(host, &plan, &o.disks, &root.oslevel, o.trace, events)?;
    say(
        host,
        events,
        "Generating a list of files\nfor backup and restore into the alternate file system...",
    )?;
    say(host, events, "Backing-up the rootvg files and restoring them to the\nalternate file system...")?;
    set_step(host, "copy")?;
    trace(o.trace, events, "backup | restore");
    let stats = mover.copy_filesystems(&req, events)?;
    record_copy_errors(host, &stats, "copy", o, events)?;
    // AIX's clone holds the image.data it was built from as /image.data.
    let idata = host.alt_inst().join("image.data");
    std::fs::write(&idata, plan.image.to_text()).map_err(|e| Error::io("write", &idata, e))?;
    set_step(host, "odm")?;
    say(host, events, "Modifying ODM on cloned disk.")?;
    if o.device_reset {
        say(host, events, "Resetting all device attributes.")?;
        if o.console.is_none() {
            say(
                host,
                events,
                "NOTE: The first boot from altinst_rootvg will prompt to define the new system console.",
            )?;
        }
    }
    // [I] bosboot is printed in phase 1, right after the ODM step, as in a single full run (spec §1.6).
    say(host, events, "Building boot image on cloned disk.")?;
    if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
        a.phase_done = 1;
        a.step = "phase 1 done".into();
    }
    host.save()?;
    Ok(stats)
}

/// After phase 1's data movement: logs the totals, reports each backup/restore error, and applies
/// `ALT_BAK_ERR_FAIL` (clean up as `alt_rootvg_op -X`, fail) or records the errors for `ALT_BAK_ERR_REPORT`
/// (spec alt-disk.md §1.2). Shared by `alt_disk_copy` (`class` "copy") and `alt_disk_mksysb` ("restore").
pub(crate) fn record_copy_errors(
    host: &mut Host,
    stats: &CopyStats,
    class: &'static str,
    o: &CopyOptions,
    events: &dyn Events,
) -> Result<()> {
    let verb = if class == "copy" { "copied" } else { "restored" };
    host.log(&format!(
        "{verb} {} entries, {} bytes, {} errors",
        stats.entries,
        stats.bytes,
        stats.soft_errors.len()
    ))?;
    for e in &stats.soft_errors {
        events.event(&Event::SoftError { class, path: String::new(), message: e.clone() });
    }
    if !stats.soft_errors.is_empty() && o.bak_err == BakErrPolicy::Fail {
        remove_locked(host, ALTINST, o.trace, events)?;
        return Err(HostError::CopyFailed { count: stats.soft_errors.len() }.into());
    }
    if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
        a.copy_errors = stats.soft_errors.len();
    }
    Ok(())
}

/// Phase 3: unmount, real names, vary off. Returns the clone's boot disk.
fn phase3(host: &mut Host, order: UnmountOrder, events: &dyn Events) -> Result<String> {
    set_step(host, "phase 3")?;
    let disk = sleep_names_in(host, ALTINST, ALTINST, order, events)?;
    if let Some(v) = host.state.vg_mut(ALTINST) {
        v.bootable = true;
        v.alt = None;
    }
    host.save()?;
    Ok(disk)
}
