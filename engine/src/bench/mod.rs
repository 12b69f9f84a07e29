//! `altdisk bench`: the clone/backup/restore speed benchmark users run on their own machine.
//!
//! The pieces are public so other tools can reuse them:
//!
//! * [`gen::generate_tree`] builds a deterministic rootvg-like tree (small and large files, hard links,
//!   symlinks, a sparse file, xattrs, setuid files, a fifo, odd owners and nanosecond times),
//! * [`floor::floor_copy`] is the "floor" contestant: a tree copy issuing only the unavoidable syscalls,
//! * [`compare::compare_trees`] (the [`crate::verify`] module) checks a contestant's result for fidelity
//!   against the source,
//! * [`run::run_bench`] runs the contestants interleaved and gathers [`run::BenchResults`],
//! * [`loopfs::LoopFs`] makes a fresh loop-mounted ext4 or xfs to measure on (`--fs`),
//! * [`report`] renders the results as CSV, JSON, an SVG bar chart and a text table.

pub use crate::verify as compare;
pub mod floor;
pub mod gen;
pub mod loopfs;
pub mod report;
pub mod run;

pub use compare::{compare_trees, CompareOptions, DiffKind, Difference};
pub use floor::{floor_copy, FloorStats};
pub use gen::{generate_tree, GenStats};
pub use run::{run_bench, BenchOptions, BenchResults, Scenario};

use std::path::Path;

/// Wraps an OS error from rustix with the operation and path, as the engine's [`crate::Error`].
pub(crate) fn os_err(op: &'static str, path: &Path, e: rustix::io::Errno) -> crate::Error {
    crate::Error::io(op, path, std::io::Error::from(e))
}

/// A small, fast, seedable PRNG (SplitMix64). Kept local so a seed gives the same tree forever,
/// whatever version of any random-number crate is in the lock file.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1A4_F87B)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (`hi` exclusive, `hi > lo`).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }

    /// Log-uniform in `lo..hi`: many small values, few large ones, like file sizes on a real system.
    pub(crate) fn log_range(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, h) = ((lo.max(1) as f64).ln(), (hi.max(2) as f64).ln());
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((l + u * (h - l)).exp() as u64).clamp(lo, hi.saturating_sub(1).max(lo))
    }

    /// True with probability `1/n`.
    pub(crate) fn one_in(&mut self, n: u64) -> bool {
        self.range(0, n.max(1)) == 0
    }
}
