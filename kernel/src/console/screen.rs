//! The screen's text logic: a grid of cells, a cursor, word wrapping,
//! scrolling. The same for the EGA text screen and the framebuffer.
//!
//! Each cell is a 16-bit value, as in EGA text memory: the character (an
//! ASCII byte, or [`REPLACEMENT`]) in the low byte, the colour attribute
//! (foreground | background << 4) in the high byte. The grid lives in RAM
//! (`cells`): the screen's own copy, which scrolling shifts and which is
//! compared with the new contents so that only cells that change are
//! drawn. Video memory is only ever written, never read back: reads from
//! a framebuffer are slow on real hardware, and the copy is all scrolling
//! needs.
//!
//! Lines are reflowed: a word that does not fit at the end of a row moves
//! whole to the next row, so no word is cut at the screen edge (only a
//! word longer than a whole row is). The logic is generic over where the
//! cells are drawn ([`Display`]), so the host tests run it on an array.

/// A character and its colours: `byte | attribute << 8`.
pub type Cell = u16;

const TAB_WIDTH: usize = 8;
/// Drawn for characters the screen cannot show (CP437 "■" in EGA text; the
/// framebuffer font draws U+FFFD for it).
pub const REPLACEMENT: u8 = 0xFE;

/// The 16 colours of the EGA palette, which both screens use.
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

/// Where cells are drawn: EGA text memory, or a framebuffer.
pub trait Display {
    /// The grid's size as (columns, rows).
    fn size(&self) -> (usize, usize);
    /// Draws `cell` at (row, column), both inside [`Display::size`].
    fn draw(&mut self, row: usize, column: usize, cell: Cell);
    /// Shows the cursor at (row, column), where the display has one.
    fn show_cursor(&mut self, _row: usize, _column: usize) {}
}

/// A text screen with a cursor that wraps words at the right edge and
/// scrolls at the bottom.
#[derive(Debug)]
pub struct Screen<'a, D> {
    display: D,
    cells: &'a mut [Cell],
    columns: usize,
    rows: usize,
    row: usize,
    column: usize,
    attribute: u8,
}

impl<'a, D: Display> Screen<'a, D> {
    /// A screen over `display`, keeping its copy of the grid in `cells`,
    /// cleared, cursor at the top left, light grey on black. If `cells` is
    /// shorter than the display's grid, only the rows it holds are used.
    pub fn new(display: D, cells: &'a mut [Cell]) -> Self {
        let (columns, rows) = display.size();
        let columns = columns.max(1);
        let rows = rows.min(cells.len() / columns).max(1);
        let mut screen = Self {
            display,
            cells,
            columns,
            rows,
            row: 0,
            column: 0,
            attribute: Color::LightGray as u8,
        };
        screen.clear();
        screen
    }

    /// The display, e.g. to read a framebuffer back in a test.
    pub fn display_mut(&mut self) -> &mut D {
        &mut self.display
    }

    /// The grid's size as (columns, rows).
    pub fn size(&self) -> (usize, usize) {
        (self.columns, self.rows)
    }

    /// The cell at (row, column), from the screen's copy.
    pub fn cell(&self, row: usize, column: usize) -> Cell {
        self.cells[row * self.columns + column]
    }

    /// Sets the colour of what is written next.
    pub fn set_color(&mut self, foreground: Color, background: Color) {
        self.set_attribute(foreground as u8 | (background as u8) << 4);
    }

    /// Sets the colour of what is written next as an EGA attribute byte
    /// (foreground | background << 4).
    pub fn set_attribute(&mut self, attribute: u8) {
        self.attribute = attribute;
    }

    /// The cursor position as (row, column).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.column)
    }

    fn blank(&self) -> Cell {
        Cell::from(b' ') | Cell::from(self.attribute) << 8
    }

    fn set(&mut self, row: usize, column: usize, cell: Cell) {
        let index = row * self.columns + column;
        if self.cells[index] != cell {
            self.cells[index] = cell;
            self.display.draw(row, column, cell);
        }
    }

    /// Blanks the whole screen and puts the cursor at the top left.
    pub fn clear(&mut self) {
        let blank = self.blank();
        for row in 0..self.rows {
            for column in 0..self.columns {
                self.cells[row * self.columns + column] = blank;
                self.display.draw(row, column, blank);
            }
        }
        self.row = 0;
        self.column = 0;
        self.display.show_cursor(0, 0);
    }

    /// Writes `s`; characters outside printable ASCII are shown as
    /// [`REPLACEMENT`].
    pub fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            let byte = if c.is_ascii() { c as u8 } else { REPLACEMENT };
            self.write_byte(byte);
        }
        self.display.show_cursor(self.row, self.column.min(self.columns - 1));
    }

    /// Writes one byte: printable ASCII, `\n`, `\r` or `\t`.
    pub fn write_byte(&mut self, byte: u8) {
        match byte {
            b'\n' => self.new_line(),
            b'\r' => self.column = 0,
            b'\t' => {
                let next = (self.column / TAB_WIDTH + 1) * TAB_WIDTH;
                while self.column < next.min(self.columns) {
                    self.put(b' ');
                }
            }
            0x20..=0x7E => self.put(byte),
            _ => self.put(REPLACEMENT),
        }
    }

    fn put(&mut self, byte: u8) {
        if self.column == self.columns {
            if byte == b' ' {
                // The line ends between two words: the space is not carried over.
                self.new_line();
                return;
            }
            self.wrap_word();
        }
        let cell = Cell::from(byte) | Cell::from(self.attribute) << 8;
        self.set(self.row, self.column, cell);
        self.column += 1;
    }

    /// The row is full and a word goes on: moves the word's start from the
    /// end of this row to the next, unless it fills the whole row.
    fn wrap_word(&mut self) {
        let row = self.row;
        let is_space = |cell: Cell| cell as u8 == b' ';
        let mut start = self.columns;
        while start > 0 && !is_space(self.cell(row, start - 1)) {
            start -= 1;
        }
        self.new_line();
        if start == 0 || self.rows < 2 {
            return; // longer than a row (or a one-row screen): it has to be cut
        }
        // After a scroll the row the word came from is one up.
        let from = self.row - 1;
        let blank = self.blank();
        for (to, column) in (start..self.columns).enumerate() {
            let cell = self.cell(from, column);
            self.set(self.row, to, cell);
            self.set(from, column, blank);
        }
        self.column = self.columns - start;
    }

    fn new_line(&mut self) {
        self.column = 0;
        if self.row + 1 < self.rows {
            self.row += 1;
        } else {
            self.scroll();
        }
    }

    /// Moves every row up by one, drawing only the cells that change.
    fn scroll(&mut self) {
        let columns = self.columns;
        for row in 0..self.rows - 1 {
            for column in 0..columns {
                let below = self.cells[(row + 1) * columns + column];
                self.set(row, column, below);
            }
        }
        let blank = self.blank();
        for column in 0..columns {
            self.set(self.rows - 1, column, blank);
        }
    }
}

#[cfg(test)]
mod tests;
