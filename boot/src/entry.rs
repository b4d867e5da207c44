//! `_start`: from GRUB's hand-off to `kernel_main` in the higher half.
//!
//! GRUB enters here in 32-bit protected mode, paging off, interrupts off,
//! EAX = bootloader magic, EBX = physical address of the boot information.
//! The code is linked at 0xC01xxxxx but runs at its physical address
//! (0x001xxxxx) until paging is on, so every memory reference before the
//! jump says `symbol - KERNEL_BASE`; jumps and calls within it are relative
//! and work at either address.
//!
//! 1. Zero `.bss` (GRUB does, but the Multiboot2 spec does not promise it,
//!    and the page tables below live there).
//! 2. Check the CPU (`cpucheck.rs`) on the boot stack, at its physical
//!    address: a CPU without what the compiled code uses gets a message on
//!    serial and screen and a halt, not a silent reset.
//! 3. Fill the kernel page table with frames 0..1023 (the first 4 MiB).
//! 4. Point directory entries 0 (identity, so the instruction after
//!    enabling paging still exists) and 768 (0xC0000000) at it, 1022 at
//!    the empty fixmap table, 1023 at the directory itself (recursive).
//! 5. Load CR3, set CR0.PG, jump to the higher-half address of step 6.
//! 6. Switch to the boot stack and call `kernel_main(magic, info)`.
//!
//! The identity entry is removed by the kernel once it runs (see
//! `kernel::memory`); `kernel_main` never returns.

#[cfg(target_arch = "x86")]
core::arch::global_asm!(
    r#"
    .section .text.boot, "ax"
    .global _start
    .type _start, @function
_start:
    cli
    cld
    mov esi, eax                        // keep the magic; EBX keeps the info address

    // 1. zero .bss
    mov edi, offset __bss_start - {base}
    mov ecx, offset __bss_end - {base}
    sub ecx, edi
    shr ecx, 2
    xor eax, eax
    rep stosd

    // 2. the CPU check, before any compiled Rust (which may use CMOV)
    mov esp, offset {stack} + {stack_top_offset} - {base}
    call cpu_check

    // 3. kernel page table: entry i -> frame i, present + writable
    mov edi, offset {kernel_pt} - {base}
    mov eax, 0x003
    mov ecx, 1024
2:  mov [edi], eax
    add eax, 4096
    add edi, 4
    dec ecx
    jnz 2b

    // 4. page directory. The tables live in the kernel image, not in
    //    frames from the allocator, so their entries carry PINNED (bit 9,
    //    OS-available): the mapper never frees a pinned table.
    mov edi, offset {pd} - {base}
    mov eax, offset {kernel_pt} - {base} + {table_flags}
    mov [edi], eax                      // [0]: identity map of 0..4 MiB
    mov [edi + {kernel_pde} * 4], eax   // [768]: 0xC0000000 -> 0..4 MiB
    mov eax, offset {fixmap_pt} - {base} + {table_flags}
    mov [edi + {fixmap_pde} * 4], eax   // [1022]: fixmap
    mov eax, edi
    or eax, 0x003
    mov [edi + {recursive_pde} * 4], eax // [1023]: the directory itself

    // 5. paging on, then jump to the higher half
    mov cr3, edi
    mov eax, cr0
    or eax, 0x80000000                  // CR0.PG
    mov cr0, eax
    mov eax, offset boot_higher_half
    jmp eax

    // 6. now at 0xC01xxxxx: boot stack, then the kernel
boot_higher_half:
    mov esp, offset {stack} + {stack_top_offset}
    xor ebp, ebp                        // end of the frame-pointer chain
    push ebx                            // info (physical address)
    push esi                            // magic
    call kernel_main
6:  cli
    hlt
    jmp 6b
    .size _start, . - _start
    "#,
    base = const mm::layout::KERNEL_BASE,
    kernel_pde = const mm::layout::KERNEL_PDE,
    fixmap_pde = const mm::layout::FIXMAP_PDE,
    recursive_pde = const mm::layout::RECURSIVE_PDE,
    pd = sym crate::tables::PAGE_DIRECTORY,
    kernel_pt = sym crate::tables::KERNEL_PAGE_TABLE,
    fixmap_pt = sym crate::tables::FIXMAP_PAGE_TABLE,
    stack = sym crate::tables::STACK,
    stack_top_offset = const 4096 + crate::tables::BOOT_STACK_SIZE,
    table_flags = const (mm::paging::PageTableFlags::PRESENT.bits()
        | mm::paging::PageTableFlags::WRITABLE.bits()
        | mm::paging::PageTableFlags::PINNED.bits()),
);
