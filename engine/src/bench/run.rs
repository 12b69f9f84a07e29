//! The runner: contestants per scenario, run interleaved after a warm-up round, checked for fidelity.
//!
//! A contestant is an external command (with `{src}`, `{dst}` and `{archive}` placeholders) or the
//! in-process [`floor_copy`]. Every round runs each contestant once, in an order rotated each round so none
//! always runs right after the same neighbour; round 0 is the warm-up, is not timed in the results, and its
//! output is the one checked for fidelity. Outputs are removed between runs, untimed. A warm run calls no
//! `sync`; a cold one ([`BenchOptions::cold`]) syncs and drops the page cache before every run, untimed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::compare::{compare_trees, summarize, CompareOptions, Difference};
use super::floor::floor_copy;
use super::gen::{generate_tree, GenStats};
use crate::events::{Event, Events};
use crate::Result;

/// What is being timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// Tree to tree.
    Clone,
    /// Tree to archive file.
    Backup,
    /// Archive file to tree.
    Restore,
    /// Tree to zstd-compressed archive (`backup -Z` against `tar -cf - | zstd -3 -T2`).
    #[serde(rename = "backup-zstd")]
    BackupZstd,
    /// zstd-compressed archive to tree (`restore -x` against `zstd -dc | tar -xf -`).
    #[serde(rename = "restore-zstd")]
    RestoreZstd,
}

impl Scenario {
    /// All scenarios, in report order.
    pub const ALL: [Scenario; 5] =
        [Scenario::Clone, Scenario::Backup, Scenario::Restore, Scenario::BackupZstd, Scenario::RestoreZstd];

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Clone => "clone",
            Scenario::Backup => "backup",
            Scenario::Restore => "restore",
            Scenario::BackupZstd => "backup-zstd",
            Scenario::RestoreZstd => "restore-zstd",
        }
    }

    /// True for the scenarios whose timed step writes an archive (its size is recorded, its contents
    /// unpacked for the fidelity check).
    pub fn writes_archive(self) -> bool {
        matches!(self, Scenario::Backup | Scenario::BackupZstd)
    }

    /// True for the scenarios whose timed step reads an archive made beforehand (kept between runs).
    pub fn reads_archive(self) -> bool {
        matches!(self, Scenario::Restore | Scenario::RestoreZstd)
    }

    /// Parses a lower-case name.
    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// How a contestant does its job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Runs `program args...`, `{src}`, `{dst}`, `{archive}` in the arguments replaced by the paths.
    Command {
        /// The program (found on `PATH` if not a path).
        program: PathBuf,
        /// Its arguments, with placeholders.
        args: Vec<String>,
    },
    /// [`floor_copy`] from `{src}` to `{dst}` in this process.
    Floor {
        /// Worker threads.
        threads: usize,
    },
}

impl Action {
    /// A command action from a program and literal arguments.
    pub fn cmd(program: impl Into<PathBuf>, args: &[&str]) -> Action {
        Action::Command { program: program.into(), args: args.iter().map(|s| s.to_string()).collect() }
    }

    /// The action as a shell-like line, for reports.
    pub fn display(&self) -> String {
        match self {
            Action::Command { program, args } => {
                let mut s = program.display().to_string();
                for a in args {
                    s.push(' ');
                    if a.contains(' ') {
                        s.push_str(&format!("'{a}'"));
                    } else {
                        s.push_str(a);
                    }
                }
                s
            }
            Action::Floor { threads } => format!("floor_copy {{src}} {{dst}} ({threads} threads)"),
        }
    }

    fn run(&self, p: &Paths) -> std::result::Result<(), String> {
        match self {
            Action::Command { program, args } => {
                let args: Vec<String> = args.iter().map(|a| p.fill(a)).collect();
                let out = Command::new(program)
                    .args(&args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .output()
                    .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
                if out.status.success() {
                    Ok(())
                } else {
                    let err = String::from_utf8_lossy(&out.stderr);
                    // The first line usually says what went wrong, the last one where it ended.
                    let lines: Vec<&str> = err.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                    let mut why: Vec<&str> = lines.iter().take(1).copied().collect();
                    if lines.len() > 1 {
                        why.extend(lines.last().copied());
                    }
                    Err(format!("{}: {}", out.status, why.join(" ... ")))
                }
            }
            Action::Floor { threads } => {
                floor_copy(&p.src, &p.dst, *threads).map(|_| ()).map_err(|e| e.to_string())
            }
        }
    }
}

/// One contestant of a scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contestant {
    /// Short name for tables ("cp -a", "altdisk", "floor").
    pub name: String,
    /// The timed action.
    pub action: Action,
    /// Untimed, once before the scenario: makes the `{archive}` a restore reads.
    pub prepare: Option<Action>,
    /// Untimed, for the fidelity check of a backup: unpacks the `{archive}` it wrote into `{dst}`.
    pub unpack: Option<Action>,
    /// `{dst}` is created (empty) before each run, for tools that extract into an existing directory.
    pub dst_exists: bool,
    /// The peer is altdisk itself (ratios are computed against it).
    pub is_altdisk: bool,
    /// The floor (ratios to the floor are computed against it).
    pub is_floor: bool,
}

impl Contestant {
    fn new(name: &str, action: Action) -> Contestant {
        Contestant {
            name: name.to_string(),
            action,
            prepare: None,
            unpack: None,
            dst_exists: false,
            is_altdisk: false,
            is_floor: false,
        }
    }
}

/// The names [`default_contestants`] uses, for validating a user's selection.
pub const CONTESTANT_NAMES: &[&str] = &[
    "altdisk",
    "cp -a",
    "tar c | tar x",
    "rsync -aHAX",
    "floor",
    "tar -cf",
    "tar -xf",
    ZSTD_BACKUP_PEER,
    ZSTD_RESTORE_PEER,
    CP_NO_REFLINK,
];

/// The clone peer on a filesystem with reflinks (xfs, btrfs), where GNU `cp -a` itself shares extents.
pub const CP_NO_REFLINK: &str = "cp -a --reflink=never";

/// The peer of the zstd backup scenario.
pub const ZSTD_BACKUP_PEER: &str = "tar -cf - | zstd -3 -T2";
/// The peer of the zstd restore scenario.
pub const ZSTD_RESTORE_PEER: &str = "zstd -dc | tar -xf -";
/// Compression workers for both sides of the zstd scenarios (the peer's `-T2`).
const ZSTD_THREADS: &str = "2";

/// True when `prog` is an executable on `PATH`.
pub fn installed(prog: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else { return false };
    std::env::split_paths(&path).any(|d| {
        let p = d.join(prog);
        rustix::fs::access(&p, rustix::fs::Access::EXEC_OK).is_ok() && p.is_file()
    })
}

/// The zstd peers' backup: `tar -C SRC -cf - . | zstd -3 -T2 > ARCHIVE`.
fn tar_zstd() -> Action {
    Action::cmd("sh", &["-c", "tar -C \"$1\" -cf - . | zstd -3 -T2 -q > \"$2\"", "sh", "{src}", "{archive}"])
}

/// The zstd peers' restore: `zstd -dc ARCHIVE | tar -C DST -xf -`.
fn untar_zstd() -> Action {
    Action::cmd("sh", &["-c", "zstd -dcq \"$1\" | tar -C \"$2\" -xf -", "sh", "{archive}", "{dst}"])
}

/// The contestants of a scenario: altdisk (when its binary is given), the installed peers, and for clone
/// the floor at each of `floor_threads` (one contestant "floor", or "floor 2t", "floor 8t", ... for several,
/// the best of which is the reference). altdisk clone runs with `--threads N` when `altdisk_threads` is
/// given, else with its own default.
pub fn default_contestants(
    scenario: Scenario,
    altdisk: Option<&Path>,
    altdisk_threads: Option<usize>,
    floor_threads: &[usize],
) -> Vec<Contestant> {
    let mut v = Vec::new();
    let ad = |args: &[&str]| altdisk.map(|p| Action::cmd(p, args));
    let tar = installed("tar");
    match scenario {
        Scenario::Clone => {
            let t = altdisk_threads.map(|n| n.to_string());
            let args: Vec<&str> = match &t {
                Some(t) => vec!["clone", "--threads", t, "{src}", "{dst}"],
                None => vec!["clone", "{src}", "{dst}"],
            };
            if let Some(a) = ad(&args) {
                let mut c = Contestant::new("altdisk", a);
                c.dst_exists = true;
                c.is_altdisk = true;
                v.push(c);
            }
            if installed("cp") {
                v.push(Contestant::new("cp -a", Action::cmd("cp", &["-a", "{src}", "{dst}"])));
            }
            if tar && installed("sh") {
                let pipe = "tar -C \"$1\" -cf - . | tar -C \"$2\" -xf -";
                let mut c = Contestant::new(
                    "tar c | tar x",
                    Action::cmd("sh", &["-c", pipe, "sh", "{src}", "{dst}"]),
                );
                c.dst_exists = true;
                v.push(c);
            }
            if installed("rsync") {
                v.push(Contestant::new("rsync -aHAX", Action::cmd("rsync", &["-aHAX", "{src}/", "{dst}/"])));
            }
            for &threads in floor_threads {
                let name =
                    if floor_threads.len() == 1 { "floor".to_string() } else { format!("floor {threads}t") };
                let mut f = Contestant::new(&name, Action::Floor { threads });
                f.is_floor = true;
                v.push(f);
            }
        }
        Scenario::Backup => {
            if let Some(a) = ad(&["backup", "--walk", "{src}", "-f", "{archive}"]) {
                let mut c = Contestant::new("altdisk", a);
                c.unpack = ad(&["restore", "-x", "-f", "{archive}", "--target", "{dst}"]);
                c.is_altdisk = true;
                v.push(c);
            }
            if tar {
                let mut c =
                    Contestant::new("tar -cf", Action::cmd("tar", &["-cf", "{archive}", "-C", "{src}", "."]));
                c.unpack = Some(Action::cmd("tar", &["-xf", "{archive}", "-C", "{dst}"]));
                v.push(c);
            }
        }
        Scenario::Restore => {
            if let Some(a) = ad(&["restore", "-x", "-f", "{archive}", "--target", "{dst}"]) {
                let mut c = Contestant::new("altdisk", a);
                c.prepare = ad(&["backup", "--walk", "{src}", "-f", "{archive}"]);
                c.dst_exists = true;
                c.is_altdisk = true;
                v.push(c);
            }
            if tar {
                let mut c =
                    Contestant::new("tar -xf", Action::cmd("tar", &["-xf", "{archive}", "-C", "{dst}"]));
                c.prepare = Some(Action::cmd("tar", &["-cf", "{archive}", "-C", "{src}", "."]));
                c.dst_exists = true;
                v.push(c);
            }
        }
        Scenario::BackupZstd => {
            let args = ["backup", "--walk", "{src}", "-Z", "--threads", ZSTD_THREADS, "-f", "{archive}"];
            if let Some(a) = ad(&args) {
                let mut c = Contestant::new("altdisk", a);
                c.unpack = ad(&["restore", "-x", "-f", "{archive}", "--target", "{dst}"]);
                c.is_altdisk = true;
                v.push(c);
            }
            if tar && installed("zstd") && installed("sh") {
                let mut c = Contestant::new(ZSTD_BACKUP_PEER, tar_zstd());
                c.unpack = Some(untar_zstd());
                v.push(c);
            }
        }
        Scenario::RestoreZstd => {
            if let Some(a) = ad(&["restore", "-x", "-f", "{archive}", "--target", "{dst}"]) {
                let mut c = Contestant::new("altdisk", a);
                c.prepare =
                    ad(&["backup", "--walk", "{src}", "-Z", "--threads", ZSTD_THREADS, "-f", "{archive}"]);
                c.dst_exists = true;
                c.is_altdisk = true;
                v.push(c);
            }
            if tar && installed("zstd") && installed("sh") {
                let mut c = Contestant::new(ZSTD_RESTORE_PEER, untar_zstd());
                c.prepare = Some(tar_zstd());
                c.dst_exists = true;
                v.push(c);
            }
        }
    }
    v
}

/// Why a scenario runs without one of its peers, when it does: the peers' tools are not installed.
pub fn missing_peer(scenario: Scenario) -> Option<String> {
    let need: &[&str] = match scenario {
        Scenario::BackupZstd | Scenario::RestoreZstd => &["tar", "zstd", "sh"],
        Scenario::Backup | Scenario::Restore => &["tar"],
        Scenario::Clone => &[],
    };
    let missing: Vec<&str> = need.iter().copied().filter(|p| !installed(p)).collect();
    (!missing.is_empty()).then(|| {
        format!(
            "{}: the {} command is not installed; its peer is skipped",
            scenario.name(),
            missing.join(", ")
        )
    })
}

/// The paths one run works on.
struct Paths {
    src: PathBuf,
    dst: PathBuf,
    archive: PathBuf,
}

impl Paths {
    fn fill(&self, a: &str) -> String {
        a.replace("{src}", &self.src.to_string_lossy())
            .replace("{dst}", &self.dst.to_string_lossy())
            .replace("{archive}", &self.archive.to_string_lossy())
    }
}

/// What to run and where. The CLI fills this from its flags.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchOptions {
    /// Work directory: the source tree, the copies and the archives go under it. Its filesystem is the
    /// one measured (tmpfs → tmpfs for `/dev/shm`, ext4 → ext4 for an ext4 mount).
    pub dir: PathBuf,
    /// Regular files in the generated tree.
    pub files: usize,
    /// Seed of the generated tree.
    pub seed: u64,
    /// Measured rounds (after one warm-up round).
    pub runs: usize,
    /// Threads for the floor, and for altdisk clone unless [`BenchOptions::altdisk_default_threads`].
    pub threads: usize,
    /// Run altdisk clone without `--threads`, so its own choice (CPU count, I/O depth) is what is timed.
    #[serde(default)]
    pub altdisk_default_threads: bool,
    /// The floor's thread counts, each a contestant; the fastest is the reference of the ratios. Empty: only
    /// [`BenchOptions::threads`].
    #[serde(default)]
    pub floor_threads: Vec<usize>,
    /// Cold caches: `sync` and drop the page cache (`/proc/sys/vm/drop_caches`, root only) before every run,
    /// so every contestant reads its source from the disk. Targets are the cold ones then.
    #[serde(default)]
    pub cold: bool,
    /// Scenarios to run.
    pub scenarios: Vec<Scenario>,
    /// The altdisk binary to measure, if any.
    pub altdisk: Option<PathBuf>,
    /// What the fidelity check compares.
    pub compare: CompareOptions,
    /// Run only the contestants with these names (all when empty), e.g. to leave out a slow peer.
    pub only: Vec<String>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            dir: std::env::temp_dir().join("altdisk-bench"),
            files: 80_000,
            seed: 1,
            runs: 5,
            threads: crate::threads::default_threads(),
            altdisk_default_threads: false,
            floor_threads: Vec::new(),
            cold: false,
            scenarios: Scenario::ALL.to_vec(),
            altdisk: None,
            compare: CompareOptions::default(),
            only: Vec::new(),
        }
    }
}

/// One contestant's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContestantResult {
    /// Short name.
    pub name: String,
    /// The command line (placeholders kept).
    pub command: String,
    /// Seconds of each measured run, in run order.
    pub times: Vec<f64>,
    /// Median of `times`.
    pub median: Option<f64>,
    /// Fastest run.
    pub min: Option<f64>,
    /// Slowest run.
    pub max: Option<f64>,
    /// Why the contestant stopped, if it failed.
    pub error: Option<String>,
    /// "ok", or what the result failed to preserve ("owner (1200), mtime (80000)").
    pub fidelity: String,
    /// The first differences found, for a closer look.
    pub sample_differences: Vec<Difference>,
    /// Median divided by the floor's median (clone only): 1.10 means 10% slower than the floor.
    pub vs_floor: Option<f64>,
    /// This contestant's median divided by altdisk's: how many times faster altdisk is than it.
    pub altdisk_speedup: Option<f64>,
    /// Bytes of the archive the warm-up run wrote (archive-writing scenarios).
    #[serde(default)]
    pub archive_bytes: Option<u64>,
}

/// A published target and whether this run met it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetCheck {
    /// The target in words.
    pub target: String,
    /// The measured ratio, when both sides ran.
    pub measured: Option<f64>,
    /// Whether the measured ratio meets it.
    pub met: Option<bool>,
}

/// One scenario's results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Which scenario.
    pub scenario: Scenario,
    /// The contestants in their configured order.
    pub contestants: Vec<ContestantResult>,
    /// The targets for this scenario.
    pub targets: Vec<TargetCheck>,
    /// The floor contestant with the lowest median (the reference of `vs_floor`), when several ran.
    #[serde(default)]
    pub best_floor: Option<String>,
}

/// Everything one `altdisk bench` measured; serialised to JSON as is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchResults {
    /// The options used.
    pub options: BenchOptions,
    /// Filesystem type of the work directory ("tmpfs", "ext4", ...).
    pub filesystem: String,
    /// What the generator made.
    pub tree: GenStats,
    /// Seconds the generator took.
    pub generate_seconds: f64,
    /// Per scenario.
    pub scenarios: Vec<ScenarioResult>,
}

/// Generates the tree under `opts.dir/src` (reusing it if the same files and seed are there from a kept
/// run), runs every scenario's default contestants and removes the outputs. The caller removes `opts.dir`
/// unless it wants to keep the tree.
pub fn run_bench(opts: &BenchOptions, events: &dyn Events) -> Result<BenchResults> {
    std::fs::create_dir_all(&opts.dir).map_err(|e| crate::Error::io("create", &opts.dir, e))?;
    let src = opts.dir.join("src");
    if src.exists() {
        remove(&src)?;
    }
    events.event(&Event::Message(&format!(
        "Generating a tree of {} files in {}.",
        opts.files,
        src.display()
    )));
    let t = Instant::now();
    let tree = generate_tree(&src, opts.files, opts.seed)?;
    let generate_seconds = t.elapsed().as_secs_f64();
    let mut scenarios = Vec::new();
    for &s in &opts.scenarios {
        if let Some(why) = missing_peer(s) {
            events.event(&Event::Warning(why));
        }
        let floors =
            if opts.floor_threads.is_empty() { vec![opts.threads] } else { opts.floor_threads.clone() };
        let at = (!opts.altdisk_default_threads).then_some(opts.threads);
        let mut cs = default_contestants(s, opts.altdisk.as_deref(), at, &floors);
        if s == Scenario::Clone && reflink_fs(&opts.dir) && installed("cp") {
            let a = Action::cmd("cp", &["-a", "--reflink=never", "{src}", "{dst}"]);
            cs.insert(
                cs.iter().position(|c| c.is_floor).unwrap_or(cs.len()),
                Contestant::new(CP_NO_REFLINK, a),
            );
        }
        // "floor" selects every floor thread count.
        cs.retain(|c| {
            opts.only.is_empty()
                || opts.only.contains(&c.name)
                || (c.is_floor && opts.only.iter().any(|n| n == "floor"))
        });
        scenarios.push(run_scenario(s, &src, &opts.dir, &cs, opts, events)?);
    }
    Ok(BenchResults {
        options: opts.clone(),
        filesystem: fs_name(&opts.dir),
        tree,
        generate_seconds,
        scenarios,
    })
}

/// Runs one scenario's contestants on the tree `src`, with scratch space under `work`.
pub fn run_scenario(
    scenario: Scenario,
    src: &Path,
    work: &Path,
    contestants: &[Contestant],
    opts: &BenchOptions,
    events: &dyn Events,
) -> Result<ScenarioResult> {
    let n = contestants.len();
    let paths: Vec<Paths> = (0..n)
        .map(|i| Paths {
            src: src.to_path_buf(),
            dst: work.join(format!("dst-{i}")),
            archive: work.join(format!("archive-{i}")),
        })
        .collect();
    let mut res: Vec<ContestantResult> = contestants
        .iter()
        .map(|c| ContestantResult {
            name: c.name.clone(),
            command: c.action.display(),
            times: Vec::new(),
            median: None,
            min: None,
            max: None,
            error: None,
            fidelity: "not checked".into(),
            sample_differences: Vec::new(),
            vs_floor: None,
            altdisk_speedup: None,
            archive_bytes: None,
        })
        .collect();
    for (i, c) in contestants.iter().enumerate() {
        clean(&paths[i])?;
        if let Some(p) = &c.prepare {
            events.event(&Event::Message(&format!("{}: preparing {}", scenario.name(), c.name)));
            if let Err(e) = p.run(&paths[i]) {
                res[i].error = Some(format!("prepare failed: {e}"));
            }
        }
    }
    for round in 0..=opts.runs {
        for k in 0..n {
            let i = (k + round) % n;
            if res[i].error.is_some() {
                continue;
            }
            let c = &contestants[i];
            let p = &paths[i];
            if c.dst_exists {
                std::fs::create_dir(&p.dst).map_err(|e| crate::Error::io("create", &p.dst, e))?;
            }
            if opts.cold {
                drop_caches()?;
            }
            let t = Instant::now();
            let r = c.action.run(p);
            let secs = t.elapsed().as_secs_f64();
            let label = if round == 0 { "warm-up".to_string() } else { format!("run {round}/{}", opts.runs) };
            match r {
                Err(e) => {
                    events.event(&Event::Warning(format!(
                        "{} {}: {} failed: {e}",
                        scenario.name(),
                        label,
                        c.name
                    )));
                    res[i].error = Some(e);
                }
                Ok(()) => {
                    events.event(&Event::Message(&format!(
                        "{} {label}: {} {secs:.3}s",
                        scenario.name(),
                        c.name
                    )));
                    if round == 0 && scenario.writes_archive() {
                        res[i].archive_bytes = std::fs::metadata(&p.archive).ok().map(|m| m.len());
                    }
                    if round == 0 {
                        check_fidelity(scenario, c, p, work, opts, &mut res[i])?;
                    } else {
                        res[i].times.push(secs);
                    }
                }
            }
            // Free the space now (tmpfs is memory), untimed; a restore's input archive stays.
            remove(&p.dst)?;
            if !scenario.reads_archive() {
                remove(&p.archive)?;
            }
        }
    }
    for p in &paths {
        clean(p)?;
    }
    for r in &mut res {
        if r.error.is_some() {
            r.times.clear();
        }
        let mut t = r.times.clone();
        t.sort_by(|a, b| a.total_cmp(b));
        r.min = t.first().copied();
        r.max = t.last().copied();
        r.median = median(&t);
    }
    // The best floor: the lowest median among the floor's thread counts.
    let best = (0..n)
        .filter(|&i| contestants[i].is_floor && res[i].median.is_some())
        .min_by(|&a, &b| res[a].median.unwrap_or(f64::MAX).total_cmp(&res[b].median.unwrap_or(f64::MAX)));
    let floor = best.and_then(|i| res[i].median);
    let best_floor =
        best.filter(|_| contestants.iter().filter(|c| c.is_floor).count() > 1).map(|i| res[i].name.clone());
    let altdisk = contestants.iter().position(|c| c.is_altdisk).and_then(|i| res[i].median);
    for r in &mut res {
        r.vs_floor = ratio(r.median, floor);
        r.altdisk_speedup = ratio(r.median, altdisk);
    }
    let targets = targets(scenario, &res, contestants, floor, opts.cold);
    Ok(ScenarioResult { scenario, contestants: res, targets, best_floor })
}

fn check_fidelity(
    scenario: Scenario,
    c: &Contestant,
    p: &Paths,
    work: &Path,
    opts: &BenchOptions,
    r: &mut ContestantResult,
) -> Result<()> {
    let tree = if scenario.writes_archive() {
        let Some(unpack) = &c.unpack else {
            r.fidelity = "not checked (no unpacker)".into();
            return Ok(());
        };
        let verify = work.join("verify");
        remove(&verify)?;
        std::fs::create_dir(&verify).map_err(|e| crate::Error::io("create", &verify, e))?;
        let vp = Paths { src: p.src.clone(), dst: verify.clone(), archive: p.archive.clone() };
        if let Err(e) = unpack.run(&vp) {
            r.fidelity = format!("not checked (unpack failed: {e})");
            return Ok(());
        }
        verify
    } else {
        p.dst.clone()
    };
    let diffs = compare_trees(&p.src, &tree, &opts.compare)?;
    r.fidelity = summarize(&diffs);
    r.sample_differences = diffs.into_iter().take(20).collect();
    if scenario.writes_archive() {
        remove(&tree)?;
    }
    Ok(())
}

fn targets(
    s: Scenario,
    res: &[ContestantResult],
    cs: &[Contestant],
    floor: Option<f64>,
    cold: bool,
) -> Vec<TargetCheck> {
    let med = |name: &str| cs.iter().position(|c| c.name == name).and_then(|i| res[i].median);
    let alt = cs.iter().position(|c| c.is_altdisk).and_then(|i| res[i].median);
    // (words, measured, limit, at most?)
    let list: Vec<(String, Option<f64>, f64, bool)> = match s {
        Scenario::Clone if med(CP_NO_REFLINK).is_some() => vec![(
            format!("altdisk clone (reflinks) >= 3x faster than {CP_NO_REFLINK}"),
            ratio(med(CP_NO_REFLINK), alt),
            3.0,
            false,
        )],
        // The cold targets of issue 12: I/O depth decides, the floor at its best thread count.
        Scenario::Clone if cold => vec![
            ("cold: altdisk clone <= 1.05x the best floor".into(), ratio(alt, floor), 1.05, true),
            ("cold: altdisk clone >= 2.5x faster than cp -a".into(), ratio(med("cp -a"), alt), 2.5, false),
        ],
        Scenario::Backup if cold => {
            vec![(
                "cold: altdisk backup >= 3x faster than tar -cf".into(),
                ratio(med("tar -cf"), alt),
                3.0,
                false,
            )]
        }
        Scenario::Clone => vec![
            ("altdisk clone <= 1.15x the floor".into(), ratio(alt, floor), 1.15, true),
            ("altdisk clone >= 4x faster than cp -a".into(), ratio(med("cp -a"), alt), 4.0, false),
            (
                "altdisk clone >= 4x faster than tar c | tar x".into(),
                ratio(med("tar c | tar x"), alt),
                4.0,
                false,
            ),
        ],
        Scenario::Backup => {
            vec![("altdisk backup >= 2x faster than tar -cf".into(), ratio(med("tar -cf"), alt), 2.0, false)]
        }
        Scenario::Restore => {
            vec![("altdisk restore >= 3x faster than tar -xf".into(), ratio(med("tar -xf"), alt), 3.0, false)]
        }
        Scenario::BackupZstd => {
            let size = |name: &str| {
                let i = cs.iter().position(|c| c.name == name)?;
                res[i].archive_bytes.map(|b| b as f64)
            };
            let alt_size = cs.iter().position(|c| c.is_altdisk).and_then(|i| res[i].archive_bytes);
            vec![
                (
                    format!("altdisk backup -Z >= 2x faster than {ZSTD_BACKUP_PEER}"),
                    ratio(med(ZSTD_BACKUP_PEER), alt),
                    2.0,
                    false,
                ),
                (
                    format!("altdisk backup -Z archive <= 1.02x the size of {ZSTD_BACKUP_PEER}'s"),
                    ratio(alt_size.map(|b| b as f64), size(ZSTD_BACKUP_PEER)),
                    1.02,
                    true,
                ),
            ]
        }
        Scenario::RestoreZstd => vec![(
            format!("altdisk restore of -Z >= 3x faster than {ZSTD_RESTORE_PEER}"),
            ratio(med(ZSTD_RESTORE_PEER), alt),
            3.0,
            false,
        )],
    };
    list.into_iter()
        .map(|(target, measured, limit, at_most)| TargetCheck {
            target,
            measured,
            met: measured.map(|m| if at_most { m <= limit } else { m >= limit }),
        })
        .collect()
}

/// Writes back dirty data (`sync`) and drops the page cache, dentries and inodes (`3` into
/// `/proc/sys/vm/drop_caches`): the next run reads from the disk. Needs root; the error says so.
pub fn drop_caches() -> Result<()> {
    rustix::fs::sync();
    let p = Path::new("/proc/sys/vm/drop_caches");
    std::fs::write(p, b"3\n").map_err(|e| crate::Error::io("drop the page cache (needs root)", p, e))
}

/// Median of sorted values.
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn clean(p: &Paths) -> Result<()> {
    remove(&p.dst)?;
    remove(&p.archive)
}

/// Removes a file or tree if it exists.
fn remove(p: &Path) -> Result<()> {
    match std::fs::symlink_metadata(p) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p).map_err(|e| crate::Error::io("remove", p, e)),
        Ok(_) => std::fs::remove_file(p).map_err(|e| crate::Error::io("remove", p, e)),
    }
}

/// True when `p` is on a filesystem whose files can share extents (xfs, btrfs).
fn reflink_fs(p: &Path) -> bool {
    std::fs::create_dir_all(p).is_ok() && matches!(fs_name(p).as_str(), "xfs" | "btrfs")
}

/// The filesystem type name of `p`, from `statfs`.
pub(crate) fn fs_name(p: &Path) -> String {
    match rustix::fs::statfs(p) {
        Ok(s) => match s.f_type as u64 {
            0x0102_1994 => "tmpfs".into(),
            0xEF53 => "ext4".into(),
            0x5846_5342 => "xfs".into(),
            0x9123_683E => "btrfs".into(),
            0x794C_7630 => "overlayfs".into(),
            0x2FC1_2FC1 => "zfs".into(),
            t => format!("0x{t:x}"),
        },
        Err(e) => format!("unknown ({e})"),
    }
}
