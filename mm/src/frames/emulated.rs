//! The host's [`StackWindow`]: a pointer into emulated physical memory.
//!
//! Host tests and benchmarks run the kernel's frame stack unchanged over
//! [`PhysMemory`]. Like the kernel's fixmap window, `show` does the work
//! (here: find the page) and `page` is a single pointer dereference, so the
//! benchmark measures the same fast path the kernel runs.

use crate::addr::PhysAddr;
use crate::emulate::PhysMemory;
use crate::frames::window::StackWindow;

/// A window onto emulated RAM. Counts how often it was moved, so tests can
/// check that the fast path never remaps.
#[derive(Debug)]
pub struct EmulatedWindow<'m> {
    mem: &'m mut PhysMemory,
    shown: Option<PhysAddr>,
    /// The shown page, derived from `mem` by the last `show`. Kept as a raw
    /// pointer so `page` costs what the kernel's fixed address costs.
    page: *mut [u32; 1024],
    remaps: u64,
}

impl<'m> EmulatedWindow<'m> {
    /// A window onto `mem`, not yet pointed anywhere.
    pub fn new(mem: &'m mut PhysMemory) -> Self {
        Self { mem, shown: None, page: core::ptr::null_mut(), remaps: 0 }
    }

    /// How many times `show` has been called.
    pub fn remaps(&self) -> u64 {
        self.remaps
    }

    /// Runs `f` on the whole emulated memory, e.g. to check that the stack
    /// left some frames alone. The window keeps showing the same frame.
    pub fn with_memory<R>(&mut self, f: impl FnOnce(&mut PhysMemory) -> R) -> R {
        let result = f(self.mem);
        // Using `mem` as a whole invalidates the old page pointer, so derive
        // it again instead of reusing it.
        if let Some(frame) = self.shown {
            self.page = self.mem.words(frame);
        }
        result
    }
}

// SAFETY: `show` derives the pointer to exactly the emulated page at `frame`
// (PhysMemory panics on anything outside it), the page is owned through the
// exclusive borrow `mem`, which nothing else can use while the window lives,
// and `page` only dereferences that pointer. Emulated RAM is plain memory, so
// writes are seen by every later `show` of the same frame.
unsafe impl StackWindow for EmulatedWindow<'_> {
    unsafe fn show(&mut self, frame: PhysAddr) {
        self.page = self.mem.words(frame);
        self.shown = Some(frame);
        self.remaps += 1;
    }

    #[inline]
    unsafe fn page(&mut self) -> &mut [u32; 1024] {
        debug_assert!(self.shown.is_some(), "emulated window used before show");
        // SAFETY: the caller has called `show` (so the pointer came from
        // `mem.words` and is valid and aligned), and `&mut self` keeps the
        // returned reference exclusive until the next use of the window.
        unsafe { &mut *self.page }
    }
}
