//! The AIX transcript of the host commands (alt_disk_copy, mksysb, installp, ...) and its indented form in
//! `altdisk demo`.

use std::io::Write;

use altdisk_engine::{Event, Events};

/// Which transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// As AIX prints it: messages on stdout (`+ ` trace lines on stderr), `WARNING:` and errors on stderr.
    Aix,
    /// The demo's: everything on stdout indented by four spaces, trace lines dropped, file names with `-V`.
    Demo {
        /// Print each file name.
        verbose: bool,
    },
}

/// Prints engine events as an AIX command's transcript.
///
/// Test hook (AIX mode, only in a build with the `test-hooks` feature, never in a release build):
/// `ALTDISK_TEST_ABORT_AFTER=TEXT` kills the process with SIGKILL right after printing the first message
/// containing TEXT (a real `kill -9` at a chosen step).
pub struct Transcript {
    mode: Mode,
    abort_after: Option<String>,
    /// The AIX mode's progress bar (phase 1's copy or restore, mksysb's backup) on a terminal.
    bar: super::Bar,
}

impl Default for Transcript {
    fn default() -> Transcript {
        Transcript::aix()
    }
}

/// The `ALTDISK_TEST_ABORT_AFTER` text, read only in a build with the `test-hooks` feature.
#[cfg(feature = "test-hooks")]
fn abort_hook() -> Option<String> {
    std::env::var("ALTDISK_TEST_ABORT_AFTER").ok().filter(|s| !s.is_empty())
}

/// Without the `test-hooks` feature there is no hook (and no trace of its name in the binary).
#[cfg(not(feature = "test-hooks"))]
fn abort_hook() -> Option<String> {
    None
}

impl Transcript {
    /// The AIX commands' transcript, reading the test hook from the environment.
    pub fn aix() -> Transcript {
        Transcript { mode: Mode::Aix, abort_after: abort_hook(), bar: super::Bar::new(true, false) }
    }

    /// The demo's indented transcript.
    pub fn demo(verbose: bool) -> Transcript {
        Transcript { mode: Mode::Demo { verbose }, abort_after: None, bar: super::Bar::new(false, false) }
    }
}

impl Transcript {
    /// The test hook: SIGKILL right after the first message containing the hook's text.
    fn abort_hook(&self, ev: &Event<'_>) {
        if let (Some(a), Event::Message(m)) = (&self.abort_after, ev) {
            if m.contains(a.as_str()) {
                super::json::flush();
                // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
                unsafe {
                    libc::kill(libc::getpid(), libc::SIGKILL);
                }
            }
        }
    }
}

impl Transcript {
    /// A total the command knows before the engine runs (the size of the archive `alt_disk_mksysb` restores):
    /// the bar's, or a `planned` line with `--json`.
    pub fn planned(&self, entries: Option<u64>, bytes: u64) {
        if super::json::on() {
            super::json::planned(entries, bytes);
        } else {
            self.bar.planned(entries, bytes);
        }
    }
}

impl Events for Transcript {
    fn wants_plan(&self) -> bool {
        self.mode == Mode::Aix && (super::json::on() || self.bar.on())
    }

    fn event(&self, ev: &Event<'_>) {
        if self.mode == Mode::Aix && super::json::on() {
            // `-V` listings come as entries: the AIX transcript prints every one it gets.
            super::json::event(ev, true);
            self.abort_hook(ev);
            return;
        }
        let bar = &self.bar;
        match (self.mode, ev) {
            (Mode::Aix, Event::Message(m)) if m.starts_with("+ ") => bar.suspend(|| eprintln!("{m}")),
            (Mode::Aix, Event::Message(m)) => {
                bar.suspend(|| {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{m}");
                    let _ = out.flush();
                });
                self.abort_hook(ev);
            }
            (Mode::Aix, Event::Entry { name, .. }) => {
                bar.suspend(|| println!("{}", String::from_utf8_lossy(name)))
            }
            (Mode::Aix, Event::Warning(w)) => bar.suspend(|| eprintln!("WARNING: {w}")),
            (Mode::Aix, Event::SoftError { path, message, .. }) if path.is_empty() => {
                bar.suspend(|| eprintln!("{message}"))
            }
            (Mode::Aix, Event::SoftError { path, message, .. }) => {
                bar.suspend(|| eprintln!("{path}: {message}"))
            }
            (Mode::Aix, Event::Planned { entries, bytes }) => bar.planned(Some(*entries), *bytes),
            (Mode::Aix, Event::Progress { entries, bytes }) => bar.progress(*entries, *bytes),
            // The copy of phase 1 is over when phase 2 begins.
            (Mode::Aix, Event::Phase(p)) if *p >= 2 => bar.finish(),
            (Mode::Demo { .. }, Event::Message(m)) if m.starts_with("+ ") => {}
            (Mode::Demo { .. }, Event::Message(m)) => {
                for l in m.lines() {
                    println!("    {l}");
                }
            }
            (Mode::Demo { verbose: true }, Event::Entry { name, .. }) => {
                println!("    {}", String::from_utf8_lossy(name))
            }
            (Mode::Demo { .. }, Event::Warning(w)) => println!("    WARNING: {w}"),
            (Mode::Demo { .. }, Event::SoftError { path, message, .. }) => {
                println!("    ERROR: {path} {message}")
            }
            _ => {}
        }
    }
}
