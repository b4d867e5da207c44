//! What an address is: the null page, a guard page, kernel text, the heap...
//!
//! Fault reports use this to say in words where a faulting address points.
//! It is plain logic over the kernel's section bounds (which the kernel
//! reads from linker symbols, see `memory::image`), so the host tests it.

use core::fmt;
use core::ops::Range;
use mm::layout::{
    FIXMAP_START, HEAP_END, HEAP_START, KERNEL_BASE, KERNEL_STACK_GUARD, KERNEL_STACK_SLOT,
    KERNEL_STACKS_END, KERNEL_STACKS_START, PAGE_TABLES, VRANGE_END, VRANGE_START,
};

/// Where the kernel image's parts are (virtual address ranges).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelImage {
    /// `.text`: code, mapped read-only + executable.
    pub text: Range<u32>,
    /// `.rodata`: constants, read-only.
    pub rodata: Range<u32>,
    /// `.data` and `.bss`: writable statics (including the stacks).
    pub data: Range<u32>,
    /// The unmapped page below the kernel stack.
    pub stack_guard: Range<u32>,
    /// The kernel stack.
    pub stack: Range<u32>,
}

/// The kind of memory an address falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// Page 0: a null pointer dereference.
    NullPage,
    /// The user half: the running process's memory (a kernel access there
    /// is a bug: system calls copy through checked pointers only).
    UserSpace,
    /// The unmapped page below the kernel stack: a stack overflow.
    StackGuard,
    /// Kernel code (read-only).
    KernelText,
    /// Kernel constants (read-only).
    KernelRodata,
    /// The kernel stack.
    KernelStack,
    /// Kernel statics (.data/.bss).
    KernelData,
    /// A process's kernel stack.
    ProcessKernelStack,
    /// The unmapped guard below a process's kernel stack: it overflowed.
    ProcessKernelStackGuard,
    /// Inside the heap's mapped part.
    Heap,
    /// In the heap region but above its current top: never allocated, or
    /// freed and given back (a use after free of a large block).
    HeapUnmapped,
    /// The kernel virtual-range region (MMIO mappings and the like).
    VirtualRanges,
    /// The fixmap windows.
    Fixmap,
    /// The recursive page-table window.
    PageTables,
    /// Kernel half, outside everything above.
    KernelUnmapped,
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Region::NullPage => "null page (a null pointer dereference)",
            Region::UserSpace => "user half (a process's memory)",
            Region::StackGuard => "kernel stack guard page (a kernel stack overflow)",
            Region::KernelText => "kernel text (.text, read-only code)",
            Region::KernelRodata => "kernel read-only data (.rodata)",
            Region::KernelStack => "kernel stack",
            Region::KernelData => "kernel data (.data/.bss)",
            Region::ProcessKernelStack => "a process's kernel stack",
            Region::ProcessKernelStackGuard => {
                "guard below a process's kernel stack (a kernel stack overflow)"
            }
            Region::Heap => "kernel heap",
            Region::HeapUnmapped => "kernel heap region above the heap's top (unmapped)",
            Region::VirtualRanges => "kernel virtual ranges (MMIO and other mappings)",
            Region::Fixmap => "fixmap windows",
            Region::PageTables => "page tables (recursive mapping)",
            Region::KernelUnmapped => "unmapped part of the kernel half",
        })
    }
}

/// Classifies `addr`, given the kernel image and the heap's current top.
pub fn classify(addr: u32, image: &KernelImage, heap_top: u32) -> Region {
    match addr {
        a if a < 0x1000 => Region::NullPage,
        a if a < KERNEL_BASE => Region::UserSpace,
        a if image.stack_guard.contains(&a) => Region::StackGuard,
        a if image.text.contains(&a) => Region::KernelText,
        a if image.rodata.contains(&a) => Region::KernelRodata,
        a if image.stack.contains(&a) => Region::KernelStack,
        a if image.data.contains(&a) => Region::KernelData,
        a if (KERNEL_STACKS_START.as_u32()..KERNEL_STACKS_END.as_u32()).contains(&a) => {
            if (a - KERNEL_STACKS_START.as_u32()) % KERNEL_STACK_SLOT < KERNEL_STACK_GUARD {
                Region::ProcessKernelStackGuard
            } else {
                Region::ProcessKernelStack
            }
        }
        a if (HEAP_START.as_u32()..heap_top).contains(&a) => Region::Heap,
        a if (HEAP_START.as_u32()..HEAP_END.as_u32()).contains(&a) => Region::HeapUnmapped,
        a if (VRANGE_START.as_u32()..VRANGE_END.as_u32()).contains(&a) => Region::VirtualRanges,
        a if (FIXMAP_START.as_u32()..PAGE_TABLES.as_u32()).contains(&a) => Region::Fixmap,
        a if a >= PAGE_TABLES.as_u32() => Region::PageTables,
        _ => Region::KernelUnmapped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> KernelImage {
        KernelImage {
            text: 0xC010_0000..0xC010_8000,
            rodata: 0xC010_8000..0xC010_A000,
            data: 0xC010_A000..0xC013_0000,
            stack_guard: 0xC010_C000..0xC010_D000,
            stack: 0xC010_D000..0xC011_D000,
        }
    }

    #[test]
    fn classifies_every_region() {
        let img = image();
        let top = 0xD000_3000;
        let cases = [
            (0, Region::NullPage),
            (0xFFF, Region::NullPage),
            (0x1000, Region::UserSpace),
            (0xBFFF_FFFF, Region::UserSpace),
            (0xC000_0000, Region::KernelUnmapped),
            (0xC010_0000, Region::KernelText),
            (0xC010_8004, Region::KernelRodata),
            (0xC010_A000, Region::KernelData),
            (0xC010_C123, Region::StackGuard),
            (0xC010_D000, Region::KernelStack),
            (0xC011_CFFF, Region::KernelStack),
            (0xC011_D000, Region::KernelData),
            (0xC800_0000, Region::ProcessKernelStackGuard),
            (0xC800_1FFF, Region::ProcessKernelStackGuard),
            (0xC800_2000, Region::ProcessKernelStack),
            (0xC800_7FFC, Region::ProcessKernelStack),
            (0xC800_4000, Region::ProcessKernelStackGuard),
            (0xC900_0000, Region::KernelUnmapped),
            (0xD000_0000, Region::Heap),
            (0xD000_2FFF, Region::Heap),
            (0xD000_3000, Region::HeapUnmapped),
            (0xDFFF_FFFF, Region::HeapUnmapped),
            (0xE000_0000, Region::VirtualRanges),
            (0xFF80_0000, Region::Fixmap),
            (0xFFC0_0000, Region::PageTables),
            (0xFFFF_FFFF, Region::PageTables),
        ];
        for (addr, want) in cases {
            assert_eq!(classify(addr, &img, top), want, "{addr:#x}");
        }
    }

    #[test]
    fn an_empty_heap_has_no_mapped_part() {
        assert_eq!(classify(0xD000_0000, &image(), 0xD000_0000), Region::HeapUnmapped);
    }

    #[test]
    fn descriptions_name_the_likely_bug() {
        assert!(Region::NullPage.to_string().contains("null pointer"));
        assert!(Region::StackGuard.to_string().contains("stack overflow"));
        assert!(Region::ProcessKernelStackGuard.to_string().contains("stack overflow"));
    }
}
