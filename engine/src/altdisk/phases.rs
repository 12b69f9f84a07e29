//! The one phase machine of `alt_disk_copy`, `alt_disk_mksysb` and `alt_rootvg_op -C` (spec alt-disk.md §1.2–§1.6).
//!
//! Each command hands it its phase-1 step (a closure that builds and fills `altinst_rootvg`) and the options the
//! three share ([`PhaseOptions`]); command-only options stay in the command's own struct. Phase 2 is written
//! once, in the order of IBM's step list: software installation ([`SoftwareInstaller`], step 6), then the
//! customization (`-R`, `-n`, `-x`, the `-s` script, step 8). The boot image (step 7) is modelled as "rebuild it
//! whenever phase 3 (or a sleep) runs, if phase 2 installed software that needs it since the last build": the
//! flag lives in the host model's alt state, so a later separate `-P3` still sees it.
//!
//! Everything that can be refused is refused before anything changes; then each step saves the host model, so
//! a kill at any point leaves a host that `alt_rootvg_op -X` cleans.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use super::vgstate::{remove_locked, sleep_locked, sleep_names_in, wake_locked, UnmountOrder};
use super::{say, trace, BakErrPolicy, CopyStats, ALTINST};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::host::{BootEntry, BootReport, Host, HostError, HostLock, Mount};

/// Which phases to run (`-P`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phases {
    /// Phase 1: create and copy.
    pub one: bool,
    /// Phase 2: install software, customize.
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

/// The customization of phase 2 (`-s -R -n -x`), shared by the three commands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customize {
    /// `-s`: a script run with `ALT_INST` set, cwd = `/alt_inst`.
    pub script: Option<PathBuf>,
    /// `-R`: copied to `/alt_inst/etc/resolv.conf`.
    pub resolv_conf: Option<PathBuf>,
    /// `-n`: copy `/.rhosts` and `/etc/niminfo` when present.
    pub nim_client: bool,
    /// `-x`: stored as `/alt_inst/etc/alt_disk_firstboot` and run at the clone's first boot.
    pub first_boot: Option<PathBuf>,
}

/// -l -b -w -f -F -I of alt_disk_copy / alt_rootvg_op -C (spec alt-disk.md §1.2, §1.4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareOptions {
    /// `-l`: directory or device holding the installp images.
    pub location: Option<PathBuf>,
    /// `-b`: a bundle file naming the filesets to install.
    pub bundle: Option<String>,
    /// `-w`: filesets to install (the flag's value split on white space).
    pub filesets: Vec<String>,
    /// `-f`: a file listing the APARs to install.
    pub fix_bundle: Option<PathBuf>,
    /// `-F`: APARs to install (the flag's value split on white space).
    pub fixes: Vec<String>,
    /// `-I`: installp flags (AIX's default is `-acgX`; the installer applies it when `None`).
    pub flags: Option<String>,
}

impl SoftwareOptions {
    /// True when no software flag was given: phase 2 installs nothing.
    pub fn is_empty(&self) -> bool {
        self.given().is_empty()
    }

    /// The software flags given, in the order of the AIX syntax line (`-b -I -l -f -F -w`).
    pub fn given(&self) -> Vec<char> {
        [
            ('b', self.bundle.is_some()),
            ('I', self.flags.is_some()),
            ('l', self.location.is_some()),
            ('f', self.fix_bundle.is_some()),
            ('F', !self.fixes.is_empty()),
            ('w', !self.filesets.is_empty()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(c, _)| c)
        .collect()
    }

    /// The AIX rules: each of `-b -I -f -F -w` requires `-l`, and `-l` needs something to install from it
    /// (`-b`, `-w`, `-f` or `-F`). `cmd` names the command in the refusal.
    pub fn validate(&self, cmd: &str) -> Result<()> {
        if self.location.is_none() {
            if let Some(c) = self.given().first() {
                return Err(Error::refused(format!("{cmd}: -{c} requires -l images_location")));
            }
            return Ok(());
        }
        let something = self.bundle.is_some()
            || !self.filesets.is_empty()
            || self.fix_bundle.is_some()
            || !self.fixes.is_empty();
        if !something {
            return Err(Error::refused(format!(
                "{cmd}: -l images_location needs something to install from it: give -b, -w, -f or -F"
            )));
        }
        Ok(())
    }
}

/// What phase 2 calls to install software into the mounted clone; the installp engine implements it.
pub trait SoftwareInstaller {
    /// Installs `sw` into the tree mounted at `alt_root` (`HOST/root/alt_inst`) of `host` (whose model it may
    /// change and save: `-X` grows file systems). Its message lines go to `events` (the phase machine also
    /// writes them to `alt_disk_inst.log`). A fileset that fails is reported in [`SoftwareOutcome::failed`];
    /// an `Err` stops the command.
    fn install(
        &self,
        host: &mut Host,
        alt_root: &Path,
        sw: &SoftwareOptions,
        events: &dyn Events,
    ) -> Result<SoftwareOutcome>;

    /// Refuses, before anything changes, what this installer cannot do (an unreadable `-l`, bad `-I` flags).
    /// Called only when software was asked for; `cmd` names the command in the refusal.
    fn check(&self, _cmd: &str, _sw: &SoftwareOptions) -> Result<()> {
        Ok(())
    }
}

/// What a software installation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareOutcome {
    /// Some fileset failed: the clone continues, the command exits non-zero at the end (spec installp.md §11).
    pub failed: bool,
    /// An installed fileset needs a new boot image (BOSBOOT `b`/`B`): phase 3 rebuilds it.
    pub boot_image_stale: bool,
}

/// The installer used when none is given: refuses with a clear message (kept so that callers without installp
/// compile).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSoftware;

impl NoSoftware {
    fn refusal(cmd: &str) -> Error {
        Error::refused(format!(
            "{cmd}: installation of updates into the clone is not available in this build"
        ))
    }
}

impl SoftwareInstaller for NoSoftware {
    fn install(
        &self,
        _host: &mut Host,
        _alt_root: &Path,
        _sw: &SoftwareOptions,
        _events: &dyn Events,
    ) -> Result<SoftwareOutcome> {
        Err(NoSoftware::refusal("installp"))
    }

    fn check(&self, cmd: &str, _sw: &SoftwareOptions) -> Result<()> {
        Err(NoSoftware::refusal(cmd))
    }
}

/// The options the three commands share: what the phase machine itself reads. The CLI fills it from AIX
/// flags; `alt_rootvg_op -C` uses `customize`, `software`, `trace` and `verbose` only.
#[derive(Debug, Clone, Default)]
pub struct PhaseOptions {
    /// `-d`: the target disks (phases 2 and 3 check that `altinst_rootvg` is on them).
    pub disks: Vec<String>,
    /// `-P`.
    pub phases: Phases,
    /// `-s -R -n -x`: phase-2 customization.
    pub customize: Customize,
    /// `-l -b -w -f -F -I`: phase-2 software installation (refused by `alt_disk_mksysb`).
    pub software: SoftwareOptions,
    /// `-B`: leave the bootlist alone.
    pub no_bootlist: bool,
    /// `-r`: reboot from the clone at the end.
    pub reboot: bool,
    /// `-V`: list each file copied or restored.
    pub verbose: bool,
    /// `-D`: `+ step` trace lines.
    pub trace: bool,
    /// `ALT_BAK_ERR_FAIL` / `ALT_BAK_ERR_REPORT`.
    pub bak_err: BakErrPolicy,
}

/// Phase-1 options of the two commands that build a new `altinst_rootvg` (`alt_disk_copy`, `alt_disk_mksysb`).
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `-i`: a customized image.data: its lv_data/fs_data define the alt LVs and filesystems.
    pub image_data: Option<PathBuf>,
    /// `-g`: skip the bootability check.
    pub skip_boot_check: bool,
    /// `-S`: skip the space check.
    pub skip_space_check: bool,
    /// `-O`: device reset.
    pub device_reset: bool,
    /// `-T`: convert JFS filesystems to JFS2.
    pub to_jfs2: bool,
    /// `--verify` (altdisk's own): compare the copied or restored files with their source (the running
    /// rootvg, or the mksysb image) at the end of the copy, before phase 2 changes the clone.
    pub verify: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct PhaseOutcome {
    /// Phase 1's copy statistics.
    pub stats: Option<CopyStats>,
    /// True when the command must exit 1: `ALT_BAK_ERR_REPORT=1` with copy errors, or a fileset failed in
    /// phase 2. Phase 3 still runs, but neither the bootlist nor `-r` is applied.
    pub failed: bool,
    /// Set by `-r`.
    pub boot: Option<BootReport>,
    /// What phase 2's software installation did, when software was asked for.
    pub software: Option<SoftwareOutcome>,
}

/// The command the phase machine runs for: its name in messages and its phase-3 message order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AltCommand {
    /// `alt_disk_copy`.
    Copy,
    /// `alt_disk_mksysb`.
    Mksysb,
    /// `alt_rootvg_op -C`.
    Customize,
}

impl AltCommand {
    /// The name in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            AltCommand::Copy => "alt_disk_copy",
            AltCommand::Mksysb => "alt_disk_mksysb",
            AltCommand::Customize => "alt_rootvg_op",
        }
    }

    fn unmount_order(self) -> UnmountOrder {
        if self == AltCommand::Mksysb {
            UnmountOrder::AfterLvFixes
        } else {
            UnmountOrder::First
        }
    }
}

pub(crate) fn refuse<T>(msg: impl Into<String>) -> Result<T> {
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

/// `-B` with `-r`: the first flag conflict AIX reports.
pub(crate) fn check_conflicts(cmd: AltCommand, o: &PhaseOptions) -> Result<()> {
    if o.no_bootlist && o.reboot {
        return refuse(format!("{}: the -B and -r flags cannot be used together", cmd.name()));
    }
    Ok(())
}

/// Checks the shared flags alone (no host needed), in the documented order; `own` are the command's own
/// path flags (`-i`, `-e`), checked with the shared ones.
pub(crate) fn check_flags(cmd: AltCommand, o: &PhaseOptions, own: &[(char, &Option<PathBuf>)]) -> Result<()> {
    let name = cmd.name();
    check_conflicts(cmd, o)?;
    let c = &o.customize;
    let paths: Vec<(char, &Option<PathBuf>)> =
        own.iter().copied().chain([('s', &c.script), ('R', &c.resolv_conf), ('x', &c.first_boot)]).collect();
    for (flag, p) in &paths {
        need_full(name, *flag, p)?;
    }
    o.software.validate(name)?;
    if cmd != AltCommand::Customize && o.disks.is_empty() {
        return refuse(format!("{name}: a target disk is required (-d)"));
    }
    for (flag, p) in &paths {
        if let Some(p) = p {
            if !p.is_file() {
                return refuse(format!("{name}: -{flag}: {} does not exist", p.display()));
            }
        }
    }
    if let Some(l) = &o.software.location {
        if !l.exists() {
            return refuse(format!("{name}: -l: {} does not exist", l.display()));
        }
    }
    if let Some(f) = &o.software.fix_bundle {
        if !f.is_file() {
            return refuse(format!("{name}: -f: {} does not exist", f.display()));
        }
    }
    if let Some(s) = &c.script {
        use std::os::unix::fs::PermissionsExt;
        let exec = std::fs::metadata(s).map(|m| m.permissions().mode() & 0o111 != 0).unwrap_or(false);
        if !exec {
            return refuse(format!("{name}: -s: {} is not executable", s.display()));
        }
    }
    Ok(())
}

/// The installer's own refusals, when phase 2 will install software.
fn check_installer(cmd: AltCommand, o: &PhaseOptions, installer: &dyn SoftwareInstaller) -> Result<()> {
    if o.phases.two && !o.software.is_empty() {
        installer.check(cmd.name(), &o.software)?;
    }
    Ok(())
}

/// Runs the phases of `alt_disk_copy` / `alt_disk_mksysb` on the host in `dir`: takes the lock, runs `phase1`
/// (when asked), phase 2 and phase 3 (unmount, rename, bootlist, reboot). Flags must have been checked
/// ([`check_flags`] and the command's own); the installer's refusals are checked here, before the lock.
pub(crate) fn run_phases(
    dir: &Path,
    cmd: AltCommand,
    o: &PhaseOptions,
    phase1: &mut dyn FnMut(&mut Host) -> Result<CopyStats>,
    installer: &dyn SoftwareInstaller,
    events: &dyn Events,
) -> Result<PhaseOutcome> {
    check_installer(cmd, o, installer)?;
    let _lock = HostLock::acquire(dir)?;
    let mut host = Host::open(dir)?;
    let mut out = PhaseOutcome::default();
    if o.phases.one {
        match phase1(&mut host) {
            Ok(s) => out.stats = Some(s),
            Err(e @ Error::NoSpace { .. }) => return Err(no_space_in_phase1(&mut host, cmd, o, e, events)),
            Err(e) => return Err(e),
        }
    } else {
        need_phase(&host, cmd, o, if o.phases.two { 2 } else { 3 })?;
    }
    if o.phases.two {
        out.software = phase2(&mut host, o, installer, events)?;
    }
    let errors = host.state.vg(ALTINST).and_then(|v| v.alt.as_ref()).map(|a| a.copy_errors).unwrap_or(0);
    let sw_failed = out.software.as_ref().map(|s| s.failed).unwrap_or(false);
    out.failed = sw_failed || (o.bak_err == BakErrPolicy::Report && errors > 0);
    if o.phases.three {
        phase3(&mut host, cmd, o, &mut out, events)?;
    }
    Ok(out)
}

/// The host's filesystem filled up in phase 1: as on any phase-1 failure of AIX, the partial `altinst_rootvg`
/// is removed (what `alt_rootvg_op -X` does, which frees the space it took) and a line says so; the no-space
/// error `e` is returned. When the removal fails too, the line names `alt_rootvg_op -X` to finish it.
fn no_space_in_phase1(
    host: &mut Host,
    cmd: AltCommand,
    o: &PhaseOptions,
    e: Error,
    events: &dyn Events,
) -> Error {
    if host.state.vg(ALTINST).is_none() {
        return e;
    }
    let c = cmd.name();
    let line = match remove_locked(host, ALTINST, o.trace, events) {
        Ok(()) => format!("{c}: out of space in phase 1: {ALTINST} was removed (as by alt_rootvg_op -X)"),
        Err(r) => {
            format!("{c}: out of space in phase 1; removing {ALTINST} failed ({r}): run alt_rootvg_op -X")
        }
    };
    // The log may be on the full filesystem: the line is shown even if it cannot be logged.
    let _ = say(host, events, &line);
    e
}

/// `alt_rootvg_op -C`: phase 2 alone on `altinst_rootvg`. A mounted one (phase 1 done, or woken) stays mounted;
/// a sleeping one is woken first and put back to sleep after, even when phase 2 fails.
pub(crate) fn run_customize(
    dir: &Path,
    o: &PhaseOptions,
    installer: &dyn SoftwareInstaller,
    events: &dyn Events,
) -> Result<PhaseOutcome> {
    let cmd = AltCommand::Customize;
    let o = PhaseOptions { phases: Phases { one: false, two: true, three: false }, ..o.clone() };
    check_flags(cmd, &o, &[])?;
    check_installer(cmd, &o, installer)?;
    let _lock = HostLock::acquire(dir)?;
    let mut host = Host::open(dir)?;
    let needs =
        || refuse(format!("alt_rootvg_op: -C needs a woken or phase-1 {ALTINST} mounted at /alt_inst"));
    let woke = match host.state.alt_mounted() {
        Some(v) if v.alt.as_ref().map(|a| a.phase_done >= 1).unwrap_or(false) => false,
        Some(_) => return needs(),
        None => match host.state.vg(ALTINST) {
            Some(v) if !v.varied_on && v.mount == Mount::None => {
                let disk = v.boot_disk();
                wake_locked(&mut host, &disk, false, o.trace, events)?;
                true
            }
            _ => return needs(),
        },
    };
    let r = phase2(&mut host, &o, installer, events);
    if woke {
        let slept = sleep_locked(&mut host, false, o.trace, events);
        if r.is_ok() {
            slept?;
        }
    }
    let software = r?;
    Ok(PhaseOutcome {
        failed: software.as_ref().map(|s| s.failed).unwrap_or(false),
        software,
        ..PhaseOutcome::default()
    })
}

/// Refuses a phase 2 or 3 run when phase 1 has not left an `altinst_rootvg` on these disks.
fn need_phase(host: &Host, cmd: AltCommand, o: &PhaseOptions, phase: u8) -> Result<()> {
    let c = cmd.name();
    let Some(v) = host.state.vg(ALTINST) else {
        return refuse(format!(
            "{c}: phase {phase} needs phase 1 first: there is no {ALTINST} (run {c} -P1)"
        ));
    };
    let done = v.alt.as_ref().map(|a| a.phase_done).unwrap_or(3);
    if v.mount != Mount::AltInst || done == 0 {
        return refuse(format!(
            "{c}: phase {phase} needs a completed phase 1 with /alt_inst mounted ({ALTINST} is {})",
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
        return refuse(format!("{c}: {ALTINST} is on {}, not on {}", v.disks.join(" "), o.disks.join(" ")));
    }
    Ok(())
}

/// Records the step being done in the alt state (what a kill leaves behind).
pub(crate) fn set_step(host: &mut Host, step: &str) -> Result<()> {
    if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
        a.step = step.to_string();
    }
    host.save()
}

/// Phase-1 checks of the commands that build `altinst_rootvg`, in order; nothing is changed until all pass.
pub(crate) fn check_phase1(host: &Host, cmd: AltCommand, o: &PhaseOptions, b: &BuildOptions) -> Result<()> {
    let c = cmd.name();
    let st = &host.state;
    let mut seen: Vec<&str> = o.disks.iter().map(String::as_str).collect();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return refuse(format!(
            "{c}: target disk {} is given more than once; name each target disk once",
            w[0]
        ));
    }
    for d in &o.disks {
        let Some(disk) = st.disk(d) else {
            return refuse(format!("{c}: target disk {d} does not exist"));
        };
        if disk.vg.is_some() {
            return refuse(format!("0505-126 {c}- target disk {d} has a volume group assigned to it."));
        }
        if !b.skip_boot_check && !disk.bootable {
            return refuse(format!(
                "{c}: target disk {d} is not bootable (bootinfo -B {d} gives 0); use -g to skip this check"
            ));
        }
    }
    if st.vg(ALTINST).is_some() {
        return refuse(format!(
            "{c}: the {ALTINST} volume group already exists; remove it with alt_rootvg_op -X {ALTINST}"
        ));
    }
    let alt = host.alt_inst();
    if std::fs::read_dir(&alt).map(|mut d| d.next().is_some()).unwrap_or(false) {
        return refuse(format!(
            "{c}: {} (/alt_inst) is not empty; it must be an unused mount point",
            alt.display()
        ));
    }
    let root = host.rootvg()?;
    // Without -i the image.data comes from the running rootvg, so its LV names are checked here; with -i the
    // file's names are checked in "Checking disk sizes.".
    for lv in root.lvs.iter().filter(|_| b.image_data.is_none()) {
        if lv.name.len() > 11 {
            return refuse(format!(
                "{c}: logical volume name {} is longer than 11 characters: alt_{} would exceed the \
                 15-character LVM limit; shorten it with a customized image.data (-i)",
                lv.name, lv.name
            ));
        }
    }
    Ok(())
}

/// After phase 1's data movement: logs the totals, reports each backup/restore error, and applies
/// `ALT_BAK_ERR_FAIL` (clean up as `alt_rootvg_op -X`, fail) or records the errors for `ALT_BAK_ERR_REPORT`
/// (spec alt-disk.md §1.2). Shared by `alt_disk_copy` (`class` "copy") and `alt_disk_mksysb` ("restore").
pub(crate) fn record_copy_errors(
    host: &mut Host,
    stats: &CopyStats,
    class: &'static str,
    o: &PhaseOptions,
    events: &dyn Events,
) -> Result<()> {
    let verb = if class == "copy" { "copied" } else { "restored" };
    host.log(&format!(
        "{verb} {} entries, {} bytes, {} errors",
        stats.entries,
        stats.bytes,
        stats.soft_errors.len()
    ))?;
    for e in stats.soft_errors.iter().skip(stats.reported) {
        events.event(&Event::SoftError { class, path: String::new(), message: e.clone() });
    }
    if !stats.soft_errors.is_empty() && o.bak_err == BakErrPolicy::Fail {
        remove_locked(host, ALTINST, o.trace, events)?;
        return Err(
            HostError::CopyFailed { count: stats.soft_errors.len(), no_space: stats.out_of_space }.into()
        );
    }
    if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
        a.copy_errors = stats.soft_errors.len();
    }
    Ok(())
}

/// Passes events on and writes every message line to `alt_disk_inst.log`, as [`say`] does; the first log
/// error is kept for [`Logged::finish`] (an event cannot fail).
struct Logged<'a> {
    host_dir: PathBuf,
    inner: &'a dyn Events,
    error: Mutex<Option<Error>>,
}

impl<'a> Logged<'a> {
    fn new(host: &Host, inner: &'a dyn Events) -> Self {
        Logged { host_dir: host.dir().to_path_buf(), inner, error: Mutex::new(None) }
    }

    fn finish(self) -> Result<()> {
        match self.error.into_inner() {
            Ok(Some(e)) => Err(e),
            _ => Ok(()),
        }
    }
}

impl Events for Logged<'_> {
    fn wants_plan(&self) -> bool {
        self.inner.wants_plan()
    }

    fn event(&self, ev: &Event<'_>) {
        self.inner.event(ev);
        if let Event::Message(m) = ev {
            if let Err(e) = crate::host::append_log(&self.host_dir, m) {
                if let Ok(mut slot) = self.error.lock() {
                    slot.get_or_insert(e);
                }
            }
        }
    }
}

/// Phase 2, written once: software (when asked), then the customization. Returns the software outcome.
fn phase2(
    host: &mut Host,
    o: &PhaseOptions,
    installer: &dyn SoftwareInstaller,
    events: &dyn Events,
) -> Result<Option<SoftwareOutcome>> {
    events.event(&Event::Phase(2));
    trace(o.trace, events, "phase 2");
    set_step(host, "phase 2")?;
    let mut software = None;
    if !o.software.is_empty() {
        set_step(host, "installp")?;
        trace(o.trace, events, "installp");
        let alt = host.alt_inst();
        let logged = Logged::new(host, events);
        let r = installer.install(host, &alt, &o.software, &logged);
        let logging = logged.finish();
        let sw = r?;
        logging?;
        host.log(&format!(
            "software installation {}{}",
            if sw.failed { "failed for some filesets" } else { "done" },
            if sw.boot_image_stale { "; the boot image is rebuilt in phase 3" } else { "" }
        ))?;
        if sw.boot_image_stale {
            if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
                a.boot_image_stale = true;
            }
        }
        host.save()?;
        software = Some(sw);
    }
    customize(host, &o.customize, o.trace, events)?;
    if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
        a.phase_done = a.phase_done.max(2);
    }
    host.save()?;
    Ok(software)
}

fn copy_file(from: &Path, to: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p).map_err(|e| Error::io("create", p, e))?;
    }
    std::fs::copy(from, to).map_err(|e| Error::io("copy", from, e))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode)).map_err(|e| Error::io("chmod", to, e))
}

/// The customization of phase 2 on the tree mounted at `/alt_inst`: `-R`, `-n`, `-x`, then the `-s` script.
fn customize(host: &mut Host, c: &Customize, trace_on: bool, events: &dyn Events) -> Result<()> {
    let alt = host.alt_inst();
    if let Some(r) = &c.resolv_conf {
        trace(trace_on, events, "copy resolv.conf");
        copy_file(r, &alt.join("etc/resolv.conf"), 0o644)?;
        host.log(&format!("copied {} to /alt_inst/etc/resolv.conf", r.display()))?;
    }
    if c.nim_client {
        trace(trace_on, events, "copy NIM client files");
        for f in [".rhosts", "etc/niminfo"] {
            let src = host.root().join(f);
            if src.is_file() {
                copy_file(&src, &alt.join(f), 0o600)?;
                host.log(&format!("copied /{f} to /alt_inst/{f}"))?;
            }
        }
    }
    if let Some(x) = &c.first_boot {
        trace(trace_on, events, "store first-boot script");
        copy_file(x, &alt.join(crate::host::FIRSTBOOT_SCRIPT), 0o755)?;
        if let Some(v) = host.state.alt_mounted().map(|v| v.name.clone()) {
            if let Some(v) = host.state.vg_mut(&v) {
                v.firstboot_pending = true;
            }
        }
        host.save()?;
    }
    if let Some(s) = &c.script {
        trace(trace_on, events, &format!("run {}", s.display()));
        let status = Command::new(s)
            .current_dir(&alt)
            .env("ALT_INST", &alt)
            .status()
            .map_err(|e| Error::io("run", s, e))?;
        host.log(&format!("customization script {} exited {status}", s.display()))?;
        if !status.success() {
            return Err(HostError::Script { path: s.clone(), status: status.code().unwrap_or(-1) }.into());
        }
    }
    Ok(())
}

/// Phase 3: the boot image when phase 2 left it stale, unmount, real names, vary off; then the bootlist and
/// `-r` unless the command failed.
fn phase3(
    host: &mut Host,
    cmd: AltCommand,
    o: &PhaseOptions,
    out: &mut PhaseOutcome,
    events: &dyn Events,
) -> Result<()> {
    events.event(&Event::Phase(3));
    trace(o.trace, events, "phase 3");
    set_step(host, "phase 3")?;
    let stale =
        host.state.vg(ALTINST).and_then(|v| v.alt.as_ref()).map(|a| a.boot_image_stale).unwrap_or(false);
    if stale {
        trace(o.trace, events, "bosboot");
        say(host, events, "Building boot image on cloned disk.")?;
    }
    let boot_disk = sleep_names_in(host, ALTINST, ALTINST, cmd.unmount_order(), events)?;
    if let Some(v) = host.state.vg_mut(ALTINST) {
        v.bootable = true;
        v.alt = None;
    }
    host.save()?;
    if !o.no_bootlist && !out.failed {
        let blv = host.state.vg(ALTINST).map(|v| v.blv()).unwrap_or_else(|| "hd5".into());
        host.set_bootlist(vec![BootEntry { disk: boot_disk.clone(), blv: blv.clone() }])?;
        say(host, events, &format!("Bootlist is set to the boot disk: {boot_disk} blv={blv}"))?;
    }
    if o.reboot && !out.failed {
        trace(o.trace, events, "reboot");
        out.boot = Some(host.reboot(events)?);
    }
    Ok(())
}
