//! A process's user memory: its address space, its regions, where its
//! heap is, and how many pages of each kind it has mapped. One box, made
//! from a program by `spawn` and `exec`, copied (copy-on-write) by `fork`,
//! and ended as a whole by `exit` or replaced by `exec`.
//!
//! ```text
//!  load(program)  regions checked ──> a directory ──> each image page: a
//!                 frame, filled from the file ──> the first stack page
//!  fork()         a directory ──> the parent's tables shared page by page
//!                 (mm::space::AddressSpace::fork_into): no page copied
//!  end()          every page released (a shared frame only loses a user),
//!                 every table and the directory freed
//! ```
//!
//! Each step that can fail leaves nothing behind. The box itself is taken
//! from the heap before the memory lock (the heap may need that lock to
//! grow), and the space is then built straight into it: a `UserMemory` is
//! about 3 KiB, and a process's kernel stack, where `fork` and `exec` run,
//! only 8 KiB, so it is never built on the stack and moved.

use super::boxed::try_box_uninit;
use super::exec::SpawnError;
use crate::elf::{ElfError, Program};
use crate::memory::{self, Memory, spaces::UserSpace};
use alloc::boxed::Box;
use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;
use mm::frame::Page;
use mm::layout::{USER_STACK_BOTTOM, USER_STACK_LIMIT, USER_STACK_TOP};
use mm::paging::PageTableFlags;
use mm::space::{Region, RegionKind, Rights, SpaceError, SpaceFrames, UserRegions};
use mm::{PAGE_SIZE, VirtAddr};

/// Where pages of each region kind are counted in [`UserMemory`].
const fn kind_index(kind: RegionKind) -> usize {
    match kind {
        RegionKind::Image => 0,
        RegionKind::Heap => 1,
        RegionKind::Anonymous => 2,
        RegionKind::Stack => 3,
    }
}

/// A process's user memory.
#[derive(Debug)]
pub struct UserMemory {
    /// Its address space.
    pub space: UserSpace,
    /// What it may use.
    pub regions: UserRegions,
    /// Where the heap begins (the page after the image).
    pub heap_start: u32,
    /// The break: one past the heap's last byte.
    pub brk: u32,
    /// Pages mapped per region kind.
    resident: [u32; 4],
}

impl UserMemory {
    /// Pages of `kind` mapped now (shared ones included).
    pub fn resident(&self, kind: RegionKind) -> u32 {
        self.resident[kind_index(kind)]
    }

    /// Counts `n` more pages of `kind` mapped.
    pub fn add_resident(&mut self, kind: RegionKind, n: u32) {
        self.resident[kind_index(kind)] += n;
    }

    /// Counts `n` pages of `kind` unmapped.
    pub fn remove_resident(&mut self, kind: RegionKind, n: u32) {
        self.resident[kind_index(kind)] -= n;
    }

    /// A new memory for `program` (from `file`): its regions, a space with
    /// the image loaded and the first stack page. All or nothing.
    pub fn load(program: &Program, file: &[u8]) -> Result<Box<Self>, SpawnError> {
        let mut boxed = try_box_uninit::<Self>().ok_or(SpawnError::OutOfMemory)?;
        let this = boxed.as_mut_ptr();
        // SAFETY: `this` points at the box's room for a `Self`; each field
        // is written once below, before the box is taken as initialised,
        // and a field's place is only used as `MaybeUninit` until then.
        let (regions, space) =
            unsafe { (field(addr_of_mut!((*this).regions)), field(addr_of_mut!((*this).space))) };
        let regions = regions.write(UserRegions::new());
        add_regions(regions, program)?;
        let mut resident = [0; 4];
        {
            let mut memory = memory::lock();
            let memory = &mut *memory;
            let space = memory.new_space_in(space).map_err(|_| SpawnError::OutOfMemory)?;
            if load_image(memory, space, program, file, &mut resident).is_err() {
                // SAFETY: the space is never used again: the box is freed.
                unsafe { memory.destroy_space_in_place(space) };
                return Err(SpawnError::OutOfMemory);
            }
        }
        let image_end = program.image_end();
        // SAFETY: as above: the last three fields, then the whole is initialised.
        unsafe {
            addr_of_mut!((*this).heap_start).write(image_end);
            addr_of_mut!((*this).brk).write(image_end);
            addr_of_mut!((*this).resident).write(resident);
            Ok(boxed.assume_init())
        }
    }

    /// A copy of this memory for a child: the same regions and heap, the
    /// pages shared copy-on-write (no page copied). `None` when memory
    /// runs out, with nothing taken and this memory as it was.
    pub fn fork(&mut self) -> Option<Box<Self>> {
        let mut boxed = try_box_uninit::<Self>()?;
        let this = boxed.as_mut_ptr();
        // SAFETY: as in `load`: each field of the box written once below.
        let space = unsafe { field(addr_of_mut!((*this).space)) };
        {
            let mut memory = memory::lock();
            let child = memory.new_space_in(space).ok()?;
            if memory.fork_space(&mut self.space, child).is_err() {
                // SAFETY: the space is never used again: the box is freed.
                unsafe { memory.destroy_space_in_place(child) };
                return None;
            }
        }
        // SAFETY: as above: the other fields, then the whole is initialised.
        unsafe {
            addr_of_mut!((*this).regions).write(self.regions.clone());
            addr_of_mut!((*this).heap_start).write(self.heap_start);
            addr_of_mut!((*this).brk).write(self.brk);
            addr_of_mut!((*this).resident).write(self.resident);
            Some(boxed.assume_init())
        }
    }

    /// Ends this memory: every frame given back (a shared one only loses
    /// a user), then the box. Its space must not be loaded. Returns what
    /// it held.
    pub fn end(mut self: Box<Self>) -> SpaceFrames {
        // SAFETY: the space is never used again: the box is dropped next
        // (after the memory lock, a temporary here, is released).
        let held = unsafe { memory::lock().destroy_space_in_place(&mut self.space) };
        drop(self);
        held
    }
}

/// The place of a field of a value being built in place.
///
/// # Safety
///
/// `field` points at a field of a live allocation, valid for writes, that
/// nothing else refers to while the returned reference lives.
unsafe fn field<'a, T>(field: *mut T) -> &'a mut MaybeUninit<T> {
    // SAFETY: `MaybeUninit<T>` has `T`'s layout, and any bytes are a valid
    // `MaybeUninit<T>`; exclusivity is the caller's promise.
    unsafe { &mut *field.cast::<MaybeUninit<T>>() }
}

/// Adds the regions of a program to `regions`: one per segment, and the stack.
fn add_regions(regions: &mut UserRegions, program: &Program) -> Result<(), SpawnError> {
    for segment in program.segments() {
        let (first, end) = segment.pages();
        let mut rights = Rights::READ;
        if segment.writable {
            rights |= Rights::WRITE;
        }
        if segment.executable {
            rights |= Rights::EXEC;
        }
        let start = Page::containing(VirtAddr::new(first));
        let region =
            Region { start, pages: (end - first) / PAGE_SIZE, rights, kind: RegionKind::Image };
        regions.insert(region).map_err(|_| SpawnError::BadFile(ElfError::TooManySegments))?;
    }
    let stack = Region {
        start: Page::containing(USER_STACK_BOTTOM),
        pages: USER_STACK_LIMIT / PAGE_SIZE,
        rights: Rights::READ | Rights::WRITE,
        kind: RegionKind::Stack,
    };
    regions.insert(stack).map_err(|_| SpawnError::OutOfMemory)
}

/// Fills the image pages from the file and maps the first stack page.
fn load_image(
    memory: &mut Memory,
    space: &mut UserSpace,
    program: &Program,
    file: &[u8],
    resident: &mut [u32; 4],
) -> Result<(), SpaceError> {
    for segment in program.segments() {
        let (first, end) = segment.pages();
        let flags =
            if segment.writable { PageTableFlags::WRITABLE } else { PageTableFlags::empty() };
        for page_addr in (first..end).step_by(PAGE_SIZE as usize) {
            let page = Page::containing(VirtAddr::new(page_addr));
            space.map_filled(page, flags, &mut memory.frames, |bytes| {
                bytes.fill(0);
                // The part of the file that lands on this page, if any.
                let file_start = segment.vaddr;
                let file_end = segment.vaddr + segment.file.len() as u32;
                let lo = page_addr.max(file_start);
                let hi = (page_addr + PAGE_SIZE).min(file_end);
                if lo < hi {
                    let src = segment.file.start + (lo - file_start) as usize;
                    let dst = (lo - page_addr) as usize;
                    let n = (hi - lo) as usize;
                    bytes[dst..dst + n].copy_from_slice(&file[src..src + n]);
                }
            })?;
            resident[kind_index(RegionKind::Image)] += 1;
        }
    }
    let top = Page::containing(VirtAddr::new(USER_STACK_TOP.as_u32() - PAGE_SIZE));
    space.map_zeroed(top, PageTableFlags::WRITABLE, &mut memory.frames)?;
    resident[kind_index(RegionKind::Stack)] += 1;
    Ok(())
}
