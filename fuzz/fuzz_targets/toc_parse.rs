//! Fuzz `installp::toc::fuzz_check`: no panic on any bytes, and (where there is a writer) what parses writes back and
//! parses to the same value.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(m) = altdisk_engine::installp::toc::fuzz_check(data) {
        panic!("{m}");
    }
});
