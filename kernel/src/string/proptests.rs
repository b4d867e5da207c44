//! Property tests: every function against a plain byte-loop model, over
//! random contents, lengths up to ~5000, misalignments and overlaps.
//!
//! The models are deliberately naive (one byte per step, a temporary
//! buffer for `memmove`) so that they are obviously right. Each test
//! compares the *whole* buffer with the model's, so the guard bytes around
//! the destination are checked as well.

use super::testutil::{GUARD, arena};
use super::*;
use proptest::prelude::*;

/// Lengths up to a few pages, to cross every size threshold.
const MAX_LEN: usize = 5000;

/// A buffer with room for `len` bytes at any offset `0..16` from an 8-aligned
/// base, filled with `fill` (cycled) and guarded; returns it and the base.
fn buffer(len: usize, fill: &[u8]) -> (Vec<u8>, usize) {
    let (mut buf, base) = arena(len + 8, 0);
    for (b, &f) in buf.iter_mut().zip(fill.iter().cycle()) {
        *b = f;
    }
    (buf, base)
}

/// Byte-loop model of C `memcmp`.
fn model_memcmp(a: &[u8], b: &[u8]) -> i32 {
    for (&x, &y) in a.iter().zip(b) {
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// Non-zero bytes: the body of a C string.
fn c_body(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1..=255u8, 0..max)
}

proptest! {
    #[test]
    fn memcpy_matches_model(
        src in prop::collection::vec(any::<u8>(), 0..MAX_LEN),
        so in 0..16usize, dof in 0..16usize, seed in any::<u8>(),
    ) {
        let len = src.len();
        let (mut s, sb) = buffer(len, &[seed]);
        s[sb + so..][..len].copy_from_slice(&src);
        let (mut d, db) = buffer(len, &[seed ^ 0x5a, 3]);
        let mut want = d.clone();
        for i in 0..len {
            want[db + dof + i] = src[i];
        }
        let before = s.clone();
        // SAFETY: both ranges lie inside their own buffers.
        unsafe { memcpy(d[db + dof..].as_mut_ptr(), s[sb + so..].as_ptr(), len) };
        prop_assert_eq!(d, want);
        prop_assert_eq!(s, before);
    }

    #[test]
    fn memmove_matches_model(
        fill in prop::collection::vec(any::<u8>(), 1..64),
        len in 0..MAX_LEN,
        from in 0..64usize,
        delta in prop_oneof![-17..=17isize, -6000..=6000isize],
    ) {
        // Both ranges fit after the base: `from` shifted up so that
        // `to = from + delta` is never negative.
        let from = from + delta.unsigned_abs();
        let to = from.checked_add_signed(delta).unwrap();
        let (mut buf, b) = buffer(from.max(to) + len, &fill);
        let mut want = buf.clone();
        let tmp: Vec<u8> = (0..len).map(|i| buf[b + from + i]).collect();
        for (i, &byte) in tmp.iter().enumerate() {
            want[b + to + i] = byte;
        }
        let base = buf[b..].as_mut_ptr();
        // SAFETY: both ranges lie inside `buf` after its base.
        unsafe { memmove(base.add(to), base.add(from), len) };
        prop_assert_eq!(buf, want);
    }

    #[test]
    fn memset_matches_model(len in 0..MAX_LEN, off in 0..16usize, c in any::<i32>()) {
        let (mut buf, b) = buffer(len, &[1, 2, 3]);
        let mut want = buf.clone();
        for i in 0..len {
            want[b + off + i] = c as u8;
        }
        // SAFETY: the range lies inside `buf`.
        unsafe { memset(buf[b + off..].as_mut_ptr(), c, len) };
        prop_assert_eq!(buf, want);
    }

    #[test]
    fn memcmp_and_bcmp_match_model(
        a in prop::collection::vec(any::<u8>(), 0..MAX_LEN),
        change in any::<Option<(prop::sample::Index, u8)>>(),
        ao in 0..8usize, bo in 0..8usize,
    ) {
        let len = a.len();
        let mut b = a.clone();
        if let (Some((pos, byte)), true) = (change, len > 0) {
            b[pos.index(len)] = byte;
        }
        let (mut abuf, ab) = buffer(len, &[0]);
        let (mut bbuf, bb) = buffer(len, &[0]);
        abuf[ab + ao..][..len].copy_from_slice(&a);
        bbuf[bb + bo..][..len].copy_from_slice(&b);
        let (pa, pb) = (abuf[ab + ao..].as_ptr(), bbuf[bb + bo..].as_ptr());
        // SAFETY: both ranges hold `len` bytes.
        let (m, bc) = unsafe { (memcmp(pa, pb, len), bcmp(pa, pb, len)) };
        prop_assert_eq!(m, model_memcmp(&a, &b));
        prop_assert_eq!(bc == 0, a == b);
    }

    #[test]
    fn strlen_and_strnlen_match_model(
        body in c_body(MAX_LEN), off in 0..16usize, max in 0..MAX_LEN + 16,
    ) {
        let len = body.len();
        let (mut buf, b) = buffer(len + 1, &[0x80, 0x7f, 1]);
        buf[b + off..][..len].copy_from_slice(&body);
        buf[b + off + len] = 0;
        let s = buf[b + off..].as_ptr();
        // SAFETY: `s` is terminated inside `buf`.
        prop_assert_eq!(unsafe { strlen(s) }, len);
        // SAFETY: as above; the bound only shortens the search.
        prop_assert_eq!(unsafe { strnlen(s, max) }, len.min(max));
    }

    #[test]
    fn strcmp_and_strncmp_match_model(
        a in prop::collection::vec(prop::sample::select(vec![1u8, 0x41, 0x7f, 0x80, 0xff]), 0..40),
        b in prop::collection::vec(prop::sample::select(vec![1u8, 0x41, 0x7f, 0x80, 0xff]), 0..40),
        n in 0..48usize,
    ) {
        // A small alphabet makes long common prefixes likely.
        let (ca, cb) = ([a.as_slice(), &[0]].concat(), [b.as_slice(), &[0]].concat());
        // SAFETY: both are terminated.
        let r = unsafe { strcmp(ca.as_ptr(), cb.as_ptr()) };
        prop_assert_eq!(r, model_memcmp(&ca, &cb)); // stops at the NUL anyway
        let k = n.min(ca.len()).min(cb.len());
        // SAFETY: terminated, and `n` only shortens the comparison.
        let rn = unsafe { strncmp(ca.as_ptr(), cb.as_ptr(), n) };
        prop_assert_eq!(rn, model_memcmp(&ca[..k], &cb[..k]));
    }

    #[test]
    fn strncpy_and_strcpy_match_model(body in c_body(300), n in 0..400usize, off in 0..8usize) {
        let len = body.len();
        let src = [body.as_slice(), &[0]].concat();
        let (mut d, db) = buffer(n.max(len + 1), &[0xee]);
        let mut want = d.clone();
        for i in 0..n {
            want[db + off + i] = if i < len { body[i] } else { 0 };
        }
        // SAFETY: `src` is terminated; `d` has room for `n` bytes.
        unsafe { strncpy(d[db + off..].as_mut_ptr(), src.as_ptr(), n) };
        prop_assert_eq!(&d, &want);

        let (mut d, db) = buffer(len + 1, &[0xee]);
        let mut want = d.clone();
        want[db + off..][..len + 1].copy_from_slice(&src);
        // SAFETY: `src` is terminated; `d` has room for it and its NUL.
        unsafe { strcpy(d[db + off..].as_mut_ptr(), src.as_ptr()) };
        prop_assert_eq!(d, want);
    }
}

#[test]
fn guard_is_kept_by_the_buffers() {
    // The property tests rely on it: a write just outside the region under
    // test must land in bytes the comparison sees.
    let (buf, base) = buffer(10, &[7]);
    assert!(base >= GUARD && buf.len() >= base + 8 + 10 + GUARD);
}
