//! The window: how the frame stack reaches a stack page it does not map.
//!
//! The stack's pages are ordinary free frames anywhere in RAM, and most of
//! RAM is not mapped in the kernel's address space. So the stack looks at
//! them through one fixed virtual page that it points at one frame at a time.
//! In the kernel that page is a fixmap slot: `show` rewrites its page-table
//! entry and flushes it with `invlpg`. On the host it is a pointer into
//! emulated RAM. `show` is called only when the stack moves to another page
//! (once per 1023 allocations or frees); the fast path only calls `page`.

use crate::addr::PhysAddr;

/// A one-page view onto physical memory that can be pointed at any frame.
///
/// ```text
///   virtual                        physical
///   +--------------+   show(f)     +--------------+
///   | window page  | ------------> | frame f      |  page() = f's 1024 words
///   +--------------+               +--------------+
/// ```
///
/// # Safety
///
/// The frame stack trusts the window with its whole state, so an
/// implementation must guarantee, for as long as it lives:
///
/// 1. After `show(frame)`, `page()` returns the 4096 bytes of physical
///    memory at `frame`, as 1024 naturally aligned `u32`s, until the next
///    `show`. Reads see earlier writes to that frame made through the window,
///    even if other frames were shown in between (the kernel flushes the TLB
///    entry of the window page on every `show`).
/// 2. The memory `page()` returns is not reachable through anything else the
///    implementation hands out: the window's virtual page belongs to this
///    window alone, so the returned `&mut` really is exclusive.
/// 3. Neither method reads or writes the shown frame on its own, and
///    `page()` does not remap (it is on the allocator's fast path).
pub unsafe trait StackWindow {
    /// Points the window at `frame`; afterwards [`page`](Self::page) shows it.
    ///
    /// # Safety
    ///
    /// `frame` must be 4 KiB-aligned RAM that the caller owns: nothing else
    /// reads or writes it while the window may be used to access it.
    unsafe fn show(&mut self, frame: PhysAddr);

    /// The frame last passed to [`show`](Self::show), as 1024 words.
    ///
    /// # Safety
    ///
    /// `show` has been called at least once, and the caller still owns the
    /// frame it showed (the condition `show` asked for still holds).
    unsafe fn page(&mut self) -> &mut [u32; 1024];
}
