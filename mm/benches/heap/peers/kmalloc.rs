//! Our heap, the very code the kernel runs, over the host arena source
//! (which maps pages just above the top, as the kernel's source does, and
//! takes them back when the heap trims its top).

use std::ptr::{self, NonNull};

use super::{BenchAlloc, prefault};
use mm::heap::{ArenaSource, Heap, PageSource};

pub struct Kmalloc(Heap<ArenaSource>);

impl BenchAlloc for Kmalloc {
    const NAME: &'static str =
        if cfg!(feature = "heap-debug") { "kmalloc-debug" } else { "kmalloc" };

    fn new(region: usize) -> Self {
        let source = ArenaSource::new(region);
        prefault(source.region().base.as_ptr(), region);
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

    fn region(&self) -> (usize, usize) {
        let r = self.0.source().region();
        (r.base.as_ptr() as usize, r.len)
    }

    fn peak_pages(&self) -> usize {
        self.0.source().peak_pages()
    }

    fn check(&self) -> Result<(), String> {
        self.0.check().map_err(|e| e.to_string())
    }
}
