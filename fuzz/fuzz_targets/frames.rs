//! The frame allocator and the mapper over one emulated RAM: `mm::fuzz::frames`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mm::fuzz::frames(data));
