//! The boot modules (user programs GRUB loaded next to the kernel), mapped
//! read-only into kernel virtual ranges and found by name.
//!
//! A module is a program named by the word after its path on GRUB's
//! `module2` line (`module2 /boot/hello hello`), or a ustar archive of
//! programs, each named by its file name: the build puts every program in
//! one archive, because GRUB on a 4 MiB machine runs out of memory with more
//! than about six modules. The modules' frames are reserved at boot (they
//! never reach the frame allocator), so their bytes stay put; they are
//! mapped once, here, and kept for the kernel's life.

use super::lock;
use crate::bootinfo::BootInfo;
use mm::{PAGE_SIZE, PhysAddr};
use spin::Once;

/// How many programs are kept; more are reported and ignored.
const MAX_MODULES: usize = 64;

/// A boot module: its name and its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Module {
    /// The word after the file name on GRUB's `module2` line.
    pub name: &'static str,
    /// The file's bytes, read-only.
    pub bytes: &'static [u8],
}

static MODULES: Once<([Option<Module>; MAX_MODULES], usize)> = Once::new();

/// Maps every boot module. Called once by `memory::init`.
pub(super) fn init(info: &BootInfo<'_>) {
    let mut modules = [None; MAX_MODULES];
    let mut count = 0;
    for module in info.modules() {
        if count == MAX_MODULES {
            log::warn!("more than {MAX_MODULES} programs: the rest are ignored");
            break;
        }
        let len = module.end.saturating_sub(module.start);
        let first = PhysAddr::new(module.start).align_down(PAGE_SIZE);
        let offset = module.start - first.as_u32();
        let pages = (offset + len).div_ceil(PAGE_SIZE).max(1);
        // SAFETY: the module's frames are reserved RAM (never the frame
        // allocator's), mapped read-only here and nowhere else.
        let mapped = unsafe { lock().map_physical_readonly(first, pages) };
        let mapped = match mapped {
            Ok(mapped) => mapped,
            Err(e) => {
                log::warn!("boot module {:?} cannot be mapped: {e}", module.cmdline);
                continue;
            }
        };
        let start = mapped.start().as_u32() + offset;
        // The mapping is kept for good (never unmapped): the bytes are 'static.
        let _kept_for_good = mapped;
        // SAFETY: `start..start + len` is mapped read-only for the
        // kernel's life and its frames are never written.
        let bytes = unsafe { core::slice::from_raw_parts(start as *const u8, len as usize) };
        if crate::ustar::is_archive(bytes) {
            for entry in crate::ustar::entries(bytes) {
                match entry {
                    Ok(e) if count < MAX_MODULES => {
                        modules[count] = Some(Module { name: e.name, bytes: e.bytes });
                        count += 1;
                    }
                    Ok(e) => {
                        log::warn!("more than {MAX_MODULES} programs: {:?} is ignored", e.name)
                    }
                    Err(e) => log::warn!("boot module {:?}: {e}", module.cmdline),
                }
            }
            continue;
        }
        let name = trim_name(module.cmdline);
        // The name lives in the boot information, mapped for good too.
        // SAFETY: the boot information is mapped read-only for the
        // kernel's life (`boot_info::map`) and never changes.
        let name: &'static str = unsafe { &*(name as *const str) };
        modules[count] = Some(Module { name, bytes });
        count += 1;
    }
    MODULES.call_once(|| (modules, count));
}

/// The module's name: the first word of its command line.
fn trim_name(cmdline: &str) -> &str {
    cmdline.split_ascii_whitespace().next().unwrap_or("")
}

/// Every module, in the order GRUB listed them.
pub fn all() -> impl Iterator<Item = Module> {
    let list = MODULES.get();
    list.into_iter().flat_map(|(m, n)| m[..*n].iter().flatten().copied())
}

/// The module named `name`.
pub fn find(name: &str) -> Option<Module> {
    all().find(|m| m.name == name)
}
