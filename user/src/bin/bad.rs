//! Does one forbidden thing, chosen by `arg`; the kernel must kill it with
//! the right report and carry on. Exits 0 only if it was *not* stopped.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::prot;
use user::sys;

#[inline(never)]
fn overflow(depth: u32) -> u32 {
    let frame = core::hint::black_box([depth as u8; 4000]);
    // Never true, but the compiler cannot know: the recursion looks finite.
    if depth == u32::MAX {
        0
    } else {
        overflow(depth + 1) + u32::from(frame[depth as usize % 4000])
    }
}

fn run(arg: u32) -> i32 {
    let code = run as *const () as *mut u32;
    // SAFETY: none of this is sound: each case must fault, and the kernel
    // must end this process for it.
    unsafe {
        match arg {
            0 => core::hint::black_box(core::ptr::null::<u32>()).read_volatile(),
            1 => {
                core::hint::black_box(code).write_volatile(0xCCCC_CCCC);
                0
            }
            2 => (core::hint::black_box(0xC010_0000usize) as *const u32).read_volatile(),
            3 => {
                core::arch::asm!("cli");
                0
            }
            4 => (core::hint::black_box(0x2000_0000usize) as *const u32).read_volatile(),
            5 => overflow(0),
            6 => {
                let ro = sys::mmap(4096, prot::READ).unwrap_or(0);
                (ro as *mut u32).write_volatile(1);
                0
            }
            7 => {
                core::arch::asm!("int 0x30");
                0
            }
            _ => return 2,
        };
    }
    0
}

user::program!(run);
