//! Error paths leave an honest state (issue 16): a run stopped by a full target still gives its directories
//! their modes and times, and a file that cannot be read is named by its source path and leaves nothing behind.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

mod common;
use common::{altdisk, is_root, text, Mount};

/// Directories with their own modes and an old mtime, and more data than a 512 KiB tmpfs holds.
fn source(src: &Path) -> Vec<(&'static str, u32)> {
    let dirs = [("a", 0o751), ("a/b", 0o705), ("c", 0o750), ("c/d", 0o711)];
    for (d, _) in dirs {
        fs::create_dir_all(src.join(d)).unwrap();
    }
    for (d, _) in dirs {
        for i in 0..3 {
            fs::write(src.join(d).join(format!("f{i}")), vec![0x5au8; 150_000]).unwrap();
        }
    }
    for (d, mode) in dirs.iter().rev() {
        fs::set_permissions(src.join(d), fs::Permissions::from_mode(*mode)).unwrap();
        let ok = Command::new("touch").args(["-m", "-d", "2001-02-03 04:05:06"]).arg(src.join(d)).status();
        assert!(ok.unwrap().success());
    }
    dirs.to_vec()
}

/// Every directory the stopped run made has the source's mode and mtime; returns how many there were.
fn dirs_have_source_metadata(src: &Path, dst: &Path, dirs: &[(&str, u32)]) -> usize {
    let mut seen = 0;
    for (d, mode) in dirs {
        let Ok(m) = fs::symlink_metadata(dst.join(d)) else { continue };
        seen += 1;
        assert_eq!(m.mode() & 0o7777, *mode, "{d}");
        assert_eq!(m.mtime(), fs::metadata(src.join(d)).unwrap().mtime(), "{d}");
    }
    seen
}

#[test]
fn a_full_target_still_gets_directory_modes_and_times() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let dirs = source(&src);
    // clone
    let dst = t.path().join("clone");
    let Some(_m) = Mount::tmpfs(&dst, "512k") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let o = altdisk(&["clone".as_ref(), src.as_os_str(), dst.as_os_str()], t.path());
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    assert!(dirs_have_source_metadata(&src, &dst, &dirs) >= 2);
    // restore -x of an archive of the same tree
    let archive = t.path().join("a.bff");
    let o = altdisk(
        &["backup".as_ref(), "--walk".as_ref(), src.as_os_str(), "-f".as_ref(), archive.as_os_str()],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rdst = t.path().join("restored");
    let Some(_r) = Mount::tmpfs(&rdst, "512k") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let o = altdisk(&["restore".as_ref(), "-xqf".as_ref(), archive.as_os_str()], &rdst);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    assert!(dirs_have_source_metadata(&src, &rdst, &dirs) >= 2);
}

/// `clone` run as `nobody` through setpriv (root drops its ids); `None` when that cannot be done here.
fn clone_as_nobody(src: &Path, dst: &Path) -> Option<std::process::Output> {
    if !is_root() {
        eprintln!("skipped: running as another user needs root");
        return None;
    }
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", common::BIN, "clone"])
        .arg(src)
        .arg(dst)
        .current_dir("/")
        .output();
    match o {
        Ok(o) if !text(&o.stderr).starts_with("setpriv:") => Some(o),
        _ => {
            eprintln!("skipped: setpriv is not available");
            None
        }
    }
}

#[test]
fn an_unreadable_file_is_named_by_its_source_path_and_leaves_no_stand_in() {
    let t = tempfile::tempdir().unwrap();
    fs::set_permissions(t.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("readable"), b"data").unwrap();
    fs::write(src.join("secret"), b"hidden").unwrap();
    fs::set_permissions(src.join("secret"), fs::Permissions::from_mode(0o000)).unwrap();
    let dst = t.path().join("dst");
    fs::create_dir(&dst).unwrap();
    // Everything is nobody's, so the mode-000 file is the only thing it cannot read.
    for p in [&src, &src.join("readable"), &src.join("secret"), &dst] {
        std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
    }
    let Some(o) = clone_as_nobody(&src, &dst) else { return };
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let secret = src.join("secret");
    assert!(err.contains(&format!("{}: ", secret.display())), "names the source: {err}");
    assert!(!err.contains(&dst.join("secret").display().to_string()), "not the target: {err}");
    assert!(!dst.join("secret").exists(), "no stand-in left");
    assert!(
        text(&o.stdout).ends_with("\n1 entries not copied or incomplete (see the errors above)\n"),
        "counted"
    );
    assert_eq!(fs::read(dst.join("readable")).unwrap(), b"data");
}
