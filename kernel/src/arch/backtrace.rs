//! Backtraces: which function called which, on the way to a fault or panic.
//!
//! The target keeps frame pointers (`"frame-pointer": "always"` in
//! `i686-kernel.json`), so every function starts with `push ebp; mov ebp,
//! esp`, and the frames form a chain:
//!
//! ```text
//!   [ebp + 4]  return address into the caller
//!   [ebp]      the caller's ebp  ──> next frame ... ──> 0 (set by _start)
//! ```
//!
//! The walk reads only inside the kernel's stacks (the boot stack and the
//! double-fault task's), so a corrupted chain ends the backtrace instead of
//! faulting inside the fault report. Names come from the kernel's symbol
//! table, which the memory layer maps; as with address regions, the lookup
//! is handed down ([`symbols_with`]), and before memory is up the
//! backtrace shows addresses only.

use crate::symbols::Symbol;
use spin::Once;

/// Names the function an address is in. Runs inside fault handlers: it
/// must not take a lock, allocate, or fault.
pub type LookupSymbol = fn(u32) -> Option<Symbol<'static>>;

static LOOKUP: Once<LookupSymbol> = Once::new();

/// Registers how backtraces name addresses (the first registration holds).
pub fn symbols_with(lookup: LookupSymbol) {
    LOOKUP.call_once(|| lookup);
}

/// Frames shown at most: a runaway recursion is summed up, not printed.
const MAX_FRAMES: usize = 24;

/// Whether `ebp` may be a frame on one of the kernel's stacks.
fn on_a_stack(ebp: u32) -> bool {
    let stack = boot::boot_stack();
    let (df_low, df_high) = super::tss::double_fault_stack();
    ebp.is_multiple_of(4)
        && ((stack.bottom()..stack.top() - 8).contains(&ebp)
            || (df_low..df_high - 8).contains(&ebp))
}

fn print_frame(index: usize, address: u32, symbolize: u32) {
    match LOOKUP.get().and_then(|lookup| lookup(symbolize)) {
        Some(symbol) => crate::println!("  #{index:<2} {address:#010x}  {symbol}"),
        None => crate::println!("  #{index:<2} {address:#010x}  ?"),
    }
}

/// Prints the backtrace of the code that was at `eip` with frame pointer
/// `ebp`: `eip` first, then each return address up the chain. A call that
/// repeats (a recursion) is printed once, with the number of repeats.
pub fn print_from(eip: u32, mut ebp: u32) {
    crate::println!("  backtrace (innermost first):");
    print_frame(0, eip, eip);
    let (mut shown, mut last, mut repeats) = (1, 0, 0u32);
    let flush = |repeats: &mut u32| {
        if *repeats > 0 {
            crate::println!("       ... the same call {} more times", *repeats);
            *repeats = 0;
        }
    };
    // Bounded: a stack of 64 KiB holds at most 8192 frames.
    for _ in 0..8192 {
        if !on_a_stack(ebp) {
            break;
        }
        let frame = ebp as *const u32;
        // SAFETY: `ebp` and `ebp + 4` are inside a kernel stack (checked),
        // which is mapped and readable for the kernel's whole life.
        let (caller_ebp, return_address) = unsafe { (frame.read(), frame.add(1).read()) };
        if return_address == 0 {
            break;
        }
        if return_address == last {
            repeats += 1;
        } else {
            flush(&mut repeats);
            if shown == MAX_FRAMES {
                crate::println!("  ... (more frames)");
                return;
            }
            // The call instruction is just before the return address: name
            // that, so a call at a function's very end is not put in the next.
            print_frame(shown, return_address, return_address - 1);
            shown += 1;
            last = return_address;
        }
        if caller_ebp <= ebp {
            break; // the chain must go up the stack; anything else is corrupt
        }
        ebp = caller_ebp;
    }
    flush(&mut repeats);
}

/// Prints the backtrace of the caller (for the panic handler).
#[inline(never)]
pub fn print_here() {
    let ebp: u32;
    // SAFETY: reading EBP has no effects.
    unsafe { core::arch::asm!("mov {}, ebp", out(reg) ebp, options(nomem, nostack)) };
    // This function's own frame: [ebp + 4] is the return into the caller.
    if on_a_stack(ebp) {
        let frame = ebp as *const u32;
        // SAFETY: on a kernel stack (checked).
        let (caller_ebp, return_address) = unsafe { (frame.read(), frame.add(1).read()) };
        print_from(return_address.wrapping_sub(1), caller_ebp);
    }
}
