//! Packed (magic 60012) file data: the writer's AIX packing rule and the reader's unpacking, including a
//! real AIX packed stream wrapped in a record.

mod common;

use altdisk_engine::archive::record::{self, NameHeader};
use altdisk_engine::archive::{ArchiveReader, ArchiveWriter, ReaderOptions, Record, Security, WriterOptions};
use altdisk_engine::{Entry, EntryData, Kind, Meta};

fn td(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../testdata/aix/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn file(name: &[u8], data: Vec<u8>) -> Entry {
    let mut e =
        Entry::new(name, Kind::File, Meta { mode: 0o644, size: data.len() as u64, ..Meta::default() });
    e.data = EntryData::Bytes(data.into());
    e
}

/// (name, magic, size, dsize, data) of one entry.
type ReadBack = (Vec<u8>, u16, u64, u64, Vec<u8>);

fn read_back(a: &[u8], seed: u64) -> Vec<ReadBack> {
    let mut r = ArchiveReader::new(common::ShortReader::new(a, seed), ReaderOptions::default());
    let mut v = Vec::new();
    while let Some(rec) = r.next_record().unwrap() {
        if let Record::Entry(e) = rec {
            let mut d = Vec::new();
            r.read_data(&mut d).unwrap();
            v.push((e.name, e.header.magic, e.header.size, e.header.dsize, d));
        }
    }
    v
}

#[test]
fn real_aix_packed_stream_unpacks_through_the_reader() {
    let enc = td("huffman_encoded.bin");
    let dec = td("huffman_decoded.bin");
    let mut a = record::VolumeHeader::by_name(1, b"root").encode().to_vec();
    let h = NameHeader {
        rtype: record::FS_NAME_X,
        magic: record::PACKED_MAGIC,
        nlink: 1,
        mode: 0o100644,
        size: dec.len() as u64,
        dsize: enc.len() as u64,
        ..Default::default()
    };
    h.encode_into(b"./packed", &mut a).unwrap();
    Security::for_mode(0o100644, None).encode(&mut a);
    a.extend_from_slice(&enc);
    a.resize(record::pad8(a.len() as u64) as usize, 0);
    a.extend_from_slice(&record::end_record());
    for seed in 0..3 {
        let got = read_back(&a, seed);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].4, dec);
    }
    // Damaged packed data is an error naming the data offset, not a panic.
    let mut bad = a.clone();
    let data_at = 72 + 80 + 40; // volume label, header with name, security block
    bad[data_at] = 40; // maxlev out of range
    let mut r = ArchiveReader::new(&bad[..], ReaderOptions::default());
    r.next_record().unwrap();
    r.next_record().unwrap();
    let e = r.read_data(&mut std::io::sink()).unwrap_err();
    assert_eq!(e.offset(), Some(data_at as u64));
}

#[test]
fn writer_packs_like_aix_and_reader_restores() {
    let text: Vec<u8> =
        b"the quick brown fox jumps over the lazy dog\n".iter().copied().cycle().take(40_000).collect();
    let small = b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".repeat(80); // 3,840 bytes: under one block
    let mut sysv = vec![0x1f, 0x1e];
    sysv.extend_from_slice(&text[..10_000]);
    let random: Vec<u8> =
        (0..20_000u32).map(|i| (i.wrapping_mul(2654435761).rotate_left(7) >> 13) as u8).collect();
    let entries = vec![
        file(b"./text", text.clone()),
        file(b"./small", small.clone()),
        file(b"./sysv", sysv.clone()),
        file(b"./random", random.clone()),
        file(b"./excluded.txt", text.clone()),
    ];
    let opts = WriterOptions {
        block_size: 1024,
        pack: true,
        pack_exclude: Some(regex::bytes::Regex::new(r"\.txt$").unwrap()),
        ..Default::default()
    };
    let mut w = ArchiveWriter::new(Vec::new(), opts).unwrap();
    for e in &entries {
        w.write_entry(e).unwrap();
    }
    let (a, s) = w.finish().unwrap();
    assert_eq!(s.packed_files, 1);
    let got = read_back(&a, 7);
    let magic: Vec<(&[u8], u16)> = got.iter().map(|g| (&g.0[..], g.1)).collect();
    assert_eq!(
        magic,
        vec![
            (&b"./text"[..], record::PACKED_MAGIC),
            (b"./small", record::MAGIC),
            (b"./sysv", record::MAGIC),
            (b"./random", record::MAGIC),
            (b"./excluded.txt", record::MAGIC),
        ]
    );
    assert!(got[0].3 < 30_000, "dsize {} should be smaller", got[0].3);
    assert_eq!(got[0].2, 40_000);
    for (g, e) in got.iter().zip(&entries) {
        let EntryData::Bytes(want) = &e.data else { panic!() };
        assert_eq!(&g.4, want, "{}", e.display_name());
    }
    // The packed stream is exactly what the codec produces for that file.
    let packed = altdisk_engine::archive::pack::pack(&text).unwrap();
    assert_eq!(got[0].3, packed.len() as u64);
}
