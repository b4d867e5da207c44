//! The flush token every change to a page table returns.
//!
//! After an entry changes, the CPU may go on using the old translation
//! from its TLB until it is invalidated. Forgetting that is a silent bug:
//! an unmapped page stays reachable, and its frame, already given to
//! someone else, gets written through it. So the mapper returns a
//! `#[must_use]` [`Flush`] instead of flushing on its own (a caller that
//! changes 16 pages may prefer one full flush to 16 `invlpg`s), and in
//! debug builds dropping a token that was required panics with the page.

use super::tlb::Tlb;
use crate::frame::Page;

/// A pending TLB invalidation for one page.
///
/// Spend it with [`flush`](Self::flush). A token is *required* when the
/// entry was present before the change (unmap, flag update): then the old
/// translation may be cached. A token from mapping a page that was not
/// present is not required, since x86 never caches a not-present entry
/// (Intel SDM 4.10.4.3), but flushing it is harmless and keeps every call
/// site the same.
#[must_use = "the TLB may still hold the old translation: call `.flush(&mut tlb)` \
              (or `unsafe { .ignore() }` after a full flush)"]
#[derive(Debug)]
pub struct Flush {
    page: Page,
    required: bool,
}

impl Flush {
    /// A token for `page`; only the mapper makes them.
    pub(crate) const fn new(page: Page, required: bool) -> Self {
        Self { page, required }
    }

    /// The page whose translation changed.
    pub const fn page(&self) -> Page {
        self.page
    }

    /// Whether the old entry was present, so skipping the flush is unsound.
    pub const fn is_required(&self) -> bool {
        self.required
    }

    /// Invalidates the page's translation on `tlb`.
    pub fn flush(self, tlb: &mut impl Tlb) {
        tlb.flush_page(self.page.start());
        // Spent: skip the debug-build tripwire in `Drop` (release builds have none).
        #[allow(clippy::forget_non_drop)]
        core::mem::forget(self);
    }

    /// Drops the token without flushing.
    ///
    /// # Safety
    ///
    /// Either [`is_required`](Self::is_required) is false, or the caller
    /// flushes the whole TLB (`Tlb::flush_all`) before the page is used
    /// again and before the frame it pointed at is freed or reused.
    pub unsafe fn ignore(self) {
        // As in `flush`.
        #[allow(clippy::forget_non_drop)]
        core::mem::forget(self);
    }
}

/// The debug-build tripwire: a required token that reaches `drop` was
/// neither flushed nor ignored on purpose.
#[cfg(debug_assertions)]
impl Drop for Flush {
    fn drop(&mut self) {
        if self.required && !already_panicking() {
            panic!(
                "paging: TLB flush for {:?} was dropped: the old translation may still be \
                 cached; call `.flush(&mut tlb)` on the token the mapper returned",
                self.page
            );
        }
    }
}

/// Whether a panic is already unwinding (a second one would abort the
/// test binary and hide the first message). Only the host test build can
/// tell; the kernel aborts on the first panic anyway.
#[cfg(all(debug_assertions, test))]
fn already_panicking() -> bool {
    std::thread::panicking()
}

#[cfg(all(debug_assertions, not(test)))]
fn already_panicking() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::VirtAddr;
    use crate::paging::RecordingTlb;

    fn page() -> Page {
        Page::containing(VirtAddr::new(0xE000_1000))
    }

    #[test]
    fn flush_reaches_the_tlb() {
        let mut tlb = RecordingTlb::new();
        Flush::new(page(), true).flush(&mut tlb);
        assert_eq!(tlb.pages, [VirtAddr::new(0xE000_1000)]);
    }

    #[test]
    fn an_optional_token_may_be_dropped() {
        drop(Flush::new(page(), false));
    }

    #[test]
    fn ignore_is_silent() {
        // SAFETY: nothing is mapped; the token is made up for the test.
        unsafe { Flush::new(page(), true).ignore() };
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "TLB flush for Page(0xe0001000) was dropped")]
    fn dropping_a_required_token_panics_in_debug_builds() {
        drop(Flush::new(page(), true));
    }
}
