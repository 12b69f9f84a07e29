//! `altdisk backup --walk` then `altdisk restore -x`, checked by independent oracles (rsync, lstat), hostile
//! archives built with the engine's writer, name selection, and the real AIX archive.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use altdisk_engine::archive::{ArchiveWriter, WriterOptions};
use altdisk_engine::{Entry, EntryData, Kind, Meta, Timestamp};

mod common;
use common::{altdisk, is_root, text};

/// Deterministic pseudo-random bytes (no zero 4 KiB blocks by accident).
fn bytes(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 3) as u8 | 1
        })
        .collect()
}

/// A tree with files of many sizes, nested directories, symlinks, hard links across directories, setuid and
/// setgid files, a sticky directory, a read-only directory with contents, and, as root, a fifo, a device and
/// a file owned by another user. Times are set to known whole seconds.
fn make_tree(root: &Path) {
    let sizes =
        [0usize, 1, 7, 511, 512, 513, 4095, 4096, 4097, 65_536, 100_000, 1 << 20, (1 << 20) + 1, 3_000_001];
    fs::create_dir_all(root.join("a/b/c")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    for (i, s) in sizes.iter().enumerate() {
        fs::write(root.join(format!("a/f{i}")), bytes(*s, i as u32 + 1)).unwrap();
    }
    // Zero blocks in the middle: restored as holes.
    let mut z = bytes(4096, 99);
    z.extend(vec![0u8; 64 * 4096]);
    z.extend(bytes(4096, 98));
    fs::write(root.join("a/zeros"), &z).unwrap();
    fs::write(root.join("a/b/c/deep"), b"deep\n").unwrap();
    fs::hard_link(root.join("a/f3"), root.join("a/b/link_to_f3")).unwrap();
    fs::hard_link(root.join("a/f3"), root.join("empty_link")).unwrap();
    std::os::unix::fs::symlink("f1", root.join("a/sym")).unwrap();
    std::os::unix::fs::symlink("../nowhere", root.join("a/dangling")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", root.join("abs_sym")).unwrap();
    fs::write(root.join("suid"), b"#!/bin/sh\n").unwrap();
    fs::set_permissions(root.join("suid"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::write(root.join("sgid"), b"x").unwrap();
    fs::set_permissions(root.join("sgid"), fs::Permissions::from_mode(0o2711)).unwrap();
    fs::create_dir(root.join("sticky")).unwrap();
    fs::set_permissions(root.join("sticky"), fs::Permissions::from_mode(0o1777)).unwrap();
    fs::create_dir(root.join("ro")).unwrap();
    fs::write(root.join("ro/inside"), b"in a read-only dir").unwrap();
    fs::set_permissions(root.join("ro/inside"), fs::Permissions::from_mode(0o400)).unwrap();
    if is_root() {
        use rustix::fs::{mknodat, FileType, Mode, CWD};
        mknodat(CWD, root.join("fifo"), FileType::Fifo, Mode::from_raw_mode(0o640), 0).unwrap();
        let dev = rustix::fs::makedev(1, 3);
        mknodat(CWD, root.join("null"), FileType::CharacterDevice, Mode::from_raw_mode(0o666), dev).unwrap();
        fs::write(root.join("other_owner"), b"theirs").unwrap();
        std::os::unix::fs::lchown(root.join("other_owner"), Some(1234), Some(4321)).unwrap();
        std::os::unix::fs::lchown(root.join("a/sym"), Some(55), Some(66)).unwrap();
    } else {
        eprintln!("not root: no fifo, device or foreign owner in the round-trip tree");
    }
    // Whole-second times, set deepest first and directories last.
    let mut all = Vec::new();
    list(root, &mut all);
    all.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for (i, p) in all.iter().enumerate() {
        let t = filetime(1_600_000_000 + i as i64 * 3671);
        rustix::fs::utimensat(rustix::fs::CWD, p, &t, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).unwrap();
    }
    fs::set_permissions(root.join("ro"), fs::Permissions::from_mode(0o500)).unwrap();
}

fn filetime(sec: i64) -> rustix::fs::Timestamps {
    let ts = rustix::fs::Timespec { tv_sec: sec, tv_nsec: 0 };
    rustix::fs::Timestamps { last_access: ts, last_modification: ts }
}

fn list(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let md = fs::symlink_metadata(&p).unwrap();
        out.push(p.clone());
        if md.is_dir() {
            list(&p, out);
        }
    }
}

/// rsync as the oracle: a dry run with checksums, hard links and full metadata prints nothing when equal.
fn rsync_diff(src: &Path, dst: &Path, flags: &str) -> String {
    let o = Command::new("rsync")
        .arg(flags)
        .arg("--delete")
        .arg("-i")
        .arg(format!("{}/", src.display()))
        .arg(format!("{}/", dst.display()))
        .output()
        .expect("rsync");
    assert!(o.status.success(), "rsync failed: {}", text(&o.stderr));
    text(&o.stdout)
}

/// Mode, owner, mtime (to the second), size and kind of every path, compared by lstat.
fn assert_same_metadata(src: &Path, dst: &Path) {
    let mut all = Vec::new();
    list(src, &mut all);
    assert!(all.len() > 20);
    for p in all {
        let rel = p.strip_prefix(src).unwrap();
        let a = fs::symlink_metadata(&p).unwrap();
        let b = fs::symlink_metadata(dst.join(rel)).unwrap_or_else(|e| panic!("{}: {e}", rel.display()));
        assert_eq!(a.file_type(), b.file_type(), "{}", rel.display());
        if !a.file_type().is_symlink() {
            assert_eq!(a.mode(), b.mode(), "mode of {}", rel.display());
        }
        if is_root() {
            assert_eq!((a.uid(), a.gid()), (b.uid(), b.gid()), "owner of {}", rel.display());
        }
        if !a.file_type().is_symlink() {
            assert_eq!(a.mtime(), b.mtime(), "mtime of {}", rel.display());
        }
        if a.file_type().is_file() {
            assert_eq!(a.len(), b.len(), "{}", rel.display());
        }
        if a.file_type().is_char_device() {
            assert_eq!(a.rdev(), b.rdev(), "{}", rel.display());
        }
    }
}

#[test]
fn walk_backup_then_restore_is_identical() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    let dst = t.path().join("dst");
    fs::create_dir(&src).unwrap();
    make_tree(&src);
    let bff = t.path().join("a.bff");
    let o = altdisk(&["backup", "--walk", src.to_str().unwrap(), "-f", bff.to_str().unwrap()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("excluded"), "summary: {}", text(&o.stderr));

    let o = altdisk(&["restore", "-xf", bff.to_str().unwrap(), "--target", dst.to_str().unwrap()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("x ./a/f13\n"), "{out}");
    assert!(
        out.contains("x ./a/b/link_to_f3 linked to ./a/f3\n") || out.contains("x ./a/f3 linked to"),
        "{out}"
    );

    let diff = rsync_diff(&src, &dst, "-naHc");
    assert_eq!(diff, "", "rsync sees differences");
    assert_same_metadata(&src, &dst);
    // Hard links are links, not copies.
    let a = fs::metadata(dst.join("a/f3")).unwrap();
    let b = fs::metadata(dst.join("empty_link")).unwrap();
    assert_eq!((a.dev(), a.ino()), (b.dev(), b.ino()));
    assert_eq!(a.nlink(), 3);
    // The zero run came back as a hole.
    let z = fs::metadata(dst.join("a/zeros")).unwrap();
    assert!(z.blocks() * 512 < z.len() / 2, "not sparse: {} blocks for {} bytes", z.blocks(), z.len());

    // Extracting into the current directory (AIX's default) gives the same tree; -v prints sizes.
    let here = t.path().join("here");
    fs::create_dir(&here).unwrap();
    let o = altdisk(&["restore", "-xvqf", bff.to_str().unwrap()], &here);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(&format!("x {:12} ./a/f13\n", 3_000_001)), "{}", text(&o.stdout));
    assert_eq!(rsync_diff(&src, &here, "-naHc"), "");
}

#[test]
fn backup_walk_excludes_and_leaves_out_its_own_archive() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("keep/tmp")).unwrap();
    fs::write(src.join("keep/a.o"), b"obj").unwrap();
    fs::write(src.join("keep/a.c"), b"src").unwrap();
    fs::write(src.join("keep/tmp/junk"), b"junk").unwrap();
    fs::write(t.path().join("ex"), b"\\.o$\n^./keep/tmp\n").unwrap();
    let o = altdisk(&["backup", "--walk", "src", "-e", "ex", "-vf", "src/self.bff"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "a .\na ./keep\na ./keep/a.c\n");
    assert!(text(&o.stderr).contains("the archive file itself was left out"), "{}", text(&o.stderr));
    let l = altdisk(&["restore", "-Tf", "src/self.bff"], t.path());
    assert_eq!(text(&l.stdout), ".\n./keep\n./keep/a.c\n");
    // -E: extended patterns.
    fs::write(t.path().join("ex2"), b"a\\.(o|c)$\n").unwrap();
    let o = altdisk(&["backup", "--walk", "src", "-E", "-e", "ex2", "-f", "out.bff"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let l = altdisk(&["restore", "-Tf", "out.bff"], t.path());
    // The first archive lies in src and is not the file being written now: it is archived.
    assert_eq!(text(&l.stdout), ".\n./keep\n./keep/tmp\n./keep/tmp/junk\n./self.bff\n");
    // --walk with -i is a usage error.
    let o = altdisk(&["backup", "-i", "--walk", "src", "-f", "x"], t.path());
    assert_eq!(o.status.code(), Some(2));
}

fn entry(name: &str, kind: Kind, data: &[u8]) -> Entry {
    let meta = Meta {
        mode: if kind == Kind::Dir { 0o755 } else { 0o644 },
        nlink: 1,
        size: if kind == Kind::File { data.len() as u64 } else { 0 },
        mtime: Timestamp::from_secs(1_700_000_000),
        atime: Timestamp::from_secs(1_700_000_000),
        ..Meta::default()
    };
    let mut e = Entry::new(name.as_bytes().to_vec(), kind, meta);
    if kind == Kind::File {
        e.data = EntryData::Bytes(data.to_vec().into());
    }
    e
}

fn archive(entries: &[Entry]) -> Vec<u8> {
    let mut w =
        ArchiveWriter::new(Vec::new(), WriterOptions { block_size: 512, ..Default::default() }).unwrap();
    for e in entries {
        w.write_entry(e).unwrap();
    }
    w.finish().unwrap().0
}

/// Every path below `dir`, relative, sorted.
fn tree_listing(dir: &Path) -> Vec<String> {
    let mut all = Vec::new();
    list(dir, &mut all);
    let mut v: Vec<String> = all.iter().map(|p| p.strip_prefix(dir).unwrap().display().to_string()).collect();
    v.sort();
    v
}

#[test]
fn hostile_archive_writes_nothing_outside_the_target() {
    let t = tempfile::tempdir().unwrap();
    let outside = t.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("victim"), b"original").unwrap();
    let work = t.path().join("w");
    let target = work.join("target");
    fs::create_dir_all(&target).unwrap();
    let abs = t.path().join("abs_written_here");

    let mut entries = vec![
        entry("./ok", Kind::File, b"fine"),
        entry("../escape", Kind::File, b"bad"),
        entry("./a/../../escape2", Kind::File, b"bad"),
        entry(&format!("{}", abs.display()), Kind::File, b"absolute"),
    ];
    let mut l = entry("./l", Kind::Symlink, b"");
    l.link_target = Some(outside.as_os_str().as_encoded_bytes().to_vec());
    entries.push(l);
    entries.push(entry("./l/evil", Kind::File, b"through the link"));
    let mut m = entry("./m", Kind::Symlink, b"");
    m.link_target = Some(outside.join("victim").as_os_str().as_encoded_bytes().to_vec());
    entries.push(m);
    entries.push(entry("./m", Kind::File, b"replaces the link, never follows it"));
    // A hard link whose first name lies outside the target.
    let mut first = entry("../../outside/victim", Kind::File, b"x");
    first.meta.nlink = 2;
    first.meta.ino = 77;
    let mut second = entry("./h", Kind::File, b"x");
    second.meta.nlink = 2;
    second.meta.ino = 77;
    entries.push(first);
    entries.push(second);
    // A hard link whose first name is absolute: both land inside the target.
    let mut abs_first = entry(&format!("{}", outside.join("victim").display()), Kind::File, b"abs copy");
    abs_first.meta.nlink = 2;
    abs_first.meta.ino = 88;
    let mut abs_second = entry("./h2", Kind::File, b"abs copy");
    abs_second.meta.nlink = 2;
    abs_second.meta.ino = 88;
    entries.push(abs_first);
    entries.push(abs_second);
    entries.push(entry("./after", Kind::File, b"still restored"));
    let bytes = archive(&entries);
    fs::write(work.join("evil.bff"), &bytes).unwrap();

    let o = altdisk(&["restore", "-xf", "../evil.bff"], &target);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("refused ../escape: it has a \"..\" component"), "{err}");
    assert!(err.contains("refused ./a/../../escape2"), "{err}");
    assert!(err.contains("refused ./l/evil"), "{err}");
    assert!(err.contains("refused ./h"), "{err}");
    assert!(err.contains("removing the leading \"/\""), "{err}");
    assert!(err.lines().last().unwrap_or("").contains("5 entries refused"), "{err}");

    // Outside: untouched.
    assert_eq!(fs::read(outside.join("victim")).unwrap(), b"original");
    assert_eq!(tree_listing(&outside), vec!["victim"]);
    for p in tree_listing(&work) {
        assert!(p == "evil.bff" || p == "target" || p.starts_with("target/"), "created outside: {p}");
    }
    assert!(!abs.exists());
    assert!(!t.path().join("escape").exists() && !work.join("escape").exists());
    // Inside: the safe entries, the absolute one below the target, ./m a regular file.
    let abs_inside = target.join(abs.strip_prefix("/").unwrap());
    assert_eq!(fs::read(abs_inside).unwrap(), b"absolute");
    assert_eq!(fs::read(target.join("ok")).unwrap(), b"fine");
    assert_eq!(fs::read(target.join("after")).unwrap(), b"still restored");
    assert!(fs::symlink_metadata(target.join("l")).unwrap().file_type().is_symlink());
    let m = fs::symlink_metadata(target.join("m")).unwrap();
    assert!(m.file_type().is_file());
    assert_eq!(fs::read(target.join("m")).unwrap(), b"replaces the link, never follows it");
    assert!(!target.join("h").exists());
    let inside_victim = target.join(outside.join("victim").strip_prefix("/").unwrap());
    assert_eq!(fs::read(&inside_victim).unwrap(), b"abs copy");
    let (x, y) = (fs::metadata(&inside_victim).unwrap(), fs::metadata(target.join("h2")).unwrap());
    assert_eq!(x.ino(), y.ino());
}

#[test]
fn absolute_names_flag_writes_where_the_name_says_and_stdin_works() {
    let t = tempfile::tempdir().unwrap();
    let abs = t.path().join("literal/place");
    let bytes = archive(&[entry(&abs.display().to_string(), Kind::File, b"as AIX does")]);
    let work = t.path().join("cwd");
    fs::create_dir(&work).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_altdisk"))
        .args(["restore", "-xf", "-", "--absolute-names"])
        .current_dir(&work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut c.stdin.take().unwrap(), &bytes).unwrap();
    let o = c.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(fs::read(&abs).unwrap(), b"as AIX does");
    assert_eq!(tree_listing(&work), Vec::<String>::new());
}

#[test]
fn named_selection_patterns_and_subtrees() {
    let t = tempfile::tempdir().unwrap();
    let entries = vec![
        entry(".", Kind::Dir, b""),
        entry("./etc", Kind::Dir, b""),
        entry("./etc/hosts", Kind::File, b"127.0.0.1 localhost\n"),
        entry("./etc/.profile", Kind::File, b"PS1=$\n"),
        entry("./etc/ssh", Kind::Dir, b""),
        entry("./etc/ssh/sshd_config", Kind::File, b"Port 22\n"),
        entry("./usr", Kind::Dir, b""),
        entry("./usr/x", Kind::File, b"x"),
    ];
    fs::write(t.path().join("s.bff"), archive(&entries)).unwrap();
    let run = |dir: &str, names: &[&str]| {
        let d = t.path().join(dir);
        fs::create_dir(&d).unwrap();
        let mut args = vec!["restore", "-xf", "../s.bff"];
        args.extend_from_slice(names);
        let o = altdisk(&args, &d);
        (o, tree_listing(&d))
    };
    let (o, got) = run("one", &["./etc/hosts"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "x ./etc/hosts\n");
    assert_eq!(got, vec!["etc", "etc/hosts"]);

    // A shell pattern: `*` does not cross `/` and does not match a leading period.
    let (o, got) = run("glob", &["./etc/*"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(got, vec!["etc", "etc/hosts", "etc/ssh"]);

    // -d: a directory name selects its subtree.
    let d = t.path().join("sub");
    fs::create_dir(&d).unwrap();
    let o = altdisk(&["restore", "-xdf", "../s.bff", "./etc/ssh"], &d);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(tree_listing(&d), vec!["etc", "etc/ssh", "etc/ssh/sshd_config"]);

    // AIX semantics: `etc/hosts` is not `./etc/hosts`; a hint says so and the exit status is 1.
    let (o, got) = run("miss", &["etc/hosts"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("etc/hosts is not in the archive (names are stored as ./etc/hosts"));
    assert!(got.is_empty());
}

#[test]
fn damaged_archive_exits_3_after_restoring_what_came_before() {
    let t = tempfile::tempdir().unwrap();
    let entries = vec![entry("./first", Kind::File, b"one"), entry("./second", Kind::File, b"two")];
    let mut a = archive(&entries);
    let at = a.windows(8).position(|w| w == b"./second").unwrap();
    a[at + 3] = b'X';
    fs::write(t.path().join("d.bff"), &a).unwrap();
    let d = t.path().join("out");
    fs::create_dir(&d).unwrap();
    let o = altdisk(&["restore", "-xf", "../d.bff"], &d);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("checksum error in the header at byte offset"), "{}", text(&o.stderr));
    assert_eq!(fs::read(d.join("first")).unwrap(), b"one");
}

#[test]
fn real_aix_archive_extracts_to_its_exact_contents() {
    let f = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/aix/test.bff");
    let t = tempfile::tempdir().unwrap();
    let o = altdisk(&["restore", "-xqf", f], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        "x backup\nx backup/file.txt\nx backup/folder\nx backup/folder/file_in_folder.txt\n"
    );
    assert_eq!(
        tree_listing(t.path()),
        vec!["backup", "backup/file.txt", "backup/folder", "backup/folder/file_in_folder.txt"]
    );
    assert_eq!(fs::read(t.path().join("backup/file.txt")).unwrap(), b"abc");
    assert_eq!(fs::read(t.path().join("backup/folder/file_in_folder.txt")).unwrap(), b"xyz");
    let md = fs::metadata(t.path().join("backup/file.txt")).unwrap();
    assert_eq!(md.mode() & 0o7777, 0o644);
    // Mon May 27 2024, as `restore -Tv` reports the backup date; file times are that day too.
    assert!((1_716_768_000..1_716_854_400).contains(&md.mtime()), "{}", md.mtime());
    if is_root() {
        assert_eq!(md.uid(), 388_113);
    }
}

/// The zstd frame magic.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

#[test]
fn zstd_walk_backup_with_packed_members_restores_identically() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    make_tree(&src);
    let z = t.path().join("a.bff.zst");
    let o = altdisk(&["backup", "--walk", "src", "-p", "-Z", "--threads", "2", "-f", "a.bff.zst"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("compressed with zstd -3"), "{}", text(&o.stderr));
    let bytes = fs::read(&z).unwrap();
    assert_eq!(bytes[..4], ZSTD_MAGIC);
    // Packed members inside the compressed stream.
    let mut r = altdisk_engine::archive::ArchiveReader::new(
        altdisk_engine::archive::open_stream(&bytes[..]).unwrap(),
        Default::default(),
    );
    let mut packed = 0;
    while let Some(rec) = r.next_record().unwrap() {
        if let altdisk_engine::archive::Record::Entry(e) = rec {
            packed += usize::from(e.packed);
        }
    }
    assert!(packed > 3, "{packed} packed members");
    let dst = t.path().join("dst");
    let o = altdisk(&["restore", "-xf", "a.bff.zst", "--target", dst.to_str().unwrap()], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(rsync_diff(&src, &dst, "-naHc"), "", "rsync sees differences");
    assert_same_metadata(&src, &dst);
    // restore -T of the compressed stream on standard input lists the same names as from the file.
    let from_file = altdisk(&["restore", "-Tf", "a.bff.zst"], t.path());
    let o = Command::new(common::BIN)
        .args(["restore", "-Tf", "-"])
        .stdin(fs::File::open(&z).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), text(&from_file.stdout));
    assert!(text(&o.stdout).contains("./a/f13\n"));
}

#[test]
fn zstd_through_a_pipe_restores_identically() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    make_tree(&src);
    let dst = t.path().join("dst");
    let mut backup = Command::new(common::BIN)
        .args(["backup", "--walk", "src", "--zstd=1", "-p", "-f", "-"])
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = backup.stdout.take().unwrap();
    let o = Command::new(common::BIN)
        .args(["restore", "-xqf", "-", "--target", dst.to_str().unwrap()])
        .stdin(pipe)
        .output()
        .unwrap();
    let b = backup.wait_with_output().unwrap();
    assert_eq!(b.status.code(), Some(0), "{}", text(&b.stderr));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(rsync_diff(&src, &dst, "-naHc"), "", "rsync sees differences");
    assert_same_metadata(&src, &dst);
}

/// The offsets in "zstd stream damaged at compressed byte offset C (archive byte offset U)".
fn zstd_offsets(stderr: &str) -> (u64, u64) {
    let re = regex::Regex::new(
        r"zstd stream damaged at compressed byte offset (\d+) \(archive byte offset (\d+)\)",
    )
    .unwrap();
    let c = re.captures(stderr).unwrap_or_else(|| panic!("no zstd damage message: {stderr}"));
    (c[1].parse().unwrap(), c[2].parse().unwrap())
}

#[test]
fn truncated_or_corrupt_zstd_streams_exit_3_naming_both_offsets() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    make_tree(&src);
    let o = altdisk(&["backup", "--walk", "src", "--zstd", "-p", "-f", "a.zst"], t.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let good = fs::read(t.path().join("a.zst")).unwrap();
    // Cut in the middle: restore -x restores what came before and exits 3.
    let half = good.len() / 2;
    fs::write(t.path().join("cut.zst"), &good[..half]).unwrap();
    let o = altdisk(&["restore", "-xqf", "cut.zst", "--target", "x1"], t.path());
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let (c, u) = zstd_offsets(&text(&o.stderr));
    assert!(c <= half as u64 && u > 0, "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("truncated"), "{}", text(&o.stderr));
    // Cut just before the end (the frame checksum): the listing notices too, from standard input as well.
    fs::write(t.path().join("cut2.zst"), &good[..good.len() - 2]).unwrap();
    let o = Command::new(common::BIN)
        .args(["restore", "-Tf", "-"])
        .stdin(fs::File::open(t.path().join("cut2.zst")).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    zstd_offsets(&text(&o.stderr));
    // A corrupted checksum, and a corrupted frame header.
    for at in [good.len() - 1, 4] {
        let mut bad = good.clone();
        bad[at] ^= 0xff;
        fs::write(t.path().join("bad.zst"), &bad).unwrap();
        let o = altdisk(&["restore", "-Tf", "bad.zst"], t.path());
        assert_eq!(o.status.code(), Some(3), "byte {at}: {}", text(&o.stderr));
        let (c, _) = zstd_offsets(&text(&o.stderr));
        assert!(c <= good.len() as u64);
    }
    // Invalid levels and thread counts are usage errors (with --walk, --threads alone sizes the walker).
    for args in [&["--zstd=0"][..], &["--zstd=20"], &["--zstd=x"], &["-Z", "--threads", "0"]] {
        let mut a = vec!["backup", "--walk", "src", "-f", "n.zst"];
        a.extend_from_slice(args);
        let o = altdisk(&a, t.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
    }
}

#[test]
fn a_directory_after_a_file_of_the_same_name_replaces_it_and_says_so() {
    let t = tempfile::tempdir().unwrap();
    let bytes = archive(&[
        entry("./x", Kind::File, b"first a file\n"),
        entry("./x", Kind::Dir, b""),
        entry("./x/y", Kind::File, b"then a directory\n"),
    ]);
    fs::write(t.path().join("a.bff"), &bytes).unwrap();
    fs::create_dir(t.path().join("dst")).unwrap();
    let o = altdisk(&["restore", "-xqf", "../a.bff"], &t.path().join("dst"));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err, "restore: warning: ./x: replaced the file of the same name by the directory\n");
    assert_eq!(fs::read(t.path().join("dst/x/y")).unwrap(), b"then a directory\n");
    assert_eq!(fs::metadata(t.path().join("dst/x")).unwrap().permissions().mode() & 0o7777, 0o755);
}
