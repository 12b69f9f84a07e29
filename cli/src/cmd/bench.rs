//! `altdisk bench`: generate a rootvg-like tree, time altdisk against its peers and the floor, check every
//! result's fidelity and write CSV, JSON and SVG reports. All the work is in `altdisk_engine::bench`.

use std::path::PathBuf;

use altdisk_engine::bench::loopfs::{FsKind, LoopFs};
use altdisk_engine::bench::report::{text_table, write_reports};
use altdisk_engine::bench::run::{drop_caches, run_bench, BenchOptions, Scenario, CONTESTANT_NAMES};
use altdisk_engine::threads::MAX_THREADS;

/// Clone/backup/restore speed benchmark against cp -a, tar, rsync and the syscall floor.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Regular files in the generated tree.
    #[arg(long, default_value_t = 80_000)]
    files: usize,
    /// Where to create the trees (its filesystem is the one measured); default a temporary directory.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Measured runs per contestant, after one warm-up run.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Threads for the floor copy and altdisk clone (default: altdisk chooses, the floor one per CPU).
    #[command(flatten)]
    threads: crate::cmd::common::ThreadsArg,
    /// Cold caches: sync and drop the page cache before every run (root only); the floor then runs at
    /// 2, 8, 16 and 32 threads and the best is the reference.
    #[arg(long)]
    cold: bool,
    /// The floor's thread counts, comma-separated, each a contestant (default 2,8,16,32 with --cold).
    #[arg(long, value_delimiter = ',', value_name = "N,N...")]
    floor_threads: Vec<usize>,
    /// Measure on a fresh loop-mounted filesystem (ext4 or xfs with reflinks) made under --dir, removed
    /// afterwards (root only).
    #[arg(long, value_name = "ext4|xfs", conflicts_with = "keep")]
    fs: Option<String>,
    /// Which scenario: clone, backup, restore, backup-zstd, restore-zstd or all.
    #[arg(long, default_value = "all")]
    scenario: String,
    /// Only these contestants, comma-separated (altdisk, "cp -a", "tar c | tar x", rsync -aHAX, floor,
    /// tar -cf, tar -xf, "tar -cf - | zstd -3 -T2", "zstd -dc | tar -xf -"); default all installed.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Seed of the generated tree.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the CSV, JSON and SVG reports go.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,
    /// Keep the work directory (the generated tree) afterwards.
    #[arg(long)]
    keep: bool,
    /// Print progress lines on standard error.
    #[arg(short, long)]
    verbose: bool,
}

/// Progress to standard error.
/// Runs `altdisk bench`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let scenarios = match a.scenario.as_str() {
        "all" => Scenario::ALL.to_vec(),
        s => match Scenario::parse(s) {
            Some(x) => vec![x],
            None => {
                return crate::exit::usage(format!(
                    "unknown scenario '{s}' (clone, backup, restore, backup-zstd, restore-zstd or all)"
                ))
            }
        },
    };
    if a.runs == 0 {
        return crate::exit::usage("--runs must be at least 1");
    }
    if a.files == 0 {
        return crate::exit::usage("--files must be at least 1");
    }
    let root = rustix::process::geteuid().is_root();
    if a.cold && !root {
        return crate::exit::usage(
            "--cold drops the page cache before every run, which needs root: run it as root, or without --cold",
        );
    }
    if a.cold {
        if let Err(e) = drop_caches() {
            return crate::exit::usage(format!("--cold: cannot drop the page cache: {e}"));
        }
    }
    let fs_kind = match a.fs.as_deref() {
        None => None,
        Some(s) => match FsKind::parse(s) {
            Some(k) => Some(k),
            None => return crate::exit::usage(format!("unknown --fs '{s}' (ext4 or xfs)")),
        },
    };
    if fs_kind.is_some() && !root {
        return crate::exit::usage(
            "--fs makes and mounts a loop filesystem, which needs root: run it as root",
        );
    }
    if let Some(bad) = a.floor_threads.iter().find(|&&n| n == 0 || n > MAX_THREADS) {
        return crate::exit::usage(format!(
            "--floor-threads: {bad} is not a thread count (1 to {MAX_THREADS})"
        ));
    }
    if let Some(bad) = a.only.iter().find(|n| !CONTESTANT_NAMES.contains(&n.as_str())) {
        return crate::exit::usage(format!(
            "unknown contestant '{bad}' (one of: {})",
            CONTESTANT_NAMES.join(", ")
        ));
    }
    // A fresh directory inside --dir (or the temp dir) so nothing of the user's is ever removed.
    let parent = a.dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&parent)?;
    let work = tempfile::Builder::new().prefix("altdisk-bench-").tempdir_in(&parent)?;
    // Declared after `work`, so it is unmounted before `work` is removed.
    let loopfs = match fs_kind {
        // Room for the tree, a copy, a kept archive per restore contestant and the fidelity unpack.
        Some(k) => {
            Some(LoopFs::create(work.path(), k, (a.files as u64 * (128 << 10)).max(1 << 30) + (1 << 30))?)
        }
        None => None,
    };
    let dir = match &loopfs {
        Some(l) => l.path().join("bench"),
        None => work.path().to_path_buf(),
    };
    let floor_threads = match (a.floor_threads.is_empty(), a.cold) {
        (false, _) => a.floor_threads.clone(),
        (true, true) => vec![2, 8, 16, 32],
        (true, false) => Vec::new(),
    };
    let mut opts = BenchOptions {
        dir,
        cold: a.cold,
        floor_threads,
        altdisk_default_threads: a.threads.given().is_none(),
        files: a.files,
        seed: a.seed,
        runs: a.runs,
        scenarios,
        altdisk: std::env::current_exe().ok(),
        only: a.only.clone(),
        ..BenchOptions::default()
    };
    opts.threads = a.threads.get();
    let results = run_bench(&opts, &crate::render::Lines::tool("bench").with_messages(a.verbose))?;
    let files = write_reports(&results, &a.out)?;
    use crate::render::json::{print, result};
    print(&format!("{}\n", text_table(&results)));
    for f in &files {
        print(&format!("wrote {}\n", f.display()));
    }
    result("reports", serde_json::json!(files));
    if a.keep {
        let kept = work.keep();
        print(&format!("kept the work directory {}\n", kept.display()));
        result("work_dir", serde_json::json!(kept));
    }
    Ok(crate::exit::OK)
}
