//! Tests of the heap benchmark's harness (`cargo test -p mm --test
//! heap_bench`): the trace format, the generated traces, and the checked
//! replay, which must catch an allocator that hands out overlapping,
//! misaligned or foreign blocks or loses contents, and pass every peer.

#![allow(dead_code)]

#[path = "callgrind.rs"]
mod callgrind;
#[path = "patterns.rs"]
mod patterns;
#[path = "peers/mod.rs"]
mod peers;
#[path = "replay.rs"]
mod replay;
#[path = "suite.rs"]
mod suite;
#[path = "trace.rs"]
mod trace;
#[path = "validate.rs"]
mod validate;
#[path = "workloads.rs"]
mod workloads;

use peers::{BenchAlloc, Kmalloc, Lla, Region, Rlsf, TalcAlloc};
use trace::{Op, Trace, TraceError};
use validate::validate;

const REP: &str = "\
# a comment, then the header
20000
2
5
1
a 0 512
a 1 128
r 0 640
f 1
f 0
";

#[test]
fn parses_the_malloc_lab_format() {
    let t = Trace::parse("t", "", REP).unwrap();
    assert_eq!(t.ids, 2);
    assert_eq!(
        t.ops,
        [
            Op::Alloc { id: 0, size: 512 },
            Op::Alloc { id: 1, size: 128 },
            Op::Realloc { id: 0, size: 640 },
            Op::Free { id: 1 },
            Op::Free { id: 0 },
        ]
    );
    assert_eq!(t.peak_live_bytes(), 768);
}

fn parse_error(text: &str) -> TraceError {
    Trace::parse("t", "", text).unwrap_err()
}

#[test]
fn refuses_malformed_traces_with_the_line() {
    let cases: [(&str, usize, &str); 8] = [
        ("20000\n2\n", 0, "number of operations missing"),
        ("20000\nx\n1\n1\na 0 8\n", 2, "not a number"),
        ("1\n2\n1\n1\nq 0 8\n", 5, "unknown operation `q`"),
        ("1\n2\n1\n1\na 2 8\n", 5, "not below the header's 2 ids"),
        ("1\n2\n2\n1\na 0 8\n", 5, "header says 2 operations, the file has 1"),
        ("1\n2\n2\n1\na 0 8\na 0 8\n", 6, "block 0 allocated while it is live"),
        ("1\n2\n1\n1\n\nf 1\n", 6, "block 1 freed while it is not live"),
        ("1\n2\n1\n1\na 0 8 9\n", 5, "more words"),
    ];
    for (text, line, what) in cases {
        let e = parse_error(text);
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.what.contains(what), "{text:?}: {e}");
    }
    let e = parse_error("1\n1\n1\n1\nr 0 8\n");
    assert!(e.what.contains("resized while it is not live"), "{e}");
}

#[test]
fn every_generated_trace_survives_its_own_format_and_is_the_same_each_time() {
    let traces = suite::load(None, None).unwrap();
    assert!(traces.len() >= 12, "six workloads, five patterns, the kernel's recording");
    let again = suite::load(None, None).unwrap();
    for (t, u) in traces.iter().zip(&again) {
        assert_eq!(t.ops, u.ops, "{} changed between two generations", t.name);
        let back = Trace::parse(&t.name, "", &t.to_rep()).unwrap();
        assert_eq!(back.ops, t.ops, "{}", t.name);
        assert!(t.peak_live_bytes() > 0, "{}", t.name);
    }
}

#[test]
fn the_kernel_recording_is_committed_and_real() {
    let t = suite::load(None, Some("kernel-selftest")).unwrap().remove(0);
    assert!(t.ops.len() > 1000, "only {} operations", t.ops.len());
    assert!(t.ops.iter().any(|op| matches!(op, Op::Realloc { .. })));
}

#[test]
fn the_realloc_pattern_has_one_small_block_live_between_reallocs() {
    let t = suite::load(None, Some("realloc-small")).unwrap().remove(0);
    let (mut live, mut reallocs) = (0i64, 0);
    for op in &t.ops {
        match op {
            Op::Alloc { .. } => live += 1,
            Op::Free { .. } => live -= 1,
            Op::Realloc { .. } => {
                reallocs += 1;
                assert_eq!(live, 2, "the buffer and one small block");
            }
        }
    }
    assert!(reallocs >= 40_000);
}

/// What a broken allocator gets wrong.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    Overlap,
    Misaligned,
    Outside,
    ReallocWithoutCopy,
    ScribbleOnFree,
}

/// A bump allocator over a region, broken on purpose as `FAULT` says.
struct Broken<const FAULT: u8> {
    base: usize,
    len: usize,
    next: usize,
    last: *mut u8,
}

impl<const FAULT: u8> Broken<FAULT> {
    const FAULTS: [Fault; 6] = [
        Fault::None,
        Fault::Overlap,
        Fault::Misaligned,
        Fault::Outside,
        Fault::ReallocWithoutCopy,
        Fault::ScribbleOnFree,
    ];
    fn fault() -> Fault {
        Self::FAULTS[FAULT as usize]
    }
}

impl<const FAULT: u8> BenchAlloc for Broken<FAULT> {
    const NAME: &'static str = "broken";
    unsafe fn new(region: &Region) -> Self {
        let (base, len) = region.span();
        Broken { base, len, next: 0, last: std::ptr::null_mut() }
    }
    fn alloc(&mut self, size: usize) -> *mut u8 {
        let base = self.base;
        let mut at = base + self.next;
        match Self::fault() {
            Fault::Overlap if self.next > 0 => at -= 16,
            Fault::Misaligned => at += 4,
            Fault::Outside if self.next > 0 => at = base - 4096,
            _ => {}
        }
        self.next += size.next_multiple_of(8) + 8;
        self.last = at as *mut u8;
        self.last
    }
    unsafe fn dealloc(&mut self, _: *mut u8, _: usize) {
        if Self::fault() == Fault::ScribbleOnFree && !self.last.is_null() {
            // SAFETY: the last block handed out lies inside the region.
            unsafe { self.last.write(0) };
        }
    }
    unsafe fn realloc(&mut self, ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
        let fresh = self.alloc(new);
        // SAFETY: two distinct blocks of the bump region.
        unsafe {
            if Self::fault() == Fault::ReallocWithoutCopy {
                fresh.write_bytes(0xEE, new); // what was there before, say
            } else {
                fresh.copy_from_nonoverlapping(ptr, old.min(new));
            }
        }
        fresh
    }
    fn region(&self) -> (usize, usize) {
        (self.base, self.len)
    }
    fn peak_pages(&self) -> usize {
        self.next.div_ceil(4096)
    }
}

fn small_trace() -> Trace {
    let ops = vec![
        Op::Alloc { id: 0, size: 100 },
        Op::Alloc { id: 1, size: 30 },
        Op::Alloc { id: 2, size: 7 },
        Op::Realloc { id: 0, size: 300 },
        Op::Free { id: 2 },
        Op::Free { id: 1 },
        Op::Free { id: 0 },
    ];
    Trace::new("small", "", ops).unwrap()
}

#[test]
fn validation_catches_each_kind_of_broken_allocator() {
    let t = small_trace();
    let region = 1 << 20;
    let f = validate::<Broken<0>>(&t, region).expect("a correct bump allocator passes");
    assert_eq!(f.peak_live, 337);
    assert!(f.peak_extent >= 337);
    let expect = |result: Result<validate::Footprint, String>, what: &str| {
        let e = result.expect_err(what);
        assert!(e.contains(what), "expected `{what}` in: {e}");
    };
    expect(validate::<Broken<1>>(&t, region), "overlaps live block 0");
    expect(validate::<Broken<2>>(&t, region), "is not 8-byte aligned");
    expect(validate::<Broken<3>>(&t, region), "is outside the region");
    expect(validate::<Broken<4>>(&t, region), "after realloc");
    expect(validate::<Broken<5>>(&t, region), "when freed");
}

/// Every peer passes the checked replay on every trace (shortened), and its
/// footprint makes sense: the extent holds the live bytes, the pages the extent.
#[test]
fn every_peer_passes_validation() {
    for mut t in suite::load(None, None).unwrap() {
        t.ops.truncate(5_000);
        let region = suite::region(&t);
        for f in [
            validate::<Kmalloc>(&t, region),
            validate::<TalcAlloc>(&t, region),
            validate::<Rlsf>(&t, region),
            validate::<Lla>(&t, region),
            validate::<TalcAlloc<true>>(&t, region),
            validate::<Rlsf<true>>(&t, region),
        ] {
            let f = f.unwrap_or_else(|e| panic!("{}: {e}", t.name));
            assert!(f.peak_extent >= f.peak_live, "{}: {f:?}", t.name);
            assert!(f.peak_pages as u64 * 4096 >= f.peak_extent, "{}: {f:?}", t.name);
        }
    }
}

#[test]
fn reads_the_instruction_total_of_a_callgrind_dump() {
    let dir = std::env::temp_dir().join(format!("heap-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("native.out.1");
    std::fs::write(&dump, "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\nsummary: 4500\nfn=(1) f\n16 4500\ntotals: 4500\n").unwrap();
    assert_eq!(callgrind::totals(&dump), Ok(4500));
    std::fs::write(&dump, "events: Ir\n").unwrap();
    assert!(callgrind::totals(&dump).unwrap_err().contains("no instruction total"));
    std::fs::remove_dir_all(&dir).unwrap();
}
