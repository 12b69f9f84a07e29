//! Fuzz the image.data / bosinst.data stanza parser: no panic on any bytes, lossless write-back, and a
//! parsed image.data still parses after -T conversion and its target file systems read without panic (see `altdisk_engine::space::fuzz_check`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(m) = altdisk_engine::space::fuzz_check(data) {
        panic!("{m}");
    }
});
