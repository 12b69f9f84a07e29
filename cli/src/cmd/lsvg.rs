//! `lsvg`, `lsvg -o`, `lsvg VG`, `lsvg -l VG`.

use altdisk_engine::host::{lsvg, lsvg_l, lsvg_o, lsvg_vg, Host};

use super::host::{fail, HostArg};
use crate::render::json::{print, result};

/// The volume groups as `--json` results list them: name, disks, varied on, boot disk, level.
pub fn vgs_json(st: &altdisk_engine::host::HostState) -> serde_json::Value {
    st.vgs
        .iter()
        .map(|v| {
            serde_json::json!({
                "name": v.name, "disks": v.disks, "varied_on": v.varied_on, "boot_disk": v.boot_disk(),
                "oslevel": v.oslevel,
            })
        })
        .collect()
}

/// AIX's forms that the model answers.
pub const USAGE: &str = "lsvg [-o]
       lsvg [-l] VolumeGroup";

/// List volume groups, one VG's summary (VG) or its logical volumes (-l VG).
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Only the varied-on volume groups.
    #[arg(short = 'o')]
    online: bool,
    /// The logical volumes of VolumeGroup.
    #[arg(short = 'l')]
    lvs: bool,
    /// The volume group to show.
    #[arg(value_name = "VolumeGroup")]
    vg: Option<String>,
    #[command(flatten)]
    host: HostArg,
}

/// `lsvg [-o | -l VG | VG] [--host HOST]`. A varied-off VG gives `0516-010 ...` and exit 1, as on AIX.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    if (a.online && (a.lvs || a.vg.is_some())) || (a.lvs && a.vg.is_none()) {
        return super::usage_error("lsvg", "");
    }
    let h = match Host::open(&dir) {
        Ok(h) => h,
        Err(e) => return Ok(fail("lsvg", e)),
    };
    let res = match (&a.vg, a.lvs, a.online) {
        (None, _, false) => Ok(lsvg(&h.state)),
        (None, _, true) => Ok(lsvg_o(&h.state)),
        (Some(vg), true, _) => lsvg_l(&h.state, vg),
        (Some(vg), false, _) => lsvg_vg(&h.state, vg),
    };
    match res {
        Ok(s) => {
            print(&s);
            match &a.vg {
                None => {
                    let vgs: Vec<&str> = h
                        .state
                        .vgs
                        .iter()
                        .filter(|v| v.varied_on || !a.online)
                        .map(|v| v.name.as_str())
                        .collect();
                    result("vgs", serde_json::json!(vgs));
                }
                Some(name) => {
                    if let Some(v) = h.state.vg(name) {
                        result("vg", serde_json::to_value(v)?);
                    }
                }
            }
            Ok(crate::exit::OK)
        }
        Err(e) => {
            crate::render::json::flush();
            eprintln!("{e}");
            crate::render::json::error(&e.to_string());
            Ok(crate::exit::FAILED)
        }
    }
}
