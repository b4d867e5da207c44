//! Memory, wired together: the fixmap, the boot information, the frame
//! allocator, the kernel address space, virtual ranges, the heap, and the
//! reference counts of frames that processes share.
//!
//! The order matters (see docs/memory.md):
//!
//! 1. remove the identity map, so only the higher half is mapped;
//! 2. create the `Mapper` over the recursive mapping and give the kernel
//!    image its per-section rights (the console's boot window stays);
//! 3. build the frame stack from the memory map (`frames.rs`);
//! 4. map the screen (EGA text buffer or framebuffer) through a kernel
//!    virtual range and give it to the console, then drop the boot window
//!    at 0xC00B8000 (`screen.rs`);
//! 5. set CR0.WP; 6. bring up the heap.

mod account;
pub mod boot_info;
pub mod fixmap;
pub mod frames;
pub mod heap;
pub mod image;
pub mod kstack;
pub mod modules;
mod screen;
pub mod space;
pub mod spaces;
pub mod symbols;

use crate::account::FrameAccount;
use crate::arch::{self, qemu::ExitCode};
use crate::bootinfo::BootInfo;
use crate::layout::{Region, classify};
use crate::sync::{IrqMutex, IrqMutexGuard};
use core::sync::atomic::{AtomicU32, Ordering};
use frames::{FixmapWindow, FrameReport};
use mm::frame::Frame;
use mm::frames::FrameStack;
use mm::layout::KERNEL_BASE;
use mm::paging::{KernelTlb, Mapper, PageTableFlags, RecursiveTables};
use mm::space::{FrameCounts, SharedKernelHalf};
use mm::vrange::{MapRangeError, MappedRange, RangeMapper, UnmapRangeError, VRangeAllocator};
use mm::{PAGE_SIZE, PhysAddr, VirtAddr};
use spaces::FixmapFrames;
use spin::Once;

/// How many page directories can share the kernel half at once: one per
/// process, the kernel's own, and a few for tests.
pub const MAX_SPACES: usize = mm::layout::KERNEL_STACK_SLOTS as usize + 8;

/// The kernel mapper's tables: the loaded directory through the recursive
/// entry, with every change to a kernel directory entry written into
/// every address space's directory too (`mm::space::SharedKernelHalf`).
pub type KernelTables = SharedKernelHalf<RecursiveTables, FixmapFrames, MAX_SPACES>;

/// The frame allocator, the page tables and the kernel virtual ranges,
/// behind one lock because most operations need two or three of them.
/// Address spaces are edited under it too (they need its frames).
#[derive(Debug)]
pub struct Memory {
    /// Free physical frames.
    pub frames: FrameStack<FixmapWindow>,
    /// The kernel half, through the recursive mapping of the loaded
    /// directory (whichever it is: the kernel half is the same in all).
    pub mapper: Mapper<KernelTables>,
    /// Kernel virtual address space above the heap.
    pub ranges: VRangeAllocator,
    /// How many address spaces map each frame a fork shared (empty, and
    /// holding no frame, while nothing is shared).
    pub counts: FrameCounts<FixmapFrames>,
    /// This CPU's TLB.
    pub tlb: KernelTlb,
}

static MEMORY: Once<IrqMutex<Memory>> = Once::new();

/// The EGA text buffer's mapping, owned for the console.
static CONSOLE_MAPPING: Once<MappedRange> = Once::new();

/// Locks the memory state.
///
/// # Panics
///
/// Before [`init`] built it: a bug in the start-up order.
pub fn lock() -> IrqMutexGuard<'static, Memory> {
    MEMORY.get().expect("memory used before memory::init").lock()
}

impl Memory {
    fn range_mapper(
        &mut self,
    ) -> RangeMapper<'_, KernelTables, FrameStack<FixmapWindow>, KernelTlb> {
        RangeMapper {
            ranges: &mut self.ranges,
            mapper: &mut self.mapper,
            frames: &mut self.frames,
            tlb: &mut self.tlb,
        }
    }

    /// Maps `pages` frames of device memory starting at `phys` into a fresh
    /// kernel virtual range, uncached.
    ///
    /// # Safety
    ///
    /// `phys..phys + pages * 4 KiB` is device memory (not RAM the frame
    /// allocator owns) that no other mapping covers with other caching.
    pub unsafe fn map_device(
        &mut self,
        phys: PhysAddr,
        pages: u32,
    ) -> Result<MappedRange, MapRangeError> {
        let frames =
            (0..pages).map(|i| Frame::containing(PhysAddr::new(phys.as_u32() + i * PAGE_SIZE)));
        let flags =
            PageTableFlags::WRITABLE | PageTableFlags::NO_CACHE | PageTableFlags::WRITE_THROUGH;
        // SAFETY: forwarded contract.
        unsafe { self.range_mapper().map_device(frames, flags) }
    }

    /// Maps `pages` frames of RAM that the frame allocator does not own
    /// (boot modules), starting at `phys`, read-only into a fresh range.
    ///
    /// # Safety
    ///
    /// The frames are reserved RAM that nothing writes while mapped.
    pub unsafe fn map_physical_readonly(
        &mut self,
        phys: PhysAddr,
        pages: u32,
    ) -> Result<MappedRange, MapRangeError> {
        let frames =
            (0..pages).map(|i| Frame::containing(PhysAddr::new(phys.as_u32() + i * PAGE_SIZE)));
        // SAFETY: forwarded contract: not the allocator's, so never freed.
        unsafe { self.range_mapper().map_device(frames, PageTableFlags::empty()) }
    }

    /// Allocates `pages` frames and maps them, writable, into a fresh range:
    /// for a driver that needs, say, 16 frames of RAM mapped somewhere.
    pub fn map_new(&mut self, pages: u32) -> Result<MappedRange, MapRangeError> {
        self.range_mapper().map_new(pages, PageTableFlags::WRITABLE)
    }

    /// Unmaps a range from `map_device` or `map_new` (freeing RAM frames).
    pub fn unmap(&mut self, mapped: MappedRange) -> Result<(), UnmapRangeError> {
        self.range_mapper().unmap(mapped)
    }

    /// Frames handed out and not freed.
    pub fn frames_in_use(&self) -> u32 {
        self.frames.total_count() - self.frames.free_count()
    }
}

/// The heap's current top, published for fault reports (which must not take
/// the heap lock: the fault may have struck while it was held).
static HEAP_TOP: AtomicU32 = AtomicU32::new(mm::layout::HEAP_START.as_u32());

/// One past the heap's last mapped byte.
pub fn heap_top() -> u32 {
    HEAP_TOP.load(Ordering::Relaxed)
}

/// Which region `addr` is in: the null page, kernel text, the heap below or
/// above its top... The start-up code hands this down to the fault reports
/// (`arch::exceptions::describe_addresses_with`). It takes no lock and
/// allocates nothing, so it is safe inside a fault handler.
pub fn describe_address(addr: u32) -> Region {
    classify(addr, &image::kernel_image(), heap_top())
}

/// What the frame allocator was built from, kept for [`frame_account`].
static FRAME_REPORT: Once<FrameReport> = Once::new();

/// Where every available frame is now: the boot log's account.
///
/// # Panics
///
/// Before [`init`] built the frame allocator: a bug in the start-up order.
pub fn frame_account() -> FrameAccount {
    let report = FRAME_REPORT.get().expect("frame account asked for before memory::init");
    account::gather(boot_info::get(), report, &lock())
}

/// What the self-test runner compares before and after each test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Frames on the free stack.
    pub free_frames: u32,
    /// Heap bytes handed out and not freed.
    pub heap_in_use: usize,
    /// Heap allocations not freed.
    pub heap_blocks: usize,
}

/// Current memory accounting.
pub fn snapshot() -> Snapshot {
    let heap = heap::heap_stats();
    let free_frames = lock().frames.free_count();
    Snapshot { free_frames, heap_in_use: heap.used_bytes, heap_blocks: heap.live_allocations }
}

fn fatal(what: &str, error: &dyn core::fmt::Display) -> ! {
    log::error!("{what}: {error}");
    arch::stop(ExitCode::Crashed)
}

/// Brings up memory management. Call once, after `arch::init`.
pub fn init(info: &BootInfo<'_>) {
    space::remove_identity_map();
    // SAFETY: paging is on in ring 0 with the boot directory, whose entry
    // 1023 is recursive; this is the only `RecursiveTables`. CR3 changes
    // only between directories whose kernel halves are identical (kept so
    // by `KernelTables`), and this mapper only ever edits the kernel half,
    // so its counts hold in every one of them. The mapper becomes the only
    // writer of the kernel's tables, except the fixmap table, which
    // `fixmap` owns and never passes to the mapper (PINNED, like the
    // kernel table: neither is ever freed).
    let mut tables = KernelTables::new(unsafe { RecursiveTables::new() }, FixmapFrames);
    if let Err(e) = tables.register(spaces::kernel_directory()) {
        fatal("cannot register the kernel's page directory", &e);
    }
    // SAFETY: as above.
    let mut mapper = match unsafe { Mapper::new(tables) } {
        Ok(mapper) => mapper,
        Err(e) => fatal("the boot page directory is not what the kernel expects", &e),
    };
    // SAFETY: ring 0 with paging on.
    let mut tlb = unsafe { KernelTlb::new() };
    let boot_vga = VirtAddr::new(KERNEL_BASE + crate::console::vga::VGA_TEXT_PHYS);
    space::protect_kernel_image(&mut mapper, &mut tlb, boot_vga);

    let (frames, report) = match frames::build(info) {
        Ok(built) => built,
        Err(e) => fatal("cannot build the frame allocator", &e),
    };
    MEMORY.call_once(|| {
        let counts = FrameCounts::new(FixmapFrames);
        IrqMutex::new(Memory { frames, mapper, ranges: VRangeAllocator::new(), counts, tlb })
    });

    screen::attach(info, boot_vga);
    symbols::init(info, &mut lock());
    modules::init(info);
    space::enable_write_protect();
    FRAME_REPORT.call_once(|| report);
    crate::print!("{}", frame_account());
    let heap = heap::heap_stats();
    crate::println!(
        "heap at {}, up to {} MiB: {} bytes mapped (grows on demand)",
        mm::layout::HEAP_START,
        (mm::layout::HEAP_END.as_u32() - mm::layout::HEAP_START.as_u32()) >> 20,
        heap.mapped_bytes
    );
}
