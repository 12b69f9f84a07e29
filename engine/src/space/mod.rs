//! JFS and JFS2 space accounting, JFS→JFS2 conversion and fit checks (spec alt-disk.md §3.3, §4).
//!
//! * [`jfs`] and [`jfs2`] hold the per-object rules, each citing its spec section; `[I]` marks an inference.
//! * [`Accountant`] takes entries one at a time (from the walker or the archive reader) and sums what each
//!   target file system needs; [`Accountant::finish`] gives one [`FsNeed`] per file system.
//! * [`plan()`] checks the needs against image.data (file-system sizes, PPs on the target disks, LV names)
//!   and applies `-T` (JFS→JFS2).

pub(crate) mod account;
pub mod jfs;
pub mod jfs2;
pub mod mkszfile;
pub mod plan;

pub use account::{Accountant, FsNeed};
pub use jfs::JfsParams;
pub use jfs2::Jfs2Params;
pub use mkszfile::{mkszfile, DiskDesc, FsDesc, LvDesc, VgDesc};
pub use plan::{
    check_lv_names, convert_to_jfs2, plan, targets_from_image, Conversion, DiskUse, FsFit, LvUse,
    PlanOptions, SpacePlan,
};

/// The type of a target file system, with the parameters that change space use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum FsType {
    /// JFS (JFS1).
    Jfs(JfsParams),
    /// JFS2.
    Jfs2(Jfs2Params),
}

impl FsType {
    /// `jfs` or `jfs2`.
    pub fn name(&self) -> &'static str {
        match self {
            FsType::Jfs(_) => "jfs",
            FsType::Jfs2(_) => "jfs2",
        }
    }
}

/// One target file system: where it is mounted, its type and (when known) its size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsTarget {
    /// Mount point (`/`, `/usr`); entries go to the file system with the longest matching mount point.
    pub mount_point: String,
    /// JFS or JFS2 and parameters.
    pub fs_type: FsType,
    /// Size in bytes, when known (`FS_SIZE × 512`); without it the need is computed at the minimum size.
    pub size: Option<u64>,
}

/// Why a space plan failed.
#[derive(Debug, thiserror::Error)]
pub enum SpaceError {
    /// A filesystem cannot hold its data.
    #[error("{mount_point}: need {need} bytes, have {have} bytes ({reason})")]
    DoesNotFit {
        /// The mount point.
        mount_point: String,
        /// Bytes needed.
        need: u64,
        /// Bytes available.
        have: u64,
        /// Why (which rule dominated).
        reason: String,
    },
    /// A JFS file system has fewer inodes than the tree has objects.
    #[error("{mount_point}: {objects} objects but only {inodes} inodes (nbpi {nbpi}); it does not fit whatever its bytes")]
    TooManyObjects {
        /// The mount point.
        mount_point: String,
        /// Objects in the tree.
        objects: u64,
        /// Usable inodes of the file system.
        inodes: u64,
        /// Bytes per inode.
        nbpi: u32,
    },
    /// The target disks do not have the physical partitions the logical volumes need.
    #[error(
        "logical volume {lv}: needs {need} PPs ({copies} copies), the target disks have {free} free PPs"
    )]
    NoPps {
        /// The LV.
        lv: String,
        /// PPs it needs (LPs × copies).
        need: u64,
        /// Copies.
        copies: u32,
        /// Free PPs left on the disks it may use.
        free: u64,
    },
    /// Mirror copies need separate disks and there are not enough.
    #[error("logical volume {lv}: {copies} copies must be on separate disks, only {disks} target disk(s)")]
    NotEnoughDisks {
        /// The LV.
        lv: String,
        /// Copies.
        copies: u32,
        /// Target disks.
        disks: usize,
    },
    /// An LV name is too long for the `alt_` prefix.
    #[error("logical volume name {lv} is {len} characters; at most 11 are allowed (alt_ prefix + 15-character LVM limit)")]
    LvNameTooLong {
        /// The LV.
        lv: String,
        /// Its length.
        len: usize,
    },
    /// File-system parameters that JFS or JFS2 does not allow.
    #[error("{message}")]
    BadParams {
        /// What is wrong.
        message: String,
    },
    /// image.data does not hold what the plan needs.
    #[error(transparent)]
    Stanza(#[from] crate::imagedata::StanzaError),
}

/// `ceil(x / a) × a`, saturating (sizes from an archive can be anything).
pub(crate) fn rup(x: u64, a: u64) -> u64 {
    x.div_ceil(a).saturating_mul(a)
}

/// Units of `unit` bytes (aligned to multiples of `unit`) that hold data, counting only the part of the
/// segments inside `[lo, hi)`; each unit is counted once. `segs` are `(offset, length)` in order.
pub fn touched(segs: &[(u64, u64)], lo: u64, hi: u64, unit: u64) -> u64 {
    let mut n = 0;
    let mut last_counted: Option<u64> = None;
    for &(off, len) in segs {
        let s = off.max(lo);
        let e = off.saturating_add(len).min(hi);
        if s >= e {
            continue;
        }
        let mut first = s / unit;
        let last = (e - 1) / unit;
        if let Some(l) = last_counted {
            if first <= l {
                first = l + 1;
            }
        }
        if first <= last {
            n += last - first + 1;
            last_counted = Some(last);
        }
    }
    n
}

/// The invariants a fuzzer checks on arbitrary bytes as image.data: those of [`crate::imagedata::fuzz_check`]
/// (no panic, byte-for-byte write-back, before and after `-T`), and no panic reading the target file
/// systems of what parses, before and after `-T`. Shared by `fuzz/fuzz_targets/stanza_parse.rs` and the corpus
/// replay test.
pub fn fuzz_check(data: &[u8]) -> Result<(), String> {
    crate::imagedata::fuzz_check(data)?;
    if let Ok(mut img) = crate::imagedata::ImageData::parse("fuzz", data) {
        let _ = targets_from_image(&img);
        convert_to_jfs2(&mut img);
        let _ = targets_from_image(&img);
    }
    Ok(())
}
