//! The real binary: mkszfile, mksysb (flags, messages, exit codes), restore -T of its output, alt_disk_mksysb.

use std::path::PathBuf;

mod common;
use common::{err, is_root, new_host, out, run, Mount};

#[test]
fn mkszfile_is_silent_and_its_output_round_trips() {
    let (_t, h) = new_host("10");
    let o = run(&h, &["mkszfile"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), "");
    let text = std::fs::read(h.join("image.data")).unwrap();
    let img = altdisk_engine::imagedata::ImageData::parse("image.data", &text).unwrap();
    assert_eq!(img.to_text().as_bytes(), &text[..]);
    assert_eq!(img.filesystems().unwrap().len(), 8);
    let o = run(&h, &["mkszfile", "-m"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(err(&o).contains("-m is not supported"), "{}", err(&o));
}

#[test]
fn mksysb_messages_exit_codes_and_listing() {
    let (t, h) = new_host("40");
    let f = t.path().join("sys.mksysb");
    let fs = f.to_str().unwrap();
    let o = run(&h, &["mksysb", fs]);
    assert_eq!(o.status.code(), Some(5));
    assert_eq!(err(&o), "0512-004 The /image.data file does not exist. Backup canceled.\n");
    let o = run(&h, &["mksysb", "-T", fs]);
    assert_eq!(o.status.code(), Some(5));
    assert!(err(&o).contains("snapshot-based backup is not supported"));
    // -e applies HOST/root/etc/exclude.rootvg (the sample's says ^./tmp/).
    let o = run(&h, &["mksysb", "-i", "-e", "-p", fs]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let stdout = out(&o);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "Creating information file (/image.data) for rootvg.");
    assert_eq!(lines[1], "Creating list of files to back up.");
    assert!(lines[2].starts_with("Backing up ") && lines[2].ends_with(" files..."), "{lines:?}");
    assert_eq!(lines.last(), Some(&"0512-038 mksysb: Backup Completed Successfully."));
    let o = run(&h, &["restore", "-Tqf", fs]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let names: Vec<String> = out(&o).lines().map(str::to_string).collect();
    assert_eq!(&names[..3], ["./bosinst.data", "./image.data", "."]);
    assert!(names.contains(&"./tmp".to_string()), "the /tmp mount point itself stays");
    assert!(!names.iter().any(|n| n.starts_with("./tmp/")), "-e excluded ./tmp/...");
    assert!(names.iter().any(|n| n.starts_with("./usr/bin/")));
    // -x leaves whole filesystems out (mount point only).
    let x = t.path().join("x.list");
    std::fs::write(&x, "/home\n").unwrap();
    let o = run(&h, &["mksysb", "-x", x.to_str().unwrap(), fs]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = run(&h, &["restore", "-Tqf", fs]);
    let names = out(&o);
    assert!(names.lines().any(|n| n == "./home"));
    assert!(!names.lines().any(|n| n.starts_with("./home/")));
    // And it installs.
    let o = run(&h, &["alt_disk_mksysb", "-m", fs, "-d", "hdisk1", "-B"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with("Restoring /image.data from mksysb image.\nChecking disk sizes.\n"));
    assert!(out(&o).contains("Restoring mksysb image to alternate disk(s).\n"));
    assert!(h.join("disks/hdisk1/usr/bin").is_dir());
    let o = run(&h, &["lspv"]);
    assert!(out(&o).contains("altinst_rootvg"), "{}", out(&o));
}

#[test]
fn alt_disk_mksysb_refusals() {
    let (t, h) = new_host("5");
    let o = run(&h, &["alt_disk_mksysb", "-d", "hdisk1"]);
    assert_eq!(o.status.code(), Some(2));
    let missing = t.path().join("none.mksysb");
    let o = run(&h, &["alt_disk_mksysb", "-m", missing.to_str().unwrap(), "-d", "hdisk1"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(err(&o).contains("does not exist"), "{}", err(&o));
    let bff = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/aix/test.bff");
    let o = run(&h, &["alt_disk_mksysb", "-m", bff.to_str().unwrap(), "-d", "hdisk0"]);
    assert_eq!(err(&o), "0505-126 alt_disk_mksysb- target disk hdisk0 has a volume group assigned to it.\n");
    let o = run(&h, &["alt_disk_mksysb", "-m", bff.to_str().unwrap(), "-d", "hdisk1", "-B", "-r"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(err(&o).contains("-B and -r"), "{}", err(&o));
    let o = run(&h, &["alt_disk_mksysb", "-m", bff.to_str().unwrap(), "-d", "hdisk1"]);
    assert_eq!(o.status.code(), Some(5));
    assert!(err(&o).contains("has no ./image.data"), "{}", err(&o));
}

/// A filesystem filling up under the image: exit 4, a message naming the image, and no incomplete image left
/// behind looking like a backup.
#[test]
fn mksysb_into_a_full_filesystem_fails_with_exit_4_and_removes_the_image() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let (t, h) = new_host("40");
    let small = t.path().join("small");
    let Some(_mount) = Mount::tmpfs(&small, "64k") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let f = small.join("sys.mksysb");
    let o = run(&h, &["mksysb", "-i", f.to_str().unwrap()]);
    let e = err(&o);
    assert_eq!(o.status.code(), Some(4), "{e}");
    assert!(e.contains("no space left on the filesystem of"), "{e}");
    assert!(e.contains("sys.mksysb"), "names the image: {e}");
    assert!(e.contains("removed the incomplete image"), "{e}");
    assert!(!f.exists(), "the incomplete image is gone");
}

#[test]
fn mksysb_zstd_installs_with_alt_disk_mksysb_and_verifies() {
    let (t, h) = new_host("40");
    let plain = t.path().join("plain.mksysb");
    let z = t.path().join("sys.mksysb.zst");
    let o = run(&h, &["mksysb", "-i", plain.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // -V reads the compressed image back; -Z keeps its AIX meaning (no EFS information) alongside --zstd.
    let o = run(&h, &["mksysb", "-V", "-Z", "--zstd=5", "--threads", "2", z.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("0512-038 mksysb: Backup Completed Successfully."), "{}", out(&o));
    let bytes = std::fs::read(&z).unwrap();
    assert_eq!(bytes[..4], [0x28, 0xB5, 0x2F, 0xFD]);
    assert!(bytes.len() < std::fs::metadata(&plain).unwrap().len() as usize);
    // The same names as the plain image.
    let list = |p: &std::path::Path| out(&run(&h, &["restore", "-Tqf", p.to_str().unwrap()]));
    assert_eq!(list(&z), list(&plain));
    let o = run(&h, &["alt_disk_mksysb", "-m", z.to_str().unwrap(), "-d", "hdisk1", "-B"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with("Restoring /image.data from mksysb image.\nChecking disk sizes.\n"));
    assert!(h.join("disks/hdisk1/usr/bin").is_dir());
    // A bad level is a usage error.
    for bad in ["--zstd=0", "--zstd=20", "--zstd=fast"] {
        let o = run(&h, &["mksysb", bad, z.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", err(&o));
    }
}

#[test]
fn mksysb_refuses_an_image_it_cannot_create_before_walking() {
    let (_t, h) = new_host("5");
    let o = run(&h, &["mksysb", "-i", "/proc/altdisk-no-such-dir/image"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert_eq!(
        err(&o),
        "mksysb: cannot create /proc/altdisk-no-such-dir/image: No such file or directory (os error 2)\n"
    );
    // Nothing was said or done: no "Creating list of files" line, no image.data regenerated.
    assert_eq!(out(&o), "");
}
