//! The floor copy keeps content and tree shape (and nothing more, which the fidelity check reports).

use std::path::Path;

use altdisk_engine::bench::compare::{compare_trees, CompareOptions, DiffKind, TimePrecision};
use altdisk_engine::bench::floor::floor_copy;
use altdisk_engine::bench::gen::generate_tree;

fn shape_only() -> CompareOptions {
    CompareOptions {
        owners: false,
        mtime: TimePrecision::Ignore,
        dir_mtime: false,
        content: true,
        xattrs: false,
        hardlinks: false,
        sparse_slack: None,
        max_differences: 100_000,
        ..CompareOptions::default()
    }
}

#[test]
fn floor_copies_content_and_shape() {
    let t = tempfile::tempdir().unwrap();
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    let g = generate_tree(&src, 300, 3).unwrap();
    let st = floor_copy(&src, &dst, 2).unwrap();
    assert_eq!(st.files, g.files + g.hardlinks, "each hard-link name is copied as its own file");
    assert_eq!(st.symlinks, g.symlinks);
    assert_eq!(st.dirs, g.dirs);
    assert_eq!(st.skipped, 1, "the fifo");
    let diffs: Vec<_> = compare_trees(&src, &dst, &shape_only())
        .unwrap()
        .into_iter()
        .filter(|d| d.kind != DiffKind::Mode)
        .collect();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(diffs[0].kind, DiffKind::Missing);
    assert_eq!(diffs[0].path, Path::new("var/spool/qdaemon.fifo"));
}

#[test]
fn floor_keeps_no_metadata_and_the_check_says_so() {
    let t = tempfile::tempdir().unwrap();
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    generate_tree(&src, 200, 4).unwrap();
    std::fs::create_dir(&dst).unwrap(); // an existing empty target is fine
    floor_copy(&src, &dst, 1).unwrap();
    let diffs = compare_trees(&src, &dst, &CompareOptions::default()).unwrap();
    let kinds: std::collections::BTreeSet<DiffKind> = diffs.iter().map(|d| d.kind).collect();
    assert!(kinds.contains(&DiffKind::Mtime));
    assert!(kinds.contains(&DiffKind::HardLinks));
    assert!(kinds.contains(&DiffKind::Missing));
    assert!(!kinds.contains(&DiffKind::Content) && !kinds.contains(&DiffKind::Size));
    assert!(!kinds.contains(&DiffKind::SymlinkTarget));
}

#[test]
fn floor_reports_a_missing_source() {
    let t = tempfile::tempdir().unwrap();
    let e = floor_copy(&t.path().join("nope"), &t.path().join("dst"), 2).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}
