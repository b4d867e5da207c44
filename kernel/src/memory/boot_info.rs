//! Reaching the boot information: GRUB may put it anywhere in physical
//! memory, so it is mapped read-only through fixmap windows and stays
//! mapped there for the kernel's whole life (its frames are reserved, so
//! nothing reuses them).

use super::fixmap::{self, Slot};
use crate::bootinfo::{BootInfo, BootInfoError, frames_holding};
use core::fmt;
use mm::{Frame, PAGE_SIZE, PhysAddr};
use spin::Once;

/// The largest block that always fits the reserved windows, wherever in
/// its first page it starts (one page goes to that offset at worst).
const MAX_KIB: usize = (Slot::BOOT_INFO_COUNT - 1) * 4;

static BOOT_INFO: Once<(BootInfo<'static>, PhysAddr, u32)> = Once::new();

/// Why the boot information cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Larger than the windows reserved for it.
    TooLarge { size: u32 },
    /// It claims `size` bytes from `start`, which runs past 4 GiB.
    PastFourGib { start: PhysAddr, size: u32 },
    /// Not 8-byte aligned, as the Multiboot2 spec requires.
    Misaligned,
    /// Mapped, but its contents are invalid.
    Invalid(BootInfoError),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size } => {
                write!(
                    f,
                    "it claims {size} bytes, more than the {MAX_KIB} KiB this kernel maps for it"
                )
            }
            Self::PastFourGib { start, size } => write!(
                f,
                "it claims {size} bytes from {start}, which runs past the end of the 32-bit \
                 physical address space"
            ),
            Self::Misaligned => write!(f, "it is not 8-byte aligned"),
            Self::Invalid(e) => write!(f, "{e}"),
        }
    }
}

/// Maps the block at physical `phys`, validates it, and keeps it for the
/// rest of the kernel's life.
///
/// # Safety
///
/// `phys` must be the address a Multiboot2 loader passed, and may be called
/// only once (before any other use of the boot-information windows).
pub unsafe fn map(phys: PhysAddr) -> Result<&'static BootInfo<'static>, MapError> {
    if !phys.is_aligned(8) {
        return Err(MapError::Misaligned);
    }
    let first = phys.align_down(PAGE_SIZE);
    let offset = phys.page_offset();
    // SAFETY: nothing uses the boot-information windows yet (called once).
    let window = unsafe { fixmap::map(Slot::nth(Slot::BOOT_INFO_FIRST, 0), first, false) };
    // SAFETY: the window maps the frame holding the block's first word,
    // and the block is 8-byte aligned so the word does not cross the page.
    let size = unsafe { window.as_ptr::<u8>().add(offset as usize).cast::<u32>().read() };
    // Frame numbers, not `first + i * PAGE_SIZE`, which wraps to frame 0 for
    // a block in the last pages below 4 GiB.
    let frames = frames_holding(phys, size).ok_or(MapError::PastFourGib { start: phys, size })?;
    if frames.len() as usize > Slot::BOOT_INFO_COUNT {
        return Err(MapError::TooLarge { size });
    }
    for (i, number) in frames.numbers().enumerate().skip(1) {
        let frame = Frame::from_number(number).start();
        // SAFETY: these windows are reserved for the boot information and unused.
        unsafe { fixmap::map(Slot::nth(Slot::BOOT_INFO_FIRST, i), frame, false) };
    }
    // SAFETY: the windows map the whole block read-only from here on, and
    // its frames are reserved so it is never written again.
    let ptr = unsafe { window.as_ptr::<u8>().add(offset as usize) };
    // SAFETY: `ptr` is readable for `size` bytes for the kernel's lifetime (above).
    let info = unsafe { BootInfo::load(ptr) }.map_err(MapError::Invalid)?;
    Ok(&BOOT_INFO.call_once(|| (info, phys, size)).0)
}

/// Physical address and size of the boot information (after [`map`]).
pub fn phys_span() -> Option<(PhysAddr, u32)> {
    BOOT_INFO.get().map(|(_, phys, size)| (*phys, *size))
}

/// The boot information (after [`map`]).
///
/// # Panics
///
/// If called before [`map`] succeeded: a bug in the start-up order.
pub fn get() -> &'static BootInfo<'static> {
    &BOOT_INFO.get().expect("boot information used before it was mapped").0
}
