//! `lspv`: physical volumes of the modelled host.

use altdisk_engine::host::{lspv, Host};

use super::host::{fail, HostArg};
use crate::render::json::{print, result};

/// The disks as `--json` gives them: what `lspv` shows (name, PVID, volume group, active) and their size and
/// bootability.
pub fn disks_json(st: &altdisk_engine::host::HostState) -> serde_json::Value {
    st.disks
        .iter()
        .map(|d| {
            let active = d.vg.as_deref().and_then(|n| st.vg(n)).is_some_and(|v| v.varied_on);
            serde_json::json!({
                "name": d.name, "pvid": d.pvid, "vg": d.vg, "active": active, "size_mb": d.size_mb,
                "bootable": d.bootable,
            })
        })
        .collect()
}

/// List the physical volumes of the modelled host.
#[derive(clap::Args, Debug)]
#[command(override_usage = "lspv")]
pub struct Args {
    #[command(flatten)]
    host: HostArg,
}

/// `lspv [--host HOST]`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    match Host::open(&dir) {
        Ok(h) => {
            print(&lspv(&h.state));
            result("disks", disks_json(&h.state));
            Ok(crate::exit::OK)
        }
        Err(e) => Ok(fail("lspv", e)),
    }
}
