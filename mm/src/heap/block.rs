//! The block layout: what every block of the heap looks like in memory, and
//! how a request in bytes becomes a block size.
//!
//! Blocks tile the mapped part of the region exactly, from offset 0 to the
//! mapped top. Every block starts with an 8-byte header; positions are
//! offsets from the region's base stored as `u32` (the region is at most
//! 512 MiB), so the same layout works with 32- and 64-bit pointers.
//!
//! ```text
//!   used block                        free block, size > 16          free block, size 16
//!  +0 +------------------------+    +0 +------------------------+    +0 +----------+
//!     | check word (below)     |       | check word             |       | check    |
//!  +4 |Q 0 size | PM | PF | 1 |    +4 |0 0 size | PM | PF | 0 |    +4 | size, 0  |
//!  +8 +------------------------+    +8 +------------------------+    +8 +----------+
//!     | payload                |       | next free  (u32 offset)|       | next     |
//!     |  (8-byte aligned)      |   +12 | prev free  (u32 offset)|   +12 | prev     |
//!     |                        |   +16 +------------------------+   +16 +----------+
//!     | [debug: canary bytes   |       | (poison in debug mode) |     no footer: the
//!     |  0xFD after the request|       |                        |     next header says
//!     |  size; u32 requested   |  s-4  +------------------------+     PREV_MIN instead
//!     |  size in the last word]|       | footer: size           |
//!  s  +------------------------+    s  +------------------------+
//!
//!   size word: bit  31    Q  quarantined (corruption seen; never reused)
//!              bit  30       always 0
//!              bits 29..3    block size in bytes (multiple of 8, >= 16)
//!              bit  2     PM the previous block is free and 16 bytes long
//!              bit  1     PF the previous block is free (its footer holds its size)
//!              bit  0        used
//! ```
//!
//! The footer and the two PREV bits make merging with both neighbours
//! constant-time (boundary tags); used blocks need no footer, so the
//! overhead of an allocation is its 8-byte header plus rounding to 8.
//!
//! A header's first word is its *check word*, [`check_word`]: not one
//! constant magic but a value computed from the header's own offset and a
//! per-boot key. Data written into a payload (the bytes of another header
//! copied there, a constant that once was the magic) therefore never
//! passes for a header where it lies, except by a 1-in-2^29 accident that
//! changes from boot to boot; a free of a pointer into such a payload is
//! still an interior pointer.

/// The low three bits of every check word (and of every key). No fill the
/// heap writes has them: zero (an erased header), poison `0xDD`, canary
/// `0xFD` (both `..101`) and the arena's unmapped fill `0x6B` (`..011`),
/// so none of those ever reads as a header.
pub const CHECK_LOW: u32 = 0b001;

/// The heap's key for check words, from the page source's per-boot
/// secret: the secret mixed (murmur3's finaliser, so that a secret with
/// few changing bits, like a cycle count, changes them all) with its low
/// three bits set to [`CHECK_LOW`].
pub const fn check_key(secret: u32) -> u32 {
    let mut z = secret ^ (secret >> 16);
    z = z.wrapping_mul(0x85EB_CA6B);
    z ^= z >> 13;
    z = z.wrapping_mul(0xC2B2_AE35);
    z ^= z >> 16;
    (z & !0b111) | CHECK_LOW
}

/// The check word of a header at offset `off` (a multiple of 8) under
/// `key` (from [`check_key`]): one xor, so distinct for every offset (the
/// key is random, so which words are check words changes from boot to
/// boot), and never zero or a repeated fill byte (see [`CHECK_LOW`]).
#[inline(always)]
pub const fn check_word(off: u32, key: u32) -> u32 {
    off ^ key
}
/// Bytes of header before every payload.
pub const HEADER: u32 = 8;
/// Every block size and every payload address is a multiple of this.
pub const GRAIN: u32 = 8;
/// The smallest block: a header and two free-list links.
pub const MIN_BLOCK: u32 = 16;
/// The largest alignment [`Heap::malloc_aligned`](super::Heap::malloc_aligned) supports.
pub const MAX_ALIGN: usize = 4096;
/// The page size the heap grows and shrinks by.
pub const PAGE: u32 = 4096;
/// log2 of the largest region the heap manages (512 MiB); offsets and
/// sizes fit in 30 bits, leaving the size word's top two bits for flags.
pub const MAX_REGION_LOG2: u32 = 29;
/// The largest region, and so the largest block.
pub const MAX_REGION: u32 = 1 << MAX_REGION_LOG2;

/// Whether the `heap-debug` feature (poison and canaries) is on.
pub const DEBUG: bool = cfg!(feature = "heap-debug");
/// Byte that fills free memory in debug mode.
pub const POISON: u8 = 0xDD;
/// Byte that fills the slack after a request in debug mode.
pub const CANARY: u8 = 0xFD;
/// Bytes a used block needs beyond its request in debug mode: at least one
/// canary byte and the `u32` requested size in the block's last word.
pub const DEBUG_TRAILER: u32 = if DEBUG { 5 } else { 0 };

/// Size-word bit: the block is in use.
pub const USED: u32 = 1 << 0;
/// Size-word bit: the previous block is free and has a footer.
pub const PREV_FREE: u32 = 1 << 1;
/// Size-word bit: the previous block is free and exactly [`MIN_BLOCK`] long.
pub const PREV_MIN: u32 = 1 << 2;
/// Both previous-block bits.
pub const PREV_BITS: u32 = PREV_FREE | PREV_MIN;
/// Size-word bit (with `USED`): the block was taken out of circulation after corruption.
pub const QUARANTINED: u32 = 1 << 31;
/// The size part of a size word (bit 30 is always 0).
pub const SIZE_MASK: u32 = (MAX_REGION << 1) - GRAIN;
/// The state part of a size word: a block in use has exactly `USED` here.
pub const STATE: u32 = !(SIZE_MASK | PREV_BITS);
/// A free-list link that points nowhere. Chosen 8-aligned and 16 below
/// 2^32, so one test accepts it along with every in-heap block:
/// `link % 8 == 0 && link.wrapping_add(16) <= mapped`.
pub const NIL: u32 = u32::MAX - (MIN_BLOCK - 1);

/// Offset of the size word in a header.
pub const SIZE_AT: u32 = 4;
/// Offset of the next-free link in a free block.
pub const NEXT_AT: u32 = 8;
/// Offset of the prev-free link in a free block.
pub const PREV_AT: u32 = 12;

const _: () = assert!(HEADER.is_multiple_of(GRAIN) && MIN_BLOCK == HEADER + 8);
const _: () = assert!(CHECK_LOW < GRAIN);
const _: () = assert!(PAGE as usize >= MAX_ALIGN && PAGE.is_power_of_two());
const _: () =
    assert!(STATE == USED | 1 << 30 | QUARANTINED && MAX_REGION & SIZE_MASK == MAX_REGION);
const _: () = assert!(NIL.is_multiple_of(GRAIN) && NIL.wrapping_add(MIN_BLOCK) == 0);

/// The previous-block bits that the block after a free block of `size` bytes carries.
#[inline(always)]
pub const fn prev_bits_for(size: u32) -> u32 {
    if size == MIN_BLOCK { PREV_FREE | PREV_MIN } else { PREV_FREE }
}

/// The block size that holds a request of `req` bytes (0 counts as 1), or
/// `None` if the rounding overflows or the block would exceed [`MAX_REGION`].
/// Never wraps.
#[inline(always)]
pub const fn block_size(req: usize) -> Option<u32> {
    let req = if req == 0 { 1 } else { req };
    let Some(total) = req.checked_add((HEADER + DEBUG_TRAILER + GRAIN - 1) as usize) else {
        return None;
    };
    let total = total & !(GRAIN as usize - 1);
    if total > MAX_REGION as usize {
        return None;
    }
    let total = total as u32;
    Some(if total < MIN_BLOCK { MIN_BLOCK } else { total })
}

/// The bytes a caller may use in a block of `size` bytes outside debug mode.
#[inline(always)]
pub const fn payload_capacity(size: u32) -> u32 {
    size - HEADER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sizes_round_to_the_grain_with_the_header() {
        let extra = DEBUG_TRAILER as usize;
        assert_eq!(block_size(0), block_size(1));
        assert_eq!(block_size(1), Some(MIN_BLOCK.max((9 + extra as u32 + 7) & !7)));
        assert_eq!(block_size(8 - extra), Some(16));
        assert_eq!(block_size(9 - extra), Some(24));
        assert_eq!(block_size(400), Some(((408 + extra as u32) + 7) & !7));
        assert_eq!(block_size(usize::MAX), None);
        assert_eq!(block_size(usize::MAX - 7), None);
        assert_eq!(block_size(MAX_REGION as usize), None);
        assert!(block_size(MAX_REGION as usize - 16).is_some());
    }

    #[test]
    fn check_words_are_distinct_per_offset_and_never_a_fill() {
        for secret in [0, 1, 0xDEAD_BEEF, u32::MAX] {
            let key = check_key(secret);
            let words: std::collections::HashSet<u32> =
                (0..1 << 16).map(|i| check_word(i * GRAIN, key)).collect();
            assert_eq!(words.len(), 1 << 16, "two offsets share a check word");
            for fill in [0u8, POISON, CANARY, 0x6B] {
                assert!(!words.contains(&u32::from_ne_bytes([fill; 4])), "fill {fill:#x}");
            }
            assert!(words.iter().all(|w| w & 0b111 == CHECK_LOW));
        }
        assert_ne!(check_key(1), check_key(2), "the secret changes the key");
        assert_ne!(check_word(8, check_key(1)), check_word(8, check_key(2)));
    }

    #[test]
    fn prev_bits_mark_minimum_blocks() {
        assert_eq!(prev_bits_for(16), PREV_FREE | PREV_MIN);
        assert_eq!(prev_bits_for(24), PREV_FREE);
    }
}
