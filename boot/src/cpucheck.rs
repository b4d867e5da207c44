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
//! If anything is missing, it says what on COM1 and on the screen (EGA text
//! cells, or pixels drawn with `CPU_CHECK_GLYPHS`, the console's font made
//! one bit per pixel by `build.rs`), and halts. It runs with paging off, at
//! physical addresses, on the boot stack.

include!(concat!(env!("OUT_DIR"), "/glyphs.rs"));

const _: () = assert!(GLYPH_HEIGHT == 16, "the drawing loop assumes 16 rows");

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

// cc_serial_init: COM1 at 115200 8N1, FIFOs on.
cc_serial_init:
    mov dx, 0x3F9
    mov al, 0
    out dx, al                          // no interrupts
    mov dx, 0x3FB
    mov al, 0x80
    out dx, al                          // DLAB
    mov dx, 0x3F8
    mov al, 1
    out dx, al                          // divisor 1: 115200 baud
    mov dx, 0x3F9
    mov al, 0
    out dx, al
    mov dx, 0x3FB
    mov al, 3
    out dx, al                          // 8N1
    mov dx, 0x3FA
    mov al, 0xC7
    out dx, al                          // FIFOs on and cleared
    mov dx, 0x3FC
    mov al, 0x0B
    out dx, al                          // DTR, RTS, OUT2
    ret

// cc_serial_byte: AL to COM1, after waiting (bounded) for the transmitter.
cc_serial_byte:
    push ecx
    push edx
    mov ah, al
    mov ecx, 1000000
    mov dx, 0x3FD
1:  in al, dx
    test al, 0x20
    jnz 2f
    dec ecx
    jnz 1b
2:  mov al, ah
    mov dx, 0x3F8
    out dx, al
    pop edx
    pop ecx
    ret

// cc_screen_init: finds the framebuffer tag (type 8) in the information at
// EBX and keeps what the drawing needs; without one, the EGA text buffer.
cc_screen_init:
    mov dword ptr [cc_fb_addr - {base}], 0xB8000
    mov dword ptr [cc_fb_pitch - {base}], 160
    mov dword ptr [cc_fb_width - {base}], 80
    mov dword ptr [cc_fb_height - {base}], 25
    mov dword ptr [cc_fb_kind - {base}], 2
    test ebx, ebx
    jz 9f
    lea eax, [ebx + 8]                  // first tag
    mov ecx, [ebx]
    add ecx, ebx                        // end of the information
1:  lea edx, [eax + 8]
    cmp edx, ecx
    ja 9f
    mov edx, [eax]                      // type
    test edx, edx
    jz 9f                               // end tag
    cmp edx, 8
    je 2f
    mov edx, [eax + 4]                  // size
    cmp edx, 8
    jb 9f                               // malformed: stop looking
    lea eax, [eax + edx + 7]
    and eax, -8
    jmp 1b
2:  cmp dword ptr [eax + 4], 30
    jb 9f
    cmp dword ptr [eax + 12], 0
    jne 8f                              // above 4 GiB: out of reach
    movzx edx, byte ptr [eax + 29]      // 1 RGB, 2 EGA text; indexed unsupported
    cmp edx, 1
    je 3f
    cmp edx, 2
    jne 8f
3:  mov [cc_fb_kind - {base}], edx
    mov edx, [eax + 8]
    mov [cc_fb_addr - {base}], edx
    mov edx, [eax + 16]
    mov [cc_fb_pitch - {base}], edx
    mov edx, [eax + 20]
    mov [cc_fb_width - {base}], edx
    mov edx, [eax + 24]
    mov [cc_fb_height - {base}], edx
    movzx edx, byte ptr [eax + 28]
    add edx, 7
    shr edx, 3
    mov [cc_fb_bytes - {base}], edx     // bytes per pixel
    cmp dword ptr [cc_fb_kind - {base}], 1
    jne 9f
    cmp edx, 2
    jb 8f
    cmp edx, 4
    jbe 9f
8:  mov dword ptr [cc_fb_kind - {base}], 0
9:  ret

// cc_print_line: the NUL-terminated string at ESI on COM1 and on screen
// row EDX.
cc_print_line:
    push esi
1:  lodsb
    test al, al
    jz 2f
    call cc_serial_byte
    jmp 1b
2:  mov al, 13
    call cc_serial_byte
    mov al, 10
    call cc_serial_byte
    pop esi
    mov eax, [cc_fb_kind - {base}]
    cmp eax, 2
    je cc_text_line
    cmp eax, 1
    je cc_pixel_line
    ret

// EGA text: white on red cells, row EDX.
cc_text_line:
    cmp edx, [cc_fb_height - {base}]
    jae 9f
    mov edi, edx
    imul edi, [cc_fb_pitch - {base}]
    add edi, [cc_fb_addr - {base}]
    xor ecx, ecx
1:  lodsb
    test al, al
    jz 9f
    cmp ecx, [cc_fb_width - {base}]
    jae 9f
    mov ah, 0x4F
    mov [edi + ecx * 2], ax
    inc ecx
    jmp 1b
9:  ret

// RGB framebuffer: glyphs in white on black, text row EDX. Any direct
// colour format shows all-ones bytes as white and zeros as black.
cc_pixel_line:
    push ebp
    mov eax, edx
    inc eax
    shl eax, 4                          // (row + 1) * 16 pixel rows
    cmp eax, [cc_fb_height - {base}]
    ja 9f
    shl edx, 4
    imul edx, [cc_fb_pitch - {base}]
    add edx, [cc_fb_addr - {base}]      // EDX: top-left pixel of the row
    xor ebp, ebp                        // EBP: x of the next glyph
1:  lodsb
    test al, al
    jz 9f
    lea ecx, [ebp + {glyph_width}]
    cmp ecx, [cc_fb_width - {base}]
    ja 9f
    movzx eax, al
    cmp eax, {first}
    jb 2f
    cmp eax, {last}
    jbe 3f
2:  mov eax, '?'
3:  sub eax, {first}
    shl eax, 4
    lea ebx, [eax + {glyphs} - {base}]  // EBX: this glyph's 16 rows
    push esi
    mov esi, edx
    mov eax, ebp
    imul eax, [cc_fb_bytes - {base}]
    add esi, eax                        // ESI: top-left pixel of the glyph
    mov ch, 16                          // rows left
4:  mov ah, [ebx]                       // this row's bits
    mov edi, esi
    mov cl, {glyph_width}               // pixels left
5:  xor al, al
    shl ah, 1
    jnc 6f
    mov al, 0xFF
6:  push ecx
    mov ecx, [cc_fb_bytes - {base}]
    rep stosb
    pop ecx
    dec cl
    jnz 5b
    inc ebx
    add esi, [cc_fb_pitch - {base}]
    dec ch
    jnz 4b
    pop esi
    add ebp, {glyph_width}
    jmp 1b
9:  pop ebp
    ret
    .size cpu_check, . - cpu_check

    .section .bss
    .balign 4
cc_fb_addr: .skip 4
cc_fb_pitch: .skip 4
cc_fb_width: .skip 4
cc_fb_height: .skip 4
cc_fb_bytes: .skip 4
cc_fb_kind: .skip 4
cc_line: .skip 128
    "#,
    base = const mm::layout::KERNEL_BASE,
    glyphs = sym CPU_CHECK_GLYPHS,
    glyph_width = const GLYPH_WIDTH,
    first = const GLYPH_FIRST as u32,
    last = const GLYPH_LAST as u32,
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
