//! One thread default for every stage: the walker, the tree writer, the alt_disk_* mover and the benchmark all
//! start from `threads::default_threads()` (one per CPU, 2 when unknown, at most 1024).

use altdisk_engine::altdisk::mover::PipelineMover;
use altdisk_engine::bench::BenchOptions;
use altdisk_engine::threads::{default_threads, or_default, MAX_THREADS};
use altdisk_engine::tree::TreeOptions;
use altdisk_engine::walk::WalkOptions;

#[test]
fn one_default_for_every_stage() {
    let d = default_threads();
    assert!((1..=MAX_THREADS).contains(&d));
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get()).min(MAX_THREADS);
    assert_eq!(d, cpus);
    assert_eq!(or_default(0), d);
    assert_eq!(or_default(3), 3);
    assert_eq!(or_default(usize::MAX), MAX_THREADS);
    assert_eq!(TreeOptions::default().threads, d);
    assert_eq!(PipelineMover::default().threads, d);
    assert_eq!(BenchOptions::default().threads, d);
    assert_eq!(WalkOptions::new("/").threads, d);
    assert_eq!(WalkOptions::new("/").threads(0).threads, d);
    assert_eq!(WalkOptions::new("/").threads(5).threads, 5);
}
