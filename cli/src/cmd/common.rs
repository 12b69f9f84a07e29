//! Helpers shared by the commands.

use std::path::PathBuf;

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
