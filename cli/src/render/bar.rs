//! The one progress bar: on standard error when it is a terminal, never with `--json`. Its total is the
//! plan's ([`altdisk_engine::Event::Planned`]: the copy after exclusion, or an archive's size); until then it
//! says "total unknown" and only counts. Counters never go backwards, and a total that turns out short grows.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, drawn only when it was wanted and standard error is a terminal.
pub struct Bar {
    enabled: bool,
    pb: Mutex<Option<ProgressBar>>,
    /// The plan's totals (entries when known, bytes), once known; applied when the bar is drawn.
    total: Mutex<Option<(Option<u64>, u64)>>,
    /// The highest entry count seen.
    done_entries: AtomicU64,
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

impl Bar {
    /// A bar when `wanted`, standard error is a terminal and `--json` is off; drawn at once when `eager`
    /// (a spinner while the plan is made), else at the first plan or progress.
    pub fn new(wanted: bool, eager: bool) -> Bar {
        let enabled = wanted && !super::json::on() && std::io::stderr().is_terminal();
        let bar =
            Bar { enabled, pb: Mutex::new(None), total: Mutex::new(None), done_entries: AtomicU64::new(0) };
        if eager {
            bar.get();
        }
        bar
    }

    /// True when a bar is (or will be) drawn.
    pub fn on(&self) -> bool {
        self.enabled
    }

    /// The drawn bar, made on first use.
    fn get(&self) -> Option<ProgressBar> {
        if !self.enabled {
            return None;
        }
        let mut slot = self.pb.lock().ok()?;
        if let Some(b) = slot.as_ref() {
            return Some(b.clone());
        }
        let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
        b.set_style(unknown_style());
        if let Some((_, bytes)) = self.total.lock().ok().and_then(|t| *t) {
            b.set_style(planned_style());
            b.set_length(bytes);
        }
        b.enable_steady_tick(Duration::from_millis(200));
        *slot = Some(b.clone());
        Some(b)
    }

    /// The bar if it is drawn now (without making one).
    fn current(&self) -> Option<ProgressBar> {
        self.pb.lock().ok().and_then(|s| s.clone())
    }

    /// The plan's totals: `entries` when known, `bytes` (never below what is already done). A bar not drawn
    /// yet keeps them for when the progress begins.
    pub fn planned(&self, entries: Option<u64>, bytes: u64) {
        if let Ok(mut t) = self.total.lock() {
            *t = Some((entries, bytes));
        }
        if let Some(b) = self.current() {
            b.set_style(planned_style());
            b.set_length(bytes.max(b.position()));
        }
    }

    /// Progress so far; events come from several threads, so only a forward move is shown.
    pub fn progress(&self, entries: u64, bytes: u64) {
        let Some(b) = self.get() else { return };
        let done = self.done_entries.fetch_max(entries, Ordering::Relaxed).max(entries);
        if bytes > b.position() {
            if b.length().is_some_and(|l| bytes > l) {
                b.set_length(bytes);
            }
            b.set_position(bytes);
        }
        match self.total.lock().ok().and_then(|t| *t).and_then(|t| t.0) {
            Some(t) => b.set_message(format!("{done}/{} entries", t.max(done))),
            None => b.set_message(format!("{done} entries")),
        }
    }

    /// Runs `f` (which prints) with the bar out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.current() {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    /// Clears the bar; a later plan or progress starts a new one.
    pub fn finish(&self) {
        if let Ok(mut slot) = self.pb.lock() {
            if let Some(b) = slot.take() {
                b.finish_and_clear();
            }
        }
        if let Ok(mut t) = self.total.lock() {
            *t = None;
        }
        self.done_entries.store(0, Ordering::Relaxed);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}
