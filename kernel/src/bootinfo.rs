//! The Multiboot2 boot information, read with the `multiboot2` crate and
//! checked at the edge.
//!
//! GRUB's information block is untrusted input. `multiboot2` checks its
//! overall structure (size, alignment, tag sequence, end tag), but some of
//! its tag accessors assert on what they find — the memory map's accessor
//! panics if the entry size is not 24 bytes, and every tag cast panics if
//! the tag is shorter than its fixed part. So before any accessor runs,
//! [`BootInfo::load`] walks the raw tags and turns each such problem into a
//! [`BootInfoError`] that says what is wrong. It also refuses what the
//! crate would accept but the kernel cannot use safely: a boot module that
//! ends before it starts, whose memory could not be protected.
//!
//! [`frames_holding`] says which frames a block at a physical address
//! covers, before the block can be read.

pub mod efi_mmap;
pub mod elf_sections;
pub mod framebuffer;

use core::fmt;
use mm::PhysAddr;
use mm::memmap::{ByteRange, FrameRange};
use multiboot2::{BootInformation, BootInformationHeader, LoadError, MemoryArea, TagType};

/// Tag sizes (header included) below which the crate's casts would panic.
const MIN_STRING_TAG: u32 = 8; // type, size, then the NUL-terminated string
const MIN_MODULE_TAG: u32 = 16; // type, size, start, end, then the string
const MIN_MMAP_TAG: u32 = 16; // type, size, entry_size, entry_version
const MMAP_ENTRY_SIZE: u32 = size_of::<MemoryArea>() as u32;
const _: () = assert!(MMAP_ENTRY_SIZE == 24);

/// What is wrong with a boot information block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootInfoError {
    /// The block is not even structurally valid (null, misaligned, sizes
    /// inconsistent, no end tag).
    Structure(LoadError),
    /// A tag is shorter than its type requires.
    TagTooShort { tag_type: u32, size: u32, minimum: u32 },
    /// The memory map's entries are not the 24-byte entries of the spec.
    MemoryMapEntrySize { entry_size: u32 },
    /// The memory map's size is not its header plus whole entries.
    MemoryMapSize { size: u32 },
    /// There is no memory map tag: the kernel cannot know where RAM is.
    NoMemoryMap,
    /// Boot module number `index` (counting from 0) ends before it starts,
    /// so the memory it occupies is unknown and cannot be kept from reuse.
    ModuleEndsBeforeStart { index: u32, start: u32, end: u32 },
}

impl fmt::Display for BootInfoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Structure(e) => write!(f, "malformed boot information: {e} ({e:?})"),
            Self::TagTooShort { tag_type, size, minimum } => write!(
                f,
                "boot information tag of type {tag_type} is {size} bytes, shorter than the {minimum} its type needs"
            ),
            Self::MemoryMapEntrySize { entry_size } => write!(
                f,
                "memory map entries are {entry_size} bytes; this kernel reads the {MMAP_ENTRY_SIZE}-byte entries of the Multiboot2 spec"
            ),
            Self::MemoryMapSize { size } => write!(
                f,
                "memory map tag of {size} bytes does not hold a whole number of {MMAP_ENTRY_SIZE}-byte entries"
            ),
            Self::NoMemoryMap => write!(f, "the boot loader passed no memory map"),
            Self::ModuleEndsBeforeStart { index, start, end } => write!(
                f,
                "boot module {index} ends at {end:#010x}, before it starts at {start:#010x}: \
                 the memory it occupies is unknown, so it cannot be protected"
            ),
        }
    }
}

/// One entry of the memory map as the loader gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// First byte.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// Multiboot2 type: 1 available, 2 reserved, 3 ACPI reclaimable,
    /// 4 ACPI NVS, 5 defective; others are treated as reserved.
    pub kind: u32,
}

impl MemoryRegion {
    /// The type as words for the boot log. Types the Multiboot2 spec does
    /// not define are named by what GRUB means by them (its `grub_memory_type`:
    /// under UEFI it passes the firmware's runtime code as 20) and, like
    /// every type but 1, never used as RAM.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            1 => "available",
            2 => "reserved",
            3 => "ACPI reclaimable",
            4 => "ACPI NVS",
            5 => "defective",
            7 => "persistent memory (kept)",
            12 => "persistent, legacy (kept)",
            16 => "coreboot tables (kept)",
            20 => "firmware code (kept)",
            _ => "unknown type (kept)",
        }
    }
}

/// A boot module (a file GRUB loaded next to the kernel).
#[derive(Clone, Copy, Debug)]
pub struct Module<'a> {
    /// Physical address of its first byte.
    pub start: u32,
    /// Physical address one past its last byte.
    pub end: u32,
    /// Its command line.
    pub cmdline: &'a str,
}

/// Validated boot information.
#[derive(Debug)]
pub struct BootInfo<'a> {
    info: BootInformation<'a>,
}

impl<'a> BootInfo<'a> {
    /// Reads and validates the block at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must be readable for the block's reported size (its first
    /// word) for `'a`, and nothing may modify the block during `'a`.
    pub unsafe fn load(ptr: *const u8) -> Result<Self, BootInfoError> {
        // SAFETY: forwarded contract; `load` itself checks null, alignment,
        // the size and the tag sequence before building references.
        let info = unsafe { BootInformation::load(ptr.cast::<BootInformationHeader>()) }
            .map_err(BootInfoError::Structure)?;
        let this = Self { info };
        this.validate()?;
        Ok(this)
    }

    fn validate(&self) -> Result<(), BootInfoError> {
        let mut has_memory_map = false;
        let mut modules = 0;
        for tag in self.info.tags() {
            let header = tag.header();
            let (tag_type, size) = (u32::from(header.typ), header.size);
            let kind = TagType::from(header.typ);
            let minimum = match kind {
                TagType::Cmdline | TagType::BootLoaderName => MIN_STRING_TAG,
                TagType::Module => MIN_MODULE_TAG,
                TagType::Mmap => MIN_MMAP_TAG,
                _ => continue,
            };
            if size < minimum {
                return Err(BootInfoError::TagTooShort { tag_type, size, minimum });
            }
            let payload = tag.payload();
            let word = |i: usize| {
                u32::from_le_bytes([payload[i], payload[i + 1], payload[i + 2], payload[i + 3]])
            };
            if kind == TagType::Module {
                let (start, end) = (word(0), word(4));
                if end < start {
                    return Err(BootInfoError::ModuleEndsBeforeStart {
                        index: modules,
                        start,
                        end,
                    });
                }
                modules += 1;
            }
            if kind == TagType::Mmap {
                let entry_size = word(0);
                if entry_size != MMAP_ENTRY_SIZE {
                    return Err(BootInfoError::MemoryMapEntrySize { entry_size });
                }
                if !(size - MIN_MMAP_TAG).is_multiple_of(MMAP_ENTRY_SIZE) {
                    return Err(BootInfoError::MemoryMapSize { size });
                }
                has_memory_map = true;
            }
        }
        if has_memory_map { Ok(()) } else { Err(BootInfoError::NoMemoryMap) }
    }

    /// Physical or virtual address the block was read at, and its size.
    pub fn span(&self) -> (usize, usize) {
        (self.info.start_address(), self.info.total_size())
    }

    /// The boot loader's name, if it gave one in valid UTF-8.
    pub fn bootloader_name(&self) -> Option<&str> {
        self.info.boot_loader_name_tag().and_then(|t| t.name().ok())
    }

    /// The kernel command line ("" if absent or not valid UTF-8).
    pub fn command_line(&self) -> &str {
        self.info.command_line_tag().and_then(|t| t.cmdline().ok()).unwrap_or("")
    }

    /// The memory map entries in the order the loader gave them.
    pub fn memory_map(&self) -> impl Iterator<Item = MemoryRegion> + Clone + '_ {
        let areas: &[MemoryArea] = match self.info.memory_map_tag() {
            // Entry size and tag size were checked in `validate`, so the
            // accessor's assertions hold.
            Some(tag) => tag.memory_areas(),
            None => &[],
        };
        areas.iter().map(|a| MemoryRegion {
            start: a.start_address(),
            len: a.size(),
            kind: u32::from(a.typ()),
        })
    }

    /// The raw payload of the first tag of type `typ` (after its header).
    fn payload(&self, typ: u32) -> Option<&[u8]> {
        self.info.tags().find(|t| u32::from(t.header().typ) == typ).map(|t| t.payload())
    }

    /// The screen GRUB left, if it said (tag 8).
    pub fn framebuffer(&self) -> Option<framebuffer::Framebuffer> {
        self.payload(8).and_then(framebuffer::Framebuffer::parse)
    }

    /// The firmware's memory map, when GRUB booted through UEFI (tag 17).
    pub fn efi_memory_map(&self) -> Option<impl Iterator<Item = efi_mmap::EfiRegion> + Clone + '_> {
        self.payload(17).map(efi_mmap::regions)
    }

    /// Where GRUB loaded the kernel's symbol table (tag 9), if it did.
    pub fn symbol_tables(&self) -> Option<elf_sections::SymbolTables> {
        self.payload(9).and_then(elf_sections::symbol_tables)
    }

    /// The boot modules; each ends at or after its start (checked by
    /// [`load`](Self::load)).
    pub fn modules(&self) -> impl Iterator<Item = Module<'_>> + '_ {
        self.info.module_tags().map(|m| Module {
            start: m.start_address(),
            end: m.end_address(),
            cmdline: m.cmdline().unwrap_or(""),
        })
    }
}

/// The frames that hold the `size` bytes of a block at `start` (at least
/// the frame of `start` itself, even for `size == 0`), or `None` if the
/// block runs past 4 GiB: no frame number wraps around to low memory.
pub fn frames_holding(start: PhysAddr, size: u32) -> Option<FrameRange> {
    let frames = ByteRange::at(start, size.max(1)).frames_touched();
    let end = u64::from(start.as_u32()) + u64::from(size);
    (frames.end_addr() >= end).then_some(frames)
}

#[cfg(not(target_os = "none"))]
pub mod fuzz;
#[cfg(test)]
mod tests;
