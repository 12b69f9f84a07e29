//! The walking flag group: `--threads N` is accepted by every walking command (clone, space, backup --walk,
//! bench) and refused outside 1..=1024 with exit 2 before anything runs; an empty `-e` list excludes nothing.

use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{err, out};

fn altdisk(args: &[&str], cwd: &Path) -> Output {
    Command::new(common::BIN).args(args).current_dir(cwd).stdin(Stdio::null()).output().unwrap()
}

/// A small source tree and a scratch directory.
fn setup() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("src/etc")).unwrap();
    std::fs::create_dir_all(d.path().join("src/tmp")).unwrap();
    std::fs::write(d.path().join("src/etc/motd"), "hello\n").unwrap();
    std::fs::write(d.path().join("src/tmp/junk"), "junk\n").unwrap();
    std::fs::write(d.path().join("empty.list"), "").unwrap();
    d
}

/// Each walking command with `--threads` inserted; `{T}` is the value.
const COMMANDS: &[&[&str]] = &[
    &["clone", "src", "dst", "--threads", "{T}"],
    &["clone", "src", "dst", "--dry-run", "--threads", "{T}"],
    &["space", "src", "--fs", "/=64", "--threads", "{T}"],
    &["backup", "--walk", "src", "-f", "out.bak", "--threads", "{T}"],
];

fn with(cmd: &[&str], t: &str) -> Vec<String> {
    cmd.iter().map(|a| if *a == "{T}" { t.to_string() } else { a.to_string() }).collect()
}

#[test]
fn threads_accepted_on_every_walking_command() {
    for cmd in COMMANDS {
        for t in ["1", "2", "1024"] {
            let d = setup();
            let args = with(cmd, t);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = altdisk(&args, d.path());
            assert_eq!(o.status.code(), Some(0), "{args:?}: {}{}", out(&o), err(&o));
        }
    }
}

#[test]
fn threads_out_of_range_is_a_usage_error() {
    let mut cmds: Vec<&[&str]> = COMMANDS.to_vec();
    cmds.push(&["bench", "--files", "10", "--threads", "{T}"]);
    for cmd in cmds {
        for t in ["0", "1025", "99999999999", "many"] {
            let d = setup();
            let args = with(cmd, t);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = altdisk(&args, d.path());
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}{}", out(&o), err(&o));
            assert!(err(&o).contains("--threads"), "{args:?}: {}", err(&o));
            assert!(!err(&o).contains("panicked"), "{args:?}: {}", err(&o));
            assert!(!d.path().join("dst").exists() && !d.path().join("out.bak").exists(), "{args:?}");
        }
    }
}

#[test]
fn threads_goes_with_walk_only() {
    let d = setup();
    let o = altdisk(&["backup", "-i", "-f", "out.bak", "--threads", "2"], d.path());
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("--threads goes with --walk (walker threads) or -Z"), "{}", err(&o));
}

/// An empty exclude file is no list: everything is copied, counted, archived.
#[test]
fn empty_exclude_list_excludes_nothing() {
    let d = setup();
    let o = altdisk(&["clone", "src", "dst", "-e", "empty.list"], d.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(d.path().join("dst/tmp/junk").is_file() && d.path().join("dst/etc/motd").is_file());
    assert!(out(&o).contains("; 0 excluded"), "{}", out(&o));
    let o = altdisk(
        &["clone", "src", "dst2", "-e", "empty.list", "-e", "empty.list", "-E", "--dry-run"],
        d.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("./tmp/junk") && out(&o).contains("; 0 excluded"), "{}", out(&o));
    let o = altdisk(&["space", "src", "--fs", "/=64", "-e", "empty.list"], d.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = altdisk(&["backup", "--walk", "src", "-f", "out.bak", "-e", "empty.list", "-v"], d.path());
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("a ./tmp/junk"), "{}", out(&o));
}
