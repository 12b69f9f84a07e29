//! `alt_disk_copy`: AIX flags parsed exactly, then the engine's phase machine
//! (`altdisk_engine::altdisk::copy`).

use std::ffi::OsString;
use std::path::PathBuf;

use altdisk_engine::altdisk::copy::{alt_disk_copy, CopyOptions, Phases};
use altdisk_engine::altdisk::{AccountingSpaceCheck, PipelineMover};

use super::host::{bak_err_from_env, fail, getopt, host_dir, outcome, Printer};

/// `alt_disk_copy -d "disks" [flags] [disks...]`.
pub fn run(mut args: Vec<OsString>) -> anyhow::Result<i32> {
    let dir = host_dir(&mut args)?;
    let (flags, operands) = getopt(&args, "disbIlfFewPcxR", "DBOVgruTSn")?;
    let mut o = CopyOptions::default();
    for (c, v) in flags {
        let v = v.unwrap_or_default();
        match c {
            'd' => o.common.disks.extend(v.split_whitespace().map(str::to_string)),
            'i' => o.build.image_data = Some(PathBuf::from(v)),
            's' => o.common.customize.script = Some(PathBuf::from(v)),
            'e' => o.exclude = Some(PathBuf::from(v)),
            'R' => o.common.customize.resolv_conf = Some(PathBuf::from(v)),
            'x' => o.common.customize.first_boot = Some(PathBuf::from(v)),
            'c' => o.console = Some(v),
            'P' => match Phases::parse(&v) {
                Ok(p) => o.common.phases = p,
                Err(e) => return Ok(fail("alt_disk_copy", e)),
            },
            'l' => o.common.software.location = Some(PathBuf::from(v)),
            'b' => o.common.software.bundle = Some(v),
            'w' => o.common.software.filesets.extend(v.split_whitespace().map(str::to_string)),
            'f' => o.common.software.fix_bundle = Some(PathBuf::from(v)),
            'F' => o.common.software.fixes.extend(v.split_whitespace().map(str::to_string)),
            'I' => o.common.software.flags = Some(v),
            'n' => o.common.customize.nim_client = true,
            'D' => o.common.trace = true,
            'B' => o.common.no_bootlist = true,
            'O' => o.build.device_reset = true,
            'V' => o.common.verbose = true,
            'g' => o.build.skip_boot_check = true,
            'r' => o.common.reboot = true,
            'u' => o.wpars = true,
            'T' => o.build.to_jfs2 = true,
            'S' => o.build.skip_space_check = true,
            _ => return crate::exit::usage(format!("alt_disk_copy: unknown flag -{c}")),
        }
    }
    // Trailing disks, as AIX's own ps transcript shows: `alt_disk_copy -d hdisk4 hdisk14 -B`.
    o.common.disks.extend(operands);
    if o.common.disks.is_empty() {
        return crate::exit::usage(
            "usage: alt_disk_copy -d targetdisks... [-i image.data] [-s script] ... [-DBOVgruTS]",
        );
    }
    o.common.bak_err = bak_err_from_env();
    let printer = Printer::new();
    let r = alt_disk_copy(&dir, &o, &PipelineMover::default(), &AccountingSpaceCheck::default(), &printer);
    outcome("alt_disk_copy", r)
}
