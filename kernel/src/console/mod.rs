//! One console, two outputs: everything printed goes to the COM1 serial
//! port and to the screen, so a PC without a serial port still shows it
//! all. `print!`/`println!` and the `log` backend both write here.
//!
//! The screen is whichever GRUB left: a linear framebuffer
//! ([`framebuffer`], always under UEFI) or EGA text (`vga`). Both draw
//! the same text grid ([`screen`]). What is printed before the screen is
//! attached — the framebuffer needs memory management to map it — is kept
//! ([`early`]) and shown when it is.

#[cfg(target_os = "none")]
mod deadline;
pub mod early;
pub mod framebuffer;
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
    use super::early::EarlyLog;
    use super::framebuffer::Framebuffer;
    use super::screen::{Cell, Color, Display, Screen};
    use super::serial::Serial;
    use super::vga::{HEIGHT, VGA_TEXT_PHYS, VgaCells, WIDTH};
    use crate::sync::IrqMutex;
    use core::cell::UnsafeCell;
    use core::fmt::{self, Write};
    use core::sync::atomic::{AtomicBool, Ordering};

    /// The screen GRUB left.
    #[derive(Debug)]
    pub enum AnyDisplay {
        /// EGA text cells.
        Text(VgaCells),
        /// A direct-colour framebuffer.
        Framebuffer(Framebuffer),
    }

    impl Display for AnyDisplay {
        fn size(&self) -> (usize, usize) {
            match self {
                Self::Text(d) => d.size(),
                Self::Framebuffer(d) => d.size(),
            }
        }
        fn draw(&mut self, row: usize, column: usize, cell: Cell) {
            match self {
                Self::Text(d) => d.draw(row, column, cell),
                Self::Framebuffer(d) => d.draw(row, column, cell),
            }
        }
        fn show_cursor(&mut self, row: usize, column: usize) {
            match self {
                Self::Text(d) => d.show_cursor(row, column),
                Self::Framebuffer(d) => d.show_cursor(row, column),
            }
        }
    }

    /// The console's screen.
    pub type ConsoleScreen = Screen<'static, AnyDisplay>;

    /// Cells kept before a screen exists: the boot log up to memory
    /// management is about 40 lines.
    const EARLY_CELLS: usize = 8192;

    /// Serial port and screen, behind one lock so lines never interleave.
    #[derive(Debug)]
    pub struct Console {
        serial: Serial,
        screen: Option<ConsoleScreen>,
        early: EarlyLog<EARLY_CELLS>,
        attribute: u8,
    }

    impl Console {
        /// Sets the screen colour for what follows (serial has no colour).
        pub fn set_color(&mut self, foreground: Color) {
            self.attribute = foreground as u8 | (Color::Black as u8) << 4;
            if let Some(screen) = &mut self.screen {
                screen.set_attribute(self.attribute);
            }
        }

        /// Starts drawing on `display`, with `cells` as the screen's copy
        /// of its grid, and shows there what was printed before.
        pub fn attach(&mut self, display: AnyDisplay, cells: &'static mut [Cell]) {
            let mut screen = Screen::new(display, cells);
            if self.early.lost_some() {
                screen.write_str("(the first lines are only on the serial port)\n");
            }
            for cell in self.early.cells() {
                screen.set_attribute((cell >> 8) as u8);
                screen.write_byte(cell as u8);
            }
            self.early.clear();
            screen.set_attribute(self.attribute);
            self.screen = Some(screen);
        }

        /// The screen, once one is attached.
        pub fn screen(&mut self) -> Option<&mut ConsoleScreen> {
            self.screen.as_mut()
        }

        /// Moves an EGA text screen to another virtual mapping of its
        /// buffer; returns false if the screen is not EGA text.
        ///
        /// # Safety
        ///
        /// `base` must map the VGA text buffer, writable, from now on.
        pub unsafe fn relocate_text_screen(&mut self, base: *mut u16) -> bool {
            match self.screen.as_mut().map(|s| s.display_mut()) {
                Some(AnyDisplay::Text(cells)) => {
                    // SAFETY: forwarded contract.
                    unsafe { cells.relocate(base) };
                    true
                }
                _ => false,
            }
        }
    }

    impl Write for Console {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.serial.write_str(s);
            match &mut self.screen {
                Some(screen) => screen.write_str(s),
                None => {
                    for byte in s.bytes() {
                        self.early.push(Cell::from(byte) | Cell::from(self.attribute) << 8);
                    }
                }
            }
            Ok(())
        }
    }

    /// The boot map shows physical memory 0..4 MiB at 0xC0000000, so the
    /// text buffer is at this address until the kernel remaps it.
    pub const BOOT_TEXT_WINDOW: *mut u16 = (mm::layout::KERNEL_BASE + VGA_TEXT_PHYS) as *mut u16;

    /// The console.
    pub static CONSOLE: IrqMutex<Console> = IrqMutex::new(Console {
        serial: Serial::com1(),
        screen: None,
        early: EarlyLog::new(),
        attribute: Color::LightGray as u8,
    });

    /// The EGA text screen's copy of its cells (the framebuffer's, larger,
    /// is allocated when it is mapped).
    struct TextCopy(UnsafeCell<[Cell; WIDTH * HEIGHT]>);
    // SAFETY: handed out once, as a `&'static mut`, by `attach_text_screen`.
    unsafe impl Sync for TextCopy {}
    static TEXT_COPY: TextCopy = TextCopy(UnsafeCell::new([0; WIDTH * HEIGHT]));
    static TEXT_COPY_TAKEN: AtomicBool = AtomicBool::new(false);

    /// Initialises the serial port and installs the `log` backend; the
    /// screen comes later ([`attach_text_screen`], or the framebuffer
    /// through `kernel::memory`). Returns whether a serial port answered.
    pub fn init() -> bool {
        let serial_present = CONSOLE.lock().serial.init();
        super::logger::init();
        serial_present
    }

    /// Attaches the EGA text screen through the boot map's window at
    /// 0xC00B8000 (the memory layer moves it later). Once only; later
    /// calls do nothing.
    pub fn attach_text_screen() {
        if TEXT_COPY_TAKEN.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: the flag above hands the copy out once.
        let cells = unsafe { &mut *TEXT_COPY.0.get() };
        // SAFETY: the boot page tables map 0xC00B8000 to the text buffer
        // until `kernel::memory` relocates the screen.
        let display = AnyDisplay::Text(unsafe { VgaCells::new(BOOT_TEXT_WINDOW) });
        CONSOLE.lock().attach(display, cells);
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
