//! Writer -> reader round trips for every kind, through short reads.

mod common;

use std::sync::Arc;

use altdisk_engine::acl::{AclEntry, AclTag, PosixAcl};
use altdisk_engine::archive::{ArchiveReader, ArchiveWriter, ReaderOptions, Record, WriterOptions};
use altdisk_engine::entry::{SourceFile, Xattr};
use altdisk_engine::events::RecordEvents;
use altdisk_engine::{DevId, Entry, EntryData, Kind, Meta, Timestamp};
use common::ShortReader;

fn meta(mode: u32, size: u64) -> Meta {
    let t = |s| Timestamp::from_secs(s);
    Meta {
        mode,
        size,
        uid: 1000,
        gid: 100,
        nlink: 1,
        atime: t(1_600_000_001),
        mtime: t(1_600_000_002),
        ctime: t(1_600_000_003),
        dev: DevId { major: 8, minor: 3 },
        ..Meta::default()
    }
}

fn big_data() -> Vec<u8> {
    (0..(2u32 << 20) + 13).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect()
}

fn sample_entries(src_dir: &std::path::Path) -> Vec<Entry> {
    let mut v = Vec::new();
    v.push(Entry::new(&b"./dir"[..], Kind::Dir, meta(0o2755, 4096)));
    let mut f = Entry::new(&b"./dir/small"[..], Kind::File, meta(0o4711, 5));
    f.data = EntryData::Bytes(b"12345".to_vec().into());
    v.push(f);
    let mut f = Entry::new(&b"./dir/empty"[..], Kind::File, meta(0o600, 0));
    f.data = EntryData::Bytes(Vec::new().into());
    v.push(f);
    let big = big_data();
    let mut f = Entry::new(&b"./dir/big"[..], Kind::File, meta(0o644, big.len() as u64));
    f.data = EntryData::Bytes(big.into());
    v.push(f);
    let mut l = Entry::new(&b"./dir/link"[..], Kind::Symlink, meta(0o777, 8));
    l.link_target = Some(b"12345678".to_vec());
    v.push(l);
    let mut m = meta(0o640, 3);
    m.nlink = 2;
    m.ino = 0x1_0000_0042;
    let mut a = Entry::new(&b"./dir/h1"[..], Kind::File, m.clone());
    a.data = EntryData::Bytes(b"abc".to_vec().into());
    v.push(a);
    let mut b = Entry::new(&b"./dir/h2"[..], Kind::HardLink, m);
    b.link_target = Some(b"./dir/h1".to_vec());
    b.data = EntryData::Bytes(b"abc".to_vec().into());
    v.push(b);
    let mut c = Entry::new(&b"./dev/c"[..], Kind::CharDev, meta(0o620, 0));
    c.meta.rdev = DevId { major: 4, minor: 64 };
    v.push(c);
    let mut bd = Entry::new(&b"./dev/b"[..], Kind::BlockDev, meta(0o660, 0));
    bd.meta.rdev = DevId { major: 8, minor: 1 };
    v.push(bd);
    v.push(Entry::new(&b"./dev/fifo"[..], Kind::Fifo, meta(0o644, 0)));
    let mut acl = Entry::new(&b"./acl"[..], Kind::File, meta(0o750, 2));
    acl.meta.acl = Some(PosixAcl {
        entries: vec![
            AclEntry { tag: AclTag::UserObj, perm: 7 },
            AclEntry { tag: AclTag::User(4242), perm: 6 },
            AclEntry { tag: AclTag::GroupObj, perm: 5 },
            AclEntry { tag: AclTag::Group(77), perm: 4 },
            AclEntry { tag: AclTag::Mask, perm: 7 },
            AclEntry { tag: AclTag::Other, perm: 0 },
        ],
    });
    acl.meta.xattrs = vec![Xattr { name: b"user.a".to_vec(), value: b"1".to_vec() }];
    acl.data = EntryData::Bytes(b"ok".to_vec().into());
    v.push(acl);
    // A real file through the walker's Source path.
    std::fs::write(src_dir.join("real"), b"from disk\n").unwrap();
    // The writer stamps a live file before its header and describes the version it reads: give it the
    // mtime the entries carry.
    std::fs::File::options()
        .write(true)
        .open(src_dir.join("real"))
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_002))
        .unwrap();
    let dir = std::fs::File::open(src_dir).unwrap();
    let mut r = Entry::new(&b"./real"[..], Kind::File, meta(0o644, 10));
    r.data = EntryData::Source(SourceFile {
        dir: Arc::new(dir.into()),
        name: std::ffi::CString::new("real").unwrap(),
        path: src_dir.join("real"),
        open: None,
    });
    v.push(r);
    // Raw, non-UTF-8 name bytes.
    let mut raw = Entry::new(&b"./n\xff\x01 \\x"[..], Kind::File, meta(0o644, 1));
    raw.data = EntryData::Bytes(b"z".to_vec().into());
    v.push(raw);
    v
}

fn write(entries: &[Entry], block: usize) -> (Vec<u8>, altdisk_engine::archive::WriteSummary) {
    let opts = WriterOptions { block_size: block, date: 1_650_000_000, ..Default::default() };
    let mut w = ArchiveWriter::new(Vec::new(), opts).unwrap();
    for e in entries {
        w.write_entry(e).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn every_kind_round_trips_through_short_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let entries = sample_entries(tmp.path());
    let (archive, summary) = write(&entries, 51200);
    assert_eq!(archive.len() % 51200, 0);
    assert_eq!(summary.entries, entries.len() as u64);
    assert_eq!(summary.xattrs_dropped, 1);
    assert_eq!(summary.soft_errors, 0);

    for seed in 0..4 {
        let mut r = ArchiveReader::new(ShortReader::new(&archive, seed), ReaderOptions::default());
        let mut got = Vec::new();
        loop {
            let Some(e) = r.next_entry().unwrap() else { break };
            let data = match e.data {
                EntryData::Bytes(ref b) => b.to_vec(),
                EntryData::Stream(ref rx) => {
                    let rx = rx.clone();
                    let t =
                        std::thread::spawn(move || rx.iter().flat_map(|c| c.unwrap()).collect::<Vec<u8>>());
                    let next = r.next_entry().unwrap();
                    let d = t.join().unwrap();
                    got.push((e, d));
                    match next {
                        Some(n) => {
                            let d = if let EntryData::Bytes(b) = &n.data { b.to_vec() } else { Vec::new() };
                            got.push((n, d));
                            continue;
                        }
                        None => break,
                    }
                }
                _ => Vec::new(),
            };
            got.push((e, data));
        }
        assert_eq!(got.len(), entries.len());
        for ((g, data), want) in got.iter().zip(&entries) {
            assert_eq!(g.name, want.name);
            assert_eq!(g.kind, want.kind, "{}", want.display_name());
            assert_eq!(g.meta.mode, want.meta.mode, "{}", want.display_name());
            assert_eq!((g.meta.uid, g.meta.gid), (1000, 100));
            assert_eq!(g.meta.mtime.sec, 1_600_000_002);
            assert_eq!(g.meta.atime.sec, 1_600_000_001);
            match want.kind {
                Kind::File => {
                    let expect = match &want.data {
                        EntryData::Bytes(b) => b.to_vec(),
                        _ => b"from disk\n".to_vec(),
                    };
                    assert_eq!(data, &expect, "{}", want.display_name());
                    assert_eq!(g.meta.size, want.meta.size);
                }
                Kind::HardLink => assert_eq!(g.link_target.as_deref(), Some(&b"./dir/h1"[..])),
                Kind::Symlink => assert_eq!(g.link_target, want.link_target),
                Kind::CharDev | Kind::BlockDev => assert_eq!(g.meta.rdev, want.meta.rdev),
                _ => {}
            }
            assert_eq!(g.meta.acl.is_some(), want.meta.acl.is_some(), "{}", want.display_name());
        }
        let acl = got.iter().find(|(e, _)| e.name == b"./acl").unwrap().0.meta.acl.clone().unwrap();
        assert!(acl.entries.contains(&AclEntry { tag: AclTag::User(4242), perm: 6 }));
        assert!(acl.entries.contains(&AclEntry { tag: AclTag::Group(77), perm: 4 }));
        assert_eq!(r.stats().skipped_bytes, 0);
    }
}

#[test]
fn hard_links_share_a_nonzero_ino_and_records_carry_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (archive, _) = write(&sample_entries(tmp.path()), 512);
    let mut r = ArchiveReader::new(&archive[..], ReaderOptions::default());
    let mut links = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        if let Record::Entry(e) = rec {
            if e.name.starts_with(b"./dir/h") {
                let mut d = Vec::new();
                r.read_data(&mut d).unwrap();
                links.push((e.header.ino, e.header.nlink, e.hardlink_to.clone(), d));
            } else if e.header.mode & 0o170000 == 0o100000 {
                assert_eq!(e.header.ino, 0, "nlink 1 files carry ino 0 like AIX 7");
            }
        }
    }
    assert_eq!(links.len(), 2);
    assert_ne!(links[0].0, 0);
    assert_eq!(links[0].0, links[1].0);
    assert_eq!((links[0].1, links[1].1), (2, 2));
    assert_eq!(links[0].2, None);
    assert_eq!(links[1].2.as_deref(), Some(&b"./dir/h1"[..]));
    assert_eq!(links[1].3, b"abc");
}

#[test]
fn a_source_shorter_than_its_entry_is_archived_as_it_is_and_told() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("s"), b"abc").unwrap();
    let dir = std::fs::File::open(tmp.path()).unwrap();
    let mut e = Entry::new(&b"./s"[..], Kind::File, meta(0o644, 6));
    e.data = EntryData::Source(SourceFile {
        dir: Arc::new(dir.into()),
        name: std::ffi::CString::new("s").unwrap(),
        open: None,
        path: tmp.path().join("s"),
    });
    let mut missing = Entry::new(&b"./missing"[..], Kind::File, meta(0o644, 1));
    missing.data = EntryData::Source(SourceFile {
        dir: Arc::new(std::fs::File::open(tmp.path()).unwrap().into()),
        open: None,
        name: std::ffi::CString::new("nope").unwrap(),
        path: tmp.path().join("nope"),
    });
    let ev = Arc::new(RecordEvents::default());
    let mut w = ArchiveWriter::new(Vec::new(), WriterOptions::default()).unwrap().with_events(ev.clone());
    w.write_entry(&e).unwrap();
    w.write_entry(&missing).unwrap();
    let (archive, s) = w.finish().unwrap();
    // Stamped before its header: the header announces the 3 bytes there are (zero-filling is left for a file
    // that shrinks while it is read, see live.rs).
    assert_eq!((s.entries, s.skipped, s.soft_errors, s.changed), (1, 1, 1, 1));
    let lines = ev.0.lock().unwrap().clone();
    let changed = format!("changed {}: changed after the walk (size 6 -> 3", tmp.path().join("s").display());
    assert!(lines.iter().any(|l| l.starts_with(&changed)), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("error read ./missing")), "{lines:?}");
    let mut r = ArchiveReader::new(&archive[..], ReaderOptions::default());
    let e = r.next_entry().unwrap().unwrap();
    let EntryData::Bytes(b) = e.data else { panic!() };
    assert_eq!(&b[..], b"abc");
    assert!(r.next_entry().unwrap().is_none());
}

#[test]
fn large_file_stream_reports_an_error_if_the_reader_is_dropped_early() {
    let big = big_data();
    let mut f = Entry::new(&b"./big"[..], Kind::File, meta(0o644, big.len() as u64));
    f.data = EntryData::Bytes(big.into());
    let (archive, _) = write(&[f], 512);
    let mut r = ArchiveReader::new(&archive[..], ReaderOptions::default());
    let e = r.next_entry().unwrap().unwrap();
    let EntryData::Stream(rx) = e.data else { panic!("large files stream") };
    drop(r);
    let chunks: Vec<_> = rx.iter().collect();
    assert_eq!(chunks.len(), 1);
    assert!(chunks[0].as_ref().unwrap_err().to_string().contains("dropped"));
}

#[test]
fn large_file_stream_can_be_dropped_to_skip_the_data() {
    let big = big_data();
    let mut f = Entry::new(&b"./big"[..], Kind::File, meta(0o644, big.len() as u64));
    f.data = EntryData::Bytes(big.into());
    let mut g = Entry::new(&b"./after"[..], Kind::File, meta(0o644, 2));
    g.data = EntryData::Bytes(b"hi".to_vec().into());
    let (archive, _) = write(&[f, g], 512);
    let mut r = ArchiveReader::new(&archive[..], ReaderOptions::default());
    let e = r.next_entry().unwrap().unwrap();
    drop(e);
    let e = r.next_entry().unwrap().unwrap();
    assert_eq!(e.name, b"./after");
    assert!(matches!(e.data, EntryData::Bytes(ref b) if &b[..] == b"hi"));
}
