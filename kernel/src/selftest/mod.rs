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
use crate::cmdline::selftest::{SelftestArgs, close_names};
use crate::{ensure, memory, println};
use spin::Once;

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

/// The self-test words of this boot's command line (after [`run`] read them).
static ARGS: Once<SelftestArgs<'static>> = Once::new();

/// The self-test words of the command line: the seed for randomised tests,
/// `mem=`, ...
///
/// # Panics
///
/// Before [`run`] has read them: only tests, which `run` calls, use this.
pub fn args() -> &'static SelftestArgs<'static> {
    ARGS.get().expect("selftest::args used before selftest::run")
}

/// Runs the tests the command line selects and returns how QEMU should exit.
///
/// The self-test words are checked first: a malformed one runs no test.
/// `list` lists the tests instead; a `run=` that matches nothing names the
/// tests it may have meant.
pub fn run(cmdline: &CommandLine<'static>) -> ExitCode {
    let args = match SelftestArgs::parse(cmdline) {
        Ok(args) => *ARGS.call_once(|| args),
        Err(e) => {
            println!("selftest: {e}; no test was run");
            return ExitCode::TestsFailed;
        }
    };
    if registry().is_empty() {
        println!("selftest: this kernel has no self-tests (built without the `selftest` feature)");
        return ExitCode::TestsFailed;
    }
    if args.list {
        list();
        return ExitCode::Success;
    }
    let filter = args.run;
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
    if let (0, Some(wanted)) = (total, filter) {
        no_such_test(wanted);
        return ExitCode::TestsFailed;
    }
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
    if failed == 0 { ExitCode::Success } else { ExitCode::TestsFailed }
}

/// `selftest list`: every test's name, as `run=` takes it.
fn list() {
    let faults = registry().iter().filter(|t| t.kind == Kind::Fault).count();
    println!(
        "selftest: {} tests and {faults} fault scenarios (run=PART runs the tests whose name \
         contains PART; run=NAME boots a fault scenario on its own)",
        registry().len() - faults
    );
    for test in registry() {
        match test.kind {
            Kind::Test => println!("  {}", test.short_name()),
            Kind::Fault => println!("  {} (fault scenario)", test.short_name()),
        }
    }
}

/// Says that `run=wanted` matches no test, and which names are close.
fn no_such_test(wanted: &str) {
    println!("selftest: no test is named {wanted:?} or has it in its name");
    let mut close = [""; 8];
    let names = registry().iter().map(Test::short_name);
    let found = close_names(wanted, names, &mut close);
    if found > 0 {
        println!("selftest: close names:");
        for name in &close[..found] {
            println!("  {name}");
        }
    }
    println!("selftest: boot with `selftest list` to see every test's name");
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
