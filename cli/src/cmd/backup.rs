//! `backup -i`: AIX backup by name. Names come from standard input, one per line, exactly as
//! `find . -print | backup -i -f out` feeds them; each is stored as given.
//!
//! `backup --walk SRC [--fs MOUNTPOINT]... [-e FILE]... [-E] -f OUT [-p] [-b N] [-v]`: no `find` needed; the
//! engine walker reads SRC (one filesystem, plus each `--fs`, like `find -xdev`), the exclude lists (grep
//! patterns, `-E` for egrep ones; with `--walk`, `-e` names an exclude *file*) drop names, and the names are
//! stored as `./...` relative to SRC. The archive file itself is left out when it lies inside SRC. A summary
//! (entries, files, bytes, excluded, what the format cannot hold) goes to standard error.
//!
//! Output choices: `-v` prints `a NAME` per archived entry on standard output (AIX style; standard error
//! when the archive itself goes to standard output); soft errors go to
//! standard error as `backup: NAME: message` and make the exit status 1. `-q` (no media prompt) is accepted
//! and has nothing to suppress. AIX writes to /dev/rfd0 by default; we require `-f`.
//!
//! `-Z` / `--zstd[=LEVEL]` (not AIX) compresses the whole by-name stream with zstd (level 3 by default,
//! `--threads N` compression workers, default one per CPU); every altdisk reader recognises the result.

use std::ffi::OsString;
use std::io::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use std::path::{Path, PathBuf};

use altdisk_engine::archive::{ArchiveError, ArchiveWriter, Compression, OutStream, WriterOptions};
use altdisk_engine::pipeline::{self, Filter};
use altdisk_engine::walk;
use altdisk_engine::{DevId, Error};

use super::common::{compression, load_excludes, walk_options, Incomplete, ThreadsArg};
use crate::exit;
use crate::render::json;
use crate::render::{Lines, Listing};

/// The forms supported (AIX backup by name, plus `--walk`).
pub const USAGE: &str =
    "backup -i [-f FILE|-] [-b N] [-p] [-q] [-v] [-e REGEX] [-Z|--zstd[=LEVEL] [--threads N]]
         (names on standard input)
       backup --walk SRC [--fs MOUNTPOINT]... [-e FILE]... [-E] [--threads N] -f FILE|- [-b N] [-p] [-q] [-v]
         [-Z|--zstd[=LEVEL]]";

/// Write a by-name archive (backup -i: names from standard input; --walk: a tree).
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Back up by name: the names come from standard input, one per line.
    #[arg(short = 'i')]
    by_name: bool,
    /// The archive file, or - for standard output (AIX's default /dev/rfd0 is not used).
    #[arg(short = 'f', value_name = "FILE")]
    file: Option<OsString>,
    /// Blocks of 512 bytes per write (1..65535, default 100).
    #[arg(short = 'b', value_name = "N")]
    blocks: Option<String>,
    /// Pack (compress) files as they are backed up.
    #[arg(short = 'p')]
    pack: bool,
    /// No media prompt (accepted; there is nothing to suppress).
    #[arg(short = 'q')]
    quiet: bool,
    /// Verbose: print `a NAME` per archived entry.
    #[arg(short = 'v')]
    verbose: bool,
    /// With -i: files whose names match this regular expression are not packed. With --walk: an exclude
    /// file, one grep pattern per line (repeatable).
    #[arg(short = 'e', value_name = "REGEX|FILE")]
    exclude: Vec<OsString>,
    /// With --walk: exclude patterns are extended regular expressions (egrep).
    #[arg(short = 'E')]
    extended: bool,
    /// Walk this tree (one file system, like find -xdev) instead of reading names; they are stored as ./NAME.
    #[arg(long = "walk", value_name = "SRC")]
    walk: Option<PathBuf>,
    /// With --walk: also walk the file system mounted at this mount point (repeatable).
    #[arg(long = "fs", value_name = "MOUNTPOINT")]
    fs: Vec<PathBuf>,
    /// Compress the whole archive with zstd at level 3 (the same as --zstd).
    #[arg(short = 'Z')]
    zstd_default: bool,
    #[command(flatten)]
    zstd: super::common::ZstdArg,
    /// Worker threads: the walker's with --walk, and zstd's compression workers with -Z/--zstd.
    #[command(flatten)]
    threads: ThreadsArg,
}

/// backup's events: `backup: ...` warnings and errors, `a NAME` with `-v` (on standard error when the
/// archive goes to standard output).
fn printer(verbose: bool, to_stderr: bool) -> Lines {
    let listing = match (verbose, to_stderr) {
        (false, _) => Listing::Off,
        (true, false) => Listing::Stdout,
        (true, true) => Listing::Stderr,
    };
    Lines::aix("backup").with_errors().with_listing(listing)
}

/// Runs `backup`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let (by_name, verbose, pack, extended) = (a.by_name, a.verbose, a.pack, a.extended);
    let _accepted = a.quiet;
    let (file, walk_src, fs, threads) = (a.file, a.walk, a.fs, a.threads.clone());
    let zstd_on = a.zstd_default || a.zstd.zstd.is_some();
    // --threads sizes the walker (--walk) and the compression workers (-Z); with neither it means nothing.
    let zstd_threads = if zstd_on { threads.given() } else { None };
    let compression = match compression(a.zstd_default, a.zstd.level(), zstd_threads) {
        Ok(c) => c,
        Err(m) => return exit::usage(format!("{m}\n{USAGE}")),
    };
    let block = match &a.blocks {
        None => 100usize,
        Some(b) => match b.parse::<usize>() {
            Ok(n) if (1..=65535).contains(&n) => n,
            _ => return exit::usage(format!("-b wants a number of 512-byte blocks, got {b:?}")),
        },
    };
    if walk_src.is_some() && by_name {
        return exit::usage(format!("give -i (names on standard input) or --walk SRC, not both\n{USAGE}"));
    }
    if !by_name && walk_src.is_none() {
        return exit::usage(format!("only backup by name (-i or --walk SRC) is supported\n{USAGE}"));
    }
    let mut exclude = None;
    let mut e_args = Vec::new();
    if walk_src.is_none() {
        if !fs.is_empty() || extended {
            return exit::usage(format!("--fs and -E go with --walk\n{USAGE}"));
        }
        if a.threads.given().is_some() && !zstd_on {
            return exit::usage(format!(
                "--threads goes with --walk (walker threads) or -Z (compression workers)\n{USAGE}"
            ));
        }
        // With -i, -e is the pack-exclusion regex (the last one given).
        if let Some(a) = a.exclude.last() {
            match regex::bytes::Regex::new(&a.to_string_lossy()) {
                Ok(r) => exclude = Some(r),
                Err(e) => return exit::usage(format!("bad -e regular expression: {e}")),
            }
        }
    } else {
        e_args = a.exclude;
    }
    let Some(file) = file else {
        return exit::usage(format!(
            "no output given: AIX backup writes to /dev/rfd0 by default, altdisk requires -f FILE (or -f - for \
             standard output)\n{USAGE}"
        ));
    };
    if file == "-" && json::on() {
        return exit::usage("--json writes JSON lines to standard output: give -f FILE, not -f -");
    }
    json::result("archive", serde_json::json!(PathBuf::from(&file)));
    let date = altdisk_engine::clock::now_secs().clamp(0, i64::from(i32::MAX)) as i32;
    let wopts =
        WriterOptions { block_size: block * 512, pack, pack_exclude: exclude, date, user: user_name() };
    if let Some(src) = walk_src {
        let w = Walk {
            src,
            fs,
            excludes: e_args.into_iter().map(PathBuf::from).collect(),
            extended,
            verbose,
            threads,
        };
        return backup_walk(w, &file, wopts, compression);
    }
    let printer = Arc::new(printer(verbose, file == "-"));
    let mut guard = None;
    let out: Box<dyn Write> = if file == "-" {
        Box::new(io::stdout())
    } else {
        let f = std::fs::File::create(&file).map_err(|e| Error::io("create", &file, e))?;
        guard = Some(Incomplete::new("backup", Path::new(&file)));
        Box::new(f)
    };
    let written = (|| -> anyhow::Result<_> {
        let out = OutStream::new(out, compression).map_err(|e| Error::io("write", &file, e))?;
        let mut w = ArchiveWriter::new(out, wopts).map_err(Error::from)?.with_events(printer.clone());
        let stdin = io::stdin();
        pipeline::backup_list(&mut stdin.lock(), &mut w, printer.as_ref())
            .map_err(|e| e.archive_output(Path::new(&file)))?;
        let (out, summary) = w.finish().map_err(|e| Error::from(e).archive_output(Path::new(&file)))?;
        finish_stream(out, summary.archive_bytes, &file)?;
        Ok(summary)
    })();
    let summary = match Incomplete::settle(guard, written) {
        Ok(s) => s,
        Err(ret) => return ret,
    };
    json::result("entries", serde_json::json!(summary.entries));
    json::result("bytes", serde_json::json!(summary.bytes));
    if summary.xattrs_dropped > 0 || summary.default_acls_dropped > 0 {
        json::warning(&format!(
            "backup: the by-name format cannot hold {} extended attributes and {} default ACLs; they were not \
             archived",
            summary.xattrs_dropped, summary.default_acls_dropped
        ));
    }
    report_clamped(summary.times_clamped);
    json::result("changed", serde_json::json!(summary.changed));
    if summary.changed > 0 {
        json::warning(&format!("backup: {} files changed while archived (listed with -v)", summary.changed));
    }
    if summary.soft_errors > 0 || printer.soft.load(Ordering::Relaxed) > 0 {
        json::failure(&format!("backup: {} files could not be backed up completely", summary.soft_errors));
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
}

/// What `--walk` was asked for.
struct Walk {
    src: PathBuf,
    fs: Vec<PathBuf>,
    excludes: Vec<PathBuf>,
    extended: bool,
    verbose: bool,
    threads: ThreadsArg,
}

/// `backup --walk`: walker -> exclude filter -> archive writer.
fn backup_walk(
    w: Walk,
    file: &OsString,
    wopts: WriterOptions,
    compression: Compression,
) -> anyhow::Result<i32> {
    let to_stdout = file == "-";
    let printer = Arc::new(printer(w.verbose, to_stdout));
    let list = load_excludes(&w.excludes, w.extended, printer.as_ref())?;
    if !w.src.is_dir() {
        return Err(Error::io("walk", &w.src, io::Error::from_raw_os_error(libc::ENOTDIR)).into());
    }
    let mut guard = None;
    let (out, skip): (Box<dyn Write + Send>, _) = if to_stdout {
        (Box::new(io::stdout()), None)
    } else {
        let f = std::fs::File::create(file).map_err(|e| Error::io("create", file, e))?;
        guard = Some(Incomplete::new("backup", Path::new(file)));
        let st = rustix::fs::fstat(&f).map_err(|e| Error::io("stat", file, e.into()))?;
        (Box::new(f), Some((DevId::from_dev(st.st_dev), st.st_ino)))
    };
    let written = (|| -> anyhow::Result<_> {
        let out = OutStream::new(out, compression).map_err(|e| Error::io("write", file, e))?;
        let writer = ArchiveWriter::new(out, wopts).map_err(Error::from)?.with_events(printer.clone());
        let wo = walk_options(&w.src, &w.fs, &w.threads)
            .with_data_source(true)
            .read_ahead(walk::READ_AHEAD_DEFAULT);
        let prune_fn;
        let prune: Option<walk::Prune<'_>> = match &list {
            Some(l) => {
                prune_fn = move |n: &[u8]| l.prunes_subtree(n);
                Some(&prune_fn)
            }
            None => None,
        };
        let filter = Filter { exclude: list.as_ref(), explain: false, select: None };
        if json::on() {
            // The plan (a metadata walk with the same exclusion): what the archive will hold, the total of its
            // progress (entries and file data archived).
            let scan = wo.clone().metadata(false, false).with_data_source(false);
            let p = pipeline::clone_dry_run(&scan, list.as_ref(), false, &altdisk_engine::NoEvents)?;
            json::planned(Some(p.entries), p.bytes);
        }
        let (out, s) = pipeline::backup_walk(&wo, prune, &filter, writer, skip, printer.as_ref())
            .map_err(|e| e.archive_output(Path::new(file)))?;
        let stored = finish_stream(out, s.write.archive_bytes, file)?;
        Ok((s, stored))
    })();
    let (s, stored) = match Incomplete::settle(guard, written) {
        Ok(v) => v,
        Err(ret) => return ret,
    };
    json::result("entries", serde_json::json!(s.write.entries));
    json::result("files", serde_json::json!(s.write.files));
    json::result("bytes", serde_json::json!(s.write.bytes));
    json::result("archive_bytes", serde_json::json!(s.write.archive_bytes));
    json::result("stored_bytes", serde_json::json!(stored));
    json::result("excluded", serde_json::json!(s.excluded));
    let line = format!(
        "backup: {} entries ({} files, {} bytes of data) archived in {} bytes{}; {} excluded{}",
        s.write.entries,
        s.write.files,
        s.write.bytes,
        s.write.archive_bytes,
        match compression {
            Compression::Zstd { level, .. } => format!(" ({stored} bytes compressed with zstd -{level})"),
            Compression::None => String::new(),
        },
        s.excluded,
        if s.skipped_output { "; the archive file itself was left out" } else { "" }
    );
    if json::on() {
        json::print(&line);
    } else {
        eprintln!("{line}");
    }
    if s.write.xattrs_dropped > 0 || s.write.default_acls_dropped > 0 {
        json::warning(&format!(
            "backup: the by-name format cannot hold {} extended attributes and {} default ACLs; they were not \
             archived",
            s.write.xattrs_dropped, s.write.default_acls_dropped
        ));
    }
    report_clamped(s.write.times_clamped);
    json::result("changed", serde_json::json!(s.write.changed));
    if s.write.changed > 0 {
        json::warning(&format!("backup: {} files changed while archived (listed with -v)", s.write.changed));
    }
    let soft = s.write.soft_errors + s.walk.soft_errors;
    if soft > 0 || printer.soft.load(Ordering::Relaxed) > 0 {
        json::failure(&format!("backup: {soft} entries could not be backed up completely"));
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
}

/// Reports the entries whose times the format could not hold (after 2038-01-19 03:14:07 UTC).
fn report_clamped(n: u64) {
    if n > 0 {
        json::warning(&format!(
            "backup: {n} files have times after 2038-01-19 03:14:07 UTC, the format's limit; they were stored as \
             that time"
        ));
    }
}

/// Ends the (possibly compressed) stream once the archive writer has finished; returns the bytes that went
/// to the output. `at` is the archive length, the offset an error is reported at.
fn finish_stream<W: Write>(out: OutStream<W>, at: u64, file: &OsString) -> anyhow::Result<u64> {
    let (_, stored) = out.finish().map_err(|source| {
        Error::from(ArchiveError::Io { offset: at, source }).archive_output(Path::new(file))
    })?;
    Ok(stored)
}

/// The login name for the volume label (from the password database, else the uid).
fn user_name() -> Vec<u8> {
    let uid = rustix::process::getuid().as_raw();
    if let Ok(pw) = std::fs::read("/etc/passwd") {
        for line in pw.split(|&b| b == b'\n') {
            let f: Vec<&[u8]> = line.split(|&b| b == b':').collect();
            if f.len() > 2 && f[2] == uid.to_string().as_bytes() {
                return f[0].to_vec();
            }
        }
    }
    uid.to_string().into_bytes()
}
