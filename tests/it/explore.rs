//! `eventlab explore` end to end: a failure found by search and shrunk to a file that
//! replays it, a design that cannot fail, a report independent of `--jobs`, seeds without
//! templates judged as `run --seed N` judges them, and bad input refused in one line.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{Value, json};

use super::cli::eventlab;

fn explore_in(dir: &Path, args: &[&str]) -> Output {
    eventlab().current_dir(dir).arg("explore").args(args).output().expect("the binary starts")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(stdout(out).trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path
}

/// One billing instance that commits once a second; an order arrives 900 ms into each
/// second and is charged 20 ms later, so billing holds an uncommitted charge only from
/// x.920 s to the commit at x+1 s. A crash there (the template draws one anywhere in the
/// run) makes the restarted instance charge that order again; a crash anywhere else does
/// no harm. Seed 0 with no fault passes.
fn commit_window(idempotent: bool) -> Value {
    json!({
        "name": "commit window",
        "duration": "10s",
        "topics": [{"name": "orders"}, {"name": "payments"}],
        "producers": [{"name": "shop", "topic": "orders", "rate": 1, "arrival": "fixed", "start": "900ms",
                       "events": [{"type": "OrderCreated"}]}],
        "consumers": [{"name": "billing", "topics": ["orders"], "processing": "20ms", "idempotent": idempotent,
                       "commit": {"interval": "1s"},
                       "handles": {"OrderCreated": {"emit": [{"topic": "payments", "type": "PaymentCharged"}]}}}],
        "expect": [
            {"metric": "published", "topic": "orders", "equals": 10},
            {"metric": "duplicate_effects", "group": "billing", "equals": 0}
        ],
        "explore": {"seeds": 300, "faults": [
            {"crash": "billing#*", "at": {"uniform": ["0s", "9s"]}, "restart_after": {"uniform": ["50ms", "500ms"]}},
            {"pause": "billing", "at": {"uniform": ["0s", "9s"]}, "for": "1ms", "probability": 0.5}
        ]}
    })
}

#[test]
fn finds_a_crash_inside_a_commit_interval_and_writes_a_file_that_replays_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "window.json", &commit_window(false));
    // As written (seed 0, no fault) the design passes.
    let plain = eventlab().current_dir(dir.path()).args(["run", "window.json", "--headless"]).output().unwrap();
    assert_eq!(code(&plain), 0, "{}", stdout(&plain));

    let out = explore_in(dir.path(), &["window.json", "--json", "--jobs", "2", "--out", "."]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let report = json_of(&out);
    assert_eq!(report["seeds"], json!({"from": 0, "to": 299, "run": 300}));
    let failing = report["failing"].as_u64().unwrap();
    assert!(failing > 0 && failing < 300, "only crashes inside the window fail: {failing}");
    assert_eq!(report["expectations"][0]["failures"], 0);
    assert_eq!(report["expectations"][1]["failures"], failing);
    assert_eq!(report["by_finding"]["duplicate_effects"]["count"], failing);
    let repro = &report["reproduction"];
    let seed = repro["seed"].as_u64().unwrap();
    assert_eq!(repro["seed"], report["expectations"][1]["first_seed"]);
    assert_eq!(repro["breaks"], "billing duplicate_effects = 0");
    // Shrunk: the pause (when drawn) is dropped, one crash is left.
    let faults = repro["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{repro}");
    assert_eq!(faults[0]["crash"], "billing#1");
    let at = faults[0]["at"].as_str().unwrap();
    let at_us = eventlab::scenario::value::Duration::parse(at).unwrap().as_micros();
    assert!((920_000..1_000_000).contains(&(at_us % 1_000_000)), "the crash lands inside a commit interval: {at}");

    // The file is the scenario with that seed and that fault; `run` fails the same way.
    let written = dir.path().join(format!("window-seed-{seed}.json"));
    assert_eq!(repro["file"], format!("./window-seed-{seed}.json"));
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(&written).unwrap()).unwrap();
    assert_eq!(scenario["seed"], seed);
    assert_eq!(scenario["faults"].as_array().unwrap().len(), 1);
    assert!(scenario.get("explore").is_none());
    let note = scenario["notes"][0]["text"].as_str().unwrap();
    assert!(note.contains(&format!("seed {seed}")) && note.contains("billing duplicate_effects = 0"), "{note}");
    let replay = eventlab().arg("run").arg(&written).arg("--json").output().unwrap();
    assert_eq!(code(&replay), 1);
    let summary = json_of(&replay);
    let failed: Vec<&Value> =
        summary["expectations"].as_array().unwrap().iter().filter(|c| c["passed"] == false).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["expect"]["metric"], "duplicate_effects");
    assert!(summary["findings"]["duplicate_effects"]["count"].as_u64().unwrap() >= 1);
    drop(file);
}

#[test]
fn a_design_that_cannot_fail_reports_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "safe.json", &commit_window(true));
    let out = explore_in(dir.path(), &["safe.json", "--seeds", "100", "--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let report = json_of(&out);
    assert_eq!(report["failing"], 0);
    assert_eq!(report["reproduction"], Value::Null);
    assert!(report["expectations"].as_array().unwrap().iter().all(|e| e["failures"] == 0));
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no reproduction written");
    let text = explore_in(dir.path(), &["safe.json", "--seeds", "10..20"]);
    assert_eq!(code(&text), 0);
    assert!(stdout(&text).contains("seeds 10..=19, 10 run, 0 failing"), "{}", stdout(&text));
}

#[test]
fn the_report_is_the_same_whatever_the_jobs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "window.json", &commit_window(false));
    let one = explore_in(dir.path(), &["window.json", "--seeds", "40..160", "--jobs", "1", "--json"]);
    let two = explore_in(dir.path(), &["window.json", "--seeds", "40..160", "--jobs", "2", "--json"]);
    assert_eq!(code(&one), 1);
    assert_eq!(one.stdout, two.stdout);
    let three = explore_in(dir.path(), &["window.json", "--seeds", "40..160", "--jobs", "3"]);
    let one_text = explore_in(dir.path(), &["window.json", "--seeds", "40..160", "--jobs", "1"]);
    assert_eq!(three.stdout, one_text.stdout);
}

/// A scenario whose verdict depends on the seed: poisson orders, at most 10 expected.
fn seed_dependent() -> Value {
    json!({
        "name": "seed dependent",
        "duration": "2s",
        "topics": [{"name": "orders"}],
        "producers": [{"name": "shop", "topic": "orders", "rate": 5, "events": [{"type": "OrderCreated"}]}],
        "consumers": [{"name": "billing", "topics": ["orders"]}],
        "expect": [{"metric": "published", "topic": "orders", "at_most": 10}]
    })
}

#[test]
fn without_templates_a_seeds_verdict_is_run_seeds_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "seeds.json", &seed_dependent());
    let out = explore_in(dir.path(), &["seeds.json", "--seeds", "0..24", "--json"]);
    let report = json_of(&out);
    let failing: Vec<u64> = report["by_expectations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["seeds"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap()))
        .collect();
    assert!(!failing.is_empty() && failing.len() < 24, "the property needs both verdicts: {failing:?}");
    for seed in 0..24u64 {
        let run = eventlab()
            .current_dir(dir.path())
            .args(["run", "seeds.json", "--headless", "--seed", &seed.to_string()])
            .output()
            .unwrap();
        let expected = i32::from(failing.contains(&seed));
        assert_eq!(code(&run), expected, "seed {seed}");
    }
    // With no templates, the reproduction is the scenario at that seed, no fault added.
    let repro = &report["reproduction"];
    assert_eq!(repro["drawn"], 0);
    assert_eq!(repro["faults"], json!([]));
}

#[test]
fn drawn_faults_are_the_seeds_own() {
    // In process: the same seed draws the same faults; no templates draw none.
    let scenario: eventlab::scenario::model::Scenario = serde_json::from_value(commit_window(false)).unwrap();
    let explorer = eventlab::explore::Explorer::new(scenario, 1_000_000);
    assert_eq!(explorer.default_seeds(), 0..300);
    let a: Vec<String> = (0..50).map(|s| serde_json::to_string(&explorer.drawn(s)).unwrap()).collect();
    let b: Vec<String> = (0..50).map(|s| serde_json::to_string(&explorer.drawn(s)).unwrap()).collect();
    assert_eq!(a, b);
    let pauses = (0..50).filter(|&s| explorer.drawn(s).len() == 2).count();
    assert!((10..40).contains(&pauses), "the pause is drawn with probability 0.5: {pauses} of 50");
    let plain: eventlab::scenario::model::Scenario = serde_json::from_value(seed_dependent()).unwrap();
    assert!(eventlab::explore::Explorer::new(plain, 1_000_000).drawn(7).is_empty());
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let with = |explore: Value| {
        let mut scenario = commit_window(false);
        scenario["explore"] = explore;
        write(dir.path(), "bad.json", &scenario);
    };
    let cases: Vec<(Option<Value>, Vec<&str>, &str)> = vec![
        (
            Some(json!({"faults": [{"crash": "biling#*", "at": "1s"}]})),
            vec![],
            "explore.faults[0].crash: unknown consumer \"biling\" (did you mean \"billing\"?)",
        ),
        (
            Some(json!({"faults": [{"crash": "billing", "at": {"uniform": ["2s", "1s"]}}]})),
            vec![],
            "explore.faults[0].at: uniform [2s, 1s]: MIN is greater than MAX",
        ),
        (
            Some(json!({"faults": [{"slow": "billing", "at": "1s", "factor": {"uniform": [3, 1]}}]})),
            vec![],
            "explore.faults[0].factor: uniform [3, 1]: MIN is greater than MAX",
        ),
        (
            Some(json!({"faults": [{"crash": "billing", "at": "1s", "probability": 1.5}]})),
            vec![],
            "explore.faults[0].probability: a probability is between 0 and 1, not 1.5",
        ),
        (
            Some(json!({"faults": [{"duplicate": "orders", "at": "1s", "probability": {"uniform": [-0.5, 0.5]}}]})),
            vec![],
            "explore.faults[0].probability: a probability is between 0 and 1, not -0.5",
        ),
        (Some(json!({"seeds": 0})), vec![], "explore.seeds: explore needs at least 1 seed"),
        (
            Some(json!({"faults": [{"crash": "billing#2", "at": "1s"}]})),
            vec![],
            "explore.faults[0].crash: \"billing#2\": billing has instances billing#1 to billing#1",
        ),
        (Some(json!({"faulst": []})), vec![], "explore: unknown field \"faulst\" (did you mean \"faults\"?)"),
        (None, vec!["--seeds", "0"], "\"0\" holds no seed: explore needs at least 1"),
        (None, vec!["--seeds", "9..3"], "\"9..3\" holds no seed"),
        (None, vec!["--seeds", "many"], "is not a seed count N or a range A..B"),
        (None, vec!["--jobs", "0"], "--jobs"),
        (None, vec!["--out", "no-such-folder"], "--out no-such-folder: no such folder"),
    ];
    for (explore, flags, expected) in cases {
        with(explore.unwrap_or_else(|| json!({"seeds": 3})));
        let mut args = vec!["bad.json"];
        args.extend(flags);
        let out = explore_in(dir.path(), &args);
        let err = String::from_utf8(out.stderr.clone()).unwrap();
        assert_eq!(code(&out), 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(!err.contains("panicked"));
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    // The check command refuses the same file the same way.
    with(json!({"faults": [{"crash": "biling", "at": "1s"}]}));
    let check = eventlab().current_dir(dir.path()).args(["check", "bad.json"]).output().unwrap();
    assert_eq!(code(&check), 2);
}

#[test]
fn a_seed_without_drawn_faults_runs_as_run_seed_runs() {
    // Explore compiles a scenario once and re-seeds it for the seeds that draw no fault;
    // each such seed must break exactly what `run --seed N` breaks.
    use eventlab::scenario::load::{Limits, load_str};
    for name in ["crash-duplicates", "poison-message", "hot-key"] {
        let lesson = eventlab::lessons::find(name).unwrap();
        let scenario = load_str(lesson.source, name, &Limits::default()).unwrap();
        let explorer = eventlab::explore::Explorer::new(scenario.clone(), Limits::default().max_steps);
        for seed in 0..6 {
            let verdict = explorer.check_seed(seed).unwrap();
            let outcome = eventlab::run::run(scenario.clone(), Some(seed), Limits::default().max_steps).unwrap();
            let broken: Vec<usize> = (0..outcome.checked.len()).filter(|&i| !outcome.checked[i].passed).collect();
            assert_eq!(verdict.broken, broken, "{name} seed {seed}");
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, failure_persistence: None, ..proptest::prelude::ProptestConfig::default() })]

    /// For a scenario with no templates, explore's verdict for any seed is the run's.
    #[test]
    fn without_templates_explore_judges_any_seed_as_run_does(seed in proptest::prelude::any::<u64>(), rate in 2u32..12) {
        let mut value = seed_dependent();
        value["producers"][0]["rate"] = rate.into();
        let scenario: eventlab::scenario::model::Scenario = serde_json::from_value(value).unwrap();
        eventlab::scenario::validate::validate(&scenario, &eventlab::scenario::load::Limits::default()).unwrap();
        let explorer = eventlab::explore::Explorer::new(scenario.clone(), 1_000_000);
        let verdict = explorer.check_seed(seed).unwrap();
        let outcome = eventlab::run::run(scenario, Some(seed), 1_000_000).unwrap();
        proptest::prop_assert_eq!(verdict.failed(), !outcome.passed());
    }
}
