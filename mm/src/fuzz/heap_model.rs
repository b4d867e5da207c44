//! The model the `heap` fuzz body checks the heap against: the live
//! allocations, with what each must still hold.
//!
//! Every allocation is filled with a pattern keyed by its own key, except
//! for 8-byte runs the body wrote on purpose ("forged" words, such as a
//! copy of a real block header); the model remembers those. What an
//! allocation must hold is then known without a copy of it. Large
//! allocations are filled and checked at their two ends and at a stride in
//! between, so a multi-megabyte block costs a few thousand byte writes,
//! not millions.

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Allocations up to this size are filled and checked byte for byte.
const WHOLE: usize = 16 * 1024;
/// Larger ones: this many bytes at each end, and one byte per stride between.
const ENDS: usize = 4096;
const STRIDE: usize = 509;

/// One live allocation.
#[derive(Clone, Debug)]
pub struct Live {
    /// Its address.
    pub addr: usize,
    /// The size asked for.
    pub len: usize,
    /// Keys the fill pattern.
    pub key: u8,
    /// 8-byte runs written over the pattern, at these offsets (later ones win).
    pub forged: Vec<(usize, [u8; 8])>,
}

/// The byte the pattern puts at offset `i` of an allocation keyed `key`.
fn pattern(key: u8, i: usize) -> u8 {
    key.wrapping_mul(31) ^ (i as u8) ^ ((i >> 8) as u8).rotate_left(3)
}

/// The offsets of an allocation of `len` bytes that are filled and checked.
fn offsets(len: usize) -> impl Iterator<Item = usize> {
    let whole = len <= WHOLE;
    let head = if whole { len } else { ENDS };
    let middle = if whole { 0..0 } else { ENDS..len - ENDS };
    let tail = if whole { 0..0 } else { len - ENDS..len };
    (0..head).chain(middle.step_by(STRIDE)).chain(tail)
}

impl Live {
    /// What byte `i` must hold.
    fn expected(&self, i: usize) -> u8 {
        let forged = self.forged.iter().rev().find(|(at, _)| (*at..*at + 8).contains(&i));
        forged.map_or(pattern(self.key, i), |(at, bytes)| bytes[i - at])
    }

    /// Writes the pattern into the allocation.
    pub fn fill(&self) {
        let ptr = self.addr as *mut u8;
        for i in offsets(self.len) {
            // SAFETY: the model only holds live allocations the heap handed
            // out for at least `len` bytes, and `i < len`.
            unsafe { ptr.add(i).write(pattern(self.key, i)) };
        }
    }

    /// Panics unless the first `len` bytes hold what they must: the heap
    /// wrote into a live allocation, or lost its contents on a move.
    #[track_caller]
    pub fn verify_first(&self, addr: usize, len: usize, what: &str) {
        let ptr = addr as *const u8;
        let forged = self.forged.iter().flat_map(|(at, _)| *at..*at + 8);
        for i in offsets(self.len).chain(forged).filter(|&i| i < len.min(self.len)) {
            // SAFETY: `addr` is a live allocation of at least `len` bytes.
            let found = unsafe { ptr.add(i).read() };
            let expected = self.expected(i);
            assert!(
                found == expected,
                "{what}: byte {i} of the {}-byte allocation at {:#x} is {found:#04x}, \
                 expected {expected:#04x}",
                self.len,
                self.addr
            );
        }
    }

    /// [`verify_first`](Self::verify_first) over the whole allocation.
    #[track_caller]
    pub fn verify(&self, what: &str) {
        self.verify_first(self.addr, self.len, what);
    }

    /// Writes `bytes` at offset `at` (`at + 8 <= len`) and remembers them.
    pub fn forge(&mut self, at: usize, bytes: [u8; 8]) {
        let ptr = self.addr as *mut u8;
        // SAFETY: the allocation is live and `at + 8 <= len`.
        unsafe { ptr.add(at).copy_from_nonoverlapping(bytes.as_ptr(), 8) };
        self.forged.push((at, bytes));
    }
}

/// The live allocations, by address.
#[derive(Debug, Default)]
pub struct Model {
    live: BTreeMap<usize, Live>,
}

impl Model {
    /// How many allocations are live.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// The `i`-th live allocation by address (`i < len`).
    pub fn nth(&self, i: usize) -> &Live {
        self.live.values().nth(i).expect("index below len")
    }

    /// The live allocation at exactly `addr`, if any.
    pub fn at(&self, addr: usize) -> Option<&Live> {
        self.live.get(&addr)
    }

    /// The live allocation whose bytes (header excluded) hold `addr`, if any.
    pub fn holding(&self, addr: usize) -> Option<&Live> {
        let (_, live) = self.live.range(..=addr).next_back()?;
        (addr < live.addr + live.len.max(1)).then_some(live)
    }

    /// Adds `live`, which must not overlap any live allocation: the heap
    /// handed out memory it had handed out already.
    #[track_caller]
    pub fn insert(&mut self, live: Live) {
        let end = live.addr + live.len.max(1);
        if let Some((_, below)) = self.live.range(..live.addr).next_back() {
            assert!(
                below.addr + below.len.max(1) <= live.addr,
                "the heap handed out {:#x} ({} bytes), inside the live allocation at {:#x} \
                 ({} bytes)",
                live.addr,
                live.len,
                below.addr,
                below.len
            );
        }
        if let Some((_, above)) = self.live.range(live.addr..).next() {
            assert!(
                end <= above.addr,
                "the heap handed out {:#x} ({} bytes), overlapping the live allocation at \
                 {:#x}",
                live.addr,
                live.len,
                above.addr
            );
        }
        self.live.insert(live.addr, live);
    }

    /// Takes the allocation at `addr` out of the model.
    pub fn remove(&mut self, addr: usize) -> Live {
        self.live.remove(&addr).expect("a live allocation")
    }

    /// Every live allocation, by address.
    pub fn iter(&self) -> impl Iterator<Item = &Live> {
        self.live.values()
    }

    /// The allocation at `addr`, to forge words into.
    pub fn get_mut(&mut self, addr: usize) -> &mut Live {
        self.live.get_mut(&addr).expect("a live allocation")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_cover_small_blocks_and_sample_large_ones() {
        assert_eq!(offsets(5).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!(offsets(WHOLE).count(), WHOLE);
        let big: Vec<_> = offsets(1 << 20).collect();
        assert!(big.len() < 12_000 && big.contains(&0) && big.contains(&((1 << 20) - 1)));
        assert!(big.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn forged_bytes_win_over_the_pattern() {
        let mut buf = [0u64; 4];
        let mut live =
            Live { addr: buf.as_mut_ptr() as usize, len: 32, key: 7, forged: Vec::new() };
        live.fill();
        live.verify("fresh");
        live.forge(8, [1, 2, 3, 4, 5, 6, 7, 8]);
        live.verify("forged");
        assert_eq!(live.expected(9), 2);
        assert_eq!(live.expected(16), pattern(7, 16));
    }
}
