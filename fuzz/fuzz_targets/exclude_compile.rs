//! Fuzz the exclude-list compiler (body in `altdisk_engine::exclude::fuzz_check`, which the corpus-replay test
//! `engine/tests/fuzz_corpus.rs` also runs on stable).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    altdisk_engine::exclude::fuzz_check(data);
});
