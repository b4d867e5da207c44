//! The kernel command line: space-separated `flag` and `key=value` words.
//!
//! Recognised words (see docs/testing.md):
//!
//! | word            | meaning                                                  |
//! |-----------------|----------------------------------------------------------|
//! | `selftest`      | run the in-kernel self-tests, then exit QEMU             |
//! | `run=NAME`      | with `selftest`: run only tests whose name contains NAME |
//! | `list`          | with `selftest`: list every test's name, run none        |
//! | `mem=SIZE`      | the RAM QEMU was given (`4M`, `128M`): tests check the   |
//! |                 | memory map against it                                    |
//! | `seed=N`        | seed for the randomised tests (default 0x5EED; `make     |
//! |                 | test` passes a fresh one each run and prints it)         |
//!
//! Unknown words are ignored, so GRUB can add its own. The self-test words
//! are checked before any test runs ([`selftest::SelftestArgs`]): a
//! malformed `seed=` or `mem=` is refused, not replaced by a default.

pub mod selftest;

/// A parsed view of the command line.
#[derive(Clone, Copy, Debug)]
pub struct CommandLine<'a>(&'a str);

impl<'a> CommandLine<'a> {
    /// Views `line`.
    pub fn new(line: &'a str) -> Self {
        Self(line)
    }

    /// The whole line.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// Whether the bare word `flag` is present.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.0.split_ascii_whitespace().any(|w| w == flag)
    }

    /// The value of the first `key=value` word with this key.
    pub fn value(&self, key: &str) -> Option<&'a str> {
        self.0.split_ascii_whitespace().find_map(|w| {
            let (k, v) = w.split_once('=')?;
            (k == key).then_some(v)
        })
    }
}

/// Parses a size such as `4M`, `128M`, `1G`, `64K` or `4096` into bytes.
/// Returns `None` for anything else, including overflow.
pub fn parse_size(text: &str) -> Option<u64> {
    let (digits, shift) = match text.as_bytes().last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 10),
        b'M' | b'm' => (&text[..text.len() - 1], 20),
        b'G' | b'g' => (&text[..text.len() - 1], 30),
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    value.checked_mul(1u64 << shift)
}

/// Parses a decimal or `0x` hexadecimal number.
pub fn parse_number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_values() {
        let c = CommandLine::new("  selftest mem=4M  run=heap seed=0x2a ");
        assert!(c.has_flag("selftest"));
        assert!(!c.has_flag("self"));
        assert!(!c.has_flag("mem"));
        assert_eq!(c.value("mem"), Some("4M"));
        assert_eq!(c.value("run"), Some("heap"));
        assert_eq!(c.value("seed").and_then(parse_number), Some(42));
        assert_eq!(c.value("missing"), None);
        assert_eq!(CommandLine::new("").value("mem"), None);
    }

    #[test]
    fn first_value_wins_and_empty_values_are_kept() {
        let c = CommandLine::new("a=1 a=2 b=");
        assert_eq!(c.value("a"), Some("1"));
        assert_eq!(c.value("b"), Some(""));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4M"), Some(4 << 20));
        assert_eq!(parse_size("128M"), Some(128 << 20));
        assert_eq!(parse_size("64k"), Some(64 << 10));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("4096"), Some(4096));
        for bad in ["", "M", "4MB", "-4M", "4.5M", "x", "99999999999999999999G"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("123"), Some(123));
        assert_eq!(parse_number("0xff"), Some(255));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("12a"), None);
    }
}
