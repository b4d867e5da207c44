//! Heap operation sequences through the checked API: `mm::fuzz::heap_over`,
//! over pages the processor guards.
#![no_main]

use kernel_fuzz::protected::ProtectedSource;

libfuzzer_sys::fuzz_target!(|data: &[u8]| mm::fuzz::heap_over(data, ProtectedSource::take()));
