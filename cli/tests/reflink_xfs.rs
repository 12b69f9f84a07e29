//! `altdisk clone` on a loop-mounted xfs made with reflink=1: the copies share the source's extents
//! (FIEMAP_EXTENT_SHARED, read through `filefrag -v`), the tree equals the source under
//! `rsync -naHAXci --delete`, a sparse file stays sparse, and `--no-reflink` writes unshared copies.
//! Needs root, mkfs.xfs (xfsprogs) and filefrag (e2fsprogs); skips with the reason otherwise.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::process::Command;

mod common;
use common::{altdisk, rsync_diff, text, Mount};

/// True when `filefrag -v` reports any extent of `p` as shared.
fn shared(p: &Path) -> bool {
    let o = Command::new("filefrag").arg("-v").arg(p).output().expect("filefrag runs");
    assert!(o.status.success(), "filefrag -v {}: {}", p.display(), text(&o.stderr));
    text(&o.stdout).lines().any(|l| l.contains("shared"))
}

fn make_tree(src: &Path) {
    fs::create_dir_all(src.join("usr/lib")).unwrap();
    fs::create_dir_all(src.join("etc")).unwrap();
    let mut x = 0x1234_5678_u32;
    let mut bytes = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    };
    let big = bytes(3 << 20);
    fs::write(src.join("usr/lib/big.so"), &big).unwrap();
    fs::write(src.join("usr/lib/mid"), bytes(200_000)).unwrap();
    fs::write(src.join("etc/small"), bytes(100)).unwrap();
    fs::write(src.join("etc/empty"), b"").unwrap();
    fs::hard_link(src.join("usr/lib/mid"), src.join("etc/mid.link")).unwrap();
    std::os::unix::fs::symlink("../usr/lib/big.so", src.join("etc/big.link")).unwrap();
    // 1 MiB of data at 8 MiB, 4 MiB more at 40 MiB, a hole at the end: 48 MiB long.
    let f = fs::File::create(src.join("usr/sparse")).unwrap();
    f.write_all_at(&big[..1 << 20], 8 << 20).unwrap();
    f.write_all_at(&bytes(4 << 20), 40 << 20).unwrap();
    f.set_len(48 << 20).unwrap();
    let mut g = fs::File::create(src.join("etc/motd")).unwrap();
    g.write_all(b"welcome\n").unwrap();
}

#[test]
fn clone_on_xfs_shares_extents() {
    let t = tempfile::tempdir().unwrap();
    let mnt = t.path().join("mnt");
    let m =
        Mount::loop_image(&t.path().join("xfs.img"), 512 << 20, &["mkfs.xfs", "-q", "-m", "reflink=1"], &mnt);
    let _m = match m {
        Ok(m) => m,
        Err(why) => {
            println!("skipped: no loop-mounted xfs with reflinks: {why}");
            return;
        }
    };
    for tool in ["filefrag", "rsync"] {
        if Command::new(tool).arg("--version").output().is_err()
            && Command::new(tool).arg("-V").output().is_err()
        {
            println!("skipped: {tool} is not installed");
            return;
        }
    }
    let src = mnt.join("src");
    make_tree(&src);
    // The source's blocks are not shared with anything yet.
    assert!(!shared(&src.join("usr/lib/big.so")));

    let dst = mnt.join("dst");
    let o = altdisk(&["clone", "--json", src.to_str().unwrap(), dst.to_str().unwrap()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let summary: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(text(&o.stdout).lines().last().expect("a done line"))
            .unwrap()["result"]
            .clone();
    // big.so, mid (once: its second name is a hard link), small, motd and sparse; the empty file has no data.
    assert_eq!(summary["reflinked"], 5, "{summary}");
    assert_eq!(rsync_diff(&src, &dst, true), "");
    for f in ["usr/lib/big.so", "usr/lib/mid", "usr/sparse"] {
        assert!(shared(&dst.join(f)), "{f} does not share its extents");
    }
    assert_eq!(fs::read(src.join("usr/lib/big.so")).unwrap(), fs::read(dst.join("usr/lib/big.so")).unwrap());
    let (s, d) =
        (fs::metadata(src.join("usr/sparse")).unwrap(), fs::metadata(dst.join("usr/sparse")).unwrap());
    assert_eq!(d.len(), 48 << 20);
    assert_eq!(d.blocks(), s.blocks(), "the sparse file's layout is kept");
    assert!(d.blocks() * 512 <= 6 << 20, "the sparse file stays sparse: {} blocks", d.blocks());
    assert_eq!(
        fs::metadata(dst.join("etc/mid.link")).unwrap().ino(),
        fs::metadata(dst.join("usr/lib/mid")).unwrap().ino()
    );

    // --no-reflink: plain copies, nothing shared with the source.
    let plain = mnt.join("plain");
    let o = altdisk(
        &["clone", "--json", "--no-reflink", src.to_str().unwrap(), plain.to_str().unwrap()],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let summary: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(text(&o.stdout).lines().last().expect("a done line"))
            .unwrap()["result"]
            .clone();
    assert_eq!(summary["reflinked"], 0, "{summary}");
    assert_eq!(rsync_diff(&src, &plain, true), "");
    for f in ["usr/lib/big.so", "usr/lib/mid", "usr/sparse"] {
        assert!(!shared(&plain.join(f)), "{f} shares extents under --no-reflink");
    }
    let p = fs::metadata(plain.join("usr/sparse")).unwrap();
    assert!(
        // xfs may keep speculative preallocation past the data for a while: far below the 48 MiB is enough.
        p.blocks() * 512 <= 16 << 20,
        "the sparse file stays sparse under --no-reflink: {} blocks",
        p.blocks()
    );
}
