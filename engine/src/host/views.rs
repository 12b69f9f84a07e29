//! The AIX views of the model, in AIX output formats (spec alt-disk.md §5). Each returns the full text.

use super::model::{HostState, Mount};
use crate::error::{Error, Result};

/// `lspv`: `NAME PVID VG STATE`, columns 16/36/16; STATE `active` when varied on, blank otherwise.
pub fn lspv(st: &HostState) -> String {
    let mut s = String::new();
    for d in &st.disks {
        let vg = d.vg.clone().unwrap_or_else(|| "None".to_string());
        let active = d.vg.as_deref().and_then(|n| st.vg(n)).map(|v| v.varied_on).unwrap_or(false);
        let line = format!("{:<16}{:<36}{:<16}{}", d.name, d.pvid, vg, if active { "active" } else { "" });
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// `lsvg`: every defined volume group.
pub fn lsvg(st: &HostState) -> String {
    st.vgs.iter().map(|v| format!("{}\n", v.name)).collect()
}

/// `lsvg -o`: varied-on volume groups only.
pub fn lsvg_o(st: &HostState) -> String {
    st.vgs.iter().filter(|v| v.varied_on).map(|v| format!("{}\n", v.name)).collect()
}

fn need_varied_on(st: &HostState, name: &str) -> Result<()> {
    match st.vg(name) {
        None => Err(Error::refused(format!(
            "0516-306 lsvg: Unable to find volume group {name} in the Device\n\tConfiguration Database."
        ))),
        Some(v) if !v.varied_on => {
            Err(Error::refused("0516-010 lsvg: Volume group must be varied on; use varyonvg command."))
        }
        Some(_) => Ok(()),
    }
}

/// `lsvg VG`: the key/value summary (a subset of AIX's fields: the ones scripts parse).
pub fn lsvg_vg(st: &HostState, name: &str) -> Result<String> {
    need_varied_on(st, name)?;
    let v = st.vg(name).ok_or_else(|| Error::refused(format!("no volume group {name}")))?;
    let total = v.total_pps(&st.disks);
    let used = v.used_pps();
    let free = total.saturating_sub(used);
    let pp = v.pp_size_mb;
    let state = if v.varied_on { "active" } else { "inactive" };
    let pair = |l: &str, lv: String, r: &str, rv: String| format!("{l:<20}{lv:<24}{r:<16}{rv}\n");
    let mut s = String::new();
    s.push_str(&pair("VOLUME GROUP:", v.name.clone(), "VG IDENTIFIER:", vg_id(st, &v.name)));
    s.push_str(&pair("VG STATE:", state.into(), "PP SIZE:", format!("{pp} megabyte(s)")));
    s.push_str(&pair(
        "VG PERMISSION:",
        "read/write".into(),
        "TOTAL PPs:",
        format!("{total} ({} megabytes)", total * pp),
    ));
    s.push_str(&pair("MAX LVs:", "256".into(), "FREE PPs:", format!("{free} ({} megabytes)", free * pp)));
    s.push_str(&pair(
        "LVs:",
        v.lvs.len().to_string(),
        "USED PPs:",
        format!("{used} ({} megabytes)", used * pp),
    ));
    let open = v.lvs.iter().filter(|l| lv_open(v.mount, l)).count();
    s.push_str(&pair("OPEN LVs:", open.to_string(), "QUORUM:", "2 (Enabled)".into()));
    s.push_str(&pair(
        "TOTAL PVs:",
        v.disks.len().to_string(),
        "VG DESCRIPTORS:",
        (v.disks.len() * 2).to_string(),
    ));
    s.push_str(&pair("STALE PVs:", "0".into(), "STALE PPs:", "0".into()));
    s.push_str(&pair("ACTIVE PVs:", v.disks.len().to_string(), "AUTO ON:", yes_no(v.auto_varyon).into()));
    Ok(s)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn vg_id(st: &HostState, name: &str) -> String {
    let v = st.vg(name);
    let pvid = v.and_then(|v| v.disks.first()).and_then(|d| st.disk(d)).map(|d| d.pvid.clone());
    format!("{}00004c00000001", pvid.unwrap_or_else(|| "0000000000000000".into()))
}

fn lv_open(mount: Mount, l: &super::model::LogicalVolume) -> bool {
    use super::model::LvType::*;
    match l.lv_type {
        Boot | Raw => false,
        // The model: paging and dump are open only on the running system, filesystems when mounted.
        Paging | Sysdump | Jfslog | Jfs2log => mount == Mount::Root,
        Jfs | Jfs2 => mount != Mount::None && l.fs.as_ref().map(|f| f.mounted).unwrap_or(false),
    }
}

/// `lsvg -l VG`: header then one row per LV; columns at 0, 20, 31, 39, 47, 52, 66. A varied-off VG is refused
/// with `0516-010` (the caller exits 1).
pub fn lsvg_l(st: &HostState, name: &str) -> Result<String> {
    need_varied_on(st, name)?;
    let v = st.vg(name).ok_or_else(|| Error::refused(format!("no volume group {name}")))?;
    let mut s = format!("{name}:\n");
    s.push_str("LV NAME             TYPE       LPs     PPs     PVs  LV STATE      MOUNT POINT\n");
    for l in &v.lvs {
        let state = if lv_open(v.mount, l) { "open/syncd" } else { "closed/syncd" };
        let mp = match (&l.fs, v.mount) {
            (Some(f), Mount::AltInst) => alt_path(&f.mount_point),
            (Some(f), _) => f.mount_point.clone(),
            (None, _) => "N/A".to_string(),
        };
        s.push_str(&format!(
            "{:<20}{:<11}{:<8}{:<8}{:<5}{:<14}{}\n",
            l.name,
            l.lv_type.as_str(),
            l.lps,
            l.lps * l.copies,
            l.disks.len(),
            state,
            mp
        ));
    }
    Ok(s)
}

/// `/usr` → `/alt_inst/usr`, `/` → `/alt_inst`.
pub fn alt_path(mp: &str) -> String {
    if mp == "/" {
        "/alt_inst".to_string()
    } else {
        format!("/alt_inst{mp}")
    }
}

/// `bootlist -m normal -o`: one `hdiskN blv=hd5 pathid=0` line per entry.
pub fn bootlist_o(st: &HostState) -> String {
    st.bootlist.iter().map(|b| format!("{} blv={} pathid=0\n", b.disk, b.blv)).collect()
}

/// `bootinfo -b`: the last boot disk.
pub fn bootinfo_b(st: &HostState) -> String {
    format!("{}\n", st.booted_from)
}

/// `bootinfo -B hdiskN`: `1` when the disk is bootable, else `0`.
pub fn bootinfo_big_b(st: &HostState, disk: &str) -> Result<String> {
    let d = st.disk(disk).ok_or_else(|| no_disk(disk))?;
    Ok(format!("{}\n", if d.bootable { 1 } else { 0 }))
}

/// `bootinfo -s hdiskN`: the size in MB.
pub fn bootinfo_s(st: &HostState, disk: &str) -> Result<String> {
    let d = st.disk(disk).ok_or_else(|| no_disk(disk))?;
    Ok(format!("{}\n", d.size_mb))
}

pub(crate) fn no_disk(disk: &str) -> Error {
    Error::refused(format!("{disk}: no such disk on this host"))
}
