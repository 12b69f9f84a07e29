//! `altdisk space` end to end: real binary, fresh temporary trees, exit codes and messages.

use std::path::Path;
use std::process::Command;

fn altdisk(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_altdisk")).arg("space").args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    std::fs::create_dir_all(r.join("home/u")).unwrap();
    std::fs::create_dir_all(r.join("usr/bin")).unwrap();
    std::fs::create_dir_all(r.join("tmp")).unwrap();
    std::fs::write(r.join("usr/bin/a"), vec![1u8; 5000]).unwrap();
    std::fs::write(r.join("home/u/big"), vec![2u8; 3 << 20]).unwrap();
    std::fs::hard_link(r.join("home/u/big"), r.join("home/u/big2")).unwrap();
    std::os::unix::fs::symlink("/usr/bin/a", r.join("usr/bin/l")).unwrap();
    std::fs::write(r.join("tmp/junk"), vec![3u8; 9000]).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn line<'a>(out: &'a str, mp: &str) -> Vec<&'a str> {
    out.lines().find(|l| l.split_whitespace().next() == Some(mp)).unwrap().split_whitespace().collect()
}

#[test]
fn jfs2_tree_counts_and_fits() {
    let t = tree();
    let (code, out, err) = altdisk(&[s(t.path()), "--fs", "/=64"]);
    assert_eq!(code, 0, "{out}{err}");
    // Objects: . home home/u usr usr/bin tmp (6 dirs) + a big junk (3 files) + l = 10; the hard link shares.
    // Data: 5000 -> 8192, 3 MiB, 9000 -> 12288: 16 + 6144 + 24 = 6184 blocks of 512.
    let l = line(&out, "/");
    assert_eq!(&l[1..4], ["jfs2", "10", "6184"], "{out}");
    assert_eq!(l[6], "131072");
    assert!(out.contains("everything fits"));
}

#[test]
fn too_small_fs_exits_4_naming_it() {
    let t = tree();
    let (code, out, _) = altdisk(&[s(t.path()), "--fs", "/=64", "--fs", "/home=2", "--type", "jfs"]);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("does not fit: /home: need "), "{out}");
    assert!(out.contains(&format!("have {} bytes", 2 << 20)), "{out}");
    // -S: reported, not checked.
    let (code, out, _) = altdisk(&[s(t.path()), "--fs", "/=64", "--fs", "/home=2", "--type", "jfs", "-S"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("not checked (-S)"), "{out}");
}

#[test]
fn exclude_list_drops_names() {
    let t = tree();
    let ex = t.path().join("../ex.list");
    std::fs::write(&ex, "^./tmp/\n").unwrap();
    let (code, out, _) = altdisk(&[s(t.path()), "--fs", "/=64", "-e", s(&ex)]);
    assert_eq!(code, 0);
    assert_eq!(line(&out, "/")[2], "9", "{out}");
    std::fs::remove_file(ex).unwrap();
}

#[test]
fn image_data_plan_and_dash_t() {
    let t = tree();
    let img = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/imagedata/sample72.image.data");
    let (code, out, err) = altdisk(&[s(t.path()), "--image-data", img, "-T"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(line(&out, "/home")[1], "jfs2*");
    assert!(out.contains("hdisk0") && out.contains("639 usable PPs"), "{out}");
    // A 4 GB disk cannot hold the sample's LVs: exit 4, the LV named.
    let (code, out, _) = altdisk(&[s(t.path()), "--image-data", img, "--disk", "4096"]);
    assert_eq!(code, 4);
    assert!(out.contains("does not fit: logical volume hd9var: needs 16 PPs"), "{out}");
    // JSON.
    let (code, out, _) = altdisk(&[s(t.path()), "--image-data", img, "--json"]);
    assert_eq!(code, 0);
    let done: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(done["event"], "done");
    let v = &done["result"];
    assert_eq!(v["fits"], true);
    assert_eq!(v["plan"]["disks"][0]["usable_pps"], 639);
}

#[test]
fn usage_errors_exit_2() {
    let t = tree();
    assert_eq!(altdisk(&["--bogus"]).0, 2);
    let (code, _, err) = altdisk(&[s(t.path()), "--fs", "home"]);
    assert_eq!(code, 2);
    assert!(err.contains("the mount point must be a full path"), "{err}");
    assert_eq!(altdisk(&[s(t.path()), "--type", "ext4"]).0, 2);
    assert_eq!(altdisk(&[s(t.path()), "--type", "jfs", "--nbpi", "65536", "--frag", "512"]).0, 2);
    let bad = t.path().join("bad.data");
    std::fs::write(&bad, "vg_data:\n\tPPSIZE= x\n").unwrap();
    let (code, _, err) = altdisk(&[s(t.path()), "--image-data", s(&bad)]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.data:2: PPSIZE: 'x' is not a whole number"), "{err}");
}
