//! The kernel binary. Everything lives in the `kernel` library; the boot
//! code (`boot` crate) calls `kernel::start::kernel_main`.
//!
//! Built for the host, as `cargo build`, `cargo check` and an editor do at
//! the workspace root, the binary is a short program that says how to build
//! the kernel: that keeps the whole workspace building with plain cargo.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
extern crate kernel;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "This is the host build of the kernel binary; it does nothing.\n\
         The kernel runs on an i686 machine (target i686-kernel.json): \
         `make run` boots it in QEMU, `make iso` builds a bootable image, \
         `make test` runs every test."
    );
    std::process::exit(2);
}
