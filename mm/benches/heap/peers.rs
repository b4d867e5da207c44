//! The allocators under comparison, behind one small trait, each over its
//! own pre-faulted arena of the same size and each growing its heap on
//! demand by whole pages, so peak footprint (the most pages an allocator
//! ever had to have mapped or claimed) compares fairly.

use std::alloc::Layout;
use std::ptr::{self, NonNull};

use mm::heap::{ArenaSource, Heap, PageSource};
use talc::base::Talc;
use talc::base::binning::Binning;

pub const PAGE: usize = 4096;

/// What a workload needs from an allocator. Sizes are never 0; alignment is 8.
pub trait BenchAlloc {
    const NAME: &'static str;
    fn new(arena: usize) -> Self;
    fn alloc(&mut self, size: usize) -> *mut u8;
    /// # Safety
    /// `ptr` came from `alloc`/`realloc` with `size`.
    unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize);
    /// # Safety
    /// As for `dealloc`.
    unsafe fn realloc(&mut self, ptr: *mut u8, old: usize, new: usize) -> *mut u8;
    fn peak_pages(&self) -> usize;
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).expect("layout")
}

/// Writes every page of `len` bytes at `base`, so no page fault lands in a timed loop.
fn prefault(base: *mut u8, len: usize) {
    for page in (0..len).step_by(PAGE) {
        // SAFETY: callers pass their own unused arena.
        unsafe { base.add(page).write_volatile(0) };
    }
}

/// Host memory for the peers: one 4 KiB-aligned, pre-faulted allocation.
pub struct Arena {
    base: *mut u8,
    layout: Layout,
}

impl Arena {
    fn new(len: usize) -> Self {
        let layout = Layout::from_size_align(len, PAGE).expect("arena");
        // SAFETY: non-zero size.
        let base = unsafe { std::alloc::alloc(layout) };
        assert!(!base.is_null());
        prefault(base, len);
        Arena { base, layout }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.base, self.layout) }
    }
}

/// Our heap, the very code the kernel runs, over the host arena source.
pub struct Kmalloc(Heap<ArenaSource>);

impl BenchAlloc for Kmalloc {
    const NAME: &'static str = "kmalloc";
    fn new(arena: usize) -> Self {
        let source = ArenaSource::new(arena);
        prefault(source.region().base.as_ptr(), arena);
        Kmalloc(Heap::new(source))
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
    fn peak_pages(&self) -> usize {
        self.0.source().peak_pages()
    }
}

/// Talc's source: claims the arena's first pages on the first OOM, then
/// extends the heap by just the pages a request still lacks.
#[derive(Debug)]
pub struct Grow {
    base: *mut u8,
    len: usize,
    end: Option<NonNull<u8>>,
    claimed: usize,
    peak: usize,
}

// SAFETY: `acquire` only claims/extends the given Talc over its own arena
// and never touches any other allocator.
unsafe impl talc::source::Source for Grow {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let src = &mut talc.source;
        let (base, len) = (src.base, src.len);
        let want = layout.size() + layout.align() + 2 * talc::base::CHUNK_UNIT;
        let claimed = match src.end {
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
        // SAFETY: `base..base + claimed` is this arena's memory, used by nothing else.
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

pub struct TalcAlloc {
    talc: Talc<Grow, talc::DefaultBinning>,
    _arena: Arena,
}

impl BenchAlloc for TalcAlloc {
    const NAME: &'static str = "talc";
    fn new(arena: usize) -> Self {
        let mem = Arena::new(arena);
        let source = Grow { base: mem.base, len: arena, end: None, claimed: 0, peak: 0 };
        TalcAlloc { talc: Talc::new(source), _arena: mem }
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
    fn peak_pages(&self) -> usize {
        self.talc.source.peak / PAGE
    }
}

/// linked_list_allocator: `extend` by one page on failure, and retry.
pub struct Lla {
    heap: linked_list_allocator::Heap,
    arena: Arena,
    len: usize,
    claimed: usize,
}

impl BenchAlloc for Lla {
    const NAME: &'static str = "linked_list_allocator";
    fn new(arena: usize) -> Self {
        Lla {
            heap: linked_list_allocator::Heap::empty(),
            arena: Arena::new(arena),
            len: arena,
            claimed: 0,
        }
    }
    #[inline]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        loop {
            if let Ok(p) = self.heap.allocate_first_fit(layout(size)) {
                return p.as_ptr();
            }
            if self.claimed + PAGE > self.len {
                return ptr::null_mut();
            }
            // SAFETY: the next page of the arena follows the heap directly and
            // is used by nothing else.
            unsafe {
                if self.claimed == 0 {
                    self.heap.init(self.arena.base, PAGE);
                } else {
                    self.heap.extend(PAGE);
                }
            }
            self.claimed += PAGE;
        }
    }
    #[inline]
    unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize) {
        // SAFETY: forwarded.
        unsafe { self.heap.deallocate(NonNull::new_unchecked(ptr), layout(size)) }
    }
    #[inline]
    unsafe fn realloc(&mut self, ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
        // The crate has no realloc: GlobalAlloc's default (allocate, copy, free).
        let fresh = self.alloc(new);
        if !fresh.is_null() {
            // SAFETY: distinct live allocations of at least `old.min(new)` bytes.
            unsafe {
                fresh.copy_from_nonoverlapping(ptr, old.min(new));
                self.dealloc(ptr, old);
            }
        }
        fresh
    }
    fn peak_pages(&self) -> usize {
        self.claimed / PAGE
    }
}
