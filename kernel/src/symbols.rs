//! Names for code addresses, from the kernel's own ELF symbol table.
//!
//! GRUB loads the kernel ELF's `.symtab` and `.strtab` beside the image
//! (see `bootinfo::elf_sections`); the memory layer maps them and fault
//! reports ask here which function an address is in. Names are Rust's
//! mangled ones, printed demangled without their hash by the
//! `rustc-demangle` crate (made for this, and `no_std`):
//! `kernel::selftest::run+0x1c`. Plain logic over two byte slices, so the
//! host tests it.
//!
//! ```text
//!   Elf32_Sym (16 bytes): name (offset in .strtab) u32, value u32, size u32,
//!                         info u8 (type in the low 4 bits: 2 = function),
//!                         other u8, section index u16
//! ```

use core::fmt;

const SYMBOL_SIZE: usize = 16;
const STT_FUNC: u8 = 2;

/// The kernel's symbol table and its string table.
#[derive(Clone, Copy, Debug)]
pub struct SymbolTable<'a> {
    symtab: &'a [u8],
    strtab: &'a [u8],
}

/// A function and how far into it an address is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol<'a> {
    /// The mangled name, as in the table.
    pub name: &'a str,
    /// Bytes from the function's start.
    pub offset: u32,
}

impl fmt::Display for Symbol<'_> {
    /// `path::to::function+0x1c`, demangled, without the hash.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}+{:#x}", rustc_demangle::demangle(self.name), self.offset)
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl<'a> SymbolTable<'a> {
    /// A table over `.symtab` and `.strtab` as loaded.
    pub fn new(symtab: &'a [u8], strtab: &'a [u8]) -> Self {
        Self { symtab, strtab }
    }

    /// The name at `offset` in the string table: up to its NUL, if valid UTF-8.
    fn name(&self, offset: usize) -> Option<&'a str> {
        let rest = self.strtab.get(offset..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        core::str::from_utf8(&rest[..len]).ok()
    }

    /// The function `addr` is in: the function symbol whose range holds it
    /// (or, for symbols without a size, the nearest one below it).
    pub fn lookup(&self, addr: u32) -> Option<Symbol<'a>> {
        let mut best: Option<(u32, u32)> = None; // (start, name offset)
        for symbol in self.symtab.chunks_exact(SYMBOL_SIZE) {
            let (value, size) = (u32_at(symbol, 4), u32_at(symbol, 8));
            if symbol[12] & 0xF != STT_FUNC || value > addr {
                continue;
            }
            let inside = addr - value < size;
            if inside {
                best = Some((value, u32_at(symbol, 0)));
                break;
            }
            if size == 0 && best.is_none_or(|(start, _)| value > start) {
                best = Some((value, u32_at(symbol, 0)));
            }
        }
        let (start, name) = best?;
        Some(Symbol { name: self.name(name as usize)?, offset: addr - start })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(symbols: &[(&str, u32, u32, u8)]) -> (Vec<u8>, Vec<u8>) {
        let (mut symtab, mut strtab) = (vec![0; SYMBOL_SIZE], vec![0]);
        for &(name, value, size, kind) in symbols {
            symtab.extend_from_slice(&(strtab.len() as u32).to_le_bytes());
            symtab.extend_from_slice(&value.to_le_bytes());
            symtab.extend_from_slice(&size.to_le_bytes());
            symtab.extend_from_slice(&[kind, 0, 1, 0]);
            strtab.extend_from_slice(name.as_bytes());
            strtab.push(0);
        }
        (symtab, strtab)
    }

    #[test]
    fn finds_the_function_and_the_offset() {
        let (symtab, strtab) = table(&[
            ("_ZN6kernel5start11kernel_main17h0123456789abcdefE", 0xC010_0000, 0x100, STT_FUNC),
            ("_ZN6kernel8selftest3run17hfedcba9876543210E", 0xC010_0100, 0x80, STT_FUNC),
            ("SOME_DATA", 0xC010_0120, 0x10, 1),
        ]);
        let t = SymbolTable::new(&symtab, &strtab);
        let s = t.lookup(0xC010_0124).unwrap();
        assert_eq!(s.offset, 0x24);
        assert_eq!(s.to_string(), "kernel::selftest::run+0x24");
        assert_eq!(t.lookup(0xC010_0000).unwrap().to_string(), "kernel::start::kernel_main+0x0");
        assert_eq!(t.lookup(0xC010_0180), None, "past the last function's end");
        assert_eq!(t.lookup(0xC00F_FFFF), None);
    }

    #[test]
    fn symbols_without_size_cover_up_to_the_next() {
        let (symtab, strtab) =
            table(&[("_start", 0xC010_1000, 0, STT_FUNC), ("later", 0xC010_1100, 0, STT_FUNC)]);
        let t = SymbolTable::new(&symtab, &strtab);
        assert_eq!(t.lookup(0xC010_1010).unwrap().name, "_start");
        assert_eq!(t.lookup(0xC010_1110).unwrap().name, "later");
    }

    #[test]
    fn a_broken_table_gives_no_name_rather_than_a_panic() {
        let (symtab, _) = table(&[("f", 0x1000, 0x10, STT_FUNC)]);
        assert_eq!(SymbolTable::new(&symtab, &[]).lookup(0x1004), None);
        assert_eq!(SymbolTable::new(&symtab[..20], &[0, b'f', 0]).lookup(0x1004), None);
    }
}
