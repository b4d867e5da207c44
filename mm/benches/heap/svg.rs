//! A hand-written SVG bar chart of the results: one panel per measure, bars
//! grouped by trace, one colour per allocator.

use std::fmt::Write;

const COLORS: [&str; 5] = ["#2b6cb0", "#8a8a8a", "#38a169", "#d69e2e", "#9f7aea"];
const PANEL_W: f64 = 1080.0;
const PANEL_H: f64 = 260.0;
const LEFT: f64 = 60.0;

/// One panel; `ratios[w][a]` for workload `w` and allocator `a`.
fn panel(
    out: &mut String,
    y0: f64,
    title: &str,
    workloads: &[&str],
    ratios: &[Vec<f64>],
    log: bool,
) {
    let max = ratios.iter().flatten().cloned().fold(1.0, f64::max);
    let (lo, hi) = if log {
        (0.01f64.log10(), (max * 1.5).log10().max(1.0))
    } else {
        (0.0, (max * 1.15).max(1.2))
    };
    let scale = |v: f64| {
        let v = if log { v.max(0.01).log10() } else { v };
        y0 + 30.0 + (PANEL_H - 60.0) * (1.0 - (v - lo) / (hi - lo))
    };
    let base = scale(if log { 0.01 } else { 0.0 });
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="{}" font-size="15" font-weight="bold">{title}</text>"#,
        y0 + 18.0
    );
    let ticks: Vec<f64> = if log {
        vec![0.01f64, 0.1, 1.0, 10.0].into_iter().filter(|t: &f64| t.log10() <= hi).collect()
    } else {
        (0..=((hi / 0.25) as usize)).map(|i| i as f64 * 0.25).collect()
    };
    for t in ticks {
        let y = scale(t);
        let dash = if t == 1.0 {
            r#" stroke="black" stroke-dasharray="4 3""#
        } else {
            r##" stroke="#ddd""##
        };
        let _ = writeln!(
            out,
            r#"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"{dash}/>"#,
            LEFT + PANEL_W
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{t}x</text>"#,
            LEFT - 6.0,
            y + 4.0
        );
    }
    let group = PANEL_W / workloads.len() as f64;
    let each = ratios.first().map_or(1, Vec::len) as f64;
    let bar = group / (each + 1.5);
    for (w, name) in workloads.iter().enumerate() {
        let gx = LEFT + group * w as f64 + group / 2.0;
        let _ = writeln!(
            out,
            r#"<text x="{gx:.1}" y="{:.1}" font-size="10" text-anchor="middle">{name}</text>"#,
            y0 + PANEL_H - 12.0
        );
        for (a, ratio) in ratios[w].iter().enumerate() {
            let x = gx - each / 2.0 * bar + a as f64 * bar;
            let top = scale(*ratio);
            let _ = writeln!(
                out,
                r#"<rect x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
                bar - 2.0,
                (base - top).max(0.5),
                COLORS[a % COLORS.len()]
            );
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="middle">{}</text>"#,
                x + bar / 2.0 - 1.0,
                top - 3.0,
                if *ratio >= 10.0 { format!("{ratio:.0}") } else { format!("{ratio:.1}") }
            );
        }
    }
}

/// The whole chart: `panels` are (title, values `[trace][allocator]`, log scale).
pub fn chart(
    workloads: &[&str],
    allocators: &[&str],
    panels: &[(&str, Vec<Vec<f64>>, bool)],
) -> String {
    let width = LEFT + PANEL_W + 20.0;
    let height = panels.len() as f64 * PANEL_H + 50.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, (title, values, log)) in panels.iter().enumerate() {
        panel(&mut out, i as f64 * PANEL_H, title, workloads, values, *log);
    }
    for (a, name) in allocators.iter().enumerate() {
        let x = LEFT + a as f64 * 170.0;
        let y = panels.len() as f64 * PANEL_H + 25.0;
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{}" width="14" height="14" fill="{}"/>"#,
            y - 11.0,
            COLORS[a % COLORS.len()]
        );
        let _ = writeln!(out, r#"<text x="{}" y="{y}" font-size="12">{name}</text>"#, x + 20.0);
    }
    out.push_str("</svg>\n");
    out
}
