//! Where a whole run comes from, for the commands that read one (`export`, `diff`): a
//! recorded trace, a scenario file, or a built-in lesson, resolved as `run` resolves its
//! target (an existing path wins over a lesson's name) and computed to its end.

use std::io::Read as _;
use std::path::Path;

use crate::lessons;
use crate::scenario::limits::Limits;
use crate::scenario::load::{load_file_variant, load_str_variant};
use crate::scenario::model::Scenario;

use super::{Outcome, Replayed};

/// A computed run, with the name it was given by.
pub struct Source {
    /// The file or lesson it came from, as messages name it (`fan-out`, `runs/a.jsonl`).
    pub origin: String,
    pub run: Computed,
}

/// A run computed from a scenario, or a recorded one read back.
pub enum Computed {
    Run(Box<Outcome>),
    Replay(Box<Replayed>),
}

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct Request<'a> {
    /// A trace (`.jsonl`, or any file whose first line is a trace header), a scenario file,
    /// or a lesson's name.
    pub target: &'a str,
    /// Overrides the scenario's seed (refused for a trace: it was recorded with its own).
    pub seed: Option<u64>,
    /// One of the scenario's "what if" variants (refused for a trace).
    pub variant: Option<&'a str>,
}

/// Whether the file at `path` is a recorded trace: its first line is a trace header, whose
/// first key comes first.
pub fn is_trace(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut first = Vec::new();
    let _ = file.take(64).read_to_end(&mut first);
    first.starts_with(br#"{"eventlab_trace""#)
}

/// Loads a scenario file, or a built-in lesson when no such path exists, and applies
/// `variant`: `(origin, scenario)`. The error is one line, for exit code 2.
pub fn load_target(target: &str, limits: &Limits, variant: Option<&str>) -> Result<(String, Scenario), String> {
    let path = Path::new(target);
    if path.exists() {
        return load_file_variant(path, limits, variant).map(|s| (target.to_owned(), s)).map_err(|e| e.to_string());
    }
    if let Some(lesson) = lessons::find(target) {
        return load_str_variant(lesson.source, &lesson.origin(), limits, variant)
            .map(|s| (lesson.origin(), s))
            .map_err(|e| e.to_string());
    }
    let hint = crate::scenario::suggest::did_you_mean(target, lessons::LESSONS.iter().map(|l| l.name));
    Err(format!("{target}: no such file or built-in lesson{hint} (`eventlab lessons` lists them)"))
}

/// Resolves and computes `request`. The error is one line, for exit code 2. A cut trace
/// (no `end` line) is read as far as it goes; its warning is the second value.
pub fn compute(request: &Request<'_>, limits: &Limits) -> Result<(Source, Option<String>), String> {
    let path = Path::new(request.target);
    if path.is_file() && is_trace(path) {
        if request.seed.is_some() || request.variant.is_some() {
            return Err(format!(
                "{}: a recorded trace is one run: --seed and --variant apply to scenarios and lessons",
                request.target
            ));
        }
        let recorded = crate::trace::read::read_file(path).map_err(|e| e.to_string())?;
        let warning = recorded.truncated.map(|cut| cut.warning(request.target));
        let run = Computed::Replay(Box::new(super::replay(recorded)));
        return Ok((Source { origin: request.target.to_owned(), run }, warning));
    }
    let (origin, scenario) = load_target(request.target, limits, request.variant)?;
    let outcome = super::run(scenario, request.seed, limits.step_cap()).map_err(|e| format!("{origin}: {e}"))?;
    Ok((Source { origin, run: Computed::Run(Box::new(outcome)) }, None))
}

impl Computed {
    /// Whether every expectation holds.
    pub fn passed(&self) -> bool {
        match self {
            Computed::Run(outcome) => outcome.passed(),
            Computed::Replay(replayed) => replayed.passed(),
        }
    }
}
