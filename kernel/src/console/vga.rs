//! The EGA text screen as a [`Display`]: 80x25 cells of volatile 16-bit
//! memory, plus the hardware cursor.
//!
//! GRUB leaves this mode under BIOS when told `set gfxpayload=text`, or
//! when it cannot set a graphics mode; the boot information then says
//! "EGA text". At boot the buffer (physical 0xB8000) is reached through the
//! boot map at 0xC00B8000; once the kernel address space is built it is
//! mapped through the kernel virtual-range allocator and
//! [`VgaCells::relocate`] moves the console there (see `kernel::memory`).
//! The screen's copy of the cells is in RAM ([`Screen`](super::screen::Screen)):
//! this buffer is only written.

use super::screen::{Cell, Display};
use x86::io::outb;

/// Columns of the text screen.
pub const WIDTH: usize = 80;
/// Rows of the text screen.
pub const HEIGHT: usize = 25;

/// Physical address of the colour text buffer.
pub const VGA_TEXT_PHYS: u32 = 0xB8000;

const CRTC_INDEX: u16 = 0x3D4;
const CRTC_DATA: u16 = 0x3D5;
const CURSOR_LOCATION_HIGH: u8 = 0x0E;
const CURSOR_LOCATION_LOW: u8 = 0x0F;

/// The 80x25 cells of the text buffer at a virtual address.
#[derive(Debug)]
pub struct VgaCells {
    base: *mut u16,
}

// SAFETY: the buffer is device memory reached only through the console's
// lock; the raw pointer is just its address.
unsafe impl Send for VgaCells {}

impl VgaCells {
    /// The buffer mapped at `base`.
    ///
    /// # Safety
    ///
    /// `base` must map the VGA text buffer (80 * 25 * 2 bytes), writable,
    /// for as long as this value is used, and nothing else may use that
    /// mapping as ordinary memory.
    pub const unsafe fn new(base: *mut u16) -> Self {
        Self { base }
    }

    /// Moves to another mapping of the same buffer.
    ///
    /// # Safety
    ///
    /// Same contract as [`VgaCells::new`] for the new `base`.
    pub unsafe fn relocate(&mut self, base: *mut u16) {
        self.base = base;
    }

    /// The virtual address the buffer is used at.
    pub fn base(&self) -> *mut u16 {
        self.base
    }

    /// Reads cell (row, column) back: for the self-test that checks what
    /// reached the screen (the console itself never reads video memory).
    pub fn read(&self, row: usize, column: usize) -> Cell {
        assert!(row < HEIGHT && column < WIDTH);
        // SAFETY: inside the 80x25 buffer that `base` maps (contract of `new`).
        unsafe { self.base.add(row * WIDTH + column).read_volatile() }
    }
}

impl Display for VgaCells {
    fn size(&self) -> (usize, usize) {
        (WIDTH, HEIGHT)
    }

    fn draw(&mut self, row: usize, column: usize, cell: Cell) {
        assert!(row < HEIGHT && column < WIDTH);
        // SAFETY: inside the 80x25 buffer that `base` maps (contract of
        // `new`); volatile because it is device memory.
        unsafe { self.base.add(row * WIDTH + column).write_volatile(cell) }
    }

    /// Puts the blinking hardware cursor at (row, column).
    fn show_cursor(&mut self, row: usize, column: usize) {
        let position = (row * WIDTH + column.min(WIDTH - 1)) as u16;
        // SAFETY: the CRT controller's index/data ports only move the
        // cursor; no memory is touched.
        unsafe {
            outb(CRTC_INDEX, CURSOR_LOCATION_HIGH);
            outb(CRTC_DATA, (position >> 8) as u8);
            outb(CRTC_INDEX, CURSOR_LOCATION_LOW);
            outb(CRTC_DATA, position as u8);
        }
    }
}
