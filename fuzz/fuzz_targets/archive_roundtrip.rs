//! Structured entries built from the input -> write (packing on) -> read back -> must be equal.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = altdisk_engine::archive::fuzz_roundtrip(data) {
        panic!("round trip failed: {e}");
    }
});
