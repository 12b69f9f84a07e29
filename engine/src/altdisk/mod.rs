//! The alternate-disk commands on the modelled host ([`crate::host`]). One phase machine ([`phases`]) runs
//! `alt_disk_copy` ([`copy`]), `alt_disk_mksysb` ([`mksysb_install`]) and `alt_rootvg_op -C` ([`rootvg_op`]):
//! each hands it its phase-1 step and its own options. Data movement is behind [`Mover`], per-filesystem space
//! accounting behind [`SpaceCheck`] and software installation behind [`SoftwareInstaller`], so the phase
//! machine stays independent of the pipelines and of installp.

pub mod copy;
pub mod installp;
pub mod mksysb;
pub mod mksysb_install;
pub mod mover;
pub mod phases;
pub mod plan;
pub mod rootvg_op;
pub(crate) mod vgstate;

pub use mover::{AccountingSpaceCheck, PipelineMover};
pub use phases::{
    BuildOptions, Customize, NoSoftware, PhaseOptions, PhaseOutcome, Phases, SoftwareInstaller,
    SoftwareOptions, SoftwareOutcome,
};

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::host::{alt_path, Host, HostState};

/// The name of the volume group alternate-disk operations build (and wake volume groups as).
pub(crate) const ALTINST: &str = "altinst_rootvg";

/// What the copy step of phase 1 must move.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyRequest {
    /// `HOST/root`: the running rootvg's tree.
    pub src_root: PathBuf,
    /// Mount points of the mounted rootvg filesystems to copy (`/`, `/usr`, ...), sorted.
    pub filesystems: Vec<String>,
    /// `HOST/root/alt_inst`: where the alternate filesystems are mounted.
    pub dst_root: PathBuf,
    /// The `-e` exclude list (grep -v -f patterns), if any.
    pub exclude_file: Option<PathBuf>,
    /// `-V`: report each file.
    pub verbose: bool,
    /// Capacity of each target filesystem in bytes (the "file system full" model used with `-S`).
    pub fs_limits: Vec<(String, u64)>,
    /// Type and parameters of each target filesystem (after `-T`), for the accounting of `fs_limits`.
    pub fs_types: Vec<(String, crate::space::FsType)>,
    /// `--verify`: compare what was copied with its source right after the copy (before phase 2 changes
    /// the clone), as `altdisk verify` does.
    pub verify: bool,
}

/// What the copy did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CopyStats {
    /// Entries copied.
    pub entries: u64,
    /// Data bytes copied.
    pub bytes: u64,
    /// Backup/restore errors (one line each); they decide `ALT_BAK_ERR_*` handling.
    pub soft_errors: Vec<String>,
    /// How many of the first `soft_errors` the mover already reported as events while copying, so the
    /// phase that counts them does not print them a second time.
    pub reported: usize,
    /// A target filesystem of the model filled up (a `0511-138` restore error): with `ALT_BAK_ERR_FAIL` the
    /// command then fails as out of space.
    pub out_of_space: bool,
    /// `--verify`: the differences between the copy and its source (`None`: not verified; not run either
    /// when the copy itself had errors).
    pub differences: Option<Vec<crate::verify::Difference>>,
}

/// Moves the rootvg data into `/alt_inst`. The integrator implements it with the walk → exclude → tree
/// pipeline; tests use simple implementations.
pub trait Mover {
    /// Copies every filesystem of `req`; foreign mounts (other filesystems' mount points, `/alt_inst`) are
    /// copied as empty directories only.
    fn copy_filesystems(&self, req: &CopyRequest, events: &dyn Events) -> Result<CopyStats, Error>;
}

/// Per-filesystem JFS/JFS2 space accounting hook, run in phase 1 unless `-S`. The integrator fills it with
/// `engine::space`; [`AlwaysFits`] accepts everything.
pub trait SpaceCheck {
    /// Refuses (typically with [`Error::Space`]) when the rootvg data cannot fit the filesystems to create.
    fn check(&self, host: &HostState, req: &CopyRequest) -> Result<()>;
}

/// A [`SpaceCheck`] that accepts everything (per-filesystem accounting is not wired in yet).
#[derive(Debug, Default, Clone, Copy)]
pub struct AlwaysFits;

impl SpaceCheck for AlwaysFits {
    fn check(&self, _host: &HostState, _req: &CopyRequest) -> Result<()> {
        Ok(())
    }
}

/// What to do on backup/restore errors (spec alt-disk.md §1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BakErrPolicy {
    /// Print the errors, carry on, exit 0.
    #[default]
    Continue,
    /// `ALT_BAK_ERR_FAIL=1`: clean up as `alt_rootvg_op -X` and fail.
    Fail,
    /// `ALT_BAK_ERR_REPORT=1`: carry on, exit 1, do not set the bootlist.
    Report,
}

/// Sends a message and logs it.
pub(crate) fn say(host: &Host, events: &dyn Events, msg: &str) -> Result<()> {
    events.event(&Event::Message(msg));
    host.log(msg)
}

/// A `-D` trace line (`+ step`), sent as a message the CLI prints on standard error.
pub(crate) fn trace(on: bool, events: &dyn Events, step: &str) {
    if on {
        events.event(&Event::Message(&format!("+ {step}")));
    }
}

/// Forced-unmount lines for `vg`'s filesystems: reverse sorted mount-point order, each `times` times (twice in
/// phase 3, as AIX prints; once when `alt_rootvg_op -X` removes a mounted clone).
pub(crate) fn unmount_lines(host: &Host, events: &dyn Events, mps: &[String], times: usize) -> Result<()> {
    let mut v = mps.to_vec();
    v.sort();
    for mp in v.iter().rev() {
        let line = format!("forced unmount of {}", alt_path(mp));
        for _ in 0..times {
            say(host, events, &line)?;
        }
    }
    Ok(())
}
