//! Renders the font the CPU check draws its message with.
//!
//! `_start` checks the CPU before any compiled Rust runs (Rust code may use
//! CMOV, which a P5 lacks), so it cannot call the kernel's framebuffer
//! console. It draws with this table instead: printable ASCII from the same
//! Noto Sans Mono bitmaps the console uses, reduced to one bit per pixel
//! (intensity at least a quarter, so the thin middle stroke of an `m` stays), one byte per glyph row, bit 7 the leftmost
//! pixel.

use noto_sans_mono_bitmap::{FontWeight, RasterHeight, get_raster, get_raster_width};
use std::fmt::Write;

const FIRST: u8 = 0x20;
const LAST: u8 = 0x7E;

fn main() {
    let height = RasterHeight::Size16.val();
    let width = get_raster_width(FontWeight::Regular, RasterHeight::Size16);
    assert!(width <= 8, "glyphs of {width} pixels do not fit a byte per row");
    let mut out = String::new();
    writeln!(out, "/// Glyph width in pixels.\npub(crate) const GLYPH_WIDTH: usize = {width};")
        .unwrap();
    writeln!(
        out,
        "/// Glyph height in pixels (rows).\npub(crate) const GLYPH_HEIGHT: usize = {height};"
    )
    .unwrap();
    writeln!(out, "/// First character in the table.\npub(crate) const GLYPH_FIRST: u8 = {FIRST};")
        .unwrap();
    writeln!(out, "/// Last character in the table.\npub(crate) const GLYPH_LAST: u8 = {LAST};")
        .unwrap();
    let count = usize::from(LAST - FIRST) + 1;
    writeln!(out, "/// One byte per row, bit 7 = leftmost pixel.").unwrap();
    writeln!(out, "#[unsafe(no_mangle)]").unwrap();
    writeln!(out, "pub(crate) static CPU_CHECK_GLYPHS: [[u8; {height}]; {count}] = [").unwrap();
    for c in FIRST..=LAST {
        let raster = get_raster(char::from(c), FontWeight::Regular, RasterHeight::Size16)
            .expect("the font has every printable ASCII character");
        let rows: Vec<String> = raster
            .rows()
            .map(|row| {
                let bits = row
                    .iter()
                    .enumerate()
                    .filter(|&(_, &intensity)| intensity >= 64)
                    .fold(0u8, |acc, (x, _)| acc | 0x80 >> x);
                format!("{bits:#04x}")
            })
            .collect();
        writeln!(out, "    [{}], // {:?}", rows.join(", "), char::from(c)).unwrap();
    }
    writeln!(out, "];").unwrap();
    let path = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("glyphs.rs");
    std::fs::write(path, out).unwrap();
    println!("cargo::rerun-if-changed=build.rs");
}
