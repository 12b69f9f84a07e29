//! Helpers shared by the commands.

use std::path::{Path, PathBuf};

use altdisk_engine::exclude::{ExcludeList, Syntax};
use altdisk_engine::{Event, Events};

/// The thread count: the given one, or the number of CPUs.
pub fn threads_or_default(t: Option<usize>) -> usize {
    t.filter(|&n| n > 0).unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
}

/// Loads and merges exclude lists, reporting their warnings (an empty line excludes everything).
pub fn load_excludes(
    files: &[PathBuf],
    extended: bool,
    events: &dyn Events,
) -> anyhow::Result<Option<ExcludeList>> {
    if files.is_empty() {
        return Ok(None);
    }
    let syntax = if extended { Syntax::Extended } else { Syntax::Basic };
    let mut lists = Vec::new();
    for f in files {
        lists.push(ExcludeList::from_file(f, syntax).map_err(altdisk_engine::Error::from)?);
    }
    let list = ExcludeList::merge(lists).map_err(altdisk_engine::Error::from)?;
    for w in list.warnings() {
        events.event(&Event::Warning(w.clone()));
    }
    Ok(Some(list))
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
}

impl Drop for Incomplete {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            if altdisk_engine::archive::writer::remove_incomplete(&p) {
                eprintln!("{}: removed the incomplete archive {}", self.cmd, p.display());
            }
        }
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
            let threads = threads_or_default(threads).min(256) as u32;
            Ok(Compression::Zstd { level, threads })
        }
    }
}

#[cfg(test)]
mod compression_tests {
    use altdisk_engine::archive::Compression;

    #[test]
    fn levels_and_threads() {
        let cpus = super::threads_or_default(None) as u32;
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
