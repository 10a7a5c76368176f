#![no_main]
//! `k6r_fuzz_entries::run_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| k6r_fuzz_entries::run_request::run(data));
