//! Fault scenarios: each must end in a report, never return. The harness
//! boots each on its own and checks the report's text (scripts/test.sh).

use crate::selftest::{TestResult, ktest};

#[ktest(fault)]
fn null_deref() -> TestResult {
    let null = core::hint::black_box(core::ptr::null::<u32>());
    // SAFETY: deliberately unsound: this read must fault on the unmapped page 0.
    let value = unsafe { null.read_volatile() };
    crate::println!("read {value:#x} from address 0");
    Ok(())
}

#[ktest(fault)]
fn write_text() -> TestResult {
    let code = core::hint::black_box(write_text as *const () as *mut u8);
    // SAFETY: deliberately unsound: .text is mapped read-only and CR0.WP is
    // set, so this write must fault.
    unsafe { code.write_volatile(0xC3) };
    Ok(())
}

#[ktest(fault)]
fn stack_overflow() -> TestResult {
    // 512 bytes a frame: the 64 KiB stack runs out after ~128 calls. The
    // depth test only exists to make the recursion look finite to rustc.
    #[inline(never)]
    fn recurse(depth: u32) -> u32 {
        let mut frame = [0u8; 512];
        core::hint::black_box(&mut frame);
        if depth == u32::MAX { 0 } else { recurse(depth + 1) + u32::from(frame[0]) }
    }
    crate::println!("{}", recurse(0));
    Ok(())
}

#[ktest(fault)]
fn panic() -> TestResult {
    panic!("deliberate panic from the fault::panic scenario");
}

#[ktest(fault)]
fn kfree_double_free() -> TestResult {
    use crate::memory::heap::{kfree, kmalloc};
    // Neighbours on both sides keep `p` a block of its own after the first free.
    let (before, p, after) = (kmalloc(32), kmalloc(32), kmalloc(32));
    // SAFETY: deliberately unsound: the second kfree must be caught and stop the kernel.
    unsafe {
        kfree(p);
        kfree(p);
    }
    crate::println!("{before:p} {after:p}");
    Ok(())
}

#[ktest(fault)]
fn kfree_foreign_pointer() -> TestResult {
    let local = 0u64;
    // SAFETY: deliberately unsound: a stack address must be refused and stop the kernel.
    unsafe { crate::memory::heap::kfree(&local as *const u64 as *mut u8) };
    Ok(())
}

/// A page fault three named calls deep: the report's backtrace must name
/// `fault_path_inner`, `fault_path_middle` and `fault_path_outer`, in that
/// order, then the scenario itself.
#[ktest(fault)]
fn backtrace() -> TestResult {
    #[inline(never)]
    fn fault_path_inner(address: usize) -> u32 {
        // SAFETY: deliberately unsound: this read must fault (address 8).
        unsafe { core::hint::black_box(address as *const u32).read_volatile() }
    }
    #[inline(never)]
    fn fault_path_middle(address: usize) -> u32 {
        core::hint::black_box(fault_path_inner(core::hint::black_box(address))) + 1
    }
    #[inline(never)]
    fn fault_path_outer(address: usize) -> u32 {
        core::hint::black_box(fault_path_middle(core::hint::black_box(address))) + 2
    }
    crate::println!("{}", fault_path_outer(8));
    Ok(())
}

/// A fault the CPU cannot report: with an empty IDT, a breakpoint raises a
/// general-protection fault, which raises a double fault, which the CPU
/// gives up on: a triple fault, which resets the machine. `make run`'s
/// wrapper must say so (QEMU with `-no-reboot` just exits with status 0).
#[ktest(fault)]
fn triple_fault() -> TestResult {
    let empty = x86::dtables::DescriptorTablePointer::<u64> { limit: 0, base: core::ptr::null() };
    crate::println!("loading an empty IDT, then int3: the machine must reset");
    // SAFETY: deliberately unsound: the CPU resets; nothing runs after it.
    unsafe {
        x86::dtables::lidt(&empty);
        core::arch::asm!("int3");
    }
    Ok(())
}
