//! Round-trip properties: every generated image.data, and any stanza-shaped text, parses and writes back
//! byte for byte.

use altdisk_engine::imagedata::{self, ImageData};
use altdisk_engine::space::mkszfile::SystemInfo;
use altdisk_engine::space::{mkszfile, DiskDesc, FsDesc, LvDesc, VgDesc};
use altdisk_engine::space::{FsType, Jfs2Params, JfsParams};
use proptest::prelude::*;

fn lv_strategy() -> impl Strategy<Value = (String, u8, u64, u32, bool, u64, u32)> {
    ("[a-z][a-z0-9]{0,10}", 0u8..6, 1u64..2000, 1u32..4, any::<bool>(), 1u64..100_000_000, 0u32..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn generated_image_data_round_trips(
        lvs in prop::collection::vec(lv_strategy(), 0..12),
        disks in prop::collection::vec(1u64..100_000, 1..4),
        pp_exp in 0u32..11,
        text in "[ -~]{0,30}",
    ) {
        let pp = 1u64 << pp_exp;
        let lv_descs: Vec<LvDesc> = lvs
            .iter()
            .enumerate()
            .map(|(i, (name, ty, lps, copies, mounted, blocks, frag))| {
                let types = ["boot", "paging", "jfs2log", "jfs", "jfs2", "sysdump"];
                let lv_type = types[*ty as usize].to_string();
                let fs_type = if lv_type == "jfs" {
                    FsType::Jfs(JfsParams { frag: 512 << frag, ..JfsParams::default() })
                } else {
                    FsType::Jfs2(Jfs2Params { block_size: 512 << frag, ..Jfs2Params::default() })
                };
                let is_fs = lv_type == "jfs" || lv_type == "jfs2";
                LvDesc {
                    // LV names are unique within a volume group.
                    name: format!("{name}{i}"),
                    lv_type,
                    minor: i as u32 + 1,
                    lps: *lps,
                    copies: *copies,
                    mount_point: if is_fs && *mounted { format!("/fs{i}") } else { String::new() },
                    label: None,
                    intra_policy: None,
                    max_lps: 512,
                    fs: (is_fs && *mounted).then_some(FsDesc { size_blocks: *blocks, fs_type }),
                }
            })
            .collect();
        let vg = VgDesc {
            name: "rootvg".into(),
            vgid: "00f6db0a00004c00".into(),
            pp_size_mb: pp,
            disks: disks
                .iter()
                .enumerate()
                .map(|(i, mb)| DiskDesc { name: format!("hdisk{i}"), size_mb: *mb, ..DiskDesc::default() })
                .collect(),
            lvs: lv_descs,
            system: SystemInfo { date_time: text.clone(), uname: text.trim().to_string(), ..SystemInfo::default() },
            tmp_extra_blocks: 0,
        };
        let out = mkszfile(&vg, &[]).to_text();
        let parsed = ImageData::parse("gen", out.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(parsed.to_text(), out.clone());
        // Every mounted file system has an fs_data, with LV_MIN_LPS in whole PPs of FS_MIN_SIZE.
        let fss = parsed.filesystems().unwrap();
        let lvs = parsed.lvs().unwrap();
        for f in &fss {
            let lv = lvs.iter().find(|l| l.name == f.lv_name()).unwrap();
            prop_assert_eq!(lv.min_lps, f.min_size_blocks.div_ceil(2048).div_ceil(pp).max(1));
        }
    }

    #[test]
    fn stanza_shaped_text_round_trips(
        lines in prop::collection::vec(
            prop_oneof![
                "[a-z_]{1,12}:( +# [ -~]{0,10})?",
                "[\t ]{1,3}[A-Z_]{1,12} ?=( [ -~]{0,20})?",
                "##[ -~]{0,20}",
                "[ \t]{0,3}",
            ],
            0..30,
        ),
        crlf in any::<bool>(),
        final_nl in any::<bool>(),
    ) {
        let sep = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(sep);
        if final_nl {
            text.push_str(sep);
        }
        match imagedata::parse("p", text.as_bytes()) {
            Ok(f) => prop_assert_eq!(f.to_text(), text.clone()),
            // Only a field before any stanza header is refused by this grammar.
            Err(e) => prop_assert!(e.to_string().contains("field outside any stanza"), "{}", e),
        }
        prop_assert!(imagedata::fuzz_check(text.as_bytes()).is_ok());
    }
}
