//! Reference counts of shared frames: how many mappings use a frame that
//! a fork left in more than one address space.
//!
//! A frame mapped in one place needs no count: its one user owns it, as a
//! `Frame` token, and gives it back to the frame allocator when it lets go.
//! Only a frame that several spaces map needs a number, so the table
//! records *users beyond the first*, and only for frames that have some.
//! While nothing is shared it holds nothing at all, not even its directory:
//!
//! ```text
//!  frame number (20 bits):  | chunk (9 bits) | index (11 bits) |
//!
//!  directory frame (made on the first share)      chunk frame (made when one
//!  entry c = chunk frame | non-zero counts in it  of its frames is shared)
//!  +----------------------------+                 +-------------------------+
//!  | 0 (no chunk: none shared)  |                 | u16 extra users of frame|
//!  | 0x0123_4000 | 3 ---------- +---------------> | c*2048 + 0, + 1, ...    |
//!  | ...  512 entries used      |                 | 2048 counts, 4 KiB      |
//!  +----------------------------+                 +-------------------------+
//! ```
//!
//! A frame's count is 1 + its number in the table (0 if its chunk has none).
//! A chunk is freed when its last non-zero number goes back to 0 (the
//! directory entry's low 12 bits count them, as a page table's entry counts
//! are kept by the mapper), and the directory when its last chunk goes. So
//! the table costs 0 frames while nothing is shared; with sharing, one
//! directory frame plus one chunk frame per 8 MiB of RAM that holds a
//! shared frame: at most 2 frames (8 KiB) on a 4 MiB machine, at most
//! 1 + 384 frames (1.5 MiB, 0.05%) with shared frames spread over all of
//! 3 GiB.
//!
//! 16 bits a count: a frame is mapped at most once per address space, and
//! there are far fewer spaces than 65536. A count that would pass that is
//! a leak, and one that would fall below zero (a frame released more often
//! than it was shared) a double free: both stop the kernel with the frame's
//! address, as the frame allocator does for a corrupted stack.

use super::window::{FrameWindow, WindowSlot};
use crate::addr::{PAGE_SIZE, PhysAddr};
use crate::frame::{Frame, FrameAllocator};
use core::fmt;

/// Frames one chunk counts: 2048 16-bit numbers in a 4 KiB frame.
pub const FRAMES_PER_CHUNK: u32 = PAGE_SIZE / 2;
/// Chunks for every frame of the 4 GiB physical address space.
pub const CHUNKS: usize = ((1u64 << 32) / PAGE_SIZE as u64 / FRAMES_PER_CHUNK as u64) as usize;
/// The most users a frame may have.
pub const MAX_USERS: u32 = u16::MAX as u32 + 1;

/// A directory entry's low bits: how many non-zero numbers its chunk holds.
const IN_USE_MASK: u32 = PAGE_SIZE - 1;

const _: () = assert!(CHUNKS == 512 && CHUNKS <= 1024);
const _: () = assert!(FRAMES_PER_CHUNK <= IN_USE_MASK, "the in-use count fits the low bits");

/// No frame was left for the table's directory or a chunk; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfFrames;

impl fmt::Display for OutOfFrames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("out of memory: no free frame for the reference-count table")
    }
}

/// What [`FrameCounts::release`] did with the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Released {
    /// It was the last user: the frame is back with the allocator.
    Freed,
    /// Others still use it; this many.
    StillShared(u32),
}

/// The reference counts of every frame mapped by more than one space.
///
/// Each `Frame` token of a shared frame stands for one user: [`share`]
/// makes a new token for a new user, [`release`] takes one back, and the
/// frame goes to the allocator with the last one.
///
/// [`share`]: Self::share
/// [`release`]: Self::release
pub struct FrameCounts<W: FrameWindow> {
    window: W,
    /// The directory frame, while any chunk exists.
    directory: Option<PhysAddr>,
    /// Chunk frames in use.
    chunks: u32,
    /// Frames with more than one user.
    shared: u32,
}

impl<W: FrameWindow> FrameCounts<W> {
    /// An empty table (every frame has one user or none), reaching its
    /// frames through `window`'s [`WindowSlot::CountDirectory`] and
    /// [`WindowSlot::CountChunk`].
    pub const fn new(window: W) -> Self {
        Self { window, directory: None, chunks: 0, shared: 0 }
    }

    /// Frames the table holds now: 0 while nothing is shared.
    pub fn frames_held(&self) -> u32 {
        u32::from(self.directory.is_some()) + self.chunks
    }

    /// How many frames have more than one user.
    pub fn shared_frames(&self) -> u32 {
        self.shared
    }

    /// How many users `frame` has, as far as the table knows: 1 for a
    /// frame it has no number for (mapped once, or not at all).
    pub fn users(&mut self, frame: &Frame) -> u32 {
        1 + u32::from(self.extra(frame.number()))
    }

    /// Records one more user of `frame` (which is in use: mapped at least
    /// once) and returns the token that user owns. May take a frame for
    /// the table (its directory, a chunk) from `frames`; if none is left,
    /// nothing changed.
    ///
    /// # Panics
    ///
    /// If `frame` already has [`MAX_USERS`] users: a reference leaked.
    pub fn share(
        &mut self,
        frame: &Frame,
        frames: &mut impl FrameAllocator,
    ) -> Result<Frame, OutOfFrames> {
        let number = frame.number();
        let extra = self.extra(number);
        if u32::from(extra) + 1 == MAX_USERS {
            panic!(
                "frame counts: frame {} would have more than {MAX_USERS} users: the count \
                 overflows (a mapping was shared and never released?)",
                frame.start()
            );
        }
        if extra == 0 {
            self.add_number(number, frames)?;
        } else {
            self.set_extra(number, extra + 1);
        }
        Ok(Frame::from_number(number))
    }

    /// Gives back one user's token of `frame`: if others still use it the
    /// count goes down; if that was the last user the frame goes back to
    /// `frames`. The table's own frames go back when they count nothing.
    ///
    /// # Panics
    ///
    /// If the allocator refuses the frame: it was free already, so the
    /// count would have fallen below zero (a frame released more often
    /// than it was shared, or not the allocator's).
    pub fn release(&mut self, frame: Frame, frames: &mut impl FrameAllocator) -> Released {
        let number = frame.number();
        match self.extra(number) {
            0 => {
                let at = frame.start();
                if let Err(e) = frames.free(frame) {
                    panic!(
                        "frame counts: frame {at} released by a user it does not have: its \
                         count would fall below zero ({e})"
                    );
                }
                Released::Freed
            }
            1 => {
                self.remove_number(number, frames);
                Released::StillShared(1)
            }
            extra => {
                self.set_extra(number, extra - 1);
                Released::StillShared(u32::from(extra))
            }
        }
    }

    /// Where frame `number`'s count is: its chunk and its index there.
    const fn place(number: u32) -> (usize, usize) {
        ((number / FRAMES_PER_CHUNK) as usize, (number % FRAMES_PER_CHUNK) as usize)
    }

    fn directory_entries(&mut self, directory: PhysAddr) -> &mut [u32; 1024] {
        // SAFETY: the directory frame is the table's own (taken from the
        // allocator in `add_number`); the previous view of this slot ended
        // with its borrow of `self`.
        let ptr = unsafe { self.window.show(WindowSlot::CountDirectory, directory) };
        // SAFETY: `show` returns the frame's 4 KiB, aligned; exclusive for
        // the borrow of `self`.
        unsafe { &mut *ptr.cast::<[u32; 1024]>() }
    }

    fn chunk_counts(&mut self, chunk: PhysAddr) -> &mut [u16; FRAMES_PER_CHUNK as usize] {
        // SAFETY: as in `directory_entries`: a chunk frame the table owns.
        let ptr = unsafe { self.window.show(WindowSlot::CountChunk, chunk) };
        // SAFETY: 4 KiB, aligned (2048 u16s); exclusive for the borrow.
        unsafe { &mut *ptr.cast::<[u16; FRAMES_PER_CHUNK as usize]>() }
    }

    /// The directory entry of `chunk` (0: no chunk), if there is a directory.
    fn entry(&mut self, chunk: usize) -> u32 {
        match self.directory {
            Some(directory) => self.directory_entries(directory)[chunk],
            None => 0,
        }
    }

    /// Frame `number`'s users beyond the first.
    fn extra(&mut self, number: u32) -> u16 {
        let (chunk, index) = Self::place(number);
        match self.entry(chunk) & !IN_USE_MASK {
            0 => 0,
            at => self.chunk_counts(PhysAddr::new(at))[index],
        }
    }

    /// Sets a number that is non-zero before and after.
    fn set_extra(&mut self, number: u32, value: u16) {
        let (chunk, index) = Self::place(number);
        let at = self.entry(chunk) & !IN_USE_MASK;
        debug_assert!(at != 0 && value != 0);
        self.chunk_counts(PhysAddr::new(at))[index] = value;
    }

    /// Frame `number` goes from 0 to 1 extra user: its chunk (and the
    /// directory) are made first if missing, all or nothing.
    fn add_number(
        &mut self,
        number: u32,
        frames: &mut impl FrameAllocator,
    ) -> Result<(), OutOfFrames> {
        let (chunk, index) = Self::place(number);
        let mut new_directory = None;
        if self.directory.is_none() {
            let frame = frames.allocate().ok_or(OutOfFrames)?;
            new_directory = Some(frame.start());
            self.directory_entries(frame.start()).fill(0);
        }
        let directory = new_directory.or(self.directory).expect("made above");
        let mut entry = self.directory_entries(directory)[chunk];
        if entry == 0 {
            let Some(frame) = frames.allocate() else {
                if let Some(made) = new_directory {
                    give_back(frames, made, "its directory");
                }
                return Err(OutOfFrames);
            };
            self.chunk_counts(frame.start()).fill(0);
            entry = frame.start().as_u32();
            self.chunks += 1;
        }
        // The directory and chunk are the table's from here on: their
        // addresses are in `self.directory` and the entry.
        self.directory = Some(directory);
        self.chunk_counts(PhysAddr::new(entry & !IN_USE_MASK))[index] = 1;
        self.directory_entries(directory)[chunk] = entry + 1;
        self.shared += 1;
        Ok(())
    }

    /// Frame `number` goes from 1 extra user to 0: its chunk goes if that
    /// was its last non-zero number, and the directory with the last chunk.
    fn remove_number(&mut self, number: u32, frames: &mut impl FrameAllocator) {
        let (chunk, index) = Self::place(number);
        let directory = self.directory.expect("a shared frame has a directory");
        let entry = self.directory_entries(directory)[chunk];
        let at = PhysAddr::new(entry & !IN_USE_MASK);
        self.chunk_counts(at)[index] = 0;
        self.shared -= 1;
        if entry & IN_USE_MASK > 1 {
            self.directory_entries(directory)[chunk] = entry - 1;
            return;
        }
        self.directory_entries(directory)[chunk] = 0;
        give_back(frames, at, "a chunk");
        self.chunks -= 1;
        if self.chunks == 0 {
            self.directory = None;
            give_back(frames, directory, "its directory");
        }
    }
}

impl<W: FrameWindow> fmt::Debug for FrameCounts<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameCounts")
            .field("shared_frames", &self.shared)
            .field("frames_held", &self.frames_held())
            .finish()
    }
}

/// Frees one of the table's own frames; a refusal means the books are wrong.
fn give_back(frames: &mut impl FrameAllocator, at: PhysAddr, what: &str) {
    if let Err(e) = frames.free(Frame::containing(at)) {
        panic!("frame counts: the frame allocator refused {what} at {at}: {e}");
    }
}
