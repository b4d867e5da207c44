//! Host tests: hand-built information blocks, good and malformed.

use super::*;

/// Builds a Multiboot2 information block: 8-byte header, tags each padded
/// to 8 bytes, end tag.
struct Mbi {
    bytes: Vec<u8>,
}

impl Mbi {
    fn new() -> Self {
        Self { bytes: vec![0; 8] }
    }

    fn tag(mut self, typ: u32, body: &[u8]) -> Self {
        self.raw_tag(typ, 8 + body.len() as u32, body);
        self
    }

    fn raw_tag(&mut self, typ: u32, size: u32, body: &[u8]) {
        self.bytes.extend_from_slice(&typ.to_le_bytes());
        self.bytes.extend_from_slice(&size.to_le_bytes());
        self.bytes.extend_from_slice(body);
        while !self.bytes.len().is_multiple_of(8) {
            self.bytes.push(0);
        }
    }

    fn string(self, typ: u32, s: &str) -> Self {
        let mut body = s.as_bytes().to_vec();
        body.push(0);
        self.tag(typ, &body)
    }

    fn mmap(self, entries: &[(u64, u64, u32)]) -> Self {
        let mut body = Vec::new();
        body.extend_from_slice(&24u32.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes());
        for &(start, len, kind) in entries {
            body.extend_from_slice(&start.to_le_bytes());
            body.extend_from_slice(&len.to_le_bytes());
            body.extend_from_slice(&kind.to_le_bytes());
            body.extend_from_slice(&0u32.to_le_bytes());
        }
        self.tag(6, &body)
    }

    fn finish(mut self) -> Aligned {
        self.raw_tag(0, 8, &[]);
        let total = self.bytes.len() as u32;
        self.bytes[0..4].copy_from_slice(&total.to_le_bytes());
        Aligned::from(&self.bytes)
    }
}

/// 8-byte aligned copy of a block (the crate rejects misaligned ones).
struct Aligned(Vec<u64>, usize);

impl Aligned {
    fn from(bytes: &[u8]) -> Self {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        // SAFETY: `words` has at least `bytes.len()` bytes.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), words.as_mut_ptr().cast(), bytes.len())
        };
        Self(words, bytes.len())
    }

    fn load(&self) -> Result<BootInfo<'_>, BootInfoError> {
        // SAFETY: the block lives as long as `self` and is never modified.
        unsafe { BootInfo::load(self.0.as_ptr().cast()) }
    }
}

const MAP: &[(u64, u64, u32)] = &[(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0x100000, 0x7ee0000, 1)];

#[test]
fn reads_name_cmdline_and_map() {
    let block = Mbi::new().string(1, "selftest mem=4M").string(2, "GRUB 2.06").mmap(MAP).finish();
    let info = block.load().expect("valid block");
    assert_eq!(info.bootloader_name(), Some("GRUB 2.06"));
    assert_eq!(info.command_line(), "selftest mem=4M");
    let map: Vec<_> = info.memory_map().map(|r| (r.start, r.len, r.kind)).collect();
    assert_eq!(map, MAP);
    assert_eq!(info.memory_map().nth(1).unwrap().kind_name(), "reserved");
    assert_eq!(info.span().1, block.1);
}

#[test]
fn modules_are_listed() {
    let mut body = Vec::new();
    body.extend_from_slice(&0x200000u32.to_le_bytes());
    body.extend_from_slice(&0x201000u32.to_le_bytes());
    body.extend_from_slice(b"initrd\0");
    let block = Mbi::new().tag(3, &body).mmap(MAP).finish();
    let info = block.load().unwrap();
    let modules: Vec<_> = info.modules().map(|m| (m.start, m.end, m.cmdline)).collect();
    assert_eq!(modules, [(0x200000, 0x201000, "initrd")]);
}

#[test]
fn missing_optional_tags_are_fine() {
    let block = Mbi::new().mmap(MAP).finish();
    let info = block.load().unwrap();
    assert_eq!(info.bootloader_name(), None);
    assert_eq!(info.command_line(), "");
    assert_eq!(info.modules().count(), 0);
}

#[test]
fn no_memory_map_is_an_error() {
    let block = Mbi::new().string(1, "x").finish();
    assert_eq!(block.load().unwrap_err(), BootInfoError::NoMemoryMap);
}

#[test]
fn wrong_memory_map_entry_size_is_an_error_not_a_panic() {
    let mut body = Vec::new();
    body.extend_from_slice(&32u32.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    body.extend_from_slice(&[0; 32]);
    let block = Mbi::new().tag(6, &body).finish();
    let err = block.load().unwrap_err();
    assert_eq!(err, BootInfoError::MemoryMapEntrySize { entry_size: 32 });
    assert!(err.to_string().contains("32 bytes"));
}

#[test]
fn memory_map_with_partial_entry_is_an_error() {
    let mut body = Vec::new();
    body.extend_from_slice(&24u32.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    body.extend_from_slice(&[0; 30]);
    let block = Mbi::new().tag(6, &body).finish();
    assert_eq!(block.load().unwrap_err(), BootInfoError::MemoryMapSize { size: 16 + 30 });
}

#[test]
fn truncated_memory_map_header_is_an_error() {
    let mut m = Mbi::new();
    m.raw_tag(6, 12, &[24, 0, 0, 0]);
    let block = m.finish();
    assert_eq!(
        block.load().unwrap_err(),
        BootInfoError::TagTooShort { tag_type: 6, size: 12, minimum: 16 }
    );
}

#[test]
fn truncated_module_tag_is_an_error() {
    let mut m = Mbi::new().mmap(MAP);
    m.raw_tag(3, 12, &[0, 0, 0x20, 0]);
    let block = m.finish();
    assert!(matches!(block.load().unwrap_err(), BootInfoError::TagTooShort { tag_type: 3, .. }));
}

#[test]
fn missing_end_tag_and_bad_sizes_are_structural_errors() {
    // No end tag.
    let mut bytes = Mbi::new().string(1, "x").bytes;
    let total = bytes.len() as u32;
    bytes[0..4].copy_from_slice(&total.to_le_bytes());
    let block = Aligned::from(&bytes);
    assert!(matches!(block.load().unwrap_err(), BootInfoError::Structure(_)));

    // Total size smaller than the header.
    let block = Aligned::from(&[4, 0, 0, 0, 0, 0, 0, 0]);
    assert!(matches!(block.load().unwrap_err(), BootInfoError::Structure(_)));

    // A tag claiming to run past the end of the block.
    let mut m = Mbi::new().mmap(MAP);
    m.raw_tag(1, 4000, b"x\0");
    let block = m.finish();
    assert!(matches!(block.load().unwrap_err(), BootInfoError::Structure(_)));
}

#[test]
fn invalid_utf8_command_line_reads_as_empty() {
    let block = Mbi::new().tag(1, &[0xff, 0xfe, 0]).mmap(MAP).finish();
    assert_eq!(block.load().unwrap().command_line(), "");
}

#[test]
fn errors_explain_themselves() {
    let e = BootInfoError::TagTooShort { tag_type: 6, size: 12, minimum: 16 };
    assert_eq!(
        e.to_string(),
        "boot information tag of type 6 is 12 bytes, shorter than the 16 its type needs"
    );
    assert_eq!(BootInfoError::NoMemoryMap.to_string(), "the boot loader passed no memory map");
}

fn module(start: u32, end: u32, cmdline: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&start.to_le_bytes());
    body.extend_from_slice(&end.to_le_bytes());
    body.extend_from_slice(cmdline.as_bytes());
    body.push(0);
    body
}

#[test]
fn a_module_that_ends_before_it_starts_is_refused() {
    // Before this check such a module became an empty protected range, so
    // the frames it occupies were handed out.
    let block = Mbi::new()
        .tag(3, &module(0x200000, 0x201000, "fine"))
        .tag(3, &module(0x300000, 0x2ff000, "backwards"))
        .mmap(MAP)
        .finish();
    let err = block.load().unwrap_err();
    assert_eq!(
        err,
        BootInfoError::ModuleEndsBeforeStart { index: 1, start: 0x300000, end: 0x2ff000 }
    );
    assert_eq!(
        err.to_string(),
        "boot module 1 ends at 0x002ff000, before it starts at 0x00300000: the memory it \
         occupies is unknown, so it cannot be protected"
    );
    // An empty module (end == start) is a module of no bytes, not an error.
    let block = Mbi::new().tag(3, &module(0x200000, 0x200000, "empty")).mmap(MAP).finish();
    assert_eq!(block.load().unwrap().modules().count(), 1);
}

#[test]
fn frames_holding_a_block_never_wrap_past_4_gib() {
    let frames =
        |start: u32, size| frames_holding(PhysAddr::new(start), size).map(|r| (r.start(), r.end()));
    assert_eq!(frames(0x10_0008, 0x20), Some((0x100, 0x101)));
    assert_eq!(frames(0x10_0ff8, 0x10), Some((0x100, 0x102)));
    // Even a size of 0 (which `BootInfo::load` refuses later) names the
    // frame whose first word was read.
    assert_eq!(frames(0x10_0ff8, 0), Some((0x100, 0x101)));
    // The last pages below 4 GiB: `first + i * PAGE_SIZE` wrapped here, to
    // frame 0 and up.
    assert_eq!(frames(0xffff_e008, 0x1ff8), Some((0xffffe, 0x100000)));
    assert_eq!(frames(0xffff_f000, 0x1000), Some((0xfffff, 0x100000)));
    assert_eq!(frames(0xffff_f000, 0x1001), None);
    assert_eq!(frames(0xffff_fff8, 0xffff_ffff), None);
}
