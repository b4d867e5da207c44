//! The host's [`FrameWindow`]: pointers into emulated RAM shared by every
//! address space of a test, so spaces, the kernel's directory and the
//! frame allocator's frames all live in one `PhysMemory`, as on a machine.

extern crate alloc;

use super::window::{FrameWindow, WindowSlot};
use crate::addr::PhysAddr;
use crate::emulate::PhysMemory;
use alloc::rc::Rc;
use core::cell::RefCell;

/// A window onto shared emulated RAM. Clone it for each space.
#[derive(Clone, Debug)]
pub struct EmulatedFrames {
    memory: Rc<RefCell<PhysMemory>>,
    /// How many times each slot was pointed somewhere.
    shows: Rc<RefCell<[u64; WindowSlot::ALL.len()]>>,
}

impl EmulatedFrames {
    /// A window onto `memory`.
    pub fn new(memory: Rc<RefCell<PhysMemory>>) -> Self {
        Self { memory, shows: Rc::new(RefCell::new([0; WindowSlot::ALL.len()])) }
    }

    /// The shared memory, to look at in a test.
    pub fn memory(&self) -> &Rc<RefCell<PhysMemory>> {
        &self.memory
    }

    /// How many times `slot` was pointed at a frame (by any clone).
    pub fn shows(&self, slot: WindowSlot) -> u64 {
        self.shows.borrow()[slot.index()]
    }
}

// SAFETY: `frame_ptr` points at the emulated page of `frame` (it panics
// outside the memory); the pages never move (a `Vec` that is never
// resized), so the pointer stays valid while the memory lives, which the
// `Rc` guarantees. Host tests are single-threaded and keep no reference
// across a `show` of the same slot.
unsafe impl FrameWindow for EmulatedFrames {
    unsafe fn show(&mut self, slot: WindowSlot, frame: PhysAddr) -> *mut u8 {
        self.shows.borrow_mut()[slot.index()] += 1;
        self.memory.borrow_mut().frame_ptr(frame).cast::<u8>()
    }
}
