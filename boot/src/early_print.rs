//! Printing before any Rust runs: COM1 and the screen, from assembly.
//!
//! The CPU check (`cpucheck.rs`) must tell a user with too old a CPU why
//! nothing happens, and it cannot call the kernel's console, which is
//! compiled Rust. These routines, in 386 assembly, write a line to COM1
//! and to the screen GRUB describes in the boot information: EGA text
//! cells, or, in a direct-colour framebuffer of 15 to 32 bits per pixel,
//! glyphs from `CPU_CHECK_GLYPHS` — the console's font made one bit per
//! pixel by `build.rs` — in white on black (all-ones bytes are white in
//! every direct-colour format).
//!
//! ```text
//!   cc_serial_init                 COM1 at 115200 8N1
//!   cc_screen_init  EBX = info     find the framebuffer tag (type 8), or EGA text at 0xB8000
//!   cc_print_line   ESI = string, EDX = row: the line on COM1 and on screen row EDX
//! ```

include!(concat!(env!("OUT_DIR"), "/glyphs.rs"));

const _: () = assert!(GLYPH_HEIGHT == 16, "the drawing loop assumes 16 rows");

#[cfg(target_arch = "x86")]
core::arch::global_asm!(
    r#"
    .section .text.boot, "ax"
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

    .section .bss
    .balign 4
cc_fb_addr: .skip 4
cc_fb_pitch: .skip 4
cc_fb_width: .skip 4
cc_fb_height: .skip 4
cc_fb_bytes: .skip 4
cc_fb_kind: .skip 4
    "#,
    base = const mm::layout::KERNEL_BASE,
    glyphs = sym CPU_CHECK_GLYPHS,
    glyph_width = const GLYPH_WIDTH,
    first = const GLYPH_FIRST as u32,
    last = const GLYPH_LAST as u32,
);
