//! The report: one table per measure, every allocator side by side, and
//! each target of the heap printed as met or NOT MET with its numbers.

use super::roster::Who;
use super::validate::Footprint;

/// Everything one run measured; `[trace][allocator]`, allocators in `who` order.
pub struct Results {
    pub names: Vec<String>,
    pub ops: Vec<usize>,
    pub who: Vec<Who>,
    /// Median seconds of a replay.
    pub secs: Vec<Vec<f64>>,
    pub foot: Vec<Vec<Footprint>>,
    /// Instructions per operation, where callgrind counted them.
    pub instr: Vec<Vec<Option<f64>>>,
    /// The `REFERENCE` allocators' footprints, `[trace][i]`.
    pub whole: Vec<Vec<Footprint>>,
}

/// The realloc pattern the utilisation target names.
pub const REALLOC_PATTERN: &str = "realloc-small";

pub fn geomean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (mut sum, mut n) = (0.0, 0);
    for v in values {
        sum += v.ln();
        n += 1;
    }
    (sum / f64::from(n.max(1))).exp()
}

impl Results {
    pub fn col(&self, who: Who) -> Option<usize> {
        self.who.iter().position(|&w| w == who)
    }

    /// Throughput of `w` on trace `t` relative to talc's.
    pub fn speed(&self, t: usize, w: usize) -> f64 {
        let talc = self.col(Who::Talc).expect("talc is always measured");
        self.secs[t][talc] / self.secs[t][w]
    }

    pub fn util_bytes(&self, t: usize, w: usize) -> f64 {
        let f = self.foot[t][w];
        f.peak_live as f64 / f.peak_extent.max(1) as f64
    }

    pub fn util_pages(&self, t: usize, w: usize) -> f64 {
        let f = self.foot[t][w];
        f.peak_live as f64 / (f.peak_pages.max(1) * 4096) as f64
    }

    fn table(&self, title: &str, who: &[usize], cell: impl Fn(usize, usize) -> String) {
        println!("\n{title}\n");
        let heads: Vec<&str> = who.iter().map(|&w| self.who[w].name()).collect();
        println!("| trace | {} |", heads.join(" | "));
        println!("|---|{}", "---:|".repeat(who.len()));
        for t in 0..self.names.len() {
            let cells: Vec<String> = who.iter().map(|&w| cell(t, w)).collect();
            println!("| {} | {} |", self.names[t], cells.join(" | "));
        }
    }

    /// Prints every table.
    pub fn print_tables(&self) {
        let native: Vec<usize> =
            (0..self.who.len()).filter(|&w| self.who[w] != Who::Debug).collect();
        self.table("Throughput: million operations per second (ratio to talc)", &native, |t, w| {
            let mops = self.ops[t] as f64 / self.secs[t][w] / 1e6;
            format!("{mops:.2} ({:.2}x)", self.speed(t, w))
        });
        let means: Vec<String> = native
            .iter()
            .map(|&w| format!("{:.2}x", geomean((0..self.names.len()).map(|t| self.speed(t, w)))))
            .collect();
        println!("| geometric mean of the ratios | {} |", means.join(" | "));
        self.table(
            "Instructions per operation (callgrind, the timed loop only)",
            &native,
            |t, w| self.instr[t][w].map_or("-".into(), |i| format!("{i:.0}")),
        );
        let means: Vec<String> = native
            .iter()
            .map(|&w| {
                let all: Option<Vec<f64>> =
                    (0..self.names.len()).map(|t| self.instr[t][w]).collect();
                all.map_or("-".into(), |v| format!("{:.0}", geomean(v)))
            })
            .collect();
        println!("| geometric mean | {} |", means.join(" | "));
        self.table(
            "Utilisation: peak live bytes / peak heap extent in bytes (extent KiB)",
            &native,
            |t, w| {
                let kib = self.foot[t][w].peak_extent as f64 / 1024.0;
                format!("{:.1}% ({kib:.0})", 100.0 * self.util_bytes(t, w))
            },
        );
        self.table(
            "Utilisation: peak live bytes / peak pages mapped x 4 KiB (pages)",
            &native,
            |t, w| {
                format!("{:.1}% ({})", 100.0 * self.util_pages(t, w), self.foot[t][w].peak_pages)
            },
        );
        println!(
            "\nFor reference, not like for like: talc and rlsf given the whole region at once \
             (how they are usually set up), peak live bytes / peak extent in bytes"
        );
        println!("(every page is mapped up front, so only where each places blocks is compared)\n");
        println!("| trace | kmalloc | talc-whole | rlsf-whole |");
        println!("|---|---:|---:|---:|");
        for t in 0..self.names.len() {
            let pct = |f: Footprint| 100.0 * f.peak_live as f64 / f.peak_extent.max(1) as f64;
            let k = self.col(Who::Kmalloc).expect("kmalloc is always measured");
            let w = &self.whole[t];
            println!(
                "| {} | {:.1}% | {:.1}% | {:.1}% |",
                self.names[t],
                100.0 * self.util_bytes(t, k),
                pct(w[0]),
                pct(w[1])
            );
        }
        println!("\npeak live bytes:");
        for t in 0..self.names.len() {
            println!("  {:<16} {}", self.names[t], self.foot[t][0].peak_live);
        }
        if let (Some(k), Some(d)) = (self.col(Who::Kmalloc), self.col(Who::Debug)) {
            println!("\nheap-debug against the normal build (our heap only)\n");
            println!(
                "| trace | kmalloc Mops/s | kmalloc-debug Mops/s | slower by (time) | instructions/op normal | debug | ratio |"
            );
            println!("|---|---:|---:|---:|---:|---:|---:|");
            for t in 0..self.names.len() {
                let mops = |w: usize| self.ops[t] as f64 / self.secs[t][w] / 1e6;
                let (ik, id) = (self.instr[t][k], self.instr[t][d]);
                let fmt = |i: Option<f64>| i.map_or("-".into(), |i| format!("{i:.0}"));
                let ratio = ik.zip(id).map_or("-".into(), |(a, b)| format!("{:.2}x", b / a));
                println!(
                    "| {} | {:.2} | {:.2} | {:.2}x | {} | {} | {ratio} |",
                    self.names[t],
                    mops(k),
                    mops(d),
                    self.secs[t][d] / self.secs[t][k],
                    fmt(ik),
                    fmt(id)
                );
            }
        }
    }
}
