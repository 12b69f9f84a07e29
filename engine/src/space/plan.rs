//! Fit checks against image.data: file-system sizes, physical partitions on the target disks, LV names, and
//! the `-T` JFS→JFS2 conversion (spec alt-disk.md §3.3 "Checking disk sizes", §4.5).

use super::{FsNeed, FsTarget, FsType, Jfs2Params, JfsParams, SpaceError};
pub use crate::imagedata::convert::{convert_to_jfs2, Conversion, JFS2_DEFAULTS};
use crate::imagedata::{FsKind, ImageData};

/// The longest LV name that still fits the LVM's 15 characters after the `alt_` prefix [V §1].
pub(crate) const MAX_LV_NAME: usize = 11;

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
    let pp = img.vg_pp_size()?.saturating_mul(1 << 20);
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
                (true, Some(lv)) => lv.min_lps.saturating_mul(pp),
                _ => fs.size_blocks.saturating_mul(512),
            };
            Ok(FsTarget { mount_point: fs.name, fs_type, size: Some(size) })
        })
        .collect()
}

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
    let pp = pp_mb.saturating_mul(1 << 20);
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
                let grown = need.at_size(new_lps.saturating_mul(pp));
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
                st.set("PP", lps.max(old).saturating_mul(copies).to_string());
            }
            if shrink {
                st.set("LV_MIN_LPS", lps.to_string());
            }
        }
        if st.name == "fs_data" && st.get("FS_NAME") == Some(mount) {
            let size = lps.saturating_mul(pp_mb).saturating_mul(2048);
            let old: u64 = st.get("FS_SIZE").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
            st.set("FS_SIZE", size.max(old).to_string());
            if shrink {
                st.set("FS_MIN_SIZE", min_blocks.to_string());
            }
        }
    }
}

/// Places every LV's PPs on the disks [I §3.3: required PPs = Σ (SHRINK ? LV_MIN_LPS : LPs) × COPIES].
///
/// Each LV is spread so the free space left stays as level as possible (what `mklv` with
/// `INTER_POLICY=minimum` on several disks converges to). For an `LV_SEPARATE_PV` LV of L LPs and c copies
/// each disk can hold at most one copy of each LP, so at most L of its PPs: it fits exactly when
/// `Σ min(free_i, L) ≥ c × L` (any such split is realizable by dealing the copies round-robin).
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
    for lv in img.lvs()? {
        let lps = if shrink { lv.min_lps } else { lv.lps };
        let pps = lps.saturating_mul(u64::from(lv.copies));
        out.lvs.push(LvUse {
            name: lv.name.clone(),
            lps,
            copies: lv.copies,
            pps,
            separate_pv: lv.separate_pv,
        });
        if skip {
            continue;
        }
        if lv.separate_pv && lv.copies as usize > out.disks.len() {
            let e = SpaceError::NotEnoughDisks { lv: lv.name, copies: lv.copies, disks: out.disks.len() };
            out.problems.push(e.to_string());
            out.errors.push(e);
            continue;
        }
        let free: Vec<u64> = out.disks.iter().map(|d| d.usable_pps.saturating_sub(d.used_pps)).collect();
        let cap: Vec<u64> = free.iter().map(|&f| if lv.separate_pv { f.min(lps) } else { f }).collect();
        match level_take(&free, &cap, pps) {
            Some(x) => {
                for (d, n) in out.disks.iter_mut().zip(x) {
                    d.used_pps += n;
                }
            }
            None => {
                let e = SpaceError::NoPps {
                    lv: lv.name,
                    need: pps,
                    copies: lv.copies,
                    free: free.iter().fold(0u64, |s, f| s.saturating_add(*f)),
                };
                out.problems.push(e.to_string());
                out.errors.push(e);
            }
        }
    }
    Ok(())
}

/// Takes `need` PPs from disks with `free` PPs, at most `cap` from each, lowering the fullest disks first
/// (water level): the largest level `t` with `Σ min(cap_i, free_i − t) ≥ need`, then the excess handed back
/// one PP per disk at that level. `None` when the caps cannot hold `need`.
fn level_take(free: &[u64], cap: &[u64], need: u64) -> Option<Vec<u64>> {
    let take =
        |t: u64| -> Vec<u64> { free.iter().zip(cap).map(|(&f, &c)| c.min(f.saturating_sub(t))).collect() };
    let sum = |v: &[u64]| v.iter().fold(0u64, |s, x| s.saturating_add(*x));
    if sum(&take(0)) < need {
        return None;
    }
    if need == 0 {
        return Some(vec![0; free.len()]);
    }
    let (mut lo, mut hi) = (0u64, free.iter().copied().max().unwrap_or(0));
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if sum(&take(mid)) >= need {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut x = take(lo);
    let next = take(lo + 1);
    let mut excess = sum(&x) - need;
    for (xi, ni) in x.iter_mut().zip(next) {
        if excess > 0 && *xi > ni {
            *xi -= 1;
            excess -= 1;
        }
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::level_take;

    #[test]
    fn level_take_balances_and_respects_caps() {
        // 15 LPs, 2 strict copies, 3 disks of 10: caps 10 each, 30 PPs: all taken.
        assert_eq!(level_take(&[10, 10, 10], &[10, 10, 10], 30), Some(vec![10, 10, 10]));
        // Leveling: 100 and 20 free, 90 needed -> 85 and 5 (both left with 15).
        assert_eq!(level_take(&[100, 20], &[100, 20], 90), Some(vec![85, 5]));
        // Caps: 8 LPs x 2 strict copies on disks of 100 and 5: at most 8 + 5 = 13 < 16.
        assert_eq!(level_take(&[100, 5], &[8, 5], 16), None);
        assert_eq!(level_take(&[100, 8], &[8, 8], 16), Some(vec![8, 8]));
        assert_eq!(level_take(&[3], &[3], 0), Some(vec![0]));
        // Odd excess: 7 from [5, 5, 5] -> levels at 2 or 3 left.
        let x = level_take(&[5, 5, 5], &[5, 5, 5], 7).unwrap();
        assert_eq!(x.iter().sum::<u64>(), 7);
        assert!(x.iter().all(|&v| v == 2 || v == 3), "{x:?}");
    }
}
