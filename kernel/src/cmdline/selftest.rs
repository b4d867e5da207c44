//! The self-test words of the command line, read once and checked before
//! any test runs.
//!
//! A `selftest` boot reads `run=NAME`, `seed=N`, `mem=SIZE` and `list`.
//! A word that is there but malformed is refused with a message that says
//! what was expected: a seed that silently became the default would make a
//! failing run impossible to repeat, and a size that silently became
//! "unknown" would hide what the memory test was meant to check. A word
//! that is absent is not an error (a real PC has no `mem=`); the memory
//! test says what it leaves out without it ([`MEM_MISSING`]).
//!
//! [`close_names`] suggests test names for a `run=` that matches none.

use super::{CommandLine, parse_number, parse_size};
use core::fmt;

/// The seed of the randomised tests when the command line gives none.
pub const DEFAULT_SEED: u64 = 0x5EED;

/// What the test that compares the memory map with the machine's RAM says
/// when the command line does not tell it how much RAM that is.
pub const MEM_MISSING: &str = "no mem=SIZE on the command line: the available memory is not \
     compared with the machine's RAM (give the RAM it was given, as QEMU's -m takes it: \
     mem=4M, mem=128M)";

/// The self-test words of one command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelftestArgs<'a> {
    /// `run=NAME`: run only the tests whose name contains NAME, or the
    /// fault scenario named exactly NAME.
    pub run: Option<&'a str>,
    /// `seed=N` (decimal or `0x` hexadecimal), else [`DEFAULT_SEED`].
    pub seed: u64,
    /// `mem=SIZE` in bytes, if given.
    pub mem: Option<u64>,
    /// `list`: print every test's name instead of running any.
    pub list: bool,
}

/// A self-test word that is present but malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgError<'a> {
    /// `seed=` holds this, which is not a number that fits 64 bits.
    Seed(&'a str),
    /// `mem=` holds this, which is not a size.
    Mem(&'a str),
    /// `run=` with nothing after it.
    EmptyRun,
}

impl fmt::Display for ArgError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Seed(text) => write!(
                f,
                "seed={text} is not a number: give it in decimal or 0x-hexadecimal \
                 (seed=42, seed=0x2a), or leave it out for the default {DEFAULT_SEED:#x}"
            ),
            Self::Mem(text) => write!(
                f,
                "mem={text} is not a size: give the RAM the machine was given as QEMU's -m \
                 takes it (mem=4M, mem=128M, mem=1G)"
            ),
            Self::EmptyRun => f.write_str(
                "run= names no test: give part of a test's name (run=heap), or leave it out \
                 to run every test",
            ),
        }
    }
}

impl<'a> SelftestArgs<'a> {
    /// Reads the self-test words of `line`. The first `key=` of each key
    /// counts (as for [`CommandLine::value`]).
    pub fn parse(line: &CommandLine<'a>) -> Result<Self, ArgError<'a>> {
        let seed = match line.value("seed") {
            None => DEFAULT_SEED,
            Some(text) => parse_number(text).ok_or(ArgError::Seed(text))?,
        };
        let mem = match line.value("mem") {
            None => None,
            Some(text) => Some(parse_size(text).ok_or(ArgError::Mem(text))?),
        };
        let run = line.value("run");
        if run == Some("") {
            return Err(ArgError::EmptyRun);
        }
        Ok(Self { run, seed, mem, list: line.has_flag("list") })
    }
}

/// Longest name (in bytes) the edit distance looks at; longer ones are cut.
const MAX_NAME: usize = 96;

/// Writes into `out` the names of `names` that look like `wanted`, closest
/// first, and returns how many it wrote (at most `out.len()`).
///
/// A name looks like `wanted` when it contains the last `::` part of
/// `wanted`, or when the edit distance from `wanted` to the whole name, or
/// from that last part to one of the name's `::` parts, is at most a third
/// of that part's length (at least 1): `frmes` finds `frames::...`,
/// `heap::torture` finds `heap::seeded_torture`, `fault::nul_deref` finds
/// `fault::null_deref`. Never allocates.
pub fn close_names<'n>(
    wanted: &str,
    names: impl Iterator<Item = &'n str> + Clone,
    out: &mut [&'n str],
) -> usize {
    let last = wanted.rsplit("::").next().unwrap_or(wanted);
    let limit = (last.len() / 3).max(1);
    let score = |name: &str| {
        if !last.is_empty() && name.contains(last) {
            return 0;
        }
        let parts = name.split("::").map(|part| distance(last, part));
        parts.fold(distance(wanted, name), usize::min)
    };
    let mut count = 0;
    // Names with score 0 first, then 1, ...: the closest come first and
    // ties keep the registry's order.
    for wanted_score in 0..=limit {
        for name in names.clone().filter(|name| score(name) == wanted_score) {
            if count == out.len() {
                return count;
            }
            out[count] = name;
            count += 1;
        }
    }
    count
}

/// The Levenshtein distance between the bytes of `a` and `b` (each cut at
/// [`MAX_NAME`] bytes), with one row on the stack.
fn distance(a: &str, b: &str) -> usize {
    let a = &a.as_bytes()[..a.len().min(MAX_NAME)];
    let b = &b.as_bytes()[..b.len().min(MAX_NAME)];
    let mut row = [0usize; MAX_NAME + 1];
    for (j, cell) in row.iter_mut().enumerate().take(b.len() + 1) {
        *cell = j;
    }
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<SelftestArgs<'_>, ArgError<'_>> {
        SelftestArgs::parse(&CommandLine::new(line))
    }

    #[test]
    fn words_are_read() {
        let args = parse("selftest mem=4M run=heap seed=0x2a list").unwrap();
        assert_eq!(
            args,
            SelftestArgs { run: Some("heap"), seed: 42, mem: Some(4 << 20), list: true }
        );
        let args = parse("selftest").unwrap();
        assert_eq!(args, SelftestArgs { run: None, seed: DEFAULT_SEED, mem: None, list: false });
    }

    #[test]
    fn a_malformed_seed_is_refused_not_replaced_by_the_default() {
        for bad in ["12x", "0x", "", "-1", "0x1_0000_0000_0000_0000", "99999999999999999999"] {
            let line = format!("selftest seed={bad}");
            assert_eq!(parse(&line), Err(ArgError::Seed(bad)), "{line}");
        }
        let message = ArgError::Seed("12x").to_string();
        assert!(message.starts_with("seed=12x is not a number"), "{message}");
        assert!(message.contains("seed=0x2a"), "{message}");
    }

    #[test]
    fn a_malformed_size_is_refused_and_a_missing_one_is_none() {
        assert_eq!(parse("selftest mem=4MB"), Err(ArgError::Mem("4MB")));
        assert_eq!(parse("selftest mem="), Err(ArgError::Mem("")));
        assert!(ArgError::Mem("4MB").to_string().contains("mem=128M"));
        assert_eq!(parse("selftest run=boot").unwrap().mem, None);
        assert!(MEM_MISSING.starts_with("no mem=SIZE on the command line"));
    }

    #[test]
    fn an_empty_run_is_refused() {
        assert_eq!(parse("selftest run="), Err(ArgError::EmptyRun));
    }

    const NAMES: &[&str] = &[
        "boot::kernel_runs_in_the_higher_half",
        "frames::drain_every_frame_and_give_it_back",
        "heap::seeded_torture",
        "heap::heap_stats_add_up",
        "fault::null_deref",
        "string::c_strings",
    ];

    fn close(wanted: &str) -> Vec<&'static str> {
        let mut out = [""; 4];
        let n = close_names(wanted, NAMES.iter().copied(), &mut out);
        out[..n].to_vec()
    }

    #[test]
    fn close_names_find_typos_parts_and_other_modules() {
        assert_eq!(close("frmes"), ["frames::drain_every_frame_and_give_it_back"]);
        assert_eq!(close("heap::torture"), ["heap::seeded_torture"]);
        assert_eq!(close("fault::nul_deref"), ["fault::null_deref"]);
        assert_eq!(close("paging::c_string"), ["string::c_strings"]);
        assert_eq!(close("stats"), ["heap::heap_stats_add_up"]);
        assert!(close("zzzzzz").is_empty());
    }

    #[test]
    fn close_names_come_closest_first_and_fill_at_most_the_buffer() {
        let mut out = [""; 2];
        assert_eq!(close_names("heap", NAMES.iter().copied(), &mut out), 2);
        assert_eq!(out, ["heap::seeded_torture", "heap::heap_stats_add_up"]);
        // A name holding the part comes before one a typo away.
        let names = ["x::bot", "x::boot_up"];
        let mut out = [""; 2];
        assert_eq!(close_names("y::boot", names.iter().copied(), &mut out), 2);
        assert_eq!(out, ["x::boot_up", "x::bot"]);
    }

    #[test]
    fn distance_is_levenshtein() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("frames", "frmes"), 1);
        let long = "x".repeat(200);
        assert_eq!(distance(&long, ""), MAX_NAME);
    }
}
