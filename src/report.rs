//! The headless summary: the `--json` object of the command-line contract, and the
//! readable table printed without `--json`.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::analysis::expect::Checked;
use crate::analysis::{Analysis, Finding, FindingClass};
use crate::model::Model;
use crate::run::{Outcome, Replayed};
use crate::scenario::model::Metric;
use crate::trace::Trace;
use crate::trace::jsonl::Namer;

/// How many examples each finding class lists.
pub const EXAMPLES: usize = 5;

fn micros_as_ms(us: u64) -> Value {
    if us % 1000 == 0 { Value::from(us / 1000) } else { Value::from(us as f64 / 1000.0) }
}

/// What a summary is made of: a run's model, trace, analysis and checked expectations,
/// from a run ([`Outcome`]) or a recorded trace read back ([`Replayed`]).
#[derive(Clone, Copy)]
pub struct RunView<'a> {
    pub model: &'a Model,
    pub trace: &'a Trace,
    pub analysis: &'a Analysis,
    pub checked: &'a [Checked],
}

impl RunView<'_> {
    /// Whether every expectation holds.
    pub fn passed(&self) -> bool {
        self.checked.iter().all(|c| c.passed)
    }
}

impl<'a> From<&'a Outcome> for RunView<'a> {
    fn from(outcome: &'a Outcome) -> Self {
        RunView {
            model: outcome.sim.model(),
            trace: outcome.sim.trace(),
            analysis: &outcome.analysis,
            checked: &outcome.checked,
        }
    }
}

impl<'a> From<&'a Replayed> for RunView<'a> {
    fn from(replayed: &'a Replayed) -> Self {
        RunView {
            model: &replayed.recorded.model,
            trace: &replayed.recorded.trace,
            analysis: &replayed.analysis,
            checked: &replayed.checked,
        }
    }
}

impl<'a> From<&'a crate::run::source::Computed> for RunView<'a> {
    fn from(computed: &'a crate::run::source::Computed) -> Self {
        match computed {
            crate::run::source::Computed::Run(outcome) => outcome.as_ref().into(),
            crate::run::source::Computed::Replay(replayed) => replayed.as_ref().into(),
        }
    }
}

fn examples(run: RunView<'_>, class: FindingClass) -> Vec<Finding> {
    match class {
        FindingClass::Lost => run.analysis.lost().into_iter().take(EXAMPLES).collect(),
        FindingClass::UncompensatedSaga => run.analysis.uncompensated().into_iter().take(EXAMPLES).collect(),
        _ => run.analysis.findings().iter().filter(|f| f.class == class).take(EXAMPLES).copied().collect(),
    }
}

/// The `--json` summary.
pub fn summary_json<'a>(run: impl Into<RunView<'a>>) -> Value {
    let run = run.into();
    let (model, analysis, trace) = (run.model, run.analysis, run.trace);
    let namer = Namer { model, trace };
    let mut totals = Map::new();
    for metric in Metric::PER_GROUP.into_iter().chain(Metric::GLOBAL) {
        totals.insert(metric.name().into(), analysis.metric(metric, None).into());
    }
    let mut groups = Map::new();
    for (g, gm) in model.groups.iter().enumerate() {
        let figures: Map<String, Value> =
            Metric::PER_GROUP.iter().map(|m| (m.name().to_owned(), analysis.metric(*m, Some(g)).into())).collect();
        groups.insert(gm.name.clone(), Value::Object(figures));
    }
    let published_by_topic: Map<String, Value> =
        model.topics.iter().enumerate().map(|(t, tm)| (tm.name.clone(), analysis.published_to(t).into())).collect();
    let mut findings = Map::new();
    for class in FindingClass::ALL {
        let count = analysis.finding_count(class);
        if count == 0 {
            continue;
        }
        let examples: Vec<Value> = examples(run, class)
            .iter()
            .map(|f| {
                let scope = if f.class == FindingClass::UncompensatedSaga { "saga" } else { "group" };
                json!({
                    "event": namer.event_id(f.event),
                    scope: namer.finding_scope(f),
                    "step": f.step,
                    "cause": analysis.explain(trace, f),
                })
            })
            .collect();
        findings.insert(class.name().into(), json!({"count": count, "examples": examples}));
    }
    let (mut aggregates, mut versions) = (Map::new(), Map::new());
    for (a, am) in model.aggregates.iter().enumerate() {
        let side = analysis.write_side(a);
        let (mut states, mut numbers) = (Map::new(), Map::new());
        for (slot, &key) in side.store.keys().iter().enumerate() {
            let key = trace.strings.resolve(key).to_owned();
            states.insert(key.clone(), am.rules.to_json(side.store.row(slot)));
            numbers.insert(key, side.store.version(slot).into());
        }
        aggregates.insert(am.name.clone(), Value::Object(states));
        versions.insert(am.name.clone(), Value::Object(numbers));
    }
    let mut read_models = Map::new();
    for (g, gm) in model.groups.iter().enumerate() {
        if let Some(side) = analysis.read_side(g) {
            let rules = &model.aggregates[side.aggregate].rules;
            let states: Map<String, Value> = side
                .read
                .keys()
                .iter()
                .enumerate()
                .map(|(slot, &key)| (trace.strings.resolve(key).to_owned(), rules.to_json(side.read.row(slot))))
                .collect();
            read_models.insert(gm.consumer.clone(), Value::Object(states));
        }
    }
    json!({
        "scenario": model.scenario.name,
        "seed": model.seed,
        "time_ms": micros_as_ms(model.duration),
        "steps": trace.steps.len(),
        "events": trace.events.len(),
        "totals": totals,
        "groups": groups,
        "published_by_topic": published_by_topic,
        "aggregates": aggregates,
        "aggregate_versions": versions,
        "read_models": read_models,
        "findings": findings,
        "expectations": run.checked.iter().map(Checked::to_json).collect::<Vec<_>>(),
        "passed": run.passed(),
    })
}

/// The aggregates' states, the sagas' and the bus's figures, where the scenario has them.
fn run_wide_lines(out: &mut String, model: &Model, analysis: &Analysis, trace: &Trace) {
    for (a, am) in model.aggregates.iter().enumerate() {
        let side = analysis.write_side(a);
        let keys = side.store.keys();
        let _ =
            writeln!(out, "\naggregate {} ({} key{}):", am.name, keys.len(), if keys.len() == 1 { "" } else { "s" });
        for (slot, &key) in keys.iter().enumerate().take(EXAMPLES * 2) {
            let state = am.rules.to_json(side.store.row(slot));
            let _ = writeln!(out, "  {} v{} {state}", trace.strings.resolve(key), side.store.version(slot));
        }
        if keys.len() > EXAMPLES * 2 {
            let _ = writeln!(out, "  … {} more", keys.len() - EXAMPLES * 2);
        }
    }
    if !model.sagas.is_empty() {
        let _ = writeln!(
            out,
            "\nsagas: {} completed · {} compensated · {} uncompensated · {} open",
            analysis.metric(Metric::SagasCompleted, None),
            analysis.metric(Metric::SagasCompensated, None),
            analysis.metric(Metric::SagasUncompensated, None),
            analysis.metric(Metric::SagasOpen, None)
        );
    }
    if model.topics.iter().any(|t| !t.rules.is_empty()) {
        let _ = writeln!(
            out,
            "\nbus: {} routed copies · {} unrouted",
            analysis.routed(),
            analysis.metric(Metric::Unrouted, None)
        );
    }
}

/// The readable summary table.
pub fn summary_table<'a>(run: impl Into<RunView<'a>>) -> String {
    let run = run.into();
    let (model, analysis, trace) = (run.model, run.analysis, run.trace);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · seed {} · {} virtual · {} steps · {} published",
        model.scenario.name,
        model.seed,
        crate::scenario::value::Duration(model.duration),
        trace.steps.len(),
        analysis.published()
    );
    let columns: [(Metric, &str); 10] = [
        (Metric::Delivered, "delivered"),
        (Metric::Effects, "effects"),
        (Metric::DuplicateDeliveries, "dup deliv"),
        (Metric::DuplicateEffects, "dup effects"),
        (Metric::OutOfOrder, "out of order"),
        (Metric::Lost, "lost"),
        (Metric::Failed, "failed"),
        (Metric::DeadLettered, "dead letters"),
        (Metric::MaxLag, "max lag"),
        (Metric::FinalLag, "final lag"),
    ];
    let width = model.groups.iter().map(|g| g.name.chars().count()).max().unwrap_or(0).max(5);
    let _ = write!(out, "\n{:width$}", "group");
    for (_, title) in columns {
        let _ = write!(out, "  {title:>w$}", w = title.len().max(6));
    }
    out.push('\n');
    let mut row = |name: &str, group: Option<usize>| {
        let _ = write!(out, "{name:width$}");
        for (metric, title) in columns {
            let _ = write!(out, "  {:>w$}", analysis.metric(metric, group), w = title.len().max(6));
        }
        out.push('\n');
    };
    for (g, gm) in model.groups.iter().enumerate() {
        row(&gm.name, Some(g));
    }
    if model.groups.len() > 1 {
        row("total", None);
    }
    run_wide_lines(&mut out, model, analysis, trace);
    let counts: Vec<String> = FindingClass::ALL
        .into_iter()
        .filter(|&c| analysis.finding_count(c) > 0)
        .map(|c| {
            let first = examples(run, c)
                .first()
                .map(|f| format!("\n      first, at step {}: {}", f.step, analysis.explain(trace, f)));
            format!("  {} {}{}", c.name(), analysis.finding_count(c), first.unwrap_or_default())
        })
        .collect();
    if !counts.is_empty() {
        let _ = writeln!(out, "\nfindings:\n{}", counts.join("\n"));
        retry_lines(&mut out, analysis, trace, model);
    }
    if !run.checked.is_empty() {
        let _ = writeln!(out, "\nexpectations:");
        for c in run.checked {
            let mark = if c.passed { "✓" } else { "✗" };
            let _ = writeln!(out, "  {mark} {} (actual {})", c.describe(), c.actual);
        }
        let failed = run.checked.iter().filter(|c| !c.passed).count();
        let _ = writeln!(
            out,
            "\n{}",
            if failed == 0 { "all expectations hold".to_owned() } else { format!("{failed} expectation(s) failed") }
        );
    }
    out
}

/// Under the findings: the retries after a failure, one line per event and group (its
/// failed attempts and the deliveries that retried it count in `failed` and
/// `duplicate_deliveries` above, but are not duplicates by a crash, a rebalance or a fault).
fn retry_lines(out: &mut String, analysis: &Analysis, trace: &Trace, model: &Model) {
    const SHOWN: usize = 10;
    let namer = Namer { model, trace };
    let rows: Vec<usize> =
        (0..analysis.finding_rows().len()).filter(|&r| analysis.finding_rows()[r].is_retries()).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "  of them, retries after a failure (one line per event and group; not duplicates):");
    for &row in rows.iter().take(SHOWN) {
        let r = analysis.finding_rows()[row];
        let first = analysis.row_head(row);
        let last = analysis.findings()[r.last as usize];
        let again = match r.retried {
            0 => String::new(),
            1 => ", received once more".to_owned(),
            n => format!(", received {n} more times"),
        };
        let _ = writeln!(
            out,
            "    {} in {}: {} failed attempt{}{again} (steps {} to {})",
            namer.event_id(first.event),
            namer.finding_scope(&first),
            r.failed,
            if r.failed == 1 { "" } else { "s" },
            first.step,
            last.step
        );
    }
    if rows.len() > SHOWN {
        let _ = writeln!(out, "    and {} more", rows.len() - SHOWN);
    }
}
