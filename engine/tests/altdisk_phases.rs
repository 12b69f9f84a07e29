//! The one phase machine: phase 2's software hook (order, log, failure, stale boot image) for alt_disk_copy,
//! alt_disk_mksysb and alt_rootvg_op -C.

#[path = "altdisk_common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use altdisk_engine::altdisk::copy::{alt_disk_copy, alt_disk_copy_with, CopyOptions, Phases};
use altdisk_engine::altdisk::mksysb_install::{alt_disk_mksysb, MksysbInstallOptions};
use altdisk_engine::altdisk::rootvg_op::{customize_with, sleep, wake};
use altdisk_engine::altdisk::{
    AlwaysFits, Customize, PhaseOptions, SoftwareInstaller, SoftwareOptions, SoftwareOutcome,
};
use altdisk_engine::events::{Event, Events, NoEvents, RecordEvents};
use altdisk_engine::host::{Host, Mount};
use altdisk_engine::Result;

use common::{messages, CP};

const BOSBOOT: &str = "Building boot image on cloned disk.";
const INSTALL_LINE: &str = "installp: applied bos.fake 7.2.5.1";

/// Records each call, writes `etc/installed` into the clone and sends one message line.
#[derive(Default)]
struct FakeInstaller {
    outcome: SoftwareOutcome,
    calls: Mutex<Vec<(PathBuf, SoftwareOptions)>>,
}

impl FakeInstaller {
    fn with(failed: bool, boot_image_stale: bool) -> Self {
        FakeInstaller { outcome: SoftwareOutcome { failed, boot_image_stale }, ..FakeInstaller::default() }
    }

    fn calls(&self) -> Vec<(PathBuf, SoftwareOptions)> {
        self.calls.lock().unwrap().clone()
    }
}

impl SoftwareInstaller for FakeInstaller {
    fn install(
        &self,
        _host: &mut Host,
        alt_root: &Path,
        sw: &SoftwareOptions,
        events: &dyn Events,
    ) -> Result<SoftwareOutcome> {
        self.calls.lock().unwrap().push((alt_root.to_path_buf(), sw.clone()));
        std::fs::write(alt_root.join("etc/installed"), sw.filesets.join(" ")).unwrap();
        events.event(&Event::Message(INSTALL_LINE));
        Ok(self.outcome.clone())
    }
}

fn software(loc: &Path) -> SoftwareOptions {
    SoftwareOptions {
        location: Some(loc.to_path_buf()),
        filesets: vec!["bos.fake".into()],
        ..Default::default()
    }
}

fn copy_opts(loc: &Path) -> CopyOptions {
    let common = PhaseOptions {
        disks: vec!["hdisk1".into()],
        no_bootlist: true,
        software: software(loc),
        ..PhaseOptions::default()
    };
    CopyOptions { common, ..CopyOptions::default() }
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn log_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("alt_disk_inst.log")).unwrap()
}

fn count(m: &[String], line: &str) -> usize {
    m.iter().filter(|l| *l == line).count()
}

fn pos(m: &[String], line: &str) -> usize {
    m.iter().position(|l| l == line).unwrap_or_else(|| panic!("{line} not in {m:#?}"))
}

#[test]
fn phase_two_installs_before_the_script_and_logs_the_installer() {
    let (t, dir) = common::sample(10);
    let inst = FakeInstaller::default();
    let mut o = copy_opts(t.path());
    o.common.customize.script = Some(script(
        t.path(),
        "c.sh",
        "test -f \"$ALT_INST/etc/installed\" || exit 7\ncp \"$ALT_INST/etc/installed\" \"$ALT_INST/etc/seen\"",
    ));
    let ev = RecordEvents::default();
    let out = alt_disk_copy_with(&dir, &o, &CP, &AlwaysFits, &inst, &ev).unwrap();
    assert!(!out.failed);
    assert_eq!(out.software, Some(SoftwareOutcome::default()));
    let calls = inst.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, dir.join("root/alt_inst"));
    assert_eq!(calls[0].1, software(t.path()));
    // The script ran after the installer and saw its file; the clone (now on hdisk1) keeps both.
    assert_eq!(std::fs::read_to_string(dir.join("disks/hdisk1/etc/seen")).unwrap(), "bos.fake");
    let m = messages(&ev);
    // Phase 1's bosboot line, then the installer, then phase 3; no second bosboot without a stale image.
    assert_eq!(count(&m, BOSBOOT), 1);
    assert!(pos(&m, BOSBOOT) < pos(&m, INSTALL_LINE));
    assert!(pos(&m, INSTALL_LINE) < pos(&m, "forced unmount of /alt_inst/var/adm/ras/livedump"));
    assert!(log_of(&dir).lines().any(|l| l.ends_with(&format!(" {INSTALL_LINE}"))), "{}", log_of(&dir));
}

#[test]
fn no_software_flags_no_installer_call() {
    let (t, dir) = common::sample(5);
    let inst = FakeInstaller::default();
    let mut o = copy_opts(t.path());
    o.common.software = SoftwareOptions::default();
    let out = alt_disk_copy_with(&dir, &o, &CP, &AlwaysFits, &inst, &NoEvents).unwrap();
    assert!(inst.calls().is_empty());
    assert_eq!(out.software, None);
    assert!(!log_of(&dir).contains("software installation"));
}

#[test]
fn a_failed_fileset_fails_the_command_but_phase_three_still_runs() {
    let (t, dir) = common::sample(5);
    let inst = FakeInstaller::with(true, false);
    let mut o = copy_opts(t.path());
    o.common.no_bootlist = false;
    let ev = RecordEvents::default();
    let out = alt_disk_copy_with(&dir, &o, &CP, &AlwaysFits, &inst, &ev).unwrap();
    assert!(out.failed);
    let m = messages(&ev);
    assert_eq!(m.last().map(String::as_str), Some("Fixing file system superblocks..."));
    assert!(!m.iter().any(|l| l.starts_with("Bootlist is set")), "{m:#?}");
    let h = Host::open(&dir).unwrap();
    let vg = h.state.vg("altinst_rootvg").unwrap();
    assert!(!vg.varied_on && vg.mount == Mount::None && vg.alt.is_none());
    assert_eq!(h.state.bootlist[0].disk, "hdisk0");
    assert!(dir.join("disks/hdisk1/etc/installed").is_file());
    assert!(log_of(&dir).contains("software installation failed for some filesets"));
}

#[test]
fn a_stale_boot_image_is_rebuilt_at_the_start_of_phase_three() {
    let (t, dir) = common::sample(5);
    let inst = FakeInstaller::with(false, true);
    let ev = RecordEvents::default();
    let out = alt_disk_copy_with(&dir, &copy_opts(t.path()), &CP, &AlwaysFits, &inst, &ev).unwrap();
    assert!(!out.failed);
    let m = messages(&ev);
    assert_eq!(count(&m, BOSBOOT), 2, "{m:#?}");
    let second = m.iter().rposition(|l| l == BOSBOOT).unwrap();
    assert!(second > pos(&m, INSTALL_LINE));
    assert_eq!(m[second + 1], "forced unmount of /alt_inst/var/adm/ras/livedump");
}

#[test]
fn the_stale_flag_is_kept_from_p12_to_a_later_p3() {
    let (t, dir) = common::sample(5);
    let inst = FakeInstaller::with(false, true);
    let mut o = copy_opts(t.path());
    o.common.phases = Phases::parse("12").unwrap();
    alt_disk_copy_with(&dir, &o, &CP, &AlwaysFits, &inst, &NoEvents).unwrap();
    let h = Host::open(&dir).unwrap();
    let alt = h.state.vg("altinst_rootvg").unwrap().alt.clone().unwrap();
    assert!(alt.boot_image_stale);
    assert_eq!(alt.phase_done, 2);
    // A separate -P3, without software flags and without an installer.
    o.common.phases = Phases::parse("3").unwrap();
    o.common.software = SoftwareOptions::default();
    let ev = RecordEvents::default();
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &ev).unwrap();
    let m = messages(&ev);
    assert_eq!(m[0], BOSBOOT);
    assert_eq!(m[1], "forced unmount of /alt_inst/var/adm/ras/livedump");
    assert_eq!(count(&m, BOSBOOT), 1);
    let h = Host::open(&dir).unwrap();
    assert!(h.state.vg("altinst_rootvg").unwrap().alt.is_none());
}

fn cloned(files: usize) -> (tempfile::TempDir, PathBuf) {
    let (t, dir) = common::sample(files);
    let mut o = copy_opts(t.path());
    o.common.software = SoftwareOptions::default();
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap();
    (t, dir)
}

#[test]
fn customize_on_a_sleeping_altinst_rootvg_wakes_installs_and_sleeps_again() {
    let (t, dir) = cloned(5);
    let inst = FakeInstaller::with(false, true);
    let rc = t.path().join("resolv.conf");
    std::fs::write(&rc, "domain example.com\n").unwrap();
    let o = PhaseOptions {
        software: software(t.path()),
        customize: Customize { resolv_conf: Some(rc), ..Customize::default() },
        ..PhaseOptions::default()
    };
    let ev = RecordEvents::default();
    let out = customize_with(&dir, &o, &inst, &ev).unwrap();
    assert!(!out.failed && out.stats.is_none() && out.boot.is_none());
    assert_eq!(inst.calls()[0].0, dir.join("root/alt_inst"));
    let m = messages(&ev);
    assert_eq!(m[0], "Waking up altinst_rootvg volume group ...");
    assert_eq!(m[1], INSTALL_LINE);
    assert_eq!(m[2], BOSBOOT);
    assert_eq!(m[3], "forced unmount of /alt_inst/var/adm/ras/livedump");
    assert_eq!(m.last().map(String::as_str), Some("Fixing file system superblocks..."));
    let h = Host::open(&dir).unwrap();
    let vg = h.state.vg("altinst_rootvg").unwrap();
    assert!(!vg.varied_on && vg.mount == Mount::None && vg.alt.is_none() && vg.bootable);
    assert_eq!(vg.lvs[0].name, "hd5");
    assert!(dir.join("disks/hdisk1/etc/installed").is_file());
    assert_eq!(std::fs::read(dir.join("disks/hdisk1/etc/resolv.conf")).unwrap(), b"domain example.com\n");
    assert!(!dir.join("root/alt_inst/etc").exists());
    assert!(log_of(&dir).contains(INSTALL_LINE));
}

#[test]
fn customize_on_a_woken_altinst_rootvg_leaves_it_mounted_and_sleep_rebuilds_the_boot_image() {
    let (t, dir) = cloned(5);
    wake(&dir, "hdisk1", false, false, &NoEvents).unwrap();
    let inst = FakeInstaller::with(false, true);
    let o = PhaseOptions { software: software(t.path()), ..PhaseOptions::default() };
    let ev = RecordEvents::default();
    customize_with(&dir, &o, &inst, &ev).unwrap();
    assert_eq!(messages(&ev), [INSTALL_LINE]);
    let h = Host::open(&dir).unwrap();
    let vg = h.state.vg("altinst_rootvg").unwrap();
    assert_eq!(vg.mount, Mount::AltInst);
    assert!(vg.alt.as_ref().unwrap().boot_image_stale);
    assert!(dir.join("root/alt_inst/etc/installed").is_file());
    // -S without -t still rebuilds the boot image phase 2 left stale.
    let ev = RecordEvents::default();
    sleep(&dir, false, false, &ev).unwrap();
    assert_eq!(messages(&ev)[0], BOSBOOT);
}

#[test]
fn a_failed_fileset_fails_customize_too() {
    let (t, dir) = cloned(5);
    let inst = FakeInstaller::with(true, false);
    let o = PhaseOptions { software: software(t.path()), ..PhaseOptions::default() };
    let out = customize_with(&dir, &o, &inst, &NoEvents).unwrap();
    assert!(out.failed);
    // Put back to sleep all the same.
    let h = Host::open(&dir).unwrap();
    assert_eq!(h.state.vg("altinst_rootvg").unwrap().mount, Mount::None);
}

fn refused_copy(dir: &Path, o: &CopyOptions, inst: &FakeInstaller) -> String {
    let before = std::fs::read(dir.join("host.json")).unwrap();
    let err = alt_disk_copy_with(dir, o, &CP, &AlwaysFits, inst, &NoEvents).unwrap_err();
    assert_eq!(std::fs::read(dir.join("host.json")).unwrap(), before, "host changed by a refusal");
    assert!(inst.calls().is_empty());
    err.to_string()
}

#[test]
fn software_flag_refusals() {
    let (t, dir) = common::sample(5);
    let inst = FakeInstaller::default();
    let mut o = copy_opts(t.path());
    o.common.software.location = None;
    assert_eq!(refused_copy(&dir, &o, &inst), "alt_disk_copy: -w requires -l images_location");
    for (flag, sw) in [
        ('b', SoftwareOptions { bundle: Some("my.bnd".into()), ..Default::default() }),
        ('I', SoftwareOptions { flags: Some("-acgX".into()), ..Default::default() }),
        ('f', SoftwareOptions { fix_bundle: Some("/fixes".into()), ..Default::default() }),
        ('F', SoftwareOptions { fixes: vec!["IX123456".into()], ..Default::default() }),
    ] {
        o.common.software = sw;
        assert_eq!(
            refused_copy(&dir, &o, &inst),
            format!("alt_disk_copy: -{flag} requires -l images_location")
        );
    }
    o.common.software = SoftwareOptions { location: Some(t.path().into()), ..Default::default() };
    assert_eq!(
        refused_copy(&dir, &o, &inst),
        "alt_disk_copy: -l images_location needs something to install from it: give -b, -w, -f or -F"
    );
    o.common.software.flags = Some("-acgX".into());
    assert!(refused_copy(&dir, &o, &inst).contains("needs something to install"));
    let nowhere = t.path().join("nowhere");
    o.common.software = software(&nowhere);
    assert_eq!(
        refused_copy(&dir, &o, &inst),
        format!("alt_disk_copy: -l: {} does not exist", nowhere.display())
    );
    // The same rules for alt_rootvg_op -C, under its name.
    let po = PhaseOptions {
        software: SoftwareOptions { bundle: Some("b".into()), ..Default::default() },
        ..PhaseOptions::default()
    };
    let err = customize_with(&dir, &po, &inst, &NoEvents).unwrap_err();
    assert_eq!(err.to_string(), "alt_rootvg_op: -b requires -l images_location");
    assert!(SoftwareOptions::default().is_empty());
    assert_eq!(SoftwareOptions { fixes: vec!["IX1".into()], ..Default::default() }.given(), ['F']);
}

#[test]
fn without_an_installer_software_is_refused_before_anything_changes() {
    let (t, dir) = cloned(5);
    let before = std::fs::read(dir.join("host.json")).unwrap();
    let o = PhaseOptions { software: software(t.path()), ..PhaseOptions::default() };
    let err = customize_with(&dir, &o, &altdisk_engine::altdisk::NoSoftware, &NoEvents).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alt_rootvg_op: installation of updates into the clone is not available in this build"
    );
    assert_eq!(std::fs::read(dir.join("host.json")).unwrap(), before);
}

#[test]
fn alt_disk_mksysb_refuses_software_flags() {
    let (t, dir) = common::sample(5);
    let m = t.path().join("fake.mksysb");
    std::fs::write(&m, b"not read").unwrap();
    let o = MksysbInstallOptions {
        mksysb: m,
        common: PhaseOptions {
            disks: vec!["hdisk1".into()],
            software: software(t.path()),
            ..PhaseOptions::default()
        },
        ..MksysbInstallOptions::default()
    };
    let err = alt_disk_mksysb(&dir, &o, &NoEvents).unwrap_err();
    assert_eq!(
        err.to_string(),
        "alt_disk_mksysb: -l: nothing can be installed into a mksysb clone (its phase 2 runs -s, -R and -n only)"
    );
}
