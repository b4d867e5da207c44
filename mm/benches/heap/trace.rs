//! Allocation traces in the common allocator-trace format (the `.rep` files
//! of the CS:APP malloc lab), so that any recorded program can be replayed.
//!
//! ```text
//!   20000        suggested heap size (bytes; read and ignored)
//!   2            number of ids: every id is below this
//!   5            number of operations that follow
//!   1            weight (read and ignored)
//!   a 0 512      allocate 512 bytes as block 0
//!   a 1 128
//!   r 0 640      resize block 0 to 640 bytes, keeping its contents
//!   f 1          free block 1
//!   f 0
//! ```
//!
//! Blank lines and lines starting with `#` are skipped. A trace is checked
//! when it is parsed: an id is allocated only while it is not live and is
//! resized or freed only while it is, so a replay never has to guess. An id
//! may be allocated again after it was freed.

use std::fmt::{self, Write};

/// One operation on numbered blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Alloc { id: u32, size: u32 },
    Realloc { id: u32, size: u32 },
    Free { id: u32 },
}

/// A named sequence of operations on ids `0..ids`.
#[derive(Clone, Debug)]
pub struct Trace {
    pub name: String,
    pub about: String,
    pub ids: usize,
    pub ops: Vec<Op>,
}

/// Why a trace file was refused: the line (1-based) and what was wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct TraceError {
    pub line: usize,
    pub what: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

fn err<T>(line: usize, what: impl Into<String>) -> Result<T, TraceError> {
    Err(TraceError { line, what: what.into() })
}

fn number(line: usize, word: Option<&str>, what: &str) -> Result<u64, TraceError> {
    match word {
        Some(w) => w.parse().or_else(|_| err(line, format!("{what}: `{w}` is not a number"))),
        None => err(line, format!("{what} missing")),
    }
}

impl Trace {
    /// Builds a trace from operations, checking them as `parse` does.
    pub fn new(name: &str, about: &str, ops: Vec<Op>) -> Result<Trace, TraceError> {
        let ids = ops.iter().map(|op| op.id() as usize + 1).max().unwrap_or(0);
        let trace = Trace { name: name.into(), about: about.into(), ids, ops };
        trace.check(|i| i + 1)?;
        Ok(trace)
    }

    /// Parses the text of a `.rep` file.
    pub fn parse(name: &str, about: &str, text: &str) -> Result<Trace, TraceError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let mut header = [0u64; 4];
        let labels = ["suggested heap size", "number of ids", "number of operations", "weight"];
        for (value, label) in header.iter_mut().zip(labels) {
            let Some((n, l)) = lines.next() else { return err(0, format!("{label} missing")) };
            let mut words = l.split_whitespace();
            *value = number(n, words.next(), label)?;
            if words.next().is_some() {
                return err(n, format!("the header line for the {label} has more than a number"));
            }
        }
        let (ids, count) = (header[1] as usize, header[2] as usize);
        let mut ops = Vec::with_capacity(count);
        let mut lines_of = Vec::with_capacity(count);
        for (n, l) in lines {
            let mut words = l.split_whitespace();
            let kind = words.next().unwrap_or_default();
            let id = number(n, words.next(), "id")?;
            if id >= ids as u64 {
                return err(n, format!("id {id} is not below the header's {ids} ids"));
            }
            let id = id as u32;
            let mut size = || -> Result<u32, TraceError> {
                let s = number(n, words.next(), "size")?;
                u32::try_from(s).or_else(|_| err(n, format!("size {s} does not fit 32 bits")))
            };
            ops.push(match kind {
                "a" => Op::Alloc { id, size: size()? },
                "r" => Op::Realloc { id, size: size()? },
                "f" => Op::Free { id },
                other => return err(n, format!("unknown operation `{other}` (a, r or f)")),
            });
            if words.next().is_some() {
                return err(n, "more words than the operation takes");
            }
            lines_of.push(n);
        }
        if ops.len() != count {
            let last = lines_of.last().copied().unwrap_or(0);
            return err(
                last,
                format!("the header says {count} operations, the file has {}", ops.len()),
            );
        }
        let trace = Trace { name: name.into(), about: about.into(), ids, ops };
        trace.check(|i| lines_of[i])?;
        Ok(trace)
    }

    /// Checks that ids are used in order (see the module docs); `line`
    /// maps an operation's index to its line for the error.
    fn check(&self, line: impl Fn(usize) -> usize) -> Result<(), TraceError> {
        let mut live = vec![false; self.ids];
        for (i, op) in self.ops.iter().enumerate() {
            let id = op.id() as usize;
            let (want, now, verb) = match op {
                Op::Alloc { .. } => (false, true, "allocated while it is live"),
                Op::Realloc { .. } => (true, true, "resized while it is not live"),
                Op::Free { .. } => (true, false, "freed while it is not live"),
            };
            if live[id] != want {
                return err(line(i), format!("block {id} {verb}"));
            }
            live[id] = now;
        }
        Ok(())
    }

    /// The text of the trace as a `.rep` file (the suggested heap size is
    /// the peak of live bytes).
    pub fn to_rep(&self) -> String {
        let mut out = String::with_capacity(self.ops.len() * 12);
        let _ = writeln!(out, "{}\n{}\n{}\n1", self.peak_live_bytes(), self.ids, self.ops.len());
        for op in &self.ops {
            let _ = match *op {
                Op::Alloc { id, size } => writeln!(out, "a {id} {size}"),
                Op::Realloc { id, size } => writeln!(out, "r {id} {size}"),
                Op::Free { id } => writeln!(out, "f {id}"),
            };
        }
        out
    }

    /// The most bytes live at once, counted as requested.
    pub fn peak_live_bytes(&self) -> u64 {
        let mut size = vec![0u64; self.ids];
        let (mut live, mut peak) = (0u64, 0u64);
        for op in &self.ops {
            let id = op.id() as usize;
            live -= size[id];
            size[id] = match *op {
                Op::Alloc { size, .. } | Op::Realloc { size, .. } => u64::from(size),
                Op::Free { .. } => 0,
            };
            live += size[id];
            peak = peak.max(live);
        }
        peak
    }
}

impl Op {
    pub fn id(self) -> u32 {
        match self {
            Op::Alloc { id, .. } | Op::Realloc { id, .. } | Op::Free { id } => id,
        }
    }
}
