//! Replays the fuzz corpora through the exact functions the fuzz targets call.

use std::path::Path;

fn corpus(name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(name);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn archive_reader_corpus_replays() {
    let files = corpus("archive_reader");
    assert!(files.len() >= 2);
    for (name, data) in &files {
        let (strict, resync) = altdisk_engine::archive::fuzz_read_all(data);
        if name.ends_with("test.bff") {
            assert_eq!((strict, resync), (4, 4), "{name}");
        }
        if name.ends_with("golden.bff") {
            assert_eq!((strict, resync), (3, 3), "{name}");
        }
    }
}

#[test]
fn archive_roundtrip_corpus_and_random_inputs_replay() {
    for (name, data) in corpus("archive_roundtrip") {
        altdisk_engine::archive::fuzz_roundtrip(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(42);
    for _ in 0..200 {
        let len = rng.gen_range(0..20_000);
        let mut d = vec![0u8; len];
        rng.fill(&mut d[..]);
        // Low-entropy runs so some files get packed.
        if len > 100 && rng.gen_bool(0.5) {
            let at = rng.gen_range(0..len - 50);
            let n = (len - at).min(9000);
            d[at..at + n].iter_mut().enumerate().for_each(|(i, b)| *b = b"abcab"[i % 5]);
        }
        altdisk_engine::archive::fuzz_roundtrip(&d).unwrap();
    }
}

#[test]
fn random_mutations_of_the_corpus_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    for (_, seed) in corpus("archive_reader") {
        for _ in 0..500 {
            let mut d = seed.clone();
            for _ in 0..rng.gen_range(1..8) {
                let i = rng.gen_range(0..d.len());
                d[i] = rng.gen();
            }
            let cut = rng.gen_range(0..=d.len());
            let _ = altdisk_engine::archive::fuzz_read_all(&d[..cut]);
        }
    }
}

#[test]
fn exclude_compile_corpus_replays() {
    let files = corpus("exclude_compile");
    assert!(!files.is_empty(), "the exclude_compile corpus is empty");
    for (_name, data) in files {
        altdisk_engine::exclude::fuzz_check(&data);
    }
}
