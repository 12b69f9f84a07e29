//! mkszfile: generate image.data from a description of a volume group and what its trees need
//! (spec alt-disk.md §3.3 rules, §3.4 layout).

use super::plan::lv_min_lps;
use super::{FsNeed, FsType};
use crate::imagedata::stanza::{Item, Stanza, StanzaFile};
use crate::imagedata::{ImageData, JFS2_DEFAULTS};

/// The image_data / ils_data facts about the system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemInfo {
    /// `DATE_TIME` as `date` prints it.
    pub date_time: String,
    /// `UNAME_INFO` (`uname -a`).
    pub uname: String,
    /// `USERVG_LIST` (space separated).
    pub user_vgs: String,
    /// `OSLEVEL` (V.R.M.F).
    pub oslevel: String,
    /// `LANG` for ils_data.
    pub lang: String,
}

/// One physical volume.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiskDesc {
    /// `hdisk0`.
    pub name: String,
    /// PVID (16 hex digits).
    pub pvid: String,
    /// Size in MB.
    pub size_mb: u64,
    /// `PHYSICAL_LOCATION`.
    pub physical_location: String,
    /// `CONNECTION`.
    pub connection: String,
    /// `LOCATION`.
    pub location: String,
}

/// The file system on an LV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsDesc {
    /// `FS_SIZE` in 512-byte blocks.
    pub size_blocks: u64,
    /// Type and parameters.
    pub fs_type: FsType,
}

/// One logical volume, in `lsvg -l` order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LvDesc {
    /// `hd4`.
    pub name: String,
    /// `boot`, `paging`, `jfs2log`, `jfs`, `jfs2`, `sysdump`, ...
    pub lv_type: String,
    /// Minor number (the suffix of `LV_IDENTIFIER`).
    pub minor: u32,
    /// LPs.
    pub lps: u64,
    /// Copies (1–3).
    pub copies: u32,
    /// Mount point of a mounted file system, empty otherwise.
    pub mount_point: String,
    /// `LABEL` (defaults: `primary_bootlv` for boot, the mount point, `None`).
    pub label: Option<String>,
    /// `INTRA_POLICY` (defaults: `edge` for boot, `center` otherwise).
    pub intra_policy: Option<String>,
    /// `MAX_LPS`.
    pub max_lps: u64,
    /// The file system, for a mounted file-system LV. A file-system LV without one is not mounted and is
    /// skipped entirely, as mkszfile does [V §3.3].
    pub fs: Option<FsDesc>,
}

/// A volume group as mkszfile sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VgDesc {
    /// `rootvg`.
    pub name: String,
    /// VGID (hex), the prefix of every `LV_IDENTIFIER`.
    pub vgid: String,
    /// PP size in MB.
    pub pp_size_mb: u64,
    /// The disks, in order.
    pub disks: Vec<DiskDesc>,
    /// The LVs, in `lsvg -l` order.
    pub lvs: Vec<LvDesc>,
    /// System facts.
    pub system: SystemInfo,
    /// Extra 512-byte blocks `/tmp` needs beyond the image.data estimate: boot image (`bosboot -qad`,
    /// doubled) and map files [V §3.3].
    pub tmp_extra_blocks: u64,
}

/// The estimated size of image.data in 512-byte blocks: about 550 bytes + 160 per PV + 570 per LV + 100 per
/// file system, rounded up to 8 blocks [V §3.3].
pub fn image_data_blocks(pvs: usize, lvs: usize, fss: usize) -> u64 {
    let bytes = 550 + 160 * pvs as u64 + 570 * lvs as u64 + 100 * fss as u64;
    bytes.div_ceil(512).div_ceil(8) * 8
}

fn is_fs_type(t: &str) -> bool {
    t == "jfs" || t == "jfs2"
}

/// Generates image.data for a root volume group.
///
/// `FS_MIN_SIZE` is what the tree needs on that file-system type ([`FsNeed::min_size`] in 512-byte
/// blocks) [I §3.3: the emulation rule replacing `df` "used"], plus the image.data estimate for `/` and
/// that plus `tmp_extra_blocks` for `/tmp`; a file system with no need given gets its `FS_SIZE`.
/// `LV_MIN_LPS` is `FS_MIN_SIZE` in whole PPs for a file-system LV and `LPs` otherwise. Stanzas come in
/// AIX order with AIX's `##Command` comment lines.
pub fn mkszfile(vg: &VgDesc, needs: &[FsNeed]) -> ImageData {
    let pp = vg.pp_size_mb.max(1);
    let lvs: Vec<&LvDesc> = vg.lvs.iter().filter(|l| !is_fs_type(&l.lv_type) || l.fs.is_some()).collect();
    let nfs = lvs.iter().filter(|l| l.fs.is_some()).count();
    let idata = image_data_blocks(vg.disks.len(), lvs.len(), nfs);
    let min_blocks = |lv: &LvDesc, fs: &FsDesc| -> u64 {
        let base = needs
            .iter()
            .find(|n| n.mount_point == lv.mount_point)
            .map_or(fs.size_blocks, |n| n.min_size.div_ceil(512));
        match lv.mount_point.as_str() {
            "/" => base + idata,
            "/tmp" => base + idata + vg.tmp_extra_blocks,
            _ => base,
        }
    };
    let mut f = StanzaFile { items: Vec::new(), final_newline: true };
    let mut st = Stanza::new("image_data");
    st.push("IMAGE_TYPE", "bff");
    st.push("DATE_TIME", vg.system.date_time.clone());
    st.push("UNAME_INFO", vg.system.uname.clone());
    st.push("PRODUCT_TAPE", "no");
    st.push("USERVG_LIST", vg.system.user_vgs.clone());
    st.push("PLATFORM", "chrp");
    st.push("OSLEVEL", vg.system.oslevel.clone());
    f.push_stanza(st);
    let mut st = Stanza::new("logical_volume_policy");
    st.push("SHRINK", "no");
    st.push("EXACT_FIT", "no");
    f.push_stanza(st);
    let mut st = Stanza::new("ils_data");
    st.push("LANG", vg.system.lang.clone());
    f.push_stanza(st);
    comment(&mut f, "##Command used for vg_data; /usr/sbin/lsvg");
    let mut st = Stanza::new("vg_data");
    st.push("VGNAME", vg.name.clone());
    st.push("PPSIZE", pp.to_string());
    st.push("VARYON", "yes");
    st.push("VG_SOURCE_DISK_LIST", vg.disks.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(" "));
    st.push("BIGVG", "no");
    st.push("TFACTOR", "1");
    f.push_stanza(st);
    comment(&mut f, "##Command used for source_disk_data; /usr/sbin/bootinfo");
    for d in &vg.disks {
        let mut st = Stanza::new("source_disk_data");
        st.push("PVID", d.pvid.clone());
        st.push("PHYSICAL_LOCATION", d.physical_location.clone());
        st.push("CONNECTION", d.connection.clone());
        st.push("LOCATION", d.location.clone());
        st.push("SIZE_MB", d.size_mb.to_string());
        st.push("HDISKNAME", d.name.clone());
        f.push_stanza(st);
    }
    comment(&mut f, "##Command used for lv_data; /usr/sbin/lslv");
    let disks = vg.disks.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(" ");
    for lv in &lvs {
        let boot = lv.lv_type == "boot";
        let min_lps = match &lv.fs {
            Some(fs) => lv_min_lps(min_blocks(lv, fs), pp),
            None => lv.lps,
        };
        let label = lv.label.clone().unwrap_or_else(|| {
            if boot {
                "primary_bootlv".into()
            } else if lv.mount_point.is_empty() {
                "None".into()
            } else {
                lv.mount_point.clone()
            }
        });
        let mut st = Stanza::new("lv_data");
        for (k, v) in [
            ("VOLUME_GROUP", vg.name.clone()),
            ("LV_SOURCE_DISK_LIST", disks.clone()),
            ("LV_IDENTIFIER", format!("{}.{}", vg.vgid, lv.minor)),
            ("LOGICAL_VOLUME", lv.name.clone()),
            ("VG_STAT", "active/complete".into()),
            ("TYPE", lv.lv_type.clone()),
            ("MAX_LPS", lv.max_lps.to_string()),
            ("COPIES", lv.copies.to_string()),
            ("LPs", lv.lps.to_string()),
            ("STALE_PPs", "0".into()),
            ("INTER_POLICY", "minimum".into()),
            (
                "INTRA_POLICY",
                lv.intra_policy.clone().unwrap_or_else(|| if boot { "edge" } else { "center" }.into()),
            ),
            ("MOUNT_POINT", lv.mount_point.clone()),
            ("MIRROR_WRITE_CONSISTENCY", "on/ACTIVE".into()),
            ("LV_SEPARATE_PV", "yes".into()),
            ("PERMISSION", "read/write".into()),
            ("LV_STATE", if boot { "closed/syncd" } else { "open/syncd" }.into()),
            ("WRITE_VERIFY", "off".into()),
            ("PP_SIZE", pp.to_string()),
            ("SCHED_POLICY", "parallel".into()),
            ("PP", (lv.lps * u64::from(lv.copies)).to_string()),
            ("BB_POLICY", if boot { "non-relocatable" } else { "relocatable" }.into()),
            ("RELOCATABLE", if boot { "no" } else { "yes" }.into()),
            ("UPPER_BOUND", "32".into()),
            ("LABEL", label),
            ("MAPFILE", String::new()),
            ("LV_MIN_LPS", min_lps.to_string()),
            ("STRIPE_WIDTH", String::new()),
            ("STRIPE_SIZE", String::new()),
            ("SERIALIZE_IO", "no".into()),
            ("FS_TAG", String::new()),
            ("DEV_SUBTYP", String::new()),
        ] {
            st.push(k, v);
        }
        f.push_stanza(st);
    }
    if nfs > 0 {
        comment(&mut f, "##Commands used for fs_data; /usr/bin/df and /usr/sbin/lsjfs2");
    }
    for lv in &lvs {
        let Some(fs) = &lv.fs else { continue };
        let mut st = Stanza::new("fs_data");
        st.push("FS_NAME", lv.mount_point.clone());
        st.push("FS_SIZE", fs.size_blocks.to_string());
        st.push("FS_MIN_SIZE", min_blocks(lv, fs).to_string());
        st.push("FS_LV", format!("/dev/{}", lv.name));
        match fs.fs_type {
            FsType::Jfs(p) => {
                st.push("FS_FS", p.frag.to_string());
                st.push("FS_NBPI", p.nbpi.to_string());
                st.push("FS_COMPRESS", if p.compress { "LZ" } else { "no" });
                st.push("FS_BF", if p.bf { "true" } else { "false" });
                st.push("FS_AGSIZE", p.agsize_mb.to_string());
            }
            FsType::Jfs2(p) => {
                for (k, v) in JFS2_DEFAULTS {
                    let v = match *k {
                        "FS_JFS2_BS" => p.block_size.to_string(),
                        "FS_JFS2_INLINELOG" => if p.inline_log { "yes" } else { "no" }.to_string(),
                        "FS_JFS2_EAFORMAT" => if p.ea_v2 { "v2" } else { "v1" }.to_string(),
                        _ => v.to_string(),
                    };
                    st.push(k, v);
                }
            }
        }
        f.push_stanza(st);
    }
    let mut st = Stanza::new("post_install_data");
    st.push("BOSINST_FILE", "");
    f.items.push(Item::Stanza(st));
    ImageData::from_file("image.data", f)
}

fn comment(f: &mut StanzaFile, text: &str) {
    f.items.push(Item::Comment(text.to_string()));
    f.items.push(Item::Blank(String::new()));
}
