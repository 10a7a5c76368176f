#![no_main]
//! `k6r_fuzz_entries::grpc`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| k6r_fuzz_entries::grpc::run(data));
