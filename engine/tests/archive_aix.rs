//! The real AIX-written archive `testdata/aix/test.bff`: exact listing and contents.

use altdisk_engine::archive::{ArchiveReader, ReaderOptions, Record};
use altdisk_engine::{EntryData, Kind};

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/aix/test.bff")).unwrap()
}

#[test]
fn aix_test_bff_lists_exact_entries_and_contents() {
    let data = fixture();
    let mut r = ArchiveReader::new(&data[..], ReaderOptions::default());
    let Some(Record::Volume(v)) = r.next_record().unwrap() else { panic!("no volume header") };
    assert_eq!((v.volnum, v.date, v.dumpdate, v.numwds, v.incno), (1, 1716804274, 1716804274, i32::MAX, 100));
    assert_eq!(v.user_name(), b"root");
    let mut got = Vec::new();
    loop {
        match r.next_record().unwrap() {
            Some(Record::Entry(e)) => {
                let mut d = Vec::new();
                r.read_data(&mut d).unwrap();
                let h = &e.header;
                got.push((
                    String::from_utf8(e.name.clone()).unwrap(),
                    h.size,
                    h.mode,
                    h.uid,
                    h.gid,
                    h.mtime,
                    h.nlink,
                    e.offset,
                    d,
                ));
            }
            Some(Record::End) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    type Row = (String, u64, u32, u32, u32, i32, u16, u64, Vec<u8>);
    let want: Vec<Row> = vec![
        ("backup".into(), 0, 0x141ED, 388113, 21803, 1716803986, 3, 72, vec![]),
        ("backup/file.txt".into(), 3, 0o100644, 388113, 21803, 1716803944, 1, 184, b"abc".to_vec()),
        ("backup/folder".into(), 0, 0x141ED, 388113, 21803, 1716803992, 2, 312, vec![]),
        (
            "backup/folder/file_in_folder.txt".into(),
            3,
            0o100644,
            388113,
            21803,
            1716804004,
            1,
            432,
            b"xyz".to_vec(),
        ),
    ];
    assert_eq!(got, want);
    // FS_END at 584; nothing after it is parsed.
    assert_eq!(r.offset(), 592);
    assert!(r.next_record().unwrap().is_none());
    assert_eq!(r.stats().records, 6);
}

#[test]
fn aix_test_bff_as_engine_entries() {
    let data = fixture();
    let mut r = ArchiveReader::new(&data[..], ReaderOptions::default());
    let mut out = Vec::new();
    while let Some(e) = r.next_entry().unwrap() {
        let bytes = match &e.data {
            EntryData::Bytes(b) => b.to_vec(),
            EntryData::None => Vec::new(),
            other => panic!("unexpected data {other:?}"),
        };
        out.push((e.display_name().into_owned(), e.kind, e.meta.mode, e.meta.mtime.sec, bytes));
    }
    assert_eq!(
        out,
        vec![
            ("backup".to_string(), Kind::Dir, 0o755, 1716803986, vec![]),
            ("backup/file.txt".to_string(), Kind::File, 0o644, 1716803944, b"abc".to_vec()),
            ("backup/folder".to_string(), Kind::Dir, 0o755, 1716803992, vec![]),
            ("backup/folder/file_in_folder.txt".to_string(), Kind::File, 0o644, 1716804004, b"xyz".to_vec()),
        ]
    );
}
