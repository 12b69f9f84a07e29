//! Sizing the process's file descriptor table up front.
//!
//! The kernel's table starts at 64 slots and doubles whenever a descriptor above it is opened. In a
//! multithreaded process each doubling waits for an RCU grace period (`expand_files` calls
//! `synchronize_rcu`), and every other thread that opens a file meanwhile waits with it. A clone or restore
//! of 80k files holds up to ~6,000 descriptors at once (directories kept open, files opened ahead), so it
//! paid 6-7 such stalls of 10-25 ms each with both CPUs idle: restore and clone ran 10-14% faster once the
//! table was grown before the threads started. The table never shrinks, so one descriptor placed at the top
//! and closed again is enough.

use std::os::fd::AsFd;

/// The slots [`grow`] is usually asked for: 16384, 128 KiB of kernel memory, above what a run holds open
/// (the walker's open-ahead budget is at most 4096 files, the directory caches a quarter of the limit each).
pub const SLOTS: u64 = 16384;

/// Grows the descriptor table to `slots` (capped by the soft `RLIMIT_NOFILE`). Call it while the process has
/// a single thread: growing is then free of the grace-period wait. Failure changes nothing and is ignored.
pub fn grow(slots: u64) {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(slots);
    let top = slots.min(limit).saturating_sub(1);
    if top > 64 {
        // The lowest free descriptor >= top is top itself in a fresh process; it is closed when dropped.
        let _ = rustix::io::fcntl_dupfd_cloexec(std::io::stderr().as_fd(), top.min(i32::MAX as u64) as i32);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_is_grown() {
        super::grow(super::SLOTS);
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let size: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("FDSize:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap();
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(u64::MAX);
        assert!(size >= super::SLOTS.min(limit), "FDSize {size}");
    }
}
