//! `wait`, and what happens to the children of a process that ends.
//!
//! ```text
//!  child ends ──> Dead ──(its kernel stack freed by the next context)──>
//!      parent alive: Zombie, only the status left; a waiting parent wakes
//!      no parent:    gone (the kernel keeps its exit record)
//!  wait(pid)  ──> a Zombie child (that one, or any)? take its status: gone
//!             ──> children, none ended?  Waiting until one ends
//!             ──> no such child?         ECHILD
//!  parent ends ──> its zombies are gone; its live children are orphans,
//!                  which the kernel reaps when they end
//! ```
//!
//! So nothing of a finished process stays behind but its status (a
//! `Process` record of about 100 bytes: no memory, no kernel stack), and
//! only while its parent lives and has not collected it.

use super::sched;
use super::state::{Exit, State};
use super::table::lock;
use super::usermem::Errno;
use abi::errno;

/// Waits until a child of the running process (`pid`, or any with 0) has
/// ended, and collects it: its pid and how it ended.
pub fn wait(pid: u32) -> Result<(u32, Exit), Errno> {
    loop {
        let mut table = lock();
        let me = table.current_mut().ok_or(errno::ECHILD)?.pid;
        let mine = |p: &super::Process| p.parent == Some(me) && (pid == 0 || p.pid == pid);
        let mut children = 0;
        let mut ended = None;
        for (slot, p) in table.slots.iter().enumerate() {
            let Some(p) = p.as_deref().filter(|p| mine(p)) else { continue };
            children += 1;
            if let State::Zombie(exit) = p.state {
                ended = Some((slot, p.pid, exit));
                break;
            }
        }
        if let Some((slot, child, exit)) = ended {
            table.remove(slot);
            return Ok((child, exit));
        }
        if children == 0 {
            return Err(errno::ECHILD);
        }
        table.current_mut().expect("looked up above").state = State::Waiting;
        drop(table);
        sched::schedule();
    }
}
