//! The probe kept as a test (issue 16): a few hundred mutants of a packed by-name archive are listed and
//! extracted; none may panic, write outside the target, or take unbounded memory.

use altdisk_engine::archive::{ArchiveReader, ArchiveWriter, ReaderOptions, WriterOptions};
use altdisk_engine::entry::{Entry, EntryData, Kind, Meta, Timestamp};
use altdisk_engine::pipeline::restore_archive;
use altdisk_engine::select::Selection;
use altdisk_engine::tree::TreeOptions;
use altdisk_engine::NoEvents;

fn meta(mode: u32, size: u64) -> Meta {
    Meta { mode, size, nlink: 1, mtime: Timestamp::from_secs(1_600_000_000), ..Meta::default() }
}

/// A packed archive: directories, compressible files (packed), a symlink and a hard link.
fn packed_archive() -> Vec<u8> {
    let mut w =
        ArchiveWriter::new(Vec::new(), WriterOptions { pack: true, ..WriterOptions::default() }).unwrap();
    let dir = |n: &str| Entry::new(n.as_bytes().to_vec(), Kind::Dir, meta(0o755, 0));
    w.write_entry(&dir("./etc")).unwrap();
    w.write_entry(&dir("./usr")).unwrap();
    for i in 0..12 {
        let body = format!("line {i} of a file that packs well\n").repeat(200 + 50 * i).into_bytes();
        let mut f =
            Entry::new(format!("./usr/f{i:02}").into_bytes(), Kind::File, meta(0o644, body.len() as u64));
        f.data = EntryData::Bytes(body.into());
        w.write_entry(&f).unwrap();
    }
    let mut l = Entry::new(b"./etc/link".to_vec(), Kind::Symlink, meta(0o777, 8));
    l.link_target = Some(b"../usr/f00".to_vec());
    w.write_entry(&l).unwrap();
    let mut h = Entry::new(b"./etc/hard".to_vec(), Kind::HardLink, meta(0o644, 0));
    h.link_target = Some(b"./usr/f01".to_vec());
    w.write_entry(&h).unwrap();
    w.finish().unwrap().0
}

/// splitmix64, so the mutants are the same on every run.
fn next(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn peak_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn three_hundred_mutants_of_a_packed_archive_list_and_extract_safely() {
    let good = packed_archive();
    let t = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x0061_6c74_6469_736b;
    for n in 0u32..300 {
        let mut bad = good.clone();
        // 1 to 8 byte flips, some of them in the headers at the start, and now and then a cut.
        for _ in 0..1 + next(&mut seed) % 8 {
            let at = if next(&mut seed).is_multiple_of(3) {
                next(&mut seed) % 2048
            } else {
                next(&mut seed) % bad.len() as u64
            };
            bad[at as usize] ^= 1 << (next(&mut seed) % 8);
        }
        if n.is_multiple_of(10) {
            bad.truncate((next(&mut seed) % bad.len() as u64) as usize);
        }
        // List.
        let _ = altdisk_engine::archive::fuzz_read_all(&bad);
        // Extract into a sandbox whose parent must stay empty but for it.
        let case = t.path().join(format!("c{n}"));
        let target = case.join("target");
        std::fs::create_dir_all(&target).unwrap();
        let r = ArchiveReader::new(&bad[..], ReaderOptions::default()).skip_damaged_members();
        let opts = TreeOptions { target: target.clone(), threads: 2, ..TreeOptions::default() };
        let _ = restore_archive(r, &Selection::new(vec![], false), &opts, &NoEvents);
        let outside: Vec<_> = std::fs::read_dir(&case).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(outside, vec![std::ffi::OsString::from("target")], "mutant {n} wrote outside its target");
        std::fs::remove_dir_all(&case).unwrap();
    }
    // Bounded memory: the whole run (test harness included) stays far below what an unbounded allocation
    // from a hostile size field would take.
    let peak = peak_rss_kib();
    assert!(peak < 512 * 1024, "peak RSS {peak} KiB");
}
