//! The verified `alt_disk_mksysb` console transcript of spec alt-disk.md §1.7 (IBM Cloud, AIX 7.2), reproduced
//! line for line: the sample host has exactly that transcript's logical volumes and filesystems.

use std::path::Path;
use std::process::Output;

mod common;
use common::{err, new_host};

/// Runs a command on the host model; it must succeed.
fn run(host: &Path, args: &[&str]) -> Output {
    let o = common::run(host, args);
    assert!(o.status.success(), "{args:?}: {}", err(&o));
    o
}

#[test]
fn alt_disk_mksysb_prints_the_verified_transcript() {
    let (t, host) = new_host("80");
    let image = t.path().join("img.mksysb");
    run(&host, &["mksysb", "-i", image.to_str().unwrap()]);
    let o = run(&host, &["alt_disk_mksysb", "-m", image.to_str().unwrap(), "-d", "hdisk2", "-K"]);
    let mut want = String::from(
        "Restoring /image.data from mksysb image.\n\
         Checking disk sizes.\n\
         Creating cloned rootvg volume group and associated logical volumes.\n",
    );
    for lv in [
        "hd5",
        "hd6",
        "hd8",
        "hd4",
        "hd2",
        "hd9var",
        "hd3",
        "hd1",
        "hd10opt",
        "hd11admin",
        "lg_dumplv",
        "livedump",
    ] {
        want.push_str(&format!("Creating logical volume alt_{lv}.\n"));
    }
    for fs in [
        "/alt_inst/",
        "/alt_inst/admin",
        "/alt_inst/home",
        "/alt_inst/opt",
        "/alt_inst/tmp",
        "/alt_inst/usr",
        "/alt_inst/var",
        "/alt_inst/var/adm/ras/livedump",
    ] {
        want.push_str(&format!("Creating {fs} file system.\n"));
    }
    want.push_str(
        "Restoring mksysb image to alternate disk(s).\n\
         Linking to 64bit kernel.\n\
         Changing logical volume names in volume group descriptor area.\n\
         Fixing LV control blocks...\n",
    );
    for fs in [
        "/alt_inst/var/adm/ras/livedump",
        "/alt_inst/var",
        "/alt_inst/usr",
        "/alt_inst/tmp",
        "/alt_inst/opt",
        "/alt_inst/home",
        "/alt_inst/admin",
        "/alt_inst",
    ] {
        want.push_str(&format!("forced unmount of {fs}\nforced unmount of {fs}\n"));
    }
    want.push_str("Fixing file system superblocks...\nBootlist is set to the boot disk: hdisk2 blv=hd5\n");
    assert_eq!(String::from_utf8_lossy(&o.stdout), want);
}
