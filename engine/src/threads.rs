//! The one thread-count rule of every walking and writing stage: a count given by the user (1 to
//! [`MAX_THREADS`]) or, when none is given, one thread per CPU.

/// The largest thread count accepted: far above any useful count (the stages stop scaling at the core count)
/// and low enough that a typo cannot make the engine try to spawn billions of threads.
pub const MAX_THREADS: usize = 1024;

/// Used when the CPU count cannot be read (no `/proc`, a restricted sandbox): two keeps the reader and the
/// writer overlapping, which is what the CLI and the alt_disk_* copy assumed; a single-CPU machine still works.
pub const FALLBACK_THREADS: usize = 2;

/// The default thread count: one per CPU ([`FALLBACK_THREADS`] when unknown), at most [`MAX_THREADS`].
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(FALLBACK_THREADS, |n| n.get()).min(MAX_THREADS)
}

/// `n`, or [`default_threads`] for 0 (the options' "not given"), at most [`MAX_THREADS`].
pub fn or_default(n: usize) -> usize {
    if n == 0 {
        default_threads()
    } else {
        n.min(MAX_THREADS)
    }
}
