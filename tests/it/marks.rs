//! What the lesson points at is on screen, at its moment: every fault of every lesson and
//! "what if" has its mark (on the timeline and for `[` `]`), at its own step; a mark's label
//! names the step the cursor went to; a note shows with the steps of its moment, never
//! before them; the timeline ends where the run ends.

use eventlab::lessons::LESSONS;
use eventlab::scenario::load::{Limits, load_str_variant};
use eventlab::sim::model::FaultAction;
use eventlab::trace::StepKind;
use eventlab::tui::App;
use eventlab::tui::action::Action;

/// Every lesson and each of its variants: (label, app at step 0).
fn runs() -> Vec<(String, App)> {
    let mut out = Vec::new();
    for lesson in LESSONS {
        let base = load_str_variant(lesson.source, lesson.name, &Limits::default(), None).expect("valid");
        let mut variants: Vec<Option<String>> = vec![None];
        variants.extend(base.variants.iter().map(|v| Some(v.name.clone())));
        for variant in variants {
            let scenario =
                load_str_variant(lesson.source, lesson.name, &Limits::default(), variant.as_deref()).expect("valid");
            let label = format!("{} {}", lesson.name, variant.as_deref().unwrap_or("(as written)"));
            let app = App::new(format!("lesson:{}", lesson.name), None, scenario, None, Limits::default())
                .expect("compiles")
                .with_source(lesson.source, variant);
            out.push((label, app));
        }
    }
    out
}

/// The timeline row of the screen: the glyphs of its bar, one per column.
fn bar(app: &App, width: u16) -> Vec<char> {
    let screen = crate::snapshots::screen(app, width, 30);
    let row = screen.lines().rev().nth(1).expect("a timeline row").to_owned();
    // " " then the bar, then " 10.000s".
    let bar_width = usize::from(width) - 9 - 2;
    row.chars().skip(1).take(bar_width).collect()
}

#[test]
fn every_fault_of_every_lesson_and_variant_has_its_mark_at_its_own_step() {
    let mut checked = 0;
    for (label, mut app) in runs() {
        app.apply(Action::RunToEnd);
        let steps = app.trace().steps.clone();
        let faults = app.model().faults.clone();
        let marks = app.timeline.fault_marks();
        let mut seen = Vec::new();
        for (i, fault) in faults.iter().enumerate() {
            let (step, is_own) = marks[i].unwrap_or_else(|| panic!("{label}: fault {i} has no mark"));
            let s = steps[step - 1];
            let own = match fault.action {
                FaultAction::Crash { group, .. } => Some((StepKind::Crashed, group)),
                FaultAction::Pause { group, .. } => Some((StepKind::Paused, group)),
                FaultAction::AddInstance { group } => Some((StepKind::Joined, group)),
                _ => None,
            };
            // These lessons crash, pause and add only live instances: each has a step.
            assert_eq!(is_own, own.is_some(), "{label}: fault {i}");
            if let Some((kind, group)) = own {
                assert_eq!(
                    (s.kind, s.group, s.t_us),
                    (kind, Some(group), fault.at),
                    "{label}: fault {i} at step {step}"
                );
                assert!(!seen.contains(&step), "{label}: fault {i} shares step {step} with another fault");
                seen.push(step);
            } else {
                assert!(s.t_us >= fault.at && s.kind != StepKind::Note, "{label}: fault {i}: {s:?}");
                assert!(
                    steps[..step - 1].iter().all(|p| p.t_us < fault.at || p.kind == StepKind::Note),
                    "{label}: fault {i} is in effect before step {step}"
                );
            }
            checked += 1;
        }
        // On the timeline, at the end of the run: a ✗ in each fault's column (the last
        // column is the cursor's).
        for width in [80, 140] {
            let glyphs = bar(&app, width);
            let span = app.timeline.span();
            for (i, fault) in faults.iter().enumerate() {
                let col = (u128::from(fault.at) * glyphs.len() as u128 / u128::from(span)) as usize;
                if col + 1 >= glyphs.len() {
                    continue;
                }
                assert_eq!(glyphs[col], '✗', "{label} at {width} columns: fault {i} at column {col}: {glyphs:?}");
            }
        }
    }
    assert!(checked >= 25, "only {checked} faults in the lessons");
}

#[test]
fn a_mark_says_the_step_it_is_and_notes_come_with_their_moment() {
    for (label, mut app) in runs() {
        // The steps `]` goes to, from the start, and the notes each shows that the step
        // before did not.
        let mut visited = Vec::new();
        let mut notes_at = Vec::new();
        loop {
            let before = app.step_number();
            app.apply(Action::NextMarker);
            let n = app.step_number();
            if n == before {
                break;
            }
            let message = app.message.clone().unwrap_or_default();
            assert!(message.starts_with(&format!("step {n}: ")), "{label}: at step {n}: {message}");
            visited.push(n);
            let shown = app.notes().len();
            app.apply(Action::StepBack);
            let earlier = app.notes().len();
            app.seek(n);
            if shown > earlier {
                notes_at.push((n, shown - earlier));
            }
            if message.contains(": the note of ") {
                let newest = app.notes().last().map(|(t, _)| *t).expect("a note shown");
                assert!(message.contains(&format!("the note of {}", seconds(newest))), "{label}: {message}");
                assert!(shown > earlier, "{label}: the note of step {n} showed before it");
            }
        }
        for (i, step) in app.timeline.fault_steps().into_iter().enumerate() {
            let step = step.expect("run to its end by ]");
            assert!(visited.contains(&step), "{label}: ] passes fault {i} at step {step}");
        }
        // Every note after 0 s shows at a step `]` stops at, one at a time (the note area
        // shows the newest: two at once would hide one).
        let timed = app.model().scenario.notes.iter().filter(|n| n.at.as_micros() > 0).count();
        assert_eq!(notes_at.iter().map(|(_, k)| k).sum::<usize>(), timed, "{label}: {notes_at:?}");
        assert!(notes_at.iter().all(|&(_, k)| k == 1), "{label}: two notes show at one step: {notes_at:?}");
    }
}

fn seconds(t_us: u64) -> String {
    eventlab::tui::format::seconds(t_us)
}

/// Step by step from the start: a note never shows while a step of its moment is still to
/// come (poison-message's "Both first attempts fail" showed two steps before the failures).
#[test]
fn no_note_shows_before_the_steps_of_its_moment() {
    for lesson in ["poison-message", "crash-duplicates", "order-saga", "competing-consumers"] {
        let (_, mut app) = runs().into_iter().find(|(l, _)| l.starts_with(&format!("{lesson} ("))).expect("a lesson");
        let all = {
            let mut whole = runs().into_iter().find(|(l, _)| l.starts_with(&format!("{lesson} ("))).unwrap().1;
            whole.apply(Action::RunToEnd);
            whole.trace().steps.iter().map(|s| s.t_us).collect::<Vec<_>>()
        };
        while !app.finished() {
            app.apply(Action::StepForward);
            let n = app.step_number();
            for (t, text) in app.notes() {
                assert!(
                    t == 0 || all[n..].iter().all(|&later| later > t),
                    "{lesson}: at step {n} the note of {} shows before a step of its moment: {text}",
                    seconds(t)
                );
            }
        }
        assert_eq!(app.notes().len(), app.model().scenario.notes.len(), "{lesson}: every note at the end");
    }
    // The case seen: the note of 2.050s and the two failures it tells of.
    let (_, mut app) = runs().into_iter().find(|(l, _)| l == "poison-message (as written)").expect("a lesson");
    let failed = |app: &App| app.steps().iter().filter(|s| s.kind == StepKind::Failed).count();
    while failed(&app) < 2 {
        app.apply(Action::StepForward);
    }
    assert_ne!(app.notes().last().map(|n| n.0), Some(2_050_000), "both failures shown, the moment not over");
    while app.now() <= 2_050_000 {
        app.apply(Action::StepForward);
    }
    assert_eq!(app.notes().last().map(|n| n.0), Some(2_050_000));
}

/// competing-consumers' work is done before its duration: at its end, the timeline ends
/// there; a step before, it spans the scenario's duration (where the run ends is not known
/// yet).
#[test]
fn the_timeline_ends_where_the_run_ends() {
    let (_, mut app) = runs().into_iter().find(|(l, _)| l == "competing-consumers (as written)").expect("a lesson");
    let duration = app.model().duration;
    app.apply(Action::RunToEnd);
    let end = app.now();
    assert!(end < duration * 9 / 10, "the run ends at {end} µs of {duration}");
    assert_eq!(app.timeline.span(), end);
    let screen = crate::snapshots::screen(&app, 100, 30);
    let row = screen.lines().rev().nth(1).expect("a timeline row");
    assert!(row.ends_with(&format!(" {}", seconds(end))), "{row}");
    assert!(row.contains('●') && !row.contains('─'), "the cursor at the end, nothing after it: {row}");
    app.apply(Action::StepBack);
    assert_eq!(app.timeline.span(), duration);
}

/// Faults at one microsecond each find their own step, in file order; a crash of an instance
/// already down writes no step and marks the first step it is in effect at.
#[test]
fn faults_at_one_time_each_mark_their_own_step() {
    let source = r#"{"name": "two crashes", "duration": "3s",
      "topics": [{"name": "orders", "kind": "log", "partitions": 2}],
      "producers": [{"name": "shop", "topic": "orders", "rate": 20, "arrival": "fixed",
                     "events": [{"type": "OrderCreated"}]}],
      "consumers": [{"name": "billing", "topics": ["orders"], "instances": 2, "processing": "5ms"}],
      "faults": [{"at": "1s", "crash": "billing#2"}, {"at": "1s", "crash": "billing#1"},
                 {"at": "2s", "crash": "billing#1"}, {"at": "2s", "pause": "billing#2"}]}"#;
    let scenario = eventlab::scenario::load::load_str(source, "t", &Limits::default()).expect("valid");
    let mut app = App::new("t".to_owned(), None, scenario, None, Limits::default()).expect("compiles");
    app.apply(Action::RunToEnd);
    let steps = app.trace().steps.clone();
    let marks: Vec<usize> = app.timeline.fault_steps().into_iter().map(|s| s.expect("a mark")).collect();
    let number = |step: usize| app.trace().instances[steps[step - 1].instance_idx().index()].1;
    assert_eq!((steps[marks[0] - 1].kind, number(marks[0])), (StepKind::Crashed, 2));
    assert_eq!((steps[marks[1] - 1].kind, number(marks[1])), (StepKind::Crashed, 1));
    assert!(marks[0] < marks[1], "file order");
    // billing#1 is down already at 2 s: that crash writes nothing; the pause after it in the
    // file is its first step in effect, and the pause's own.
    assert_eq!((steps[marks[3] - 1].kind, steps[marks[3] - 1].t_us), (StepKind::Paused, 2_000_000));
    assert_eq!(marks[2], marks[3]);
}
