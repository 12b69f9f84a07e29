//! Progress and events: how the engine talks to whoever runs it.
//!
//! The engine never prints. Every stage reports through an [`Events`] implementation handed to it: the CLI
//! draws a progress bar or prints JSON lines; tests record events; [`NoEvents`] ignores them.

use crate::entry::Kind;

/// Something worth telling the user about while a job runs.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// A message line in the style of the AIX command being run (e.g. "Checking disk sizes.").
    Message(&'a str),
    /// An entry was processed (listed, written, restored, copied). `size` is its data size.
    Entry {
        /// The archive name (`./usr/bin/ls`).
        name: &'a [u8],
        /// Its kind.
        kind: Kind,
        /// Its data size in bytes.
        size: u64,
        /// For hard links: the name it was linked to.
        link: Option<&'a [u8]>,
    },
    /// An entry was excluded by a pattern (only sent when explaining is asked for).
    Excluded {
        /// The excluded name.
        name: &'a [u8],
        /// The exclude file.
        file: &'a str,
        /// 1-based line in that file.
        line: usize,
        /// The pattern as written.
        pattern: &'a str,
    },
    /// A warning: the job goes on and the result is still what was asked for.
    Warning(String),
    /// A soft error: one entry could not be handled; the job goes on but the result is incomplete.
    SoftError {
        /// The metadata class or operation ("read", "owner", "xattrs", ...).
        class: &'static str,
        /// The path concerned.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Totals expected from a pre-scan, for an ETA.
    Planned {
        /// Entries expected.
        entries: u64,
        /// Data bytes expected.
        bytes: u64,
    },
    /// Progress so far (monotonic).
    Progress {
        /// Entries done.
        entries: u64,
        /// Data bytes done.
        bytes: u64,
    },
    /// A phase of a multi-phase command begins.
    Phase(u8),
}

/// A receiver of [`Event`]s. Implementations must be cheap: events arrive from worker threads.
pub trait Events: Send + Sync {
    /// Receives one event.
    fn event(&self, ev: &Event<'_>);

    /// True when progress is shown (a bar, JSON lines): a job then pays for a pre-scan whose
    /// [`Event::Planned`] gives the progress its total. Wrappers pass their inner receiver's answer on.
    fn wants_plan(&self) -> bool {
        false
    }
}

/// Ignores every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl Events for NoEvents {
    fn event(&self, _ev: &Event<'_>) {}
}

/// Passes every event on except [`Event::Progress`]: for a stage whose counts are not the job's measure (the
/// walk before exclusion), so the consumer sees one monotonic progress.
pub struct WithoutProgress<'a>(pub &'a dyn Events);

impl Events for WithoutProgress<'_> {
    fn event(&self, ev: &Event<'_>) {
        if !matches!(ev, Event::Progress { .. }) {
            self.0.event(ev);
        }
    }

    fn wants_plan(&self) -> bool {
        self.0.wants_plan()
    }
}

/// Records every event as a line of text (for tests).
#[derive(Debug, Default)]
pub struct RecordEvents(pub std::sync::Mutex<Vec<String>>);

impl Events for RecordEvents {
    fn event(&self, ev: &Event<'_>) {
        let line = match ev {
            Event::Message(m) => format!("msg {m}"),
            Event::Entry { name, .. } => format!("entry {}", String::from_utf8_lossy(name)),
            Event::Excluded { name, line, .. } => {
                format!("excluded {} line {line}", String::from_utf8_lossy(name))
            }
            Event::Warning(w) => format!("warning {w}"),
            Event::SoftError { class, path, message } => format!("error {class} {path}: {message}"),
            Event::Planned { entries, bytes } => format!("planned {entries} {bytes}"),
            Event::Progress { .. } => return,
            Event::Phase(p) => format!("phase {p}"),
        };
        if let Ok(mut v) = self.0.lock() {
            v.push(line);
        }
    }
}
