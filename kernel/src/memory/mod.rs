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

/// Brings up memory management (see docs/memory.md for the order and why).
pub fn init(_info: &BootInfo<'_>) {}
