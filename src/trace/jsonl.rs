//! The trace as JSON Lines (`--trace`): a header, then one object per step.
//!
//! A `published` (or `dropped_duplicate`) step carries the whole event, so a trace alone can
//! be replayed: [`super::read`] reads it back.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{EventIdx, FailReason, NO_EVENT, NONE16, NONE32, Step, StepKind, Trace};
use crate::scenario::model::{Scenario, TopicKind};
use crate::sim::Model;

/// The version of the format, the header's `eventlab_trace`.
pub const FORMAT_VERSION: u64 = 1;

/// The header line: format version, scenario name, seed and the normalized scenario.
pub fn header(scenario: &Scenario, seed: u64) -> Value {
    json!({"eventlab_trace": FORMAT_VERSION, "scenario": scenario.name, "seed": seed, "definition": scenario})
}

/// Names for the indices in steps.
pub struct Namer<'a> {
    pub model: &'a Model,
    pub trace: &'a Trace,
}

impl Namer<'_> {
    pub fn topic(&self, topic: u16) -> &str {
        &self.model.topics[usize::from(topic)].name
    }

    pub fn group(&self, group: u16) -> &str {
        &self.model.groups[usize::from(group)].name
    }

    /// What a finding is about: its group, or for a saga finding the saga.
    pub fn finding_scope(&self, finding: &crate::analysis::Finding) -> &str {
        match finding.class {
            crate::analysis::FindingClass::UncompensatedSaga => &self.model.sagas[usize::from(finding.group)].name,
            _ => self.group(finding.group),
        }
    }

    pub fn instance(&self, instance: u16) -> String {
        let (group, number) = self.trace.instances[usize::from(instance)];
        self.model.instance_name(group, number)
    }

    pub fn event_id(&self, event: EventIdx) -> String {
        self.trace.event(event).id.render(&self.trace.strings)
    }
}

/// One step as a JSON object; `number` is its 1-based step number.
pub fn step_json(namer: &Namer<'_>, number: u64, step: &Step) -> Map<String, Value> {
    let trace = namer.trace;
    let mut m = Map::new();
    m.insert("step".into(), number.into());
    m.insert("t_us".into(), step.t_us.into());
    m.insert("kind".into(), step.kind.name().into());
    if step.event != NO_EVENT {
        let e = trace.event(step.event);
        m.insert("event".into(), namer.event_id(step.event).into());
        m.insert("type".into(), trace.strings.resolve(e.event_type).into());
        if let Some(key) = e.key {
            m.insert("key".into(), trace.strings.resolve(key).into());
        }
    }
    if step.topic != NONE16 {
        m.insert("topic".into(), namer.topic(step.topic).into());
        if namer.model.topics[usize::from(step.topic)].kind == TopicKind::Log && step.partition != NONE16 {
            m.insert("partition".into(), step.partition.into());
        }
    }
    if step.offset != NONE32 && step.kind != StepKind::Fetched {
        m.insert("offset".into(), step.offset.into());
    }
    if step.group != NONE16 {
        m.insert("group".into(), namer.group(step.group).into());
    }
    if step.instance != NONE16 {
        m.insert("instance".into(), namer.instance(step.instance).into());
    }
    if step.event != NO_EVENT {
        let e = trace.event(step.event);
        m.insert("correlation_id".into(), e.correlation.render(&trace.strings).into());
        if let Some(cause) = e.cause() {
            m.insert("causation_id".into(), namer.event_id(cause).into());
        }
    }
    match step.kind {
        // A dropped duplicate may be the only step of its event (a FIFO queue dropped a new
        // event whose id it had seen), so it carries the whole event too.
        StepKind::Published | StepKind::DroppedDuplicate => {
            let e = trace.event(step.event);
            m.insert("source".into(), trace.strings.resolve(e.source).into());
            m.insert("schema_version".into(), e.schema_version.into());
            m.insert("headers".into(), Value::Object(trace.payloads.headers(e.headers)));
            m.insert("data".into(), trace.payloads.value(e.data));
            if e.topic != step.topic {
                // A routed copy a FIFO target dropped: the bus it was routed from.
                m.insert("bus".into(), namer.topic(e.topic).into());
            }
        }
        StepKind::Processed => {
            m.insert("effect".into(), (step.flag != 0).into());
        }
        StepKind::Failed => {
            m.insert("reason".into(), FailReason::from_flag(step.flag).name().into());
            m.insert("attempt".into(), step.aux.into());
        }
        StepKind::Delivered | StepKind::Requeued if step.aux != NONE32 => {
            m.insert("receive".into(), step.aux.into());
        }
        StepKind::Routed => {
            let bus = trace.event(step.event).topic;
            m.insert("bus".into(), namer.topic(bus).into());
            m.insert("rule".into(), namer.model.topics[usize::from(bus)].rules[step.aux as usize].name.clone().into());
        }
        StepKind::Fetched => {
            m.insert("aggregate".into(), namer.model.aggregates[usize::from(step.partition)].name.clone().into());
            m.insert("version".into(), step.aux.into());
            if step.offset != NONE32 {
                m.insert("event_version".into(), step.offset.into());
            }
        }
        StepKind::DeadLettered => {
            m.insert("dead_letter".into(), namer.topic(step.aux as u16).into());
        }
        StepKind::Rebalanced => {
            let mut assignment = Map::new();
            for (instance, topic, partitions) in &trace.assignments[step.aux as usize] {
                let entry = assignment.entry(namer.instance(*instance)).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(topics) = entry {
                    topics.insert(namer.topic(*topic).to_owned(), json!(partitions));
                }
            }
            m.insert("assignment".into(), Value::Object(assignment));
        }
        StepKind::Note => {
            let note = &namer.model.scenario.notes[step.aux as usize];
            m.insert("text".into(), note.text.clone().into());
        }
        _ => {}
    }
    m
}

/// The figures of a trace's last line, `{"end": {"steps": N, "t_us": T, "complete": B}}`:
/// the number of step lines before it, the virtual time the recording reaches (the
/// scenario's duration when complete, else the last step's time) and whether the run
/// reached its end. A trace without it was cut ([`super::read`] says so).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    pub steps: u64,
    pub t_us: u64,
    pub complete: bool,
}

impl End {
    /// The end of `trace`: `complete` when the run reached the scenario's end (a headless
    /// run), not when it stopped early (`w` in the TUI mid-run).
    pub fn of(model: &Model, trace: &Trace, complete: bool) -> Self {
        let t_us = if complete { model.duration } else { trace.steps.last().map_or(0, |s| s.t_us) };
        End { steps: trace.steps.len() as u64, t_us, complete }
    }
}

/// Writes the whole trace as JSON Lines, its `end` line last (see [`End`]).
pub fn write(out: &mut impl Write, model: &Model, trace: &Trace, complete: bool) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &header(&model.scenario, model.seed))?;
    out.write_all(b"\n")?;
    let namer = Namer { model, trace };
    for (i, step) in trace.steps.iter().enumerate() {
        serde_json::to_writer(&mut *out, &step_json(&namer, i as u64 + 1, step))?;
        out.write_all(b"\n")?;
    }
    serde_json::to_writer(&mut *out, &json!({"end": End::of(model, trace, complete)}))?;
    out.write_all(b"\n")
}
