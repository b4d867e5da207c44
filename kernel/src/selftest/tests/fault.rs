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
