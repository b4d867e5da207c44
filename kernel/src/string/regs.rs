//! Native-width register names for the string module's asm templates.
//!
//! An asm operand of type `usize` gets the full register on both i686 and
//! x86_64 by itself, but a register spelled out literally in a template
//! does not: `mov ecx, edx` on the host would truncate a 64-bit count and
//! `xchg eax, esi` would cut a pointer in half. Templates that must name a
//! register (because it is an implicit operand of `rep movs`/`rep stos`,
//! or reserved by LLVM) write `native!(cx)` instead, which is `ecx` in the
//! kernel and `rcx` in the host tests, so both run the same instructions.

/// The native-width name of `si`, `di`, `cx` or `dx`, as a string literal
/// for `concat!` in an asm template: `native!(si)` is `esi` on i686 and
/// `rsi` on x86_64.
#[cfg(target_arch = "x86")]
macro_rules! native {
    (si) => {
        "esi"
    };
    (di) => {
        "edi"
    };
    (cx) => {
        "ecx"
    };
    (dx) => {
        "edx"
    };
}
#[cfg(target_arch = "x86_64")]
macro_rules! native {
    (si) => {
        "rsi"
    };
    (di) => {
        "rdi"
    };
    (cx) => {
        "rcx"
    };
    (dx) => {
        "rdx"
    };
}
