//! `lsvg`, `lsvg -o`, `lsvg VG`, `lsvg -l VG`.

use std::ffi::OsString;

use altdisk_engine::host::{lsvg, lsvg_l, lsvg_o, lsvg_vg, Host};

use super::host::{fail, host_dir};

/// `lsvg [-o | -l VG | VG] [--host HOST]`. A varied-off VG gives `0516-010 ...` and exit 1, as on AIX.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let h = match Host::open(&dir) {
        Ok(h) => h,
        Err(e) => return Ok(fail("lsvg", e)),
    };
    let res = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => Ok(lsvg(&h.state)),
        ["-o"] => Ok(lsvg_o(&h.state)),
        ["-l", vg] => lsvg_l(&h.state, vg),
        [vg] if !vg.starts_with('-') => lsvg_vg(&h.state, vg),
        _ => return crate::exit::usage("usage: lsvg [-o] | lsvg [-l] VolumeGroup"),
    };
    match res {
        Ok(s) => {
            print!("{s}");
            Ok(crate::exit::OK)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(crate::exit::FAILED)
        }
    }
}
