//! Property test: random fork / write / unmap / exit sequences over a
//! few processes' spaces, against a model in which every process has
//! its own copy of every page. After every step:
//!
//! - each process reads what the model says it wrote;
//! - every frame's count is the number of mappings of it, over all spaces;
//! - a frame mapped more than once is writable in none of them;
//! - every frame is free, or held by exactly one of: a space's directory
//!   or tables, a page (counted once however many map it), the count table.
//!
//! And when every process has exited, every frame is free again.

use super::tests::{Machine, machine, page};
use super::*;
use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::frame::Frame;
use crate::paging::{PageTableFlags, RecordingTlb};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

type Space = AddressSpace<EmulatedFrames>;

const MOST: usize = 6;

#[derive(Clone, Debug)]
enum Op {
    Fork(usize),
    Write { process: usize, page: u32, byte: u8 },
    Unmap { process: usize, page: u32 },
    Exit(usize),
}

/// Pages in three page tables' worth of address space.
fn page_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![
        (0u32..6).prop_map(|i| 0x0040_0000 + i * PAGE_SIZE),
        (0u32..3).prop_map(|i| 0x4000_0000 + i * PAGE_SIZE),
        Just(0xBFFF_F000),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (0..MOST).prop_map(Op::Fork),
        6 => (0..MOST, page_strategy(), any::<u8>())
            .prop_map(|(process, page, byte)| Op::Write { process, page, byte }),
        1 => (0..MOST, page_strategy()).prop_map(|(process, page)| Op::Unmap { process, page }),
        1 => (0..MOST).prop_map(Op::Exit),
    ]
}

struct Process {
    space: Space,
    /// The model: what each mapped page holds (every byte of it the same).
    pages: BTreeMap<u32, u8>,
}

fn write(m: &mut Machine, p: &mut Process, addr: u32, byte: u8) {
    if p.space.lookup(page(addr)).is_none() {
        // Memory on demand, as the fault handler maps it.
        p.space.map_zeroed(page(addr), PageTableFlags::WRITABLE, &mut m.frames).unwrap();
    }
    // The first byte as the CPU writes it (a copy-on-write fault first if
    // the page is shared); the page must still hold the old bytes.
    m.write(&mut p.space, addr, byte).unwrap();
    let old = p.pages.insert(addr, byte).unwrap_or(0);
    let phys = p.space.translate(VirtAddr::new(addr)).unwrap();
    let mut memory = m.window.memory().borrow_mut();
    let words = memory.words(phys);
    assert!(words[1..].iter().all(|&w| w == u32::from_ne_bytes([old; 4])), "the copy is whole");
    // Keep the model simple: every byte of the page holds `byte`.
    words.fill(u32::from_ne_bytes([byte; 4]));
}

fn check(m: &mut Machine, processes: &mut [Process], total: usize) {
    let mut mappings: BTreeMap<u32, u32> = BTreeMap::new();
    let mut writable: BTreeSet<u32> = BTreeSet::new();
    let mut structure = 0;
    for p in processes.iter_mut() {
        for (&addr, &byte) in &p.pages {
            let mut got = [0u8; 2];
            p.space.read(VirtAddr::new(addr + 1000), &mut got).unwrap();
            assert_eq!(got, [byte; 2], "process {} page {addr:#x}", p.space.directory());
            let entry = p.space.lookup(page(addr)).expect("the model's page is mapped");
            let number = entry.addr().as_u32() / PAGE_SIZE;
            *mappings.entry(number).or_default() += 1;
            if entry.flags().contains(PageTableFlags::WRITABLE) {
                writable.insert(number);
            }
        }
        assert_eq!(p.space.frames().pages as usize, p.pages.len());
        structure += (p.space.frames().directory + p.space.frames().tables) as usize;
    }
    for (&number, &count) in &mappings {
        assert_eq!(m.counts.users(&Frame::from_number(number)), count, "frame {number}'s count");
        if count > 1 {
            assert!(!writable.contains(&number), "frame {number} is shared and writable");
        }
    }
    let shared = mappings.values().filter(|&&c| c > 1).count() as u32;
    assert_eq!(m.counts.shared_frames(), shared);
    let held = structure + mappings.len() + m.counts.frames_held() as usize;
    assert_eq!(m.frames.free_count() + held, total, "every frame free or held once");
}

proptest! {
    #![proptest_config(crate::proptest_cases::config(128))]

    #[test]
    fn fork_write_exit_match_the_model(ops in proptest::collection::vec(op(), 1..120)) {
        let mut m = machine(250);
        let total = m.frames.free_count();
        let first = m.space();
        let mut processes = vec![Process { space: first, pages: BTreeMap::new() }];
        let mut tlb = RecordingTlb::new();
        for op in ops {
            match op {
                Op::Fork(i) if processes.is_empty() => {
                    let _ = i;
                    processes.push(Process { space: m.space(), pages: BTreeMap::new() });
                }
                Op::Fork(i) if processes.len() < MOST => {
                    let i = i % processes.len();
                    let child = m.fork(&mut processes[i].space).unwrap();
                    let pages = processes[i].pages.clone();
                    processes.push(Process { space: child, pages });
                }
                Op::Write { process, page: addr, byte } if !processes.is_empty() => {
                    let i = process % processes.len();
                    write(&mut m, &mut processes[i], addr, byte);
                }
                Op::Unmap { process, page: addr } if !processes.is_empty() => {
                    let i = process % processes.len();
                    let p = &mut processes[i];
                    let n = p.space.unmap_range(page(addr), 1, &mut m.frames, &mut m.counts, &mut tlb).unwrap();
                    prop_assert_eq!(n as usize, usize::from(p.pages.remove(&addr).is_some()));
                }
                Op::Exit(i) if !processes.is_empty() => {
                    let p = processes.remove(i % processes.len());
                    m.destroy(p.space);
                }
                _ => {}
            }
            check(&mut m, &mut processes, total);
        }
        for p in processes {
            m.destroy(p.space);
        }
        prop_assert_eq!(m.frames.free_count(), total, "nothing leaked");
        prop_assert_eq!(m.counts.frames_held(), 0);
    }
}
