//! Replays the stanza_parse fuzz corpus (fuzz/corpus/stanza_parse/) through the same check the fuzz target
//! runs, so every input a fuzzer ever kept stays a regression test in CI.

use std::path::Path;

#[test]
fn stanza_parse_corpus_replays_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/stanza_parse");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let data = std::fs::read(&p).unwrap();
        if let Err(m) = altdisk_engine::space::fuzz_check(&data) {
            panic!("{}: {m}", p.display());
        }
        n += 1;
    }
    assert!(n >= 8, "corpus has only {n} inputs");
}
