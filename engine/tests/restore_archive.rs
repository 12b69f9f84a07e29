//! `pipeline::restore_archive`: archive reader on its own thread -> selection -> tree writer.

use std::fs;
use std::os::unix::fs::MetadataExt;

use altdisk_engine::archive::{ArchiveReader, ArchiveWriter, ReaderOptions, WriterOptions};
use altdisk_engine::events::RecordEvents;
use altdisk_engine::pipeline::restore_archive;
use altdisk_engine::select::{Selection, Unmatched};
use altdisk_engine::tree::TreeOptions;
use altdisk_engine::{Entry, EntryData, Kind, Meta, Timestamp};

fn file(name: &str, data: Vec<u8>, nlink: u32, ino: u64) -> Entry {
    let meta = Meta {
        mode: 0o640,
        nlink,
        ino,
        size: data.len() as u64,
        mtime: Timestamp::from_secs(1_234_567_890),
        ..Meta::default()
    };
    let mut e = Entry::new(name.as_bytes().to_vec(), Kind::File, meta);
    e.data = EntryData::Bytes(data.into());
    e
}

fn dir(name: &str) -> Entry {
    Entry::new(name.as_bytes().to_vec(), Kind::Dir, Meta { mode: 0o755, nlink: 2, ..Meta::default() })
}

fn big(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1).collect()
}

fn archive() -> Vec<u8> {
    let entries = vec![
        dir("."),
        dir("./a"),
        // Larger than the reader's inline limit: these arrive as streams.
        file("./a/big1", big(3 << 20, 1), 1, 0),
        file("./a/big2", big((2 << 20) + 17, 2), 2, 9),
        dir("./b"),
        file("./b/link", big((2 << 20) + 17, 2), 2, 9),
        file("./b/small", b"small".to_vec(), 1, 0),
    ];
    let mut w = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    for e in &entries {
        w.write_entry(e).unwrap();
    }
    w.finish().unwrap().0
}

#[test]
fn streams_links_and_one_worker() {
    let a = archive();
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions { target: t.path().to_path_buf(), threads: 1, ..TreeOptions::default() };
    let ev = RecordEvents::default();
    let r = ArchiveReader::new(&a[..], ReaderOptions::default());
    let s = restore_archive(r, &Selection::new(Vec::new(), false), &opts, &ev).unwrap();
    assert_eq!(s.tree.files, 3);
    assert_eq!(s.tree.hardlinks, 1);
    assert_eq!(s.tree.refused, 0);
    assert_eq!(fs::read(t.path().join("a/big1")).unwrap(), big(3 << 20, 1));
    assert_eq!(fs::read(t.path().join("a/big2")).unwrap(), big((2 << 20) + 17, 2));
    let x = fs::metadata(t.path().join("a/big2")).unwrap();
    let y = fs::metadata(t.path().join("b/link")).unwrap();
    assert_eq!(x.ino(), y.ino());
    assert_eq!(x.mtime(), 1_234_567_890);
    assert_eq!(x.mode() & 0o7777, 0o640);
}

#[test]
fn selection_skips_unselected_streams_and_reports_orphan_links() {
    let a = archive();
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions { target: t.path().to_path_buf(), threads: 2, ..TreeOptions::default() };
    let ev = RecordEvents::default();
    let r = ArchiveReader::new(&a[..], ReaderOptions::default());
    let sel = Selection::new(vec![b"./b".to_vec(), b"b/small".to_vec()], true);
    let s = restore_archive(r, &sel, &opts, &ev).unwrap();
    assert_eq!(s.orphan_links, 1);
    assert_eq!(s.unmatched, vec![Unmatched { pattern: b"b/small".to_vec(), dotslash_hint: true }]);
    assert_eq!(fs::read(t.path().join("b/small")).unwrap(), b"small");
    assert!(!t.path().join("b/link").exists());
    assert!(!t.path().join("a").exists());
    let log = ev.0.lock().unwrap();
    assert!(log.iter().any(|l| l.contains("./b/link") && l.contains("hard link to ./a/big2")), "{log:?}");
}

/// An archive cut inside a streamed (stored) file: the run stops with the truncation and its offset, and the
/// file's consumer is told too instead of writing a short file silently.
#[test]
fn an_archive_cut_inside_a_streamed_file_stops_with_its_offset() {
    let a = archive();
    let cut = &a[..a.len() / 3]; // inside ./a/big1 (3 MiB of the ~7 MiB)
    let t = tempfile::tempdir().unwrap();
    let opts = TreeOptions { target: t.path().to_path_buf(), threads: 2, ..TreeOptions::default() };
    let ev = RecordEvents::default();
    let r = ArchiveReader::new(cut, ReaderOptions::default());
    let e = restore_archive(r, &Selection::new(Vec::new(), false), &opts, &ev).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("file data") && msg.contains(&cut.len().to_string()), "{msg}");
}

/// A tree shaped to exercise how files are handed to workers: one directory of 3,000 files (more than one
/// worker's queue holds, so it spills over to the others), many small directories, hard links from the
/// small directories to files of the big one, and a large streamed file with all-zero blocks.
fn routed_archive() -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let mut entries = vec![dir("."), dir("./big")];
    let mut want = Vec::new();
    let body = |i: usize| format!("file {i} ").repeat(i % 7 + 1).into_bytes();
    for i in 0..3000 {
        let name = format!("./big/f{i:04}");
        // Every 100th file has a second name in a small directory.
        let (nlink, ino) = if i % 100 == 0 { (2, 1000 + i as u64) } else { (1, 0) };
        entries.push(file(&name, body(i), nlink, ino));
        want.push((name, body(i)));
    }
    for d in 0..60 {
        entries.push(dir(&format!("./d{d:02}")));
        for j in 0..10 {
            let name = format!("./d{d:02}/g{j}");
            let data = format!("dir {d} file {j}").into_bytes();
            entries.push(file(&name, data.clone(), 1, 0));
            want.push((name, data));
        }
        if d < 30 {
            let i = d * 100;
            let name = format!("./d{d:02}/link");
            entries.push(file(&name, body(i), 2, 1000 + i as u64));
            want.push((name, body(i)));
        }
        if d == 40 {
            // 4 MiB: data, a 1 MiB all-zero run in the middle, data.
            let mut data = big(4 << 20, 7);
            data[(1 << 20)..(2 << 20)].fill(0);
            entries.push(file("./d40/sparse", data.clone(), 1, 0));
            want.push(("./d40/sparse".into(), data));
        }
    }
    let mut w = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap();
    for e in &entries {
        w.write_entry(e).unwrap();
    }
    (w.finish().unwrap().0, want)
}

#[test]
fn directories_spread_over_workers_restore_whole() {
    let (a, want) = routed_archive();
    for threads in [1, 2, 3] {
        let t = tempfile::tempdir().unwrap();
        let opts = TreeOptions { target: t.path().to_path_buf(), threads, ..TreeOptions::default() };
        let ev = RecordEvents::default();
        let r = ArchiveReader::new(&a[..], ReaderOptions::default());
        let s = restore_archive(r, &Selection::new(Vec::new(), false), &opts, &ev).unwrap();
        assert_eq!(s.tree.files, 3000 + 600 + 1, "threads {threads}");
        assert_eq!(s.tree.hardlinks, 30, "threads {threads}");
        assert_eq!(s.tree.soft_errors, 0, "threads {threads}");
        for (name, data) in &want {
            let got = fs::read(t.path().join(name)).unwrap();
            assert!(got == *data, "threads {threads}: {name} differs");
        }
        for d in 0..30 {
            let x = fs::metadata(t.path().join(format!("big/f{:04}", d * 100))).unwrap();
            let y = fs::metadata(t.path().join(format!("d{d:02}/link"))).unwrap();
            assert_eq!(x.ino(), y.ino(), "threads {threads}: d{d:02}/link is not a link");
        }
        let sp = fs::metadata(t.path().join("d40/sparse")).unwrap();
        assert_eq!(sp.len(), 4 << 20);
        // The zero run became a hole where the filesystem has holes (tmpfs and ext4 both do).
        assert!(sp.blocks() * 512 <= 3 << 20, "threads {threads}: no hole ({} blocks)", sp.blocks());
    }
}
