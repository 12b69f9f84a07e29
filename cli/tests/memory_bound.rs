//! Memory stays bounded whatever the tree size: clone, backup --walk and restore -x of a generated
//! rootvg-like tree each peak below 64 MiB of resident memory (issue: "peak RSS ≤ 64 MiB at any tree size").
//! Its own test binary, so that no other test's child processes count in RUSAGE_CHILDREN.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_altdisk");
const LIMIT_KIB: i64 = 64 * 1024;

/// Peak resident set size of the largest child waited for so far, in KiB.
fn children_max_rss() -> i64 {
    // SAFETY: getrusage fills the struct we own; RUSAGE_CHILDREN is a valid `who`.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    assert_eq!(r, 0, "getrusage failed");
    u.ru_maxrss
}

fn run(args: &[&std::ffi::OsStr]) {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn clone_backup_restore_stay_under_64_mib() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    altdisk_engine::bench::generate_tree(&src, 20_000, 7).unwrap();
    let (dst, archive, out) = (t.path().join("dst"), t.path().join("a.bff"), t.path().join("out"));
    run(&["clone".as_ref(), src.as_os_str(), dst.as_os_str()]);
    let after_clone = children_max_rss();
    assert!(after_clone < LIMIT_KIB, "clone peaked at {after_clone} KiB");
    run(&[
        "backup".as_ref(),
        "--walk".as_ref(),
        src.as_os_str(),
        "-q".as_ref(),
        "-f".as_ref(),
        archive.as_os_str(),
    ]);
    let after_backup = children_max_rss();
    assert!(after_backup < LIMIT_KIB, "backup --walk peaked at {after_backup} KiB");
    run(&[
        "restore".as_ref(),
        "-x".as_ref(),
        "-q".as_ref(),
        "-f".as_ref(),
        archive.as_os_str(),
        "--target".as_ref(),
        out.as_os_str(),
    ]);
    let after_restore = children_max_rss();
    assert!(after_restore < LIMIT_KIB, "restore -x peaked at {after_restore} KiB");
    eprintln!("peak RSS (KiB): clone {after_clone}, backup <= {after_backup}, restore <= {after_restore}");
}
