//! linked_list_allocator: `extend` by one page when a request fails, and
//! retry. It never gives pages back.

use std::ptr::{self, NonNull};

use super::{BenchAlloc, PAGE, Region, layout};

pub struct Lla {
    heap: linked_list_allocator::Heap,
    base: *mut u8,
    len: usize,
    claimed: usize,
}

impl BenchAlloc for Lla {
    const NAME: &'static str = "linked_list_allocator";

    unsafe fn new(region: &Region) -> Self {
        let (base, len) = region.span();
        Lla { heap: linked_list_allocator::Heap::empty(), base: base as *mut u8, len, claimed: 0 }
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
            // SAFETY: the next page of the region follows the heap directly
            // and is used by nothing else.
            unsafe {
                if self.claimed == 0 {
                    self.heap.init(self.base, PAGE);
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

    fn region(&self) -> (usize, usize) {
        (self.base as usize, self.len)
    }

    fn peak_pages(&self) -> usize {
        self.claimed / PAGE
    }
}
