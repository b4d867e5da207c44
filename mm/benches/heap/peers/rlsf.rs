//! rlsf (TLSF) with the parameters its own global allocator uses
//! (`usize` bitmaps, `usize::BITS` first- and second-level lists), over a
//! source that grows one pool from the region's start in whole pages: the
//! first `alloc` hands out the pages the request needs, and every later
//! growth extends that pool in place (`realloc_inplace_grow`), as rlsf's own
//! WebAssembly source does with `memory.grow`. It never gives pages back.
//! `Rlsf<true>` gets the whole region in its first pool instead: for
//! reference only, since it maps every page up front.

use std::ptr::{self, NonNull};

use super::{ALIGN, BenchAlloc, PAGE, Region, layout};
use rlsf::{FlexSource, FlexTlsf};

pub struct Pages {
    base: *mut u8,
    len: usize,
    claimed: usize,
    whole: bool,
}

impl Pages {
    fn claim(&mut self, bytes: usize) -> Option<usize> {
        let bytes = bytes.checked_next_multiple_of(PAGE)?;
        (bytes <= self.len).then(|| {
            self.claimed = bytes;
            bytes
        })
    }
}

// SAFETY: `alloc` hands out the region's first pages once; `realloc_inplace_grow`
// only extends that one allocation over the region's following pages. The
// region is used by nothing else.
unsafe impl FlexSource for Pages {
    unsafe fn alloc(&mut self, min_size: usize) -> Option<NonNull<[u8]>> {
        if self.claimed != 0 {
            return None; // one contiguous pool; rlsf grows it through `realloc_inplace_grow`
        }
        let bytes = self.claim(if self.whole { self.len } else { min_size })?;
        NonNull::new(ptr::slice_from_raw_parts_mut(self.base, bytes))
    }

    unsafe fn realloc_inplace_grow(
        &mut self,
        _: NonNull<[u8]>,
        min_new_len: usize,
    ) -> Option<usize> {
        self.claim(min_new_len)
    }

    fn supports_realloc_inplace_grow(&self) -> bool {
        true
    }

    fn is_contiguous_growable(&self) -> bool {
        true
    }

    fn min_align(&self) -> usize {
        PAGE
    }
}

const BITS: usize = usize::BITS as usize;

pub struct Rlsf<const WHOLE: bool = false> {
    tlsf: FlexTlsf<Pages, usize, usize, BITS, BITS>,
}

impl<const WHOLE: bool> BenchAlloc for Rlsf<WHOLE> {
    const NAME: &'static str = if WHOLE { "rlsf-whole" } else { "rlsf" };

    unsafe fn new(region: &Region) -> Self {
        let (base, len) = region.span();
        let pages = Pages { base: base as *mut u8, len, claimed: 0, whole: WHOLE };
        Rlsf { tlsf: FlexTlsf::new(pages) }
    }

    #[inline]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        self.tlsf.allocate(layout(size)).map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: *mut u8, _size: usize) {
        // SAFETY: forwarded; every block was allocated with `ALIGN`.
        unsafe { self.tlsf.deallocate(NonNull::new_unchecked(ptr), ALIGN) }
    }

    #[inline]
    unsafe fn realloc(&mut self, ptr: *mut u8, _old: usize, new: usize) -> *mut u8 {
        // SAFETY: forwarded; the same alignment as the allocation.
        unsafe { self.tlsf.reallocate(NonNull::new_unchecked(ptr), layout(new)) }
            .map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    fn region(&self) -> (usize, usize) {
        let pages = self.tlsf.source_ref();
        (pages.base as usize, pages.len)
    }

    fn peak_pages(&self) -> usize {
        self.tlsf.source_ref().claimed / PAGE
    }
}
