//! The tree writer on many small files from memory: files per second, the number `restore -x` and the
//! clone of a root filesystem (mostly small files) live by.

use altdisk_engine::tree::{write_tree, TreeOptions};
use altdisk_engine::{Entry, EntryData, Kind, Meta, NoEvents, Timestamp};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const FILES: usize = 20_000;
const PER_DIR: usize = 200;

fn entries() -> Vec<Entry> {
    let meta = |mode| Meta {
        mode,
        uid: rustix::process::geteuid().as_raw(),
        gid: rustix::process::getegid().as_raw(),
        nlink: 1,
        mtime: Timestamp { sec: 1_600_000_000, nsec: 5 },
        atime: Timestamp { sec: 1_600_000_000, nsec: 5 },
        ..Meta::default()
    };
    let mut v = Vec::with_capacity(FILES + FILES / PER_DIR);
    for i in 0..FILES {
        if i % PER_DIR == 0 {
            v.push(Entry::new(format!("./d{}", i / PER_DIR).into_bytes(), Kind::Dir, meta(0o755)));
        }
        let data = vec![(i % 251) as u8 + 1; 1024 + (i % 7) * 512];
        let mut m = meta(0o644);
        m.size = data.len() as u64;
        let mut e = Entry::new(format!("./d{}/f{i}", i / PER_DIR).into_bytes(), Kind::File, m);
        e.data = EntryData::Bytes(data);
        v.push(e);
    }
    v
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tree");
    g.sample_size(10);
    g.throughput(Throughput::Elements(FILES as u64));
    g.bench_function("write_20k_small_files", |b| {
        b.iter_batched(
            || (tempfile::tempdir().expect("tempdir"), entries()),
            |(dir, ents)| {
                let (tx, rx) = crossbeam_channel::bounded(1024);
                let feeder = std::thread::spawn(move || {
                    for e in ents {
                        if tx.send(e).is_err() {
                            break;
                        }
                    }
                });
                let opts = TreeOptions { target: dir.path().join("t"), ..TreeOptions::default() };
                let st = write_tree(&opts, rx, &NoEvents).expect("write_tree");
                assert_eq!(st.files, FILES as u64);
                let _ = feeder.join();
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
