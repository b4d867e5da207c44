//! Range + mapper + frames, all or nothing: "give this driver 16 frames of
//! RAM mapped somewhere" and "map my device's registers somewhere" in one
//! call each.
//!
//! [`RangeMapper`] borrows the three pieces (and the TLB) for one call.
//! Each helper either finishes, or undoes everything it did (unmaps,
//! flushes, frees the frames it took, frees the range) and returns the
//! error: a failed call leaves no trace.
//!
//! Frames come from one of two places, recorded in the [`MappedRange`]:
//! RAM from the frame allocator, which goes back to it on unmap; or device
//! memory (MMIO) the caller names, which is never given to the allocator.
//! A device `Frame` is made from the device's physical address, which the
//! caller knows from the hardware (0xB8000 for the VGA text buffer, a PCI
//! BAR): `Frame::from_start(PhysAddr::new(0xB8000))`. It is a name for
//! device memory, not RAM: dropping it loses nothing.

use super::allocator::VRangeAllocator;
use super::error::{MapRangeError, UnmapRangeError, UnmapRangeRefusal};
use super::range::VRange;
use crate::addr::VirtAddr;
use crate::frame::{Frame, FrameAllocator, Page};
use crate::paging::{MapError, Mapper, PageTableFlags, TableAccess, Tlb};

/// Where the frames of a [`MappedRange`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameSource {
    /// RAM from the frame allocator: freed to it on unmap.
    Allocator,
    /// Device memory the caller named: dropped on unmap, never freed.
    Device,
}

/// A range whose every page is mapped, and where its frames came from.
/// Not `Clone`: it is unmapped once, by [`RangeMapper::unmap`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "dropping a MappedRange leaks its address space and frames; unmap it"]
pub struct MappedRange {
    range: VRange,
    source: FrameSource,
}

impl MappedRange {
    /// The first byte; the mapping runs for [`size`](Self::size) bytes.
    pub const fn start(&self) -> VirtAddr {
        self.range.start()
    }

    /// The size in bytes.
    pub const fn size(&self) -> u32 {
        self.range.size()
    }

    /// The virtual range.
    pub const fn range(&self) -> &VRange {
        &self.range
    }

    /// Where the frames came from.
    pub const fn source(&self) -> FrameSource {
        self.source
    }
}

/// The pieces one mapping helper needs, borrowed for one call.
///
/// In the kernel each lives behind its own lock; build this from the
/// guards: `RangeMapper { ranges: &mut vr, mapper: &mut m, frames: &mut f, tlb: &mut t }`.
/// `frames` must be the allocator the mapper's page tables come from.
#[derive(Debug)]
pub struct RangeMapper<'a, A: TableAccess, F: FrameAllocator, T: Tlb, const N: usize = 64> {
    /// The kernel virtual range allocator.
    pub ranges: &'a mut VRangeAllocator<N>,
    /// The mapper of the active directory.
    pub mapper: &'a mut Mapper<A>,
    /// The frame allocator (for RAM and for page tables).
    pub frames: &'a mut F,
    /// The TLB to flush.
    pub tlb: &'a mut T,
}

impl<A: TableAccess, F: FrameAllocator, T: Tlb, const N: usize> RangeMapper<'_, A, F, T, N> {
    /// Takes `pages` frames from the allocator and maps them, with `flags`,
    /// into a fresh range. The contents are whatever the frames held.
    pub fn map_new(
        &mut self,
        pages: u32,
        flags: PageTableFlags,
    ) -> Result<MappedRange, MapRangeError> {
        self.map_pages(pages, flags, FrameSource::Allocator, |frames| {
            frames.allocate().ok_or(MapRangeError::OutOfFrames)
        })
    }

    /// Maps the device frames `device`, in order, into a fresh range of
    /// `device.len()` pages. Use `NO_CACHE` (and `WRITABLE`) for registers.
    /// On failure the device frames are dropped (make them again with
    /// `Frame::from_start`).
    ///
    /// # Safety
    ///
    /// Each frame is device memory (not RAM the frame allocator manages)
    /// that no other mapping covers, or covers with the same caching flags.
    pub unsafe fn map_device<I>(
        &mut self,
        device: I,
        flags: PageTableFlags,
    ) -> Result<MappedRange, MapRangeError>
    where
        I: IntoIterator<Item = Frame>,
        I::IntoIter: ExactSizeIterator,
    {
        let mut device = device.into_iter();
        let pages = u32::try_from(device.len()).unwrap_or(u32::MAX);
        let mut got = 0;
        self.map_pages(pages, flags, FrameSource::Device, |_| {
            let frame = device.next().ok_or(MapRangeError::ShortIterator { expected: pages, got });
            got += 1;
            frame
        })
    }

    /// Unmaps every page of `mapped`, flushes each, frees the frames if
    /// they came from the allocator (device frames are dropped), frees
    /// the range. Checks first: on refusal nothing has changed.
    pub fn unmap(&mut self, mapped: MappedRange) -> Result<(), UnmapRangeError> {
        let refusal = match self.ranges.check_free(&mapped.range) {
            Err(why) => Some(UnmapRangeRefusal::Range(why)),
            Ok(()) => mapped
                .range
                .iter()
                .find(|&p| self.mapper.lookup(p).is_none())
                .map(UnmapRangeRefusal::NotMapped),
        };
        if let Some(reason) = refusal {
            return Err(UnmapRangeError { mapped, reason });
        }
        let MappedRange { range, source } = mapped;
        let pages = range.pages();
        self.undo(range, pages, source);
        Ok(())
    }

    fn map_pages(
        &mut self,
        pages: u32,
        flags: PageTableFlags,
        source: FrameSource,
        mut next_frame: impl FnMut(&mut F) -> Result<Frame, MapRangeError>,
    ) -> Result<MappedRange, MapRangeError> {
        let range = self.ranges.allocate(pages).map_err(MapRangeError::Range)?;
        let first = range.first_page();
        for (done, page) in (0..pages).filter_map(|i| first.checked_add(i)).enumerate() {
            let outcome = match next_frame(self.frames) {
                Err(e) => Err(e),
                // SAFETY: the page is in a range just handed out, so nothing
                // uses it; the frame is unique: from the frame allocator
                // (its contract) or a device frame (`map_device`'s contract).
                Ok(frame) => match unsafe { self.mapper.map(page, frame, flags, self.frames) } {
                    Ok(flush) => {
                        flush.flush(self.tlb);
                        Ok(())
                    }
                    Err(e) => Err(self.refused(e, page, source)),
                },
            };
            if let Err(e) = outcome {
                self.undo(range, done as u32, source);
                return Err(e);
            }
        }
        Ok(MappedRange { range, source })
    }

    /// Turns the mapper's refusal to map `page` into our error, and gives
    /// the frame back to where it came from.
    fn refused(&mut self, err: MapError, page: Page, source: FrameSource) -> MapRangeError {
        let ours = match &err {
            MapError::OutOfFrames(_) => MapRangeError::OutOfFrames,
            MapError::AlreadyMapped { existing, .. } => {
                MapRangeError::AlreadyMapped { page, existing: *existing }
            }
            MapError::RecursiveWindow(_) => MapRangeError::RecursiveWindow(page),
        };
        self.release(err.into_frame(), source);
        ours
    }

    /// Unmaps the first `count` pages of `range`, flushing each and
    /// releasing its frame, then frees the range.
    fn undo(&mut self, range: VRange, count: u32, source: FrameSource) {
        for page in range.iter().take(count as usize) {
            // SAFETY: these pages were mapped by this helper, for a range
            // whose only owner is the helper (or the `MappedRange` given
            // back to it), so nothing else uses them.
            match unsafe { self.mapper.unmap(page, self.frames) } {
                Ok((frame, flush)) => {
                    flush.flush(self.tlb);
                    self.release(frame, source);
                }
                Err(e) => panic!("vrange: {e} while unmapping {range:?}, which was mapped"),
            }
        }
        if let Err(e) = self.ranges.free(range) {
            panic!("vrange: {e}, though it was just allocated or checked");
        }
    }

    /// Gives a frame back to where it came from.
    fn release(&mut self, frame: Frame, source: FrameSource) {
        if source == FrameSource::Device {
            return; // a name for device memory, not RAM: nothing to free
        }
        if let Err(e) = self.frames.free(frame) {
            panic!("vrange: the frame allocator refused a frame it handed out: {e}");
        }
    }
}
