//! The benchmark tree generator: deterministic, and it really contains the hard cases it promises.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use altdisk_engine::bench::compare::{compare_trees, CompareOptions};
use altdisk_engine::bench::gen::generate_tree;

/// Relative path -> (type bits, mode, size, content hash or link target).
fn listing(root: &Path) -> BTreeMap<PathBuf, (u32, u32, u64, String)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let p = root.join(&rel);
        let md = std::fs::symlink_metadata(&p).unwrap();
        let extra = if md.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(rel.join(e.unwrap().file_name()));
            }
            String::new()
        } else if md.file_type().is_symlink() {
            std::fs::read_link(&p).unwrap().display().to_string()
        } else if md.is_file() {
            let data = std::fs::read(&p).unwrap();
            let mut h: u64 = 0xcbf29ce484222325;
            for b in data {
                h = (h ^ b as u64).wrapping_mul(0x100000001b3);
            }
            format!("{h:016x}")
        } else {
            String::new()
        };
        out.insert(rel, (md.mode() & 0o170000, md.mode() & 0o7777, md.size(), extra));
    }
    out
}

#[test]
fn same_seed_gives_the_same_tree_and_another_seed_does_not() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = (t.path().join("a"), t.path().join("b"), t.path().join("c"));
    let sa = generate_tree(&a, 400, 7).unwrap();
    let sb = generate_tree(&b, 400, 7).unwrap();
    let sc = generate_tree(&c, 400, 8).unwrap();
    assert_eq!(sa, sb);
    assert_eq!(listing(&a), listing(&b));
    let diffs = compare_trees(&a, &b, &CompareOptions::default()).unwrap();
    assert!(diffs.is_empty(), "{diffs:?}");
    assert_ne!(listing(&a), listing(&c));
    assert!(!compare_trees(&a, &c, &CompareOptions::default()).unwrap().is_empty());
    assert_eq!(sa.files, sc.files, "the seed changes contents, not the counts");
}

#[test]
fn tree_has_every_hard_case() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("src");
    let st = generate_tree(&root, 500, 1).unwrap();
    let list = listing(&root);
    let files = list.iter().filter(|(_, v)| v.0 == 0o100000).count() as u64;
    assert_eq!(files, st.files + st.hardlinks, "every regular name is counted once per inode or link");
    assert!(st.files >= 500 && st.files <= 502, "{st:?}");
    assert!(st.hardlinks >= 2 && st.symlinks >= 3 && st.setid >= 1, "{st:?}");
    assert_eq!(st.fifos, 1);
    assert_eq!(st.sparse, 1);

    // Hard links: some inode has 3 names.
    let nlinks: Vec<u64> =
        list.keys().map(|p| std::fs::symlink_metadata(root.join(p)).unwrap().nlink()).collect();
    assert!(nlinks.contains(&3));

    // The sparse file allocates far less than its size.
    let sp = std::fs::metadata(root.join("var/adm/sparse.img")).unwrap();
    assert_eq!(sp.size(), 64 << 20);
    assert!(sp.blocks() * 512 < 1 << 20, "allocated {}", sp.blocks() * 512);

    // A dangling symlink, an absolute one, a fifo, setuid and setgid files, a sticky directory.
    assert!(std::fs::symlink_metadata(root.join("usr/lib/libgone.so")).is_ok());
    assert!(std::fs::metadata(root.join("usr/lib/libgone.so")).is_err());
    assert!(list.values().any(|v| v.0 == 0o120000 && v.3.starts_with('/')));
    assert!(std::fs::symlink_metadata(root.join("var/spool/qdaemon.fifo")).unwrap().file_type().is_fifo());
    assert!(list.values().any(|v| v.0 == 0o100000 && v.1 & 0o4000 != 0));
    assert!(list.values().any(|v| v.0 == 0o100000 && v.1 & 0o2000 != 0));
    assert_eq!(list[Path::new("tmp")].1, 0o1777);

    // Nanosecond mtimes.
    assert!(list.keys().any(|p| std::fs::symlink_metadata(root.join(p)).unwrap().mtime_nsec() != 0));

    // Xattrs, where the filesystem takes them.
    if st.xattrs_refused == 0 {
        assert!(st.xattrs > 0);
        let with =
            list.keys().filter(|p| xattr_names(&root.join(p)).iter().any(|n| n == "user.checksum")).count()
                as u64;
        assert!(with > 0 && with <= st.xattrs + st.hardlinks);
    }
    // Other owners, when root.
    if rustix::process::geteuid().is_root() {
        assert!(st.chowned > 0);
        assert!(list.keys().any(|p| std::fs::symlink_metadata(root.join(p)).unwrap().uid() == 203));
    }
}

fn xattr_names(p: &Path) -> Vec<String> {
    let mut buf = vec![0u8; 4096];
    let n = rustix::fs::llistxattr(p, &mut buf[..]).unwrap_or(0);
    buf[..n]
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}
