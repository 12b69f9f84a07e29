//! Behaviour of the exclude-list API: warnings, errors with file:line, explain, merge, subtree pruning.

use altdisk_engine::exclude::{ExcludeError, ExcludeList, ExcludeMatch, Syntax};
use proptest::prelude::*;

fn bre(name: &str, content: &str) -> ExcludeList {
    ExcludeList::from_bytes(name, content.as_bytes(), Syntax::Basic).unwrap()
}

#[test]
fn empty_line_is_kept_and_warned_loudly() {
    let l = bre("/etc/exclude.rootvg", "^./tmp/\n\n/scratch/\n");
    assert_eq!(
        l.warnings(),
        ["exclude list /etc/exclude.rootvg line 2 is empty: it matches and excludes EVERY file"]
    );
    assert!(l.is_excluded(b"./etc/passwd"));
    assert!(l.is_excluded(b""));
    assert_eq!(
        l.explain(b"./etc/passwd"),
        Some(ExcludeMatch { file: "/etc/exclude.rootvg".into(), line: 2, pattern: String::new() })
    );
}

#[test]
fn no_warning_without_empty_lines() {
    assert!(bre("l", "a\nb").warnings().is_empty());
    assert!(bre("l", "").warnings().is_empty());
}

#[test]
fn empty_file_excludes_nothing() {
    let l = bre("l", "");
    assert!(l.is_empty());
    assert!(!l.is_excluded(b"./etc/passwd"));
    assert!(!l.prunes_subtree(b"./tmp"));
    assert_eq!(l.explain(b"./x"), None);
}

#[test]
fn invalid_pattern_names_file_line_and_pattern() {
    let e = ExcludeList::from_bytes("ex.list", b"^./tmp/\n\\(unclosed\n", Syntax::Basic).unwrap_err();
    match &e {
        ExcludeError::Pattern { file, line, pattern, message } => {
            assert_eq!(file, "ex.list");
            assert_eq!(*line, 2);
            assert_eq!(pattern, "\\(unclosed");
            assert_eq!(message, "Unmatched ( or \\(");
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(e.to_string(), "exclude list ex.list:2: invalid pattern '\\(unclosed': Unmatched ( or \\(");

    let e = ExcludeList::from_bytes("ex.list", b"a{2,1}", Syntax::Extended).unwrap_err();
    assert_eq!(e.to_string(), "exclude list ex.list:1: invalid pattern 'a{2,1}': Invalid content of \\{\\}");
    // The same text is fine as a BRE, where braces are literal.
    assert!(ExcludeList::from_bytes("ex.list", b"a{2,1}", Syntax::Basic).is_ok());
}

#[test]
fn from_file_reads_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exclude.list");
    std::fs::write(&path, "/scratch/\n^./tmp/\n").unwrap();
    let l = ExcludeList::from_file(&path, Syntax::Basic).unwrap();
    let m = l.explain(b"./tmp/a").unwrap();
    assert_eq!(m.file, path.display().to_string());
    assert_eq!((m.line, m.pattern.as_str()), (2, "^./tmp/"));

    let missing = dir.path().join("missing");
    match ExcludeList::from_file(&missing, Syntax::Basic) {
        Err(ExcludeError::Read { path, .. }) => assert_eq!(path, missing),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn explain_reports_the_first_matching_line() {
    let l = bre("l", "\\.log$\nvar\n^./var/adm/\n");
    assert_eq!(l.explain(b"./var/adm/x.log").map(|m| m.line), Some(1));
    assert_eq!(l.explain(b"./var/adm/x").map(|m| m.line), Some(2));
    assert_eq!(l.explain(b"./usr/x"), None);
}

#[test]
fn merge_keeps_order_and_origins() {
    let a = bre("a.list", "^./tmp/\n");
    let b = ExcludeList::from_bytes("b.list", b"(x|y)$\n\n", Syntax::Extended).unwrap();
    let m = ExcludeList::merge(vec![a, b]).unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(m.warnings().len(), 1);
    assert!(m.warnings()[0].contains("b.list line 2"));
    let e = m.explain(b"./tmp/x").unwrap();
    assert_eq!((e.file.as_str(), e.line), ("a.list", 1));
    let e = m.explain(b"./usr/y").unwrap();
    // Line 2 of b.list (empty) also matches, but line 1 comes first.
    assert_eq!((e.file.as_str(), e.line, e.pattern.as_str()), ("b.list", 1, "(x|y)$"));
    assert!(ExcludeList::merge(Vec::new()).unwrap().is_empty());
}

#[test]
fn carriage_return_and_trailing_space_are_part_of_the_pattern() {
    let l = bre("l", "tmp\r\ncore \n");
    assert!(!l.is_excluded(b"./tmp/x"));
    assert!(l.is_excluded(b"./tmp\r"));
    assert!(!l.is_excluded(b"./core"));
    assert!(l.is_excluded(b"./core 1"));
}

#[test]
fn non_utf8_names_and_patterns() {
    let l = ExcludeList::from_bytes("l", b"\xff$\n^./caf\xe9/\n", Syntax::Basic).unwrap();
    assert!(l.is_excluded(b"./a\xff"));
    assert!(l.is_excluded(b"./caf\xe9/menu"));
    assert!(!l.is_excluded(b"./caf\xc3\xa9/menu"));
    let dot = bre("l", "^.$");
    assert!(dot.is_excluded(b"\x80"));
    assert!(!dot.is_excluded(b"\xc3\xa9"));
}

#[test]
fn prune_examples() {
    let l = bre("l", "^\\./scratch/\n/cache/\n\\.log$\n\\<tmp\\>/\n^./home/[a-z]*/old/\n");
    assert!(l.prunes_subtree(b"./scratch"));
    assert!(l.prunes_subtree(b"./var/cache"));
    assert!(l.prunes_subtree(b"./home/joe/old"));
    assert!(l.prunes_subtree(b"./scratch/deeper"));
    // The directory itself is not excluded by `^./scratch/`, only what is inside.
    assert!(!l.is_excluded(b"./scratch"));
    assert!(!l.prunes_subtree(b"./var"));
    assert!(!l.prunes_subtree(b"./home/joe"));
    // End anchors and word boundaries make a pattern unsafe for pruning (conservative).
    assert!(!l.prunes_subtree(b"./logs.log"));
    assert!(!l.prunes_subtree(b"./tmp"));
    assert!(bre("l", "\n").prunes_subtree(b"./anything"));
    // Long directory names take the allocating path.
    let long = format!("./scratch/{}", "d/".repeat(400));
    assert!(l.prunes_subtree(long.trim_end_matches('/').as_bytes()));
    let long = format!("./var/{}", "d/".repeat(400));
    assert!(!l.prunes_subtree(long.trim_end_matches('/').as_bytes()));
}

const PATTERNS: &str =
    "^\\./scratch/\n/cache/\n\\.log$\n\\<tmp\\>/\n^./home/[a-z]*/old/\nx*y\\{2\\}\n^./v[0-9]\n\
                        core\\|dump\n[[:upper:]]/\n\\(ab\\)\\+/\n";

fn dir_strategy() -> impl Strategy<Value = Vec<u8>> {
    let comp = prop::sample::select(vec![
        &b"scratch"[..],
        b"cache",
        b"tmp",
        b"home",
        b"joe",
        b"old",
        b"v1",
        b"core",
        b"ABC",
        b"abab",
        b"xyy",
        b"a.log",
        b"q",
    ]);
    prop::collection::vec(comp, 0..5).prop_map(|cs| {
        let mut d = b".".to_vec();
        for c in cs {
            d.push(b'/');
            d.extend_from_slice(c);
        }
        d
    })
}

proptest! {
    #[test]
    fn pruned_directories_exclude_every_descendant(
        dir in dir_strategy(),
        suffixes in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..16), 1..8),
    ) {
        for syntax in [Syntax::Basic, Syntax::Extended] {
            let l = ExcludeList::from_bytes("l", PATTERNS.as_bytes(), syntax).unwrap();
            if l.prunes_subtree(&dir) {
                for s in &suffixes {
                    let mut name = dir.clone();
                    name.push(b'/');
                    name.extend_from_slice(s);
                    prop_assert!(l.is_excluded(&name), "{:?} pruned but {:?} kept",
                        String::from_utf8_lossy(&dir), String::from_utf8_lossy(&name));
                }
            }
        }
    }
}

#[test]
fn grep_style_warnings_for_surprising_patterns() {
    let l = ExcludeList::from_bytes("w.list", b"*core\na|+b\n^./ok/\n", Syntax::Extended).unwrap();
    assert_eq!(
        l.warnings(),
        [
            "exclude list w.list line 1: '*core': * at start of expression (it repeats nothing and is ignored)",
            "exclude list w.list line 2: 'a|+b': + at start of expression (it repeats nothing and is ignored)",
        ]
    );
    // In BRE a leading `*` is an ordinary character: nothing to warn about.
    assert!(bre("w.list", "*core\n").warnings().is_empty());
    let l = bre("w.list", "core\\.\\d\n");
    assert_eq!(l.warnings().len(), 1);
    assert!(l.warnings()[0].contains("\\d is the letter d in grep"), "{:?}", l.warnings());
    assert!(l.is_excluded(b"./core.d"));
    assert!(!l.is_excluded(b"./core.1"));
}

#[test]
fn bracket_matching_no_byte_never_matches() {
    // Every byte from NUL to 0xff negated: an empty set, which must compile and match nothing.
    let l = ExcludeList::from_bytes("l", b"x[^\x00-\xff]\n", Syntax::Basic).unwrap();
    assert!(!l.is_excluded(b"x"));
    assert!(!l.is_excluded(b"xa"));
    assert!(!l.is_excluded(b"x\xff"));
}
