//! The headless throughput benchmark: `cargo bench --bench busy_shop [-- SCENARIO.json]`.
//!
//! Runs the workload of `shared/bench/busy-shop.json` (a copy lives beside this file) with
//! the full trace retained and the analysis on, several times, and prints deliveries per
//! second (best and median), steps, and the bytes the retained trace costs per step.
//! Compare with the minimal hand-written loop in `shared/bench/minimal-des` (see
//! README). A benchmark, not a test: it asserts nothing about speed.
#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

use std::path::PathBuf;
use std::time::Instant;

use eventlab::scenario::load::{Limits, load_file};
use eventlab::scenario::model::Metric;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| std::path::Path::new(a).extension().is_some_and(|e| e.eq_ignore_ascii_case("json")))
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/busy-shop.json"), PathBuf::from);
    let scenario = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let runs = 5;
    let mut rates = Vec::new();
    let mut last = None;
    let mut first_retained = None;
    // Memory is read on the first run, in a fresh process: resident memory grown by the run
    // while its outcome is still alive.
    let before = resident_bytes();
    for run in 0..runs {
        drop(last.take());
        let started = Instant::now();
        let outcome = eventlab::run::run(scenario.clone(), None, Limits::default().max_steps).expect("runs");
        let wall = started.elapsed().as_secs_f64();
        let delivered = outcome.analysis.metric(Metric::Delivered, None);
        rates.push(delivered as f64 / wall);
        let retained = if run == 0 { before.zip(resident_bytes()).map(|(b, a)| a.saturating_sub(b)) } else { None };
        last = Some((outcome, wall));
        first_retained = first_retained.or(retained);
    }
    rates.sort_by(f64::total_cmp);
    let (outcome, wall) = last.expect("ran");
    let trace = outcome.sim.trace();
    let steps = trace.steps.len();
    let trace_bytes = trace.retained_bytes();
    println!("workload: {} ({})", outcome.sim.model().scenario.name, path.display());
    println!(
        "deliveries: {}  published: {}  steps: {steps}  events: {}",
        outcome.analysis.metric(Metric::Delivered, None),
        outcome.analysis.published(),
        trace.events.len()
    );
    println!(
        "deliveries/s: best {:.0}  median {:.0}  (last run {wall:.3} s, {runs} runs)",
        rates[rates.len() - 1],
        rates[rates.len() / 2]
    );
    println!(
        "retained trace: {:.1} bytes/step (steps {} B each, events {} B each, payload text {} B in all)",
        trace_bytes as f64 / steps as f64,
        std::mem::size_of::<eventlab::trace::Step>(),
        std::mem::size_of::<eventlab::trace::Event>(),
        trace.payloads.bytes(),
    );
    if let Some(retained) = first_retained {
        println!(
            "resident memory grown by one run (trace + analysis + simulator state): {:.1} MiB, {:.1} bytes/step",
            retained as f64 / (1024.0 * 1024.0),
            retained as f64 / steps as f64
        );
    }
}

/// Resident memory of this process, in bytes (Linux; `None` elsewhere).
fn resident_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
