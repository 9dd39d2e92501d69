//! The binary end to end: the command-line contract (exit codes, one-line errors, the
//! `--json` summary, `--trace` files, lessons embedded in the binary).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

pub(crate) fn eventlab() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eventlab"));
    command.env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE");
    command
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    eventlab().current_dir(dir).args(args).output().expect("the binary starts")
}

fn run(args: &[&str]) -> Output {
    run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Exit code 2 and exactly one non-empty line on stderr (no panic); returns the line.
#[track_caller]
fn one_line_error(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(code(out), 2, "expected exit 2; stderr: {err}");
    assert!(!err.contains("panicked"), "a panic: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected exactly one stderr line, got: {err:?}");
    assert!(!lines[0].trim().is_empty());
    lines[0].to_owned()
}

fn lesson(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(format!("{name}.json"))
}

/// A small valid scenario whose expectations hold; `extra_expect` is appended to them.
fn small(extra_expect: &[Value]) -> Value {
    let mut expect =
        vec![json!({"metric": "published", "topic": "orders", "equals": 10}), json!({"metric": "lost", "equals": 0})];
    expect.extend_from_slice(extra_expect);
    json!({
        "name": "small",
        "seed": 3,
        "duration": "2s",
        "topics": [{"name": "orders", "partitions": 2}, {"name": "mail", "kind": "queue"}],
        "producers": [{"name": "shop", "topic": "orders", "rate": 10, "arrival": "fixed", "count": 10,
                       "keys": {"prefix": "c-", "cardinality": 3},
                       "events": [{"type": "OrderCreated", "data": {"total": {"uniform": [1, 9]}},
                                   "headers": {"channel": "web"}}]}],
        "consumers": [
            {"name": "billing", "topics": ["orders"], "processing": "5ms",
             "handles": {"OrderCreated": {"emit": [{"topic": "mail", "type": "Receipt", "data": {"total": "{data.total}"}}]}}},
            {"name": "mailer", "topics": ["mail"], "instances": 2, "processing": "3ms"}
        ],
        "expect": expect
    })
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path
}

fn json_summary(out: &Output) -> Value {
    let text = stdout(out);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "--json prints one object on one line: {text}");
    serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

const SUMMARY_KEYS: [&str; 10] = [
    "scenario",
    "seed",
    "time_ms",
    "steps",
    "totals",
    "groups",
    "aggregates",
    "aggregate_versions",
    "findings",
    "expectations",
];

const METRICS: [&str; 11] = [
    "delivered",
    "effects",
    "duplicate_deliveries",
    "duplicate_effects",
    "out_of_order",
    "lost",
    "failed",
    "dead_lettered",
    "max_lag",
    "final_lag",
    "read_model_mismatches",
];

#[test]
fn run_headless_json_prints_the_contract_summary_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "small.json", &small(&[]));
    let out = run(&["run", file.to_str().unwrap(), "--headless", "--json"]);
    assert_eq!(code(&out), 0, "stderr: {}", stderr(&out));
    let summary = json_summary(&out);
    for key in SUMMARY_KEYS {
        assert!(summary.get(key).is_some(), "summary lacks {key}: {summary}");
    }
    assert_eq!(summary["scenario"], "small");
    assert_eq!(summary["seed"], 3);
    assert_eq!(summary["time_ms"], 2000);
    assert!(summary["steps"].as_u64().unwrap() > 10);
    for metric in METRICS.iter().chain(&["published", "unrouted", "sagas_completed", "sagas_open"]) {
        assert!(summary["totals"][metric].is_u64(), "totals lack {metric}: {}", summary["totals"]);
    }
    assert_eq!(summary["totals"]["published"], 20);
    for group in ["billing", "mailer"] {
        for metric in METRICS {
            assert!(summary["groups"][group][metric].is_u64(), "groups.{group} lacks {metric}");
        }
    }
    assert_eq!(summary["groups"]["billing"]["delivered"], 10);
    assert_eq!(summary["groups"]["mailer"]["effects"], 10);
    assert!(summary["aggregates"].is_object() && summary["aggregate_versions"].is_object());
    assert!(summary["findings"].is_object());
    let expectations = summary["expectations"].as_array().unwrap();
    assert_eq!(expectations.len(), 2);
    for e in expectations {
        assert_eq!(e["passed"], true, "{e}");
        assert!(e.get("expect").is_some_and(Value::is_object) && e.get("actual").is_some(), "{e}");
    }
    assert_eq!(expectations[0]["expect"]["metric"], "published");
    assert_eq!(expectations[0]["actual"], 10);
}

#[test]
fn a_failed_expectation_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "impossible.json",
        &small(&[json!({"metric": "delivered", "group": "billing", "at_least": 1000})]),
    );
    let out = run(&["run", file.to_str().unwrap(), "--headless", "--json"]);
    assert_eq!(code(&out), 1, "stderr: {}", stderr(&out));
    let summary = json_summary(&out);
    let failed: Vec<&Value> =
        summary["expectations"].as_array().unwrap().iter().filter(|e| e["passed"] == false).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["actual"], 10);
    // Without --json too.
    let out = run(&["run", file.to_str().unwrap(), "--headless"]);
    assert_eq!(code(&out), 1);
    assert!(!stdout(&out).is_empty());
}

#[test]
fn a_missing_file_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let line = one_line_error(&run(&["run", missing.to_str().unwrap(), "--headless"]));
    assert!(line.contains("missing.json"), "{line}");
    let line = one_line_error(&run(&["check", missing.to_str().unwrap()]));
    assert!(line.contains("missing.json"), "{line}");
}

#[test]
fn a_syntax_error_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    std::fs::write(&file, "{\n  \"name\": \"x\",\n  \"duration\": \"1s\"\n  \"topics\": []\n}\n").unwrap();
    let line = one_line_error(&run(&["run", file.to_str().unwrap(), "--headless", "--json"]));
    assert!(line.contains("broken.json"), "{line}");
    assert!(line.contains(":4:3"), "expected line 4, column 3: {line}");
    let line = one_line_error(&run(&["check", file.to_str().unwrap()]));
    assert!(line.contains(":4:3"), "{line}");
}

#[test]
fn an_unknown_topic_names_the_field_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = small(&[]);
    scenario["consumers"][1]["topics"] = json!(["mails"]);
    let file = write(dir.path(), "unknown-topic.json", &scenario);
    let line = one_line_error(&run(&["run", file.to_str().unwrap(), "--headless", "--json"]));
    assert!(line.contains("unknown-topic.json"), "{line}");
    assert!(line.contains("consumers[1].topics[0]"), "{line}");
    assert!(line.contains("mails"), "{line}");
    assert!(line.contains("did you mean \"mail\""), "{line}");
}

#[test]
fn usage_errors_exit_2() {
    let file = lesson("fan-out");
    for args in [
        vec!["frobnicate"],
        vec!["run", file.to_str().unwrap(), "--headless", "--bogus"],
        vec!["run", file.to_str().unwrap(), "--headless", "--seed", "many"],
        vec!["run"],
    ] {
        let out = run(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
        assert!(stdout(&out).is_empty(), "{args:?}: usage errors print nothing on stdout");
    }
}

/// The contract: "2: bad input or usage (a clear one-line error ...)". clap's own usage
/// errors are several lines (error, tip, usage, "For more information").
#[test]
fn usage_errors_are_one_line() {
    let file = lesson("fan-out");
    let line = one_line_error(&run(&["frobnicate"]));
    assert!(line.contains("frobnicate"), "{line}");
    let line = one_line_error(&run(&["run", file.to_str().unwrap(), "--headless", "--bogus"]));
    assert!(line.contains("--bogus"), "{line}");
    // The missing argument is named, not left as an empty list.
    let line = one_line_error(&run(&["run", "--headless"]));
    assert!(line.contains("not provided: <FILE|LESSON>"), "{line}");
}

#[test]
fn seed_overrides_the_scenarios_seed() {
    let file = lesson("fan-out");
    let a = run(&["run", file.to_str().unwrap(), "--headless", "--json", "--seed", "99"]);
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    assert_eq!(json_summary(&a)["seed"], 99);
    let b = run(&["run", file.to_str().unwrap(), "--headless", "--json"]);
    assert_eq!(json_summary(&b)["seed"], 1);
    // Same seed, same summary.
    let c = run(&["run", file.to_str().unwrap(), "--headless", "--json", "--seed", "99"]);
    assert_eq!(stdout(&a), stdout(&c));
}

#[test]
fn trace_writes_jsonl_with_header_numbered_steps_and_whole_events() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "small.json", &small(&[]));
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let trace = out_dir.join("run.jsonl");
    let out = run(&["run", file.to_str().unwrap(), "--headless", "--json", "--trace", trace.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json_summary(&out);

    let text = std::fs::read_to_string(&trace).expect("the trace was written");
    let lines: Vec<Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect();
    let header = &lines[0];
    assert_eq!(header["eventlab_trace"], 1);
    assert_eq!(header["scenario"], "small");
    assert_eq!(header["seed"], 3);
    assert_eq!(header["definition"]["name"], "small");
    assert!(header["definition"]["topics"].is_array());
    let steps = &lines[1..lines.len() - 1];
    assert_eq!(steps.len() as u64, summary["steps"].as_u64().unwrap());
    assert_eq!(lines[lines.len() - 1], json!({"end": {"steps": steps.len(), "t_us": 2_000_000, "complete": true}}));
    let mut published = 0;
    let mut last_t = 0;
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(step["step"], i as u64 + 1, "steps are numbered from 1 consecutively");
        let t = step["t_us"].as_u64().expect("t_us");
        assert!(t >= last_t, "time goes forward");
        last_t = t;
        let kind = step["kind"].as_str().expect("kind");
        if kind == "published" {
            published += 1;
            for field in ["event", "type", "topic", "data", "source", "schema_version", "headers", "correlation_id"] {
                assert!(step.get(field).is_some(), "a published step lacks {field}: {step}");
            }
            assert!(step["headers"].is_object());
            if step["topic"] == "orders" {
                assert_eq!(step["source"], "shop");
                assert_eq!(step["headers"]["channel"], "web");
                assert!(step["partition"].is_u64() && step["offset"].is_u64() && step["key"].is_string(), "{step}");
                assert!(step.get("causation_id").is_none());
            } else {
                assert_eq!(step["source"], "billing");
                assert!(step["causation_id"].is_string());
                assert!(step["data"]["total"].is_number(), "a one-placeholder template keeps its type: {step}");
            }
        }
        if kind == "processed" {
            assert!(step["effect"].is_boolean());
        }
    }
    assert_eq!(published, 20);
    // Nothing else is left beside it (no temporary file).
    let names: Vec<String> =
        std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, vec!["run.jsonl".to_owned()]);
}

#[test]
fn trace_into_a_missing_directory_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("no-such-dir").join("run.jsonl");
    let line = one_line_error(&run(&[
        "run",
        lesson("fan-out").to_str().unwrap(),
        "--headless",
        "--trace",
        trace.to_str().unwrap(),
    ]));
    assert!(line.contains("run.jsonl"), "{line}");
}

#[test]
fn check_validates_only() {
    let out = run(&["check", lesson("fan-out").to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("ok"));
    let dir = tempfile::tempdir().unwrap();
    let mut bad = small(&[]);
    bad["producers"][0]["rate"] = json!(0);
    let file = write(dir.path(), "bad.json", &bad);
    let line = one_line_error(&run(&["check", file.to_str().unwrap()]));
    assert!(line.contains("producers[0].rate"), "{line}");
    // A failing expectation is not checked by `check`.
    let file = write(dir.path(), "impossible.json", &small(&[json!({"metric": "published", "equals": 0})]));
    assert_eq!(code(&run(&["check", file.to_str().unwrap()])), 0);
}

#[test]
fn schema_prints_json() {
    let out = run(&["schema"]);
    assert_eq!(code(&out), 0);
    let schema: Value = serde_json::from_str(&stdout(&out)).expect("the schema is JSON");
    assert!(schema.is_object());
    assert!(schema.to_string().contains("consumers"));
}

#[test]
fn lessons_lists_the_built_in_lessons() {
    let out = run(&["lessons"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    for name in ["fan-out", "keys-and-partitions", "competing-consumers", "late-joiner", "order-pipeline"] {
        assert!(text.lines().any(|l| l.split_whitespace().next() == Some(name)), "{name} not listed: {text}");
    }
    // Each lesson's variants follow it, with what they change.
    let line = text.lines().find(|l| l.contains("--variant idempotent-billing")).expect("a variant is listed");
    assert!(line.contains("billing records the ids it has processed"), "{line}");
}

/// `eventlab lessons`: (lesson name, [variant names]) in order. A lesson's line starts with
/// its name; each of its variants follows on an indented `--variant NAME  what` line.
fn listed_lessons(out: &Output) -> Vec<(String, Vec<String>)> {
    let mut lessons: Vec<(String, Vec<String>)> = Vec::new();
    for line in stdout(out).lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("--variant") => lessons.last_mut().expect("a lesson first").1.push(words.next().unwrap().to_owned()),
            Some(name) if !line.starts_with(' ') => lessons.push((name.to_owned(), Vec::new())),
            _ => panic!("unexpected line in `eventlab lessons`: {line:?}"),
        }
    }
    lessons
}

#[test]
fn lessons_run_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["lessons"]);
    let lessons = listed_lessons(&out);
    assert!(lessons.len() >= 12);
    for (name, variants) in &lessons {
        assert!(!variants.is_empty(), "{name} lists no variant");
        let runs = std::iter::once(None).chain(variants.iter().map(Some));
        for variant in runs {
            let mut args = vec!["run", name, "--headless", "--json"];
            if let Some(variant) = variant {
                args.extend(["--variant", variant]);
            }
            let out = run_in(dir.path(), &args);
            assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
            let summary = json_summary(&out);
            assert!(summary["steps"].as_u64().unwrap() > 0);
            assert!(summary["expectations"].as_array().unwrap().iter().all(|e| e["passed"] == true), "{args:?}");
            if let Some(variant) = variant {
                assert!(summary["scenario"].as_str().unwrap().ends_with(&format!("(what if: {variant})")));
            }
        }
    }
    // Without --json: a readable table, still exit 0.
    let out = run_in(dir.path(), &["run", "fan-out", "--headless"]);
    assert_eq!(code(&out), 0);
    assert!(!stdout(&out).trim().is_empty());
}

#[test]
fn a_variant_runs_from_a_file_or_a_lesson() {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = small(&[json!({"metric": "duplicate_effects", "equals": 0})]);
    scenario["faults"] = json!([{"at": "0s", "duplicate": "orders", "probability": 1.0}]);
    scenario["consumers"][0]["idempotent"] = json!(true);
    scenario["variants"] = json!([
        {"name": "forgetful", "description": "billing is not idempotent",
         "change": {"consumers": {"billing": {"idempotent": null}},
                    "expect": [{"metric": "duplicate_effects", "group": "billing", "equals": 10}]}},
        {"name": "broken", "change": {"consumers": {"billing": {"processing": "fast"}}}}
    ]);
    // A broken variant is refused when the file loads, even when another one is asked for.
    let file = write(dir.path(), "dup.json", &scenario);
    let line = one_line_error(&run(&["run", file.to_str().unwrap(), "--headless"]));
    assert!(line.contains("variants[1] \"broken\": consumers[0].processing"), "{line}");
    let line = one_line_error(&run(&["check", file.to_str().unwrap()]));
    assert!(line.contains("variants[1] \"broken\""), "{line}");

    scenario["variants"].as_array_mut().unwrap().pop();
    let file = write(dir.path(), "dup.json", &scenario);
    let file = file.to_str().unwrap();
    assert_eq!(code(&run(&["run", file, "--headless"])), 0);
    let out = run(&["run", file, "--headless", "--json", "--variant", "forgetful"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary = json_summary(&out);
    assert_eq!(summary["scenario"], "small (what if: forgetful)");
    assert_eq!(summary["groups"]["billing"]["duplicate_effects"], 10);
    assert!(stdout(&run(&["check", file])).contains("1 variant;"));

    let line = one_line_error(&run(&["run", file, "--headless", "--variant", "forgetfull"]));
    assert!(line.contains("no variant \"forgetfull\" (did you mean \"forgetful\"?)"), "{line}");
    let line = one_line_error(&run(&["run", "fan-out", "--headless", "--variant", "nope"]));
    assert!(line.starts_with("lesson:fan-out: no variant \"nope\" (variants: third-service)"), "{line}");
}

#[test]
fn a_variant_names_what_it_patches() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            json!({"consumers": {"biling": {"idempotent": true}}}),
            "variants[0].change.consumers.biling: unknown consumer \"biling\" (did you mean \"billing\"?)",
        ),
        (json!({"variants": []}), "variants[0].change.variants: a variant cannot declare variants"),
        (
            json!({"consumers": {"mailer": {"topics": ["nowhere"]}}}),
            "variants[0] \"v\": consumers[1].topics[0]: unknown topic \"nowhere\"",
        ),
        (
            json!({"consumers": {"billing": {"idempotnt": true}}}),
            "variants[0] \"v\": consumers[0]: unknown field \"idempotnt\" (did you mean \"idempotent\"?)",
        ),
    ];
    for (change, expected) in cases {
        let mut scenario = small(&[]);
        scenario["variants"] = json!([{"name": "v", "change": change}]);
        let file = write(dir.path(), "v.json", &scenario);
        let line = one_line_error(&run(&["check", file.to_str().unwrap()]));
        assert!(line.contains(expected), "expected {expected:?} in {line:?}");
    }
    let mut scenario = small(&[]);
    scenario["variants"] = json!([{"name": "a b", "change": {}}]);
    let file = write(dir.path(), "v.json", &scenario);
    assert!(one_line_error(&run(&["check", file.to_str().unwrap()])).contains("variants[0].name"));
}

#[test]
fn an_existing_path_wins_over_a_lesson_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "fan-out", &small(&[]));
    let out = run_in(dir.path(), &["run", "fan-out", "--headless", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json_summary(&out)["scenario"], "small");
}

#[test]
fn an_unknown_lesson_suggests_a_close_name() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_line_error(&run_in(dir.path(), &["run", "fan-ot", "--headless"]));
    assert!(line.contains("fan-ot"), "{line}");
    assert!(line.contains("did you mean \"fan-out\""), "{line}");
    let line = one_line_error(&run_in(dir.path(), &["run", "no-such-thing", "--headless"]));
    assert!(line.contains("no-such-thing"), "{line}");
    assert!(!line.contains("did you mean"), "nothing is close: {line}");
}

#[test]
fn max_steps_refuses_a_bigger_run() {
    let line =
        one_line_error(&run(&["run", lesson("order-pipeline").to_str().unwrap(), "--headless", "--max-steps", "10"]));
    assert!(line.contains("10"), "{line}");
    assert!(line.contains("max-steps") || line.contains("limit"), "{line}");
    let line = one_line_error(&run(&["check", lesson("order-pipeline").to_str().unwrap(), "--max-steps", "10"]));
    assert!(line.contains("10"), "{line}");
    let line = one_line_error(&run(&["run", lesson("fan-out").to_str().unwrap(), "--headless", "--max-steps", "0"]));
    assert!(line.contains("max-steps"), "{line}");
    // A generous limit runs.
    assert_eq!(code(&run(&["run", lesson("fan-out").to_str().unwrap(), "--headless", "--max-steps", "100000"])), 0);
}

#[test]
fn bare_eventlab_without_a_terminal_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let line = one_line_error(&run_in(dir.path(), &[]));
    assert!(line.contains("picker needs a terminal") && line.contains("eventlab lessons"), "{line}");
}

#[test]
fn help_and_version_exit_0() {
    for args in [["--help"], ["--version"]] {
        let out = run(&args);
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(!stdout(&out).is_empty());
    }
}

/// A limit above the estimate but below the real number of steps stops the run itself.
#[test]
fn max_steps_stops_a_run_that_outgrows_its_estimate() {
    let file = lesson("fan-out");
    let file = file.to_str().unwrap();
    let check = stdout(&run(&["check", file]));
    let estimate: u64 = check
        .split("about ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.replace(['_', ','], "").parse().ok())
        .unwrap_or_else(|| panic!("no estimate in: {check}"));
    let actual = json_summary(&run(&["run", file, "--headless", "--json"]))["steps"].as_u64().unwrap();
    if estimate >= actual {
        return; // the estimate is an upper bound here: nothing to provoke
    }
    let limit = (actual - 1).to_string();
    let line = one_line_error(&run(&["run", file, "--headless", "--max-steps", &limit]));
    assert!(line.contains(&limit) && line.contains("--max-steps"), "{line}");
}

/// README's "Write your own scenario" walk-through does what it says: the scenario it shows
/// validates, fails its lag expectation, passes with a second email instance, and its
/// experiment holds.
#[test]
fn the_readme_walkthrough_is_true() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("## Write your own scenario").expect("the section")..];
    let block = |after: &str, fence: &str| {
        let rest = &section[section.find(after).unwrap_or_else(|| panic!("{after:?} in the walk-through"))..];
        let start = rest.find(fence).expect("a code block") + fence.len();
        rest[start..start + rest[start..].find("\n```").unwrap()].to_owned()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scenario.schema.json"), stdout(&run(&["schema"]))).unwrap();
    let scenario = block("**2. Write `shop.json`.**", "```json\n");
    std::fs::write(dir.path().join("shop.json"), &scenario).unwrap();
    let check = run_in(dir.path(), &["check", "shop.json"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
    assert!(block("**3. Check it, run it.**", "```text\n").contains(stdout(&check).trim()), "the check line");
    let out = run_in(dir.path(), &["run", "shop.json", "--headless"]);
    assert_eq!(code(&out), 1);
    assert!(block("**3. Check it, run it.**", "```text\n").contains(stdout(&out).trim()), "the summary");

    let fixed = scenario.replace(
        r#""name": "email", "topics": ["orders"],"#,
        r#""name": "email", "topics": ["orders"], "instances": 2,"#,
    );
    let mut value: Value = serde_json::from_str(&fixed).unwrap();
    assert_eq!(value["consumers"][1]["instances"], 2);
    let variants = block("**5. Add an experiment.**", "```json\n");
    value["variants"] = serde_json::from_str::<Value>(&format!("{{{variants}}}")).unwrap()["variants"].clone();
    std::fs::write(dir.path().join("shop.json"), serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let out = run_in(dir.path(), &["run", "shop.json", "--headless", "--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert_eq!(json_summary(&out)["groups"]["email"]["final_lag"], 1);
    let out = run_in(dir.path(), &["run", "shop.json", "--variant", "one-email-instance", "--headless"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

/// Runs `small` headless with `--trace` (and `extra` arguments); returns the trace's path and
/// the run's output.
fn recorded(dir: &Path, extra_expect: &[Value], extra: &[&str]) -> (PathBuf, Output) {
    let file = write(dir, "small.json", &small(extra_expect));
    let trace = dir.join("run.jsonl");
    let mut args = vec!["run", file.to_str().unwrap(), "--headless", "--trace", trace.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(&args);
    (trace, out)
}

#[test]
fn replay_prints_the_summary_the_recorded_run_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, table) = recorded(dir.path(), &[], &[]);
    assert_eq!(code(&table), 0, "{}", stderr(&table));
    let replayed = run(&["replay", trace.to_str().unwrap(), "--headless"]);
    assert_eq!(code(&replayed), 0, "{}", stderr(&replayed));
    assert_eq!(stdout(&replayed), stdout(&table));
    assert_eq!(stderr(&replayed), "");

    let (trace, json) = recorded(dir.path(), &[], &["--json"]);
    // --json implies --headless, as with run.
    let replayed = run(&["replay", trace.to_str().unwrap(), "--json"]);
    assert_eq!(code(&replayed), 0, "{}", stderr(&replayed));
    assert_eq!(json_summary(&replayed), json_summary(&json));
}

#[test]
fn replay_exits_1_when_a_recorded_expectation_fails() {
    let dir = tempfile::tempdir().unwrap();
    let failing = json!({"metric": "delivered", "group": "billing", "equals": 3});
    let (trace, out) = recorded(dir.path(), &[failing], &["--json"]);
    assert_eq!(code(&out), 1);
    let replayed = run(&["replay", trace.to_str().unwrap(), "--headless", "--json"]);
    assert_eq!(code(&replayed), 1, "{}", stderr(&replayed));
    assert_eq!(json_summary(&replayed), json_summary(&out));
}

#[test]
fn replay_of_a_cut_trace_warns_and_summarises_the_steps_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, out) = recorded(dir.path(), &[], &["--json"]);
    assert_eq!(code(&out), 0);
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Keep the header and 30 steps, and half of step 31.
    let mut cut = lines[..31].join("\n");
    cut.push('\n');
    cut.push_str(&lines[31][..lines[31].len() / 2]);
    let path = dir.path().join("cut.jsonl");
    std::fs::write(&path, cut).unwrap();
    let replayed = run(&["replay", path.to_str().unwrap(), "--json"]);
    // 10 published is expected; 30 steps hold fewer, so the expectation fails.
    assert_eq!(code(&replayed), 1, "{}", stderr(&replayed));
    assert_eq!(
        stderr(&replayed),
        format!("warning: {} is cut at line 32, before its end line; loaded up to step 30\n", path.display())
    );
    assert_eq!(json_summary(&replayed)["steps"], 30);
}

#[test]
fn replay_of_what_is_not_a_trace_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "small.json", &small(&[]));
    let line = one_line_error(&run(&["replay", scenario.to_str().unwrap(), "--headless"]));
    assert!(line.starts_with(&format!("{}:1: not an eventlab trace", scenario.display())), "{line}");
    assert!(line.contains("a scenario file?"), "{line}");

    let missing = dir.path().join("missing.jsonl");
    let line = one_line_error(&run(&["replay", missing.to_str().unwrap(), "--headless"]));
    assert_eq!(line, format!("{}: cannot read: no such file", missing.display()));

    let (trace, _) = recorded(dir.path(), &[], &[]);
    let text = std::fs::read_to_string(&trace).unwrap();
    let corrupt = text.replacen("\"kind\":\"delivered\"", "\"kind\":\"deliverd\"", 1);
    let line_number = corrupt.lines().position(|l| l.contains("deliverd")).unwrap() + 1;
    std::fs::write(&trace, corrupt).unwrap();
    let line = one_line_error(&run(&["replay", trace.to_str().unwrap(), "--headless", "--json"]));
    assert_eq!(
        line,
        format!("{}:{line_number}: unknown step kind \"deliverd\" (did you mean \"delivered\"?)", trace.display())
    );
}

#[test]
fn replay_without_headless_checks_the_file_before_the_tui() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let line = one_line_error(&run(&["replay", empty.to_str().unwrap()]));
    assert!(line.starts_with(&format!("{}:1: the file is empty", empty.display())), "{line}");

    let (trace, _) = recorded(dir.path(), &[], &[]);
    let line = one_line_error(&run(&["replay", trace.to_str().unwrap()]));
    // A good file goes on to the TUI, which needs a terminal (tests/it/tmux.rs opens one).
    assert!(line.contains("the TUI needs a terminal"), "{line}");
    assert!(line.contains("--headless"), "{line}");
}

#[test]
fn lessons_name_prints_the_lessons_scenario_to_copy() {
    let out = run(&["lessons", "crash-duplicates"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(text, eventlab::lessons::find("crash-duplicates").expect("a lesson").source);
    // Written to a file, it runs as the lesson does.
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("copy.json"), &text).expect("writes");
    let copy = run_in(dir.path(), &["run", "copy.json", "--headless", "--json"]);
    let lesson = run(&["run", "crash-duplicates", "--headless", "--json"]);
    let figures = |o: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a summary");
        (v["totals"].clone(), v["groups"].clone())
    };
    assert_eq!(figures(&copy), figures(&lesson));

    let out = run(&["lessons", "crash-duplicate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("did you mean \"crash-duplicates\""), "{err}");
}

#[test]
fn completions_and_the_man_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", String::from_utf8_lossy(&out.stderr));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("eventlab") && script.contains("replay"), "{shell}: {script}");
    }
    let out = run(&["man"]);
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH eventlab 1") && page.contains("lessons"), "{page}");

    let out = run(&["completions", "nushell"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

#[test]
fn a_reader_that_goes_away_is_no_error() {
    // `eventlab man | head -1`: the pipe closes early; no panic, no error line.
    use std::io::Read as _;
    use std::process::Stdio;
    for args in [&["man"][..], &["schema"], &["completions", "bash"], &["lessons", "fan-out"]] {
        let mut child =
            eventlab().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the binary starts");
        drop(child.stdout.take());
        let mut err = String::new();
        child.stderr.take().expect("piped").read_to_string(&mut err).expect("reads");
        let status = child.wait().expect("exits");
        assert!(status.success(), "{args:?}: {status} {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}
