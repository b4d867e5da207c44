//! Property tests: random map / unmap / translate / destroy across several
//! spaces against a model (a map per space from page to the byte written
//! there), with every frame accounted for after each step.

use super::tests::{Machine, machine};
use super::*;
use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::frame::Page;
use crate::paging::{PageTableFlags, RecordingTlb};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

const SPACES: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Map { space: usize, page: u32, byte: u8 },
    Unmap { space: usize, page: u32, pages: u32 },
    Renew { space: usize },
}

/// Pages spread over a few 4 MiB areas so tables come and go.
fn page_strategy() -> impl Strategy<Value = u32> {
    (0u32..4, 0u32..6).prop_map(|(area, i)| 0x0040_0000 + area * 0x0040_0000 + i * PAGE_SIZE)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..SPACES, page_strategy(), any::<u8>()).prop_map(|(space, page, byte)| Op::Map { space, page, byte }),
        2 => (0..SPACES, page_strategy(), 1u32..8).prop_map(|(space, page, pages)| Op::Unmap { space, page, pages }),
        1 => (0..SPACES).prop_map(|space| Op::Renew { space }),
    ]
}

fn check(
    m: &mut Machine,
    spaces: &mut [AddressSpace<EmulatedFrames>],
    model: &[BTreeMap<u32, u8>],
    total: usize,
) {
    let mut held = 0;
    for (space, pages) in spaces.iter_mut().zip(model) {
        for (&addr, &byte) in pages {
            let mut got = [0u8; 1];
            space.read(VirtAddr::new(addr + 7), &mut got).unwrap();
            assert_eq!(got[0], byte, "space {} page {addr:#x}", space.directory());
        }
        assert_eq!(space.frames().pages as usize, pages.len());
        held += space.frames().total() as usize;
    }
    assert_eq!(m.frames.free_count() + held, total, "every frame free or held by a space");
}

proptest! {
    #[test]
    fn spaces_match_the_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut m = machine(200);
        let total = m.frames.free_count();
        let mut spaces: Vec<_> = (0..SPACES).map(|_| m.space()).collect();
        let mut model = vec![BTreeMap::new(); SPACES];
        let mut tlb = RecordingTlb::new();
        for op in ops {
            match op {
                Op::Map { space, page, byte } => {
                    let p = Page::containing(VirtAddr::new(page));
                    let r = spaces[space].map_filled(p, PageTableFlags::WRITABLE, &mut m.frames, |b| b.fill(byte));
                    match model[space].entry(page) {
                        Entry::Occupied(_) => prop_assert_eq!(r, Err(SpaceError::AlreadyMapped(p))),
                        Entry::Vacant(slot) => {
                            prop_assert_eq!(r, Ok(()));
                            slot.insert(byte);
                        }
                    }
                }
                Op::Unmap { space, page, pages } => {
                    let p = Page::containing(VirtAddr::new(page));
                    let n = spaces[space].unmap_range(p, pages, &mut m.frames, &mut m.counts, &mut tlb).unwrap();
                    let end = page + pages * PAGE_SIZE;
                    let gone: Vec<u32> = model[space].range(page..end).map(|(&a, _)| a).collect();
                    prop_assert_eq!(n as usize, gone.len());
                    for a in gone {
                        model[space].remove(&a);
                    }
                }
                Op::Renew { space } => {
                    let fresh = m.space();
                    let old = std::mem::replace(&mut spaces[space], fresh);
                    let held = old.frames();
                    prop_assert_eq!(m.destroy(old), held);
                    model[space].clear();
                }
            }
            check(&mut m, &mut spaces, &model, total);
        }
        for space in spaces {
            m.destroy(space);
        }
        prop_assert_eq!(m.frames.free_count(), total);
    }
}
