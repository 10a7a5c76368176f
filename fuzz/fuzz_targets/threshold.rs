#![no_main]
//! `k6r_fuzz_entries::threshold`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| k6r_fuzz_entries::threshold::run(data));
