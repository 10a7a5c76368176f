#![no_main]
//! `k6r_fuzz_entries::rest_body`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| k6r_fuzz_entries::rest_body::run(data));
