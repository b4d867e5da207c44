//! Mapping 4 KiB pages to frames in a two-level i686 page table.
//!
//! ```text
//!  virtual address
//!  31         22 21         12 11            0
//! +-------------+-------------+---------------+
//! |  PDX (10)   |  PTX (10)   |  offset (12)  |
//! +-------------+-------------+---------------+
//!        |             |
//!        |             +-> entry PTX of that page table -> frame + offset
//!        +-> entry PDX of the page directory -> page table
//! ```
//!
//! The one idea: the mapper owns the frames of the page tables it creates.
//! A table is taken from the frame allocator (and zeroed) on the first map
//! into its 4 MiB, and given back on the last unmap, unless its directory
//! entry is PINNED. To know "last" in O(1) the mapper counts the present
//! entries of each table, starting from one scan of the live directory.

use super::access::TableAccess;
use super::entry::{ENTRIES, PageTableEntry};
use super::error::{InitError, MapError, UnmapError, UpdateFlagsError};
use super::flags::PageTableFlags;
use super::flush::Flush;
use crate::addr::{PhysAddr, VirtAddr};
use crate::frame::{Frame, FrameAllocator, Page};
use crate::layout::RECURSIVE_PDE;
use core::fmt;
use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

/// Edits the page tables reached through `A` and keeps their frames.
pub struct Mapper<A: TableAccess> {
    tables: A,
    /// Present entries in table `i`, for every present directory entry `i`
    /// below the recursive one (entry 1023 is never counted nor edited).
    present: [u16; ENTRIES],
}

impl<A: TableAccess> Mapper<A> {
    /// A mapper for the live directory behind `tables`, counting the
    /// present entries of every table already there (1023 tables × 1024
    /// reads at most, once).
    ///
    /// Fails if a directory entry maps a 4 MiB page.
    ///
    /// # Safety
    ///
    /// - While the mapper lives, only it changes the directory and the
    ///   tables behind `tables` (its counts would go stale otherwise).
    /// - Every present directory entry, except 1023, points at a page table.
    /// - A present table that did not come from the frame allocator later
    ///   passed to `unmap` (static tables in the kernel image, like the
    ///   kernel's and the fixmap's) has PINNED in its directory entry;
    ///   otherwise it would be given to the allocator once it is empty.
    pub unsafe fn new(mut tables: A) -> Result<Self, InitError> {
        let mut present = [0u16; ENTRIES];
        for (index, count) in present.iter_mut().enumerate().take(RECURSIVE_PDE) {
            let entry = tables.directory()[index];
            if !entry.is_present() {
                continue;
            }
            if entry.flags().contains(PageTableFlags::PS_OR_PAT) {
                return Err(InitError::LargePage { index });
            }
            // SAFETY: entry `index` is present and is not a 4 MiB page, so by
            // this function's contract it points at a page table.
            let table = unsafe { tables.table(index) };
            // A table has 1024 entries, so the count fits in a u16.
            *count = table.count_present() as u16;
        }
        Ok(Self { tables, present })
    }

    /// A mapper for `tables` that counts no entry already there, without
    /// reading the directory: for a new address space, whose only present
    /// entries are the kernel half it shares and never edits itself.
    ///
    /// # Safety
    ///
    /// As for [`new`](Self::new), and: this mapper is never asked to map,
    /// unmap or change a page under a directory entry that was present
    /// when it was made (its count there is 0, so an unmap would free a
    /// table that is not its own).
    pub unsafe fn without_scan(tables: A) -> Self {
        Self { tables, present: [0; ENTRIES] }
    }

    /// [`without_scan`](Self::without_scan), built in `place`: for a
    /// mapper inside a larger value on the heap, so that its 2 KiB of
    /// counters never pass through a small kernel stack.
    ///
    /// # Safety
    ///
    /// As for [`without_scan`](Self::without_scan).
    pub unsafe fn init_without_scan(place: &mut MaybeUninit<Self>, tables: A) -> &mut Self {
        let ptr = place.as_mut_ptr();
        // SAFETY: `ptr` points at room for a `Self`; both fields are
        // written (the counters zeroed: a valid `[u16; ENTRIES]`) before
        // the place is taken as initialised.
        unsafe {
            addr_of_mut!((*ptr).tables).write(tables);
            addr_of_mut!((*ptr).present).write_bytes(0, 1);
            place.assume_init_mut()
        }
    }

    /// Maps `page` to `frame` with `flags` (PRESENT is added), creating the
    /// page table if the page's 4 MiB has none yet.
    ///
    /// Takes the frame by value: it now belongs to the mapping, and comes
    /// back from [`unmap`](Self::unmap). On failure nothing has changed
    /// and the error holds the frame. A new table comes from `frames`, is
    /// zeroed before use, and its directory entry gets PRESENT | WRITABLE
    /// (plus USER if `flags` has it: the CPU ANDs both levels).
    ///
    /// The returned token is not required (the entry was not present), but
    /// flushing it costs one `invlpg` and keeps call sites uniform.
    ///
    /// # Safety
    ///
    /// `frame` is exclusively the caller's: nothing else maps or uses it.
    /// That holds for a frame from the frame allocator, and for a device
    /// frame (MMIO) that no other mapping covers. (A `Frame` can be made
    /// from any address with `Frame::from_start`, so the type alone cannot
    /// promise it.) With USER, the page also becomes reachable from ring 3.
    pub unsafe fn map(
        &mut self,
        page: Page,
        frame: Frame,
        flags: PageTableFlags,
        frames: &mut impl FrameAllocator,
    ) -> Result<Flush, MapError> {
        let (dir, slot) = (page.directory_index(), page.table_index());
        if dir == RECURSIVE_PDE {
            return Err(MapError::RecursiveWindow(frame));
        }
        let user = flags & PageTableFlags::USER;
        let pde = self.tables.directory()[dir];
        if pde.is_present() {
            // SAFETY: entry `dir` is present and (contract of `new`, and we
            // only ever write table entries there) points at a page table.
            let existing = unsafe { self.tables.table(dir) }[slot];
            if existing.is_present() {
                return Err(MapError::AlreadyMapped { frame, existing: existing.addr() });
            }
            if !pde.flags().contains(user) {
                self.tables.directory()[dir] = pde.with_flags(pde.flags() | user);
                self.tables.directory_entry_changed(dir);
            }
        } else {
            let Some(table) = frames.allocate() else {
                return Err(MapError::OutOfFrames(frame));
            };
            self.install_table(dir, table, user);
        }
        let entry = PageTableEntry::new(&frame, flags | PageTableFlags::PRESENT);
        // SAFETY: entry `dir` is present now and points at a page table.
        let table = unsafe { self.tables.table(dir) };
        table[slot] = entry;
        self.present[dir] += 1;
        Ok(Flush::new(page, false))
    }

    /// Unmaps `page` and returns the frame it pointed at, with a required
    /// flush token. If that was the last present entry of a table whose
    /// directory entry is not PINNED, the table's frame goes back to
    /// `frames` (after the mapper's window onto it is invalidated).
    ///
    /// The frame is the caller's again, but the old translation may still
    /// be cached: flush the token before freeing or reusing the frame.
    /// A device frame must not be given to the frame allocator.
    ///
    /// # Safety
    ///
    /// Nothing still uses the page: no reference points into it, and no
    /// code runs from it or relies on it being mapped (the kernel's stack,
    /// its image, a live heap block).
    pub unsafe fn unmap(
        &mut self,
        page: Page,
        frames: &mut impl FrameAllocator,
    ) -> Result<(Frame, Flush), UnmapError> {
        let (dir, slot) = (page.directory_index(), page.table_index());
        if dir == RECURSIVE_PDE {
            return Err(UnmapError::RecursiveWindow(page));
        }
        let pde = self.tables.directory()[dir];
        if !pde.is_present() {
            return Err(UnmapError::NotMapped(page));
        }
        // SAFETY: entry `dir` is present and points at a page table.
        let table = unsafe { self.tables.table(dir) };
        let entry = table[slot];
        if !entry.is_present() {
            return Err(UnmapError::NotMapped(page));
        }
        table[slot] = PageTableEntry::empty();
        self.present[dir] -= 1;
        if self.present[dir] == 0 && !pde.flags().contains(PageTableFlags::PINNED) {
            self.free_table(dir, frames);
        }
        Ok((entry.frame(), Flush::new(page, true)))
    }

    /// Replaces the flags of a mapped page (PRESENT is kept), leaving its
    /// frame; for example `PRESENT` alone makes kernel text read-only.
    /// Adds USER to the directory entry if `flags` has it.
    ///
    /// # Safety
    ///
    /// The new flags break nothing that relies on the old ones: no `&mut`
    /// or pending write into a page that loses WRITABLE, no second mapping
    /// of the frame with a different caching type (WRITE_THROUGH,
    /// NO_CACHE), no kernel data handed to ring 3 with USER.
    pub unsafe fn update_flags(
        &mut self,
        page: Page,
        flags: PageTableFlags,
    ) -> Result<Flush, UpdateFlagsError> {
        let (dir, slot) = (page.directory_index(), page.table_index());
        if dir == RECURSIVE_PDE {
            return Err(UpdateFlagsError::RecursiveWindow(page));
        }
        let pde = self.tables.directory()[dir];
        if !pde.is_present() {
            return Err(UpdateFlagsError::NotMapped(page));
        }
        // SAFETY: entry `dir` is present and points at a page table.
        let entry = unsafe { self.tables.table(dir) }[slot];
        if !entry.is_present() {
            return Err(UpdateFlagsError::NotMapped(page));
        }
        let user = flags & PageTableFlags::USER;
        if !pde.flags().contains(user) {
            self.tables.directory()[dir] = pde.with_flags(pde.flags() | user);
            self.tables.directory_entry_changed(dir);
        }
        // SAFETY: entry `dir` is still present and points at the same table.
        let table = unsafe { self.tables.table(dir) };
        table[slot] = entry.with_flags(flags | PageTableFlags::PRESENT);
        Ok(Flush::new(page, true))
    }

    /// Points the mapped `page` at `frame` instead, with `flags` (PRESENT is
    /// added), and returns the frame it pointed at, with a required flush
    /// token. The table stays: unlike an unmap followed by a map, this can
    /// neither free the page's table nor need a new one, so it never fails
    /// for want of frames. Copy-on-write uses it to give a writer its own
    /// copy of a shared page. On failure nothing changed and the error
    /// holds `frame`.
    ///
    /// # Safety
    ///
    /// As for [`map`](Self::map) for `frame` (exclusively the caller's),
    /// and as for [`unmap`](Self::unmap) for the old frame: nothing relies
    /// on the page still showing it. Flush the token before the old frame
    /// is freed or written.
    pub unsafe fn replace(
        &mut self,
        page: Page,
        frame: Frame,
        flags: PageTableFlags,
    ) -> Result<(Frame, Flush), (UnmapError, Frame)> {
        let (dir, slot) = (page.directory_index(), page.table_index());
        if dir == RECURSIVE_PDE {
            return Err((UnmapError::RecursiveWindow(page), frame));
        }
        let pde = self.tables.directory()[dir];
        if !pde.is_present() {
            return Err((UnmapError::NotMapped(page), frame));
        }
        // SAFETY: entry `dir` is present and points at a page table.
        let table = unsafe { self.tables.table(dir) };
        let old = table[slot];
        if !old.is_present() {
            return Err((UnmapError::NotMapped(page), frame));
        }
        let user = flags & PageTableFlags::USER;
        table[slot] = PageTableEntry::new(&frame, flags | PageTableFlags::PRESENT);
        if !pde.flags().contains(user) {
            self.tables.directory()[dir] = pde.with_flags(pde.flags() | user);
            self.tables.directory_entry_changed(dir);
        }
        Ok((old.frame(), Flush::new(page, true)))
    }

    /// The physical address `addr` translates to, or `None` if it is not
    /// mapped. Walks the tables as the CPU does; the recursive window
    /// translates too (to the tables and the directory).
    pub fn translate(&mut self, addr: VirtAddr) -> Option<PhysAddr> {
        let entry = self.lookup(Page::containing(addr))?;
        Some(PhysAddr::new(entry.addr().as_u32() | addr.page_offset()))
    }

    /// The present table entry that maps `page`, or `None`.
    pub fn lookup(&mut self, page: Page) -> Option<PageTableEntry> {
        let dir = page.directory_index();
        if !self.tables.directory()[dir].is_present() {
            return None;
        }
        // SAFETY: entry `dir` is present: a page table, or for 1023 the
        // directory itself, which reads as a table by design.
        let entry = unsafe { self.tables.table(dir) }[page.table_index()];
        entry.is_present().then_some(entry)
    }

    /// Present entries in page table `index` as the mapper counts them
    /// (0 if there is no table). O(1).
    pub fn present_entries(&self, index: usize) -> usize {
        usize::from(self.present[index])
    }

    /// The table access, to look at (e.g. the emulated memory's counters).
    pub fn tables(&self) -> &A {
        &self.tables
    }

    /// The table access, mutably.
    ///
    /// # Safety
    ///
    /// The caller does not change any entry through it (the mapper's
    /// counts and frame ownership would go wrong); reading is fine.
    pub unsafe fn tables_mut(&mut self) -> &mut A {
        &mut self.tables
    }

    /// Puts `table` (a frame from the allocator) under directory entry
    /// `dir`, invalidates the old window, and zeroes the table through the
    /// new one. The entry is written before the table is zeroed because the
    /// window is the only way to reach the frame; nothing is mapped in that
    /// 4 MiB yet, so nothing walks the garbage in between.
    fn install_table(&mut self, dir: usize, table: Frame, user: PageTableFlags) {
        let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | user;
        self.tables.directory()[dir] = PageTableEntry::new(&table, flags);
        self.tables.directory_entry_changed(dir);
        // SAFETY: entry `dir` was just made present, pointing at `table`.
        unsafe { self.tables.table(dir) }.zero();
        self.present[dir] = 0;
    }

    /// Removes the empty table under directory entry `dir` and gives its
    /// frame back, after the window onto it is invalidated.
    fn free_table(&mut self, dir: usize, frames: &mut impl FrameAllocator) {
        let pde = self.tables.directory()[dir];
        self.tables.directory()[dir] = PageTableEntry::empty();
        self.tables.directory_entry_changed(dir);
        if let Err(err) = frames.free(pde.frame()) {
            // The frame was in the directory, unpinned, so it must have come
            // from this allocator: a refusal means the books are wrong.
            panic!(
                "paging: the frame allocator refused page table {} of directory entry {dir} \
                 ({err}); a table that is not from the allocator must be PINNED",
                pde.addr()
            );
        }
    }
}

impl<A: TableAccess + fmt::Debug> fmt::Debug for Mapper<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The totals, not 1024 counters.
        let tables = self.present.iter().filter(|&&c| c > 0).count();
        let pages: usize = self.present.iter().map(|&c| usize::from(c)).sum();
        f.debug_struct("Mapper")
            .field("tables", &self.tables)
            .field("non_empty_tables", &tables)
            .field("present_entries", &pages)
            .finish()
    }
}
