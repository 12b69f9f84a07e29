//! `altdisk clone` as a real process: the torture tree (checked by rsync -naHAXc and lstat), one filesystem at
//! a time with a real tmpfs, exclusion against GNU grep, ENOSPC on a small tmpfs, and the -V/--json/--explain
//! outputs. Root-only parts print why they are skipped.

use std::ffi::OsStr;
use std::fs;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timespec, Timestamps, CWD};

mod common;
use common::{altdisk, is_root, text, Mount};

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn ts(sec: i64, nsec: i64) -> Timestamps {
    let t = Timespec { tv_sec: sec, tv_nsec: nsec as _ };
    Timestamps { last_access: t, last_modification: t }
}

fn set_time(p: &Path, sec: i64, nsec: i64) {
    rustix::fs::utimensat(CWD, p, &ts(sec, nsec), AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

/// Directory chain of 20 names of 250 bytes (> 4096 bytes in all) with a file at the bottom, made with
/// `*at` calls since the whole path is too long for one system call.
const DEEP_LEVELS: usize = 20;

fn deep_name() -> Vec<u8> {
    vec![b'd'; 250]
}

fn make_deep(root: &Path) {
    let mut dir: OwnedFd = rustix::fs::open(root, OFlags::DIRECTORY | OFlags::RDONLY, Mode::empty()).unwrap();
    for _ in 0..DEEP_LEVELS {
        let n = deep_name();
        rustix::fs::mkdirat(&dir, n.as_slice(), Mode::from_raw_mode(0o755)).unwrap();
        dir = rustix::fs::openat(&dir, n.as_slice(), OFlags::DIRECTORY | OFlags::RDONLY, Mode::empty())
            .unwrap();
    }
    let f = rustix::fs::openat(&dir, "bottom", OFlags::CREATE | OFlags::WRONLY, Mode::from_raw_mode(0o640))
        .unwrap();
    rustix::io::write(&f, b"at the bottom\n").unwrap();
}

/// Content and mode of the file at the bottom of the deep chain.
fn read_deep(root: &Path) -> (Vec<u8>, u32) {
    let mut dir: OwnedFd = rustix::fs::open(root, OFlags::DIRECTORY | OFlags::RDONLY, Mode::empty()).unwrap();
    for _ in 0..DEEP_LEVELS {
        dir = rustix::fs::openat(
            &dir,
            deep_name().as_slice(),
            OFlags::DIRECTORY | OFlags::RDONLY,
            Mode::empty(),
        )
        .unwrap();
    }
    let f = rustix::fs::openat(&dir, "bottom", OFlags::RDONLY, Mode::empty()).unwrap();
    let st = rustix::fs::fstat(&f).unwrap();
    let mut buf = vec![0u8; 100];
    let n = rustix::io::read(&f, &mut buf).unwrap();
    buf.truncate(n);
    (buf, st.st_mode & 0o7777)
}

fn setxattr(p: &Path, name: &str, value: &[u8]) {
    rustix::fs::lsetxattr(p, name, value, rustix::fs::XattrFlags::empty()).unwrap();
}

fn run_ok(cmd: &str, args: &[&OsStr]) {
    let o = Command::new(cmd).args(args).output().unwrap();
    assert!(o.status.success(), "{cmd} {args:?}: {}", text(&o.stderr));
}

/// Every path below `dir` except the deep chain, relative.
fn list(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().map(|n| n.as_bytes() == deep_name().as_slice()).unwrap_or(false) {
            continue;
        }
        let md = fs::symlink_metadata(&p).unwrap();
        out.push(p.strip_prefix(base).unwrap().to_path_buf());
        if md.is_dir() {
            list(&p, base, out);
        }
    }
}

#[test]
fn torture_tree_clones_exactly() {
    if !is_root() {
        eprintln!("skipped: the torture tree needs root (devices, foreign owners, security.* xattrs)");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let dst = t.path().join("dst");
    fs::create_dir_all(src.join("hl/a")).unwrap();
    fs::create_dir_all(src.join("hl/b")).unwrap();
    fs::write(src.join("hl/a/one"), b"linked three times\n").unwrap();
    fs::hard_link(src.join("hl/a/one"), src.join("hl/b/two")).unwrap();
    fs::hard_link(src.join("hl/a/one"), src.join("three")).unwrap();
    // 1 GiB with one data block in the middle.
    let f = fs::File::create(src.join("sparse")).unwrap();
    f.set_len(1 << 30).unwrap();
    f.write_all_at(&[0x5a; 4096], 512 << 20).unwrap();
    drop(f);
    fs::write(src.join("xattrs"), b"with attributes").unwrap();
    setxattr(&src.join("xattrs"), "user.color", b"blue");
    setxattr(&src.join("xattrs"), "security.altdisk", b"label\0binary");
    setxattr(&src.join("hl"), "user.dir", b"on a directory");
    fs::write(src.join("acl"), b"acl file").unwrap();
    run_ok("setfacl", &[os("-m"), os("u:1234:rw,g:55:r"), src.join("acl").as_os_str()]);
    fs::create_dir(src.join("acldir")).unwrap();
    run_ok("setfacl", &[os("-d"), os("-m"), os("u:1234:rx"), src.join("acldir").as_os_str()]);
    rustix::fs::mknodat(CWD, src.join("fifo"), FileType::Fifo, Mode::from_raw_mode(0o620), 0).unwrap();
    let dev = rustix::fs::makedev(1, 3);
    rustix::fs::mknodat(CWD, src.join("null"), FileType::CharacterDevice, Mode::from_raw_mode(0o666), dev)
        .unwrap();
    fs::write(src.join("suid"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(src.join("suid"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::write(src.join("theirs"), b"owned by someone else").unwrap();
    std::os::unix::fs::lchown(src.join("theirs"), Some(1234), Some(4321)).unwrap();
    fs::create_dir(src.join("private")).unwrap();
    fs::write(src.join("private/secret"), b"s").unwrap();
    std::os::unix::fs::symlink("hl/a/one", src.join("link")).unwrap();
    std::os::unix::fs::symlink("does/not/exist", src.join("dangling")).unwrap();
    std::os::unix::fs::lchown(src.join("dangling"), Some(7), Some(8)).unwrap();
    fs::write(src.join(OsStr::from_bytes(b"caf\xe9-latin1")), b"not utf-8").unwrap();
    fs::write(src.join("n".repeat(255)), b"long name").unwrap();
    make_deep(&src);
    // Nanosecond times on files, symlinks and directories (directories last).
    let mut all = Vec::new();
    list(&src, &src, &mut all);
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for (i, p) in all.iter().enumerate() {
        set_time(&src.join(p), 1_650_000_000 + i as i64 * 977, 123_456_789 - i as i64 * 1001);
    }
    fs::set_permissions(src.join("private"), fs::Permissions::from_mode(0o700)).unwrap();
    set_time(&src.join("private"), 1_650_000_000, 5);

    let o = altdisk(&[os("clone"), src.as_os_str(), dst.as_os_str()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    let r = Command::new("rsync")
        .args(["-naHAXc", "--delete", "-i", "--exclude", &format!("/{}", text(&deep_name()))])
        .arg(format!("{}/", src.display()))
        .arg(format!("{}/", dst.display()))
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert_eq!(text(&r.stdout), "", "rsync -naHAXc sees differences");

    // lstat: nanosecond mtimes everywhere (rsync compares seconds), modes, owners.
    for p in &all {
        let a = fs::symlink_metadata(src.join(p)).unwrap();
        let b = fs::symlink_metadata(dst.join(p)).unwrap();
        assert_eq!((a.mtime(), a.mtime_nsec()), (b.mtime(), b.mtime_nsec()), "mtime of {}", p.display());
        assert_eq!(a.mode(), b.mode(), "mode of {}", p.display());
        assert_eq!((a.uid(), a.gid()), (b.uid(), b.gid()), "owner of {}", p.display());
    }
    let d = fs::metadata(dst.join("private")).unwrap();
    assert_eq!(d.mode() & 0o7777, 0o700);
    assert_eq!(d.mtime_nsec(), 5);
    // The sparse file stays sparse: one 4 KiB block (allow a little allocation slack).
    let s = fs::metadata(dst.join("sparse")).unwrap();
    assert_eq!(s.len(), 1 << 30);
    assert!(s.blocks() * 512 <= 64 * 1024, "{} bytes allocated", s.blocks() * 512);
    // The path longer than 4096 bytes.
    assert_eq!(read_deep(&dst), (b"at the bottom\n".to_vec(), 0o640));
}

#[test]
fn one_filesystem_unless_listed_with_fs() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("etc")).unwrap();
    fs::write(src.join("etc/hosts"), b"h").unwrap();
    let Some(_m) = Mount::tmpfs(&src.join("mnt"), "4m") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    fs::write(src.join("mnt/on_tmpfs"), b"other filesystem").unwrap();
    let d1 = t.path().join("d1");
    let o = altdisk(&[os("clone"), src.as_os_str(), d1.as_os_str()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(d1.join("mnt").is_dir());
    assert_eq!(fs::read_dir(d1.join("mnt")).unwrap().count(), 0, "foreign mount was descended");
    assert_eq!(fs::read(d1.join("etc/hosts")).unwrap(), b"h");

    let d2 = t.path().join("d2");
    let o = altdisk(&[os("clone"), os("--fs"), os("/mnt"), src.as_os_str(), d2.as_os_str()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(fs::read(d2.join("mnt/on_tmpfs")).unwrap(), b"other filesystem");
}

/// A source of large and small files and a 512 KiB tmpfs too small for them.
struct FullTarget {
    // Unmounted before the temporary directory holding the mount point is removed.
    _mount: Mount,
    src: PathBuf,
    dst: PathBuf,
    dir: tempfile::TempDir,
}

impl FullTarget {
    /// `None` (with the reason printed) where a tmpfs cannot be mounted.
    fn new() -> Option<FullTarget> {
        if !is_root() {
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(&src).unwrap();
        // Files larger than backup's read-ahead, and small ones.
        for i in 0..4 {
            fs::write(src.join(format!("f{i}")), vec![0x33u8; 400_000]).unwrap();
        }
        for i in 0..200 {
            fs::write(src.join(format!("small{i}")), vec![i as u8; 3000]).unwrap();
        }
        let dst = dir.path().join("small");
        let Some(mount) = Mount::tmpfs(&dst, "512k") else {
            eprintln!("skipped: cannot mount a tmpfs here");
            return None;
        };
        Some(FullTarget { _mount: mount, src, dst, dir })
    }
}

#[test]
fn enospc_fails_cleanly_with_exit_4() {
    let Some(t) = FullTarget::new() else { return };
    let o = altdisk(&[os("clone"), t.src.as_os_str(), t.dst.as_os_str()], t.dir.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(err.contains("no space left on the filesystem of"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
}

#[test]
fn backup_into_a_full_filesystem_fails_with_exit_4() {
    let Some(t) = FullTarget::new() else { return };
    let archive = t.dst.join("a.bff");
    let args = [os("backup"), os("--walk"), t.src.as_os_str(), os("-f"), archive.as_os_str()];
    let o = altdisk(&args, t.dir.path());
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(err.contains("no space left on the filesystem of"), "{err}");
    assert!(err.contains("a.bff"), "names the archive: {err}");
    assert!(err.contains("removed the incomplete archive"), "{err}");
    assert!(!archive.exists(), "no incomplete archive left behind");
}

#[test]
fn backup_by_name_into_a_full_filesystem_says_it_removed_the_archive_after_the_error() {
    let Some(t) = FullTarget::new() else { return };
    let archive = t.dst.join("a.bff");
    let names: String = (0..4).map(|i| format!("./f{i}\n")).collect();
    let mut c = Command::new(common::BIN)
        .args([os("backup"), os("-if"), archive.as_os_str()])
        .current_dir(&t.src)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut c.stdin.take().unwrap(), names.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    let a = archive.display();
    assert_eq!(
        err,
        format!(
            "backup: no space left on the filesystem of {} while writing {a}\nbackup: removed the incomplete \
             archive {a}\n",
            t.dst.display()
        )
    );
    assert!(!archive.exists(), "no incomplete archive left behind");
}

#[test]
fn backup_to_standard_output_into_a_full_filesystem_names_standard_output() {
    let Some(t) = FullTarget::new() else { return };
    let archive = t.dst.join("out.bff");
    let o = Command::new(common::BIN)
        .args([os("backup"), os("--walk"), t.src.as_os_str(), os("-f"), os("-")])
        .current_dir(t.dir.path())
        .stdin(Stdio::null())
        .stdout(fs::File::create(&archive).unwrap())
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert_eq!(
        err,
        format!(
            "backup: no space left on the filesystem of {} while writing standard output ({})\n",
            t.dst.display(),
            archive.display()
        )
    );
    // Standard output is the caller's file: it is left alone.
    assert!(archive.exists());
}

/// Names for the exclusion test: a tree whose `clone --dry-run -V` listing is compared with GNU grep.
fn name_tree(root: &Path) {
    let words =
        ["usr", "var", "tmp", "lib", "a.o", "b.c", "core", "x.log", "spool", "ab12", "AbC", "d$x", "p.q"];
    let mut n = 0;
    for (i, w1) in words.iter().enumerate() {
        let d = root.join(w1);
        if w1.contains('.') {
            fs::write(&d, b"").unwrap();
            continue;
        }
        fs::create_dir_all(&d).unwrap();
        for (j, w2) in words.iter().enumerate() {
            if (i + j) % 3 == 0 {
                continue;
            }
            let p = d.join(format!("{w2}{n}"));
            n += 1;
            if j % 2 == 0 {
                fs::create_dir_all(&p).unwrap();
                fs::write(p.join(format!("{w1}.o")), b"").unwrap();
                fs::write(p.join("tmpfile"), b"").unwrap();
            } else {
                fs::write(&p, b"").unwrap();
            }
        }
    }
}

fn listing(stdout: &[u8]) -> Vec<u8> {
    // Drop the final "would copy ..." summary line.
    let s = text(stdout);
    let mut v: Vec<&str> = s.lines().collect();
    assert!(v.last().is_some_and(|l| l.starts_with("would copy")), "{s}");
    v.pop();
    let mut out = v.join("\n").into_bytes();
    out.push(b'\n');
    out
}

#[test]
fn exclusion_equals_gnu_grep() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    name_tree(&src);
    let dst = t.path().join("never_written");
    let all = altdisk(&[os("clone"), os("--dry-run"), os("-V"), src.as_os_str(), dst.as_os_str()], t.path());
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    let all = listing(&all.stdout);
    assert!(all.split(|&b| b == b'\n').count() > 100);
    let sets: &[(&str, &[&str])] = &[
        ("", &["\\.o$", "^./tmp", "core", "x\\.log"]),
        ("", &["^./var/spool", "[0-9][0-9]*$", "A[bB]C"]),
        ("", &["^./usr/lib[0-9]\\{1,2\\}/", "d\\$x", "p.q"]),
        ("", &["tmpfile$", "^\\./lib$"]),
        ("-E", &["(a\\.o|b\\.c)$", "^./(usr|var)/spool[0-9]+$", "[[:upper:]]"]),
        ("-E", &["^./[lt][a-z]{2}/", "ab[0-9]{2}", "\\$"]),
        ("-E", &["^\\./var(/|$)", "core|x\\.log"]),
    ];
    for (k, (flag, pats)) in sets.iter().enumerate() {
        let pf = t.path().join(format!("pats{k}"));
        fs::write(&pf, pats.join("\n") + "\n").unwrap();
        let mut args = vec![os("clone"), os("--dry-run"), os("-V"), os("-e"), pf.as_os_str()];
        if !flag.is_empty() {
            args.push(os(flag));
        }
        args.push(src.as_os_str());
        args.push(dst.as_os_str());
        let kept = altdisk(&args, t.path());
        assert_eq!(kept.status.code(), Some(0), "{}", text(&kept.stderr));
        let kept = listing(&kept.stdout);
        let mut g = Command::new("grep");
        if !flag.is_empty() {
            g.arg(flag);
        }
        let mut g =
            g.arg("-v").arg("-f").arg(&pf).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut g.stdin.take().unwrap(), &all).unwrap();
        let want = g.wait_with_output().unwrap().stdout;
        assert_eq!(text(&kept), text(&want), "pattern set {k} {pats:?}");
    }
    assert!(!dst.exists(), "--dry-run wrote the target");
}

#[test]
fn verbose_json_and_explain_outputs() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("d/keep"), b"12345").unwrap();
    fs::write(src.join("d/drop.o"), b"x").unwrap();
    fs::write(t.path().join("ex"), b"# objects\n\\.o$\n").unwrap();

    let d1 = t.path().join("d1");
    let o = altdisk(
        &[os("clone"), os("-V"), os("--explain"), os("-e"), os("ex"), src.as_os_str(), d1.as_os_str()],
        t.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    // The filter runs ahead of the writer, so the "excluded" line may come before the listing.
    let listed: Vec<&str> = out.lines().filter(|l| l.starts_with('.')).collect();
    assert_eq!(listed, vec![".", "./d", "./d/keep"], "{out}");
    assert!(out.contains("excluded ./d/drop.o  (ex:2: \\.o$)"), "{out}");
    assert!(out.contains("copied 3 entries"), "{out}");
    assert!(!d1.join("d/drop.o").exists());

    let d2 = t.path().join("d2");
    let o = altdisk(&[os("clone"), os("--json"), src.as_os_str(), d2.as_os_str()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let lines: Vec<serde_json::Value> =
        text(&o.stdout).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    assert_eq!(lines[0]["event"], "start", "{lines:?}");
    // The plan is the copy: 4 entries, 6 bytes.
    assert_eq!(lines[1]["event"], "planned", "{lines:?}");
    assert_eq!(lines[1]["entries"], 4);
    assert_eq!(lines[1]["bytes"], 6);
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "done");
    assert_eq!(last["exit"], 0);
    let r = &last["result"];
    assert_eq!(r["entries"], 4);
    assert_eq!(r["files"], 2);
    assert_eq!(r["bytes"], 6);
    assert_eq!(fs::read(d2.join("d/keep")).unwrap(), b"12345");
}

/// A rootvg-sized clone must not run out of descriptors under a modest hard limit: the walker's window,
/// the writer's directory cache, the files opened ahead and the entries in flight all hold some.
#[test]
fn clone_of_80k_files_fits_in_512_descriptors() {
    let shm = Path::new("/dev/shm");
    let room = rustix::fs::statvfs(shm).map(|s| s.f_bavail * s.f_frsize).unwrap_or(0);
    if room < (2 << 30) {
        eprintln!("skipped: needs a tmpfs at /dev/shm with 2 GiB free");
        return;
    }
    let t = tempfile::tempdir_in(shm).unwrap();
    let src = t.path().join("src");
    altdisk_engine::bench::generate_tree(&src, 80_000, 7).unwrap();
    let dst = t.path().join("dst");
    let o = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 512 && exec "$0" clone "$1" "$2""#)
        .arg(env!("CARGO_BIN_EXE_altdisk"))
        .arg(&src)
        .arg(&dst)
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("Too many open files"), "{err}");
}
