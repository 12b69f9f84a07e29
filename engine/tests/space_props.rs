//! Properties of the accountant (proptest): more entries never need less; JFS2 need covers the data in
//! whole blocks; hard links add no data; sparse holes add no data blocks.

use altdisk_engine::entry::{DevId, Entry, EntryData, Kind, Meta};
use altdisk_engine::space::{Accountant, FsNeed, FsTarget, FsType, Jfs2Params, JfsParams};
use proptest::prelude::*;

fn targets() -> Vec<FsTarget> {
    vec![
        FsTarget {
            mount_point: "/".into(),
            fs_type: FsType::Jfs(JfsParams {
                frag: 512,
                nbpi: 4096,
                agsize_mb: 8,
                bf: false,
                compress: false,
            }),
            size: Some(64 << 20),
        },
        FsTarget {
            mount_point: "/d1".into(),
            fs_type: FsType::Jfs2(Jfs2Params { block_size: 4096, inline_log: true, ea_v2: true }),
            size: Some(64 << 20),
        },
    ]
}

#[derive(Clone, Debug)]
struct Spec {
    dir: u8,
    name: String,
    kind: u8,
    size: u64,
    ino: u64,
}

fn spec() -> impl Strategy<Value = Spec> {
    (0u8..3, "[a-z]{1,40}", 0u8..6, 0u64..300_000, 1u64..6).prop_map(|(dir, name, kind, size, ino)| Spec {
        dir,
        name,
        kind,
        size,
        ino,
    })
}

fn make(s: &Spec) -> Entry {
    let name = if s.dir == 0 { format!("./{}", s.name) } else { format!("./d{}/{}", s.dir, s.name) };
    let kind = match s.kind {
        0 | 1 => Kind::File,
        2 => Kind::Dir,
        3 => Kind::Symlink,
        4 => Kind::Fifo,
        _ => Kind::HardLink,
    };
    let mut meta = Meta { size: s.size, nlink: 1, ..Meta::default() };
    if s.kind == 1 {
        // A multiply-linked file: a few inode numbers so some repeat.
        meta.nlink = 2;
        meta.ino = s.ino;
        meta.dev = DevId { major: 8, minor: 2 };
    }
    let link_target = match kind {
        Kind::Symlink => Some(vec![b'x'; (s.size % 400) as usize]),
        Kind::HardLink => Some(b"./a".to_vec()),
        _ => None,
    };
    if kind == Kind::Symlink {
        meta.size = s.size % 400;
    }
    if kind != Kind::File && kind != Kind::Symlink {
        meta.size = 0;
    }
    Entry { name: name.into_bytes(), kind, meta, link_target, data: EntryData::None }
}

fn base() -> Vec<Entry> {
    let d = |n: &str| Entry {
        name: n.as_bytes().to_vec(),
        kind: Kind::Dir,
        meta: Meta::default(),
        link_target: None,
        data: EntryData::None,
    };
    vec![d("."), d("./d1"), d("./d2")]
}

fn run(entries: &[Entry]) -> Vec<FsNeed> {
    let mut a = Accountant::new(targets());
    for e in entries {
        a.add(e);
    }
    a.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn adding_an_entry_never_lowers_the_need(specs in prop::collection::vec(spec(), 0..60), extra in spec()) {
        let mut entries = base();
        entries.extend(specs.iter().map(make));
        let before = run(&entries);
        entries.push(make(&extra));
        let after = run(&entries);
        for (b, a) in before.iter().zip(&after) {
            prop_assert!(a.need_bytes >= b.need_bytes, "{}: {} < {}", b.mount_point, a.need_bytes, b.need_bytes);
            prop_assert!(a.min_size >= b.min_size, "{}: min {} < {}", b.mount_point, a.min_size, b.min_size);
            prop_assert!(a.objects >= b.objects);
        }
    }

    #[test]
    fn jfs2_need_covers_data_in_whole_blocks(sizes in prop::collection::vec(0u64..2_000_000, 0..40)) {
        let mut entries = base();
        for (i, s) in sizes.iter().enumerate() {
            let mut e = make(&Spec { dir: 1, name: format!("f{i}"), kind: 0, size: *s, ino: 0 });
            e.meta.size = *s;
            entries.push(e);
        }
        let n = &run(&entries)[1];
        let want: u64 = sizes.iter().map(|s| s.div_ceil(4096) * 4096).sum();
        prop_assert_eq!(n.data_bytes, want);
        prop_assert!(n.need_bytes >= want);
        prop_assert!(n.min_size >= want);
    }

    #[test]
    fn a_hard_link_adds_no_data(specs in prop::collection::vec(spec(), 0..40), dir in 0u8..3, size in 0u64..500_000) {
        let mut entries = base();
        entries.extend(specs.iter().map(make));
        let mut f = make(&Spec { dir, name: "linked".into(), kind: 1, size, ino: 999 });
        f.meta.size = size;
        entries.push(f);
        let before = run(&entries);
        let mut again = make(&Spec { dir, name: "linked2".into(), kind: 1, size, ino: 999 });
        again.meta.size = size;
        entries.push(again);
        entries.push(make(&Spec { dir, name: "linked3".into(), kind: 5, size, ino: 999 }));
        let after = run(&entries);
        for (b, a) in before.iter().zip(&after) {
            prop_assert_eq!(a.data_bytes, b.data_bytes);
            prop_assert_eq!(a.objects, b.objects);
        }
    }

    #[test]
    fn a_sparse_hole_adds_no_data_blocks(
        segs in prop::collection::vec((0u64..64, 1u64..40_000), 1..10),
        hole in 1u64..10_000_000,
    ) {
        // Segments in order and non-overlapping; the file is over 32 KiB so JFS uses whole blocks.
        let mut off = 0;
        let mut list = Vec::new();
        for (gap_blocks, len) in segs {
            off += gap_blocks * 8192;
            list.push((off, len));
            off += len;
        }
        let size = off.max(40_000);
        let jfs = JfsParams { frag: 4096, nbpi: 4096, agsize_mb: 8, bf: false, compress: false };
        let j2 = Jfs2Params::default();
        let (jd, _) = jfs.file(size, Some(&list));
        let (j2d, _) = j2.file(size, Some(&list));
        // The same data with a hole appended (a larger logical size) allocates nothing more.
        prop_assert_eq!(jfs.file(size + hole, Some(&list)).0, jd);
        prop_assert_eq!(j2.file(size + hole, Some(&list)).0, j2d);
        // And never more than the dense file.
        prop_assert!(j2d <= j2.file(size, None).0);
        prop_assert!(jd <= jfs.file(size, None).0);
        let data: u64 = list.iter().map(|s| s.1).sum();
        prop_assert!(j2d >= data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Sizes and sparse maps from an archive can be anything: no overflow, no panic, need ≥ data.
    #[test]
    fn any_size_and_sparse_map_is_accounted_without_overflow(
        size in any::<u64>(),
        segs in prop::collection::vec((any::<u64>(), any::<u64>()), 0..6),
        bf in any::<bool>(),
    ) {
        let mut segs = segs;
        segs.sort();
        let tg = vec![
            FsTarget {
                mount_point: "/".into(),
                fs_type: FsType::Jfs(JfsParams { frag: 4096, nbpi: 4096, agsize_mb: 8, bf, compress: false }),
                size: Some(u64::MAX),
            },
            FsTarget { mount_point: "/j2".into(), fs_type: FsType::Jfs2(Jfs2Params::default()), size: None },
        ];
        let mut a = Accountant::new(tg);
        for name in ["./f", "./j2/f"] {
            for sparse in [None, Some(segs.clone())] {
                let meta = Meta { size, nlink: 1, sparse: sparse.clone(), ..Meta::default() };
                a.add(&Entry { name: name.as_bytes().to_vec(), kind: Kind::File, meta, link_target: None, data: EntryData::None });
            }
        }
        for n in a.finish() {
            prop_assert!(n.need_bytes >= n.data_bytes);
            prop_assert!(n.min_size >= 512);
        }
    }
}
