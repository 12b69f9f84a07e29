//! `restore`: AIX restore of by-name archives. Only `-T` (table of contents) is implemented here; `-x`
//! is refused until the tree writer (`altdisk_engine::tree`) is wired in (see `extract`).
//!
//! `-T` prints each name as stored (raw bytes); `-v` prints `"%12d %s"` (size, name) lines and then the total
//! size. When the archive is a file (not standard input) the volume information goes to standard error.
//! `--resync` steps over damaged headers the way AIX restore does and reports the bytes skipped.

use std::ffi::OsString;
use std::io::{self, BufWriter, Read, Write};
use std::sync::Arc;

use altdisk_engine::archive::{ArchiveReader, ReaderOptions, Record};
use altdisk_engine::{Error, Event, Events};

use super::getopt::{self, Opt};
use crate::exit;

const USAGE: &str = "usage: restore -T [-f FILE|-] [-b N] [-v] [-q] [--resync]";

struct Warnings;

impl Events for Warnings {
    fn event(&self, ev: &Event<'_>) {
        if let Event::Warning(w) = ev {
            eprintln!("restore: {w}");
        }
    }
}

/// Runs `restore`.
pub fn run(args: Vec<OsString>) -> anyhow::Result<i32> {
    let opts = match getopt::parse(args, "Txvqd", "fb") {
        Ok(o) => o,
        Err(e) => return exit::usage(format!("{e}\n{USAGE}")),
    };
    let (mut list, mut extract, mut verbose, mut resync) = (false, false, false, false);
    let mut file: Option<OsString> = None;
    let mut blocks = 100u64;
    for o in opts {
        match o {
            Opt::Short('T', _) => list = true,
            Opt::Short('x', _) => extract = true,
            Opt::Short('v', _) => verbose = true,
            Opt::Short('q', _) | Opt::Short('d', _) => {}
            Opt::Short('f', a) => file = a,
            Opt::Short('b', Some(a)) => {
                blocks = match a.to_str().and_then(|s| s.parse().ok()) {
                    Some(n) if n > 0 => n,
                    _ => return exit::usage(format!("-b wants a number of 512-byte blocks, got {a:?}")),
                }
            }
            Opt::Long(l) if l == "resync" => resync = true,
            other => return exit::usage(format!("unexpected argument {other:?}\n{USAGE}")),
        }
    }
    if list == extract {
        return exit::usage(format!("give exactly one of -T or -x\n{USAGE}"));
    }
    let Some(file) = file else {
        return exit::usage(format!(
            "no input given: AIX restore reads /dev/rfd0 by default, altdisk requires -f FILE (or -f -)\n{USAGE}"
        ));
    };
    let from_stdin = file == "-";
    let input: Box<dyn Read> = if from_stdin {
        Box::new(io::stdin())
    } else {
        Box::new(std::fs::File::open(&file).map_err(|e| Error::io("open", &file, e))?)
    };
    let reader = ArchiveReader::new(input, ReaderOptions { resync }).with_events(Arc::new(Warnings));
    if extract {
        return extract_archive(reader);
    }
    list_archive(reader, verbose, (!from_stdin).then_some(blocks))
}

/// `restore -x`: the integrator connects `altdisk_engine::tree` here (drive `reader.next_entry()` into the
/// tree writer). Until then it is refused before anything is written.
fn extract_archive<R: Read>(_reader: ArchiveReader<R>) -> anyhow::Result<i32> {
    Err(Error::refused("restore -x is not available yet in this build (only -T); nothing was extracted")
        .into())
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
                if let Some(blocks) = volume_info {
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
                if verbose {
                    write!(out, "{:12} ", e.size())?;
                }
                out.write_all(&e.name)?;
                out.write_all(b"\n")?;
            }
            Record::VolumeEnd | Record::End => {}
        }
    }
    if verbose {
        writeln!(out, "The total size is {total} bytes.")?;
        writeln!(out, "The number of archived files is {files}.")?;
    }
    out.flush()?;
    let s = r.stats();
    if s.skipped_bytes > 0 {
        eprintln!(
            "restore: {} bytes of damaged archive were skipped ({} places)",
            s.skipped_bytes, s.resyncs
        );
        return Ok(exit::ARCHIVE);
    }
    Ok(exit::OK)
}

/// `Mon May 27 10:04:34 UTC 2024` from Unix seconds (UTC; no time-zone database needed).
fn format_date(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    // Civil-from-days (Howard Hinnant's algorithm, restated).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} UTC {}",
        WD[days.rem_euclid(7) as usize],
        MO[(m - 1) as usize],
        d,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        y
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_format_like_date() {
        assert_eq!(super::format_date(1716804274), "Mon May 27 10:04:34 UTC 2024");
        assert_eq!(super::format_date(0), "Thu Jan  1 00:00:00 UTC 1970");
    }
}
