//! The kernel image's sections, from the linker script's symbols.

use crate::layout::KernelImage;
use mm::{PhysAddr, VirtAddr, layout::KERNEL_BASE};

unsafe extern "C" {
    static __kernel_start: u8;
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __bss_end: u8;
    static __kernel_end: u8;
}

fn addr(symbol: *const u8) -> u32 {
    symbol as usize as u32
}

/// Section bounds of the running kernel (virtual addresses).
pub fn kernel_image() -> KernelImage {
    let stack = boot::boot_stack();
    KernelImage {
        text: addr(&raw const __text_start)..addr(&raw const __text_end),
        rodata: addr(&raw const __rodata_start)..addr(&raw const __rodata_end),
        data: addr(&raw const __data_start)..addr(&raw const __bss_end),
        stack_guard: stack.guard_page()..stack.bottom(),
        stack: stack.bottom()..stack.top(),
    }
}

/// First and one-past-last virtual address of the whole image.
pub fn virtual_span() -> (VirtAddr, VirtAddr) {
    (VirtAddr::new(addr(&raw const __kernel_start)), VirtAddr::new(addr(&raw const __kernel_end)))
}

/// First and one-past-last physical address of the whole image.
pub fn physical_span() -> (PhysAddr, PhysAddr) {
    let (start, end) = virtual_span();
    (PhysAddr::new(start.as_u32() - KERNEL_BASE), PhysAddr::new(end.as_u32() - KERNEL_BASE))
}
