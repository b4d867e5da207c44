//! Building the frame allocator from the boot information.
//!
//! 1. Clean the memory map into usable frames, minus what is occupied:
//!    frame 0, the kernel image (which holds the boot page tables), the
//!    boot information, the framebuffer, the kernel's symbol table and
//!    every boot module (`mm::memmap::clean`).
//! 2. Take the frames for the allocator's bitmap (1 bit per frame, so one
//!    frame per 128 MiB) from the top of usable memory and show them
//!    through fixmap windows.
//! 3. Hand every remaining usable frame to the frame allocator. It lists
//!    none of them: all start out untouched, below its watermark, so this
//!    costs the same whatever the amount of RAM. Frames freed later go on
//!    its stack, which keeps itself in free frames, reached through the
//!    fixmap's stack window.

use super::fixmap::{self, Slot};
use super::image;
use crate::bootinfo::BootInfo;
use core::fmt;
use mm::frames::{FrameStack, StackWindow, bitmap_frames, bitmap_words};
use mm::memmap::{ByteRange, CleanError, MapEntry, UsableMemory, clean};
use mm::{PAGE_SIZE, PhysAddr};

/// The frame stack's window: fixmap slot [`Slot::FRAME_STACK`].
#[derive(Debug)]
pub struct FixmapWindow(());

// SAFETY: `show` points the fixmap slot reserved for the frame stack at the
// frame and flushes its TLB entry, so `page` (the slot's fixed address,
// never remapped by `page` itself) is exactly that frame; nothing else
// uses that slot, and neither method reads or writes the frame.
unsafe impl StackWindow for FixmapWindow {
    unsafe fn show(&mut self, frame: PhysAddr) {
        // SAFETY: only the frame stack uses this slot, and it holds no
        // reference into the previous page across `show`.
        unsafe { fixmap::map(Slot::FRAME_STACK, frame, true) };
    }

    unsafe fn page(&mut self) -> &mut [u32; 1024] {
        let ptr = Slot::FRAME_STACK.addr().as_mut_ptr::<[u32; 1024]>();
        // SAFETY: `show` mapped a frame the stack owns at this page-aligned
        // address; `&mut self` keeps the reference exclusive.
        unsafe { &mut *ptr }
    }
}

/// Why the frame allocator could not be built.
#[derive(Clone, Copy, Debug)]
pub enum FramesError {
    /// The memory map has no usable memory left, or is too fragmented.
    Map(CleanError),
    /// The bitmap needs more frames than its fixmap windows or than any
    /// usable range can provide.
    Bitmap { frames: u32 },
}

impl fmt::Display for FramesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Map(e) => write!(f, "{e}"),
            Self::Bitmap { frames } => write!(f, "cannot place the {frames}-frame frame bitmap"),
        }
    }
}

/// What the frame allocator was built from, for the boot log.
#[derive(Clone, Copy, Debug)]
pub struct FrameReport {
    /// Available frames: whole frames below 4 GiB that the memory map
    /// marks available, frame 0 left out, before anything is taken out.
    pub available: u32,
    /// Frames of the bitmap.
    pub bitmap: u32,
}

/// The Multiboot2 entries as `mm::memmap` input.
pub fn map_entries<'a>(info: &'a BootInfo<'_>) -> impl Iterator<Item = MapEntry> + Clone + 'a {
    info.memory_map().map(|r| MapEntry::from_multiboot(r.start, r.len, r.kind))
}

/// Builds the frame allocator. Call once. Writes no frame of RAM except
/// the bitmap's (cleared, 1 bit per frame).
pub fn build(info: &BootInfo<'_>) -> Result<(FrameStack<FixmapWindow>, FrameReport), FramesError> {
    let (kernel_start, kernel_end) = image::physical_span();
    let (info_start, info_size) =
        super::boot_info::phys_span().expect("boot information is mapped");
    let mut occupied = [ByteRange::new(0, 0); 5 + 64];
    occupied[0] =
        ByteRange::from_bounds(u64::from(kernel_start.as_u32()), u64::from(kernel_end.as_u32()))
            .expect("the kernel image ends after it starts");
    occupied[1] = ByteRange::at(info_start, info_size);
    let mut count = 2;
    // The framebuffer is video memory, never RAM to hand out, even if a
    // firmware's map were to say "available" there.
    if let Some(fb) = info.framebuffer() {
        occupied[count] = ByteRange::new(fb.addr, fb.size_bytes());
        count += 1;
    }
    // GRUB loaded the kernel's symbol table for the backtraces.
    if let Some(symbols) = info.symbol_tables() {
        for (start, size) in [symbols.symtab, symbols.strtab] {
            occupied[count] = ByteRange::new(u64::from(start), u64::from(size));
            count += 1;
        }
    }
    for module in info.modules() {
        if count == occupied.len() {
            log::warn!("more than {} boot modules: the rest are not protected", occupied.len() - 5);
            break;
        }
        // `BootInfo::load` refused a module that ends before it starts, so
        // no module silently becomes an empty range here.
        occupied[count] = ByteRange::from_bounds(u64::from(module.start), u64::from(module.end))
            .expect("boot modules are checked to end at or after their start");
        count += 1;
    }

    let available = clean(map_entries(info), &[]).map_err(FramesError::Map)?.total_frames();
    let mut usable: UsableMemory =
        clean(map_entries(info), &occupied[..count]).map_err(FramesError::Map)?;

    let frames = bitmap_frames(&usable);
    if frames as usize > Slot::BITMAP_COUNT {
        return Err(FramesError::Bitmap { frames });
    }
    let bitmap_range = usable.take_top(frames).map_err(|_| FramesError::Bitmap { frames })?;
    for (i, number) in bitmap_range.numbers().enumerate() {
        let frame = PhysAddr::new(number * PAGE_SIZE);
        // SAFETY: the bitmap windows are unused, and these frames were just
        // taken out of usable memory, so nothing else uses them.
        unsafe { fixmap::map(Slot::nth(Slot::BITMAP_FIRST, i), frame, true) };
    }
    let words = bitmap_words(&usable);
    let base = Slot::nth(Slot::BITMAP_FIRST, 0).addr().as_mut_ptr::<u32>();
    // SAFETY: `frames` windows from `base` map the bitmap's frames, which
    // hold `words` words (bitmap_frames rounds up), nothing else refers to
    // them, and they stay mapped for the kernel's lifetime.
    let bitmap: &'static mut [u32] = unsafe { core::slice::from_raw_parts_mut(base, words) };
    // SAFETY: `usable` no longer holds anything occupied (kernel image with
    // its page tables, boot information, modules, frame 0, the bitmap), so
    // the stack may own every frame in it.
    let stack = unsafe { FrameStack::new(FixmapWindow(()), usable, bitmap) }
        .map_err(|_| FramesError::Bitmap { frames })?;
    Ok((stack, FrameReport { available, bitmap: frames }))
}
