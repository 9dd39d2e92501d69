//! `eventlab diff A B`: two runs compared, run like a user runs it (exit codes, the table,
//! `--json`), and the comparison itself on generated scenarios.

use std::path::{Path, PathBuf};
use std::process::Output;

use eventlab::diff::{Diff, Figures, Side};
use eventlab::run::source::{Request, compute, load_target};
use eventlab::run::{Outcome, replay};
use eventlab::scenario::load::Limits;
use eventlab::scenario::model::Metric;
use eventlab::trace::jsonl;
use eventlab::trace::read::read;
use eventlab::tui::App;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::cli::eventlab;
use crate::fault_properties::{Json, parse as parse_generated, scenario as generated_scenario};

fn diff(args: &[&str]) -> Output {
    let mut command = eventlab();
    command.current_dir(env!("CARGO_MANIFEST_DIR")).arg("diff").args(args);
    command.output().expect("the binary starts")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed by a signal")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Exit 2 and one line on stderr, nothing on stdout; returns the line.
#[track_caller]
fn one_line_error(out: &Output) -> String {
    let err = String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8");
    assert_eq!(code(out), 2, "expected exit 2; stderr: {err}");
    assert!(!err.contains("panicked"), "a panic: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    err.trim_end().to_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("--json prints one JSON object")
}

/// `eventlab run ... --headless --json` of one side, to hold the diff's figures against.
fn summary(args: &[&str]) -> Value {
    let out = eventlab()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--headless", "--json"])
        .args(args)
        .output()
        .expect("runs");
    serde_json::from_slice(&out.stdout).expect("a summary")
}

/// A scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("eventlab-diff-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Scratch(dir)
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().expect("UTF-8").to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Records `eventlab run TARGET --headless --trace` into `path`.
fn record(target: &str, extra: &[&str], path: &str) {
    let out = eventlab()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", target, "--headless", "--trace", path])
        .args(extra)
        .output()
        .expect("runs");
    assert!(Path::new(path).is_file(), "recorded: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_lesson_with_itself_is_equal() {
    let out = diff(&["crash-duplicates", "crash-duplicates"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.contains("the runs are equal"), "{text}");
    assert!(text.contains("the traces are the same, step by step (360 steps)"), "{text}");
    assert!(!text.lines().any(|l| l.starts_with('*')), "nothing marked as changed:\n{text}");
    let json = json_of(&diff(&["crash-duplicates", "crash-duplicates", "--json"]));
    assert_eq!(json["equal"], true);
    assert_eq!(json["first_difference"], Value::Null);
    assert_eq!(json["findings"], json!({"only_a": [], "only_b": []}));
}

#[test]
fn the_idempotent_variant_removes_the_duplicate_effects() {
    // The lesson's own figures, from `run`: 4 duplicate effects as written, none idempotent.
    let before = summary(&["crash-duplicates"]);
    let after = summary(&["crash-duplicates", "--variant", "idempotent-billing"]);
    assert_eq!(before["groups"]["billing"]["duplicate_effects"], 4);
    assert_eq!(after["groups"]["billing"]["duplicate_effects"], 0);

    let out = diff(&["crash-duplicates", "crash-duplicates", "--variant", "idempotent-billing"]);
    assert_eq!(code(&out), 1, "the runs differ");
    let text = stdout(&out);
    let line = text.lines().find(|l| l.contains("duplicate_effects  ")).expect("a duplicate_effects row");
    assert!(line.starts_with('*'), "marked as changed: {line}");
    assert!(line.ends_with("4 → 0"), "{line}");
    let line = text.lines().find(|l| l.contains(" delivered ")).expect("a delivered row");
    assert!(line.starts_with(' ') && line.ends_with("84 → 84"), "unchanged, unmarked: {line}");

    // Findings only in A: the four repeated charges, by event.
    assert!(text.contains("findings only in A (4):"), "{text}");
    assert!(text.contains("findings only in B: none"), "{text}");
    for event in ["evt-000032", "evt-000033", "evt-000034", "evt-000037"] {
        assert!(
            text.lines().any(|l| l.contains("duplicate_effects") && l.contains(event) && l.contains("processed")),
            "{event} listed:\n{text}"
        );
    }
    // The first step apart: A processes the redelivered order, B skips it; both shown.
    assert!(text.contains("first difference: step 166 in A, 164 in B (kind, effect)"), "{text}");
    let a = text.lines().find(|l| l.starts_with("  A  {")).expect("A's step");
    let b = text.lines().find(|l| l.starts_with("  B  {")).expect("B's step");
    assert!(a.contains(r#""kind":"processed""#) && a.contains("evt-000032"), "{a}");
    assert!(b.contains(r#""kind":"skipped_duplicate""#) && b.contains("evt-000032"), "{b}");
}

#[test]
fn the_table_of_the_crash_duplicates_pair() {
    let out = diff(&["crash-duplicates", "crash-duplicates", "--variant", "idempotent-billing"]);
    insta::assert_snapshot!("crash_duplicates_table", stdout(&out));
}

#[test]
fn the_readme_shows_the_real_output() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let command = "$ eventlab diff crash-duplicates crash-duplicates --variant idempotent-billing\n";
    let start = readme.find(command).expect("README's Compare two runs shows the command") + command.len();
    let shown = &readme[start..start + readme[start..].find("```").expect("the block ends")];
    let out = diff(&["crash-duplicates", "crash-duplicates", "--variant", "idempotent-billing"]);
    assert_eq!(shown, stdout(&out), "README's diff output is the binary's");
}

#[test]
fn json_has_the_same_figures_as_the_runs() {
    let out = diff(&["crash-duplicates", "crash-duplicates", "--variant", "idempotent-billing", "--json"]);
    assert_eq!(code(&out), 1);
    let json = json_of(&out);
    assert_eq!(json["equal"], false);
    assert_eq!(json["a"]["source"], "crash-duplicates");
    assert_eq!(json["b"]["source"], "crash-duplicates --variant idempotent-billing");
    let before = summary(&["crash-duplicates"]);
    let after = summary(&["crash-duplicates", "--variant", "idempotent-billing"]);
    let figures = json["groups"]["billing"].as_object().expect("billing's figures");
    assert_eq!(figures.len(), before["groups"]["billing"].as_object().expect("figures").len());
    for (name, value) in figures {
        assert_eq!(value["a"], before["groups"]["billing"][name], "A's {name}");
        assert_eq!(value["b"], after["groups"]["billing"][name], "B's {name}");
    }
    assert_eq!(
        json["run"]["published"],
        json!({"a": before["totals"]["published"], "b": after["totals"]["published"]})
    );
    assert_eq!(json["run"]["steps"], json!({"a": before["steps"], "b": after["steps"]}));
    // The table says the same.
    let text = stdout(&diff(&["crash-duplicates", "crash-duplicates", "--variant", "idempotent-billing"]));
    for (name, value) in figures {
        let row = text.lines().find(|l| l.get(2..).is_some_and(|l| l.starts_with(&format!("{name} ")))).expect("a row");
        assert!(row.ends_with(&format!("{} → {}", value["a"], value["b"])), "{row}");
    }
    // Expectations on both sides, with where each comes from.
    let expectations = json["expectations"].as_array().expect("a list");
    let of = |text: &str| expectations.iter().find(|e| e["expect"] == text).expect(text);
    assert_eq!(of("billing duplicate_effects ≥ 1")["of"], "a");
    assert_eq!(of("billing duplicate_effects ≥ 1")["b"], json!({"actual": 0, "passed": false}));
    assert_eq!(of("billing duplicate_effects = 0")["a"], json!({"actual": 4, "passed": false}));
    assert_eq!(of("orders published = 80")["of"], "both");
    // One-sided findings with their causes; the first differing step with both sides.
    let only_a = json["findings"]["only_a"].as_array().expect("a list");
    assert_eq!(only_a.len(), 4);
    assert_eq!(only_a[0]["class"], "duplicate_effects");
    assert_eq!(only_a[0]["group"], "billing");
    assert!(only_a[0]["cause"].as_str().is_some_and(|c| c.contains("crashed")), "{}", only_a[0]);
    let first = &json["first_difference"];
    assert_eq!(first["fields"], json!(["kind", "effect"]));
    assert_eq!(first["a"]["step"], 166);
    assert_eq!(first["b"]["kind"], "skipped_duplicate");
}

#[test]
fn findings_only_in_b_when_the_sides_swap() {
    let out = diff(&["crash-duplicates", "crash-duplicates", "--variant-a", "idempotent-billing", "--json"]);
    assert_eq!(code(&out), 1);
    let json = json_of(&out);
    assert_eq!(json["findings"]["only_a"], json!([]));
    assert_eq!(json["findings"]["only_b"].as_array().map(Vec::len), Some(4));
    assert_eq!(json["groups"]["billing"]["duplicate_effects"], json!({"a": 0, "b": 4}));
}

#[test]
fn a_trace_and_the_lesson_it_was_recorded_from_are_equal() {
    let scratch = Scratch::new("trace");
    let trace = scratch.path("fan-out.jsonl");
    record("fan-out", &[], &trace);
    for (a, b) in [(trace.as_str(), "fan-out"), ("fan-out", trace.as_str())] {
        let out = diff(&[a, b]);
        assert_eq!(code(&out), 0, "{}", stdout(&out));
        assert!(stdout(&out).contains("the runs are equal"));
    }
    // The lesson's scenario file is the same run too.
    assert_eq!(code(&diff(&["scenarios/fan-out.json", &trace])), 0);
    // A seed makes a different run of the same lesson; a variant a different scenario.
    assert_eq!(code(&diff(&[&trace, "fan-out", "--seed", "2"])), 1);
    assert_eq!(code(&diff(&[&trace, "fan-out", "--variant", "third-service"])), 1);
}

#[test]
fn two_seeds_give_the_first_differing_step_with_both_sides() {
    let out = diff(&["fan-out", "fan-out", "--seed-a", "1", "--seed", "2", "--json"]);
    assert_eq!(code(&out), 1);
    let json = json_of(&out);
    assert_eq!((json["a"]["seed"].clone(), json["b"]["seed"].clone()), (json!(1), json!(2)));
    let first = &json["first_difference"];
    let (a, b) = (&first["a"], &first["b"]);
    assert!(a.is_object() && b.is_object(), "both sides' steps: {first}");
    assert_eq!(a["step"], b["step"]);
    let fields = first["fields"].as_array().expect("a list");
    assert!(!fields.is_empty());
    for field in fields {
        let field = field.as_str().expect("a name");
        assert_ne!(a[field], b[field], "{field} differs");
    }
    // Every line before it is the same on both sides: held against the recorded traces.
    let scratch = Scratch::new("seeds");
    let (ta, tb) = (scratch.path("a.jsonl"), scratch.path("b.jsonl"));
    record("fan-out", &["--seed", "1"], &ta);
    record("fan-out", &["--seed", "2"], &tb);
    let lines = |path: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(path).expect("recorded");
        text.lines().skip(1).map(|l| serde_json::from_str(l).expect("a line")).collect()
    };
    let (la, lb) = (lines(&ta), lines(&tb));
    let at = a["step"].as_u64().expect("a number") as usize;
    assert_eq!(la[..at - 1], lb[..at - 1], "the same before the first difference");
    assert_eq!(&la[at - 1], a, "A's step as its trace has it");
    assert_eq!(&lb[at - 1], b, "B's step as its trace has it");
    // The table shows both lines.
    let text = stdout(&diff(&["fan-out", "fan-out", "--seed-a", "1", "--seed", "2"]));
    assert!(text.contains(&format!("first difference: step {at} (")), "{text}");
    assert!(text.contains(&format!("  A  {a}")) && text.contains(&format!("  B  {b}")), "{text}");
}

#[test]
fn a_cut_trace_differs_where_it_ends() {
    let scratch = Scratch::new("cut");
    let whole = scratch.path("whole.jsonl");
    record("fan-out", &[], &whole);
    let text = std::fs::read_to_string(&whole).expect("recorded");
    let cut = scratch.path("cut.jsonl");
    let lines: Vec<&str> = text.lines().take(51).collect();
    std::fs::write(&cut, lines.join("\n") + "\n").expect("written");
    let out = diff(&[&cut, "fan-out", "--json"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("warning:") && err.contains("cut"), "{err}");
    let json = json_of(&out);
    assert_eq!(json["a"]["complete"], false);
    assert_eq!(json["first_difference"]["a"], Value::Null, "A has ended");
    assert_eq!(json["first_difference"]["b"]["step"], 51);
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let scratch = Scratch::new("bad");
    let trace = scratch.path("t.jsonl");
    record("fan-out", &[], &trace);
    let missing = one_line_error(&diff(&["no-such-file.json", "fan-out"]));
    assert!(missing.contains("no-such-file.json") && missing.contains("no such file"), "{missing}");
    let seeded = one_line_error(&diff(&["fan-out", &trace, "--seed", "3"]));
    assert!(seeded.contains("--seed"), "{seeded}");
    let seeded = one_line_error(&diff(&[&trace, "fan-out", "--seed-a", "3"]));
    assert!(seeded.contains("--seed"), "{seeded}");
    let variant = one_line_error(&diff(&["fan-out", "fan-out", "--variant", "bogus"]));
    assert!(variant.contains("bogus") && variant.contains("third-service"), "{variant}");
    let variant = one_line_error(&diff(&["fan-out", "fan-out", "--variant-a", "bogus"]));
    assert!(variant.contains("bogus"), "{variant}");
    let typo = one_line_error(&diff(&["fan-outt", "fan-out"]));
    assert!(typo.contains("did you mean"), "{typo}");
    one_line_error(&diff(&["fan-out"]));
    one_line_error(&diff(&["fan-out", "fan-out", "--seed", "x"]));
}

#[test]
fn the_tui_what_if_reads_the_figures_the_diff_reads() {
    // In every lesson with a variant: the TUI's "what if" keeps the run as written, and its
    // figures are those `eventlab diff LESSON LESSON --variant V` shows for A.
    let limits = Limits::default();
    for lesson in eventlab::lessons::LESSONS {
        let (origin, scenario) = load_target(lesson.name, &limits, None).expect("loads");
        if scenario.variants.is_empty() {
            continue;
        }
        let variant = scenario.variants[0].name.clone();
        let mut app =
            App::new(origin, None, scenario, None, limits).expect("compiles").with_source(lesson.source, None);
        app.switch(1);
        assert_eq!(app.experiments.current.as_deref(), Some(variant.as_str()), "{}", lesson.name);
        let before = app.experiments.before.clone().expect("the run as written, kept");
        assert!(before.complete);

        let compute = |variant: Option<&str>| {
            compute(&Request { target: lesson.name, seed: None, variant }, &limits).expect("computes").0
        };
        let (a, b) = (compute(None), compute(Some(&variant)));
        let (a, b) = (Side::of("a", &a.run), Side::of("b", &b.run));
        assert_eq!(before.figures, Figures::of(a.model, a.analysis), "{}", lesson.name);
        let diff = Diff::new(a, b);
        for group in &diff.groups {
            for (figure, metric) in group.figures.iter().zip(Metric::PER_GROUP) {
                assert_eq!(figure.name, metric.name());
                assert_eq!(
                    figure.a,
                    before.group(&group.name).map(|g| g.get(metric)),
                    "{} {}",
                    lesson.name,
                    group.name
                );
            }
        }
        for figure in &diff.run[1..] {
            let metric = Metric::GLOBAL.into_iter().chain(Metric::PER_GROUP).find(|m| m.name() == figure.name);
            let shown = before.run_figure(metric.expect("a metric"));
            assert!(shown.is_none() || shown == figure.a, "{} {}", lesson.name, figure.name);
        }
        assert_eq!(diff.run[0].a, Some(before.steps as u64));
    }
}

fn recording(outcome: &Outcome) -> Vec<u8> {
    let mut out = Vec::new();
    jsonl::write(&mut out, outcome.sim.model(), outcome.sim.trace(), true).expect("writes to memory");
    out
}

fn side<'a>(label: &'a str, outcome: &'a Outcome) -> Side<'a> {
    Side { label, model: outcome.sim.model(), trace: outcome.sim.trace(), analysis: &outcome.analysis, complete: true }
}

proptest! {
    #![proptest_config(crate::fault_properties::config_with(24))]

    /// A generated scenario (faults and all) run twice, and read back from its recorded
    /// trace, is equal to itself: no figure, expectation, finding or step apart. And a
    /// comparison read the other way round swaps its sides.
    #[test]
    fn a_run_is_equal_to_itself_and_to_its_trace(Json(value) in generated_scenario()) {
        let limits = Limits::default();
        let run = || eventlab::run::run(parse_generated(&value), None, limits.max_steps).expect("runs");
        let (first, second) = (run(), run());
        let same = Diff::new(side("a", &first), side("b", &second));
        prop_assert!(same.equal(), "{}", eventlab::diff::render::table(&same));
        prop_assert_eq!(same.changed_figures(), 0);

        let replayed = replay(read(recording(&first).as_slice(), "t.jsonl").expect("reads back"));
        let recorded = Side {
            label: "t.jsonl",
            model: &replayed.recorded.model,
            trace: &replayed.recorded.trace,
            analysis: &replayed.analysis,
            complete: replayed.recorded.complete(),
        };
        let read_back = Diff::new(side("a", &first), recorded);
        prop_assert!(read_back.equal(), "{}", eventlab::diff::render::table(&read_back));

        // Another seed, compared both ways: the same differences, sides swapped.
        let mut other = parse_generated(&value);
        other.seed = other.seed.wrapping_add(1);
        let other = eventlab::run::run(other, None, limits.max_steps).expect("runs");
        let (ab, ba) = (Diff::new(side("a", &first), side("b", &other)), Diff::new(side("b", &other), side("a", &first)));
        prop_assert_eq!(ab.equal(), ba.equal());
        prop_assert_eq!(&ab.only_a, &ba.only_b);
        prop_assert_eq!(&ab.only_b, &ba.only_a);
        for (x, y) in ab.run.iter().chain(ab.groups.iter().flat_map(|g| &g.figures))
            .zip(ba.run.iter().chain(ba.groups.iter().flat_map(|g| &g.figures)))
        {
            prop_assert_eq!((x.name, x.a, x.b), (y.name, y.b, y.a));
        }
        let steps = |d: &Diff| d.first_difference.as_ref().map(|s| (s.a.clone(), s.b.clone()));
        prop_assert_eq!(steps(&ab), steps(&ba).map(|(a, b)| (b, a)));
    }
}
