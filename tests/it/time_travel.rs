//! Time travel: simulator snapshots restore exactly, and a timeline's seeks show the same
//! analysis as a straight fold of the trace.

use std::path::Path;
use std::sync::Arc;

use eventlab::analysis::Analysis;
use eventlab::scenario::load::{Limits, load_file};
use eventlab::sim::{Model, Simulator};
use eventlab::timeline::Timeline;
use eventlab::trace::jsonl;

fn scenarios() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    files
}

fn model(path: &Path) -> Arc<Model> {
    let scenario = load_file(path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let seed = scenario.seed;
    Arc::new(Model::compile(Arc::new(scenario), seed).expect("compiles"))
}

fn bytes(sim: &Simulator) -> Vec<u8> {
    let mut out = Vec::new();
    jsonl::write(&mut out, sim.model(), sim.trace(), true).expect("writes");
    out
}

/// Restoring a snapshot taken at any point and running on gives the very same trace as
/// the straight run, byte for byte, for every scenario.
#[test]
fn restore_and_continue_equals_a_straight_run() {
    for path in scenarios() {
        let model = model(&path);
        let mut straight = Simulator::new(Arc::clone(&model), 10_000_000);
        straight.run().expect("runs");
        let expected = bytes(&straight);
        let total = straight.trace().steps.len();
        for cut in [1, total / 3, total / 2, total.saturating_sub(2)] {
            let mut sim = Simulator::new(Arc::clone(&model), 10_000_000);
            while sim.trace().steps.len() < cut && sim.step().expect("steps") {}
            let snapshot = sim.snapshot();
            sim.run().expect("runs");
            assert_eq!(bytes(&sim), expected, "{}: ran on from step {cut}", path.display());
            sim.restore(&snapshot);
            assert_eq!(sim.trace().steps.len(), snapshot.steps());
            sim.run().expect("runs");
            assert!(
                bytes(&sim) == expected,
                "{}: restored at step {} and ran on: the trace differs",
                path.display(),
                snapshot.steps()
            );
        }
    }
}

/// Seeking anywhere shows what a fresh fold of the trace up to there shows.
#[test]
fn seeks_equal_a_fresh_fold_for_every_scenario() {
    for path in scenarios() {
        let model = model(&path);
        let mut timeline = Timeline::live(Simulator::new(Arc::clone(&model), 10_000_000)).with_interval(37);
        timeline.run_to_end().expect("runs");
        let n = timeline.computed();
        for target in [n, n / 2, 3 * n / 4, n / 5, 1, 0, n - 1, n / 2 + 1] {
            timeline.seek(target);
            assert_eq!(timeline.cursor(), target);
            assert_eq!(timeline.steps().len(), target);
            let mut fresh = Analysis::new(Arc::clone(&model));
            fresh.observe_until(timeline.trace(), target);
            let shown = timeline.analysis();
            let view = |a: &Analysis| {
                format!("{:?}", (a.observed(), a.findings(), a.instances(), a.total_lag(), a.notes(), a.published()))
            };
            assert_eq!(view(shown), view(&fresh), "{} at step {target}", path.display());
            for g in 0..model.groups.len() {
                assert_eq!(shown.group(g), fresh.group(g), "{} group {g} at step {target}", path.display());
                assert_eq!(shown.lag_history(g), fresh.lag_history(g));
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Back(usize),
    Forward(usize),
    Seek(f64),
    Play(u64),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (1usize..40).prop_map(Op::Back),
        (1usize..40).prop_map(Op::Forward),
        (0.0f64..=1.0).prop_map(Op::Seek),
        (1u64..2_000_000).prop_map(Op::Play),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    /// Any walk through a run (steps back and forth, seeks, playing on) shows at every
    /// point what a fresh fold of the trace up to the cursor shows, and the trace itself
    /// is the straight run's.
    #[test]
    fn any_walk_shows_the_fold_at_the_cursor(
        lesson in proptest::sample::select(vec!["crash-duplicates", "poison-message", "late-joiner", "competing-consumers"]),
        interval in 1usize..200,
        ops in proptest::collection::vec(op(), 1..25),
    ) {
        let source = eventlab::lessons::find(lesson).expect("a lesson").source;
        let scenario = eventlab::scenario::load::load_str(source, lesson, &Limits::default()).expect("valid");
        let seed = scenario.seed;
        let model = Arc::new(Model::compile(Arc::new(scenario), seed).expect("compiles"));
        let mut straight = Simulator::new(Arc::clone(&model), 10_000_000);
        straight.run().expect("runs");
        let mut t = Timeline::live(Simulator::new(Arc::clone(&model), 10_000_000)).with_interval(interval);
        for op in ops {
            match op {
                Op::Back(n) => (0..n).for_each(|_| t.step_back()),
                Op::Forward(n) => {
                    for _ in 0..n {
                        t.step_forward().expect("steps");
                    }
                }
                Op::Seek(f) => t.seek((f * t.computed() as f64) as usize),
                Op::Play(us) => {
                    let target = t.now() + us;
                    t.advance_to(target, usize::MAX).expect("plays");
                    proptest::prop_assert!(t.steps().last().is_none_or(|s| s.t_us <= target));
                }
            }
            let mut fresh = Analysis::new(Arc::clone(&model));
            fresh.observe_until(t.trace(), t.cursor());
            let shown = t.analysis();
            proptest::prop_assert_eq!(shown.observed(), t.cursor());
            proptest::prop_assert_eq!(shown.findings(), fresh.findings());
            proptest::prop_assert_eq!(shown.instances(), fresh.instances());
            proptest::prop_assert_eq!(shown.total_lag(), fresh.total_lag());
            for g in 0..model.groups.len() {
                proptest::prop_assert_eq!(shown.group(g), fresh.group(g));
            }
            let n = t.computed();
            proptest::prop_assert_eq!(&t.trace().steps[..], &straight.trace().steps[..n]);
        }
    }
}
