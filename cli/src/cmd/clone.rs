//! `altdisk clone [OPTIONS] SRC DST`: the standalone fast rootvg copy (walk -> exclude -> tree writer).

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

use altdisk_engine::exclude::ExcludeList;
use altdisk_engine::pipeline::{self, Refresh};
use altdisk_engine::prefetch::Prefetch;
use altdisk_engine::tree::{Policy, TreeOptions};
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
    /// No progress bar.
    #[arg(short = 'q')]
    quiet: bool,
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
    /// Never share data blocks with the source (no FICLONE, no copy_file_range), like cp --reflink=never.
    #[arg(long)]
    no_reflink: bool,
    /// Ask the kernel to read files ahead of the copy: auto (when the source is not in the page cache),
    /// always or never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    prefetch: String,
    /// Copy into a non-empty target, replacing what is there (a directory in the way of a file must be empty).
    #[arg(long, conflicts_with = "update")]
    overwrite: bool,
    /// Copy only what differs from the target (type, size, mtime, mode, owner, xattrs, ACLs), like rsync.
    #[arg(long)]
    update: bool,
    /// With --update: remove from the target what the source no longer has (excluded names stay).
    #[arg(long, requires = "update")]
    delete: bool,
    /// Afterwards compare the copy with the source (`altdisk verify SRC DST` with the same excludes; what
    /// --no-owner, --no-xattrs and --no-acls leave out is not compared); exit 1 on a difference.
    #[arg(long, conflicts_with = "dry_run")]
    verify: bool,
}

/// Runs `altdisk clone`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let threads = a.walk.threads.get();
    let list: Option<crate::render::EntryFormat> = (a.verbose || a.dry_run).then(|| {
        Box::new(|name: &[u8], _size: u64, _link: Option<&[u8]>| Some(name.to_vec()))
            as crate::render::EntryFormat
    });
    let json = crate::render::json::on();
    let r = Renderer::new("clone", list, !a.quiet);
    // Refuse a missing or non-directory source before anything is created or estimated.
    match std::fs::metadata(&a.src) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return crate::exit::usage(format!("{}: the source is not a directory", a.src.display())),
        Err(e) => return Err(altdisk_engine::Error::io("open the source", &a.src, e).into()),
    }
    let exclude = a.walk.excludes.load(&r)?;
    check_target(&a, exclude.as_ref())?;
    let wopts = a
        .walk
        .walk_options(&a.src)
        .metadata(!a.no_xattrs, !a.no_acls)
        .with_data_source(!a.dry_run)
        .prefetch(Prefetch::parse(&a.prefetch).unwrap_or_default());
    if !a.dry_run && r.wants_plan() {
        // The plan: a metadata-only walk with the same exclusion gives the bar (and `planned`) the entries and
        // bytes the copy will write, so the total is what is copied, not what the filesystem holds.
        match pipeline::clone_plan(&wopts, exclude.as_ref()) {
            Ok(p) => r.event(&Event::Planned { entries: p.entries, bytes: p.bytes }),
            Err(e) => r.event(&Event::Warning(format!("no progress total: {e}"))),
        }
    }
    let start = Instant::now();
    let summary;
    if a.dry_run {
        let s = pipeline::clone_dry_run(&wopts, exclude.as_ref(), a.explain, &r)?;
        let (n, bytes) = (s.entries, s.bytes);
        r.finish();
        summary = serde_json::json!({
            "dry_run": true, "entries": n, "bytes": bytes,
            "excluded": s.excluded, "soft_errors": s.walk.soft_errors,
            "seconds": start.elapsed().as_secs_f64(),
        });
        if !json {
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
            reflink: !a.no_reflink,
            overwrite: a.overwrite || a.update,
            ..TreeOptions::default()
        };
        if !a.dst.is_dir() {
            std::fs::create_dir(&a.dst)
                .map_err(|e| altdisk_engine::Error::io("create the target directory", &a.dst, e))?;
        }
        let refresh = match (a.update, a.delete) {
            (false, _) => Refresh::All,
            (true, false) => Refresh::Changed,
            (true, true) => Refresh::ChangedAndDelete,
        };
        let s = pipeline::clone_tree(&wopts, exclude.as_ref(), a.explain, &topts, refresh, &r)?;
        let (ws, ts) = (&s.walk, &s.tree);
        r.finish();
        let secs = start.elapsed().as_secs_f64();
        let not_kept: Vec<String> = ts.not_preserved.iter().map(|(k, v)| format!("{v} {k}")).collect();
        summary = serde_json::json!({
            "dry_run": false, "entries": ts.entries, "files": ts.files, "dirs": ts.dirs,
            "bytes": ts.bytes, "reflinked": ts.reflinked, "excluded": s.excluded, "unchanged": s.unchanged,
            "deleted": s.deleted,
            "soft_errors": ws.soft_errors + ts.soft_errors, "not_preserved": ts.not_preserved,
            "changed": ts.changed, "vanished": ts.vanished + ws.vanished,
            "seconds": secs,
        });
        if !json {
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
            if a.update {
                r.line(&format!("{} entries unchanged, {} removed", s.unchanged, s.deleted));
            }
            if ts.changed > 0 || ts.vanished + ws.vanished > 0 {
                r.line(&format!(
                    "{} files changed while copied (copied again; listed with -V), {} deleted before they were \
                     copied",
                    ts.changed,
                    ts.vanished + ws.vanished
                ));
            }
            if !not_kept.is_empty() {
                r.line(&format!("not preserved: {}", not_kept.join(", ")));
            }
            let errors = ws.soft_errors + ts.soft_errors;
            if errors > 0 {
                r.line(&format!("{errors} entries not copied or incomplete (see the errors above)"));
            }
        }
    }
    if let serde_json::Value::Object(m) = summary {
        for (k, v) in m {
            crate::render::json::result(&k, v);
        }
    }
    let soft = r.soft_errors.load(Ordering::Relaxed);
    let mut code = if soft > 0 { crate::exit::FAILED } else { crate::exit::OK };
    if a.verify {
        let mut ignore = Vec::new();
        use crate::cmd::verify::Class;
        for (off, class) in
            [(a.no_owner, Class::Owner), (a.no_xattrs, Class::Xattrs), (a.no_acls, Class::Acls)]
        {
            if off {
                ignore.push(class);
            }
        }
        let (mut opts, drop) = crate::cmd::verify::options(&ignore, threads);
        // What the walk copied: the source's `/` filesystem and each --fs, not other mounts under it.
        let mut devs = Vec::new();
        for p in std::iter::once(a.src.clone()).chain(a.walk.fs.iter().map(|f| fs_under(&a.src, f))) {
            if let Ok(m) = std::fs::metadata(&p) {
                devs.push(m.dev());
            }
        }
        opts.source_devices = Some(devs);
        let diffs = crate::cmd::verify::verify_trees(&a.src, &a.dst, &opts, &drop, exclude.as_ref())?;
        if !json {
            r.line(&format!("verify: {} differences", diffs.len()));
        }
        code = code.max(crate::cmd::verify::report(&r, &diffs));
    }
    Ok(code)
}

/// Where `--fs MOUNTPOINT` is under the source root (`/usr` under `/mnt/src` is `/mnt/src/usr`).
fn fs_under(src: &Path, mountpoint: &Path) -> PathBuf {
    src.join(mountpoint.strip_prefix("/").unwrap_or(mountpoint))
}

/// Refuses, before anything is read or written, a target the copy would land in itself (the source, or a
/// directory inside it that the walk would enter), a target that cannot be created, and (without
/// `--overwrite` or `--update`) a non-empty one.
fn check_target(a: &Args, exclude: Option<&ExcludeList>) -> anyhow::Result<()> {
    let dst = a.dst.display();
    if let Some(rel) = inside_source(&a.src, &a.dst, &a.walk.fs)? {
        if rel.as_os_str().is_empty() {
            return crate::exit::usage(format!(
                "{dst} is the source {}: give another target",
                a.src.display()
            ));
        }
        // The walk enters the target unless the exclude list prunes it or a directory above it.
        let mut name = b".".to_vec();
        let mut pruned = false;
        for c in rel.components() {
            name.push(b'/');
            name.extend_from_slice(std::os::unix::ffi::OsStrExt::as_bytes(c.as_os_str()));
            pruned |= exclude.is_some_and(|l| l.prunes_subtree(&name));
        }
        if !pruned {
            return crate::exit::usage(format!(
                "{dst} is inside the source {} (as {}): the copy would copy itself; exclude it (-e) or give a \
                 target outside the source",
                a.src.display(),
                String::from_utf8_lossy(&name)
            ));
        }
    }
    if a.dry_run {
        return Ok(());
    }
    match std::fs::symlink_metadata(&a.dst) {
        Ok(m) if m.is_dir() => {
            if !writable(&a.dst) {
                return crate::exit::usage(format!("{dst}: the target directory is not writable"));
            }
            let first = std::fs::read_dir(&a.dst)
                .map_err(|e| altdisk_engine::Error::io("read the target directory", &a.dst, e))?
                .next()
                .transpose()
                .map_err(|e| altdisk_engine::Error::io("read the target directory", &a.dst, e))?;
            if let Some(first) = first {
                if !a.overwrite && !a.update {
                    return crate::exit::usage(format!(
                        "{dst} is not empty (found {}): give --overwrite to replace what is there, or --update to \
                         copy only what changed",
                        a.dst.join(first.file_name()).display()
                    ));
                }
            }
        }
        Ok(_) => return crate::exit::usage(format!("{dst} exists and is not a directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = match a.dst.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            if !parent.is_dir() {
                return crate::exit::usage(format!(
                    "cannot create {dst}: {} does not exist or is not a directory",
                    parent.display()
                ));
            }
            if !writable(parent) {
                return crate::exit::usage(format!(
                    "cannot create {dst}: {} is not writable",
                    parent.display()
                ));
            }
        }
        Err(e) => return Err(altdisk_engine::Error::io("stat the target", &a.dst, e).into()),
    }
    Ok(())
}

/// True when this process may create names in directory `p` (a read-only filesystem says no too).
fn writable(p: &Path) -> bool {
    rustix::fs::access(p, rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK).is_ok()
}

/// Where `dst` lies relative to `src` when the walk of `src` (its own filesystem and each `--fs` mount) would
/// reach it: `Some("")` for the source itself, `Some(rel)` inside it, `None` outside or on a filesystem the
/// walk does not enter. The part of `dst` that does not exist yet is taken as written.
fn inside_source(src: &Path, dst: &Path, fs: &[PathBuf]) -> anyhow::Result<Option<PathBuf>> {
    let src_c =
        std::fs::canonicalize(src).map_err(|e| altdisk_engine::Error::io("open the source", src, e))?;
    let mut existing = if dst.is_absolute() {
        dst.to_path_buf()
    } else {
        std::env::current_dir().map_err(|e| altdisk_engine::Error::io("find", ".", e))?.join(dst)
    };
    let mut rest: Vec<OsString> = Vec::new();
    let base = loop {
        if let Ok(c) = std::fs::canonicalize(&existing) {
            break c;
        }
        match existing.file_name() {
            Some(n) => rest.push(n.to_os_string()),
            None => return Ok(None),
        }
        if !existing.pop() {
            return Ok(None);
        }
    };
    let mut full = base.clone();
    for c in rest.iter().rev() {
        match Path::new(c).components().next() {
            Some(Component::ParentDir) => {
                full.pop();
            }
            Some(Component::Normal(_)) => full.push(c),
            _ => {}
        }
    }
    let Ok(rel) = full.strip_prefix(&src_c) else { return Ok(None) };
    let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    let walked: Vec<u64> = std::iter::once(src_c.clone())
        .chain(fs.iter().map(|f| src_c.join(f.strip_prefix("/").unwrap_or(f))))
        .filter_map(|p| dev(&p))
        .collect();
    // The nearest existing directory decides the filesystem (what does not exist yet is created on it).
    let base_dev = if full.starts_with(&base) { dev(&base) } else { dev(&full) };
    Ok(base_dev.filter(|d| walked.contains(d)).map(|_| rel.to_path_buf()))
}
