//! The binary behaves as the AIX command it is invoked as (symlinks made by `install-links`), and the legacy
//! `alt_disk_install` front end runs the modern commands.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{new_host, text, BIN};

fn run(prog: &Path, host: &Path, args: &[&str]) -> Output {
    Command::new(prog).args(args).env("ALTDISK_HOST", host).output().unwrap()
}

#[test]
fn install_links_then_aix_names_and_alt_disk_install() {
    let t = tempfile::tempdir().unwrap();
    let bin = t.path().join("bin");
    let o = Command::new(BIN).arg("install-links").arg(&bin).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("18 links created"), "{}", text(&o.stdout));
    // Running it again changes nothing; a foreign file in the way is refused unless --force.
    let o = Command::new(BIN).arg("install-links").arg(&bin).output().unwrap();
    assert!(text(&o.stdout).starts_with("0 links created"), "{}", text(&o.stdout));
    std::fs::remove_file(bin.join("lspv")).unwrap();
    std::fs::write(bin.join("lspv"), b"not ours").unwrap();
    let o = Command::new(BIN).arg("install-links").arg(&bin).output().unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("lspv exists and is not a link"), "{}", text(&o.stderr));
    let o = Command::new(BIN).args(["install-links", "--force"]).arg(&bin).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));

    let (_h, host) = new_host("60");
    let lspv = text(&run(&bin.join("lspv"), &host, &[]).stdout);
    assert!(lspv.lines().nth(1).unwrap().starts_with("hdisk1"), "{lspv}");
    assert!(lspv.lines().nth(1).unwrap().ends_with("None"), "{lspv}");

    // Legacy rules are checked before anything runs.
    let o = run(&bin.join("alt_disk_install"), &host, &["-C", "-p", "chrp", "hdisk1"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(text(&o.stderr), "alt_disk_install: -p is only valid with -d device\n");
    // -C clones (as alt_disk_copy -d hdisk1 -B), -X removes.
    let o = run(&bin.join("alt_disk_install"), &host, &["-C", "-B", "hdisk1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("Calling mkszfile to create new /image.data file."));
    assert!(!text(&o.stdout).contains("Bootlist is set"), "-B keeps the bootlist");
    let lspv = text(&run(&bin.join("lspv"), &host, &[]).stdout);
    assert!(lspv.lines().nth(1).unwrap().ends_with("altinst_rootvg"), "{lspv}");
    let o = run(&bin.join("alt_disk_install"), &host, &["-X"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let lspv = text(&run(&bin.join("lspv"), &host, &[]).stdout);
    assert!(lspv.lines().nth(1).unwrap().ends_with("None"), "{lspv}");
}
