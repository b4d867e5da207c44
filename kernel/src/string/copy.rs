//! `memcpy` and `memmove`: `rep movsd` for the bulk, `rep movsb` for the
//! odd bytes at either end, upwards or (for an overlapping `memmove` whose
//! destination starts inside the source) downwards.
//!
//! `rep movs` is the one copy loop the compiler cannot turn back into a
//! call to `memcpy` — here, a call to the function itself — and on every
//! x86 it is a reasonable choice: fast-string microcode on hardware, a tight
//! loop inside QEMU. Neither pointer needs to be aligned.
//!
//! An upward copy first brings the destination to a 4-byte boundary with
//! up to three single bytes, but only when the source shares its
//! misalignment, so that both end up aligned; a source misaligned *relative
//! to* the destination gains nothing from aligning either. Every `rep` with
//! a zero count is skipped. Measured on the development host (a Xeon with
//! ERMSB), 4 KiB with both pointers at offset 1 took ~300 ns before the
//! alignment step and ~25 ns after; an empty `rep` costs a few ns.
//!
//! `rep movs` reads through `esi`, which LLVM reserves on i686 (it may be the
//! base pointer) and refuses as an asm operand. The source pointer therefore
//! arrives in any free register and is swapped into `esi` for the length of
//! the asm block, which puts the compiler's `esi` back before it ends.

use core::arch::asm;

/// Copies `n` bytes from `src` to `dest` and returns `dest` (C `memcpy`).
///
/// Copies upwards, four bytes at a time between at most three single bytes
/// at either end, whatever the alignment of either pointer. When `n == 0`
/// no memory is touched.
///
/// # Safety
///
/// - `src` must be valid for reads and `dest` valid for writes of `n` bytes.
///   When `n == 0` any pointer values are accepted, null and dangling ones
///   included (Rust's own codegen relies on this for zero-sized copies).
/// - The ranges must not overlap; use [`memmove`] when they might. Overlap
///   is not a memory-safety hazard here (the copy still stays inside the two
///   ranges) but the bytes that end up in `dest` are unspecified.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges; `copy_up` touches no other
    // byte, and an overlapping `dest` is allowed by its contract.
    unsafe { copy_up(dest, src, n) };
    dest
}

/// Copies `n` bytes from `src` to `dest`, correctly even when the two ranges
/// overlap, and returns `dest` (C `memmove`).
///
/// The result is as if `src` were first copied to a temporary buffer. When
/// `n == 0` no memory is touched.
///
/// # Safety
///
/// `src` must be valid for reads and `dest` valid for writes of `n` bytes
/// (any pointer values when `n == 0`). Overlap is allowed.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    let (d, s) = (dest as usize, src as usize);
    if d <= s || d - s >= n {
        // `dest` starts at or below `src`, or past its end: going upwards
        // never reads a source byte after it has been overwritten.
        // SAFETY: the caller guarantees both ranges.
        unsafe { copy_up(dest, src, n) };
    } else {
        // `dest` starts inside the source, so the top of the source must be
        // read before the bottom of `dest` overwrites it. Here `n >= 2`.
        // SAFETY: the caller guarantees both ranges, and `n > 0`.
        unsafe { copy_down(dest, src, n) };
    }
    dest
}

/// Copies `n` bytes upwards: up to 3 bytes to align both pointers when they
/// share a misalignment, then dwords, then the last 0–3 bytes.
///
/// The `cld` is belt and braces: the ABI promises DF clear on entry, but an
/// interrupt taken inside [`copy_down`] runs with DF set, and a handler stub
/// that forgot its own `cld` must not turn a `memcpy` into a backward copy.
///
/// # Safety
///
/// `src` must be readable and `dest` writable for `n` bytes. If the ranges
/// overlap with `dest` above `src`, no memory-safety problem arises but the
/// copied bytes are unspecified.
#[inline(always)]
unsafe fn copy_up(dest: *mut u8, src: *const u8, n: usize) {
    let (d, s) = (dest as usize, src as usize);
    // Aligning `dest` only pays when it aligns `src` as well (module docs).
    let head = if (d ^ s) % 4 == 0 { d.wrapping_neg() % 4 } else { 0 }.min(n);
    let body = n - head;
    // SAFETY: with DF clear, the three `rep movs` read `head` bytes, then
    // `body / 4` dwords, then `body % 4` bytes upwards: exactly `src..src+n`
    // read and `dest..dest+n` written, which the caller guarantees. `jecxz`
    // skips an empty `rep`; the two short counts fit in `ecx`. The `xchg`
    // swaps the source into `esi` and the compiler's `esi` into `{src}`; the
    // final `mov` restores it. The explicit registers keep `{src}` out of
    // `eax`, `ecx`, `edx` and `edi`. When the allocator picks `esi` for
    // `{src}` itself (it may, whenever `esi` is not the base pointer, and in
    // practice does) the swaps are no-ops, and the operand is declared
    // clobbered, so the compiler saves `esi` around the block.
    // No stack use; DF is left clear and the status flags are untouched.
    unsafe {
        asm!(
            concat!("xchg {src}, ", native!(si)),
            "cld",
            "jecxz 2f",
            "rep movsb",
            "2:",
            concat!("mov ", native!(cx), ", ", native!(dx)),
            "jecxz 3f",
            "rep movsd",
            "3:",
            "mov ecx, eax",
            "jecxz 4f",
            "rep movsb",
            "4:",
            concat!("mov ", native!(si), ", {src}"),
            src = inout(reg) src => _,
            inout("ecx") head => _,
            in("edx") body / 4,
            in("eax") body % 4,
            inout("edi") dest => _,
            options(nostack, preserves_flags),
        );
    }
}

/// Copies `n` bytes downwards from the top: first the `n % 4` highest bytes
/// one at a time, then `n / 4` dwords, with the direction flag set.
///
/// Doing the odd bytes first leaves the dwords ending exactly at the bottom
/// of both ranges. Every read is of bytes below everything written so far
/// (because `dest > src`), and a single `movsd` reads its whole dword before
/// storing it, so any distance between the ranges, even 1, is copied right.
/// Intel documents fast-string operation for ascending copies only, so
/// there is no alignment step here: this path is for overlapping moves.
///
/// # Safety
///
/// `n > 0`, `src` readable and `dest` writable for `n` bytes, and
/// `dest > src` if the ranges overlap (for `dest < src` the result is
/// unspecified, though memory-safe).
#[inline(always)]
unsafe fn copy_down(dest: *mut u8, src: *const u8, n: usize) {
    // With DF set, `movs` works on the unit *at* esi/edi and then steps
    // down, so both start at the last byte and, after the bytes, back off
    // by 3 to the first byte of the highest dword.
    // SAFETY: `n > 0`, so `n - 1` is in range for both pointers.
    let (src_last, dest_last) = unsafe { (src.add(n - 1), dest.add(n - 1)) };
    // SAFETY: the byte loop touches `src+n-n%4 .. src+n` (and the same in
    // `dest`), the dword loop `src .. src+n-n%4`: exactly the two ranges the
    // caller guarantees. `esi` is swapped in and restored as in `copy_up`.
    // The pointers stepped below the ranges by the `sub`s or the last
    // iteration are never dereferenced. `cld` restores DF before the end, as
    // the ABI requires. `sub` clobbers the status flags; no stack use.
    unsafe {
        asm!(
            concat!("xchg {src}, ", native!(si)),
            "std",
            "rep movsb",
            concat!("sub ", native!(si), ", 3"),
            concat!("sub ", native!(di), ", 3"),
            concat!("mov ", native!(cx), ", ", native!(dx)),
            "rep movsd",
            "cld",
            concat!("mov ", native!(si), ", {src}"),
            src = inout(reg) src_last => _,
            inout("ecx") n % 4 => _,
            in("edx") n / 4,
            inout("edi") dest_last => _,
            options(nostack),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::testutil::{GUARD, arena};
    use core::ptr::{self, NonNull};

    /// Reads the direction flag without touching the stack: a `stosb`
    /// steps `edi` down instead of up exactly when DF is set.
    fn direction_flag_set() -> bool {
        let mut byte = 0u8;
        let start: *mut u8 = &mut byte;
        let end: *mut u8;
        // SAFETY: stores one byte to `byte` and moves `edi` by one.
        unsafe {
            asm!("stosb", in("al") 0u8, inout("edi") start => end,
                 options(nostack, preserves_flags));
        }
        end < start
    }

    /// `memcpy` of `len` bytes from `base+so` of one buffer to `base+dof`
    /// of another, against `copy_from_slice`.
    fn check_memcpy(len: usize, so: usize, dof: usize) {
        let (src, sb) = arena(len, 7);
        let (mut dst, db) = arena(len, 101);
        let mut want = dst.clone();
        want[db + dof..][..len].copy_from_slice(&src[sb + so..][..len]);
        let d = dst[db + dof..].as_mut_ptr();
        // SAFETY: both ranges lie inside their own buffers.
        let ret = unsafe { memcpy(d, src[sb + so..].as_ptr(), len) };
        assert_eq!(ret, d);
        assert_eq!(dst, want, "memcpy len {len} src+{so} dst+{dof}");
    }

    /// `memmove` inside one buffer from `base+s` to `base+d`, against
    /// `copy_within` (that is, `ptr::copy`).
    fn check_memmove(len: usize, s: usize, d: usize) {
        let (mut buf, b) = arena(s.max(d) + len, 33);
        let mut want = buf.clone();
        want.copy_within(b + s..b + s + len, b + d);
        let base = buf[b..].as_mut_ptr();
        // SAFETY: both ranges lie inside `buf`, after its base.
        let ret = unsafe { memmove(base.add(d), base.add(s), len) };
        assert_eq!(ret, base.wrapping_add(d));
        assert_eq!(buf, want, "memmove len {len} from +{s} to +{d}");
        assert!(!direction_flag_set(), "DF left set: len {len} +{s} -> +{d}");
    }

    #[test]
    fn memcpy_every_small_length_and_alignment() {
        for len in 0..64 {
            for so in 0..8 {
                for dof in 0..8 {
                    check_memcpy(len, so, dof);
                }
            }
        }
    }

    #[test]
    fn memcpy_large() {
        check_memcpy(1 << 20, 0, 0);
        check_memcpy((1 << 20) + 3, 1, 3);
    }

    #[test]
    fn memcpy_overlapping_stays_inside_dest() {
        // Unspecified contents, but nothing outside `dest` may change.
        for shift in [1, 3, 4, 9] {
            let len = 40;
            let (mut buf, b) = arena(len + shift, 5);
            let want = buf.clone();
            let base = buf[b..].as_mut_ptr();
            // SAFETY: both ranges lie inside `buf`; overlap is allowed
            // (with unspecified contents) by `memcpy`'s contract.
            unsafe {
                memcpy(base.add(shift), base, len);
                memcpy(base, base.add(shift), len);
            }
            assert_eq!(buf[..b], want[..b]);
            assert_eq!(buf[b + len + shift..], want[b + len + shift..]);
        }
    }

    #[test]
    fn memmove_overlap_every_distance_both_ways() {
        for dist in 1..=16 {
            for len in 0..64 {
                check_memmove(len, 0, dist); // dest above src: copies down
                check_memmove(len, dist, 0); // dest below src: copies up
            }
        }
    }

    #[test]
    fn memmove_disjoint_same_and_misaligned() {
        for len in 0..40 {
            for off in 0..8 {
                check_memmove(len, off, len + 8 - off); // disjoint, up
                check_memmove(len, len + off, 3); // disjoint, down
                check_memmove(len, off, off); // dest == src
                check_memmove(len, off, off + 5); // overlapping, odd
            }
        }
    }

    #[test]
    fn memmove_large_overlap() {
        let len = (1 << 20) + 3;
        check_memmove(len, 0, 1001);
        check_memmove(len, 1001, 2);
    }

    #[test]
    fn zero_length_touches_nothing() {
        let dangling = NonNull::<u8>::dangling().as_ptr();
        for p in [dangling, ptr::null_mut()] {
            // SAFETY: with `n == 0` these accept any pointer (contract).
            unsafe {
                assert_eq!(memcpy(p, p.wrapping_add(GUARD), 0), p);
                assert_eq!(memmove(p.wrapping_add(1), p, 0), p.wrapping_add(1));
                assert_eq!(memmove(p, p.wrapping_add(1), 0), p);
            }
        }
    }
}
