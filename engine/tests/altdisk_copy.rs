//! alt_disk_copy's phase machine end to end with a test mover (`cp -a`).

#[path = "altdisk_common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use altdisk_engine::altdisk::copy::{alt_disk_copy, CopyOptions, Phases};
use altdisk_engine::altdisk::rootvg_op;
use altdisk_engine::altdisk::{AlwaysFits, BakErrPolicy, PhaseOptions, SoftwareOptions};
use altdisk_engine::events::{NoEvents, RecordEvents};
use altdisk_engine::host::{self, Host, HostLock, Mount};
use altdisk_engine::Error;

use common::{messages, snapshot, CpMover, CP};

fn opts(disks: &[&str]) -> CopyOptions {
    let common =
        PhaseOptions { disks: disks.iter().map(|s| s.to_string()).collect(), ..PhaseOptions::default() };
    CopyOptions { common, ..CopyOptions::default() }
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

const FULL_RUN: &str = "Calling mkszfile to create new /image.data file.
Checking disk sizes.
Creating cloned rootvg volume group and associated logical volumes.
Creating logical volume alt_hd5.
Creating logical volume alt_hd6.
Creating logical volume alt_hd8.
Creating logical volume alt_hd4.
Creating logical volume alt_hd2.
Creating logical volume alt_hd9var.
Creating logical volume alt_hd3.
Creating logical volume alt_hd1.
Creating logical volume alt_hd10opt.
Creating logical volume alt_hd11admin.
Creating logical volume alt_lg_dumplv.
Creating logical volume alt_livedump.
Creating /alt_inst/ file system.
Creating /alt_inst/admin file system.
Creating /alt_inst/home file system.
Creating /alt_inst/opt file system.
Creating /alt_inst/tmp file system.
Creating /alt_inst/usr file system.
Creating /alt_inst/var file system.
Creating /alt_inst/var/adm/ras/livedump file system.
Generating a list of files
for backup and restore into the alternate file system...
Backing-up the rootvg files and restoring them to the
alternate file system...
Modifying ODM on cloned disk.
Building boot image on cloned disk.
forced unmount of /alt_inst/var/adm/ras/livedump
forced unmount of /alt_inst/var/adm/ras/livedump
forced unmount of /alt_inst/var
forced unmount of /alt_inst/var
forced unmount of /alt_inst/usr
forced unmount of /alt_inst/usr
forced unmount of /alt_inst/tmp
forced unmount of /alt_inst/tmp
forced unmount of /alt_inst/opt
forced unmount of /alt_inst/opt
forced unmount of /alt_inst/home
forced unmount of /alt_inst/home
forced unmount of /alt_inst/admin
forced unmount of /alt_inst/admin
forced unmount of /alt_inst
forced unmount of /alt_inst
Changing logical volume names in volume group descriptor area.
Fixing LV control blocks...
Fixing file system superblocks...
Bootlist is set to the boot disk: hdisk1 blv=hd5";

#[test]
fn full_clone_prints_aix_messages_and_leaves_a_bootable_placeholder() {
    let (_t, dir) = common::sample(200);
    let before = snapshot(&dir.join("root"));
    let ev = RecordEvents::default();
    let out = alt_disk_copy(&dir, &opts(&["hdisk1"]), &CP, &AlwaysFits, &ev).unwrap();
    assert!(!out.failed);
    assert_eq!(messages(&ev).join("\n"), FULL_RUN);
    let h = Host::open(&dir).unwrap();
    let pv = host::lspv(&h.state);
    assert!(pv.lines().nth(1).unwrap().ends_with("altinst_rootvg"), "{pv}");
    assert_eq!(host::lsvg(&h.state), "rootvg\naltinst_rootvg\n");
    assert_eq!(host::lsvg_o(&h.state), "rootvg\n");
    let err = host::lsvg_l(&h.state, "altinst_rootvg").unwrap_err();
    assert_eq!(err.to_string(), "0516-010 lsvg: Volume group must be varied on; use varyonvg command.");
    assert_eq!(host::bootlist_o(&h.state), "hdisk1 blv=hd5 pathid=0\n");
    let vg = h.state.vg("altinst_rootvg").unwrap();
    assert_eq!(vg.lvs[0].name, "hd5");
    assert!(vg.bootable && !vg.varied_on && vg.mount == Mount::None);
    // The clone holds the source tree (plus the empty /alt_inst mount point); the source is unchanged.
    assert_eq!(snapshot(&dir.join("root")), before);
    assert!(
        !dir.join("root/alt_inst").exists()
            || std::fs::read_dir(dir.join("root/alt_inst")).unwrap().count() == 0
    );
    let clone = snapshot(&dir.join("disks/hdisk1"));
    for (k, v) in &before {
        assert_eq!(clone.get(k), Some(v), "{k}");
    }
    let log = std::fs::read_to_string(dir.join("alt_disk_inst.log")).unwrap();
    assert!(log.contains("Creating logical volume alt_hd2."), "{log}");
}

#[test]
fn phases_split_with_repeated_phase_two() {
    let (t, dir) = common::sample(50);
    let s = script(t.path(), "custom.sh", "echo \"$ALT_INST $(pwd)\" >> etc/custom.log");
    let mut o = opts(&["hdisk1"]);
    o.common.phases = Phases::parse("1").unwrap();
    let ev = RecordEvents::default();
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &ev).unwrap();
    let m = messages(&ev);
    assert_eq!(m.last().map(String::as_str), Some("Building boot image on cloned disk."));
    let h = Host::open(&dir).unwrap();
    assert_eq!(h.state.alt_mounted().map(|v| v.name.as_str()), Some("altinst_rootvg"));
    assert_eq!(host::lsvg_o(&h.state), "rootvg\naltinst_rootvg\n");
    let l = host::lsvg_l(&h.state, "altinst_rootvg").unwrap();
    assert!(
        l.contains("alt_hd2             jfs2       80      80      1    open/syncd    /alt_inst/usr"),
        "{l}"
    );

    // Phase 3 before 2 is fine; 2 twice is allowed; phase 1 again is refused.
    o.common.phases = Phases::parse("2").unwrap();
    o.common.customize.script = Some(s.clone());
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap();
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap();
    let alt = dir.join("root/alt_inst");
    let line = format!("{} {}", alt.display(), alt.display());
    assert_eq!(std::fs::read_to_string(alt.join("etc/custom.log")).unwrap(), format!("{line}\n{line}\n"));
    let mut again = opts(&["hdisk1"]);
    again.common.phases = Phases::parse("1").unwrap();
    let err = alt_disk_copy(&dir, &again, &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().starts_with("0505-126"), "{err}");

    o.common.phases = Phases::parse("3").unwrap();
    o.common.customize.script = None;
    let ev = RecordEvents::default();
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &ev).unwrap();
    assert_eq!(
        messages(&ev).last().map(String::as_str),
        Some("Bootlist is set to the boot disk: hdisk1 blv=hd5")
    );
    assert!(dir.join("disks/hdisk1/etc/custom.log").is_file());
    // Out of order now: phase 3 is done.
    let err = alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().contains("phase 3 needs a completed phase 1"), "{err}");
}

#[test]
fn phase_two_or_three_without_phase_one_is_refused() {
    let (_t, dir) = common::sample(5);
    for p in ["2", "3", "23"] {
        let mut o = opts(&["hdisk1"]);
        o.common.phases = Phases::parse(p).unwrap();
        let err = alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap_err();
        assert!(err.to_string().contains("needs phase 1 first"), "{p}: {err}");
    }
}

fn refused(dir: &Path, o: &CopyOptions) -> String {
    let before = std::fs::read(dir.join("host.json")).unwrap();
    let err = alt_disk_copy(dir, o, &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert_eq!(std::fs::read(dir.join("host.json")).unwrap(), before, "host changed by a refusal");
    assert!(!dir.join("root/alt_inst").exists());
    err.to_string()
}

#[test]
fn every_flag_refusal_changes_nothing() {
    let (t, dir) = common::sample(5);
    let mut o = opts(&["hdisk1"]);
    o.common.no_bootlist = true;
    o.common.reboot = true;
    assert!(refused(&dir, &o).contains("-B and -r"));
    let mut o = opts(&["hdisk1"]);
    o.console = Some("/dev/vty0".into());
    assert!(refused(&dir, &o).contains("only valid with the -O"));
    for flag in ['i', 's', 'R', 'e', 'x'] {
        let mut o = opts(&["hdisk1"]);
        let rel = Some(PathBuf::from("relative/file"));
        match flag {
            'i' => o.build.image_data = rel,
            's' => o.common.customize.script = rel,
            'R' => o.common.customize.resolv_conf = rel,
            'e' => o.exclude = rel,
            _ => o.common.customize.first_boot = rel,
        }
        assert!(refused(&dir, &o).contains(&format!("-{flag} argument relative/file must be a full path")));
    }
    assert!(Phases::parse("13").unwrap_err().to_string().contains("invalid phase option '13'"));
    let mut o = opts(&["hdisk1"]);
    o.common.software = SoftwareOptions {
        location: Some(t.path().to_path_buf()),
        filesets: vec!["bos.rte".into()],
        ..Default::default()
    };
    assert!(
        refused(&dir, &o).contains("installation of updates into the clone is not available in this build")
    );
    let nonexec = t.path().join("noexec.sh");
    std::fs::write(&nonexec, "#!/bin/sh\n").unwrap();
    let mut o = opts(&["hdisk1"]);
    o.common.customize.script = Some(nonexec);
    assert!(refused(&dir, &o).contains("is not executable"));
}

#[test]
fn disk_refusals_in_order() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("h");
    Host::init_sample(
        &dir,
        5,
        &[("hdisk1".into(), 20480), ("hdisk2".into(), 4096), ("hdisk3".into(), 20480)],
    )
    .unwrap();
    assert!(refused(&dir, &opts(&["hdisk9"])).contains("target disk hdisk9 does not exist"));
    assert_eq!(
        refused(&dir, &opts(&["hdisk0"])),
        "0505-126 alt_disk_copy- target disk hdisk0 has a volume group assigned to it."
    );
    let mut h = Host::open(&dir).unwrap();
    h.state.disk_mut("hdisk3").unwrap().bootable = false;
    h.save().unwrap();
    assert!(refused(&dir, &opts(&["hdisk3"])).contains("not bootable"));
    // 4096 MB / 32 MB - 1 = 127 usable PPs < 192 needed: a space refusal (exit 4 in the CLI).
    let before = std::fs::read(dir.join("host.json")).unwrap();
    let err = alt_disk_copy(&dir, &opts(&["hdisk2"]), &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(matches!(err, Error::Space(_)), "{err}");
    assert!(err.to_string().contains("192 PPs"), "{err}");
    assert_eq!(std::fs::read(dir.join("host.json")).unwrap(), before);
    // -g skips the bootability check; two disks together have room.
    let mut o = opts(&["hdisk3"]);
    o.build.skip_boot_check = true;
    o.common.phases = Phases::parse("1").unwrap();
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap();
    let before = std::fs::read(dir.join("host.json")).unwrap();
    let err = alt_disk_copy(&dir, &opts(&["hdisk1"]), &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().contains("altinst_rootvg volume group already exists"), "{err}");
    assert_eq!(std::fs::read(dir.join("host.json")).unwrap(), before);
}

#[test]
fn long_lv_name_is_refused() {
    let (_t, dir) = common::sample(5);
    let mut h = Host::open(&dir).unwrap();
    h.state.vg_mut("rootvg").unwrap().lvs[1].name = "paging_space0".into();
    h.save().unwrap();
    assert!(refused(&dir, &opts(&["hdisk1"])).contains("paging_space0 is longer than 11 characters"));
}

#[test]
fn space_check_hook_runs_unless_skipped() {
    struct Never;
    impl altdisk_engine::altdisk::SpaceCheck for Never {
        fn check(
            &self,
            _: &host::HostState,
            req: &altdisk_engine::altdisk::CopyRequest,
        ) -> altdisk_engine::Result<()> {
            Err(Error::refused(format!("{} filesystems do not fit", req.filesystems.len())))
        }
    }
    let (_t, dir) = common::sample(5);
    let err = alt_disk_copy(&dir, &opts(&["hdisk1"]), &CP, &Never, &NoEvents).unwrap_err();
    assert_eq!(err.to_string(), "8 filesystems do not fit");
    let mut o = opts(&["hdisk1"]);
    o.build.skip_space_check = true;
    alt_disk_copy(&dir, &o, &CP, &Never, &NoEvents).unwrap();
}

#[test]
fn bak_err_policies() {
    let bad = CpMover { fake_errors: vec!["./etc/x: cannot read".into()], fail: false };
    // Default: errors printed, carry on, bootlist set.
    let (_t, dir) = common::sample(5);
    let ev = RecordEvents::default();
    let out = alt_disk_copy(&dir, &opts(&["hdisk1"]), &bad, &AlwaysFits, &ev).unwrap();
    assert!(!out.failed);
    assert!(ev.0.lock().unwrap().iter().any(|l| l.contains("./etc/x: cannot read")));
    assert_eq!(host::bootlist_o(&Host::open(&dir).unwrap().state), "hdisk1 blv=hd5 pathid=0\n");
    // REPORT: carry on, fail, bootlist untouched.
    let (_t2, dir) = common::sample(5);
    let mut o = opts(&["hdisk1"]);
    o.common.bak_err = BakErrPolicy::Report;
    let ev = RecordEvents::default();
    let out = alt_disk_copy(&dir, &o, &bad, &AlwaysFits, &ev).unwrap();
    assert!(out.failed);
    assert!(!messages(&ev).iter().any(|m| m.starts_with("Bootlist")));
    let h = Host::open(&dir).unwrap();
    assert_eq!(host::bootlist_o(&h.state), "hdisk0 blv=hd5 pathid=0\n");
    assert!(h.state.vg("altinst_rootvg").unwrap().bootable);
    // FAIL: clean up like -X and fail.
    let (_t3, dir) = common::sample(5);
    let mut o = opts(&["hdisk1"]);
    o.common.bak_err = BakErrPolicy::Fail;
    let err = alt_disk_copy(&dir, &o, &bad, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().contains("ALT_BAK_ERR_FAIL"), "{err}");
    let h = Host::open(&dir).unwrap();
    assert!(h.state.vg("altinst_rootvg").is_none());
    assert_eq!(h.state.disk("hdisk1").unwrap().vg, None);
    assert!(!dir.join("root/alt_inst").exists());
}

#[test]
fn crash_in_phase_one_is_cleaned_by_remove() {
    let (_t, dir) = common::sample(100);
    let before = snapshot(&dir.join("root"));
    let crash = CpMover { fake_errors: vec![], fail: true };
    alt_disk_copy(&dir, &opts(&["hdisk1", "hdisk2"]), &crash, &AlwaysFits, &NoEvents).unwrap_err();
    let h = Host::open(&dir).unwrap();
    let vg = h.state.vg("altinst_rootvg").unwrap();
    assert_eq!(vg.alt.as_ref().unwrap().step, "copy");
    assert_eq!(vg.alt.as_ref().unwrap().phase_done, 0);
    // Phase 2 on an incomplete clone is refused.
    let mut o = opts(&["hdisk1", "hdisk2"]);
    o.common.phases = Phases::parse("2").unwrap();
    let err = alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().contains("incomplete"), "{err}");
    let ev = RecordEvents::default();
    rootvg_op::remove(&dir, "altinst_rootvg", false, &ev).unwrap();
    assert_eq!(
        messages(&ev).last().map(String::as_str),
        Some("Bootlist is set to the boot disk: hdisk0 blv=hd5")
    );
    let h = Host::open(&dir).unwrap();
    assert!(h.state.disks.iter().skip(1).all(|d| d.vg.is_none()));
    assert!(!dir.join("root/alt_inst").exists());
    assert_eq!(snapshot(&dir.join("root")), before);
}

#[test]
fn copy_refuses_while_the_host_is_locked() {
    let (_t, dir) = common::sample(5);
    let _l = HostLock::acquire(&dir).unwrap();
    let err = alt_disk_copy(&dir, &opts(&["hdisk1"]), &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().contains("busy"), "{err}");
}

#[test]
fn boot_the_clone_then_boot_back() {
    let (t, dir) = common::sample(50);
    let before = snapshot(&dir.join("root"));
    let fb = script(t.path(), "fb.sh", "echo booted > etc/firstboot.done");
    let rc = t.path().join("resolv.conf");
    std::fs::write(&rc, "nameserver 10.0.0.1\n").unwrap();
    let mut o = opts(&["hdisk1"]);
    o.common.reboot = true;
    o.common.customize.first_boot = Some(fb);
    o.common.customize.resolv_conf = Some(rc);
    let out = alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap();
    let boot = out.boot.unwrap();
    assert_eq!(boot.disk, "hdisk1");
    assert_eq!(boot.firstboot.as_ref().map(|f| f.1), Some(0));
    let mut h = Host::open(&dir).unwrap();
    let pv = host::lspv(&h.state);
    let l: Vec<&str> = pv.lines().collect();
    assert!(l[0].ends_with("old_rootvg"), "{pv}");
    assert!(l[1].ends_with("rootvg          active"), "{pv}");
    assert_eq!(host::bootinfo_b(&h.state), "hdisk1\n");
    assert_eq!(std::fs::read_to_string(dir.join("root/etc/firstboot.done")).unwrap(), "booted\n");
    assert_eq!(std::fs::read_to_string(dir.join("root/etc/resolv.conf")).unwrap(), "nameserver 10.0.0.1\n");
    // Back to the original: bootlist hdisk0, reboot. The first-boot script does not run again.
    h.set_bootlist(vec![host::BootEntry { disk: "hdisk0".into(), blv: "hd5".into() }]).unwrap();
    let r = h.reboot(&NoEvents).unwrap();
    assert!(r.firstboot.is_none());
    assert_eq!(snapshot(&dir.join("root")), before);
    let l = host::lspv(&h.state);
    assert!(l.lines().nth(1).unwrap().ends_with("old_rootvg"), "{l}");
    // ... and to the clone again: its first-boot script stays done.
    h.set_bootlist(vec![host::BootEntry { disk: "hdisk1".into(), blv: "hd5".into() }]).unwrap();
    assert!(h.reboot(&NoEvents).unwrap().firstboot.is_none());
}

#[test]
fn to_jfs2_converts_jfs_filesystems_on_the_clone_only() {
    let (_t, dir) = common::sample(5);
    let mut h = Host::open(&dir).unwrap();
    let hd1 = h.state.vg_mut("rootvg").unwrap().lvs.iter_mut().find(|l| l.name == "hd1").unwrap();
    hd1.lv_type = host::LvType::Jfs;
    let fs = hd1.fs.as_mut().unwrap();
    fs.fs_type = host::FsType::Jfs;
    fs.params = host::FsParams::Jfs { frag: 4096, nbpi: 4096, compress: false, bf: false, agsize: 8 };
    h.save().unwrap();
    let mut o = opts(&["hdisk1"]);
    o.build.to_jfs2 = true;
    o.common.phases = Phases::parse("1").unwrap();
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap();
    let h = Host::open(&dir).unwrap();
    let l = host::lsvg_l(&h.state, "altinst_rootvg").unwrap();
    assert!(l.contains("alt_hd1             jfs2       2"), "{l}");
    let l = host::lsvg_l(&h.state, "rootvg").unwrap();
    assert!(l.contains("hd1                 jfs        2"), "{l}");
}

#[test]
fn a_non_empty_alt_inst_is_refused() {
    let (_t, dir) = common::sample(5);
    std::fs::create_dir_all(dir.join("root/alt_inst/leftover")).unwrap();
    let before = std::fs::read(dir.join("host.json")).unwrap();
    let err = alt_disk_copy(&dir, &opts(&["hdisk1"]), &CP, &AlwaysFits, &NoEvents).unwrap_err();
    assert!(err.to_string().contains("(/alt_inst) is not empty"), "{err}");
    assert_eq!(std::fs::read(dir.join("host.json")).unwrap(), before);
}

/// `--verify` compares phase 1's copy with the running rootvg, whatever mover made it: the pipeline's
/// faithful copy has no difference; a copy left one byte short is caught, by path and class, and the clone
/// is still finished (the command decides what the differences mean).
#[test]
fn verify_compares_the_copy_with_its_source() {
    use altdisk_engine::altdisk::{CopyRequest, CopyStats, Mover, PipelineMover};
    use altdisk_engine::verify::DiffKind;

    struct ShortOne;
    impl Mover for ShortOne {
        fn copy_filesystems(
            &self,
            req: &CopyRequest,
            events: &dyn altdisk_engine::Events,
        ) -> Result<CopyStats, Error> {
            let s = PipelineMover::default().copy_filesystems(req, events)?;
            let f = req.dst_root.join("home/probe");
            std::fs::write(&f, b"hello worl").unwrap();
            Ok(s)
        }
    }

    for (mover, want) in [
        (&PipelineMover::default() as &dyn Mover, vec![]),
        (
            &ShortOne as &dyn Mover,
            vec![(DiffKind::Mtime, "home/probe".into()), (DiffKind::Size, "home/probe".into())],
        ),
    ] {
        let (_t, dir) = common::sample(50);
        std::fs::write(dir.join("root/home/probe"), b"hello world").unwrap();
        let mut o = opts(&["hdisk1"]);
        o.build.verify = true;
        let ev = RecordEvents::default();
        let out = altdisk_engine::altdisk::copy::alt_disk_copy_with(
            &dir,
            &o,
            mover,
            &AlwaysFits,
            &altdisk_engine::altdisk::NoSoftware,
            &ev,
        )
        .unwrap();
        assert!(!out.failed);
        let diffs = out.stats.unwrap().differences.expect("verified");
        let got: Vec<(DiffKind, String)> =
            diffs.iter().map(|d| (d.kind, d.path.to_string_lossy().into_owned())).collect();
        assert_eq!(got, want);
    }
}
