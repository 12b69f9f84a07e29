//! `mkszfile`: write the running rootvg's image.data (`HOST/image.data`, standing for `/image.data`).
//!
//! Prints nothing on success, as AIX. Supported flags: none needed; `-f` (also write bosinst.data) and `-m`
//! (map files) are refused with a message, `-X` (expand /tmp) too: the model has nothing to expand.

use std::ffi::OsString;

use altdisk_engine::altdisk::plan::{account_tree, host_targets, write_mkszfile};
use altdisk_engine::host::{Host, HostLock};
use altdisk_engine::NoEvents;

use super::host::{fail, getopt, host_dir};

/// Runs `mkszfile`.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let (flags, operands) = getopt(&args, "", "fmX")?;
    if let Some((c, _)) = flags.first() {
        eprintln!("mkszfile: -{c} is not supported by this host model");
        return Ok(crate::exit::REFUSED);
    }
    if !operands.is_empty() {
        return crate::exit::usage("usage: mkszfile");
    }
    let res = (|| -> altdisk_engine::Result<()> {
        let _lock = HostLock::acquire(&dir)?;
        let host = Host::open(&dir)?;
        let mounted: Vec<String> =
            host.rootvg()?.mounted_fs_sorted().iter().map(|f| f.mount_point.clone()).collect();
        let needs = account_tree(&host.root(), &mounted, None, 0, &[host_targets(&host, false)?], &NoEvents)?;
        write_mkszfile(&host, needs.first().map(Vec::as_slice).unwrap_or(&[]))?;
        Ok(())
    })();
    match res {
        Ok(()) => Ok(crate::exit::OK),
        Err(e) => Ok(fail("mkszfile", e)),
    }
}
