//! Helpers shared by the string tests: deterministic non-zero byte patterns
//! and buffers whose region under test starts at a known alignment, with
//! guard bytes on both sides that every test checks are left alone.

/// Bytes kept on each side of the region under test. Tests compare the
/// whole buffer with the expected one, so a stray write here is caught.
pub const GUARD: usize = 16;

/// `len` bytes in `1..=255` that vary with position and `seed`. None is
/// zero, so C-string tests place their NULs deliberately.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + usize::from(seed)) % 255) as u8 + 1).collect()
}

/// A patterned buffer able to hold `len` bytes at any offset `0..8` from
/// its 8-aligned base, with [`GUARD`] bytes on either side; returns it and
/// the base index. Offsets from the base therefore set the misalignment
/// exactly, whatever alignment the allocator happened to give.
pub fn arena(len: usize, seed: u8) -> (Vec<u8>, usize) {
    let buf = pattern(GUARD + 8 + 8 + len + GUARD, seed);
    let base = GUARD + buf[GUARD..].as_ptr().align_offset(8);
    (buf, base)
}
