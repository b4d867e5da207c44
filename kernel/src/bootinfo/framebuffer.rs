//! The framebuffer tag (type 8): where GRUB left the screen, and in what
//! mode.
//!
//! Read from the tag's raw bytes, every field bounds-checked, so a short
//! or odd tag is an absent framebuffer rather than a panic:
//!
//! ```text
//!   payload offset  field
//!   0               address (u64, physical)
//!   8               pitch (bytes per line)    12  width     16  height
//!   20              bits per pixel (u8)       21  type: 0 indexed, 1 RGB, 2 EGA text
//!   24              RGB: red position, size, green position, size, blue position, size
//! ```

/// One colour channel of a direct-colour pixel: which bits hold it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColorField {
    /// Lowest bit of the channel.
    pub position: u8,
    /// Number of bits.
    pub size: u8,
}

/// What kind of screen GRUB left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramebufferKind {
    /// Direct colour: each pixel holds red, green and blue in these bits.
    Rgb {
        /// Red channel.
        red: ColorField,
        /// Green channel.
        green: ColorField,
        /// Blue channel.
        blue: ColorField,
    },
    /// EGA text mode: `width` x `height` cells of 2 bytes.
    EgaText,
    /// Palette-indexed pixels (not drawn by this kernel).
    Indexed,
    /// A type number the specification does not define.
    Unknown(u8),
}

/// The screen as the boot loader describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framebuffer {
    /// Physical address of the first pixel (or text cell).
    pub addr: u64,
    /// Bytes from one line (or text row) to the next.
    pub pitch: u32,
    /// Pixels (or text columns) per line.
    pub width: u32,
    /// Lines (or text rows).
    pub height: u32,
    /// Bits per pixel (16 for EGA text cells).
    pub bpp: u8,
    /// The mode.
    pub kind: FramebufferKind,
}

impl Framebuffer {
    /// Parses a framebuffer tag's payload (the bytes after its 8-byte
    /// header); `None` if it is too short for its fields.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let u32_at =
            |at: usize| payload.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()));
        let addr = payload.get(0..8).map(|b| u64::from_le_bytes(b.try_into().unwrap()))?;
        let bpp = *payload.get(20)?;
        let kind = match *payload.get(21)? {
            0 => FramebufferKind::Indexed,
            1 => {
                let field = |at: usize| {
                    Some(ColorField { position: *payload.get(at)?, size: *payload.get(at + 1)? })
                };
                FramebufferKind::Rgb { red: field(24)?, green: field(26)?, blue: field(28)? }
            }
            2 => FramebufferKind::EgaText,
            other => FramebufferKind::Unknown(other),
        };
        Some(Self { addr, pitch: u32_at(8)?, width: u32_at(12)?, height: u32_at(16)?, bpp, kind })
    }

    /// Bytes the screen occupies: `pitch * height` (as u64: it cannot overflow).
    pub fn size_bytes(&self) -> u64 {
        u64::from(self.pitch) * u64::from(self.height)
    }
}
