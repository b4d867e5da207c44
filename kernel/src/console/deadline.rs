//! Waiting bounded by time, not by a number of polls: PIT channel 2.
//!
//! The serial console must give up on a UART that does not answer, but how
//! many polls make a millisecond depends on the machine: a fixed count
//! that is ample on QEMU gives up too early on Bochs at its default 50
//! MIPS, or on a slow real UART. So the console measures time with the
//! 8254's channel 2 in one-shot mode (the PC speaker's channel, which
//! nothing else here uses; `arch::pit` drives channel 0): its output, read
//! at port 0x61 bit 5, goes high when the count runs out, at 1.193182 MHz
//! on every PC. This is the console's own because it is needed before
//! `arch` is set up. Where the 8254 is gated off (some recent chipsets),
//! the output never rises, so a cap on the polls remains as a last resort,
//! far above what any working machine needs.

use x86::io::{inb, outb};

const CHANNEL2: u16 = 0x42;
const COMMAND: u16 = 0x43;
const PORT_B: u16 = 0x61;
/// Channel 2, low then high byte, mode 0 (interrupt on terminal count), binary.
const ONE_SHOT: u8 = 0b1011_0000;
const GATE: u8 = 0x01;
const SPEAKER: u8 = 0x02;
const OUT2: u8 = 0x20;
const TICKS_PER_MS: u32 = 1193;
/// Polls before giving up on a PIT that does not count.
const POLL_CAP: u32 = 50_000_000;

/// A deadline some milliseconds away.
#[derive(Debug)]
pub struct Deadline {
    polls: u32,
}

impl Deadline {
    /// Starts channel 2 counting down `ms` milliseconds (at most 54, the
    /// counter's 16 bits).
    pub fn after_ms(ms: u32) -> Self {
        let count = (ms.min(54) * TICKS_PER_MS) as u16;
        // SAFETY: port 0x61's low bits gate channel 2 and the speaker,
        // and ports 0x42/0x43 program channel 2: nothing else uses them.
        unsafe {
            let port_b = inb(PORT_B) & !(GATE | SPEAKER);
            outb(PORT_B, port_b); // gate low: the count restarts when it rises
            outb(COMMAND, ONE_SHOT);
            outb(CHANNEL2, count as u8);
            outb(CHANNEL2, (count >> 8) as u8);
            outb(PORT_B, port_b | GATE);
        }
        Self { polls: 0 }
    }

    /// Whether the time is up (or the poll cap reached).
    pub fn expired(&mut self) -> bool {
        self.polls += 1;
        // SAFETY: reading port 0x61 has no side effects.
        let out = unsafe { inb(PORT_B) } & OUT2 != 0;
        out || self.polls >= POLL_CAP
    }
}
