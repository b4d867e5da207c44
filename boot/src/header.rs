//! The Multiboot2 header GRUB looks for in the first 32 KiB of the image.
//!
//! The header is written in assembly because one field is a link-time
//! value (the physical address of `_start`) and because the assembler then
//! computes the checksum at build time: nobody types a checksum by hand.
//!
//! ```text
//!   offset  field                      value
//!   0       magic                      0xE85250D6
//!   4       architecture               0 (i386, 32-bit protected mode)
//!   8       header_length              end - start
//!   12      checksum                   -(magic + architecture + length) mod 2^32
//!   16      tag: entry address (3)     physical address of _start
//!   32      tag: framebuffer (5)       optional; 1024 x 768, 32 bits per pixel
//!   56      tag: end (0)
//! ```
//!
//! The framebuffer tag asks GRUB for a linear framebuffer, the only screen
//! there is under UEFI. It is marked optional: where GRUB cannot set a
//! graphics mode, or is told `set gfxpayload=text`, it leaves the screen in
//! EGA text mode and says so in the boot information, and the kernel's
//! console writes to whichever it gets. The size is a preference: GRUB
//! picks another mode when this one does not exist.
//!
//! A minimal Multiboot1 header follows. It is not a second way to boot: it
//! lets a Multiboot1 loader (GRUB's `multiboot` command) start the kernel
//! just far enough for `kernel_main` to see the wrong magic and say plainly
//! that a Multiboot2 loader is needed, instead of running on with garbage.
//! The test suite uses it to exercise exactly that path.

/// The value a Multiboot2 loader leaves in EAX when it jumps to the kernel.
pub const MULTIBOOT2_BOOTLOADER_MAGIC: u32 = 0x36D7_6289;
/// The value a Multiboot1 loader leaves in EAX instead.
pub const MULTIBOOT1_MAGIC: u32 = 0x2BAD_B002;

#[cfg(target_arch = "x86")]
core::arch::global_asm!(
    r#"
    .section .multiboot, "a"
    .balign 8
    .global multiboot_header
multiboot_header:
mb2_header_start:
    .long 0xE85250D6
    .long 0
    .long mb2_header_end - mb2_header_start
    .long 0x100000000 - (0xE85250D6 + 0 + (mb2_header_end - mb2_header_start))

    .balign 8
    .short 3                    // tag: entry address
    .short 0                    // flags: required
    .long 12
    .long _start - {kernel_base}

    .balign 8
    .short 5                    // tag: framebuffer
    .short 1                    // flags: optional (EGA text is fine too)
    .long 20
    .long 1024                  // width, height, depth: a preference
    .long 768
    .long 32

    .balign 8
    .short 0                    // tag: end
    .short 0
    .long 8
mb2_header_end:

    .balign 4
mb1_header:
    .long 0x1BADB002            // Multiboot1 magic
    .long 0                     // flags: nothing requested
    .long 0x100000000 - 0x1BADB002
    "#,
    kernel_base = const mm::layout::KERNEL_BASE,
);
