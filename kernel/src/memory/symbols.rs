//! The kernel's symbol table, mapped for the backtraces of fault reports.
//!
//! GRUB loaded `.symtab` and `.strtab` into RAM and said where (the ELF
//! sections tag); the frame allocator left those frames out (`frames.rs`).
//! Here they are mapped read-only through a kernel virtual range, for good,
//! and [`lookup`] — handed down to `arch::backtrace` at start-up — reads
//! them without a lock.

use super::Memory;
use crate::bootinfo::BootInfo;
use crate::symbols::{Symbol, SymbolTable};
use mm::frame::Frame;
use mm::paging::PageTableFlags;
use mm::vrange::MappedRange;
use mm::{PAGE_SIZE, PhysAddr};
use spin::Once;

static TABLE: Once<SymbolTable<'static>> = Once::new();
/// The two mappings, kept for the kernel's life (never unmapped).
static MAPPINGS: Once<(MappedRange, MappedRange)> = Once::new();

/// Maps `size` bytes of RAM at `phys` read-only; returns the mapping and
/// the bytes, which stay readable while the mapping is kept.
fn map_bytes(memory: &mut Memory, phys: u32, size: u32) -> Option<(MappedRange, &'static [u8])> {
    let first = phys & !(PAGE_SIZE - 1);
    let pages = (phys - first).checked_add(size)?.div_ceil(PAGE_SIZE);
    let frames = (0..pages).map(|i| Frame::containing(PhysAddr::new(first + i * PAGE_SIZE)));
    // SAFETY: these frames hold the symbol tables GRUB loaded; the frame
    // allocator never owns them, and nothing writes them (read-only here).
    let mapped =
        unsafe { memory.range_mapper().map_device(frames, PageTableFlags::empty()) }.ok()?;
    let start = mapped.start().as_ptr::<u8>().wrapping_add((phys - first) as usize);
    // SAFETY: `start` maps `size` readable bytes for as long as `mapped` is
    // kept (`init` keeps it for good), and nothing writes them.
    Some((mapped, unsafe { core::slice::from_raw_parts(start, size as usize) }))
}

/// Maps the symbol table, if GRUB passed one. Call once, from `memory::init`.
pub(super) fn init(info: &BootInfo<'_>, memory: &mut Memory) {
    let Some(tables) = info.symbol_tables() else {
        log::warn!("no symbol table from the boot loader: backtraces show addresses only");
        return;
    };
    let symtab = map_bytes(memory, tables.symtab.0, tables.symtab.1);
    let strtab = map_bytes(memory, tables.strtab.0, tables.strtab.1);
    if let (Some((sym_map, symtab)), Some((str_map, strtab))) = (symtab, strtab) {
        MAPPINGS.call_once(|| (sym_map, str_map));
        TABLE.call_once(|| SymbolTable::new(symtab, strtab));
    }
}

/// The function `addr` is in, from the kernel's symbol table (once mapped).
pub fn lookup(addr: u32) -> Option<Symbol<'static>> {
    TABLE.get()?.lookup(addr)
}
