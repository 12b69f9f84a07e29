//! The fidelity check finds each kind of difference, and none between a tree and `cp -a` of it.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use altdisk_engine::bench::compare::{compare_trees, summarize, CompareOptions, DiffKind};
use altdisk_engine::bench::gen::generate_tree;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn cp_a(src: &Path, dst: &Path) {
    let st = Command::new("cp").arg("-a").arg(src).arg(dst).status().unwrap();
    assert!(st.success());
}

/// A small tree: a file with an xattr (when the fs takes it), a hard link, a symlink, a sparse file.
fn small_tree(root: &Path) -> bool {
    fs::create_dir_all(root.join("d")).unwrap();
    fs::write(root.join("f"), b"hello world").unwrap();
    fs::write(root.join("d/g"), b"gggg").unwrap();
    fs::hard_link(root.join("f"), root.join("d/h")).unwrap();
    symlink("../f", root.join("d/s")).unwrap();
    let sp = fs::File::create(root.join("sparse")).unwrap();
    sp.set_len(8 << 20).unwrap();
    rustix::fs::lsetxattr(root.join("f"), "user.k", b"v1", rustix::fs::XattrFlags::empty()).is_ok()
}

/// Copies `a` with `cp -a`, applies `change` to the copy and returns the kinds found (dir mtimes ignored,
/// since adding and removing names changes them).
fn kinds_after(change: impl FnOnce(&Path)) -> (Vec<DiffKind>, Vec<PathBuf>) {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    small_tree(&a);
    cp_a(&a, &b);
    change(&b);
    let opts = CompareOptions { dir_mtime: false, ..CompareOptions::default() };
    let d = compare_trees(&a, &b, &opts).unwrap();
    (d.iter().map(|d| d.kind).collect(), d.iter().map(|d| d.path.clone()).collect())
}

#[test]
fn cp_a_copy_has_no_differences() {
    assert!(is_root(), "these tests compare owners, which only root can preserve");
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    generate_tree(&a, 300, 9).unwrap();
    cp_a(&a, &b);
    let d = compare_trees(&a, &b, &CompareOptions::default()).unwrap();
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(summarize(&d), "ok");
}

#[test]
fn detects_mode() {
    let (k, p) =
        kinds_after(|b| fs::set_permissions(b.join("d/g"), fs::Permissions::from_mode(0o4755)).unwrap());
    assert_eq!(k, vec![DiffKind::Mode]);
    assert_eq!(p, vec![PathBuf::from("d/g")]);
}

#[test]
fn detects_owner() {
    let (k, _) = kinds_after(|b| {
        rustix::fs::chown(b.join("d/g"), Some(rustix::fs::Uid::from_raw(4242)), None).unwrap()
    });
    assert_eq!(k, vec![DiffKind::Owner]);
}

#[test]
fn detects_mtime_to_the_nanosecond() {
    let (k, _) = kinds_after(|b| {
        let md = fs::metadata(b.join("d/g")).unwrap();
        let t = md.modified().unwrap() + std::time::Duration::from_nanos(1);
        fs::File::options().write(true).open(b.join("d/g")).unwrap().set_modified(t).unwrap();
    });
    assert_eq!(k, vec![DiffKind::Mtime]);
}

/// Rewrites a file keeping its times, so only the data differs.
fn rewrite(p: &Path, data: &[u8]) {
    let t = fs::metadata(p).unwrap().modified().unwrap();
    fs::write(p, data).unwrap();
    fs::File::options().write(true).open(p).unwrap().set_modified(t).unwrap();
}

#[test]
fn detects_content_and_size() {
    let (k, _) = kinds_after(|b| rewrite(&b.join("d/g"), b"gGgg"));
    assert_eq!(k, vec![DiffKind::Content]);
    let (k, _) = kinds_after(|b| rewrite(&b.join("d/g"), b"ggggg"));
    assert_eq!(k, vec![DiffKind::Size]);
}

#[test]
fn detects_missing_and_extra() {
    let (k, p) = kinds_after(|b| fs::remove_file(b.join("d/g")).unwrap());
    assert_eq!((k, p), (vec![DiffKind::Missing], vec![PathBuf::from("d/g")]));
    let (k, p) = kinds_after(|b| fs::write(b.join("d/new"), b"x").unwrap());
    assert_eq!((k, p), (vec![DiffKind::Extra], vec![PathBuf::from("d/new")]));
}

#[test]
fn detects_xattr() {
    let t = tempfile::tempdir().unwrap();
    if !small_tree(&t.path().join("probe")) {
        eprintln!("filesystem refuses user.* xattrs; skipping");
        return;
    }
    let (k, _) = kinds_after(|b| {
        rustix::fs::lsetxattr(b.join("f"), "user.k", b"v2", rustix::fs::XattrFlags::empty()).unwrap()
    });
    // f and d/h are one inode: both names show the new value.
    assert_eq!(k, vec![DiffKind::Xattrs, DiffKind::Xattrs]);
}

#[test]
fn detects_hard_link_split() {
    let (k, p) = kinds_after(|b| {
        fs::remove_file(b.join("d/h")).unwrap();
        let st =
            Command::new("cp").arg("--preserve=all").arg(b.join("f")).arg(b.join("d/h")).status().unwrap();
        assert!(st.success());
    });
    assert_eq!(k, vec![DiffKind::HardLinks], "{p:?}");
}

#[test]
fn detects_symlink_target_and_type() {
    let (k, _) = kinds_after(|b| {
        let s = b.join("d/s");
        let t = fs::symlink_metadata(&s).unwrap().modified().unwrap();
        fs::remove_file(&s).unwrap();
        symlink("../d/g", &s).unwrap();
        let ts = rustix::fs::Timestamps {
            last_access: rustix::fs::Timespec { tv_sec: 0, tv_nsec: 0 },
            last_modification: to_ts(t),
        };
        rustix::fs::utimensat(rustix::fs::CWD, &s, &ts, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).unwrap();
    });
    assert_eq!(k, vec![DiffKind::SymlinkTarget]);
    let (k, _) = kinds_after(|b| {
        fs::remove_file(b.join("d/g")).unwrap();
        fs::create_dir(b.join("d/g")).unwrap();
    });
    assert_eq!(k, vec![DiffKind::Type]);
}

fn to_ts(t: std::time::SystemTime) -> rustix::fs::Timespec {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap();
    rustix::fs::Timespec { tv_sec: d.as_secs() as i64, tv_nsec: d.subsec_nanos() as _ }
}

#[test]
fn detects_a_sparse_file_filled_in() {
    let (k, _) = kinds_after(|b| {
        let p = b.join("sparse");
        let t = fs::metadata(&p).unwrap().modified().unwrap();
        fs::write(&p, vec![0u8; 8 << 20]).unwrap();
        fs::File::options().write(true).open(&p).unwrap().set_modified(t).unwrap();
    });
    assert_eq!(k, vec![DiffKind::Sparse]);
}

#[test]
fn summary_counts_each_kind() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    small_tree(&a);
    cp_a(&a, &b);
    fs::set_permissions(b.join("d/g"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(b.join("f"), fs::Permissions::from_mode(0o600)).unwrap();
    fs::remove_file(b.join("sparse")).unwrap();
    let d = compare_trees(&a, &b, &CompareOptions { dir_mtime: false, ..Default::default() }).unwrap();
    // f and d/h share the inode: the mode change shows on both names.
    assert_eq!(summarize(&d), "missing (1), mode (3)");
}
