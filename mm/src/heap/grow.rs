//! Growing and shrinking the heap at its top.
//!
//! ```text
//!   region base                                      mapped           limit
//!   |<-------------- blocks tile 0..mapped --------->|<--- unmapped --->|
//!   [used][free][used]..........[used][ top chunk   ]
//!                                     ^ grow: map pages here, add them to
//!                                       the top chunk
//!                                     ^ shrink: unmap the whole free pages
//!                                       of the top chunk
//! ```
//!
//! Growth maps exactly the pages a request still lacks after the top chunk,
//! all at once (all-or-nothing: the page source maps everything or nothing,
//! and the heap changes nothing before it has said yes). Shrinking never
//! leaves a top chunk below 16 bytes; when nothing is live the heap goes
//! back to 0 bytes mapped. The top chunk itself lives in `top.rs`.

use super::Heap;
use super::block::PAGE;
use super::error::{Exhausted, HeapError};
use super::source::PageSource;
use super::top::trim_cut;

/// Free bytes kept mapped above the last used block when trimming (0: give
/// every whole free page back at once). See docs/measurements.md for the
/// measurement behind the choice.
pub(super) const TRIM_SLACK: u32 = 0;

impl<S: PageSource> Heap<S> {
    /// Maps `bytes` (a multiple of 4 KiB) more at the top. Changes nothing
    /// on failure: `OutOfMemory` says whether the region or the page source
    /// had nothing left.
    pub(super) fn extend(&mut self, bytes: u32, req: usize) -> Result<(), HeapError> {
        self.init_region();
        if bytes > self.limit - self.mapped {
            return Err(HeapError::OutOfMemory { size: req, cause: Exhausted::AddressSpace });
        }
        let pages = (bytes / PAGE) as usize;
        self.source
            .map(self.mapped as usize, pages)
            .map_err(|e| HeapError::OutOfMemory { size: req, cause: e.into() })?;
        self.mapped += bytes;
        self.peak_mapped = self.peak_mapped.max(self.mapped);
        self.pages_grown += pages as u64;
        // The new pages are fresh (above `fresh`): nothing to poison.
        Ok(())
    }

    /// Gives every whole free page at the top of the heap back now, with no
    /// slack. Returns the number of pages unmapped.
    pub fn trim(&mut self) -> Result<usize, HeapError> {
        self.top_ok()?;
        let before = self.pages_returned;
        let top = self.top;
        if trim_cut(top, 0) < self.mapped {
            self.unmap_above(trim_cut(top, 0));
            // SAFETY: `top..mapped` is what is left of the top chunk: free,
            // unlisted, empty or at least 16 bytes, after a used block.
            unsafe { self.place_top(top) };
        }
        Ok((self.pages_returned - before) as usize)
    }
}
