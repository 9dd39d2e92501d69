//! Time travel: `cargo bench --bench seek [SCENARIO.json]`. Runs the busy-shop workload
//! (about 3 million steps) on a [`Timeline`], then seeks to spread-out steps, steps back
//! from the end and from the middle, and reports the time per seek (mean and worst) and
//! the memory the analysis checkpoints hold (their heap bytes, and the process' growth as
//! a cross-check). A benchmark, not a test: it asserts nothing about speed
//! (the targets are under 50 ms a seek and under 256 MiB of checkpoints).
#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use eventlab::scenario::load::{Limits, load_file};
use eventlab::sim::{Model, Simulator};
use eventlab::timeline::{DEFAULT_INTERVAL, Timeline};

/// The process' resident memory in bytes (Linux), 0 elsewhere.
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn run(model: &Arc<Model>, interval: usize) -> (Timeline, usize, f64) {
    let before = rss();
    let started = Instant::now();
    let mut timeline =
        Timeline::live(Simulator::new(Arc::clone(model), Limits::default().max_steps)).with_interval(interval);
    timeline.run_to_end().expect("runs");
    let seconds = started.elapsed().as_secs_f64();
    (timeline, rss().saturating_sub(before), seconds)
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| std::path::Path::new(a).extension().is_some_and(|e| e.eq_ignore_ascii_case("json")))
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/busy-shop.json"), PathBuf::from);
    let scenario = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let seed = scenario.seed;
    let model = Arc::new(Model::compile(Arc::new(scenario), seed).expect("compiles"));

    let (mut timeline, grown, seconds) = run(&model, DEFAULT_INTERVAL);
    let n = timeline.computed();
    let mib = |b: usize| b as f64 / f64::from(1 << 20);
    let checkpoint_bytes = timeline.checkpoint_bytes();
    println!(
        "{n} steps computed in {seconds:.2} s; {} checkpoints every {} steps hold {:.1} MiB ({:.1} bytes/step); \
         the whole run grew the process by {:.1} MiB",
        timeline.checkpoints(),
        timeline.interval(),
        mib(checkpoint_bytes),
        checkpoint_bytes as f64 / n as f64,
        mib(grown),
    );

    // Spread-out targets in a fixed pseudo-random order, each seek from wherever the last
    // one left the cursor.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut times = Vec::new();
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let target = (x % (n as u64 + 1)) as usize;
        let started = Instant::now();
        timeline.seek(target);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(timeline.cursor(), target);
    }
    report("random seeks", &times);

    // Holding ← from the end, and from just after a checkpoint (the worst case: each step
    // back restores the checkpoint before and re-observes almost an interval).
    for (label, from) in [
        ("steps back from the end", n),
        ("steps back over a checkpoint", n / 2 / DEFAULT_INTERVAL * DEFAULT_INTERVAL + 2),
    ] {
        timeline.seek(from);
        let mut times = Vec::new();
        for _ in 0..100 {
            let started = Instant::now();
            timeline.step_back();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        report(label, &times);
    }
}

fn report(label: &str, times: &[f64]) {
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let worst = times.iter().copied().fold(0.0, f64::max);
    println!("{label:30} mean {mean:7.3} ms  worst {worst:7.3} ms  ({} seeks)", times.len());
}
