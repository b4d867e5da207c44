//! The global descriptor table: flat 4 GiB code and data segments for the
//! kernel (ring 0) and for user programs (ring 3), and two task-state
//! segments (the normal one and the double-fault task's).
//!
//! GRUB leaves a GDT that the Multiboot2 spec says must not be relied on,
//! so the kernel loads its own before the first interrupt can reload CS.
//!
//! ```text
//!   selector  descriptor
//!   0x00      null
//!   0x08      kernel code: base 0, limit 4 GiB, ring 0, 32-bit
//!   0x10      kernel data: base 0, limit 4 GiB, ring 0, 32-bit
//!   0x18      TSS of the running kernel (the CPU saves its state here on a task switch)
//!   0x20      TSS of the double-fault task (its own stack; see `tss.rs`)
//!   0x28      user code: base 0, limit 4 GiB, ring 3 (selector 0x2B with RPL 3)
//!   0x30      user data: base 0, limit 4 GiB, ring 3 (selector 0x33 with RPL 3)
//! ```
//!
//! Every segment is flat, so segments add no protection of their own: what
//! keeps ring 3 out of the kernel half is the page tables' USER bit.

use spin::Once;
use x86::Ring;
use x86::dtables::{DescriptorTablePointer, lgdt};
use x86::segmentation::{
    BuildDescriptor, CodeSegmentType, DataSegmentType, Descriptor, DescriptorBuilder,
    GateDescriptorBuilder, SegmentDescriptorBuilder, SegmentSelector, load_ds, load_es, load_fs,
    load_gs, load_ss,
};

/// Kernel code segment selector.
pub const KERNEL_CODE: SegmentSelector = SegmentSelector::new(1, Ring::Ring0);
/// Kernel data segment selector.
pub const KERNEL_DATA: SegmentSelector = SegmentSelector::new(2, Ring::Ring0);
/// The running kernel's TSS.
pub const KERNEL_TSS: SegmentSelector = SegmentSelector::new(3, Ring::Ring0);
/// The double-fault task's TSS.
pub const DOUBLE_FAULT_TSS: SegmentSelector = SegmentSelector::new(4, Ring::Ring0);
/// User code segment selector (RPL 3).
pub const USER_CODE: SegmentSelector = SegmentSelector::new(5, Ring::Ring3);
/// User data segment selector (RPL 3).
pub const USER_DATA: SegmentSelector = SegmentSelector::new(6, Ring::Ring3);

static GDT: Once<[Descriptor; 7]> = Once::new();

fn flat_code(ring: Ring) -> Descriptor {
    DescriptorBuilder::code_descriptor(0, 0xF_FFFF, CodeSegmentType::ExecuteRead)
        .present()
        .dpl(ring)
        .limit_granularity_4kb()
        .db()
        .finish()
}

fn flat_data(ring: Ring) -> Descriptor {
    DescriptorBuilder::data_descriptor(0, 0xF_FFFF, DataSegmentType::ReadWrite)
        .present()
        .dpl(ring)
        .limit_granularity_4kb()
        .db()
        .finish()
}

fn tss_descriptor(base: u32, size: usize) -> Descriptor {
    <DescriptorBuilder as GateDescriptorBuilder<u32>>::tss_descriptor(
        u64::from(base),
        size as u64 - 1,
        true,
    )
    .present()
    .dpl(Ring::Ring0)
    .finish()
}

/// Builds and loads the GDT, reloads every segment register and loads the
/// task register. `kernel_tss`/`double_fault_tss` are the TSS addresses.
pub fn init(kernel_tss: u32, double_fault_tss: u32, tss_size: usize) {
    let gdt = GDT.call_once(|| {
        [
            Descriptor::NULL,
            flat_code(Ring::Ring0),
            flat_data(Ring::Ring0),
            tss_descriptor(kernel_tss, tss_size),
            tss_descriptor(double_fault_tss, tss_size),
            flat_code(Ring::Ring3),
            flat_data(Ring::Ring3),
        ]
    });
    let pointer = DescriptorTablePointer::new_from_slice(gdt);
    // SAFETY: `gdt` is 'static and holds valid flat segments; reloading the
    // segment registers with them keeps every address meaning the same.
    unsafe {
        lgdt(&pointer);
        x86::bits32::segmentation::load_cs(KERNEL_CODE);
        load_ds(KERNEL_DATA);
        load_es(KERNEL_DATA);
        load_fs(KERNEL_DATA);
        load_gs(KERNEL_DATA);
        load_ss(KERNEL_DATA);
        x86::task::load_tr(KERNEL_TSS);
    }
}
