//! `check`: verifies every invariant of the heap, without allocating and
//! without writing, in time linear in the heap (plus the debug-mode bytes).
//!
//! The walk checks that the blocks tile `0..mapped` exactly with valid
//! headers, that every header's previous-block bits describe its
//! neighbour, that no two free blocks touch, that footers repeat sizes,
//! that the top chunk is where the heap says, ends at the top and is the
//! only free block there, and (debug mode) canaries and poison. The lists are then walked: every entry
//! must be a free block of the list's class with links that point back, and
//! every bitmap bit must match its list. The multiset of free blocks on the
//! lists must equal the free blocks of the walk: equal counts and equal sums
//! of a 64-bit hash of each offset (a missed or extra block would have to
//! collide in a 64-bit mix to slip through).

use super::Heap;
use super::block::{
    DEBUG, HEADER, MIN_BLOCK, NIL, PREV_BITS, QUARANTINED, SIZE_AT, USED, prev_bits_for,
};
use super::class::{self, FL_COUNT, SL_COUNT};
use super::error::{Corruption, HeapError};
use super::lists::HEAD;
use super::source::PageSource;
use super::validate::Owned;
use super::walk::Walk;

/// A 64-bit mix of an offset (splitmix64's finaliser).
fn mix(off: u32) -> u64 {
    let mut z = (off as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What the walk of the blocks found.
#[derive(Default)]
struct Tally {
    free: u32,
    free_hash: u64,
    used_bytes: u32,
    live: u32,
    quarantined: u32,
}

impl<S: PageSource> Heap<S> {
    /// Verifies every invariant; the first violation found is returned with
    /// the address where it was found. Never writes, never allocates.
    pub fn check(&self) -> Result<(), HeapError> {
        let tally = self.check_blocks()?;
        let (count, hash) = self.check_lists(tally.free)?;
        if count != tally.free || hash != tally.free_hash {
            let what = Corruption::ListsDisagree { in_lists: count, in_heap: tally.free };
            return Err(HeapError::Corrupted { addr: self.addr(0), what });
        }
        let counters = [
            ("used_bytes", self.used_bytes, tally.used_bytes),
            ("live", self.live, tally.live),
            ("quarantined", self.quarantined, tally.quarantined),
        ];
        for (name, recorded, counted) in counters {
            if recorded != counted {
                let what = Corruption::Counter { name, recorded, counted };
                return Err(HeapError::Corrupted { addr: self.addr(0), what });
            }
        }
        Ok(())
    }

    /// Walks the blocks and checks each against its neighbour.
    fn check_blocks(&self) -> Result<Tally, HeapError> {
        let top_error = |why| {
            Err(HeapError::Corrupted { addr: self.addr(self.top), what: Corruption::Top { why } })
        };
        if self.top > self.mapped || !self.top.is_multiple_of(8) {
            return top_error("its offset is not inside the heap");
        }
        let fresh_from = if self.top == self.mapped { self.mapped } else { self.top + MIN_BLOCK };
        if DEBUG && !(fresh_from..=self.mapped).contains(&self.fresh) {
            return top_error("its never-used part starts inside its header or above the heap");
        }
        let mut tally = Tally::default();
        let mut prev_free: Option<u32> = None;
        let mut met_top = false;
        let mut walk = Walk::new();
        while let Some(seen) = walk.next(self) {
            let seen = seen?;
            let (off, size) = (seen.off, seen.size());
            let corrupt = |what| Err(HeapError::Corrupted { addr: self.addr(off), what });
            let expected = prev_free.map_or(0, prev_bits_for);
            if seen.word & PREV_BITS != expected {
                return corrupt(Corruption::PrevBits { found: seen.word & PREV_BITS, expected });
            }
            if seen.used() {
                if seen.word & QUARANTINED != 0 {
                    tally.quarantined += 1;
                } else {
                    tally.used_bytes += size;
                    tally.live += 1;
                    self.check_canary(Owned { off, word: seen.word })?;
                }
                prev_free = None;
                continue;
            }
            if prev_free.is_some() {
                return corrupt(Corruption::AdjacentFree);
            }
            if seen.word & QUARANTINED != 0 {
                return corrupt(Corruption::BadSize { size: seen.word });
            }
            if off == self.top {
                if seen.word != size {
                    return top_error("its size word has flag bits");
                }
                if off + size != self.mapped {
                    return top_error("it does not end at the heap's top");
                }
                if DEBUG {
                    self.check_free_interior(off, off + HEADER, (off + size).min(self.fresh))?;
                }
                met_top = true;
                prev_free = Some(size);
                continue;
            }
            if off + size == self.mapped {
                return corrupt(Corruption::Top {
                    why: "a free block other than it ends at the heap's top",
                });
            }
            if size > MIN_BLOCK {
                // SAFETY: the walk validated that the block lies inside the heap.
                let footer = unsafe { self.rd(off + size - 4) };
                if footer != size {
                    return corrupt(Corruption::FooterMismatch { footer, size });
                }
                if DEBUG {
                    self.check_free_interior(off, off + MIN_BLOCK, off + size - 4)?;
                }
            }
            // SAFETY: as above; a free block has its links.
            let (next, prev) = unsafe { (self.next_link(off), self.prev_link(off)) };
            if !self.link_ok(next) || !self.prev_ok(prev) {
                return corrupt(Corruption::BadLink {
                    link: if self.link_ok(next) { prev } else { next },
                });
            }
            tally.free += 1;
            tally.free_hash = tally.free_hash.wrapping_add(mix(off));
            prev_free = Some(size);
        }
        if self.top != self.mapped && !met_top {
            return top_error("no block starts where it should");
        }
        Ok(tally)
    }

    /// Walks every list; returns how many entries they hold and their hash.
    /// `free` (the free blocks of the walk) bounds each list, so a cycle
    /// ends as a count mismatch.
    fn check_lists(&self, free: u32) -> Result<(u32, u64), HeapError> {
        let (mut count, mut hash) = (0u32, 0u64);
        for fl in 0..FL_COUNT {
            for sl in 0..SL_COUNT {
                let list = (fl as u8, sl as u8);
                let head = self.lists.head((fl, sl));
                let (sl_bit, fl_bit) = self.lists.marked((fl, sl));
                if sl_bit != (head != NIL) || (sl_bit && !fl_bit) {
                    return Err(HeapError::Corrupted {
                        addr: self.addr(0),
                        what: Corruption::Bitmap { list },
                    });
                }
                let (mut off, mut back) = (head, HEAD | class::index((fl, sl)) as u32);
                while off != NIL {
                    let bad = |what| HeapError::Corrupted { addr: self.addr(off), what };
                    if !self.link_ok(off) || count > free {
                        return Err(bad(Corruption::BadLink { link: off }));
                    }
                    // SAFETY: `link_ok` checked a minimum block lies at `off`.
                    let (check, word, prev, next) = unsafe {
                        (
                            self.rd(off),
                            self.rd(off + SIZE_AT),
                            self.prev_link(off),
                            self.next_link(off),
                        )
                    };
                    if off == self.top && off != self.mapped {
                        return Err(bad(Corruption::Top { why: "it is on a free list" }));
                    }
                    if check != self.check_word(off) {
                        return Err(bad(self.bad_check(off, check)));
                    }
                    if word & USED != 0 {
                        return Err(bad(Corruption::ListEntryUsed));
                    }
                    let size = word & super::block::SIZE_MASK;
                    if !self.size_ok(off, size) || class::of(size) != (fl, sl) {
                        return Err(bad(Corruption::WrongList { size, list }));
                    }
                    if prev != back {
                        return Err(bad(Corruption::BadLink { link: prev }));
                    }
                    count += 1;
                    hash = hash.wrapping_add(mix(off));
                    (back, off) = (off, next);
                }
            }
        }
        for fl in 0..FL_COUNT {
            let any = (0..SL_COUNT).any(|sl| self.lists.marked((fl, sl)).0);
            if any != self.lists.marked((fl, 0)).1 {
                let what = Corruption::Bitmap { list: (fl as u8, 0) };
                return Err(HeapError::Corrupted { addr: self.addr(0), what });
            }
        }
        Ok((count, hash))
    }
}
