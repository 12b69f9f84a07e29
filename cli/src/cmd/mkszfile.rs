//! `mkszfile`: write the running rootvg's image.data (`HOST/image.data`, standing for `/image.data`).
//!
//! Prints nothing on success, as AIX. Supported flags: none needed; `-f` (also write bosinst.data) and `-m`
//! (map files) are refused with a message, `-X` (expand /tmp) too: the model has nothing to expand.

use altdisk_engine::altdisk::plan::{account_tree, host_targets, write_mkszfile};
use altdisk_engine::host::{Host, HostLock};
use altdisk_engine::NoEvents;

use super::host::{fail, HostArg};

/// Write /image.data for the modelled rootvg.
#[derive(clap::Args, Debug)]
#[command(override_usage = "mkszfile [-f] [-m] [-X]")]
pub struct Args {
    /// Also write bosinst.data (not supported by this host model).
    #[arg(short = 'f')]
    bosinst: bool,
    /// Map files (not supported by this host model).
    #[arg(short = 'm')]
    map: bool,
    /// Expand /tmp (not supported by this host model).
    #[arg(short = 'X')]
    expand_tmp: bool,
    /// mkszfile takes no operands.
    #[arg(value_name = "OPERAND", hide = true)]
    operands: Vec<String>,
    #[command(flatten)]
    host: HostArg,
}

/// Runs `mkszfile`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    if let Some((c, _)) = [('f', a.bosinst), ('m', a.map), ('X', a.expand_tmp)].iter().find(|f| f.1) {
        crate::render::json::failure(&format!("mkszfile: -{c} is not supported by this host model"));
        return Ok(crate::exit::REFUSED);
    }
    if !a.operands.is_empty() {
        return super::usage_error("mkszfile", "");
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
