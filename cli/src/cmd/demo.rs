//! `altdisk demo`: the README's main job. Builds a sample AIX 7.2 host in a temporary directory (or `--dir`),
//! then runs what an AIX administrator would: a technology-level update built with mkinstallp, `alt_disk_copy`
//! to hdisk1 with an exclude list and the update installed into the clone in phase 2, a `mksysb`,
//! `alt_disk_mksysb` of it onto hdisk2, `lspv` and `bootlist`, a boot into the clone and a boot back — and
//! prints what it did and how fast. Everything runs through the same engine calls as the AIX commands.

use std::path::{Path, PathBuf};
use std::time::Instant;

use altdisk_engine::altdisk::copy::{alt_disk_copy_with, CopyOptions};
use altdisk_engine::altdisk::installp::AltInstaller;
use altdisk_engine::altdisk::mksysb::{mksysb, MksysbOptions};
use altdisk_engine::altdisk::mksysb_install::{alt_disk_mksysb, MksysbInstallOptions};
use altdisk_engine::altdisk::rootvg_op::rename;
use altdisk_engine::altdisk::{AccountingSpaceCheck, PhaseOptions, PipelineMover, SoftwareOptions};
use altdisk_engine::host::{bootlist_o, lspv, BootEntry, Host, HostLock};
use altdisk_engine::installp::{self, swvpd::Swvpd};
use altdisk_engine::Error;

use crate::render::Transcript;

/// Build a sample AIX host and run alt_disk_copy, mksysb, alt_disk_mksysb and boots on it.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files in the sample rootvg.
    #[arg(long, default_value_t = 5000)]
    files: usize,
    /// Build the host here (must not exist) and keep it, instead of a temporary directory.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Also list every file copied.
    #[arg(short = 'V')]
    verbose: bool,
}

/// Prints engine messages indented, as a transcript; per-file lines only with `-V`.
fn step(title: &str) {
    println!("\n# {title}");
}

fn show(text: &str) {
    for l in text.lines() {
        println!("    {l}");
    }
}

fn rate(n: u64, bytes: u64, secs: f64) -> String {
    let s = secs.max(1e-9);
    format!(
        "{n} files, {:.1} MB in {secs:.2}s: {:.0} files/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        n as f64 / s,
        bytes as f64 / 1e6 / s
    )
}

/// `oslevel -s` and `lslpp -h bos.rte` of the running rootvg.
fn levels(dir: &Path) -> Result<(), Error> {
    let h = Host::open(dir)?;
    let sw = Swvpd::load(&h.root())?;
    println!("  $ oslevel -s");
    show(&installp::views::oslevel_s(&sw));
    println!("  $ lslpp -h bos.rte");
    match installp::views::lslpp_h(&sw, &["bos.rte".to_string()]) {
        Ok(t) => show(&t),
        Err(e) => show(&e.message),
    }
    Ok(())
}

fn views(dir: &Path) -> Result<(), Error> {
    let h = Host::open(dir)?;
    println!("  $ lspv");
    show(&lspv(&h.state));
    println!("  $ bootlist -m normal -o");
    show(&bootlist_o(&h.state));
    Ok(())
}

fn reboot(dir: &Path, ev: &Transcript) -> Result<String, Error> {
    let _lock = HostLock::acquire(dir)?;
    let mut h = Host::open(dir)?;
    Ok(h.reboot(ev)?.disk)
}

/// Runs `altdisk demo`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let tmp;
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::Builder::new()
                .prefix("altdisk-demo-")
                .tempdir()
                .map_err(|e| Error::io("create", "/tmp", e))?;
            tmp.path().join("host")
        }
    };
    let ev = Transcript::demo(a.verbose);
    let total = Instant::now();

    step(&format!("altdisk host init {} --sample --files {}", dir.display(), a.files));
    let t = Instant::now();
    Host::init_sample(&dir, a.files, &[("hdisk1".into(), 20480), ("hdisk2".into(), 20480)])?;
    println!(
        "  a modelled AIX 7.2 host with a real rootvg tree under {} ({:.2}s)",
        dir.join("root").display(),
        t.elapsed().as_secs_f64()
    );
    views(&dir)?;
    levels(&dir)?;

    let tl5 = dir.join("tl5");
    step(&format!(
        "mkinstallp -d BUILDROOT -T TEMPLATE (x4); inutoc {}   (AIX 7200-05 SP1 for the clone)",
        tl5.join("images").display()
    ));
    let update = installp::sample::build_tl5(&tl5)?;
    for l in &update.lines {
        println!("    {l}");
    }
    println!("  $ installp -ld {}", update.location.display());
    let loc = installp::location::open(&update.location)?;
    show(&installp::transcript::list_media(&loc.images));

    let exclude = dir.join("demo.exclude");
    std::fs::write(&exclude, "^./tmp/\n^./var/adm/ras/livedump/\n\\.core$\n")
        .map_err(|e| Error::io("write", &exclude, e))?;
    step(&format!(
        "alt_disk_copy -d hdisk1 -e {} -l {} -b {}   (exclude list: ^./tmp/  ^./var/adm/ras/livedump/  \\.core$; \
         phase 2 installs the update into the clone with installp -acgX)",
        exclude.display(),
        update.location.display(),
        update.bundle.display()
    ));
    let t = Instant::now();
    let o = CopyOptions {
        common: PhaseOptions {
            disks: vec!["hdisk1".into()],
            software: SoftwareOptions {
                location: Some(update.location.clone()),
                bundle: Some(update.bundle.display().to_string()),
                ..SoftwareOptions::default()
            },
            ..PhaseOptions::default()
        },
        exclude: Some(exclude.clone()),
        ..CopyOptions::default()
    };
    let installer = AltInstaller {
        running_root: altdisk_engine::host::Host::open(&dir).ok().map(|h| h.root()),
        ..AltInstaller::default()
    };
    let out = alt_disk_copy_with(
        &dir,
        &o,
        &PipelineMover::default(),
        &AccountingSpaceCheck::default(),
        &installer,
        &ev,
    )?;
    if out.failed {
        return Err(
            Error::refused("demo: the update could not be installed into the clone (see above)").into()
        );
    }
    let secs = t.elapsed().as_secs_f64();
    let copy = out.stats.unwrap_or_default();
    let copy_line = rate(copy.entries, copy.bytes, secs);
    println!("  copied {copy_line} (all three phases, space checks included)");
    views(&dir)?;

    step("alt_rootvg_op -v clone_rootvg -d hdisk1   (only one altinst_rootvg may exist at a time)");
    rename(&dir, "clone_rootvg", "hdisk1")?;
    views(&dir)?;

    let image = dir.join("demo.mksysb");
    step(&format!("mksysb -i {}", image.display()));
    let t = Instant::now();
    let s = mksysb(
        &dir,
        &MksysbOptions { output: image.clone(), regenerate: true, ..MksysbOptions::default() },
        &ev,
    )?;
    let secs = t.elapsed().as_secs_f64();
    let mksysb_line = format!(
        "{}; archive {:.1} MB, {} files packed",
        rate(s.entries, s.bytes, secs),
        s.archive_bytes as f64 / 1e6,
        s.packed_files
    );
    println!("  wrote {mksysb_line}");

    step(&format!("alt_disk_mksysb -m {} -d hdisk2 -B", image.display()));
    let t = Instant::now();
    let o = MksysbInstallOptions {
        mksysb: image.clone(),
        common: PhaseOptions { disks: vec!["hdisk2".into()], no_bootlist: true, ..PhaseOptions::default() },
        ..MksysbInstallOptions::default()
    };
    let out = alt_disk_mksysb(&dir, &o, &ev)?;
    let secs = t.elapsed().as_secs_f64();
    let inst = out.stats.unwrap_or_default();
    let inst_line = rate(inst.entries, inst.bytes, secs);
    println!("  installed {inst_line}");
    views(&dir)?;

    step("shutdown -Fr   (the bootlist points at the clone on hdisk1)");
    let disk = reboot(&dir, &ev)?;
    println!("  booted from {disk}: the clone is rootvg, the original is old_rootvg");
    views(&dir)?;
    levels(&dir)?;

    step("bootlist -m normal hdisk0; shutdown -Fr   (back to the original)");
    {
        let _lock = HostLock::acquire(&dir)?;
        let mut h = Host::open(&dir)?;
        h.set_bootlist(vec![BootEntry { disk: "hdisk0".into(), blv: "hd5".into() }])?;
    }
    let disk = reboot(&dir, &ev)?;
    println!("  booted from {disk}");
    views(&dir)?;
    levels(&dir)?;

    step("summary");
    println!("  alt_disk_copy   {copy_line}");
    println!("  mksysb          {mksysb_line}");
    println!("  alt_disk_mksysb {inst_line}");
    println!("  whole demo      {:.2}s", total.elapsed().as_secs_f64());
    match &a.dir {
        Some(d) => {
            println!("  the host is kept in {} (ALTDISK_HOST={} altdisk lspv)", d.display(), d.display())
        }
        None => println!("  (temporary host removed; use --dir DIR to keep it)"),
    }
    Ok(crate::exit::OK)
}
