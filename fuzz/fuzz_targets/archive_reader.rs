//! Parse an arbitrary byte stream as a by-name archive and read all data (strict and resync modes).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = altdisk_engine::archive::fuzz_read_all(data);
});
