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

/// Reads the 32-bit word at physical `addr` (4-byte aligned) through
/// scratch window 2, mapped read-only for the one read.
fn read_physical(addr: u32) -> u32 {
    let frame = PhysAddr::new(addr & !0xFFF);
    // SAFETY: scratch window 2 is used only here, under the memory lock
    // the caller holds; the read goes through a raw pointer, no reference.
    let window = unsafe { fixmap::map(Slot::scratch(2), frame, false) };
    // SAFETY: the window maps the frame holding `addr`; the word is aligned.
    let word =
        unsafe { window.as_ptr::<u8>().add((addr & 0xFFF) as usize).cast::<u32>().read_volatile() };
    // SAFETY: done with the window.
    unsafe { fixmap::unmap(Slot::scratch(2)) };
    word
}

/// One heap address translated the way the CPU does it, step by step from
/// CR3, reading each entry in physical memory: the walk docs/paging.md
/// draws. It must land on the frame the mapper reports and on the byte the
/// test wrote through the virtual address.
#[ktest]
fn a_heap_address_translated_by_hand() -> TestResult {
    use crate::memory::heap::{kfree, kmalloc};
    // 8 KiB: the block spans the heap's first two pages, so `virt` is in
    // the second page, 0x1010 bytes above the heap's start when it is empty.
    let block = kmalloc(8192);
    ensure!(!block.is_null(), "kmalloc(8192) failed");
    let virt = block as u32 + 0x1008;
    // SAFETY: `virt` is inside the 8 KiB block.
    unsafe { (virt as *mut u8).write_volatile(0x5A) };

    let mut memory = memory::lock();
    // SAFETY: reading CR3 has no effects.
    let cr3 = unsafe { x86::controlregs::cr3() } as u32;
    let (pdx, ptx, offset) = (virt >> 22, (virt >> 12) & 0x3FF, virt & 0xFFF);
    let pde_addr = (cr3 & !0xFFF) + pdx * 4;
    let pde = read_physical(pde_addr);
    let table = pde & !0xFFF;
    let pte_addr = table + ptx * 4;
    let pte = read_physical(pte_addr);
    let frame = pte & !0xFFF;
    let byte = read_physical((frame + offset) & !3).to_le_bytes()[(offset & 3) as usize];
    crate::println!(
        "  {virt:#010x}: PDX {pdx:#x} ({pdx}), PTX {ptx:#x} ({ptx}), offset {offset:#x}"
    );
    crate::println!("  CR3 {cr3:#010x}, PDE at {pde_addr:#010x} = {pde:#010x}");
    crate::println!("  page table {table:#010x}, PTE at {pte_addr:#010x} = {pte:#010x}");
    crate::println!(
        "  frame {frame:#010x} + {offset:#x} = {:#010x}: byte {byte:#04x}",
        frame + offset
    );
    let translated = memory.mapper.translate(VirtAddr::new(virt));
    drop(memory);
    // SAFETY: from kmalloc, not used again.
    unsafe { kfree(block) };

    ensure!(pde & 1 == 1 && pte & 1 == 1, "PDE {pde:#x} or PTE {pte:#x} not present");
    ensure!(pde & 2 == 2 && pte & 2 == 2, "PDE {pde:#x} or PTE {pte:#x} not writable");
    ensure_eq!(translated, Some(PhysAddr::new(frame + offset)));
    ensure_eq!(byte, 0x5A, "the byte at the frame is not the byte written at {virt:#x}");
    Ok(())
}
