//! `backup -i`: AIX backup by name. Names come from standard input, one per line, exactly as
//! `find . -print | backup -i -f out` feeds them; each is stored as given.
//!
//! Output choices: `-v` prints `a NAME` per archived entry on standard output (AIX style; standard error
//! when the archive itself goes to standard output); soft errors go to
//! standard error as `backup: NAME: message` and make the exit status 1. `-q` (no media prompt) is accepted
//! and has nothing to suppress. AIX writes to /dev/rfd0 by default; we require `-f`.

use std::ffi::OsString;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use altdisk_engine::archive::{byname, ArchiveWriter, WriterOptions};
use altdisk_engine::{Error, Event, Events};

use super::getopt::{self, Opt};
use crate::exit;

const USAGE: &str =
    "usage: backup -i [-f FILE|-] [-b N] [-p] [-q] [-v] [-e REGEX]   (names on standard input)";

struct Printer {
    verbose: bool,
    /// The archive goes to standard output: `-v` lines go to standard error instead.
    to_stderr: bool,
    soft: AtomicU64,
    out: Mutex<io::Stdout>,
}

impl Events for Printer {
    fn event(&self, ev: &Event<'_>) {
        match ev {
            Event::Entry { name, .. } if self.verbose => {
                let mut line = Vec::with_capacity(name.len() + 3);
                line.extend_from_slice(b"a ");
                line.extend_from_slice(name);
                line.push(b'\n');
                if self.to_stderr {
                    let _ = io::stderr().write_all(&line);
                } else if let Ok(mut o) = self.out.lock() {
                    let _ = o.write_all(&line);
                }
            }
            Event::Warning(w) => eprintln!("backup: {w}"),
            Event::SoftError { path, message, .. } => {
                self.soft.fetch_add(1, Ordering::Relaxed);
                eprintln!("backup: {path}: {message}");
            }
            _ => {}
        }
    }
}

/// Runs `backup`.
pub fn run(args: Vec<OsString>) -> anyhow::Result<i32> {
    let opts = match getopt::parse(args, "iqpv", "fbe") {
        Ok(o) => o,
        Err(e) => return exit::usage(format!("{e}\n{USAGE}")),
    };
    let (mut by_name, mut verbose, mut pack) = (false, false, false);
    let mut file: Option<OsString> = None;
    let mut block = 100usize;
    let mut exclude = None;
    for o in opts {
        match o {
            Opt::Short('i', _) => by_name = true,
            Opt::Short('v', _) => verbose = true,
            Opt::Short('p', _) => pack = true,
            Opt::Short('q', _) => {}
            Opt::Short('f', a) => file = a,
            Opt::Short('b', Some(a)) => {
                block = match a.to_str().and_then(|s| s.parse::<usize>().ok()) {
                    Some(n) if (1..=65535).contains(&n) => n,
                    _ => return exit::usage(format!("-b wants a number of 512-byte blocks, got {a:?}")),
                }
            }
            Opt::Short('e', Some(a)) => {
                let re = regex::bytes::Regex::new(&a.to_string_lossy());
                match re {
                    Ok(r) => exclude = Some(r),
                    Err(e) => return exit::usage(format!("bad -e regular expression: {e}")),
                }
            }
            other => return exit::usage(format!("unexpected argument {other:?}\n{USAGE}")),
        }
    }
    if !by_name {
        return exit::usage(format!("only backup by name (-i) is supported\n{USAGE}"));
    }
    let Some(file) = file else {
        return exit::usage(format!(
            "no output given: AIX backup writes to /dev/rfd0 by default, altdisk requires -f FILE (or -f - for \
             standard output)\n{USAGE}"
        ));
    };
    let date = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().min(i32::MAX as u64) as i32)
        .unwrap_or(0);
    let wopts =
        WriterOptions { block_size: block * 512, pack, pack_exclude: exclude, date, user: user_name() };
    let printer = Arc::new(Printer {
        verbose,
        to_stderr: file == "-",
        soft: AtomicU64::new(0),
        out: Mutex::new(io::stdout()),
    });
    let out: Box<dyn Write> = if file == "-" {
        Box::new(io::stdout())
    } else {
        Box::new(std::fs::File::create(&file).map_err(|e| Error::io("create", &file, e))?)
    };
    let mut w = ArchiveWriter::new(out, wopts).map_err(Error::from)?.with_events(printer.clone());
    let stdin = io::stdin();
    byname::backup_list(&mut stdin.lock(), &mut w, printer.as_ref())?;
    let (_, summary) = w.finish().map_err(Error::from)?;
    if summary.xattrs_dropped > 0 || summary.default_acls_dropped > 0 {
        eprintln!(
            "backup: the by-name format cannot hold {} extended attributes and {} default ACLs; they were not \
             archived",
            summary.xattrs_dropped, summary.default_acls_dropped
        );
    }
    if summary.soft_errors > 0 || printer.soft.load(Ordering::Relaxed) > 0 {
        eprintln!("backup: {} files could not be backed up completely", summary.soft_errors);
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
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
