//! I/O depth on a cold source: ask the kernel to start reading a file as soon as the walker opens it, so
//! the reads of the next few thousand files are in flight while the writers copy the current ones.
//!
//! The depth comes from the walker's window of open files (up to 4096, see
//! [`crate::walk::WalkOptions::with_data_source`]), not from the thread count: with the page cache dropped,
//! a 15,000-file clone on ext4 took 2.6-3.8 s at 2 threads, 1.05 s at 16 threads and 0.5-1.1 s at 2 threads
//! with this prefetch (docs/cold-io.md). `POSIX_FADV_WILLNEED` starts an asynchronous read of the file's first
//! readahead window; sequential reading then keeps the kernel's own readahead going for larger files.
//!
//! [`Prefetch::Auto`] decides from the source: the first [`PROBE`] files opened are checked with
//! `cachestat(2)` (Linux 6.5; it reads nothing, so no atime moves) for their first page; when at least one
//! in eight was not cached the walk prefetches every file, otherwise (a warm source) it issues no further call
//! per file. A kernel without `cachestat` cannot tell: Auto then prefetches every file, which costs about a
//! microsecond per warm file.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// Files checked before [`Prefetch::Auto`] settles.
pub const PROBE: u32 = 64;

/// When the walker asks the kernel to read files ahead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prefetch {
    /// When the first files opened show the source is not in the page cache.
    #[default]
    Auto,
    /// For every file opened (one `posix_fadvise` each).
    Always,
    /// Never: the copy reads on demand (for measuring).
    Never,
}

impl Prefetch {
    /// Parses "auto", "always" or "never".
    pub fn parse(s: &str) -> Option<Prefetch> {
        match s {
            "auto" => Some(Prefetch::Auto),
            "always" => Some(Prefetch::Always),
            "never" => Some(Prefetch::Never),
            _ => None,
        }
    }
}

/// The walk's prefetch state, shared by its threads.
#[derive(Debug)]
pub(crate) struct Prefetcher {
    mode: Prefetch,
    /// Files checked so far (counts past [`PROBE`] once settled).
    probed: AtomicU32,
    /// Checked files whose data was not cached.
    misses: AtomicU32,
}

impl Prefetcher {
    pub(crate) fn new(mode: Prefetch) -> Self {
        Prefetcher { mode, probed: AtomicU32::new(0), misses: AtomicU32::new(0) }
    }

    /// Called for each non-empty regular file the walker opened for a consumer of its data, after its statx
    /// (the probe may update the source's atime, as the copy's own read will).
    pub(crate) fn opened(&self, fd: BorrowedFd<'_>) {
        match self.mode {
            Prefetch::Never => {}
            Prefetch::Always => advise(fd),
            Prefetch::Auto => {
                let n = self.probed.load(Ordering::Relaxed);
                if n >= PROBE {
                    if self.cold() {
                        advise(fd);
                    }
                    return;
                }
                self.probed.fetch_add(1, Ordering::Relaxed);
                if cached(fd) != Some(true) {
                    self.misses.fetch_add(1, Ordering::Relaxed);
                    advise(fd);
                }
            }
        }
    }

    /// True when every file is read ahead: [`Prefetch::Always`], or [`Prefetch::Auto`] settled on a cold
    /// source. The walker then also opens and advises a whole chunk of files before it reads the small ones.
    pub(crate) fn is_cold(&self) -> bool {
        match self.mode {
            Prefetch::Never => false,
            Prefetch::Always => true,
            Prefetch::Auto => self.probed.load(Ordering::Relaxed) >= PROBE && self.cold(),
        }
    }

    /// True once at least one in eight of the checked files was not cached.
    fn cold(&self) -> bool {
        self.misses.load(Ordering::Relaxed) * 8 >= PROBE
    }
}

/// Starts an asynchronous read of the file's first readahead window (`POSIX_FADV_WILLNEED`).
pub(crate) fn advise(fd: BorrowedFd<'_>) {
    // Advice only: a filesystem that cannot (or an fd that is no longer a regular file) changes nothing.
    let _ = rustix::fs::fadvise(fd, 0, None, rustix::fs::Advice::WillNeed);
}

/// Set once `cachestat` is known to be missing, so it is not tried again.
static NO_CACHESTAT: AtomicBool = AtomicBool::new(false);

/// Whether the first page of the file is in the page cache; `None` when the kernel cannot tell.
fn cached(fd: BorrowedFd<'_>) -> Option<bool> {
    // `cachestat` has the same number on every architecture (Linux 6.5).
    const SYS_CACHESTAT: libc::c_long = 451;
    #[repr(C)]
    struct Range {
        off: u64,
        len: u64,
    }
    #[repr(C)]
    #[derive(Default)]
    struct Stat {
        nr_cache: u64,
        nr_dirty: u64,
        nr_writeback: u64,
        nr_evicted: u64,
        nr_recently_evicted: u64,
    }
    if NO_CACHESTAT.load(Ordering::Relaxed) {
        return None;
    }
    let range = Range { off: 0, len: 1 };
    let mut st = Stat::default();
    // SAFETY: a valid descriptor, a readable range and a writable result of the layouts the kernel defines
    // (struct cachestat_range, struct cachestat); flags 0.
    let r = unsafe {
        libc::syscall(SYS_CACHESTAT, fd.as_raw_fd(), &range as *const Range, &mut st as *mut Stat, 0u32)
    };
    if r < 0 {
        if std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS) {
            NO_CACHESTAT.store(true, Ordering::Relaxed);
        }
        return None;
    }
    Some(st.nr_cache > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;

    #[test]
    fn parse_names() {
        assert_eq!(Prefetch::parse("auto"), Some(Prefetch::Auto));
        assert_eq!(Prefetch::parse("always"), Some(Prefetch::Always));
        assert_eq!(Prefetch::parse("never"), Some(Prefetch::Never));
        assert_eq!(Prefetch::parse("on"), None);
    }

    #[test]
    fn a_warm_source_settles_on_no_prefetch() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"cached data").unwrap();
        let p = Prefetcher::new(Prefetch::Auto);
        for _ in 0..PROBE + 10 {
            p.opened(f.as_fd());
        }
        // Just written: in the page cache, so no miss and no prefetch after the probe.
        assert_eq!(p.misses.load(Ordering::Relaxed), 0);
        assert!(!p.cold());
        assert_eq!(p.probed.load(Ordering::Relaxed), PROBE);
    }

    #[test]
    fn cachestat_sees_a_written_file() {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&[7u8; 8192]).unwrap();
        // Kernels before 6.5 cannot tell (None); where they can, written data is cached.
        assert_ne!(cached(f.as_fd()), Some(false));
        // Written back and dropped from the cache: not cached, and a probe counts the miss and prefetches.
        f.sync_all().unwrap();
        rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::DontNeed).unwrap();
        if cached(f.as_fd()) == Some(false) {
            let p = Prefetcher::new(Prefetch::Auto);
            p.opened(f.as_fd());
            assert_eq!(p.misses.load(Ordering::Relaxed), 1);
            // WILLNEED started the read: the page is cached again (or on its way; wait for it a little).
            let t = std::time::Instant::now();
            while cached(f.as_fd()) != Some(true) && t.elapsed() < std::time::Duration::from_secs(5) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            assert_eq!(cached(f.as_fd()), Some(true));
        }
    }

    #[test]
    fn enough_misses_make_the_walk_cold() {
        let p = Prefetcher::new(Prefetch::Auto);
        p.misses.store(PROBE / 8, Ordering::Relaxed);
        assert!(p.cold());
        p.misses.store(PROBE / 8 - 1, Ordering::Relaxed);
        assert!(!p.cold());
    }
}
