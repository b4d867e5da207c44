//! Why a program file is refused, in words a user can act on.

use core::fmt;

/// What is wrong with a program file.
#[derive(Debug)]
pub enum ElfError {
    /// The headers cannot be read (not ELF, truncated, a table outside the file).
    Parse(elf::ParseError),
    /// A 64-bit file.
    Not32Bit,
    /// Not an executable (a relocatable object or a shared library).
    NotExecutable(u16),
    /// For another processor.
    NotI386(u16),
    /// It needs a dynamic linker.
    Dynamic,
    /// It uses thread-local storage.
    ThreadLocal,
    /// No loadable segment.
    NoSegments,
    /// More loadable segments than the loader takes.
    TooManySegments,
    /// A segment's bytes are not all inside the file.
    OutsideFile {
        /// Program-header index.
        index: usize,
        /// Its file offset.
        offset: u64,
        /// Its size in the file.
        size: u64,
    },
    /// A segment is larger in the file than in memory.
    FileLargerThanMemory {
        /// Program-header index.
        index: usize,
    },
    /// A segment is outside the area programs are loaded in.
    OutsideImageArea {
        /// Program-header index.
        index: usize,
        /// Its first byte.
        start: u64,
        /// One past its last byte.
        end: u64,
    },
    /// Two segments share a page (or overlap).
    SharedPage {
        /// One segment's start.
        a: u32,
        /// The other's.
        b: u32,
    },
    /// The entry point is in no executable segment.
    EntryOutsideCode(u32),
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use mm::layout::{USER_HEAP_END, USER_IMAGE_START};
        match self {
            ElfError::Parse(e) => write!(f, "not a readable ELF file: {e}"),
            ElfError::Not32Bit => {
                f.write_str("a 64-bit ELF file; this kernel runs 32-bit (i686) programs")
            }
            ElfError::NotExecutable(t) => write!(f, "ELF type {t} is not an executable (type 2)"),
            ElfError::NotI386(m) => write!(f, "ELF machine {m} is not i386 (3)"),
            ElfError::Dynamic => {
                f.write_str("dynamically linked; only static executables run here")
            }
            ElfError::ThreadLocal => {
                f.write_str("uses thread-local storage, which this kernel does not set up")
            }
            ElfError::NoSegments => f.write_str("no loadable segment"),
            ElfError::TooManySegments => {
                write!(f, "more than {} loadable segments", super::MAX_SEGMENTS)
            }
            ElfError::OutsideFile { index, offset, size } => write!(
                f,
                "segment {index}: {size:#x} bytes at file offset {offset:#x} run past the end of the file"
            ),
            ElfError::FileLargerThanMemory { index } => {
                write!(f, "segment {index} is larger in the file than in memory")
            }
            ElfError::OutsideImageArea { index, start, end } => write!(
                f,
                "segment {index} at {start:#x}..{end:#x} is outside the program area {USER_IMAGE_START}..{USER_HEAP_END}"
            ),
            ElfError::SharedPage { a, b } => {
                write!(
                    f,
                    "segments at {a:#x} and {b:#x} share a page (each page has one segment's rights)"
                )
            }
            ElfError::EntryOutsideCode(e) => {
                write!(f, "entry point {e:#x} is in no executable segment")
            }
        }
    }
}
