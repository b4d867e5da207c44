//! Two copies of this program write different data at the same virtual
//! address (a static), yield to each other many times, and each must read
//! back its own.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::{println, sys};

static mut SHARED_ADDRESS: [u32; 1024] = [0; 1024];

fn run(arg: u32) -> i32 {
    let mine = arg.wrapping_mul(0x9E37_79B9) | 1;
    let data = &raw mut SHARED_ADDRESS;
    for round in 0..50u32 {
        for i in 0..1024 {
            // SAFETY: single-threaded; the static is this process's own.
            unsafe { (*data)[i] = mine ^ round ^ i as u32 };
        }
        sys::yield_now();
        for i in 0..1024 {
            // SAFETY: as above.
            if unsafe { (*data)[i] } != mine ^ round ^ i as u32 {
                println!("twins {arg}: round {round}: another process's data at {:p}", data);
                return 1;
            }
        }
    }
    println!("twins {arg}: 50 rounds at {:p}, always my own data", data);
    0
}

user::program!(run);
