//! `-T`: the JFS→JFS2 conversion of image.data (spec alt-disk.md §4.5), an edit of the stanzas alone; the
//! space checks that follow it are in `space`.

use super::ImageData;

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
