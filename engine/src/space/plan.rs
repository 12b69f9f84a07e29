//! Fit checks against image.data: file-system sizes, physical partitions on the target disks, LV names, and
//! the `-T` JFS→JFS2 conversion (spec alt-disk.md §3.3 "Checking disk sizes", §4.5).

use super::{FsNeed, FsTarget, FsType, Jfs2Params, JfsParams, SpaceError};
use crate::imagedata::{FsKind, ImageData};

/// The longest LV name that still fits the LVM's 15 characters after the `alt_` prefix [V §1].
pub const MAX_LV_NAME: usize = 11;

/// How to plan.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlanOptions {
    /// Grow a converted (`-T`) file system that no longer fits its size, when the disks have the PPs.
    pub grow_converted: bool,
    /// `-S`: skip every check, as AIX does; the plan only reports.
    pub skip_check: bool,
}

/// One file system in the plan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FsFit {
    /// What it needs (evaluated at its final size).
    pub need: FsNeed,
    /// True when it fits (or was not checked).
    pub fits: bool,
    /// Why it does not fit.
    pub reason: Option<String>,
    /// The size in bytes before it was grown, when it was grown.
    pub grown_from: Option<u64>,
}

/// One logical volume in the disk plan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LvUse {
    /// LV name.
    pub name: String,
    /// LPs it gets (`LV_MIN_LPS` under SHRINK).
    pub lps: u64,
    /// Copies.
    pub copies: u32,
    /// PPs = LPs × copies.
    pub pps: u64,
    /// Copies on separate disks.
    pub separate_pv: bool,
}

/// One target disk in the disk plan.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DiskUse {
    /// Disk name.
    pub name: String,
    /// Size in MB.
    pub size_mb: u64,
    /// Usable PPs: `floor(size_mb / pp_size) − 1` [I §3.3: one PP for the VGDA area].
    pub usable_pps: u64,
    /// PPs the plan puts on it.
    pub used_pps: u64,
}

/// The whole plan: file systems, LVs, disks and every refusal found.
#[derive(Debug, serde::Serialize)]
pub struct SpacePlan {
    /// PP size in MB.
    pub pp_size_mb: u64,
    /// SHRINK was in effect.
    pub shrink: bool,
    /// The checks were skipped (`-S`).
    pub skipped: bool,
    /// Per file system.
    pub filesystems: Vec<FsFit>,
    /// Per logical volume (empty when no disks were given).
    pub lvs: Vec<LvUse>,
    /// Per target disk.
    pub disks: Vec<DiskUse>,
    /// Every refusal, as messages.
    pub problems: Vec<String>,
    #[serde(skip)]
    errors: Vec<SpaceError>,
}

impl SpacePlan {
    /// True when everything fits.
    pub fn fits(&self) -> bool {
        self.errors.is_empty()
    }

    /// The first refusal, as an error to stop on before anything is written.
    pub fn check(self) -> Result<(), SpaceError> {
        match self.errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Usable PPs on a disk: `floor(size_mb / pp) − 1` [I §3.3; 20480 MB / 32 MB → 639, as on AIX].
pub fn usable_pps(size_mb: u64, pp_size_mb: u64) -> u64 {
    (size_mb / pp_size_mb.max(1)).saturating_sub(1)
}

/// `LV_MIN_LPS` for a file system of `min_blocks` 512-byte blocks: the minimum in whole MB, then whole PPs,
/// at least 1 [V §3.3].
pub fn lv_min_lps(min_blocks: u64, pp_size_mb: u64) -> u64 {
    min_blocks.div_ceil(2048).div_ceil(pp_size_mb.max(1)).max(1)
}

/// Refuses any LV name longer than 11 characters, up front [V §1: `alt_` + 15-character LVM limit].
pub fn check_lv_names(img: &ImageData) -> Result<(), SpaceError> {
    for lv in img.lvs()? {
        if lv.name.chars().count() > MAX_LV_NAME {
            return Err(SpaceError::LvNameTooLong { len: lv.name.chars().count(), lv: lv.name });
        }
    }
    Ok(())
}

/// The target file systems of image.data: mount point, type and `FS_SIZE`; under SHRINK the size is
/// `LV_MIN_LPS` whole PPs [I: AIX makes the LV that big and the file system `FS_MIN_SIZE`].
pub fn targets_from_image(img: &ImageData) -> Result<Vec<FsTarget>, SpaceError> {
    let pp = img.vg_pp_size()? << 20;
    let lvs = img.lvs()?;
    let shrink = img.shrink();
    img.filesystems()?
        .into_iter()
        .map(|fs| {
            let fs_type = match fs.kind {
                FsKind::Jfs { frag, nbpi, compress, bf, agsize_mb } => {
                    let p = JfsParams { frag, nbpi, agsize_mb, bf, compress };
                    p.validate()?;
                    FsType::Jfs(p)
                }
                FsKind::Jfs2 { block_size, inline_log, ea_v2 } => {
                    FsType::Jfs2(Jfs2Params { block_size, inline_log, ea_v2 })
                }
            };
            let lv = lvs.iter().find(|l| l.name == fs.lv_name());
            let size = match (shrink, lv) {
                (true, Some(lv)) => lv.min_lps * pp,
                _ => fs.size_blocks * 512,
            };
            Ok(FsTarget { mount_point: fs.name, fs_type, size: Some(size) })
        })
        .collect()
}

/// What `-T` converted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Conversion {
    /// Mount points converted from JFS to JFS2.
    pub converted: Vec<String>,
    /// Of those, the ones that were compressed: JFS2 has no compression, their data expands [V §4.5].
    pub were_compressed: Vec<String>,
    /// LVs whose type changed (`jfs` → `jfs2`, `jfslog` → `jfs2log`).
    pub lvs: Vec<String>,
}

/// `-T`: every JFS file system becomes JFS2 in image.data [I §4.5]: lv_data `TYPE jfs → jfs2` and
/// `jfslog → jfs2log`; fs_data loses `FS_FS/FS_NBPI/FS_COMPRESS/FS_BF/FS_AGSIZE` and gains
/// `FS_JFS2_BS = old FS_FS` and the other `FS_JFS2_*` fields at their defaults (inline log no, EA v2,
/// VIX yes), in the order AIX writes them.
pub fn convert_to_jfs2(img: &mut ImageData) -> Conversion {
    let mut c = Conversion::default();
    for st in img.file_mut().stanzas_mut() {
        match st.name.as_str() {
            "lv_data" => {
                let new = match st.get("TYPE") {
                    Some("jfs") => "jfs2",
                    Some("jfslog") => "jfs2log",
                    _ => continue,
                };
                st.set("TYPE", new);
                c.lvs.push(st.get("LOGICAL_VOLUME").unwrap_or("").to_string());
            }
            "fs_data" if st.get("FS_FS").is_some() || st.get("FS_NBPI").is_some() => {
                let bs =
                    st.get("FS_FS").map(str::trim).filter(|v| !v.is_empty()).unwrap_or("4096").to_string();
                let name = st.get("FS_NAME").unwrap_or("").to_string();
                if st.get("FS_COMPRESS").is_some_and(|v| v.trim().eq_ignore_ascii_case("LZ")) {
                    c.were_compressed.push(name.clone());
                }
                for k in ["FS_FS", "FS_NBPI", "FS_COMPRESS", "FS_BF", "FS_AGSIZE"] {
                    st.remove(k);
                }
                let mut after = "FS_LV".to_string();
                for (k, v) in JFS2_DEFAULTS {
                    let v = if *k == "FS_JFS2_BS" { bs.as_str() } else { v };
                    st.set_after(&after, k, v);
                    after = k.to_string();
                }
                c.converted.push(name);
            }
            _ => {}
        }
    }
    c
}

/// The JFS2 fs_data fields in AIX order, with the values `-T` gives them (`FS_JFS2_BS` is replaced by the
/// old fragment size).
pub const JFS2_DEFAULTS: &[(&str, &str)] = &[
    ("FS_JFS2_BS", "4096"),
    ("FS_JFS2_SPARSE", "yes"),
    ("FS_JFS2_INLINELOG", "no"),
    ("FS_JFS2_SIZEINODETABLE", ""),
    ("FS_JFS2_EAFORMAT", "v2"),
    ("FS_JFS2_QUOTA", "no"),
    ("FS_JFS2_DMAPI", "no"),
    ("FS_JFS2_VIX", "yes"),
    ("FS_JFS2_EFS", "no"),
    ("FS_IMAGE_TYPE", ""),
    ("FS_JFS2_MAXEXT", "0"),
    ("FS_JFS2_MOUNTGUARD", "no"),
];

/// Checks `needs` (from an [`super::Accountant`] built on [`targets_from_image`]) against image.data and
/// the target disks (`(name, size_mb)`), growing converted file systems when allowed (and editing
/// image.data: `LPs`, `PP`, `FS_SIZE`, and under SHRINK `LV_MIN_LPS`, `FS_MIN_SIZE`).
///
/// LV names are checked first and refuse at once; every other problem is collected in the plan.
pub fn plan(
    img: &mut ImageData,
    needs: Vec<FsNeed>,
    disks: &[(String, u64)],
    converted: &[String],
    opts: PlanOptions,
) -> Result<SpacePlan, SpaceError> {
    check_lv_names(img)?;
    let pp_mb = img.vg_pp_size()?;
    let pp = pp_mb << 20;
    let shrink = img.shrink();
    let lvs = img.lvs()?;
    let fss = img.filesystems()?;
    let mut out = SpacePlan {
        pp_size_mb: pp_mb,
        shrink,
        skipped: opts.skip_check,
        filesystems: Vec::new(),
        lvs: Vec::new(),
        disks: Vec::new(),
        problems: Vec::new(),
        errors: Vec::new(),
    };
    for need in needs {
        if opts.skip_check {
            out.filesystems.push(FsFit { need, fits: true, reason: None, grown_from: None });
            continue;
        }
        let Err(e) = need.check() else {
            out.filesystems.push(FsFit { need, fits: true, reason: None, grown_from: None });
            continue;
        };
        let fsd = fss.iter().find(|f| f.name == need.mount_point);
        let lv = fsd.and_then(|f| lvs.iter().find(|l| l.name == f.lv_name()));
        match (lv, opts.grow_converted && converted.contains(&need.mount_point)) {
            (Some(lv), true) => {
                let new_lps = need.min_size.div_ceil(pp).max(1);
                let grown = need.at_size(new_lps * pp);
                let old = need.size;
                grow(img, &lv.name, &need.mount_point, new_lps, need.min_size.div_ceil(512), shrink);
                out.filesystems.push(FsFit { need: grown, fits: true, reason: None, grown_from: old });
            }
            _ => {
                out.problems.push(e.to_string());
                out.filesystems.push(FsFit {
                    need,
                    fits: false,
                    reason: Some(e.to_string()),
                    grown_from: None,
                });
                out.errors.push(e);
            }
        }
    }
    if !disks.is_empty() {
        disk_plan(img, disks, pp_mb, shrink, opts.skip_check, &mut out)?;
    }
    Ok(out)
}

/// Edits image.data for a grown file system.
fn grow(img: &mut ImageData, lv: &str, mount: &str, lps: u64, min_blocks: u64, shrink: bool) {
    let pp_mb = img.vg_pp_size().unwrap_or(1);
    for st in img.file_mut().stanzas_mut() {
        if st.name == "lv_data" && st.get("LOGICAL_VOLUME") == Some(lv) {
            let copies = st.get("COPIES").and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(1);
            let old: u64 = st.get("LPs").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
            if lps > old || !shrink {
                st.set("LPs", lps.max(old).to_string());
                st.set("PP", (lps.max(old) * copies).to_string());
            }
            if shrink {
                st.set("LV_MIN_LPS", lps.to_string());
            }
        }
        if st.name == "fs_data" && st.get("FS_NAME") == Some(mount) {
            let size = lps * pp_mb * 2048;
            let old: u64 = st.get("FS_SIZE").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
            st.set("FS_SIZE", size.max(old).to_string());
            if shrink {
                st.set("FS_MIN_SIZE", min_blocks.to_string());
            }
        }
    }
}

/// Places every LV's PPs on the disks, largest free first; copies of an `LV_SEPARATE_PV` LV go to distinct
/// disks [I §3.3: required PPs = Σ (SHRINK ? LV_MIN_LPS : LPs) × COPIES].
fn disk_plan(
    img: &ImageData,
    disks: &[(String, u64)],
    pp_mb: u64,
    shrink: bool,
    skip: bool,
    out: &mut SpacePlan,
) -> Result<(), SpaceError> {
    out.disks = disks
        .iter()
        .map(|(n, mb)| DiskUse {
            name: n.clone(),
            size_mb: *mb,
            usable_pps: usable_pps(*mb, pp_mb),
            used_pps: 0,
        })
        .collect();
    let mut idx: Vec<usize> = (0..out.disks.len()).collect();
    for lv in img.lvs()? {
        let lps = if shrink { lv.min_lps } else { lv.lps };
        let u = LvUse {
            name: lv.name.clone(),
            lps,
            copies: lv.copies,
            pps: lps * u64::from(lv.copies),
            separate_pv: lv.separate_pv,
        };
        out.lvs.push(u);
        if skip {
            continue;
        }
        if lv.separate_pv && lv.copies as usize > out.disks.len() {
            let e = SpaceError::NotEnoughDisks { lv: lv.name, copies: lv.copies, disks: out.disks.len() };
            out.problems.push(e.to_string());
            out.errors.push(e);
            continue;
        }
        let free = |d: &DiskUse| d.usable_pps.saturating_sub(d.used_pps);
        let total_free: u64 = out.disks.iter().map(free).sum();
        let mut failed = false;
        'lps: for _ in 0..lps {
            if lv.separate_pv {
                idx.sort_by_key(|&i| std::cmp::Reverse(free(&out.disks[i])));
                for &i in idx.iter().take(lv.copies as usize) {
                    if free(&out.disks[i]) == 0 {
                        failed = true;
                        break 'lps;
                    }
                }
                for &i in idx.iter().take(lv.copies as usize) {
                    out.disks[i].used_pps += 1;
                }
            } else {
                for _ in 0..lv.copies {
                    let Some(i) = (0..out.disks.len()).max_by_key(|&i| free(&out.disks[i])) else {
                        failed = true;
                        break 'lps;
                    };
                    if free(&out.disks[i]) == 0 {
                        failed = true;
                        break 'lps;
                    }
                    out.disks[i].used_pps += 1;
                }
            }
        }
        if failed {
            let e = SpaceError::NoPps {
                lv: lv.name,
                need: lps * u64::from(lv.copies),
                copies: lv.copies,
                free: total_free,
            };
            out.problems.push(e.to_string());
            out.errors.push(e);
        }
    }
    Ok(())
}
