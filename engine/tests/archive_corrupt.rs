//! Damaged archives: truncation at every offset and every single-byte flip never panic, errors name an
//! offset, and resync mode finds later records.

mod common;

use altdisk_engine::archive::{
    ArchiveError, ArchiveReader, ArchiveWriter, ReaderOptions, Record, WriterOptions,
};
use altdisk_engine::{Entry, EntryData, Kind, Meta};

fn small_archive() -> Vec<u8> {
    let opts = WriterOptions { block_size: 512, date: 1_700_000_000, ..Default::default() };
    let mut w = ArchiveWriter::new(Vec::new(), opts).unwrap();
    w.write_entry(&Entry::new(&b"./a"[..], Kind::Dir, Meta { mode: 0o755, nlink: 1, ..Meta::default() }))
        .unwrap();
    for (i, name) in [&b"./a/one"[..], b"./a/two", b"./a/three"].iter().enumerate() {
        let mut e =
            Entry::new(*name, Kind::File, Meta { mode: 0o644, size: 10 + i as u64, ..Meta::default() });
        e.data = EntryData::Bytes(vec![b'x' + i as u8; 10 + i].into());
        w.write_entry(&e).unwrap();
    }
    w.finish().unwrap().0
}

/// Reads everything; returns the names seen and the final result.
fn read_all(data: &[u8], resync: bool, seed: u64) -> (Vec<Vec<u8>>, Result<(), ArchiveError>) {
    let mut r = ArchiveReader::new(common::ShortReader::new(data, seed), ReaderOptions { resync });
    let mut names = Vec::new();
    loop {
        match r.next_record() {
            Ok(None) => return (names, Ok(())),
            Ok(Some(Record::Entry(e))) => {
                names.push(e.name.clone());
                if let Err(err) = r.read_data(&mut std::io::sink()) {
                    return (names, Err(err));
                }
            }
            Ok(Some(_)) => {}
            Err(e) => return (names, Err(e)),
        }
    }
}

#[test]
fn truncated_at_every_offset_errors_with_an_offset() {
    let a = small_archive();
    let end = a.iter().rposition(|&b| b != 0).unwrap() + 1;
    for cut in 0..end {
        let (_, res) = read_all(&a[..cut], false, cut as u64);
        let err = res.expect_err("a truncated archive must not read cleanly");
        let off = err.offset().expect("read errors carry an offset");
        assert!(off <= cut as u64, "cut {cut}: offset {off} past the end");
        assert!(err.to_string().contains("offset"), "{err}");
    }
}

#[test]
fn every_single_byte_flip_never_panics_and_reports_an_offset() {
    let a = small_archive();
    let end = a.iter().rposition(|&b| b != 0).unwrap() + 1;
    for i in 0..end {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut c = a.clone();
            c[i] ^= flip;
            for resync in [false, true] {
                let (_, res) = read_all(&c, resync, i as u64);
                if let Err(e) = res {
                    assert!(e.offset().is_some(), "flip at {i}: {e}");
                }
            }
        }
    }
}

#[test]
fn resync_skips_a_damaged_header_and_finds_later_records() {
    let a = small_archive();
    // Find the header of ./a/one and damage its name byte (checksum then fails).
    let pos = a.windows(7).position(|w| w == b"./a/one").unwrap();
    let mut c = a.clone();
    c[pos + 4] ^= 0x20;
    let (names, res) = read_all(&c, false, 1);
    let err = res.unwrap_err();
    assert!(matches!(err, ArchiveError::Checksum { offset, .. } if offset == (pos - 64) as u64), "{err}");
    assert_eq!(names, vec![b"./a".to_vec()]);

    let events = std::sync::Arc::new(altdisk_engine::events::RecordEvents::default());
    let mut r = ArchiveReader::new(&c[..], ReaderOptions { resync: true }).with_events(events.clone());
    let mut names = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        if let Record::Entry(e) = rec {
            names.push(e.name);
        }
    }
    assert_eq!(names, vec![b"./a".to_vec(), b"./a/two".to_vec(), b"./a/three".to_vec()]);
    // The damaged record: 72-byte header + 40-byte security block + 16 bytes of data.
    assert_eq!(r.stats().skipped_bytes, 72 + 40 + 16);
    assert_eq!(r.stats().resyncs, 1);
    let lines = events.0.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l.contains("skipped 128 bytes")), "{lines:?}");
}

#[test]
fn trusted_aix_magic_is_refused_clearly() {
    let mut a = small_archive();
    a[2] = 0x6d; // 60013
    let (_, res) = read_all(&a, false, 0);
    let e = res.unwrap_err();
    assert!(matches!(e, ArchiveError::TrustedAix { offset: 0, magic: 60013 }), "{e}");
    assert!(e.to_string().contains("Trusted-AIX"));
}

#[test]
fn unknown_record_types_are_skipped_with_a_warning() {
    let a = small_archive();
    // Insert an FS_DS record (type 10, len 2) after the volume label.
    let mut ds = vec![2u8, 10, 0x6b, 0xea, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    altdisk_engine::archive::record::seal(&mut ds);
    let mut c = a[..72].to_vec();
    c.extend_from_slice(&ds);
    c.extend_from_slice(&a[72..]);
    let events = std::sync::Arc::new(altdisk_engine::events::RecordEvents::default());
    let mut r = ArchiveReader::new(&c[..], ReaderOptions::default()).with_events(events.clone());
    let mut n = 0;
    while let Some(rec) = r.next_record().unwrap() {
        if let Record::Entry(_) = rec {
            n += 1;
        }
    }
    assert_eq!(n, 4);
    assert_eq!(r.stats().unknown_records, 1);
    assert!(events.0.lock().unwrap().iter().any(|l| l.contains("Unknown header type 10 at offset 72")));
}

#[test]
fn stale_bytes_after_fs_end_are_never_parsed() {
    let mut a = small_archive();
    let end = a.windows(8).position(|w| w == [1, 7, 0x6b, 0xea, 0x82, 0x0a, 0, 0]).unwrap();
    // Garbage after FS_END, as AIX leaves stale buffer contents there.
    let copy = a[..end].to_vec();
    a.truncate(end + 8);
    a.extend_from_slice(&copy);
    let (names, res) = read_all(&a, false, 3);
    res.unwrap();
    assert_eq!(names.len(), 4);
}

#[test]
fn oversized_acl_is_capped_not_allocated() {
    let mut a = small_archive();
    // The sac_rec of ./a follows its 72-byte header at offset 72.
    a[144..148].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let (_, res) = read_all(&a, false, 0);
    assert!(matches!(res, Err(ArchiveError::TooLarge { offset: 144, what: "aclsize", .. })), "{res:?}");
}
