//! The boot-information validator on arbitrary bytes:
//! `kernel::bootinfo::fuzz::boot_information`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kernel::bootinfo::fuzz::boot_information(data));
