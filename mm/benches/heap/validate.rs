//! The checked replay that every trace gets on every allocator before it is
//! timed: each block handed out must be non-null, 8-byte aligned, inside
//! the allocator's region and overlap no live block; each block is filled
//! with a byte of its own, and those bytes must still be there when it is
//! resized (up to the smaller size) or freed. It also measures what the
//! timed replay cannot afford to: the highest byte ever handed out.

use std::collections::BTreeMap;

use super::peers::{ALIGN, BenchAlloc, Region};
use super::trace::{Op, Trace};

/// What a checked replay saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct Footprint {
    /// The most bytes live at once, as requested.
    pub peak_live: u64,
    /// The most bytes of the region in use: from its start to the end of
    /// the highest block ever handed out.
    pub peak_extent: u64,
    /// The most pages the allocator had mapped at once.
    pub peak_pages: usize,
}

/// The byte block `id` is filled with (never 0, so a zeroed block shows).
fn tag(id: u32) -> u8 {
    (id % 251 + 1) as u8
}

/// Live blocks by address: start -> (end, id).
#[derive(Default)]
struct Live(BTreeMap<usize, (usize, u32)>);

impl Live {
    fn insert(&mut self, id: u32, start: usize, size: usize) -> Result<(), String> {
        let end = start + size;
        if let Some((&s, &(e, other))) = self.0.range(..end).next_back()
            && e > start
        {
            return Err(format!(
                "block {id} at {start:#x}..{end:#x} overlaps live block {other} at {s:#x}..{e:#x}"
            ));
        }
        self.0.insert(start, (end, id));
        Ok(())
    }

    fn remove(&mut self, start: usize) {
        self.0.remove(&start);
    }
}

/// Checks `len` bytes at `p` still hold block `id`'s tag.
fn verify(id: u32, p: *mut u8, len: usize, when: &str) -> Result<(), String> {
    // SAFETY: `p` is a live block of at least `len` bytes, which this replay filled.
    let bytes = unsafe { std::slice::from_raw_parts(p, len) };
    match bytes.iter().position(|&b| b != tag(id)) {
        None => Ok(()),
        Some(at) => Err(format!(
            "block {id} at {p:p}: byte {at} of {len} is {:#04x}, not {:#04x}, {when}",
            bytes[at],
            tag(id)
        )),
    }
}

/// Replays `trace` on a fresh `A` over a fresh, zeroed region of `len`
/// bytes (no bytes of an earlier replay to pass for a block's own),
/// checking everything in the module docs; the first problem is the error.
pub fn validate<A: BenchAlloc>(trace: &Trace, len: usize) -> Result<Footprint, String> {
    let region = Region::new(len);
    // SAFETY: the region is this replay's own and outlives `a` (declared after it).
    let mut a = unsafe { A::new(&region) };
    let (base, len) = a.region();
    let mut blocks: Vec<(*mut u8, usize)> = vec![(std::ptr::null_mut(), 0); trace.ids];
    let mut live = Live::default();
    let mut extent = 0;
    let placed = |id: u32, p: *mut u8, size: usize| -> Result<usize, String> {
        let at = p as usize;
        if p.is_null() {
            return Err(format!("out of memory for block {id} ({size} bytes)"));
        }
        if !at.is_multiple_of(ALIGN) {
            return Err(format!("block {id} at {p:p} is not {ALIGN}-byte aligned"));
        }
        if at < base || at + size > base + len {
            return Err(format!("block {id} at {p:p} ({size} bytes) is outside the region"));
        }
        Ok(at + size - base)
    };
    for (i, op) in trace.ops.iter().enumerate() {
        let step = |e: String| format!("{}, operation {} ({op:?}): {e}", A::NAME, i + 1);
        match *op {
            Op::Alloc { id, size } => {
                let size = (size as usize).max(1);
                let p = a.alloc(size);
                extent = extent.max(placed(id, p, size).map_err(step)?);
                live.insert(id, p as usize, size).map_err(step)?;
                // SAFETY: a fresh block of `size` bytes.
                unsafe { p.write_bytes(tag(id), size) };
                blocks[id as usize] = (p, size);
            }
            Op::Realloc { id, size } => {
                let size = (size as usize).max(1);
                let (p, old) = blocks[id as usize];
                verify(id, p, old, "before realloc").map_err(step)?;
                // SAFETY: `p` is live with `old` bytes.
                let q = unsafe { a.realloc(p, old, size) };
                extent = extent.max(placed(id, q, size).map_err(step)?);
                live.remove(p as usize);
                live.insert(id, q as usize, size).map_err(step)?;
                verify(id, q, old.min(size), "after realloc").map_err(step)?;
                if size > old {
                    // SAFETY: the block has `size` bytes now.
                    unsafe { q.add(old).write_bytes(tag(id), size - old) };
                }
                blocks[id as usize] = (q, size);
            }
            Op::Free { id } => {
                let (p, size) = blocks[id as usize];
                verify(id, p, size, "when freed").map_err(step)?;
                live.remove(p as usize);
                // SAFETY: `p` is live with `size` bytes.
                unsafe { a.dealloc(p, size) };
            }
        }
    }
    a.check().map_err(|e| format!("{}: its check after the replay: {e}", A::NAME))?;
    Ok(Footprint {
        peak_live: trace.peak_live_bytes(),
        peak_extent: extent as u64,
        peak_pages: a.peak_pages(),
    })
}
