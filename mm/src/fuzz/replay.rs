//! Replaying the inputs kept in the repository through a fuzz body, the
//! way `make test` does: no libFuzzer, no nightly flags, same result on
//! every run.
//!
//! A target's inputs are the files of `fuzz/seeds/<target>/` (a small
//! corpus that reaches the interesting paths) and `fuzz/regressions/<target>/`
//! (every input that ever failed). Each runs on its own; a panic is caught
//! and recorded with the file's name, so one failure does not hide another.

extern crate std;

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

/// What a replay found.
#[derive(Debug, Default)]
pub struct Replayed {
    /// How many inputs ran.
    pub inputs: usize,
    /// The inputs that panicked, with the panic's message.
    pub failed: Vec<(PathBuf, String)>,
}

/// Runs `body` on every file of `fuzz_dir/seeds/target` and
/// `fuzz_dir/regressions/target`, in name order. A directory that does
/// not exist counts as empty.
pub fn replay(fuzz_dir: &Path, target: &str, body: fn(&[u8])) -> Replayed {
    let mut out = Replayed::default();
    for kind in ["seeds", "regressions"] {
        let dir = fuzz_dir.join(kind).join(target);
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.retain(|p| p.is_file() && p.file_name().is_none_or(|n| n != "README.md"));
        files.sort();
        for file in files {
            let data = fs::read(&file).expect("reading a fuzz input");
            out.inputs += 1;
            // Named from the repository root, as `fuzz/regressions/heap/...`.
            let name = Path::new("fuzz").join(file.strip_prefix(fuzz_dir).unwrap_or(&file));
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| body(&data))) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                out.failed.push((name, message));
            }
        }
    }
    out
}

impl Replayed {
    /// Panics, naming every failed input and how to rerun it, unless
    /// `at_least` inputs ran and none failed.
    #[track_caller]
    pub fn assert_clean(&self, target: &str, at_least: usize) {
        let failures: Vec<String> = self
            .failed
            .iter()
            .map(|(file, message)| std::format!("  {}: {message}", file.display()))
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} inputs of fuzz target `{target}` fail (under libFuzzer: \
             `RUSTC_BOOTSTRAP=1 cargo fuzz run {target} FILE`):\n{}",
            failures.len(),
            self.inputs,
            failures.join("\n")
        );
        assert!(
            self.inputs >= at_least,
            "only {} inputs found for fuzz target `{target}`, expected at least {at_least}",
            self.inputs
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fuzz_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
    }

    #[test]
    fn heap_inputs_replay_clean() {
        replay(&fuzz_dir(), "heap", super::super::heap).assert_clean("heap", 1);
    }

    #[test]
    fn memmap_inputs_replay_clean() {
        replay(&fuzz_dir(), "memmap", super::super::memmap).assert_clean("memmap", 1);
    }

    #[test]
    fn frames_inputs_replay_clean() {
        replay(&fuzz_dir(), "frames", super::super::frames).assert_clean("frames", 1);
    }

    #[test]
    fn a_failing_input_is_reported_with_its_file() {
        let dir = std::env::temp_dir().join(std::format!("mm-replay-{}", std::process::id()));
        fs::create_dir_all(dir.join("regressions/t")).unwrap();
        fs::write(dir.join("regressions/t/bad"), b"x").unwrap();
        fs::write(dir.join("regressions/t/good"), b"").unwrap();
        let replayed = replay(&dir, "t", |data| assert!(data.is_empty(), "not empty"));
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(replayed.inputs, 2);
        assert_eq!(replayed.failed.len(), 1);
        assert!(replayed.failed[0].0.ends_with("bad") && replayed.failed[0].1 == "not empty");
    }
}
