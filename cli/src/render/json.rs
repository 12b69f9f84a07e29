//! `--json`: the one JSON-lines schema of every command (docs/json.md, docs/json-schema.json).
//!
//! One emitter for the whole process: [`begin`] turns it on (the command line had `--json`) and writes the
//! `start` line; every renderer ([`super::Renderer`], [`super::Transcript`], [`super::Lines`]) then hands its
//! engine events to [`event`]; commands add their result fields with [`result`]; [`done`] writes the final
//! summary with the exit code. Every line is one object with `"v": 1` and `"event"`.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use altdisk_engine::Event;
use serde_json::{json, Map, Value};

/// The schema version every line carries as `"v"`.
pub const SCHEMA: u64 = 1;

/// The process's JSON output.
struct Sink {
    command: String,
    out: Mutex<Box<dyn Write + Send>>,
    /// The `done` line's `result` object.
    result: Mutex<Map<String, Value>>,
    /// A fatal `error` event was written.
    failed: AtomicBool,
    /// The `done` line was written (a command run by another, as `alt_disk_install` runs `alt_disk_copy`,
    /// ends first).
    finished: AtomicBool,
    /// The highest progress counters written (entries, bytes): a `progress` line never goes backwards.
    progress: Mutex<(u64, u64)>,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Turns JSON output on for `command` and writes the `start` line. Once per process.
pub fn begin(command: &str) {
    let out: Box<dyn Write + Send> = if std::io::stdout().is_terminal() {
        Box::new(std::io::LineWriter::new(std::io::stdout()))
    } else {
        Box::new(std::io::BufWriter::with_capacity(64 << 10, std::io::stdout()))
    };
    let sink = Sink {
        command: command.to_string(),
        out: Mutex::new(out),
        result: Mutex::new(Map::new()),
        failed: AtomicBool::new(false),
        finished: AtomicBool::new(false),
        progress: Mutex::new((0, 0)),
    };
    if SINK.set(sink).is_ok() {
        emit("start", json!({"command": command, "schema": SCHEMA, "version": env!("CARGO_PKG_VERSION")}));
    }
}

/// True when the command line asked for `--json`.
pub fn on() -> bool {
    SINK.get().is_some()
}

/// Writes one line: `{"v":1,"event":KIND, ...fields}` (`v` and `event` first, for a reader's eye). Nothing
/// when JSON is off.
pub fn emit(kind: &str, fields: Value) {
    let Some(s) = SINK.get() else { return };
    let mut line = format!("{{\"v\":{SCHEMA},\"event\":{}", json!(kind));
    if let Value::Object(f) = fields {
        for (k, v) in f.iter().filter(|(k, _)| *k != "v" && *k != "event") {
            line.push_str(&format!(",{}:{v}", json!(k)));
        }
    }
    line.push('}');
    if let Ok(mut o) = s.out.lock() {
        let _ = writeln!(o, "{line}");
    }
}

/// Adds `key` to the `done` line's `result` (the last value given wins).
pub fn result(key: &str, value: Value) {
    if let Some(s) = SINK.get() {
        if let Ok(mut r) = s.result.lock() {
            r.insert(key.to_string(), value);
        }
    }
}

/// The fatal error that ends the command (its message as the text line would say it).
pub fn error(text: &str) {
    if let Some(s) = SINK.get() {
        s.failed.store(true, Ordering::Relaxed);
        emit("error", json!({"fatal": true, "text": text}));
    }
}

/// A warning that is not an engine event (`installp: ...; the image is skipped`): a `warning` line with
/// `--json`, else the text on standard error.
pub fn warning(text: &str) {
    if on() {
        emit("warning", json!({"text": text}));
    } else {
        eprintln!("{text}");
    }
}

/// The line that says why a command fails (`backup: 3 files could not be backed up completely`): a fatal
/// `error` line with `--json`, else the text on standard error.
pub fn failure(text: &str) {
    if on() {
        error(text);
    } else {
        eprintln!("{text}");
    }
}

/// Text a command prints on standard output: as is without `--json`, one `message` line per line with it.
pub fn print(text: &str) {
    if on() {
        for l in text.lines() {
            emit("message", json!({"text": l}));
        }
    } else {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(text.as_bytes());
        let _ = o.flush();
    }
}

/// A `planned` line from the command itself, when the engine cannot know the total (restore: the archive
/// file's size, the measure of its progress; `entries` then unknown).
pub fn planned(entries: Option<u64>, bytes: u64) {
    emit("planned", json!({"entries": entries, "bytes": bytes}));
}

/// Writes the `done` line with the exit code and the result fields, and flushes. A failing exit without a
/// fatal error event first gets one, so a consumer always finds the reason as an `error`.
pub fn done(exit: i32) {
    let Some(s) = SINK.get() else { return };
    if s.finished.swap(true, Ordering::Relaxed) {
        return;
    }
    if exit != crate::exit::OK && !s.failed.load(Ordering::Relaxed) {
        error(&format!("{}: failed (exit {exit})", s.command));
    }
    let result = s.result.lock().map(|r| r.clone()).unwrap_or_default();
    emit(
        "done",
        json!({"command": s.command, "exit": exit, "ok": exit == crate::exit::OK, "result": Value::Object(result)}),
    );
    if let Ok(mut o) = s.out.lock() {
        let _ = o.flush();
    }
}

/// Flushes what is buffered (before something goes to standard error, or a long pause).
pub fn flush() {
    if let Some(s) = SINK.get() {
        if let Ok(mut o) = s.out.lock() {
            let _ = o.flush();
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes an engine event. `entries`: write `entry` lines (only when the command lists entries: `-v`, `-V`,
/// `--dry-run`), so a plain run of 80,000 files is not 80,000 lines.
pub fn event(ev: &Event<'_>, entries: bool) {
    let Some(s) = SINK.get() else { return };
    match ev {
        Event::Message(m) => match m.strip_prefix("+ ") {
            Some(_) => emit("message", json!({"text": m, "trace": true})),
            None => {
                for l in m.lines() {
                    emit("message", json!({"text": l}));
                }
            }
        },
        Event::Entry { name, kind, size, link } => {
            if entries {
                emit(
                    "entry",
                    json!({"name": lossy(name), "kind": kind, "size": size, "link": link.map(lossy)}),
                );
            }
        }
        Event::Excluded { name, file, line, pattern } => {
            emit("excluded", json!({"name": lossy(name), "file": file, "line": line, "pattern": pattern}))
        }
        Event::Warning(w) => emit("warning", json!({"text": w})),
        Event::SoftError { class, path, message } => {
            emit("error", json!({"fatal": false, "class": class, "path": path, "text": message}))
        }
        Event::Planned { entries, bytes } => emit("planned", json!({"entries": entries, "bytes": bytes})),
        Event::Progress { entries, bytes } => {
            // Events come from several threads: write the running maximum, only when it moved, and under the
            // lock so two threads cannot write theirs in the wrong order.
            if let Ok(mut p) = s.progress.lock() {
                if *entries > p.0 || *bytes > p.1 {
                    *p = (p.0.max(*entries), p.1.max(*bytes));
                    emit("progress", json!({"entries": p.0, "bytes": p.1}));
                }
            }
        }
        Event::Phase(p) => emit("phase", json!({"phase": p})),
    }
}
