//! `altdisk space SRC`: what a tree needs on JFS or JFS2 target file systems, whether it fits, and the
//! disk-level PP plan. Exit status: 0 everything fits, 4 something does not fit, 2 usage.

use std::path::PathBuf;

use altdisk_engine::imagedata::ImageData;
use altdisk_engine::pipeline;
use altdisk_engine::space::mkszfile::SystemInfo;
use altdisk_engine::space::{
    convert_to_jfs2, plan, targets_from_image, FsType, Jfs2Params, JfsParams, PlanOptions, SpacePlan,
};
use altdisk_engine::space::{mkszfile, DiskDesc, FsDesc, LvDesc, VgDesc};
use altdisk_engine::walk::WalkOptions;
use altdisk_engine::Error;

use crate::cmd::common::{ExcludeArgs, ThreadsArg};
use crate::exit;

/// What a tree needs on JFS/JFS2 file systems, whether it fits, the PP plan.
#[derive(clap::Args, Debug)]
#[command(
    long_about = "Walks SRC (staying on one file system per mount point) and computes, per target file system, \
                  objects, data blocks, metadata blocks and total need (512-byte blocks), the size it has (from \
                  image.data or --fs MOUNTPOINT=SIZE), whether it fits and why, then the disk-level PP plan. \
                  Exit 0 when everything fits, 4 when something does not."
)]
pub struct Args {
    /// The tree to measure (a root directory; mount points below it are file systems).
    src: PathBuf,
    /// A target file system: MOUNTPOINT or MOUNTPOINT=SIZE (MB, or with a K/M/G/T suffix). With
    /// --image-data, selects which of its file systems to report.
    #[arg(long = "fs", value_name = "MOUNTPOINT[=SIZE]")]
    fs: Vec<String>,
    #[command(flatten)]
    excludes: ExcludeArgs,
    #[command(flatten)]
    threads: ThreadsArg,
    /// image.data describing the target file systems, LVs and disks.
    #[arg(long = "image-data", value_name = "FILE")]
    image_data: Option<PathBuf>,
    /// Convert every JFS file system to JFS2 (alt_disk_copy -T) and grow it when it no longer fits.
    #[arg(short = 'T')]
    to_jfs2: bool,
    /// Skip the checks, as alt_disk_copy -S does: report only, exit 0.
    #[arg(short = 'S')]
    skip_check: bool,
    /// File-system type for --fs targets.
    #[arg(long = "type", value_name = "jfs|jfs2", default_value = "jfs2")]
    fs_type: String,
    /// JFS2 block size.
    #[arg(long = "block-size", value_name = "N", default_value_t = 4096)]
    block_size: u32,
    /// JFS fragment size.
    #[arg(long = "frag", value_name = "N", default_value_t = 4096)]
    frag: u32,
    /// JFS bytes per inode.
    #[arg(long = "nbpi", value_name = "N", default_value_t = 4096)]
    nbpi: u32,
    /// A target disk of SIZE_MB (repeat for several disks); default: the source disks of image.data.
    #[arg(long = "disk", value_name = "SIZE_MB")]
    disk: Vec<u64>,
}

/// Runs `altdisk space`.
pub fn run(a: Args) -> anyhow::Result<i32> {
    let exclude = a.excludes.load(&crate::render::Lines::tool("space"))?;
    let (mut img, converted, no_size) = match &a.image_data {
        Some(p) => {
            let text = std::fs::read(p).map_err(|e| Error::io("read", p, e))?;
            let mut img = ImageData::parse(&p.display().to_string(), &text).map_err(Error::from)?;
            let mut conv = Vec::new();
            if a.to_jfs2 {
                let c = convert_to_jfs2(&mut img);
                for m in &c.were_compressed {
                    eprintln!(
                        "space: {m} was a compressed JFS; JFS2 has no compression and its data expands"
                    );
                }
                conv = c.converted;
            }
            (img, conv, Vec::new())
        }
        None => synthetic(&a)?,
    };
    let mut targets = targets_from_image(&img).map_err(Error::from)?;
    for t in &mut targets {
        if no_size.contains(&t.mount_point) {
            t.size = None;
        }
    }
    if a.image_data.is_some() && !a.fs.is_empty() {
        for f in &a.fs {
            if !targets.iter().any(|t| &t.mount_point == f) {
                return exit::usage(format!("--fs {f}: no fs_data stanza for it in the image.data"));
            }
        }
        targets.retain(|t| a.fs.contains(&t.mount_point));
    }
    let mounts: Vec<String> = targets.iter().map(|t| t.mount_point.clone()).collect();
    let meta = std::fs::symlink_metadata(&a.src).map_err(|e| Error::io("stat", &a.src, e))?;
    if !meta.is_dir() {
        return exit::usage(format!("{}: not a directory", a.src.display()));
    }
    // A filesystem of the plan with no directory in SRC holds nothing yet: report it empty.
    let walked = mounts.iter().filter(|m| {
        let there = a.src.join(m.trim_start_matches('/')).is_dir();
        if !there {
            crate::render::json::warning(&format!(
                "space: {m} is not a directory under {}: counted as empty",
                a.src.display()
            ));
        }
        there
    });
    let wopts = WalkOptions::new(&a.src).filesystems(walked).threads(a.threads.get());
    let acc = pipeline::account_walk(&wopts, exclude.as_ref(), &[targets], &altdisk_engine::NoEvents)?
        .pop()
        .ok_or_else(|| Error::Cancelled("space: no accountant".into()))?;
    let unassigned = acc.unassigned();
    let needs = acc.finish();
    let disks: Vec<(String, u64)> = if a.disk.is_empty() {
        img.source_disks().map_err(Error::from)?.into_iter().map(|d| (d.hdiskname, d.size_mb)).collect()
    } else {
        a.disk.iter().enumerate().map(|(i, mb)| (format!("disk{i}"), *mb)).collect()
    };
    let opts = PlanOptions { grow_converted: a.to_jfs2, skip_check: a.skip_check };
    let p = plan(&mut img, needs, &disks, &converted, opts).map_err(Error::from)?;
    if crate::render::json::on() {
        use crate::render::json::result;
        result("fits", serde_json::json!(p.fits()));
        result("converted", serde_json::json!(converted));
        result("unassigned_entries", serde_json::json!(unassigned));
        result("plan", serde_json::to_value(&p)?);
    } else {
        out(&render(&p, &converted, unassigned))?;
    }
    Ok(if p.fits() { exit::OK } else { exit::NO_SPACE })
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn out(s: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(s.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Blocks of 512 bytes, rounded up.
fn b512(x: u64) -> u64 {
    x.div_ceil(512)
}

fn render(p: &SpacePlan, converted: &[String], unassigned: u64) -> String {
    let mut s = format!(
        "{:<24} {:<5} {:>9} {:>11} {:>11} {:>11} {:>11}  {}\n",
        "MOUNT POINT", "TYPE", "OBJECTS", "DATA", "METADATA", "NEED", "SIZE", "FITS"
    );
    for f in &p.filesystems {
        let n = &f.need;
        let size = n.size.map_or("-".to_string(), |v| b512(v).to_string());
        let fits = match (&f.reason, f.grown_from) {
            (Some(r), _) => format!("no: {r}"),
            (None, Some(old)) => format!("yes (grown from {} to fit)", b512(old)),
            (None, None) if n.size.is_none() => "- (no size given)".into(),
            (None, None) => "yes".into(),
        };
        let ty = if converted.contains(&n.mount_point) { "jfs2*" } else { n.fs_type.name() };
        s.push_str(&format!(
            "{:<24} {:<5} {:>9} {:>11} {:>11} {:>11} {:>11}  {}\n",
            n.mount_point,
            ty,
            n.objects,
            b512(n.data_bytes),
            b512(n.meta_bytes()),
            b512(n.need_bytes),
            size,
            fits
        ));
    }
    s.push_str("(sizes in 512-byte blocks");
    if !converted.is_empty() {
        s.push_str("; jfs2* = converted from jfs by -T");
    }
    s.push_str(")\n");
    if unassigned > 0 {
        s.push_str(&format!("{unassigned} entries are on no target file system and were not counted\n"));
    }
    if !p.disks.is_empty() {
        s.push_str(&format!(
            "\nPP plan ({} MB PPs{}):\n",
            p.pp_size_mb,
            if p.shrink { ", SHRINK" } else { "" }
        ));
        for lv in &p.lvs {
            s.push_str(&format!("  {:<12} {:>5} LPs x {} = {:>5} PPs\n", lv.name, lv.lps, lv.copies, lv.pps));
        }
        for d in &p.disks {
            s.push_str(&format!(
                "  {:<12} {:>7} MB {:>6} usable PPs {:>6} used\n",
                d.name, d.size_mb, d.usable_pps, d.used_pps
            ));
        }
    }
    if p.fits() && p.skipped {
        s.push_str("not checked (-S)\n");
    } else if p.fits() {
        s.push_str("everything fits\n");
    } else {
        for m in &p.problems {
            s.push_str(&format!("does not fit: {m}\n"));
        }
    }
    s
}

/// A size: MB by default, or with a K/M/G/T suffix.
fn parse_size(v: &str) -> Option<u64> {
    let v = v.trim();
    let (num, mult) = match v.chars().last()?.to_ascii_uppercase() {
        'K' => (&v[..v.len() - 1], 1u64 << 10),
        'M' => (&v[..v.len() - 1], 1 << 20),
        'G' => (&v[..v.len() - 1], 1 << 30),
        'T' => (&v[..v.len() - 1], 1 << 40),
        _ => (v, 1 << 20),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

/// Without --image-data: an image.data made by mkszfile from the --fs options, one LV per file system, so
/// the same plan code runs.
/// Returns the image.data, the converted mount points and the mount points given without a size.
fn synthetic(a: &Args) -> anyhow::Result<(ImageData, Vec<String>, Vec<String>)> {
    let jfs = JfsParams { frag: a.frag, nbpi: a.nbpi, agsize_mb: 8, ..JfsParams::default() };
    let mut jfs = jfs;
    let min_ag = altdisk_engine::space::jfs::nbpi_row(a.nbpi).map_or(8, |r| r.0);
    jfs.agsize_mb = min_ag;
    let fs_type = match (a.fs_type.as_str(), a.to_jfs2) {
        ("jfs", false) => {
            if let Err(e) = jfs.validate() {
                return exit::usage(e.to_string());
            }
            FsType::Jfs(jfs)
        }
        ("jfs", true) => FsType::Jfs2(Jfs2Params { block_size: a.frag, ..Jfs2Params::default() }),
        ("jfs2", _) => {
            if ![512, 1024, 2048, 4096].contains(&a.block_size) {
                return exit::usage(format!("--block-size {} is not 512, 1024, 2048 or 4096", a.block_size));
            }
            FsType::Jfs2(Jfs2Params { block_size: a.block_size, ..Jfs2Params::default() })
        }
        (t, _) => return exit::usage(format!("--type {t}: expected jfs or jfs2")),
    };
    let specs = if a.fs.is_empty() { vec!["/".to_string()] } else { a.fs.clone() };
    let pp_mb = 32;
    let mut lvs = Vec::new();
    let mut sized = Vec::new();
    for (i, f) in specs.iter().enumerate() {
        let (mp, size) = match f.split_once('=') {
            Some((mp, sz)) => match parse_size(sz) {
                Some(b) => (mp.to_string(), Some(b)),
                None => {
                    return exit::usage(format!("--fs {f}: '{sz}' is not a size (MB, or K/M/G/T suffix)"))
                }
            },
            None => (f.clone(), None),
        };
        if !mp.starts_with('/') {
            return exit::usage(format!("--fs {f}: the mount point must be a full path"));
        }
        let bytes = size.unwrap_or(0);
        let lps = bytes.div_ceil(pp_mb << 20).max(1);
        sized.push((mp.clone(), size));
        lvs.push(LvDesc {
            name: format!("fslv{i:02}"),
            lv_type: fs_type.name().into(),
            minor: i as u32 + 1,
            lps,
            copies: 1,
            mount_point: mp,
            label: None,
            intra_policy: None,
            max_lps: 512,
            fs: Some(FsDesc { size_blocks: b512(bytes), fs_type }),
        });
    }
    let vg = VgDesc {
        name: "altinst_rootvg".into(),
        vgid: "0".into(),
        pp_size_mb: pp_mb,
        disks: a
            .disk
            .iter()
            .enumerate()
            .map(|(i, mb)| DiskDesc { name: format!("disk{i}"), size_mb: *mb, ..DiskDesc::default() })
            .collect(),
        lvs,
        system: SystemInfo::default(),
        tmp_extra_blocks: 0,
    };
    let img = mkszfile(&vg, &[]);
    let converted = if a.to_jfs2 && a.fs_type == "jfs" {
        sized.iter().map(|s| s.0.clone()).collect()
    } else {
        Vec::new()
    };
    let no_size = sized.into_iter().filter(|s| s.1.is_none()).map(|s| s.0).collect();
    Ok((img, converted, no_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("32"), Some(32 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("512k"), Some(512 << 10));
        assert_eq!(parse_size("x"), None);
    }
}
