//! Two-level i686 paging: entries, tables, the mapper, and TLB flushing.
//!
//! The mapper's logic is written once against [`TableAccess`]; the kernel
//! runs it over [`RecursiveTables`], host tests and benches over
//! [`EmulatedTables`]. See `docs/paging.md` for the design.

mod access;
mod entry;
mod error;
mod flags;
mod flush;
mod mapper;
pub mod recursive;
pub mod tlb;

#[cfg(not(target_os = "none"))]
mod emulated;

#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use access::TableAccess;
pub use entry::{ENTRIES, PageTable, PageTableEntry, TABLE_SPAN};
pub use error::{InitError, MapError, UnmapError, UpdateFlagsError};
pub use flags::{ADDRESS_MASK, FLAGS_MASK, PageTableFlags};
pub use flush::Flush;
pub use mapper::Mapper;
pub use recursive::RecursiveTables;
pub use tlb::{KernelTlb, Tlb};

#[cfg(not(target_os = "none"))]
pub use emulated::EmulatedTables;
#[cfg(not(target_os = "none"))]
pub use tlb::RecordingTlb;
