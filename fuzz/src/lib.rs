//! What the fuzz targets share: a page source for the heap whose unmapped
//! pages the processor refuses to touch.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod protected;
