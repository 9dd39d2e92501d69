//! The explore throughput benchmark: `cargo bench --bench explore [-- LESSON|FILE] [SEEDS]`.
//!
//! Explores a lesson (default `crash-duplicates`, which has no fault templates: each seed is
//! one headless run with the checker on) over SEEDS seeds (default 5000) with one job and
//! then with two, and prints seeds per second for each and the speed-up; then the share of
//! one seed's time spent compiling the model (what could be reused across seeds) against
//! simulating and checking. A benchmark, not a test: it asserts nothing about speed.
#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use eventlab::explore::Explorer;
use eventlab::scenario::load::Limits;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let target = args.iter().find(|a| a.parse::<u64>().is_err()).map_or("crash-duplicates", String::as_str);
    let seeds: u64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(5000);
    let limits = Limits::default();
    let (origin, scenario) =
        eventlab::run::source::load_target(target, &limits, None).unwrap_or_else(|e| panic!("{e}"));
    let explorer = Explorer::new(scenario.clone(), limits.max_steps);
    let stop = AtomicBool::new(false);
    println!("workload: {origin}, seeds 0..{seeds}");
    // A warm-up, so the first measured pass does not pay for the allocator's growth.
    explorer.explore(0..seeds.min(500), 1, &stop, |_| {}).expect("runs");
    let mut rates = Vec::new();
    for jobs in [1, 2] {
        let started = Instant::now();
        let verdicts = explorer.explore(0..seeds, jobs, &stop, |_| {}).expect("runs");
        let wall = started.elapsed().as_secs_f64();
        let failing = verdicts.iter().filter(|v| v.failed()).count();
        let rate = seeds as f64 / wall;
        rates.push(rate);
        println!("--jobs {jobs}: {rate:.0} seeds/s ({wall:.3} s, {failing} failing seeds)");
    }
    println!("speed-up with two jobs: {:.2}x", rates[1] / rates[0]);
    // Where one seed's time goes: compiling the model (what a seed that draws no fault now
    // skips: it clones the model compiled once), against the whole run and its check.
    let n = seeds.min(2000);
    let per_seed = |f: &mut dyn FnMut(u64)| {
        let started = Instant::now();
        for seed in 0..n {
            f(seed);
        }
        started.elapsed().as_secs_f64() / n as f64 * 1e6
    };
    let compile = per_seed(&mut |seed| {
        let model = eventlab::model::Model::compile(Arc::new(scenario.clone()), seed).expect("compiles");
        std::hint::black_box(model);
    });
    let model = eventlab::model::Model::compile(Arc::new(scenario.clone()), 0).expect("compiles");
    let clone = per_seed(&mut |seed| {
        let mut model = model.clone();
        model.seed = seed;
        std::hint::black_box(model);
    });
    let whole = per_seed(&mut |seed| {
        std::hint::black_box(explorer.check_seed(seed).expect("runs"));
    });
    println!(
        "one seed: {whole:.1} µs in all; compiling the model would cost {compile:.1} µs ({:.0}% of that), the clone \
         that replaces it costs {clone:.1} µs; the rest is the simulation, the analysis and the check",
        100.0 * compile / whole
    );
}
