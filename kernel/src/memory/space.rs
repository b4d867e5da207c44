//! The kernel's address space after boot: no identity map, no null page,
//! the kernel image mapped section by section with the right rights, an
//! unmapped guard page below the stack, and CR0.WP so the kernel itself
//! cannot write to read-only pages.
//!
//! ```text
//!  before (boot map)                      after
//!  0x0000_0000..0x0040_0000 -> 0..4 MiB   unmapped (page 0 faults)
//!  0xC000_0000..0xC040_0000 -> 0..4 MiB   0xC010_0000.. .text   read-only
//!                                                       .rodata read-only
//!                                                       .data/.bss read-write
//!                                         stack guard page   unmapped
//!                                         everything else    unmapped
//! ```

use mm::frame::{Frame, FrameAllocator, FreeError, Page};
use mm::layout::KERNEL_BASE;
use mm::paging::{Mapper, PageTableFlags, Tlb};
use mm::{PAGE_SIZE, VirtAddr};

use super::{KernelTables, image};
use crate::layout::KernelImage;

/// A frame allocator with no frames, for changes that cannot need one:
/// editing the kernel's own page table, which is PINNED (never freed) and
/// already exists.
#[derive(Debug)]
pub struct NoFrames;

// SAFETY: it never hands out a frame.
unsafe impl FrameAllocator for NoFrames {
    fn allocate(&mut self) -> Option<Frame> {
        None
    }

    fn free(&mut self, frame: Frame) -> Result<(), FreeError> {
        Err(FreeError::NotUsable(frame.start()))
    }
}

/// Removes the boot code's identity map (directory entry 0). Must run
/// before the `Mapper` is created, which then never sees it.
pub fn remove_identity_map() {
    let directory = boot::boot_page_directory().addr() as *mut u32;
    // SAFETY: the boot directory is the active one and lives in the kernel
    // image; nothing runs from, or points into, the identity-mapped low
    // 4 MiB any more (the kernel runs at 0xC0000000+, the boot information
    // is read through the fixmap, the console uses 0xC00B8000).
    unsafe { directory.write_volatile(0) };
    // SAFETY: reloading CR3 with its own value only flushes the TLB.
    unsafe { x86::tlb::flush_all() };
}

/// The rights each page of the kernel window gets: `None` means unmapped.
fn rights(addr: u32, image: &KernelImage, keep: VirtAddr) -> Option<PageTableFlags> {
    if addr == keep.as_u32() {
        Some(PageTableFlags::PRESENT | PageTableFlags::WRITABLE)
    } else if image.stack_guard.contains(&addr) {
        None
    } else if image.text.contains(&addr) || image.rodata.contains(&addr) {
        Some(PageTableFlags::PRESENT)
    } else if image.data.contains(&addr) {
        Some(PageTableFlags::PRESENT | PageTableFlags::WRITABLE)
    } else {
        None
    }
}

/// Applies per-section rights to the kernel image and unmaps the rest of
/// the boot window at 0xC0000000, except the page at `keep` (the console's
/// text buffer, which moves elsewhere once virtual ranges exist).
pub fn protect_kernel_image(mapper: &mut Mapper<KernelTables>, tlb: &mut impl Tlb, keep: VirtAddr) {
    let image = image::kernel_image();
    for i in 0..1024u32 {
        let addr = KERNEL_BASE + i * PAGE_SIZE;
        let page = Page::containing(VirtAddr::new(addr));
        match rights(addr, &image, keep) {
            Some(flags) => {
                // SAFETY: making .text/.rodata read-only breaks nothing (no
                // Rust code holds `&mut` into them), data keeps WRITABLE.
                let flush = unsafe { mapper.update_flags(page, flags) };
                flush.expect("the boot map covers the kernel image").flush(tlb);
            }
            None => {
                // SAFETY: nothing uses these pages: they are outside the
                // kernel image (or its stack guard page), and the only data
                // the kernel reads in low memory, the boot information, is
                // reached through the fixmap. The frame is not ours to free
                // (it is reserved, or the frame allocator will own it).
                if let Ok((_frame, flush)) = unsafe { mapper.unmap(page, &mut NoFrames) } {
                    flush.flush(tlb);
                }
            }
        }
    }
}

/// Sets CR0.WP: from now on a kernel write to a read-only page faults.
pub fn enable_write_protect() {
    use x86::controlregs::{Cr0, cr0, cr0_write};
    // SAFETY: every page the kernel writes is mapped WRITABLE
    // (`protect_kernel_image`); setting WP only turns silent writes to
    // read-only pages into page faults.
    unsafe { cr0_write(cr0() | Cr0::CR0_WRITE_PROTECT) };
}
