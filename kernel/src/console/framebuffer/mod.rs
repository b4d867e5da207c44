//! The framebuffer console: text drawn into a linear framebuffer, the
//! only screen there is when a PC boots through UEFI.
//!
//! GRUB sets a graphics mode because the kernel's Multiboot2 header asks
//! for one, and describes it in the boot information (address, pitch,
//! size, pixel format). The kernel maps it through its virtual ranges as
//! device memory (`kernel::memory`) and draws each cell of the text grid
//! as a glyph of [`font`] in the EGA palette's colours ([`format`]), so the
//! log looks as it does in text mode. [`Screen`](super::screen::Screen)
//! keeps the grid's copy in RAM and asks to draw only the cells that
//! change; nothing here reads video memory back, except
//! [`Framebuffer::read_pixel`] for the self-test that checks what reached
//! the screen.

pub mod font;
pub mod format;

use super::screen::{Cell, Display};
use crate::bootinfo::framebuffer::{Framebuffer as Info, FramebufferKind};
use core::fmt;
use font::{GLYPH_HEIGHT, GLYPH_WIDTH, glyph};
use format::{PALETTE, PixelFormat, blend};

/// Why a framebuffer cannot be drawn on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramebufferError {
    /// Not a direct-colour mode (EGA text goes to `vga`; palettes are not drawn).
    NotDirectColor(FramebufferKind),
    /// A pixel size other than 15, 16, 24 or 32 bits.
    Depth(u8),
    /// Smaller than one glyph, or lines shorter than their pixels.
    Geometry { width: u32, height: u32, pitch: u32 },
}

impl fmt::Display for FramebufferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotDirectColor(kind) => write!(f, "not a direct-colour framebuffer ({kind:?})"),
            Self::Depth(bpp) => write!(f, "{bpp} bits per pixel (drawn: 15, 16, 24, 32)"),
            Self::Geometry { width, height, pitch } => {
                write!(f, "odd geometry: {width}x{height}, {pitch} bytes per line")
            }
        }
    }
}

/// A direct-colour framebuffer at a virtual address.
#[derive(Debug)]
pub struct Framebuffer {
    base: *mut u8,
    pitch: usize,
    width: usize,
    height: usize,
    bytes_per_pixel: usize,
    format: PixelFormat,
}

// SAFETY: the framebuffer is device memory reached only through the
// console's lock; the raw pointer is just its address.
unsafe impl Send for Framebuffer {}

impl Framebuffer {
    /// Checks that `info` describes a framebuffer this console can draw
    /// on; returns its pixel format and bytes per pixel.
    pub fn check(info: &Info) -> Result<(PixelFormat, usize), FramebufferError> {
        let FramebufferKind::Rgb { red, green, blue } = info.kind else {
            return Err(FramebufferError::NotDirectColor(info.kind));
        };
        let bytes_per_pixel = match info.bpp {
            15 | 16 => 2,
            24 => 3,
            32 => 4,
            other => return Err(FramebufferError::Depth(other)),
        };
        let line = u64::from(info.width) * bytes_per_pixel as u64;
        if (info.width as usize) < GLYPH_WIDTH
            || (info.height as usize) < GLYPH_HEIGHT
            || u64::from(info.pitch) < line
        {
            let (width, height, pitch) = (info.width, info.height, info.pitch);
            return Err(FramebufferError::Geometry { width, height, pitch });
        }
        Ok((PixelFormat { red, green, blue }, bytes_per_pixel))
    }

    /// The framebuffer `info` describes, mapped at `base`.
    ///
    /// # Safety
    ///
    /// `base` must map the whole framebuffer (`pitch * height` bytes),
    /// writable, for as long as the value is used, and nothing else may
    /// use that memory as ordinary memory.
    pub unsafe fn new(base: *mut u8, info: &Info) -> Result<Self, FramebufferError> {
        let (format, bytes_per_pixel) = Self::check(info)?;
        Ok(Self {
            base,
            pitch: info.pitch as usize,
            width: info.width as usize,
            height: info.height as usize,
            bytes_per_pixel,
            format,
        })
    }

    /// Size in pixels as (width, height).
    pub fn pixels(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// The pixel value a palette colour (0..16) is drawn with.
    pub fn color_value(&self, color: u8) -> u32 {
        self.format.encode(PALETTE[usize::from(color & 0xF)])
    }

    fn pixel(&self, x: usize, y: usize) -> *mut u8 {
        assert!(x < self.width && y < self.height, "pixel ({x}, {y}) off the screen");
        // In bounds: y * pitch + x * bytes < pitch * height (checked in `check`).
        self.base.wrapping_add(y * self.pitch + x * self.bytes_per_pixel)
    }

    fn write_pixel(&mut self, x: usize, y: usize, value: u32) {
        let p = self.pixel(x, y);
        // SAFETY: `p` is inside the mapped framebuffer (contract of `new`,
        // bounds asserted in `pixel`); volatile because it is device memory.
        // Byte writes: a 24-bit pixel has no wider aligned access.
        unsafe {
            for i in 0..self.bytes_per_pixel {
                p.add(i).write_volatile((value >> (8 * i)) as u8);
            }
        }
    }

    /// Reads the pixel at (x, y) back: for the self-test that checks what
    /// reached the screen (the console itself never reads video memory).
    pub fn read_pixel(&self, x: usize, y: usize) -> u32 {
        let p = self.pixel(x, y);
        // SAFETY: as in `write_pixel`.
        (0..self.bytes_per_pixel)
            .map(|i| u32::from(unsafe { p.add(i).read_volatile() }) << (8 * i))
            .fold(0, |value, byte| value | byte)
    }
}

impl Display for Framebuffer {
    fn size(&self) -> (usize, usize) {
        (self.width / GLYPH_WIDTH, self.height / GLYPH_HEIGHT)
    }

    fn draw(&mut self, row: usize, column: usize, cell: Cell) {
        let attribute = (cell >> 8) as u8;
        let foreground = PALETTE[usize::from(attribute & 0xF)];
        let background = PALETTE[usize::from(attribute >> 4)];
        let (fg, bg) = (self.format.encode(foreground), self.format.encode(background));
        let glyph = glyph(cell as u8);
        let (left, top) = (column * GLYPH_WIDTH, row * GLYPH_HEIGHT);
        for (y, line) in glyph.rows().enumerate() {
            for (x, &intensity) in line.iter().enumerate() {
                let value = match intensity {
                    0 => bg,
                    255 => fg,
                    i => self.format.encode(blend(foreground, background, i)),
                };
                self.write_pixel(left + x, top + y, value);
            }
        }
    }
}

#[cfg(test)]
mod tests;
