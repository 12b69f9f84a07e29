//! mkszfile: image.data generated from a volume-group description and the needs of its trees.

use altdisk_engine::entry::{Entry, EntryData, Kind, Meta};
use altdisk_engine::imagedata::{ImageData, Item, StanzaFile};
use altdisk_engine::space::mkszfile::{image_data_blocks, SystemInfo};
use altdisk_engine::space::{mkszfile, DiskDesc, FsDesc, LvDesc, VgDesc};
use altdisk_engine::space::{Accountant, FsNeed, FsTarget, FsType, Jfs2Params, JfsParams};

const SAMPLE: &[u8] = include_bytes!("../../testdata/imagedata/sample72.image.data");

fn lv(name: &str, ty: &str, minor: u32, lps: u64, mp: &str, fs: Option<FsDesc>) -> LvDesc {
    LvDesc {
        name: name.into(),
        lv_type: ty.into(),
        minor,
        lps,
        copies: 1,
        mount_point: mp.into(),
        label: None,
        intra_policy: None,
        max_lps: 512,
        fs,
    }
}

fn vg() -> VgDesc {
    let jfs2 = FsType::Jfs2(Jfs2Params::default());
    let jfs = FsType::Jfs(JfsParams::default());
    VgDesc {
        name: "rootvg".into(),
        vgid: "00f6db0a00004c000000016b94f02c9d".into(),
        pp_size_mb: 32,
        disks: vec![DiskDesc {
            name: "hdisk0".into(),
            pvid: "00f6db0acc7aece5".into(),
            size_mb: 20480,
            physical_location: "U9009.42A.1234567-V5-C2-T1-L8100000000000000".into(),
            connection: "vscsi0//810000000000".into(),
            location: String::new(),
        }],
        lvs: vec![
            lv("hd5", "boot", 1, 1, "", None),
            lv("hd8", "jfs2log", 8, 1, "", None),
            lv("hd4", "jfs2", 4, 8, "/", Some(FsDesc { size_blocks: 524288, fs_type: jfs2 })),
            lv("hd1", "jfs", 3, 1, "/home", Some(FsDesc { size_blocks: 65536, fs_type: jfs })),
            // A file-system LV that is not mounted: skipped entirely, as mkszfile does.
            lv("fslv00", "jfs2", 14, 4, "", None),
            lv("hd3", "jfs2", 7, 8, "/tmp", Some(FsDesc { size_blocks: 524288, fs_type: jfs2 })),
        ],
        system: SystemInfo {
            date_time: "Tue Mar 12 10:14:03 CDT 2024".into(),
            uname: "AIX aixlpar1 2 7 00F6DB0A4C00".into(),
            user_vgs: "datavg".into(),
            oslevel: "7.2.5.0".into(),
            lang: "en_US".into(),
        },
        tmp_extra_blocks: 20000,
    }
}

fn need(mp: &str, fs_type: FsType, min_size: u64) -> FsNeed {
    let mut a = Accountant::new(vec![FsTarget { mount_point: mp.into(), fs_type, size: None }]);
    a.add(&Entry {
        name: b".".to_vec(),
        kind: Kind::Dir,
        meta: Meta::default(),
        link_target: None,
        data: EntryData::None,
    });
    let mut n = a.finish().remove(0);
    n.min_size = min_size;
    n
}

fn stanza_text(f: &StanzaFile, name: &str, key: &str, value: &str) -> String {
    let st = f.named(name).find(|s| s.get(key) == Some(value)).unwrap().clone();
    StanzaFile { items: vec![Item::Stanza(st)], final_newline: true }.to_text()
}

#[test]
fn image_data_estimate() {
    // 550 + 160 + 570 × 5 + 100 × 3 = 3860 bytes -> 8 blocks -> 8.
    assert_eq!(image_data_blocks(1, 5, 3), 8);
    // 550 + 160 × 2 + 570 × 12 + 100 × 9 = 8610 bytes -> 17 blocks -> 24.
    assert_eq!(image_data_blocks(2, 12, 9), 24);
}

#[test]
fn generated_sample_matches_the_aix_layout() {
    let v = vg();
    // Five LVs kept (fslv00 skipped), three file systems: the image.data estimate is 8 blocks.
    let idata = image_data_blocks(1, 5, 3);
    let jfs2 = FsType::Jfs2(Jfs2Params::default());
    let needs = vec![
        need("/", jfs2, (296112 - idata) * 512),
        need("/home", FsType::Jfs(JfsParams::default()), 1184 * 512),
        need("/tmp", jfs2, 1000 * 512),
    ];
    let img = mkszfile(&v, &needs);
    let text = img.to_text();
    // Parses and round-trips.
    let parsed = ImageData::parse("gen", text.as_bytes()).unwrap();
    assert_eq!(parsed.to_text(), text);
    // The stanzas AIX writes, in AIX order.
    let order: Vec<&str> = parsed.file().stanzas().map(|s| s.name.as_str()).collect();
    assert_eq!(
        order,
        [
            "image_data",
            "logical_volume_policy",
            "ils_data",
            "vg_data",
            "source_disk_data",
            "lv_data",
            "lv_data",
            "lv_data",
            "lv_data",
            "lv_data",
            "fs_data",
            "fs_data",
            "fs_data",
            "post_install_data"
        ]
    );
    // The header up to the first lv_data is the sample's, byte for byte.
    let sample = String::from_utf8(SAMPLE.to_vec()).unwrap();
    let head = &sample[..sample.find("lv_data:").unwrap()];
    assert!(text.starts_with(head), "{text}");
    // hd5, hd8 and hd4 lv_data and the / and /home fs_data are the sample's, byte for byte
    // (hd4: FS_MIN_SIZE 296112 -> LV_MIN_LPS 5).
    let sf = ImageData::parse("s", SAMPLE).unwrap();
    for lvname in ["hd5", "hd8", "hd4"] {
        assert_eq!(
            stanza_text(parsed.file(), "lv_data", "LOGICAL_VOLUME", lvname),
            stanza_text(sf.file(), "lv_data", "LOGICAL_VOLUME", lvname)
        );
    }
    for fs in ["/", "/home"] {
        assert_eq!(
            stanza_text(parsed.file(), "fs_data", "FS_NAME", fs),
            stanza_text(sf.file(), "fs_data", "FS_NAME", fs)
        );
    }
    // /tmp: used + image.data estimate + boot image and maps.
    let tmp = parsed.filesystems().unwrap().into_iter().find(|f| f.name == "/tmp").unwrap();
    assert_eq!(tmp.min_size_blocks, 1000 + idata + 20000);
    let hd3 = parsed.lvs().unwrap().into_iter().find(|l| l.name == "hd3").unwrap();
    assert_eq!(hd3.min_lps, 1); // 21008 blocks = 10.3 MB -> 11 MB -> 1 PP
    assert!(text.ends_with("post_install_data:\n\tBOSINST_FILE=\n"));
}

#[test]
fn generated_min_size_comes_from_the_accountant() {
    let v = vg();
    let jfs2 = FsType::Jfs2(Jfs2Params::default());
    let mut a = Accountant::new(vec![
        FsTarget { mount_point: "/".into(), fs_type: jfs2, size: None },
        FsTarget { mount_point: "/home".into(), fs_type: FsType::Jfs(JfsParams::default()), size: None },
    ]);
    for (n, k, s) in [(".", Kind::Dir, 0), ("./home", Kind::Dir, 0), ("./home/a", Kind::File, 100 << 20)] {
        a.add(&Entry {
            name: n.as_bytes().to_vec(),
            kind: k,
            meta: Meta { size: s, nlink: 1, ..Meta::default() },
            link_target: None,
            data: EntryData::None,
        });
    }
    let needs = a.finish();
    let home_min = needs[1].min_size.div_ceil(512);
    let img = mkszfile(&v, &needs);
    let parsed = ImageData::parse("gen", img.to_text().as_bytes()).unwrap();
    let home = parsed.filesystems().unwrap().into_iter().find(|f| f.name == "/home").unwrap();
    assert_eq!(home.min_size_blocks, home_min);
    assert!(home_min > (100 << 20) / 512);
    let hd1 = parsed.lvs().unwrap().into_iter().find(|l| l.name == "hd1").unwrap();
    assert_eq!(hd1.min_lps, home_min.div_ceil(2048).div_ceil(32));
    // No need for /tmp: FS_MIN_SIZE falls back to FS_SIZE plus the extras.
    let tmp = parsed.filesystems().unwrap().into_iter().find(|f| f.name == "/tmp").unwrap();
    assert_eq!(tmp.min_size_blocks, 524288 + image_data_blocks(1, 5, 3) + 20000);
}
