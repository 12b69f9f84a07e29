//! The live-filesystem walker against generated trees, checked with `lstat` and `find` as oracles.

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use altdisk_engine::acl::{AclEntry, AclTag, PosixAcl};
use altdisk_engine::entry::{Entry, EntryData, Kind};
use altdisk_engine::events::RecordEvents;
use altdisk_engine::walk::{walk, WalkOptions, WalkStats};
use altdisk_engine::Error;
use rustix::fs::{FileType, Mode, OFlags, Timespec, Timestamps, CWD};

type Prune<'a> = Option<&'a (dyn Fn(&[u8]) -> bool + Sync)>;

fn run(opts: &WalkOptions, prune: Prune<'_>) -> (Result<WalkStats, Error>, Vec<Entry>, Vec<String>) {
    let (tx, rx) = altdisk_engine::pipeline::channel();
    let ev = RecordEvents::default();
    let collector = std::thread::spawn(move || rx.into_iter().flatten().collect::<Vec<Entry>>());
    let res = walk(opts, prune, &ev, &tx);
    drop(tx);
    let entries = collector.join().unwrap_or_default();
    let events = ev.0.into_inner().unwrap_or_default();
    (res, entries, events)
}

fn opts(root: &Path, threads: usize) -> WalkOptions {
    WalkOptions { root: root.to_path_buf(), threads, xattrs: true, acls: true, ..WalkOptions::default() }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// `cd root && find . -xdev ! -type s -print0`, sorted component-wise (the walker's depth-first order).
fn find_oracle(root: &Path) -> Vec<Vec<u8>> {
    let out = Command::new("find")
        .args([".", "-xdev", "!", "-type", "s", "-print0"])
        .current_dir(root)
        .output()
        .expect("run find");
    assert!(out.status.success(), "find failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<Vec<u8>> =
        out.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()).map(|n| n.to_vec()).collect();
    names.sort_by(|a, b| a.split(|&c| c == b'/').cmp(b.split(|&c| c == b'/')));
    names
}

fn full(root: &Path, name: &[u8]) -> PathBuf {
    if name == b"." {
        root.to_path_buf()
    } else {
        root.join(OsStr::from_bytes(&name[2..]))
    }
}

fn names(entries: &[Entry]) -> Vec<Vec<u8>> {
    entries.iter().map(|e| e.name.clone()).collect()
}

fn find<'a>(entries: &'a [Entry], name: &[u8]) -> &'a Entry {
    entries
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry {}", String::from_utf8_lossy(name)))
}

const DEEP_NAME_LEN: usize = 250;
const DEEP_LEVELS: usize = 18;

/// Builds a directory chain deeper than PATH_MAX with mkdirat relative to each level; returns the names.
fn make_deep(root: &Path) -> Vec<u8> {
    let mut fd = rustix::fs::openat(CWD, root, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).unwrap();
    let mut name = b".".to_vec();
    for i in 0..DEEP_LEVELS {
        let comp = format!("{i:02}{}", "d".repeat(DEEP_NAME_LEN - 2));
        rustix::fs::mkdirat(&fd, comp.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        fd = rustix::fs::openat(&fd, comp.as_str(), OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
            .unwrap();
        name.push(b'/');
        name.extend_from_slice(comp.as_bytes());
    }
    let f = rustix::fs::openat(&fd, "bottom", OFlags::WRONLY | OFlags::CREATE, Mode::from_raw_mode(0o644))
        .unwrap();
    rustix::io::write(&f, b"deep").unwrap();
    name.extend_from_slice(b"/bottom");
    name
}

struct Tree {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    chardev: bool,
    deep: Vec<u8>,
    _sock: std::os::unix::net::UnixListener,
}

fn acl_value() -> PosixAcl {
    PosixAcl {
        entries: vec![
            AclEntry { tag: AclTag::UserObj, perm: 6 },
            AclEntry { tag: AclTag::User(1234), perm: 5 },
            AclEntry { tag: AclTag::GroupObj, perm: 4 },
            AclEntry { tag: AclTag::Mask, perm: 5 },
            AclEntry { tag: AclTag::Other, perm: 4 },
        ],
    }
}

fn make_tree() -> Tree {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("src");
    fs::create_dir(&root).unwrap();
    let r = &root;
    fs::create_dir_all(r.join("a/sub")).unwrap();
    fs::create_dir(r.join("b")).unwrap();
    fs::create_dir(r.join("a-b")).unwrap();
    fs::write(r.join("a/x"), b"hello").unwrap();
    fs::write(r.join("a/sub/y"), b"").unwrap();
    fs::write(r.join("b/z"), b"linked data").unwrap();
    fs::hard_link(r.join("b/z"), r.join("a/link")).unwrap();
    fs::hard_link(r.join("b/z"), r.join("a-b/link2")).unwrap();
    std::os::unix::fs::symlink("../b/z", r.join("a/sym")).unwrap();
    // Sparse: 10 MiB with 4 KiB of data at 1 MiB.
    let mut f = fs::File::create(r.join("sparse")).unwrap();
    f.set_len(10 << 20).unwrap();
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(1 << 20)).unwrap();
    f.write_all(&[7u8; 4096]).unwrap();
    drop(f);
    rustix::fs::mknodat(CWD, r.join("fifo"), FileType::Fifo, Mode::from_raw_mode(0o640), 0).unwrap();
    let chardev = rustix::fs::mknodat(
        CWD,
        r.join("null"),
        FileType::CharacterDevice,
        Mode::from_raw_mode(0o666),
        rustix::fs::makedev(1, 3),
    )
    .is_ok();
    if !chardev {
        eprintln!("skipping the character device part: mknod not permitted here");
    }
    let sock = std::os::unix::net::UnixListener::bind(r.join("sock")).unwrap();
    rustix::fs::setxattr(r.join("a/x"), "user.comment", b"a note", rustix::fs::XattrFlags::empty()).unwrap();
    let acl = acl_value().to_xattr();
    rustix::fs::setxattr(r.join("b/z"), "system.posix_acl_access", &acl, rustix::fs::XattrFlags::empty())
        .unwrap();
    rustix::fs::setxattr(r.join("b"), "system.posix_acl_default", &acl, rustix::fs::XattrFlags::empty())
        .unwrap();
    fs::write(r.join(OsStr::from_bytes(b"caf\xe9")), b"latin1").unwrap();
    fs::write(r.join("n".repeat(255)), b"long").unwrap();
    fs::create_dir(r.join("private")).unwrap();
    fs::write(r.join("private/secret"), b"s").unwrap();
    fs::set_permissions(r.join("private"), fs::Permissions::from_mode(0o700)).unwrap();
    let ts = Timestamps {
        last_access: Timespec { tv_sec: 1_000_000_000, tv_nsec: 111 },
        last_modification: Timespec { tv_sec: 1_234_567_890, tv_nsec: 123_456_789 },
    };
    rustix::fs::utimensat(CWD, r.join("a/x"), &ts, rustix::fs::AtFlags::empty()).unwrap();
    let deep = make_deep(r);
    Tree { _tmp: tmp, root, chardev, deep, _sock: sock }
}

#[test]
fn every_kind_with_metadata_matching_lstat() {
    let t = make_tree();
    let mut o = opts(&t.root, 4);
    o.with_data_source = true;
    let (res, entries, events) = run(&o, None);
    let stats = res.expect("walk");
    assert_eq!(names(&entries), find_oracle(&t.root), "walk order equals the depth-first find oracle");
    assert_eq!(entries[0].name, b".");
    assert!(events.contains(&"warning socket will not be backed up: ./sock".to_string()), "{events:?}");
    assert_eq!(stats.sockets_skipped, 1);
    assert_eq!(stats.soft_errors, 0, "{events:?}");
    assert_eq!(stats.entries, entries.len() as u64);

    for e in &entries {
        let p = full(&t.root, &e.name);
        if p.as_os_str().len() >= 4000 {
            continue; // beyond PATH_MAX for lstat; the deep test checks these.
        }
        let md = fs::symlink_metadata(&p).unwrap();
        assert_eq!(e.st_mode() & 0o170000, md.mode() & 0o170000, "{}", e.display_name());
        assert_eq!(e.meta.mode, md.mode() & 0o7777, "{}", e.display_name());
        assert_eq!((e.meta.uid, e.meta.gid), (md.uid(), md.gid()));
        assert_eq!(e.meta.ino, md.ino());
        assert_eq!(e.meta.dev.to_dev(), md.dev());
        assert_eq!(u64::from(e.meta.nlink), md.nlink());
        assert_eq!((e.meta.mtime.sec, i64::from(e.meta.mtime.nsec)), (md.mtime(), md.mtime_nsec()));
        if !matches!(e.kind, Kind::Dir | Kind::Symlink) {
            // Reading a directory or a link updates its atime after the walker statted it.
            assert_eq!((e.meta.atime.sec, i64::from(e.meta.atime.nsec)), (md.atime(), md.atime_nsec()));
        }
        assert_eq!((e.meta.ctime.sec, i64::from(e.meta.ctime.nsec)), (md.ctime(), md.ctime_nsec()));
        match e.kind {
            Kind::File | Kind::HardLink | Kind::Symlink => assert_eq!(e.meta.size, md.size()),
            _ => assert_eq!(e.meta.size, 0),
        }
    }
    // Reading data changes atimes, so only after every lstat comparison.
    for e in &entries {
        let p = full(&t.root, &e.name);
        if matches!(e.kind, Kind::File | Kind::HardLink) {
            let EntryData::Source(src) = &e.data else { panic!("no data source for {}", e.display_name()) };
            assert_eq!(src.path, p);
            let fd = rustix::fs::openat(&*src.dir, &src.name, OFlags::RDONLY, Mode::empty()).unwrap();
            let mut got = Vec::new();
            fs::File::from(fd).read_to_end(&mut got).unwrap();
            if e.name == t.deep {
                assert_eq!(got, b"deep"); // beyond PATH_MAX: only reachable relative to the directory
            } else {
                assert_eq!(got, fs::read(&p).unwrap());
            }
        } else {
            assert!(matches!(e.data, EntryData::None));
        }
    }

    let x = find(&entries, b"./a/x");
    assert_eq!(x.kind, Kind::File);
    assert_eq!(x.meta.mtime.nsec, 123_456_789);
    assert_eq!(x.meta.atime.nsec, 111);
    assert_eq!(x.meta.xattrs.len(), 1);
    assert_eq!(x.meta.xattrs[0].name, b"user.comment");
    assert_eq!(x.meta.xattrs[0].value, b"a note");

    // Hard links across directories: the first name in emission order owns the data.
    let first = find(&entries, b"./a/link");
    assert_eq!(first.kind, Kind::File);
    assert_eq!(first.meta.nlink, 3);
    for other in [&b"./a-b/link2"[..], b"./b/z"] {
        let l = find(&entries, other);
        assert_eq!(l.kind, Kind::HardLink);
        assert_eq!(l.link_target.as_deref(), Some(&b"./a/link"[..]));
        assert!(matches!(l.data, EntryData::Source(_)), "hard links keep their data source");
    }
    assert_eq!(first.meta.acl.as_ref().map(|a| a.to_xattr()), Some(acl_value().to_xattr()));
    assert!(first.meta.xattrs.is_empty(), "ACLs never land in xattrs");
    let b = find(&entries, b"./b");
    assert_eq!(b.meta.default_acl.as_ref().map(|a| a.to_xattr()), Some(acl_value().to_xattr()));
    assert!(b.meta.acl.is_none(), "a minimal access ACL is just the mode");

    let sym = find(&entries, b"./a/sym");
    assert_eq!(sym.kind, Kind::Symlink);
    assert_eq!(sym.link_target.as_deref(), Some(&b"../b/z"[..]));

    let sp = find(&entries, b"./sparse");
    assert_eq!(sp.meta.size, 10 << 20);
    assert_eq!(sp.meta.sparse.as_deref(), Some(&[(1u64 << 20, 4096u64)][..]));
    assert_eq!(find(&entries, b"./a/x").meta.sparse, None);

    assert_eq!(find(&entries, b"./fifo").kind, Kind::Fifo);
    assert_eq!(find(&entries, b"./fifo").meta.mode, 0o640);
    if t.chardev {
        let n = find(&entries, b"./null");
        assert_eq!(n.kind, Kind::CharDev);
        assert_eq!((n.meta.rdev.major, n.meta.rdev.minor), (1, 3));
    }
    assert_eq!(find(&entries, b"./caf\xe9").meta.size, 6);
    let long = format!("./{}", "n".repeat(255));
    assert_eq!(find(&entries, long.as_bytes()).meta.size, 4);
    assert_eq!(find(&entries, b"./private").meta.mode, 0o700);
    find(&entries, b"./private/secret");

    let deep = find(&entries, &t.deep);
    assert!(t.deep.len() > 4096);
    assert_eq!(deep.kind, Kind::File);
    assert_eq!(deep.meta.size, 4);

    let files = entries.iter().filter(|e| e.kind == Kind::File).count() as u64;
    let bytes: u64 = entries.iter().filter(|e| e.kind == Kind::File).map(|e| e.meta.size).sum();
    assert_eq!((stats.files, stats.bytes), (files, bytes));
    assert_eq!(stats.dirs, entries.iter().filter(|e| e.kind == Kind::Dir).count() as u64);
}

#[test]
fn same_sequence_with_one_and_four_threads() {
    let t = make_tree();
    // A flat directory large enough to have its statx work split across the pool.
    let big = t.root.join("big");
    fs::create_dir(&big).unwrap();
    for i in (0..(altdisk_engine::walk::SPLIT_THRESHOLD * 3)).rev() {
        fs::File::create(big.join(format!("f{i}"))).unwrap();
    }
    for d in 0..50 {
        fs::create_dir_all(big.join(format!("d{d}/e/f"))).unwrap();
    }
    let key = |e: &Entry| {
        let mut meta = e.meta.clone();
        if matches!(e.kind, Kind::Dir | Kind::Symlink) {
            meta.atime = Default::default(); // the walk itself reads directories and links
        }
        (e.name.clone(), e.kind, e.link_target.clone(), meta, matches!(e.data, EntryData::None))
    };
    let (r1, e1, ev1) = run(&opts(&t.root, 1), None);
    let (r4, e4, ev4) = run(&opts(&t.root, 4), None);
    assert_eq!(r1.unwrap(), r4.unwrap());
    assert_eq!(e1.len(), e4.len());
    for (a, b) in e1.iter().zip(&e4) {
        assert!(key(a) == key(b), "differs at {} / {}", a.display_name(), b.display_name());
    }
    assert_eq!(ev1, ev4);
    assert_eq!(names(&e4), find_oracle(&t.root));
}

#[test]
fn vanished_directory_is_a_soft_error_and_the_walk_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    fs::create_dir(r.join("gone")).unwrap();
    fs::create_dir(r.join("kept")).unwrap();
    fs::write(r.join("kept/f"), b"x").unwrap();
    // The prune hook runs after the parent's listing was read and before the child is opened: removing the
    // directory there is a deterministic "removed during the walk".
    let prune = |n: &[u8]| {
        if n == b"./gone" {
            let _ = fs::remove_dir(r.join("gone"));
        }
        false
    };
    let (res, entries, events) = run(&opts(r, 2), Some(&prune));
    let stats = res.expect("soft errors do not stop the walk");
    assert_eq!(
        names(&entries),
        vec![b".".to_vec(), b"./gone".to_vec(), b"./kept".to_vec(), b"./kept/f".to_vec()]
    );
    assert_eq!(stats.soft_errors, 1);
    let want = format!("error read {}: cannot open directory:", r.join("gone").display());
    assert!(events.iter().any(|e| e.starts_with(&want)), "{events:?}");
}

#[test]
fn prune_emits_the_directory_but_not_its_contents() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    fs::create_dir_all(r.join("skip/inner")).unwrap();
    fs::write(r.join("skip/f"), b"x").unwrap();
    fs::write(r.join("z"), b"x").unwrap();
    let prune = |n: &[u8]| n == b"./skip";
    let (res, entries, _) = run(&opts(r, 3), Some(&prune));
    res.unwrap();
    assert_eq!(names(&entries), vec![b".".to_vec(), b"./skip".to_vec(), b"./z".to_vec()]);
}

#[test]
fn extra_foreign_is_emitted_but_not_descended() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    fs::create_dir_all(r.join("alt_inst/usr")).unwrap();
    fs::write(r.join("etc"), b"x").unwrap();
    let mut o = opts(r, 2);
    o.extra_foreign = vec![PathBuf::from("/alt_inst")];
    let (res, entries, _) = run(&o, None);
    let stats = res.unwrap();
    assert_eq!(names(&entries), vec![b".".to_vec(), b"./alt_inst".to_vec(), b"./etc".to_vec()]);
    assert_eq!(stats.foreign_mounts, 1);
}

#[test]
fn missing_root_is_a_hard_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (res, entries, _) = run(&opts(&tmp.path().join("nope"), 2), None);
    match res {
        Err(Error::Io { op, path, .. }) => {
            assert_eq!(op, "open");
            assert_eq!(path, tmp.path().join("nope"));
        }
        other => panic!("want Error::Io, got {other:?}"),
    }
    assert!(entries.is_empty());
}

#[test]
fn consumer_hanging_up_cancels_the_walk() {
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..100 {
        fs::write(tmp.path().join(format!("f{i}")), b"x").unwrap();
    }
    let (tx, rx) = crossbeam_channel::bounded(1);
    drop(rx);
    let res = walk(&opts(tmp.path(), 2), None, &altdisk_engine::NoEvents, &tx);
    assert!(matches!(res, Err(Error::Cancelled(_))), "{res:?}");
}

/// Unmounts on drop.
struct Mounted(PathBuf);
impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn one_filesystem_per_walk() {
    if !is_root() {
        eprintln!("skipping one_filesystem_per_walk: mounting a tmpfs needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    fs::create_dir_all(r.join("mnt")).unwrap();
    fs::write(r.join("mnt/hidden"), b"under the mount").unwrap();
    fs::write(r.join("top"), b"x").unwrap();
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "altdisk-walk-test"])
        .arg(r.join("mnt"))
        .status();
    if !matches!(st, Ok(s) if s.success()) {
        eprintln!("skipping one_filesystem_per_walk: mount -t tmpfs failed ({st:?})");
        return;
    }
    let _m = Mounted(r.join("mnt"));
    fs::create_dir(r.join("mnt/inner")).unwrap();
    fs::write(r.join("mnt/inner/f"), b"on tmpfs").unwrap();

    let (res, entries, _) = run(&opts(r, 2), None);
    let stats = res.unwrap();
    assert_eq!(names(&entries), vec![b".".to_vec(), b"./mnt".to_vec(), b"./top".to_vec()]);
    assert_eq!(names(&entries), find_oracle(r));
    assert_eq!(stats.foreign_mounts, 1);

    let mut o = opts(r, 2);
    o.filesystems = vec![PathBuf::from("/mnt"), PathBuf::from("/")];
    let (res, entries, _) = run(&o, None);
    let stats = res.unwrap();
    let want: Vec<Vec<u8>> = [".", "./top", "./mnt", "./mnt/inner", "./mnt/inner/f"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    assert_eq!(names(&entries), want, "a listed mount point is emitted once, as the root of its walk");
    assert_eq!(stats.foreign_mounts, 0);
    let mnt_dev = fs::metadata(r.join("mnt")).unwrap().dev();
    assert_eq!(find(&entries, b"./mnt/inner/f").meta.dev.to_dev(), mnt_dev);
}

#[test]
fn more_subdirectories_than_the_window_keep_order_and_content() {
    let tmp = tempfile::tempdir().unwrap();
    let r = tmp.path();
    // More sibling directories than the walker keeps outstanding (at most 1024), so some are queued late.
    for i in 0..1300 {
        let d = r.join(format!("d{i}/inner"));
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("f"), i.to_string()).unwrap();
    }
    let oracle = find_oracle(r);
    for threads in [1, 3] {
        let (res, entries, events) = run(&opts(r, threads), None);
        let stats = res.unwrap();
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(names(&entries), oracle, "threads={threads}");
        assert_eq!((stats.dirs, stats.files), (2601, 1300));
        assert_eq!(stats.bytes, (0..1300).map(|i: u32| i.to_string().len() as u64).sum::<u64>());
    }
}

#[test]
fn without_xattrs_acls_or_data_sources_nothing_extra_is_read() {
    let t = make_tree();
    let o = WalkOptions { root: t.root.clone(), threads: 2, ..WalkOptions::default() };
    let (res, entries, _) = run(&o, None);
    res.unwrap();
    assert!(entries.iter().all(|e| matches!(e.data, EntryData::None)));
    assert!(entries.iter().all(|e| e.meta.xattrs.is_empty() && e.meta.acl.is_none()));
    assert!(find(&entries, b"./b").meta.default_acl.is_none());
    // Sparse maps and hard links do not depend on those options.
    assert!(find(&entries, b"./sparse").meta.sparse.is_some());
    assert_eq!(find(&entries, b"./b/z").kind, Kind::HardLink);
}

#[test]
fn root_entry_carries_its_own_xattrs() {
    let tmp = tempfile::tempdir().unwrap();
    rustix::fs::setxattr(tmp.path(), "user.root", b"r", rustix::fs::XattrFlags::empty()).unwrap();
    let (res, entries, _) = run(&opts(tmp.path(), 1), None);
    res.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, b".");
    assert_eq!(entries[0].meta.xattrs.len(), 1);
    assert_eq!(entries[0].meta.xattrs[0].name, b"user.root");
}

#[test]
fn filesystem_paths_must_stay_inside_the_source() {
    let tmp = tempfile::tempdir().unwrap();
    let mut o = opts(tmp.path(), 1);
    o.filesystems = vec![PathBuf::from("/../etc")];
    let (res, entries, _) = run(&o, None);
    assert!(matches!(res, Err(Error::Refused { .. })), "{res:?}");
    assert!(entries.is_empty());
    // A symlink as a mount point is not followed out of the source.
    std::os::unix::fs::symlink("/etc", tmp.path().join("usr")).unwrap();
    o.filesystems = vec![PathBuf::from("/usr")];
    let (res, entries, _) = run(&o, None);
    assert!(matches!(res, Err(Error::Io { op: "open", .. })), "{res:?}");
    assert!(entries.is_empty());
}

#[test]
fn read_ahead_carries_small_files_as_bytes_and_leaves_the_rest_to_the_consumer() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("d")).unwrap();
    for i in 0..300u32 {
        let body: Vec<u8> = (0..(i * 37 % 4000)).map(|k| (k as u8) ^ (i as u8)).collect();
        fs::write(root.join(format!("d/f{i:03}")), body).unwrap();
    }
    let big = vec![7u8; 100_000];
    fs::write(root.join("big"), &big).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::hard_link(root.join("d/f001"), root.join("h")).unwrap();
    // Always: the path of a cold source, where a chunk's files are opened and advised before they are read.
    for prefetch in [altdisk_engine::prefetch::Prefetch::Never, altdisk_engine::prefetch::Prefetch::Always] {
        let mut o = opts(root, 2);
        o.with_data_source = true;
        o.read_ahead = 64 << 10;
        o.prefetch = prefetch;
        let (res, entries, events) = run(&o, None);
        res.unwrap();
        assert!(events.is_empty(), "{events:?}");
        let mut small = 0;
        for e in &entries {
            if !matches!(e.kind, Kind::File | Kind::HardLink) {
                continue;
            }
            let want = fs::read(full(root, &e.name)).unwrap();
            match &e.data {
                EntryData::Bytes(b) => {
                    assert_eq!(&b[..], &want[..], "{}", e.display_name());
                    assert!(!want.is_empty() && want.len() <= 64 << 10);
                    small += 1;
                }
                EntryData::Source(_) => {
                    assert!(
                        want.is_empty() || want.len() > 64 << 10,
                        "{} should be read ahead",
                        e.display_name()
                    )
                }
                other => panic!("{}: {other:?}", e.display_name()),
            }
        }
        assert!(small >= 290, "{small} files read ahead");
        assert!(matches!(find(&entries, b"./big").data, EntryData::Source(_)));
        assert_eq!(find(&entries, b"./h").kind, Kind::HardLink);
        // Without data sources nothing is read, whatever read_ahead says.
        o.with_data_source = false;
        let (res, entries, _) = run(&o, None);
        res.unwrap();
        assert!(entries.iter().all(|e| matches!(e.data, EntryData::None)));
    }
}

#[test]
fn data_sources_are_the_files_stated_even_when_the_name_is_replaced_later() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(root.join("a"), b"original contents").unwrap();
    fs::write(root.join("b"), b"bee").unwrap();
    let mut o = opts(root, 1);
    o.with_data_source = true;
    let (res, entries, _) = run(&o, None);
    res.unwrap();
    // Replace ./a after the walk: the entry still reads the file it stat'ed.
    fs::remove_file(root.join("a")).unwrap();
    fs::write(root.join("a"), b"NEW").unwrap();
    let e = find(&entries, b"./a");
    assert_eq!(e.meta.size, 17);
    let EntryData::Source(sf) = &e.data else { panic!("{:?}", e.data) };
    let f = sf.open.as_ref().expect("the walker opened the regular file");
    let mut got = String::new();
    (&mut f.file()).read_to_string(&mut got).unwrap();
    assert_eq!(got, "original contents");
    assert!(matches!(&find(&entries, b"./b").data, EntryData::Source(s) if s.open.is_some()));
}
