//! The traces a run replays: the six original workloads and the patterns,
//! all generated from fixed seeds; every `.rep` file committed in
//! `mm/benches/traces/` (a recording of the kernel's self-test run among
//! them); and any files named in `HEAP_BENCH_TRACES`. Nothing is fetched.

use std::path::{Path, PathBuf};

use super::trace::Trace;
use super::{patterns, workloads};

/// Where committed traces live.
pub const TRACE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/traces");

/// What the committed traces are.
const ABOUT: &[(&str, &str)] = &[(
    "kernel-selftest",
    "the kernel's global allocator during its self-test run (recorded, scripts/record-alloc-trace.sh)",
)];

/// Every trace, in report order; `only` (names separated by commas) keeps
/// just those. An unreadable or malformed file is an error naming it.
pub fn load(extra: Option<&str>, only: Option<&str>) -> Result<Vec<Trace>, String> {
    let mut traces = workloads::all();
    traces.extend(patterns::all());
    let mut files: Vec<PathBuf> = match std::fs::read_dir(TRACE_DIR) {
        Ok(dir) => dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "rep"))
            .collect(),
        Err(e) => return Err(format!("{TRACE_DIR}: {e}")),
    };
    files.sort();
    files.extend(extra.unwrap_or_default().split(':').filter(|s| !s.is_empty()).map(PathBuf::from));
    for path in files {
        traces.push(read(&path)?);
    }
    if let Some(only) = only {
        let wanted: Vec<&str> = only.split(',').collect();
        if let Some(w) = wanted.iter().find(|w| !traces.iter().any(|t| t.name == **w)) {
            return Err(format!("HEAP_BENCH_ONLY names `{w}`, which is no trace of this run"));
        }
        traces.retain(|t| wanted.contains(&t.name.as_str()));
    }
    Ok(traces)
}

/// Reads one `.rep` file; the trace is named after the file.
pub fn read(path: &Path) -> Result<Trace, String> {
    let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("trace");
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let about = ABOUT
        .iter()
        .find(|(n, _)| *n == name)
        .map_or_else(|| format!("from {}", path.display()), |(_, about)| (*about).to_string());
    Trace::parse(name, &about, &text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes every trace into `dir` as `<name>.rep`.
pub fn write_all(traces: &[Trace], dir: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    for t in traces {
        let path = format!("{dir}/{}.rep", t.name);
        std::fs::write(&path, t.to_rep()).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

/// The region each allocator gets for `trace`: far more than any of them
/// needs (4 times the peak of live bytes, at least 32 MiB), the same for all.
pub fn region(trace: &Trace) -> usize {
    ((trace.peak_live_bytes() as usize).saturating_mul(4).max(32 << 20)).next_multiple_of(4096)
}
