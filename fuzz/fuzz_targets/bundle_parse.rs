//! Fuzz `installp::bundle::fuzz_check`: no panic on any bytes, and (where there is a writer) what parses writes back and
//! parses to the same value.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(m) = altdisk_engine::installp::bundle::fuzz_check(data) {
        panic!("{m}");
    }
});
