//! `mksysb FILE`: a by-name archive of the mounted rootvg filesystems of the modelled host (spec
//! backup-format.md §12.1, alt-disk.md §2.1).
//!
//! Archive order: `./bosinst.data`, `./image.data`, then every filesystem named by image.data's `FS_NAME`
//! lines that is a mounted rootvg filesystem, in sorted mount-point order, as the walker emits it (`./` names,
//! a directory before its contents, sockets skipped). Always excluded (anchored ERE, as AIX's script):
//! `^./image.data`, `^./tmp/vgdata`, `^./bosinst.data` and the output file itself when it is under the
//! host's `/`. `/alt_inst` and the `-x` filesystems keep only their mount-point directory.
//!
//! `./image.data` is `HOST/image.data` (the running system's `/image.data`, see [`super::plan`]).
//! `./bosinst.data` is taken from `HOST/root/bosinst.data`, else `HOST/root/var/adm/ras/bosinst.data`, else
//! a built-in template; its `target_disk_data` stanzas are refreshed from the rootvg disks unless
//! `HOST/root/save_bosinst.data_file` exists (spec §3.5).

use std::path::{Path, PathBuf};

use super::plan::{account_tree, host_image_data, host_targets, write_mkszfile};
use super::say;
use crate::archive::{
    ArchiveReader, ArchiveWriter, Compression, OutStream, ReaderOptions, WriteSummary, WriterOptions,
};
use crate::batch::Counters;
use crate::entry::{Entry, EntryData, Kind, Meta, Timestamp};
use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::exclude::{ExcludeList, Syntax};
use crate::host::{Host, HostLock};
use crate::imagedata::{BosinstData, ImageData, Item, Stanza};
use crate::pipeline::{self, Filter};
use crate::walk::{self, WalkOptions};

/// What `mksysb` was asked to do. The CLI fills it from AIX flags.
#[derive(Debug, Clone)]
pub struct MksysbOptions {
    /// The output file.
    pub output: PathBuf,
    /// `-i`: run mkszfile first.
    pub regenerate: bool,
    /// `-e`: apply `/etc/exclude.rootvg` (grep BRE patterns).
    pub exclude: bool,
    /// Pack files (the default; `-p` turns it off).
    pub pack: bool,
    /// `-b N`: 512-byte blocks per write (default 100, i.e. 51,200 bytes).
    pub blocks: Option<usize>,
    /// `-x FILE`: mount points of whole filesystems to leave out (one per line).
    pub exclude_fs: Option<PathBuf>,
    /// `-v`: list each file backed up.
    pub verbose: bool,
    /// `-a`: no extended attributes or ACLs.
    pub no_xattrs: bool,
    /// `-V`: read the archive back and verify every header and packed stream.
    pub verify: bool,
    /// Walker threads (0: one per CPU).
    pub threads: usize,
    /// `--zstd`: compress the whole image (readers recognise it by its magic).
    pub compression: Compression,
}

impl Default for MksysbOptions {
    fn default() -> Self {
        MksysbOptions {
            output: PathBuf::new(),
            regenerate: false,
            exclude: false,
            pack: true,
            blocks: None,
            exclude_fs: None,
            verbose: false,
            no_xattrs: false,
            verify: false,
            threads: 0,
            compression: Compression::None,
        }
    }
}

/// What a run wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MksysbSummary {
    /// Entries written, `./bosinst.data` and `./image.data` included.
    pub entries: u64,
    /// Regular-file data bytes.
    pub bytes: u64,
    /// Files stored packed.
    pub packed_files: u64,
    /// Archive bytes (before compression).
    pub archive_bytes: u64,
    /// Bytes of the image file: the archive bytes, or fewer when compressed.
    pub file_bytes: u64,
    /// Entries skipped or short (backup errors).
    pub soft_errors: u64,
    /// Files that changed after the walk saw them or while they were archived (see [`crate::live`]); those
    /// changed while read are among the soft errors too.
    pub changed: u64,
}

/// Keeps what the archive writer reports (it wants an owned sink) for the caller's event sink: soft errors,
/// and the changed files when listing.
#[derive(Default)]
struct WriterReports(std::sync::Mutex<Vec<(&'static str, String, String)>>);

impl Events for WriterReports {
    fn event(&self, ev: &Event<'_>) {
        let r = match ev {
            Event::SoftError { class, path, message } => (*class, path.clone(), message.clone()),
            Event::Changed { path, detail } => ("", path.to_string(), detail.to_string()),
            _ => return,
        };
        if let Ok(mut v) = self.0.lock() {
            v.push(r);
        }
    }
}

/// The AIX-style refusal when `/image.data` is missing (mksysb without `-i`).
pub const NO_IMAGE_DATA: &str = "0512-004 The /image.data file does not exist. Backup canceled.";

fn now() -> i64 {
    crate::clock::now_secs()
}

fn file_entry(name: &str, text: String, mtime: i64) -> Entry {
    let size = text.len() as u64;
    let t = Timestamp { sec: mtime, nsec: 0 };
    let meta = Meta { mode: 0o644, size, nlink: 1, atime: t, mtime: t, ctime: t, ..Meta::default() };
    let mut e = Entry::new(name.as_bytes().to_vec(), Kind::File, meta);
    e.data = EntryData::Bytes(text.into_bytes().into());
    e
}

/// The bosinst.data a mksysb carries (see the module docs).
pub(crate) fn bosinst_for(host: &Host) -> Result<BosinstData> {
    let root = host.root();
    let existing =
        [root.join("bosinst.data"), root.join("var/adm/ras/bosinst.data")].into_iter().find(|p| p.is_file());
    let mut b = match &existing {
        Some(p) => {
            let text = std::fs::read(p).map_err(|e| Error::io("read", p, e))?;
            BosinstData::parse(&p.display().to_string(), &text)?
        }
        None => bosinst_template()?,
    };
    if root.join("save_bosinst.data_file").exists() {
        return Ok(b);
    }
    let rootvg = host.rootvg()?;
    let disks: Vec<Stanza> = rootvg
        .disks
        .iter()
        .filter_map(|d| host.state.disk(d))
        .map(|d| {
            let mut st = Stanza::new("target_disk_data");
            st.push("PVID", d.pvid.clone());
            st.push("PHYSICAL_LOCATION", "");
            st.push("CONNECTION", "");
            st.push("LOCATION", "");
            st.push("SIZE_MB", d.size_mb.to_string());
            st.push("HDISKNAME", d.name.clone());
            st
        })
        .collect();
    let items = &mut b.file_mut().items;
    let at = items
        .iter()
        .position(|i| matches!(i, Item::Stanza(s) if s.name == "target_disk_data"))
        .or_else(|| items.iter().position(|i| matches!(i, Item::Stanza(s) if s.name == "locale")))
        .unwrap_or(items.len());
    let keep: Vec<Item> = std::mem::take(items);
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (i, it) in keep.into_iter().enumerate() {
        if matches!(&it, Item::Stanza(s) if s.name == "target_disk_data") {
            continue;
        }
        if i < at {
            before.push(it);
        } else {
            after.push(it);
        }
    }
    before.extend(disks.into_iter().map(Item::Stanza));
    before.extend(after);
    *items = before;
    Ok(b)
}

/// A bosinst.data for a non-prompted overwrite install of this system's image [I: the usual AIX 7 fields].
pub(crate) fn bosinst_template() -> Result<BosinstData> {
    let mut f = crate::imagedata::StanzaFile { items: Vec::new(), final_newline: true };
    let mut cf = Stanza::new("control_flow");
    for (k, v) in [
        ("CONSOLE", "Default"),
        ("INSTALL_METHOD", "overwrite"),
        ("PROMPT", "yes"),
        ("EXISTING_SYSTEM_OVERWRITE", "yes"),
        ("INSTALL_X_IF_ADAPTER", "yes"),
        ("RUN_STARTUP", "yes"),
        ("RM_INST_ROOTS", "no"),
        ("ERROR_EXIT", ""),
        ("CUSTOMIZATION_FILE", ""),
        ("TCB", "no"),
        ("INSTALL_TYPE", ""),
        ("BUNDLES", ""),
        ("RECOVER_DEVICES", "Default"),
        ("BOSINST_DEBUG", "no"),
        ("ACCEPT_LICENSES", ""),
        ("IMPORT_USER_VGS", ""),
        ("ENABLE_64BIT_KERNEL", "Default"),
        ("CREATE_JFS2_FS", "Default"),
        ("ALL_DEVICES_KERNELS", "yes"),
    ] {
        cf.push(k, v);
    }
    f.push_stanza(cf);
    let mut lc = Stanza::new("locale");
    for (k, v) in [("BOSINST_LANG", "en_US"), ("CULTURAL_CONVENTION", "en_US"), ("MESSAGES", "en_US")] {
        lc.push(k, v);
    }
    lc.push("KEYBOARD", "en_US");
    f.items.push(Item::Stanza(lc));
    Ok(BosinstData::parse("bosinst.data", f.to_text().as_bytes())?)
}

fn regex_escape(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        if "\\.^$*+?()[]{}|".contains(c) {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// The always-excluded names (spec alt-disk.md §2.1 step 3), plus the output file when it is under `root`.
pub(crate) fn always_excluded(root: &Path, output: &Path) -> Result<ExcludeList> {
    let mut pats = String::from("^./image.data\n^./tmp/vgdata\n^./bosinst.data\n");
    if let (Ok(r), Ok(o)) = (root.canonicalize(), output.parent().map(Path::canonicalize).transpose()) {
        if let (Some(o), Some(name)) = (o, output.file_name()) {
            if let Ok(rel) = o.join(name).strip_prefix(&r) {
                pats.push_str(&format!("^\\./{}$\n", regex_escape(&rel.to_string_lossy())));
            }
        }
    }
    Ok(ExcludeList::from_bytes("mksysb", pats.as_bytes(), Syntax::Extended)?)
}

/// Runs `mksysb` on the host in `dir`.
pub fn mksysb(dir: &Path, o: &MksysbOptions, events: &dyn Events) -> Result<MksysbSummary> {
    // The image must be creatable before the walk reads a byte.
    crate::archive::writer::check_creatable(&o.output).map_err(|e| Error::io("create", &o.output, e))?;
    let _lock = HostLock::acquire(dir)?;
    let host = Host::open(dir)?;
    let root = host.root();
    let rootvg = host.rootvg()?.clone();
    let mounted: Vec<String> = rootvg.mounted_fs_sorted().iter().map(|f| f.mount_point.clone()).collect();
    let mut skip_fs: Vec<String> = Vec::new();
    if let Some(x) = &o.exclude_fs {
        let text = std::fs::read_to_string(x).map_err(|e| Error::io("read", x, e))?;
        for (n, l) in text.lines().enumerate() {
            let l = l.trim();
            if l.is_empty() {
                continue;
            }
            if !mounted.iter().any(|m| m == l) {
                return Err(Error::refused(format!(
                    "mksysb: {}:{}: {l} is not a mounted rootvg file system",
                    x.display(),
                    n + 1
                )));
            }
            if l == "/" {
                return Err(Error::refused(format!(
                    "mksysb: {}:{}: / cannot be excluded",
                    x.display(),
                    n + 1
                )));
            }
            skip_fs.push(l.to_string());
        }
    }
    let idata = host_image_data(dir);
    let img = if o.regenerate {
        // [R] mksysb -i message.
        say(&host, events, "Creating information file (/image.data) for rootvg.")?;
        let needs = account_tree(&root, &mounted, None, o.threads, &[host_targets(&host, false)?], events)?;
        write_mkszfile(&host, needs.first().map(Vec::as_slice).unwrap_or(&[]))?
    } else {
        let text = match std::fs::read(&idata) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::refused(NO_IMAGE_DATA)),
            Err(e) => return Err(Error::io("read", &idata, e)),
        };
        ImageData::parse("/image.data", &text)?
    };
    let bosinst = bosinst_for(&host)?;
    // The filesystems to back up: FS_NAME lines that are mounted rootvg filesystems, minus -x.
    let named: Vec<String> = img.filesystems()?.into_iter().map(|f| f.name).collect();
    let walked: Vec<String> =
        mounted.iter().filter(|m| named.contains(m) && !skip_fs.contains(m)).cloned().collect();
    let mut foreign: Vec<PathBuf> = vec![PathBuf::from("/alt_inst")];
    foreign.extend(mounted.iter().filter(|m| !walked.contains(m)).map(PathBuf::from));
    let mut lists = vec![always_excluded(&root, &o.output)?];
    if o.exclude {
        let p = root.join("etc/exclude.rootvg");
        // The one exclude loader and its empty-list rule (an empty file excludes nothing).
        if p.is_file() {
            if let Some(l) = ExcludeList::load(&[&p], Syntax::Basic, events)? {
                lists.push(l);
            }
        }
    }
    let exclude = ExcludeList::merge(lists)?;
    let mut wopts =
        WalkOptions::new(&root).filesystems(&walked).threads(o.threads).metadata(!o.no_xattrs, !o.no_xattrs);
    wopts.extra_foreign = foreign;
    let prune_fn = |n: &[u8]| exclude.prunes_subtree(n);
    // [R] AIX builds the list first, then prints its size.
    say(&host, events, "Creating list of files to back up.")?;
    let counters = Counters::default();
    let filter = Filter { exclude: Some(&exclude), explain: false, select: None };
    // The list is the plan: its entries and file data are the progress total of the backup that follows.
    let count = |rx: crossbeam_channel::Receiver<crate::batch::Batch>| -> Result<(u64, u64)> {
        let (mut n, mut bytes) = (0u64, 0u64);
        for e in rx.into_iter().flatten() {
            n += 1;
            if e.kind == crate::entry::Kind::File {
                bytes += e.meta.size;
            }
        }
        Ok((n, bytes))
    };
    let walk_events = crate::events::WithoutProgress(events);
    let (_, (listed, listed_bytes)) = pipeline::run(
        |tx| walk::walk(&wopts, Some(&prune_fn), &walk_events, &tx),
        &filter,
        count,
        &counters,
        events,
    )?;
    events.event(&Event::Planned { entries: listed, bytes: listed_bytes });
    let total = listed + 2;
    say(&host, events, &format!("Backing up {total} files..."))?;
    let out = std::fs::File::create(&o.output).map_err(|e| Error::io("create", &o.output, e))?;
    let (n, s, file_bytes) = match write_image(out, &wopts, &exclude, &bosinst, &img, o, events) {
        Ok(v) => v,
        Err(e) => {
            if crate::archive::writer::remove_incomplete(&o.output) {
                events.event(&Event::Warning(format!(
                    "mksysb: removed the incomplete image {}",
                    o.output.display()
                )));
            }
            return Err(e.archive_output(&o.output));
        }
    };
    let done = n + 2;
    // [R] AIX backup's completion line.
    let pct = (done * 100).checked_div(total).map_or(100, |p| p.min(100));
    say(&host, events, &format!("{done} of {total} files backed up ({pct}%)"))?;
    if o.verify {
        verify(&o.output)?;
        say(&host, events, "Verifying the backup... (all headers and data read back)")?;
    }
    if s.soft_errors > 0 {
        // [R] AIX's wording when backup reported errors; the CLI exits 1.
        say(&host, events, "0512-003 mksysb may not have been able to archive some files.")?;
    } else {
        say(&host, events, "0512-038 mksysb: Backup Completed Successfully.")?;
    }
    Ok(MksysbSummary {
        entries: done,
        bytes: s.bytes,
        packed_files: s.packed_files,
        archive_bytes: s.archive_bytes,
        file_bytes,
        soft_errors: s.soft_errors,
        changed: s.changed,
    })
}

/// Writes the image to `out`: bosinst.data and image.data first, then the walk of `wopts` through `exclude`.
/// Returns the entries written after the two, the writer's summary and the bytes of the image file (fewer
/// than the archive's when compressed), the image flushed and synced.
fn write_image(
    out: std::fs::File,
    wopts: &WalkOptions,
    exclude: &ExcludeList,
    bosinst: &BosinstData,
    img: &ImageData,
    o: &MksysbOptions,
    events: &dyn Events,
) -> Result<(u64, WriteSummary, u64)> {
    let wo = WriterOptions {
        block_size: o.blocks.map_or(crate::archive::writer::DEFAULT_BLOCK_SIZE, |b| b.max(1) * 512),
        pack: o.pack,
        pack_exclude: None,
        date: now() as i32,
        user: b"root".to_vec(),
    };
    let stream = OutStream::new(std::io::BufWriter::new(out), o.compression)
        .map_err(|e| Error::io("write", &o.output, e))?;
    let reports = std::sync::Arc::new(WriterReports::default());
    let mut w = ArchiveWriter::new(stream, wo)?.with_events(reports.clone());
    let t = now();
    let head =
        [file_entry("./bosinst.data", bosinst.to_text(), t), file_entry("./image.data", img.to_text(), t)];
    let list = |e: &Entry| {
        if o.verbose {
            events.event(&Event::Entry { name: &e.name, kind: e.kind, size: e.meta.size, link: None });
        }
    };
    for e in &head {
        w.write_entry(e)?;
        list(e);
    }
    let mut wopts = wopts.clone();
    wopts.with_data_source = true;
    wopts.read_ahead = walk::READ_AHEAD_DEFAULT;
    let prune_fn = |n: &[u8]| exclude.prunes_subtree(n);
    let filter = Filter { exclude: Some(exclude), explain: false, select: None };
    let counters = Counters::default();
    let writer = |rx: crossbeam_channel::Receiver<crate::batch::Batch>| -> Result<(u64, ArchiveWriter<_>)> {
        let (mut n, mut bytes) = (0u64, 0u64);
        for e in rx.into_iter().flatten() {
            w.write_entry(&e)?;
            list(&e);
            n += 1;
            if e.kind == crate::entry::Kind::File {
                bytes += e.meta.size;
            }
            if n.is_multiple_of(4096) {
                events.event(&Event::Progress { entries: n, bytes });
            }
        }
        events.event(&Event::Progress { entries: n, bytes });
        Ok((n, w))
    };
    // Progress is the writer's (what is archived, as the plan counts it), not the walk's.
    let walk_events = crate::events::WithoutProgress(events);
    let (_, (n, w)) = pipeline::run(
        |tx| walk::walk(&wopts, Some(&prune_fn), &walk_events, &tx),
        &filter,
        writer,
        &counters,
        events,
    )?;
    let (stream, s) = w.finish()?;
    for (class, path, message) in reports.0.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default() {
        if !class.is_empty() {
            events.event(&Event::SoftError { class, path, message });
        } else if o.verbose {
            events.event(&Event::Changed { path: &path, detail: &message });
        }
    }
    let (buf, file_bytes) = stream
        .finish()
        .map_err(|e| Error::from(crate::archive::ArchiveError::Io { offset: s.archive_bytes, source: e }))?;
    let file = buf.into_inner().map_err(|e| Error::io("write", &o.output, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io("sync", &o.output, e))?;
    Ok((n, s, file_bytes))
}

/// `-V`: reads every record and all data (unpacking packed files) back from the archive.
pub fn verify(path: &Path) -> Result<u64> {
    let f = super::mksysb_install::open_image(path)?;
    let mut r = ArchiveReader::new(f, ReaderOptions::default());
    let mut n = 0;
    while let Some(rec) = r.next_record()? {
        match rec {
            crate::archive::Record::Entry(_) => {
                r.read_data(&mut std::io::sink())?;
                n += 1;
            }
            crate::archive::Record::End => break,
            _ => {}
        }
    }
    Ok(n)
}
