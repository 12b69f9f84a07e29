//! Rendering engine events: the one place where an [`Event`] becomes text. Three renderers, each a set of
//! modes of one rule table:
//!
//! * [`Renderer`] (clone, verify, restore's listing): per-file listings and a progress bar on a terminal;
//! * [`Transcript`] (the AIX host commands and the demo): AIX message lines, `+ ` trace lines, `WARNING:`;
//! * [`Lines`] (backup, restore, space, bench): `PROG: ...` warning and error lines, `a NAME` listings.
//!
//! With `--json` all three hand every event to [`json`], the one JSON-lines schema of every command.

mod bar;
pub mod json;
mod lines;
mod transcript;

pub use bar::Bar;
pub use lines::{Lines, Listing};
pub use transcript::Transcript;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use altdisk_engine::{Event, Events};

/// Formats one processed entry for a verbose listing (`x ./etc/hosts`); `None` prints nothing.
pub type EntryFormat = Box<dyn Fn(&[u8], u64, Option<&[u8]>) -> Option<Vec<u8>> + Send + Sync>;

/// How a command wants its events shown.
pub struct Renderer {
    prog: String,
    list: Option<EntryFormat>,
    bar: Bar,
    /// Standard output: line-buffered on a terminal, block-buffered otherwise (a listing of 80,000 names is
    /// then a few dozen writes, not 80,000). Flushed before anything goes to standard error, so the two keep
    /// their order when they share a file, and when the renderer finishes or is dropped.
    out: Mutex<Box<dyn Write + Send>>,
    /// Soft errors seen.
    pub soft_errors: AtomicU64,
    /// Warnings seen.
    pub warnings: AtomicU64,
}

impl Renderer {
    /// A renderer for command `prog`. `list` formats per-entry lines (verbose listings); `progress` asks for a
    /// bar ([`Bar`]: on a terminal, without `--json`, and only when nothing else is being listed).
    pub fn new(prog: &str, list: Option<EntryFormat>, progress: bool) -> Self {
        let bar = Bar::new(progress && list.is_none(), true);
        Renderer {
            prog: prog.to_string(),
            list,
            bar,
            out: Mutex::new(if std::io::stdout().is_terminal() {
                Box::new(std::io::LineWriter::new(std::io::stdout()))
            } else {
                Box::new(std::io::BufWriter::with_capacity(64 << 10, std::io::stdout()))
            }),
            soft_errors: AtomicU64::new(0),
            warnings: AtomicU64::new(0),
        }
    }

    /// A total the command knows itself (an archive file's size): the bar's, or a `planned` line.
    pub fn planned(&self, entries: Option<u64>, bytes: u64) {
        if json::on() {
            json::planned(entries, bytes);
        } else {
            self.bar.planned(entries, bytes);
        }
    }

    /// Clears the progress bar (call before printing a summary).
    pub fn finish(&self) {
        self.bar.finish();
        self.flush();
    }

    /// Writes out what standard output holds.
    pub fn flush(&self) {
        if let Ok(mut o) = self.out.lock() {
            let _ = o.flush();
        }
        json::flush();
    }

    /// Writes a line to standard output (or, with `--json`, a `message` line).
    pub fn line(&self, s: &str) {
        if json::on() {
            json::print(s);
        } else {
            self.raw(s.as_bytes(), true);
        }
    }

    fn raw(&self, b: &[u8], newline: bool) {
        self.bar.suspend(|| {
            if let Ok(mut o) = self.out.lock() {
                let _ = o.write_all(b);
                if newline {
                    let _ = o.write_all(b"\n");
                }
            }
        })
    }

    fn err_line(&self, s: &str) {
        self.flush();
        self.bar.suspend(|| eprintln!("{s}"));
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        self.flush();
    }
}

impl Events for Renderer {
    fn wants_plan(&self) -> bool {
        self.bar.on() || json::on()
    }

    fn event(&self, ev: &Event<'_>) {
        match ev {
            Event::Warning(_) => {
                self.warnings.fetch_add(1, Ordering::Relaxed);
            }
            Event::SoftError { .. } => {
                self.soft_errors.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        if json::on() {
            json::event(ev, self.list.is_some());
            return;
        }
        match ev {
            Event::Message(m) => self.raw(m.as_bytes(), true),
            Event::Entry { name, size, link, .. } => {
                if let Some(f) = &self.list {
                    if let Some(line) = f(name, *size, *link) {
                        self.raw(&line, true);
                    }
                }
            }
            Event::Excluded { name, file, line, pattern } => {
                let mut l = b"excluded ".to_vec();
                l.extend_from_slice(name);
                l.extend_from_slice(format!("  ({file}:{line}: {pattern})").as_bytes());
                self.raw(&l, true);
            }
            Event::Warning(w) => self.err_line(&format!("{}: warning: {w}", self.prog)),
            Event::SoftError { class, path, message } => {
                self.err_line(&format!("{}: {path}: {message} ({class})", self.prog))
            }
            Event::Planned { entries, bytes } => self.bar.planned(Some(*entries), *bytes),
            Event::Progress { entries, bytes } => self.bar.progress(*entries, *bytes),
            Event::Phase(_) => {}
        }
    }
}
