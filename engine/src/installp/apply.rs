//! installp's actions on a rootvg tree: apply (with commit and save), commit, reject (spec installp.md §7).
//!
//! Apply is the engine's one pipeline: the image's archive reader → a filter that keeps the selected
//! filesets' apply lists (root-part files renamed from `usr/lpp/PKG/inst_root/X` to `X`) → the tree writer.
//! Owners, modes and times come from the image's archive headers (mkinstallp writes the inventory from the
//! same build tree, so they agree). Then the tree's own inventory ([`super::swvpd`]) records the result.
//! Config scripts are never run: each is named in the transcript as skipped (spec §12.8).

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::image::Image;
use super::level::Level;
use super::location::Location;
use super::resolve::{self, Candidate, Installed, Plan, ResolveOptions, Wanted};
pub use super::space::{no_space, Space, StatvfsSpace};
use super::swvpd::{InstallRecord, InvItem, InvKind, Part, State, Swvpd};
use super::transcript::{self, Resource, SummaryRow};
use super::{control::InvType, InstallpError};
use crate::archive::reader::{ArchiveReader, ReaderOptions};
use crate::batch::{Batch, Batcher, Counters};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::pipeline::{self, Filter};
use crate::tree::{self, TreeOptions};

/// The installp flags altdisk honours (`-I` of alt_disk_copy, and `installp` itself): `a c g X N p Y F B I`
/// (issue 10 §2). Others are refused by [`Flags::parse`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// `a`: apply.
    pub apply: bool,
    /// `c`: commit (with `a`: apply and commit at once).
    pub commit: bool,
    /// `g`: pull requisites automatically.
    pub auto_requisites: bool,
    /// `X`: expand file systems when space is needed.
    pub expand: bool,
    /// `N`: do not save replaced files (only with `c`).
    pub no_save: bool,
    /// `p`: preview only.
    pub preview: bool,
    /// `Y`: agree to license agreements.
    pub accept_licenses: bool,
    /// `F`: reinstall an installed base level.
    pub force: bool,
    /// `B`: updates only.
    pub updates_only: bool,
    /// `I`: base levels only.
    pub bases_only: bool,
}

impl Flags {
    /// The flags of alt_disk_copy's default `-I acgX`.
    pub(crate) fn alt_disk_default() -> Flags {
        Flags { apply: true, commit: true, auto_requisites: true, expand: true, ..Flags::default() }
    }

    /// Parses a flag string such as `acgX` or `-acgXY` (spec §11 \[I\]: with or without a leading `-`).
    /// Letters that take an argument in installp (`d e f t V R`) and letters altdisk does not model are
    /// refused with a message naming them.
    pub fn parse(s: &str) -> Result<Flags> {
        let mut f = Flags::default();
        let body = s.strip_prefix('-').unwrap_or(s);
        if body.is_empty() {
            return Err(Error::refused("installp: the installp flags are empty: give e.g. -I acgX"));
        }
        for c in body.chars() {
            match c {
                'a' => f.apply = true,
                'c' => f.commit = true,
                'g' => f.auto_requisites = true,
                'X' => f.expand = true,
                'N' => f.no_save = true,
                'p' => f.preview = true,
                'Y' => f.accept_licenses = true,
                'F' => f.force = true,
                'B' => f.updates_only = true,
                'I' => f.bases_only = true,
                'd' | 'e' | 'f' | 't' | 'V' | 'R' => {
                    return Err(Error::refused(format!(
                        "installp: the flag -{c} takes an argument and cannot be given in the installp flag string \
                         '{s}'"
                    )))
                }
                other => {
                    return Err(Error::refused(format!(
                        "installp: the flag -{other} in '{s}' is not supported here (supported: a c g X N p Y F B I)"
                    )))
                }
            }
        }
        if f.no_save && !f.commit {
            return Err(Error::refused(
                "installp: 0503-436 The NO SAVE (-N) option is invalid without the COMMIT (-c) option.",
            ));
        }
        if f.force && f.auto_requisites {
            return Err(Error::refused("installp: the -F (force) flag cannot be combined with -g"));
        }
        if f.updates_only && f.bases_only {
            return Err(Error::refused("installp: the -B and -I flags cannot be used together"));
        }
        if !f.apply && !f.commit {
            // "The -a (apply) flag is being assumed" (spec §7.1).
            f.apply = true;
        }
        Ok(f)
    }
}

/// One install request.
#[derive(Debug, Clone)]
pub struct Request {
    /// `-d` / `-l`: the image location (a directory or one image file).
    pub location: PathBuf,
    /// What to install (`all`, names, names with levels).
    pub wanted: Vec<Wanted>,
    /// The flags.
    pub flags: Flags,
    /// The clock for history entries (seconds since the epoch).
    pub time: i64,
}

/// What an install did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The plan that was verified.
    pub plan: Plan,
    /// The summary rows.
    pub rows: Vec<SummaryRow>,
    /// A fileset with `b`/`B` bosboot was installed: the boot image must be rebuilt.
    pub boot_image_stale: bool,
    /// Files written.
    pub files: u64,
    /// Nothing was changed (preview, or nothing to do).
    pub unchanged: bool,
}

fn say(events: &dyn Events, text: &str) {
    events.event(&Event::Message(text.trim_end_matches('\n')));
}

/// The media of a location as resolution candidates (every fileset of every readable image).
pub(crate) fn candidates(loc: &Location) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (i, img) in loc.images.iter().enumerate() {
        for f in &img.lpp.filesets {
            out.push(Candidate {
                name: f.name.clone(),
                package: img.lpp.package.clone(),
                level: f.level.clone(),
                update: img.lpp.is_update(),
                description: f.description.clone(),
                requisites: f.requisites.clone(),
                fixes: f.fixes.iter().map(|x| x.keyword.clone()).collect(),
                image: i,
            });
        }
    }
    out
}

/// The inventory record of one part of a fileset level from `img` (a BROKEN one carries no fixes: they
/// are not delivered).
fn record_of(
    img: &Image,
    c: &Candidate,
    f: &super::lpp_name::FilesetEntry,
    part: Part,
    state: State,
    items: Vec<InvItem>,
    time: i64,
) -> InstallRecord {
    let image_type = match img.lpp.kind {
        super::lpp_name::PackageType::Install => 'I',
        super::lpp_name::PackageType::Maintenance => 'M',
        _ => 'S',
    };
    let fixes = if state == State::Broken {
        Vec::new()
    } else {
        f.fixes.iter().map(|x| (x.keyword.clone(), x.abstract_text.clone())).collect()
    };
    InstallRecord {
        fileset: c.name.clone(),
        package: img.lpp.package.clone(),
        level: c.level.clone(),
        update: img.lpp.is_update(),
        image_type,
        description: c.description.clone(),
        state,
        prereq: f.requisite_text(),
        supersedes: f.supersedes.join("\n"),
        fixes,
        comp_id: String::new(),
        part,
        items,
        time,
        login: "root".into(),
    }
}

/// What the tree has installed, for resolution: the highest level of each fileset that is not BROKEN (a
/// broken apply is installed again by the next run).
pub(crate) fn installed_of(vpd: &Swvpd) -> Installed {
    vpd.all_installed()
        .into_iter()
        .filter_map(|i| {
            let best = vpd
                .levels(&i.fileset)
                .into_iter()
                .filter(|(_, st, _)| *st != State::Broken)
                .map(|(l, _, _)| l)
                .max();
            best.map(|l| (i.fileset, l))
        })
        .collect()
}

/// The space the plan needs, per file system (512-byte blocks), from the size sections (spec §2.5):
/// `INSTWORK` counts against the file system of `/usr/lpp`, `PAGESPACE` against none.
fn needs(plan: &Plan, media: &[Candidate], loc: &Location, space: &dyn Space) -> Result<Vec<Resource>> {
    let mut by_fs: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for st in &plan.steps {
        let c = &media[st.candidate];
        let img = &loc.images[c.image];
        let Some(f) = img.lpp.filesets.iter().find(|f| f.name == c.name && f.level == c.level) else {
            continue;
        };
        for s in &f.sizes {
            let path = match s.path.as_str() {
                "PAGESPACE" => continue,
                "INSTWORK" => "/usr/lpp",
                p if p.starts_with('/') => p,
                _ => continue, // license lines and unknown keywords
            };
            let (mp, free) = space.free(path)?;
            let e = by_fs.entry(mp).or_insert((0, free));
            e.0 += s.blocks + s.temp.unwrap_or(0);
        }
    }
    Ok(by_fs.into_iter().map(|(filesystem, (needed, free))| Resource { filesystem, needed, free }).collect())
}

/// Verifies and (unless `p`) applies what `req` asks into the tree at `root`, recording it in the tree's
/// inventory. A verification failure refuses everything before a byte is written, with installp's FAILURES
/// report in [`InstallpError::Verification`].
pub fn install(root: &Path, req: &Request, space: &mut dyn Space, events: &dyn Events) -> Result<Outcome> {
    // Only the control data now: apply_fileset's pass reads the files (one pass over each image, not two).
    let loc = super::location::open_control(&req.location)?;
    for p in &loc.problems {
        events.event(&Event::Warning(format!("installp: {p}; the image is skipped")));
    }
    let mut vpd = Swvpd::load(root)?;
    let media = candidates(&loc);
    let ro = ResolveOptions {
        auto_requisites: req.flags.auto_requisites,
        force: req.flags.force,
        updates_only: req.flags.updates_only,
        bases_only: req.flags.bases_only,
    };
    let plan = resolve::resolve(&media, &installed_of(&vpd), &req.wanted, &ro);
    let resources = needs(&plan, &media, &loc, space)?;
    let report = transcript::verification(&plan, &media, &resources, req.flags.preview);
    say(events, &report);
    let mut out = Outcome { plan: plan.clone(), ..Outcome::default() };
    if plan.refused() {
        let failed =
            plan.failures.iter().filter(|f| !matches!(f, resolve::Failure::AlreadyInstalled { .. })).count();
        return Err(Error::Installp(InstallpError::Verification {
            summary: format!(
                "installp: {failed} selected fileset{} failed pre-installation verification; nothing was installed",
                if failed == 1 { "" } else { "s" }
            ),
            report,
        }));
    }
    if req.flags.preview || plan.steps.is_empty() {
        out.unchanged = true;
        return Ok(out);
    }
    // Licenses: a fileset that requires acceptance (LAR line) needs -Y.
    for st in &plan.steps {
        let c = &media[st.candidate];
        let img = &loc.images[c.image];
        let lar = img
            .lpp
            .filesets
            .iter()
            .filter(|f| f.name == c.name)
            .any(|f| f.licenses.iter().any(|l| l.starts_with("LAR")));
        if lar && !req.flags.accept_licenses {
            return Err(Error::refused(format!(
                "installp: {} {} requires the acceptance of a license agreement: give -Y (agree to required \
                 software license agreements)",
                c.name, c.level
            )));
        }
    }
    for r in &resources {
        space.ensure(&r.filesystem, r.needed, req.flags.expand, events)?;
    }
    let started = Instant::now();
    say(events, &transcript::banner("Installing Software..."));
    for st in &plan.steps {
        let c = &media[st.candidate];
        let img = &loc.images[c.image];
        say(events, &transcript::operation("APPLYING", &[(c.name.clone(), c.level.clone())]));
        if let Some(m) = img.member(&c.name, "copyright", false) {
            say(events, &transcript::copyright(&c.name, &String::from_utf8_lossy(&m.data)));
        }
        // With -c the update is committed at once: nothing to save (and -N says so explicitly).
        let save = img.lpp.is_update() && !req.flags.commit;
        let f = img.lpp.filesets.iter().find(|f| f.name == c.name && f.level == c.level);
        let parts = f.map(parts_of).unwrap_or_default();
        // The inventory stanzas (thousands for a large fileset) are parsed while the files are written; they
        // are recorded after, and a write error still comes first.
        let (files, items) = std::thread::scope(|s| {
            let inv = s.spawn(|| {
                parts
                    .iter()
                    .map(|p| inventory_items(img, &c.name, *p == Part::Root))
                    .collect::<Result<Vec<_>>>()
            });
            let files = apply_fileset(root, img, &c.name, &c.level, save, events);
            (files, inv.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        });
        let files = match files {
            Ok(n) => n,
            Err(e) => {
                // Some of the fileset's files may be written: record it BROKEN (as installp does after a
                // failed apply), say so, and stop with the cause.
                if let Some(f) = f {
                    for part in &parts {
                        vpd.record(record_of(img, c, f, *part, State::Broken, Vec::new(), req.time));
                        out.rows.push(SummaryRow {
                            name: c.name.clone(),
                            level: c.level.clone(),
                            part: part.label(),
                            event: "APPLY",
                            result: "FAILED",
                        });
                    }
                    vpd.save()?;
                }
                say(
                    events,
                    &format!(
                        "installp: {} {} was not completely applied ({e}); it is recorded BROKEN: fix the image \
                         and install it again (the next installp run reapplies it)",
                        c.name, c.level
                    ),
                );
                say(events, &transcript::summary(&out.rows));
                return Err(e);
            }
        };
        out.files += files;
        say(events, &format!("Restoring files, please wait.\n{files} files restored."));
        for suffix in ["pre_i", "post_i", "config", "pre_u", "post_u", "config_u"] {
            for root_part in [false, true] {
                if img.member(&c.name, suffix, root_part).is_some() {
                    say(
                        events,
                        &format!("installp: skipped {}.{suffix} (scripts are not run in this model)", c.name),
                    );
                }
            }
        }
        let Some(f) = f else { continue };
        let items = items?;
        if matches!(f.bosboot, 'b' | 'B') {
            out.boot_image_stale = true;
        }
        let state = if !img.lpp.is_update() || req.flags.commit { State::Committed } else { State::Applied };
        for (part, items) in parts.iter().zip(items) {
            vpd.record(record_of(img, c, f, *part, state, items, req.time));
            out.rows.push(SummaryRow {
                name: c.name.clone(),
                level: c.level.clone(),
                part: part.label(),
                event: "APPLY",
                result: "SUCCESS",
            });
        }
        if img.lpp.is_update() && req.flags.commit {
            vpd.commit(&c.name, req.time);
            for part in &parts {
                out.rows.push(SummaryRow {
                    name: c.name.clone(),
                    level: c.level.clone(),
                    part: part.label(),
                    event: "COMMIT",
                    result: "SUCCESS",
                });
            }
        }
        // The inventory is saved after each fileset, so a kill leaves what was applied recorded.
        vpd.save()?;
    }
    // -ac prints the APPLY rows, then the COMMIT rows (spec §7.7).
    out.rows.sort_by_key(|r| r.event == "COMMIT");
    say(events, &transcript::finished(started.elapsed().as_secs()));
    say(events, &transcript::summary(&out.rows));
    Ok(out)
}

/// The parts a fileset records: usr, usr and root (content `B`), or share (content `H`).
fn parts_of(f: &super::lpp_name::FilesetEntry) -> Vec<Part> {
    match f.content {
        super::lpp_name::Content::Both => vec![Part::Usr, Part::Root],
        super::lpp_name::Content::Share => vec![Part::Share],
        super::lpp_name::Content::Usr => vec![Part::Usr],
    }
}

fn inventory_items(img: &Image, fileset: &str, root_part: bool) -> Result<Vec<InvItem>> {
    let inv = img.inventory(fileset, root_part).unwrap_or_default();
    Ok(inv
        .into_iter()
        .map(|e| InvItem {
            path: e.path,
            kind: match e.kind {
                InvType::File => InvKind::File,
                InvType::Directory => InvKind::Directory,
                InvType::Symlink => InvKind::Symlink,
            },
            size: e.size.unwrap_or(0),
            checksum: e.checksum.map(|c| c.0).unwrap_or(0),
            target: e.target,
            links: e.links,
        })
        .collect())
}

/// The save directory of an update: `/usr/lpp/PKG/FILESET/V.R.M.F.save` (spec §7.3 \[R\]).
pub(crate) fn save_dir(root: &Path, package: &str, fileset: &str, level: &Level) -> PathBuf {
    root.join(format!("usr/lpp/{package}/{fileset}/{level}.save"))
}

/// Restores one fileset's usr and root parts from `img` into `root`; with `save`, copies every object it
/// replaces into the save directory first and lists them (and the new ones) in `.savelist`. Returns the
/// number of objects written.
fn apply_fileset(
    root: &Path,
    img: &Image,
    fileset: &str,
    level: &Level,
    save: bool,
    events: &dyn Events,
) -> Result<u64> {
    let pkg = img.lpp.package.clone();
    let usr: HashSet<Vec<u8>> = img.apply_list(fileset, false)?.into_iter().map(String::into_bytes).collect();
    let has_root =
        img.lpp.filesets.iter().any(|f| f.name == fileset && f.content == super::lpp_name::Content::Both);
    let rootl: HashSet<Vec<u8>> = if has_root {
        img.apply_list(fileset, true)?.into_iter().map(String::into_bytes).collect()
    } else {
        HashSet::new()
    };
    if save {
        save_replaced(root, &pkg, fileset, level, usr.iter().chain(rootl.iter()))?;
    }
    let prefix = format!("./usr/lpp/{pkg}/inst_root/").into_bytes();
    let root_c = root.to_path_buf();
    let keep = move |name: &[u8]| -> Option<Vec<u8>> {
        if usr.contains(name) {
            return Some(name.to_vec());
        }
        let rest = name.strip_prefix(prefix.as_slice())?;
        let mut n = b"./".to_vec();
        n.extend_from_slice(rest);
        rootl.contains(&n).then_some(n)
    };
    let path = img.path.clone();
    let reader = move |tx: crossbeam_channel::Sender<Batch>| -> Result<()> {
        let f = File::open(&path).map_err(|e| Error::io("open", &path, e))?;
        // Plain or zstd-compressed, as Image::open accepted it.
        let f = crate::archive::open_stream(f).map_err(|e| Error::io("read", &path, e))?;
        let mut r = ArchiveReader::new(f, ReaderOptions::default());
        let mut out = Batcher::new(&tx);
        while let Some(mut e) = r.next_entry()? {
            let Some(name) = keep(&e.name) else { continue };
            // Existing directories keep their owner and mode (a package must not change /usr or /etc).
            if e.kind == crate::entry::Kind::Dir
                && root_c.join(String::from_utf8_lossy(&name[2..]).as_ref()).is_dir()
            {
                continue;
            }
            e.name = name;
            let stream = matches!(e.data, crate::entry::EntryData::Stream(_));
            out.push(e).map_err(|_| Error::Cancelled("the tree writer stopped".into()))?;
            if stream {
                out.flush()?;
            }
        }
        out.flush()
    };
    let topts = TreeOptions { target: root.to_path_buf(), overwrite: true, ..TreeOptions::default() };
    let filter = Filter { exclude: None, explain: false, select: None };
    let counters = Counters::default();
    let quiet = Quiet(events);
    let ((), ts) =
        pipeline::run(reader, &filter, |rx| tree::write_tree(&topts, rx, &quiet), &counters, events)?;
    if ts.refused > 0 || ts.soft_errors > 0 {
        return Err(Error::refused(format!(
            "installp: {fileset} {level}: {} objects of {} could not be written into {}",
            ts.refused + ts.soft_errors,
            img.path.display(),
            root.display()
        )));
    }
    Ok(ts.entries)
}

/// Passes everything but per-file entries (installp prints counts, not names).
struct Quiet<'a>(&'a dyn Events);

impl Events for Quiet<'_> {
    fn event(&self, ev: &Event<'_>) {
        if !matches!(ev, Event::Entry { .. }) {
            self.0.event(ev);
        }
    }

    fn wants_plan(&self) -> bool {
        self.0.wants_plan()
    }
}

fn save_replaced<'a>(
    root: &Path,
    pkg: &str,
    fileset: &str,
    level: &Level,
    names: impl Iterator<Item = &'a Vec<u8>>,
) -> Result<()> {
    let dir = save_dir(root, pkg, fileset, level);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    let mut list = String::new();
    for n in names {
        let rel = String::from_utf8_lossy(n).trim_start_matches("./").to_string();
        let src = root.join(&rel);
        let Ok(md) = std::fs::symlink_metadata(&src) else {
            list.push_str(&format!("new ./{rel}\n"));
            continue;
        };
        if md.is_dir() {
            continue;
        }
        let dst = dir.join(&rel);
        if let Some(p) = dst.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::io("create", p, e))?;
        }
        copy_object(&src, &dst, &md)?;
        list.push_str(&format!("saved ./{rel}\n"));
    }
    let l = dir.join(".savelist");
    std::fs::write(&l, list).map_err(|e| Error::io("write", &l, e))
}

/// Copies a file or symlink with its mode, owner and times.
fn copy_object(src: &Path, dst: &Path, md: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let _ = std::fs::remove_file(dst);
    if md.file_type().is_symlink() {
        let t = std::fs::read_link(src).map_err(|e| Error::io("read the link", src, e))?;
        std::os::unix::fs::symlink(&t, dst).map_err(|e| Error::io("create", dst, e))?;
        return Ok(());
    }
    std::fs::copy(src, dst).map_err(|e| Error::io("copy", src, e))?;
    let _ = std::os::unix::fs::lchown(dst, Some(md.uid()), Some(md.gid()));
    let _ = std::fs::set_permissions(dst, std::os::unix::fs::PermissionsExt::from_mode(md.mode() & 0o7777));
    let mtime = std::time::UNIX_EPOCH
        + std::time::Duration::new(md.mtime().max(0) as u64, md.mtime_nsec().clamp(0, 999_999_999) as u32);
    if let Ok(f) = File::options().write(true).open(dst) {
        let _ = f.set_modified(mtime);
    }
    Ok(())
}

/// `installp -c`: commits the applied updates of `filesets` (`all`: every applied one) and removes their save
/// directories.
pub fn commit(root: &Path, filesets: &[String], time: i64, events: &dyn Events) -> Result<Vec<SummaryRow>> {
    let mut vpd = Swvpd::load(root)?;
    let names = select_applied(&vpd, filesets)?;
    let mut rows = Vec::new();
    say(
        events,
        &transcript::operation(
            "COMMITTING",
            &names.iter().map(|(n, l, _)| (n.clone(), l.clone())).collect::<Vec<_>>(),
        ),
    );
    for (name, _, pkg) in &names {
        for level in vpd.commit(name, time) {
            let d = save_dir(root, pkg, name, &level);
            if d.exists() {
                std::fs::remove_dir_all(&d).map_err(|e| Error::io("remove", &d, e))?;
            }
            rows.push(SummaryRow {
                name: name.clone(),
                level,
                part: "USR",
                event: "COMMIT",
                result: "SUCCESS",
            });
        }
    }
    vpd.save()?;
    say(events, &transcript::summary(&rows));
    Ok(rows)
}

fn select_applied(vpd: &Swvpd, filesets: &[String]) -> Result<Vec<(String, Level, String)>> {
    let applied: Vec<(String, Level, String)> = vpd
        .all_installed()
        .into_iter()
        .filter(|i| i.state == State::Applied)
        .map(|i| (i.fileset, i.level, i.package))
        .collect();
    if filesets.iter().any(|f| f == "all") {
        return Ok(applied);
    }
    let mut out = Vec::new();
    for f in filesets {
        match applied.iter().find(|a| &a.0 == f) {
            Some(a) => out.push(a.clone()),
            None => {
                return Err(Error::refused(format!(
                    "installp: {f} has no update in the APPLIED state (Must be in APPLIED state to commit or reject)"
                )))
            }
        }
    }
    Ok(out)
}

/// `installp -r`: rejects the highest applied update of each fileset: restores the saved files, removes the
/// files the update added, and takes the update out of the inventory (spec §7.3).
pub fn reject(root: &Path, filesets: &[String], time: i64, events: &dyn Events) -> Result<Vec<SummaryRow>> {
    let mut vpd = Swvpd::load(root)?;
    let names = select_applied(&vpd, filesets)?;
    say(
        events,
        &transcript::operation(
            "REJECTING",
            &names.iter().map(|(n, l, _)| (n.clone(), l.clone())).collect::<Vec<_>>(),
        ),
    );
    let mut rows = Vec::new();
    for (name, level, pkg) in &names {
        let dir = save_dir(root, pkg, name, level);
        let list = dir.join(".savelist");
        let text = std::fs::read_to_string(&list).map_err(|e| {
            Error::refused(format!(
                "installp: cannot reject {name} {level}: its save directory {} is missing or unreadable ({e})",
                dir.display()
            ))
        })?;
        for line in text.lines() {
            let Some((what, n)) = line.split_once(' ') else { continue };
            let rel = n.trim_start_matches("./");
            if rel.is_empty() || rel.split('/').any(|c| c == "..") {
                continue;
            }
            let target = root.join(rel);
            match what {
                "saved" => {
                    let src = dir.join(rel);
                    let md = std::fs::symlink_metadata(&src).map_err(|e| Error::io("stat", &src, e))?;
                    copy_object(&src, &target, &md)?;
                }
                "new" if std::fs::symlink_metadata(&target).is_ok_and(|m| !m.is_dir()) => {
                    std::fs::remove_file(&target).map_err(|e| Error::io("remove", &target, e))?;
                }
                _ => {}
            }
        }
        vpd.reject(name, level, time)?;
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
        rows.push(SummaryRow {
            name: name.clone(),
            level: level.clone(),
            part: "USR",
            event: "REJECT",
            result: "SUCCESS",
        });
    }
    vpd.save()?;
    say(events, &transcript::summary(&rows));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zstd-compressed image (`backup -Z` of one) installs like the plain one: the apply pass reads the
    /// stream the same way the image was opened.
    #[test]
    fn a_zstd_compressed_image_installs() {
        let t = tempfile::tempdir().unwrap();
        let build = t.path().join("build");
        std::fs::create_dir_all(build.join("usr/bin")).unwrap();
        std::fs::write(build.join("usr/bin/zz"), "zz\n").unwrap();
        let tmpl = t.path().join("zz.template");
        std::fs::write(
            &tmpl,
            "Package Name: zz\nPackage VRMF: 1.0.0.0\nUpdate: N\nFileset\n  Fileset Name: zz.rte\n  Fileset VRMF: \
             1.0.0.0\n  Fileset Description: zz\n  USRFiles\n    /usr/bin/zz\n  EOUSRFiles\n  ROOT Part: N\nEOFileset\n",
        )
        .unwrap();
        let plain = super::super::mkinstallp::mkinstallp(&build, &tmpl).unwrap().image;
        let packed = t.path().join("zz.1.0.0.0.I");
        let c = crate::archive::Compression::Zstd { level: 3, threads: 0 };
        let mut w = crate::archive::OutStream::new(File::create(&packed).unwrap(), c).unwrap();
        std::io::Write::write_all(&mut w, &std::fs::read(&plain).unwrap()).unwrap();
        w.finish().unwrap();
        let root = t.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        let req = Request {
            location: packed,
            wanted: vec![Wanted::name("zz.rte")],
            flags: Flags::parse("ac").unwrap(),
            time: 0,
        };
        let mut space = StatvfsSpace { root: root.clone() };
        let out = install(&root, &req, &mut space, &crate::NoEvents).unwrap();
        assert_eq!(std::fs::read_to_string(root.join("usr/bin/zz")).unwrap(), "zz\n");
        assert!(out.files > 0);
        assert_eq!(
            Swvpd::load(&root).unwrap().effective_files(Part::Usr, "zz.rte").len(),
            out.files as usize
        );
    }
}
