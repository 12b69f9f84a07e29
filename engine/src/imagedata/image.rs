//! Typed view of image.data (spec alt-disk.md §3.2). The [`ImageData`] owns the lossless [`StanzaFile`];
//! the typed values are read from it on demand so edits through [`ImageData::file_mut`] are never lost.

use super::stanza::{self, Stanza, StanzaFile};
use super::StanzaError;

/// A parsed image.data (or savevg vgname.data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageData {
    /// The file name used in error messages.
    pub file: String,
    doc: StanzaFile,
}

/// One `source_disk_data` (or bosinst.data `target_disk_data`) stanza.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceDisk {
    /// `HDISKNAME` (may be empty in bosinst.data).
    pub hdiskname: String,
    /// `PVID` (may be empty).
    pub pvid: String,
    /// `SIZE_MB`.
    pub size_mb: u64,
    /// `LOCATION` (may be empty).
    pub location: String,
}

/// One `lv_data` stanza, the fields the engine uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LvData {
    /// `LOGICAL_VOLUME`.
    pub name: String,
    /// `TYPE` (`jfs2`, `jfslog`, `paging`, ...).
    pub lv_type: String,
    /// `MOUNT_POINT` (empty when none).
    pub mount_point: String,
    /// `COPIES` (1–3).
    pub copies: u32,
    /// `LPs`.
    pub lps: u64,
    /// `PP` (LPs × COPIES as recorded).
    pub pp: u64,
    /// `PP_SIZE` in MB.
    pub pp_size_mb: u64,
    /// `LV_MIN_LPS`.
    pub min_lps: u64,
    /// `LV_SEPARATE_PV` is `yes` or `superstrict`: copies must be on different disks.
    pub separate_pv: bool,
    /// `LV_SOURCE_DISK_LIST`, split on blanks.
    pub source_disks: Vec<String>,
    /// Line of the stanza header.
    pub line: usize,
}

/// The filesystem type of an `fs_data` stanza, with its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FsKind {
    /// JFS: `FS_FS`, `FS_NBPI`, `FS_COMPRESS`, `FS_BF`, `FS_AGSIZE`.
    Jfs {
        /// Fragment size in bytes.
        frag: u32,
        /// Bytes per inode.
        nbpi: u32,
        /// `FS_COMPRESS= LZ`.
        compress: bool,
        /// `FS_BF= true`.
        bf: bool,
        /// Allocation-group size in MB.
        agsize_mb: u32,
    },
    /// JFS2: `FS_JFS2_BS`, `FS_JFS2_INLINELOG`, `FS_JFS2_EAFORMAT`.
    Jfs2 {
        /// Block size in bytes.
        block_size: u32,
        /// `FS_JFS2_INLINELOG= yes`.
        inline_log: bool,
        /// `FS_JFS2_EAFORMAT= v2` (v1 otherwise).
        ea_v2: bool,
    },
}

/// One `fs_data` stanza.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsData {
    /// `FS_NAME`, the mount point.
    pub name: String,
    /// `FS_SIZE` in 512-byte blocks.
    pub size_blocks: u64,
    /// `FS_MIN_SIZE` in 512-byte blocks.
    pub min_size_blocks: u64,
    /// `FS_LV`, e.g. `/dev/hd4`.
    pub lv: String,
    /// JFS or JFS2 and its parameters.
    pub kind: FsKind,
    /// Line of the stanza header.
    pub line: usize,
}

impl FsData {
    /// The LV name (`hd4` for `FS_LV= /dev/hd4`).
    pub fn lv_name(&self) -> &str {
        self.lv.rsplit('/').next().unwrap_or(&self.lv)
    }
}

pub(crate) fn field_err(file: &str, st: &Stanza, key: &str, msg: impl Into<String>) -> StanzaError {
    StanzaError::Field {
        file: file.to_string(),
        line: st.field(key).map_or(st.line, |f| f.line),
        field: key.to_string(),
        message: msg.into(),
    }
}

pub(crate) fn req<'a>(file: &str, st: &'a Stanza, key: &str) -> Result<&'a str, StanzaError> {
    st.get(key).ok_or_else(|| field_err(file, st, key, format!("missing in {}", st.name)))
}

pub(crate) fn num(file: &str, st: &Stanza, key: &str) -> Result<u64, StanzaError> {
    let v = req(file, st, key)?;
    v.trim().parse::<u64>().map_err(|_| field_err(file, st, key, format!("'{v}' is not a whole number")))
}

fn num_or(file: &str, st: &Stanza, key: &str, default: u64) -> Result<u64, StanzaError> {
    match st.get(key) {
        None => Ok(default),
        Some(v) if v.trim().is_empty() => Ok(default),
        Some(_) => num(file, st, key),
    }
}

fn yes(st: &Stanza, key: &str, truthy: &[&str]) -> bool {
    st.get(key).is_some_and(|v| truthy.iter().any(|t| v.trim().eq_ignore_ascii_case(t)))
}

impl ImageData {
    /// Parses image.data text; `file` names it in errors. Typed fields are checked here too, so a file that
    /// parses can be used.
    pub fn parse(file: &str, text: &[u8]) -> Result<Self, StanzaError> {
        let doc = stanza::parse(file, text)?;
        let me = ImageData { file: file.to_string(), doc };
        me.vg_pp_size()?;
        me.source_disks()?;
        me.lvs()?;
        me.filesystems()?;
        Ok(me)
    }

    /// Wraps a stanza file built by the program.
    pub fn from_file(file: &str, doc: StanzaFile) -> Self {
        ImageData { file: file.to_string(), doc }
    }

    /// The lossless file.
    pub fn file(&self) -> &StanzaFile {
        &self.doc
    }

    /// The lossless file, for edits (`-T`, SHRINK, growing an LV).
    pub fn file_mut(&mut self) -> &mut StanzaFile {
        &mut self.doc
    }

    /// The text, byte for byte as parsed when nothing was changed.
    pub fn to_text(&self) -> String {
        self.doc.to_text()
    }

    /// `vg_data VGNAME`.
    pub fn vg_name(&self) -> Option<&str> {
        self.doc.first("vg_data").and_then(|s| s.get("VGNAME"))
    }

    /// `vg_data PPSIZE` in MB.
    pub fn vg_pp_size(&self) -> Result<u64, StanzaError> {
        let st = self.doc.first("vg_data").ok_or_else(|| StanzaError::Syntax {
            file: self.file.clone(),
            line: 0,
            message: "no vg_data stanza".into(),
        })?;
        let v = num(&self.file, st, "PPSIZE")?;
        if v == 0 || !v.is_power_of_two() {
            return Err(field_err(&self.file, st, "PPSIZE", format!("{v} is not a power of two")));
        }
        Ok(v)
    }

    /// `logical_volume_policy SHRINK= yes`.
    pub fn shrink(&self) -> bool {
        self.doc.first("logical_volume_policy").is_some_and(|s| yes(s, "SHRINK", &["yes"]))
    }

    /// `logical_volume_policy EXACT_FIT= yes`.
    pub fn exact_fit(&self) -> bool {
        self.doc.first("logical_volume_policy").is_some_and(|s| yes(s, "EXACT_FIT", &["yes"]))
    }

    /// The `source_disk_data` stanzas.
    pub fn source_disks(&self) -> Result<Vec<SourceDisk>, StanzaError> {
        self.doc.named("source_disk_data").map(|st| disk_of(&self.file, st)).collect()
    }

    /// The `lv_data` stanzas.
    pub fn lvs(&self) -> Result<Vec<LvData>, StanzaError> {
        self.doc.named("lv_data").map(|st| lv_of(&self.file, st)).collect()
    }

    /// The `fs_data` stanzas. The type is JFS when `FS_FS` or `FS_NBPI` is present, else JFS2.
    pub fn filesystems(&self) -> Result<Vec<FsData>, StanzaError> {
        self.doc.named("fs_data").map(|st| fs_of(&self.file, st)).collect()
    }
}

pub(crate) fn disk_of(file: &str, st: &Stanza) -> Result<SourceDisk, StanzaError> {
    Ok(SourceDisk {
        hdiskname: st.get("HDISKNAME").unwrap_or("").to_string(),
        pvid: st.get("PVID").unwrap_or("").to_string(),
        size_mb: num_or(file, st, "SIZE_MB", 0)?,
        location: st.get("LOCATION").unwrap_or("").to_string(),
    })
}

fn lv_of(file: &str, st: &Stanza) -> Result<LvData, StanzaError> {
    let lps = num(file, st, "LPs")?;
    let copies = num_or(file, st, "COPIES", 1)?;
    if !(1..=3).contains(&copies) {
        return Err(field_err(file, st, "COPIES", format!("{copies} is not 1, 2 or 3")));
    }
    Ok(LvData {
        name: req(file, st, "LOGICAL_VOLUME")?.to_string(),
        lv_type: st.get("TYPE").unwrap_or("").to_string(),
        mount_point: st.get("MOUNT_POINT").unwrap_or("").to_string(),
        copies: copies as u32,
        lps,
        pp: num_or(file, st, "PP", lps.saturating_mul(copies))?,
        pp_size_mb: num_or(file, st, "PP_SIZE", 0)?,
        min_lps: num_or(file, st, "LV_MIN_LPS", lps)?,
        separate_pv: yes(st, "LV_SEPARATE_PV", &["yes", "superstrict"]),
        source_disks: st
            .get("LV_SOURCE_DISK_LIST")
            .unwrap_or("")
            .split_whitespace()
            .map(String::from)
            .collect(),
        line: st.line,
    })
}

fn fs_of(file: &str, st: &Stanza) -> Result<FsData, StanzaError> {
    let kind = if st.get("FS_FS").is_some() || st.get("FS_NBPI").is_some() {
        let frag = num_or(file, st, "FS_FS", 4096)?;
        if ![512, 1024, 2048, 4096].contains(&frag) {
            return Err(field_err(file, st, "FS_FS", format!("{frag} is not 512, 1024, 2048 or 4096")));
        }
        let nbpi = num_or(file, st, "FS_NBPI", 4096)?;
        if !(512..=131072).contains(&nbpi) || !nbpi.is_power_of_two() {
            return Err(field_err(file, st, "FS_NBPI", format!("{nbpi} is not a JFS NBPI value")));
        }
        let agsize = num_or(file, st, "FS_AGSIZE", 8)?;
        if ![8, 16, 32, 64].contains(&agsize) {
            return Err(field_err(file, st, "FS_AGSIZE", format!("{agsize} is not 8, 16, 32 or 64")));
        }
        FsKind::Jfs {
            frag: frag as u32,
            nbpi: nbpi as u32,
            compress: st.get("FS_COMPRESS").is_some_and(|v| v.trim().eq_ignore_ascii_case("LZ")),
            bf: yes(st, "FS_BF", &["true", "yes"]),
            agsize_mb: agsize as u32,
        }
    } else {
        let bs = num_or(file, st, "FS_JFS2_BS", 4096)?;
        if ![512, 1024, 2048, 4096].contains(&bs) {
            return Err(field_err(file, st, "FS_JFS2_BS", format!("{bs} is not 512, 1024, 2048 or 4096")));
        }
        FsKind::Jfs2 {
            block_size: bs as u32,
            inline_log: yes(st, "FS_JFS2_INLINELOG", &["yes"]),
            ea_v2: st.get("FS_JFS2_EAFORMAT").map(str::trim) != Some("v1"),
        }
    };
    Ok(FsData {
        name: req(file, st, "FS_NAME")?.to_string(),
        size_blocks: num(file, st, "FS_SIZE")?,
        min_size_blocks: num_or(file, st, "FS_MIN_SIZE", 0)?,
        lv: st.get("FS_LV").unwrap_or("").to_string(),
        kind,
        line: st.line,
    })
}
