//! Who is measured: our heap, its peers (also as they are usually set up,
//! for reference), and our heap built with `heap-debug`, which lives in a
//! second build of this bench and is reached through a `Worker`.

use super::peers::{BenchAlloc, Kmalloc, Lla, Region, Rlsf, TalcAlloc};
use super::replay::{once, timed};
use super::suite::region;
use super::trace::Trace;
use super::validate::{Footprint, validate};
use super::worker::Worker;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Kmalloc,
    Talc,
    Rlsf,
    Lla,
    /// Our heap in the `heap-debug` build (the worker child).
    Debug,
    /// talc and rlsf given the whole region at once (for reference).
    TalcWhole,
    RlsfWhole,
}

/// The allocators built into this binary, in report order.
pub const NATIVE: [Who; 4] = [Who::Kmalloc, Who::Talc, Who::Rlsf, Who::Lla];

/// The peers as they are usually set up, with every page up front: only
/// their placement is compared (utilisation), not like for like.
pub const REFERENCE: [Who; 2] = [Who::TalcWhole, Who::RlsfWhole];

impl Who {
    pub fn name(self) -> &'static str {
        match self {
            Who::Kmalloc => Kmalloc::NAME,
            Who::Talc => TalcAlloc::<false>::NAME,
            Who::Rlsf => Rlsf::<false>::NAME,
            Who::Lla => Lla::NAME,
            Who::Debug => "kmalloc-debug",
            Who::TalcWhole => TalcAlloc::<true>::NAME,
            Who::RlsfWhole => Rlsf::<true>::NAME,
        }
    }

    /// The allocator of this binary called `name`, if any.
    pub fn named(name: &str) -> Option<Who> {
        NATIVE.into_iter().chain(REFERENCE).find(|w| w.name() == name)
    }

    /// The checked replay (see `validate`); `debug` answers for `Debug`.
    pub fn validate(self, trace: &Trace, debug: Option<&mut Worker>) -> Result<Footprint, String> {
        let r = region(trace);
        match self {
            Who::Kmalloc => validate::<Kmalloc>(trace, r),
            Who::Talc => validate::<TalcAlloc>(trace, r),
            Who::Rlsf => validate::<Rlsf>(trace, r),
            Who::Lla => validate::<Lla>(trace, r),
            Who::Debug => debug.expect("a heap-debug worker for Who::Debug").validate(trace),
            Who::TalcWhole => validate::<TalcAlloc<true>>(trace, r),
            Who::RlsfWhole => validate::<Rlsf<true>>(trace, r),
        }
    }

    /// One replay of a native allocator over `r`, as callgrind counts it; seconds.
    pub fn once(self, trace: &Trace, r: &Region) -> f64 {
        match self {
            Who::Kmalloc => once::<Kmalloc>(trace, r, 0),
            Who::Talc => once::<TalcAlloc>(trace, r, 0),
            Who::Rlsf => once::<Rlsf>(trace, r, 0),
            Who::Lla => once::<Lla>(trace, r, 0),
            Who::TalcWhole => once::<TalcAlloc<true>>(trace, r, 0),
            Who::RlsfWhole => once::<Rlsf<true>>(trace, r, 0),
            Who::Debug => panic!("the heap-debug build counts itself as Who::Kmalloc"),
        }
    }

    /// One timed sample in this process over a fresh region, data placed
    /// by `shift` (see `replay::timed`): seconds per replay.
    pub fn time(self, trace: &Trace, shift: usize) -> f64 {
        let r = &Region::new(region(trace));
        match self {
            Who::Kmalloc => timed::<Kmalloc>(trace, r, shift),
            Who::Talc => timed::<TalcAlloc>(trace, r, shift),
            Who::Rlsf => timed::<Rlsf>(trace, r, shift),
            Who::Lla => timed::<Lla>(trace, r, shift),
            Who::TalcWhole => timed::<TalcAlloc<true>>(trace, r, shift),
            Who::RlsfWhole => timed::<Rlsf<true>>(trace, r, shift),
            Who::Debug => panic!("the heap-debug build times itself as Who::Kmalloc"),
        }
    }
}
