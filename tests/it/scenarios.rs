//! Scenario files with their expected figures side by side (`tests/scenarios/NAME.json`
//! and `NAME.expected.json`): every `expect` must hold, `summary` must match the `--json`
//! summary as a subset, and each of `steps` must match some step of the trace.

use std::path::{Path, PathBuf};

use eventlab::scenario::load::{Limits, load_file};
use eventlab::trace::jsonl::{Namer, step_json};
use serde_json::Value;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

/// `expected` is a subset of `actual`: objects recursively, arrays exactly, numbers by value.
pub fn subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|w| subset(v, w))),
        (Value::Array(e), Value::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(x, y)| subset(x, y)),
        (Value::Number(e), Value::Number(a)) => e.as_f64() == a.as_f64(),
        _ => expected == actual,
    }
}

/// Where `expected` and `actual` first differ, for the failure message.
fn first_difference(expected: &Value, actual: &Value, path: &str) -> String {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                match a.get(k) {
                    None => return format!("{path}.{k}: missing (expected {v})"),
                    Some(w) if !subset(v, w) => return first_difference(v, w, &format!("{path}.{k}")),
                    Some(_) => {}
                }
            }
            String::new()
        }
        _ => format!("{path}: expected {expected}, got {actual}"),
    }
}

fn check(name: &str) {
    let file = dir().join(format!("{name}.json"));
    let scenario = load_file(&file, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let outcome = eventlab::run::run(scenario, None, Limits::default().max_steps).expect("runs");
    let failed: Vec<String> = outcome
        .checked
        .iter()
        .filter(|c| !c.passed)
        .map(|c| format!("{} (actual {})", c.describe(), c.actual))
        .collect();
    assert!(failed.is_empty(), "{name}: expectations failed: {failed:?}");

    let expected_file = dir().join(format!("{name}.expected.json"));
    let Ok(text) = std::fs::read_to_string(&expected_file) else { return };
    let expected: Value = serde_json::from_str(&text).expect("expected file is JSON");
    if let Some(summary) = expected.get("summary") {
        let actual = eventlab::report::summary_json(&outcome);
        assert!(subset(summary, &actual), "{name}: summary differs: {}", first_difference(summary, &actual, "summary"));
    }
    if let Some(Value::Array(wanted)) = expected.get("steps") {
        let namer = Namer { model: outcome.sim.model(), trace: outcome.sim.trace() };
        let steps: Vec<Value> = outcome
            .sim
            .trace()
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| Value::Object(step_json(&namer, i as u64 + 1, s)))
            .collect();
        for want in wanted {
            assert!(steps.iter().any(|s| subset(want, s)), "{name}: no step matches {want}");
        }
    }
}

macro_rules! scenario_tests {
    ($($test:ident => $file:literal),* $(,)?) => {
        $(#[test] fn $test() { check($file); })*

        #[test]
        fn every_file_has_a_test() {
            let listed = [$($file),*];
            for entry in std::fs::read_dir(dir()).expect("tests/scenarios exists") {
                let name = entry.expect("readable").file_name().to_string_lossy().into_owned();
                if let Some(stem) = name.strip_suffix(".json").filter(|s| !s.ends_with(".expected")) {
                    assert!(listed.contains(&stem), "tests/scenarios/{name} has no test: add it to scenario_tests!");
                }
            }
        }
    };
}

scenario_tests! {
    causation_chain => "causation-chain",
    commit_interval => "commit-interval",
    competing_queue => "competing-queue",
    fan_out => "fan-out",
    fixed_arrival => "fixed-arrival",
    idle_instance => "idle-instance",
    kafka_partitions => "kafka-partitions",
    keyed_order => "keyed-order",
    late_joiner => "late-joiner",
    weighted_outcomes => "weighted-outcomes",
    add_instance => "add-instance",
    commit_after_crash => "commit-after-crash",
    commit_before_crash => "commit-before-crash",
    crash_restart => "crash-restart",
    delay_fault => "delay-fault",
    duplicate_fault => "duplicate-fault",
    duplicate_held => "duplicate-held",
    duplicate_rebalance => "duplicate-rebalance",
    fifo_queue => "fifo-queue",
    idempotent_producer => "idempotent-producer",
    interval_commit_crash => "interval-commit-crash",
    interval_commit_idempotent => "interval-commit-idempotent",
    keyed_log_vs_queue => "keyed-log-vs-queue",
    paused_consumer => "paused-consumer",
    poison_dlq => "poison-dlq",
    poison_log => "poison-log",
    producer_retries => "producer-retries",
    slow_consumer => "slow-consumer",
    visibility_timeout => "visibility-timeout",
    queue_crash_prefetch => "queue-crash-prefetch",
    queue_pause_prefetch => "queue-pause-prefetch",
    rebalance_busy_survivor => "rebalance-busy-survivor",
    rebalance_restarts_pause => "rebalance-restarts-pause",
    revoke_commit_idle => "revoke-commit-idle",
    revoke_commit_interval => "revoke-commit-interval",
    visibility_dlq => "visibility-dlq",
    bank_account => "bank-account",
    read_model_duplicate => "read-model-duplicate",
    saga_compensated => "saga-compensated",
    saga_uncompensated => "saga-uncompensated",
    fetch_newer_version => "fetch-newer-version",
    bus_routing => "bus-routing",
    schema_upgrade_dlq => "schema-upgrade-dlq",
    schema_upgrade_log => "schema-upgrade-log",
    emit_at_completion => "emit-at-completion",
    whole_consumer_crash => "whole-consumer-crash",
    restart_commits_nothing => "restart-commits-nothing",
    stale_nack_dispatches => "stale-nack-dispatches",
    earliest_across_queues => "earliest-across-queues",
    upgrade_every_entry => "upgrade-every-entry",
    dead_letter_frees_instance => "dead-letter-frees-instance",
    delivery_order => "delivery-order",
    rebalance_number_order => "rebalance-number-order",
}
