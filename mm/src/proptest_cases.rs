//! How many cases each property test runs: `PROPTEST_CASES` when it is
//! set, else the test's own default.
//!
//! proptest reads `PROPTEST_CASES` only into its default configuration, and
//! a test that states its own case count overrides that. So every property
//! test here takes its configuration from [`config`], which keeps the
//! test's count as the default and lets the variable raise (or lower) it:
//! `PROPTEST_CASES=20000 cargo test -p mm` runs every property test 20000
//! times, and `make soak` does that for all of them. A malformed value is
//! refused, not silently replaced by the default.

extern crate std;

use proptest::test_runner::Config;

/// The variable proptest documents for the number of cases.
const VARIABLE: &str = "PROPTEST_CASES";

/// proptest's configuration with `default_cases` cases, or as many as
/// `PROPTEST_CASES` says. Panics (failing the test with the reason) if
/// the variable is set but not a positive number.
pub(crate) fn config(default_cases: u32) -> Config {
    let value = std::env::var(VARIABLE).ok();
    Config { cases: cases(value.as_deref(), default_cases), ..Config::default() }
}

/// The number of cases for the variable's value `value` (if set).
fn cases(value: Option<&str>, default_cases: u32) -> u32 {
    match value.map(|v| (v, v.trim().parse::<u32>())) {
        None => default_cases,
        Some((_, Ok(n))) if n > 0 => n,
        Some((v, _)) => panic!("{VARIABLE}={v:?} is not a number of cases from 1 to {}", u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::string::String;
    use std::vec::Vec;
    use std::{format, fs};

    #[test]
    fn the_variable_replaces_the_default() {
        assert_eq!(cases(None, 64), 64);
        assert_eq!(cases(Some("20000"), 64), 20000);
        assert_eq!(cases(Some("1"), 300), 1);
    }

    #[test]
    #[should_panic(expected = "PROPTEST_CASES=\"lots\" is not a number of cases")]
    fn a_malformed_value_is_refused() {
        cases(Some("lots"), 64);
    }

    #[test]
    #[should_panic(expected = "PROPTEST_CASES=\"0\" is not a number of cases")]
    fn zero_cases_is_refused() {
        cases(Some("0"), 64);
    }

    /// Every `.rs` file under `dir`.
    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).expect("reading a source directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).expect("reading a source file");
                out.push((path.display().to_string(), text));
            }
        }
    }

    /// A property test that states its own configuration must take it from
    /// `config`, or `PROPTEST_CASES` would not reach it. (Those that state
    /// none use proptest's default, which reads the variable itself.)
    #[test]
    fn every_property_test_of_the_workspace_honours_the_variable() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("mm has a parent");
        let mut files = Vec::new();
        for crate_dir in ["mm/src", "kernel/src"] {
            sources(&root.join(crate_dir), &mut files);
        }
        assert!(files.len() > 50, "found only {} source files", files.len());
        let mut wrong = Vec::new();
        for (path, text) in &files {
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("#![proptest_config(")
                    && !line.starts_with("#![proptest_config(crate::proptest_cases::config(")
                {
                    let path = path.strip_prefix(&*root.to_string_lossy()).unwrap_or(path);
                    wrong.push(format!("{path}:{}: {line}", n + 1));
                }
            }
        }
        assert!(wrong.is_empty(), "property tests with a fixed case count:\n{}", wrong.join("\n"));
    }
}
