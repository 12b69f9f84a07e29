//! Record types beyond FS_NAME_X: FS_NAME_LF (> 2 GiB, streamed without holding data), legacy FS_NAME /
//! FS_ONAME, and FS_NAME_EA (undocumented layout: skipped with resync).

use std::io::{self, Read, Write};

use altdisk_engine::archive::record::{self, NameHeader, VolumeHeader};
use altdisk_engine::archive::{ArchiveReader, ArchiveWriter, ReaderOptions, Record, Security, WriterOptions};
use altdisk_engine::{Entry, EntryData, Kind, Meta};

/// Keeps the first `keep` bytes written and counts the rest.
struct Capture {
    head: Vec<u8>,
    keep: usize,
    total: u64,
}

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let room = self.keep.saturating_sub(self.head.len()).min(b.len());
        self.head.extend_from_slice(&b[..room]);
        self.total += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const BIG: u64 = (5 << 29) + 3; // 2.5 GiB + 3: needs FS_NAME_LF

#[test]
fn files_of_2gib_and_more_use_fs_name_lf() {
    let mut e =
        Entry::new(&b"./big"[..], Kind::File, Meta { mode: 0o600, size: BIG, nlink: 1, ..Meta::default() });
    let (tx, rx) = crossbeam_channel::bounded(2);
    e.data = EntryData::Stream(rx);
    let feeder = std::thread::spawn(move || {
        let chunk = vec![7u8; 1 << 20];
        let mut left = BIG;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            if tx.send(Ok(bytes::Bytes::copy_from_slice(&chunk[..n]))).is_err() {
                return;
            }
            left -= n as u64;
        }
    });
    let cap = Capture { head: Vec::new(), keep: 4096, total: 0 };
    let mut w = ArchiveWriter::new(cap, WriterOptions::default()).unwrap();
    w.write_entry(&e).unwrap();
    let (cap, s) = w.finish().unwrap();
    feeder.join().unwrap();
    assert_eq!(s.soft_errors, 0);
    let h = &cap.head[72..];
    assert_eq!((h[0], h[1]), (10, record::FS_NAME_LF));
    let (d, name) = NameHeader::decode(&h[..80]).unwrap();
    assert_eq!((d.size, d.dsize, name), (BIG, BIG, &b"./big"[..]));
    assert_eq!(cap.total, (72 + 80 + 40 + record::pad8(BIG) + 8).div_ceil(51200) * 51200);
    assert_eq!(&h[80 + 40..80 + 48], &[7u8; 8]);
}

#[test]
fn reader_lists_a_2gib_file_without_holding_its_data() {
    let mut prefix = VolumeHeader::by_name(1, b"root").encode().to_vec();
    let h = NameHeader {
        rtype: record::FS_NAME_LF,
        magic: record::MAGIC,
        nlink: 1,
        mode: 0o100644,
        size: BIG,
        dsize: BIG,
        ..Default::default()
    };
    h.encode_into(b"./big", &mut prefix).unwrap();
    Security::for_mode(0o100644, None).encode(&mut prefix);
    let end = record::end_record();
    let stream = (&prefix[..]).chain(io::repeat(0).take(record::pad8(BIG))).chain(&end[..]);
    let mut r = ArchiveReader::new(stream, ReaderOptions::default());
    let mut sizes = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        if let Record::Entry(e) = rec {
            sizes.push((e.name.clone(), e.size(), e.data_len));
        }
    }
    assert_eq!(sizes, vec![(b"./big".to_vec(), BIG, BIG)]);
    assert_eq!(r.offset(), prefix.len() as u64 + record::pad8(BIG) + 8);
}

fn put16(v: &mut [u8], o: usize, x: u16) {
    v[o..o + 2].copy_from_slice(&x.to_le_bytes());
}

#[test]
fn legacy_fs_name_and_fs_oname_records_are_read() {
    let mut a = VolumeHeader::by_name(1, b"root").encode().to_vec();
    // FS_NAME (backup -o): 48-byte fixed part, name, data directly after (no security block).
    let mut n = vec![0u8; 48 + 8];
    n[0] = 7;
    n[1] = record::FS_NAME;
    put16(&mut n, 2, record::MAGIC);
    put16(&mut n, 8, 0o100640);
    put16(&mut n, 10, 1);
    put16(&mut n, 12, 12);
    put16(&mut n, 14, 34);
    n[16..20].copy_from_slice(&5i32.to_le_bytes());
    n[24..28].copy_from_slice(&1_000_000i32.to_le_bytes());
    n[48..53].copy_from_slice(b"./old");
    record::seal(&mut n);
    a.extend_from_slice(&n);
    a.extend_from_slice(b"data!\0\0\0");
    // FS_ONAME: 40-byte fixed part, 16-bit packed dev numbers.
    let mut o = vec![0u8; 40 + 8];
    o[0] = 6;
    o[1] = record::FS_ONAME;
    put16(&mut o, 2, record::MAGIC);
    put16(&mut o, 8, 0o020600);
    put16(&mut o, 10, 1);
    put16(&mut o, 34, 0x0403);
    o[40..45].copy_from_slice(b"./tty");
    record::seal(&mut o);
    a.extend_from_slice(&o);
    a.extend_from_slice(&record::end_record());
    let mut r = ArchiveReader::new(&a[..], ReaderOptions::default());
    let mut got = Vec::new();
    while let Some(e) = r.next_entry().unwrap() {
        let d = if let EntryData::Bytes(b) = &e.data { b.to_vec() } else { Vec::new() };
        got.push((
            e.name.clone(),
            e.kind,
            e.meta.mode,
            e.meta.uid,
            e.meta.gid,
            e.meta.mtime.sec,
            e.meta.rdev,
            d,
        ));
    }
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, b"./old");
    assert_eq!((got[0].1, got[0].2, got[0].3, got[0].4, got[0].5), (Kind::File, 0o640, 12, 34, 1_000_000));
    assert_eq!(got[0].7, b"data!");
    assert_eq!((got[1].1, got[1].6.major, got[1].6.minor), (Kind::CharDev, 4, 3));
}

#[test]
fn fs_name_ea_is_skipped_and_the_reader_resynchronises() {
    let mut w =
        ArchiveWriter::new(Vec::new(), WriterOptions { block_size: 512, ..Default::default() }).unwrap();
    let mut f = Entry::new(&b"./a"[..], Kind::File, Meta { mode: 0o644, size: 3, ..Meta::default() });
    f.data = EntryData::Bytes(b"abc".to_vec().into());
    w.write_entry(&f).unwrap();
    let (a, _) = w.finish().unwrap();
    // An FS_NAME_EA record (len 2) followed by 24 bytes of unknown payload, before ./a.
    let mut ea = vec![2u8, record::FS_NAME_EA, 0x6b, 0xea, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    record::seal(&mut ea);
    let mut c = a[..72].to_vec();
    c.extend_from_slice(&ea);
    c.extend_from_slice(&[0x55; 24]);
    c.extend_from_slice(&a[72..]);
    let mut r = ArchiveReader::new(&c[..], ReaderOptions::default());
    let e = r.next_entry().unwrap().unwrap();
    assert_eq!(e.name, b"./a");
    assert_eq!(r.stats().unknown_records, 1);
    assert_eq!(r.stats().skipped_bytes, 24);
}
