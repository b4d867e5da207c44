//! Interrupts: a handler that allocates while the interrupted code is
//! inside the heap must not deadlock. The heap's lock masks interrupts while
//! held, so the timer can only fire between heap operations; with a plain
//! spinlock this test would hang (and the harness's timeout would fail it).

use crate::arch::{interrupts, pit};
use crate::selftest::{TestResult, ktest};
use crate::sync;
use crate::{ensure, ensure_eq};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

static TICKS: AtomicU32 = AtomicU32::new(0);
const TIMER_IRQ: u8 = 0;

fn allocate_on_tick() {
    let boxed = Box::new([0x5Au8; 48]);
    let list: Vec<u32> = (0..16).collect();
    core::hint::black_box((&boxed, &list));
    TICKS.fetch_add(1, Ordering::Relaxed);
}

#[ktest]
fn interrupt_handlers_can_allocate() -> TestResult {
    const WANTED: u32 = 100;
    const MAX_ROUNDS: u32 = 20_000_000;
    TICKS.store(0, Ordering::Relaxed);
    pit::set_frequency(2000);
    interrupts::set_irq_handler(TIMER_IRQ, allocate_on_tick);
    // SAFETY: the IDT handles every vector, the PIC masks every line but the
    // timer, and this code holds no lock.
    unsafe { sync::enable_interrupts() };
    let mut rounds = 0;
    let mut sum = 0usize;
    while TICKS.load(Ordering::Relaxed) < WANTED && rounds < MAX_ROUNDS {
        let mut v: Vec<u8> = Vec::with_capacity(1 + rounds as usize % 200);
        v.push(rounds as u8);
        sum = sum.wrapping_add(v.len());
        rounds += 1;
    }
    sync::disable_interrupts();
    interrupts::clear_irq_handler(TIMER_IRQ);
    let ticks = TICKS.load(Ordering::Relaxed);
    crate::println!("  {ticks} timer interrupts allocated during {rounds} allocation rounds");
    ensure!(
        ticks >= WANTED,
        "only {ticks} timer interrupts in {rounds} rounds: is the timer firing?"
    );
    ensure_eq!(sum, rounds as usize);
    Ok(())
}
