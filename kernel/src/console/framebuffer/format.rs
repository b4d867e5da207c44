//! Colours as pixels: the EGA palette, a framebuffer's pixel format, and
//! the blend of foreground and background that anti-aliased glyphs need.

use crate::bootinfo::framebuffer::ColorField;

/// An RGB colour, 8 bits a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The 16 EGA colours, in [`Color`](super::super::screen::Color) order, as
/// a VGA card shows them: the log's colours look the same in both modes.
pub const PALETTE: [Rgb; 16] = [
    Rgb(0x00, 0x00, 0x00),
    Rgb(0x00, 0x00, 0xAA),
    Rgb(0x00, 0xAA, 0x00),
    Rgb(0x00, 0xAA, 0xAA),
    Rgb(0xAA, 0x00, 0x00),
    Rgb(0xAA, 0x00, 0xAA),
    Rgb(0xAA, 0x55, 0x00),
    Rgb(0xAA, 0xAA, 0xAA),
    Rgb(0x55, 0x55, 0x55),
    Rgb(0x55, 0x55, 0xFF),
    Rgb(0x55, 0xFF, 0x55),
    Rgb(0x55, 0xFF, 0xFF),
    Rgb(0xFF, 0x55, 0x55),
    Rgb(0xFF, 0x55, 0xFF),
    Rgb(0xFF, 0xFF, 0x55),
    Rgb(0xFF, 0xFF, 0xFF),
];

/// Where a direct-colour pixel keeps its channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelFormat {
    /// Red bits.
    pub red: ColorField,
    /// Green bits.
    pub green: ColorField,
    /// Blue bits.
    pub blue: ColorField,
}

fn channel(value: u8, field: ColorField) -> u32 {
    let size = field.size.min(8);
    if size == 0 || field.position >= 32 {
        return 0;
    }
    (u32::from(value) >> (8 - size)) << field.position
}

impl PixelFormat {
    /// The pixel value for `color` (the top bits of each channel).
    pub fn encode(&self, color: Rgb) -> u32 {
        channel(color.0, self.red) | channel(color.1, self.green) | channel(color.2, self.blue)
    }
}

/// `foreground` over `background` at `intensity` (0 = background,
/// 255 = foreground), channel by channel.
pub fn blend(foreground: Rgb, background: Rgb, intensity: u8) -> Rgb {
    let mix = |f: u8, b: u8| {
        let i = u32::from(intensity);
        ((u32::from(f) * i + u32::from(b) * (255 - i) + 127) / 255) as u8
    };
    Rgb(
        mix(foreground.0, background.0),
        mix(foreground.1, background.1),
        mix(foreground.2, background.2),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn field(position: u8, size: u8) -> ColorField {
        ColorField { position, size }
    }

    #[test]
    fn encodes_the_common_formats() {
        let xrgb = PixelFormat { red: field(16, 8), green: field(8, 8), blue: field(0, 8) };
        assert_eq!(xrgb.encode(Rgb(0x12, 0x34, 0x56)), 0x0012_3456);
        let rgb565 = PixelFormat { red: field(11, 5), green: field(5, 6), blue: field(0, 5) };
        assert_eq!(rgb565.encode(Rgb(0xFF, 0xFF, 0xFF)), 0xFFFF);
        assert_eq!(rgb565.encode(Rgb(0xFF, 0, 0)), 0xF800);
        let bgr = PixelFormat { red: field(0, 8), green: field(8, 8), blue: field(16, 8) };
        assert_eq!(bgr.encode(Rgb(0x12, 0x34, 0x56)), 0x0056_3412);
    }

    #[test]
    fn odd_fields_do_not_overflow() {
        let odd = PixelFormat { red: field(40, 8), green: field(0, 12), blue: field(0, 0) };
        assert_eq!(odd.encode(Rgb(0xFF, 0xFF, 0xFF)), 0xFF);
    }

    #[test]
    fn blending_goes_from_background_to_foreground() {
        let (f, b) = (Rgb(255, 255, 255), Rgb(0, 0, 170));
        assert_eq!(blend(f, b, 0), b);
        assert_eq!(blend(f, b, 255), f);
        assert_eq!(blend(f, b, 128), Rgb(128, 128, 213));
    }
}
