//! [`ProtectedSource`]: the heap's pages in a region of real virtual memory
//! whose unmapped pages are `PROT_NONE`, for the `heap` fuzz target.
//!
//! A heap that writes (or reads) beyond its mapped top faults at that very
//! instruction, and libFuzzer records the input, where the replay's guarded
//! arena compares every byte after the fact. The region is reserved once
//! per process and reused by every input, so a run costs `mprotect` calls,
//! not fresh memory. A page is given the contents the guarded arena would
//! give it (zero when first mapped in a run, [`UNMAPPED_FILL`] when mapped
//! again), so an input behaves the same over both sources.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use mm::fuzz::{HEAP_REGION, TestSource};
use mm::heap::arena::UNMAPPED_FILL;
use mm::heap::{HeapRegion, MapError, PageSource};

const PAGE: usize = 4096;

/// The reserved region's address (reserved on first use, never released).
static REGION: OnceLock<usize> = OnceLock::new();
/// Whether a `ProtectedSource` holds the region now.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The heap's page source over the process's one protected region.
#[derive(Debug)]
pub struct ProtectedSource {
    base: NonNull<u8>,
    /// Pages mapped: always the prefix `0..mapped` of the region.
    mapped: usize,
    /// Pages below this were mapped earlier in this run.
    high_water: usize,
    frame_limit: Option<usize>,
}

/// Sets the protection of `pages` pages from `offset` of the region.
fn protect(base: NonNull<u8>, offset: usize, pages: usize, prot: libc::c_int) {
    // SAFETY: the range lies inside the region this process reserved with
    // mmap, which nothing but the source and its heap uses.
    let done = unsafe { libc::mprotect(base.as_ptr().add(offset).cast(), pages * PAGE, prot) };
    assert_eq!(done, 0, "mprotect failed: {}", std::io::Error::last_os_error());
}

impl ProtectedSource {
    /// The region, with nothing mapped. Panics if another source holds it.
    pub fn take() -> Self {
        assert!(!TAKEN.swap(true, Ordering::AcqRel), "the protected region is in use");
        let base = *REGION.get_or_init(|| {
            // SAFETY: a fresh anonymous mapping; no existing memory is affected.
            let at = unsafe {
                libc::mmap(
                    core::ptr::null_mut(),
                    HEAP_REGION,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            assert_ne!(at, libc::MAP_FAILED, "reserving the heap's region failed");
            at as usize
        });
        let base = NonNull::new(base as *mut u8).expect("mmap returned a non-null address");
        Self { base, mapped: 0, high_water: 0, frame_limit: None }
    }
}

impl Drop for ProtectedSource {
    fn drop(&mut self) {
        // A run that ended early may have left pages mapped.
        protect(self.base, 0, HEAP_REGION / PAGE, libc::PROT_NONE);
        TAKEN.store(false, Ordering::Release);
    }
}

// SAFETY: the region is this process's own reservation, used by one source
// at a time (`TAKEN`) and so by one heap; `map` makes exactly the requested
// pages readable and writable (all or nothing: it checks the limit before
// changing anything), `unmap` makes them inaccessible, and neither touches
// the heap.
unsafe impl PageSource for ProtectedSource {
    fn region(&self) -> HeapRegion {
        HeapRegion { base: self.base, len: HEAP_REGION }
    }

    fn map(&mut self, offset: usize, pages: usize) -> Result<(), MapError> {
        let first = offset / PAGE;
        assert!(offset % PAGE == 0 && pages > 0, "heap mapped {pages} pages at {offset:#x}");
        assert!(first == self.mapped, "heap mapped at {offset:#x}, not just above its top");
        assert!(first + pages <= HEAP_REGION / PAGE, "heap mapped past the end of its region");
        if self.frame_limit.is_some_and(|limit| self.mapped + pages > limit) {
            return Err(MapError::OutOfFrames);
        }
        protect(self.base, offset, pages, libc::PROT_READ | libc::PROT_WRITE);
        for page in first..first + pages {
            let fill = if page < self.high_water { UNMAPPED_FILL } else { 0 };
            // SAFETY: the page was just made writable, and the heap does not
            // use it before `map` returns.
            unsafe { self.base.as_ptr().add(page * PAGE).write_bytes(fill, PAGE) };
        }
        self.mapped += pages;
        self.high_water = self.high_water.max(self.mapped);
        Ok(())
    }

    unsafe fn unmap(&mut self, offset: usize, pages: usize) {
        let first = offset / PAGE;
        assert!(offset % PAGE == 0, "heap unmapped at unaligned {offset:#x}");
        assert!(first + pages == self.mapped, "heap unmapped pages other than its top ones");
        protect(self.base, offset, pages, libc::PROT_NONE);
        self.mapped -= pages;
    }
}

impl TestSource for ProtectedSource {
    fn set_frame_limit(&mut self, frames: Option<usize>) {
        self.frame_limit = frames;
    }

    fn mapped_pages(&self) -> usize {
        self.mapped
    }

    /// Nothing to compare: a write outside the mapped pages faulted.
    fn verify_untouched(&self) -> Result<(), usize> {
        Ok(())
    }
}
