//! The console's font: Noto Sans Mono, 16 pixels high, from the
//! `noto-sans-mono-bitmap` crate.
//!
//! Why that crate: it is made for exactly this (kernels and boot loaders:
//! `no_std`, no allocation, no floating point, so it works with the
//! soft-float target), it is kept up to date (it is by the author of the
//! `multiboot2` crate the kernel already uses), and it carries only the
//! sizes, weights and Unicode blocks asked for through features (here one
//! size, one weight, ASCII and the specials block: about 20 KiB). Its
//! glyphs are anti-aliased (one intensity byte per pixel), which reads far
//! better on today's screens than an 8x8 bit font. The CPU check in `boot`
//! draws with the same glyphs, reduced to one bit per pixel at build time.

use super::super::screen::REPLACEMENT;
use noto_sans_mono_bitmap::{
    FontWeight, RasterHeight, RasterizedChar, get_raster, get_raster_width,
};

const WEIGHT: FontWeight = FontWeight::Regular;
const HEIGHT: RasterHeight = RasterHeight::Size16;

/// Width of every glyph in pixels (spacing included).
pub const GLYPH_WIDTH: usize = get_raster_width(WEIGHT, HEIGHT);
/// Height of every glyph in pixels.
pub const GLYPH_HEIGHT: usize = HEIGHT.val();

/// The glyph for a screen cell's byte: printable ASCII as itself,
/// [`REPLACEMENT`] (and anything else) as U+FFFD.
pub fn glyph(byte: u8) -> RasterizedChar {
    let c = match byte {
        0x20..=0x7E if byte != REPLACEMENT => char::from(byte),
        _ => '\u{FFFD}',
    };
    get_raster(c, WEIGHT, HEIGHT)
        .or_else(|| get_raster('?', WEIGHT, HEIGHT))
        .expect("the font has ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_has_the_cell_size() {
        for byte in (0x20..=0x7E).chain([REPLACEMENT, 0x07]) {
            let g = glyph(byte);
            assert_eq!((g.width(), g.height()), (GLYPH_WIDTH, GLYPH_HEIGHT), "{byte:#x}");
        }
    }

    #[test]
    fn space_is_empty_and_letters_are_not() {
        assert!(glyph(b' ').pixels().iter().all(|&p| p == 0));
        assert!(glyph(b'M').pixels().iter().any(|&p| p > 200));
        assert_ne!(glyph(REPLACEMENT).pixels(), glyph(b'?').pixels());
    }
}
