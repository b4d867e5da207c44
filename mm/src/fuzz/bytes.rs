//! [`Bytes`]: the fuzzer's input read as a stream of choices.
//!
//! Every fuzz body decodes its operations from the input with this reader,
//! so an input means the same run on every replay. Past the end of the
//! input every read returns zero, so any byte string, even an empty one, is
//! a complete input: libFuzzer may cut or splice inputs anywhere.
//!
//! A hand-written reader rather than the `arbitrary` crate: the bodies live
//! in `mm` and the kernel crate, which depend on nothing beyond their chosen
//! crates, and the byte format of the corpus files kept in the repository
//! stays ours, unchanged by a dependency's update.

/// A cursor over fuzzer input.
#[derive(Clone, Debug)]
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    /// Reads `data` from its start.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// Whether the input is used up (every further read returns zero).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next `N` bytes, zero-padded past the end.
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let n = N.min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        out
    }

    /// The next byte.
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }

    /// The next four bytes, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    /// The next eight bytes, little-endian.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    /// A number below `n` (0 if `n` is 0 or 1), reading only as many bytes
    /// as `n` needs: one below 256, two below 65536, else four.
    pub fn below(&mut self, n: u32) -> u32 {
        match n {
            0 | 1 => 0,
            2..=256 => u32::from(self.u8()) % n,
            257..=65536 => u32::from(self.u16()) % n,
            _ => self.u32() % n,
        }
    }

    /// A number in `lo..=hi` (`lo` if `hi < lo`).
    pub fn in_range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi.saturating_sub(lo)).saturating_add(1))
    }

    /// An index into something with `len` elements (0 if it has none).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(u32::try_from(len).unwrap_or(u32::MAX)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_then_zeros() {
        let mut b = Bytes::new(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(b.u8(), 1);
        assert_eq!(b.u16(), 0x0302);
        assert_eq!(b.u32(), 0x0706_0504);
        assert!(b.is_empty());
        assert_eq!(b.u64(), 0);
        // A read past the end takes what is left and pads with zeros.
        let mut b = Bytes::new(&[0xaa, 0xbb]);
        assert_eq!(b.u32(), 0xbbaa);
    }

    #[test]
    fn below_reads_only_what_it_needs() {
        let mut b = Bytes::new(&[7, 9, 0xff, 0xff, 1, 0, 0, 0]);
        assert_eq!(b.below(5), 2);
        assert_eq!(b.below(1), 0);
        assert_eq!(b.below(256), 9);
        assert_eq!(b.below(65536), 0xffff);
        assert_eq!(b.below(1 << 20), 1);
        assert_eq!(b.in_range(3, 3), 3);
        assert_eq!(b.index(0), 0);
    }
}
