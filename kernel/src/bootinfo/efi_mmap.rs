//! The EFI memory map tag (type 17): the firmware's own map, which GRUB
//! passes along when it booted through UEFI.
//!
//! GRUB also turns it into the Multiboot2 memory map the frame allocator
//! uses: boot-services and loader memory become available (GRUB has left
//! boot services, so the firmware no longer uses them), runtime-services
//! memory, MMIO and the firmware's reserved types stay reserved, ACPI
//! tables become "ACPI reclaimable", ACPI NVS stays NVS. This map is the
//! firmware's word for checking that (the self-tests do) and for showing
//! the boot log's reader what the firmware keeps.
//!
//! ```text
//!   payload offset  field
//!   0               descriptor size (>= 40)   4  descriptor version
//!   8               descriptors: type u32, (pad), physical start u64,
//!                   virtual start u64, pages u64 (4 KiB), attributes u64
//! ```

/// One EFI memory descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EfiRegion {
    /// The EFI memory type (`EfiConventionalMemory` = 7, ...).
    pub kind: u32,
    /// First byte.
    pub start: u64,
    /// Length in 4 KiB pages.
    pub pages: u64,
}

/// Smallest descriptor the fields above fit in (UEFI's is 40 bytes, and
/// firmware may use larger ones: the size field says).
const MIN_DESCRIPTOR: usize = 40;

impl EfiRegion {
    /// Length in bytes (saturating: the value is untrusted).
    pub fn len(&self) -> u64 {
        self.pages.saturating_mul(4096)
    }

    /// Whether the region holds no page.
    pub fn is_empty(&self) -> bool {
        self.pages == 0
    }

    /// The type's name as the UEFI specification gives it, without `Efi`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            0 => "ReservedMemoryType",
            1 => "LoaderCode",
            2 => "LoaderData",
            3 => "BootServicesCode",
            4 => "BootServicesData",
            5 => "RuntimeServicesCode",
            6 => "RuntimeServicesData",
            7 => "ConventionalMemory",
            8 => "UnusableMemory",
            9 => "ACPIReclaimMemory",
            10 => "ACPIMemoryNVS",
            11 => "MemoryMappedIO",
            12 => "MemoryMappedIOPortSpace",
            13 => "PalCode",
            14 => "PersistentMemory",
            15 => "UnacceptedMemoryType",
            0x7000_0000..=0x7FFF_FFFF => "(OEM type)",
            0x8000_0000..=0xFFFF_FFFF => "(OS loader type)",
            _ => "(unknown type)",
        }
    }

    /// Whether an operating system may use the region as RAM once boot
    /// services have ended (UEFI 2.10, section 7.2): loader and
    /// boot-services memory and conventional memory. Everything else —
    /// runtime services, ACPI, MMIO, reserved, unknown — it must leave alone
    /// (ACPI reclaimable only after reading the tables, which this kernel
    /// does not).
    pub fn is_free_after_boot_services(&self) -> bool {
        matches!(self.kind, 1..=4 | 7)
    }
}

/// The descriptors of an EFI memory map tag's payload (the bytes after its
/// 8-byte header). Malformed (a descriptor size below 40) gives none.
pub fn regions(payload: &[u8]) -> impl Iterator<Item = EfiRegion> + Clone + '_ {
    let size = payload.get(0..4).map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()) as usize);
    let body = if size >= MIN_DESCRIPTOR { payload.get(8..).unwrap_or(&[]) } else { &[] };
    body.chunks_exact(size.max(1)).filter(move |_| size >= MIN_DESCRIPTOR).map(|d| {
        let u64_at = |at: usize| u64::from_le_bytes(d[at..at + 8].try_into().unwrap());
        EfiRegion {
            kind: u32::from_le_bytes(d[0..4].try_into().unwrap()),
            start: u64_at(8),
            pages: u64_at(24),
        }
    })
}
