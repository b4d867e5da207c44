//! Reporting CPU exceptions: what happened, where, and what the address was.
//!
//! A kernel fault is a bug, so every report ends the kernel (halting, or in
//! a self-test boot ending the QEMU run so the harness can read it). The
//! reports name the faulting address's region in words — "null page",
//! "kernel stack guard page", "kernel text" — because that is usually the
//! diagnosis.
//!
//! Which region an address is in depends on the kernel's layout and the
//! heap's current top, which the memory layer above knows and this layer
//! does not. So it is handed down: the start-up code registers a
//! [`DescribeAddress`] function once, right after the IDT is loaded, and
//! the reports call it (as Linux's `arch/x86/mm/fault.c` asks the memory
//! manager through narrow hooks rather than reaching into it).
//!
//! An exception in ring 3 is not a kernel bug: it goes to the handler the
//! process layer registers ([`handle_user_exceptions_with`]), which pages
//! memory in on demand or ends the process, and the kernel carries on.

use super::idt::TrapFrame;
use super::qemu::ExitCode;
use super::stop;
use super::tss::SavedContext;
use crate::console::screen::Color;
use crate::layout::Region;
use core::fmt;
use spin::Once;
use x86::irq::{EXCEPTIONS, PAGE_FAULT_VECTOR, PageFaultError};

/// Says which region of the address space an address is in.
///
/// It runs inside fault handlers, perhaps while the faulting code holds a
/// lock, so it must not take a lock, allocate, or fault itself.
pub type DescribeAddress = fn(u32) -> Region;

static DESCRIBE_ADDRESS: Once<DescribeAddress> = Once::new();

/// Registers how fault reports describe addresses. The first registration
/// holds; later ones are ignored. Until one is made, reports say that the
/// region is not known yet.
pub fn describe_addresses_with(describe: DescribeAddress) {
    DESCRIBE_ADDRESS.call_once(|| describe);
}

/// An address's region in words, or a note that none was registered yet.
#[derive(Clone, Copy)]
struct Described(Option<Region>);

fn describe(address: u32) -> Described {
    Described(DESCRIBE_ADDRESS.get().map(|describe| describe(address)))
}

impl fmt::Display for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(region) => write!(f, "{region}"),
            None => f.write_str("region not known (before memory was set up)"),
        }
    }
}

fn begin_report(title: &str) {
    crate::sync::disable_interrupts();
    // SAFETY: the kernel stops after the report; whatever held the console
    // lock (maybe the faulting code) never runs again.
    unsafe { crate::console::force_unlock() };
    crate::console::print_colored(Color::LightRed, format_args!("\n{title}"));
}

/// An exception raised by ring-3 code, decoded for the handler above.
#[derive(Clone, Copy, Debug)]
pub struct UserException {
    /// The vector (0–31).
    pub vector: u32,
    /// Its mnemonic, e.g. `#GP`.
    pub mnemonic: &'static str,
    /// Its name, e.g. "General Protection Fault".
    pub name: &'static str,
    /// For a page fault (vector 14): what the CPU said about it.
    pub page_fault: Option<PageFault>,
}

/// A page fault's address (CR2) and error code, decoded.
#[derive(Clone, Copy, Debug)]
pub struct PageFault {
    /// The address that faulted.
    pub address: u32,
    /// The page was present: a protection violation, not a missing page.
    pub present: bool,
    /// The access was a write.
    pub write: bool,
    /// The access was an instruction fetch.
    pub fetch: bool,
}

/// Handles an exception from ring 3. It returns to let the instruction run
/// again (the fault was resolved), or never returns to that code (the
/// process was ended and another one runs).
pub type UserExceptionHandler = fn(&mut TrapFrame, &UserException);

static USER_EXCEPTIONS: Once<UserExceptionHandler> = Once::new();

/// Registers the handler of exceptions raised in ring 3. The first
/// registration holds.
pub fn handle_user_exceptions_with(handler: UserExceptionHandler) {
    USER_EXCEPTIONS.call_once(|| handler);
}

fn user_exception(frame: &TrapFrame) -> UserException {
    let entry = EXCEPTIONS.get(frame.vector as usize);
    let page_fault = (frame.vector == u32::from(PAGE_FAULT_VECTOR)).then(|| {
        let code = PageFaultError::from_bits_truncate(frame.error_code);
        PageFault {
            // SAFETY: reading CR2 has no side effects.
            address: unsafe { x86::controlregs::cr2() } as u32,
            present: code.contains(PageFaultError::P),
            write: code.contains(PageFaultError::WR),
            fetch: code.contains(PageFaultError::ID),
        }
    });
    UserException {
        vector: frame.vector,
        mnemonic: entry.map_or("?", |e| e.mnemonic),
        name: entry.map_or("unknown exception", |e| e.description),
        page_fault,
    }
}

/// Handles CPU exceptions 0–31 (except the double fault, a task of its own).
pub fn handle(frame: &mut TrapFrame) {
    if frame.from_user()
        && let Some(handler) = USER_EXCEPTIONS.get()
    {
        let exception = user_exception(frame);
        handler(frame, &exception);
        return;
    }
    if frame.vector == u32::from(PAGE_FAULT_VECTOR) {
        page_fault(frame);
    }
    let name = EXCEPTIONS.get(frame.vector as usize).map_or("?", |e| e.description);
    let mnemonic = EXCEPTIONS.get(frame.vector as usize).map_or("?", |e| e.mnemonic);
    begin_report("CPU EXCEPTION");
    crate::println!(": {mnemonic} {name} (vector {})", frame.vector);
    print_frame(frame);
    stop(ExitCode::Crashed);
}

/// An interrupt on a vector nothing should raise.
pub fn unexpected_interrupt(frame: &TrapFrame) -> ! {
    begin_report("UNEXPECTED INTERRUPT");
    crate::println!(": vector {}", frame.vector);
    print_frame(frame);
    stop(ExitCode::Crashed);
}

fn page_fault(frame: &TrapFrame) -> ! {
    // SAFETY: reading CR2 has no side effects.
    let address = unsafe { x86::controlregs::cr2() } as u32;
    let code = PageFaultError::from_bits_truncate(frame.error_code);
    let region = describe(address);
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
    stop(ExitCode::Crashed);
}

/// The saved registers, in lines that fit the 80-column screen.
fn print_frame(frame: &TrapFrame) {
    crate::println!(
        "  eip {:#010x}  eflags {:#010x}  error code {:#x}",
        frame.eip,
        frame.eflags,
        frame.error_code
    );
    crate::println!(
        "  eax {:#010x}  ebx {:#010x}  ecx {:#010x}  edx {:#010x}",
        frame.eax,
        frame.ebx,
        frame.ecx,
        frame.edx
    );
    crate::println!(
        "  esi {:#010x}  edi {:#010x}  ebp {:#010x}  esp {:#010x}",
        frame.esi,
        frame.edi,
        frame.ebp,
        frame.interrupted_esp()
    );
    super::backtrace::print_from(frame.eip, frame.ebp);
}

/// Runs on the double-fault task's own stack (see `tss.rs`).
pub fn report_double_fault(error_code: u32, context: SavedContext) -> ! {
    // SAFETY: reading CR2 has no side effects.
    let cr2 = unsafe { x86::controlregs::cr2() } as u32;
    let stack_region = describe(context.esp);
    let cr2_region = describe(cr2);
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
    if matches!(cr2_region.0, Some(Region::StackGuard | Region::ProcessKernelStackGuard)) {
        crate::println!("  diagnosis: kernel stack overflow into the guard page");
    }
    super::backtrace::print_from(context.eip, context.ebp);
    stop(ExitCode::Crashed);
}
