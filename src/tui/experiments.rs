//! "What if" experiments inside the TUI: the scenario's variants in a menu (`v`); choosing
//! one finishes the current run, keeps its figures, and restarts on the variant, so the
//! Checks view can show each figure before → after. Predict, then play.

use std::sync::Arc;

use crate::analysis::{Analysis, GroupMetrics};
use crate::diff::Figures;
use crate::scenario::load::{Limits, load_str, load_str_variant};
use crate::scenario::model::{Expectation, Metric};
use crate::sim::Model;
use crate::trace::Trace;

/// The experiments a run can switch between.
#[derive(Clone, Debug, Default)]
pub struct Experiments {
    /// The scenario's text as loaded, variants included (a variant is applied to it).
    source: Option<Arc<str>>,
    /// Name and description of each variant, in the file's order.
    pub variants: Vec<(String, String)>,
    /// The variant running (`None`: the scenario as written).
    pub current: Option<String>,
    /// The menu, when open: the highlighted row (0 is the scenario as written).
    pub menu: Option<usize>,
    /// The figures of the run before the last switch.
    pub before: Option<Before>,
}

/// A finished (or stopped) run's figures, to compare the next run with.
#[derive(Clone)]
pub struct Before {
    /// "as written" or the variant's name.
    pub label: String,
    /// Whether the run had reached its end.
    pub complete: bool,
    pub steps: usize,
    /// Its figures, read as `eventlab diff` reads them ([`crate::diff::Figures`]).
    pub figures: Figures,
    /// The run itself (model, trace, analysis at its end), to read any expectation in it.
    finished: Arc<(Arc<Model>, Trace, Analysis)>,
}

impl std::fmt::Debug for Before {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Before").field("label", &self.label).field("complete", &self.complete).finish_non_exhaustive()
    }
}

impl Before {
    /// The figures of a finished (or stopped) run, kept whole to compare with.
    pub fn of(label: String, complete: bool, (model, trace, analysis): (Arc<Model>, Trace, Analysis)) -> Self {
        let figures = Figures::of(&model, &analysis);
        Before { label, complete, steps: figures.steps, figures, finished: Arc::new((model, trace, analysis)) }
    }

    /// What expectation `e` (of the run now) reads in the run before; `None` when it names
    /// a group or topic that run did not have.
    pub fn expectation(&self, e: &Expectation) -> Option<serde_json::Value> {
        let (model, trace, analysis) = &*self.finished;
        crate::diff::expectation(model, trace, analysis, e).map(|c| c.actual)
    }

    /// A run-wide figure of the run before, if it showed that one.
    pub fn run_figure(&self, metric: Metric) -> Option<u64> {
        self.figures.run_figure(metric)
    }

    pub fn group(&self, name: &str) -> Option<&GroupMetrics> {
        self.figures.group(name)
    }
}

impl Experiments {
    /// The experiments of a scenario given as text (none when it does not load: the app
    /// runs whatever it was given, and a reload shows the problem).
    pub fn new(source: &str, origin: &str, current: Option<String>) -> Self {
        let variants = load_str(source, origin, &Limits::default())
            .map(|s| s.variants.iter().map(|v| (v.name.clone(), v.description.clone())).collect())
            .unwrap_or_default();
        Experiments { source: Some(Arc::from(source)), variants, current, menu: None, before: None }
    }

    /// The scenario's text, when the run has one (a lesson, a file; not a replayed trace).
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The label of the running experiment.
    pub fn label(&self) -> String {
        self.current.clone().unwrap_or_else(|| "as written".to_owned())
    }

    /// The variant on row `row` of the menu (`None`: as written).
    pub fn choice(&self, row: usize) -> Option<String> {
        row.checked_sub(1).and_then(|i| self.variants.get(i)).map(|(name, _)| name.clone())
    }

    /// The menu's row of the running experiment.
    pub fn current_row(&self) -> usize {
        self.current.as_ref().and_then(|c| self.variants.iter().position(|(n, _)| n == c)).map_or(0, |i| i + 1)
    }

    /// Loads the scenario with `variant` applied, within the app's `limits`.
    pub fn load(
        &self,
        origin: &str,
        limits: &Limits,
        variant: Option<&str>,
    ) -> Result<crate::scenario::model::Scenario, String> {
        let source = self.source.as_deref().ok_or("this run has no scenario text to apply a variant to")?;
        load_str_variant(source, origin, limits, variant).map_err(|e| e.to_string())
    }

    /// A new text of the scenario (hot reload): the variants are read again.
    pub fn set_source(&mut self, source: &str, origin: &str) {
        let current = self.current.take();
        let before = self.before.take();
        *self = Experiments::new(source, origin, current);
        self.before = before;
    }
}
