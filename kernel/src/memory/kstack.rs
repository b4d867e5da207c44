//! Kernel stacks for processes: one fixed slot per process, the upper
//! half mapped, the lower half an unmapped guard.
//!
//! ```text
//!  KERNEL_STACKS_START + slot * 16 KiB
//!   +16 KiB  ┌──────────────┐ <- top: the TSS's esp0 while the process runs
//!            │ stack 8 KiB  │    two frames from the frame allocator
//!    +8 KiB  ├──────────────┤
//!            │ guard 8 KiB  │    never mapped: an overflow faults (a double
//!            └──────────────┘    fault, reported, since the stack is gone)
//! ```
//!
//! Slots are numbered like the process table's entries, so nothing needs
//! allocating but the frames. The stacks live in the kernel half and are
//! mapped by the kernel mapper, so every address space sees them.

use super::Memory;
use mm::frame::{FrameAllocator, Page};
use mm::layout::{
    KERNEL_STACK_GUARD, KERNEL_STACK_SIZE, KERNEL_STACK_SLOT, KERNEL_STACK_SLOTS,
    KERNEL_STACKS_START,
};
use mm::paging::PageTableFlags;
use mm::{PAGE_SIZE, VirtAddr};

/// A mapped kernel stack in slot `slot`. Not `Clone`: freed once.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a kernel stack's frames stay taken until it is freed"]
pub struct KernelStack {
    slot: u32,
}

/// Stack pages in a slot.
const PAGES: u32 = KERNEL_STACK_SIZE / PAGE_SIZE;

fn page(slot: u32, i: u32) -> Page {
    let base = KERNEL_STACKS_START.as_u32() + slot * KERNEL_STACK_SLOT + KERNEL_STACK_GUARD;
    Page::containing(VirtAddr::new(base + i * PAGE_SIZE))
}

impl KernelStack {
    /// The stack's top (its initial stack pointer), 16-byte aligned.
    pub fn top(&self) -> u32 {
        KERNEL_STACKS_START.as_u32() + (self.slot + 1) * KERNEL_STACK_SLOT
    }

    /// The slot number.
    pub fn slot(&self) -> u32 {
        self.slot
    }
}

/// Why a kernel stack could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackError {
    /// No such slot.
    NoSlot(u32),
    /// No frame left (nothing stays mapped).
    OutOfFrames,
}

impl Memory {
    /// Maps the kernel stack of slot `slot` (which must be unused).
    pub fn map_kernel_stack(&mut self, slot: u32) -> Result<KernelStack, StackError> {
        if slot >= KERNEL_STACK_SLOTS {
            return Err(StackError::NoSlot(slot));
        }
        for i in 0..PAGES {
            let mapped = match self.frames.allocate() {
                // SAFETY: the frame was just allocated; the page is in this
                // slot's stack part, unused (the caller's contract).
                Some(frame) => unsafe {
                    self.mapper.map(
                        page(slot, i),
                        frame,
                        PageTableFlags::WRITABLE,
                        &mut self.frames,
                    )
                }
                .map(|flush| flush.flush(&mut self.tlb))
                .map_err(|e| {
                    let _ = self.frames.free(e.into_frame());
                }),
                None => Err(()),
            };
            if mapped.is_err() {
                self.unmap_stack_pages(slot, i);
                return Err(StackError::OutOfFrames);
            }
        }
        Ok(KernelStack { slot })
    }

    /// Unmaps a kernel stack and frees its frames. It must not be the
    /// stack running now.
    pub fn free_kernel_stack(&mut self, stack: KernelStack) {
        self.unmap_stack_pages(stack.slot, PAGES);
    }

    fn unmap_stack_pages(&mut self, slot: u32, pages: u32) {
        for i in 0..pages {
            // SAFETY: the stack is not in use (contract of the callers).
            match unsafe { self.mapper.unmap(page(slot, i), &mut self.frames) } {
                Ok((frame, flush)) => {
                    flush.flush(&mut self.tlb);
                    if let Err(e) = self.frames.free(frame) {
                        panic!("kernel stack {slot}: its frame was refused: {e}");
                    }
                }
                Err(e) => panic!("kernel stack {slot}: a page it mapped is gone: {e}"),
            }
        }
    }
}
