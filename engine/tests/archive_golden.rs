//! The golden example of spec §11: `./d`, `./d/f`, `./d/l` at t = 1700000000, written with 512-byte blocks.

use altdisk_engine::archive::{ArchiveWriter, WriterOptions};
use altdisk_engine::{Entry, EntryData, Kind, Meta, Timestamp};

pub fn golden_archive() -> Vec<u8> {
    let t = Timestamp::from_secs(1_700_000_000);
    let meta =
        |mode: u32, size: u64| Meta { mode, size, nlink: 1, atime: t, mtime: t, ctime: t, ..Meta::default() };
    let d = Entry::new(&b"./d"[..], Kind::Dir, meta(0o755, 256));
    let mut f = Entry::new(&b"./d/f"[..], Kind::File, meta(0o644, 6));
    f.data = EntryData::Bytes(b"hello\n".to_vec().into());
    let mut l = Entry::new(&b"./d/l"[..], Kind::Symlink, meta(0o777, 1));
    l.link_target = Some(b"f".to_vec());
    let opts =
        WriterOptions { block_size: 512, date: 1_700_000_000, user: b"root".to_vec(), ..Default::default() };
    let mut w = ArchiveWriter::new(Vec::new(), opts).unwrap();
    for e in [&d, &f, &l] {
        w.write_entry(e).unwrap();
    }
    let (out, summary) = w.finish().unwrap();
    assert_eq!(summary.entries, 3);
    assert_eq!(summary.archive_bytes, 512);
    out
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn writer_reproduces_spec_golden_bytes() {
    let a = golden_archive();
    assert_eq!(a.len(), 512);
    // Volume label.
    assert_eq!(a[0..20], hex("0900 6bea c8d7 0100 00f1 5365 00f1 5365 ffff ff7f")[..]);
    assert_eq!(&a[20..28], b"by name\0");
    assert_eq!(&a[52..57], b"root\0");
    assert_eq!(a[68..72], hex("6400 0000")[..]);
    // ./d
    assert_eq!(a[0x48..0x58], hex("090b 6bea 1e82 0100 0000 0000 ed41 0000")[..]);
    assert_eq!(a[0x80..0x90], hex("0001 0000 0000 0000 2e2f 6400 0000 0000")[..]);
    assert_eq!(
        a[0x90..0xb8],
        hex("0200 0000 0200 0000 1000 0000 0000 0000 0000 0700 0500 0500 1000 0000 ed41 0000 0000 0000 0000 0000")[..]
    );
    // ./d/f
    assert_eq!(a[0xb8..0xbe], hex("090b 6bea 3ca3")[..]);
    assert_eq!(a[0x128..0x130], hex("6865 6c6c 6f0a 0000")[..]);
    // ./d/l
    assert_eq!(a[0x130..0x140], hex("090b 6bea 0003 0100 0000 0000 ffa1 0000")[..]);
    assert_eq!(a[0x170..0x180], hex("2e2f 642f 6c00 0000 6600 0000 0000 0000")[..]);
    // FS_END, then zeros to 512.
    assert_eq!(a[0x180..0x188], hex("0107 6bea 820a 0000")[..]);
    assert!(a[0x188..].iter().all(|&b| b == 0));
}

#[test]
fn fuzz_corpus_holds_the_golden_archive() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/archive_reader/golden.bff");
    if std::env::var_os("ALTDISK_BLESS").is_some() {
        std::fs::write(path, golden_archive()).unwrap();
    }
    assert_eq!(std::fs::read(path).unwrap(), golden_archive(), "regenerate with ALTDISK_BLESS=1");
}
