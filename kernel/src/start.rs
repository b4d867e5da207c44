//! `kernel_main`: the order in which the kernel brings itself up.
//!
//! ```text
//!   boot/_start ──> kernel_main(magic, info)
//!                     1. serial console and the logger (the screen comes once
//!                        the boot information says which: EGA text at once,
//!                        a framebuffer when memory management maps it)
//!                     2. check the Multiboot2 magic: anything else stops here
//!                     3. CPU tables: GDT, TSS (with the double-fault task), IDT, PIC;
//!                        hand `memory::describe_address` down to the fault reports
//!                     4. map and validate the boot information; print it; a
//!                        `selftest` boot makes `arch::stop` leave QEMU from here on
//!                     5. memory: frames, kernel address space, heap, virtual
//!                        ranges, the boot modules (user programs) mapped
//!                     6. processes: hand the system-call and ring-3 exception
//!                        handlers down to `arch`
//!                     7. `exec=a,b,...` on the command line: start those programs
//!                        and run them until the last has exited (report; in a
//!                        `selftest` boot, exit QEMU with their verdict)
//!                     8. `selftest` on the command line: run the self-tests and
//!                        exit QEMU; otherwise report and idle
//! ```

use crate::account::Size;
use crate::arch::{self, cpu, qemu::ExitCode};
use crate::bootinfo::BootInfo;
use crate::bootinfo::efi_mmap::EfiRegion;
use crate::bootinfo::framebuffer::FramebufferKind;
use crate::cmdline::CommandLine;
use crate::{memory, println};

/// Entered from `boot`'s `_start` with the bootloader's EAX and EBX.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_main(magic: u32, info_phys: u32) -> ! {
    let serial = crate::console::init();
    println!("kernel {}: higher-half i686, Multiboot2", env!("CARGO_PKG_VERSION"));
    if !serial {
        log::warn!("no serial port answered on COM1: output goes to the screen only");
    }

    if magic != boot::MULTIBOOT2_BOOTLOADER_MAGIC {
        wrong_loader(magic);
    }

    arch::init();
    // Fault reports name the region an address is in; the memory layer
    // knows the regions, so its answer is handed down to `arch`.
    arch::exceptions::describe_addresses_with(memory::describe_address);

    // SAFETY: a Multiboot2 loader passed `info_phys` in EBX (the magic
    // proved which loader it was); the block stays untouched while the
    // kernel runs because its frames are reserved in `memory::init`.
    let info = match unsafe { memory::boot_info::map(mm::PhysAddr::new(info_phys)) } {
        Ok(info) => info,
        Err(e) => {
            log::error!("cannot use the boot information at {info_phys:#010x}: {e}");
            arch::stop(ExitCode::Crashed);
        }
    };
    // EGA text needs no mapping: the screen starts now (the framebuffer
    // once memory management maps it), and shows what was printed so far.
    if info.framebuffer().is_none_or(|fb| fb.kind == FramebufferKind::EgaText) {
        crate::console::attach_text_screen();
    }
    let cmdline = CommandLine::new(info.command_line());
    let selftest = cmdline.has_flag("selftest");
    if selftest {
        // From here on a panic or fault ends the QEMU run instead of halting.
        arch::stop::exit_qemu_on_stop();
    }
    print_boot_info(info);

    memory::init(info);
    // Backtraces name functions from the symbol table memory just mapped.
    arch::backtrace::symbols_with(memory::symbols::lookup);
    arch::interrupts::set_syscall_handler(crate::syscall::handle);
    arch::exceptions::handle_user_exceptions_with(crate::process::fault::handle);
    list_programs();

    if let Some(programs) = cmdline.value("exec") {
        let ok = exec(programs, &cmdline);
        if selftest {
            arch::stop(if ok { ExitCode::Success } else { ExitCode::TestsFailed });
        }
    }

    if selftest {
        let code = crate::selftest::run(&cmdline);
        // Under QEMU the exit device ends the run here; on a PC the summary
        // stays on the screen.
        println!("selftest: finished; the CPU halts now (power off or reset to leave)");
        arch::stop(code);
    }
    if arch::qemu::detected() {
        log::info!("boot complete; the kernel is idle (QEMU: Ctrl-A X to quit)");
    } else {
        log::info!("boot complete; the kernel is idle");
    }
    loop {
        cpu::wait_for_interrupt();
    }
}

/// Names the user programs GRUB loaded, for the boot log.
fn list_programs() {
    let mut count = 0;
    crate::print!("user programs (boot modules):");
    for module in memory::modules::all() {
        crate::print!(" {} ({} bytes)", module.name, module.bytes.len());
        count += 1;
    }
    if count == 0 {
        crate::print!(" none");
    }
    println!();
}

/// Starts every program in the comma-separated list (`name` or
/// `name:arg`) and runs them until the last has exited. True if all
/// exited with code 0.
fn exec(programs: &str, cmdline: &CommandLine<'_>) -> bool {
    let seed = cmdline.value("seed").and_then(crate::cmdline::parse_number).unwrap_or(0x5EED);
    let mut started = true;
    for word in programs.split(',').filter(|w| !w.is_empty()) {
        let (name, arg) = match word.split_once(':') {
            Some((name, arg)) => (name, crate::cmdline::parse_number(arg).unwrap_or(0) as u32),
            None => (word, seed as u32),
        };
        match crate::process::spawn(name, arg) {
            Ok(pid) => log::info!("started process {pid}: {name} (argument {arg:#x})"),
            Err(e) => {
                log::error!("cannot start {name:?}: {e}");
                started = false;
            }
        }
    }
    let summary = crate::process::run();
    started && summary.failed == 0 && summary.killed == 0
}

fn wrong_loader(magic: u32) -> ! {
    // No Multiboot2 information to say which screen there is; a Multiboot1
    // loader leaves EGA text mode.
    crate::console::attach_text_screen();
    let loader = if magic == boot::MULTIBOOT1_MAGIC { " (a Multiboot1 loader)" } else { "" };
    log::error!(
        "not started by a Multiboot2 loader: EAX = {magic:#010x}{loader}, expected {:#010x}",
        boot::MULTIBOOT2_BOOTLOADER_MAGIC
    );
    log::error!("boot this kernel with GRUB 2's `multiboot2` command; halting");
    cpu::halt_forever()
}

fn print_boot_info(info: &BootInfo<'_>) {
    println!("bootloader: {}", info.bootloader_name().unwrap_or("(not given)"));
    println!("command line: {:?}", info.command_line());
    println!("memory map:");
    println!("  {:>18}  {:>18}  {:>10}  type", "start", "end", "size");
    let mut available = 0u64;
    let mut above_4g = 0u64;
    for region in info.memory_map() {
        let end = region.start.saturating_add(region.len);
        println!(
            "  {:#018x}  {:#018x}  {:>7} KiB  {}",
            region.start,
            end,
            region.len / 1024,
            region.kind_name()
        );
        if region.kind == 1 {
            available += region.len;
            above_4g += end.saturating_sub(region.start.max(1 << 32));
        }
    }
    println!("available memory: {}", Size(available));
    if let Some(efi) = info.efi_memory_map() {
        print_efi_memory_map(efi);
    }
    if above_4g > 0 {
        println!("  of which {} above 4 GiB: out of reach without PAE, not used", Size(above_4g));
    }
}

/// The firmware's own map, with UEFI's type names, adjacent entries of one
/// type merged (OVMF gives over a hundred, mostly boot-services code and
/// data side by side: those two are merged with each other too).
fn print_efi_memory_map(map: impl Iterator<Item = EfiRegion> + Clone) {
    println!("UEFI memory map ({} entries; adjacent ones of a type merged):", map.clone().count());
    let mut run: Option<EfiRegion> = None;
    let group = |kind: u32| if kind == 4 { 3 } else { kind };
    let show = |r: &EfiRegion| {
        let end = r.start.saturating_add(r.len());
        let name = if r.kind == 3 { "BootServicesCode/Data" } else { r.kind_name() };
        println!("  {:#018x}  {:#018x}  {:>7} KiB  {name}", r.start, end, r.len() / 1024);
    };
    for mut region in map {
        region.kind = group(region.kind);
        match &mut run {
            Some(r) if r.kind == region.kind && r.start.saturating_add(r.len()) == region.start => {
                r.pages = r.pages.saturating_add(region.pages);
            }
            _ => {
                if let Some(r) = run.replace(region) {
                    show(&r);
                }
            }
        }
    }
    if let Some(r) = run {
        show(&r);
    }
}
