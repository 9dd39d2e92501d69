//! The headless throughput benchmark: `cargo bench --bench busy_shop [-- SCENARIO.json]`.
//!
//! Runs the workload of `shared/bench/busy-shop.json` (a copy lives beside this file) with
//! the full trace retained and the analysis on, several times, and prints deliveries per
//! second (best and median), steps, and the bytes the retained trace costs per step. A run
//! this long has its analysis on a second thread (`run::run_model`); each run is followed by
//! the same run with the analysis on the simulator's thread, whose rate is printed too.
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
    let mut inline_rates = Vec::new();
    let mut first_retained = None;
    let mut first_peak = None;
    // Memory is read on the first run, in a fresh process: resident memory grown by the run
    // while its outcome is still alive, and the most it held meanwhile.
    let before = resident_bytes();
    for run in 0..runs {
        drop(last.take());
        let started = Instant::now();
        let outcome = eventlab::run::run(scenario.clone(), None, Limits::default().max_steps).expect("runs");
        let wall = started.elapsed().as_secs_f64();
        let delivered = outcome.analysis.metric(Metric::Delivered, None);
        rates.push(delivered as f64 / wall);
        if run == 0 {
            first_retained = before.zip(resident_bytes()).map(|(b, a)| a.saturating_sub(b));
            first_peak = before.zip(peak_resident_bytes()).map(|(b, a)| a.saturating_sub(b));
        }
        last = Some((outcome, wall));
        if let Some(binary) = &minimal {
            minimal_rates.extend(run_minimal(binary, seconds));
        }
        // The same run with its analysis on this thread (what a run does without a second
        // core), alternating too, timed alike (from the scenario): what the second thread
        // gains.
        let kept = last.take();
        inline_rates.push(one_thread_rate(&scenario));
        last = kept;
    }
    rates.sort_by(f64::total_cmp);
    inline_rates.sort_by(f64::total_cmp);
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
    println!(
        "with the analysis on the simulator's thread: deliveries/s best {:.0}  median {:.0}",
        inline_rates[inline_rates.len() - 1],
        inline_rates[inline_rates.len() / 2]
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
    if let Some(peak) = first_peak {
        println!(
            "peak resident memory grown during the first run (the analysis's copy of the events included, if it ran beside): {:.1} MiB, {:.1} bytes/step",
            peak as f64 / (1024.0 * 1024.0),
            peak as f64 / steps as f64
        );
    }
}

/// Deliveries per second of one run of `scenario` with its analysis on the simulator's
/// thread, timed like the runs of `run::run` (from the scenario, compiling included).
fn one_thread_rate(scenario: &eventlab::scenario::model::Scenario) -> f64 {
    let started = Instant::now();
    let model = std::sync::Arc::new(
        eventlab::sim::Model::compile(std::sync::Arc::new(scenario.clone()), scenario.seed).expect("compiles"),
    );
    let outcome = eventlab::run::run_model_inline(model, Limits::default().max_steps).expect("runs");
    outcome.analysis.metric(Metric::Delivered, None) as f64 / started.elapsed().as_secs_f64()
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
    status_bytes("VmRSS:")
}

/// The most resident memory this process has held so far, in bytes (Linux).
fn peak_resident_bytes() -> Option<usize> {
    status_bytes("VmHWM:")
}

fn status_bytes(field: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
