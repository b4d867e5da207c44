//! One emulated RAM seen by both the frame allocator and the mapper, for
//! the `frames` fuzz body.
//!
//! [`PhysMemory`](crate::emulate::PhysMemory) belongs to one user at a time
//! (the frame stack's window borrows it, the emulated page tables own it).
//! Here the stack keeps its pages and the mapper its page tables in the
//! *same* frames, as in the kernel: if the allocator handed out a frame it
//! still uses, or the mapper kept a table it gave back, one would overwrite
//! the other, and the body's checks see it. Both views reach RAM through
//! copies of one raw pointer, taken once from the allocation, and each
//! reference they hand out lives only until the next call, as their traits
//! require.
//!
//! A fuzz run executes thousands of inputs a second, and fresh memory for
//! each would cost more than the input itself (the host faults in every
//! page), so the RAM of one input is kept for the next one on the same
//! thread, filled anew with [`GARBAGE`].

extern crate alloc;
extern crate std;

use alloc::alloc::{Layout, alloc, dealloc};
use core::cell::Cell;
use core::ptr::NonNull;

use crate::addr::PhysAddr;
use crate::emulate::RawPage;
use crate::frame::Frame;
use crate::frames::StackWindow;
use crate::layout::RECURSIVE_PDE;
use crate::paging::{PageTable, PageTableEntry, PageTableFlags, TableAccess};

/// What every byte of the RAM holds at the start of an input, so that code
/// which relies on zeroed memory (a page table not cleared) shows up.
pub const GARBAGE: u8 = 0xA5;

std::thread_local! {
    /// The last input's RAM, for the next one.
    static SPARE: Cell<Option<(NonNull<RawPage>, u32)>> = const { Cell::new(None) };
}

/// `frames` frames of emulated RAM from physical address 0, every byte
/// [`GARBAGE`].
#[derive(Debug)]
pub struct Ram {
    base: NonNull<RawPage>,
    frames: u32,
}

impl Ram {
    /// RAM of `frames` frames: this thread's spare one if it has the size,
    /// else a new allocation.
    pub fn new(frames: u32) -> Self {
        let base = match SPARE.take() {
            Some((base, n)) if n == frames => base,
            spare => {
                if let Some((base, n)) = spare {
                    // SAFETY: a spare RAM of `n` frames, allocated by `alloc_pages`.
                    unsafe { dealloc(base.as_ptr().cast(), layout(n)) };
                }
                alloc_pages(frames)
            }
        };
        // SAFETY: `base` holds `frames` pages that nothing else uses.
        unsafe { base.as_ptr().cast::<u8>().write_bytes(GARBAGE, frames as usize * 4096) };
        Self { base, frames }
    }

    /// The page at `frame`. Panics outside the RAM or off a frame boundary:
    /// an allocator or mapper bug that named a frame that does not exist.
    fn page(base: NonNull<RawPage>, frames: u32, frame: PhysAddr) -> NonNull<RawPage> {
        assert!(frame.is_aligned(4096), "emulated access to unaligned frame {frame}");
        let number = frame.as_u32() / 4096;
        assert!(number < frames, "emulated access to {frame}, beyond the end of RAM");
        // SAFETY: `number < frames`, so the page lies inside the allocation.
        unsafe { base.add(number as usize) }
    }

    /// Word `index` of the frame numbered `number`.
    pub fn read(&self, number: u32, index: usize) -> u32 {
        let page = Self::page(self.base, self.frames, PhysAddr::new(number * 4096));
        // SAFETY: the page is inside the RAM; no reference into it is alive
        // (the window's and the tables' last only until their next call).
        unsafe { page.cast::<u32>().add(index % 1024).read() }
    }

    /// Writes word `index` of the frame numbered `number`.
    pub fn write(&self, number: u32, index: usize, value: u32) {
        let page = Self::page(self.base, self.frames, PhysAddr::new(number * 4096));
        // SAFETY: as for `read`.
        unsafe { page.cast::<u32>().add(index % 1024).write(value) }
    }

    /// The frame stack's window onto this RAM.
    pub fn window(&self) -> RamWindow {
        RamWindow { base: self.base, frames: self.frames, shown: None }
    }

    /// Page tables in this RAM, with the directory at frame `directory`:
    /// zeroed, its entry 1023 pointing back at itself as the kernel's does.
    pub fn tables(&self, directory: u32) -> RamTables {
        for i in 0..1024 {
            self.write(directory, i, 0);
        }
        let flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::PINNED;
        let recursive = PageTableEntry::new(&Frame::from_number(directory), flags);
        self.write(directory, RECURSIVE_PDE, recursive.bits());
        RamTables {
            base: self.base,
            frames: self.frames,
            directory: PhysAddr::new(directory * 4096),
        }
    }
}

fn layout(frames: u32) -> Layout {
    Layout::array::<RawPage>(frames as usize).expect("a small RAM")
}

fn alloc_pages(frames: u32) -> NonNull<RawPage> {
    assert!(frames > 0);
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { alloc(layout(frames)) };
    NonNull::new(ptr.cast()).expect("host allocation of the emulated RAM failed")
}

impl Drop for Ram {
    /// Keeps the RAM for the next input on this thread. The window and the
    /// tables must be gone by now (the body drops them first).
    fn drop(&mut self) {
        if let Some((base, n)) = SPARE.replace(Some((self.base, self.frames))) {
            // SAFETY: a spare RAM of `n` frames, allocated by `alloc_pages`.
            unsafe { dealloc(base.as_ptr().cast(), layout(n)) };
        }
    }
}

/// The frame stack's window: a pointer to the shown frame of the [`Ram`].
#[derive(Debug)]
pub struct RamWindow {
    base: NonNull<RawPage>,
    frames: u32,
    shown: Option<NonNull<RawPage>>,
}

// SAFETY: `show` points at exactly the page of `frame` (bounds-checked),
// `page` returns it as 1024 aligned words (RawPage is 4096 bytes aligned to
// 4096) until the next `show`, and neither reads nor writes it. The RAM
// outlives the window (the body drops the stack first). That no one else
// writes the shown frame is what the fuzz body checks.
unsafe impl StackWindow for RamWindow {
    unsafe fn show(&mut self, frame: PhysAddr) {
        self.shown = Some(Ram::page(self.base, self.frames, frame));
    }

    unsafe fn page(&mut self) -> &mut [u32; 1024] {
        let page = self.shown.expect("the frame stack's window used before show");
        // SAFETY: shown, inside the RAM, and `&mut self` keeps the reference
        // exclusive as far as the window goes.
        unsafe { &mut *page.as_ptr().cast::<[u32; 1024]>() }
    }
}

/// The mapper's view: tables found from the directory as the CPU finds them.
#[derive(Debug)]
pub struct RamTables {
    base: NonNull<RawPage>,
    frames: u32,
    directory: PhysAddr,
}

impl RamTables {
    fn table_at(&mut self, frame: PhysAddr) -> &mut PageTable {
        let page = Ram::page(self.base, self.frames, frame);
        // SAFETY: a page of the RAM is exactly a `PageTable` (1024 `u32`s,
        // 4096-aligned, any bits valid); `&mut self` keeps it exclusive.
        unsafe { &mut *page.as_ptr().cast::<PageTable>() }
    }
}

// SAFETY: the directory is the frame given to `Ram::tables`, and `table(i)`
// follows directory entry `i` as it reads now; emulated RAM has no TLB, so
// no stale view remains; every reference borrows `self` mutably.
unsafe impl TableAccess for RamTables {
    fn directory(&mut self) -> &mut PageTable {
        self.table_at(self.directory)
    }

    unsafe fn table(&mut self, index: usize) -> &mut PageTable {
        let entry = self.directory()[index];
        assert!(entry.is_present(), "walk through absent directory entry {index}");
        self.table_at(entry.addr())
    }

    fn directory_entry_changed(&mut self, _index: usize) {}
}
