//! The panic handler: say what and where on both consoles, then stop.
//!
//! In a self-test boot the run ends through QEMU's exit device with
//! [`ExitCode::Crashed`], so the harness sees the failure immediately and
//! reads the message; otherwise the CPU halts with the message on screen.

use crate::arch::qemu::ExitCode;
use crate::console::screen::Color;
use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    crate::sync::disable_interrupts();
    // SAFETY: we never return from here and interrupts are off, so whoever
    // held the console lock (possibly the code that panicked) never runs again.
    unsafe { crate::console::force_unlock() };
    crate::console::print_colored(Color::LightRed, format_args!("\nKERNEL PANIC: "));
    match info.location() {
        Some(loc) => {
            crate::println!("{} at {}:{}:{}", info.message(), loc.file(), loc.line(), loc.column())
        }
        None => crate::println!("{}", info.message()),
    }
    crate::arch::backtrace::print_here();
    crate::arch::stop(ExitCode::Crashed)
}
