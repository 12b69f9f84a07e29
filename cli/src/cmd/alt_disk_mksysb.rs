//! `alt_disk_mksysb -m FILE -d "disks" [flags]`: AIX flags parsed exactly, then the engine's phase machine
//! (`altdisk_engine::altdisk::mksysb_install`).

use std::ffi::OsString;
use std::path::PathBuf;

use altdisk_engine::altdisk::copy::Phases;
use altdisk_engine::altdisk::mksysb_install::{alt_disk_mksysb, MksysbInstallOptions};

use super::host::{bak_err_from_env, fail, getopt, host_dir, outcome, Printer};

/// Runs `alt_disk_mksysb`.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let (flags, operands) = getopt(&args, "mdisRpLPc", "DBOVgkryzTSCnK")?;
    let mut o = MksysbInstallOptions::default();
    for (c, v) in flags {
        let v = v.unwrap_or_default();
        match c {
            'm' => o.mksysb = PathBuf::from(v),
            'd' => o.common.disks.extend(v.split_whitespace().map(str::to_string)),
            'i' => o.build.image_data = Some(PathBuf::from(v)),
            's' => o.common.customize.script = Some(PathBuf::from(v)),
            'R' => o.common.customize.resolv_conf = Some(PathBuf::from(v)),
            'p' => o.platform = Some(v),
            'L' => o.level = Some(v),
            'c' => o.console = Some(v),
            'P' => match Phases::parse(&v) {
                Ok(p) => o.common.phases = p,
                Err(e) => return Ok(fail("alt_disk_mksysb", e)),
            },
            'n' => o.common.customize.nim_client = true,
            'K' => o.kernel64 = true,
            'D' => o.common.trace = true,
            'B' => o.common.no_bootlist = true,
            'O' => o.build.device_reset = true,
            'V' => o.common.verbose = true,
            'g' => o.build.skip_boot_check = true,
            'k' => o.keep_devices = true,
            'r' => o.common.reboot = true,
            'y' => o.import_vgs = true,
            'z' => o.no_import = true,
            'T' => o.build.to_jfs2 = true,
            'S' => o.build.skip_space_check = true,
            'C' => o.chrp_boot_image = true,
            _ => return crate::exit::usage(format!("alt_disk_mksysb: unknown flag -{c}")),
        }
    }
    o.common.disks.extend(operands);
    if o.common.disks.is_empty() || o.mksysb.as_os_str().is_empty() {
        return crate::exit::usage(
            "usage: alt_disk_mksysb -m device -d target_disks... [-i image.data] [-s script] [-R resolv_conf] \
             [-p platform] [-L mksysb_level] [-n] [-P phase_option] [-c console] [-K] [-DBOVgkryzTSC]",
        );
    }
    o.common.bak_err = bak_err_from_env();
    outcome("alt_disk_mksysb", alt_disk_mksysb(&dir, &o, &Printer::new()))
}
