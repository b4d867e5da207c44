//! The consoles: what is printed reaches the screen, read back from video
//! memory (EGA text cells, or framebuffer pixels).

use crate::console::screen::Color;
use crate::console::{AnyDisplay, CONSOLE};
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq, println};

const MARKER: &str = "console self-test: the quick brown fox";

#[ktest]
fn println_reaches_the_screen() -> TestResult {
    println!("{MARKER}");
    let mut console = CONSOLE.lock();
    let Some(screen) = console.screen() else {
        return Err(crate::selftest::Failure::new(
            file!(),
            line!(),
            format_args!("no screen attached"),
        ));
    };
    let (row, column) = screen.cursor();
    ensure_eq!(column, 0);
    ensure!(row > 0, "cursor on row 0 after a newline");
    let row = row - 1;
    // The screen's copy holds the marker...
    for (i, byte) in MARKER.bytes().enumerate() {
        ensure_eq!(screen.cell(row, i) as u8, byte);
    }
    // ...and so does video memory.
    match screen.display_mut() {
        AnyDisplay::Text(cells) => {
            for (i, byte) in MARKER.bytes().enumerate() {
                ensure_eq!(cells.read(row, i) as u8, byte);
            }
        }
        AnyDisplay::Framebuffer(fb) => {
            use crate::console::framebuffer::font::{GLYPH_HEIGHT, GLYPH_WIDTH, glyph};
            let fg = fb.color_value(Color::LightGray as u8);
            let bg = fb.color_value(Color::Black as u8);
            // Every pixel of every glyph of the marker is what the font says:
            // background where it is blank, foreground where it is solid.
            for (i, byte) in MARKER.bytes().enumerate() {
                let g = glyph(byte);
                for (y, line) in g.rows().enumerate() {
                    for (x, &intensity) in line.iter().enumerate() {
                        let pixel = fb.read_pixel(i * GLYPH_WIDTH + x, row * GLYPH_HEIGHT + y);
                        match intensity {
                            0 => ensure_eq!(pixel, bg),
                            255 => ensure_eq!(pixel, fg),
                            _ => ensure!(pixel != bg || fg == bg, "{byte:?}: ({x}, {y}) blank"),
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

#[ktest]
fn the_screen_is_the_one_grub_described() -> TestResult {
    use crate::bootinfo::framebuffer::FramebufferKind;
    let info = crate::memory::boot_info::get();
    let mut console = CONSOLE.lock();
    let screen = console.screen().map(|s| s.display_mut());
    match (info.framebuffer().map(|fb| fb.kind), screen) {
        (None | Some(FramebufferKind::EgaText), Some(AnyDisplay::Text(_))) => Ok(()),
        (Some(FramebufferKind::Rgb { .. }), Some(AnyDisplay::Framebuffer(fb))) => {
            let fb_info = info.framebuffer().unwrap();
            ensure_eq!(fb.pixels(), (fb_info.width as usize, fb_info.height as usize));
            Ok(())
        }
        (kind, _) => Err(crate::selftest::Failure::new(
            file!(),
            line!(),
            format_args!("GRUB described {kind:?}, the console has another screen or none"),
        )),
    }
}

/// The framebuffer's frames are video memory: none is the frame allocator's.
#[ktest]
fn the_framebuffer_is_never_the_frame_allocators() -> TestResult {
    let Some(fb) = crate::memory::boot_info::get().framebuffer() else {
        return Ok(()); // no framebuffer tag: nothing to keep out
    };
    let (start, end) = (fb.addr, fb.addr.saturating_add(fb.size_bytes()));
    let memory = crate::memory::lock();
    for usable in memory.frames.usable().iter() {
        ensure!(
            usable.end_addr() <= start || usable.start_addr() >= end,
            "usable frames {:#x}..{:#x} overlap the framebuffer {start:#x}..{end:#x}",
            usable.start_addr(),
            usable.end_addr()
        );
    }
    Ok(())
}
