//! `run::source`: a run from a trace, a scenario file or a lesson.

use eventlab::run::source::{Computed, Request, compute, is_trace};
use eventlab::scenario::limits::Limits;

#[test]
fn a_lesson_and_its_recorded_trace_give_the_same_summary() {
    let limits = Limits::default();
    let request = Request { target: "fan-out", ..Request::default() };
    let (lesson, warning) = compute(&request, &limits).unwrap();
    assert!(warning.is_none());
    let Computed::Run(outcome) = &lesson.run else { panic!("a lesson is run") };
    let dir = std::env::temp_dir().join(format!("eventlab-source-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fan-out.jsonl");
    let target = eventlab::trace::file::Target::resolve(&path).unwrap();
    target.write(outcome.sim.model(), outcome.sim.trace(), true).unwrap();
    assert!(is_trace(&path));
    let text = path.to_str().unwrap();
    let (replayed, _) = compute(&Request { target: text, ..Request::default() }, &limits).unwrap();
    assert!(matches!(replayed.run, Computed::Replay(_)));
    assert_eq!(
        eventlab::report::summary_json(&lesson.run)["totals"],
        eventlab::report::summary_json(&replayed.run)["totals"]
    );
    let refused = compute(&Request { target: text, seed: Some(3), variant: None }, &limits);
    assert!(refused.is_err_and(|e| e.contains("--seed")));
    assert!(
        compute(&Request { target: "fan-outt", ..Request::default() }, &limits)
            .is_err_and(|e| e.contains("did you mean"))
    );
    let _ = std::fs::remove_dir_all(dir);
}
