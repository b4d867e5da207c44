//! Fuzz body `heap`: operation sequences through the heap's checked API,
//! against [`Model`].
//!
//! The input is read as a sequence of operations: allocations of every size
//! class (1 byte to the whole region, and sizes that can never fit), every
//! alignment (and invalid ones), `calloc` (with overflowing products),
//! `realloc` and `realloc_aligned`, frees, bad pointers of every kind
//! (double and stale frees, foreign, interior, unaligned, into a header,
//! above the top) given to `free` and `realloc`, words forged into
//! payloads (copies of real block headers among them), a page source that
//! refuses to map from a chosen point on, `trim`, and the promise of
//! [`HeapStats::largest_free`]. After every operation `check()` must pass
//! and the counters must agree with the model; at the end everything is
//! freed and the heap must be back to nothing mapped, with no byte outside
//! its mapped pages ever written.
//!
//! A broken promise panics with what was expected; libFuzzer records the
//! input, and `make test` replays it from `fuzz/regressions/heap/`.
//!
//! The pages come from a [`TestSource`]: the replay uses a guarded
//! [`ArenaSource`], which checks byte by byte that nothing outside the
//! mapped pages was written; the libFuzzer target uses a source whose
//! unmapped pages are inaccessible to the processor (`mprotect`), which
//! catches such a write as it happens and costs nothing per byte. Both
//! give a freshly mapped page the same contents, so an input runs the same
//! way over either.

extern crate alloc;

use alloc::vec::Vec;

use super::bytes::Bytes;
use super::heap_model::{Live, Model};
use crate::heap::block::DEBUG_TRAILER;
use crate::heap::{ArenaSource, Exhausted, Heap, HeapError, HeapStats, PageSource};

/// Bytes of the heap's region: 8 MiB, a power of two, so the heap uses all
/// of it (touched lazily: the host maps only what the heap writes).
pub const REGION: usize = 8 << 20;
/// The most operations one input runs (an input of libFuzzer's default
/// 4096 bytes holds fewer).
const MAX_OPS: usize = 2000;
/// The most forged runs one allocation remembers.
const MAX_FORGED: usize = 16;
/// No burst starts above this many live allocations: `check()` after every
/// step walks them all, and the run must stay fast.
const MAX_LIVE: usize = 1000;
/// How many freed addresses are kept to try again (stale pointers).
const STALE: usize = 16;

/// What the body needs of a page source besides [`PageSource`]: a frame
/// limit to make it refuse, and a way to check that the heap wrote nothing
/// outside its mapped pages.
pub trait TestSource: PageSource {
    /// Lets `map` succeed only while at most `frames` pages are mapped
    /// (`None`: no limit but the region's size).
    fn set_frame_limit(&mut self, frames: Option<usize>);
    /// Pages mapped now.
    fn mapped_pages(&self) -> usize;
    /// `Err(offset)` of a byte outside the mapped pages that was written.
    fn verify_untouched(&self) -> Result<(), usize>;
}

impl TestSource for ArenaSource {
    fn set_frame_limit(&mut self, frames: Option<usize>) {
        ArenaSource::set_frame_limit(self, frames);
    }
    fn mapped_pages(&self) -> usize {
        ArenaSource::mapped_pages(self)
    }
    fn verify_untouched(&self) -> Result<(), usize> {
        ArenaSource::verify_untouched(self)
    }
}

/// Runs the operations `data` encodes over a guarded arena of [`REGION`]
/// bytes; panics on any broken promise.
pub fn heap(data: &[u8]) {
    heap_over(data, ArenaSource::guarded(REGION));
}

/// [`heap`] over `source`, whose region must be [`REGION`] bytes with
/// nothing mapped.
pub fn heap_over<S: TestSource>(data: &[u8], source: S) {
    assert_eq!(source.region().len, REGION, "the fuzz body's region is {REGION} bytes");
    let mut run = Run {
        input: Bytes::new(data),
        heap: Heap::new(source),
        model: Model::default(),
        stale: Vec::new(),
        limited: false,
        step: 0,
    };
    while !run.input.is_empty() && run.step < MAX_OPS {
        run.one_op();
        run.after_op();
        run.step += 1;
    }
    run.finish();
}

/// The state of one fuzz run.
struct Run<'a, S: TestSource> {
    input: Bytes<'a>,
    heap: Heap<S>,
    model: Model,
    /// Addresses freed recently (they may have been handed out again since).
    stale: Vec<usize>,
    /// Whether the page source refuses to grow the heap (beyond a few pages).
    limited: bool,
    step: usize,
}

impl<S: TestSource> Run<'_, S> {
    fn one_op(&mut self) {
        match self.input.below(32) {
            0..=5 => {
                let size = self.size();
                let result = self.heap.malloc(size);
                self.allocated(result, size, 8, "malloc");
            }
            6..=7 => self.calloc(),
            8..=10 => {
                let (size, align) = (self.size(), self.align());
                let result = self.heap.malloc_aligned(size, align);
                self.allocated(result, size, align, "malloc_aligned");
            }
            11..=13 => self.realloc(false),
            14..=15 => self.realloc(true),
            16..=20 => self.free(),
            21..=22 => self.bad_free(),
            23 => self.bad_realloc(),
            24..=25 => self.forge(),
            26 => {
                // From here on the source maps at most a few more pages.
                let pages = self.heap.source().mapped_pages() + self.input.below(4) as usize;
                self.heap.source_mut().set_frame_limit(Some(pages));
                self.limited = true;
            }
            27 => {
                self.heap.source_mut().set_frame_limit(None);
                self.limited = false;
            }
            28 => {
                let before = self.heap.stats().mapped_bytes;
                let returned = self.heap.trim().unwrap_or_else(|e| self.fail("trim", e));
                assert_eq!(self.heap.stats().mapped_bytes, before - returned * 4096, "trim");
            }
            29 => self.largest_free_fits(),
            30 => self.burst(),
            _ => {
                // Free everything, in an order the input picks.
                while !self.model.is_empty() {
                    let i = self.input.index(self.model.len());
                    self.free_nth(i);
                }
            }
        }
    }

    /// A request size: mostly small, but from every size class up to the
    /// whole region, and some that can never fit.
    fn size(&mut self) -> usize {
        match self.input.below(16) {
            0..=7 => self.input.below(257) as usize,
            8..=10 => self.input.below(4097) as usize,
            11..=13 => {
                // Any class: [2^e, 2^(e+1)) for e up to the region's size.
                let e = self.input.below(REGION.trailing_zeros());
                (1usize << e) + self.input.below(1 << e) as usize
            }
            14 => {
                const EDGES: [usize; 12] = [
                    0,
                    8,
                    16,
                    4088,
                    REGION / 2 - 8,
                    REGION - 4096,
                    REGION,
                    REGION + 1,
                    512 << 20,
                    usize::MAX / 2,
                    usize::MAX - 7,
                    usize::MAX,
                ];
                EDGES[self.input.index(EDGES.len())]
            }
            _ => self.input.u32() as usize,
        }
    }

    /// Many small blocks at once, every other one freed again (up to 320
    /// pairs): free lists of one size hundreds long, holes between live
    /// blocks, as a long-running kernel leaves them.
    fn burst(&mut self) {
        if self.model.len() > MAX_LIVE {
            return;
        }
        let count = match self.input.below(4) {
            0 => self.input.in_range(1, 16),
            1 => self.input.in_range(16, 64),
            _ => self.input.in_range(200, 320),
        };
        let (freed, kept) = (self.input.below(65) as usize, self.input.below(65) as usize);
        let mut to_free = Vec::new();
        'burst: for _ in 0..count {
            for (size, free_again) in [(freed, true), (kept, false)] {
                let result = self.heap.malloc(size);
                let addr = result.as_ref().map(|p| p.as_ptr() as usize);
                self.allocated(result, size, 8, "malloc in a burst");
                match addr {
                    Ok(addr) if free_again => to_free.push(addr),
                    Ok(_) => {}
                    Err(_) => break 'burst,
                }
            }
        }
        for addr in to_free {
            self.free_addr(addr);
        }
    }

    /// An alignment: every power of two up to 4096, and a few invalid ones.
    fn align(&mut self) -> usize {
        match self.input.below(16) {
            0..=12 => 1 << self.input.below(13),
            13 => 8192,
            14 => 0,
            _ => 24,
        }
    }

    fn valid_align(align: usize) -> bool {
        align.is_power_of_two() && align <= 4096
    }

    /// The heap's counters before an operation, to compare after it.
    fn stats(&self) -> HeapStats {
        self.heap.stats()
    }

    /// Whether an allocation of `size` bytes aligned to `align` must
    /// succeed: the source maps anything, and the region has room above
    /// the heap's mapped top for the block, its alignment gap and slack.
    fn must_fit(&self, size: usize, align: usize) -> bool {
        !self.limited && self.stats().mapped_bytes + size + align + 3 * 4096 <= REGION
    }

    /// An allocation of `size` bytes aligned to `align` failed for want of
    /// `cause`: the heap must have had no room to grow, and must name what
    /// ran out. The frames run out only while the source is told to refuse;
    /// the address space only when the region lacks room for the block
    /// above the mapped top; neither source refuses for another reason.
    #[track_caller]
    fn out_of_memory(&self, size: usize, align: usize, cause: Exhausted, what: &str) {
        let step = self.step;
        assert!(
            !self.must_fit(size, align),
            "step {step}: {what}({size}, align {align}): out of {cause:?} with room to grow"
        );
        match cause {
            Exhausted::Frames => assert!(
                self.limited,
                "step {step}: {what}({size}, align {align}): out of frames, but the source maps anything"
            ),
            Exhausted::AddressSpace => assert!(
                self.stats().mapped_bytes + size > REGION - 3 * 4096 - align,
                "step {step}: {what}({size}, align {align}): out of address space with {} of {REGION} bytes mapped",
                self.stats().mapped_bytes
            ),
            Exhausted::Refused => {
                panic!("step {step}: {what}({size}): the source refused, which it never does")
            }
        }
    }

    #[track_caller]
    fn fail(&self, what: &str, e: HeapError) -> ! {
        panic!("step {}: {what} failed: {e} ({e:?})", self.step)
    }

    /// Checks a fresh allocation and adds it to the model; checks that a
    /// refusal was allowed.
    #[track_caller]
    fn allocated(
        &mut self,
        result: Result<core::ptr::NonNull<u8>, HeapError>,
        size: usize,
        align: usize,
        what: &str,
    ) {
        match result {
            Ok(ptr) => {
                assert!(Self::valid_align(align), "{what}: alignment {align} accepted");
                self.check_block(ptr.as_ptr() as usize, size, align.max(8), what);
                let live = Live {
                    addr: ptr.as_ptr() as usize,
                    len: size,
                    key: self.step as u8,
                    forged: Vec::new(),
                };
                live.fill();
                self.model.insert(live);
            }
            Err(HeapError::BadAlignment { align: a }) => {
                assert!(
                    !Self::valid_align(align) && a == align,
                    "{what}: alignment {align} refused"
                );
            }
            Err(HeapError::TooLarge { size: s }) => {
                assert!(
                    s == size && size > REGION / 2,
                    "{what}({size}): TooLarge for a size that fits"
                );
            }
            Err(HeapError::OutOfMemory { .. }) if size > REGION => {
                panic!(
                    "{what}({size}): OutOfMemory for a request larger than the whole region, which is TooLarge"
                )
            }
            Err(HeapError::OutOfMemory { cause, .. }) => {
                self.out_of_memory(size, align, cause, what);
            }
            Err(e) => self.fail(what, e),
        }
    }

    /// A block the heap just handed out lies in its mapped part, aligned.
    #[track_caller]
    fn check_block(&self, addr: usize, size: usize, align: usize, what: &str) {
        let base = self.heap.source().region().base.as_ptr() as usize;
        let mapped = self.stats().mapped_bytes;
        assert_eq!(addr % align, 0, "{what}({size}): {addr:#x} is not aligned to {align}");
        assert!(
            addr >= base + 8 && addr + size.max(1) <= base + mapped,
            "{what}({size}): {addr:#x} is not inside the mapped heap {base:#x}..{:#x}",
            base + mapped
        );
    }

    fn calloc(&mut self) {
        let count = match self.input.below(4) {
            0 => 0,
            1 => self.input.in_range(1, 16) as usize,
            2 => self.input.u32() as usize,
            _ => usize::MAX / self.input.in_range(1, 64) as usize,
        };
        let size = self.size();
        let result = self.heap.calloc(count, size);
        let Some(total) = count.checked_mul(size) else {
            match result {
                Err(HeapError::CallocOverflow { .. }) => return,
                other => panic!("calloc({count}, {size}) overflows but returned {other:?}"),
            }
        };
        if let Ok(ptr) = result {
            let at = (0..total.min(4096)).chain(total.saturating_sub(4096)..total).find(|&i| {
                // SAFETY: `ptr` is a fresh allocation of `total` bytes.
                unsafe { ptr.as_ptr().add(i).read() != 0 }
            });
            assert!(at.is_none(), "calloc({count}, {size}): byte {at:?} is not zero");
        }
        self.allocated(result, total, 8, "calloc");
    }

    /// Resizes a live allocation (or, with no live one, a null pointer).
    fn realloc(&mut self, aligned: bool) {
        let size = self.size();
        let align = if aligned { self.align() } else { 8 };
        if self.model.is_empty() {
            // SAFETY: realloc(null) is malloc.
            let result = unsafe { self.heap.realloc_aligned(core::ptr::null_mut(), size, align) };
            return self.allocated(result, size, align, "realloc(null)");
        }
        let i = self.input.index(self.model.len());
        let old = self.model.nth(i).clone();
        old.verify("before realloc");
        // SAFETY: `old` is live; after a success the model forgets its old
        // address, and after an error it stays valid (the heap's promise).
        let result = unsafe { self.heap.realloc_aligned(old.addr as *mut u8, size, align) };
        match result {
            Ok(ptr) => {
                assert!(Self::valid_align(align), "realloc: alignment {align} accepted");
                let addr = ptr.as_ptr() as usize;
                self.check_block(addr, size, align.max(8), "realloc");
                old.verify_first(addr, size, "contents kept by realloc");
                self.model.remove(old.addr);
                let live = Live { addr, len: size, key: self.step as u8, forged: Vec::new() };
                live.fill();
                self.model.insert(live);
            }
            Err(e) => {
                match e {
                    HeapError::BadAlignment { .. } => {
                        assert!(!Self::valid_align(align), "realloc: {e}")
                    }
                    HeapError::TooLarge { .. } => {
                        assert!(size > REGION / 2, "realloc({size}): {e}")
                    }
                    HeapError::OutOfMemory { .. } if size > REGION => panic!(
                        "realloc({size}): {e}: a request larger than the whole region is TooLarge"
                    ),
                    HeapError::OutOfMemory { cause, .. } => {
                        self.out_of_memory(size, align, cause, "realloc")
                    }
                    e => self.fail("realloc", e),
                }
                old.verify("the old allocation after a failed realloc");
            }
        }
    }

    fn free(&mut self) {
        if !self.model.is_empty() {
            let i = self.input.index(self.model.len());
            self.free_nth(i);
        }
    }

    fn free_nth(&mut self, i: usize) {
        self.free_addr(self.model.nth(i).addr);
    }

    /// Frees the live allocation at `addr`, checking its contents first.
    fn free_addr(&mut self, addr: usize) {
        let live = self.model.remove(addr);
        live.verify("before free");
        // SAFETY: `addr` is live, and the model forgets it now.
        if let Err(e) = unsafe { self.heap.free(addr as *mut u8) } {
            self.fail("free of a live allocation", e);
        }
        if self.stale.len() == STALE {
            self.stale.remove(0);
        }
        self.stale.push(addr);
    }

    /// A pointer the heap never handed out, or handed out and took back:
    /// stale, foreign, interior, unaligned, into a header, above the top.
    fn bad_pointer(&mut self) -> Option<usize> {
        let base = self.heap.source().region().base.as_ptr() as usize;
        let mapped = self.stats().mapped_bytes;
        let addr = match self.input.below(8) {
            0 | 1 => *self.stale.get(self.input.index(self.stale.len()))?,
            2 => base.wrapping_sub(8 * self.input.in_range(1, 64) as usize),
            3 => base + REGION + 8 * self.input.below(64) as usize,
            4 => base + mapped + 8 * self.input.below(1024) as usize,
            5 => {
                let other = [0u64; 2];
                other.as_ptr() as usize
            }
            _ => {
                // Inside or just before a live allocation.
                if self.model.is_empty() {
                    return None;
                }
                let live = self.model.nth(self.input.index(self.model.len()));
                let offset = self.input.in_range(0, live.len.min(1 << 16) as u32 + 16) as usize;
                (live.addr + offset).wrapping_sub(16)
            }
        };
        // Only a pointer that is not the start of a live allocation is bad.
        (addr != 0 && self.model.at(addr).is_none()).then_some(addr)
    }

    /// `free` of a bad pointer must be refused and change nothing.
    fn bad_free(&mut self) {
        let Some(addr) = self.bad_pointer() else { return };
        let before = self.stats();
        // SAFETY: the heap must refuse the pointer before touching anything.
        let result = unsafe { self.heap.free(addr as *mut u8) };
        self.refused(result.map(|()| addr), addr, before, "free");
    }

    /// `realloc` of a bad pointer must be refused and change nothing.
    fn bad_realloc(&mut self) {
        let Some(addr) = self.bad_pointer() else { return };
        let size = self.size();
        let before = self.stats();
        // SAFETY: as for `bad_free`.
        let result = unsafe { self.heap.realloc(addr as *mut u8, size) };
        self.refused(result.map(|p| p.as_ptr() as usize), addr, before, "realloc");
    }

    #[track_caller]
    fn refused(
        &mut self,
        result: Result<usize, HeapError>,
        addr: usize,
        before: HeapStats,
        what: &str,
    ) {
        use HeapError::*;
        match result {
            Err(
                OutsideHeap { .. }
                | AboveTop { .. }
                | Misaligned { .. }
                | Interior { .. }
                | DoubleFree { .. }
                | InFreeBlock { .. },
            ) => {}
            other => {
                let inside = self.model.holding(addr).map(|l| (l.addr, l.len));
                panic!(
                    "step {}: {what}({addr:#x}) of a pointer the heap does not own returned {other:?} \
                     (inside the live allocation {inside:x?})",
                    self.step
                )
            }
        }
        let after = self.stats();
        assert_eq!(
            (after.used_bytes, after.live_allocations),
            (before.used_bytes, before.live_allocations),
            "{what}({addr:#x}) was refused but changed the heap"
        );
        if let Some(live) = self.model.holding(addr) {
            live.verify("an allocation after a bad pointer into it was refused");
        }
    }

    /// Writes eight bytes into a live allocation: a copy of a real block
    /// header, or words from the input, then hands the heap the pointer
    /// just after them (where a payload would start, were they a header).
    fn forge(&mut self) {
        if self.model.is_empty() {
            return;
        }
        let target = self.model.nth(self.input.index(self.model.len())).clone();
        if target.len < 16 || target.forged.len() == MAX_FORGED {
            return;
        }
        let at = 8 * self.input.index((target.len - 8) / 8);
        let bytes = if self.input.below(2) == 0 {
            let source = self.model.nth(self.input.index(self.model.len())).addr;
            let mut header = [0u8; 8];
            // SAFETY: the 8 bytes before a live allocation are its block
            // header, inside the heap's mapped region; nothing writes them now.
            unsafe {
                core::ptr::copy_nonoverlapping((source - 8) as *const u8, header.as_mut_ptr(), 8)
            };
            header
        } else {
            let (a, b) = (self.input.u32(), self.input.u32());
            let mut words = [0u8; 8];
            words[..4].copy_from_slice(&a.to_le_bytes());
            words[4..].copy_from_slice(&b.to_le_bytes());
            words
        };
        self.model.get_mut(target.addr).forge(at, bytes);
        let interior = target.addr + at + 8;
        if self.model.at(interior).is_none() {
            let before = self.stats();
            // SAFETY: the heap must refuse this interior pointer untouched.
            let result = unsafe { self.heap.free(interior as *mut u8) };
            self.refused(result.map(|()| interior), interior, before, "free");
        }
    }

    /// `largest_free` promises that a request of up to that many bytes less
    /// the header (and debug trailer) fits without growing the heap.
    fn largest_free_fits(&mut self) {
        let stats = self.stats();
        let overhead = 8 + DEBUG_TRAILER as usize;
        if stats.largest_free <= overhead {
            return;
        }
        let size = stats.largest_free - overhead;
        let pages = self.heap.source().mapped_pages();
        self.heap.source_mut().set_frame_limit(Some(pages));
        let result = self.heap.malloc(size);
        let limit = if self.limited { Some(pages) } else { None };
        self.heap.source_mut().set_frame_limit(limit);
        match result {
            Ok(ptr) => {
                assert_eq!(
                    self.stats().mapped_bytes,
                    stats.mapped_bytes,
                    "malloc({size}) grew the heap"
                );
                self.allocated(Ok(ptr), size, 8, "malloc of largest_free");
            }
            Err(e) => panic!(
                "step {}: largest_free is {} bytes, but malloc({size}) without growing failed: {e}",
                self.step, stats.largest_free
            ),
        }
    }

    /// After every operation: the heap is consistent and agrees with the model.
    fn after_op(&self) {
        if let Err(e) = self.heap.check() {
            panic!("step {}: check() failed: {e}", self.step);
        }
        let stats = self.stats();
        assert_eq!(
            stats.live_allocations,
            self.model.len(),
            "step {}: live allocations",
            self.step
        );
        assert_eq!(
            stats.mapped_bytes,
            self.heap.source().mapped_pages() * 4096,
            "step {}: mapped bytes",
            self.step
        );
        let requested: usize = self.model.iter().map(|l| l.len).sum();
        assert!(
            stats.used_bytes >= requested,
            "step {}: {} bytes used for {requested} requested",
            self.step,
            stats.used_bytes
        );
    }

    /// Everything goes back; the heap must be empty and untouched outside.
    fn finish(mut self) {
        while !self.model.is_empty() {
            self.free_nth(0);
        }
        if let Err(e) = self.heap.check() {
            panic!("after freeing everything: check() failed: {e}");
        }
        let stats = self.stats();
        assert_eq!(
            (stats.live_allocations, stats.used_bytes, stats.mapped_bytes),
            (0, 0, 0),
            "the empty heap: {stats:?}"
        );
        assert_eq!(stats.pages_grown, stats.pages_returned, "every page mapped was given back");
        assert_eq!(self.heap.source().mapped_pages(), 0, "the source still has pages mapped");
        if let Err(at) = self.heap.source().verify_untouched() {
            panic!("the heap wrote unmapped memory at offset {at:#x}");
        }
    }
}
