//! The freestanding string functions, run in the kernel: called directly,
//! and through the calls the compiler itself emits (`core::ptr::copy` and
//! friends become `memmove`/`memcpy`/`memset`/`bcmp` here, which are ours:
//! the kernel is built without compiler_builtins' versions).
//!
//! References are byte loops over volatile accesses, so the compiler cannot
//! turn them into calls to the very functions under test.

use crate::selftest::{TestResult, ktest};
use crate::string::{memcmp, memcpy, memmove, memset, strcmp, strcpy, strlen, strncmp, strncpy};
use crate::{ensure, ensure_eq};

const LEN: usize = 300;

fn fill(buf: &mut [u8], seed: u8) {
    for (i, b) in buf.iter_mut().enumerate() {
        // SAFETY: `b` is a valid reference.
        unsafe { core::ptr::write_volatile(b, seed.wrapping_add((i * 7) as u8)) };
    }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    // SAFETY: both indices are in bounds.
    a.len() == b.len()
        && (0..a.len())
            .all(|i| unsafe { core::ptr::read_volatile(&a[i]) == core::ptr::read_volatile(&b[i]) })
}

#[ktest]
fn memcpy_and_memset_at_every_alignment() -> TestResult {
    let mut src = [0u8; LEN + 8];
    fill(&mut src, 1);
    for offset in 0..8 {
        for len in [0, 1, 3, 4, 7, 8, 31, 64, 255, LEN - 8] {
            let mut dst = [0xEEu8; LEN + 16];
            // SAFETY: `len + offset + 8 <= LEN + 16` and `len + offset <= LEN + 8`.
            unsafe { memcpy(dst.as_mut_ptr().add(offset + 8), src.as_ptr().add(offset), len) };
            ensure!(
                same(&dst[offset + 8..offset + 8 + len], &src[offset..offset + len]),
                "memcpy {len} at {offset}"
            );
            ensure!(
                dst[..offset + 8].iter().all(|&b| b == 0xEE),
                "memcpy wrote before the destination"
            );
            ensure!(
                dst[offset + 8 + len..].iter().all(|&b| b == 0xEE),
                "memcpy wrote past the destination"
            );
            // SAFETY: as above.
            unsafe { memset(dst.as_mut_ptr().add(offset), 0x5A, len) };
            ensure!(
                dst[offset..offset + len].iter().all(|&b| b == 0x5A),
                "memset {len} at {offset}"
            );
        }
    }
    Ok(())
}

#[ktest]
fn memmove_handles_overlap_both_ways() -> TestResult {
    for distance in 1..=16 {
        for forward in [true, false] {
            let mut buf = [0u8; LEN];
            fill(&mut buf, 9);
            let mut expected = [0u8; LEN];
            let (from, to, len) =
                if forward { (0, distance, LEN - 16) } else { (distance, 0, LEN - 16) };
            // Reference: copy through a temporary, byte by byte.
            let mut tmp = [0u8; LEN];
            for i in 0..LEN {
                // SAFETY: in bounds.
                unsafe {
                    core::ptr::write_volatile(&mut expected[i], core::ptr::read_volatile(&buf[i]))
                };
            }
            for i in 0..len {
                // SAFETY: in bounds.
                unsafe {
                    core::ptr::write_volatile(&mut tmp[i], core::ptr::read_volatile(&buf[from + i]))
                };
            }
            for i in 0..len {
                // SAFETY: in bounds.
                unsafe {
                    core::ptr::write_volatile(
                        &mut expected[to + i],
                        core::ptr::read_volatile(&tmp[i]),
                    )
                };
            }
            // SAFETY: both ranges are inside `buf`; memmove allows overlap.
            unsafe { memmove(buf.as_mut_ptr().add(to), buf.as_ptr().add(from), len) };
            ensure!(same(&buf, &expected), "memmove distance {distance} forward {forward}");
        }
    }
    // DF must be clear after a backward move (the ABI requires it).
    let flags: u32;
    // SAFETY: reading EFLAGS.
    unsafe { core::arch::asm!("pushfd; pop {}", out(reg) flags) };
    ensure_eq!(flags & (1 << 10), 0, "direction flag left set");
    Ok(())
}

#[ktest]
fn memcmp_orders_bytes_as_unsigned() -> TestResult {
    let a = *b"kernel memory\x80";
    let mut b = a;
    // SAFETY: 14 readable bytes in each.
    ensure_eq!(unsafe { memcmp(a.as_ptr(), b.as_ptr(), a.len()) }, 0);
    b[13] = 0x01;
    // SAFETY: as above.
    ensure!(unsafe { memcmp(a.as_ptr(), b.as_ptr(), a.len()) } > 0, "0x80 must compare above 0x01");
    // SAFETY: as above.
    ensure_eq!(unsafe { memcmp(a.as_ptr(), b.as_ptr(), 13) }, 0, "n stops the comparison");
    // The compiler's own slice comparison goes through our bcmp/memcmp.
    ensure!(a[..] != b[..] && a[..13] == b[..13]);
    Ok(())
}

#[ktest]
fn c_strings() -> TestResult {
    let hello = b"hello\0";
    let help = b"help\0";
    // SAFETY: NUL-terminated byte strings.
    unsafe {
        ensure_eq!(strlen(hello.as_ptr()), 5);
        ensure_eq!(strlen(c"".as_ptr().cast()), 0);
        ensure!(strcmp(hello.as_ptr(), help.as_ptr()) < 0, "'l' < 'p'");
        ensure_eq!(strcmp(hello.as_ptr(), hello.as_ptr()), 0);
        ensure_eq!(strncmp(hello.as_ptr(), help.as_ptr(), 3), 0);
        ensure!(strncmp(hello.as_ptr(), help.as_ptr(), 4) < 0);
        let mut buf = [0xEEu8; 10];
        strcpy(buf.as_mut_ptr(), hello.as_ptr());
        ensure_eq!(&buf[..7], b"hello\0\xEE");
        strncpy(buf.as_mut_ptr(), help.as_ptr(), 8);
        ensure_eq!(&buf[..9], b"help\0\0\0\0\xEE", "strncpy pads with NULs up to n");
    }
    Ok(())
}

/// `core` code compiled for the kernel calls memcpy/memset/memmove: the
/// copy of a large array and `fill` must work through our symbols.
#[ktest]
fn compiler_generated_calls_reach_our_functions() -> TestResult {
    let mut big = [0u32; 1024];
    for (i, w) in big.iter_mut().enumerate() {
        *w = i as u32 * 3;
    }
    let copy = core::hint::black_box(big);
    ensure_eq!(copy[1023], 3069);
    let mut bytes = [0u8; 777];
    bytes.fill(core::hint::black_box(0x11));
    ensure!(bytes.iter().all(|&b| b == 0x11));
    bytes.copy_within(0..700, 77);
    ensure_eq!(bytes[776], 0x11);
    Ok(())
}
