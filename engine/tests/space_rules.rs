//! Hand-computed examples for every JFS and JFS2 rule (spec alt-disk.md §4). Each expected number is worked
//! out in the comment next to it.

use altdisk_engine::entry::{DevId, Entry, EntryData, Kind, Meta, Xattr};
use altdisk_engine::space::jfs::{self, JfsParams};
use altdisk_engine::space::jfs2::{self, Jfs2Params};
use altdisk_engine::space::{Accountant, FsTarget, FsType, SpaceError};

const K: u64 = 1024;
const M: u64 = 1024 * 1024;

fn jfs(frag: u32, bf: bool) -> JfsParams {
    JfsParams { frag, nbpi: 4096, agsize_mb: 8, bf, compress: false }
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

// ---- JFS ----

#[test]
fn ibm_132mb_file_with_bf() {
    // IBM: 1024 × 4 KB + 1024 × 128 KB blocks, 2 single-indirect + 1 double-indirect block.
    let (data, ind) = jfs(4096, true).file(132 * M, None);
    assert_eq!(data, 1024 * 4 * K + 1024 * 128 * K);
    assert_eq!(ind, 3 * 4096);
}

#[test]
fn ibm_132mb_file_without_bf() {
    // 33792 blocks of 4 KB; 33 single-indirect (1024 addresses each) + 1 double-indirect.
    let (data, ind) = jfs(4096, false).file(132 * M, None);
    assert_eq!(data, 33792 * 4096);
    assert_eq!(ind, 34 * 4096);
}

#[test]
fn jfs_small_file_tail_in_fragments() {
    // 5000 bytes = one 4 KB block + 904 bytes of tail.
    assert_eq!(jfs(512, false).file(5000, None), (4096 + 1024, 0)); // 2 × 512 fragments
    assert_eq!(jfs(1024, false).file(5000, None), (4096 + 1024, 0)); // 1 × 1024
    assert_eq!(jfs(2048, false).file(5000, None), (4096 + 2048, 0)); // 1 × 2048
    assert_eq!(jfs(4096, false).file(5000, None), (8192, 0));
    // Exactly 32 KiB still has no indirect block (8 direct addresses).
    assert_eq!(jfs(512, false).file(32 * K, None), (32 * K, 0));
    // Empty file: nothing.
    assert_eq!(jfs(512, false).file(0, None), (0, 0));
}

#[test]
fn jfs_files_of_32k_or_more_use_whole_blocks_and_an_indirect_block() {
    // 40000 bytes: 10 whole blocks (40960) even with 512-byte fragments, + 1 single-indirect block.
    assert_eq!(jfs(512, false).file(40000, None), (40960, 4096));
    // 4 MiB exactly: one single-indirect block covers 1024 blocks.
    assert_eq!(jfs(4096, false).file(4 * M, None), (4 * M, 4096));
    // 4 MiB + 1: 1025 blocks -> double-indirect root + 2 indirect blocks.
    assert_eq!(jfs(4096, false).file(4 * M + 1, None), (4 * M + 4096, 3 * 4096));
    // bf, 4 MiB + 1: 1 large block past 4 MiB; indirect = 1 + 1 + 1.
    assert_eq!(jfs(4096, true).file(4 * M + 1, None), (4 * M + 128 * K, 3 * 4096));
}

#[test]
fn jfs_sparse_holes_are_not_counted() {
    // 1 MiB file with data in the first and last 4 KB only: 2 blocks + 1 indirect block.
    let segs = [(0, 4096), (M - 4096, 4096)];
    assert_eq!(jfs(4096, false).file(M, Some(&segs)), (8192, 4096));
    // Small sparse file: 10000 bytes, data only at [8192, 10000): the tail block in fragments of 512.
    let segs = [(8192, 1808)];
    assert_eq!(jfs(512, false).file(10000, Some(&segs)), (2048, 0));
}

#[test]
fn nbpi_ag_fragment_table() {
    // IBM table (spec §4.1): NBPI, minimum AG (MB), smallest fragment, maximum size.
    let g = 1u64 << 30;
    let table = [
        (512, 8, 512, 8 * g),
        (1024, 8, 512, 16 * g),
        (2048, 8, 512, 32 * g),
        (4096, 8, 512, 64 * g),
        (8192, 8, 512, 128 * g),
        (16384, 8, 1024, 256 * g),
        (32768, 16, 2048, 512 * g),
        (65536, 32, 4096, 1024 * g),
        (131072, 64, 4096, 1024 * g),
    ];
    for (nbpi, ag, frag, max) in table {
        assert_eq!(jfs::nbpi_row(nbpi), Some((ag, frag, max)), "nbpi {nbpi}");
        let ok = JfsParams { frag, nbpi, agsize_mb: ag, bf: false, compress: false };
        ok.validate().unwrap();
        if frag > 512 {
            let bad = JfsParams { frag: frag / 2, ..ok };
            assert!(bad.validate().is_err(), "nbpi {nbpi} frag {}", frag / 2);
        }
        if ag > 8 {
            let bad = JfsParams { agsize_mb: ag / 2, ..ok };
            assert!(bad.validate().is_err(), "nbpi {nbpi} ag {}", ag / 2);
        }
    }
    assert_eq!(jfs::nbpi_row(3000), None);
    // Compression needs frag <= 2048; bf needs frag 4096 and no compression.
    let lz = JfsParams { frag: 4096, nbpi: 4096, agsize_mb: 8, bf: false, compress: true };
    assert!(lz.validate().is_err());
    JfsParams { frag: 2048, ..lz }.validate().unwrap();
    assert!(JfsParams { frag: 2048, nbpi: 4096, agsize_mb: 8, bf: true, compress: false }
        .validate()
        .is_err());
    assert!(JfsParams { frag: 4096, nbpi: 4096, agsize_mb: 8, bf: true, compress: true }.validate().is_err());
}

#[test]
fn jfs_inodes_are_preallocated_per_allocation_group() {
    let p = jfs(4096, false);
    // 8 MiB = one 8 MiB AG -> 8 MiB / 4096 = 2048 inodes.
    assert_eq!(p.inodes(8 * M), 2048);
    // 9 MiB -> 2 AGs, the partial one fully pre-allocated: 4096 inodes.
    assert_eq!(p.inodes(9 * M), 4096);
    assert_eq!(p.max_objects(8 * M), 2048 - 16);
    // Fixed metadata of 8 MiB: 2048 × 128 (inode area) + 4 KiB fragment map (2048 frags / 8 = 256 B)
    // + 4 KiB inode map (2048 / 8 = 256 B) + 8 KiB boot block and superblock.
    assert_eq!(p.fixed(8 * M), 262144 + 4096 + 4096 + 8192);
    // The cap: 2^24 inodes whatever the size.
    let p = JfsParams { frag: 4096, nbpi: 512, agsize_mb: 8, bf: false, compress: false };
    assert_eq!(p.inodes(64 * (1 << 30)), 1 << 24);
}

#[test]
fn jfs_directories_pack_512_byte_blocks() {
    // "." and ".." take 24 bytes; a 5-character name takes 8 + 8 = 16 bytes.
    assert_eq!(jfs::dirent_bytes(5), 16);
    assert_eq!(jfs::dirent_bytes(4), 16);
    assert_eq!(jfs::dirent_bytes(3), 12);
    // 40 names of 5 characters: block 1 holds 24 + 30 × 16 = 504, the other 10 go to block 2.
    let t = FsTarget { mount_point: "/".into(), fs_type: FsType::Jfs(jfs(512, false)), size: Some(8 * M) };
    let mut a = Accountant::new(vec![t]);
    a.add(&entry(".", Kind::Dir, 0));
    for i in 0..40 {
        a.add(&entry(&format!("./f{i:04}"), Kind::File, 0));
    }
    let n = a.finish().remove(0);
    assert_eq!(n.dir_bytes, 1024); // 2 blocks of 512, fragments of 512
    assert_eq!(n.objects, 41);
    // The same with 4096-byte fragments: one fragment of 4096.
    let t = FsTarget { mount_point: "/".into(), fs_type: FsType::Jfs(jfs(4096, false)), size: Some(8 * M) };
    let mut a = Accountant::new(vec![t]);
    a.add(&entry(".", Kind::Dir, 0));
    for i in 0..40 {
        a.add(&entry(&format!("./f{i:04}"), Kind::File, 0));
    }
    assert_eq!(a.finish()[0].dir_bytes, 4096);
}

#[test]
fn jfs_symlinks_inline_or_fragments() {
    assert_eq!(jfs(512, false).symlink(32), 0);
    assert_eq!(jfs(512, false).symlink(33), 512);
    assert_eq!(jfs(4096, false).symlink(600), 4096);
}

#[test]
fn jfs_inode_limit_refuses_whatever_the_bytes() {
    // 8 MiB, nbpi 4096: 2048 inodes, 2032 usable. 2040 empty files + "/" = 2041 objects: a few KB of
    // directory blocks, far below 8 MiB, still does not fit.
    let t = FsTarget { mount_point: "/".into(), fs_type: FsType::Jfs(jfs(4096, false)), size: Some(8 * M) };
    let mut a = Accountant::new(vec![t]);
    a.add(&entry(".", Kind::Dir, 0));
    for i in 0..2040 {
        a.add(&entry(&format!("./f{i}"), Kind::File, 0));
    }
    let n = a.finish().remove(0);
    assert!(n.need_bytes < 8 * M);
    match n.check() {
        Err(SpaceError::TooManyObjects { mount_point, objects, inodes, nbpi }) => {
            assert_eq!((mount_point.as_str(), objects, inodes, nbpi), ("/", 2041, 2032, 4096));
        }
        other => panic!("expected TooManyObjects, got {other:?}"),
    }
    // The minimum size gives enough inodes: 2 AGs.
    assert!(n.min_size > 8 * M && n.min_size <= 16 * M, "{}", n.min_size);
}

// ---- JFS2 ----

fn j2(bs: u32) -> Jfs2Params {
    Jfs2Params { block_size: bs, inline_log: false, ea_v2: true }
}

#[test]
fn jfs2_files_take_whole_blocks() {
    assert_eq!(j2(4096).file(5000, None), (8192, 0));
    assert_eq!(j2(512).file(5000, None), (5120, 0));
    assert_eq!(j2(4096).file(0, None), (0, 0));
    // 132 MiB is one extent: no xtree pages, data exactly 132 MiB.
    assert_eq!(j2(4096).file(132 * M, None), (132 * M, 0));
}

#[test]
fn jfs2_holes_not_counted_and_xtree_pages_for_many_extents() {
    // Two 4 KiB segments 1 MiB apart: 2 blocks, 2 extents (fit in the inode).
    let segs = [(0, 4096), (M, 4096)];
    assert_eq!(j2(4096).file(M + 4096, Some(&segs)), (8192, 0));
    // 20 separate segments: 20 extents > 16 -> ceil(4/254) = 1 xtree page.
    let segs: Vec<(u64, u64)> = (0..20).map(|i| (i * 64 * K, 4096)).collect();
    assert_eq!(j2(4096).file(20 * 64 * K, Some(&segs)), (20 * 4096, 4096));
    // Adjacent segments merge into one extent.
    let segs: Vec<(u64, u64)> = (0..20).map(|i| (i * 4096, 4096)).collect();
    assert_eq!(j2(4096).file(20 * 4096, Some(&segs)), (20 * 4096, 0));
    // 16 + 254 + 1 extents -> 2 pages.
    assert_eq!(jfs2::xtree(16 + 254 + 1), 8192);
    assert_eq!(jfs2::xtree(16 + 254), 4096);
}

#[test]
fn jfs2_dtree_slots_and_pages() {
    // Head slot 11 characters, continuation 15: ceil((n+4)/15).
    assert_eq!(jfs2::name_slots(1), 1);
    assert_eq!(jfs2::name_slots(11), 1);
    assert_eq!(jfs2::name_slots(12), 2);
    assert_eq!(jfs2::name_slots(26), 2);
    assert_eq!(jfs2::name_slots(27), 3);
    let p = j2(4096);
    assert_eq!(p.dir(8), 0); // inline in the inode
    assert_eq!(p.dir(9), 4096); // one leaf page
    assert_eq!(p.dir(92), 4096); // 123 × 3/4 = 92 slots per leaf page
    assert_eq!(p.dir(93), 8192);
    // 500 slots: 6 leaf pages; > 4 so one router page (46 keys): 7 pages.
    assert_eq!(p.dir(500), 7 * 4096);
    // 512-byte blocks: 14 × 3/4 = 10 slots per page; 30 slots -> 3 pages of 512.
    assert_eq!(j2(512).dir(30), 3 * 512);
}

#[test]
fn jfs2_symlinks_inline_up_to_255() {
    assert_eq!(j2(4096).symlink(255), 0);
    assert_eq!(j2(4096).symlink(256), 4096);
    assert_eq!(j2(1024).symlink(3000), 3072);
}

#[test]
fn jfs2_inode_extents_and_iags() {
    // 100 objects: ceil(104/32) = 4 extents of 16 KiB + 1 IAG page + 1 control page.
    assert_eq!(j2(4096).inodes(100), 4 * 16384 + 4096 + 4096);
    // 28 objects: 32 with the reserved ones -> exactly 1 extent.
    assert_eq!(j2(4096).inodes(28), 16384 + 4096 + 4096);
    assert_eq!(j2(4096).inodes(29), 2 * 16384 + 4096 + 4096);
}

#[test]
fn jfs2_inline_log_and_block_map() {
    // 1 GiB: 0.4 % = 4294967 bytes -> 5 MiB in whole MiB.
    let inline = Jfs2Params { inline_log: true, ..j2(4096) };
    assert_eq!(inline.log(1 << 30), 5 * M);
    assert_eq!(j2(4096).log(1 << 30), 0);
    // 1 GiB of 4 KiB blocks = 262144 blocks: 32 dmaps, 1 L1 page: 4096 × (1 + 32 + 1 + 1) = 143360;
    // + fixed area 131072 + fsck space 262144/8 = 32768.
    assert_eq!(j2(4096).fixed(1 << 30), 143360 + 131072 + 32768);
    assert_eq!(inline.fixed(1 << 30), 143360 + 131072 + 32768 + 5 * M);
}

#[test]
fn jfs2_extended_attributes() {
    assert_eq!(j2(4096).ea(0), 0);
    assert_eq!(j2(4096).ea(128), 0); // inline in a v2 inode
    assert_eq!(j2(4096).ea(129), 4096);
    let v1 = Jfs2Params { ea_v2: false, ..j2(4096) };
    assert_eq!(v1.ea(60), 4096);
    // Through the accountant: a 200-byte user xattr (name 10 + value 182 + 8 header) costs one block.
    let t = FsTarget { mount_point: "/".into(), fs_type: FsType::Jfs2(j2(4096)), size: None };
    let mut a = Accountant::new(vec![t]);
    let mut e = entry("./f", Kind::File, 1);
    e.meta.xattrs.push(Xattr { name: b"user.abcde".to_vec(), value: vec![7; 182] });
    a.add(&e);
    assert_eq!(a.finish()[0].ea_bytes, 4096);
}

#[test]
fn jfs2_small_tree_total() {
    // "/" dir, 5000-byte file, dir "d", symlink of 10 bytes in d: 4 objects.
    let t = FsTarget { mount_point: "/".into(), fs_type: FsType::Jfs2(j2(4096)), size: Some(16 * M) };
    let mut a = Accountant::new(vec![t]);
    a.add(&entry(".", Kind::Dir, 0));
    a.add(&entry("./a", Kind::File, 5000));
    a.add(&entry("./d", Kind::Dir, 0));
    let mut l = entry("./d/x", Kind::Symlink, 10);
    l.link_target = Some(b"0123456789".to_vec());
    a.add(&l);
    let n = a.finish().remove(0);
    assert_eq!(n.objects, 4);
    assert_eq!(n.data_bytes, 8192);
    assert_eq!(n.dir_bytes, 0); // 2 and 1 slots: inline
    assert_eq!(n.inode_bytes, 16384 + 4096 + 4096); // ceil(8/32) = 1 extent
                                                    // 16 MiB: 4096 blocks, 1 dmap: 4096 × 4 + 131072 + fsck 4096.
    assert_eq!(n.fixed_bytes, 16384 + 131072 + 4096);
    assert_eq!(n.need_bytes, 8192 + 24576 + 151552);
    assert_eq!(n.min_size, 16 * M); // the JFS2 minimum
    n.check().unwrap();
}

// ---- Hard links, prefixes, fit ----

#[test]
fn hard_links_counted_once() {
    let t = FsTarget { mount_point: "/".into(), fs_type: FsType::Jfs2(j2(4096)), size: None };
    let mut a = Accountant::new(vec![t]);
    let mut f = entry("./a", Kind::File, 10000);
    f.meta.nlink = 3;
    f.meta.ino = 77;
    f.meta.dev = DevId { major: 8, minor: 1 };
    a.add(&f);
    let mut again = entry("./b", Kind::File, 10000);
    again.meta = f.meta.clone();
    a.add(&again); // same dev/ino seen as a file again
    let mut hl = entry("./c", Kind::HardLink, 10000);
    hl.link_target = Some(b"./a".to_vec());
    a.add(&hl);
    let n = a.finish().remove(0);
    assert_eq!(n.data_bytes, 12288);
    assert_eq!((n.files, n.hard_links, n.objects), (1, 2, 1));
}

#[test]
fn entries_go_to_the_longest_mount_point() {
    let ty = FsType::Jfs2(j2(4096));
    let mk = |m: &str| FsTarget { mount_point: m.into(), fs_type: ty, size: None };
    let mut a = Accountant::new(vec![mk("/"), mk("/usr"), mk("/usr/local/")]);
    a.add(&entry(".", Kind::Dir, 0));
    a.add(&entry("./usr", Kind::Dir, 0));
    a.add(&entry("./usr/bin", Kind::Dir, 0));
    a.add(&entry("./usr/bin/ls", Kind::File, 4096));
    a.add(&entry("./usr/local", Kind::Dir, 0));
    a.add(&entry("./usr/local/x", Kind::File, 8192));
    a.add(&entry("./usrlocal", Kind::File, 4096 * 3));
    let n = a.finish();
    assert_eq!((n[0].objects, n[0].data_bytes), (2, 3 * 4096)); // "/", /usrlocal
    assert_eq!((n[1].objects, n[1].data_bytes), (3, 4096)); // /usr, /usr/bin, ls
    assert_eq!((n[2].mount_point.as_str(), n[2].objects, n[2].data_bytes), ("/usr/local", 2, 8192));
}

#[test]
fn fit_refusal_names_mount_point_need_and_have() {
    let t = FsTarget { mount_point: "/home".into(), fs_type: FsType::Jfs2(j2(4096)), size: Some(16 * M) };
    let mut a = Accountant::new(vec![t]);
    a.add(&entry("./home", Kind::Dir, 0));
    a.add(&entry("./home/big", Kind::File, 20 * M));
    let n = a.finish().remove(0);
    let e = n.check().unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(&format!("/home: need {} bytes, have {} bytes", n.need_bytes, 16 * M)), "{msg}");
    assert!(n.need_bytes > 20 * M);
    // The minimum size holds it.
    n.at_size(n.min_size).check().unwrap();
    assert!(n.at_size(n.min_size - 512).check().is_err());
}
