//! What the boot log says about memory: sizes, rounded honestly, and the
//! account of every available frame.
//!
//! Words, used for one thing each (as in docs/frames.md):
//!
//! - *available*: RAM the boot loader's memory map marks type 1. Counted
//!   in frames, only whole 4 KiB frames below 4 GiB, and never frame 0.
//! - *usable*: available frames that nothing occupied at boot (the kernel
//!   image, the boot information, modules, the kernel's symbol table, the
//!   frame bitmap): the frames
//!   the frame stack manages, free or allocated.
//! - *free*: on the frame stack right now.
//!
//! The account lists where every available frame is, so its rows add up
//! to the available count, and every line fits the 80-column screen.

use core::fmt;

/// A byte count for people: exact in KiB (or bytes, if not whole KiB),
/// with the size in MiB or GiB beside it to one decimal, rounded to the
/// nearest: `3583 KiB (3.5 MiB)`, `131072 KiB (128 MiB)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        if bytes.is_multiple_of(1024) {
            write!(f, "{} KiB", bytes / 1024)?;
        } else {
            write!(f, "{bytes} bytes")?;
        }
        let (unit, shift) = if bytes >= 1 << 30 { ("GiB", 30) } else { ("MiB", 20) };
        if bytes >= 1 << 20 {
            if bytes.is_multiple_of(1 << shift) {
                write!(f, " ({} {unit})", bytes >> shift)?;
            } else {
                // Tenths, rounded to the nearest (u128: no overflow near 2^64).
                let tenths = (u128::from(bytes) * 10 + (1 << (shift - 1))) >> shift;
                write!(f, " ({}.{} {unit})", tenths / 10, tenths % 10)?;
            }
        }
        Ok(())
    }
}

/// Where every available frame is after boot, in frames of 4 KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameAccount {
    /// Whole available frames below 4 GiB, frame 0 left out.
    pub available: u32,
    /// The kernel image's `.text`, `.rodata` and `.data`+`.bss` (which
    /// holds the page directory, the boot page tables and the stacks).
    pub kernel: [u32; 3],
    /// The boot information block.
    pub boot_info: u32,
    /// Boot modules.
    pub modules: u32,
    /// The kernel's symbol and string tables, which GRUB loaded for the
    /// backtraces in fault reports.
    pub symbols: u32,
    /// The frame allocator's bitmap.
    pub bitmap: u32,
    /// Frames the frame stack manages (available, not occupied at boot).
    pub usable: u32,
    /// Of those, frames on the stack now.
    pub free: u32,
    /// Of those, frames holding page tables allocated since boot.
    pub page_tables: u32,
    /// Of those, frames holding the framebuffer console's copy of its text.
    pub screen: u32,
}

impl FrameAccount {
    /// Frames kept out of the frame stack at boot, by the rows that list
    /// them: the kernel image, the boot information, modules, the bitmap.
    /// When the account explains every frame, this is `available - usable`.
    pub fn listed_reserved(&self) -> u32 {
        self.kernel.iter().sum::<u32>() + self.boot_info + self.modules + self.symbols + self.bitmap
    }
}

impl fmt::Display for FrameAccount {
    /// One line per row, each ending in a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, name: &str, n: u32, note: fmt::Arguments<'_>| {
            writeln!(f, "  {name:<16} {n:>7}  {note}")
        };
        let [text, rodata, data] = self.kernel;
        writeln!(
            f,
            "the {} available frames (whole 4 KiB frames below 4 GiB, not frame 0):",
            self.available
        )?;
        row(
            f,
            "kernel image",
            text + rodata + data,
            format_args!(".text {text}, .rodata {rodata}, .data+.bss {data}"),
        )?;
        writeln!(f, "{:28}(.bss: page directory, boot page tables, stacks)", "")?;
        row(f, "boot information", self.boot_info, format_args!("mapped read-only for good"))?;
        if self.modules > 0 {
            row(f, "boot modules", self.modules, format_args!(""))?;
        }
        if self.symbols > 0 {
            row(f, "kernel symbols", self.symbols, format_args!("names functions in backtraces"))?;
        }
        row(
            f,
            "frame bitmap",
            self.bitmap,
            format_args!("1 bit per frame, up to the highest usable one"),
        )?;
        // Anything the rows above miss (or count twice) is shown, not hidden.
        let reserved = self.available.saturating_sub(self.usable);
        let listed = self.listed_reserved();
        if listed < reserved {
            row(f, "other reserved", reserved - listed, format_args!("not in the rows above"))?;
        } else if listed > reserved {
            writeln!(f, "  (the rows above overlap: {} frames counted twice)", listed - reserved)?;
        }
        let allocated = self.usable.saturating_sub(self.free);
        row(f, "page tables", self.page_tables, format_args!("allocated since boot"))?;
        if self.screen > 0 {
            row(f, "screen text", self.screen, format_args!("the framebuffer console's copy"))?;
        }
        let named = self.page_tables + self.screen;
        if allocated != named {
            row(
                f,
                "other allocated",
                allocated.saturating_sub(named),
                format_args!("handed out since boot"),
            )?;
        }
        let free_bytes = u64::from(self.free) * 4096;
        row(f, "free", self.free, format_args!("{}", Size(free_bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_exact_in_kib_and_rounded_to_the_nearest_tenth() {
        assert_eq!(Size(639 * 1024).to_string(), "639 KiB");
        assert_eq!(Size(3583 * 1024).to_string(), "3583 KiB (3.5 MiB)");
        assert_eq!(Size(3380 * 1024).to_string(), "3380 KiB (3.3 MiB)");
        assert_eq!(Size(128 << 20).to_string(), "131072 KiB (128 MiB)");
        // 127.999 MiB: the decimal says it is rounded.
        assert_eq!(Size((128 << 20) - 1024).to_string(), "131071 KiB (128.0 MiB)");
        assert_eq!(Size((1 << 20) + 1).to_string(), "1048577 bytes (1.0 MiB)");
        assert_eq!(Size(4 << 30).to_string(), "4194304 KiB (4 GiB)");
        assert_eq!(Size(3 << 29).to_string(), "1572864 KiB (1.5 GiB)");
        assert_eq!(Size(u64::MAX).to_string(), "18446744073709551615 bytes (17179869184.0 GiB)");
    }

    /// The 4 MiB QEMU machine's account, as the kernel measured it.
    fn four_mib() -> FrameAccount {
        FrameAccount {
            available: 894,
            kernel: [13, 4, 29],
            boot_info: 1,
            symbols: 0,
            screen: 0,
            modules: 0,
            bitmap: 1,
            usable: 846,
            free: 845,
            page_tables: 1,
        }
    }

    /// The number in the first column of each row.
    fn rows(text: &str) -> Vec<u32> {
        text.lines()
            .skip(1)
            .filter_map(|l| l.get(18..26).and_then(|n| n.trim().parse().ok()))
            .collect()
    }

    #[test]
    fn the_rows_add_up_to_every_available_frame() {
        let text = four_mib().to_string();
        assert_eq!(rows(&text).iter().sum::<u32>(), 894, "{text}");
        assert!(text.contains("free                 845  3380 KiB (3.3 MiB)"), "{text}");
        assert!(!text.contains("other"), "{text}");
    }

    #[test]
    fn what_the_rows_miss_is_shown() {
        let a = FrameAccount { usable: 840, free: 836, ..four_mib() };
        let text = a.to_string();
        assert!(text.contains("other reserved         6"), "{text}");
        assert!(text.contains("other allocated        3"), "{text}");
        assert_eq!(rows(&text).iter().sum::<u32>(), 894, "{text}");
        let overlap = FrameAccount { usable: 850, free: 849, ..four_mib() }.to_string();
        assert!(overlap.contains("4 frames counted twice"), "{overlap}");
    }

    #[test]
    fn every_line_fits_the_screen_even_with_4_gib() {
        let big = FrameAccount {
            available: 1_048_575,
            kernel: [13, 4, 29],
            boot_info: 2,
            symbols: 0,
            screen: 0,
            modules: 1000,
            bitmap: 32,
            usable: 1_047_000,
            free: 1_000_000,
            page_tables: 40,
        };
        for account in [four_mib(), big] {
            for line in account.to_string().lines() {
                assert!(line.len() <= 80, "{} columns: {line}", line.len());
            }
        }
    }
}
