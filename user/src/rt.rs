//! Start-up and panics: `_start` calls the program's `user_main` with the
//! argument the kernel left in EAX and exits with its result.

use crate::sys;

core::arch::global_asm!(
    r#"
    .section .text.start, "ax"
    .global _start
_start:
    xorl %ebp, %ebp          // the end of the frame-pointer chain
    andl $-16, %esp          // the ABI's alignment at the call
    subl $12, %esp
    pushl %eax               // the argument
    call {start}
    ud2
    "#,
    start = sym start,
    options(att_syntax),
);

unsafe extern "C" {
    fn user_main(arg: u32) -> i32;
}

extern "C" fn start(arg: u32) -> ! {
    // SAFETY: `program!` defines `user_main` with this signature.
    let code = unsafe { user_main(arg) };
    sys::exit(code)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::eprintln!("panic: {info}");
    sys::exit(101)
}
