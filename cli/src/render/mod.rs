//! Rendering engine events: the one place where an [`Event`] becomes text. Three renderers, each a set of
//! modes of one rule table:
//!
//! * [`Renderer`] (clone, verify, restore's listing): per-file listings and a progress bar on a terminal;
//! * [`Transcript`] (the AIX host commands and the demo): AIX message lines, `+ ` trace lines, `WARNING:`;
//! * [`Lines`] (backup, restore, space, bench): `PROG: ...` warning and error lines, `a NAME` listings.
//!
//! With `--json` all three hand every event to [`json`], the one JSON-lines schema of every command.

pub mod json;
mod lines;
mod transcript;

pub use lines::{Lines, Listing};
pub use transcript::Transcript;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use altdisk_engine::{Event, Events};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Formats one processed entry for a verbose listing (`x ./etc/hosts`); `None` prints nothing.
pub type EntryFormat = Box<dyn Fn(&[u8], u64, Option<&[u8]>) -> Option<Vec<u8>> + Send + Sync>;

/// How a command wants its events shown.
pub struct Renderer {
    prog: String,
    list: Option<EntryFormat>,
    bar: Option<ProgressBar>,
    /// Standard output: line-buffered on a terminal, block-buffered otherwise (a listing of 80,000 names is
    /// then a few dozen writes, not 80,000). Flushed before anything goes to standard error, so the two keep
    /// their order when they share a file, and when the renderer finishes or is dropped.
    out: Mutex<Box<dyn Write + Send>>,
    /// The plan's entry total, once known.
    planned_entries: Mutex<Option<u64>>,
    /// The highest entry count seen.
    done_entries: AtomicU64,
    /// Soft errors seen.
    pub soft_errors: AtomicU64,
    /// Warnings seen.
    pub warnings: AtomicU64,
}

impl Renderer {
    /// A renderer for command `prog`. `list` formats per-entry lines (verbose listings); `progress` asks for a
    /// bar when standard error is a terminal, nothing else is being listed and `--json` is off. The bar says
    /// "total unknown" and only counts until an [`Event::Planned`] gives it a total.
    pub fn new(prog: &str, list: Option<EntryFormat>, progress: bool) -> Self {
        let bar = (progress && !json::on() && list.is_none() && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
            b.set_style(unknown_style());
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Renderer {
            prog: prog.to_string(),
            list,
            bar,
            out: Mutex::new(if std::io::stdout().is_terminal() {
                Box::new(std::io::LineWriter::new(std::io::stdout()))
            } else {
                Box::new(std::io::BufWriter::with_capacity(64 << 10, std::io::stdout()))
            }),
            planned_entries: Mutex::new(None),
            done_entries: AtomicU64::new(0),
            soft_errors: AtomicU64::new(0),
            warnings: AtomicU64::new(0),
        }
    }

    /// True when a progress bar is drawn (worth a plan for its total).
    pub fn has_bar(&self) -> bool {
        self.bar.is_some()
    }

    /// Clears the progress bar (call before printing a summary).
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
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
        let print = |o: &mut Box<dyn Write + Send>| {
            let _ = o.write_all(b);
            if newline {
                let _ = o.write_all(b"\n");
            }
        };
        match &self.bar {
            Some(bar) => bar.suspend(|| {
                if let Ok(mut o) = self.out.lock() {
                    print(&mut o);
                }
            }),
            None => {
                if let Ok(mut o) = self.out.lock() {
                    print(&mut o);
                }
            }
        }
    }

    fn err_line(&self, s: &str) {
        self.flush();
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{s}")),
            None => eprintln!("{s}"),
        }
    }
}

impl Drop for Renderer {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The bar before the total is known: a spinner and the counts, growing.
fn unknown_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {elapsed_precise} {bytes} {bytes_per_sec} {msg} (total unknown)")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// The bar once the plan gave a total: bytes of the total, rate, entries and ETA.
fn planned_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} {msg} ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Events for Renderer {
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
            Event::Planned { entries, bytes } => {
                if let Some(b) = &self.bar {
                    // The plan's total (entries and bytes after exclusion); never below what is already done.
                    b.set_style(planned_style());
                    b.set_length((*bytes).max(b.position()));
                    if let Ok(mut t) = self.planned_entries.lock() {
                        *t = Some(*entries);
                    }
                }
            }
            Event::Progress { entries, bytes } => {
                if let Some(b) = &self.bar {
                    // Events come from several threads: counters only ever move forward, and a total that
                    // turned out short grows instead of the bar running past its end.
                    let done = self.done_entries.fetch_max(*entries, Ordering::Relaxed).max(*entries);
                    if *bytes > b.position() {
                        if b.length().is_some_and(|l| *bytes > l) {
                            b.set_length(*bytes);
                        }
                        b.set_position(*bytes);
                    }
                    match self.planned_entries.lock().ok().and_then(|t| *t) {
                        Some(t) => b.set_message(format!("{done}/{} entries", t.max(done))),
                        None => b.set_message(format!("{done} entries")),
                    }
                }
            }
            Event::Phase(_) => {}
        }
    }
}
