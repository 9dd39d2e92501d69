//! The built-in lessons: each one validates, runs with its expectations holding, and is
//! written for a learner (a description, notes the TUI can show, a `$schema` for editors).

use std::path::Path;

use eventlab::analysis::expect::Checked;
use eventlab::lessons::LESSONS;
use eventlab::scenario::load::{Limits, load_str, load_str_variant};
use eventlab::scenario::model::{Expectation, Metric, Note, Scenario};
use eventlab::trace::jsonl::{Namer, step_json};
use serde_json::Value;

/// The note area grows to five lines at most: this many characters (after the "note
/// 12.345s" label) fit an 80-column terminal; a longer note is cut off on screen (write two
/// notes instead).
const NOTE_MAX_CHARS: usize = 320;

fn load(name: &str, source: &str) -> Scenario {
    load_str(source, &format!("lesson:{name}"), &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn there_are_at_least_twelve_lessons_and_every_file_is_one() {
    assert!(LESSONS.len() >= 12, "only {} lessons", LESSONS.len());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_string_lossy().strip_suffix(".json").map(str::to_owned))
        .collect();
    files.sort();
    let mut listed: Vec<String> = LESSONS.iter().map(|l| l.name.to_owned()).collect();
    listed.sort();
    assert_eq!(files, listed, "scenarios/*.json and lessons::LESSONS must list the same lessons");
}

#[test]
fn every_lesson_runs_with_its_expectations_holding() {
    for lesson in LESSONS {
        let scenario = load(lesson.name, lesson.source);
        assert!(!scenario.expect.is_empty(), "{}: no expectations", lesson.name);
        let outcome = eventlab::run::run(scenario, None, Limits::default().max_steps).expect("runs");
        let failed: Vec<String> = outcome
            .checked
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{} (actual {})", c.describe(), c.actual))
            .collect();
        assert!(failed.is_empty(), "{}: expectations failed: {failed:?}", lesson.name);
    }
}

#[test]
fn every_lesson_is_written_for_a_learner() {
    for lesson in LESSONS {
        let name = lesson.name;
        let scenario = load(name, lesson.source);
        assert!(!scenario.name.trim().is_empty() && scenario.name.len() <= 70, "{name}: a short title, please");
        assert!(scenario.description.len() >= 80, "{name}: the description says what the lesson teaches");
        assert_eq!(scenario.schema.as_deref(), Some("../assets/scenario.schema.json"), "{name}: $schema");
        assert!(scenario.notes.len() >= 3, "{name}: at least three notes (what to watch, predict, try next)");
        check_notes(name, &scenario.notes, &scenario);
    }
}

/// Notes the TUI can show: the first at 0 s, one at a time, within the run, short enough.
fn check_notes(name: &str, notes: &[Note], scenario: &Scenario) {
    assert_eq!(notes[0].at.as_micros(), 0, "{name}: the first note is there when the lesson opens");
    for pair in notes.windows(2) {
        // The TUI shows the latest note: two notes at one time would hide the first.
        assert!(pair[0].at < pair[1].at, "{name}: notes at {:?} and {:?}", pair[0].at, pair[1].at);
    }
    for note in notes {
        assert!(note.at <= scenario.duration, "{name}: a note after the end is never shown");
        let chars = note.text.chars().count();
        assert!(chars <= NOTE_MAX_CHARS, "{name}: the note at {:?} has {chars} characters", note.at);
        // A note never sends the learner out of the TUI: `v` runs a what if, `c` copies the
        // lesson to a file to edit, `w` writes the trace.
        for outside in ["eventlab run", "eventlab replay", "--variant", "--trace", "--headless"] {
            assert!(!note.text.contains(outside), "{name}: the note at {:?} says {outside:?}: {}", note.at, note.text);
        }
    }
}

/// Every lesson has a "what if" experiment, and each one is a lesson of its own: it says
/// what it changes, has its own expectations (the reveal) and notes, and they hold.
#[test]
fn every_variant_runs_with_its_expectations_holding() {
    for lesson in LESSONS {
        let base = load(lesson.name, lesson.source);
        assert!(!base.variants.is_empty(), "{}: no variant", lesson.name);
        for variant in &base.variants {
            let name = format!("{} --variant {}", lesson.name, variant.name);
            assert!(!variant.description.trim().is_empty(), "{name}: no description");
            assert!(variant.change.contains_key("expect"), "{name}: a variant states its own expectations");
            assert!(variant.change.contains_key("notes"), "{name}: a variant has notes of its own");
            let scenario = load_str_variant(lesson.source, &name, &Limits::default(), Some(&variant.name))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(scenario.name, format!("{} (what if: {})", base.name, variant.name));
            assert!(scenario.variants.is_empty());
            check_notes(&name, &scenario.notes, &scenario);
            let outcome = eventlab::run::run(scenario, None, Limits::default().max_steps).expect("runs");
            let failed: Vec<String> = outcome
                .checked
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{} (actual {})", c.describe(), c.actual))
                .collect();
            assert!(failed.is_empty(), "{name}: expectations failed: {failed:?}");
        }
    }
}

/// A variant that changes a consumer sees the very same traffic: the "what if" compares
/// like with like (duplicate effects 4 → 0 on the same 80 orders).
#[test]
fn a_variant_that_changes_consumers_sees_the_same_events() {
    let lesson = eventlab::lessons::find("crash-duplicates").unwrap();
    let run = |variant: Option<&str>| {
        let scenario = load_str_variant(lesson.source, "x", &Limits::default(), variant).unwrap();
        let outcome = eventlab::run::run(scenario, None, Limits::default().max_steps).unwrap();
        let namer = Namer { model: outcome.sim.model(), trace: outcome.sim.trace() };
        let orders: Vec<Value> = outcome
            .sim
            .trace()
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| Value::Object(step_json(&namer, i as u64 + 1, s)))
            .filter(|s| s["kind"] == "published" && s["topic"] == "orders")
            .map(|s| serde_json::json!([s["event"], s["t_us"], s["partition"], s["offset"], s["data"]]))
            .collect();
        let duplicates = eventlab::report::summary_json(&outcome)["groups"]["billing"]["duplicate_effects"].clone();
        (orders, duplicates)
    };
    let (before, duplicates_before) = run(None);
    let (after, duplicates_after) = run(Some("idempotent-billing"));
    assert_eq!(before.len(), 80);
    assert_eq!(before, after);
    assert_eq!((duplicates_before, duplicates_after), (4.into(), 0.into()));
}

/// The words of a description: numbers stay whole (`27`, `2.5`).
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '.'))
        .map(|w| w.trim_end_matches('.'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// What an expectation's target reads as a word (`30`), when it is a number.
fn target(e: &Expectation) -> Option<String> {
    let n = match &e.equals {
        Some(v) => v.as_f64()?,
        None => e.at_most.or(e.at_least)?,
    };
    Some(if n.fract() == 0.0 { format!("{}", n as i64) } else { format!("{n}") })
}

/// Predict, then reveal: the picker and `eventlab lessons` show the descriptions before the
/// lesson runs, so they pose the question and never quote the outcome: no `before → after`
/// figures, no exact figure an expectation is to equal (published counts are the lesson's
/// input, a bound such as `≤ 5` is no answer, and 0 and 1 are too common a word to tell),
/// and a variant's description none of the figures it changes.
#[test]
fn descriptions_pose_the_question_not_the_answer() {
    let answers = |expect: &[Expectation]| -> Vec<String> {
        expect
            .iter()
            .filter(|e| e.metric != Some(Metric::Published) && e.equals.is_some())
            .filter_map(target)
            .filter(|t| t != "0" && t != "1")
            .collect()
    };
    let subject =
        |e: &Expectation| Checked { expect: e.clone(), passed: false, actual: Value::Null }.describe_target(false);
    for lesson in LESSONS {
        let base = load(lesson.name, lesson.source);
        let mut texts = vec![(lesson.name.to_owned(), base.description.clone(), answers(&base.expect))];
        for variant in &base.variants {
            let name = format!("{} --variant {}", lesson.name, variant.name);
            let scenario = load_str_variant(lesson.source, &name, &Limits::default(), Some(&variant.name))
                .unwrap_or_else(|e| panic!("{e}"));
            // The targets the variant changes: its answer.
            let changed: Vec<Expectation> = scenario
                .expect
                .iter()
                .filter(|e| !base.expect.iter().any(|b| subject(b) == subject(e) && target(b) == target(e)))
                .cloned()
                .collect();
            texts.push((name, variant.description.clone(), answers(&changed)));
        }
        for (name, text, answers) in texts {
            assert!(!text.contains('→'), "{name}: the description quotes a before → after: {text}");
            for word in words(&text) {
                assert!(!answers.iter().any(|a| a == word), "{name}: the description says {word}, an answer: {text}");
            }
        }
    }
}
