//! The allocators under comparison, behind one small trait. Each gets its
//! memory the way the kernel's heap does, as far as its API allows: one
//! reserved region, handed over from its start in whole 4 KiB pages on
//! demand. So the peak pages each had mapped, and the highest byte each
//! handed out, compare like for like. In the timed rounds the allocators
//! take turns over the very same region (the same physical pages, so the
//! same cache behaviour), each starting afresh.

mod kmalloc;
mod lla;
mod rlsf;
mod talc;

pub use self::kmalloc::Kmalloc;
pub use self::lla::Lla;
pub use self::rlsf::Rlsf;
pub use self::talc::TalcAlloc;

use std::alloc::Layout;

pub const PAGE: usize = 4096;

/// What a trace replay needs from an allocator. Sizes are never 0; every
/// request asks for 8-byte alignment (what the kernel's `kmalloc` gives).
pub trait BenchAlloc {
    const NAME: &'static str;
    /// A fresh allocator over `region`, nothing of it claimed yet.
    ///
    /// # Safety
    /// `region` outlives the allocator, and no other live allocator uses it.
    unsafe fn new(region: &Region) -> Self;
    fn alloc(&mut self, size: usize) -> *mut u8;
    /// # Safety
    /// `ptr` came from `alloc`/`realloc` with `size`.
    unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize);
    /// # Safety
    /// As for `dealloc`.
    unsafe fn realloc(&mut self, ptr: *mut u8, old: usize, new: usize) -> *mut u8;
    /// The region's first byte and its length.
    fn region(&self) -> (usize, usize);
    /// The most pages that were mapped (claimed from the region) at once.
    fn peak_pages(&self) -> usize;
    /// The allocator's own consistency check, where it has one.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

pub const ALIGN: usize = 8;

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, ALIGN).expect("layout")
}

/// Host memory posing as a reserved region: one 4 KiB-aligned allocation,
/// zeroed and with every page faulted in, so no page fault lands in a timed loop.
pub struct Region {
    base: *mut u8,
    layout: Layout,
}

impl Region {
    pub fn new(len: usize) -> Self {
        let layout = Layout::from_size_align(len, PAGE).expect("region");
        // SAFETY: non-zero size.
        let base = unsafe { std::alloc::alloc_zeroed(layout) };
        assert!(!base.is_null(), "the host could not allocate a {len}-byte region");
        for page in (0..len).step_by(PAGE) {
            // SAFETY: inside the allocation just made.
            unsafe { base.add(page).write_volatile(0) };
        }
        Region { base, layout }
    }

    /// The first byte and the length.
    pub fn span(&self) -> (usize, usize) {
        (self.base as usize, self.layout.size())
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.base, self.layout) }
    }
}
