//! The check every pointer a process hands the kernel goes through:
//! which accesses there are, why a pointer is refused, and
//! [`UserRegions::check_access`].

#![forbid(unsafe_code)]

use super::regions::{RegionKind, Rights, UserRegions};
use crate::addr::VirtAddr;
use crate::layout::USER_END;
use core::fmt;

impl<const N: usize> UserRegions<N> {
    /// Checks that a process may `access` the `len` bytes at `addr`: the
    /// range does not wrap, lies in the user half, and every byte of it is
    /// in a region whose rights allow the access. This is what every
    /// pointer passed to a system call goes through before the kernel
    /// touches it. A zero-length range is always allowed.
    pub fn check_access(&self, addr: u32, len: u32, access: Access) -> Result<(), BadPointer> {
        if len == 0 {
            return Ok(());
        }
        let end = u64::from(addr) + u64::from(len);
        if end > 1 << 32 {
            return Err(BadPointer::Wraps { addr, len });
        }
        if end > u64::from(USER_END.as_u32()) {
            return Err(BadPointer::KernelHalf { addr, len });
        }
        let mut at = addr;
        loop {
            let Some(region) = self.find(VirtAddr::new(at)) else {
                return Err(BadPointer::Unmapped { addr: at });
            };
            if !region.rights.contains(access.needs()) {
                return Err(BadPointer::Denied { addr: at, kind: region.kind, access });
            }
            if region.end_addr() >= end {
                return Ok(());
            }
            at = region.end_addr() as u32;
        }
    }
}

/// What a process (or the kernel on its behalf) does with memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A load.
    Read,
    /// A store.
    Write,
    /// An instruction fetch.
    Execute,
}

impl Access {
    /// The right the access needs.
    pub const fn needs(self) -> Rights {
        match self {
            Access::Read => Rights::READ,
            Access::Write => Rights::WRITE,
            // No NX bit: a fetch needs what a read needs.
            Access::Execute => Rights::READ,
        }
    }

    /// The access in words.
    pub const fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Execute => "instruction fetch",
        }
    }
}

/// Why a pointer from a process was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadPointer {
    /// `addr + len` passes 4 GiB.
    Wraps {
        /// Start.
        addr: u32,
        /// Length.
        len: u32,
    },
    /// Part of the range is in the kernel half.
    KernelHalf {
        /// Start.
        addr: u32,
        /// Length.
        len: u32,
    },
    /// `addr` is in no region.
    Unmapped {
        /// The first byte outside every region.
        addr: u32,
    },
    /// The region at `addr` does not allow the access.
    Denied {
        /// The first byte refused.
        addr: u32,
        /// The region's kind.
        kind: RegionKind,
        /// The access asked for.
        access: Access,
    },
}

impl fmt::Display for BadPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BadPointer::Wraps { addr, len } => {
                write!(f, "{len} bytes at {addr:#010x} wrap past the top of memory")
            }
            BadPointer::KernelHalf { addr, len } => {
                write!(f, "{len} bytes at {addr:#010x} reach into the kernel half")
            }
            BadPointer::Unmapped { addr } => write!(f, "{addr:#010x} is in no region"),
            BadPointer::Denied { addr, kind, access } => {
                write!(
                    f,
                    "{addr:#010x} is in the {} and may not be a {} target",
                    kind.name(),
                    access.name()
                )
            }
        }
    }
}
