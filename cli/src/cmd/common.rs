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
