//! A process's address space: its own page directory, the kernel half
//! shared with every other space, and the user half its own.
//!
//! Everything works on a space that is not loaded in CR3: the directory
//! and tables are reached through windows ([`FrameWindow`]), so the
//! kernel builds a process, fills its pages, changes its rights and tears
//! it down from any address space. One small function per step of a
//! space's life, as xv6's `vm.c` has:
//!
//! | step            | here                          | xv6         |
//! |-----------------|-------------------------------|-------------|
//! | make a space    | [`AddressSpace::new`]         | `setupkvm`  |
//! | memory on demand| [`AddressSpace::map_zeroed`]  | `uvmalloc`  |
//! | load a program  | [`AddressSpace::map_filled`]  | `loaduvm`   |
//! | give pages back | [`AddressSpace::unmap_range`] | `uvmdealloc`|
//! | end it          | [`AddressSpace::destroy`]     | `freevm`    |
//!
//! The space owns every frame behind its user half (page tables, and
//! pages, or one reference to each page a fork left shared) and its
//! directory, and counts them ([`SpaceFrames`]). Its mapper only ever
//! touches the user half; the kernel half's entries are copied in at
//! creation and kept up to date by [`SharedKernelHalf`]. A page leaves
//! through [`FrameCounts::release`], so a shared frame goes back to the
//! allocator only with its last user; forking and copy-on-write are in
//! `fork.rs`.

use super::counts::FrameCounts;
use super::shared::SharedKernelHalf;
use super::tables::SpaceTables;
use super::window::{FrameWindow, WindowSlot};
use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use crate::frame::{Frame, FrameAllocator, Page};
use crate::layout::{KERNEL_PDE, RECURSIVE_PDE};
use crate::paging::{
    MapError, Mapper, PageTableEntry, PageTableFlags, TABLE_SPAN, TableAccess, Tlb,
};
use core::fmt;
use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

/// How many frames a space holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpaceFrames {
    /// The page directory (1 while the space exists).
    pub directory: u32,
    /// Page tables of the user half.
    pub tables: u32,
    /// Pages mapped in the user half.
    pub pages: u32,
}

impl SpaceFrames {
    /// All of them.
    pub const fn total(&self) -> u32 {
        self.directory + self.tables + self.pages
    }
}

/// Why an address-space operation was refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceError {
    /// The page is in the kernel half, which a space never maps on its own.
    KernelHalf(Page),
    /// No free frame (for the page or for its page table).
    OutOfFrames,
    /// The page is mapped already.
    AlreadyMapped(Page),
    /// The page is not mapped.
    NotMapped(Page),
    /// The registry of directories sharing the kernel half is full.
    TooManySpaces,
    /// A write fault on a page that is not marked copy-on-write.
    NotCopyOnWrite(Page),
    /// A write into a page mapped read-only (maybe shared by a fork).
    ReadOnly(Page),
}

impl fmt::Display for SpaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpaceError::KernelHalf(p) => write!(f, "{p:?} is in the kernel half"),
            SpaceError::OutOfFrames => f.write_str("out of memory: no free frame"),
            SpaceError::AlreadyMapped(p) => write!(f, "{p:?} is mapped already"),
            SpaceError::NotMapped(p) => write!(f, "{p:?} is not mapped"),
            SpaceError::TooManySpaces => f.write_str("too many address spaces at once"),
            SpaceError::NotCopyOnWrite(p) => write!(f, "{p:?} is not a copy-on-write page"),
            SpaceError::ReadOnly(p) => write!(f, "{p:?} is mapped read-only"),
        }
    }
}

/// The page-table flags of a user page with `writable` or not.
pub const fn user_flags(writable: bool) -> PageTableFlags {
    if writable {
        PageTableFlags::USER.union(PageTableFlags::WRITABLE)
    } else {
        PageTableFlags::USER
    }
}

/// A page directory of its own, with the kernel half shared.
pub struct AddressSpace<W: FrameWindow> {
    pub(super) mapper: Mapper<SpaceTables<W>>,
    pub(super) frames: SpaceFrames,
}

impl<W: FrameWindow> AddressSpace<W> {
    /// Makes a space in `directory` (a frame from the allocator, owned by
    /// the space from now on): zeroes it, copies the kernel half's entries
    /// from `kernel`, points entry 1023 at itself (so the kernel's
    /// recursive window works while it is loaded) and registers it with
    /// `kernel` so later kernel tables reach it too.
    ///
    /// On failure (the registry is full) the frame comes back.
    pub fn new<A: TableAccess, KW: FrameWindow, const N: usize>(
        window: W,
        directory: Frame,
        kernel: &mut SharedKernelHalf<A, KW, N>,
    ) -> Result<Self, (SpaceError, Frame)> {
        let mut place = MaybeUninit::uninit();
        Self::new_in(&mut place, window, directory, kernel)?;
        // SAFETY: `new_in` succeeded, so it initialised `place`.
        Ok(unsafe { place.assume_init() })
    }

    /// [`new`](Self::new), built in `place` (say, inside a box on the
    /// heap): a space is over 2 KiB, more than a small kernel stack should
    /// hold as a temporary. On failure `place` is left uninitialised.
    pub fn new_in<'a, A: TableAccess, KW: FrameWindow, const N: usize>(
        place: &'a mut MaybeUninit<Self>,
        mut window: W,
        directory: Frame,
        kernel: &mut SharedKernelHalf<A, KW, N>,
    ) -> Result<&'a mut Self, (SpaceError, Frame)> {
        let dir = directory.start();
        if kernel.register(dir).is_err() {
            return Err((SpaceError::TooManySpaces, directory));
        }
        // SAFETY: the frame is ours (we own `directory`); nothing else
        // shows it yet.
        let ptr = unsafe { window.show(WindowSlot::Directory, dir) };
        // SAFETY: `show` returned the frame's 4 KiB, aligned; no other
        // reference to it exists.
        let table = unsafe { &mut *ptr.cast::<crate::paging::PageTable>() };
        table.zero();
        for (i, entry) in kernel.kernel_entries() {
            table[i] = entry;
        }
        table[RECURSIVE_PDE] =
            PageTableEntry::new(&directory, PageTableFlags::PRESENT | PageTableFlags::WRITABLE);
        // The space owns the directory from here on (its address is in
        // the mapper's tables); `destroy` rebuilds the token and frees it.
        let _owned_by_the_space = directory;
        // SAFETY: the directory is ours alone; its present entries below
        // 1023 are the kernel half's, pointing at the kernel's tables.
        let tables = unsafe { SpaceTables::new(dir, window) };
        let this = place.as_mut_ptr();
        // SAFETY: `this` points at room for a `Self`. The mapper: only the
        // kernel half is present, and this mapper is never asked to change
        // it (every operation here refuses the kernel half before calling
        // the mapper: `check_user`); the user half is empty, so counting
        // nothing is exact there. Both fields are written before the place
        // is taken as initialised.
        unsafe {
            let mapper = &mut *addr_of_mut!((*this).mapper).cast::<MaybeUninit<_>>();
            Mapper::init_without_scan(mapper, tables);
            let frames = SpaceFrames { directory: 1, tables: 0, pages: 0 };
            addr_of_mut!((*this).frames).write(frames);
            Ok(place.assume_init_mut())
        }
    }

    /// The directory's physical address: what CR3 holds while the space
    /// is loaded.
    pub fn directory(&self) -> PhysAddr {
        self.mapper.tables().directory_addr()
    }

    /// The frames the space holds now.
    pub fn frames(&self) -> SpaceFrames {
        self.frames
    }

    pub(super) fn check_user(page: Page) -> Result<(), SpaceError> {
        if page.directory_index() >= KERNEL_PDE {
            return Err(SpaceError::KernelHalf(page));
        }
        Ok(())
    }

    /// Maps `page` to a fresh frame from `frames`, zeroed, with `flags`
    /// (USER is added; WRITABLE as given). The demand-paging step.
    pub fn map_zeroed(
        &mut self,
        page: Page,
        flags: PageTableFlags,
        frames: &mut impl FrameAllocator,
    ) -> Result<(), SpaceError> {
        self.map_filled(page, flags, frames, |bytes| bytes.fill(0))
    }

    /// Maps `page` to a fresh frame from `frames`, filled by `fill` (which
    /// sees the frame's 4 KiB, not zeroed), with `flags` (USER added).
    /// The program loader copies its segments in this way. All or
    /// nothing: on error the frame is back with the allocator.
    pub fn map_filled(
        &mut self,
        page: Page,
        flags: PageTableFlags,
        frames: &mut impl FrameAllocator,
        fill: impl FnOnce(&mut [u8; PAGE_SIZE as usize]),
    ) -> Result<(), SpaceError> {
        Self::check_user(page)?;
        if self.mapper.lookup(page).is_some() {
            return Err(SpaceError::AlreadyMapped(page));
        }
        let frame = frames.allocate().ok_or(SpaceError::OutOfFrames)?;
        fill(self.show_data(&frame));
        // SAFETY: the frame was just allocated: nobody else maps or uses it.
        match unsafe { self.map(page, frame, flags, frames) } {
            Ok(()) => Ok(()),
            Err((error, frame)) => {
                give_back(frames, frame);
                Err(error)
            }
        }
    }

    /// Maps `page` to `frame` with `flags` (USER is added).
    ///
    /// # Safety
    ///
    /// `frame` is exclusively the caller's, RAM from `frames`' allocator;
    /// the process will be able to read it (and write it, with WRITABLE).
    pub unsafe fn map(
        &mut self,
        page: Page,
        frame: Frame,
        flags: PageTableFlags,
        frames: &mut impl FrameAllocator,
    ) -> Result<(), (SpaceError, Frame)> {
        if let Err(e) = Self::check_user(page) {
            return Err((e, frame));
        }
        let flags = (flags & PageTableFlags::WRITABLE) | PageTableFlags::USER;
        // SAFETY: forwarded contract; the page is in the user half.
        unsafe { self.map_entry(page, frame, flags, frames) }
    }

    /// Maps user `page` to `frame` with exactly `flags` (plus PRESENT),
    /// counting the page and a new table.
    ///
    /// # Safety
    ///
    /// As for [`map`](Self::map), except that `frame` may be one more
    /// reference to a shared frame ([`FrameCounts::share`]) if `flags`
    /// lacks WRITABLE.
    pub(super) unsafe fn map_entry(
        &mut self,
        page: Page,
        frame: Frame,
        flags: PageTableFlags,
        frames: &mut impl FrameAllocator,
    ) -> Result<(), (SpaceError, Frame)> {
        let dir = page.directory_index();
        let had_table = self.mapper.present_entries(dir) > 0;
        // SAFETY: forwarded contract; the page is in the user half.
        match unsafe { self.mapper.map(page, frame, flags, frames) } {
            // Not required: the entry was not present, so nothing is cached.
            Ok(flush) => drop(flush),
            Err(MapError::OutOfFrames(frame)) => return Err((SpaceError::OutOfFrames, frame)),
            Err(MapError::AlreadyMapped { frame, .. }) => {
                return Err((SpaceError::AlreadyMapped(page), frame));
            }
            Err(MapError::RecursiveWindow(frame)) => {
                return Err((SpaceError::KernelHalf(page), frame));
            }
        }
        self.frames.pages += 1;
        if !had_table {
            self.frames.tables += 1;
        }
        Ok(())
    }

    /// Changes the rights of a mapped page (`flags`' WRITABLE; USER stays).
    /// `tlb` must flush the translations of this space if it is loaded.
    pub fn protect(
        &mut self,
        page: Page,
        flags: PageTableFlags,
        tlb: &mut impl Tlb,
    ) -> Result<(), SpaceError> {
        Self::check_user(page)?;
        let flags = (flags & PageTableFlags::WRITABLE) | PageTableFlags::USER;
        // SAFETY: user pages are never referenced by Rust code in the
        // kernel across a call, and the page stays mapped to its frame.
        let flush = unsafe { self.mapper.update_flags(page, flags) }
            .map_err(|_| SpaceError::NotMapped(page))?;
        flush.flush(tlb);
        Ok(())
    }

    /// Unmaps every mapped page in `start..start + pages`, releasing each
    /// page's frame through `counts` (back to `frames` unless another space
    /// still maps it) and giving page tables that become empty back to
    /// `frames`. Pages not mapped are skipped, a 4 MiB without a table at
    /// once. Returns how many pages were unmapped.
    pub fn unmap_range(
        &mut self,
        start: Page,
        pages: u32,
        frames: &mut impl FrameAllocator,
        counts: &mut FrameCounts<impl FrameWindow>,
        tlb: &mut impl Tlb,
    ) -> Result<u32, SpaceError> {
        Self::check_user(start)?;
        let first = start.start().as_u32() / PAGE_SIZE;
        let end = first.checked_add(pages).filter(|&e| e <= (KERNEL_PDE as u32) << 10);
        let end = end.ok_or(SpaceError::KernelHalf(start))?;
        let mut unmapped = 0;
        let mut number = first;
        while number < end {
            let page = Page::containing(VirtAddr::new(number * PAGE_SIZE));
            let dir = page.directory_index();
            if self.mapper.present_entries(dir) == 0 {
                // No table: skip to the next 4 MiB.
                number = ((number / 1024) + 1) * 1024;
                continue;
            }
            if self.mapper.lookup(page).is_some() {
                self.unmap_one(page, frames, counts, tlb);
                unmapped += 1;
            }
            number += 1;
        }
        Ok(unmapped)
    }

    fn unmap_one(
        &mut self,
        page: Page,
        frames: &mut impl FrameAllocator,
        counts: &mut FrameCounts<impl FrameWindow>,
        tlb: &mut impl Tlb,
    ) {
        let dir = page.directory_index();
        // SAFETY: the kernel holds no reference into user pages across
        // calls; the process loses the page, which is what it asked for
        // (or it is being destroyed).
        match unsafe { self.mapper.unmap(page, frames) } {
            Ok((frame, flush)) => {
                flush.flush(tlb);
                counts.release(frame, frames);
                self.frames.pages -= 1;
                if self.mapper.present_entries(dir) == 0 {
                    self.frames.tables -= 1;
                }
            }
            Err(e) => panic!("space: unmapping {page:?}, which lookup found mapped, failed: {e}"),
        }
    }

    /// The physical address `addr` maps to, or `None`.
    pub fn translate(&mut self, addr: VirtAddr) -> Option<PhysAddr> {
        if addr.directory_index() >= KERNEL_PDE {
            return None;
        }
        self.mapper.translate(addr)
    }

    /// The present entry mapping `page` (user half only), or `None`.
    pub fn lookup(&mut self, page: Page) -> Option<PageTableEntry> {
        if page.directory_index() >= KERNEL_PDE {
            return None;
        }
        self.mapper.lookup(page)
    }

    /// Copies `buf.len()` bytes at `addr` of this space into `buf`,
    /// through the data window. Fails at the first page not mapped.
    pub fn read(&mut self, addr: VirtAddr, buf: &mut [u8]) -> Result<(), SpaceError> {
        let mut done = 0;
        while done < buf.len() {
            let at = VirtAddr::new(addr.as_u32().wrapping_add(done as u32));
            let page = Page::containing(at);
            let phys = self.translate(at).ok_or(SpaceError::NotMapped(page))?;
            let offset = at.page_offset() as usize;
            let n = (PAGE_SIZE as usize - offset).min(buf.len() - done);
            let frame = Frame::containing(phys);
            let bytes = self.show_data(&frame);
            buf[done..done + n].copy_from_slice(&bytes[offset..offset + n]);
            done += n;
        }
        Ok(())
    }

    /// Copies `bytes` into this space at `addr`, through the data window,
    /// as a store of the process would. Fails, having written the pages
    /// before it, at the first page not mapped, or mapped read-only: a
    /// page a fork shared must be made the space's own first
    /// ([`copy_on_write`](Self::copy_on_write)), or the write would reach
    /// every space sharing it.
    pub fn write(&mut self, addr: VirtAddr, bytes: &[u8]) -> Result<(), SpaceError> {
        let mut done = 0;
        while done < bytes.len() {
            let at = VirtAddr::new(addr.as_u32().wrapping_add(done as u32));
            let page = Page::containing(at);
            let entry = self.lookup(page).ok_or(SpaceError::NotMapped(page))?;
            if !entry.flags().contains(PageTableFlags::WRITABLE) {
                return Err(SpaceError::ReadOnly(page));
            }
            let offset = at.page_offset() as usize;
            let n = (PAGE_SIZE as usize - offset).min(bytes.len() - done);
            let frame = Frame::containing(entry.addr());
            self.show_data(&frame)[offset..offset + n].copy_from_slice(&bytes[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// Ends the space: unregisters its directory from `kernel`, unmaps
    /// every user page and gives every frame back to `frames` (tables, the
    /// directory, and each page whose last user this space was; a page
    /// still shared only loses a user in `counts`). Returns what the space
    /// held.
    ///
    /// The space must not be loaded in CR3 (load another first): its
    /// directory is freed.
    pub fn destroy<A: TableAccess, KW: FrameWindow, const N: usize>(
        mut self,
        frames: &mut impl FrameAllocator,
        counts: &mut FrameCounts<impl FrameWindow>,
        kernel: &mut SharedKernelHalf<A, KW, N>,
    ) -> SpaceFrames {
        // SAFETY: `self` is consumed: nothing uses the space afterwards.
        unsafe { self.destroy_in_place(frames, counts, kernel) }
    }

    /// [`destroy`](Self::destroy), for a space built in place
    /// ([`new_in`](Self::new_in)), without moving it.
    ///
    /// # Safety
    ///
    /// The space is never used again (only its memory freed or reused):
    /// its frames, directory included, are gone.
    pub unsafe fn destroy_in_place<A: TableAccess, KW: FrameWindow, const N: usize>(
        &mut self,
        frames: &mut impl FrameAllocator,
        counts: &mut FrameCounts<impl FrameWindow>,
        kernel: &mut SharedKernelHalf<A, KW, N>,
    ) -> SpaceFrames {
        let freed = self.frames;
        let directory = self.directory();
        kernel.unregister(directory);
        self.unmap_all(frames, counts);
        debug_assert_eq!(self.frames, SpaceFrames { directory: 1, tables: 0, pages: 0 });
        // The directory's token was given up in `new`; this is its one owner.
        give_back(frames, Frame::containing(directory));
        freed
    }

    /// Unmaps every user page and frees every user table of a space that
    /// is not loaded (so there is nothing to flush).
    pub(super) fn unmap_all(
        &mut self,
        frames: &mut impl FrameAllocator,
        counts: &mut FrameCounts<impl FrameWindow>,
    ) {
        let mut tlb = NotLoaded;
        for dir in 0..KERNEL_PDE {
            if self.mapper.present_entries(dir) == 0 {
                continue;
            }
            let first = Page::containing(VirtAddr::new(dir as u32 * TABLE_SPAN));
            let done = self.unmap_range(first, 1024, frames, counts, &mut tlb);
            debug_assert!(done.is_ok(), "a user table is in the user half");
        }
    }

    pub(super) fn show_data(&mut self, frame: &Frame) -> &mut [u8; PAGE_SIZE as usize] {
        // SAFETY: see `tables_mut`'s contract: the data slot is not one the
        // mapper's tables use, so no entry changes. The frame is one this
        // space owns (mapped here, or about to be).
        let window = unsafe { self.mapper.tables_mut() }.window();
        // SAFETY: the frame is this space's; the previous view of the data
        // slot ended with its borrow of `self`.
        let ptr = unsafe { window.show(WindowSlot::Data, frame.start()) };
        // SAFETY: 4 KiB, aligned, exclusive for the borrow of `self`.
        unsafe { &mut *ptr.cast::<[u8; PAGE_SIZE as usize]>() }
    }
}

impl<W: FrameWindow> fmt::Debug for AddressSpace<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressSpace")
            .field("directory", &self.directory())
            .field("frames", &self.frames)
            .finish()
    }
}

/// Frees `frame`; a refusal means the books are wrong, so it is loud.
fn give_back(frames: &mut impl FrameAllocator, frame: Frame) {
    let at = frame.start();
    if let Err(e) = frames.free(frame) {
        panic!("space: the frame allocator refused {at}, a frame of an address space: {e}");
    }
}

/// The TLB of a space that is not loaded: nothing of it is cached, since
/// loading another directory flushed every non-global translation (user
/// pages are never global).
struct NotLoaded;

// SAFETY: `destroy` requires the space not to be loaded; its translations
// left the TLB when CR3 last changed, so there is nothing to flush.
unsafe impl Tlb for NotLoaded {
    fn flush_page(&mut self, _addr: VirtAddr) {}
    fn flush_all(&mut self) {}
}
