//! The calls that are not about memory regions: exit, write, getpid,
//! yield, sleep, meminfo.

use crate::process::usermem::{Errno, copy_from_user, copy_to_user};
use crate::process::{self, Exit};
use abi::{MemInfo, errno};

/// `exit(code)`.
pub fn exit(code: i32) -> Result<u32, Errno> {
    process::exit_current(Exit::Code(code))
}

/// `write(fd, buf, len)`: fd 1 and 2 are the console. Copies through a
/// buffer on the kernel stack, a piece at a time, so a long write needs
/// no kernel memory; bytes that are not printable ASCII show as `?`.
pub fn write(fd: u32, buf: u32, len: u32) -> Result<u32, Errno> {
    if fd != 1 && fd != 2 {
        return Err(errno::EBADF);
    }
    // Check the whole range first: a bad pointer writes nothing.
    process::with_current(|p| {
        p.memory_mut().regions.check_access(buf, len, mm::space::Access::Read)
    })
    .ok_or(errno::EFAULT)?
    .map_err(|_| errno::EFAULT)?;
    let mut chunk = [0u8; 256];
    let mut done = 0u32;
    while done < len {
        let n = (len - done).min(chunk.len() as u32);
        let piece = &mut chunk[..n as usize];
        if let Err(e) = copy_from_user(buf + done, piece) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        for b in piece.iter_mut() {
            if !(b.is_ascii_graphic() || *b == b' ' || *b == b'\n' || *b == b'\t') {
                *b = b'?';
            }
        }
        let text = core::str::from_utf8(piece).unwrap_or("?");
        crate::print!("{text}");
        done += n;
    }
    process::with_current(|p| p.written = p.written.saturating_add(len));
    Ok(len)
}

/// `getpid()`.
pub fn getpid() -> Result<u32, Errno> {
    process::with_current(|p| p.pid).ok_or(errno::EINVAL)
}

/// `yield()`.
pub fn yield_now() -> Result<u32, Errno> {
    process::yield_current();
    Ok(0)
}

/// The longest sleep: a minute.
const MAX_SLEEP_TICKS: u32 = 60 * process::TICK_HZ;

/// `sleep(ticks)`.
pub fn sleep(ticks: u32) -> Result<u32, Errno> {
    if ticks > MAX_SLEEP_TICKS {
        return Err(errno::EINVAL);
    }
    process::sleep_current(ticks);
    Ok(0)
}

/// `meminfo(out)`.
pub fn meminfo(out: u32) -> Result<u32, Errno> {
    let info = process::usermem::meminfo()?;
    // SAFETY: `MemInfo` is `repr(C)` of `u32`s: every byte is initialised
    // and it has no padding, so viewing it as bytes is sound.
    let bytes = unsafe {
        core::slice::from_raw_parts((&info as *const MemInfo).cast::<u8>(), size_of::<MemInfo>())
    };
    copy_to_user(out, bytes)?;
    Ok(0)
}
