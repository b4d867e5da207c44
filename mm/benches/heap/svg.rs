//! A hand-written SVG bar chart of the results: one panel per measure, bars
//! grouped by trace, one colour per allocator.

use std::fmt::Write;

const COLORS: [&str; 5] = ["#2b6cb0", "#8a8a8a", "#38a169", "#d69e2e", "#9f7aea"];
const PANEL_W: f64 = 1080.0;
const PANEL_H: f64 = 260.0;
const LEFT: f64 = 60.0;

/// How a panel's values are drawn.
#[derive(Clone, Copy, PartialEq)]
pub enum Scale {
    /// Ratios on a log scale from 0.01x, with 1x dashed.
    Log,
    /// Fractions from 0 to 100%, with 100% dashed.
    Percent,
}

impl Scale {
    fn label(self, v: f64) -> String {
        match self {
            Scale::Log if v >= 10.0 => format!("{v:.0}"),
            Scale::Log => format!("{v:.2}"),
            Scale::Percent => format!("{:.0}", 100.0 * v),
        }
    }

    fn tick(self, v: f64) -> String {
        match self {
            Scale::Log => format!("{v}x"),
            Scale::Percent => format!("{:.0}%", 100.0 * v),
        }
    }
}

/// One panel; `values[t][a]` for trace `t` and allocator `a` (NaN: no bar).
fn panel(
    out: &mut String,
    y0: f64,
    title: &str,
    traces: &[&str],
    values: &[Vec<f64>],
    scale: Scale,
) {
    let max = values.iter().flatten().copied().filter(|v| v.is_finite()).fold(1.0, f64::max);
    let (lo, hi) = match scale {
        Scale::Log => (0.01f64.log10(), (max * 1.5).log10().max(1.0)),
        Scale::Percent => (0.0, 1.1),
    };
    let y = |v: f64| {
        let v = if scale == Scale::Log { v.max(0.01).log10() } else { v };
        y0 + 30.0 + (PANEL_H - 60.0) * (1.0 - (v - lo) / (hi - lo))
    };
    let base = y(if scale == Scale::Log { 0.01 } else { 0.0 });
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="{}" font-size="15" font-weight="bold">{title}</text>"#,
        y0 + 18.0
    );
    let ticks: Vec<f64> = match scale {
        Scale::Log => [0.01f64, 0.1, 1.0, 10.0].into_iter().filter(|t| t.log10() <= hi).collect(),
        Scale::Percent => (0..=4).map(|i| f64::from(i) * 0.25).collect(),
    };
    for t in ticks {
        let at = y(t);
        let dash = if t == 1.0 {
            r#" stroke="black" stroke-dasharray="4 3""#
        } else {
            r##" stroke="#ddd""##
        };
        let _ = writeln!(
            out,
            r#"<line x1="{LEFT}" x2="{}" y1="{at:.1}" y2="{at:.1}"{dash}/>"#,
            LEFT + PANEL_W
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            at + 4.0,
            scale.tick(t)
        );
    }
    let group = PANEL_W / traces.len() as f64;
    let each = values.first().map_or(1, Vec::len) as f64;
    let bar = group / (each + 1.5);
    for (t, name) in traces.iter().enumerate() {
        let gx = LEFT + group * t as f64 + group / 2.0;
        let _ = writeln!(
            out,
            r#"<text x="{gx:.1}" y="{:.1}" font-size="10" text-anchor="middle">{name}</text>"#,
            y0 + PANEL_H - 12.0
        );
        for (a, &v) in values[t].iter().enumerate() {
            if !v.is_finite() {
                continue; // not measured
            }
            let x = gx - each / 2.0 * bar + a as f64 * bar;
            let top = y(v);
            let _ = writeln!(
                out,
                r#"<rect x="{x:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
                bar - 2.0,
                (base - top).max(0.5),
                COLORS[a % COLORS.len()]
            );
            let _ = writeln!(
                out,
                r#"<text x="{:.1}" y="{:.1}" font-size="8" text-anchor="middle">{}</text>"#,
                x + bar / 2.0 - 1.0,
                top - 3.0,
                scale.label(v)
            );
        }
    }
}

/// The whole chart: `panels` are (title, values `[trace][allocator]`, scale).
pub fn chart(
    traces: &[&str],
    allocators: &[&str],
    panels: &[(&str, Vec<Vec<f64>>, Scale)],
) -> String {
    let width = LEFT + PANEL_W + 20.0;
    let height = panels.len() as f64 * PANEL_H + 50.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, (title, values, scale)) in panels.iter().enumerate() {
        panel(&mut out, i as f64 * PANEL_H, title, traces, values, *scale);
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
