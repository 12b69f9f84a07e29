//! `alt_disk_mksysb -m FILE -d "disks" [flags]`: AIX flags parsed exactly, then the engine's phase machine
//! (`altdisk_engine::altdisk::mksysb_install`).

use std::path::PathBuf;

use altdisk_engine::altdisk::copy::Phases;
use altdisk_engine::altdisk::mksysb_install::{alt_disk_mksysb, MksysbInstallOptions};

use super::host::{bak_err_from_env, fail, outcome, HostArg, Printer};

/// AIX's synopsis (spec alt-disk.md §1.3).
pub const USAGE: &str = "alt_disk_mksysb -m device -d target_disks... [-i image.data] [-s script] \
[-R resolv_conf]
                [-p platform] [-L mksysb_level] [-n] [-P phase_option] [-c console] [-K]
                [-DBOVgkryzTSC]";

/// Install a mksysb image onto alternate disks (phases 1, 2, 3).
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// The mksysb image: a file (required).
    #[arg(short = 'm', value_name = "device")]
    mksysb: Option<PathBuf>,
    /// Target disks: one quoted, space-separated list; more disks may follow the flags (required).
    #[arg(short = 'd', value_name = "target_disks")]
    d: Vec<String>,
    /// Use this image.data instead of the one inside the mksysb.
    #[arg(short = 'i', value_name = "image.data")]
    image_data: Option<PathBuf>,
    /// Customization script run in phase 2 (full path name).
    #[arg(short = 's', value_name = "script")]
    script: Option<PathBuf>,
    /// Replaces /etc/resolv.conf on the clone (full path name).
    #[arg(short = 'R', value_name = "resolv_conf")]
    resolv_conf: Option<PathBuf>,
    /// Platform used to build the boot-image name.
    #[arg(short = 'p', value_name = "platform")]
    platform: Option<String>,
    /// mksysb level V.R.M, checked against the image.
    #[arg(short = 'L', value_name = "mksysb_level")]
    level: Option<String>,
    /// Stay a NIM client: copy /.rhosts and /etc/niminfo to the clone.
    #[arg(short = 'n')]
    nim_client: bool,
    /// Phases to run: 1, 2, 3, 12, 23 or all (default all).
    #[arg(short = 'P', value_name = "phase_option")]
    phases: Option<String>,
    /// Console device for the clone.
    #[arg(short = 'c', value_name = "console")]
    console: Option<String>,
    /// Use the 64-bit kernel if possible.
    #[arg(short = 'K')]
    kernel64: bool,
    /// Debug: trace the steps (set -x) on standard error.
    #[arg(short = 'D')]
    trace: bool,
    /// Do not run bootlist at the end (cannot be combined with -r).
    #[arg(short = 'B')]
    no_bootlist: bool,
    /// Device reset.
    #[arg(short = 'O')]
    device_reset: bool,
    /// Verbose: show the files restored.
    #[arg(short = 'V')]
    verbose: bool,
    /// Skip the disk bootability checks.
    #[arg(short = 'g')]
    skip_boot_check: bool,
    /// Keep the mksysb's device configuration.
    #[arg(short = 'k')]
    keep_devices: bool,
    /// Reboot from the new disk when done.
    #[arg(short = 'r')]
    reboot: bool,
    /// Import the non-rootvg volume groups recorded in the mksysb.
    #[arg(short = 'y')]
    import_vgs: bool,
    /// Do not import any non-rootvg volume group (overrides -y).
    #[arg(short = 'z')]
    no_import: bool,
    /// Convert JFS file systems to JFS2.
    #[arg(short = 'T')]
    to_jfs2: bool,
    /// Skip the space check on the target disks.
    #[arg(short = 'S')]
    skip_space_check: bool,
    /// altdisk's own: after phase 1's copy, compare every copied file with its source (as `altdisk verify`
    /// does) and list the differences; any difference makes the command exit 1.
    #[arg(long)]
    verify: bool,
    /// Use only the chrp boot image of the current rootvg.
    #[arg(short = 'C')]
    chrp_boot_image: bool,
    /// Target disks given after the flags.
    #[arg(value_name = "disk")]
    disks: Vec<String>,
    #[command(flatten)]
    host: HostArg,
}

/// Runs `alt_disk_mksysb`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    let mut o = MksysbInstallOptions::default();
    o.common.disks.extend(a.d.iter().flat_map(|d| d.split_whitespace()).map(str::to_string));
    o.common.disks.extend(a.disks);
    let Some(m) = a.mksysb.filter(|m| !m.as_os_str().is_empty()) else {
        return super::usage_error("alt_disk_mksysb", "");
    };
    if o.common.disks.is_empty() {
        return super::usage_error("alt_disk_mksysb", "");
    }
    o.mksysb = m;
    o.build.image_data = a.image_data;
    o.common.customize.script = a.script;
    o.common.customize.resolv_conf = a.resolv_conf;
    o.platform = a.platform;
    o.level = a.level;
    o.console = a.console;
    if let Some(p) = a.phases {
        match Phases::parse(&p) {
            Ok(p) => o.common.phases = p,
            Err(e) => return Ok(fail("alt_disk_mksysb", e)),
        }
    }
    o.common.customize.nim_client = a.nim_client;
    o.kernel64 = a.kernel64;
    o.common.trace = a.trace;
    o.common.no_bootlist = a.no_bootlist;
    o.build.device_reset = a.device_reset;
    o.common.verbose = a.verbose;
    o.build.skip_boot_check = a.skip_boot_check;
    o.keep_devices = a.keep_devices;
    o.common.reboot = a.reboot;
    o.import_vgs = a.import_vgs;
    o.no_import = a.no_import;
    o.build.to_jfs2 = a.to_jfs2;
    o.build.skip_space_check = a.skip_space_check;
    o.build.verify = a.verify;
    if a.verify && !o.common.phases.one {
        return super::usage_error(
            "alt_disk_mksysb",
            "--verify checks phase 1's copy: run phase 1 with it (-P 1, 12 or all)",
        );
    }
    o.chrp_boot_image = a.chrp_boot_image;
    o.common.bak_err = bak_err_from_env();
    super::host::alt_result(&dir, &o.common.disks);
    let printer = Printer::aix();
    // Phase 1's progress is bytes of the image read: its size is the total.
    if let Some(total) = super::common::archive_total(&o.mksysb) {
        printer.planned(None, total);
    }
    let r = alt_disk_mksysb(&dir, &o, &printer);
    drop(printer);
    outcome("alt_disk_mksysb", r)
}
