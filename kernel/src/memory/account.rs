//! Gathering the boot log's frame account (`crate::account`): where every
//! available frame went, counted from the memory map, the kernel image's
//! sections, the boot information, the modules, the frame stack and the
//! page directory.

use super::frames::FrameReport;
use super::{Memory, boot_info, image};
use crate::account::FrameAccount;
use crate::bootinfo::BootInfo;
use core::ops::Range;
use mm::PAGE_SIZE;

/// Boot modules whose frames the account tells apart (the kernel maps 32).
const MAX_LISTED_MODULES: usize = 64;

fn frames_of(bytes: u32) -> u32 {
    bytes.div_ceil(PAGE_SIZE)
}

/// Frames touched by the byte ranges `(start, size)`, each counted once,
/// leaving out those `listed` already touches (GRUB may put the symbol
/// table in the boot information's last frame).
fn frames_touched(ranges: &[(u32, u32)], listed: &[(u32, u32)]) -> u32 {
    let frames = |&(start, size): &(u32, u32)| {
        let first = start / PAGE_SIZE;
        first..(start.saturating_add(size)).div_ceil(PAGE_SIZE).max(first)
    };
    let all: Range<u32> = ranges
        .iter()
        .map(frames)
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
        .unwrap_or(0..0);
    all.filter(|f| ranges.iter().any(|r| frames(r).contains(f)))
        .filter(|f| !listed.iter().any(|r| frames(r).contains(f)))
        .count() as u32
}

/// Counts every available frame's place. Call once the frame stack is
/// built; `memory` is the locked memory state.
pub fn gather(info: &BootInfo<'_>, report: &FrameReport, memory: &Memory) -> FrameAccount {
    let image = image::kernel_image();
    let len = |r: &Range<u32>| frames_of(r.end - r.start);
    // Byte ranges (start, size) of what the boot put in memory. GRUB packs
    // them: the boot information may share a module's last frame, the
    // symbol table the boot information's. A shared frame is counted once,
    // in the first row that names it: modules, boot information, symbols.
    let mut listed = [(0, 0); 2 + MAX_LISTED_MODULES];
    let (kernel_start, kernel_end) = image::physical_span();
    listed[0] = (kernel_start.as_u32(), kernel_end.as_u32() - kernel_start.as_u32());
    let mut count = 1;
    for m in info.modules().take(MAX_LISTED_MODULES) {
        listed[count] = (m.start, m.end.saturating_sub(m.start));
        count += 1;
    }
    let modules = frames_touched(&listed[1..count], &[]);
    let boot_info = boot_info::phys_span()
        .map_or(0, |(start, size)| frames_touched(&[(start.as_u32(), size)], &listed[1..count]));
    if let Some((start, size)) = boot_info::phys_span() {
        listed[count] = (start.as_u32(), size);
        count += 1;
    }
    let listed = &listed[..count];
    // Page tables the frame allocator handed out: every present directory
    // entry but the kernel's and the fixmap's static tables and the
    // recursive entry (1023).
    let page_tables = (0..1023)
        .filter(|&i| i != mm::layout::KERNEL_PDE && i != mm::layout::FIXMAP_PDE)
        .filter(|&i| memory.mapper.present_entries(i) > 0)
        .count() as u32;
    FrameAccount {
        available: report.available,
        kernel: [len(&image.text), len(&image.rodata), len(&image.data)],
        boot_info,
        modules,
        symbols: info.symbol_tables().map_or(0, |t| frames_touched(&[t.symtab, t.strtab], listed)),
        bitmap: report.bitmap,
        usable: memory.frames.total_count(),
        free: memory.frames.free_count(),
        page_tables,
        screen: super::screen::copy_frames(),
    }
}
