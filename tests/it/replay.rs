//! Reading recorded traces back (`trace::read`): every scenario file and lesson round-trips
//! (the same JSON Lines, the same trace, the same summary), a cut trace loads up to its last
//! whole line, and anything that is not a trace is one clear error line, never a panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use eventlab::report::{summary_json, summary_table};
use eventlab::run::{Outcome, replay};
use eventlab::scenario::load::{Limits, load_file, load_str};
use eventlab::sim::Model;
use eventlab::trace::jsonl;
use eventlab::trace::read::{ReadError, Recorded, Truncated, read, read_file};
use eventlab::trace::{StepKind, Trace};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};

use crate::fault_properties::{Json, parse as parse_generated, scenario as generated_scenario};

const NAME: &str = "t.jsonl";

fn jsonl_bytes(model: &Model, trace: &Trace) -> Vec<u8> {
    let mut out = Vec::new();
    jsonl::write(&mut out, model, trace, true).expect("writes to memory");
    out
}

fn run_value(value: &Value) -> Outcome {
    let scenario = load_str(&value.to_string(), "inline", &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    eventlab::run::run(scenario, None, Limits::default().max_steps).expect("runs")
}

fn recording(outcome: &Outcome) -> Vec<u8> {
    jsonl_bytes(outcome.sim.model(), outcome.sim.trace())
}

fn read_ok(bytes: &[u8]) -> Recorded {
    read(bytes, NAME).unwrap_or_else(|e| panic!("{e}"))
}

fn read_err(bytes: &[u8]) -> String {
    match read(bytes, NAME) {
        Ok(recorded) => panic!("read {} steps from an invalid trace", recorded.trace.steps.len()),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains('\n'), "one line: {text:?}");
            text
        }
    }
}

/// The first line where two JSON Lines texts differ, for failure messages.
fn first_different_line(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    match a.lines().zip(b.lines()).enumerate().find(|(_, (x, y))| x != y) {
        Some((i, (x, y))) => format!("line {}:\n  {x}\n  {y}", i + 1),
        None => format!("one is longer ({} and {} lines)", a.lines().count(), b.lines().count()),
    }
}

/// The read trace is the simulator's: the same steps (every index in them), instances,
/// assignments and emitters, and events equal field by field (names and payloads compared
/// as text, since a read trace interns and stores them afresh).
fn assert_same_trace(name: &str, original: &Trace, read: &Trace) {
    assert_eq!(original.steps.len(), read.steps.len(), "{name}: step count");
    if let Some(i) = (0..original.steps.len()).find(|&i| original.steps[i] != read.steps[i]) {
        panic!("{name}: step {} differs:\n  {:?}\n  {:?}", i + 1, original.steps[i], read.steps[i]);
    }
    assert_eq!(original.instances, read.instances, "{name}: instances");
    assert_eq!(original.assignments, read.assignments, "{name}: assignments");
    assert_eq!(original.emitters.len(), read.emitters.len(), "{name}: emitters");
    assert_eq!(original.events.len(), read.events.len(), "{name}: event count");
    let text = |t: &Trace, e: &eventlab::trace::Event| {
        (
            e.id.render(&t.strings),
            t.strings.resolve(e.event_type).to_owned(),
            e.key.map(|k| t.strings.resolve(k).to_owned()),
            t.strings.resolve(e.source).to_owned(),
            e.correlation.render(&t.strings),
            e.cause,
            e.schema_version,
            e.topic,
            t.payloads.text(e.headers).to_owned(),
            t.payloads.text(e.data).to_owned(),
        )
    };
    for (i, (a, b)) in original.events.iter().zip(&read.events).enumerate() {
        assert_eq!(text(original, a), text(read, b), "{name}: event {i}");
    }
}

/// Runs → JSON Lines → read back: the same bytes when written again, the same trace, the same
/// summary and table.
fn assert_round_trip(name: &str, outcome: &Outcome) {
    let bytes = recording(outcome);
    let recorded = read(&bytes[..], name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(recorded.truncated, None, "{name}");
    assert_eq!(recorded.end.map(|end| end.steps), Some(outcome.sim.trace().steps.len() as u64), "{name}");
    assert!(recorded.complete(), "{name}");
    let again = jsonl_bytes(&recorded.model, &recorded.trace);
    assert!(again == bytes, "{name}: written again, differs at {}", first_different_line(&bytes, &again));
    assert_same_trace(name, outcome.sim.trace(), &recorded.trace);
    let replayed = replay(recorded);
    assert_eq!(summary_json(&replayed), summary_json(outcome), "{name}: --json summary");
    assert_eq!(summary_table(&replayed), summary_table(outcome), "{name}: summary table");
    assert_eq!(replayed.passed(), outcome.passed(), "{name}");
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/scenarios exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_scenario_file_reads_back_as_it_was_recorded() {
    let files = scenario_files();
    assert!(files.len() > 20, "the scenario files are found");
    for file in files {
        let scenario = load_file(&file, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        let outcome = eventlab::run::run(scenario, None, Limits::default().max_steps).expect("runs");
        assert_round_trip(&file.display().to_string(), &outcome);
    }
}

#[test]
fn every_lesson_reads_back_as_it_was_recorded() {
    for lesson in eventlab::lessons::LESSONS {
        let scenario = load_str(lesson.source, &lesson.origin(), &Limits::default()).expect("valid");
        let outcome = eventlab::run::run(scenario, None, Limits::default().max_steps).expect("runs");
        assert_round_trip(lesson.name, &outcome);
    }
}

/// Scripted events that share ids (a FIFO queue drops the repeat: a new event whose only step
/// is `dropped_duplicate`), custom ids and correlation ids, headers, a delayed emit, and an
/// instance added late.
fn shared_ids() -> Value {
    json!({
        "name": "shared ids", "duration": "2s",
        "topics": [{"name": "inbox", "kind": "queue", "fifo": true},
                   {"name": "plain", "kind": "queue"},
                   {"name": "log", "partitions": 2}],
        "events": [
            {"at": "0ms", "topic": "inbox", "type": "A", "key": "k1", "id": "order-1", "data": {"n": 1}},
            {"at": "5ms", "topic": "inbox", "type": "A", "key": "k1", "id": "order-1", "data": {"n": 2}},
            {"at": "0ms", "topic": "plain", "type": "A", "key": "k1", "id": "same", "headers": {"h": "x\"y"}},
            {"at": "0ms", "topic": "plain", "type": "A", "key": "k1", "id": "same"},
            {"at": "1ms", "topic": "plain", "type": "B", "id": "same", "correlation_id": "corr-1"},
            {"at": "0ms", "topic": "log", "type": "A", "key": "k2", "id": "evt-000007", "data": "é → ü"},
            {"at": "1ms", "topic": "log", "type": "A", "key": "k2", "id": "evt-000007"}
        ],
        "producers": [{"name": "p", "topic": "log", "rate": 50, "count": 20, "keys": {"prefix": "k", "cardinality": 3},
                       "retry_duplicates": 0.3,
                       "events": [{"type": "A", "headers": {"n": "{n}"}, "data": {"v": {"uniform": [1, 9]}}}]}],
        "consumers": [
            {"name": "q", "topics": ["inbox", "plain"], "instances": 2, "processing": "3ms",
             "handles": {"A": {"emit": [{"topic": "log", "type": "C", "key": "{data.n}", "delay": "50ms"}]}, "*": {}}},
            {"name": "l", "topics": ["log"], "instances": 1, "processing": "2ms"}
        ],
        "faults": [{"at": "100ms", "add_instance": "l"}, {"at": "200ms", "crash": "l#2", "restart_after": "50ms"}]
    })
}

/// The run has a step of each of `kinds` (so its round trip covers them).
fn assert_has_kinds(trace: &Trace, kinds: &[StepKind]) {
    for kind in kinds {
        assert!(trace.steps.iter().any(|s| s.kind == *kind), "the scenario has a {} step", kind.name());
    }
}

#[test]
fn events_sharing_ids_custom_ids_and_joined_instances_read_back() {
    let outcome = run_value(&shared_ids());
    let trace = outcome.sim.trace();
    assert_has_kinds(trace, &[StepKind::DroppedDuplicate, StepKind::Joined, StepKind::Crashed, StepKind::Restarted]);
    assert_round_trip("shared ids", &outcome);
}

/// A bus with retrying producers (one idempotent), two rules onto one FIFO queue (the second
/// copy dropped as a duplicate), a log target and thin notifications that fetch an aggregate.
fn routed_and_fetched() -> Value {
    json!({
        "name": "routed and fetched",
        "duration": "2s",
        "topics": [
            {"name": "bus", "kind": "bus", "rules": [
                {"name": "all", "match": {"type": [{"prefix": "Money"}]}, "targets": ["fifo", "accounts", "accounts-q"]},
                {"name": "big", "match": {"data.amount": [{"numeric": [">", 50]}]}, "targets": ["fifo"]}
            ]},
            {"name": "fifo", "kind": "queue", "fifo": true},
            {"name": "accounts", "partitions": 2},
            {"name": "accounts-q", "kind": "queue"},
            {"name": "notifications", "kind": "queue"}
        ],
        "producers": [
            {"name": "atm", "topic": "bus", "rate": 40, "keys": {"cardinality": 3},
             "events": [{"type": "MoneyDeposited", "data": {"amount": {"uniform": [1, 100]}}},
                        {"type": "Nothing", "weight": 0.2}],
             "retry_duplicates": 0.3},
            {"name": "bank", "topic": "bus", "rate": 20, "keys": {"cardinality": 3},
             "events": [{"type": "MoneyWithdrawn", "data": {"amount": {"uniform": [1, 100]}}}],
             "retry_duplicates": 0.3, "idempotent": true}
        ],
        "consumers": [
            {"name": "ledger", "topics": ["fifo"], "processing": "2ms"},
            // With prefetch, later messages arrive while one is fetched for.
            {"name": "texter", "topics": ["accounts-q"], "processing": "20ms", "prefetch": 3,
             "handles": {"MoneyDeposited": {"fetch": {"aggregate": "Account", "latency": "30ms"}}}},
            {"name": "notifier", "topics": ["accounts"], "processing": "5ms",
             "handles": {"MoneyDeposited": {"fetch": {"aggregate": "Account", "latency": "30ms"},
                                            "emit": [{"topic": "notifications", "type": "BalanceNotified",
                                                      "data": {"balance": "{state.balance}"}}]}}}
        ],
        "aggregates": [
            {"name": "Account", "topic": "accounts", "initial": {"balance": 0},
             "apply": {"MoneyDeposited": {"balance": {"add": "data.amount"}},
                       "MoneyWithdrawn": {"balance": {"sub": "data.amount"}}}}
        ]
    })
}

#[test]
fn routed_copies_retries_to_a_bus_and_fetches_read_back() {
    let outcome = run_value(&routed_and_fetched());
    let trace = outcome.sim.trace();
    assert_has_kinds(trace, &[StepKind::Routed, StepKind::Unrouted, StepKind::Fetched, StepKind::DroppedDuplicate]);
    let routed_dropped =
        trace.steps.iter().any(|s| s.kind == StepKind::DroppedDuplicate && Some(trace.event_of(s).topic) != s.topic);
    assert!(routed_dropped, "a routed copy is dropped by the FIFO queue");
    let fetched_behind = trace.steps.iter().enumerate().any(|(i, s)| {
        s.kind == StepKind::Fetched
            && trace.steps[..i]
                .iter()
                .rev()
                .find(|d| d.kind == StepKind::Delivered && d.instance == s.instance)
                .is_some_and(|d| d.event != s.event)
    });
    assert!(fetched_behind, "a fetch for a message delivered before the instance's latest (prefetch)");
    let bus_publications = |t: &Trace| {
        t.steps.iter().filter(|s| s.kind == StepKind::Published && s.topic.is_some_and(|t| t.index() == 0)).count()
    };
    assert!(
        bus_publications(trace) > trace.events.iter().filter(|e| e.topic.index() == 0).count(),
        "a retry to the bus"
    );
    assert_round_trip("routed and fetched", &outcome);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Generated scenarios with faults, retries, FIFO deduplication and dead letters read back
    /// as they were recorded.
    #[test]
    fn generated_runs_read_back_as_they_were_recorded(Json(value) in generated_scenario()) {
        let scenario = parse_generated(&value);
        let outcome = eventlab::run::run(scenario, None, 10_000_000).expect("runs");
        assert_round_trip("generated", &outcome);
    }
}

/// A small run with most kinds of steps: log and queue, a dead letter, a crash and restart,
/// a pause, an added instance, a lost acknowledgement, an expired visibility, notes, failures.
fn varied() -> Value {
    json!({
        "name": "varied", "duration": "1s", "seed": 5,
        "topics": [{"name": "orders", "partitions": 2},
                   {"name": "mail", "kind": "queue", "max_receives": 2, "dead_letter": "dlq", "visibility_timeout": "40ms"},
                   {"name": "dlq", "kind": "queue"}],
        "producers": [{"name": "shop", "topic": "orders", "rate": 40, "arrival": "fixed", "count": 25,
                       "keys": {"prefix": "c-", "cardinality": 4}, "retry_duplicates": 0.2,
                       "events": [{"type": "OrderCreated", "data": {"total": {"uniform": [1, 99]}}}]}],
        "consumers": [
            {"name": "billing", "topics": ["orders"], "instances": 2, "processing": "7ms", "commit": {"interval": "50ms"},
             "handles": {"OrderCreated": {"emit": [{"topic": "mail", "type": "Receipt", "data": {"total": "{data.total}"}}]}}},
            {"name": "mailer", "topics": ["mail"], "processing": "5ms", "prefetch": 2,
             "handles": {"Receipt": {"fail_probability": 0.3}}},
            {"name": "ops", "topics": ["dlq"]}
        ],
        "faults": [{"at": "200ms", "crash": "billing#1", "restart_after": "100ms"},
                   {"at": "350ms", "pause": "mailer", "for": "60ms"},
                   {"at": "500ms", "add_instance": "billing"},
                   {"at": "600ms", "slow": "mailer", "factor": 20, "for": "100ms"}],
        "notes": [{"at": "0s", "text": "Start."}, {"at": "200ms", "text": "A crash — ünïcode."}]
    })
}

fn varied_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let outcome = run_value(&varied());
        let kinds: std::collections::BTreeSet<&str> = outcome.sim.trace().steps.iter().map(|s| s.kind.name()).collect();
        for kind in ["dead_lettered", "requeued", "failed", "crashed", "paused", "joined", "note", "committed", "acked"]
        {
            assert!(kinds.contains(kind), "the varied scenario has {kind} steps: {kinds:?}");
        }
        recording(&outcome)
    })
}

/// Byte offsets of each line's start, and its end (the newline).
fn lines(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    out
}

#[test]
fn a_cut_trace_loads_up_to_its_last_whole_line() {
    let bytes = varied_bytes();
    let full = read_ok(bytes);
    assert_eq!(full.truncated, None);
    let lines = lines(bytes);
    let steps = lines.len() - 2;
    // Line k + 1 holds step k; the last line is the end line.
    for (k, &(start, end)) in lines.iter().enumerate().take(steps + 1).skip(1) {
        let step = k as u64;
        let kept = |recorded: &Recorded, n: u64| {
            assert_eq!(recorded.trace.steps.len() as u64, n);
            assert_eq!(recorded.trace.steps[..], full.trace.steps[..n as usize]);
            assert_eq!(recorded.end, None);
        };
        // At a line boundary: the whole lines before it, and no end line: cut, said as a cut
        // in a line is (where the next line should have been).
        let at_start = read_ok(&bytes[..start]);
        assert_eq!(at_start.truncated, Some(Truncated { last_step: step - 1, line: k + 1 }));
        kept(&at_start, step - 1);
        // A whole last line without its newline is whole: the cut is after it.
        let no_newline = read_ok(&bytes[..end]);
        assert_eq!(no_newline.truncated, Some(Truncated { last_step: step, line: k + 2 }));
        kept(&no_newline, step);
        // Cut anywhere inside it: the steps before, and where it was cut.
        for cut in [start + 1, start + 2, usize::midpoint(start, end), end - 2, end - 1] {
            let recorded = read_ok(&bytes[..cut]);
            assert_eq!(
                recorded.truncated,
                Some(Truncated { last_step: step - 1, line: k + 1 }),
                "cut at byte {cut} of line {}",
                k + 1
            );
            kept(&recorded, step - 1);
            // What was loaded analyses without trouble.
            let _ = summary_json(&replay(recorded));
        }
    }
}

#[test]
fn a_trace_ends_with_its_end_line_whose_figures_are_checked() {
    let bytes = varied_bytes();
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    let steps = lines.len() - 2;
    let full = read_ok(bytes);
    let duration = full.model.duration;
    let end: Value = serde_json::from_str(lines[steps + 1]).expect("JSON");
    assert_eq!(end, json!({"end": {"steps": steps, "t_us": duration, "complete": true}}));
    assert!(full.complete());
    // The end line without its newline is whole.
    assert_eq!(read_ok(&bytes[..bytes.len() - 1]).truncated, None);
    // The end line cut short: the trace was cut after its last step.
    let (start, stop) = (text.len() - lines[steps + 1].len() - 1, text.len() - 1);
    for cut in [start + 1, usize::midpoint(start, stop), stop - 1] {
        let recorded = read_ok(&bytes[..cut]);
        assert_eq!(recorded.truncated, Some(Truncated { last_step: steps as u64, line: steps + 2 }), "cut at {cut}");
        assert_eq!(recorded.end, None);
    }
    // Figures that are not the trace's, a stray field, a line after it: errors on that line.
    let with_end = |end: &str| format!("{}\n{end}\n", lines[..=steps].join("\n"));
    let n = steps + 2;
    for (end, message) in [
        (
            json!({"end": {"steps": steps + 1, "t_us": duration, "complete": true}}),
            format!("the end line: it says {} steps, but the trace has {steps}", steps + 1),
        ),
        (
            json!({"end": {"steps": steps, "t_us": 0, "complete": false}}),
            format!("the end line: t_us 0 is before the last step's ({})", full.trace.steps[steps - 1].t_us),
        ),
        (
            json!({"end": {"steps": steps, "t_us": duration + 1, "complete": false}}),
            format!("the end line: t_us {} is past the scenario's duration", duration + 1),
        ),
        (
            json!({"end": {"steps": steps, "t_us": duration - 1, "complete": true}}),
            format!("the end line: a complete run ends at the scenario's duration (t_us {duration})"),
        ),
        (json!({"end": {"steps": steps, "t_us": duration}}), "missing \"complete\"".to_owned()),
        (
            json!({"end": {"steps": steps, "t_us": duration, "complete": true}, "step": 1}),
            "unexpected field".to_owned(),
        ),
    ] {
        let error = read_err(with_end(&end.to_string()).as_bytes());
        assert!(error.starts_with(&format!("t.jsonl:{n}: ")), "{error}");
        assert!(error.contains(&message), "{error}\nshould say: {message}");
    }
    let after = format!("{text}{}\n", lines[1]);
    assert_eq!(
        read_err(after.as_bytes()),
        format!("t.jsonl:{}: a line after the end line (line {n}): the trace ended there", n + 1)
    );
    // Stopped early (the TUI's `w` mid-run): not complete, at the last step's time.
    let partial = format!(
        "{}\n{}\n",
        lines[..=10].join("\n"),
        json!({"end": {"steps": 10, "t_us": full.trace.steps[9].t_us, "complete": false}})
    );
    let recorded = read_ok(partial.as_bytes());
    assert_eq!(recorded.truncated, None);
    assert!(!recorded.complete());
    let mut again = Vec::new();
    jsonl::write(&mut again, &recorded.model, &recorded.trace, false).expect("writes to memory");
    assert_eq!(String::from_utf8(again).unwrap(), partial, "written again, the same bytes");
}

#[test]
fn a_cut_at_a_line_boundary_is_warned_of_as_a_cut_in_a_line() {
    let bytes = varied_bytes();
    let lines = lines(bytes);
    let (start, end) = lines[100];
    let at_boundary = read_ok(&bytes[..start]).truncated.expect("cut");
    let in_line = read_ok(&bytes[..usize::midpoint(start, end)]).truncated.expect("cut");
    assert_eq!(at_boundary, in_line);
    assert_eq!(
        in_line.warning("t.jsonl"),
        "warning: t.jsonl is cut at line 101, before its end line; loaded up to step 99"
    );
}

#[test]
fn a_cut_inside_a_character_is_a_cut() {
    let bytes = varied_bytes();
    let header_end = lines(bytes)[0].1;
    let multibyte = (header_end..bytes.len()).find(|&i| bytes[i] >= 0xc0).expect("a note has non-ASCII text");
    let recorded = read_ok(&bytes[..=multibyte]);
    assert!(recorded.truncated.is_some());
    // The same bytes, not at the end, are not UTF-8.
    let mut broken = bytes[..=multibyte].to_vec();
    broken.extend_from_slice(b"\"}\n");
    assert!(read_err(&broken).contains("not UTF-8"), "{}", read_err(&broken));
}

#[test]
fn a_cut_header_or_a_corrupt_middle_line_is_an_error() {
    let bytes = varied_bytes();
    let lines = lines(bytes);
    let message = read_err(&bytes[..lines[0].1 / 2]);
    assert_eq!(message, "t.jsonl:1: the header line is cut short: the trace was cut before its first step");
    // Line 5 cut short but followed by more lines: corrupt, not truncated.
    let (start, end) = lines[4];
    let mut corrupt = bytes[..usize::midpoint(start, end)].to_vec();
    corrupt.extend_from_slice(&bytes[end..]);
    let message = read_err(&corrupt);
    assert!(message.starts_with("t.jsonl:5: not a whole JSON object: EOF while parsing"), "{message}");
}

/// The varied trace with one field of one line (1-based) set, or removed (`None`).
fn with_field(line: usize, field: &str, value: Option<Value>) -> Vec<u8> {
    let text = std::str::from_utf8(varied_bytes()).expect("UTF-8");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut object: serde_json::Map<String, Value> = serde_json::from_str(&lines[line - 1]).expect("a JSON object");
    match value {
        Some(value) => drop(object.insert(field.to_owned(), value)),
        None => drop(object.remove(field)),
    }
    lines[line - 1] = Value::Object(object).to_string();
    (lines.join("\n") + "\n").into_bytes()
}

/// The first line (1-based) whose step has this kind and satisfies `also`.
fn line_of(kind: &str, also: impl Fn(&Value) -> bool) -> usize {
    let text = std::str::from_utf8(varied_bytes()).expect("UTF-8");
    let found = text.lines().position(|l| {
        let v: Value = serde_json::from_str(l).expect("JSON");
        v["kind"] == kind && also(&v)
    });
    found.unwrap_or_else(|| panic!("a {kind} step")) + 1
}

#[test]
fn a_step_that_does_not_fit_the_trace_is_an_error_naming_its_line() {
    let any = |_: &Value| true;
    let on_log = |v: &Value| v["topic"] == "orders";
    let on_queue = |v: &Value| v["topic"] == "mail";
    let log_delivery = line_of("delivered", on_log);
    let queue_delivery = line_of("delivered", on_queue);
    let log_publish = line_of("published", on_log);
    let publish = line_of("published", any);
    let cases: Vec<(usize, &str, Option<Value>, &str)> = vec![
        (3, "step", Some(json!(7)), "step 7 where step 2 was expected"),
        (line_of("delivered", |v| v["t_us"].as_u64() > Some(0)), "t_us", Some(json!(0)), "time goes backward"),
        (2, "t_us", Some(json!(5_000_000)), "past the scenario's duration (1s)"),
        (2, "kind", Some(json!("teleported")), "unknown step kind \"teleported\""),
        (2, "kind", None, "missing \"kind\""),
        (log_delivery, "instance", Some(json!("billing#9")), "unknown instance \"billing#9\""),
        (log_delivery, "instance", Some(json!("billing#01")), "unknown instance \"billing#01\""),
        (log_delivery, "instance", Some(json!("billing#0")), "unknown instance \"billing#0\""),
        (log_delivery, "instance", Some(json!("mailer#1")), "instance \"mailer#1\" is not in group \"billing\""),
        (log_delivery, "group", Some(json!("biling")), "unknown group \"biling\" (did you mean \"billing\"?)"),
        (log_delivery, "topic", Some(json!("order")), "unknown topic \"order\" (did you mean \"orders\"?)"),
        (log_delivery, "topic", Some(json!("dlq")), "group \"billing\" does not read \"dlq\""),
        (log_delivery, "offset", Some(json!(999)), "offset 999 of orders["),
        (log_delivery, "event", Some(json!("evt-000099")), "event \"evt-000099\", but it is evt-"),
        (log_delivery, "receive", Some(json!(1)), "delivered step: unexpected field \"receive\""),
        (queue_delivery, "event", Some(json!("nope")), "event \"nope\" has not been published"),
        (queue_delivery, "type", Some(json!("Other")), "type \"Other\", but event billing-000001 has type \"Receipt\""),
        (queue_delivery, "receive", None, "missing \"receive\""),
        (log_publish, "offset", Some(json!(5)), "offset 5, but orders["),
        (log_publish, "partition", Some(json!(2)), "\"orders\" has no partition 2 (it has 2)"),
        (
            log_publish,
            "partition",
            Some(json!("1")),
            "\"partition\": invalid type: string \"1\", expected an integer from 0 to 4294967295",
        ),
        (
            line_of("published", on_queue),
            "causation_id",
            Some(json!("evt-000500")),
            "causation_id \"evt-000500\" names no earlier event",
        ),
        (publish, "headers", Some(json!({"n": 1})), "\"headers\" is not an object of strings"),
        (publish, "rule", Some(json!("r")), "published step: unexpected field \"rule\""),
        (publish, "colour", Some(json!("r")), "unknown field \"colour\""),
        (
            line_of("processed", any),
            "effect",
            Some(json!(1)),
            "\"effect\": invalid type: integer `1`, expected a boolean",
        ),
        (line_of("failed", any), "reason", Some(json!("tired")), "unknown failure reason \"tired\""),
        (
            line_of("dead_lettered", any),
            "dead_letter",
            Some(json!("mail")),
            "\"mail\" is not the dead-letter topic of \"mail\"",
        ),
        (
            line_of("joined", any),
            "instance",
            Some(json!("billing#7")),
            "\"billing#7\" joins, but the next instance of this group is \"billing#3\"",
        ),
        (
            line_of("rebalanced", any),
            "assignment",
            Some(json!({"billing#1": {"mail": [0]}})),
            "group \"billing\" reads no log \"mail\"",
        ),
        (line_of("note", any), "text", Some(json!("Stop.")), "no note of the scenario at 0s says \"Stop....\""),
        (line_of("committed", any), "offset", Some(json!(4000)), "offset 4000 is past the end of orders["),
    ];
    for (line, field, value, expected) in cases {
        let message = read_err(&with_field(line, field, value));
        assert!(message.starts_with(&format!("t.jsonl:{line}: ")), "{message}");
        assert!(message.contains(expected), "expected {expected:?} in: {message}");
    }
}

#[test]
fn a_header_whose_definition_does_not_validate_is_an_error() {
    let mut definition = varied();
    definition["consumers"][0]["topics"][0] = json!("order");
    let edited = with_field(1, "definition", Some(definition));
    assert_eq!(
        read_err(&edited),
        "t.jsonl:1: the header's definition is not a valid scenario: consumers[0].topics[0]: unknown topic \"order\" (did you mean \"orders\"?)"
    );
    let edited = with_field(1, "eventlab_trace", Some(json!(2)));
    assert_eq!(read_err(&edited), "t.jsonl:1: trace format version 2 is not supported (this eventlab reads version 1)");
    let edited = with_field(1, "scenario", Some(json!("other")));
    assert_eq!(read_err(&edited), "t.jsonl:1: the header names scenario \"other\" but its definition is \"varied\"");
    let edited = with_field(1, "seed", None);
    assert_eq!(read_err(&edited), "t.jsonl:1: the header line: missing \"seed\"");
}

#[test]
fn what_is_not_a_trace_is_one_clear_line() {
    let not_a_trace =
        "a trace starts with a header line {\"eventlab_trace\": 1, \"scenario\": ..., \"definition\": ...}";
    assert_eq!(read_err(b""), format!("t.jsonl:1: the file is empty; {not_a_trace}"));
    assert_eq!(
        read_err(&[0x7f, 0x45, 0x4c, 0x46, 0xff, 0xfe, 0x00, b'\n', 0x01]),
        format!("t.jsonl:1: not an eventlab trace: the first line is not UTF-8 text (a binary file?); {not_a_trace}")
    );
    let scenario_hint = format!(
        "t.jsonl:1: not an eventlab trace: the first line is not a trace header (a scenario file? `eventlab run FILE` runs one); {not_a_trace}"
    );
    let pretty = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fan-out.json")).expect("a lesson");
    assert_eq!(read_err(&pretty), scenario_hint);
    let compact = serde_json::to_vec(&varied()).expect("JSON");
    assert_eq!(read_err(&compact), scenario_hint);
    assert_eq!(
        read_err(b"hello\nworld\n"),
        format!("t.jsonl:1: not an eventlab trace: the first line is not a JSON object; {not_a_trace}")
    );
    // A header and then garbage.
    let mut bytes = varied_bytes()[..=lines(varied_bytes())[0].1].to_vec();
    bytes.extend_from_slice(b"[1, 2]\n");
    assert_eq!(
        read_err(&bytes),
        "t.jsonl:2: not a step: a step line is a JSON object {\"step\": N, \"t_us\": T, \"kind\": K, ...}"
    );
    let mut bytes = varied_bytes()[..=lines(varied_bytes())[0].1].to_vec();
    bytes.extend_from_slice(b"\n");
    assert!(read_err(&bytes).starts_with("t.jsonl:2: not a step"));
}

#[test]
fn read_file_names_the_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = dir.path().join("missing.jsonl");
    let error: ReadError = read_file(&missing).expect_err("missing");
    assert_eq!(error.to_string(), format!("{}: cannot read: no such file", missing.display()));
    let error = read_file(dir.path()).expect_err("a directory");
    assert_eq!(error.to_string(), format!("{}: cannot read: is a directory", dir.path().display()));
    let path = dir.path().join("t.jsonl");
    std::fs::write(&path, varied_bytes()).expect("writes");
    let recorded = read_file(&path).expect("reads");
    assert_eq!(jsonl_bytes(&recorded.model, &recorded.trace), varied_bytes());
}

/// How a fuzz case damages the varied trace.
#[derive(Clone, Debug)]
enum Damage {
    /// Overwrite the byte at the index.
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    /// Delete the line holding the index.
    DeleteLine(Index),
    /// Repeat the line holding the index.
    RepeatLine(Index),
    /// In a step line, give a field the value it has in another line (or remove it when
    /// that line has none): valid JSON with plausible values, for the checks behind parsing.
    Field {
        line: Index,
        field: Index,
        from: Index,
    },
}

fn damage() -> impl Strategy<Value = Damage> {
    let byte = prop_oneof![
        3 => proptest::sample::select(b"{}[]\":,0123456789#-\n\\ eutfn".to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        3 => (any::<Index>(), byte.clone()).prop_map(|(i, b)| Damage::Set(i, b)),
        1 => (any::<Index>(), byte).prop_map(|(i, b)| Damage::Insert(i, b)),
        1 => any::<Index>().prop_map(Damage::Delete),
        1 => any::<Index>().prop_map(Damage::DeleteLine),
        1 => any::<Index>().prop_map(Damage::RepeatLine),
        4 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(line, field, from)| Damage::Field { line, field, from }),
    ]
}

fn apply(bytes: &mut Vec<u8>, damage: &Damage) {
    if bytes.is_empty() {
        return;
    }
    let line_around = |bytes: &[u8], i: usize| {
        let start = bytes[..i].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let end = bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |p| i + p + 1);
        start..end
    };
    match damage {
        Damage::Set(i, b) => {
            let i = i.index(bytes.len());
            bytes[i] = *b;
        }
        Damage::Insert(i, b) => {
            let i = i.index(bytes.len());
            bytes.insert(i, *b);
        }
        Damage::Delete(i) => {
            let i = i.index(bytes.len());
            bytes.remove(i);
        }
        Damage::DeleteLine(i) => {
            let range = line_around(bytes, i.index(bytes.len()));
            bytes.drain(range);
        }
        Damage::RepeatLine(i) => {
            let range = line_around(bytes, i.index(bytes.len()));
            let line = bytes[range.clone()].to_vec();
            bytes.splice(range.end..range.end, line);
        }
        Damage::Field { line, field, from } => {
            let Ok(text) = std::str::from_utf8(bytes) else { return };
            let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
            let parse = |l: &str| serde_json::from_str::<serde_json::Map<String, Value>>(l).ok();
            let target = 1 + line.index(lines.len().saturating_sub(1).max(1));
            let (Some(mut object), Some(source)) = (
                lines.get(target).and_then(|l| parse(l)),
                parse(&lines[1 + from.index(lines.len().saturating_sub(1).max(1)).min(lines.len() - 1)]),
            ) else {
                return;
            };
            let Some(key) = object.keys().nth(field.index(object.len().max(1))).cloned() else { return };
            match source.get(&key) {
                Some(value) => drop(object.insert(key, value.clone())),
                None => drop(object.remove(&key)),
            }
            lines[target] = Value::Object(object).to_string();
            *bytes = lines.join("\n").into_bytes();
        }
    }
}

/// `REPLAY_FUZZ_CASES` runs more (or fewer) damaged traces.
fn fuzz_config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("REPLAY_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(fuzz_config())]

    /// Whatever the bytes, reading gives a trace or one error line naming the file and line,
    /// and a trace read analyses, summarises and writes without a panic.
    #[test]
    fn damaged_traces_never_panic(damages in proptest::collection::vec(damage(), 1..=3), cut in proptest::option::of(any::<Index>())) {
        let mut bytes = varied_bytes().to_vec();
        for d in &damages {
            apply(&mut bytes, d);
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        match read(&bytes[..], NAME) {
            Ok(recorded) => {
                let again = jsonl_bytes(&recorded.model, &recorded.trace);
                let replayed = replay(recorded);
                let _ = summary_json(&replayed);
                let _ = summary_table(&replayed);
                // What reads back writes as a trace that reads back.
                prop_assert!(read(&again[..], NAME).is_ok());
            }
            Err(e) => {
                let text = e.to_string();
                prop_assert!(text.starts_with("t.jsonl:"), "{}", text);
                prop_assert!(!text.contains('\n'), "{:?}", text);
            }
        }
    }
}
