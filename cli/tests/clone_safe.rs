//! `altdisk clone` and its target: a non-empty target is refused unless `--overwrite` or `--update`; `--update`
//! (with and without `--delete`) checked against the rsync oracle (`rsync -naHAXci` prints nothing); a target
//! that is the source or lies inside it is refused; a target that cannot be created is refused before the
//! walk.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Output;

mod common;
use common::{altdisk, err, is_root, out, rsync_diff};

/// The result of the `done` line of a `clone --json` run.
fn summary(o: &Output) -> serde_json::Value {
    let line = out(o).lines().rfind(|l| l.contains("\"done\"")).map(str::to_owned).unwrap_or_default();
    let done: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {}", out(o)));
    done["result"].clone()
}

/// A small source tree: files, a hard link, a symlink, a fifo, an xattr, nested directories.
fn source(root: &Path) {
    fs::create_dir_all(root.join("etc/sub")).unwrap();
    for i in 0..20 {
        fs::write(root.join(format!("etc/f{i}")), format!("file {i}\n")).unwrap();
    }
    fs::write(root.join("etc/sub/deep"), b"deep\n").unwrap();
    fs::write(root.join("data"), vec![7u8; 100_000]).unwrap();
    fs::hard_link(root.join("data"), root.join("data.link")).unwrap();
    std::os::unix::fs::symlink("etc/f1", root.join("sl")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("fifo").as_path(),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let _ =
        rustix::fs::setxattr(root.join("etc/f2").as_path(), "user.k", b"v", rustix::fs::XattrFlags::empty());
    fs::create_dir(root.join("becomes_file")).unwrap();
    fs::write(root.join("becomes_file/inside"), b"x").unwrap();
    fs::write(root.join("becomes_dir"), b"x").unwrap();
}

fn clone(cwd: &Path, args: &[&str]) -> Output {
    let mut v = vec!["clone"];
    v.extend_from_slice(args);
    altdisk(&v, cwd)
}

#[test]
fn non_empty_target_is_refused_before_anything_is_written() {
    let t = tempfile::tempdir().unwrap();
    source(&t.path().join("src"));
    fs::create_dir(t.path().join("dst")).unwrap();
    fs::write(t.path().join("dst/old"), b"old").unwrap();
    let o = clone(t.path(), &["src", "dst"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        err(&o),
        "clone: dst is not empty (found dst/old): give --overwrite to replace what is there, or --update to copy \
         only what changed\n"
    );
    assert_eq!(out(&o), "");
    let names: Vec<_> = fs::read_dir(t.path().join("dst")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["old"]);
    // An empty target is fine.
    fs::create_dir(t.path().join("empty")).unwrap();
    let o = clone(t.path(), &["src", "empty"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(rsync_diff(&t.path().join("src"), &t.path().join("empty"), true), "");
    // --delete is only for --update; --overwrite and --update do not go together.
    assert_eq!(clone(t.path(), &["--delete", "src", "dst"]).status.code(), Some(2));
    assert_eq!(clone(t.path(), &["--overwrite", "--update", "src", "dst"]).status.code(), Some(2));
}

#[test]
fn overwrite_replaces_what_is_there_and_keeps_the_rest() {
    let t = tempfile::tempdir().unwrap();
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    source(&src);
    fs::create_dir_all(dst.join("etc")).unwrap();
    fs::write(dst.join("etc/f1"), b"something else entirely\n").unwrap();
    std::os::unix::fs::symlink("nowhere", dst.join("data")).unwrap();
    fs::write(dst.join("extra"), b"kept").unwrap();
    let o = clone(t.path(), &["--overwrite", "src", "dst"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(rsync_diff(&src, &dst, false), "");
    assert_eq!(fs::read(dst.join("extra")).unwrap(), b"kept");
}

#[test]
fn update_copies_only_what_changed_under_the_rsync_oracle() {
    let t = tempfile::tempdir().unwrap();
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    source(&src);
    let o = clone(t.path(), &["--json", "src", "dst"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let first = summary(&o);
    assert_eq!(rsync_diff(&src, &dst, true), "");

    // Nothing changed: nothing is written.
    let ino = fs::metadata(dst.join("etc/f3")).unwrap().ino();
    let o = clone(t.path(), &["--update", "--json", "src", "dst"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let s = summary(&o);
    assert_eq!(s["files"], 0, "{s}");
    assert_eq!(s["bytes"], 0, "{s}");
    assert_eq!(
        s["unchanged"].as_u64().unwrap() + s["dirs"].as_u64().unwrap() + 1,
        first["entries"].as_u64().unwrap()
    );
    assert_eq!(fs::metadata(dst.join("etc/f3")).unwrap().ino(), ino);
    assert_eq!(rsync_diff(&src, &dst, true), "");

    // A changed file, a new file, a removed file, a changed mode only, a file replaced by a directory, a
    // directory (not empty) replaced by a file, a changed xattr.
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(src.join("etc/f4"), b"changed content\n").unwrap();
    fs::write(src.join("etc/new"), b"new\n").unwrap();
    fs::remove_file(src.join("etc/f5")).unwrap();
    fs::set_permissions(src.join("etc/f6"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::remove_file(src.join("becomes_dir")).unwrap();
    fs::create_dir(src.join("becomes_dir")).unwrap();
    fs::write(src.join("becomes_dir/child"), b"child\n").unwrap();
    fs::remove_dir_all(src.join("becomes_file")).unwrap();
    fs::write(src.join("becomes_file"), b"now a file\n").unwrap();
    let _ =
        rustix::fs::setxattr(src.join("etc/f2").as_path(), "user.k", b"w", rustix::fs::XattrFlags::empty());

    // Without --delete the removed file stays, and only that is left to rsync.
    let o = clone(t.path(), &["--update", "--json", "src", "dst"]);
    assert_eq!(o.status.code(), Some(0), "{}: {}", err(&o), out(&o));
    let s = summary(&o);
    // f4, new, f6 (metadata), becomes_dir/child, becomes_file, f2 (xattr).
    assert_eq!(s["files"], 6, "{s}");
    assert_eq!(s["deleted"], 0, "{s}");
    assert_eq!(rsync_diff(&src, &dst, false), "");
    assert_eq!(rsync_diff(&src, &dst, true), "*deleting   etc/f5\n");

    // With --delete, nothing is left.
    let o = clone(t.path(), &["--update", "--delete", "--json", "src", "dst"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let s = summary(&o);
    assert_eq!(s["files"], 0, "{s}");
    assert_eq!(s["deleted"], 1, "{s}");
    assert_eq!(rsync_diff(&src, &dst, true), "");

    // A whole directory removed from the source goes, contents first; an excluded name stays.
    fs::remove_dir_all(src.join("etc/sub")).unwrap();
    fs::write(dst.join("etc/local.conf"), b"mine").unwrap();
    fs::write(t.path().join("ex"), b"local.conf\n").unwrap();
    let o = clone(t.path(), &["--update", "--delete", "--json", "-e", "ex", "src", "dst"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(summary(&o)["deleted"], 2);
    assert!(!dst.join("etc/sub").exists());
    assert_eq!(fs::read(dst.join("etc/local.conf")).unwrap(), b"mine");
    assert_eq!(rsync_diff(&src, &dst, true), "*deleting   etc/local.conf\n");
}

#[test]
fn update_and_delete_never_follow_a_symlink_out_of_the_target() {
    let t = tempfile::tempdir().unwrap();
    let (src, dst, outside) = (t.path().join("src"), t.path().join("dst"), t.path().join("outside"));
    source(&src);
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("deep"), b"outside\n").unwrap();
    fs::write(outside.join("f1"), b"outside\n").unwrap();
    let o = clone(t.path(), &["src", "dst"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    // The source's etc/sub is a symlink to a directory outside in the target, and an extra name is one too.
    fs::remove_dir_all(dst.join("etc/sub")).unwrap();
    std::os::unix::fs::symlink(&outside, dst.join("etc/sub")).unwrap();
    std::os::unix::fs::symlink(&outside, dst.join("extra")).unwrap();
    let o = clone(t.path(), &["--update", "--delete", "src", "dst"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(rsync_diff(&src, &dst, true), "");
    assert_eq!(fs::read(outside.join("deep")).unwrap(), b"outside\n");
    assert_eq!(fs::read(outside.join("f1")).unwrap(), b"outside\n");
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 2);
}

#[test]
fn a_target_that_is_the_source_or_inside_it_is_refused() {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir_all(t.path().join("a/b")).unwrap();
    fs::write(t.path().join("a/b/f"), b"f").unwrap();
    let o = clone(t.path(), &["a", "a"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err(&o), "clone: a is the source a: give another target\n");
    let o = clone(t.path(), &["a", "a/b/inner"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        err(&o),
        "clone: a/b/inner is inside the source a (as ./b/inner): the copy would copy itself; exclude it (-e) or \
         give a target outside the source\n"
    );
    assert!(!t.path().join("a/b/inner").exists());
    // The same through another spelling of the source.
    let o = clone(t.path(), &["./a/../a", "a/b/inner"]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    // Excluded (the walk prunes it), it is allowed, and nothing of it is copied into itself.
    fs::write(t.path().join("ex"), b"^\\./b/inner\n").unwrap();
    let o = clone(t.path(), &["-e", "ex", "a", "a/b/inner"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(t.path().join("a/b/inner/b/f").exists());
    assert!(!t.path().join("a/b/inner/b/inner").exists());
}

#[test]
fn a_target_that_cannot_be_created_is_refused_before_the_walk() {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir_all(t.path().join("a")).unwrap();
    let o = clone(t.path(), &["a", "missing/dst"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err(&o), "clone: cannot create missing/dst: missing does not exist or is not a directory\n");
    fs::write(t.path().join("file"), b"").unwrap();
    let o = clone(t.path(), &["a", "file"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err(&o), "clone: file exists and is not a directory\n");
    if is_root() {
        eprintln!("skipped the unwritable parent case: root may write anywhere");
        return;
    }
    fs::create_dir(t.path().join("ro")).unwrap();
    fs::set_permissions(t.path().join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
    let o = clone(t.path(), &["a", "ro/dst"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err(&o), "clone: cannot create ro/dst: ro is not writable\n");
}
