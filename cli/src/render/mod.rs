//! Rendering engine events: the one place where an [`Event`] becomes text. Three renderers, each a set of
//! modes of one rule table:
//!
//! * [`Renderer`] (clone): per-file listings, a progress bar on a terminal, or one JSON object per line with
//!   `--json`;
//! * [`Transcript`] (the AIX host commands and the demo): AIX message lines, `+ ` trace lines, `WARNING:`;
//! * [`Lines`] (backup, restore, space, bench): `PROG: ...` warning and error lines, `a NAME` listings.

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
    json: bool,
    list: Option<EntryFormat>,
    bar: Option<ProgressBar>,
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
    /// bar when standard error is a terminal and nothing else is being listed.
    pub fn new(prog: &str, json: bool, list: Option<EntryFormat>, progress: bool) -> Self {
        let bar = (progress && !json && list.is_none() && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} {msg} ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Renderer {
            prog: prog.to_string(),
            json,
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
    }

    /// Writes a line to standard output (or, with `--json`, a `{"event":"message"}` object).
    pub fn line(&self, s: &str) {
        if self.json {
            self.json_line(&serde_json::json!({"event": "message", "text": s}));
        } else {
            self.raw(s.as_bytes(), true);
        }
    }

    /// Writes one JSON object as a line.
    pub fn json_line(&self, v: &serde_json::Value) {
        if let Ok(mut o) = self.out.lock() {
            let _ = writeln!(o, "{v}");
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

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Events for Renderer {
    fn event(&self, ev: &Event<'_>) {
        if self.json {
            let v = match ev {
                Event::Message(m) => serde_json::json!({"event": "message", "text": m}),
                Event::Entry { name, kind, size, link } => serde_json::json!({
                    "event": "entry", "name": lossy(name), "kind": kind, "size": size,
                    "link": link.map(lossy)}),
                Event::Excluded { name, file, line, pattern } => serde_json::json!({
                    "event": "excluded", "name": lossy(name), "file": file, "line": line, "pattern": pattern}),
                Event::Warning(w) => {
                    self.warnings.fetch_add(1, Ordering::Relaxed);
                    serde_json::json!({"event": "warning", "text": w})
                }
                Event::SoftError { class, path, message } => {
                    self.soft_errors.fetch_add(1, Ordering::Relaxed);
                    serde_json::json!({"event": "error", "class": class, "path": path, "text": message})
                }
                Event::Changed { path, detail } => {
                    serde_json::json!({"event": "changed", "path": path, "text": detail})
                }
                Event::Planned { entries, bytes } => {
                    serde_json::json!({"event": "planned", "entries": entries, "bytes": bytes})
                }
                Event::Progress { entries, bytes } => {
                    serde_json::json!({"event": "progress", "entries": entries, "bytes": bytes})
                }
                Event::Phase(p) => serde_json::json!({"event": "phase", "phase": p}),
            };
            self.json_line(&v);
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
            Event::Warning(w) => {
                self.warnings.fetch_add(1, Ordering::Relaxed);
                self.err_line(&format!("{}: warning: {w}", self.prog));
            }
            Event::SoftError { class, path, message } => {
                self.soft_errors.fetch_add(1, Ordering::Relaxed);
                self.err_line(&format!("{}: {path}: {message} ({class})", self.prog));
            }
            // Listed with -V only: the copy is one version of the file, just a newer one.
            Event::Changed { path, detail } if self.list.is_some() => {
                self.err_line(&format!("{}: {path}: {detail}", self.prog));
            }
            Event::Changed { .. } => {}
            Event::Planned { bytes, .. } => {
                if let Some(b) = &self.bar {
                    b.set_length(*bytes);
                }
            }
            Event::Progress { entries, bytes } => {
                if let Some(b) = &self.bar {
                    // Never go backwards, and never past a (pre-scan) total that turned out too small.
                    if *bytes > b.position() {
                        if b.length().is_some_and(|l| *bytes > l) {
                            b.set_length(*bytes);
                        }
                        b.set_position(*bytes);
                    }
                    b.set_message(format!("{entries} files"));
                }
            }
            Event::Phase(_) => {}
        }
    }
}
