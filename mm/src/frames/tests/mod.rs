//! The frame allocator over emulated RAM. One file per topic: where frames
//! come from and in what order (`order`), what is refused (`refusals`), and
//! what a corrupted stack does (`corruption`). The shared setup is here.

extern crate std;

mod corruption;
mod order;
mod refusals;

use super::*;
use crate::emulate::PhysMemory;
use crate::frame::{Frame, FrameAllocator};
use crate::memmap::{ByteRange, MapEntry, MapKind, UsableMemory, clean};
use std::boxed::Box;
use std::vec;
use std::vec::Vec;

/// What emulated RAM holds until someone writes it.
pub(super) const FILL: u32 = 0xA5A5_A5A5;

/// 12 MiB of RAM with a reserved hole and an occupied "kernel": 2700-odd
/// usable frames, so more than two stack pages' worth, in three ranges.
pub(super) fn test_memory() -> (PhysMemory, UsableMemory) {
    let map = [
        MapEntry::new(0, 0x9f000, MapKind::Usable),
        MapEntry::new(0x100000, 0xb00000, MapKind::Usable),
        MapEntry::new(0x300000, 0x40000, MapKind::Reserved),
    ];
    let kernel = ByteRange::new(0x100000, 0x80000);
    (PhysMemory::new(12 << 20), clean(map, &[kernel]).unwrap())
}

pub(super) fn new_stack(
    mem: &mut PhysMemory,
    usable: UsableMemory,
) -> FrameStack<EmulatedWindow<'_>> {
    // Dirty storage: the constructor must clear it.
    let bitmap = Box::leak(vec![u32::MAX; bitmap_words(&usable)].into_boxed_slice());
    // SAFETY: the emulated memory is used by nothing but this stack.
    unsafe { FrameStack::new(EmulatedWindow::new(mem), usable, bitmap) }.unwrap()
}

/// Every frame the allocator will give.
fn drain(stack: &mut impl FrameAllocator) -> Vec<Frame> {
    core::iter::from_fn(|| stack.allocate()).collect()
}

/// Frees every frame of `frames`, in order.
fn free_all(stack: &mut impl FrameAllocator, frames: impl IntoIterator<Item = Frame>) {
    for f in frames {
        stack.free(f).unwrap();
    }
}

/// The usable frame numbers, ascending.
fn usable_numbers(usable: &UsableMemory) -> Vec<u32> {
    usable.iter().flat_map(|r| r.numbers()).collect()
}
