//! Hostile names, full filesystems and restore-style overwrites.

mod tree_common;

use std::os::unix::fs::MetadataExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use altdisk_engine::tree::TreeOptions;
use altdisk_engine::{EntryData, Error};
use tree_common::*;

fn listing(p: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir(p);
    v.sort();
    v
}

fn walkdir(p: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(p) {
        for d in rd.flatten() {
            out.push(d.path().display().to_string());
            if d.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                out.extend(walkdir(&d.path()));
            }
        }
    }
    out
}

#[test]
fn hostile_names_never_leave_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("dst");
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("keep"), b"keep").unwrap();
    let before = listing(tmp.path());
    let out = outside.display().to_string();
    let entries = vec![
        file(b"../x", 0o644, b"evil"),
        file(b"a/../../x", 0o644, b"evil"),
        file(b"./ok/../../outside/keep", 0o644, b"evil"),
        file(b"/etc/passwd", 0o644, b"below target"),
        symlink(b"./l", out.as_bytes()),
        file(b"./l/evil", 0o644, b"evil"),
        dir(b"./l/evildir", 0o755),
        symlink(b"./l2", b"."),
        file(b"./l2/through_inner_link", 0o644, b"evil"),
        hardlink(b"./hl", b"../outside/keep"),
        hardlink(b"./hl2", b"./l/keep"),
        file(b"./fine", 0o644, b"fine"),
    ];
    let (r, events) = run(&opts(&dst), entries);
    let st = r.unwrap();
    assert_eq!(st.refused, 8, "{events:?}");
    assert_eq!(std::fs::read(outside.join("keep")).unwrap(), b"keep");
    assert!(!tmp.path().join("x").exists());
    assert_eq!(std::fs::read(dst.join("etc/passwd")).unwrap(), b"below target");
    assert_eq!(std::fs::read(dst.join("fine")).unwrap(), b"fine");
    assert!(!dst.join("hl").exists() && !dst.join("hl2").exists());
    // Nothing appeared outside the target except the target itself.
    let mut after: Vec<String> =
        listing(tmp.path()).into_iter().filter(|p| !p.starts_with(&*dst.to_string_lossy())).collect();
    after.push(dst.display().to_string());
    after.sort();
    let mut want = before.clone();
    want.push(dst.display().to_string());
    want.sort();
    assert_eq!(after, want);
    assert!(events.iter().any(|e| e.starts_with("warning refused ../x")), "{events:?}");
    assert!(events.iter().any(|e| e.starts_with("warning refused ./l/evil")), "{events:?}");
    assert!(events.iter().any(|e| e.contains("removing the leading \"/\"")), "{events:?}");
}

#[test]
fn enospc_stops_promptly_naming_the_file() {
    if !is_root() {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let st = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mnt)
        .status()
        .unwrap();
    if !st.success() {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    struct Umount(std::path::PathBuf);
    impl Drop for Umount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Umount(mnt.clone());
    // 5 MiB in five files, then many more entries: the upstream must see the hang-up.
    let mut entries = Vec::new();
    for i in 0..5 {
        entries.push(file(format!("./f{i}").as_bytes(), 0o644, &vec![0x5a; 1 << 20]));
    }
    let (tx, rx) = crossbeam_channel::bounded(4);
    let mut s = file(b"./stream", 0o644, b"");
    s.data = EntryData::Stream(rx);
    entries.push(s);
    let streamer = std::thread::spawn(move || {
        for _ in 0..64 {
            if tx.send(Ok(vec![0x33; 1 << 20].into())).is_err() {
                return;
            }
        }
    });
    for i in 0..10_000 {
        entries.push(file(format!("./g{i}").as_bytes(), 0o644, b"x"));
    }
    let t = Instant::now();
    let (r, _) = run(&opts(&mnt), entries);
    assert!(t.elapsed() < Duration::from_secs(60), "took {:?}", t.elapsed());
    streamer.join().unwrap();
    match r {
        Err(Error::NoSpace { path, fs }) => {
            assert_eq!(fs, mnt);
            assert!(path.starts_with(&mnt) && path != mnt, "{}", path.display());
        }
        other => panic!("expected NoSpace, got {other:?}"),
    }
}

#[test]
fn admit_error_stops_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("dst");
    let admit: altdisk_engine::tree::Admit = Arc::new(|e: &altdisk_engine::Entry| {
        if e.name.ends_with(b"3") {
            Err(Error::refused("filesystem /dst full (model)"))
        } else {
            Ok(())
        }
    });
    let entries = (0..10).map(|i| file(format!("./f{i}").as_bytes(), 0o644, b"x")).collect();
    let o = TreeOptions { admit: Some(admit), ..opts(&dst) };
    let (r, _) = run(&o, entries);
    assert!(matches!(r, Err(Error::Refused { ref message }) if message.contains("full")), "{r:?}");
    assert!(!dst.join("f3").exists() && !dst.join("f9").exists());
}

#[test]
fn overwrite_truncates_files_and_replaces_links_without_following_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("dst");
    let outside = tmp.path().join("victim");
    std::fs::write(&outside, b"victim").unwrap();
    std::fs::create_dir(&dst).unwrap();
    std::fs::write(dst.join("f"), b"old old old content").unwrap();
    std::os::unix::fs::symlink(&outside, dst.join("s")).unwrap();
    std::fs::write(dst.join("becomes_dir"), b"x").unwrap();
    std::fs::create_dir(dst.join("d")).unwrap();
    std::fs::write(dst.join("d/keep"), b"keep").unwrap();
    let entries = vec![
        file(b"./f", 0o600, b"new"),
        file(b"./s", 0o644, b"replaced"),
        dir(b"./becomes_dir", 0o755),
        dir(b"./d", 0o700),
    ];
    // Without overwrite: existing objects are soft errors and stay untouched.
    let (r, _) = run(&opts(&dst), entries);
    assert_eq!(r.unwrap().soft_errors, 3);
    assert_eq!(std::fs::read(dst.join("f")).unwrap(), b"old old old content");
    let entries = vec![
        file(b"./f", 0o600, b"new"),
        file(b"./s", 0o644, b"replaced"),
        dir(b"./becomes_dir", 0o755),
        dir(b"./d", 0o700),
    ];
    let o = TreeOptions { overwrite: true, ..opts(&dst) };
    let ino = std::fs::metadata(dst.join("f")).unwrap().ino();
    let (r, events) = run(&o, entries);
    assert_eq!(r.unwrap().soft_errors, 0, "{events:?}");
    assert_eq!(std::fs::read(dst.join("f")).unwrap(), b"new");
    assert_eq!(std::fs::metadata(dst.join("f")).unwrap().ino(), ino, "truncated in place, as AIX restore");
    assert_eq!(std::fs::metadata(dst.join("f")).unwrap().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read(&outside).unwrap(), b"victim");
    assert!(std::fs::symlink_metadata(dst.join("s")).unwrap().is_file());
    assert!(std::fs::symlink_metadata(dst.join("becomes_dir")).unwrap().is_dir());
    assert_eq!(std::fs::read(dst.join("d/keep")).unwrap(), b"keep");
}

/// A fifo that took the place of a file between the walk and the copy is never opened for reading data: the
/// copy of that entry fails as a soft error and the run ends (no hang waiting on the fifo).
#[test]
fn a_fifo_swapped_in_for_a_walked_file_is_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let dst = tmp.path().join("dst");
    std::fs::create_dir_all(&src).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        src.join("f"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from(0o644),
        0,
    )
    .unwrap();
    let dir = rustix::fs::open(
        &src,
        rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::RDONLY,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let mut e = file(b"./f", 0o644, b"");
    e.meta.size = 10; // the walker saw a 10-byte regular file here
    e.data = EntryData::Source(altdisk_engine::entry::SourceFile {
        dir: Arc::new(dir),
        name: std::ffi::CString::new("f").unwrap(),
        path: src.join("f"),
        open: None,
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let o = opts(&dst);
    std::thread::spawn(move || {
        let _ = tx.send(run(&o, vec![e]));
    });
    let (r, lines) = rx.recv_timeout(Duration::from_secs(30)).expect("the copy hung on a fifo");
    let stats = r.expect("a soft error, not a failed run");
    assert_eq!(stats.soft_errors, 1, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("./f") || l.contains("/f")), "{lines:?}");
}
