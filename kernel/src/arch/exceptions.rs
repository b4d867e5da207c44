//! Reporting CPU exceptions: what happened, where, and what the address was.
//!
//! A kernel fault is a bug, so every report ends the kernel (halting, or in
//! a self-test boot ending the QEMU run so the harness can read it). The
//! reports name the faulting address's region in words — "null page",
//! "kernel stack guard page", "kernel text" — because that is usually the
//! diagnosis.

use super::idt::TrapFrame;
use super::qemu::ExitCode;
use super::tss::SavedContext;
use crate::console::screen::Color;
use crate::layout::classify;
use crate::memory;
use x86::irq::{EXCEPTIONS, PAGE_FAULT_VECTOR, PageFaultError};

fn begin_report(title: &str) {
    super::cpu::disable_interrupts();
    // SAFETY: the kernel stops after the report; whatever held the console
    // lock (maybe the faulting code) never runs again.
    unsafe { crate::console::force_unlock() };
    crate::console::print_colored(Color::LightRed, format_args!("\n{title}"));
}

/// Handles CPU exceptions 0–31 (except the double fault, a task of its own).
pub fn handle(frame: &TrapFrame) {
    if frame.vector == u32::from(PAGE_FAULT_VECTOR) {
        page_fault(frame);
    }
    let name = EXCEPTIONS.get(frame.vector as usize).map_or("?", |e| e.description);
    let mnemonic = EXCEPTIONS.get(frame.vector as usize).map_or("?", |e| e.mnemonic);
    begin_report("CPU EXCEPTION");
    crate::println!(": {mnemonic} {name} (vector {})", frame.vector);
    print_frame(frame);
    crate::start::stop(ExitCode::Crashed);
}

/// An interrupt on a vector nothing should raise.
pub fn unexpected_interrupt(frame: &TrapFrame) -> ! {
    begin_report("UNEXPECTED INTERRUPT");
    crate::println!(": vector {}", frame.vector);
    print_frame(frame);
    crate::start::stop(ExitCode::Crashed);
}

fn page_fault(frame: &TrapFrame) -> ! {
    // SAFETY: reading CR2 has no side effects.
    let address = unsafe { x86::controlregs::cr2() } as u32;
    let code = PageFaultError::from_bits_truncate(frame.error_code);
    let region = classify(address, &memory::image::kernel_image(), memory::heap_top());
    begin_report("PAGE FAULT");
    crate::println!(" at {address:#010x}: {region}");
    crate::println!(
        "  error code {:#x}: {}, {}, {} mode{}{}",
        frame.error_code,
        if code.contains(PageFaultError::P) { "protection violation" } else { "page not present" },
        if code.contains(PageFaultError::ID) {
            "instruction fetch"
        } else if code.contains(PageFaultError::WR) {
            "write"
        } else {
            "read"
        },
        if code.contains(PageFaultError::US) { "user" } else { "kernel" },
        if code.contains(PageFaultError::RSVD) {
            ", reserved bit set in a paging entry"
        } else {
            ""
        },
        if code.contains(PageFaultError::PK) { ", protection key" } else { "" },
    );
    print_frame(frame);
    crate::start::stop(ExitCode::Crashed);
}

fn print_frame(frame: &TrapFrame) {
    crate::println!(
        "  eip {:#010x}  esp {:#010x}  ebp {:#010x}  eflags {:#010x}  error code {:#x}",
        frame.eip,
        frame.interrupted_esp(),
        frame.ebp,
        frame.eflags,
        frame.error_code
    );
    crate::println!(
        "  eax {:#010x}  ebx {:#010x}  ecx {:#010x}  edx {:#010x}  esi {:#010x}  edi {:#010x}",
        frame.eax,
        frame.ebx,
        frame.ecx,
        frame.edx,
        frame.esi,
        frame.edi
    );
}

/// Runs on the double-fault task's own stack (see `tss.rs`).
pub fn report_double_fault(error_code: u32, context: SavedContext) -> ! {
    // SAFETY: reading CR2 has no side effects.
    let cr2 = unsafe { x86::controlregs::cr2() } as u32;
    let image = memory::image::kernel_image();
    let stack_region = classify(context.esp, &image, memory::heap_top());
    let cr2_region = classify(cr2, &image, memory::heap_top());
    begin_report("DOUBLE FAULT");
    crate::println!(": the CPU faulted while delivering a fault (error code {error_code:#x})");
    crate::println!(
        "  interrupted context: eip {:#010x}  esp {:#010x}  ebp {:#010x}",
        context.eip,
        context.esp,
        context.ebp
    );
    crate::println!("  esp is in: {stack_region}");
    crate::println!("  last page-fault address (CR2) {cr2:#010x}: {cr2_region}");
    if cr2_region == crate::layout::Region::StackGuard {
        crate::println!("  diagnosis: kernel stack overflow into the guard page");
    }
    crate::start::stop(ExitCode::Crashed);
}
