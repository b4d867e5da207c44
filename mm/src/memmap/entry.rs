//! What [`clean`](super::clean) reads: memory-map entries as the boot loader
//! reported them, and byte ranges the boot already occupies.
//!
//! Both are kept exactly as given, in 64-bit byte addresses, because they are
//! untrusted input: an entry may start above 4 GiB or have a length that
//! overflows `u64`. Nothing here rounds or clips; `clean` does that in one
//! place with checked arithmetic.

use crate::addr::PhysAddr;
use crate::memmap::range::FrameRange;

/// What the boot loader says a range of physical memory is.
///
/// Only [`MapKind::Usable`] memory is ever handed out. ACPI-reclaimable
/// memory could be reclaimed once the ACPI tables have been read; this
/// kernel does not do that, so it is treated like any reserved range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapKind {
    /// RAM free for the operating system (Multiboot2 type 1).
    Usable,
    /// In use by the firmware or devices (type 2).
    Reserved,
    /// Holds ACPI tables; usable after they have been read (type 3).
    AcpiReclaimable,
    /// Must be preserved across hibernation (type 4).
    AcpiNvs,
    /// Defective RAM (type 5).
    Defective,
    /// A type number this kernel does not know; never usable.
    Unknown(u32),
}

impl MapKind {
    /// The kind for a Multiboot2 memory-map entry type number. Numbers the
    /// specification does not define (including 0) become
    /// [`MapKind::Unknown`], which is not usable.
    pub const fn from_multiboot(typ: u32) -> Self {
        match typ {
            1 => MapKind::Usable,
            2 => MapKind::Reserved,
            3 => MapKind::AcpiReclaimable,
            4 => MapKind::AcpiNvs,
            5 => MapKind::Defective,
            other => MapKind::Unknown(other),
        }
    }

    /// Whether memory of this kind may be handed out: only [`MapKind::Usable`].
    pub const fn is_usable(self) -> bool {
        matches!(self, MapKind::Usable)
    }
}

/// One entry of the boot loader's memory map: `len` bytes from `start`.
///
/// The fields are the raw Multiboot2 values; any `start` and `len` are
/// accepted, including zero lengths, entries above 4 GiB and ends that
/// overflow `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MapEntry {
    /// First byte of the range.
    pub start: u64,
    /// Length of the range in bytes.
    pub len: u64,
    /// What the range is.
    pub kind: MapKind,
}

impl MapEntry {
    /// An entry of `len` bytes from `start`.
    pub const fn new(start: u64, len: u64, kind: MapKind) -> Self {
        Self { start, len, kind }
    }

    /// An entry from the three fields of a Multiboot2 memory-map entry
    /// (`base_addr`, `length`, `type`).
    pub const fn from_multiboot(base_addr: u64, length: u64, typ: u32) -> Self {
        Self::new(base_addr, length, MapKind::from_multiboot(typ))
    }

    /// The end of the entry (one past its last byte), saturated at
    /// `u64::MAX` instead of wrapping.
    pub const fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }
}

/// A half-open range of physical bytes `[start, end)`, used for memory that is
/// occupied and must never be handed out.
///
/// Occupied ranges are rounded *outwards* to whole frames: a frame that holds
/// even one occupied byte is not free.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ByteRange {
    start: u64,
    end: u64,
}

impl ByteRange {
    /// The `len` bytes from `start`. An end past `u64::MAX` saturates.
    pub const fn new(start: u64, len: u64) -> Self {
        Self { start, end: start.saturating_add(len) }
    }

    /// The bytes from `start` up to (not including) `end`, or `None` if
    /// `end < start`, which is a caller bug (e.g. a Multiboot2 module whose end
    /// lies before its start) that must not silently become an empty range.
    pub const fn from_bounds(start: u64, end: u64) -> Option<Self> {
        if end < start { None } else { Some(Self { start, end }) }
    }

    /// The `len` bytes from the physical address `start`, such as the
    /// Multiboot2 information block.
    pub const fn at(start: PhysAddr, len: u32) -> Self {
        Self::new(start.as_u32() as u64, len as u64)
    }

    /// The bytes of the frames in `frames`.
    pub const fn of_frames(frames: FrameRange) -> Self {
        Self { start: frames.start_addr(), end: frames.end_addr() }
    }

    /// First byte.
    pub const fn start(&self) -> u64 {
        self.start
    }

    /// One past the last byte.
    pub const fn end(&self) -> u64 {
        self.end
    }

    /// The frames that hold any of these bytes (rounded outwards), clipped
    /// to the 32-bit physical address space.
    pub const fn frames_touched(&self) -> FrameRange {
        if self.end <= self.start {
            // Rounding an empty range outwards must not make it a frame.
            return FrameRange::EMPTY;
        }
        let start = min(self.start, FOUR_GIB) / PAGE;
        // Clip before rounding up so the addition cannot overflow.
        let end = min(self.end, FOUR_GIB).div_ceil(PAGE);
        if end <= start { FrameRange::EMPTY } else { FrameRange::from_u64(start, end) }
    }
}

const FOUR_GIB: u64 = 1 << 32;
const PAGE: u64 = crate::addr::PAGE_SIZE as u64;

const fn min(a: u64, b: u64) -> u64 {
    if a < b { a } else { b }
}
