//! Applying a 5,000-file installp image into a tree against `restore -x` of the same image into the same
//! kind of fresh tree (issue 10: apply within 1.2x the time of restore). Both go through the same archive
//! reader and tree writer; apply adds the image's control data, the apply-list filter and the inventory.
//!
//! The image is built once with mkinstallp from a build root of 50 directories x 100 files of 2 KiB.

use std::fs::File;
use std::path::Path;

use altdisk_engine::archive::reader::{ArchiveReader, ReaderOptions};
use altdisk_engine::installp::apply::{self, Flags, Request, StatvfsSpace};
use altdisk_engine::installp::mkinstallp::mkinstallp;
use altdisk_engine::installp::resolve::Wanted;
use altdisk_engine::select::Selection;
use altdisk_engine::tree::TreeOptions;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const DIRS: usize = 50;
const FILES: usize = 100;

fn build_image(work: &Path) -> std::path::PathBuf {
    let root = work.join("build");
    let mut list = String::new();
    let data = vec![b'x'; 2048];
    for d in 0..DIRS {
        let dir = format!("/usr/share/bench/d{d:02}");
        std::fs::create_dir_all(root.join(&dir[1..])).expect("mkdir");
        list.push_str(&format!("    {dir}\n"));
        for f in 0..FILES {
            let p = format!("{dir}/f{f:03}");
            std::fs::write(root.join(&p[1..]), &data).expect("write");
            list.push_str(&format!("    {p}\n"));
        }
    }
    let t = work.join("bench.template");
    std::fs::write(
        &t,
        format!(
            "Package Name: bench.data\nPackage VRMF: 1.0.0.0\nUpdate: N\nFileset\n  Fileset Name: bench.data.rte\n  \
             Fileset VRMF: 1.0.0.0\n  Fileset Description: Bench data\n  USRFiles\n{list}  EOUSRFiles\n  \
             ROOT Part: N\nEOFileset\n"
        ),
    )
    .expect("template");
    mkinstallp(&root, &t).expect("mkinstallp").image
}

fn apply_into(image: &Path, t: &Path) {
    let req = Request {
        location: image.to_path_buf(),
        wanted: vec![Wanted::name("bench.data.rte")],
        flags: Flags::parse("ac").expect("flags"),
        time: 0,
    };
    let mut space = StatvfsSpace { root: t.to_path_buf() };
    apply::install(t, &req, &mut space, &altdisk_engine::NoEvents).expect("install");
}

fn restore_into(image: &Path, t: &Path) {
    let r = ArchiveReader::new(File::open(image).expect("open"), ReaderOptions::default());
    let opts = TreeOptions { target: t.to_path_buf(), overwrite: true, ..TreeOptions::default() };
    altdisk_engine::pipeline::restore_archive(
        r,
        &Selection::new(vec![], false),
        &opts,
        &altdisk_engine::NoEvents,
    )
    .expect("restore");
}

/// `ALTDISK_BENCH_INTERLEAVE=N`: N rounds of one apply then one restore, each into a fresh directory, and
/// the minimum and median of each with their ratios. On a shared machine the load changes between
/// criterion's two back-to-back measurements; alternating puts both under the same load, and the minimum is
/// what the code costs when nothing else runs.
fn interleaved(work: &Path, image: &Path, rounds: usize) {
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        for (i, run) in [apply_into as fn(&Path, &Path), restore_into].into_iter().enumerate() {
            let t = tempfile::tempdir_in(work).expect("target");
            let start = std::time::Instant::now();
            run(image, t.path());
            times[i].push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    for v in &mut times {
        v.sort_by(f64::total_cmp);
    }
    let min = |v: &Vec<f64>| v[0];
    let med = |v: &Vec<f64>| v[v.len() / 2];
    let [a, r] = &times;
    println!(
        "installp_5000_files interleaved x{rounds}: apply min {:.1} ms median {:.1} ms; restore -x min {:.1} ms \
         median {:.1} ms; ratio min {:.2} median {:.2}",
        min(a),
        med(a),
        min(r),
        med(r),
        min(a) / min(r),
        med(a) / med(r)
    );
}

fn bench(c: &mut Criterion) {
    altdisk_engine::fdtable::grow(altdisk_engine::fdtable::SLOTS);
    // tmpfs when there is one: on the root disk (ext4 without a journal) every create after a mass delete
    // scans the recently deleted inodes, and each iteration deletes the last one's 5,000 files.
    let base = if Path::new("/dev/shm").is_dir() { Path::new("/dev/shm") } else { Path::new("/tmp") };
    let work = tempfile::tempdir_in(base).expect("tempdir");
    let image = build_image(work.path());
    if let Some(n) = std::env::var("ALTDISK_BENCH_INTERLEAVE").ok().and_then(|v| v.parse().ok()) {
        interleaved(work.path(), &image, std::cmp::max(n, 1));
        return;
    }
    let mut g = c.benchmark_group("installp_5000_files");
    g.sample_size(10);
    g.throughput(Throughput::Elements((DIRS * (FILES + 1)) as u64));
    g.bench_function("installp_apply", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(work.path()).expect("target"),
            |t| {
                apply_into(&image, t.path());
                t
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("restore_x", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(work.path()).expect("target"),
            |t| {
                restore_into(&image, t.path());
                t
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
