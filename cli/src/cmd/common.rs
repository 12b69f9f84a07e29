//! Helpers shared by the commands.

use std::path::{Path, PathBuf};

use altdisk_engine::exclude::{ExcludeList, Syntax};
use altdisk_engine::threads::MAX_THREADS;
use altdisk_engine::walk::WalkOptions;
use altdisk_engine::Events;

/// `--threads N`, the one thread flag of every walking command (clone, space, backup --walk, bench).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ThreadsArg {
    /// Worker threads, 1 to 1024 (default: one per CPU).
    #[arg(long = "threads", value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_THREADS as u64))]
    threads: Option<u64>,
}

impl ThreadsArg {
    /// The count given, or the engine's default ([`altdisk_engine::threads::default_threads`]).
    pub fn get(&self) -> usize {
        altdisk_engine::threads::or_default(self.threads.map_or(0, |n| n as usize))
    }

    /// The count given, if any.
    pub fn given(&self) -> Option<usize> {
        self.threads.map(|n| n as usize)
    }
}

/// `-e FILE... [-E]`: exclude lists for the altdisk-only walking commands (the AIX commands keep their own).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ExcludeArgs {
    /// Exclude list: one grep pattern per line, matched anywhere in the `./` name (repeatable).
    #[arg(short = 'e', value_name = "FILE")]
    pub exclude: Vec<PathBuf>,
    /// Exclude patterns are extended regular expressions (egrep), not basic ones (grep).
    #[arg(short = 'E')]
    pub extended: bool,
}

impl ExcludeArgs {
    /// The merged list ([`ExcludeList::load`]: `None` when no file or only empty ones).
    pub fn load(&self, events: &dyn Events) -> anyhow::Result<Option<ExcludeList>> {
        load_excludes(&self.exclude, self.extended, events)
    }
}

/// The walking flag group: `--fs MOUNTPOINT...`, `-e FILE...`, `-E`, `--threads N`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct WalkArgs {
    /// Also walk the filesystem mounted at this mount point under SRC (repeatable), e.g. `--fs /usr`.
    #[arg(long = "fs", value_name = "MOUNTPOINT")]
    pub fs: Vec<PathBuf>,
    #[command(flatten)]
    pub excludes: ExcludeArgs,
    #[command(flatten)]
    pub threads: ThreadsArg,
}

impl WalkArgs {
    /// The walk of `src`: its `/` filesystem and each `--fs`, with `--threads`.
    pub fn walk_options(&self, src: &Path) -> WalkOptions {
        walk_options(src, &self.fs, &self.threads)
    }
}

/// The walk of `src`: its `/` filesystem and each of `fs`, with `threads`.
pub fn walk_options(src: &Path, fs: &[PathBuf], threads: &ThreadsArg) -> WalkOptions {
    WalkOptions::new(src)
        .filesystems(std::iter::once(Path::new("/")).chain(fs.iter().map(PathBuf::as_path)))
        .threads(threads.get())
}

/// Loads and merges exclude lists (`-E`: extended syntax), reporting their warnings.
pub fn load_excludes(
    files: &[PathBuf],
    extended: bool,
    events: &dyn Events,
) -> anyhow::Result<Option<ExcludeList>> {
    let syntax = if extended { Syntax::Extended } else { Syntax::Basic };
    Ok(ExcludeList::load(files, syntax, events).map_err(altdisk_engine::Error::from)?)
}

/// The progress total of reading archive `path`: its size when it is a regular, uncompressed file (the
/// reader's progress counts bytes of the uncompressed stream); `None` for a pipe or a zstd archive.
pub fn archive_total(path: &Path) -> Option<u64> {
    use std::io::Read;
    let m = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    let mut magic = [0u8; 4];
    let mut f = std::fs::File::open(path).ok()?;
    let n = f.read(&mut magic).ok()?;
    (n < 4 || magic != [0x28, 0xb5, 0x2f, 0xfd]).then_some(m.len())
}

/// Removes the archive a command created when the command fails before finishing it
/// (`archive::writer::remove_incomplete`), with a line saying so. Call [`Incomplete::finished`] once the
/// archive is complete.
pub struct Incomplete {
    cmd: &'static str,
    path: Option<PathBuf>,
}

impl Incomplete {
    /// Guards `path`, just created by `cmd`.
    pub fn new(cmd: &'static str, path: &Path) -> Self {
        Incomplete { cmd, path: Some(path.to_path_buf()) }
    }

    /// The archive is complete: keep it.
    pub fn finished(mut self) {
        self.path = None;
    }

    /// Ends a guarded write. `Ok` keeps the archive. An error is reported first (`cmd: reason`), then the
    /// unfinished archive is removed with a line saying so, so the removal reads as the error's consequence;
    /// the inner `Ok` is then the exit code. Without a guard (standard output) the error is passed on.
    pub fn settle<T>(guard: Option<Self>, r: anyhow::Result<T>) -> Result<T, anyhow::Result<i32>> {
        match (r, guard) {
            (Ok(v), g) => {
                if let Some(g) = g {
                    g.finished();
                }
                Ok(v)
            }
            (Err(e), Some(g)) => {
                let code = crate::exit::report(g.cmd, &e);
                drop(g);
                Err(Ok(code))
            }
            (Err(e), None) => Err(Err(e)),
        }
    }
}

impl Drop for Incomplete {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            if altdisk_engine::archive::writer::remove_incomplete(&p) {
                crate::render::json::warning(&format!(
                    "{}: removed the incomplete archive {}",
                    self.cmd,
                    p.display()
                ));
            }
        }
    }
}

/// `--zstd[=LEVEL]`, the same on every command that writes an archive (`backup`, `mksysb`, `convert`); what it
/// means is decided by [`compression`].
#[derive(clap::Args, Debug, Default)]
pub struct ZstdArg {
    /// Compress the whole archive with zstd at LEVEL (1..19, default 3); restore, alt_disk_mksysb and every
    /// other reader recognise it.
    #[arg(long = "zstd", value_name = "LEVEL", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub zstd: Option<String>,
}

impl ZstdArg {
    /// The level as given (`Some("")` for a bare `--zstd`), for [`compression`].
    pub fn level(&self) -> Option<&str> {
        self.zstd.as_deref()
    }
}

/// The archive compression from `-Z` (when the command has it), `--zstd[=LEVEL]` and `--threads N`: `Err`
/// holds the usage message (a level outside 1..=19, a thread count of 0, `--threads` without compression).
pub fn compression(
    z_flag: bool,
    zstd: Option<&str>,
    threads: Option<usize>,
) -> Result<altdisk_engine::archive::Compression, String> {
    use altdisk_engine::archive::stream::{ZSTD_DEFAULT_LEVEL, ZSTD_LEVELS};
    use altdisk_engine::archive::Compression;
    let level = match zstd {
        Some(v) if !v.is_empty() => match v.parse::<i32>() {
            Ok(l) if ZSTD_LEVELS.contains(&l) => Some(l),
            _ => {
                return Err(format!(
                    "--zstd={v}: the level must be a number from {} to {}",
                    ZSTD_LEVELS.start(),
                    ZSTD_LEVELS.end()
                ))
            }
        },
        Some(_) => Some(ZSTD_DEFAULT_LEVEL),
        None => z_flag.then_some(ZSTD_DEFAULT_LEVEL),
    };
    if threads == Some(0) {
        return Err("--threads must be at least 1".into());
    }
    match level {
        None if threads.is_some() => Err("--threads (compression workers) goes with --zstd".into()),
        None => Ok(Compression::None),
        Some(level) => {
            let threads = altdisk_engine::threads::or_default(threads.unwrap_or(0)).min(256) as u32;
            Ok(Compression::Zstd { level, threads })
        }
    }
}

#[cfg(test)]
mod compression_tests {
    use altdisk_engine::archive::Compression;

    #[test]
    fn levels_and_threads() {
        let cpus = altdisk_engine::threads::default_threads() as u32;
        assert_eq!(super::compression(false, None, None), Ok(Compression::None));
        assert_eq!(super::compression(true, None, None), Ok(Compression::Zstd { level: 3, threads: cpus }));
        assert_eq!(
            super::compression(false, Some(""), Some(2)),
            Ok(Compression::Zstd { level: 3, threads: 2 })
        );
        assert_eq!(
            super::compression(false, Some("19"), Some(1)),
            Ok(Compression::Zstd { level: 19, threads: 1 })
        );
        for bad in ["0", "20", "x", "-1"] {
            assert!(super::compression(false, Some(bad), None).is_err(), "{bad}");
        }
        assert!(super::compression(false, None, Some(2)).is_err());
        assert!(super::compression(true, None, Some(0)).is_err());
    }
}
