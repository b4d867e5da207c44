//! The two 8259 programmable interrupt controllers.
//!
//! At power-on they deliver IRQ 0–7 on vectors 8–15, on top of the CPU's
//! exceptions (IRQ 0, the timer, would look like a double fault). `init`
//! moves IRQ 0–15 to vectors 32–47 and masks them all; drivers unmask the
//! lines they use.

use x86::io::{inb, outb};

/// Vector of IRQ 0 after remapping.
pub const IRQ_BASE: u8 = 32;

const PIC1_COMMAND: u16 = 0x20;
const PIC1_DATA: u16 = 0x21;
const PIC2_COMMAND: u16 = 0xA0;
const PIC2_DATA: u16 = 0xA1;
const ICW1_INIT_ICW4: u8 = 0x11;
const ICW4_8086: u8 = 0x01;
const EOI: u8 = 0x20;

fn write(port: u16, value: u8) {
    // SAFETY: the PIC ports only configure interrupt delivery; no memory.
    unsafe { outb(port, value) };
    // An extra port write gives old PICs time to settle (port 0x80 is unused).
    // SAFETY: as above.
    unsafe { outb(0x80, 0) };
}

fn read(port: u16) -> u8 {
    // SAFETY: as in `write`.
    unsafe { inb(port) }
}

/// Remaps IRQ 0–15 to vectors 32–47 and masks every line.
pub fn init() {
    write(PIC1_COMMAND, ICW1_INIT_ICW4);
    write(PIC2_COMMAND, ICW1_INIT_ICW4);
    write(PIC1_DATA, IRQ_BASE); // ICW2: vector offsets
    write(PIC2_DATA, IRQ_BASE + 8);
    write(PIC1_DATA, 4); // ICW3: the slave is on IRQ 2
    write(PIC2_DATA, 2); //       and has cascade identity 2
    write(PIC1_DATA, ICW4_8086);
    write(PIC2_DATA, ICW4_8086);
    write(PIC1_DATA, !(1 << 2)); // all masked but the cascade line
    write(PIC2_DATA, 0xFF);
}

/// Unmasks (`enabled`) or masks IRQ line `irq` (0–15).
pub fn set_masked(irq: u8, masked: bool) {
    let (port, bit) = if irq < 8 { (PIC1_DATA, irq) } else { (PIC2_DATA, irq - 8) };
    let mask = read(port);
    write(port, if masked { mask | 1 << bit } else { mask & !(1 << bit) });
}

/// Acknowledges IRQ `irq` so the PIC delivers the next one.
pub fn end_of_interrupt(irq: u8) {
    if irq >= 8 {
        write(PIC2_COMMAND, EOI);
    }
    write(PIC1_COMMAND, EOI);
}
