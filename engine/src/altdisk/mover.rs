//! The real data movement of phase 1 and the per-filesystem space check, both over the pipeline:
//! [`PipelineMover`] runs walk → exclude → tree writer from the running rootvg into `/alt_inst`, modelling
//! each target filesystem's capacity with the JFS/JFS2 accountant ("file system full"); [`AccountingSpaceCheck`]
//! walks the same data without writing and refuses before anything changes when a filesystem cannot hold it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{CopyRequest, CopyStats, Mover, SpaceCheck};
use crate::batch::Counters;
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::exclude::{ExcludeList, Syntax};
use crate::host::{alt_path, HostState};
use crate::pipeline::{self, Filter};
use crate::space::{Accountant, FsTarget, FsType, Jfs2Params};
use crate::tree::{self, TreeOptions};
use crate::walk::{self, WalkOptions};

/// Moves the rootvg data with the walk → exclude → tree pipeline.
#[derive(Debug, Clone, Copy)]
pub struct PipelineMover {
    /// Worker threads for the walker and the writer.
    pub threads: usize,
}

impl Default for PipelineMover {
    fn default() -> Self {
        PipelineMover { threads: crate::threads::default_threads() }
    }
}

/// The exclude list of `-e` ([`ExcludeList::load`]: `None` when there is none or it is empty).
fn load_exclude(path: Option<&PathBuf>, events: &dyn Events) -> Result<Option<ExcludeList>> {
    Ok(ExcludeList::load(path.as_slice(), Syntax::Basic, events)?)
}

/// Walk options for a copy of the running rootvg: its mounted filesystems, `/alt_inst` foreign.
fn walk_options(req: &CopyRequest, threads: usize, with_data: bool) -> WalkOptions {
    WalkOptions::new(&req.src_root)
        .filesystems(&req.filesystems)
        .threads(threads)
        .foreign("/alt_inst")
        .with_data_source(with_data)
}

/// The accountant targets of a copy: every limit of the request, with its type when the request names one
/// (JFS2 with default parameters otherwise).
fn targets(req: &CopyRequest) -> Vec<FsTarget> {
    req.fs_limits
        .iter()
        .map(|(mp, bytes)| FsTarget {
            mount_point: mp.clone(),
            fs_type: req
                .fs_types
                .iter()
                .find(|(m, _)| m == mp)
                .map(|(_, t)| *t)
                .unwrap_or(FsType::Jfs2(Jfs2Params::default())),
            size: Some(*bytes),
        })
        .collect()
}

/// Forwards events, keeps soft errors as backup/restore error lines, and drops per-file lines unless `-V`.
struct CopyEvents<'a> {
    inner: &'a dyn Events,
    verbose: bool,
    errors: Mutex<Vec<String>>,
}

impl Events for CopyEvents<'_> {
    fn wants_plan(&self) -> bool {
        self.inner.wants_plan()
    }

    fn event(&self, ev: &Event<'_>) {
        match ev {
            Event::Entry { .. } | Event::Changed { .. } if !self.verbose => {}
            Event::SoftError { class, path, message } => {
                if let Ok(mut v) = self.errors.lock() {
                    v.push(format!("{path}: {message} ({class})"));
                }
                self.inner.event(ev);
            }
            _ => self.inner.event(ev),
        }
    }
}

impl Mover for PipelineMover {
    fn copy_filesystems(&self, req: &CopyRequest, events: &dyn Events) -> Result<CopyStats> {
        let ev = CopyEvents { inner: events, verbose: req.verbose, errors: Mutex::new(Vec::new()) };
        let exclude = load_exclude(req.exclude_file.as_ref(), &ev)?;
        let wopts = walk_options(req, self.threads, true);
        if events.wants_plan() {
            // Only when progress is shown: a metadata walk with the same exclusion, the copy's total.
            let p = pipeline::clone_plan(&wopts, exclude.as_ref())?;
            events.event(&Event::Planned { entries: p.entries, bytes: p.bytes });
        }
        let prune_fn = |n: &[u8]| exclude.as_ref().is_some_and(|l| l.prunes_subtree(n));
        let prune: Option<walk::Prune<'_>> = exclude.as_ref().map(|_| &prune_fn as walk::Prune<'_>);
        // "File system full": the writer's per-filesystem accounting stops the copy when a filesystem's need
        // passes its size, as the real JFS/JFS2 filesystem would have refused the write.
        let acc = Arc::new(Mutex::new(Accountant::new(targets(req))));
        let admit_acc = Arc::clone(&acc);
        // Set when the model refused an entry, so a modelled full filesystem (a restore error) is told apart
        // from the host's own filesystem filling up (a real ENOSPC, which ends phase 1).
        let modelled_full = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let refused = Arc::clone(&modelled_full);
        let admit: tree::Admit = Arc::new(move |e: &Entry| {
            let Ok(mut a) = admit_acc.lock() else { return Ok(()) };
            let Some(i) = a.target_of(&e.name) else { return Ok(()) };
            a.add(e);
            let need = a.running_need(i);
            let t = &a.targets()[i];
            match t.size {
                Some(size) if need > size => {
                    refused.store(true, std::sync::atomic::Ordering::Relaxed);
                    Err(Error::NoSpace {
                        path: PathBuf::from(String::from_utf8_lossy(&e.name).into_owned()),
                        fs: PathBuf::from(alt_path(&t.mount_point)),
                    })
                }
                _ => Ok(()),
            }
        });
        let topts = TreeOptions {
            target: req.dst_root.clone(),
            threads: self.threads,
            admit: if req.fs_limits.is_empty() { None } else { Some(admit) },
            ..TreeOptions::default()
        };
        let counters = Counters::default();
        let filter = Filter { exclude: exclude.as_ref(), explain: false, select: None };
        let res = pipeline::run(
            |tx| walk::walk(&wopts, prune, &crate::events::WithoutProgress(&ev), &tx),
            &filter,
            |rx| tree::write_tree(&topts, rx, &ev),
            &counters,
            &ev,
        );
        let mut stats = CopyStats::default();
        // The soft errors seen while copying were printed as they came.
        if let Ok(mut v) = ev.errors.lock() {
            stats.soft_errors.append(&mut v);
        }
        stats.reported = stats.soft_errors.len();
        match res {
            Ok((_w, t)) => {
                stats.entries = t.entries;
                stats.bytes = t.bytes;
            }
            Err(Error::NoSpace { path, fs }) if modelled_full.load(std::sync::atomic::Ordering::Relaxed) => {
                // [I] AIX restore reports each failed write and the copy ends; modelled as one backup/restore
                // error that the ALT_BAK_ERR_* rules then handle (and print, once).
                stats.soft_errors.push(format!(
                    "restore: 0511-138 Cannot write to file {}: There is not enough space in the file system {}.",
                    path.display(),
                    fs.display()
                ));
                stats.out_of_space = true;
                stats.entries = counters.kept.load(std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => return Err(e),
        }
        Ok(stats)
    }
}

/// `--verify`: the copy in `/alt_inst` against the running rootvg, with the copy's own exclusions (the `-e`
/// list as phase 1 compiled it, and `/alt_inst` itself, where the copy is mounted). Whatever mover made the
/// copy.
pub(crate) fn verify_copy(
    req: &CopyRequest,
    exclude: Option<&ExcludeList>,
    threads: usize,
) -> Result<Vec<crate::verify::Difference>> {
    let own = ExcludeList::from_bytes("alt_inst", b"^\\./alt_inst$\n^\\./alt_inst/\n", Syntax::Basic)?;
    let all = match exclude {
        Some(l) => ExcludeList::merge(vec![l.clone(), own])?,
        None => own,
    };
    let opts = crate::verify::CompareOptions { threads, ..crate::verify::CompareOptions::default() };
    crate::verify::compare_trees_excluding(&req.src_root, &req.dst_root, &opts, Some(&all))
}

/// The per-filesystem JFS/JFS2 check of phase 1 (skipped with `-S`): walks the data that will be copied
/// (exclusions applied), accounts it for each target filesystem and refuses when one cannot hold it.
#[derive(Debug, Clone, Copy)]
pub struct AccountingSpaceCheck {
    /// Walker threads.
    pub threads: usize,
}

impl Default for AccountingSpaceCheck {
    fn default() -> Self {
        AccountingSpaceCheck { threads: PipelineMover::default().threads }
    }
}

impl AccountingSpaceCheck {
    /// What each filesystem of `req` needs, at its size.
    pub fn needs(&self, req: &CopyRequest, events: &dyn Events) -> Result<Vec<crate::space::FsNeed>> {
        let exclude = load_exclude(req.exclude_file.as_ref(), events)?;
        let wopts = walk_options(req, self.threads, false);
        let accs =
            pipeline::account_walk(&wopts, exclude.as_ref(), &[targets(req)], &crate::events::NoEvents)?;
        Ok(accs.into_iter().flat_map(Accountant::finish).collect())
    }
}

impl SpaceCheck for AccountingSpaceCheck {
    fn check(&self, _host: &HostState, req: &CopyRequest) -> Result<()> {
        for need in self.needs(req, &crate::events::NoEvents)? {
            need.check()?;
        }
        Ok(())
    }
}
