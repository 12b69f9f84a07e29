//! `altdisk clone [OPTIONS] SRC DST`: the standalone fast rootvg copy (walk -> exclude -> tree writer).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use altdisk_engine::pipeline;
use altdisk_engine::tree::{Policy, TreeOptions};
use altdisk_engine::walk;
use altdisk_engine::{Event, Events};

use crate::cmd::common::WalkArgs;
use crate::render::Renderer;

/// Standalone fast rootvg copy: walk SRC, exclude, write DST with full metadata.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The source system's root (its `/`).
    src: PathBuf,
    /// The target directory (created if missing).
    dst: PathBuf,
    #[command(flatten)]
    walk: WalkArgs,
    /// Print each excluded name with the pattern (file and line) that excluded it.
    #[arg(long)]
    explain: bool,
    /// List each file copied.
    #[arg(short = 'V')]
    verbose: bool,
    /// Walk and filter but write nothing: print what would be copied and the totals.
    #[arg(long)]
    dry_run: bool,
    /// Print events as JSON lines and a final summary object.
    #[arg(long)]
    json: bool,
    /// Do not restore owners and groups.
    #[arg(long)]
    no_owner: bool,
    /// Do not copy extended attributes.
    #[arg(long)]
    no_xattrs: bool,
    /// Do not copy POSIX ACLs.
    #[arg(long)]
    no_acls: bool,
    /// One syncfs of the target at the end.
    #[arg(long)]
    sync: bool,
}

/// Runs `altdisk clone`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let threads = a.walk.threads.get();
    let list: Option<crate::render::EntryFormat> = (a.verbose || a.dry_run).then(|| {
        Box::new(|name: &[u8], _size: u64, _link: Option<&[u8]>| Some(name.to_vec()))
            as crate::render::EntryFormat
    });
    let r = Renderer::new("clone", a.json, list, true);
    // Refuse a missing or non-directory source before anything is created or estimated.
    match std::fs::metadata(&a.src) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return crate::exit::usage(format!("{}: the source is not a directory", a.src.display())),
        Err(e) => return Err(altdisk_engine::Error::io("open the source", &a.src, e).into()),
    }
    let exclude = a.walk.excludes.load(&r)?;
    let wopts = a.walk.walk_options(&a.src).metadata(!a.no_xattrs, !a.no_acls).with_data_source(!a.dry_run);
    if !a.dry_run {
        // A cheap pre-scan (statvfs of each filesystem) gives the progress bar its total and an ETA; the bar
        // never goes backwards and grows its total if the estimate was short.
        match walk::prescan(&wopts) {
            Ok((entries, bytes)) => r.event(&Event::Planned { entries, bytes }),
            Err(e) => r.event(&Event::Warning(format!("no progress estimate: {e}"))),
        }
    }
    let start = Instant::now();
    let summary;
    if a.dry_run {
        let s = pipeline::clone_dry_run(&wopts, exclude.as_ref(), a.explain, &r)?;
        let (n, bytes) = (s.entries, s.bytes);
        r.finish();
        summary = serde_json::json!({
            "event": "summary", "dry_run": true, "entries": n, "bytes": bytes,
            "excluded": s.excluded, "soft_errors": s.walk.soft_errors,
            "seconds": start.elapsed().as_secs_f64(),
        });
        if !a.json {
            r.line(&format!("would copy {n} entries, {bytes} bytes of file data; {} excluded", s.excluded));
        }
    } else {
        let topts = TreeOptions {
            target: a.dst.clone(),
            threads,
            owner: if a.no_owner { Policy::Off } else { TreeOptions::default().owner },
            xattrs: if a.no_xattrs { Policy::Off } else { Policy::BestEffort },
            acls: if a.no_acls { Policy::Off } else { Policy::BestEffort },
            sync: a.sync,
            ..TreeOptions::default()
        };
        std::fs::create_dir_all(&a.dst)
            .map_err(|e| altdisk_engine::Error::io("create the target directory", &a.dst, e))?;
        let s = pipeline::clone_tree(&wopts, exclude.as_ref(), a.explain, &topts, &r)?;
        let (ws, ts) = (&s.walk, &s.tree);
        r.finish();
        let secs = start.elapsed().as_secs_f64();
        let not_kept: Vec<String> = ts.not_preserved.iter().map(|(k, v)| format!("{v} {k}")).collect();
        summary = serde_json::json!({
            "event": "summary", "entries": ts.entries, "files": ts.files, "dirs": ts.dirs,
            "bytes": ts.bytes, "excluded": s.excluded,
            "soft_errors": ws.soft_errors + ts.soft_errors, "not_preserved": ts.not_preserved,
            "seconds": secs,
        });
        if !a.json {
            r.line(&format!(
                "copied {} entries ({} files, {:.1} MB) in {:.2}s: {:.0} files/s, {:.1} MB/s; {} excluded",
                ts.entries,
                ts.files,
                ts.bytes as f64 / 1e6,
                secs,
                ts.files as f64 / secs.max(1e-9),
                ts.bytes as f64 / 1e6 / secs.max(1e-9),
                s.excluded
            ));
            if !not_kept.is_empty() {
                r.line(&format!("not preserved: {}", not_kept.join(", ")));
            }
            let errors = ws.soft_errors + ts.soft_errors;
            if errors > 0 {
                r.line(&format!("{errors} entries not copied or incomplete (see the errors above)"));
            }
        }
    }
    if a.json {
        r.json_line(&summary);
    }
    let soft = r.soft_errors.load(Ordering::Relaxed);
    Ok(if soft > 0 { crate::exit::FAILED } else { crate::exit::OK })
}
