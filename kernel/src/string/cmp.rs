//! `memcmp` and `bcmp`: compare a machine word at a time, then locate the
//! first differing byte inside the word that differs.
//!
//! Words are read as `[u8; N]` (alignment 1) and assembled little-endian,
//! so neither pointer needs any alignment and the byte at the lower address
//! is the less significant one. The lowest set bit of `a ^ b` then falls in
//! the first differing byte, which is compared as `unsigned char` as C
//! requires. Slice comparison is off limits in here: the compiler lowers it
//! to a call to `bcmp`/`memcmp`, that is, to these very functions.

use core::ffi::c_int;

/// Bytes compared per step: 4 in the kernel, 8 on the host.
const WORD: usize = size_of::<usize>();

/// Compares the first `n` bytes at `a` and `b` as `unsigned char`s (C
/// `memcmp`). Returns zero if they are equal, otherwise the difference
/// `a[i] - b[i]` at the first index `i` where they differ: negative when
/// `a` sorts first, positive when `b` does. Reads no byte beyond `n`, and
/// none beyond the word that holds the first difference.
///
/// # Safety
///
/// `a` and `b` must be valid for reads of `n` bytes (any pointer values
/// when `n == 0`). They may overlap.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    // SAFETY: the caller's guarantee, passed on unchanged.
    unsafe { compare(a, b, n) }
}

/// Returns zero if the first `n` bytes at `a` and `b` are equal and
/// non-zero otherwise (BSD `bcmp`, which LLVM calls for `==` on slices).
/// The non-zero value happens to be [`memcmp`]'s, but callers may rely
/// only on zero versus non-zero.
///
/// # Safety
///
/// As for [`memcmp`]: `a` and `b` valid for reads of `n` bytes.
#[cfg_attr(target_os = "none", unsafe(no_mangle))]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> c_int {
    // SAFETY: the caller's guarantee, passed on unchanged.
    unsafe { compare(a, b, n) }
}

/// The shared body of [`memcmp`] and [`bcmp`].
///
/// # Safety
///
/// `a` and `b` valid for reads of `n` bytes.
#[inline(always)]
unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> c_int {
    let mut i = 0;
    while n - i >= WORD {
        // SAFETY: `i + WORD <= n`, so both words lie in the caller's ranges.
        let (x, y) = unsafe { (load_word(a.add(i)), load_word(b.add(i))) };
        if x != y {
            // Round the bit index down to its byte: the first difference.
            let shift = (x ^ y).trailing_zeros() & !7;
            return byte_diff((x >> shift) as u8, (y >> shift) as u8);
        }
        i += WORD;
    }
    // At most WORD - 1 bytes remain.
    while i < n {
        // SAFETY: `i < n`, inside both ranges.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return byte_diff(x, y);
        }
        i += 1;
    }
    0
}

/// The word at `p`, its lowest-addressed byte least significant.
///
/// # Safety
///
/// `p` valid for reads of `WORD` bytes; any alignment.
#[inline(always)]
unsafe fn load_word(p: *const u8) -> usize {
    // SAFETY: `[u8; WORD]` has alignment 1, so this is a plain (possibly
    // unaligned) load of `WORD` bytes the caller guarantees readable.
    usize::from_le_bytes(unsafe { p.cast::<[u8; WORD]>().read() })
}

/// `x - y` as C compares them: both as `unsigned char`.
fn byte_diff(x: u8, y: u8) -> c_int {
    c_int::from(x) - c_int::from(y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::testutil::arena;
    use core::cmp::Ordering;
    use core::ptr::NonNull;

    /// The sign of a C comparison result as an `Ordering`.
    fn sign(r: c_int) -> Ordering {
        r.cmp(&0)
    }

    /// Compares `a` and `b` (equal lengths) with both functions and checks
    /// them against `Ord` on slices, with the exact byte difference.
    fn check(a: &[u8], b: &[u8]) {
        let n = a.len();
        // SAFETY: both slices hold `n` bytes.
        let (m, bc) =
            unsafe { (memcmp(a.as_ptr(), b.as_ptr(), n), bcmp(a.as_ptr(), b.as_ptr(), n)) };
        assert_eq!(sign(m), a.cmp(b), "memcmp {a:x?} vs {b:x?}");
        assert_eq!(bc == 0, a == b, "bcmp {a:x?} vs {b:x?}");
        let want = a.iter().zip(b).find(|(x, y)| x != y).map_or(0, |(&x, &y)| byte_diff(x, y));
        assert_eq!(m, want);
    }

    #[test]
    fn every_length_offset_and_difference_position() {
        for len in 0..64 {
            for off in 0..8 {
                let (a, ab) = arena(len, 3);
                let a = &a[ab + off..][..len];
                let mut b = a.to_vec();
                check(a, &b);
                for pos in 0..len {
                    for delta in [1u8, 0x80] {
                        b[pos] = a[pos].wrapping_add(delta);
                        check(a, &b);
                        check(&b, a);
                        // A later difference must not outvote this one.
                        if pos + 1 < len {
                            b[pos + 1] = a[pos + 1].wrapping_sub(delta);
                            check(a, &b);
                            b[pos + 1] = a[pos + 1];
                        }
                        b[pos] = a[pos];
                    }
                }
            }
        }
    }

    #[test]
    fn bytes_compare_unsigned() {
        // As signed chars 0x80 would sort below 0x01; C says unsigned.
        for len in [1, 3, 4, 8, 9, 17] {
            let mut a = vec![0x41; len];
            let mut b = a.clone();
            a[len - 1] = 0x80;
            b[len - 1] = 0x01;
            check(&a, &b);
            // SAFETY: both vectors hold `len` bytes.
            assert_eq!(unsafe { memcmp(a.as_ptr(), b.as_ptr(), len) }, 0x7f);
            // SAFETY: as above.
            assert_eq!(unsafe { memcmp(b.as_ptr(), a.as_ptr(), len) }, -0x7f);
        }
    }

    #[test]
    fn zero_length_is_equal_without_reading() {
        let p = NonNull::<u8>::dangling().as_ptr();
        // SAFETY: with `n == 0` nothing is read (contract).
        unsafe {
            assert_eq!(memcmp(p, core::ptr::null(), 0), 0);
            assert_eq!(bcmp(core::ptr::null(), p, 0), 0);
        }
    }

    #[test]
    fn stops_at_n() {
        let (a, b) = (*b"same-prefix-then-A", *b"same-prefix-then-B");
        // SAFETY: both arrays hold 18 bytes.
        unsafe {
            assert_eq!(memcmp(a.as_ptr(), b.as_ptr(), 17), 0);
            assert!(memcmp(a.as_ptr(), b.as_ptr(), 18) < 0);
        }
    }
}
