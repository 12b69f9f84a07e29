//! `alt_rootvg_op`: -X, -q, -W, -S, -v, -C on the modelled host (`altdisk_engine::altdisk::rootvg_op`).

use std::path::PathBuf;

use altdisk_engine::altdisk::installp::AltInstaller;
use altdisk_engine::altdisk::rootvg_op::{customize_with, query, remove, rename, sleep, wake};
use altdisk_engine::altdisk::{Customize, PhaseOptions, SoftwareOptions};

use super::host::{fail, words, HostArg, Printer};

/// AIX's synopsis (spec alt-disk.md §1.4).
pub const USAGE: &str = "alt_rootvg_op -X [volume_group] [-D]
       alt_rootvg_op -q -d disk [-D]
       alt_rootvg_op -W -d disk [-D]
       alt_rootvg_op -S [-t] [-D]
       alt_rootvg_op -v newvgname -d disk [-D]
       alt_rootvg_op -C [-R resolv_conf] [-s script] [-b bundle] [-I installp_flags]
                     [-l images_location] [-f fix_bundle] [-F fixes] [-w filesets] [-aDV]";

/// Remove, wake, sleep, rename or customize an alternate rootvg.
#[derive(clap::Args, Debug)]
#[command(override_usage = USAGE)]
pub struct Args {
    /// Remove the alternate volume group's definition (default altinst_rootvg).
    #[arg(short = 'X')]
    remove: bool,
    /// Report the boot disk of the volume group on -d disk.
    #[arg(short = 'q')]
    query: bool,
    /// Wake up the non-booted rootvg on -d disk (FORCE=yes for a newer level).
    #[arg(short = 'W')]
    wake: bool,
    /// Put the woken volume group back to sleep.
    #[arg(short = 'S')]
    sleep: bool,
    /// With -S: rebuild the boot image before sleeping.
    #[arg(short = 't')]
    rebuild_boot: bool,
    /// Rename the alternate volume group on -d disk.
    #[arg(short = 'v', value_name = "newvgname")]
    rename: Option<String>,
    /// Customize the existing altinst_rootvg (phase 2).
    #[arg(short = 'C')]
    customize: bool,
    /// The disk of the volume group.
    #[arg(short = 'd', value_name = "disk")]
    disk: Option<String>,
    /// With -C: customization script (full path name).
    #[arg(short = 's', value_name = "script")]
    script: Option<PathBuf>,
    /// With -C: replaces /etc/resolv.conf (full path name).
    #[arg(short = 'R', value_name = "resolv_conf")]
    resolv_conf: Option<PathBuf>,
    /// With -C: bundle to install.
    #[arg(short = 'b', value_name = "bundle")]
    bundle: Option<String>,
    /// With -C: installp flags.
    #[arg(short = 'I', value_name = "installp_flags")]
    installp_flags: Option<String>,
    /// With -C: images location.
    #[arg(short = 'l', value_name = "images_location")]
    images: Option<String>,
    /// With -C: fix bundle.
    #[arg(short = 'f', value_name = "fix_bundle")]
    fix_bundle: Option<String>,
    /// With -C: fixes.
    #[arg(short = 'F', value_name = "fixes")]
    fixes: Option<String>,
    /// With -C: filesets.
    #[arg(short = 'w', value_name = "filesets")]
    filesets: Option<String>,
    /// Debug: trace the steps (set -x) on standard error.
    #[arg(short = 'D')]
    trace: bool,
    /// Verbose.
    #[arg(short = 'V')]
    verbose: bool,
    /// Accepted (AIX 7.3 lists it in the -C cluster).
    #[arg(short = 'a')]
    a: bool,
    /// With -X: the volume group to remove.
    #[arg(value_name = "volume_group")]
    operands: Vec<String>,
    #[command(flatten)]
    host: HostArg,
}

/// `alt_rootvg_op ...`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let dir = a.host.dir()?;
    let trace = a.trace;
    // -V and -a are accepted and change nothing in the model.
    let _accepted = (a.verbose, a.a);
    let printer = Printer::aix();
    let ops =
        [a.remove, a.query, a.wake, a.sleep, a.rename.is_some(), a.customize].iter().filter(|b| **b).count();
    if ops != 1 {
        return super::usage_error("alt_rootvg_op", "");
    }
    let software = SoftwareOptions {
        location: a.images.clone().map(PathBuf::from),
        bundle: a.bundle.clone(),
        filesets: words(a.filesets.clone()),
        fix_bundle: a.fix_bundle.clone().map(PathBuf::from),
        fixes: words(a.fixes.clone()),
        flags: a.installp_flags.clone(),
    };
    // The software flags belong to -C (spec alt-disk.md §1.4): refused with any other operation.
    if !a.customize {
        if let Some(c) = software.given().first() {
            return super::usage_error("alt_rootvg_op", &format!("-{c} is only valid with -C"));
        }
    }
    let need_disk = || match &a.disk {
        Some(d) => Ok(d.clone()),
        None => super::usage_error("alt_rootvg_op", ""),
    };
    let res = if a.remove {
        let vg = a.operands.first().cloned().unwrap_or_else(|| "altinst_rootvg".into());
        remove(&dir, &vg, trace, &printer)
    } else if a.query {
        let disk = need_disk()?;
        query(&dir, &disk).map(|d| {
            crate::render::json::print(&format!("{d}\n"));
            crate::render::json::result("disk", serde_json::json!(disk));
            crate::render::json::result("boot_disk", serde_json::json!(d));
            if let Ok(h) = altdisk_engine::host::Host::open(&dir) {
                let vg = h.state.disks.iter().find(|x| x.name == disk).and_then(|x| x.vg.clone());
                let disks = vg.as_deref().and_then(|n| h.state.vg(n)).map(|v| v.disks.clone());
                crate::render::json::result("vg", serde_json::json!(vg));
                crate::render::json::result("disks", serde_json::json!(disks.unwrap_or_default()));
            }
        })
    } else if a.wake {
        let force = std::env::var("FORCE").as_deref() == Ok("yes");
        wake(&dir, &need_disk()?, force, trace, &printer)
    } else if a.sleep {
        sleep(&dir, a.rebuild_boot, trace, &printer)
    } else if let Some(name) = &a.rename {
        rename(&dir, name, &need_disk()?)
    } else {
        let o = PhaseOptions {
            customize: Customize {
                script: a.script.clone(),
                resolv_conf: a.resolv_conf.clone(),
                ..Customize::default()
            },
            software,
            trace,
            verbose: a.verbose,
            ..PhaseOptions::default()
        };
        match customize_with(
            &dir,
            &o,
            &AltInstaller {
                running_root: altdisk_engine::host::Host::open(&dir).ok().map(|h| h.root()),
                ..AltInstaller::default()
            },
            &printer,
        ) {
            Ok(out) if out.failed => return Ok(crate::exit::FAILED),
            r => r.map(|_| ()),
        }
    };
    // Every operation's result: the volume groups as they are now.
    if let Ok(h) = altdisk_engine::host::Host::open(&dir) {
        crate::render::json::result("vgs", super::lsvg::vgs_json(&h.state));
    }
    match res {
        Ok(()) => Ok(crate::exit::OK),
        Err(e) => Ok(fail("alt_rootvg_op", e)),
    }
}
