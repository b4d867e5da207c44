//! The CPU check: does this CPU run the code the kernel was compiled to?
//!
//! The kernel is built for `i686-kernel.json`, whose `"cpu": "pentium4"`
//! lets the compiler use every instruction of the P6 family and later (the
//! features `-mmx,-sse,+soft-float` take the vector and floating-point
//! units back out). In the generated code that means CMOVcc (any `match`
//! may become one), long NOPs (`nopl`/`nopw`, the padding between
//! functions) and, for 64-bit atomics, CMPXCHG8B. A P5 Pentium or a 486
//! meets the first CMOV or padding NOP with an invalid-opcode fault, before
//! the kernel could report anything: a silent reset.
//!
//! So `_start` calls `cpu_check` before any compiled Rust runs. It is
//! written in assembly that a 386 can execute, and asks:
//!
//! 1. Is there a CPUID instruction? (EFLAGS bit 21 can be toggled.)
//! 2. CPUID leaf 1, EDX: CMOV (bit 15) and CX8 (bit 8).
//! 3. Family 6 or later (long NOPs have no CPUID bit: the P6 introduced them).
//!
//! If anything is missing, it says what on COM1 and on the screen (through
//! `early_print.rs`), and halts. It runs with paging off, at physical
//! addresses, on the boot stack.

#[cfg(target_arch = "x86")]
core::arch::global_asm!(
    r#"
    .section .text.boot, "ax"
    .global cpu_check
    .type cpu_check, @function
// cpu_check(EBX = Multiboot2 information, physical): returns if the CPU has
// what the kernel needs; otherwise prints why and halts. Keeps EBX, ESI, EBP.
cpu_check:
    push ebx
    push esi
    // 1. CPUID exists if EFLAGS.ID (bit 21) can be flipped.
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 0x200000
    push eax
    popfd
    pushfd
    pop eax
    push ecx
    popfd
    xor eax, ecx
    test eax, 0x200000
    jz 20f
    // 2. leaf 1 must exist; its EDX has the feature bits, EAX the family.
    xor eax, eax
    cpuid
    xor edi, edi                        // missing: bit 0 CMOV, 1 CX8, 2 long NOPs
    xor edx, edx
    cmp eax, 1
    jb 1f
    mov eax, 1
    cpuid
1:  mov ecx, eax
    shr ecx, 8
    and ecx, 0xF                        // family
    cmp ecx, 0xF
    jne 2f
    mov ecx, eax
    shr ecx, 20
    and ecx, 0xFF
    add ecx, 0xF                        // family 15 + extended family
2:  test edx, 1 << 15
    jnz 3f
    or edi, 1
3:  test edx, 1 << 8
    jnz 4f
    or edi, 2
4:  cmp ecx, 6
    jae 5f
    or edi, 4
5:  test edi, edi
    jnz 30f
    pop esi
    pop ebx
    ret

20: // no CPUID at all
    mov esi, offset {line_no_cpuid} - {base}
    jmp 40f

30: // build "This CPU (family N) lacks: ..." in the line buffer
    mov ebx, edi                        // the missing set (EBX is saved)
    mov edi, offset cc_line - {base}
    mov esi, offset {text_family} - {base}
    call cc_append
    mov eax, ecx
    call cc_append_decimal
    mov esi, offset {text_lacks} - {base}
    call cc_append
    mov esi, offset {text_cmov} - {base}
    test ebx, 1
    jz 31f
    call cc_append
31: mov esi, offset {text_cx8} - {base}
    test ebx, 2
    jz 32f
    call cc_append
32: mov esi, offset {text_nopl} - {base}
    test ebx, 4
    jz 33f
    call cc_append
33: mov byte ptr [edi], 0
    mov esi, offset cc_line - {base}

40: // ESI = the line that says what this CPU is; print everything, halt.
    mov ebx, [esp + 4]                  // the Multiboot2 information again
    push esi
    call cc_screen_init
    call cc_serial_init
    mov edx, 0
    mov esi, offset {line_needs} - {base}
    call cc_print_line
    mov edx, 1
    mov esi, offset {line_uses} - {base}
    call cc_print_line
    mov edx, 2
    pop esi
    call cc_print_line
    mov edx, 3
    mov esi, offset {line_halted} - {base}
    call cc_print_line
50: cli
    hlt
    jmp 50b

// cc_append: copies the NUL-terminated string at ESI to EDI (advanced).
cc_append:
    lodsb
    test al, al
    jz 1f
    stosb
    jmp cc_append
1:  ret

// cc_append_decimal: EAX (< 1000) in decimal at EDI (advanced).
cc_append_decimal:
    push ebx
    push ecx
    push edx
    mov ebx, 10
    xor ecx, ecx
1:  xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz 1b
2:  pop eax
    add al, '0'
    stosb
    dec ecx
    jnz 2b
    pop edx
    pop ecx
    pop ebx
    ret

    .size cpu_check, . - cpu_check

    .section .bss
    .balign 4
cc_line: .skip 128
    "#,
    base = const mm::layout::KERNEL_BASE,
    line_needs = sym LINE_NEEDS,
    line_uses = sym LINE_USES,
    line_no_cpuid = sym LINE_NO_CPUID,
    line_halted = sym LINE_HALTED,
    text_family = sym TEXT_FAMILY,
    text_lacks = sym TEXT_LACKS,
    text_cmov = sym TEXT_CMOV,
    text_cx8 = sym TEXT_CX8,
    text_nopl = sym TEXT_NOPL,
);

// The message, NUL-terminated for the assembly. Each line fits 80 columns.
macro_rules! asm_strings {
    ($($name:ident = $text:literal;)*) => {$(
        #[unsafe(no_mangle)]
        static $name: [u8; concat!($text, "\0").len()] = {
            let text = concat!($text, "\0").as_bytes();
            let mut bytes = [0; concat!($text, "\0").len()];
            let mut i = 0;
            while i < text.len() {
                bytes[i] = text[i];
                i += 1;
            }
            bytes
        };
    )*};
}

asm_strings! {
    LINE_NEEDS = "This kernel needs an i686 CPU (Pentium Pro or newer): it is";
    LINE_USES = "compiled to use CPUID, CMOV, CMPXCHG8B and long NOPs (family 6 on).";
    LINE_NO_CPUID = "This CPU has no CPUID instruction (a 386 or an early 486).";
    LINE_HALTED = "The kernel cannot run here: halted.";
    TEXT_FAMILY = "This CPU (family ";
    TEXT_LACKS = ") lacks:";
    TEXT_CMOV = " CMOV";
    TEXT_CX8 = " CMPXCHG8B";
    TEXT_NOPL = " long NOPs";
}
