//! `restore`: AIX restore of by-name archives: `-T` (table of contents) and `-x` (extract).
//!
//! `-T` prints each name as stored (raw bytes); `-v` prints `"%12d %s"` (size, name) lines and then the total
//! size. When the archive is a file (not standard input) the volume information goes to standard error.
//! `--resync` steps over damaged headers the way AIX restore does and reports the bytes skipped. An archive
//! compressed with zstd (`backup -Z`) is recognised by its magic and read the same way, from a file or a pipe.
//!
//! `-x [NAME...]` extracts everything, or the entries whose exact stored name matches a NAME (an exact name
//! or a shell pattern, `fnmatch(FNM_PATHNAME|FNM_PERIOD)` as AIX does; `-d` makes a directory name select its
//! whole subtree), into the current directory or `--target DIR`. It prints `x NAME` per entry (`-v`:
//! `x %12d NAME`, the size), `x NAME linked to FIRST` for hard links. Extraction is safe by default: names
//! with a `..` component are refused, absolute names are written below the target without their leading `/`
//! (`--absolute-names` writes them where they say, as AIX does), and nothing is written through a symlink.
//!
//! Exit status of `-x`: 0 when everything selected was restored; 1 when some entries were refused as unsafe
//! (everything safe is still restored, then one line says `N entries refused`), when a NAME matched nothing,
//! on soft errors, or when some metadata could not be kept (listed per class: owner, mode, devices, ...); 3 when the archive is damaged (what came before the damage is restored); 4 when the
//! target fills up.

use std::ffi::OsString;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use altdisk_engine::archive::{open_stream, ArchiveReader, ReaderOptions, Record};
use altdisk_engine::pipeline;
use altdisk_engine::select::Selection;
use altdisk_engine::tree::TreeOptions;
use altdisk_engine::Error;

use crate::exit;
use crate::render::json;
use crate::render::Renderer;

/// The forms supported (AIX restore of by-name archives).
pub const USAGE: &str = "restore -T [-f FILE|-] [-b N] [-v] [-q] [--resync]
       restore -x [-f FILE|-] [-v] [-q] [-d] [--target DIR] [--absolute-names] [--resync] [NAME...]";

/// List (-T) or extract (-x) a by-name archive.
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// List the archive's table of contents.
    #[arg(short = 'T')]
    list: bool,
    /// Extract the archive (everything, or the NAMEs given).
    #[arg(short = 'x')]
    extract: bool,
    /// The archive file, or - for standard input (AIX's default /dev/rfd0 is not used).
    #[arg(short = 'f', value_name = "FILE")]
    file: Option<OsString>,
    /// Blocks of 512 bytes per read, shown in the volume information (default 100).
    #[arg(short = 'b', value_name = "N")]
    blocks: Option<String>,
    /// Verbose: sizes with the names, and the totals.
    #[arg(short = 'v')]
    verbose: bool,
    /// No media prompt (accepted; there is nothing to suppress).
    #[arg(short = 'q')]
    quiet: bool,
    /// A directory NAME selects its whole subtree.
    #[arg(short = 'd')]
    subtree: bool,
    /// Extract below this directory instead of the current one.
    #[arg(long = "target", value_name = "DIR")]
    target: Option<PathBuf>,
    /// Write absolute names where they say (as AIX does), not below the target.
    #[arg(long = "absolute-names")]
    absolute_names: bool,
    /// Step over damaged headers as AIX restore does and report the bytes skipped.
    #[arg(long = "resync")]
    resync: bool,
    /// With -x: the stored names (or shell patterns) to extract.
    #[arg(value_name = "NAME")]
    names: Vec<OsString>,
}

/// Runs `restore`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let (list, extract, verbose, resync) = (a.list, a.extract, a.verbose, a.resync);
    let (subtree, absolute_names, target, file) = (a.subtree, a.absolute_names, a.target, a.file);
    let _accepted = a.quiet;
    let names: Vec<Vec<u8>> = a.names.into_iter().map(OsStringExt::into_vec).collect();
    let blocks = match &a.blocks {
        None => 100u64,
        Some(b) => match b.parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => return exit::usage(format!("-b wants a number of 512-byte blocks, got {b:?}")),
        },
    };
    if list == extract {
        return exit::usage(format!("give exactly one of -T or -x\n{USAGE}"));
    }
    let Some(file) = file else {
        return exit::usage(format!(
            "no input given: AIX restore reads /dev/rfd0 by default, altdisk requires -f FILE (or -f -)\n{USAGE}"
        ));
    };
    if list && (!names.is_empty() || target.is_some() || subtree || absolute_names) {
        return exit::usage(format!("NAME, -d, --target and --absolute-names go with -x only\n{USAGE}"));
    }
    let from_stdin = file == "-";
    let input: Box<dyn Read + Send> = if from_stdin {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(&file).map_err(|e| Error::io("open", &file, e))?)
    };
    // A zstd-compressed archive is recognised by its magic and decompressed on the fly.
    let input: Box<dyn Read + Send> = Box::new(open_stream(input).map_err(|e| Error::io("read", &file, e))?);
    if extract {
        // The reader's progress counts bytes of the archive: a file's size is the total.
        let total = if from_stdin { None } else { super::common::archive_total(Path::new(&file)) };
        let x = Extract { verbose, subtree, absolute_names, names, target, total };
        return extract_archive(input, resync, x);
    }
    let reader = ArchiveReader::new(input, ReaderOptions { resync })
        .with_events(Arc::new(crate::render::Lines::aix("restore")));
    list_archive(reader, verbose, (!from_stdin).then_some(blocks))
}

/// What `-x` was asked for.
struct Extract {
    verbose: bool,
    subtree: bool,
    absolute_names: bool,
    names: Vec<Vec<u8>>,
    target: Option<PathBuf>,
    /// The archive's size, when it is known.
    total: Option<u64>,
}

/// `restore -x`: the archive reader, name selection and the tree writer (see the module documentation for
/// output and exit status).
fn extract_archive(input: Box<dyn Read + Send>, resync: bool, x: Extract) -> anyhow::Result<i32> {
    let verbose = x.verbose;
    let list: crate::render::EntryFormat = Box::new(move |name: &[u8], size: u64, link: Option<&[u8]>| {
        let mut line = if verbose { format!("x {size:12} ").into_bytes() } else { b"x ".to_vec() };
        line.extend_from_slice(name);
        if let Some(first) = link {
            line.extend_from_slice(b" linked to ");
            line.extend_from_slice(first);
        }
        Some(line)
    });
    let r = Arc::new(Renderer::new("restore", Some(list), false));
    if let Some(t) = x.total {
        r.planned(None, t);
    }
    let reader =
        ArchiveReader::new(input, ReaderOptions { resync }).with_events(r.clone()).skip_damaged_members();
    let select = Selection::new(x.names, x.subtree);
    let opts = TreeOptions {
        target: x.target.unwrap_or_else(|| PathBuf::from(".")),
        absolute_names: x.absolute_names,
        overwrite: true,
        ..TreeOptions::default()
    };
    let s = pipeline::restore_archive(reader, &select, &opts, r.as_ref())?;
    r.finish();
    json::result("entries", serde_json::json!(s.tree.entries));
    json::result("bytes", serde_json::json!(s.tree.bytes));
    let mut code = exit::OK;
    for u in &s.unmatched {
        let name = String::from_utf8_lossy(&u.pattern);
        if u.dotslash_hint {
            json::failure(&format!(
                "restore: {name} is not in the archive (names are stored as ./{name}; give that form)"
            ));
        } else {
            json::failure(&format!("restore: {name} is not in the archive"));
        }
        code = exit::FAILED;
    }
    if !s.tree.not_preserved.is_empty() {
        let lost: Vec<String> = s.tree.not_preserved.iter().map(|(k, v)| format!("{k} of {v}")).collect();
        json::failure(&format!("restore: could not keep: {}", lost.join(", ")));
        code = exit::FAILED;
    }
    if s.tree.soft_errors > 0 || s.orphan_links > 0 {
        code = exit::FAILED;
    }
    if s.tree.refused > 0 {
        json::failure(&format!(
            "restore: {} entries refused (unsafe names, see the warnings above); everything else was restored",
            s.tree.refused
        ));
        code = exit::FAILED;
    }
    if s.read.skipped_bytes > 0 {
        json::failure(&format!(
            "restore: {} bytes of damaged archive were skipped ({} places)",
            s.read.skipped_bytes, s.read.resyncs
        ));
        code = exit::ARCHIVE;
    }
    if s.read.damaged_members > 0 {
        json::failure(&format!(
            "restore: {} packed files could not be unpacked (see above); everything else readable was restored",
            s.read.damaged_members
        ));
        code = exit::ARCHIVE;
    }
    Ok(code)
}

fn list_archive<R: Read>(
    mut r: ArchiveReader<R>,
    verbose: bool,
    volume_info: Option<u64>,
) -> anyhow::Result<i32> {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut total = 0u64;
    let mut files = 0u64;
    while let Some(rec) = r.next_record().map_err(Error::from)? {
        match rec {
            Record::Volume(v) => {
                if json::on() {
                    json::result("volume", serde_json::json!(v.volnum));
                    json::result("backup_date", serde_json::json!(v.date));
                    json::result("user", serde_json::json!(String::from_utf8_lossy(v.user_name())));
                } else if let Some(blocks) = volume_info {
                    eprintln!("Cluster size is {} bytes ({blocks} blocks).", blocks * 512);
                    eprintln!("The volume number is {}.", v.volnum);
                    eprintln!("The backup date is: {}", format_date(i64::from(v.date)));
                    eprintln!("Files are backed up by name.");
                    eprintln!("The user is {}.", String::from_utf8_lossy(v.user_name()));
                }
            }
            Record::Entry(e) => {
                files += 1;
                total += e.size();
                if json::on() {
                    let mut line = if verbose { format!("{:12} ", e.size()) } else { String::new() };
                    line.push_str(&String::from_utf8_lossy(&e.name));
                    json::print(&line);
                    continue;
                }
                if verbose {
                    write!(out, "{:12} ", e.size())?;
                }
                out.write_all(&e.name)?;
                out.write_all(b"\n")?;
            }
            Record::VolumeEnd | Record::End => {}
        }
    }
    json::result("entries", serde_json::json!(files));
    json::result("bytes", serde_json::json!(total));
    if verbose && !json::on() {
        writeln!(out, "The total size is {total} bytes.")?;
        writeln!(out, "The number of archived files is {files}.")?;
    }
    out.flush()?;
    let s = r.stats();
    if s.skipped_bytes > 0 {
        json::failure(&format!(
            "restore: {} bytes of damaged archive were skipped ({} places)",
            s.skipped_bytes, s.resyncs
        ));
        return Ok(exit::ARCHIVE);
    }
    Ok(exit::OK)
}

/// `Mon May 27 10:04:34 UTC 2024` from Unix seconds (UTC; no time-zone database needed).
fn format_date(t: i64) -> String {
    altdisk_engine::altdisk::plan::date_time(t)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_format_like_date() {
        assert_eq!(super::format_date(1716804274), "Mon May 27 10:04:34 UTC 2024");
        assert_eq!(super::format_date(0), "Thu Jan  1 00:00:00 UTC 1970");
    }
}
