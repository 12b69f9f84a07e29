//! The alternate-disk phase machines: `alt_disk_copy` ([`copy`]) and `alt_rootvg_op` ([`rootvg_op`]) on the
//! modelled host ([`crate::host`]). Data movement is behind [`Mover`] and per-filesystem space accounting
//! behind [`SpaceCheck`], so the phase machines stay independent of the pipeline that fills them.

pub mod copy;
pub mod mksysb;
pub mod mksysb_install;
pub mod mover;
pub mod plan;
pub mod rootvg_op;

pub use mover::{AccountingSpaceCheck, PipelineMover};

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};
use crate::events::{Event, Events};
use crate::host::{alt_path, Host, HostError, HostState};

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

/// Phase-2 work shared by `alt_disk_copy` and `alt_rootvg_op -C`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Customize {
    /// `-s`: a script run with `ALT_INST` set, cwd = `/alt_inst`.
    pub script: Option<PathBuf>,
    /// `-R`: copied to `/alt_inst/etc/resolv.conf`.
    pub resolv_conf: Option<PathBuf>,
    /// `-n`: copy `/.rhosts` and `/etc/niminfo` when present.
    pub nim_client: bool,
    /// `-x`: stored as `/alt_inst/etc/alt_disk_firstboot` and run at the clone's first boot.
    pub first_boot: Option<PathBuf>,
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

/// Forced-unmount lines for `vg`'s filesystems: reverse sorted mount-point order, each twice (as AIX prints).
pub(crate) fn unmount_lines(host: &Host, events: &dyn Events, mps: &[String]) -> Result<()> {
    let mut v = mps.to_vec();
    v.sort();
    for mp in v.iter().rev() {
        let line = format!("forced unmount of {}", alt_path(mp));
        say(host, events, &line)?;
        say(host, events, &line)?;
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p).map_err(|e| Error::io("create", p, e))?;
    }
    std::fs::copy(from, to).map_err(|e| Error::io("copy", from, e))?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(mode)).map_err(|e| Error::io("chmod", to, e))
}

/// Runs the phase-2 customization on the tree mounted at `/alt_inst`.
pub(crate) fn customize(host: &mut Host, c: &Customize, trace_on: bool, events: &dyn Events) -> Result<()> {
    let alt = host.alt_inst();
    if let Some(r) = &c.resolv_conf {
        trace(trace_on, events, "copy resolv.conf");
        copy_file(r, &alt.join("etc/resolv.conf"), 0o644)?;
        host.log(&format!("copied {} to /alt_inst/etc/resolv.conf", r.display()))?;
    }
    if c.nim_client {
        trace(trace_on, events, "copy NIM client files");
        for f in [".rhosts", "etc/niminfo"] {
            let src = host.root().join(f);
            if src.is_file() {
                copy_file(&src, &alt.join(f), 0o600)?;
                host.log(&format!("copied /{f} to /alt_inst/{f}"))?;
            }
        }
    }
    if let Some(x) = &c.first_boot {
        trace(trace_on, events, "store first-boot script");
        copy_file(x, &alt.join(crate::host::FIRSTBOOT_SCRIPT), 0o755)?;
        if let Some(v) = host.state.alt_mounted().map(|v| v.name.clone()) {
            if let Some(v) = host.state.vg_mut(&v) {
                v.firstboot_pending = true;
            }
        }
        host.save()?;
    }
    if let Some(s) = &c.script {
        trace(trace_on, events, &format!("run {}", s.display()));
        let status = Command::new(s)
            .current_dir(&alt)
            .env("ALT_INST", &alt)
            .status()
            .map_err(|e| Error::io("run", s, e))?;
        host.log(&format!("customization script {} exited {status}", s.display()))?;
        if !status.success() {
            return Err(HostError::Script { path: s.clone(), status: status.code().unwrap_or(-1) }.into());
        }
    }
    Ok(())
}
