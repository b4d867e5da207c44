//! The kernel heap at 0xD000_0000: `mm::heap::Heap` over frames the kernel
//! maps on demand, behind an interrupt-safe lock; the C-style `kmalloc`
//! family; and the `#[global_allocator]` that makes `Box`, `Vec`, `String`
//! and `BTreeMap` work.
//!
//! ```text
//!   kmalloc / Box::new ──> HEAP (IrqMutex) ──> mm::heap::Heap (TLSF)
//!                                                │ needs pages at its top
//!                                                ▼
//!                           KernelPages::map ──> memory::lock(): frame stack
//!                                                + mapper: frame -> 0xD000_0000 + offset
//! ```
//!
//! Lock order: the heap's lock, then the memory lock. So code holding
//! `memory::lock()` must not allocate from the heap (it would wait for
//! itself), and the page source never calls back into the heap.
//!
//! Built with the `alloc-trace` feature, the global allocator prints each
//! call it served on the console (`alloc-trace: a <ptr> <size> <align>`,
//! `r <old> <new> <size>`, `f <ptr>`), after the heap's lock is released;
//! `scripts/record-alloc-trace.sh` turns a self-test run's lines into the
//! benchmark's trace file.

use super::{HEAP_TOP, Memory, lock};
use crate::sync::{IrqMutex, IrqMutexGuard};
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};
use core::sync::atomic::Ordering;
use mm::frame::{FrameAllocator, Page};
use mm::heap::{Heap, HeapError, HeapRegion, HeapStats, MapError, PageSource};
use mm::layout::{HEAP_END, HEAP_START};
use mm::paging::PageTableFlags;
use mm::{PAGE_SIZE, VirtAddr};

/// Pages for the heap: frames from the frame stack, mapped writable at
/// `HEAP_START + offset`.
#[derive(Debug)]
pub struct KernelPages;

fn heap_page(offset: usize, i: usize) -> Page {
    Page::containing(VirtAddr::new(HEAP_START.as_u32() + (offset + i * PAGE_SIZE as usize) as u32))
}

/// Unmaps heap pages `offset..offset + pages * 4 KiB` and frees their frames.
fn unmap_pages(memory: &mut Memory, offset: usize, pages: usize) {
    for i in 0..pages {
        let page = heap_page(offset, i);
        // SAFETY: nothing uses these pages: the heap gave them up (contract
        // of `PageSource::unmap`), or `map` is undoing pages that it mapped
        // a moment ago and handed to nobody.
        match unsafe { memory.mapper.unmap(page, &mut memory.frames) } {
            Ok((frame, flush)) => {
                flush.flush(&mut memory.tlb);
                if let Err(e) = memory.frames.free(frame) {
                    panic!(
                        "heap: the frame behind {page:?} was refused by the frame allocator: {e}"
                    );
                }
            }
            Err(e) => panic!("heap: unmapping {page:?}, which the heap had mapped, failed: {e}"),
        }
    }
}

// SAFETY: the region 0xD000_0000..0xE000_0000 is reserved for the heap in
// `mm::layout` and nothing else maps it; `map` maps fresh frames from the
// frame stack (owned by nobody else) writable, all or nothing; `unmap`
// gives them back; neither touches the heap or its lock, only the memory
// lock, which no code holds while calling into the heap.
unsafe impl PageSource for KernelPages {
    fn region(&self) -> HeapRegion {
        HeapRegion {
            base: NonNull::new(HEAP_START.as_mut_ptr::<u8>()).expect("HEAP_START is not null"),
            len: (HEAP_END.as_u32() - HEAP_START.as_u32()) as usize,
        }
    }

    fn map(&mut self, offset: usize, pages: usize) -> Result<(), MapError> {
        let mut memory = lock();
        let memory = &mut *memory;
        for i in 0..pages {
            let Some(frame) = memory.frames.allocate() else {
                unmap_pages(memory, offset, i);
                return Err(MapError::OutOfFrames);
            };
            let flags = PageTableFlags::WRITABLE;
            // SAFETY: the frame was just allocated, so it is ours alone; the
            // page is in the heap region above the heap's top, unmapped.
            match unsafe {
                memory.mapper.map(heap_page(offset, i), frame, flags, &mut memory.frames)
            } {
                Ok(flush) => flush.flush(&mut memory.tlb),
                Err(e) => {
                    // No frame left for a page table: give this frame back too.
                    if memory.frames.free(e.into_frame()).is_err() {
                        panic!("heap: a frame just allocated was refused on free");
                    }
                    unmap_pages(memory, offset, i);
                    return Err(MapError::OutOfFrames);
                }
            }
        }
        HEAP_TOP.store(heap_page(offset, pages).start().as_u32(), Ordering::Relaxed);
        Ok(())
    }

    unsafe fn unmap(&mut self, offset: usize, pages: usize) {
        unmap_pages(&mut lock(), offset, pages);
        HEAP_TOP.store(heap_page(offset, 0).start().as_u32(), Ordering::Relaxed);
    }

    /// The time-stamp counter when the heap first grows: how many cycles
    /// the firmware, GRUB and the boot took differs from boot to boot.
    fn boot_secret(&mut self) -> u32 {
        // SAFETY: every i686 CPU (P6 and later) has the time-stamp counter,
        // and the kernel runs in ring 0, where RDTSC is always allowed.
        let tsc = unsafe { x86::time::rdtsc() };
        (tsc ^ (tsc >> 32)) as u32
    }
}

static HEAP: IrqMutex<Heap<KernelPages>> = IrqMutex::new(Heap::new(KernelPages));

/// The heap itself, locked: for the checked operations (`Result` instead
/// of null or a halt), statistics and `check`. Do not hold it while taking
/// `memory::lock()` or allocating through `Box`/`kmalloc`.
pub fn heap() -> IrqMutexGuard<'static, Heap<KernelPages>> {
    HEAP.lock()
}

/// Allocates `size` bytes, 8-byte aligned; null if memory is exhausted (or
/// `size` is impossibly large). `kmalloc(0)` returns a unique pointer that
/// can be freed, like `kmalloc(1)`. To learn why an allocation failed
/// (heap address space or frames used up, or a request larger than the
/// heap), call `heap().malloc(size)`, which returns the `HeapError`.
pub fn kmalloc(size: usize) -> *mut u8 {
    HEAP.lock().malloc(size).map_or(ptr::null_mut(), NonNull::as_ptr)
}

/// Allocates `size` bytes aligned to `align` (a power of two up to 4096);
/// null on exhaustion or for an unsupported alignment.
pub fn kmalloc_aligned(size: usize, align: usize) -> *mut u8 {
    HEAP.lock().malloc_aligned(size, align).map_or(ptr::null_mut(), NonNull::as_ptr)
}

/// Allocates `count * size` zeroed bytes; null on exhaustion or if the
/// product overflows.
pub fn kcalloc(count: usize, size: usize) -> *mut u8 {
    HEAP.lock().calloc(count, size).map_or(ptr::null_mut(), NonNull::as_ptr)
}

/// Resizes the allocation at `ptr` to `size` bytes, in place when the
/// neighbouring memory allows, keeping the contents up to the smaller
/// size. `krealloc(null, n)` is `kmalloc(n)`. Returns null on exhaustion,
/// and then `ptr` is still valid and unchanged.
///
/// # Safety
///
/// `ptr` is null or a live pointer from this heap; on success the old
/// pointer must not be used again.
pub unsafe fn krealloc(ptr: *mut u8, size: usize) -> *mut u8 {
    // SAFETY: forwarded contract.
    match unsafe { HEAP.lock().realloc(ptr, size) } {
        Ok(p) => p.as_ptr(),
        Err(HeapError::OutOfMemory { .. } | HeapError::TooLarge { .. }) => ptr::null_mut(),
        Err(e) => corruption("krealloc", ptr, e),
    }
}

/// Frees the allocation at `ptr` (null is ignored). A pointer the heap did
/// not hand out, a double free or a corrupted block is reported with the
/// address and the kernel stops: the heap is never left to guess.
///
/// # Safety
///
/// `ptr` is null or a pointer from this heap, not used after this call.
pub unsafe fn kfree(ptr: *mut u8) {
    // SAFETY: forwarded contract; the heap checks the pointer before it
    // writes anything.
    if let Err(e) = unsafe { HEAP.lock().free(ptr) } {
        corruption("kfree", ptr, e);
    }
}

fn corruption(operation: &str, ptr: *mut u8, error: HeapError) -> ! {
    panic!("{operation}({ptr:p}): {error}");
}

/// The heap's counters.
pub fn heap_stats() -> HeapStats {
    HEAP.lock().stats()
}

/// `HeapStats` as one line, for the self-tests.
#[derive(Debug)]
pub struct StatsLine(pub HeapStats);

impl core::fmt::Display for StatsLine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = &self.0;
        write!(
            f,
            "{} bytes mapped, {} in use, {} free (largest block {}), {} live allocations, \
             {} pages grown, {} returned",
            s.mapped_bytes,
            s.used_bytes,
            s.free_bytes,
            s.largest_free,
            s.live_allocations,
            s.pages_grown,
            s.pages_returned
        )
    }
}

/// Walks the whole heap and verifies every invariant.
pub fn heap_check() -> Result<(), HeapError> {
    HEAP.lock().check()
}

/// Prints one `alloc-trace:` line (the `alloc-trace` feature). A call made
/// while the console is held (by code that allocates while printing)
/// cannot wait for it: its line is lost, and the recording script, which
/// checks every pointer's history, refuses the trace.
/// Without the feature the call is compiled out (`cfg!` is a constant).
fn record(args: core::fmt::Arguments<'_>) {
    use core::fmt::Write;
    if let Some(mut console) = crate::console::CONSOLE.try_lock() {
        let _ = writeln!(console, "alloc-trace: {args}");
    }
}

macro_rules! record {
    ($($arg:tt)*) => {
        if cfg!(feature = "alloc-trace") {
            record(format_args!($($arg)*));
        }
    };
}

/// `Box`, `Vec` and friends allocate here.
struct KernelAllocator;

/// Alignment every block has anyway.
const MIN_ALIGN: usize = 8;

// SAFETY: every pointer comes from the heap, which hands out distinct,
// suitably aligned blocks of at least the requested size (or null); the
// heap checks what comes back before touching it.
unsafe impl GlobalAlloc for KernelAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let result = if layout.align() <= MIN_ALIGN {
            HEAP.lock().malloc(layout.size())
        } else {
            HEAP.lock().malloc_aligned(layout.size(), layout.align())
        };
        if let Ok(p) = result {
            record!("a {p:p} {} {}", layout.size(), layout.align());
        }
        or_null(result, layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let result = if layout.align() <= MIN_ALIGN {
            HEAP.lock().calloc(1, layout.size())
        } else {
            let result = HEAP.lock().malloc_aligned(layout.size(), layout.align());
            if let Ok(p) = result {
                // SAFETY: `p` has `layout.size()` writable bytes.
                unsafe { ptr::write_bytes(p.as_ptr(), 0, layout.size()) };
            }
            result
        };
        if let Ok(p) = result {
            record!("a {p:p} {} {}", layout.size(), layout.align());
        }
        or_null(result, layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // Recorded first: once freed, the block may be handed out again.
        record!("f {ptr:p}");
        // SAFETY: `GlobalAlloc` callers pass pointers from `alloc`.
        unsafe { kfree(ptr) };
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is live from this allocator with `layout`.
        let result =
            unsafe { HEAP.lock().realloc_aligned(ptr, new_size, layout.align().max(MIN_ALIGN)) };
        match result {
            Err(e @ (HeapError::OutOfMemory { .. } | HeapError::TooLarge { .. })) => {
                warn(format_args!("growing {ptr:p} to {new_size} bytes failed: {e}"));
                ptr::null_mut()
            }
            Err(HeapError::BadAlignment { .. }) => ptr::null_mut(),
            Err(e) => corruption("realloc", ptr, e),
            Ok(p) => {
                record!("r {ptr:p} {p:p} {new_size}");
                p.as_ptr()
            }
        }
    }
}

/// The pointer of a `GlobalAlloc` allocation, or null, after saying why:
/// `Box`, `Vec` and the rest get only the null (and most then stop the
/// kernel with "memory allocation of N bytes failed"), so the reason the
/// heap gave (address space or frames used up, or a request larger than
/// the heap) is logged here, after the heap's lock is released.
fn or_null(result: Result<NonNull<u8>, HeapError>, layout: Layout) -> *mut u8 {
    match result {
        Ok(p) => p.as_ptr(),
        Err(e) => {
            let (size, align) = (layout.size(), layout.align());
            warn(format_args!("allocation of {size} bytes (align {align}) failed: {e}"));
            ptr::null_mut()
        }
    }
}

/// Logs a heap failure of the global allocator, unless this very code
/// path holds the console (something that allocates while printing):
/// waiting for it would never end, so the line is dropped instead.
fn warn(what: core::fmt::Arguments<'_>) {
    if crate::console::CONSOLE.try_lock().is_some() {
        log::warn!("heap: {what}");
    }
}

#[global_allocator]
static ALLOCATOR: KernelAllocator = KernelAllocator;
