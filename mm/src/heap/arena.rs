//! A [`PageSource`] for the host: the region is one big 4 KiB-aligned
//! allocation, and "mapping" a page only marks it mapped. Host only.
//!
//! The arena checks the heap's side of the contract (it maps only unmapped
//! pages just above the top, unmaps only mapped ones) and panics on a
//! breach, since it exists to test the heap. A guarded arena also makes
//! unmapped memory observable: never-mapped pages stay zero, unmapped pages
//! are filled with [`UNMAPPED_FILL`], and both are verified when a page is
//! mapped again and by [`ArenaSource::verify_untouched`], so a heap that
//! writes beyond its mapped top is caught. A frame limit makes `map` fail
//! (all-or-nothing) to test running out of memory.

extern crate alloc;

use alloc::alloc::{Layout, alloc_zeroed, dealloc};
use alloc::vec::Vec;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};

use super::block::PAGE;
use super::source::{HeapRegion, MapError, PageSource};

/// What a guarded arena writes into pages the heap unmaps.
pub const UNMAPPED_FILL: u8 = 0x6B;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Never,
    Mapped,
    Unmapped,
}

/// Host memory posing as the heap's virtual region.
#[derive(Debug)]
pub struct ArenaSource {
    mem: NonNull<u8>,
    layout: Layout,
    pages: Vec<State>,
    mapped: usize,
    peak: usize,
    high_water: usize,
    frame_limit: Option<usize>,
    guarded: bool,
    map_calls: u64,
}

// SAFETY: the arena owns its allocation outright; nothing else points into it.
unsafe impl Send for ArenaSource {}

impl ArenaSource {
    /// An arena of `len` bytes (rounded up to whole pages), none mapped.
    /// Panics if the host cannot allocate it (host test infrastructure).
    pub fn new(len: usize) -> Self {
        let len = len.next_multiple_of(PAGE as usize).max(PAGE as usize);
        let layout = Layout::from_size_align(len, PAGE as usize).expect("arena layout");
        // SAFETY: the layout has a non-zero size.
        let mem = unsafe { alloc_zeroed(layout) };
        let mem = NonNull::new(mem).expect("host allocation of the arena failed");
        let pages = alloc::vec![State::Never; len / PAGE as usize];
        ArenaSource {
            mem,
            layout,
            pages,
            mapped: 0,
            peak: 0,
            high_water: 0,
            frame_limit: None,
            guarded: false,
            map_calls: 0,
        }
    }

    /// An arena that fills unmapped pages and verifies them (see the module docs).
    pub fn guarded(len: usize) -> Self {
        let mut arena = Self::new(len);
        arena.guarded = true;
        arena
    }

    /// Lets `map` succeed only while at most `frames` pages are mapped
    /// (`None`: no limit but the arena's size).
    pub fn set_frame_limit(&mut self, frames: Option<usize>) {
        self.frame_limit = frames;
    }

    /// Pages mapped now.
    pub fn mapped_pages(&self) -> usize {
        self.mapped
    }

    /// The most pages ever mapped at once.
    pub fn peak_pages(&self) -> usize {
        self.peak
    }

    /// Successful `map` calls so far.
    pub fn map_calls(&self) -> u64 {
        self.map_calls
    }

    /// Checks that no page outside the mapped ones was written: never-mapped
    /// pages are zero and unmapped pages hold [`UNMAPPED_FILL`] (guarded
    /// arenas only). Returns the offset of the first written byte.
    pub fn verify_untouched(&self) -> Result<(), usize> {
        if !self.guarded {
            return Ok(());
        }
        let last = (self.high_water + 1).min(self.pages.len());
        (0..last).try_for_each(|page| self.verify_page(page))
    }

    fn verify_page(&self, page: usize) -> Result<(), usize> {
        let expected = match self.pages[page] {
            State::Mapped => return Ok(()),
            State::Never => 0,
            State::Unmapped => UNMAPPED_FILL,
        };
        let start = page * PAGE as usize;
        // SAFETY: the page lies inside the arena's allocation, and an unmapped
        // page is not the heap's: nothing else reads or writes it now.
        let bytes =
            unsafe { core::slice::from_raw_parts(self.mem.as_ptr().add(start), PAGE as usize) };
        match bytes.iter().position(|&b| b != expected) {
            Some(i) => Err(start + i),
            None => Ok(()),
        }
    }
}

// SAFETY: the region is the arena's own allocation, which nothing else uses;
// `map` only marks pages (the memory is always there), refuses all-or-nothing
// before marking anything, and `unmap` never fails. No method touches a heap.
unsafe impl PageSource for ArenaSource {
    fn region(&self) -> HeapRegion {
        HeapRegion { base: self.mem, len: self.layout.size() }
    }

    fn map(&mut self, offset: usize, pages: usize) -> Result<(), MapError> {
        let first = offset / PAGE as usize;
        assert!(
            offset.is_multiple_of(PAGE as usize) && pages > 0,
            "heap mapped {pages} pages at {offset:#x}"
        );
        assert!(first + pages <= self.pages.len(), "heap mapped past the end of its region");
        assert!(first == self.mapped, "heap mapped at {offset:#x}, not just above its top");
        if self.frame_limit.is_some_and(|limit| self.mapped + pages > limit) {
            return Err(MapError::OutOfFrames);
        }
        // Pages are only ever mapped just above the top (asserted above), so a
        // plain arena needs no per-page work; a guarded one checks each page.
        if self.guarded {
            for page in first..first + pages {
                assert_ne!(self.pages[page], State::Mapped, "page {page} mapped twice");
                if let Err(at) = self.verify_page(page) {
                    panic!("unmapped heap memory was written at offset {at:#x}");
                }
                self.pages[page] = State::Mapped;
            }
        }
        self.mapped += pages;
        self.peak = self.peak.max(self.mapped);
        self.high_water = self.high_water.max(first + pages);
        self.map_calls += 1;
        Ok(())
    }

    unsafe fn unmap(&mut self, offset: usize, pages: usize) {
        let first = offset / PAGE as usize;
        assert!(offset.is_multiple_of(PAGE as usize), "heap unmapped at unaligned {offset:#x}");
        assert!(first + pages == self.mapped, "heap unmapped pages other than its top ones");
        if self.guarded {
            for page in first..first + pages {
                assert_eq!(self.pages[page], State::Mapped, "page {page} unmapped but not mapped");
                self.pages[page] = State::Unmapped;
            }
            // SAFETY: the pages lie inside the arena's allocation and the heap
            // promised (unmap's contract) that nothing uses them any more.
            unsafe {
                self.mem.as_ptr().add(offset).write_bytes(UNMAPPED_FILL, pages * PAGE as usize)
            };
        }
        self.mapped -= pages;
    }

    /// The arena's address (different from run to run where the host
    /// randomises its heap) mixed with a count of arenas made so far.
    fn boot_secret(&mut self) -> u32 {
        static ARENAS: AtomicU32 = AtomicU32::new(0);
        let count = ARENAS.fetch_add(1, Ordering::Relaxed);
        let addr = self.mem.as_ptr().addr() as u64;
        (addr ^ (addr >> 32)) as u32 ^ count.wrapping_mul(0x9E37_79B9)
    }
}

impl Drop for ArenaSource {
    fn drop(&mut self) {
        // SAFETY: `mem` came from `alloc_zeroed` with this layout.
        unsafe { dealloc(self.mem.as_ptr(), self.layout) }
    }
}
