//! Paging on the real machine: the address space the kernel built, and
//! map/unmap/remap through the real TLB.

use crate::memory::fixmap::{self, Slot};
use crate::memory::{self, image};
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq, ensure_ok};
use mm::frame::{FrameAllocator, Page};
use mm::layout::KERNEL_BASE;
use mm::paging::PageTableFlags;
use mm::{PhysAddr, VirtAddr};

#[ktest]
fn the_address_space_is_what_boot_promised() -> TestResult {
    let mut memory = memory::lock();
    let image = image::kernel_image();
    let mapper = &mut memory.mapper;
    ensure_eq!(mapper.translate(VirtAddr::new(0)), None);
    ensure_eq!(
        mapper.translate(VirtAddr::new(0x0010_0000)),
        None,
        "identity map of the kernel still present"
    );
    ensure_eq!(
        mapper.translate(VirtAddr::new(image.stack_guard.start)),
        None,
        "stack guard page is mapped"
    );
    let text = VirtAddr::new(image.text.start);
    ensure_eq!(mapper.translate(text), Some(PhysAddr::new(text.as_u32() - KERNEL_BASE)));
    for (name, range, writable) in [
        ("text", &image.text, false),
        ("rodata", &image.rodata, false),
        ("data", &image.data, true),
    ] {
        let mut page = range.start;
        while page < range.end {
            if !image.stack_guard.contains(&page) {
                let entry = mapper.lookup(Page::containing(VirtAddr::new(page)));
                let Some(entry) = entry else {
                    return Err(crate::selftest::Failure::new(
                        file!(),
                        line!(),
                        format_args!(".{name} page {page:#x} unmapped"),
                    ));
                };
                ensure_eq!(
                    entry.flags().contains(PageTableFlags::WRITABLE),
                    writable,
                    ".{} page {:#x}",
                    name,
                    page
                );
            }
            page += 4096;
        }
    }
    // SAFETY: reading CR0 has no effects.
    let cr0 = unsafe { x86::controlregs::cr0() };
    ensure!(cr0.contains(x86::controlregs::Cr0::CR0_WRITE_PROTECT), "CR0.WP is clear");
    Ok(())
}

#[ktest]
fn remapping_a_page_shows_the_new_frame() -> TestResult {
    let mut memory = memory::lock();
    let memory = &mut *memory;
    let before = memory.frames.free_count();
    let range = ensure_ok!(memory.ranges.allocate(1), "allocating a page of address space");
    let page = range.page(0).expect("one page");
    let a = ensure_ok!(memory.frames.allocate().ok_or(()), "frame A");
    let b = ensure_ok!(memory.frames.allocate().ok_or(()), "frame B");
    let (a_addr, b_addr) = (a.start(), b.start());
    // Fill B through a scratch window, so its contents are known before it is mapped.
    // SAFETY: B is ours; the scratch window is used only here, under the lock.
    let window = unsafe { fixmap::map(Slot::scratch(1), b_addr, true) };
    // SAFETY: the window maps B, writable.
    unsafe { window.as_mut_ptr::<u32>().write_volatile(0xBBBB_BBBB) };
    // SAFETY: done with the window.
    unsafe { fixmap::unmap(Slot::scratch(1)) };

    let ptr = page.start().as_mut_ptr::<u32>();
    // SAFETY: A is ours alone, mapped at a page of our own range.
    let flush = unsafe { memory.mapper.map(page, a, PageTableFlags::WRITABLE, &mut memory.frames) };
    ensure_ok!(flush, "mapping A").flush(&mut memory.tlb);
    // SAFETY: the page is mapped to A, writable.
    unsafe { ptr.write_volatile(0xAAAA_AAAA) };
    ensure_eq!(memory.mapper.translate(page.start()), Some(a_addr));

    // SAFETY: nothing uses the page any more.
    let (a, flush) =
        ensure_ok!(unsafe { memory.mapper.unmap(page, &mut memory.frames) }, "unmapping A");
    flush.flush(&mut memory.tlb);
    // SAFETY: B is ours alone.
    let flush = unsafe { memory.mapper.map(page, b, PageTableFlags::WRITABLE, &mut memory.frames) };
    ensure_ok!(flush, "mapping B").flush(&mut memory.tlb);
    // SAFETY: the page is mapped to B now.
    let seen = unsafe { ptr.read_volatile() };
    ensure_eq!(seen, 0xBBBB_BBBB);
    ensure_eq!(memory.mapper.translate(page.start()), Some(b_addr));

    // SAFETY: nothing uses the page any more.
    let (b, flush) =
        ensure_ok!(unsafe { memory.mapper.unmap(page, &mut memory.frames) }, "unmapping B");
    flush.flush(&mut memory.tlb);
    ensure_eq!(memory.mapper.translate(page.start()), None);
    ensure_ok!(memory.frames.free(a), "freeing A");
    ensure_ok!(memory.frames.free(b), "freeing B");
    ensure_ok!(memory.ranges.free(range), "freeing the range");
    ensure_eq!(memory.frames.free_count(), before);
    Ok(())
}

/// A mapping in a 4 MiB region with no page table yet costs the frame and
/// a new table; unmapping it gives both back.
#[ktest]
fn page_tables_come_and_go_with_their_mappings() -> TestResult {
    let mut memory = memory::lock();
    let memory = &mut *memory;
    let before = memory.frames.free_count();
    // 8 MiB of address space holds a whole 4 MiB region no table covers yet.
    let range = ensure_ok!(memory.ranges.allocate(2048), "allocating 8 MiB of address space");
    let first = range.start().as_u32();
    let region = first.div_ceil(4 << 20) * (4 << 20);
    let page = Page::containing(VirtAddr::new(region));
    let dir = page.directory_index();
    ensure_eq!(memory.mapper.present_entries(dir), 0);
    let frame = ensure_ok!(memory.frames.allocate().ok_or(()), "a frame");
    // SAFETY: the frame is ours, the page is in our range.
    let flush =
        unsafe { memory.mapper.map(page, frame, PageTableFlags::WRITABLE, &mut memory.frames) };
    ensure_ok!(flush, "mapping").flush(&mut memory.tlb);
    ensure_eq!(memory.frames.free_count(), before - 2, "the frame and a new page table");
    ensure_eq!(memory.mapper.present_entries(dir), 1);
    // SAFETY: the page is mapped, writable, and ours.
    unsafe { page.start().as_mut_ptr::<u32>().write_volatile(42) };
    // SAFETY: nothing uses the page any more.
    let (frame, flush) =
        ensure_ok!(unsafe { memory.mapper.unmap(page, &mut memory.frames) }, "unmapping");
    flush.flush(&mut memory.tlb);
    ensure_eq!(memory.mapper.present_entries(dir), 0);
    ensure_ok!(memory.frames.free(frame), "freeing the frame");
    ensure_ok!(memory.ranges.free(range), "freeing the range");
    ensure_eq!(memory.frames.free_count(), before, "the page table went back too");
    Ok(())
}
