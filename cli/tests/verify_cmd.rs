//! `altdisk verify` as a real process: a clone of a small tree is equal to its source (exit 0, no output);
//! each kind of damage gives its exact `CLASS PATH: detail` line and exit 1; `--ignore` and `-e` hide what
//! they name; `--archive` checks a `backup --walk` archive against a tree (exit 3 when it is truncated);
//! `clone --verify` checks what it wrote.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use rustix::fs::{AtFlags, Timespec, Timestamps, CWD};

mod common;
use common::{altdisk, text};

/// The source's times: 2020-09-13 12:26:40.000000123.
const T: (i64, i64) = (1_600_000_000, 123);

fn set_time(p: &Path, (sec, nsec): (i64, i64)) {
    let t = Timespec { tv_sec: sec, tv_nsec: nsec as _ };
    let ts = Timestamps { last_access: t, last_modification: t };
    rustix::fs::utimensat(CWD, p, &ts, AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// `a/` = f (hello, 644, hard-linked as h), d/ (755) with g (644), l -> f; all times [`T`]; `b/` its clone.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    fs::create_dir_all(a.join("d")).unwrap();
    fs::write(a.join("f"), "hello\n").unwrap();
    fs::write(a.join("d/g"), "x\n").unwrap();
    fs::hard_link(a.join("f"), a.join("h")).unwrap();
    std::os::unix::fs::symlink("f", a.join("l")).unwrap();
    chmod(&a.join("f"), 0o644);
    chmod(&a.join("d/g"), 0o644);
    chmod(&a.join("d"), 0o755);
    for p in ["f", "d/g", "l", "d", ""] {
        set_time(&a.join(p), T);
    }
    let o = altdisk(&["clone", "a", "b"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    (dir, a, b)
}

fn verify(cwd: &Path, args: &[&str]) -> Output {
    let mut v = vec!["verify"];
    v.extend_from_slice(args);
    altdisk(&v, cwd)
}

/// Runs `verify a b [extra]` in the setup's directory: (exit code, stdout).
fn check(dir: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["a", "b"];
    args.extend_from_slice(extra);
    let o = verify(dir, &args);
    let mut out = text(&o.stdout);
    // With --json, leave out the `start` line (it names altdisk's version).
    if out.starts_with("{\"v\":1,\"event\":\"start\"") {
        out = out.split_once('\n').map(|x| x.1.to_string()).unwrap_or_default();
    }
    (o.status.code(), out)
}

#[test]
fn equal_trees_exit_0_and_print_nothing() {
    let (dir, _a, _b) = setup();
    assert_eq!(check(dir.path(), &[]), (Some(0), String::new()));
    let (code, out) = check(dir.path(), &["--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        out,
        "{\"v\":1,\"event\":\"done\",\"command\":\"verify\",\"exit\":0,\"ok\":true,\"result\":\
         {\"differences\":0,\"equal\":true}}\n"
    );
}

#[test]
fn one_changed_byte() {
    let (dir, _a, b) = setup();
    fs::write(b.join("f"), "hellp\n").unwrap();
    set_time(&b.join("f"), T);
    // h is the same file as f.
    let want = "content ./f: the bytes differ\ncontent ./h: the bytes differ\n";
    assert_eq!(check(dir.path(), &[]), (Some(1), want.to_string()));
}

#[test]
fn changed_mode_and_mtime_and_ignore_mtime() {
    let (dir, _a, b) = setup();
    chmod(&b.join("d/g"), 0o600);
    set_time(&b.join("d/g"), (1000, 5));
    let want = "mode ./d/g: 644 vs 600\nmtime ./d/g: 1600000000.000000123 vs 1000.000000005\n";
    assert_eq!(check(dir.path(), &[]), (Some(1), want.to_string()));
    assert_eq!(check(dir.path(), &["--ignore", "mtime"]), (Some(1), "mode ./d/g: 644 vs 600\n".to_string()));
    assert_eq!(check(dir.path(), &["--ignore", "mtime", "--ignore", "mode"]), (Some(0), String::new()));
}

#[test]
fn missing_and_extra_files_and_exclude() {
    let (dir, _a, b) = setup();
    fs::remove_file(b.join("d/g")).unwrap();
    fs::write(b.join("new"), "y").unwrap();
    set_time(&b.join("d"), T);
    let want = "missing ./d/g: not in the copy\nextra ./new: not in the source\n";
    assert_eq!(check(dir.path(), &[]), (Some(1), want.to_string()));
    fs::write(dir.path().join("ex"), "^./new$\n/g$\n").unwrap();
    assert_eq!(check(dir.path(), &["-e", "ex"]), (Some(0), String::new()));
    let (code, out) = check(dir.path(), &["--json"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "{\"v\":1,\"event\":\"difference\",\"class\":\"missing\",\"detail\":\"not in the copy\",\"path\":\"./d/g\"}\n\
         {\"v\":1,\"event\":\"difference\",\"class\":\"extra\",\"detail\":\"not in the source\",\"path\":\"./new\"}\n\
         {\"v\":1,\"event\":\"error\",\"fatal\":true,\"text\":\"verify: failed (exit 1)\"}\n\
         {\"v\":1,\"event\":\"done\",\"command\":\"verify\",\"exit\":1,\"ok\":false,\"result\":\
         {\"differences\":2,\"equal\":false}}\n"
    );
}

#[test]
fn changed_symlink_target() {
    let (dir, _a, b) = setup();
    fs::remove_file(b.join("l")).unwrap();
    std::os::unix::fs::symlink("d/g", b.join("l")).unwrap();
    set_time(&b.join("l"), T);
    assert_eq!(check(dir.path(), &[]), (Some(1), "symlink ./l: f vs d/g\n".to_string()));
}

#[test]
fn broken_hard_link_group() {
    let (dir, _a, b) = setup();
    fs::remove_file(b.join("h")).unwrap();
    fs::copy(b.join("f"), b.join("h")).unwrap();
    chmod(&b.join("h"), 0o644);
    set_time(&b.join("h"), T);
    assert_eq!(
        check(dir.path(), &[]),
        (Some(1), "links ./f: 2 names no longer share one inode\n".to_string())
    );
    assert_eq!(check(dir.path(), &["--ignore", "links"]), (Some(0), String::new()));
}

#[test]
fn archive_against_trees() {
    let (dir, a, b) = setup();
    let o = altdisk(&["backup", "--walk", "a", "-f", "arch"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = verify(dir.path(), &["--archive", "arch", "a"]);
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), String::new()), "{}", text(&o.stderr));
    // The clone is equal too; then damage it.
    assert_eq!(verify(dir.path(), &["--archive", "arch", "b"]).status.code(), Some(0));
    fs::write(b.join("f"), "hellp\n").unwrap();
    set_time(&b.join("f"), T);
    fs::write(b.join("new"), "y").unwrap();
    let o = verify(dir.path(), &["--archive", "arch", "b"]);
    assert_eq!(o.status.code(), Some(1));
    // h is archived as a hard link of f: its data is f's.
    assert_eq!(text(&o.stdout), "content ./f: the bytes differ\nextra ./new: not in the archive\n");
    // A truncated archive is damaged: exit 3, with the offset.
    let bytes = fs::read(dir.path().join("arch")).unwrap();
    fs::write(dir.path().join("short"), &bytes[..300]).unwrap();
    let o = verify(dir.path(), &["--archive", "short", "a"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stderr).starts_with("verify: archive truncated at byte offset"), "{}", text(&o.stderr));
    let _ = a;
}

#[test]
fn clone_verify_exits_0() {
    let (dir, _a, _b) = setup();
    let o = altdisk(&["clone", "--verify", "a", "c"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("verify: 0 differences\n"), "{}", text(&o.stdout));
}

/// `--archive` compares the archive's ACLs (the POSIX form restore gives them) with the tree's access ACLs.
#[test]
fn archive_acls_against_a_tree() {
    if std::process::Command::new("setfacl").arg("--version").output().is_err() {
        println!("skipped: setfacl is not installed");
        return;
    }
    let (dir, a, _b) = setup();
    let setfacl = |args: &[&str], p: &Path| {
        let o = std::process::Command::new("setfacl").args(args).arg(p).output().unwrap();
        o.status.success().then_some(()).ok_or_else(|| text(&o.stderr))
    };
    if let Err(why) = setfacl(&["-m", "u:4242:r--"], &a.join("d/g")) {
        println!("skipped: no ACLs on this filesystem: {why}");
        return;
    }
    set_time(&a.join("d/g"), T);
    let o = altdisk(&["backup", "--walk", "a", "-f", "arch"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = verify(dir.path(), &["--archive", "arch", "a"]);
    assert_eq!((o.status.code(), text(&o.stdout)), (Some(0), String::new()), "{}", text(&o.stderr));
    // b, cloned before the ACL was set, has none.
    let o = verify(dir.path(), &["--archive", "arch", "b"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).starts_with("acls ./d/g: [user::rw-,user:4242:r--,"), "{}", text(&o.stdout));
    assert_eq!(text(&o.stdout).lines().count(), 1, "{}", text(&o.stdout));
    assert_eq!(verify(dir.path(), &["--archive", "arch", "b", "--ignore", "acls"]).status.code(), Some(0));
}
