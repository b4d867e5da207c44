//! The in-kernel self-tests, one module per topic. Each `#[ktest]` function
//! registers itself; nothing to list here but the modules.

mod boot;
mod console;
mod cow;
mod fault;
mod fork;
mod frames;
mod heap;
mod heap_detect;
mod interrupts;
mod paging;
mod processes;
mod string;
mod vrange;
