//! The boot path: higher half, Multiboot2 information, memory map.

use crate::cmdline::CommandLine;
use crate::cmdline::selftest::MEM_MISSING;
use crate::memory::boot_info;
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq};
use mm::layout::KERNEL_BASE;

#[ktest]
fn kernel_runs_in_the_higher_half() -> TestResult {
    let code = kernel_runs_in_the_higher_half as *const () as usize as u32;
    let local = 0u32;
    let stack = &local as *const u32 as u32;
    let stack_pointer: u32;
    // SAFETY: reading ESP has no effects.
    unsafe { core::arch::asm!("mov {}, esp", out(reg) stack_pointer, options(nomem, nostack)) };
    ensure!(code >= KERNEL_BASE, "code at {code:#x}");
    ensure!(stack >= KERNEL_BASE, "stack at {stack:#x}");
    ensure!(stack_pointer >= KERNEL_BASE, "esp {stack_pointer:#x}");
    let (start, _) = crate::memory::image::virtual_span();
    ensure_eq!(start.as_u32(), KERNEL_BASE + 0x10_0000);
    Ok(())
}

#[ktest]
fn boot_information_names_the_loader_and_command_line() -> TestResult {
    let info = boot_info::get();
    let name = info.bootloader_name().unwrap_or("");
    ensure!(name.starts_with("GRUB"), "bootloader name {name:?}");
    ensure!(
        CommandLine::new(info.command_line()).has_flag("selftest"),
        "command line {:?}",
        info.command_line()
    );
    Ok(())
}

#[ktest]
fn memory_map_has_available_ram_above_1_mib() -> TestResult {
    let info = boot_info::get();
    ensure!(info.memory_map().count() > 0, "empty memory map");
    let above = info.memory_map().filter(|r| r.kind == 1 && r.start + r.len > 0x10_0000).count();
    ensure!(above > 0, "no available region above 1 MiB");
    Ok(())
}

/// The memory map's available RAM is what the firmware allows: under UEFI
/// exactly the memory its own map frees at the end of boot services (and
/// nothing outside it); under BIOS nothing in the 640 KiB..1 MiB hole. With
/// `mem=` (QEMU's `-m`) it is at most that, and under BIOS nearly all of it.
#[ktest]
fn available_memory_is_what_the_firmware_allows() -> TestResult {
    let info = boot_info::get();
    let available = || info.memory_map().filter(|r| r.kind == 1);
    let total: u64 = available().map(|r| r.len).sum();
    let mem = crate::selftest::args().mem;
    match mem {
        Some(mem) => {
            ensure!(total <= mem, "available {total} bytes > the {mem} bytes QEMU was given")
        }
        None => crate::println!("  {MEM_MISSING}"),
    }
    match info.efi_memory_map() {
        Some(efi) => {
            let free = || efi.clone().filter(|r| r.is_free_after_boot_services());
            let free_total: u64 = free().map(|r| r.len()).sum();
            ensure_eq!(total, free_total, "available vs the UEFI map's free memory");
            for region in available() {
                let covered: u64 =
                    free().map(|f| overlap(region.start, region.len, f.start, f.len())).sum();
                ensure_eq!(
                    covered,
                    region.len,
                    "available {:#x}+{:#x} vs UEFI's free memory",
                    region.start,
                    region.len
                );
            }
        }
        None => {
            for region in available() {
                let hole = overlap(region.start, region.len, 0xA_0000, 0x6_0000);
                ensure_eq!(
                    hole,
                    0,
                    "available {:#x}+{:#x} in the BIOS hole",
                    region.start,
                    region.len
                );
            }
            if let Some(mem) = mem {
                // The BIOS keeps the 384 KiB hole below 1 MiB and a little at the top.
                ensure!(total >= mem - (1 << 20), "available {total} bytes for mem={mem}");
            }
        }
    }
    Ok(())
}

/// Under UEFI, no frame the firmware keeps (runtime services, ACPI, MMIO,
/// reserved, unknown types) is ever the frame allocator's.
#[ktest]
fn the_frame_allocator_has_no_frame_the_firmware_keeps() -> TestResult {
    let info = boot_info::get();
    let Some(efi) = info.efi_memory_map() else {
        return Ok(()); // BIOS: the test above checks the only rule there is
    };
    let memory = crate::memory::lock();
    for kept in efi.filter(|r| !r.is_free_after_boot_services()) {
        for usable in memory.frames.usable().iter() {
            let bytes = overlap(
                usable.start_addr(),
                usable.end_addr() - usable.start_addr(),
                kept.start,
                kept.len(),
            );
            ensure_eq!(
                bytes,
                0,
                "usable frames {:#x}..{:#x} in {} {:#x}+{:#x}",
                usable.start_addr(),
                usable.end_addr(),
                kept.kind_name(),
                kept.start,
                kept.len()
            );
        }
    }
    Ok(())
}

/// Bytes `[a, a + a_len)` and `[b, b + b_len)` share.
fn overlap(a: u64, a_len: u64, b: u64, b_len: u64) -> u64 {
    let start = a.max(b);
    let end = a.saturating_add(a_len).min(b.saturating_add(b_len));
    end.saturating_sub(start)
}

/// The boot log's frame account names every frame kept out of the frame
/// stack at boot (kernel image, boot information, modules, bitmap): no
/// "other reserved" row, nothing counted twice.
#[ktest]
fn the_frame_account_names_every_reserved_frame() -> TestResult {
    let account = crate::memory::frame_account();
    ensure!(account.usable < account.available, "{account:?}");
    ensure!(account.free <= account.usable, "{account:?}");
    ensure_eq!(account.listed_reserved(), account.available - account.usable);
    // The kernel image's sections, counted from the linker's symbols, make
    // up the whole image the frame allocator was told to leave alone.
    let (start, end) = crate::memory::image::physical_span();
    let image_frames = (end.as_u32() - start.as_u32()).div_ceil(mm::PAGE_SIZE);
    ensure_eq!(account.kernel.iter().sum::<u32>(), image_frames);
    Ok(())
}
