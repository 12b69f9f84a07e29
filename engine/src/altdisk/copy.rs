//! `alt_disk_copy` (spec alt-disk.md §1.2, §1.6, §1.7): its own flags and its phase-1 step (mkszfile or `-i`,
//! `altinst_rootvg`, the rootvg copy through [`Mover`]); phases 2 and 3 are the one phase machine's
//! ([`super::phases`]).

use std::path::{Path, PathBuf};

use super::phases::{
    check_conflicts, check_flags, check_phase1, record_copy_errors, refuse, run_phases, set_step, AltCommand,
    BuildOptions, NoSoftware, PhaseOptions, PhaseOutcome, SoftwareInstaller,
};
use super::plan::{account_tree, create_altinst, make_plan, ImageSource, PlanRequest};
use super::{say, trace, CopyRequest, CopyStats, Mover, SpaceCheck, ALTINST};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::exclude::{ExcludeList, Syntax};
use crate::host::Host;

pub use super::phases::Phases;

/// Everything `alt_disk_copy` was asked to do. The CLI fills it from AIX flags.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// What the three phase-machine commands share: `-d -P -s -R -n -x -l -b -w -f -F -I -B -r -V -D`, the
    /// `ALT_BAK_ERR_*` policy.
    pub common: PhaseOptions,
    /// What the commands that build `altinst_rootvg` share: `-i -g -S -O -T`.
    pub build: BuildOptions,
    /// `-e`: exclude list.
    pub exclude: Option<PathBuf>,
    /// `-c`: console device (only with `-O`).
    pub console: Option<String>,
    /// `-u`: also copy defined WPARs' filesystems (the model has no WPARs: nothing more to copy).
    pub wpars: bool,
}

/// What a run did (the phase machine's outcome, kept under this name for callers of `alt_disk_copy`).
pub type CopyOutcome = PhaseOutcome;

const CMD: AltCommand = AltCommand::Copy;

/// Checks the flags alone (no host needed), in the documented order.
pub(crate) fn validate_flags(o: &CopyOptions) -> Result<()> {
    check_conflicts(CMD, &o.common)?;
    if o.console.is_some() && !o.build.device_reset {
        return refuse(format!("{}: the -c flag is only valid with the -O flag", CMD.name()));
    }
    check_flags(CMD, &o.common, &[('i', &o.build.image_data), ('e', &o.exclude)])
}

/// Runs `alt_disk_copy` on the host in `dir`: takes the lock, then runs the asked phases. Software flags are
/// refused ([`NoSoftware`]); [`alt_disk_copy_with`] takes an installer.
pub fn alt_disk_copy(
    dir: &Path,
    o: &CopyOptions,
    mover: &dyn Mover,
    space: &dyn SpaceCheck,
    events: &dyn Events,
) -> Result<CopyOutcome> {
    alt_disk_copy_with(dir, o, mover, space, &NoSoftware, events)
}

/// [`alt_disk_copy`] with `installer` doing phase 2's software installation (`-l -b -w -f -F -I`).
pub fn alt_disk_copy_with(
    dir: &Path,
    o: &CopyOptions,
    mover: &dyn Mover,
    space: &dyn SpaceCheck,
    installer: &dyn SoftwareInstaller,
    events: &dyn Events,
) -> Result<CopyOutcome> {
    validate_flags(o)?;
    let mut step = |host: &mut Host| phase1(host, o, mover, space, events);
    run_phases(dir, CMD, &o.common, &mut step, installer, events)
}

fn phase1(
    host: &mut Host,
    o: &CopyOptions,
    mover: &dyn Mover,
    space: &dyn SpaceCheck,
    events: &dyn Events,
) -> Result<CopyStats> {
    events.event(&Event::Phase(1));
    trace(o.common.trace, events, "phase 1");
    check_phase1(host, CMD, &o.common, &o.build)?;
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
        account_tree(&src_root, &mounted, exclude.as_ref(), 0, sets, events)
    };
    let src = match &o.build.image_data {
        Some(p) => ImageSource::File(p.clone()),
        None => ImageSource::Mkszfile,
    };
    let preq = PlanRequest {
        disks: o.common.disks.clone(),
        to_jfs2: o.build.to_jfs2,
        skip_space_check: o.build.skip_space_check,
        trace: o.common.trace,
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
        verbose: o.common.verbose,
        fs_limits: plan.fs_limits.clone(),
        fs_types: plan
            .lvs
            .iter()
            .filter_map(|lv| lv.fs.as_ref())
            .map(|f| (f.mount_point.clone(), f.params.space_type()))
            .collect(),
        verify: o.build.verify,
    };
    if !o.build.skip_space_check {
        space.check(&host.state, &req)?;
    }
    create_altinst(host, &plan, &o.common.disks, &root.oslevel, o.common.trace, events)?;
    say(
        host,
        events,
        "Generating a list of files\nfor backup and restore into the alternate file system...",
    )?;
    say(host, events, "Backing-up the rootvg files and restoring them to the\nalternate file system...")?;
    set_step(host, "copy")?;
    trace(o.common.trace, events, "backup | restore");
    let mut stats = mover.copy_filesystems(&req, events)?;
    if req.verify && stats.soft_errors.is_empty() {
        stats.differences =
            Some(super::mover::verify_copy(&req, exclude.as_ref(), crate::threads::default_threads())?);
    }
    record_copy_errors(host, &stats, "copy", &o.common, events)?;
    // AIX's clone holds the image.data it was built from as /image.data.
    let idata = host.alt_inst().join("image.data");
    std::fs::write(&idata, plan.image.to_text()).map_err(|e| Error::io("write", &idata, e))?;
    set_step(host, "odm")?;
    say(host, events, "Modifying ODM on cloned disk.")?;
    if o.build.device_reset {
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
