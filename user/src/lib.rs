//! The runtime of the user programs: entry, system calls, printing, a
//! panic handler, and a small random-number generator for the fuzzer.
//!
//! Each program in `src/bin/` is a `no_std` static i686 executable linked
//! at 0x0040_0000 (`linker.ld`); `make` builds them for the kernel's
//! target and puts them on the boot image as Multiboot2 modules, named by
//! their file names. A program is a function `fn(arg: u32) -> i32`
//! registered with [`program!`] (named `run` by convention): `arg` is what the kernel passes it (a
//! seed, a size), the result its exit code.
//!
//! Built for the host (plain `cargo build` at the workspace root), each
//! program is a stub that says how to run it, and the system calls panic:
//! the logic that can run on the host (the generator) is tested there.
#![cfg_attr(target_os = "none", no_std)]

pub mod io;
pub mod rng;
pub mod sys;

#[cfg(target_os = "none")]
mod rt;

pub use abi;

/// Declares the program's function: `program!(run)` with
/// `fn run(arg: u32) -> i32`.
#[macro_export]
macro_rules! program {
    ($main:path) => {
        #[cfg(target_os = "none")]
        #[unsafe(no_mangle)]
        extern "C" fn user_main(arg: u32) -> i32 {
            $main(arg)
        }

        #[cfg(not(target_os = "none"))]
        fn main() {
            let _ = $main;
            $crate::host_stub(env!("CARGO_BIN_NAME"));
        }
    };
}

/// What a user program does when run on the host: says where it runs.
#[cfg(not(target_os = "none"))]
pub fn host_stub(name: &str) -> ! {
    eprintln!(
        "`{name}` is a user program of the kernel: `make run` or `make test` \
         builds it for i686 and boots it as a Multiboot2 module."
    );
    std::process::exit(2)
}
