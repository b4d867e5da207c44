//! The consoles: what is printed appears on the VGA screen.

use crate::console::CONSOLE;
use crate::console::screen::WIDTH;
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq, println};

#[ktest]
fn println_reaches_the_screen() -> TestResult {
    const MARKER: &str = "console self-test: the quick brown fox";
    println!("{MARKER}");
    let mut console = CONSOLE.lock();
    let (row, column) = console.cursor();
    ensure_eq!(column, 0);
    ensure!(row > 0, "cursor on row 0 after a newline");
    let base = console.screen_base();
    let mut text = [0u8; MARKER.len()];
    for (i, byte) in text.iter_mut().enumerate() {
        // SAFETY: the console's buffer maps the 80x25 screen; (row - 1, i)
        // is on it because MARKER is shorter than a line.
        let cell = unsafe { base.add((row - 1) * WIDTH + i).read_volatile() };
        *byte = cell as u8;
    }
    ensure!(text == MARKER.as_bytes(), "screen shows {:?}", core::str::from_utf8(&text));
    Ok(())
}
