//! How findings are listed: a retry after a failed attempt is told apart from a duplicate by a
//! crash, a rebalance or a fault, and one event's failed attempts and retries in a group are
//! one row (poison-message listed 20 findings, mostly retries). What is counted does not move:
//! the format's figures and the summary's `findings` counts are the same.

use eventlab::analysis::{Analysis, FindingClass};
use eventlab::lessons::LESSONS;
use eventlab::scenario::load::{Limits, load_str_variant};
use eventlab::trace::Trace;

fn run(lesson: &str, variant: Option<&str>) -> eventlab::run::Outcome {
    let source = eventlab::lessons::find(lesson).expect("a lesson").source;
    let scenario = load_str_variant(source, lesson, &Limits::default(), variant).expect("valid");
    eventlab::run::run(scenario, None, Limits::default().max_steps).expect("runs")
}

/// Every finding is in exactly one row; a row of retries is one event in one group, of
/// failed attempts and of deliveries after one; any other row is one finding.
fn check_rows(label: &str, a: &Analysis) {
    let mut seen = vec![0; a.findings().len()];
    for (row, r) in a.finding_rows().iter().enumerate() {
        let members: Vec<_> = a.row_findings(row).copied().collect();
        assert_eq!(members.first(), Some(&a.row_head(row)), "{label}: row {row}");
        for f in &members {
            let i = a.findings().iter().position(|g| g == f).expect("a finding");
            seen[i] += 1;
            assert_eq!(a.row_of(f), Some(row), "{label}");
        }
        if r.is_retries() {
            assert!(members.iter().all(|f| f.event == members[0].event && f.group == members[0].group), "{label}");
            let failed = members.iter().filter(|f| f.class == FindingClass::Failed).count();
            let retried = members.iter().filter(|f| f.class == FindingClass::DuplicateDelivery).count();
            assert_eq!((failed, retried, members.len()), (r.failed as usize, r.retried as usize, failed + retried));
            assert_eq!(members[0].class, FindingClass::Failed, "{label}: a retry follows a failure");
        } else {
            assert_eq!(members.len(), 1, "{label}: row {row}");
            assert_ne!(members[0].class, FindingClass::Failed, "{label}: a failure is a retry row");
        }
    }
    assert!(seen.iter().all(|&n| n == 1), "{label}: every finding in one row");
}

#[test]
fn every_lesson_and_variant_lists_each_finding_in_one_row() {
    for lesson in LESSONS {
        let base = load_str_variant(lesson.source, lesson.name, &Limits::default(), None).expect("valid");
        let mut variants: Vec<Option<String>> = vec![None];
        variants.extend(base.variants.iter().map(|v| Some(v.name.clone())));
        for variant in variants {
            let outcome = run(lesson.name, variant.as_deref());
            check_rows(&format!("{} {variant:?}", lesson.name), &outcome.analysis);
        }
    }
}

fn explain(a: &Analysis, trace: &Trace, row: usize) -> String {
    a.explain(trace, &a.row_head(row))
}

#[test]
fn poison_messages_retries_are_two_rows_and_the_figures_stay() {
    let outcome = run("poison-message", None);
    let (a, trace) = (&outcome.analysis, outcome.sim.trace());
    assert_eq!(a.findings().len(), 20);
    let rows: Vec<_> = a.finding_rows().iter().map(|r| (r.failed, r.retried)).collect();
    assert_eq!(rows, [(3, 2), (15, 0)], "poison-q in mailer, poison-log in bookkeeper");
    let queue = explain(a, trace, 0);
    assert_eq!(
        queue,
        "poison-q failed 3 times in mailer, 2.050s to 3.150s (steps 93 to 140): nacked, it was received again after \
         the retry_delay, 2 retries that duplicate_deliveries counts. Retries, not duplicates by a crash, a rebalance \
         or a fault (it failed by the handler's fail_probability)"
    );
    let log = explain(a, trace, 1);
    assert!(log.starts_with("poison-log failed 15 times in bookkeeper"), "{log}");
    assert!(log.contains("bookkeeper#2 retries it in place after its retry_delay, its partitions blocked"), "{log}");
    // A retry's own finding (the second receive) tells the same story.
    let retry = a.findings().iter().find(|f| f.class == FindingClass::DuplicateDelivery).expect("a retry");
    assert_eq!(a.explain(trace, retry), queue);
    // The summary's figures and counts, as the format defines them.
    let summary = eventlab::report::summary_json(&outcome);
    assert_eq!(summary["totals"]["duplicate_deliveries"], 2);
    assert_eq!(summary["totals"]["failed"], 18);
    assert_eq!(summary["findings"]["duplicate_deliveries"]["count"], 2);
    assert_eq!(summary["findings"]["failed"]["count"], 18);
    assert_eq!(summary["findings"]["failed"]["examples"][0]["step"], 93);
    // The summary table lists the retries, an event and group a line.
    let table = eventlab::report::summary_table(&outcome);
    assert!(
        table.contains(
            "  of them, retries after a failure (one line per event and group; not duplicates):\n    poison-q in mailer: 3 failed attempts, received 2 more times (steps 93 to 140)\n    poison-log in bookkeeper: 15 failed attempts (steps 96 to 365)\n"
        ),
        "{table}"
    );
}

#[test]
fn duplicates_by_a_crash_or_a_fault_are_not_retries() {
    for (lesson, cause) in [("crash-duplicates", "crashed"), ("idempotent-consumer", "a duplicate fault")] {
        let outcome = run(lesson, None);
        let (a, trace) = (&outcome.analysis, outcome.sim.trace());
        assert!(!a.finding_rows().is_empty());
        assert!(a.finding_rows().iter().all(|r| !r.is_retries()), "{lesson}");
        assert_eq!(a.finding_rows().len(), a.findings().len());
        let causes: Vec<String> = (0..a.finding_rows().len()).map(|r| explain(a, trace, r)).collect();
        assert!(causes.iter().any(|c| c.contains(cause)), "{lesson}: {causes:?}");
        assert!(causes.iter().all(|c| !c.contains("Retries, not duplicates")), "{lesson}");
    }
}

/// A row as of the step shown: its attempts so far.
#[test]
fn a_retry_row_counts_the_attempts_up_to_the_step_shown() {
    use eventlab::tui::App;
    use eventlab::tui::action::Action;
    let source = eventlab::lessons::find("poison-message").expect("a lesson").source;
    let scenario = load_str_variant(source, "poison-message", &Limits::default(), None).expect("valid");
    let mut app = App::new("lesson:poison-message".to_owned(), None, scenario, None, Limits::default()).expect("ok");
    app.seek_time(2_600_000);
    let rows: Vec<_> = app.analysis().finding_rows().iter().map(|r| (r.failed, r.retried)).collect();
    assert_eq!(rows, [(2, 1), (2, 0)]);
    app.apply(Action::ShowView(eventlab::tui::app::View::Checks));
    let screen = crate::snapshots::screen(&app, 120, 36);
    assert!(screen.contains(" failed ×2 · retried ×1 "), "{screen}");
    assert!(screen.contains(" findings: 2 (5 steps; an event's retries are one row)"), "{screen}");
    // Traffic says the second receive is a retry, not a duplicate.
    app.apply(Action::ShowView(eventlab::tui::app::View::Traffic));
    let screen = crate::snapshots::screen(&app, 160, 40);
    let line = screen.lines().find(|l| l.contains(" RETRY ")).unwrap_or_else(|| panic!("{screen}"));
    assert!(line.contains("poison-q") && line.contains("⚠ retry after a failure"), "{line}");
    assert!(!screen.contains("DUP-D"), "{screen}");
    // n goes from row to row, not from attempt to attempt.
    app.apply(Action::First);
    app.apply(Action::NextFinding);
    assert_eq!(app.step_number(), 93);
    app.apply(Action::NextFinding);
    assert_eq!(app.step_number(), 96);
    // As of its first step: one attempt so far (the second is the future there).
    assert!(app.message.as_deref().is_some_and(|m| m.contains("poison-log failed in bookkeeper#2 (attempt 1)")));
    app.apply(Action::NextFinding);
    assert_eq!(app.step_number(), 93, "round to the first: the later attempts are in these rows");
}
