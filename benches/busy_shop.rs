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
    for _ in 0..runs {
        let started = Instant::now();
        let outcome = eventlab::run::run(scenario.clone(), None, Limits::default().max_steps).expect("runs");
        let wall = started.elapsed().as_secs_f64();
        let delivered = outcome.analysis.metric(Metric::Delivered, None);
        rates.push(delivered as f64 / wall);
        last = Some((outcome, wall));
    }
    rates.sort_by(f64::total_cmp);
    let (outcome, wall) = last.expect("ran");
    let trace = outcome.sim.trace();
    let steps = trace.steps.len();
    let fixed = trace.retained_bytes();
    let payload: usize = trace.events.iter().map(|e| payload_bytes(&e.data)).sum();
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
        "retained trace: {:.1} bytes/step for steps and events ({} B/step, {} B/event), {:.1} bytes/step with payloads",
        fixed as f64 / steps as f64,
        std::mem::size_of::<eventlab::trace::Step>(),
        std::mem::size_of::<eventlab::trace::Event>(),
        (fixed + payload) as f64 / steps as f64
    );
}

/// An estimate of the heap bytes of a JSON payload (allocations only, no allocator slack).
fn payload_bytes(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::String(s) => s.capacity(),
        Value::Array(items) => {
            items.capacity() * std::mem::size_of::<Value>() + items.iter().map(payload_bytes).sum::<usize>()
        }
        Value::Object(map) => {
            // An IndexMap entry holds the key, the value and a hash; the index table a u64 per slot.
            map.len() * (std::mem::size_of::<String>() + std::mem::size_of::<Value>() + 16)
                + map.iter().map(|(k, v)| k.capacity() + payload_bytes(v)).sum::<usize>()
        }
        _ => 0,
    }
}
