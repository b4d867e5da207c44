//! Reading a user program: a static i686 ELF executable, checked header by
//! header and segment by segment before anything is mapped.
//!
//! The `elf` crate parses (bounds-checked, no allocation); this module
//! decides whether the kernel will run the result:
//!
//! - a 32-bit little-endian executable (`ET_EXEC`) for i386, statically
//!   linked: no interpreter, no dynamic section, no thread-local storage;
//! - 1 to [`MAX_SEGMENTS`] loadable segments, each inside the file
//!   (`offset + filesz` within its length, without overflow), no larger in
//!   the file than in memory, and inside the user image area
//!   (`USER_IMAGE_START..USER_HEAP_END`: above the unmapped first 4 MiB,
//!   below the anonymous-mapping area);
//! - no two segments sharing a page (each page gets one segment's rights);
//! - the entry point inside an executable segment.
//!
//! A segment's rights come from its flags: writable only with `PF_W`.
//! Two-level i686 paging has no no-execute bit, so `PF_X` is recorded but
//! cannot be enforced: every readable page is executable.
//!
//! The result, [`Program`], lists what to map; the process layer maps it
//! into a fresh address space, so a file refused here leaves nothing
//! mapped at all.

mod error;
#[cfg(test)]
mod tests;

pub use error::ElfError;

use core::ops::Range;
use elf::ElfBytes;
use elf::abi::{EM_386, ET_EXEC, PF_W, PF_X, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_TLS};
use elf::endian::LittleEndian;
use elf::file::Class;
use mm::PAGE_SIZE;
use mm::layout::{USER_HEAP_END, USER_IMAGE_START};

/// The most loadable segments a program may have.
pub const MAX_SEGMENTS: usize = 8;

/// One loadable segment, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Its first byte in memory.
    pub vaddr: u32,
    /// Bytes in memory (the part beyond `file` is zero: `.bss`).
    pub memsz: u32,
    /// Where its initialised bytes are in the file.
    pub file: Range<usize>,
    /// `PF_W`: the process may write it.
    pub writable: bool,
    /// `PF_X`: code (not enforceable on i686 without PAE).
    pub executable: bool,
}

impl Segment {
    /// One past its last byte in memory.
    pub fn end(&self) -> u32 {
        self.vaddr + self.memsz
    }

    /// Its first and one-past-last page addresses.
    pub fn pages(&self) -> (u32, u32) {
        (self.vaddr & !(PAGE_SIZE - 1), self.end().next_multiple_of(PAGE_SIZE))
    }
}

/// A program the kernel will run: its entry point and what to load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Where execution starts.
    pub entry: u32,
    segments: [Option<Segment>; MAX_SEGMENTS],
    count: usize,
}

impl Program {
    /// The loadable segments, in file order.
    pub fn segments(&self) -> impl Iterator<Item = &Segment> + '_ {
        self.segments[..self.count].iter().flatten()
    }

    /// One past the last page of the highest segment: where the heap starts.
    pub fn image_end(&self) -> u32 {
        self.segments().map(|s| s.pages().1).max().unwrap_or(USER_IMAGE_START.as_u32())
    }
}

/// Checks `file` and lists what to load, or says what is wrong with it.
pub fn parse(file: &[u8]) -> Result<Program, ElfError> {
    let elf = ElfBytes::<LittleEndian>::minimal_parse(file).map_err(ElfError::Parse)?;
    let header = &elf.ehdr;
    if header.class != Class::ELF32 {
        return Err(ElfError::Not32Bit);
    }
    if header.e_type != ET_EXEC {
        return Err(ElfError::NotExecutable(header.e_type));
    }
    if header.e_machine != EM_386 {
        return Err(ElfError::NotI386(header.e_machine));
    }
    let table = elf.segments().ok_or(ElfError::NoSegments)?;
    let mut program =
        Program { entry: header.e_entry as u32, segments: Default::default(), count: 0 };
    for (index, ph) in table.iter().enumerate() {
        match ph.p_type {
            PT_INTERP | PT_DYNAMIC => return Err(ElfError::Dynamic),
            PT_TLS => return Err(ElfError::ThreadLocal),
            PT_LOAD => {}
            _ => continue, // notes, GNU_STACK, PHDR: nothing to load
        }
        if ph.p_memsz == 0 {
            continue;
        }
        if program.count == MAX_SEGMENTS {
            return Err(ElfError::TooManySegments);
        }
        let file_end = ph.p_offset.checked_add(ph.p_filesz);
        if file_end.is_none_or(|end| end > file.len() as u64) {
            return Err(ElfError::OutsideFile { index, offset: ph.p_offset, size: ph.p_filesz });
        }
        if ph.p_filesz > ph.p_memsz {
            return Err(ElfError::FileLargerThanMemory { index });
        }
        let end = ph.p_vaddr.saturating_add(ph.p_memsz);
        if ph.p_vaddr < u64::from(USER_IMAGE_START.as_u32())
            || end > u64::from(USER_HEAP_END.as_u32())
        {
            return Err(ElfError::OutsideImageArea { index, start: ph.p_vaddr, end });
        }
        let segment = Segment {
            vaddr: ph.p_vaddr as u32,
            memsz: ph.p_memsz as u32,
            file: ph.p_offset as usize..(ph.p_offset + ph.p_filesz) as usize,
            writable: ph.p_flags & PF_W != 0,
            executable: ph.p_flags & PF_X != 0,
        };
        let (first, last) = segment.pages();
        for other in program.segments() {
            let (o_first, o_last) = other.pages();
            if first < o_last && o_first < last {
                return Err(ElfError::SharedPage { a: other.vaddr, b: segment.vaddr });
            }
        }
        program.segments[program.count] = Some(segment);
        program.count += 1;
    }
    if program.count == 0 {
        return Err(ElfError::NoSegments);
    }
    let entry = program.entry;
    if !program.segments().any(|s| s.executable && (s.vaddr..s.end()).contains(&entry)) {
        return Err(ElfError::EntryOutsideCode(entry));
    }
    Ok(program)
}
