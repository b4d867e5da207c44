//! The ELF sections tag (type 9): the kernel's own section headers, as GRUB
//! loaded them.
//!
//! GRUB loads the sections of the kernel ELF that are not part of the
//! program image — the symbol table `.symtab` and its string table among
//! them — into free memory and writes their physical addresses into the
//! headers it passes here. That is how fault reports name functions: the
//! symbol table comes with the kernel, no separate file, no second link.
//!
//! ```text
//!   payload offset  field
//!   0  number of headers    4  header size (40 for ELF32)    8  index of .shstrtab
//!   12 headers: name, type, flags, addr, offset, size, link, info, align, entsize (u32 each)
//! ```

/// Section type of a symbol table.
const SHT_SYMTAB: u32 = 2;
/// Size of an ELF32 section header.
const HEADER_SIZE: usize = 40;

/// Where GRUB put the symbol table and its string table (physical).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymbolTables {
    /// `.symtab`: 16-byte ELF32 symbols.
    pub symtab: (u32, u32),
    /// `.strtab`: the symbols' names.
    pub strtab: (u32, u32),
}

/// One section header: (type, addr, size, link).
fn header(payload: &[u8], index: usize) -> Option<(u32, u32, u32, u32)> {
    let word =
        |at: usize| payload.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()));
    let count = word(0)? as usize;
    let size = word(4)? as usize;
    if index >= count || size < HEADER_SIZE {
        return None;
    }
    let base = 12usize.checked_add(index.checked_mul(size)?)?;
    Some((word(base + 4)?, word(base + 12)?, word(base + 20)?, word(base + 24)?))
}

/// Finds the symbol table and its string table in an ELF sections tag's
/// payload (the bytes after its 8-byte header). `None` if there is none,
/// or if either was not loaded (address 0) or is malformed.
pub fn symbol_tables(payload: &[u8]) -> Option<SymbolTables> {
    let count = payload.get(0..4).map(|b| u32::from_le_bytes(b.try_into().unwrap()))? as usize;
    let (_, addr, size, link) =
        (0..count.min(4096)).filter_map(|i| header(payload, i)).find(|h| h.0 == SHT_SYMTAB)?;
    let (_, str_addr, str_size, _) = header(payload, link as usize)?;
    if addr == 0 || str_addr == 0 || size == 0 || str_size == 0 {
        return None;
    }
    Some(SymbolTables { symtab: (addr, size), strtab: (str_addr, str_size) })
}
