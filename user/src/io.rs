//! `print!`, `println!` and `eprintln!` over the `write` call, through a
//! small buffer on the stack (no heap in user programs).

use core::fmt::{self, Write};

/// Formats into a 256-byte buffer and writes it out when full or dropped.
#[derive(Debug)]
pub struct Console {
    fd: u32,
    buf: [u8; 256],
    len: usize,
}

impl Console {
    /// A writer to `fd` (1: standard output, 2: errors; both the console).
    pub const fn new(fd: u32) -> Self {
        Self { fd, buf: [0; 256], len: 0 }
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) {
        if self.len > 0 {
            let _ = crate::sys::write(self.fd, &self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Prints `args` to `fd` in one `write` when it fits 256 bytes.
pub fn print_to(fd: u32, args: fmt::Arguments<'_>) {
    let mut console = Console::new(fd);
    let _ = console.write_fmt(args);
}

/// Prints to standard output.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::print_to(1, format_args!($($arg)*)) };
}

/// Prints a line to standard output.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::io::print_to(1, format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints a line to the error output.
#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => { $crate::io::print_to(2, format_args!("{}\n", format_args!($($arg)*))) };
}
