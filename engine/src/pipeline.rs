//! The pipeline: one reader stage, one filter stage and one writer stage, each in its own thread(s), joined by
//! bounded channels so memory stays bounded and a slow writer slows the reader.
//!
//! ```text
//!  walk::walk ──┐                      ┌── tree::write_tree      (clone, restore -x, alt_disk_* phase 1)
//!               ├─> Filter::run ──────>├── archive::ArchiveWriter (backup --walk, mksysb)
//!  archive   ───┘  (exclude, select)   ├── listing                (restore -T, clone -V --dry-run)
//!                                      └── space::Accountant      (space estimate, dry run)
//! ```
//!
//! The filter stage applies exclude lists exactly as `grep -v -f` and keeps hard links consistent: when the
//! first name of a hard-linked file is excluded, its next kept name becomes the file (with its data) and later
//! names link to that one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::entry::{Entry, Kind};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::exclude::ExcludeList;

/// Capacity of the channels between stages: enough to keep every worker busy, small enough that memory stays
/// bounded (an entry is a few hundred bytes; archive data rides in bounded chunks).
pub const CHANNEL_DEPTH: usize = 4096;

/// Counters shared by the stages, readable while the job runs.
#[derive(Debug, Default)]
pub struct Counters {
    /// Entries that passed the filter.
    pub kept: AtomicU64,
    /// Entries the exclude list removed.
    pub excluded: AtomicU64,
    /// Data bytes of kept entries.
    pub bytes: AtomicU64,
}

/// A bounded channel for entries.
pub fn channel() -> (Sender<Entry>, Receiver<Entry>) {
    bounded(CHANNEL_DEPTH)
}

/// The filter stage: exclusion and hard-link repair.
pub struct Filter<'a> {
    /// Patterns; `None` keeps everything.
    pub exclude: Option<&'a ExcludeList>,
    /// Report each excluded name with the pattern that excluded it (`--explain`).
    pub explain: bool,
    /// Extra rule (name selection for `restore -x NAME...`); `false` drops the entry.
    pub select: Option<&'a (dyn Fn(&Entry) -> bool + Sync)>,
}

impl Filter<'_> {
    /// True when the entry is excluded by the list (telling `events` why when explaining).
    fn excluded(&self, e: &Entry, events: &dyn Events) -> bool {
        let Some(list) = self.exclude else { return false };
        if !list.is_excluded(&e.name) {
            return false;
        }
        if self.explain {
            if let Some(m) = list.explain(&e.name) {
                events.event(&Event::Excluded {
                    name: &e.name,
                    file: &m.file,
                    line: m.line,
                    pattern: &m.pattern,
                });
            }
        }
        true
    }

    /// Runs the stage until `rx` is drained or `tx` hangs up.
    pub fn run(&self, rx: Receiver<Entry>, tx: Sender<Entry>, counters: &Counters, events: &dyn Events) {
        // First names that were dropped -> the kept name that now carries the file.
        let mut relink: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
        for mut e in rx {
            let keep = !self.excluded(&e, events) && self.select.is_none_or(|f| f(&e));
            if !keep {
                counters.excluded.fetch_add(1, Ordering::Relaxed);
                if e.kind == Kind::File && e.meta.nlink > 1 {
                    relink.insert(e.name.clone(), None);
                }
                continue;
            }
            if e.kind == Kind::HardLink {
                if let Some(first) = e.link_target.clone() {
                    if let Some(slot) = relink.get_mut(&first) {
                        match slot {
                            Some(carrier) => e.link_target = Some(carrier.clone()),
                            None => {
                                // The file's first name was excluded: this name carries the data now.
                                *slot = Some(e.name.clone());
                                e.kind = Kind::File;
                                e.link_target = None;
                            }
                        }
                    }
                }
            }
            counters.kept.fetch_add(1, Ordering::Relaxed);
            if e.kind == Kind::File {
                counters.bytes.fetch_add(e.meta.size, Ordering::Relaxed);
            }
            if tx.send(e).is_err() {
                return; // the writer stopped (error or done): stop reading.
            }
        }
    }
}

/// Runs `reader` and `writer` on their own threads with the filter between them, and returns the writer's
/// result. The reader's error, if any, wins over a writer error caused by the reader stopping early; a writer
/// error (e.g. ENOSPC) makes the reader's sends fail so it stops promptly.
pub fn run<R, W, RO, WO>(
    reader: R,
    filter: &Filter<'_>,
    writer: W,
    counters: &Counters,
    events: &dyn Events,
) -> Result<(RO, WO)>
where
    R: FnOnce(Sender<Entry>) -> Result<RO> + Send,
    W: FnOnce(Receiver<Entry>) -> Result<WO> + Send,
    RO: Send,
    WO: Send,
{
    let (tx1, rx1) = channel();
    let (tx2, rx2) = channel();
    std::thread::scope(|s| {
        let rh = s.spawn(move || reader(tx1));
        let fh = s.spawn(move || filter.run(rx1, tx2, counters, events));
        let wres = writer(rx2);
        let rres = rh.join().map_err(|_| Error::Cancelled("the reader stage panicked".into()))?;
        fh.join().map_err(|_| Error::Cancelled("the filter stage panicked".into()))?;
        match (rres, wres) {
            (Ok(r), Ok(w)) => Ok((r, w)),
            (_, Err(we)) => Err(we),
            (Err(re), Ok(_)) => Err(re),
        }
    })
}

/// Shares an event sink between threads.
pub type SharedEvents = Arc<dyn Events>;
