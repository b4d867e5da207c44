//! What was printed before there was a screen to print it on.
//!
//! The kernel learns which screen it has (EGA text or a framebuffer) from
//! the boot information, and can draw on a framebuffer only once memory
//! management has mapped it; its first lines come earlier. They go to the
//! serial port at once and are kept here, with their colours, until a
//! screen is attached and they are shown on it. If more is printed than
//! fits, the oldest part is dropped, and the replay says so.

use super::screen::Cell;

/// The last `N` cells printed before a screen existed.
#[derive(Debug)]
pub struct EarlyLog<const N: usize> {
    cells: [Cell; N],
    next: usize,
    wrapped: bool,
}

impl<const N: usize> EarlyLog<N> {
    /// An empty log.
    pub const fn new() -> Self {
        Self { cells: [0; N], next: 0, wrapped: false }
    }

    /// Keeps one cell (character and attribute), dropping the oldest when full.
    pub fn push(&mut self, cell: Cell) {
        self.cells[self.next] = cell;
        self.next = (self.next + 1) % N;
        self.wrapped |= self.next == 0;
    }

    /// Whether older cells were dropped.
    pub fn lost_some(&self) -> bool {
        self.wrapped
    }

    /// The kept cells, oldest first. After a wrap the first, partial line
    /// is left out, so the replay starts at a line's beginning.
    pub fn cells(&self) -> impl Iterator<Item = Cell> + '_ {
        let (older, newer) = if self.wrapped {
            (&self.cells[self.next..], &self.cells[..self.next])
        } else {
            (&self.cells[..self.next], &[][..])
        };
        let skip = if self.wrapped {
            older.iter().chain(newer).position(|&c| c as u8 == b'\n').map_or(N, |i| i + 1)
        } else {
            0
        };
        older.iter().chain(newer).copied().skip(skip)
    }

    /// Forgets everything (once it has been shown).
    pub fn clear(&mut self) {
        self.next = 0;
        self.wrapped = false;
    }
}

impl<const N: usize> Default for EarlyLog<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(log: &EarlyLog<8>) -> String {
        log.cells().map(|c| c as u8 as char).collect()
    }

    #[test]
    fn keeps_everything_until_full() {
        let mut log = EarlyLog::<8>::new();
        "ab\ncd".bytes().for_each(|b| log.push(Cell::from(b) | 0x0700));
        assert_eq!(text(&log), "ab\ncd");
        assert!(!log.lost_some());
        assert_eq!(log.cells().next(), Some(0x0761));
    }

    #[test]
    fn after_a_wrap_starts_at_a_whole_line() {
        let mut log = EarlyLog::<8>::new();
        "0123\n567\n9ab".bytes().for_each(|b| log.push(Cell::from(b)));
        assert!(log.lost_some());
        assert_eq!(text(&log), "567\n9ab");
        log.clear();
        assert_eq!(text(&log), "");
    }
}
