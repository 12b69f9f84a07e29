//! Renders [`BenchResults`]: CSV (summary and raw runs), JSON, an SVG bar chart and a text table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::run::BenchResults;
use crate::Result;

/// One row per contestant and scenario: medians, ratios and fidelity (RFC 4180 quoting by the csv crate).
pub fn summary_csv(r: &BenchResults) -> String {
    let mut rows = vec![[
        "scenario",
        "contestant",
        "status",
        "runs",
        "median_s",
        "min_s",
        "max_s",
        "vs_floor",
        "altdisk_speedup",
        "fidelity",
        "command",
    ]
    .map(String::from)
    .to_vec()];
    for sc in &r.scenarios {
        for c in &sc.contestants {
            let status = if c.error.is_some() { "failed" } else { "ok" };
            rows.push(vec![
                sc.scenario.name().to_string(),
                c.name.clone(),
                status.to_string(),
                c.times.len().to_string(),
                num(c.median),
                num(c.min),
                num(c.max),
                num(c.vs_floor),
                num(c.altdisk_speedup),
                c.error.clone().unwrap_or_else(|| c.fidelity.clone()),
                c.command.clone(),
            ]);
        }
    }
    to_csv(&rows)
}

/// One row per measured run.
pub fn runs_csv(r: &BenchResults) -> String {
    let mut rows = vec![["scenario", "contestant", "run", "seconds"].map(String::from).to_vec()];
    for sc in &r.scenarios {
        for c in &sc.contestants {
            for (i, t) in c.times.iter().enumerate() {
                rows.push(vec![
                    sc.scenario.name().to_string(),
                    c.name.clone(),
                    (i + 1).to_string(),
                    format!("{t:.6}"),
                ]);
            }
        }
    }
    to_csv(&rows)
}

/// The rows as CSV text. Writing into memory cannot fail, short of running out of it.
fn to_csv(rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        if w.write_record(row).is_err() {
            break;
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.4}")).unwrap_or_default()
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A horizontal bar chart: one group per scenario, one bar per contestant (median seconds), annotated
/// with the ratio to the floor (clone) or altdisk's speedup over the peer.
pub fn svg(r: &BenchResults) -> String {
    let (w, label_w, bar_h, gap) = (1000.0, 170.0, 22.0, 6.0);
    // Room right of the longest bar for "12.345s  1.23x floor  altdisk 4.56x faster  (lossy)".
    let plot_w = w - label_w - 330.0;
    let rows: usize = r.scenarios.iter().map(|s| s.contestants.len() + 1).sum();
    let h = 60.0 + rows as f64 * (bar_h + gap) + 20.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let title = format!(
        "altdisk bench: {} files, {}{} ({} runs, median seconds, shorter is better)",
        r.tree.files,
        r.filesystem,
        if r.options.cold { ", cold caches" } else { "" },
        r.options.runs
    );
    let _ = writeln!(s, r#"<text x="10" y="24" font-size="16" font-weight="bold">{}</text>"#, xml(&title));
    let mut y = 50.0;
    for sc in &r.scenarios {
        let max = sc.contestants.iter().filter_map(|c| c.median).fold(0.0f64, f64::max);
        let _ = writeln!(
            s,
            r#"<text x="10" y="{}" font-weight="bold">{}</text>"#,
            y + bar_h * 0.7,
            sc.scenario.name()
        );
        y += bar_h + gap;
        for c in &sc.contestants {
            let color = if c.name == "altdisk" {
                "#1f77b4"
            } else if c.name == "floor" {
                "#7f7f7f"
            } else {
                "#ff7f0e"
            };
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                label_w - 8.0,
                y + bar_h * 0.7,
                xml(&c.name)
            );
            match c.median {
                Some(m) if max > 0.0 => {
                    let bw = (m / max * plot_w).max(1.0);
                    let _ = writeln!(
                        s,
                        r#"<rect x="{label_w}" y="{y}" width="{bw:.1}" height="{bar_h}" fill="{color}"><title>{}</title></rect>"#,
                        xml(&format!("{}: {}", c.command, c.fidelity))
                    );
                    let mut note = format!("{m:.3}s");
                    if let Some(f) = c.vs_floor {
                        note.push_str(&format!("  {f:.2}x floor"));
                    }
                    if let (Some(a), false) = (c.altdisk_speedup, c.name == "altdisk") {
                        note.push_str(&format!("  altdisk {a:.2}x faster"));
                    }
                    if c.fidelity != "ok" {
                        note.push_str("  (lossy)");
                    }
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.1}" y="{}">{}</text>"#,
                        label_w + bw + 6.0,
                        y + bar_h * 0.7,
                        xml(&note)
                    );
                }
                _ => {
                    let why = if c.error.is_some() { "failed" } else { "no data" };
                    let _ = writeln!(
                        s,
                        r##"<text x="{}" y="{}" fill="#d62728">{why}</text>"##,
                        label_w + 6.0,
                        y + bar_h * 0.7
                    );
                }
            }
            y += bar_h + gap;
        }
    }
    s.push_str("</svg>\n");
    s
}

/// The table the CLI prints.
pub fn text_table(r: &BenchResults) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "tree: {} files, {} dirs, {} symlinks, {} hard links, {:.1} MiB on {} (generated in {:.2}s); {} runs after a warm-up{}",
        r.tree.files,
        r.tree.dirs,
        r.tree.symlinks,
        r.tree.hardlinks,
        r.tree.bytes as f64 / (1 << 20) as f64,
        r.filesystem,
        r.generate_seconds,
        r.options.runs,
        if r.options.cold { "; cold: page cache dropped before every run" } else { "" }
    );
    for sc in &r.scenarios {
        let _ = writeln!(s, "\n{}:", sc.scenario.name());
        let _ = writeln!(
            s,
            "  {:<24} {:>9} {:>9} {:>9} {:>10}  fidelity",
            "contestant", "median s", "min s", "x floor", "altdisk x"
        );
        for c in &sc.contestants {
            let f = |v: Option<f64>, p: usize| v.map(|v| format!("{v:.p$}")).unwrap_or_else(|| "-".into());
            let fid = match (&c.error, c.archive_bytes) {
                (Some(e), _) => format!("FAILED: {e}"),
                (None, Some(b)) => format!("{} (archive {b} bytes)", c.fidelity),
                (None, None) => c.fidelity.clone(),
            };
            let _ = writeln!(
                s,
                "  {:<24} {:>9} {:>9} {:>9} {:>10}  {}",
                c.name,
                f(c.median, 3),
                f(c.min, 3),
                f(c.vs_floor, 2),
                f(c.altdisk_speedup, 2),
                fid
            );
        }
        if let Some(b) = &sc.best_floor {
            let _ = writeln!(s, "  best floor: {b} (the reference of x floor)");
        }
        for t in &sc.targets {
            let state = match t.met {
                Some(true) => "met",
                Some(false) => "NOT met",
                None => "not measured",
            };
            let m = t.measured.map(|m| format!(" (measured {m:.2}x)")).unwrap_or_default();
            let _ = writeln!(s, "  target: {}: {state}{m}", t.target);
        }
    }
    s
}

/// Writes `results.csv`, `runs.csv`, `results.json` and `results.svg` into `dir` (created if missing).
pub fn write_reports(r: &BenchResults, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io("create", dir, e))?;
    let json = serde_json::to_string_pretty(r)
        .map_err(|e| crate::Error::io("serialise", dir.join("results.json"), std::io::Error::other(e)))?;
    let files = [
        ("results.csv", summary_csv(r)),
        ("runs.csv", runs_csv(r)),
        ("results.json", json),
        ("results.svg", svg(r)),
    ];
    let mut out = Vec::new();
    for (name, body) in files {
        let p = dir.join(name);
        std::fs::write(&p, body).map_err(|e| crate::Error::io("write", &p, e))?;
        out.push(p);
    }
    Ok(out)
}
