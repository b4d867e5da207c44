//! Host tests: the loader fed good and malformed files built byte by byte.

use super::*;

const EHDR: usize = 52;
const PHDR: usize = 32;

/// (type, offset, vaddr, filesz, memsz, flags)
type Ph = (u32, u32, u32, u32, u32, u32);

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

/// A 32-bit i386 executable with these program headers, `len` bytes long.
fn elf_file(entry: u32, phs: &[Ph], len: usize) -> Vec<u8> {
    let mut f = vec![0u8; len.max(EHDR + PHDR * phs.len())];
    put(&mut f, 0, &[0x7F, b'E', b'L', b'F', 1, 1, 1, 0]);
    put(&mut f, 16, &2u16.to_le_bytes()); // ET_EXEC
    put(&mut f, 18, &3u16.to_le_bytes()); // EM_386
    put(&mut f, 20, &1u32.to_le_bytes()); // version
    put(&mut f, 24, &entry.to_le_bytes());
    put(&mut f, 28, &(EHDR as u32).to_le_bytes()); // phoff
    put(&mut f, 32, &0u32.to_le_bytes()); // shoff: no sections
    put(&mut f, 40, &(EHDR as u16).to_le_bytes());
    put(&mut f, 42, &(PHDR as u16).to_le_bytes());
    put(&mut f, 44, &(phs.len() as u16).to_le_bytes());
    put(&mut f, 46, &40u16.to_le_bytes());
    for (i, &(t, off, va, fsz, msz, flg)) in phs.iter().enumerate() {
        let at = EHDR + i * PHDR;
        for (k, v) in [t, off, va, va, fsz, msz, flg, 0x1000].iter().enumerate() {
            put(&mut f, at + 4 * k, &v.to_le_bytes());
        }
    }
    f
}

const RX: u32 = 5;
const R: u32 = 4;
const RW: u32 = 6;

fn good() -> Vec<u8> {
    elf_file(
        0x40_0010,
        &[
            (PT_LOAD, 0x1000, 0x40_0000, 0x100, 0x100, RX),
            (PT_LOAD, 0x2000, 0x40_1000, 0x20, 0x20, R),
            (PT_LOAD, 0x3000, 0x40_2000, 0x10, 0x3000, RW),
            (0x6474_e551, 0, 0, 0, 0, RW), // GNU_STACK: ignored
        ],
        0x3010,
    )
}

#[test]
fn a_good_program_lists_its_segments() {
    let p = parse(&good()).unwrap();
    assert_eq!(p.entry, 0x40_0010);
    let segs: Vec<_> = p.segments().cloned().collect();
    assert_eq!(segs.len(), 3);
    assert_eq!(segs[0].file, 0x1000..0x1100);
    assert!(segs[0].executable && !segs[0].writable);
    assert!(!segs[1].writable && !segs[1].executable);
    assert!(segs[2].writable);
    assert_eq!(segs[2].memsz, 0x3000, ".bss beyond the file bytes");
    assert_eq!(p.image_end(), 0x40_5000);
}

fn refuse(file: &[u8]) -> String {
    parse(file).expect_err("must be refused").to_string()
}

#[test]
fn truncated_files_are_refused() {
    let f = good();
    assert!(refuse(&f[..10]).contains("not a readable ELF file"));
    assert!(refuse(&f[..EHDR + 10]).contains("not a readable ELF file"), "program headers cut");
    // The headers are whole but the last segment's bytes are not.
    assert!(refuse(&f[..0x3008]).contains("run past the end of the file"));
    assert!(refuse(&[]).contains("not a readable ELF file"));
}

#[test]
fn wrong_kinds_of_file_are_refused() {
    let mut f = good();
    f[4] = 2;
    assert!(refuse(&f).contains("64-bit") || refuse(&f).contains("readable"));
    let mut f = good();
    f[16] = 1;
    assert_eq!(refuse(&f), "ELF type 1 is not an executable (type 2)");
    let mut f = good();
    f[18] = 62;
    assert_eq!(refuse(&f), "ELF machine 62 is not i386 (3)");
    let mut f = good();
    f[0] = b'X';
    assert!(refuse(&f).contains("not a readable ELF file"));
}

#[test]
fn overlapping_segments_and_shared_pages_are_refused() {
    let overlap = elf_file(
        0x40_0010,
        &[
            (PT_LOAD, 0x100, 0x40_0000, 0x10, 0x2000, RX),
            (PT_LOAD, 0x100, 0x40_1000, 0x10, 0x10, RW),
        ],
        0x200,
    );
    assert_eq!(
        refuse(&overlap),
        "segments at 0x400000 and 0x401000 share a page (each page has one segment's rights)"
    );
    let shared = elf_file(
        0x40_0010,
        &[
            (PT_LOAD, 0x100, 0x40_0000, 0x10, 0x800, RX),
            (PT_LOAD, 0x100, 0x40_0800, 0x10, 0x10, RW),
        ],
        0x200,
    );
    assert!(refuse(&shared).contains("share a page"));
}

#[test]
fn segments_outside_the_program_area_are_refused() {
    for (va, msz) in [
        (0xC010_0000u32, 0x1000u32),
        (0x1000, 0x10),
        (0x3FFF_F000, 0x2000),
        (0x40_0000, 0xFFFF_F000),
    ] {
        let f = elf_file(va, &[(PT_LOAD, 0x100, va, 0x10, msz, RX)], 0x200);
        assert!(refuse(&f).contains("outside the program area"), "{va:#x}+{msz:#x}");
    }
}

#[test]
fn huge_sizes_are_refused_without_overflow() {
    let f = elf_file(0x40_0000, &[(PT_LOAD, 0xFFFF_FF00, 0x40_0000, 0x200, 0x200, RX)], 0x200);
    assert!(refuse(&f).contains("run past the end of the file"));
    let f = elf_file(0x40_0000, &[(PT_LOAD, 0x100, 0x40_0000, 0x20, 0x10, RX)], 0x200);
    assert_eq!(refuse(&f), "segment 0 is larger in the file than in memory");
    let f = elf_file(0x40_0000, &[(PT_LOAD, 0x100, 0xFFFF_F000, 0x10, 0x2000, RX)], 0x200);
    assert!(refuse(&f).contains("outside the program area"));
}

#[test]
fn dynamic_tls_entry_and_empty_files_are_refused() {
    let f = elf_file(0x40_0000, &[(PT_INTERP, 0x100, 0, 0x10, 0x10, R)], 0x200);
    assert!(refuse(&f).contains("dynamically linked"));
    let f = elf_file(
        0x40_0000,
        &[(PT_LOAD, 0x100, 0x40_0000, 0x10, 0x10, RX), (PT_TLS, 0x100, 0x40_1000, 0, 8, R)],
        0x200,
    );
    assert!(refuse(&f).contains("thread-local"));
    let f = elf_file(0x50_0000, &[(PT_LOAD, 0x100, 0x40_0000, 0x10, 0x10, RX)], 0x200);
    assert_eq!(refuse(&f), "entry point 0x500000 is in no executable segment");
    let f = elf_file(0x40_0000, &[(PT_LOAD, 0x100, 0x40_0000, 0x10, 0x10, RW)], 0x200);
    assert!(refuse(&f).contains("no executable segment"), "entry in a data segment");
    let f = elf_file(0x40_0000, &[], 0x200);
    assert_eq!(refuse(&f), "no loadable segment");
    let many: Vec<Ph> =
        (0..9).map(|i| (PT_LOAD, 0x100, 0x40_0000 + i * 0x1000, 0x10, 0x10, RX)).collect();
    assert!(refuse(&elf_file(0x40_0000, &many, 0x200)).contains("more than 8"));
}
