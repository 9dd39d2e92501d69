//! A whole run, headless: compile, simulate, analyse; or read a recorded run back and
//! analyse it the same way. The one place the pieces meet. [`signals`] stops a headless
//! run cleanly.

pub mod signals;
pub mod source;

use std::sync::Arc;

use crate::analysis::Analysis;
use crate::analysis::expect::Checked;
use crate::model::CompileError;
use crate::scenario::model::Scenario;
use crate::sim::{Model, SimError, Simulator};
use crate::trace::read::Recorded;

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
pub fn run_model(model: Arc<Model>, max_steps: u64) -> Result<Outcome, RunError> {
    let mut sim = Simulator::new(Arc::clone(&model), max_steps);
    let mut analysis = Analysis::new(model);
    // Analysis keeps pace in chunks: its figures depend only on the trace, so reading it in
    // chunks equals reading it step by step, and the steps are still warm in the cache.
    while sim.step_by(4096)? {
        analysis.observe(sim.trace());
    }
    analysis.observe(sim.trace());
    let checked = analysis.check_all(sim.trace());
    Ok(Outcome { sim, analysis, checked })
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
