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
        Transcript { mode: Mode::Aix, abort_after: abort_hook() }
    }

    /// The demo's indented transcript.
    pub fn demo(verbose: bool) -> Transcript {
        Transcript { mode: Mode::Demo { verbose }, abort_after: None }
    }
}

impl Events for Transcript {
    fn event(&self, ev: &Event<'_>) {
        match (self.mode, ev) {
            (Mode::Aix, Event::Message(m)) if m.starts_with("+ ") => eprintln!("{m}"),
            (Mode::Aix, Event::Message(m)) => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{m}");
                let _ = out.flush();
                if let Some(a) = &self.abort_after {
                    if m.contains(a.as_str()) {
                        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
                        unsafe {
                            libc::kill(libc::getpid(), libc::SIGKILL);
                        }
                    }
                }
            }
            (Mode::Aix, Event::Entry { name, .. }) => println!("{}", String::from_utf8_lossy(name)),
            (Mode::Aix, Event::Changed { path, detail }) => eprintln!("{path}: {detail}"),
            (Mode::Aix, Event::Warning(w)) => eprintln!("WARNING: {w}"),
            (Mode::Aix, Event::SoftError { path, message, .. }) if path.is_empty() => eprintln!("{message}"),
            (Mode::Aix, Event::SoftError { path, message, .. }) => eprintln!("{path}: {message}"),
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
