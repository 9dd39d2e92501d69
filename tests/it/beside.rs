//! A long run's analysis runs on a second thread, a chunk behind the simulator
//! (`run::run_model_beside`): its figures, findings and expectations must be what the same
//! run analysed on one thread gives, whatever the scenario.

use std::path::Path;
use std::sync::Arc;

use eventlab::lessons::LESSONS;
use eventlab::report::summary_json;
use eventlab::run::{Outcome, run_model_beside, run_model_inline};
use eventlab::scenario::load::{Limits, load_file, load_str};
use eventlab::scenario::model::Scenario;
use eventlab::sim::Model;

fn both(scenario: Scenario) -> (Outcome, Outcome) {
    let model = Arc::new(Model::compile(Arc::new(scenario), 7).expect("compiles"));
    let max = Limits::default().max_steps;
    let inline = run_model_inline(Arc::clone(&model), max).expect("runs");
    let beside = run_model_beside(model, max).expect("runs");
    (inline, beside)
}

fn assert_same(name: &str, (inline, beside): &(Outcome, Outcome)) {
    assert_eq!(summary_json(inline), summary_json(beside), "{name}: the figures differ");
    // Everything the analysis holds: lag history, notes, every finding, open sagas ...
    assert!(format!("{:?}", inline.analysis) == format!("{:?}", beside.analysis), "{name}: the analyses differ");
    let verdicts = |o: &Outcome| o.checked.iter().map(|c| (c.passed, format!("{c:?}"))).collect::<Vec<_>>();
    assert_eq!(verdicts(inline), verdicts(beside), "{name}: the expectations differ");
    assert!(inline.sim.trace().steps == beside.sim.trace().steps, "{name}: the steps differ");
}

#[test]
fn every_lesson_and_scenario_gives_the_same_analysis_on_a_second_thread() {
    for lesson in LESSONS {
        let scenario =
            load_str(lesson.source, &format!("lesson:{}", lesson.name), &Limits::default()).expect("a lesson loads");
        assert_same(lesson.name, &both(scenario));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".json") && !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    assert!(files.len() > 40, "{} scenario files", files.len());
    for file in files {
        let scenario = load_file(&file, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_same(&file.display().to_string(), &both(scenario));
    }
}

/// The benchmark workload, shortened to `duration`, with a crash and a restart (rebalances:
/// new assignments), an added instance (a new instance) and a duplicate fault.
fn busy_shop(duration: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/busy-shop.json");
    let mut value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["duration"] = duration.into();
    value["faults"] = serde_json::json!([
        {"at": "500ms", "crash": "billing#2", "restart_after": "300ms"},
        {"at": "1s", "add_instance": "analytics"},
        {"at": "1500ms", "duplicate": "orders", "probability": 0.2, "for": "500ms"}
    ]);
    load_str(&value.to_string(), "busy-shop-short", &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_run_stopped_by_its_step_limit_stops_alike_on_a_second_thread() {
    let model = Arc::new(Model::compile(Arc::new(busy_shop("3s")), 7).expect("compiles"));
    let inline = run_model_inline(Arc::clone(&model), 30_000).err().expect("stopped").to_string();
    let beside = run_model_beside(model, 30_000).err().expect("stopped").to_string();
    assert_eq!(inline, beside);
    assert!(inline.contains("passed 30000 steps"), "{inline}");
}

#[test]
fn touched_room_for_the_steps_is_taken_only_when_it_holds_them() {
    let model = Arc::new(Model::compile(Arc::new(busy_shop("1s")), 7).expect("compiles"));
    let mut sim = eventlab::sim::Simulator::new(Arc::clone(&model), u64::MAX);
    sim.step_by(1000).expect("runs");
    let before = sim.trace().steps.clone();
    // Not empty, or too small: not taken.
    sim.move_steps_into(vec![eventlab::trace::Step::new(eventlab::trace::StepKind::Note, 0)]);
    sim.move_steps_into(Vec::with_capacity(10));
    assert!(sim.trace().steps == before);
    let mut room = Vec::with_capacity(sim.steps_capacity());
    room.push(before[0]);
    room.clear();
    let address = room.as_ptr();
    sim.move_steps_into(room);
    assert_eq!(sim.trace().steps.as_ptr(), address, "taken");
    assert!(sim.trace().steps == before, "the same steps");
    sim.run().expect("runs");
    let mut fresh = eventlab::sim::Simulator::new(model, u64::MAX);
    fresh.run().expect("runs");
    assert!(sim.trace().steps == fresh.trace().steps, "the run goes on as if nothing moved");
}

#[test]
fn a_run_of_many_chunks_with_rebalances_gives_the_same_analysis_on_a_second_thread() {
    // Tens of thousands of steps: the analysis follows through many hand-overs of strings,
    // payloads, events, steps, assignments and instances.
    let runs = both(busy_shop("3s"));
    assert!(runs.0.sim.trace().steps.len() > 20 * 4096, "{} steps", runs.0.sim.trace().steps.len());
    assert!(runs.0.sim.trace().assignments.len() > 4, "rebalances happened");
    assert!(runs.0.sim.trace().instances.len() > 26, "an instance was added");
    assert_same("busy-shop-short", &runs);
}

#[test]
fn a_copy_that_follows_by_deltas_is_the_trace() {
    // A lesson with keys, payloads, emits, a crash and a restart (rebalances), followed
    // a few steps at a time: the copy writes the same JSON Lines, at every hand-over.
    let lesson = eventlab::lessons::find("crash-duplicates").expect("a lesson");
    let scenario = load_str(lesson.source, "lesson", &Limits::default()).expect("loads");
    let model = Arc::new(Model::compile(Arc::new(scenario), 3).expect("compiles"));
    let mut sim = eventlab::sim::Simulator::new(Arc::clone(&model), u64::MAX);
    let mut copy = sim.trace().clone();
    let mut mark = copy.mark();
    let mut delta = eventlab::trace::TraceDelta::default();
    let text = |trace: &eventlab::trace::Trace| {
        let mut out = Vec::new();
        eventlab::trace::jsonl::write(&mut out, &model, trace, true).expect("writes");
        String::from_utf8(out).expect("UTF-8")
    };
    let mut handovers = 0;
    while sim.step_by(7).expect("runs") {
        sim.trace().copy_since(&mut mark, &mut delta);
        copy.append(&mut delta);
        assert_eq!(text(&copy), text(sim.trace()), "after {} steps", copy.steps.len());
        assert_eq!(copy.strings.len(), sim.trace().strings.len());
        handovers += 1;
    }
    sim.trace().copy_since(&mut mark, &mut delta);
    copy.append(&mut delta);
    assert_eq!(text(&copy), text(sim.trace()));
    assert!(handovers > 10 && !copy.assignments.is_empty(), "{handovers} hand-overs");
}
