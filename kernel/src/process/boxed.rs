//! Fallible boxes: a process's records come from the kernel heap, and a
//! full heap must be an error the caller reports (`ENOMEM`), never the
//! panic `Box::new` would raise.

use alloc::alloc::{Layout, alloc};
use alloc::boxed::Box;
use core::mem::MaybeUninit;

/// `Box::new`, but `Err(value)` instead of a panic when the heap is full.
pub fn try_box<T>(value: T) -> Result<Box<T>, T> {
    match try_box_uninit::<T>() {
        Some(uninit) => Ok(Box::write(uninit, value)),
        None => Err(value),
    }
}

/// Room for one `T` on the heap, or `None` when the heap is full. Fill it
/// with `Box::write`; dropping it unfilled just frees it.
pub fn try_box_uninit<T>() -> Option<Box<MaybeUninit<T>>> {
    const { assert!(size_of::<T>() != 0, "no heap room is needed for a zero-sized value") };
    let layout = Layout::new::<T>();
    // SAFETY: the layout is not zero-sized (checked above); `alloc` returns
    // null or a block fit for it.
    let ptr = unsafe { alloc(layout) }.cast::<MaybeUninit<T>>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` is a fresh block from the global allocator with
    // `MaybeUninit<T>`'s layout (the same as `T`'s), which any bytes
    // initialise, as `Box::from_raw` requires.
    Some(unsafe { Box::from_raw(ptr) })
}
