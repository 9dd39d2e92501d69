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
    jsonl::write(&mut out, sim.model(), sim.trace()).expect("writes");
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
