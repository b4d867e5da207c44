//! Bench processes that do the timing. Where a process's own data lies
//! (its stack, the tables a replay reads) stays put for its whole life and
//! can favour one allocator for a whole run, so the timing rounds are
//! spread over several processes of this bench, and the heap-debug build
//! (a crate feature cannot be on and off in one binary) is one more. A
//! worker is this bench started with `HEAP_BENCH_WORKER=1`: it answers one
//! line per request on its standard input and output.
//!
//! ```text
//!   hello                        -> kmalloc | kmalloc-debug (its build)
//!   validate <trace>             -> ok <peak extent> <peak pages> | error <why>   (our heap)
//!   time <trace> <allocator> <n> -> secs <seconds per replay>    (data placed by n)
//! ```

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::peers::{BenchAlloc, Kmalloc};
use super::roster::Who;
use super::suite::region;
use super::trace::Trace;
use super::validate::{Footprint, validate};

/// A bench process answering requests.
#[derive(Debug)]
pub struct Worker {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
    /// What its build calls our heap.
    pub kmalloc: String,
}

impl Worker {
    /// Starts `binary` (this bench, or its heap-debug build) as a worker.
    pub fn start(binary: &str) -> Result<Worker, String> {
        let mut child = Command::new(binary)
            .env("HEAP_BENCH_WORKER", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the bench worker {binary}: {e}"))?;
        let to = child.stdin.take().expect("piped");
        let from = BufReader::new(child.stdout.take().expect("piped"));
        let mut w = Worker { child, to, from, kmalloc: String::new() };
        w.kmalloc = w.ask("hello")?;
        Ok(w)
    }

    fn ask(&mut self, request: &str) -> Result<String, String> {
        writeln!(self.to, "{request}").map_err(|e| format!("bench worker: {e}"))?;
        let mut line = String::new();
        match self.from.read_line(&mut line) {
            Ok(n) if n > 0 => Ok(line.trim_end().to_string()),
            _ => Err(format!("a bench worker died during `{request}`")),
        }
    }

    /// The checked replay of our heap as the worker's build has it.
    pub fn validate(&mut self, trace: &Trace) -> Result<Footprint, String> {
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

    /// One timed sample of `allocator` (a name in the worker's build).
    pub fn time(&mut self, trace: &Trace, allocator: &str, shift: usize) -> f64 {
        let request = format!("time {} {allocator} {shift}", trace.name);
        let line = self.ask(&request).unwrap_or_else(|e| panic!("{e}"));
        match line.strip_prefix("secs ").and_then(|s| s.parse().ok()) {
            Some(secs) => secs,
            None => panic!("a bench worker answered `{line}` to `{request}`"),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = writeln!(self.to, "quit");
        let _ = self.child.wait();
    }
}

/// The worker's side: answers requests about `traces` until its input ends.
pub fn serve(traces: &[Trace]) {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let words: Vec<&str> = line.split(' ').collect();
        let trace = |i: usize| words.get(i).and_then(|n| traces.iter().find(|t| t.name == *n));
        let reply = match (words[0], trace(1)) {
            ("hello", _) => Kmalloc::NAME.to_string(),
            ("quit", _) => break,
            ("validate", Some(t)) => match validate::<Kmalloc>(t, region(t)) {
                Ok(f) => format!("ok {} {}", f.peak_extent, f.peak_pages),
                Err(e) => format!("error {e}"),
            },
            ("time", Some(t)) => {
                let who = words.get(2).and_then(|n| Who::named(n));
                let shift = words.get(3).and_then(|s| s.parse().ok());
                match (who, shift) {
                    (Some(w), Some(shift)) => format!("secs {}", w.time(t, shift)),
                    _ => format!("error bad request `{line}`"),
                }
            }
            _ => format!("error unknown request `{line}`"),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
}
