//! The NUL-terminated string functions: `strlen`, `strnlen`, `strcmp`,
//! `strncmp`, `strcpy`, `strncpy`, and [`until_nul`] for the kernel's own
//! use on bounded buffers such as the Multiboot2 command line.
//!
//! Finding the terminator is the only bulk work, so it is the only part
//! done a word at a time: after reaching a word boundary byte by byte, each
//! aligned word is tested for a zero byte with the classic
//! `(w - 0x01..01) & !w & 0x80..80` trick. Those loads may run past the
//! terminator into bytes the string does not own, which is safe on the
//! machine (an aligned word never straddles a page, so it is mapped if its
//! first string byte is) but not in Rust's abstract machine; the load is
//! therefore an asm instruction the compiler cannot reason about. The
//! comparisons stop at the first difference and stay byte loops; the copies
//! measure first and then call [`memcpy`] and [`memset`].

use super::copy::memcpy;
use super::fill::memset;
use core::arch::asm;
use core::ffi::c_int;

/// Bytes tested per step: 4 in the kernel, 8 on the host.
const WORD: usize = size_of::<usize>();
/// `0x01` in every byte of a word.
const ONES: usize = usize::MAX / 0xff;
/// `0x80` in every byte of a word.
const HIGHS: usize = ONES << 7;
// The zero-byte index below is little-endian arithmetic.
const _: () = assert!(cfg!(target_endian = "little"));

/// Returns the number of bytes before the NUL that terminates `s` (C
/// `strlen`).
///
/// # Safety
///
/// `s` must point to a NUL-terminated string: every byte up to and
/// including the first NUL must be readable.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    // SAFETY: the string is terminated, so the search stops at its NUL
    // long before `usize::MAX` bytes.
    unsafe { find_nul(s, usize::MAX) }
}

/// Returns the number of bytes before the first NUL in `s`, or `max` if
/// there is none among the first `max` bytes (POSIX `strnlen`). Never
/// examines more than `max` bytes of `s`.
///
/// # Safety
///
/// `s` must be readable up to its first NUL or for `max` bytes, whichever
/// comes first; it need not be terminated. Any pointer when `max == 0`.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn strnlen(s: *const u8, max: usize) -> usize {
    // SAFETY: the caller's guarantee is `find_nul`'s.
    unsafe { find_nul(s, max) }
}

/// Compares two NUL-terminated strings byte by byte as `unsigned char` (C
/// `strcmp`): zero if equal, otherwise the difference of the first pair of
/// bytes that differ, so negative when `a` sorts first (a proper prefix
/// sorts first, its NUL being the smallest byte).
///
/// # Safety
///
/// `a` and `b` must both be NUL-terminated strings.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn strcmp(a: *const u8, b: *const u8) -> c_int {
    // SAFETY: the caller's guarantee, with no bound.
    unsafe { compare(a, b, usize::MAX) }
}

/// Like [`strcmp`], but compares at most `n` bytes (C `strncmp`): zero if
/// the strings agree up to their NUL or up to `n` bytes.
///
/// # Safety
///
/// `a` and `b` must each be readable up to their first NUL or for `n`
/// bytes, whichever comes first. Any pointers when `n == 0`.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn strncmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    // SAFETY: the caller's guarantee is `compare`'s.
    unsafe { compare(a, b, n) }
}

/// Copies the string `src`, its NUL included, to `dest` and returns `dest`
/// (C `strcpy`).
///
/// # Safety
///
/// `src` must be NUL-terminated, `dest` writable for `strlen(src) + 1`
/// bytes, and the two must not overlap. Nothing checks that `dest` is big
/// enough: prefer [`strncpy`] or slices wherever the size is known.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn strcpy(dest: *mut u8, src: *const u8) -> *mut u8 {
    // SAFETY: `src` is terminated, so its length and NUL are readable.
    let len = unsafe { strlen(src) };
    // SAFETY: `src` has `len + 1` readable bytes, `dest` room for them, and
    // the caller promises no overlap.
    unsafe { memcpy(dest, src, len + 1) }
}

/// Copies at most `n` bytes of the string `src` to `dest`, fills the rest
/// of the `n` bytes with NULs, and returns `dest` (C `strncpy`).
///
/// Exactly `n` bytes of `dest` are always written. If `src` has `n` or more
/// bytes before its NUL, `dest` is left **without** a terminator.
///
/// # Safety
///
/// `src` must be readable up to its first NUL or for `n` bytes, whichever
/// comes first; `dest` must be writable for `n` bytes; they must not
/// overlap. Any pointers when `n == 0`.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn strncpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees `src` readable this far.
    let len = unsafe { strnlen(src, n) };
    // SAFETY: `len <= n`: the first `len` bytes of `src` are readable and
    // fit in `dest`, which does not overlap `src`; the padding is the rest
    // of `dest`'s `n` bytes.
    unsafe {
        memcpy(dest, src, len);
        memset(dest.add(len), 0, n - len);
    }
    dest
}

/// The bytes of `buf` before its first NUL, or all of `buf` if it holds
/// none: the C string in a fixed-size field, without reading past it.
pub fn until_nul(buf: &[u8]) -> &[u8] {
    // SAFETY: a slice is readable for its whole length.
    let len = unsafe { strnlen(buf.as_ptr(), buf.len()) };
    // `len <= buf.len()` always; the `min` just lets the compiler see it
    // and drop the panic path of the slice index.
    &buf[..len.min(buf.len())]
}

/// The index of the first NUL among the first `max` bytes at `s`, or `max`.
///
/// # Safety
///
/// `s` readable up to its first NUL or for `max` bytes, whichever is
/// first; bytes after those may be unmapped.
#[inline(always)]
unsafe fn find_nul(s: *const u8, max: usize) -> usize {
    let head = (s as usize).wrapping_neg() % WORD;
    let mut i = 0;
    while i < head.min(max) {
        // SAFETY: no NUL before `i` and `i < max`, so byte `i` is readable.
        if unsafe { *s.add(i) } == 0 {
            return i;
        }
        i += 1;
    }
    // `s + i` is now word-aligned (or `i == max` and the loop is skipped).
    while i < max {
        // SAFETY: as above, byte `i` is readable, and it starts an aligned
        // word, which lies in the same page.
        let w = unsafe { load_aligned_word(s.add(i)) };
        // Flags the first zero byte exactly; a borrow out of it can set a
        // false flag only above it, so the lowest flag is the answer.
        let zeros = w.wrapping_sub(ONES) & !w & HIGHS;
        if zeros != 0 {
            return max.min(i + zeros.trailing_zeros() as usize / 8);
        }
        i += WORD;
    }
    max
}

/// Reads the word at `p` with an instruction the compiler cannot see into,
/// so that reading past the end of the string's object is not undefined.
///
/// # Safety
///
/// `p` must be word-aligned and its first byte readable: then the whole
/// word is in the same page, and mapped.
#[inline(always)]
unsafe fn load_aligned_word(p: *const u8) -> usize {
    let w: usize;
    // SAFETY: one aligned load of a mapped word (see the contract); no
    // write, no stack, no flags.
    unsafe {
        asm!("mov {w}, [{p}]", w = lateout(reg) w, p = in(reg) p,
             options(readonly, nostack, preserves_flags));
    }
    w
}

/// The shared body of [`strcmp`] and [`strncmp`].
///
/// # Safety
///
/// `a` and `b` readable up to their first NUL or for `n` bytes.
#[inline(always)]
unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> c_int {
    for i in 0..n {
        // SAFETY: `i < n` and neither string has ended before `i`.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y || x == 0 {
            return c_int::from(x) - c_int::from(y);
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::testutil::{GUARD, arena, pattern};
    use core::cmp::Ordering;
    use core::ffi::CStr;
    use core::ptr::NonNull;

    /// A buffer holding a `len`-byte string at `base + off`, followed by
    /// its NUL and then more non-zero bytes; returns it and the string's
    /// index.
    fn c_string_at(len: usize, off: usize, seed: u8) -> (Vec<u8>, usize) {
        let (mut buf, base) = arena(len + 1, seed);
        buf[base + off + len] = 0;
        (buf, base + off)
    }

    /// The sign of a C comparison result as an `Ordering`.
    fn sign(r: c_int) -> Ordering {
        r.cmp(&0)
    }

    /// `strcmp` on two terminated byte strings, checked against `CStr`'s
    /// `Ord` (plain byte order, unsigned).
    fn check_strcmp(a: &[u8], b: &[u8]) -> c_int {
        let (ca, cb) =
            (CStr::from_bytes_with_nul(a).unwrap(), CStr::from_bytes_with_nul(b).unwrap());
        // SAFETY: both are terminated.
        let r = unsafe { strcmp(a.as_ptr(), b.as_ptr()) };
        assert_eq!(sign(r), ca.cmp(cb), "strcmp {a:x?} vs {b:x?}");
        r
    }

    #[test]
    fn strlen_every_length_and_offset() {
        for len in 0..64 {
            for off in 0..8 {
                let (buf, s) = c_string_at(len, off, 11);
                let want = CStr::from_bytes_until_nul(&buf[s..]).unwrap().count_bytes();
                // SAFETY: a NUL follows the string inside `buf`.
                assert_eq!(unsafe { strlen(buf[s..].as_ptr()) }, want);
                assert_eq!(want, len);
            }
        }
    }

    #[test]
    fn strlen_with_nul_as_last_byte_of_allocation() {
        for len in 0..40 {
            let mut exact = pattern(len + 1, 5).into_boxed_slice();
            exact[len] = 0;
            // SAFETY: terminated inside the allocation.
            assert_eq!(unsafe { strlen(exact.as_ptr()) }, len);
        }
    }

    #[test]
    fn strnlen_stops_at_max_or_nul() {
        for len in 0..40 {
            for off in 0..8 {
                let (buf, s) = c_string_at(len, off, 17);
                for max in 0..len + 12 {
                    // SAFETY: readable up to the NUL and beyond it.
                    let got = unsafe { strnlen(buf[s..].as_ptr(), max) };
                    assert_eq!(got, len.min(max), "len {len} +{off} max {max}");
                }
            }
        }
        let unterminated = pattern(23, 1);
        // SAFETY: exactly `max` readable bytes, none of them NUL.
        assert_eq!(unsafe { strnlen(unterminated.as_ptr(), 23) }, 23);
        // SAFETY: with `max == 0` nothing is read.
        assert_eq!(unsafe { strnlen(NonNull::dangling().as_ptr(), 0) }, 0);
    }

    #[test]
    fn until_nul_trims_at_first_nul_only() {
        assert_eq!(until_nul(b"root=/dev/sda1 quiet\0\0junk\0"), b"root=/dev/sda1 quiet");
        assert_eq!(until_nul(b"no terminator"), b"no terminator");
        assert_eq!(until_nul(b"\0rest"), b"");
        assert_eq!(until_nul(b""), b"");
    }

    #[test]
    fn strcmp_orders_as_unsigned_bytes() {
        assert_eq!(check_strcmp(b"\0", b"\0"), 0);
        assert_eq!(check_strcmp(b"kernel\0", b"kernel\0"), 0);
        assert!(check_strcmp(b"kern\0", b"kernel\0") < 0); // prefix first
        assert!(check_strcmp(b"kernel\0", b"kern\0") > 0);
        assert!(check_strcmp(b"\x80\0", b"\x01\0") > 0); // not signed char
        assert_eq!(check_strcmp(b"a\x80\0", b"a\x01\0"), 0x7f);
        // Bytes after the terminators do not count.
        // SAFETY: both are terminated within the literal.
        let r = unsafe { strcmp(b"same\0xyz".as_ptr(), b"same\0abc".as_ptr()) };
        assert_eq!(r, 0);
    }

    #[test]
    fn strcmp_difference_at_every_position() {
        for len in 1..40 {
            let mut a = pattern(len + 1, 2);
            a[len] = 0;
            for pos in 0..len {
                let mut b = a.clone();
                b[pos] = if a[pos] == 0xff { 1 } else { 0xff };
                check_strcmp(&a, &b);
                check_strcmp(&b, &a);
            }
        }
    }

    #[test]
    fn strncmp_stops_at_n_and_at_nul() {
        let (a, b) = (c"console=ttyS0", c"console=tty1");
        let (a, b): (*const u8, *const u8) = (a.as_ptr().cast(), b.as_ptr().cast());
        // SAFETY: both literals are terminated, and `n` bytes or the NUL
        // come first in each call below.
        unsafe {
            assert_eq!(strncmp(a, b, 0), 0);
            assert_eq!(strncmp(a, b, 11), 0); // "console=tty" both
            assert!(strncmp(a, b, 12) > 0); // 'S' > '1'
            assert!(strncmp(b, a, 100) < 0);
            assert_eq!(strncmp(b"ab\0x".as_ptr(), b"ab\0y".as_ptr(), 4), 0);
            assert!(strncmp(c"ab".as_ptr().cast(), b"abc".as_ptr(), 3) < 0);
            assert!(strncmp(b"\x80".as_ptr(), b"\x01".as_ptr(), 1) > 0);
            let p = NonNull::<u8>::dangling().as_ptr();
            assert_eq!(strncmp(p, core::ptr::null(), 0), 0);
        }
    }

    #[test]
    fn strcpy_copies_through_the_nul_and_no_further() {
        for len in 0..40 {
            for off in 0..8 {
                let (src, s) = c_string_at(len, 3, 23);
                let (mut dst, d) = arena(len + 1, 71);
                let mut want = dst.clone();
                want[d + off..][..len + 1].copy_from_slice(&src[s..][..len + 1]);
                let p = dst[d + off..].as_mut_ptr();
                // SAFETY: `src` is terminated; `dst` has room and is a
                // different buffer.
                let ret = unsafe { strcpy(p, src[s..].as_ptr()) };
                assert_eq!(ret, p);
                assert_eq!(dst, want, "strcpy len {len} dst+{off}");
            }
        }
    }

    #[test]
    fn strncpy_pads_with_nuls_or_leaves_unterminated() {
        for len in 0..24 {
            for n in 0..len + 10 {
                let (src, s) = c_string_at(len, 1, 29);
                let (mut dst, d) = arena(n, 61);
                let mut want = dst.clone();
                let copied = len.min(n);
                want[d..][..copied].copy_from_slice(&src[s..][..copied]);
                want[d + copied..d + n].fill(0);
                let p = dst[d..].as_mut_ptr();
                // SAFETY: `src` is terminated; `dst` has `n` bytes of room.
                let ret = unsafe { strncpy(p, src[s..].as_ptr(), n) };
                assert_eq!(ret, p);
                assert_eq!(dst, want, "strncpy len {len} n {n}");
                // No terminator exactly when the string fills all `n`.
                assert_eq!(dst[d..d + n].contains(&0), len < n);
            }
        }
    }

    #[test]
    fn strncpy_reads_an_unterminated_source_only_up_to_n() {
        let src = pattern(12, 9).into_boxed_slice(); // no NUL anywhere
        let mut dst = [0xeeu8; 12 + GUARD];
        // SAFETY: `src` has exactly `n` readable bytes; `dst` has room.
        unsafe { strncpy(dst.as_mut_ptr(), src.as_ptr(), 12) };
        assert_eq!(dst[..12], src[..]);
        assert!(dst[12..].iter().all(|&b| b == 0xee));
    }
}
