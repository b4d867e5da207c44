//! Why a test failed: a message formatted into a fixed buffer, plus the
//! source location, and the `ensure!` macros that produce it.
//!
//! The buffer is on the stack, not the heap, because some tests fail
//! precisely when the heap (or every frame) is exhausted.

use core::fmt::{self, Write};

const CAPACITY: usize = 240;

/// A failed check: where, and what was expected.
pub struct Failure {
    file: &'static str,
    line: u32,
    len: usize,
    text: [u8; CAPACITY],
}

impl Failure {
    /// A failure at `file:line` described by `args` (cut at 240 bytes).
    pub fn new(file: &'static str, line: u32, args: fmt::Arguments<'_>) -> Self {
        let mut f = Self { file, line, len: 0, text: [0; CAPACITY] };
        let _ = f.write_fmt(args); // truncation is not an error worth losing the rest for
        f
    }
}

impl Write for Failure {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            let mut buf = [0; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            if self.len + bytes.len() > CAPACITY {
                return Err(fmt::Error);
            }
            self.text[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        }
        Ok(())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only whole UTF-8 characters were copied in, so this cannot fail.
        let text = core::str::from_utf8(&self.text[..self.len]).unwrap_or("?");
        write!(f, "{text} ({}:{})", self.file, self.line)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Fails the test (returns `Err(Failure)`) unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr $(,)?) => {
        $crate::ensure!($cond, "{}", stringify!($cond))
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::selftest::Failure::new(file!(), line!(), format_args!($($fmt)+)));
        }
    };
}

/// Fails the test unless `left == right`, showing both values (and an
/// optional context message).
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        $crate::ensure_eq!($left, $right, "{}", "")
    };
    ($left:expr, $right:expr, $($fmt:tt)+) => {
        match (&$left, &$right) {
            (left, right) => {
                if left != right {
                    return Err($crate::selftest::Failure::new(
                        file!(),
                        line!(),
                        format_args!(
                            "{} == {}: left {:?}, right {:?} {}",
                            stringify!($left),
                            stringify!($right),
                            left,
                            right,
                            format_args!($($fmt)+)
                        ),
                    ));
                }
            }
        }
    };
}

/// Unwraps a `Result`/`Option`-like value or fails the test with `what`.
#[macro_export]
macro_rules! ensure_ok {
    ($value:expr, $($fmt:tt)+) => {
        match $value {
            Ok(v) => v,
            Err(e) => {
                return Err($crate::selftest::Failure::new(
                    file!(),
                    line!(),
                    format_args!("{}: {:?}", format_args!($($fmt)+), e),
                ))
            }
        }
    };
}
