//! Fuzz body `bootinfo`: the boot-information validator on arbitrary bytes.
//!
//! The bytes are the block, as GRUB would leave it in memory: its first
//! word claims its size. The kernel maps that many bytes (and refuses a
//! block larger than its windows), so the body gives [`BootInfo::load`]
//! exactly that: the input, zero-padded to the claimed size, 8-byte
//! aligned. `load` must never panic; a block it accepts must then survive
//! every accessor the kernel calls (name, command line, memory map, UEFI
//! memory map, framebuffer, symbol tables, modules) and the memory-map
//! cleanup, and keep the validator's promises: the size read back is the
//! size claimed, no module ends before it starts.
//! Host only; `make test` replays `fuzz/seeds/bootinfo/` and
//! `fuzz/regressions/bootinfo/` through it.

extern crate alloc;

use super::{BootInfo, frames_holding};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;
use mm::PhysAddr;
use mm::memmap::{ByteRange, MapEntry, clean};

/// The largest block the kernel maps (32 windows of 4 KiB); it refuses
/// larger ones before reading them.
const LARGEST: usize = 128 * 1024;

/// Validates `data` as a boot information block; panics on a broken promise.
pub fn boot_information(data: &[u8]) {
    let mut first = [0u8; 4];
    let n = data.len().min(4);
    first[..n].copy_from_slice(&data[..n]);
    let claimed = u32::from_le_bytes(first) as usize;
    if claimed > LARGEST {
        return;
    }
    let bytes = claimed.max(data.len()).max(8);
    let mut words = vec![0u64; bytes.div_ceil(8)];
    let n = data.len().min(bytes);
    // SAFETY: `words` holds at least `bytes >= n` bytes.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), words.as_mut_ptr().cast(), n) };
    // SAFETY: the block is readable for its claimed size (and more) while
    // `words` lives, and nothing modifies it.
    let loaded = unsafe { BootInfo::load(words.as_ptr().cast()) };
    let mut text = String::new();
    let info = match loaded {
        Ok(info) => info,
        Err(e) => {
            write!(text, "{e}").expect("formatting into a String");
            return;
        }
    };
    assert_eq!(info.span(), (words.as_ptr() as usize, claimed), "the block's span");
    let _ = info.bootloader_name();
    let _ = info.framebuffer().map(|f| f.size_bytes());
    let _ = info.symbol_tables();
    if let Some(efi) = info.efi_memory_map() {
        for region in efi {
            let _ = (region.kind_name(), region.len(), region.is_free_after_boot_services());
        }
    }
    let _ = info.command_line();

    let map: Vec<MapEntry> =
        info.memory_map().map(|r| MapEntry::from_multiboot(r.start, r.len, r.kind)).collect();
    for region in info.memory_map() {
        let _ = region.kind_name();
    }
    let mut occupied = Vec::new();
    for module in info.modules() {
        assert!(module.end >= module.start, "a module ends before it starts: {module:?}");
        let bounds = ByteRange::from_bounds(module.start.into(), module.end.into());
        occupied.push(bounds.expect("end >= start"));
        let _ = frames_holding(PhysAddr::new(module.start), module.end - module.start);
    }
    if let Ok(usable) = clean(&map, &occupied) {
        write!(text, "{usable}").expect("formatting into a String");
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn bootinfo_inputs_replay_clean() {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
        mm::fuzz::replay(&fuzz, "bootinfo", super::boot_information).assert_clean("bootinfo", 1);
    }
}
