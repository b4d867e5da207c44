//! Freestanding C memory and string functions: `memcpy`, `memmove`,
//! `memset`, `memcmp`/`bcmp` and the NUL-terminated `str*` family.
//!
//! The kernel links no libc and builds `core` without compiler_builtins'
//! `mem` feature, so the `mem*` functions here (and `bcmp`, `strlen`) are the
//! very symbols that compiler-generated code calls for struct copies, array
//! initialisation and slice comparison. Two rules follow, in every file:
//!
//! - On the kernel target (`target_os = "none"`) each function is exported
//!   unmangled with the C ABI. On the host they stay ordinary Rust paths, so
//!   the unit tests run this code without interposing on the host's libc.
//! - A body never contains anything the compiler could lower back into a
//!   call to the function being defined (infinite recursion): no
//!   `core::ptr::copy*`, `write_bytes`, `copy_from_slice`, `fill` or slice
//!   comparison, and no plain byte loop over bulk data that LLVM's idiom
//!   recogniser could turn into `memcpy`/`memset`. Bulk work is `rep movs` /
//!   `rep stos` in inline asm, or word-at-a-time loops.
//!
//! The asm is written once for i686 (the kernel) and x86_64 (the host that
//! runs the tests): an explicit operand such as `"ecx"` names the full-width
//! register on either, and `movsd`/`stosd` move 4-byte dwords on both, so
//! the host tests execute the same instruction sequence the kernel does.

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
compile_error!("string: the inline asm is x86 only (i686 kernel, x86_64 host tests)");

#[macro_use]
mod regs;

mod cmp;
mod copy;
mod cstr;
mod fill;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testutil;

pub use cmp::{bcmp, memcmp};
pub use copy::{memcpy, memmove};
pub use cstr::{strcmp, strcpy, strlen, strncmp, strncpy, strnlen, until_nul};
pub use fill::memset;
