//! By-name archive speed: header encode/decode with checksum, `restore -T`-style scan of a ~20,000-entry
//! in-memory archive, and the writer into memory. Targets: scan >= 1.5 GB/s, writer >= 1 GB/s.
//!
//! `archive_file`: the same scan from a file (page cache warm), read the three ways a reader could take it:
//! plain `read(2)` on the file as `restore -f` does, through a 1 MiB `BufReader` as `verify --archive` does,
//! and from a `memmap2` mapping. `docs/parallelism.md` says what was kept and why.

use altdisk_engine::archive::record::{self, NameHeader};
use altdisk_engine::archive::{ArchiveReader, ArchiveWriter, ReaderOptions, Record, WriterOptions};
use altdisk_engine::{Entry, EntryData, Kind, Meta, Timestamp};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};

fn entries(n: usize) -> Vec<Entry> {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
    let t = Timestamp::from_secs(1_700_000_000);
    (0..n)
        .map(|i| {
            let meta =
                |mode, size| Meta { mode, size, nlink: 1, atime: t, mtime: t, ctime: t, ..Meta::default() };
            if i % 10 == 0 {
                Entry::new(format!("./usr/share/dir{i:06}").into_bytes(), Kind::Dir, meta(0o755, 4096))
            } else {
                // Sizes like a system image: mostly small, some large (mean ~12 KiB).
                let size =
                    if rng.gen_bool(0.05) { rng.gen_range(64_000..256_000) } else { rng.gen_range(0..6_000) };
                let mut e = Entry::new(
                    format!("./usr/share/dir{:06}/file-{i:06}.dat", i / 10 * 10).into_bytes(),
                    Kind::File,
                    meta(0o644, size as u64),
                );
                e.data = EntryData::Bytes(vec![(i % 251) as u8; size].into());
                e
            }
        })
        .collect()
}

fn write_all<W: std::io::Write>(es: &[Entry], out: W) -> W {
    let mut w = ArchiveWriter::new(out, WriterOptions::default()).unwrap();
    for e in es {
        w.write_entry(e).unwrap();
    }
    w.finish().unwrap().0
}

fn bench(c: &mut Criterion) {
    let h = NameHeader {
        rtype: record::FS_NAME_X,
        magic: record::MAGIC,
        nlink: 1,
        mode: 0o100644,
        size: 1234,
        dsize: 1234,
        ..Default::default()
    };
    let name = b"./usr/lib/libc.a.some.long.name/for/realism";
    let mut buf = Vec::with_capacity(256);
    let mut g = c.benchmark_group("archive_header");
    g.bench_function("encode_with_checksum", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&h).encode_into(black_box(name), &mut buf).unwrap();
        })
    });
    buf.clear();
    h.encode_into(name, &mut buf).unwrap();
    g.bench_function("decode_with_checksum", |b| {
        b.iter(|| {
            let hb = black_box(&buf[..]);
            assert_eq!(record::checksum(hb), record::stored_checksum(hb));
            black_box(NameHeader::decode(hb).unwrap());
        })
    });
    g.finish();

    let es = entries(20_000);
    let archive = write_all(&es, Vec::new());
    let mut g = c.benchmark_group("archive");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(archive.len() as u64));
    g.bench_function("scan_20k_entries", |b| {
        b.iter(|| {
            let mut r = ArchiveReader::new(&archive[..], ReaderOptions::default());
            let mut n = 0u64;
            while let Some(rec) = r.next_record().unwrap() {
                if let Record::Entry(e) = rec {
                    n += e.size();
                }
            }
            black_box(n)
        })
    });
    // Into one reused buffer, so the number is the writer's and not the page faults of a fresh allocation.
    let mut sink = Vec::with_capacity(archive.len());
    g.bench_function("write_20k_entries_to_memory", |b| {
        b.iter(|| {
            sink.clear();
            black_box(write_all(&es, &mut sink).len())
        })
    });
    g.finish();

    // The same archive as a file, scanned three ways.
    let dir = std::path::Path::new("/dev/shm");
    let tmp = if dir.is_dir() { tempfile::tempdir_in(dir) } else { tempfile::tempdir() }.unwrap();
    let path = tmp.path().join("a.bff");
    std::fs::write(&path, &archive).unwrap();
    fn scan<R: std::io::Read>(r: R) -> u64 {
        let mut r = ArchiveReader::new(r, ReaderOptions::default());
        let mut n = 0u64;
        while let Some(rec) = r.next_record().unwrap() {
            if let Record::Entry(e) = rec {
                n += e.size();
            }
        }
        n
    }
    let mut g = c.benchmark_group("archive_file");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(archive.len() as u64));
    g.bench_function("scan_read", |b| b.iter(|| black_box(scan(std::fs::File::open(&path).unwrap()))));
    g.bench_function("scan_bufreader_1m", |b| {
        b.iter(|| {
            black_box(scan(std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).unwrap())))
        })
    });
    g.bench_function("scan_mmap", |b| {
        b.iter(|| {
            let f = std::fs::File::open(&path).unwrap();
            // SAFETY: the file is this benchmark's own and nothing truncates it while it is mapped.
            let m = unsafe { memmap2::Mmap::map(&f) }.unwrap();
            let _ = m.advise(memmap2::Advice::Sequential);
            black_box(scan(std::io::Cursor::new(&m[..])))
        })
    });
    g.bench_function("scan_mmap_populate", |b| {
        b.iter(|| {
            let f = std::fs::File::open(&path).unwrap();
            // SAFETY: as above.
            let m = unsafe { memmap2::MmapOptions::new().populate().map(&f) }.unwrap();
            black_box(scan(std::io::Cursor::new(&m[..])))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
