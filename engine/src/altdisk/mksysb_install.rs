//! `alt_disk_mksysb -m FILE -d DISKS`: install a mksysb onto alternate disks (spec alt-disk.md §1.3, §1.6,
//! §1.7). It hands the one phase machine ([`super::phases`]) its phase-1 step: `altinst_rootvg` built from the
//! archive's `./image.data` (or `-i`) through [`super::plan`], then the whole archive restored through the
//! archive reader → filter → tree writer onto `/alt_inst`. Phase 2 is `-s -R -n` only: software flags are
//! refused, nothing can be installed into a mksysb clone.
//!
//! The per-filesystem capacities of the plan are enforced while restoring: a file whose data (rounded to
//! 4 KiB blocks, plus 4 KiB per other object \[I\]) no longer fits its filesystem is not restored and is a
//! restore error, handled under the `ALT_BAK_ERR_*` rules, as a full JFS2 file system on AIX.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::phases::{
    check_conflicts, check_flags, check_phase1, record_copy_errors, run_phases, AltCommand, BuildOptions,
    NoSoftware, PhaseOptions, PhaseOutcome,
};
use super::plan::{create_altinst, make_plan, ImageSource, PlanRequest};
use super::{say, trace, CopyStats, ALTINST};
use crate::archive::{open_stream, ArchiveReader, InStream, ReaderOptions, Record};
use crate::batch::Counters;
use crate::entry::{Entry, Kind};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::host::Host;
use crate::imagedata::{BosinstData, ImageData};
use crate::pipeline::{self, Filter};
use crate::space::{Accountant, FsNeed, FsTarget};
use crate::tree::{self, TreeOptions};

/// Everything `alt_disk_mksysb` was asked to do. The CLI fills it from AIX flags.
#[derive(Debug, Clone, Default)]
pub struct MksysbInstallOptions {
    /// The phase machine's options: `-d`, `-P`, `-s -R -n`, `-B`, `-r`, `-V` (list each file restored), `-D`
    /// and the `ALT_BAK_ERR_*` policy. Its `software` must stay empty (refused).
    pub common: PhaseOptions,
    /// `-i` (use this image.data instead of the archive's `./image.data`), `-g`, `-S`, `-O`, `-T`.
    pub build: BuildOptions,
    /// `-m`: the mksysb file.
    pub mksysb: PathBuf,
    /// `-p`: platform for the boot image name (the model knows only `chrp`).
    pub platform: Option<String>,
    /// `-L`: the mksysb level `V.R.M`, checked against the image's `OSLEVEL`.
    pub level: Option<String>,
    /// `-c`: console device (recorded; not limited to `-O`).
    pub console: Option<String>,
    /// `-K`: link the 64-bit kernel.
    pub kernel64: bool,
    /// `-k`: keep the mksysb's device configuration (recorded in the log).
    pub keep_devices: bool,
    /// `-y`: import the user volume groups the mksysb records (recorded in the log).
    pub import_vgs: bool,
    /// `-z`: import no user volume group; overrides `-y`.
    pub no_import: bool,
    /// `-C`: use only the chrp disk boot image (recorded in the log).
    pub chrp_boot_image: bool,
    /// Tree-writer threads (0: one per CPU).
    pub threads: usize,
}

const CMD: AltCommand = AltCommand::Mksysb;

/// The `./image.data` and `./bosinst.data` at the head of a mksysb (they come before any other file).
#[derive(Debug, Default)]
pub struct MksysbHead {
    /// `./image.data`, when present.
    pub image_data: Option<ImageData>,
    /// `./bosinst.data`, when present.
    pub bosinst: Option<BosinstData>,
}

/// Opens a mksysb image for reading, plain or zstd-compressed (recognised by its magic, see
/// [`crate::archive::stream`]).
pub fn open_image(path: &Path) -> Result<InStream<File>> {
    let f = File::open(path).map_err(|e| Error::io("open", path, e))?;
    open_stream(f).map_err(|e| Error::io("read", path, e))
}

/// Reads the head records of `path` until the first name that is not `./bosinst.data`, `./image.data`,
/// `./tapeblksz` or under `./tmp/vgdata/`.
pub(crate) fn read_head(path: &Path) -> Result<MksysbHead> {
    let f = open_image(path)?;
    let mut r = ArchiveReader::new(f, ReaderOptions::default());
    let mut head = MksysbHead::default();
    while let Some(rec) = r.next_record()? {
        let e = match rec {
            Record::Entry(e) => e,
            Record::End => break,
            _ => continue,
        };
        let name = String::from_utf8_lossy(&e.name).into_owned();
        let wanted = matches!(name.as_str(), "./image.data" | "./bosinst.data");
        if !wanted && name != "./tapeblksz" && !name.starts_with("./tmp/vgdata/") {
            break;
        }
        let mut data = Vec::new();
        r.read_data(&mut data)?;
        let file = format!("{}:{}", path.display(), &name[1..]);
        if name == "./image.data" {
            head.image_data = Some(ImageData::parse(&file, &data)?);
        } else if name == "./bosinst.data" {
            head.bosinst = Some(BosinstData::parse(&file, &data)?);
        }
    }
    Ok(head)
}

/// Accounts every entry of the archive against each set of targets (the restore's space needs).
pub(crate) fn account_archive(path: &Path, sets: &[Vec<FsTarget>]) -> Result<Vec<Vec<FsNeed>>> {
    let f = open_image(path)?;
    let mut r = ArchiveReader::new(f, ReaderOptions::default());
    let mut accs: Vec<Accountant> = sets.iter().map(|s| Accountant::new(s.clone())).collect();
    while let Some(e) = r.next_entry()? {
        for a in &mut accs {
            a.add(&e);
        }
    }
    Ok(accs.into_iter().map(Accountant::finish).collect())
}

fn refuse<T>(msg: String) -> Result<T> {
    Err(Error::refused(msg))
}

/// Checks the flags alone, in the documented order.
pub fn validate(o: &MksysbInstallOptions) -> Result<()> {
    let cmd = CMD.name();
    if o.mksysb.as_os_str().is_empty() {
        return refuse(format!("{cmd}: a mksysb image is required (-m)"));
    }
    check_conflicts(CMD, &o.common)?;
    if let Some(f) = o.common.software.given().first() {
        return refuse(format!(
            "{cmd}: -{f}: nothing can be installed into a mksysb clone (its phase 2 runs -s, -R and -n only)"
        ));
    }
    check_flags(CMD, &o.common, &[('i', &o.build.image_data)])?;
    if !o.mksysb.is_file() {
        return refuse(format!("{cmd}: -m: {} does not exist or is not a file", o.mksysb.display()));
    }
    if let Some(p) = &o.platform {
        if p != "chrp" {
            return refuse(format!(
                "{cmd}: -p {p}: no boot image for platform {p} (this host model is chrp)"
            ));
        }
    }
    Ok(())
}

/// Runs `alt_disk_mksysb` on the host in `dir`.
pub fn alt_disk_mksysb(dir: &Path, o: &MksysbInstallOptions, events: &dyn Events) -> Result<PhaseOutcome> {
    validate(o)?;
    let mut step = |host: &mut Host| phase1(host, o, events);
    run_phases(dir, CMD, &o.common, &mut step, &NoSoftware, events)
}

fn phase1(host: &mut Host, o: &MksysbInstallOptions, events: &dyn Events) -> Result<CopyStats> {
    let cmd = CMD.name();
    events.event(&Event::Phase(1));
    trace(o.common.trace, events, "phase 1");
    check_phase1(host, CMD, &o.common, &o.build)?;
    let src = match &o.build.image_data {
        Some(p) => ImageSource::File(p.clone()),
        None => {
            let head = read_head(&o.mksysb)?;
            let Some(img) = head.image_data else {
                return refuse(format!(
                    "{cmd}: {} has no ./image.data at its head (it is not a mksysb image); give an image.data \
                     for it with -i",
                    o.mksysb.display()
                ));
            };
            say(host, events, "Restoring /image.data from mksysb image.")?;
            ImageSource::Given(img)
        }
    };
    if let (Some(l), ImageSource::Given(img)) = (&o.level, &src) {
        let os = img.file().first("image_data").and_then(|s| s.get("OSLEVEL")).unwrap_or("").trim();
        if !os.starts_with(l.as_str()) {
            return refuse(format!("{cmd}: -L {l} does not match the level of the mksysb image ({os})"));
        }
    }
    let preq = PlanRequest {
        disks: o.common.disks.clone(),
        to_jfs2: o.build.to_jfs2,
        skip_space_check: o.build.skip_space_check,
        trace: o.common.trace,
    };
    let path = o.mksysb.clone();
    let needs_of = |sets: &[Vec<FsTarget>]| account_archive(&path, sets);
    let plan = make_plan(host, src, &preq, &needs_of, events)?;
    let oslevel = plan
        .image
        .file()
        .first("image_data")
        .and_then(|s| s.get("OSLEVEL"))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| host.rootvg().map(|r| r.oslevel.clone()).unwrap_or_default());
    create_altinst(host, &plan, &o.common.disks, &oslevel, o.common.trace, events)?;
    for (on, what) in [
        (o.keep_devices, "-k: the device configuration of the mksysb is kept"),
        (o.import_vgs && !o.no_import, "-y: user volume groups of the mksysb are imported at first boot"),
        (o.no_import, "-z: no user volume group is imported"),
        (o.chrp_boot_image, "-C: boot image bosboot.disk.chrp of the running rootvg is used"),
    ] {
        if on {
            host.log(what)?;
        }
    }
    if let Some(c) = &o.console {
        host.log(&format!("-c: console of the clone set to {c}"))?;
    }
    say(host, events, "Restoring mksysb image to alternate disk(s).")?;
    if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
        a.step = "restore".into();
    }
    host.save()?;
    trace(o.common.trace, events, "restore -xqf mksysb");
    let stats = restore_archive_into(
        &o.mksysb,
        &host.alt_inst(),
        &plan.fs_limits,
        o.threads,
        o.common.verbose,
        events,
    )?;
    let mut stats = stats;
    if o.build.verify && stats.soft_errors.is_empty() {
        // `--verify`: the restored tree against the image, before phase 2 changes the clone.
        let opts = crate::verify::CompareOptions {
            threads: crate::threads::or_default(o.threads),
            ..crate::verify::CompareOptions::default()
        };
        stats.differences = Some(crate::verify::compare_archive(&o.mksysb, &host.alt_inst(), &opts, None)?);
    }
    record_copy_errors(host, &stats, "restore", &o.common, events)?;
    if o.kernel64 {
        say(host, events, "Linking to 64bit kernel.")?;
    }
    if o.build.device_reset {
        say(host, events, "Resetting all device attributes.")?;
        if o.console.is_none() {
            say(
                host,
                events,
                "NOTE: The first boot from altinst_rootvg will prompt to define the new system console.",
            )?;
        }
    }
    if let Some(a) = host.state.vg_mut(ALTINST).and_then(|v| v.alt.as_mut()) {
        a.phase_done = 1;
        a.step = "phase 1 done".into();
    }
    host.save()?;
    Ok(stats)
}

/// Per-filesystem space left while restoring: the `fs_limits` model of a full filesystem.
struct Budget {
    /// (mount point, bytes left), longest mount point first.
    fs: Vec<(String, u64)>,
    errors: Vec<String>,
}

impl Budget {
    fn admit(&mut self, e: &Entry) -> bool {
        let name = String::from_utf8_lossy(&e.name);
        let path = name.trim_start_matches('.');
        let path = if path.is_empty() { "/" } else { path };
        let Some(slot) = self.fs.iter_mut().find(|(m, _)| {
            m == "/"
                || path == m
                || (path.starts_with(m.as_str()) && path.as_bytes().get(m.len()) == Some(&b'/'))
        }) else {
            return true;
        };
        let cost = if e.kind == Kind::File { e.meta.size.div_ceil(4096).max(1) * 4096 } else { 4096 };
        if cost > slot.1 {
            self.errors.push(format!(
                "restore: {name}: There is not enough space in the file system {}.",
                if slot.0 == "/" { "/alt_inst".to_string() } else { format!("/alt_inst{}", slot.0) }
            ));
            return false;
        }
        slot.1 -= cost;
        true
    }
}

/// Passes the tree writer's events on, its per-entry listing only with `-V`.
struct Listing<'a> {
    inner: &'a dyn Events,
    verbose: bool,
}

impl Events for Listing<'_> {
    fn event(&self, ev: &Event<'_>) {
        // Progress is the archive reader's (bytes of the archive read), not the tree writer's.
        if (self.verbose || !matches!(ev, Event::Entry { .. })) && !matches!(ev, Event::Progress { .. }) {
            self.inner.event(ev);
        }
    }

    fn wants_plan(&self) -> bool {
        self.inner.wants_plan()
    }
}

/// Restores the whole archive at `mksysb` into `dst` (archive reader → filter → tree writer): packed files
/// decoded, `./` names relative to `dst`, unsafe names refused by the tree writer. With `fs_limits`, entries
/// that no longer fit their filesystem are skipped and returned as restore errors.
pub(crate) fn restore_archive_into(
    mksysb: &Path,
    dst: &Path,
    fs_limits: &[(String, u64)],
    threads: usize,
    verbose: bool,
    events: &dyn Events,
) -> Result<CopyStats> {
    let f = open_image(mksysb)?;
    let mut fs: Vec<(String, u64)> = fs_limits.to_vec();
    fs.sort_by_key(|(m, _)| std::cmp::Reverse(m.len()));
    let budget = Mutex::new(Budget { fs, errors: Vec::new() });
    let select = |e: &Entry| match budget.lock() {
        Ok(mut b) => b.admit(e),
        Err(_) => true,
    };
    let tree_events = Listing { inner: events, verbose };
    let filter = Filter { exclude: None, explain: false, select: Some(&select) };
    let topts = TreeOptions {
        target: dst.to_path_buf(),
        threads: crate::threads::or_default(threads),
        overwrite: true,
        ..TreeOptions::default()
    };
    let counters = Counters::default();
    let reader = |tx: crossbeam_channel::Sender<crate::batch::Batch>| -> Result<()> {
        let mut r = ArchiveReader::new(f, ReaderOptions::default());
        pipeline::send_archive(&mut r, &tx, events)
    };
    let ((), ts) =
        pipeline::run(reader, &filter, |rx| tree::write_tree(&topts, rx, &tree_events), &counters, events)?;
    let mut stats = CopyStats {
        entries: ts.entries,
        bytes: ts.bytes,
        soft_errors: Vec::new(),
        reported: 0,
        out_of_space: false,
        differences: None,
    };
    if let Ok(b) = budget.into_inner() {
        // Every budget error is a filesystem of the model that filled up.
        stats.out_of_space = !b.errors.is_empty();
        stats.soft_errors = b.errors;
    }
    for _ in 0..ts.soft_errors {
        stats.soft_errors.push("restore: an entry could not be written (see the messages above)".into());
    }
    if ts.refused > 0 {
        stats.soft_errors.push(format!("restore: {} entries with unsafe names were refused", ts.refused));
    }
    Ok(stats)
}
