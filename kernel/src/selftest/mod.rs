//! In-kernel self-tests: what only the real machine can show.
//!
//! A test is a plain function marked `#[ktest]` (see `ktest-macros`),
//! returning [`TestResult`]; the attribute registers it in the `.ktests`
//! linker section. The runner prints one `name ... ok` or
//! `name ... FAILED: reason` line per test on the consoles and, around
//! every test, checks that free frames and heap bytes in use came back
//! exactly — a test that leaks fails.
//!
//! `#[ktest(fault)]` marks a *fault scenario*: code that must end in a CPU
//! fault or a panic. Those never run in the normal pass; the harness boots
//! each on its own (`selftest run=fault::NAME`) and checks the report text.

// `Failure` carries its message in a 240-byte buffer on purpose (tests must
// be able to fail with the heap exhausted), so test results are large.
#![allow(clippy::result_large_err)]

mod failure;

#[cfg(feature = "selftest")]
mod tests;

pub use failure::Failure;
pub use ktest_macros::ktest;

use crate::arch::qemu::ExitCode;
use crate::cmdline::CommandLine;
use crate::{ensure, memory, println};

/// What a test returns.
pub type TestResult = Result<(), Failure>;

/// Normal test, or fault scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Runs in the normal pass and must return `Ok`.
    Test,
    /// Must fault or panic; run only when named exactly by `run=`.
    Fault,
}

/// One registered test (see `ktest-macros`).
#[derive(Debug)]
#[repr(C)]
pub struct Test {
    /// Full path, e.g. `kernel::selftest::tests::heap::grows`.
    pub name: &'static str,
    /// Test or fault scenario.
    pub kind: Kind,
    /// The test function.
    pub run: fn() -> TestResult,
}

impl Test {
    /// The name without the `kernel::selftest::tests::` prefix.
    pub fn short_name(&self) -> &'static str {
        self.name.strip_prefix("kernel::selftest::tests::").unwrap_or(self.name)
    }
}

unsafe extern "C" {
    // Linker-script symbols: only their addresses mean anything.
    static __ktests_start: u8;
    static __ktests_end: u8;
}

/// Every registered test, in link order.
pub fn registry() -> &'static [Test] {
    let start = (&raw const __ktests_start).cast::<Test>();
    let end = (&raw const __ktests_end).cast::<Test>();
    let count = (end as usize - start as usize) / size_of::<Test>();
    // SAFETY: the linker script places only `Test` statics (emitted by
    // `#[ktest]`, all the same type, so no padding between them) between
    // the two symbols, in read-only memory that lives forever.
    unsafe { core::slice::from_raw_parts(start, count) }
}

/// Runs the tests the command line selects and returns how QEMU should exit.
pub fn run(cmdline: &CommandLine<'_>) -> ExitCode {
    let filter = cmdline.value("run");
    let scenario =
        |name| registry().iter().find(|t| t.kind == Kind::Fault && t.short_name() == name);
    if let Some(scenario) = filter.and_then(scenario) {
        return run_fault_scenario(scenario);
    }
    let selected = || {
        registry().iter().filter(move |t| {
            t.kind == Kind::Test && filter.is_none_or(|f| t.short_name().contains(f))
        })
    };
    let total = selected().count();
    println!("selftest: running {total} tests");
    let (mut passed, mut failed) = (0, 0);
    for test in selected() {
        let before = memory::snapshot();
        let result = (test.run)();
        let outcome = match result {
            Err(failure) => Err(failure),
            Ok(()) => leak_check(before, memory::snapshot()),
        };
        match outcome {
            Ok(()) => {
                passed += 1;
                println!("{} ... ok", test.short_name());
            }
            Err(failure) => {
                failed += 1;
                println!("{} ... FAILED: {failure}", test.short_name());
            }
        }
    }
    println!("selftest: {passed} passed, {failed} failed");
    if total == 0 {
        println!("selftest: no test matched (built without the `selftest` feature?)");
        return ExitCode::TestsFailed;
    }
    if failed == 0 { ExitCode::Success } else { ExitCode::TestsFailed }
}

fn leak_check(before: memory::Snapshot, after: memory::Snapshot) -> TestResult {
    ensure!(
        before == after,
        "leaked: free frames {} -> {}, heap bytes in use {} -> {}, heap blocks {} -> {}",
        before.free_frames,
        after.free_frames,
        before.heap_in_use,
        after.heap_in_use,
        before.heap_blocks,
        after.heap_blocks
    );
    Ok(())
}

fn run_fault_scenario(scenario: &Test) -> ExitCode {
    println!("selftest: fault scenario {} (it must end in a fault report)", scenario.short_name());
    match (scenario.run)() {
        Ok(()) => println!("{} ... FAILED: returned without faulting", scenario.short_name()),
        Err(f) => println!("{} ... FAILED: {f}", scenario.short_name()),
    }
    ExitCode::TestsFailed
}
