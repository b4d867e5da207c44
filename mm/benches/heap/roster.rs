//! Who is measured: our heap, its peers, and our heap built with
//! `heap-debug`. A crate feature cannot be on and off in one binary, so the
//! debug build is a second build of this bench, started as a worker child
//! (`HEAP_BENCH_WORKER=1`) that answers one line per request on its
//! standard input and output; the timing rounds take turns with it as with
//! the others, so a slow moment of the machine hits all alike.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::peers::{BenchAlloc, Kmalloc, Lla, Region, Rlsf, TalcAlloc};
use super::replay::{once, timed};
use super::suite::region;
use super::trace::Trace;
use super::validate::{Footprint, validate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Kmalloc,
    Talc,
    Rlsf,
    Lla,
    /// Our heap in the `heap-debug` build (the worker child).
    Debug,
    /// talc and rlsf given the whole region at once (for reference).
    TalcWhole,
    RlsfWhole,
}

/// The allocators built into this binary, in report order.
pub const NATIVE: [Who; 4] = [Who::Kmalloc, Who::Talc, Who::Rlsf, Who::Lla];

/// The peers as they are usually set up, with every page up front: only
/// their placement is compared (utilisation), not like for like.
pub const REFERENCE: [Who; 2] = [Who::TalcWhole, Who::RlsfWhole];

impl Who {
    pub fn name(self) -> &'static str {
        match self {
            Who::Kmalloc => Kmalloc::NAME,
            Who::Talc => TalcAlloc::<false>::NAME,
            Who::Rlsf => Rlsf::<false>::NAME,
            Who::Lla => Lla::NAME,
            Who::Debug => "kmalloc-debug",
            Who::TalcWhole => TalcAlloc::<true>::NAME,
            Who::RlsfWhole => Rlsf::<true>::NAME,
        }
    }

    /// The checked replay (see `validate`).
    pub fn validate(self, trace: &Trace, debug: &mut Option<Worker>) -> Result<Footprint, String> {
        let r = region(trace);
        match self {
            Who::Kmalloc => validate::<Kmalloc>(trace, r),
            Who::Talc => validate::<TalcAlloc>(trace, r),
            Who::Rlsf => validate::<Rlsf>(trace, r),
            Who::Lla => validate::<Lla>(trace, r),
            Who::Debug => worker(debug).validate(trace),
            Who::TalcWhole => validate::<TalcAlloc<true>>(trace, r),
            Who::RlsfWhole => validate::<Rlsf<true>>(trace, r),
        }
    }

    /// One replay of a native allocator over `r`, as callgrind counts it; seconds.
    pub fn once(self, trace: &Trace, r: &Region) -> f64 {
        match self {
            Who::Kmalloc => once::<Kmalloc>(trace, r, 0),
            Who::Talc => once::<TalcAlloc>(trace, r, 0),
            Who::Rlsf => once::<Rlsf>(trace, r, 0),
            Who::Lla => once::<Lla>(trace, r, 0),
            Who::TalcWhole => once::<TalcAlloc<true>>(trace, r, 0),
            Who::RlsfWhole => once::<Rlsf<true>>(trace, r, 0),
            Who::Debug => panic!("the heap-debug build counts itself as Who::Kmalloc"),
        }
    }

    /// One timed sample over `r`, data placed by `shift` (see
    /// `replay::timed`): seconds per replay. The heap-debug worker uses a
    /// region of its own.
    pub fn time(self, trace: &Trace, r: &Region, shift: usize, debug: &mut Option<Worker>) -> f64 {
        match self {
            Who::Kmalloc => timed::<Kmalloc>(trace, r, shift),
            Who::Talc => timed::<TalcAlloc>(trace, r, shift),
            Who::Rlsf => timed::<Rlsf>(trace, r, shift),
            Who::Lla => timed::<Lla>(trace, r, shift),
            Who::Debug => worker(debug).time(trace, shift),
            Who::TalcWhole => timed::<TalcAlloc<true>>(trace, r, shift),
            Who::RlsfWhole => timed::<Rlsf<true>>(trace, r, shift),
        }
    }
}

fn worker(debug: &mut Option<Worker>) -> &mut Worker {
    debug.as_mut().expect("the heap-debug worker runs whenever Who::Debug is measured")
}

/// The heap-debug build, running as a child.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
}

impl Worker {
    /// Starts `binary` (the bench built with `--features heap-debug`).
    pub fn start(binary: &str) -> Result<Worker, String> {
        let mut child = Command::new(binary)
            .env("HEAP_BENCH_WORKER", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the heap-debug bench {binary}: {e}"))?;
        let to = child.stdin.take().expect("piped");
        let from = BufReader::new(child.stdout.take().expect("piped"));
        let mut w = Worker { child, to, from };
        match w.ask("hello")?.as_str() {
            "kmalloc-debug" => Ok(w),
            other => Err(format!("{binary} is not the heap-debug build of this bench: `{other}`")),
        }
    }

    fn ask(&mut self, request: &str) -> Result<String, String> {
        writeln!(self.to, "{request}").map_err(|e| format!("heap-debug worker: {e}"))?;
        let mut line = String::new();
        match self.from.read_line(&mut line) {
            Ok(n) if n > 0 => Ok(line.trim_end().to_string()),
            _ => Err(format!("the heap-debug worker died during `{request}`")),
        }
    }

    fn validate(&mut self, trace: &Trace) -> Result<Footprint, String> {
        let line = self.ask(&format!("validate {}", trace.name))?;
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some("ok"), Some(extent), Some(pages)) => Ok(Footprint {
                peak_live: trace.peak_live_bytes(),
                peak_extent: extent.parse().map_err(|_| format!("worker said `{line}`"))?,
                peak_pages: pages.parse().map_err(|_| format!("worker said `{line}`"))?,
            }),
            _ => Err(line.strip_prefix("error ").unwrap_or(&line).to_string()),
        }
    }

    fn time(&mut self, trace: &Trace, shift: usize) -> f64 {
        let request = format!("time {} {shift}", trace.name);
        let line = self.ask(&request).unwrap_or_else(|e| panic!("{e}"));
        match line.strip_prefix("secs ").and_then(|s| s.parse().ok()) {
            Some(secs) => secs,
            None => panic!("the heap-debug worker answered `{line}` to `time {}`", trace.name),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = writeln!(self.to, "quit");
        let _ = self.child.wait();
    }
}

/// The worker's side: answers requests about `traces` for our heap as
/// built (with `heap-debug`), until its input ends. Each timing request
/// gets a fresh region, as each round does in the parent.
pub fn serve(traces: &[Trace]) {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split(' ');
        let (verb, name) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let shift: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
        let trace = traces.iter().find(|t| t.name == name);
        let reply = match (verb, trace) {
            ("hello", _) => Kmalloc::NAME.to_string(),
            ("quit", _) => break,
            ("validate", Some(t)) => match validate::<Kmalloc>(t, region(t)) {
                Ok(f) => format!("ok {} {}", f.peak_extent, f.peak_pages),
                Err(e) => format!("error {e}"),
            },
            ("time", Some(t)) => {
                format!("secs {}", timed::<Kmalloc>(t, &Region::new(region(t)), shift))
            }
            _ => format!("error unknown request `{line}`"),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}
