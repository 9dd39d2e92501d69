//! The built-in lessons: each one validates, runs with its expectations holding, and is
//! written for a learner (a description, notes the TUI can show, a `$schema` for editors).

use std::path::Path;

use eventlab::lessons::LESSONS;
use eventlab::scenario::load::{Limits, load_str};
use eventlab::scenario::model::Scenario;

/// The note area shows three lines at 120 columns, after a 14-column "note 12.345s" label;
/// a longer note is cut off on screen (write two notes instead).
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
        let notes = &scenario.notes;
        assert!(notes.len() >= 3, "{name}: at least three notes (what to watch, predict, try next)");
        assert_eq!(notes[0].at.as_micros(), 0, "{name}: the first note is there when the lesson opens");
        for pair in notes.windows(2) {
            // The TUI shows the latest note: two notes at one time would hide the first.
            assert!(pair[0].at < pair[1].at, "{name}: notes at {:?} and {:?}", pair[0].at, pair[1].at);
        }
        for note in notes {
            assert!(note.at <= scenario.duration, "{name}: a note after the end is never shown");
            let chars = note.text.chars().count();
            assert!(chars <= NOTE_MAX_CHARS, "{name}: the note at {:?} has {chars} characters", note.at);
        }
    }
}

#[test]
fn the_schema_reference_resolves_from_the_lessons_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    assert!(dir.join("../assets/scenario.schema.json").is_file());
}
