//! The headless throughput benchmark: `cargo bench --bench busy_shop [-- SCENARIO.json]`.
//!
//! Runs the workload of `shared/bench/busy-shop.json` (a copy lives beside this file) with
//! the full trace retained and the analysis on, several times, and prints deliveries per
//! second (best and median), steps, and the bytes the retained trace costs per step.
//! Compare with the minimal hand-written loop in `shared/bench/minimal-des` (see its
//! README): when its release binary is found (`MINIMAL_DES=PATH`, else
//! `/tmp/minimal-des/release/minimal-des`, where `CARGO_TARGET_DIR=/tmp/minimal-des cargo
//! build --release --manifest-path ../shared/bench/minimal-des/Cargo.toml` puts it), it is
//! run after each of this benchmark's runs, alternating, on the same workload duration,
//! and the ratio of the two is printed: side by side in one run, so a busy machine slows
//! both alike. A benchmark, not a test: it asserts nothing about speed.
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
    let minimal = minimal_des();
    let seconds = scenario.duration.as_micros() / 1_000_000;
    let mut minimal_rates = Vec::new();
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
        if let Some(binary) = &minimal {
            minimal_rates.extend(run_minimal(binary, seconds));
        }
    }
    rates.sort_by(f64::total_cmp);
    minimal_rates.sort_by(f64::total_cmp);
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
    if let [.., best] = minimal_rates[..] {
        let median = minimal_rates[minimal_rates.len() / 2];
        println!(
            "minimal-des, alternating with these runs: deliveries/s best {best:.0}  median {median:.0}  ({} runs)",
            minimal_rates.len()
        );
        println!(
            "ratio to minimal-des: best {:.3}  median {:.3}",
            rates[rates.len() - 1] / best,
            rates[rates.len() / 2] / median
        );
    } else {
        println!(
            "minimal-des not found: build it with `CARGO_TARGET_DIR=/tmp/minimal-des cargo build --release \
             --manifest-path ../shared/bench/minimal-des/Cargo.toml` (or set MINIMAL_DES) for the side-by-side ratio"
        );
    }
    if let Some(retained) = first_retained {
        println!(
            "resident memory grown by one run (trace + analysis + simulator state): {:.1} MiB, {:.1} bytes/step",
            retained as f64 / (1024.0 * 1024.0),
            retained as f64 / steps as f64
        );
    }
}

/// The minimal-des binary, if built: `MINIMAL_DES`, else where the README's command puts it.
fn minimal_des() -> Option<PathBuf> {
    let path = std::env::var_os("MINIMAL_DES")
        .map_or_else(|| PathBuf::from("/tmp/minimal-des/release/minimal-des"), PathBuf::from);
    path.is_file().then_some(path)
}

/// One run of minimal-des over `seconds` of virtual time: its deliveries per second (it
/// prints one JSON object with `deliveries_per_s`).
fn run_minimal(binary: &std::path::Path, seconds: u64) -> Option<f64> {
    let output = std::process::Command::new(binary).arg(seconds.to_string()).output().ok()?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    report.get("deliveries_per_s")?.as_f64()
}

/// Resident memory of this process, in bytes (Linux; `None` elsewhere).
fn resident_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
