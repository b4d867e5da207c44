use super::*;

/// A display that records its cells and counts draws.
struct Grid {
    columns: usize,
    rows: usize,
    shown: Vec<Cell>,
    draws: usize,
}

impl Display for Grid {
    fn size(&self) -> (usize, usize) {
        (self.columns, self.rows)
    }
    fn draw(&mut self, row: usize, column: usize, cell: Cell) {
        self.shown[row * self.columns + column] = cell;
        self.draws += 1;
    }
}

fn screen(columns: usize, rows: usize) -> Screen<'static, Grid> {
    let grid = Grid { columns, rows, shown: vec![0; columns * rows], draws: 0 };
    Screen::new(grid, Vec::leak(vec![0; columns * rows]))
}

/// A row's text as the display shows it, trailing blanks removed.
fn shown(s: &Screen<'_, Grid>, row: usize) -> String {
    let grid = &s.display;
    (0..grid.columns)
        .map(|c| (grid.shown[row * grid.columns + c] & 0xFF) as u8 as char)
        .collect::<String>()
        .trim_end()
        .to_string()
}

#[test]
fn writes_with_colour() {
    let mut s = screen(80, 25);
    s.set_color(Color::Red, Color::Blue);
    s.write_str("hi");
    assert_eq!(s.display.shown[0], u16::from(b'h') | 0x14 << 8);
    assert_eq!(s.cell(0, 0), u16::from(b'h') | 0x14 << 8);
    assert_eq!(s.cursor(), (0, 2));
}

#[test]
fn a_word_that_does_not_fit_moves_to_the_next_row_whole() {
    let mut s = screen(15, 5);
    s.write_str("the page directory is here");
    assert_eq!(shown(&s, 0), "the page");
    assert_eq!(shown(&s, 1), "directory is");
    assert_eq!(shown(&s, 2), "here");
    assert_eq!(s.cursor(), (2, 4));
}

#[test]
fn a_word_ending_exactly_at_the_edge_stays() {
    let mut s = screen(10, 5);
    s.write_str("0123 56789 next");
    assert_eq!(shown(&s, 0), "0123 56789");
    // The space at the edge is not carried to the next row.
    assert_eq!(shown(&s, 1), "next");
}

#[test]
fn a_word_longer_than_a_row_is_cut() {
    let mut s = screen(10, 5);
    s.write_str("ab 0123456789abc");
    assert_eq!(shown(&s, 0), "ab");
    assert_eq!(shown(&s, 1), "0123456789");
    assert_eq!(shown(&s, 2), "abc");
}

#[test]
fn a_moved_word_keeps_its_colours() {
    let mut s = screen(10, 5);
    s.write_str("1234567 ");
    s.set_color(Color::Yellow, Color::Black);
    s.write_str("warn");
    assert_eq!(shown(&s, 1), "warn");
    assert_eq!(s.cell(1, 0) >> 8, Color::Yellow as u16);
}

#[test]
fn wrapping_on_the_last_row_scrolls_and_moves_the_word() {
    let mut s = screen(10, 2);
    s.write_str("first\nsecond wordy");
    assert_eq!(shown(&s, 0), "second");
    assert_eq!(shown(&s, 1), "wordy");
}

#[test]
fn a_full_line_then_newline_does_not_leave_an_empty_line() {
    let mut s = screen(80, 25);
    s.write_str(&"y".repeat(80));
    s.write_str("\nz");
    assert_eq!(shown(&s, 1), "z");
}

#[test]
fn scrolls_at_the_bottom() {
    let mut s = screen(80, 25);
    for i in 0..27 {
        s.write_str(&format!("line {i}\n"));
    }
    assert_eq!(shown(&s, 0), "line 3");
    assert_eq!(shown(&s, 23), "line 26");
    assert_eq!(shown(&s, 24), "");
    assert_eq!(s.cursor(), (24, 0));
}

#[test]
fn scrolling_draws_only_the_cells_that_change() {
    let mut s = screen(80, 25);
    for _ in 0..24 {
        s.write_str("same\n");
    }
    s.display.draws = 0;
    s.write_str("same\n"); // scrolls: every row but the last two stays "same"
    // Row 23 goes from blank to "same" (4 cells) and row 24 from "same" to
    // blank (4 cells); nothing else changes.
    assert_eq!(s.display.draws, 8);
}

#[test]
fn tabs_and_unprintables() {
    let mut s = screen(80, 25);
    s.write_str("a\tb\u{7}é");
    assert_eq!(s.cursor(), (0, 11));
    assert_eq!(s.cell(0, 8) & 0xFF, u16::from(b'b'));
    assert_eq!(s.cell(0, 9) & 0xFF, u16::from(REPLACEMENT));
    assert_eq!(s.cell(0, 10) & 0xFF, u16::from(REPLACEMENT));
}

#[test]
fn carriage_return_rewrites_the_line() {
    let mut s = screen(80, 25);
    s.write_str("abc\rX");
    assert_eq!(shown(&s, 0), "Xbc");
}

#[test]
fn a_short_copy_limits_the_rows() {
    let grid = Grid { columns: 10, rows: 50, shown: vec![0; 500], draws: 0 };
    let s = Screen::new(grid, Vec::leak(vec![0; 35]));
    assert_eq!(s.size(), (10, 3));
}
