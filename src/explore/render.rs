//! An exploration's [`Report`] as text (for a person) or one JSON object (for a program).
//! Neither says how many jobs ran or how long it took, so both are the same whatever
//! `--jobs` is.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::Report;

/// Seeds listed per group; the rest are counted.
const SHOWN: usize = 10;

fn seed_list(seeds: &[u64]) -> String {
    let mut text = seeds.iter().take(SHOWN).map(u64::to_string).collect::<Vec<_>>().join(", ");
    if seeds.len() > SHOWN {
        let _ = write!(text, ", … ({} more)", seeds.len() - SHOWN);
    }
    text
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 { format!("{n} {one}") } else { format!("{n} {one}s") }
}

/// The report for a person; `file` is where the reproduction was written.
pub fn table(report: &Report, file: Option<&Path>) -> String {
    let mut out = String::new();
    let ran = report.verdicts.len();
    let failing = report.failing().count();
    let last = report.seeds.end.saturating_sub(1);
    let stopped = if report.stopped { " (stopped: Ctrl-C)" } else { "" };
    let _ = writeln!(
        out,
        "explore \"{}\": seeds {}..={last}, {} run{stopped}, {} failing",
        report.name, report.seeds.start, ran, failing
    );
    let _ = writeln!(out, "\nexpectations (seeds that broke each)");
    for (text, count) in report.expectations.iter().zip(report.failures()) {
        let mark = if count == 0 { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "  {mark} {count:>6}  {text}");
    }
    if failing == 0 {
        let _ = writeln!(out, "\nno seed broke an expectation");
        return out;
    }
    let _ = writeln!(out, "\nfailing seeds by the expectations they break");
    for (broken, seeds) in report.by_expectations() {
        let what: Vec<&str> = broken.iter().map(|&e| report.expectations[e].as_str()).collect();
        let _ = writeln!(out, "  {}: {}", what.join(" and "), plural(seeds.len(), "seed"));
        let _ = writeln!(out, "    {}", seed_list(&seeds));
    }
    let classes = report.by_class();
    if !classes.is_empty() {
        let _ = writeln!(out, "\nfailing seeds by finding class");
        for (class, seeds) in classes {
            let _ = writeln!(out, "  {}: {}", class.name(), plural(seeds.len(), "seed"));
            let _ = writeln!(out, "    {}", seed_list(&seeds));
        }
    }
    if let Some(r) = &report.reproduction {
        let _ = writeln!(
            out,
            "\nreproduction: seed {}, breaks {}; {} drawn, shrunk to {}",
            r.seed,
            report.expectations[r.breaks],
            plural(r.drawn, "fault"),
            r.kept.len()
        );
        for fault in &r.kept {
            let _ = writeln!(out, "  {}", serde_json::to_string(fault).unwrap_or_default());
        }
        if let Some(file) = file {
            let _ = writeln!(out, "  written to {}: `eventlab run {}` replays it", file.display(), file.display());
        }
    }
    out
}

/// The report as one JSON object.
pub fn json(report: &Report, file: Option<&Path>) -> Value {
    let failures = report.failures();
    let expectations: Vec<Value> = report
        .expectations
        .iter()
        .zip(&failures)
        .enumerate()
        .map(|(i, (text, count))| {
            let first = report.failing().find(|v| v.broken.contains(&i)).map(|v| v.seed);
            json!({"expect": text, "failures": count, "first_seed": first})
        })
        .collect();
    let groups: Vec<Value> = report
        .by_expectations()
        .into_iter()
        .map(|(broken, seeds)| {
            let what: Vec<&str> = broken.iter().map(|&e| report.expectations[e].as_str()).collect();
            json!({"breaks": what, "count": seeds.len(), "seeds": seeds})
        })
        .collect();
    let classes: serde_json::Map<String, Value> = report
        .by_class()
        .into_iter()
        .map(|(class, seeds)| (class.name().to_owned(), json!({"count": seeds.len(), "seeds": seeds})))
        .collect();
    let reproduction = report.reproduction.as_ref().map(|r| {
        json!({
            "seed": r.seed,
            "breaks": report.expectations[r.breaks],
            "drawn": r.drawn,
            "faults": r.kept,
            "file": file.map(|f| f.display().to_string()),
        })
    });
    json!({
        "scenario": report.name,
        "seeds": {"from": report.seeds.start, "to": report.seeds.end.saturating_sub(1), "run": report.verdicts.len()},
        "stopped": report.stopped,
        "failing": report.failing().count(),
        "expectations": expectations,
        "by_expectations": groups,
        "by_finding": classes,
        "reproduction": reproduction,
    })
}

/// The progress bar on stderr: it alone reads the wall clock (seeds per second, time
/// left), and nothing it shows reaches the report.
pub struct ProgressBar {
    start: std::time::Instant,
}

impl Default for ProgressBar {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressBar {
    #[expect(clippy::disallowed_methods, reason = "the progress bar shows wall-clock seeds/s, on stderr only")]
    pub fn new() -> Self {
        ProgressBar { start: std::time::Instant::now() }
    }

    /// The bar's line: seeds done, seeds per second, failing seeds, time left.
    pub fn line(&self, p: &super::Progress) -> String {
        const WIDTH: u64 = 30;
        let filled = (p.done * WIDTH).checked_div(p.total).unwrap_or(WIDTH);
        let secs = self.start.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { p.done as f64 / secs } else { 0.0 };
        let left = if rate > 0.0 { (p.total - p.done) as f64 / rate } else { 0.0 };
        format!(
            "[{}{}] {}/{} seeds  {:.0} seeds/s  {} failing  {:.1}s left ",
            "█".repeat(filled as usize),
            "░".repeat((WIDTH - filled) as usize),
            p.done,
            p.total,
            rate,
            p.failing,
            left
        )
    }
}
