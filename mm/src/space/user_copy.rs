//! Looking into a space that need not be the loaded one: what a user
//! address maps to, and copying bytes in and out of its pages through the
//! data window, as the kernel does for a system call's buffers.

use super::address_space::AddressSpace;
use super::error::SpaceError;
use super::window::FrameWindow;
use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use crate::frame::{Frame, Page};
use crate::layout::KERNEL_PDE;
use crate::paging::{PageTableEntry, PageTableFlags};

impl<W: FrameWindow> AddressSpace<W> {
    /// The physical address `addr` maps to, or `None`.
    pub fn translate(&mut self, addr: VirtAddr) -> Option<PhysAddr> {
        if addr.directory_index() >= KERNEL_PDE {
            return None;
        }
        self.mapper.translate(addr)
    }

    /// The present entry mapping `page` (user half only), or `None`.
    pub fn lookup(&mut self, page: Page) -> Option<PageTableEntry> {
        if page.directory_index() >= KERNEL_PDE {
            return None;
        }
        self.mapper.lookup(page)
    }

    /// Copies `buf.len()` bytes at `addr` of this space into `buf`,
    /// through the data window. Fails at the first page not mapped.
    pub fn read(&mut self, addr: VirtAddr, buf: &mut [u8]) -> Result<(), SpaceError> {
        let mut done = 0;
        while done < buf.len() {
            let at = VirtAddr::new(addr.as_u32().wrapping_add(done as u32));
            let page = Page::containing(at);
            let phys = self.translate(at).ok_or(SpaceError::NotMapped(page))?;
            let offset = at.page_offset() as usize;
            let n = (PAGE_SIZE as usize - offset).min(buf.len() - done);
            let frame = Frame::containing(phys);
            let bytes = self.show_data(&frame);
            buf[done..done + n].copy_from_slice(&bytes[offset..offset + n]);
            done += n;
        }
        Ok(())
    }

    /// Copies `bytes` into this space at `addr`, through the data window,
    /// as a store of the process would. Fails, having written the pages
    /// before it, at the first page not mapped, or mapped read-only: a
    /// page a fork shared must be made the space's own first
    /// ([`copy_on_write`](Self::copy_on_write)), or the write would reach
    /// every space sharing it.
    pub fn write(&mut self, addr: VirtAddr, bytes: &[u8]) -> Result<(), SpaceError> {
        let mut done = 0;
        while done < bytes.len() {
            let at = VirtAddr::new(addr.as_u32().wrapping_add(done as u32));
            let page = Page::containing(at);
            let entry = self.lookup(page).ok_or(SpaceError::NotMapped(page))?;
            if !entry.flags().contains(PageTableFlags::WRITABLE) {
                return Err(SpaceError::ReadOnly(page));
            }
            let offset = at.page_offset() as usize;
            let n = (PAGE_SIZE as usize - offset).min(bytes.len() - done);
            let frame = Frame::containing(entry.addr());
            self.show_data(&frame)[offset..offset + n].copy_from_slice(&bytes[done..done + n]);
            done += n;
        }
        Ok(())
    }
}
