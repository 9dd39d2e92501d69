//! Two runs compared: every figure before → after, the expectations' values on both sides,
//! the findings of one run only, and the first step where the traces part. `eventlab diff`
//! prints it ([`render`]); the TUI's "what if" and hot-reload comparisons read their figures
//! through [`Figures`], so the two cannot disagree on a figure.
//!
//! It reads what a run is made of (model, trace, analysis), as [`crate::report`] does, but
//! sits a layer below `report` and `tui` so that the TUI can use it.
//!
//! Runs are compared by what happened, not by how they are stored: groups by name (a
//! variant may add or remove one), findings by class, event id, group and the kind of their
//! step (not by step number: one extra step early on shifts every later number), steps by
//! their content as the trace's JSON Lines render it (names, ids and values, not indices),
//! so that two runs of different scenarios compare too.

pub mod render;
mod steps;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::analysis::expect::Checked;
use crate::analysis::{Analysis, Finding, FindingClass, GroupMetrics};
use crate::model::Model;
use crate::run::source::Computed;
use crate::scenario::model::{Expectation, Metric, TopicKind};
use crate::trace::jsonl::Namer;
use crate::trace::{StepKind, Trace};

/// The run-wide figures worth showing for a scenario: what was published, and the sagas,
/// the bus and the read models when it has them.
pub fn run_figures(model: &Model) -> Vec<Metric> {
    let mut figures = vec![Metric::Published];
    if model.topics.iter().any(|t| t.kind == TopicKind::Bus) {
        figures.push(Metric::Unrouted);
    }
    if model.projects.iter().any(Option::is_some) {
        figures.push(Metric::ReadModelMismatches);
    }
    if !model.sagas.is_empty() {
        figures.extend([
            Metric::SagasCompleted,
            Metric::SagasCompensated,
            Metric::SagasUncompensated,
            Metric::SagasOpen,
        ]);
    }
    figures
}

/// A run's figures at the step its analysis has reached: the one place both the CLI's diff
/// and the TUI's before → now read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    /// Steps observed.
    pub steps: usize,
    /// Run-wide figures (by default those of [`run_figures`]).
    pub run: Vec<(Metric, u64)>,
    /// Per group, by name, in the model's order.
    pub groups: Vec<(String, GroupMetrics)>,
}

impl Figures {
    /// The figures of a run, with the run-wide figures its scenario shows.
    pub fn of(model: &Model, analysis: &Analysis) -> Self {
        Self::with(model, analysis, &run_figures(model))
    }

    /// The figures of a run, with the run-wide figures `metrics`.
    pub fn with(model: &Model, analysis: &Analysis, metrics: &[Metric]) -> Self {
        Figures {
            steps: analysis.observed(),
            run: metrics.iter().map(|&m| (m, analysis.metric(m, None))).collect(),
            groups: model.groups.iter().enumerate().map(|(g, gm)| (gm.name.clone(), *analysis.group(g))).collect(),
        }
    }

    /// A run-wide figure, if these figures hold it.
    pub fn run_figure(&self, metric: Metric) -> Option<u64> {
        self.run.iter().find(|(m, _)| *m == metric).map(|(_, v)| *v)
    }

    /// A group's figures, if the run has a group of that name.
    pub fn group(&self, name: &str) -> Option<&GroupMetrics> {
        self.groups.iter().find(|(n, _)| n == name).map(|(_, m)| m)
    }
}

/// Expectation `e` evaluated on a run; `None` when it names a group or topic the run does
/// not have (an expectation of the other run).
pub fn expectation(model: &Model, trace: &Trace, analysis: &Analysis, e: &Expectation) -> Option<Checked> {
    let known = e.group.as_deref().is_none_or(|g| model.group_named(g).is_some())
        && e.topic.as_deref().is_none_or(|t| model.topic_named(t).is_some());
    known.then(|| analysis.check(trace, e))
}

/// One side of a comparison: a whole run and what to call it.
#[derive(Clone, Copy)]
pub struct Side<'a> {
    /// As the user named it (`crash-duplicates --variant idempotent-billing`).
    pub label: &'a str,
    pub model: &'a Model,
    pub trace: &'a Trace,
    pub analysis: &'a Analysis,
    /// Whether the run reached its end (a cut trace did not).
    pub complete: bool,
}

impl<'a> Side<'a> {
    /// A run computed by [`crate::run::source::compute`].
    pub fn of(label: &'a str, computed: &'a Computed) -> Self {
        match computed {
            Computed::Run(outcome) => Side {
                label,
                model: outcome.sim.model(),
                trace: outcome.sim.trace(),
                analysis: &outcome.analysis,
                complete: outcome.sim.is_finished(),
            },
            Computed::Replay(replayed) => Side {
                label,
                model: &replayed.recorded.model,
                trace: &replayed.recorded.trace,
                analysis: &replayed.analysis,
                complete: replayed.recorded.complete(),
            },
        }
    }
}

/// A figure on both sides; `None` on a side whose run has no such figure (a group it lacks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    pub name: &'static str,
    pub a: Option<u64>,
    pub b: Option<u64>,
}

impl Figure {
    pub fn changed(&self) -> bool {
        self.a != self.b
    }
}

/// A group's figures on both sides, matched by name.
#[derive(Clone, Debug)]
pub struct GroupDiff {
    pub name: String,
    pub figures: Vec<Figure>,
}

/// Which run's scenario an expectation comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Of {
    A,
    B,
    Both,
}

impl Of {
    pub fn name(self) -> &'static str {
        match self {
            Of::A => "a",
            Of::B => "b",
            Of::Both => "both",
        }
    }
}

/// An expectation evaluated on both runs (`None`: that run has not the group or topic it
/// names).
#[derive(Clone, Debug)]
pub struct ExpectationDiff {
    /// In words, with its target: `billing duplicate_effects = 0`.
    pub describe: String,
    pub of: Of,
    pub a: Option<Checked>,
    pub b: Option<Checked>,
}

impl ExpectationDiff {
    /// Whether its value or its verdict differs between the runs.
    pub fn changed(&self) -> bool {
        let read = |c: &Option<Checked>| c.as_ref().map(|c| (c.actual.clone(), c.passed));
        read(&self.a) != read(&self.b)
    }
}

/// A finding, as the comparison matches and shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingRow {
    pub class: FindingClass,
    /// The event's id (`evt-000032`).
    pub event: String,
    /// Its group (a saga's name for an uncompensated saga).
    pub scope: String,
    /// The kind of the step it was found at.
    pub kind: StepKind,
    /// The step's number in its own run (shown, not matched).
    pub step: u64,
    /// The checker's explanation (of the findings of one side only: the others are not
    /// shown).
    pub cause: String,
    finding: Finding,
}

impl FindingRow {
    fn key(&self) -> (FindingClass, &str, &str, StepKind) {
        (self.class, &self.event, &self.scope, self.kind)
    }
}

/// The first step where the traces differ, with both sides' steps as JSON Lines render
/// them (`None`: that trace has ended). Lesson notes are left out of the comparison (they
/// narrate the run; a variant rewords them), so the two steps may have different numbers.
#[derive(Clone, Debug)]
pub struct StepDiff {
    /// The fields whose values differ, in the order of the steps' lines (without `step`).
    pub fields: Vec<String>,
    pub a: Option<Map<String, Value>>,
    pub b: Option<Map<String, Value>>,
}

impl StepDiff {
    /// The step's number on one side (`None`: that trace had ended).
    fn number(line: Option<&Map<String, Value>>) -> Option<u64> {
        line.and_then(|l| l.get("step")).and_then(Value::as_u64)
    }

    pub fn a_step(&self) -> Option<u64> {
        Self::number(self.a.as_ref())
    }

    pub fn b_step(&self) -> Option<u64> {
        Self::number(self.b.as_ref())
    }
}

/// One side's name and particulars, for the heading.
#[derive(Clone, Debug)]
pub struct Heading {
    pub label: String,
    pub scenario: String,
    pub seed: u64,
    pub steps: usize,
    pub complete: bool,
}

/// Two runs compared.
#[derive(Clone, Debug)]
pub struct Diff {
    pub a: Heading,
    pub b: Heading,
    /// The steps, then the run-wide figures either scenario shows.
    pub run: Vec<Figure>,
    /// A's groups in order, then B's others.
    pub groups: Vec<GroupDiff>,
    /// A's expectations, then those of B's that A does not have.
    pub expectations: Vec<ExpectationDiff>,
    /// Findings of A with no match in B (the first [`crate::analysis::KEPT_FINDINGS`] of
    /// each class are compared), in step order.
    pub only_a: Vec<FindingRow>,
    pub only_b: Vec<FindingRow>,
    pub first_difference: Option<StepDiff>,
}

impl Diff {
    /// Compares run `a` (before) with run `b` (after).
    pub fn new(a: Side<'_>, b: Side<'_>) -> Self {
        let mut metrics = run_figures(a.model);
        for m in run_figures(b.model) {
            if !metrics.contains(&m) {
                metrics.push(m);
            }
        }
        let (fa, fb) = (Figures::with(a.model, a.analysis, &metrics), Figures::with(b.model, b.analysis, &metrics));
        let mut run = vec![Figure { name: "steps", a: Some(fa.steps as u64), b: Some(fb.steps as u64) }];
        run.extend(metrics.iter().map(|&m| Figure { name: m.name(), a: fa.run_figure(m), b: fb.run_figure(m) }));
        let mut names: Vec<&str> = fa.groups.iter().map(|(n, _)| n.as_str()).collect();
        names.extend(fb.groups.iter().map(|(n, _)| n.as_str()).filter(|n| fa.group(n).is_none()));
        let groups = names
            .into_iter()
            .map(|name| GroupDiff {
                name: name.to_owned(),
                figures: Metric::PER_GROUP
                    .iter()
                    .map(|&m| Figure {
                        name: m.name(),
                        a: fa.group(name).map(|g| g.get(m)),
                        b: fb.group(name).map(|g| g.get(m)),
                    })
                    .collect(),
            })
            .collect();
        let (mut only_a, mut only_b) = one_sided(&findings(a), &findings(b));
        for (side, rows) in [(a, &mut only_a), (b, &mut only_b)] {
            for row in rows.iter_mut() {
                row.cause = side.analysis.explain(side.trace, &row.finding);
            }
        }
        Diff {
            a: heading(a),
            b: heading(b),
            run,
            groups,
            expectations: expectations(a, b),
            only_a,
            only_b,
            first_difference: steps::first_difference(a, b),
        }
    }

    /// Whether the runs are equal: every figure, every expectation's value, the findings and
    /// every step alike.
    pub fn equal(&self) -> bool {
        self.changed_figures() == 0
            && self.expectations.iter().all(|e| !e.changed())
            && self.only_a.is_empty()
            && self.only_b.is_empty()
            && self.first_difference.is_none()
    }

    /// How many figures differ (run-wide and per group).
    pub fn changed_figures(&self) -> usize {
        self.run.iter().chain(self.groups.iter().flat_map(|g| &g.figures)).filter(|f| f.changed()).count()
    }
}

fn heading(side: Side<'_>) -> Heading {
    Heading {
        label: side.label.to_owned(),
        scenario: side.model.scenario.name.clone(),
        seed: side.model.seed,
        steps: side.trace.steps.len(),
        complete: side.complete,
    }
}

fn expectations(a: Side<'_>, b: Side<'_>) -> Vec<ExpectationDiff> {
    let on = |side: Side<'_>, e: &Expectation| expectation(side.model, side.trace, side.analysis, e);
    let describe = |e: &Expectation| Checked { expect: e.clone(), passed: false, actual: Value::Null }.describe();
    let theirs: Vec<String> = b.model.scenario.expect.iter().map(describe).collect();
    let ours: Vec<String> = a.model.scenario.expect.iter().map(describe).collect();
    let mut out: Vec<ExpectationDiff> = a
        .model
        .scenario
        .expect
        .iter()
        .zip(&ours)
        .map(|(e, text)| ExpectationDiff {
            describe: text.clone(),
            of: if theirs.contains(text) { Of::Both } else { Of::A },
            a: on(a, e),
            b: on(b, e),
        })
        .collect();
    for (e, text) in b.model.scenario.expect.iter().zip(&theirs) {
        if !ours.contains(text) {
            out.push(ExpectationDiff { describe: text.clone(), of: Of::B, a: on(a, e), b: on(b, e) });
        }
    }
    out
}

/// A run's findings, those at a step and those standing at its end (lost work, failed sagas
/// not compensated), in step order.
fn findings(side: Side<'_>) -> Vec<FindingRow> {
    let (trace, analysis) = (side.trace, side.analysis);
    let namer = Namer { model: side.model, trace };
    let mut all: Vec<Finding> = analysis.findings().to_vec();
    all.extend(analysis.standing(side.complete));
    all.sort_by_key(|f| f.step);
    all.iter()
        .filter_map(|f| {
            let kind = trace.steps.get((f.step as usize).checked_sub(1)?)?.kind;
            Some(FindingRow {
                class: f.class,
                event: namer.event_id(f.event),
                scope: namer.finding_scope(f).to_owned(),
                kind,
                step: f.step,
                cause: String::new(),
                finding: *f,
            })
        })
        .collect()
}

/// The findings of each side that the other has not (as many times: a finding twice in A
/// and once in B is once only in A).
fn one_sided(a: &[FindingRow], b: &[FindingRow]) -> (Vec<FindingRow>, Vec<FindingRow>) {
    let only = |ours: &[FindingRow], theirs: &[FindingRow]| {
        let mut left: BTreeMap<_, usize> = BTreeMap::new();
        for f in theirs {
            *left.entry(f.key()).or_default() += 1;
        }
        ours.iter()
            .filter(|f| match left.get_mut(&f.key()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    (only(a, b), only(b, a))
}
