//! The COM1 serial port: a 16550 UART at 115200 baud, 8N1.
//!
//! Every byte waits for the transmit-holding register to be empty (LSR bit
//! 5) before it is written, as real UARTs and strict emulators require. If
//! the port fails its loopback self-test at start-up (a PC without a serial
//! port reads 0xFF from every register), it is disabled and output goes to
//! the screen only. Both waits are bounded by time, not by a number of
//! polls ([`Deadline`]), so a slow UART or a slow emulator (Bochs) is
//! waited for as long as it needs, and a wedged one cannot hang the kernel.

use super::deadline::Deadline;
use x86::io::{inb, outb};

const COM1: u16 = 0x3F8;

// Register offsets from the base port.
const DATA: u16 = 0; // THR on write, RBR on read; divisor low with DLAB
const IER: u16 = 1; // interrupt enable; divisor high with DLAB
const FCR: u16 = 2; // FIFO control
const LCR: u16 = 3; // line control
const MCR: u16 = 4; // modem control
const LSR: u16 = 5; // line status

const LCR_DLAB: u8 = 0x80;
const LCR_8N1: u8 = 0x03;
const FCR_ENABLE_CLEAR_14: u8 = 0xC7;
const MCR_DTR_RTS_OUT2: u8 = 0x0B;
const MCR_LOOPBACK: u8 = 0x1E;
const LSR_THR_EMPTY: u8 = 0x20;
/// 115200 / 115200: the divisor for full speed.
const DIVISOR_115200: u16 = 1;
/// How long the loopback byte may take to come back: a byte takes 87 µs at
/// 115200 baud.
const PROBE_MS: u32 = 50;
/// How long one byte may wait for the transmitter.
const SEND_MS: u32 = 10;
/// Polls of the transmitter before the deadline is armed: the usual case
/// costs no timer programming.
const QUICK_POLLS: u32 = 64;

/// A 16550 UART.
#[derive(Debug)]
pub struct Serial {
    base: u16,
    present: bool,
}

impl Serial {
    /// COM1, not yet initialised (writes are dropped until [`Serial::init`]).
    pub const fn com1() -> Self {
        Self { base: COM1, present: false }
    }

    fn write_reg(&self, reg: u16, value: u8) {
        // SAFETY: the 16550's registers are at base..base+8; writing them
        // affects only the UART.
        unsafe { outb(self.base + reg, value) }
    }

    fn read_reg(&self, reg: u16) -> u8 {
        // SAFETY: as above, reading UART registers has no memory effects.
        unsafe { inb(self.base + reg) }
    }

    /// Programs 115200 8N1 with FIFOs and checks the chip answers in
    /// loopback mode. Returns whether a working UART was found.
    pub fn init(&mut self) -> bool {
        self.write_reg(IER, 0x00); // no UART interrupts: we poll
        self.write_reg(LCR, LCR_DLAB);
        self.write_reg(DATA, (DIVISOR_115200 & 0xFF) as u8);
        self.write_reg(IER, (DIVISOR_115200 >> 8) as u8);
        self.write_reg(LCR, LCR_8N1);
        self.write_reg(FCR, FCR_ENABLE_CLEAR_14);

        // Loopback self-test: what we send must come back.
        self.write_reg(MCR, MCR_LOOPBACK);
        self.write_reg(DATA, 0xAE);
        let mut echoed = false;
        let mut deadline = Deadline::after_ms(PROBE_MS);
        while !deadline.expired() {
            if self.read_reg(LSR) & 0x01 != 0 {
                echoed = self.read_reg(DATA) == 0xAE;
                break;
            }
        }
        self.write_reg(MCR, MCR_DTR_RTS_OUT2);
        self.present = echoed;
        echoed
    }

    /// Sends one byte, waiting (bounded) for the transmitter to be ready.
    pub fn write_byte(&mut self, byte: u8) {
        if !self.present {
            return;
        }
        let ready = |this: &Self| this.read_reg(LSR) & LSR_THR_EMPTY != 0;
        if !(0..QUICK_POLLS).any(|_| ready(self)) {
            let mut deadline = Deadline::after_ms(SEND_MS);
            while !ready(self) {
                if deadline.expired() {
                    return; // a wedged UART: the byte is dropped
                }
            }
        }
        self.write_reg(DATA, byte);
    }

    /// Sends `s`, turning `\n` into `\r\n` for terminals.
    pub fn write_str(&mut self, s: &str) {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
    }
}
