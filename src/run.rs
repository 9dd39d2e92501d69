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
/// A long run (an estimate of [`BESIDE_STEPS`] steps or more) is analysed on a second
/// thread when the machine has a second core (see [`run_model_beside`]); the figures are
/// the same either way.
pub fn run_model(model: Arc<Model>, max_steps: u64) -> Result<Outcome, RunError> {
    let long = crate::scenario::validate::estimate_steps(&model.scenario) >= BESIDE_STEPS;
    if long && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
        run_model_beside(model, max_steps)
    } else {
        run_model_inline(model, max_steps)
    }
}

/// Runs of at least this many steps (by the scenario's estimate) are worth a second
/// thread: below it, starting one costs more than it saves.
pub const BESIDE_STEPS: u64 = 200_000;

/// Steps simulated between two looks of the analysis: small enough that the steps are still
/// in the cache, large enough that the looks cost nothing.
const CHUNK: usize = 4096;

/// Chunks the simulator may run ahead of an analysis on another thread.
const AHEAD: usize = 16;

/// [`run_model`] on this thread alone: what `eventlab explore` runs on each of its workers,
/// which keep every core busy already.
pub fn run_model_inline(model: Arc<Model>, max_steps: u64) -> Result<Outcome, RunError> {
    let mut sim = Simulator::new(Arc::clone(&model), max_steps);
    let mut analysis = Analysis::new(model);
    // Analysis keeps pace in chunks: its figures depend only on the trace, so reading it in
    // chunks equals reading it step by step, and the steps are still warm in the cache.
    while sim.step_by(CHUNK)? {
        analysis.observe(sim.trace());
    }
    analysis.observe(sim.trace());
    let checked = analysis.check_all(sim.trace());
    Ok(Outcome { sim, analysis, checked })
}

/// [`run_model`] with the analysis on a second thread, which follows the simulator a chunk
/// behind: after each chunk of steps the simulator copies what its trace appended
/// ([`Trace::copy_since`]) to that thread, which appends it to its own copy of the trace
/// and observes that. The analysis reads the same steps in the same order as on one
/// thread, so its figures are the same; the simulator, the longer of the two, no longer
/// waits for it. (Falls back to one thread if no thread can be started.)
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
    // Room for the steps, touched before the simulator needs it (see
    // [`Simulator::move_steps_into`]).
    let (to_room, room) = mpsc::sync_channel::<Vec<Step>>(1);
    let capacity = sim.steps_capacity();
    // On a thread of its own, which ends when the room is made: the analysis thread must not
    // make the simulator wait meanwhile. (Without it, the steps go where they are.)
    let _ = std::thread::Builder::new().name("eventlab-room".to_owned()).spawn(move || {
        let _ = to_room.send(touched(capacity));
    });
    let follower = std::thread::Builder::new().name("eventlab-analysis".to_owned()).spawn(move || {
        // The copy keeps every table whole but the steps, which it drops once read: the
        // run's memory grows by a copy of its events, not of its steps too.
        let mut copy = start;
        let mut analysis = Analysis::new(analysis_model);
        for mut delta in deltas {
            copy.steps.clear();
            copy.append(&mut delta);
            analysis.observe_fresh(&copy);
            // The simulator may be done already: then the buffer is simply dropped.
            let _ = to_sim.send(delta);
        }
        analysis
    });
    let Ok(follower) = follower else { return run_model_inline(model, max_steps) };
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
    let analysis = follower.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    ran?;
    let checked = analysis.check_all(sim.trace());
    Ok(Outcome { sim, analysis, checked })
}

/// An empty vector of `capacity` steps whose memory was written once, so writing it again
/// costs no page faults.
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
