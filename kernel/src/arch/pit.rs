//! The 8253/8254 programmable interval timer, channel 0 (IRQ 0).

use x86::io::outb;

const CHANNEL0: u16 = 0x40;
const COMMAND: u16 = 0x43;
/// Channel 0, low then high byte, mode 2 (rate generator), binary.
const RATE_GENERATOR: u8 = 0b0011_0100;
/// The PIT's input clock in Hz.
const BASE_HZ: u32 = 1_193_182;

/// Makes IRQ 0 fire `hz` times a second (19 Hz to ~1.19 MHz).
pub fn set_frequency(hz: u32) {
    let divisor = (BASE_HZ / hz.max(19)).clamp(1, 0xFFFF) as u16;
    // SAFETY: programming the PIT only changes when IRQ 0 fires.
    unsafe {
        outb(COMMAND, RATE_GENERATOR);
        outb(CHANNEL0, divisor as u8);
        outb(CHANNEL0, (divisor >> 8) as u8);
    }
}
