//! talc over a source that claims the region's first pages on the first
//! request it cannot serve, then extends the heap by just the whole pages a
//! request still lacks. It never gives pages back (talc's sources don't).
//! `TalcAlloc<true>` claims the whole region at once instead, as talc is
//! usually set up: for reference only, since it maps every page up front.

use std::alloc::Layout;
use std::ptr::{self, NonNull};

use super::{BenchAlloc, PAGE, Region, layout};
use talc::base::Talc;
use talc::base::binning::Binning;

#[derive(Debug)]
pub struct Grow {
    base: *mut u8,
    len: usize,
    end: Option<NonNull<u8>>,
    claimed: usize,
    peak: usize,
    whole: bool,
}

// SAFETY: `acquire` only claims/extends the given Talc over its own region
// and never touches any other allocator.
unsafe impl talc::source::Source for Grow {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let src = &mut talc.source;
        let (base, len) = (src.base, src.len);
        let want = layout.size() + layout.align() + 2 * talc::base::CHUNK_UNIT;
        let claimed = match src.end {
            None if src.whole => len,
            None => (talc::min_first_heap_size::<B>() + want).next_multiple_of(PAGE),
            Some(end) => {
                // SAFETY: `end` is the current end of the heap.
                let top = unsafe { talc.reserved(end) }.up_to.as_ptr() as usize;
                let free_top = end.as_ptr() as usize - top;
                talc.source.claimed + want.saturating_sub(free_top).next_multiple_of(PAGE).max(PAGE)
            }
        };
        if claimed > len {
            return Err(());
        }
        // SAFETY: `base..base + claimed` is this region's memory, used by nothing else.
        let end = unsafe {
            match talc.source.end {
                None => talc.claim(base, claimed).ok_or(())?,
                Some(end) => talc.extend(end, base.add(claimed)),
            }
        };
        let src = &mut talc.source;
        src.end = Some(end);
        src.claimed = claimed;
        src.peak = src.peak.max(claimed);
        Ok(())
    }
}

pub struct TalcAlloc<const WHOLE: bool = false> {
    talc: Talc<Grow, talc::DefaultBinning>,
}

impl<const WHOLE: bool> BenchAlloc for TalcAlloc<WHOLE> {
    const NAME: &'static str = if WHOLE { "talc-whole" } else { "talc" };

    unsafe fn new(region: &Region) -> Self {
        let (base, len) = region.span();
        let base = base as *mut u8;
        let source = Grow { base, len, end: None, claimed: 0, peak: 0, whole: WHOLE };
        TalcAlloc { talc: Talc::new(source) }
    }

    #[inline]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        // SAFETY: size is non-zero.
        unsafe { self.talc.allocate(layout(size)) }.map_or(ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline]
    unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize) {
        // SAFETY: forwarded.
        unsafe { self.talc.deallocate(ptr, layout(size)) }
    }

    #[inline]
    unsafe fn realloc(&mut self, ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
        // What talc's own GlobalAlloc::realloc does.
        // SAFETY: forwarded; `new` is non-zero.
        unsafe {
            if self.talc.try_realloc_in_place(ptr, layout(old), new) {
                return ptr;
            }
            let Some(fresh) = self.talc.allocate(layout(new)) else { return ptr::null_mut() };
            fresh.as_ptr().copy_from_nonoverlapping(ptr, old.min(new));
            self.talc.deallocate(ptr, layout(old));
            fresh.as_ptr()
        }
    }

    fn region(&self) -> (usize, usize) {
        (self.talc.source.base as usize, self.talc.source.len)
    }

    fn peak_pages(&self) -> usize {
        self.talc.source.peak / PAGE
    }
}
