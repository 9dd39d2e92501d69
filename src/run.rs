//! A whole run, headless: compile, simulate, analyse; or read a recorded run back and
//! analyse it the same way. The one place the pieces meet. [`signals`] stops a headless
//! run cleanly.

pub mod signals;
pub mod source;

use std::sync::{Arc, mpsc};

use crate::analysis::Analysis;
use crate::analysis::expect::Checked;
use crate::model::CompileError;
use crate::scenario::model::Scenario;
use crate::sim::{Model, SimError, Simulator};
use crate::trace::read::Recorded;
use crate::trace::{Step, StepKind, TraceDelta};

/// Why a run could not produce a result.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Compile(#[from] CompileError),
    #[error("{0}")]
    Sim(#[from] SimError),
}

/// A finished run: the simulator (with its trace), the analysis and the expectations.
pub struct Outcome {
    pub sim: Simulator,
    pub analysis: Analysis,
    pub checked: Vec<Checked>,
}

impl Outcome {
    /// Whether every expectation holds.
    pub fn passed(&self) -> bool {
        self.checked.iter().all(|c| c.passed)
    }
}

/// Runs a validated scenario to its end. `seed` overrides the scenario's.
pub fn run(scenario: Scenario, seed: Option<u64>, max_steps: u64) -> Result<Outcome, RunError> {
    let seed = seed.unwrap_or(scenario.seed);
    let model = Arc::new(Model::compile(Arc::new(scenario), seed)?);
    run_model(model, max_steps)
}

/// Runs a compiled model to its end: what [`run`] does after compiling. A model compiled
/// once can run with other seeds (a clone with another [`Model::seed`]: compiling only
/// stores the seed), which `eventlab explore` does for seeds that draw no fault.
///
/// A long run is analysed on a second thread when the machine has a second core and the
/// run's memory budget has room for the analysis's copy of the events (see
/// [`run_model_beside`]); the figures, the findings and where the run stops are the same
/// either way.
pub fn run_model(model: Arc<Model>, max_steps: u64) -> Result<Outcome, RunError> {
    let estimate = crate::scenario::validate::estimate_steps(&model.scenario);
    // The step limit is the memory budget's (or lower): a run estimated at half of it or
    // less leaves room for the copy, which holds less than the trace does.
    let roomy = estimate >= BESIDE_STEPS && estimate <= max_steps / 2;
    if roomy && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
        run_model_beside(model, max_steps)
    } else {
        run_model_inline(model, max_steps)
    }
}

/// Runs of at least this many steps (by the scenario's estimate) are worth a second
/// thread: below it, starting one costs more than it saves.
pub const BESIDE_STEPS: u64 = 200_000;

/// Steps simulated between two looks of the analysis: small enough that the steps are still
/// in the cache, large enough that the looks cost nothing. (A look comes after the agenda
/// item that reaches the count, so a chunk may hold a few more.)
const CHUNK: usize = 4096;

/// Chunks the simulator may run ahead of an analysis on another thread.
const AHEAD: usize = 16;

/// [`run_model`] on this thread alone: what `eventlab explore` runs on each of its workers,
/// which keep every core busy already.
pub fn run_model_inline(model: Arc<Model>, max_steps: u64) -> Result<Outcome, RunError> {
    let sim = Simulator::new(Arc::clone(&model), max_steps);
    run_inline(sim, Analysis::new(model))
}

/// Runs `sim` to its end with `analysis` keeping pace on this thread.
fn run_inline(mut sim: Simulator, mut analysis: Analysis) -> Result<Outcome, RunError> {
    // Analysis keeps pace in chunks: its figures depend only on the trace, so reading it in
    // chunks equals reading it step by step, and the steps are still warm in the cache.
    while sim.step_by(CHUNK)? {
        analysis.observe(sim.trace());
    }
    analysis.observe(sim.trace());
    let checked = analysis.check_all(sim.trace());
    Ok(Outcome { sim, analysis, checked })
}

/// [`run_model`] with the analysis on a second thread, which follows the simulator up to
/// [`AHEAD`] chunks behind: after each chunk of steps the simulator copies what its trace
/// appended ([`Trace::copy_since`]) to that thread, which appends all but the steps to its
/// own copy of the trace and observes the steps against it
/// ([`Analysis::observe_fresh`]). The analysis reads the same steps in the same order as on
/// one thread, with the same tables, so its figures are the same; the simulator, the longer
/// of the two, no longer waits for it. While the run lasts, the copy holds the events, the
/// payloads and the assignments a second time (the strings are shared).
///
/// A third thread touches the memory the trace's steps will fill before the simulator
/// reaches it (see [`Simulator::move_steps_into`]).
///
/// (Runs on this thread alone if no thread can be started.)
///
/// [`Trace::copy_since`]: crate::trace::Trace::copy_since
pub fn run_model_beside(model: Arc<Model>, max_steps: u64) -> Result<Outcome, RunError> {
    let mut sim = Simulator::new(Arc::clone(&model), max_steps);
    let start = sim.trace().clone();
    let mut mark = start.mark();
    let (to_analysis, deltas) = mpsc::sync_channel::<TraceDelta>(AHEAD);
    // Copies the analysis is done with come back, so their buffers are reused.
    let (to_sim, spent) = mpsc::channel::<TraceDelta>();
    let analysis_model = Arc::clone(&model);
    let follower = std::thread::Builder::new().name("eventlab-analysis".to_owned()).spawn(move || {
        let mut copy = start;
        let mut analysis = Analysis::new(analysis_model);
        for mut delta in deltas {
            let steps = delta.take_steps();
            copy.append(&mut delta);
            analysis.observe_fresh(&copy, &steps, delta.first_step());
            delta.put_back_steps(steps);
            // The simulator may be done already: then the buffer is simply dropped.
            let _ = to_sim.send(delta);
        }
        analysis
    });
    let Ok(follower) = follower else { return run_inline(sim, Analysis::new(model)) };
    // Room for the steps, touched before the simulator gets there, on a thread of its own
    // that ends when it is made: the analysis thread must not make the simulator wait
    // meanwhile. No more than the run may take, however long its estimate. (Without it,
    // the steps go where they are.)
    let (to_room, room) = mpsc::sync_channel::<Vec<Step>>(1);
    let capacity = sim.steps_capacity().min(usize::try_from(max_steps).unwrap_or(usize::MAX));
    let toucher =
        std::thread::Builder::new().name("eventlab-room".to_owned()).spawn(move || to_room.send(touched(capacity)));
    let ran = loop {
        match sim.step_by(CHUNK) {
            Ok(more) => {
                if let Ok(room) = room.try_recv() {
                    sim.move_steps_into(room);
                }
                let mut delta = spent.try_recv().unwrap_or_default();
                sim.trace().copy_since(&mut mark, &mut delta);
                // A send fails only if the analysis thread is gone (it panicked): the join
                // below reports that.
                let sent = to_analysis.send(delta).is_ok();
                if !more || !sent {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    drop(to_analysis);
    // The room is no longer taken: it is dropped when made, if it is not yet.
    drop(room);
    let analysis = follower.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    if let Ok(toucher) = toucher {
        let _ = toucher.join();
    }
    ran?;
    let checked = analysis.check_all(sim.trace());
    Ok(Outcome { sim, analysis, checked })
}

/// An empty vector with room for `capacity` steps, every page of it written once, so that
/// writing it again costs no page faults.
fn touched(capacity: usize) -> Vec<Step> {
    let mut room = Vec::with_capacity(capacity);
    room.resize(capacity, Step::new(StepKind::Note, 0));
    // The writes are the point: they must not be optimised away with the clear below.
    std::hint::black_box(&mut room);
    room.clear();
    room
}

/// A recorded run read back and analysed as a run is: the same figures, findings and
/// expectations (evaluated on the recorded trace).
pub struct Replayed {
    pub recorded: Recorded,
    pub analysis: Analysis,
    pub checked: Vec<Checked>,
}

impl Replayed {
    /// Whether every expectation holds.
    pub fn passed(&self) -> bool {
        self.checked.iter().all(|c| c.passed)
    }
}

/// Analyses a recorded run.
pub fn replay(recorded: Recorded) -> Replayed {
    let mut analysis = Analysis::new(Arc::clone(&recorded.model));
    analysis.observe(&recorded.trace);
    let checked = analysis.check_all(&recorded.trace);
    Replayed { recorded, analysis, checked }
}
