//! Our heap, the very code the kernel runs, over a page source that maps
//! the region's pages just above the heap's top and takes them back when
//! the heap trims its top, as the kernel's source does (without frames:
//! the memory is always there).

use std::ptr::{self, NonNull};

use super::{BenchAlloc, PAGE, Region};
use mm::heap::{Heap, HeapRegion, MapError, PageSource};

/// The region's pages, mapped as a prefix `0..mapped`.
#[derive(Debug)]
pub struct Pages {
    region: HeapRegion,
    mapped: usize,
    peak: usize,
}

// SAFETY: the region is the bench's, used by this heap alone while it
// lives (`BenchAlloc::new`'s contract) and always backed by memory; `map`
// only counts pages and refuses (before counting) what would leave the
// region; `unmap` never fails. No method touches the heap.
unsafe impl PageSource for Pages {
    fn region(&self) -> HeapRegion {
        self.region
    }

    fn map(&mut self, offset: usize, pages: usize) -> Result<(), MapError> {
        if offset != self.mapped * PAGE || offset + pages * PAGE > self.region.len {
            return Err(MapError::Refused);
        }
        self.mapped += pages;
        self.peak = self.peak.max(self.mapped);
        Ok(())
    }

    unsafe fn unmap(&mut self, offset: usize, pages: usize) {
        assert_eq!(offset + pages * PAGE, self.mapped * PAGE, "the heap unmapped below its top");
        self.mapped -= pages;
    }
}

pub struct Kmalloc(Heap<Pages>);

impl BenchAlloc for Kmalloc {
    const NAME: &'static str =
        if cfg!(feature = "heap-debug") { "kmalloc-debug" } else { "kmalloc" };

    unsafe fn new(region: &Region) -> Self {
        let (base, len) = region.span();
        let base = NonNull::new(base as *mut u8).expect("a region is never at 0");
        Kmalloc(Heap::new(Pages { region: HeapRegion { base, len }, mapped: 0, peak: 0 }))
    }

    #[inline]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        self.0.malloc(size).map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: *mut u8, _size: usize) {
        // SAFETY: forwarded.
        if let Err(e) = unsafe { self.0.free(ptr) } {
            panic!("kmalloc free: {e}");
        }
    }

    #[inline]
    unsafe fn realloc(&mut self, ptr: *mut u8, _old: usize, new: usize) -> *mut u8 {
        // SAFETY: forwarded.
        unsafe { self.0.realloc(ptr, new) }.map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    fn region(&self) -> (usize, usize) {
        let r = self.0.source().region;
        (r.base.as_ptr() as usize, r.len)
    }

    fn peak_pages(&self) -> usize {
        self.0.source().peak
    }

    fn check(&self) -> Result<(), String> {
        self.0.check().map_err(|e| e.to_string())
    }
}
