//! A new process from a boot module: the program checked, an address space
//! built with its image, its stack and kernel stack, ready to drop to ring
//! 3 at its entry point. All or nothing: a failure leaves nothing behind.
//!
//! ```text
//!  module bytes ──> elf::parse (every header and segment checked)
//!               ──> a table slot, the Process (kernel heap)
//!               ──> kernel stack (2 frames), directory (1 frame)
//!               ──> each image page: a frame, filled from the file, mapped
//!                   with the segment's rights; the first stack page
//!               ──> the kernel stack prepared: first `first_run`, then
//!                   `iret` to (entry, USER_STACK_TOP) with EAX = arg
//! ```

use super::sched;
use super::state::{Name, Process, State, kind_index};
use super::table::lock;
use crate::arch::context;
use crate::elf::{self, ElfError, Program};
use crate::memory::{self, Memory, modules, spaces::UserSpace};
use alloc::alloc::{Layout, alloc};
use alloc::boxed::Box;
use core::fmt;
use mm::frame::Page;
use mm::layout::{USER_STACK_BOTTOM, USER_STACK_LIMIT, USER_STACK_TOP};
use mm::paging::PageTableFlags;
use mm::space::{Region, RegionKind, Rights, SpaceError, UserRegions};
use mm::{PAGE_SIZE, VirtAddr};

/// Why a process could not be started. Nothing was left behind.
#[derive(Debug)]
pub enum SpawnError {
    /// No boot module has that name.
    NoSuchProgram,
    /// The file is not a program this kernel runs.
    BadFile(ElfError),
    /// Every process slot is taken.
    TooManyProcesses,
    /// No memory for it (frames, or the kernel heap for its record).
    OutOfMemory,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoSuchProgram => f.write_str("no boot module has that name"),
            SpawnError::BadFile(e) => write!(f, "{e}"),
            SpawnError::TooManyProcesses => {
                write!(f, "all {} process slots are taken", super::MAX_PROCESSES)
            }
            SpawnError::OutOfMemory => f.write_str("out of memory"),
        }
    }
}

/// `Box::new`, but `Err(value)` instead of a panic when the heap is full.
fn try_box<T>(value: T) -> Result<Box<T>, T> {
    let layout = Layout::new::<T>();
    // SAFETY: `T` is not zero-sized here (a `Process`); `alloc` returns
    // null or a block fit for `layout`.
    let ptr = unsafe { alloc(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(value);
    }
    // SAFETY: `ptr` is a fresh, aligned block for one `T`, allocated by the
    // global allocator with `T`'s layout, as `Box::from_raw` requires.
    unsafe {
        ptr.write(value);
        Ok(Box::from_raw(ptr))
    }
}

/// Starts the program in boot module `name` with `arg` in EAX; returns its
/// pid. It runs the next time the scheduler picks it.
pub fn spawn(name: &str, arg: u32) -> Result<u32, SpawnError> {
    let module = modules::find(name).ok_or(SpawnError::NoSuchProgram)?;
    let program = elf::parse(module.bytes).map_err(SpawnError::BadFile)?;
    let mut table = lock();
    let slot = table.free_slot().ok_or(SpawnError::TooManyProcesses)?;
    let pid = table.next_pid;
    let image_end = program.image_end();
    let process = Process {
        pid,
        name: Name::new(name),
        state: State::Runnable,
        space: None,
        regions: UserRegions::new(),
        stack: None,
        saved_esp: 0,
        heap_start: image_end,
        brk: image_end,
        resident: [0; 4],
        written: 0,
        frames_at_exit: 0,
    };
    let mut process = try_box(process).map_err(|_| SpawnError::OutOfMemory)?;
    build(&mut process, &program, module.bytes, slot as u32)?;
    let stack = process.stack.as_ref().expect("built");
    let frame = context::user_entry_frame(program.entry, USER_STACK_TOP.as_u32(), arg);
    // SAFETY: the stack was just mapped for this process and nothing runs on it.
    process.saved_esp = unsafe { context::prepare_stack(stack.top(), &frame, sched::first_run) };
    table.slots[slot] = Some(process);
    table.next_pid += 1;
    table.live += 1;
    Ok(pid)
}

/// Maps the kernel stack, the space, the image and the first stack page.
fn build(p: &mut Process, program: &Program, file: &[u8], slot: u32) -> Result<(), SpawnError> {
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
        p.regions.insert(region).map_err(|_| SpawnError::BadFile(ElfError::TooManySegments))?;
    }
    let stack_region = Region {
        start: Page::containing(USER_STACK_BOTTOM),
        pages: USER_STACK_LIMIT / PAGE_SIZE,
        rights: Rights::READ | Rights::WRITE,
        kind: RegionKind::Stack,
    };
    p.regions.insert(stack_region).map_err(|_| SpawnError::OutOfMemory)?;

    let mut memory = memory::lock();
    let memory = &mut *memory;
    let stack = memory.map_kernel_stack(slot).map_err(|_| SpawnError::OutOfMemory)?;
    let mut space = match memory.new_space() {
        Ok(space) => space,
        Err(_) => {
            memory.free_kernel_stack(stack);
            return Err(SpawnError::OutOfMemory);
        }
    };
    match load(memory, &mut space, program, file, &mut p.resident) {
        Ok(()) => {
            p.space = Some(space);
            p.stack = Some(stack);
            Ok(())
        }
        Err(_) => {
            memory.destroy_space(space);
            memory.free_kernel_stack(stack);
            Err(SpawnError::OutOfMemory)
        }
    }
}

/// Fills the image pages from the file and maps the first stack page.
fn load(
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
