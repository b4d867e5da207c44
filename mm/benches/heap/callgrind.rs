//! Instructions per operation, counted by `valgrind --tool=callgrind`: a
//! count, not a time, so it is the same on a busy machine as on an idle one.
//!
//! A bench binary started with `HEAP_BENCH_COUNT=<allocators>` replays
//! every trace once on each of them and prints `count <trace> <allocator>
//! <operations>` after each replay. Run under callgrind with collection on
//! only inside `run_ops` (the timed loop) and a dump after each replay,
//! dump N holds exactly the instructions of the Nth replay's loop.

use std::path::Path;
use std::process::{Command, Stdio};

/// The timed loop, as callgrind names it: the generic arguments are part
/// of the name or not depending on the symbol mangling, hence the wildcard.
const LOOP: &str = "heap::replay::run_ops*";
/// The non-generic function around each counted replay: `--dump-after`
/// takes an exact name only.
const DUMP: &str = "heap::counted";

/// Instructions counted for one replay.
#[derive(Clone, Debug)]
pub struct Count {
    pub trace: String,
    pub allocator: String,
    pub instructions: u64,
    pub ops: u64,
}

impl Count {
    pub fn per_op(&self) -> f64 {
        self.instructions as f64 / self.ops as f64
    }
}

/// Whether valgrind can be run at all.
pub fn available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A replay process under callgrind, started.
pub struct Job {
    dir: String,
    label: String,
    child: std::process::Child,
}

/// Starts `binary` under callgrind, counting `allocators` (names, separated
/// by commas) on every trace; dumps go to `dir/<label>.*`.
pub fn start(binary: &str, allocators: &str, dir: &str, label: &str) -> Result<Job, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{dir}: {e}"))?.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&format!("{label}.")) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let child = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--collect-atstart=no",
            &format!("--toggle-collect={LOOP}"),
            &format!("--dump-after={DUMP}"),
            &format!("--callgrind-out-file={dir}/{label}.out"),
        ])
        .arg(binary)
        .env("HEAP_BENCH_COUNT", allocators)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting valgrind: {e}"))?;
    Ok(Job { dir: dir.into(), label: label.into(), child })
}

impl Job {
    /// Waits for the run and reads its counts, in replay order.
    pub fn finish(self) -> Result<Vec<Count>, String> {
        let out = self.child.wait_with_output().map_err(|e| format!("valgrind: {e}"))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = err.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!("callgrind run `{}` failed:\n{}", self.label, tail.join("\n")));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut counts = Vec::new();
        for (n, line) in stdout.lines().filter(|l| l.starts_with("count ")).enumerate() {
            let words: Vec<&str> = line.split(' ').collect();
            let [_, trace, allocator, ops] = words[..] else {
                return Err(format!("unexpected line from the counting run: {line}"));
            };
            let dump = format!("{}/{}.out.{}", self.dir, self.label, n + 1);
            counts.push(Count {
                trace: trace.into(),
                allocator: allocator.into(),
                instructions: totals(Path::new(&dump))?,
                ops: ops.parse().map_err(|_| format!("bad count line: {line}"))?,
            });
        }
        Ok(counts)
    }
}

/// The instruction total of one callgrind dump.
pub fn totals(path: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .find_map(|l| l.strip_prefix("totals:").or_else(|| l.strip_prefix("summary:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("{}: no instruction total in it", path.display()))
}
