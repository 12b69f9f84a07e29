//! The README's main job runs end to end on a small sample host and shows the AIX states it goes through.

use std::process::Command;

#[test]
fn demo_runs_every_tool_and_boots_back() {
    let t = tempfile::tempdir().unwrap();
    let host = t.path().join("host");
    let o = Command::new(env!("CARGO_BIN_EXE_altdisk"))
        .args(["demo", "--files", "300", "--dir"])
        .arg(&host)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}\n{}", out, String::from_utf8_lossy(&o.stderr));
    for want in [
        "Calling mkszfile to create new /image.data file.",
        "Bootlist is set to the boot disk: hdisk1 blv=hd5",
        "0512-038 mksysb: Backup Completed Successfully.",
        "Restoring mksysb image to alternate disk(s).",
        "hdisk1          ",
        "booted from hdisk1: the clone is rootvg, the original is old_rootvg",
        "booted from hdisk0",
        "alt_disk_copy   ",
        "files/s",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // The final state: the original rootvg is running again, the clone is old_rootvg, the mksysb install waits.
    let lspv =
        Command::new(env!("CARGO_BIN_EXE_altdisk")).arg("lspv").env("ALTDISK_HOST", &host).output().unwrap();
    let lspv = String::from_utf8_lossy(&lspv.stdout).into_owned();
    let vg = |d: &str| {
        lspv.lines().find(|l| l.starts_with(d)).unwrap().split_whitespace().nth(2).unwrap().to_string()
    };
    assert_eq!(vg("hdisk0"), "rootvg", "{lspv}");
    assert_eq!(vg("hdisk1"), "old_rootvg", "{lspv}");
    assert_eq!(vg("hdisk2"), "altinst_rootvg", "{lspv}");
}
