//! The live-filesystem walker against a plain single-threaded `read_dir` + `symlink_metadata` walk, and the
//! io_uring `IORING_OP_STATX` experiment recorded in `docs/io_uring.md`.
//!
//! The tree (~50k files in ~520 directories) is created once in a temporary directory and walked warm.

use std::ffi::CString;
use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use altdisk_engine::walk::{statx_mask, walk, WalkOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rustix::fs::{AtFlags, Mode, OFlags, CWD};

const TOP: usize = 20;
const SUB: usize = 25;
const FILES: usize = 100;

fn make_tree(root: &Path) -> u64 {
    let mut n = 1;
    for t in 0..TOP {
        for s in 0..SUB {
            let d = root.join(format!("top{t:02}/sub{s:02}"));
            fs::create_dir_all(&d).expect("mkdir");
            for f in 0..FILES {
                fs::write(d.join(format!("file{f:03}")), b"some bytes").expect("write");
            }
            n += 1 + FILES as u64;
        }
        n += 1;
    }
    n
}

fn std_walk(p: &Path) -> u64 {
    let mut n = 0;
    let Ok(rd) = fs::read_dir(p) else { return 0 };
    for e in rd.flatten() {
        let path = e.path();
        if let Ok(md) = fs::symlink_metadata(&path) {
            n += 1;
            if md.is_dir() {
                n += std_walk(&path);
            }
        }
    }
    n
}

fn engine_walk(root: &Path, threads: usize) -> u64 {
    let (tx, rx) = altdisk_engine::pipeline::channel();
    let consumer = std::thread::spawn(move || rx.into_iter().map(|b| b.len() as u64).sum::<u64>());
    let opts = WalkOptions { root: root.to_path_buf(), threads, ..WalkOptions::default() };
    let stats = walk(&opts, None, &altdisk_engine::NoEvents, &tx).expect("walk");
    drop(tx);
    let got = consumer.join().unwrap_or(0);
    assert_eq!(got, stats.entries);
    got
}

/// Every (directory fd, name) of the tree, for the statx-only comparison.
fn collect_names(root: &Path) -> (Vec<OwnedFd>, Vec<(usize, CString)>) {
    let mut dirs = Vec::new();
    let mut names = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let fd =
            rustix::fs::openat(CWD, &d, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty()).expect("open");
        let idx = dirs.len();
        dirs.push(fd);
        for e in fs::read_dir(&d).expect("read_dir").flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(e.path());
            }
            names.push((idx, CString::new(e.file_name().as_bytes()).expect("name")));
        }
    }
    (dirs, names)
}

fn statx_threads(dirs: &[OwnedFd], names: &[(usize, CString)], threads: usize) -> u64 {
    let chunk = names.len().div_ceil(threads);
    std::thread::scope(|s| {
        let hs: Vec<_> = names
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    let mut sz = 0u64;
                    for (d, n) in c {
                        if let Ok(st) =
                            rustix::fs::statx(&dirs[*d], n, AtFlags::SYMLINK_NOFOLLOW, statx_mask())
                        {
                            sz += st.stx_size;
                        }
                    }
                    sz
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    })
}

fn statx_uring(
    ring: &mut io_uring::IoUring,
    dirs: &[OwnedFd],
    names: &[(usize, CString)],
    depth: usize,
) -> u64 {
    // SAFETY: libc::statx is plain old data; all-zero is a valid value.
    let mut bufs: Vec<libc::statx> = vec![unsafe { std::mem::zeroed() }; depth];
    let mut sz = 0u64;
    for batch in names.chunks(depth) {
        {
            let mut sq = ring.submission();
            for (i, (d, n)) in batch.iter().enumerate() {
                let e = io_uring::opcode::Statx::new(
                    io_uring::types::Fd(dirs[*d].as_raw_fd()),
                    n.as_ptr(),
                    (&mut bufs[i] as *mut libc::statx).cast(),
                )
                .flags(libc::AT_SYMLINK_NOFOLLOW)
                .mask(statx_mask().bits())
                .build()
                .user_data(i as u64);
                // SAFETY: the name and buffer outlive the submission: we wait for every completion below.
                unsafe { sq.push(&e) }.expect("queue has room for one batch");
            }
        }
        ring.submit_and_wait(batch.len()).expect("submit");
        for cqe in ring.completion() {
            if cqe.result() >= 0 {
                sz += bufs[cqe.user_data() as usize].stx_size;
            }
        }
    }
    sz
}

fn rusage_cpu() -> Duration {
    // SAFETY: getrusage fills the struct it is given; all-zero is a valid starting value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn cpu_time(iters: u64, mut f: impl FnMut() -> u64) -> Duration {
    let start = rusage_cpu();
    for _ in 0..iters {
        std::hint::black_box(f());
    }
    rusage_cpu() - start
}

fn bench(c: &mut Criterion) {
    // As the binary does: no RCU stalls when the descriptor table would grow under the threads.
    altdisk_engine::fdtable::grow(altdisk_engine::fdtable::SLOTS);
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("tree");
    fs::create_dir(&root).expect("mkdir");
    let entries = make_tree(&root);
    assert_eq!(engine_walk(&root, 2), entries);
    assert_eq!(std_walk(&root) + 1, entries);

    let mut g = c.benchmark_group("walk_50k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(entries));
    g.bench_function("std_read_dir_1_thread", |b| b.iter(|| std_walk(&root)));
    for threads in [1, 2, 4] {
        g.bench_function(format!("altdisk_walk_{threads}_threads"), |b| {
            b.iter(|| engine_walk(&root, threads))
        });
    }
    g.finish();

    // The same walks measured in process CPU time (user + system, all threads): on a machine shared with
    // other jobs, wall time mostly measures the scheduler.
    let mut g = c.benchmark_group("walk_50k_cpu_time");
    g.sample_size(10);
    g.throughput(Throughput::Elements(entries));
    g.bench_function("std_read_dir_1_thread", |b| b.iter_custom(|n| cpu_time(n, || std_walk(&root))));
    for threads in [1, 2] {
        g.bench_function(format!("altdisk_walk_{threads}_threads"), |b| {
            b.iter_custom(|n| cpu_time(n, || engine_walk(&root, threads)))
        });
    }
    g.finish();

    let (dirs, names) = collect_names(&root);
    let mut g = c.benchmark_group("statx_50k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(names.len() as u64));
    for threads in [1, 2] {
        g.bench_function(format!("statx_{threads}_threads"), |b| {
            b.iter(|| statx_threads(&dirs, &names, threads))
        });
    }
    match io_uring::IoUring::new(256) {
        Ok(mut ring) => {
            g.bench_function("io_uring_statx_depth_256", |b| {
                b.iter(|| statx_uring(&mut ring, &dirs, &names, 256))
            });
        }
        Err(e) => eprintln!("io_uring unavailable here: {e}"),
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
