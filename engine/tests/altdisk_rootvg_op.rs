//! alt_rootvg_op: wake, sleep, customize, rename, query, remove.

#[path = "altdisk_common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;

use altdisk_engine::altdisk::copy::{alt_disk_copy, CopyOptions};
use altdisk_engine::altdisk::rootvg_op::{customize_op, query, remove, rename, sleep, wake};
use altdisk_engine::altdisk::{AlwaysFits, Customize, PhaseOptions};
use altdisk_engine::events::{NoEvents, RecordEvents};
use altdisk_engine::host::{self, Host, Mount};

use common::{messages, CP};

fn cloned(files: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let (t, dir) = common::sample(files);
    let common = PhaseOptions { disks: vec!["hdisk1".into()], no_bootlist: true, ..PhaseOptions::default() };
    let o = CopyOptions { common, ..CopyOptions::default() };
    alt_disk_copy(&dir, &o, &CP, &AlwaysFits, &NoEvents).unwrap();
    (t, dir)
}

#[test]
fn wake_customize_sleep() {
    let (t, dir) = cloned(30);
    assert_eq!(query(&dir, "hdisk1").unwrap(), "hdisk1");
    let ev = RecordEvents::default();
    wake(&dir, "hdisk1", false, false, &ev).unwrap();
    assert_eq!(messages(&ev), ["Waking up altinst_rootvg volume group ..."]);
    let h = Host::open(&dir).unwrap();
    let l = host::lsvg_l(&h.state, "altinst_rootvg").unwrap();
    assert!(
        l.contains("alt_hd4             jfs2       8       8       1    open/syncd    /alt_inst\n"),
        "{l}"
    );
    assert!(dir.join("root/alt_inst/usr/bin").is_dir());
    assert!(!dir.join("disks/hdisk1").exists());

    let s = t.path().join("c.sh");
    std::fs::write(&s, "#!/bin/sh\ntouch \"$ALT_INST/etc/customized\"\nexit 3\n").unwrap();
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err =
        customize_op(&dir, &Customize { script: Some(s.clone()), ..Customize::default() }, false, &NoEvents)
            .unwrap_err();
    assert_eq!(err.to_string(), format!("script {} failed with exit status 3", s.display()));
    assert!(dir.join("root/alt_inst/etc/customized").is_file());

    let ev = RecordEvents::default();
    sleep(&dir, true, false, &ev).unwrap();
    let m = messages(&ev);
    assert_eq!(m[0], "Building boot image on cloned disk.");
    assert_eq!(m[1], "forced unmount of /alt_inst/var/adm/ras/livedump");
    assert_eq!(m.last().map(String::as_str), Some("Fixing file system superblocks..."));
    let h = Host::open(&dir).unwrap();
    let vg = h.state.vg("altinst_rootvg").unwrap();
    assert!(!vg.varied_on && vg.mount == Mount::None && vg.lvs[0].name == "hd5");
    assert!(dir.join("disks/hdisk1/etc/customized").is_file());
    // Sleeping again: nothing woken.
    assert!(sleep(&dir, false, false, &NoEvents).is_err());
}

#[test]
fn wake_refuses_a_newer_level_unless_forced() {
    let (_t, dir) = cloned(5);
    let mut h = Host::open(&dir).unwrap();
    h.state.vg_mut("altinst_rootvg").unwrap().oslevel = "7.3.1.0".into();
    h.save().unwrap();
    let err = wake(&dir, "hdisk1", false, false, &NoEvents).unwrap_err();
    assert!(err.to_string().contains("newer than the running system (7.2.4.0); set FORCE=yes"), "{err}");
    wake(&dir, "hdisk1", true, false, &NoEvents).unwrap();
}

#[test]
fn old_rootvg_can_be_woken_after_booting_the_clone() {
    let (_t, dir) = cloned(5);
    let mut h = Host::open(&dir).unwrap();
    h.set_bootlist(vec![host::BootEntry { disk: "hdisk1".into(), blv: "hd5".into() }]).unwrap();
    h.reboot(&NoEvents).unwrap();
    wake(&dir, "hdisk0", false, false, &NoEvents).unwrap();
    let h = Host::open(&dir).unwrap();
    assert_eq!(h.state.disk("hdisk0").unwrap().vg.as_deref(), Some("altinst_rootvg"));
    assert!(dir.join("root/alt_inst/etc/passwd").is_file());
    sleep(&dir, false, false, &NoEvents).unwrap();
    let h = Host::open(&dir).unwrap();
    assert_eq!(h.state.disk("hdisk0").unwrap().vg.as_deref(), Some("old_rootvg"));
    assert!(dir.join("disks/hdisk0/etc/passwd").is_file());
}

#[test]
fn rename_and_remove() {
    let (_t, dir) = cloned(5);
    rename(&dir, "clone1", "hdisk1").unwrap();
    let h = Host::open(&dir).unwrap();
    assert!(host::lspv(&h.state).lines().nth(1).unwrap().ends_with("clone1"));
    assert!(rename(&dir, "x", "hdisk0").unwrap_err().to_string().contains("cannot be renamed"));
    assert!(rename(&dir, "rootvg", "hdisk1").unwrap_err().to_string().contains("already exists"));
    assert!(remove(&dir, "rootvg", false, &NoEvents).is_err());
    assert!(remove(&dir, "altinst_rootvg", false, &NoEvents)
        .unwrap_err()
        .to_string()
        .contains("does not exist"));
    let ev = RecordEvents::default();
    remove(&dir, "clone1", false, &ev).unwrap();
    assert_eq!(messages(&ev), ["Bootlist is set to the boot disk: hdisk0 blv=hd5"]);
    let h = Host::open(&dir).unwrap();
    assert_eq!(h.state.disk("hdisk1").unwrap().vg, None);
    assert!(!dir.join("disks/hdisk1").exists());
    assert_eq!(host::bootlist_o(&h.state), "hdisk0 blv=hd5 pathid=0\n");
}
