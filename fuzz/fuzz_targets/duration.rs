#![no_main]
//! `k6r_fuzz_entries::duration`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| k6r_fuzz_entries::duration::run(data));
