//! The boot path: higher half, Multiboot2 information, memory map.

use crate::cmdline::CommandLine;
use crate::cmdline::selftest::MEM_MISSING;
use crate::memory::boot_info;
use crate::selftest::{Failure, TestResult, ktest};
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

#[ktest]
fn available_total_matches_the_ram_qemu_was_given() -> TestResult {
    let info = boot_info::get();
    let Some(mem) = crate::selftest::args().mem else {
        return Err(Failure::not_run(file!(), line!(), MEM_MISSING));
    };
    let available: u64 = info.memory_map().filter(|r| r.kind == 1).map(|r| r.len).sum();
    // The firmware keeps the 384 KiB hole below 1 MiB and a little at the
    // top of RAM; everything else must be there, and nothing more.
    ensure!(available <= mem, "available {available} bytes > the {mem} bytes QEMU was given");
    ensure!(
        available >= mem - (1 << 20),
        "available {available} bytes, expected at least {} for mem={mem}",
        mem - (1 << 20)
    );
    Ok(())
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
