//! One console, two outputs: everything printed goes to the COM1 serial
//! port and to the VGA text screen, so a PC without a serial port still
//! shows it all. `print!`/`println!` and the `log` backend both write here.

pub mod screen;

#[cfg(target_os = "none")]
mod logger;
#[cfg(target_os = "none")]
pub mod serial;
#[cfg(target_os = "none")]
pub mod vga;

#[cfg(target_os = "none")]
pub use kernel_console::*;

#[cfg(target_os = "none")]
mod kernel_console {
    use super::screen::{Color, Screen};
    use super::serial::Serial;
    use super::vga::{VGA_TEXT_PHYS, VgaCells};
    use crate::sync::IrqMutex;
    use core::fmt::{self, Write};

    /// Serial port and screen, behind one lock so lines never interleave.
    #[derive(Debug)]
    pub struct Console {
        serial: Serial,
        screen: Screen<VgaCells>,
    }

    impl Console {
        /// Sets the screen colour for what follows (serial has no colour).
        pub fn set_color(&mut self, foreground: Color) {
            self.screen.set_color(foreground, Color::Black);
        }

        /// Moves the screen to another virtual mapping of the text buffer.
        ///
        /// # Safety
        ///
        /// `base` must map the VGA text buffer, writable, from now on.
        pub unsafe fn relocate_screen(&mut self, base: *mut u16) {
            // SAFETY: forwarded contract.
            unsafe { self.screen.cells_mut().relocate(base) };
        }

        /// The virtual address the screen buffer is used at.
        pub fn screen_base(&mut self) -> *mut u16 {
            self.screen.cells_mut().base()
        }

        /// The screen cursor as (row, column).
        pub fn cursor(&self) -> (usize, usize) {
            self.screen.cursor()
        }
    }

    impl Write for Console {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.serial.write_str(s);
            self.screen.write_str(s);
            let (row, column) = self.screen.cursor();
            self.screen.cells_mut().set_cursor(row, column);
            Ok(())
        }
    }

    /// The boot map shows physical memory 0..4 MiB at 0xC0000000, so the
    /// text buffer is at this address until the kernel remaps it.
    const BOOT_VGA: *mut u16 = (mm::layout::KERNEL_BASE + VGA_TEXT_PHYS) as *mut u16;

    /// The console.
    pub static CONSOLE: IrqMutex<Console> = IrqMutex::new(Console {
        serial: Serial::com1(),
        // SAFETY: the boot page tables map 0xC00B8000 to the text buffer
        // until `kernel::memory` relocates the console.
        screen: Screen::new(unsafe { VgaCells::new(BOOT_VGA) }),
    });

    /// Initialises the serial port, clears the screen and installs the `log`
    /// backend. Returns whether a serial port answered.
    pub fn init() -> bool {
        let serial_present = {
            let mut console = CONSOLE.lock();
            console.screen.clear();
            console.serial.init()
        };
        super::logger::init();
        serial_present
    }

    /// Releases the console lock so a panic can print even if it struck
    /// while the lock was held.
    ///
    /// # Safety
    ///
    /// Only on the way to halting: the interrupted holder never resumes.
    pub unsafe fn force_unlock() {
        // SAFETY: forwarded contract.
        unsafe { CONSOLE.force_unlock() };
    }

    #[doc(hidden)]
    pub fn _print(args: fmt::Arguments<'_>) {
        // Writing to our console cannot fail.
        let _ = CONSOLE.lock().write_fmt(args);
    }

    /// Prints in a colour on the screen (plain on serial).
    pub fn print_colored(color: Color, args: fmt::Arguments<'_>) {
        let mut console = CONSOLE.lock();
        console.set_color(color);
        let _ = console.write_fmt(args);
        console.set_color(Color::LightGray);
    }
}

/// Prints to the serial port and the screen.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

/// Prints a line to the serial port and the screen.
#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}
