//! The pipeline: one reader stage, one filter stage and one writer stage, each in its own thread(s), joined by
//! bounded channels so memory stays bounded and a slow writer slows the reader.
//!
//! The stage currency (batches, channels, counters) is in [`crate::batch`], below the stages; this module only
//! assembles ready pipelines: [`restore_archive`], [`backup_walk`], [`account_walk`], [`clone_tree`],
//! [`clone_dry_run`].
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
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};

use std::io::{Read, Write};

pub use crate::batch::{channel, Batch, Batcher, Counters};

use crate::archive::{ArchiveReader, ArchiveWriter, ReadStats, WriteSummary};
use crate::entry::{DevId, Entry, Kind};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::exclude::ExcludeList;
use crate::select::{Selection, Unmatched};
use crate::tree::{self, TreeOptions, TreeStats};
use crate::walk::{self, Prune, WalkOptions, WalkStats};

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
    walk_filtered(
        wopts,
        exclude,
        false,
        |rx| {
            for e in rx.into_iter().flatten() {
                for a in &mut accs {
                    a.add(&e);
                }
            }
            Ok(())
        },
        events,
    )?;
    Ok(accs)
}

/// Accounts the running rootvg's mounted filesystems (walked without data, `/alt_inst` and other mounts as
/// empty directories, `exclude` applied) against each set of targets.
pub fn account_tree(
    root: &std::path::Path,
    filesystems: &[String],
    exclude: Option<&ExcludeList>,
    threads: usize,
    sets: &[Vec<crate::space::FsTarget>],
    events: &dyn Events,
) -> Result<Vec<Vec<crate::space::FsNeed>>> {
    let wopts = WalkOptions::new(root).filesystems(filesystems).threads(threads).foreign("/alt_inst");
    let accs = account_walk(&wopts, exclude, sets, events)?;
    Ok(accs.into_iter().map(crate::space::Accountant::finish).collect())
}

/// The walker → exclude filter → `writer` pipeline of every walking job (directories whose every descendant
/// `exclude` certainly excludes are not read). Returns the walk's totals, the writer's output and the number
/// of entries excluded.
fn walk_filtered<W, WO>(
    wopts: &WalkOptions,
    exclude: Option<&ExcludeList>,
    explain: bool,
    writer: W,
    events: &dyn Events,
) -> Result<(WalkStats, WO, u64)>
where
    W: FnOnce(Receiver<Batch>) -> Result<WO> + Send,
    WO: Send,
{
    let prune_fn = exclude.map(|l| move |n: &[u8]| l.prunes_subtree(n));
    let prune: Option<Prune<'_>> = prune_fn.as_ref().map(|f| f as Prune<'_>);
    let filter = Filter { exclude, explain, select: None };
    let counters = Counters::default();
    // The walk's own progress counts entries before exclusion: only the writer's (what is written) is passed
    // on, so progress counters match the plan and never go backwards.
    let walk_events = crate::events::WithoutProgress(events);
    let (walk, out) =
        run(|tx| walk::walk(wopts, prune, &walk_events, &tx), &filter, writer, &counters, events)?;
    Ok((walk, out, counters.excluded.load(Ordering::Relaxed)))
}

/// What [`clone_dry_run`] found: what a copy would write.
#[derive(Clone, Debug, Default)]
pub struct DryRunSummary {
    /// What the walker saw.
    pub walk: WalkStats,
    /// Entries that would be copied.
    pub entries: u64,
    /// Data bytes of the regular files that would be copied.
    pub bytes: u64,
    /// Entries the exclude list removed.
    pub excluded: u64,
}

/// `clone --dry-run`: the walk (`wopts`, normally without data) filtered by `exclude` exactly as the copy
/// would be, each kept entry reported as an [`Event::Entry`]; nothing is written.
pub fn clone_dry_run(
    wopts: &WalkOptions,
    exclude: Option<&ExcludeList>,
    explain: bool,
    events: &dyn Events,
) -> Result<DryRunSummary> {
    let writer = |rx: Receiver<Batch>| -> Result<(u64, u64)> {
        let (mut n, mut bytes) = (0u64, 0u64);
        for e in rx.into_iter().flatten() {
            n += 1;
            bytes += if e.kind == Kind::File { e.meta.size } else { 0 };
            events.event(&Event::Entry { name: &e.name, kind: e.kind, size: e.meta.size, link: None });
        }
        Ok((n, bytes))
    };
    let (walk, (entries, bytes), excluded) = walk_filtered(wopts, exclude, explain, writer, events)?;
    Ok(DryRunSummary { walk, entries, bytes, excluded })
}

/// The plan of a clone: the entries and file-data bytes a copy of `wopts` filtered by `exclude` will write,
/// from a walk of metadata only (no data, no xattrs, no ACLs). It is the total of a copy's progress, so a bar
/// and `planned` count what is copied after exclusion, not what the filesystems hold: a sparse file counts
/// its data segments, as the tree writer writes only those.
pub fn clone_plan(wopts: &WalkOptions, exclude: Option<&ExcludeList>) -> Result<DryRunSummary> {
    let scan = wopts.clone().metadata(false, false).with_data_source(false);
    let count = |rx: Receiver<Batch>| -> Result<(u64, u64)> {
        let (mut n, mut bytes) = (0u64, 0u64);
        for e in rx.into_iter().flatten() {
            n += 1;
            if e.kind == Kind::File {
                bytes += match &e.meta.sparse {
                    Some(segs) => segs.iter().map(|(_, len)| len).sum(),
                    None => e.meta.size,
                };
            }
        }
        Ok((n, bytes))
    };
    let (walk, (entries, bytes), excluded) =
        walk_filtered(&scan, exclude, false, count, &crate::events::NoEvents)?;
    Ok(DryRunSummary { walk, entries, bytes, excluded })
}

/// What [`clone_tree`] did.
#[derive(Clone, Debug, Default)]
pub struct CloneSummary {
    /// What the walker saw.
    pub walk: WalkStats,
    /// What the tree writer did.
    pub tree: TreeStats,
    /// Entries the exclude list removed.
    pub excluded: u64,
    /// Entries `--update` found unchanged in the target and did not write.
    pub unchanged: u64,
    /// Objects `--delete` removed from the target.
    pub deleted: u64,
}

/// What `clone` does with what the target already holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Refresh {
    /// Write every entry (with [`TreeOptions::overwrite`], replacing what is there).
    #[default]
    All,
    /// `--update`: write only the entries that differ from the target ([`tree::update::Update`]).
    Changed,
    /// `--update --delete`: also remove what the source no longer has (excluded names stay).
    ChangedAndDelete,
}

/// `clone`: the walker (`wopts`, with data) → the exclude filter (`--explain` reports each excluded name) →
/// with `refresh` other than [`Refresh::All`] the update stage → the tree writer (`topts`; the target
/// directory must exist).
pub fn clone_tree(
    wopts: &WalkOptions,
    exclude: Option<&ExcludeList>,
    explain: bool,
    topts: &TreeOptions,
    refresh: Refresh,
    events: &dyn Events,
) -> Result<CloneSummary> {
    if refresh == Refresh::All {
        let (walk, tree, excluded) =
            walk_filtered(wopts, exclude, explain, |rx| tree::write_tree(topts, rx, events), events)?;
        return Ok(CloneSummary { walk, tree, excluded, ..CloneSummary::default() });
    }
    let mut up = tree::update::Update::new(topts, refresh == Refresh::ChangedAndDelete)?;
    let writer = |rx: Receiver<Batch>| -> Result<(TreeStats, tree::update::Update)> {
        let (tx, rx2) = channel();
        std::thread::scope(|s| {
            let h = s.spawn(move || {
                for batch in rx {
                    let out: Batch = batch.into_iter().filter(|e| up.changed(e, events)).collect();
                    if !out.is_empty() && tx.send(out).is_err() {
                        break;
                    }
                }
                up
            });
            let written = tree::write_tree(topts, rx2, events);
            let up = h.join().map_err(|_| Error::Cancelled("the update stage panicked".into()))?;
            Ok((written?, up))
        })
    };
    let (walk, (tree, up), excluded) = walk_filtered(wopts, exclude, explain, writer, events)?;
    let keep = |n: &[u8]| exclude.is_some_and(|l| l.is_excluded(n));
    let deleted = up.delete_extraneous(&keep, events);
    Ok(CloneSummary { walk, tree, excluded, unchanged: up.unchanged, deleted })
}

/// The archive reader stage: every entry of `r`, in batches. A file whose data is streamed (larger than the
/// reader keeps in memory) is sent at once, since its chunks are produced only when the reader moves on.
///
/// Progress is the reader's: entries read and bytes of the (uncompressed) archive stream read, every 4096
/// entries or 8 MiB and at the end, so a restore's progress runs up to the archive's size.
pub(crate) fn send_archive<R: Read>(
    r: &mut ArchiveReader<R>,
    tx: &Sender<Batch>,
    events: &dyn Events,
) -> Result<()> {
    let mut out = Batcher::new(tx);
    let (mut n, mut last) = (0u64, 0u64);
    while let Some(e) = r.next_entry()? {
        n += 1;
        let stream = matches!(e.data, crate::entry::EntryData::Stream(_));
        out.push(e).map_err(|_| Error::Cancelled("the tree writer stopped".into()))?;
        if stream {
            out.flush()?;
        }
        if n.is_multiple_of(4096) || r.offset() >= last + (8 << 20) {
            last = r.offset();
            events.event(&Event::Progress { entries: n, bytes: last });
        }
    }
    out.flush()?;
    events.event(&Event::Progress { entries: n, bytes: r.offset() });
    Ok(())
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
        send_archive(&mut r, &tx, events)?;
        Ok(r.stats().clone())
    };
    // Progress is the reader's (bytes of the archive): the writer's counts another measure.
    let tree_events = crate::events::WithoutProgress(events);
    let write = |rx: Receiver<Batch>| tree::write_tree(opts, rx, &tree_events);
    let (read, tree) = run(read, &filter, write, &counters, events)?;
    Ok(RestoreSummary {
        tree,
        read,
        not_selected: counters.excluded.load(Ordering::Relaxed),
        unmatched: select.unmatched(),
        orphan_links: select.orphan_links(),
    })
}

/// `backup -i`: archives every name of `list` (one per line; empty lines ignored) into `w`. A name that cannot be
/// `lstat`ed or opened is a soft error (reported, counted, skipped); sockets are skipped with a warning.
pub fn backup_list<W: Write>(
    list: &mut dyn std::io::BufRead,
    w: &mut ArchiveWriter<W>,
    events: &dyn Events,
) -> Result<()> {
    let mut entries = crate::archive::byname::PathEntries::new();
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        let n = list.read_until(b'\n', &mut line).map_err(|e| Error::io("read", "the name list", e))?;
        if n == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        match entries.entry(&line) {
            Ok(crate::archive::byname::PathEntry::Entry(e)) => w.write_entry(&e)?,
            Ok(crate::archive::byname::PathEntry::Socket) => events.event(&Event::Warning(format!(
                "{}: socket will not be backed up",
                String::from_utf8_lossy(&line)
            ))),
            Err(err) => w.skip_entry("read", &line, format!("cannot back up: {err}")),
        }
    }
    Ok(())
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
    // Progress is the writer's (entries and file data archived, after exclusion), not the walk's.
    let walk_events = crate::events::WithoutProgress(events);
    let read = |tx: Sender<Batch>| walk::walk(wopts, prune, &walk_events, &tx);
    let write = move |rx: Receiver<Batch>| -> Result<(W, WriteSummary, bool)> {
        let mut skipped = false;
        let (mut n, mut bytes) = (0u64, 0u64);
        for e in rx.into_iter().flatten() {
            if skip.is_some_and(|(dev, ino)| {
                matches!(e.kind, Kind::File | Kind::HardLink) && e.meta.dev == dev && e.meta.ino == ino
            }) {
                skipped = true;
                continue;
            }
            writer.write_entry(&e)?;
            n += 1;
            if e.kind == Kind::File {
                bytes += e.meta.size;
            }
            if n.is_multiple_of(4096) {
                events.event(&Event::Progress { entries: n, bytes });
            }
        }
        events.event(&Event::Progress { entries: n, bytes });
        let (out, summary) = writer.finish()?;
        Ok((out, summary, skipped))
    };
    let (walk, (out, write, skipped_output)) = run(read, filter, write, &counters, events)?;
    let excluded = counters.excluded.load(Ordering::Relaxed);
    Ok((out, BackupSummary { walk, write, excluded, skipped_output }))
}
