use super::*;
use crate::bootinfo::framebuffer::ColorField;
use crate::console::screen::{Color, Screen};

fn info(width: u32, height: u32, bpp: u8) -> Info {
    let bytes = u32::from(bpp).div_ceil(8);
    Info {
        addr: 0xFD00_0000,
        pitch: width * bytes + 8, // padded lines, as real cards have
        width,
        height,
        bpp,
        kind: FramebufferKind::Rgb {
            red: ColorField { position: 16, size: 8 },
            green: ColorField { position: 8, size: 8 },
            blue: ColorField { position: 0, size: 8 },
        },
    }
}

fn framebuffer(info: &Info) -> (Framebuffer, Vec<u8>) {
    let mut memory = vec![0x5Au8; info.size_bytes() as usize];
    // SAFETY: `memory` is the whole framebuffer and outlives the value in
    // each test (it is returned beside it).
    let fb = unsafe { Framebuffer::new(memory.as_mut_ptr(), info) }.unwrap();
    (fb, memory)
}

#[test]
fn refuses_what_it_cannot_draw() {
    let mut text = info(80, 25, 16);
    text.kind = FramebufferKind::EgaText;
    assert_eq!(
        Framebuffer::check(&text),
        Err(FramebufferError::NotDirectColor(FramebufferKind::EgaText))
    );
    assert_eq!(Framebuffer::check(&info(640, 480, 8)), Err(FramebufferError::Depth(8)));
    let mut short = info(640, 480, 32);
    short.pitch = 100;
    assert!(matches!(Framebuffer::check(&short), Err(FramebufferError::Geometry { .. })));
    assert!(matches!(
        Framebuffer::check(&info(4, 480, 32)),
        Err(FramebufferError::Geometry { .. })
    ));
}

#[test]
fn the_grid_is_as_many_glyphs_as_fit() {
    let (fb, _memory) = framebuffer(&info(1024, 768, 32));
    assert_eq!(fb.size(), (1024 / GLYPH_WIDTH, 768 / GLYPH_HEIGHT));
}

#[test]
fn a_cell_is_drawn_in_its_colours_and_nothing_else_is_touched() {
    for bpp in [16, 24, 32] {
        let info = info(64, 40, bpp);
        let (mut fb, memory) = framebuffer(&info);
        let cell =
            Cell::from(b'M') | Cell::from(Color::Yellow as u8 | (Color::Blue as u8) << 4) << 8;
        fb.draw(1, 2, cell);
        let (fg, bg) = (fb.color_value(Color::Yellow as u8), fb.color_value(Color::Blue as u8));
        let mask = if bpp == 16 { 0xFFFF } else { 0xFF_FFFF };
        let (left, top) = (2 * GLYPH_WIDTH, GLYPH_HEIGHT);
        let mut seen_fg = false;
        for y in top..top + GLYPH_HEIGHT {
            for x in left..left + GLYPH_WIDTH {
                let v = fb.read_pixel(x, y) & mask;
                seen_fg |= v == fg & mask;
            }
        }
        assert!(seen_fg, "{bpp} bpp: no pixel in the foreground colour");
        assert_eq!(
            fb.read_pixel(left, top) & mask,
            bg & mask,
            "{bpp} bpp: the M's top-left is background"
        );
        // Outside the cell, the memory is as it was.
        assert_eq!(fb.read_pixel(0, 0), 0x5A5A_5A5A & if bpp == 32 { !0 } else { mask });
        let untouched = memory.iter().filter(|&&b| b == 0x5A).count();
        let bytes = usize::from(bpp).div_ceil(8);
        assert!(untouched >= memory.len() - GLYPH_WIDTH * GLYPH_HEIGHT * bytes);
    }
}

#[test]
fn a_screen_over_a_framebuffer_shows_text() {
    let info = info(200, 100, 32);
    let (fb, _memory) = framebuffer(&info);
    let (columns, rows) = fb.size();
    let mut screen = Screen::new(fb, Vec::leak(vec![0; columns * rows]));
    screen.write_str("A");
    let bg = screen.display_mut().color_value(Color::Black as u8);
    let lit = (0..GLYPH_HEIGHT)
        .flat_map(|y| (0..GLYPH_WIDTH).map(move |x| (x, y)))
        .filter(|&(x, y)| screen.display_mut().read_pixel(x, y) != bg)
        .count();
    assert!(lit > 10, "only {lit} pixels of the A are lit");
    // The next cell is blank: background only.
    assert_eq!(screen.display_mut().read_pixel(GLYPH_WIDTH + 3, 8), bg);
}
