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

use std::io::{Read, Write};

use crate::archive::{ArchiveReader, ArchiveWriter, ReadStats, WriteSummary};
use crate::entry::{DevId, Entry, Kind};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::exclude::ExcludeList;
use crate::select::{Selection, Unmatched};
use crate::tree::{self, TreeOptions, TreeStats};
use crate::walk::{self, Prune, WalkOptions, WalkStats};

/// Entries travel between stages in batches of up to this many: one channel operation per batch keeps the
/// hand-offs between stages (and the spinning of a blocked sender or an idle receiver, which on two cores
/// steals time from the stage doing the work) off the per-file path.
pub const BATCH: usize = 128;

/// A batch is also sent once the file data it carries in memory reaches this many bytes, so that memory stays
/// bounded by bytes, not only by entries (archive readers hand small files over as in-memory bytes).
pub const BATCH_BYTES: usize = 128 << 10;

/// Capacity of the channels between stages, in batches: enough to keep every worker busy, small enough that
/// memory stays bounded (an entry is a few hundred bytes; archive data rides in bounded chunks).
pub const CHANNEL_DEPTH: usize = 16;

/// What travels between stages: entries in stream order.
pub type Batch = Vec<Entry>;

/// Collects entries and sends them to the next stage a batch at a time. Call [`Batcher::flush`] before
/// waiting on anything the next stage might need (and at the end: dropping flushes too, ignoring errors).
pub struct Batcher<'a> {
    tx: &'a Sender<Batch>,
    buf: Batch,
    bytes: usize,
}

impl<'a> Batcher<'a> {
    /// A batcher sending on `tx`.
    pub fn new(tx: &'a Sender<Batch>) -> Self {
        Batcher { tx, buf: Vec::with_capacity(BATCH), bytes: 0 }
    }

    /// Queues one entry; sends the batch when it is full.
    pub fn push(&mut self, e: Entry) -> Result<()> {
        self.bytes += e.data.in_memory_len();
        self.buf.push(e);
        if self.buf.len() >= BATCH || self.bytes >= BATCH_BYTES {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Sends what is queued. Fails with [`Error::Cancelled`] when the next stage hung up.
    pub fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        let b = std::mem::replace(&mut self.buf, Vec::with_capacity(BATCH));
        self.tx.send(b).map_err(|_| Error::Cancelled("the next stage hung up".into()))
    }

    /// Entries queued and not sent yet.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

impl Drop for Batcher<'_> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

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

/// A bounded channel for batches of entries.
pub fn channel() -> (Sender<Batch>, Receiver<Batch>) {
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
    pub fn run(&self, rx: Receiver<Batch>, tx: Sender<Batch>, counters: &Counters, events: &dyn Events) {
        // First names that were dropped -> the kept name that now carries the file.
        let mut relink: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
        for batch in rx {
            let mut out = Vec::with_capacity(batch.len());
            for mut e in batch {
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
                // A streamed file's chunks are produced only after the reader moves on: pass it at once.
                let stream = matches!(e.data, crate::entry::EntryData::Stream(_));
                out.push(e);
                if stream && tx.send(std::mem::take(&mut out)).is_err() {
                    return;
                }
            }
            if !out.is_empty() && tx.send(out).is_err() {
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
    R: FnOnce(Sender<Batch>) -> Result<RO> + Send,
    W: FnOnce(Receiver<Batch>) -> Result<WO> + Send,
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

/// The space-estimate writer stage over a walk: `wopts` walked (without data), filtered by `exclude` exactly
/// as a copy would be (`grep -v -f`, hard links kept consistent, excluded subtrees not read), every kept entry
/// fed to one accountant per target set. Returns the accountants, to be finished by the caller.
pub fn account_walk(
    wopts: &WalkOptions,
    exclude: Option<&ExcludeList>,
    sets: &[Vec<crate::space::FsTarget>],
    events: &dyn Events,
) -> Result<Vec<crate::space::Accountant>> {
    let mut accs: Vec<crate::space::Accountant> =
        sets.iter().map(|s| crate::space::Accountant::new(s.clone())).collect();
    let prune_fn = |n: &[u8]| exclude.is_some_and(|l| l.prunes_subtree(n));
    let prune: Option<Prune<'_>> = exclude.map(|_| &prune_fn as Prune<'_>);
    let filter = Filter { exclude, explain: false, select: None };
    let counters = Counters::default();
    run(
        |tx| walk::walk(wopts, prune, events, &tx),
        &filter,
        |rx| {
            for e in rx.into_iter().flatten() {
                for a in &mut accs {
                    a.add(&e);
                }
            }
            Ok(())
        },
        &counters,
        events,
    )?;
    Ok(accs)
}

/// The archive reader stage: every entry of `r`, in batches. A file whose data is streamed (larger than the
/// reader keeps in memory) is sent at once, since its chunks are produced only when the reader moves on.
pub fn send_archive<R: Read>(r: &mut ArchiveReader<R>, tx: &Sender<Batch>) -> Result<()> {
    let mut out = Batcher::new(tx);
    while let Some(e) = r.next_entry()? {
        let stream = matches!(e.data, crate::entry::EntryData::Stream(_));
        out.push(e).map_err(|_| Error::Cancelled("the tree writer stopped".into()))?;
        if stream {
            out.flush()?;
        }
    }
    out.flush()
}

/// Shares an event sink between threads.
pub type SharedEvents = Arc<dyn Events>;

/// What [`restore_archive`] did.
#[derive(Clone, Debug, Default)]
pub struct RestoreSummary {
    /// What the tree writer did (files, refused names, metadata not kept, soft errors).
    pub tree: TreeStats,
    /// What the archive reader saw (resynchronisations, skipped bytes, ACL entries dropped).
    pub read: ReadStats,
    /// Entries not selected.
    pub not_selected: u64,
    /// Arguments that selected nothing.
    pub unmatched: Vec<Unmatched>,
    /// Hard links not restored because their first name was not selected.
    pub orphan_links: u64,
}

/// `restore -x`: reads `reader` on its own thread (a large file's data is produced by the *next*
/// `next_entry` call, so the reader must keep going while the tree writer drains the stream), keeps the
/// entries `select` selects, and writes them with [`tree::write_tree`].
///
/// Unsafe names are refused by the tree writer (counted in [`TreeStats::refused`], one warning each) and the
/// run goes on. A damaged archive stops the run with [`Error::Archive`] after the entries before the damage
/// were written; a full target stops it with [`Error::NoSpace`].
pub fn restore_archive<R: Read + Send>(
    reader: ArchiveReader<R>,
    select: &Selection,
    opts: &TreeOptions,
    events: &dyn Events,
) -> Result<RestoreSummary> {
    let select_fn = |e: &Entry| select.select(e, events);
    let filter = Filter {
        exclude: None,
        explain: false,
        select: if select.is_all() { None } else { Some(&select_fn) },
    };
    let counters = Counters::default();
    let read = move |tx: Sender<Batch>| -> Result<ReadStats> {
        let mut r = reader;
        send_archive(&mut r, &tx)?;
        Ok(r.stats().clone())
    };
    let write = |rx: Receiver<Batch>| tree::write_tree(opts, rx, events);
    let (read, tree) = run(read, &filter, write, &counters, events)?;
    Ok(RestoreSummary {
        tree,
        read,
        not_selected: counters.excluded.load(Ordering::Relaxed),
        unmatched: select.unmatched(),
        orphan_links: select.orphan_links(),
    })
}

/// What [`backup_walk`] did.
#[derive(Clone, Debug, Default)]
pub struct BackupSummary {
    /// What the walker saw.
    pub walk: WalkStats,
    /// What the archive writer wrote and could not represent.
    pub write: WriteSummary,
    /// Entries the exclude list removed.
    pub excluded: u64,
    /// True when the archive file itself was met in the walk and left out.
    pub skipped_output: bool,
}

/// `backup --walk`: the walker feeding the by-name archive writer through `filter`. `skip` is the
/// (device, inode) of the archive file when it lies inside the walked tree: it is left out, as archiving
/// a file while writing it would never end well. Returns the writer's output and the totals.
pub fn backup_walk<W: Write + Send>(
    wopts: &WalkOptions,
    prune: Option<Prune<'_>>,
    filter: &Filter<'_>,
    mut writer: ArchiveWriter<W>,
    skip: Option<(DevId, u64)>,
    events: &dyn Events,
) -> Result<(W, BackupSummary)> {
    let counters = Counters::default();
    let read = |tx: Sender<Batch>| walk::walk(wopts, prune, events, &tx);
    let write = move |rx: Receiver<Batch>| -> Result<(W, WriteSummary, bool)> {
        let mut skipped = false;
        for e in rx.into_iter().flatten() {
            if skip.is_some_and(|(dev, ino)| {
                matches!(e.kind, Kind::File | Kind::HardLink) && e.meta.dev == dev && e.meta.ino == ino
            }) {
                skipped = true;
                continue;
            }
            writer.write_entry(&e)?;
        }
        let (out, summary) = writer.finish()?;
        Ok((out, summary, skipped))
    };
    let (walk, (out, write, skipped_output)) = run(read, filter, write, &counters, events)?;
    let excluded = counters.excluded.load(Ordering::Relaxed);
    Ok((out, BackupSummary { walk, write, excluded, skipped_output }))
}
