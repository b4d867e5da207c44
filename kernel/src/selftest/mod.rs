//! In-kernel self-tests.
use crate::arch::qemu::ExitCode;
use crate::cmdline::CommandLine;

/// Runs the self-tests selected by the command line.
pub fn run(_cmdline: &CommandLine<'_>) -> ExitCode {
    ExitCode::Success
}
