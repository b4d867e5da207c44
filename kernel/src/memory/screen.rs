//! The screen's memory: the console's video memory mapped through the
//! kernel's virtual ranges as device memory, and its RAM copy of the text.
//!
//! - EGA text: the console has drawn through the boot map's window at
//!   0xC00B8000 since the boot information said "EGA text"; the buffer is
//!   mapped through a virtual range, the console moved there, the window
//!   unmapped.
//! - A framebuffer (under UEFI always): mapped whole (`pitch * height`
//!   bytes) uncached, the grid's copy given frames of its own, and the
//!   console attached to it, which shows everything printed so far.
//!
//! The framebuffer's frames are never the frame allocator's: they are not
//! RAM in any memory map seen so far, and the frame allocator leaves them
//! out anyway (`frames.rs`), should a firmware list them as available.

use super::{CONSOLE_MAPPING, Memory, fatal, lock, space};
use crate::bootinfo::BootInfo;
use crate::bootinfo::framebuffer::FramebufferKind;
use crate::console::framebuffer::Framebuffer;
use crate::console::screen::Cell;
use crate::console::vga::VGA_TEXT_PHYS;
use crate::console::{AnyDisplay, CONSOLE};
use mm::frame::Page;
use mm::{PAGE_SIZE, PhysAddr, VirtAddr};

/// Maps whichever screen the boot information describes and gives it to
/// the console; then unmaps the boot window at `boot_window` (0xC00B8000).
pub(super) fn attach(info: &BootInfo<'_>, boot_window: VirtAddr) {
    let mut memory = lock();
    match info.framebuffer() {
        Some(fb) if matches!(fb.kind, FramebufferKind::Rgb { .. }) => {
            if let Err(why) = attach_framebuffer(&mut memory, &fb) {
                drop(memory);
                log::warn!("framebuffer at {:#x} not used: {why}; serial only", fb.addr);
                memory = lock();
            }
        }
        _ => move_text_screen(&mut memory),
    }
    let memory = &mut *memory;
    // SAFETY: the console no longer uses the boot window (it was moved, or
    // never used it); its frame is device memory, dropped rather than freed.
    let unmapped =
        unsafe { memory.mapper.unmap(Page::containing(boot_window), &mut space::NoFrames) };
    if let Ok((_vga, flush)) = unmapped {
        flush.flush(&mut memory.tlb);
    }
}

/// Maps the VGA text buffer through a kernel virtual range and moves the
/// console's text screen there (if it has one).
fn move_text_screen(memory: &mut Memory) {
    // SAFETY: 0xB8000 is the VGA text buffer, device memory that the frame
    // allocator never owns (the memory map reserves 0xA0000..0x100000).
    let mapped = match unsafe { memory.map_device(PhysAddr::new(VGA_TEXT_PHYS), 1) } {
        Ok(mapped) => mapped,
        Err(e) => fatal("cannot map the VGA text buffer", &e),
    };
    let new_base = mapped.start().as_mut_ptr::<u16>();
    // SAFETY: `new_base` maps the text buffer, writable, from now on.
    if unsafe { CONSOLE.lock().relocate_text_screen(new_base) } {
        // The console uses the buffer for the kernel's whole life; the
        // mapping is kept, never unmapped.
        CONSOLE_MAPPING.call_once(|| mapped);
    } else if memory.unmap(mapped).is_err() {
        log::warn!("could not unmap the unused VGA text buffer mapping");
    }
}

/// Maps the framebuffer and its text copy and attaches the console to it.
fn attach_framebuffer(
    memory: &mut Memory,
    fb: &crate::bootinfo::framebuffer::Framebuffer,
) -> Result<(), &'static str> {
    Framebuffer::check(fb).map_err(|_| "a pixel format this console cannot draw")?;
    let end = fb.addr.checked_add(fb.size_bytes()).ok_or("its size overflows")?;
    if end > 1 << 32 {
        return Err("it lies above 4 GiB, out of reach without PAE");
    }
    let first = PhysAddr::new(fb.addr as u32).align_down(PAGE_SIZE);
    let offset = fb.addr as u32 - first.as_u32();
    let pages = (u64::from(offset) + fb.size_bytes()).div_ceil(u64::from(PAGE_SIZE)) as u32;
    // SAFETY: the framebuffer is device memory outside the frame
    // allocator's RAM (see the file's header); nothing else maps it.
    let video = unsafe { memory.map_device(first, pages) }.map_err(|_| "cannot map it")?;
    let base = video.start().as_mut_ptr::<u8>().wrapping_add(offset as usize);
    // SAFETY: `base` maps the whole framebuffer, writable, for good (the
    // mapping is kept below).
    let display = unsafe { Framebuffer::new(base, fb) }.map_err(|_| "cannot draw on it")?;
    let (columns, rows) = crate::console::screen::Display::size(&display);
    let copy_bytes = (columns * rows * size_of::<Cell>()) as u32;
    let copy = memory.map_new(copy_bytes.div_ceil(PAGE_SIZE)).map_err(|_| "no RAM for its copy")?;
    // SAFETY: `copy` maps fresh frames, writable, that nothing else uses,
    // kept for good below; `Screen::new` clears the cells before reading.
    let cells = unsafe {
        core::slice::from_raw_parts_mut(copy.start().as_mut_ptr::<Cell>(), columns * rows)
    };
    CONSOLE.lock().attach(AnyDisplay::Framebuffer(display), cells);
    FRAMEBUFFER_MAPPINGS.call_once(|| (video, copy));
    Ok(())
}

/// Frames holding the framebuffer console's copy of its text (0 without one).
pub(super) fn copy_frames() -> u32 {
    FRAMEBUFFER_MAPPINGS.get().map_or(0, |(_, copy)| copy.size() / PAGE_SIZE)
}

/// The framebuffer's mapping and its copy's, kept for the kernel's life.
static FRAMEBUFFER_MAPPINGS: spin::Once<(mm::vrange::MappedRange, mm::vrange::MappedRange)> =
    spin::Once::new();
