//! `altdisk bench`: generate a rootvg-like tree, time altdisk against its peers and the floor, check every
//! result's fidelity and write CSV, JSON and SVG reports. All the work is in `altdisk_engine::bench`.

use std::path::PathBuf;

use altdisk_engine::bench::report::{text_table, write_reports};
use altdisk_engine::bench::run::{run_bench, BenchOptions, Scenario, CONTESTANT_NAMES};

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
    /// Threads for the floor copy.
    #[command(flatten)]
    threads: crate::cmd::common::ThreadsArg,
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
    let mut opts = BenchOptions {
        dir: work.path().to_path_buf(),
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
