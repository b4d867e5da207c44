//! The kernel binary. Everything lives in the `kernel` library; the boot
//! code (`boot` crate) calls `kernel::start::kernel_main`.
#![no_std]
#![no_main]

extern crate kernel;
