//! The tree writer on many small files from memory: files per second, the number `restore -x` and the
//! clone of a root filesystem (mostly small files) live by.

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use altdisk_engine::entry::SourceFile;
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
        e.data = EntryData::Bytes(data.into());
        v.push(e);
    }
    v
}

/// A source tree like the one `entries` describes, on disk.
fn make_source(root: &Path) {
    for i in 0..FILES {
        let d = root.join(format!("d{}", i / PER_DIR));
        if i % PER_DIR == 0 {
            std::fs::create_dir_all(&d).expect("mkdir");
        }
        std::fs::write(d.join(format!("f{i}")), vec![(i % 251) as u8 + 1; 1024 + (i % 7) * 512])
            .expect("write");
    }
}

/// Entries for a live source tree, as the walker hands them over (metadata from lstat, data by dir fd + name).
fn source_entries(root: &Path) -> Vec<Entry> {
    let meta_of = |md: &std::fs::Metadata| Meta {
        mode: md.mode() & 0o7777,
        uid: md.uid(),
        gid: md.gid(),
        atime: Timestamp { sec: md.atime(), nsec: md.atime_nsec() as u32 },
        mtime: Timestamp { sec: md.mtime(), nsec: md.mtime_nsec() as u32 },
        size: md.size(),
        nlink: md.nlink() as u32,
        ..Meta::default()
    };
    let mut v = Vec::new();
    let mut dirs: Vec<_> =
        std::fs::read_dir(root).expect("readdir").map(|d| d.expect("dirent").file_name()).collect();
    dirs.sort();
    for d in dirs {
        let dp = root.join(&d);
        let name = format!("./{}", d.to_string_lossy());
        v.push(Entry::new(
            name.clone().into_bytes(),
            Kind::Dir,
            meta_of(&std::fs::symlink_metadata(&dp).expect("lstat")),
        ));
        let fd = Arc::new(
            rustix::fs::open(
                &dp,
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY,
                rustix::fs::Mode::empty(),
            )
            .expect("open dir"),
        );
        for f in std::fs::read_dir(&dp).expect("readdir") {
            let f = f.expect("dirent").file_name();
            let md = std::fs::symlink_metadata(dp.join(&f)).expect("lstat");
            let mut e =
                Entry::new(format!("{name}/{}", f.to_string_lossy()).into_bytes(), Kind::File, meta_of(&md));
            e.data = EntryData::Source(SourceFile {
                dir: fd.clone(),
                name: CString::new(f.to_string_lossy().as_bytes()).expect("name"),
                path: dp.join(&f),
                open: None,
            });
            v.push(e);
        }
    }
    v
}

fn run(target: &Path, ents: Vec<Entry>) {
    let (tx, rx) = altdisk_engine::pipeline::channel();
    let feeder = std::thread::spawn(move || {
        let mut out = altdisk_engine::pipeline::Batcher::new(&tx);
        for e in ents {
            if out.push(e).is_err() {
                break;
            }
        }
    });
    let opts = TreeOptions { target: target.to_path_buf(), ..TreeOptions::default() };
    let st = write_tree(&opts, rx, &NoEvents).expect("write_tree");
    assert_eq!(st.files, FILES as u64);
    let _ = feeder.join();
}

fn bench(c: &mut Criterion) {
    // As the binary does: no RCU stalls when the descriptor table would grow under the threads.
    altdisk_engine::fdtable::grow(altdisk_engine::fdtable::SLOTS);
    let mut g = c.benchmark_group("tree");
    g.sample_size(10);
    g.throughput(Throughput::Elements(FILES as u64));
    g.bench_function("write_20k_small_files", |b| {
        b.iter_batched(
            || (tempfile::tempdir().expect("tempdir"), entries()),
            |(dir, ents)| {
                run(&dir.path().join("t"), ents);
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    // The clone case: copy_file_range from a live tree, full metadata (compare with `floor copycfr`).
    let src = tempfile::tempdir().expect("tempdir");
    make_source(src.path());
    g.bench_function("clone_20k_small_files_from_source", |b| {
        b.iter_batched(
            || (tempfile::tempdir().expect("tempdir"), source_entries(src.path())),
            |(dir, ents)| {
                run(&dir.path().join("t"), ents);
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
