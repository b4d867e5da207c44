//! The memory-map cleanup against an interval model: `mm::fuzz::memmap`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mm::fuzz::memmap(data));
