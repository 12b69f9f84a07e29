//! The host model: sample init, AIX views, bootlist, lock, reboot.

#[path = "altdisk_common/mod.rs"]
mod common;

use altdisk_engine::events::NoEvents;
use altdisk_engine::host::{self, BootEntry, Host, HostError, HostLock, Mount};
use altdisk_engine::Error;

#[test]
fn sample_host_has_aix_rootvg_and_free_disks() {
    let (_t, dir) = common::sample(200);
    let h = Host::open(&dir).unwrap();
    let pv = host::lspv(&h.state);
    let lines: Vec<&str> = pv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(&lines[0][..16], "hdisk0          ");
    assert_eq!(lines[0][16..32].len(), 16);
    assert!(lines[0][16..32].chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(&lines[0][52..], "rootvg          active");
    assert_eq!(&lines[1][52..], "None");
    assert_eq!(&lines[2][..6], "hdisk2");
    assert_eq!(host::lsvg(&h.state), "rootvg\n");
    assert_eq!(host::lsvg_o(&h.state), "rootvg\n");
    let l = host::lsvg_l(&h.state, "rootvg").unwrap();
    let l: Vec<&str> = l.lines().collect();
    assert_eq!(l[0], "rootvg:");
    assert_eq!(l[1], "LV NAME             TYPE       LPs     PPs     PVs  LV STATE      MOUNT POINT");
    assert_eq!(l[2], "hd5                 boot       1       1       1    closed/syncd  N/A");
    assert_eq!(l[5], "hd4                 jfs2       8       8       1    open/syncd    /");
    assert_eq!(
        l.last().copied(),
        Some("livedump            jfs2       8       8       1    open/syncd    /var/adm/ras/livedump")
    );
    let vg = host::lsvg_vg(&h.state, "rootvg").unwrap();
    assert!(vg.contains("PP SIZE:        32 megabyte(s)"), "{vg}");
    assert!(vg.contains("TOTAL PPs:      639 (20448 megabytes)"), "{vg}");
    assert!(vg.contains("USED PPs:       192 (6144 megabytes)"), "{vg}");
    assert!(vg.contains("FREE PPs:       447 (14304 megabytes)"), "{vg}");
    assert_eq!(host::bootlist_o(&h.state), "hdisk0 blv=hd5 pathid=0\n");
    assert_eq!(host::bootinfo_b(&h.state), "hdisk0\n");
    assert_eq!(host::bootinfo_s(&h.state, "hdisk1").unwrap(), "20480\n");
    assert_eq!(host::bootinfo_big_b(&h.state, "hdisk2").unwrap(), "1\n");
    assert!(host::bootinfo_s(&h.state, "hdisk9").is_err());
    // The generated tree has the promised kinds of entries.
    let root = h.root();
    let m = std::fs::symlink_metadata(root.join("usr/bin/passwd")).unwrap();
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    assert_eq!(m.mode() & 0o7777, 0o4555);
    assert!(std::fs::symlink_metadata(root.join("var/adm/ras/errfifo")).unwrap().file_type().is_fifo());
    let sp = std::fs::metadata(root.join("var/adm/ras/sparse.dat")).unwrap();
    assert!(sp.len() > 1 << 20 && sp.blocks() * 512 < sp.len());
    assert!(std::fs::symlink_metadata(root.join("bin")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(root.join("etc/exclude.rootvg")).unwrap(), b"^./tmp/\n");
    let files = common::snapshot(&root).values().filter(|v| v.1 > 0).count();
    assert!(files >= 200, "{files}");
}

#[test]
fn sample_tree_is_deterministic() {
    let (_a, d1) = common::sample(50);
    let (_b, d2) = common::sample(50);
    assert_eq!(common::snapshot(&d1.join("root")), common::snapshot(&d2.join("root")));
}

#[test]
fn host_json_round_trips_and_save_is_atomic() {
    let (_t, dir) = common::sample(10);
    let mut h = Host::open(&dir).unwrap();
    h.set_bootlist(vec![
        BootEntry { disk: "hdisk1".into(), blv: "hd5".into() },
        BootEntry { disk: "hdisk0".into(), blv: "hd5".into() },
    ])
    .unwrap();
    let again = Host::open(&dir).unwrap();
    assert_eq!(again.state, h.state);
    assert_eq!(host::bootlist_o(&again.state), "hdisk1 blv=hd5 pathid=0\nhdisk0 blv=hd5 pathid=0\n");
    // No temporary files are left next to host.json.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["alt_disk_inst.log", "disks", "host.json", "lock", "root"]);
    let err = h.set_bootlist(vec![BootEntry { disk: "hdisk7".into(), blv: "hd5".into() }]).unwrap_err();
    assert!(err.to_string().contains("hdisk7"), "{err}");
}

#[test]
fn second_lock_fails_fast_with_a_clear_message() {
    let (_t, dir) = common::sample(5);
    let _held = HostLock::acquire(&dir).unwrap();
    let err = HostLock::acquire(&dir).unwrap_err();
    assert!(matches!(err, Error::Host(HostError::Busy { .. })));
    assert!(err.to_string().contains("is busy"), "{err}");
}

#[test]
fn reboot_refuses_a_volume_group_without_boot_image() {
    let (_t, dir) = common::sample(5);
    let mut h = Host::open(&dir).unwrap();
    // A VG on hdisk1 that never went through phase 3.
    let mut vg = h.state.vg("rootvg").unwrap().clone();
    vg.name = "datavg".into();
    vg.disks = vec!["hdisk1".into()];
    for l in &mut vg.lvs {
        l.disks = vec!["hdisk1".into()];
    }
    vg.varied_on = false;
    vg.mount = Mount::None;
    vg.bootable = false;
    h.state.vgs.push(vg);
    h.state.disk_mut("hdisk1").unwrap().vg = Some("datavg".into());
    h.state.bootlist = vec![BootEntry { disk: "hdisk1".into(), blv: "hd5".into() }];
    h.save().unwrap();
    let err = h.reboot(&NoEvents).unwrap_err();
    assert!(err.to_string().contains("no boot image"), "{err}");
    assert_eq!(Host::open(&dir).unwrap().state.booted_from, "hdisk0");
}

#[test]
fn init_root_adopts_a_tree_and_guesses_filesystems() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    std::fs::create_dir_all(src.join("usr/bin")).unwrap();
    std::fs::create_dir_all(src.join("var")).unwrap();
    std::fs::write(src.join("usr/bin/ls"), b"x").unwrap();
    let h = Host::init_root(&t.path().join("h"), &src, &[]).unwrap();
    let mps: Vec<String> =
        h.state.vg("rootvg").unwrap().mounted_fs_sorted().iter().map(|f| f.mount_point.clone()).collect();
    assert_eq!(mps, ["/", "/usr", "/var"]);
    assert_eq!(std::fs::read(h.root().join("usr/bin/ls")).unwrap(), b"x");
}
