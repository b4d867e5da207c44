//! Random map/unmap/update/translate sequences checked against a model.
//!
//! The model is a `HashMap` from page to (frame, flags). After every step
//! the mapper must agree with it on every page, count exactly one table
//! per 4 MiB that holds a page, and every frame must be somewhere: free,
//! mapped as data, or holding a page table.

use super::testing::{TestFrames, setup};
use super::*;
use crate::addr::{PhysAddr, VirtAddr};
use crate::frame::{FrameAllocator, Page};
use proptest::prelude::*;
use std::collections::HashMap;
use std::vec::Vec;

const DIRS: [u32; 4] = [0x340, 0x341, 0x380, 0x3FE];
const SLOTS: [u32; 4] = [0, 1, 2, 1023];
const FRAMES: u32 = 12;

fn page(index: usize) -> Page {
    let (dir, slot) = (DIRS[index / SLOTS.len()], SLOTS[index % SLOTS.len()]);
    Page::from_start(VirtAddr::new(dir << 22 | slot << 12)).unwrap()
}

#[derive(Clone, Debug)]
enum Op {
    Map(usize, u32),
    Unmap(usize),
    Update(usize, u32),
    Translate(usize, u32),
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..DIRS.len() * SLOTS.len();
    // Flags without PRESENT (the mapper adds it) and without PS/PAT.
    let flags = (0u32..0x1000).prop_map(|b| b & !0x81);
    prop_oneof![
        (p.clone(), flags.clone()).prop_map(|(p, f)| Op::Map(p, f)),
        p.clone().prop_map(Op::Unmap),
        (p.clone(), flags).prop_map(|(p, f)| Op::Update(p, f)),
        (p, 0u32..4096).prop_map(|(p, o)| Op::Translate(p, o)),
    ]
}

type Model = HashMap<Page, (PhysAddr, PageTableFlags)>;

fn check(m: &mut Mapper<EmulatedTables>, model: &Model, frames: &TestFrames) {
    for index in 0..DIRS.len() * SLOTS.len() {
        let p = page(index);
        let got = m.lookup(p).map(|e| (e.addr(), e.flags()));
        let want = model.get(&p).map(|&(a, f)| (a, f | PageTableFlags::PRESENT));
        assert_eq!(got, want, "{p:?}");
    }
    let mut tables = 0;
    for dir in DIRS {
        let count = model.keys().filter(|p| p.directory_index() == dir as usize).count();
        assert_eq!(m.present_entries(dir as usize), count, "dir {dir:#x}");
        // SAFETY: read only.
        let present = unsafe { m.tables_mut() }.directory()[dir as usize].is_present();
        assert_eq!(present, count > 0, "table of dir {dir:#x} exists iff it maps something");
        tables += usize::from(present);
    }
    assert_eq!(frames.free_count() + model.len() + tables, FRAMES as usize, "frame accounting");
}

proptest! {
    #![proptest_config(crate::proptest_cases::config(200))]

    #[test]
    fn mapper_agrees_with_a_hashmap(ops in proptest::collection::vec(op(), 1..120)) {
        run_against_hashmap(ops)?;
    }
}

fn run_against_hashmap(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let (mut m, mut frames) = setup(FRAMES);
    let mut tlb = RecordingTlb::new();
    let mut model = Model::new();
    for op in ops {
        match op {
            Op::Map(i, bits) => {
                let Some(frame) = frames.allocate() else { continue };
                let addr = frame.start();
                let flags = PageTableFlags::from_bits(bits).unwrap();
                let p = page(i);
                // SAFETY: emulated memory; the frame is fresh.
                match unsafe { m.map(p, frame, flags, &mut frames) } {
                    Ok(flush) => {
                        flush.flush(&mut tlb);
                        prop_assert!(model.insert(p, (addr, flags)).is_none());
                    }
                    Err(MapError::AlreadyMapped { frame, existing }) => {
                        prop_assert_eq!(Some(existing), model.get(&p).map(|e| e.0));
                        frames.free(frame).unwrap();
                    }
                    Err(MapError::OutOfFrames(frame)) => {
                        prop_assert!(
                            model.keys().all(|q| q.directory_index() != p.directory_index())
                        );
                        frames.free(frame).unwrap();
                    }
                    Err(e) => prop_assert!(false, "unexpected {e}"),
                }
            }
            Op::Unmap(i) => {
                let p = page(i);
                // SAFETY: emulated memory; nothing uses the page.
                match unsafe { m.unmap(p, &mut frames) } {
                    Ok((frame, flush)) => {
                        prop_assert!(flush.is_required());
                        flush.flush(&mut tlb);
                        prop_assert_eq!(Some(frame.start()), model.remove(&p).map(|e| e.0));
                        frames.free(frame).unwrap();
                    }
                    Err(e) => {
                        prop_assert_eq!(e, UnmapError::NotMapped(p));
                        prop_assert!(!model.contains_key(&p));
                    }
                }
            }
            Op::Update(i, bits) => {
                let p = page(i);
                let flags = PageTableFlags::from_bits(bits).unwrap();
                // SAFETY: emulated memory; nothing uses the page.
                match unsafe { m.update_flags(p, flags) } {
                    Ok(flush) => {
                        flush.flush(&mut tlb);
                        let entry = model.get_mut(&p);
                        prop_assert!(entry.is_some());
                        if let Some(e) = entry {
                            e.1 = flags;
                        }
                    }
                    Err(e) => {
                        prop_assert_eq!(e, UpdateFlagsError::NotMapped(p));
                        prop_assert!(!model.contains_key(&p));
                    }
                }
            }
            Op::Translate(i, offset) => {
                let addr = VirtAddr::new(page(i).start().as_u32() + offset);
                let want = model.get(&page(i)).map(|e| PhysAddr::new(e.0.as_u32() + offset));
                prop_assert_eq!(m.translate(addr), want);
            }
        }
        check(&mut m, &model, &frames);
    }
    // Tear down: every frame, data and tables, must come home.
    let pages: Vec<Page> = model.keys().copied().collect();
    for p in pages {
        // SAFETY: emulated memory; nothing uses the page.
        let (frame, flush) = unsafe { m.unmap(p, &mut frames) }.unwrap();
        flush.flush(&mut tlb);
        frames.free(frame).unwrap();
        model.remove(&p);
    }
    check(&mut m, &model, &frames);
    prop_assert_eq!(frames.free_count(), FRAMES as usize);
    Ok(())
}
