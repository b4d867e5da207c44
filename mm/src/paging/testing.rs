//! Test fixtures shared by the paging and vrange tests: a checked frame
//! allocator over part of emulated RAM, and a mapper over an empty
//! directory in that RAM.

use super::{EmulatedTables, Mapper};
use crate::addr::PhysAddr;
use crate::emulate::PhysMemory;
use crate::frame::{Frame, FrameAllocator, FreeError};
use std::collections::BTreeSet;
use std::vec::Vec;

/// Frames of emulated RAM (2 MiB): the low 1 MiB (with the VGA buffer at
/// 0xB8000) is not the allocator's, like on a PC.
pub(crate) const RAM_FRAMES: u32 = 512;
/// The first frame the test allocator manages.
pub(crate) const FIRST_MANAGED: u32 = 256;
/// The frame used as the page directory (not managed by the allocator).
pub(crate) const DIRECTORY_FRAME: u32 = 255;

/// A frame allocator that refuses double frees and foreign frames, so a
/// mapper bug shows up as an error rather than as a silently wrong count.
#[derive(Debug)]
pub(crate) struct TestFrames {
    free: Vec<u32>,
    is_free: BTreeSet<u32>,
    managed: core::ops::Range<u32>,
}

impl TestFrames {
    /// Manages `count` frames from `FIRST_MANAGED` on, all free.
    pub(crate) fn new(count: u32) -> Self {
        let managed = FIRST_MANAGED..FIRST_MANAGED + count;
        assert!(managed.end <= RAM_FRAMES, "test allocator beyond emulated RAM");
        // Reversed, so the lowest frame is handed out first.
        let free: Vec<u32> = managed.clone().rev().collect();
        Self { is_free: free.iter().copied().collect(), free, managed }
    }

    /// How many frames are free.
    pub(crate) fn free_count(&self) -> usize {
        self.free.len()
    }
}

// SAFETY: each managed frame is either in `free` (and `is_free`) or handed
// out, never both; `free` refuses a frame that is already free.
unsafe impl FrameAllocator for TestFrames {
    fn allocate(&mut self) -> Option<Frame> {
        let number = self.free.pop()?;
        self.is_free.remove(&number);
        Some(Frame::from_number(number))
    }

    fn free(&mut self, frame: Frame) -> Result<(), FreeError> {
        let number = frame.number();
        if !self.managed.contains(&number) {
            return Err(FreeError::NotUsable(frame.start()));
        }
        if !self.is_free.insert(number) {
            return Err(FreeError::DoubleFree(frame.start()));
        }
        self.free.push(number);
        Ok(())
    }
}

/// Emulated tables with an empty directory (only the recursive entry).
pub(crate) fn tables() -> EmulatedTables {
    let memory = PhysMemory::new(RAM_FRAMES * crate::addr::PAGE_SIZE);
    EmulatedTables::new(memory, Frame::from_number(DIRECTORY_FRAME))
}

/// A mapper over `tables` (built by the test, maybe with boot tables).
pub(crate) fn mapper_over(tables: EmulatedTables) -> Mapper<EmulatedTables> {
    // SAFETY: the mapper is the only writer of these emulated tables from
    // here on; tables not from a `TestFrames` are PINNED by the tests.
    unsafe { Mapper::new(tables) }.expect("test directory has no 4 MiB pages")
}

/// An empty mapper and an allocator with `frames` free frames.
pub(crate) fn setup(frames: u32) -> (Mapper<EmulatedTables>, TestFrames) {
    (mapper_over(tables()), TestFrames::new(frames))
}

/// The physical address of frame number `n`.
pub(crate) fn frame_addr(n: u32) -> PhysAddr {
    Frame::from_number(n).start()
}
