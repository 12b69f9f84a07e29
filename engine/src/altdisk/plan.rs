//! Phase 1 from image.data, shared by `alt_disk_copy` and `alt_disk_mksysb` (spec alt-disk.md §1.2, §1.3,
//! §3.3, §4.5): get an image.data (mkszfile on the running rootvg, a `-i` file, or the one inside a mksysb),
//! check it against the data and the target disks ("Checking disk sizes."), then create `altinst_rootvg`, its
//! `alt_` LVs in lv_data order and its `/alt_inst` filesystems in sorted mount-point order.
//!
//! Modelling choice: the running system's `/image.data` is `HOST/image.data`, next to `host.json`, because
//! the source tree (`HOST/root`) is never modified by a clone. `mksysb` reads it from there and writes it as
//! `./image.data` at the head of the archive; the clone gets it as `/alt_inst/image.data` (AIX's clone has it).

use std::path::{Path, PathBuf};

use super::{say, trace, ALTINST};
use crate::error::{Error, Result};
use crate::events::Events;
use crate::host::{
    alt_path, usable_pps, AltState, FileSystem, FsParams, FsType as HostFsType, Host, LogicalVolume, LvType,
    Mount, VolumeGroup,
};
use crate::imagedata::{FsKind, ImageData, StanzaError};
use crate::space::mkszfile::SystemInfo;
use crate::space::{
    self, convert_to_jfs2, targets_from_image, FsNeed, FsTarget, FsType, Jfs2Params, PlanOptions, SpaceError,
    SpacePlan,
};
use crate::space::{mkszfile, DiskDesc, FsDesc, LvDesc, VgDesc};

/// `HOST/image.data`: stands for the running system's `/image.data` (see the module docs).
pub fn host_image_data(host_dir: &Path) -> PathBuf {
    host_dir.join("image.data")
}

/// Where the image.data of a phase 1 comes from.
#[derive(Debug, Clone)]
pub enum ImageSource {
    /// Run mkszfile on the running rootvg (no `-i`); prints "Calling mkszfile ...".
    Mkszfile,
    /// `-i FILE`.
    File(PathBuf),
    /// Already parsed (the `./image.data` of a mksysb).
    Given(ImageData),
}

/// Computes the space needs of the source data for one or more sets of target filesystems (one pass over
/// the data feeds every set).
pub type NeedsOf<'a> = &'a dyn Fn(&[Vec<FsTarget>]) -> Result<Vec<Vec<FsNeed>>>;

/// A checked phase-1 plan.
#[derive(Debug)]
pub struct AltPlan {
    /// The final image.data (after `-T` conversion and any growth).
    pub image: ImageData,
    /// The `alt_` LVs to create, in lv_data order, with their filesystems (not yet mounted).
    pub lvs: Vec<LogicalVolume>,
    /// Mount points of the filesystems to create and fill, sorted.
    pub filesystems: Vec<String>,
    /// Capacity of each filesystem in bytes: `FS_SIZE × 512`, or `LV_MIN_LPS × PP` under SHRINK.
    pub fs_limits: Vec<(String, u64)>,
    /// PP size in MB.
    pub pp_size_mb: u64,
    /// The space plan (`skipped` with `-S`).
    pub space: Option<SpacePlan>,
}

/// How to plan phase 1.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    /// Target disks.
    pub disks: Vec<String>,
    /// `-T`: convert JFS to JFS2.
    pub to_jfs2: bool,
    /// `-S`: skip the space checks.
    pub skip_space_check: bool,
    /// `-D`.
    pub trace: bool,
}

/// The running rootvg as mkszfile sees it: disks, LVs in `lsvg -l` order, mounted filesystems, system facts.
pub(crate) fn vg_desc(host: &Host) -> Result<VgDesc> {
    let root = host.rootvg()?;
    let disks: Vec<DiskDesc> = root
        .disks
        .iter()
        .filter_map(|d| host.state.disk(d))
        .map(|d| DiskDesc {
            name: d.name.clone(),
            pvid: d.pvid.clone(),
            size_mb: d.size_mb,
            physical_location: String::new(),
            connection: String::new(),
            location: String::new(),
        })
        .collect();
    // [I] The VGID is the first PVID padded to 32 hex digits (AIX VGIDs start with a member's PVID).
    let vgid = format!("{:0<32}", disks.first().map(|d| d.pvid.as_str()).unwrap_or("0"));
    let lvs = root
        .lvs
        .iter()
        .enumerate()
        .map(|(i, lv)| {
            let fs = lv.fs.as_ref().filter(|f| f.mounted);
            LvDesc {
                name: lv.name.clone(),
                lv_type: lv.lv_type.as_str().to_string(),
                minor: i as u32 + 1,
                lps: lv.lps,
                copies: lv.copies as u32,
                mount_point: fs.map(|f| f.mount_point.clone()).unwrap_or_default(),
                label: Some(lv.label.clone()),
                intra_policy: None,
                max_lps: 512.max(lv.lps),
                fs: fs.map(|f| FsDesc { size_blocks: f.size_blocks, fs_type: f.params.space_type() }),
            }
        })
        .collect();
    let mut lv = root.oslevel.split('.');
    let (v, r) = (lv.next().unwrap_or("7"), lv.next().unwrap_or("2"));
    let hostname = host.dir().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let user_vgs: Vec<&str> = host
        .state
        .vgs
        .iter()
        .filter(|g| g.varied_on && g.name != root.name && g.name != ALTINST)
        .map(|g| g.name.as_str())
        .collect();
    // [I] /tmp must also hold the boot image (bosboot -qad, doubled to blocks): modelled as the BLV's size.
    let blv_blocks =
        root.lvs.iter().find(|l| l.lv_type == LvType::Boot).map_or(0, |l| l.lps * root.pp_size_mb * 2048);
    Ok(VgDesc {
        name: root.name.clone(),
        vgid,
        pp_size_mb: root.pp_size_mb,
        disks,
        lvs,
        system: SystemInfo {
            date_time: date_time_now(),
            uname: format!(
                "AIX {hostname} {r} {v} {}",
                host.state.disk(&root.disks[0]).map(|d| d.pvid.to_uppercase()).unwrap_or_default()
            ),
            user_vgs: user_vgs.join(" "),
            oslevel: root.oslevel.clone(),
            lang: "en_US".into(),
        },
        tmp_extra_blocks: blv_blocks,
    })
}

/// `date` output in UTC, e.g. `Sat Nov 21 11:14:20 UTC 2026` (`DATE_TIME`).
pub(crate) fn date_time_now() -> String {
    date_time(crate::clock::now_secs())
}

/// Formats Unix seconds as `date` does in UTC.
pub fn date_time(secs: i64) -> String {
    let c = crate::clock::civil(secs);
    const WD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MO: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} UTC {}",
        WD[c.weekday as usize],
        MO[(c.month - 1) as usize],
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.year
    )
}

/// The host's mounted rootvg filesystems as space targets, converted to JFS2 when `to_jfs2` (the JFS
/// fragment size becomes the JFS2 block size, spec §4.5).
pub fn host_targets(host: &Host, to_jfs2: bool) -> Result<Vec<FsTarget>> {
    Ok(host
        .rootvg()?
        .mounted_fs_sorted()
        .iter()
        .map(|f| {
            let mut t = f.params.space_type();
            if let (true, FsType::Jfs(p)) = (to_jfs2, t) {
                t = FsType::Jfs2(Jfs2Params { block_size: p.frag, ..Jfs2Params::default() });
            }
            FsTarget { mount_point: f.mount_point.clone(), fs_type: t, size: Some(f.size_blocks * 512) }
        })
        .collect())
}

pub use crate::pipeline::account_tree;

/// Runs mkszfile for the running rootvg with `needs` (per mounted filesystem) and writes `HOST/image.data`.
pub fn write_mkszfile(host: &Host, needs: &[FsNeed]) -> Result<ImageData> {
    let img = mkszfile(&vg_desc(host)?, needs);
    let path = host_image_data(host.dir());
    let tmp = host.dir().join(".image.data.tmp");
    std::fs::write(&tmp, img.to_text()).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io("rename", &path, e))?;
    Ok(img)
}

fn parse_lv_type(img: &ImageData, name: &str, line: usize, t: &str) -> Result<LvType> {
    Ok(match t.trim() {
        "boot" => LvType::Boot,
        "paging" => LvType::Paging,
        "jfslog" => LvType::Jfslog,
        "jfs2log" => LvType::Jfs2log,
        "jfs" => LvType::Jfs,
        "jfs2" => LvType::Jfs2,
        "sysdump" | "dump" => LvType::Sysdump,
        "raw" | "" => LvType::Raw,
        other => {
            return Err(StanzaError::Field {
                file: img.file.clone(),
                line,
                field: "TYPE".into(),
                message: format!("logical volume {name}: type '{other}' is not supported"),
            }
            .into())
        }
    })
}

/// Gets the image.data, checks it ("Checking disk sizes.") and builds the plan; nothing on the host changes
/// except `HOST/image.data` when mkszfile runs (as on AIX). Refusals: LV names over 11 characters (always),
/// then, unless `-S`, the PP total, every filesystem's need against its (possibly grown) size, and the PP
/// placement on the target disks.
pub(crate) fn make_plan(
    host: &Host,
    src: ImageSource,
    req: &PlanRequest,
    needs_of: NeedsOf<'_>,
    events: &dyn Events,
) -> Result<AltPlan> {
    let (mut img, needs) = match src {
        ImageSource::Mkszfile => {
            say(host, events, "Calling mkszfile to create new /image.data file.")?;
            trace(req.trace, events, "mkszfile");
            let mut sets = vec![host_targets(host, false)?];
            if req.to_jfs2 {
                sets.push(host_targets(host, true)?);
            }
            let mut needs = needs_of(&sets)?;
            let conv = if req.to_jfs2 { needs.pop() } else { None };
            let src_needs = needs.pop().unwrap_or_default();
            let img = write_mkszfile(host, &src_needs)?;
            (img, Some(conv.unwrap_or(src_needs)))
        }
        ImageSource::File(p) => {
            let text = std::fs::read(&p).map_err(|e| Error::io("read", &p, e))?;
            (ImageData::parse(&p.display().to_string(), &text)?, None)
        }
        ImageSource::Given(img) => (img, None),
    };
    say(host, events, "Checking disk sizes.")?;
    space::check_lv_names(&img)?;
    let conv = if req.to_jfs2 { convert_to_jfs2(&mut img) } else { space::Conversion::default() };
    let needs = match needs {
        Some(n) => n,
        None if req.skip_space_check => Vec::new(),
        None => {
            let targets = targets_from_image(&img)?;
            needs_of(&[targets])?.pop().unwrap_or_default()
        }
    };
    let disks: Vec<(String, u64)> =
        req.disks.iter().filter_map(|d| host.state.disk(d)).map(|d| (d.name.clone(), d.size_mb)).collect();
    let pp = img.vg_pp_size()?;
    let opts = PlanOptions { grow_converted: true, skip_check: req.skip_space_check };
    let sp = space::plan(&mut img, needs, &disks, &conv.converted, opts)?;
    if !req.skip_space_check {
        // The AIX total first: Σ (SHRINK ? LV_MIN_LPS : LPs) × COPIES against the disks' usable PPs.
        let need: u64 = sp.lvs.iter().map(|l| l.pps).sum();
        let have: u64 = sp.disks.iter().map(|d| d.usable_pps).sum();
        if need > have {
            return Err(SpaceError::DoesNotFit {
                mount_point: req.disks.join(" "),
                need: need * pp * 1024 * 1024,
                have: have * pp * 1024 * 1024,
                reason: format!(
                    "{} needs {need} PPs of {pp} MB, the target disks have {have} usable PPs",
                    img.vg_name().unwrap_or("rootvg")
                ),
            }
            .into());
        }
    }
    let sp = if req.skip_space_check {
        sp
    } else {
        if !sp.fits() {
            sp.check()?;
            return Err(Error::refused("the space plan does not fit"));
        }
        sp
    };
    build(img, sp, pp)
}

fn build(img: ImageData, sp: SpacePlan, pp: u64) -> Result<AltPlan> {
    let shrink = img.shrink();
    let fss = img.filesystems()?;
    let mut lvs = Vec::new();
    for lv in img.lvs()? {
        let lv_type = parse_lv_type(&img, &lv.name, lv.line, &lv.lv_type)?;
        let lps = if shrink { lv.min_lps } else { lv.lps };
        let fs = fss.iter().find(|f| f.lv_name() == lv.name).map(|f| {
            let (fs_type, params) = match f.kind {
                FsKind::Jfs { frag, nbpi, compress, bf, agsize_mb } => {
                    (HostFsType::Jfs, FsParams::Jfs { frag, nbpi, compress, bf, agsize: agsize_mb })
                }
                FsKind::Jfs2 { block_size, inline_log, ea_v2 } => (
                    HostFsType::Jfs2,
                    FsParams::Jfs2 {
                        bs: block_size,
                        inlinelog: inline_log,
                        eaformat: if ea_v2 { "v2" } else { "v1" }.into(),
                    },
                ),
            };
            let size_blocks = if shrink { lps * pp * 2048 } else { f.size_blocks };
            FileSystem { mount_point: f.name.clone(), fs_type, size_blocks, params, mounted: false }
        });
        let label = img
            .file()
            .named("lv_data")
            .find(|s| s.get("LOGICAL_VOLUME") == Some(lv.name.as_str()))
            .and_then(|s| s.get("LABEL"))
            .unwrap_or("None")
            .to_string();
        lvs.push(LogicalVolume {
            name: format!("alt_{}", lv.name),
            lv_type,
            lps,
            copies: u64::from(lv.copies),
            disks: Vec::new(),
            label,
            fs,
        });
    }
    let mut fs_limits: Vec<(String, u64)> = lvs
        .iter()
        .filter_map(|l| l.fs.as_ref())
        .map(|f| (f.mount_point.clone(), f.size_blocks * 512))
        .collect();
    fs_limits.sort();
    let filesystems = fs_limits.iter().map(|(m, _)| m.clone()).collect();
    Ok(AltPlan { image: img, lvs, filesystems, fs_limits, pp_size_mb: pp, space: Some(sp) })
}

/// Creates `altinst_rootvg` on `disks` from the plan: the VG (recorded first, so a kill from here on is
/// visible to `alt_rootvg_op -X`), the `alt_` LVs in lv_data order (filling the disks in order), then the
/// filesystems in sorted mount-point order, mounted under `/alt_inst`. The host is saved after each step.
pub(crate) fn create_altinst(
    host: &mut Host,
    plan: &AltPlan,
    disks: &[String],
    oslevel: &str,
    trace_on: bool,
    events: &dyn Events,
) -> Result<()> {
    let pp = plan.pp_size_mb;
    say(host, events, "Creating cloned rootvg volume group and associated logical volumes.")?;
    trace(trace_on, events, "mkvg altinst_rootvg");
    host.state.vgs.push(VolumeGroup {
        name: ALTINST.into(),
        pp_size_mb: pp,
        disks: disks.to_vec(),
        varied_on: true,
        auto_varyon: false,
        lvs: Vec::new(),
        oslevel: oslevel.to_string(),
        mount: Mount::AltInst,
        bootable: false,
        alt: Some(AltState { phase_done: 0, step: "mkvg".into(), ..AltState::default() }),
        firstboot_pending: false,
    });
    host.sync_disk_owners();
    host.save()?;
    let mut free: Vec<(String, u64)> = disks
        .iter()
        .filter_map(|d| host.state.disk(d))
        .map(|d| (d.name.clone(), usable_pps(d.size_mb, pp)))
        .collect();
    for lv in &plan.lvs {
        let mut n = lv.clone();
        let mut left = lv.lps * lv.copies;
        for (d, f) in free.iter_mut() {
            if left == 0 {
                break;
            }
            if *f > 0 {
                let take = left.min(*f);
                *f -= take;
                left -= take;
                n.disks.push(d.clone());
            }
        }
        if n.disks.is_empty() {
            n.disks.push(disks.first().cloned().unwrap_or_default());
        }
        // [I] The verified alt_disk_mksysb transcript ends these lines with "."; the same text is used here.
        say(host, events, &format!("Creating logical volume {}.", n.name))?;
        if let Some(v) = host.state.vg_mut(ALTINST) {
            v.lvs.push(n);
            if let Some(a) = v.alt.as_mut() {
                a.step = "mklv".into();
            }
        }
        host.save()?;
    }
    for mp in &plan.filesystems {
        let shown = if mp == "/" { "/alt_inst/".to_string() } else { alt_path(mp) };
        say(host, events, &format!("Creating {shown} file system."))?;
        let d = host.alt_inst().join(mp.trim_start_matches('/'));
        std::fs::create_dir_all(&d).map_err(|e| Error::io("create", &d, e))?;
        if let Some(v) = host.state.vg_mut(ALTINST) {
            for l in &mut v.lvs {
                if let Some(f) = l.fs.as_mut().filter(|f| &f.mount_point == mp) {
                    f.mounted = true;
                }
            }
            if let Some(a) = v.alt.as_mut() {
                a.step = "crfs".into();
            }
        }
        host.save()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::date_time;

    #[test]
    fn date_time_formats_like_date() {
        assert_eq!(date_time(0), "Thu Jan  1 00:00:00 UTC 1970");
        assert_eq!(date_time(1_710_256_443), "Tue Mar 12 15:14:03 UTC 2024");
        assert_eq!(date_time(951_782_400), "Tue Feb 29 00:00:00 UTC 2000");
    }
}
