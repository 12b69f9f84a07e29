//! `alt_disk_copy`: AIX flags parsed exactly, then the engine's phase machine
//! (`altdisk_engine::altdisk::copy`).

use std::path::PathBuf;

use altdisk_engine::altdisk::copy::{alt_disk_copy_with, CopyOptions, Phases};
use altdisk_engine::altdisk::installp::AltInstaller;
use altdisk_engine::altdisk::SoftwareOptions;
use altdisk_engine::altdisk::{AccountingSpaceCheck, PipelineMover};

use super::host::{bak_err_from_env, fail, outcome, words, HostArg, Printer};

/// AIX's synopsis (spec alt-disk.md §1.2).
pub const USAGE: &str = "alt_disk_copy -d targetdisks... [-i image.data] [-s script] [-b bundlename] \
[-I installpflags]
              [-l imageslocation] [-f fixbundle] [-F fixes] [-e excludelist] [-w filesets] [-n]
              [-P phases] [-c console] [-x first_boot_script] [-R resolvconf] [-DBOVgruTS]";

/// Clone the running rootvg to alternate disks (phases 1, 2, 3).
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Target disks: one quoted, space-separated list ("hdisk1 hdisk2"); more disks may follow the flags.
    #[arg(short = 'd', value_name = "targetdisks")]
    d: Vec<String>,
    /// Use this image.data instead of running mkszfile (full path name).
    #[arg(short = 'i', value_name = "image.data")]
    image_data: Option<PathBuf>,
    /// Customization script run in phase 2 while /alt_inst is mounted (full path name).
    #[arg(short = 's', value_name = "script")]
    script: Option<PathBuf>,
    /// Bundle of filesets to install into the clone (requires -l).
    #[arg(short = 'b', value_name = "bundlename")]
    bundle: Option<String>,
    /// installp flags for the updates (requires -l).
    #[arg(short = 'I', value_name = "installpflags")]
    installp_flags: Option<String>,
    /// Directory or device holding installp images.
    #[arg(short = 'l', value_name = "imageslocation")]
    images: Option<String>,
    /// File listing APARs to install (requires -l).
    #[arg(short = 'f', value_name = "fixbundle")]
    fix_bundle: Option<String>,
    /// APARs to install (requires -l).
    #[arg(short = 'F', value_name = "fixes")]
    fixes: Option<String>,
    /// Exclude-pattern file for the clone, one grep pattern per line (full path name).
    #[arg(short = 'e', value_name = "excludelist")]
    exclude: Option<PathBuf>,
    /// Filesets to install (requires -l).
    #[arg(short = 'w', value_name = "filesets")]
    filesets: Option<String>,
    /// Stay a NIM client: copy /.rhosts and /etc/niminfo to the clone.
    #[arg(short = 'n')]
    nim_client: bool,
    /// Phases to run: 1, 2, 3, 12, 23 or all (default all).
    #[arg(short = 'P', value_name = "phases")]
    phases: Option<String>,
    /// Console device for the clone (only with -O).
    #[arg(short = 'c', value_name = "console")]
    console: Option<String>,
    /// First-boot script, run at the clone's first boot (full path name).
    #[arg(short = 'x', value_name = "first_boot_script")]
    first_boot: Option<PathBuf>,
    /// Replaces /etc/resolv.conf on the clone (full path name).
    #[arg(short = 'R', value_name = "resolvconf")]
    resolv_conf: Option<PathBuf>,
    /// Debug: trace the steps (set -x) on standard error.
    #[arg(short = 'D')]
    trace: bool,
    /// Do not run bootlist at the end (cannot be combined with -r).
    #[arg(short = 'B')]
    no_bootlist: bool,
    /// Device reset: the clone keeps no user-defined device configuration.
    #[arg(short = 'O')]
    device_reset: bool,
    /// Verbose: list the files being backed up.
    #[arg(short = 'V')]
    verbose: bool,
    /// Skip the disk bootability checks.
    #[arg(short = 'g')]
    skip_boot_check: bool,
    /// Reboot from the new disk when done.
    #[arg(short = 'r')]
    reboot: bool,
    /// Also copy the file systems of WPARs in defined state.
    #[arg(short = 'u')]
    wpars: bool,
    /// Convert JFS file systems to JFS2 while recreating rootvg.
    #[arg(short = 'T')]
    to_jfs2: bool,
    /// Skip the space check on the target disks.
    #[arg(short = 'S')]
    skip_space_check: bool,
    /// altdisk's own: after phase 1's copy, compare every copied file with its source (as `altdisk verify`
    /// does) and list the differences; any difference makes the command exit 1.
    #[arg(long)]
    verify: bool,
    /// Target disks, as AIX scripts write them after the flags (`alt_disk_copy -d hdisk4 hdisk14 -B`).
    #[arg(value_name = "disk")]
    disks: Vec<String>,
    #[command(flatten)]
    host: HostArg,
}

/// `alt_disk_copy -d "disks" [flags] [disks...]`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    let mut o = CopyOptions::default();
    let c = &mut o.common;
    c.disks.extend(a.d.iter().flat_map(|d| d.split_whitespace()).map(str::to_string));
    // Trailing disks, as AIX's own ps transcript shows: `alt_disk_copy -d hdisk4 hdisk14 -B`.
    c.disks.extend(a.disks);
    if c.disks.is_empty() {
        return super::usage_error("alt_disk_copy", "");
    }
    c.customize.script = a.script;
    c.customize.resolv_conf = a.resolv_conf;
    c.customize.first_boot = a.first_boot;
    c.customize.nim_client = a.nim_client;
    if let Some(p) = a.phases {
        match Phases::parse(&p) {
            Ok(p) => c.phases = p,
            Err(e) => return Ok(fail("alt_disk_copy", e)),
        }
    }
    c.software = SoftwareOptions {
        location: a.images.map(PathBuf::from),
        bundle: a.bundle,
        filesets: words(a.filesets),
        fix_bundle: a.fix_bundle.map(PathBuf::from),
        fixes: words(a.fixes),
        flags: a.installp_flags,
    };
    c.trace = a.trace;
    c.no_bootlist = a.no_bootlist;
    c.verbose = a.verbose;
    c.reboot = a.reboot;
    c.bak_err = bak_err_from_env();
    o.build.image_data = a.image_data;
    o.build.device_reset = a.device_reset;
    o.build.skip_boot_check = a.skip_boot_check;
    o.build.to_jfs2 = a.to_jfs2;
    o.build.skip_space_check = a.skip_space_check;
    o.build.verify = a.verify;
    if a.verify && !o.common.phases.one {
        return super::usage_error(
            "alt_disk_copy",
            "--verify checks phase 1's copy: run phase 1 with it (-P 1, 12 or all)",
        );
    }
    o.exclude = a.exclude;
    o.console = a.console;
    o.wpars = a.wpars;
    super::host::alt_result(&dir, &o.common.disks);
    let printer = Printer::aix();
    let installer = AltInstaller {
        running_root: altdisk_engine::host::Host::open(&dir).ok().map(|h| h.root()),
        ..AltInstaller::default()
    };
    let r = alt_disk_copy_with(
        &dir,
        &o,
        &PipelineMover::default(),
        &AccountingSpaceCheck::default(),
        &installer,
        &printer,
    );
    drop(printer);
    outcome("alt_disk_copy", r)
}
