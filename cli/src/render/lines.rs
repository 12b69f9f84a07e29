//! The line printers of the archive and planning commands (backup, restore, space, bench): warnings and
//! soft errors as `PROG: ...` lines on standard error, and backup's `a NAME` listing.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use altdisk_engine::{Event, Events};

/// Where backup's `-v` listing (`a NAME`) goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// No listing.
    Off,
    /// On standard output.
    Stdout,
    /// On standard error (the archive itself goes to standard output).
    Stderr,
}

/// Prints warnings, soft errors and (optionally) messages and a listing as `PROG: ...` lines.
pub struct Lines {
    prog: &'static str,
    /// Put between `PROG: ` and a warning: `""` (backup, restore: as AIX does) or `"warning: "`.
    warning: &'static str,
    /// Print [`Event::Message`]s as `PROG: message` on standard error (bench `-v`).
    messages: bool,
    /// Print [`Event::SoftError`]s as `PROG: PATH: message` (backup); otherwise they are only counted.
    errors: bool,
    listing: Listing,
    out: Mutex<io::Stdout>,
    /// Soft errors seen.
    pub soft: AtomicU64,
}

impl Lines {
    /// Warnings as `PROG: W` (AIX's backup and restore).
    pub fn aix(prog: &'static str) -> Lines {
        Lines::new(prog, "")
    }

    /// Warnings as `PROG: warning: W` (altdisk's own commands).
    pub fn tool(prog: &'static str) -> Lines {
        Lines::new(prog, "warning: ")
    }

    fn new(prog: &'static str, warning: &'static str) -> Lines {
        Lines {
            prog,
            warning,
            messages: false,
            errors: false,
            listing: Listing::Off,
            out: Mutex::new(io::stdout()),
            soft: AtomicU64::new(0),
        }
    }

    /// Also prints messages (`PROG: message` on standard error).
    pub fn with_messages(mut self, on: bool) -> Lines {
        self.messages = on;
        self
    }

    /// Also prints soft errors (`PROG: PATH: message`).
    pub fn with_errors(mut self) -> Lines {
        self.errors = true;
        self
    }

    /// Also lists each entry as `a NAME`.
    pub fn with_listing(mut self, listing: Listing) -> Lines {
        self.listing = listing;
        self
    }
}

impl Events for Lines {
    fn event(&self, ev: &Event<'_>) {
        if super::json::on() {
            if matches!(ev, Event::SoftError { .. }) {
                self.soft.fetch_add(1, Ordering::Relaxed);
            }
            // Messages only when asked (bench -v), as in text mode.
            if !matches!(ev, Event::Message(_)) || self.messages {
                super::json::event(ev, self.listing != Listing::Off);
            }
            return;
        }
        match ev {
            Event::Entry { name, .. } if self.listing != Listing::Off => {
                let mut line = Vec::with_capacity(name.len() + 3);
                line.extend_from_slice(b"a ");
                line.extend_from_slice(name);
                line.push(b'\n');
                if self.listing == Listing::Stderr {
                    let _ = io::stderr().write_all(&line);
                } else if let Ok(mut o) = self.out.lock() {
                    let _ = o.write_all(&line);
                }
            }
            Event::Changed { path, detail } if self.listing != Listing::Off => {
                eprintln!("{}: {path}: {detail}", self.prog)
            }
            Event::Message(m) if self.messages => eprintln!("{}: {m}", self.prog),
            Event::Warning(w) => eprintln!("{}: {}{w}", self.prog, self.warning),
            Event::SoftError { path, message, .. } => {
                self.soft.fetch_add(1, Ordering::Relaxed);
                if self.errors {
                    eprintln!("{}: {path}: {message}", self.prog);
                }
            }
            _ => {}
        }
    }
}
