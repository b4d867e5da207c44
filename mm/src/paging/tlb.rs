//! Invalidating translations the CPU has cached.
//!
//! The TLB keeps translations after the page tables change, so removing or
//! changing a present entry is only finished once the old translation is
//! flushed. The mapper does not flush for its callers; it returns a
//! [`Flush`](super::Flush) token, and the token is spent on a [`Tlb`].
//! [`KernelTlb`] runs `invlpg`; [`RecordingTlb`] (host only) writes down
//! what was flushed so tests can check it.

use crate::addr::VirtAddr;

/// Something that can drop cached translations.
///
/// # Safety
///
/// When [`flush_page`](Self::flush_page)`(addr)` returns, this CPU holds no
/// cached translation (TLB or paging-structure cache) for the page that
/// contains `addr`; when [`flush_all`](Self::flush_all) returns, none for
/// any non-global page. Code that frees a frame after flushing relies on
/// it: a stale translation would let the old mapping reach a frame that
/// now belongs to someone else.
pub unsafe trait Tlb {
    /// Invalidates the translation of the page containing `addr`.
    fn flush_page(&mut self, addr: VirtAddr);

    /// Invalidates every non-global translation.
    fn flush_all(&mut self);
}

/// The real TLB of the CPU the kernel runs on (`invlpg`, CR3 reload).
///
/// Single-CPU only: `invlpg` flushes this CPU's TLB, and a second CPU
/// would need a shootdown (an IPI) that does not exist yet.
#[derive(Debug)]
pub struct KernelTlb {
    _private: (),
}

impl KernelTlb {
    /// The TLB of the running CPU.
    ///
    /// # Safety
    ///
    /// Only in the kernel, in ring 0 with paging enabled: `invlpg` and moves
    /// to CR3 raise #GP anywhere else, and on the host they do not exist.
    pub const unsafe fn new() -> Self {
        Self { _private: () }
    }
}

// SAFETY: `invlpg` removes the TLB entry of the page and, per the Intel SDM
// (4.10.4.1), all paging-structure-cache entries; a CR3 reload removes every
// non-global entry. Both complete before the next instruction.
unsafe impl Tlb for KernelTlb {
    fn flush_page(&mut self, addr: VirtAddr) {
        // SAFETY: `KernelTlb::new`'s contract puts us in ring 0 with paging
        // on, where `invlpg` cannot fault.
        unsafe { x86::tlb::flush(addr.as_usize()) }
    }

    fn flush_all(&mut self) {
        // SAFETY: as above, ring 0: writing CR3 back is allowed and only
        // drops cached translations.
        unsafe { x86::tlb::flush_all() }
    }
}

#[cfg(not(target_os = "none"))]
pub use host::RecordingTlb;

#[cfg(not(target_os = "none"))]
mod host {
    extern crate alloc;

    use super::Tlb;
    use crate::addr::VirtAddr;
    use alloc::vec::Vec;

    /// A TLB for host tests: emulated memory has no TLB, so this one
    /// only writes down each flush for the test to check.
    #[derive(Debug, Default)]
    pub struct RecordingTlb {
        /// Page-aligned addresses passed to `flush_page`, in order.
        pub pages: Vec<VirtAddr>,
        /// How many times `flush_all` was called.
        pub full_flushes: usize,
    }

    impl RecordingTlb {
        /// A TLB with nothing recorded.
        pub fn new() -> Self {
            Self::default()
        }
    }

    // SAFETY: emulated memory is read through the tables every time; there
    // is no cached translation to drop.
    unsafe impl Tlb for RecordingTlb {
        fn flush_page(&mut self, addr: VirtAddr) {
            self.pages.push(addr.align_down(crate::addr::PAGE_SIZE));
        }

        fn flush_all(&mut self) {
            self.full_flushes += 1;
        }
    }
}
