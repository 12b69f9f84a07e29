//! Fit checks against image.data: file-system sizes, -T conversion and growth, PPs on the target disks,
//! LV names (spec alt-disk.md §3.3, §4.5).

use altdisk_engine::entry::{Entry, EntryData, Kind, Meta};
use altdisk_engine::imagedata::{FsKind, ImageData};
use altdisk_engine::space::plan::{lv_min_lps, usable_pps};
use altdisk_engine::space::{
    check_lv_names, convert_to_jfs2, plan, targets_from_image, Accountant, FsType, PlanOptions, SpaceError,
};

const SAMPLE: &[u8] = include_bytes!("../../testdata/imagedata/sample72.image.data");
const M: u64 = 1 << 20;

fn sample() -> ImageData {
    ImageData::parse("sample72.image.data", SAMPLE).unwrap()
}

fn entry(name: &str, kind: Kind, size: u64) -> Entry {
    Entry {
        name: name.as_bytes().to_vec(),
        kind,
        meta: Meta { size, nlink: 1, ..Meta::default() },
        link_target: None,
        data: EntryData::None,
    }
}

fn disk(mb: u64) -> Vec<(String, u64)> {
    vec![("hdisk1".to_string(), mb)]
}

#[test]
fn lv_min_lps_of_the_sample() {
    // hd4: 296112 blocks = 144.6 MB -> 145 MB -> ceil(145/32) = 5.
    assert_eq!(lv_min_lps(296112, 32), 5);
    assert_eq!(lv_min_lps(1184, 32), 1);
    assert_eq!(lv_min_lps(0, 32), 1);
    assert_eq!(lv_min_lps(65536, 32), 1); // exactly 32 MB
    assert_eq!(lv_min_lps(65537, 32), 2);
    // Usable PPs: 20480 MB / 32 MB - 1 = 639; 40960 / 64 - 1 = 639 (the AIX data points).
    assert_eq!(usable_pps(20480, 32), 639);
    assert_eq!(usable_pps(40960, 64), 639);
}

#[test]
fn targets_from_the_sample() {
    let t = targets_from_image(&sample()).unwrap();
    assert_eq!(t.len(), 8);
    assert_eq!(t[0].mount_point, "/");
    assert_eq!(t[0].size, Some(524288 * 512));
    assert_eq!(t[1].mount_point, "/home");
    assert!(matches!(t[1].fs_type, FsType::Jfs(p) if p.frag == 4096 && p.nbpi == 4096 && p.agsize_mb == 8));
}

#[test]
fn empty_trees_fit_the_sample_on_its_disk() {
    let mut img = sample();
    let a = Accountant::new(targets_from_image(&img).unwrap());
    let p = plan(&mut img, a.finish(), &disk(20480), &[], PlanOptions::default()).unwrap();
    assert!(p.fits(), "{:?}", p.problems);
    // 1+1+8+16+96+16+8+1+1+12+4+32+8 = 204 PPs on one disk of 639 usable.
    assert_eq!(p.disks[0].usable_pps, 639);
    assert_eq!(p.disks[0].used_pps, 204);
    assert_eq!(p.lvs.len(), 13);
}

#[test]
fn too_small_disk_refuses_naming_the_lv() {
    let mut img = sample();
    let a = Accountant::new(targets_from_image(&img).unwrap());
    // 4096 MB / 32 - 1 = 127 usable PPs: hd5 1 + hd8 1 + hd4 8 + hd6 16 = 26, then hd2 needs 96 -> 122,
    // hd9var 16 -> 138 > 127: hd9var is refused.
    let p = plan(&mut img, a.finish(), &disk(4096), &[], PlanOptions::default()).unwrap();
    assert!(!p.fits());
    assert!(p.problems[0].starts_with("logical volume hd9var: needs 16 PPs"), "{:?}", p.problems);
    assert!(matches!(p.check(), Err(SpaceError::NoPps { lv, .. }) if lv == "hd9var"));
}

#[test]
fn shrink_uses_lv_min_lps() {
    let text = String::from_utf8(SAMPLE.to_vec()).unwrap().replace("SHRINK= no", "SHRINK= yes");
    let mut img = ImageData::parse("t", text.as_bytes()).unwrap();
    let a = Accountant::new(targets_from_image(&img).unwrap());
    let p = plan(&mut img, a.finish(), &disk(20480), &[], PlanOptions::default()).unwrap();
    let hd4 = p.lvs.iter().find(|l| l.name == "hd4").unwrap();
    assert_eq!(hd4.lps, 5);
    assert!(p.shrink);
}

#[test]
fn mirrored_copies_need_separate_disks() {
    let text = String::from_utf8(SAMPLE.to_vec()).unwrap();
    // Mirror hd4 (COPIES 2, PP 16).
    let i = text.find("LOGICAL_VOLUME= hd4").unwrap();
    let j = i + text[i..].find("COPIES= 1").unwrap();
    let text = format!("{}COPIES= 2{}", &text[..j], &text[j + "COPIES= 1".len()..]);
    let mut img = ImageData::parse("t", text.as_bytes()).unwrap();
    let a = Accountant::new(targets_from_image(&img).unwrap());
    let p = plan(&mut img, a.finish(), &disk(20480), &[], PlanOptions::default()).unwrap();
    assert_eq!(p.problems, ["logical volume hd4: 2 copies must be on separate disks, only 1 target disk(s)"]);
    // Two disks: the copies go one to each.
    let mut img = ImageData::parse("t", text.as_bytes()).unwrap();
    let a = Accountant::new(targets_from_image(&img).unwrap());
    let disks = vec![("hdisk1".to_string(), 20480), ("hdisk2".to_string(), 20480)];
    let p = plan(&mut img, a.finish(), &disks, &[], PlanOptions::default()).unwrap();
    assert!(p.fits(), "{:?}", p.problems);
    assert_eq!(p.disks[0].used_pps + p.disks[1].used_pps, 204 + 8);
}

#[test]
fn lv_names_longer_than_11_are_refused_up_front() {
    let text = String::from_utf8(SAMPLE.to_vec())
        .unwrap()
        .replace("LOGICAL_VOLUME= livedump", "LOGICAL_VOLUME= livedump_lv0");
    let mut img = ImageData::parse("t", text.as_bytes()).unwrap();
    let e = check_lv_names(&img).unwrap_err();
    assert_eq!(
        e.to_string(),
        "logical volume name livedump_lv0 is 12 characters; at most 11 are allowed (alt_ prefix + 15-character LVM limit)"
    );
    assert!(plan(&mut img, Vec::new(), &[], &[], PlanOptions::default()).is_err());
    check_lv_names(&sample()).unwrap(); // hd11admin and lg_dumplv are 9 characters
}

#[test]
fn home_does_not_fit_names_mount_point() {
    let mut img = sample();
    let mut a = Accountant::new(targets_from_image(&img).unwrap());
    a.add(&entry("./home", Kind::Dir, 0));
    a.add(&entry("./home/big", Kind::File, 40 * M));
    let p = plan(&mut img, a.finish(), &disk(20480), &[], PlanOptions::default()).unwrap();
    assert!(!p.fits());
    let home = p.filesystems.iter().find(|f| f.need.mount_point == "/home").unwrap();
    assert!(!home.fits);
    assert!(p.problems[0].starts_with("/home: need "), "{:?}", p.problems);
    assert!(p.problems[0].contains(&format!("have {} bytes", 65536 * 512)));
}

#[test]
fn dash_t_converts_jfs_fields_as_aix_orders_them() {
    let mut img = sample();
    let c = convert_to_jfs2(&mut img);
    assert_eq!(c.converted, ["/home"]);
    assert_eq!(c.lvs, ["hd1", "loglv00"]);
    let text = img.to_text();
    let want = "fs_data:\n\tFS_NAME= /home\n\tFS_SIZE= 65536\n\tFS_MIN_SIZE= 1184\n\tFS_LV= /dev/hd1\n\
                \tFS_JFS2_BS= 4096\n\tFS_JFS2_SPARSE= yes\n\tFS_JFS2_INLINELOG= no\n\tFS_JFS2_SIZEINODETABLE=\n\
                \tFS_JFS2_EAFORMAT= v2\n\tFS_JFS2_QUOTA= no\n\tFS_JFS2_DMAPI= no\n\tFS_JFS2_VIX= yes\n\
                \tFS_JFS2_EFS= no\n\tFS_IMAGE_TYPE=\n\tFS_JFS2_MAXEXT= 0\n\tFS_JFS2_MOUNTGUARD= no\n\n";
    assert!(text.contains(want), "{text}");
    assert!(!text.contains("FS_NBPI"));
    assert!(!text.contains("TYPE= jfs\n") && !text.contains("TYPE= jfslog\n"));
    // Everything else is unchanged, and the result parses and round-trips.
    let again = ImageData::parse("t", text.as_bytes()).unwrap();
    assert_eq!(again.to_text(), text);
    let home = again.filesystems().unwrap().into_iter().find(|f| f.name == "/home").unwrap();
    assert_eq!(home.kind, FsKind::Jfs2 { block_size: 4096, inline_log: false, ea_v2: true });
    assert_eq!(again.lvs().unwrap()[8].lv_type, "jfs2log");
}

#[test]
fn dash_t_keeps_the_fragment_size_as_block_size() {
    let text = String::from_utf8(SAMPLE.to_vec()).unwrap().replace("FS_FS= 4096", "FS_FS= 512");
    let mut img = ImageData::parse("t", text.as_bytes()).unwrap();
    convert_to_jfs2(&mut img);
    assert!(img.to_text().contains("FS_LV= /dev/hd1\n\tFS_JFS2_BS= 512\n"));
}

/// 7500 files of 4 KiB fit the 32 MB JFS /home (30.7 MB data + 1 MiB of pre-allocated inodes + directory
/// blocks, about 31.9 MB), but not as JFS2 (235 inode extents = 3.85 MB, 84 dtree pages, fixed area: about
/// 35.1 MB): -T grows it by one PP when the disk has the PPs, and refuses when it has not.
#[test]
fn dash_t_grows_a_converted_fs_or_refuses() {
    let tree = |a: &mut Accountant| {
        a.add(&entry("./home", Kind::Dir, 0));
        for i in 0..7500 {
            a.add(&entry(&format!("./home/f{i}"), Kind::File, 4096));
        }
    };
    // As JFS it fits.
    let mut img = sample();
    let mut a = Accountant::new(targets_from_image(&img).unwrap());
    tree(&mut a);
    let p = plan(&mut img, a.finish(), &disk(20480), &[], PlanOptions::default()).unwrap();
    assert!(p.fits(), "{:?}", p.problems);

    // Converted: needs more than 32 MB -> grown to 2 PPs.
    let mut img = sample();
    let c = convert_to_jfs2(&mut img);
    let mut a = Accountant::new(targets_from_image(&img).unwrap());
    tree(&mut a);
    let needs = a.finish();
    let home = needs.iter().find(|n| n.mount_point == "/home").unwrap();
    assert!(home.need_bytes > 32 * M, "{}", home.need_bytes);
    let opts = PlanOptions { grow_converted: true, skip_check: false };
    let p = plan(&mut img, needs.clone(), &disk(20480), &c.converted, opts).unwrap();
    assert!(p.fits(), "{:?}", p.problems);
    let f = p.filesystems.iter().find(|f| f.need.mount_point == "/home").unwrap();
    assert_eq!(f.grown_from, Some(32 * M));
    assert_eq!(f.need.size, Some(64 * M));
    let text = img.to_text();
    assert!(text.contains("FS_NAME= /home\n\tFS_SIZE= 131072\n"), "{text}");
    let hd1 = img.lvs().unwrap().into_iter().find(|l| l.name == "hd1").unwrap();
    assert_eq!((hd1.lps, hd1.pp), (2, 2));

    // Without growth it is refused.
    let mut img2 = sample();
    convert_to_jfs2(&mut img2);
    let p = plan(&mut img2, needs.clone(), &disk(20480), &c.converted, PlanOptions::default()).unwrap();
    assert!(!p.fits());

    // Grown, but the disk has no room for the extra PP: refused in the disk plan (205 PPs > 204 usable).
    let mut img3 = sample();
    convert_to_jfs2(&mut img3);
    let p = plan(&mut img3, needs.clone(), &disk(32 * 205), &c.converted, opts).unwrap();
    assert!(!p.fits());
    assert!(p.problems.iter().any(|m| m.starts_with("logical volume ")), "{:?}", p.problems);

    // -S: nothing is checked.
    let mut img4 = sample();
    convert_to_jfs2(&mut img4);
    let skip = PlanOptions { grow_converted: true, skip_check: true };
    let p = plan(&mut img4, needs, &disk(1000), &c.converted, skip).unwrap();
    assert!(p.fits());
}
