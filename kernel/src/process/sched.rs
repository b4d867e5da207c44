//! Who runs: round robin on the timer tick, `yield`, sleeping, the idle
//! loop, and `run` until the last process has exited.
//!
//! ```text
//!  kernel context (boot stack)            processes (each on its kernel stack)
//!  run(): loop                            ┌─> ring 3 ... tick/yield/sleep/exit
//!    reap the dead                        │     schedule(): next runnable after
//!    a runnable one? ── switch ───────────┘     the current, in slot order
//!    none? sti; hlt (until a tick)        <──── nothing runnable: back here
//!    none left? return
//! ```
//!
//! Every switch loads the next space's directory, points the TSS's esp0
//! at the next kernel stack and switches stacks (`arch::context`). A
//! process that ends frees its user memory at once, on its own kernel
//! stack; that stack is freed by whichever context runs next (`reap`),
//! since nothing can free the stack it is running on. Then the process is
//! gone, or, if its parent lives, a zombie until the parent collects its
//! status (`wait.rs`).

use super::state::{Exit, State};
use super::table::{RunSummary, Table, lock};
use crate::arch::{context, cpu, interrupts, pit, tss};
use crate::memory::{self, spaces};
use crate::sync;
use core::sync::atomic::{AtomicU64, Ordering};

/// Timer ticks per second while processes run: a time slice is one tick.
pub const TICK_HZ: u32 = 100;
const TIMER_IRQ: u8 = 0;

static TICKS: AtomicU64 = AtomicU64::new(0);

/// Ticks since the first `run`.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// The timer: wakes sleepers whose time came, and ends the running
/// process's time slice. Interrupts are off in the kernel, so a tick that
/// finds a process current interrupted it in ring 3.
fn tick() {
    let now = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    let preempt = {
        let mut table = lock();
        for p in table.slots.iter_mut().flatten() {
            if let State::Sleeping(until) = p.state
                && until <= now
            {
                p.state = State::Runnable;
            }
        }
        table.current.is_some()
    };
    if preempt {
        schedule();
    }
}

/// The next runnable slot after `from` (round robin), maybe `from` itself.
fn pick(table: &Table, from: Option<usize>) -> Option<usize> {
    let n = table.slots.len();
    let start = from.map_or(0, |c| c + 1);
    (0..n)
        .map(|i| (start + i) % n)
        .find(|&i| table.slots[i].as_ref().is_some_and(|p| p.state == State::Runnable))
}

/// Gives the CPU to the next runnable process, or to the kernel context if
/// there is none. Returns when this context is picked again (never, for
/// a dead process).
pub(super) fn schedule() {
    let mut table = lock();
    let current = table.current;
    let next = pick(&table, current);
    let still_runnable =
        current.and_then(|c| table.slots[c].as_ref()).is_some_and(|p| p.state == State::Runnable);
    if next == current && still_runnable {
        return;
    }
    let save: *mut u32 = match current {
        Some(c) => &mut table.slots[c].as_mut().expect("current exists").saved_esp,
        None => &mut table.idle_esp,
    };
    let load = match next {
        Some(n) => enter(&mut table, n),
        None => {
            table.current = None;
            spaces::activate_kernel();
            table.idle_esp
        }
    };
    drop(table);
    // SAFETY: `load` was saved by `switch` or made by `prepare_stack`, on a
    // stack that is mapped (kernel stacks and the boot stack live in the
    // shared kernel half) and not running; interrupts are off; the table's
    // lock was just released. `save` points into a boxed `Process` (or the
    // static table), which stays put at least until this context is reaped,
    // which only happens after the switch.
    unsafe { context::switch(save, load) };
    reap();
}

/// Makes slot `n` current: its space loaded, its kernel stack in the TSS.
/// Returns its saved stack pointer.
fn enter(table: &mut Table, n: usize) -> u32 {
    table.current = Some(n);
    let p = table.slots[n].as_mut().expect("picked slot exists");
    spaces::activate(&p.memory_mut().space);
    tss::set_kernel_stack(p.stack.as_ref().expect("a runnable process has a stack").top());
    p.saved_esp
}

/// The first thing a new process does, on its own kernel stack, before it
/// drops to ring 3: what `schedule` does after a switch.
pub(super) extern "C" fn first_run() {
    reap();
}

/// Frees the kernel stack of every dead process but the running one.
/// One whose parent lives becomes a zombie (its status kept for `wait`,
/// the parent woken if it waits); any other is gone, its exit record kept.
fn reap() {
    let mut table = lock();
    let current = table.current;
    for slot in 0..table.slots.len() {
        if Some(slot) == current {
            continue;
        }
        let Some(p) = table.slots[slot].as_mut() else { continue };
        let State::Dead(exit) = p.state else { continue };
        if let Some(stack) = p.stack.take() {
            memory::lock().free_kernel_stack(stack);
        }
        match p.parent {
            Some(parent) => {
                p.state = State::Zombie(exit);
                table.wake_waiting(parent);
            }
            None => table.remove(slot),
        }
    }
}

/// Ends the running process with `exit`: its user memory is freed now, its
/// children are orphaned (its zombies gone), and it never runs again.
pub fn exit_current(exit: Exit) -> ! {
    {
        let mut table = lock();
        let p = table.current_mut().expect("exit with no process running");
        p.frames_at_exit = p.frames();
        spaces::activate_kernel();
        if let Some(memory) = p.memory.take() {
            memory.end();
        }
        p.state = State::Dead(exit);
        let (pid, name) = (p.pid, p.name);
        match exit {
            Exit::Code(code) => log::info!("process {pid} ({name}) exited with code {code}"),
            Exit::Killed(reason) => {
                log::warn!("process {pid} ({name}) killed: {reason}");
            }
        }
        table.orphan_children_of(pid);
    }
    schedule();
    unreachable!("a dead process was scheduled again");
}

/// `yield`: lets the next runnable process run.
pub fn yield_current() {
    schedule();
}

/// `sleep`: the running process sleeps for `ticks` ticks.
pub fn sleep_current(ticks: u32) {
    if let Some(p) = lock().current_mut() {
        p.state = State::Sleeping(self::ticks() + u64::from(ticks));
    }
    schedule();
}

/// Runs processes until none is left, halting when none is runnable;
/// returns what became of them. Called from the kernel's own context.
pub fn run() -> RunSummary {
    let before = lock().summary;
    pit::set_frequency(TICK_HZ);
    interrupts::set_irq_handler(TIMER_IRQ, tick);
    loop {
        reap();
        let table = lock();
        if table.live == 0 {
            break;
        }
        match pick(&table, None) {
            Some(_) => {
                drop(table);
                schedule();
            }
            None => {
                drop(table);
                // Nothing runnable: sleep until the next interrupt (a tick
                // may wake a sleeper), then look again.
                cpu::wait_for_interrupt();
                sync::disable_interrupts();
            }
        }
    }
    interrupts::clear_irq_handler(TIMER_IRQ);
    let after = lock().summary;
    let summary = RunSummary {
        succeeded: after.succeeded - before.succeeded,
        failed: after.failed - before.failed,
        killed: after.killed - before.killed,
    };
    log::info!(
        "the last process has exited: {} succeeded, {} failed, {} killed",
        summary.succeeded,
        summary.failed,
        summary.killed
    );
    summary
}
