//! The VGA text screen's logic: 80x25 cells, a cursor, wrapping, scrolling.
//!
//! Each cell is a 16-bit value: the character (code page 437) in the low
//! byte, the colour attribute (foreground | background << 4) in the high
//! byte. The logic is generic over where the cells live ([`Cells`]), so
//! the host tests run it on an array and the kernel on the memory-mapped
//! text buffer.

/// Columns on the screen.
pub const WIDTH: usize = 80;
/// Rows on the screen.
pub const HEIGHT: usize = 25;
const TAB_WIDTH: usize = 8;
/// Drawn for bytes that have no glyph we want to print (CP437 "■").
const REPLACEMENT: u8 = 0xFE;

/// The 16 VGA text colours.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Color {
    Black = 0,
    Blue = 1,
    Green = 2,
    Cyan = 3,
    Red = 4,
    Magenta = 5,
    Brown = 6,
    LightGray = 7,
    DarkGray = 8,
    LightBlue = 9,
    LightGreen = 10,
    LightCyan = 11,
    LightRed = 12,
    Pink = 13,
    Yellow = 14,
    White = 15,
}

/// Storage for the 80x25 cells.
pub trait Cells {
    /// Writes cell `index` (row * WIDTH + column).
    fn write(&mut self, index: usize, cell: u16);
    /// Reads cell `index`.
    fn read(&self, index: usize) -> u16;
}

/// A text screen with a cursor that wraps at the right edge and scrolls at
/// the bottom.
#[derive(Debug)]
pub struct Screen<C> {
    cells: C,
    row: usize,
    column: usize,
    attribute: u8,
}

impl<C: Cells> Screen<C> {
    /// A screen over `cells`, cursor at the top left, light grey on black.
    /// The cells are not cleared; call [`Screen::clear`].
    pub const fn new(cells: C) -> Self {
        Self { cells, row: 0, column: 0, attribute: Color::LightGray as u8 }
    }

    /// The storage, e.g. to move the hardware buffer to a new mapping.
    pub fn cells_mut(&mut self) -> &mut C {
        &mut self.cells
    }

    /// Sets the colour of what is written next.
    pub fn set_color(&mut self, foreground: Color, background: Color) {
        self.attribute = foreground as u8 | (background as u8) << 4;
    }

    /// The cursor position as (row, column).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.column)
    }

    fn blank(&self) -> u16 {
        u16::from(b' ') | u16::from(self.attribute) << 8
    }

    /// Blanks the whole screen and puts the cursor at the top left.
    pub fn clear(&mut self) {
        let blank = self.blank();
        for i in 0..WIDTH * HEIGHT {
            self.cells.write(i, blank);
        }
        self.row = 0;
        self.column = 0;
    }

    /// Writes `s`; characters outside printable ASCII are shown as ■.
    pub fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            let byte = if c.is_ascii() { c as u8 } else { REPLACEMENT };
            self.write_byte(byte);
        }
    }

    /// Writes one byte: printable ASCII, `\n`, `\r` or `\t`.
    pub fn write_byte(&mut self, byte: u8) {
        match byte {
            b'\n' => self.new_line(),
            b'\r' => self.column = 0,
            b'\t' => {
                let next = (self.column / TAB_WIDTH + 1) * TAB_WIDTH;
                while self.column < next.min(WIDTH) {
                    self.put(b' ');
                }
            }
            0x20..=0x7E => self.put(byte),
            _ => self.put(REPLACEMENT),
        }
    }

    fn put(&mut self, byte: u8) {
        if self.column == WIDTH {
            self.new_line();
        }
        let cell = u16::from(byte) | u16::from(self.attribute) << 8;
        self.cells.write(self.row * WIDTH + self.column, cell);
        self.column += 1;
    }

    fn new_line(&mut self) {
        self.column = 0;
        if self.row + 1 < HEIGHT {
            self.row += 1;
        } else {
            self.scroll();
        }
    }

    fn scroll(&mut self) {
        for i in WIDTH..WIDTH * HEIGHT {
            let cell = self.cells.read(i);
            self.cells.write(i - WIDTH, cell);
        }
        let blank = self.blank();
        for i in WIDTH * (HEIGHT - 1)..WIDTH * HEIGHT {
            self.cells.write(i, blank);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Array([u16; WIDTH * HEIGHT]);
    impl Cells for Array {
        fn write(&mut self, index: usize, cell: u16) {
            self.0[index] = cell;
        }
        fn read(&self, index: usize) -> u16 {
            self.0[index]
        }
    }

    fn screen() -> Screen<Array> {
        let mut s = Screen::new(Array([0; WIDTH * HEIGHT]));
        s.clear();
        s
    }

    fn row_text(s: &Screen<Array>, row: usize) -> String {
        (0..WIDTH)
            .map(|c| (s.cells.0[row * WIDTH + c] & 0xFF) as u8 as char)
            .collect::<String>()
            .trim_end()
            .to_string()
    }

    #[test]
    fn writes_with_colour() {
        let mut s = screen();
        s.set_color(Color::Red, Color::Blue);
        s.write_str("hi");
        assert_eq!(s.cells.0[0], u16::from(b'h') | 0x14 << 8);
        assert_eq!(s.cursor(), (0, 2));
    }

    #[test]
    fn wraps_at_the_right_edge() {
        let mut s = screen();
        s.write_str(&"x".repeat(WIDTH + 3));
        assert_eq!(s.cursor(), (1, 3));
        assert_eq!(row_text(&s, 1), "xxx");
    }

    #[test]
    fn a_full_line_then_newline_does_not_leave_an_empty_line() {
        let mut s = screen();
        s.write_str(&"y".repeat(WIDTH));
        s.write_str("\nz");
        // The newline after exactly 80 columns moves one row, not two.
        assert_eq!(row_text(&s, 1), "z");
    }

    #[test]
    fn scrolls_at_the_bottom() {
        let mut s = screen();
        for i in 0..HEIGHT + 2 {
            s.write_str(&format!("line {i}\n"));
        }
        assert_eq!(row_text(&s, 0), "line 3");
        assert_eq!(row_text(&s, HEIGHT - 2), format!("line {}", HEIGHT + 1));
        assert_eq!(row_text(&s, HEIGHT - 1), "");
        assert_eq!(s.cursor(), (HEIGHT - 1, 0));
    }

    #[test]
    fn tabs_and_unprintables() {
        let mut s = screen();
        s.write_str("a\tb\u{7}é");
        assert_eq!(s.cursor(), (0, 11));
        assert_eq!(s.cells.0[8] & 0xFF, u16::from(b'b'));
        assert_eq!(s.cells.0[9] & 0xFF, u16::from(REPLACEMENT));
        assert_eq!(s.cells.0[10] & 0xFF, u16::from(REPLACEMENT));
    }

    #[test]
    fn carriage_return_rewrites_the_line() {
        let mut s = screen();
        s.write_str("abc\rX");
        assert_eq!(row_text(&s, 0), "Xbc");
    }
}
