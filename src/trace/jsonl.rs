//! The trace as JSON Lines (`--trace`): a header, then one object per step.
//!
//! A `published` (or `dropped_duplicate`) step carries the whole event, so a trace alone can
//! be replayed: [`super::read`] reads it back.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::fields::{Field, Presence};
use super::{Event, EventIdx, FailReason, NO_EVENT, NONE16, NONE32, Step, Trace};
use crate::model::Model;
use crate::scenario::model::{Scenario, TopicKind};

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

    pub fn instance(&self, instance: u16) -> String {
        let (group, number) = self.trace.instances[usize::from(instance)];
        self.model.instance_name(group, number)
    }

    pub fn event_id(&self, event: EventIdx) -> String {
        self.trace.event(event).id.render(&self.trace.strings)
    }
}

/// One step as a JSON object; `number` is its 1-based step number. Its fields are those
/// its kind declares ([`crate::trace::StepKind::fields`]), in that order, each where it applies.
pub fn step_json(namer: &Namer<'_>, number: u64, step: &Step) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("step".into(), number.into());
    m.insert("t_us".into(), step.t_us.into());
    m.insert("kind".into(), step.kind.name().into());
    let event = (step.event != NO_EVENT).then(|| namer.trace.event(step.event));
    for &(field, presence) in step.kind.fields() {
        let value = field_value(namer, step, event, field);
        debug_assert!(value.is_some() || presence == Presence::Where, "a {:?} step without its {field:?}", step.kind);
        if let Some(value) = value {
            m.insert(field.name().into(), value);
        }
    }
    m
}

/// The value of one field of a step's line (`event`: the step's event, if it has one), if
/// it applies to this step.
fn field_value(namer: &Namer<'_>, step: &Step, event: Option<&Event>, field: Field) -> Option<Value> {
    let trace = namer.trace;
    let value = match field {
        Field::Event => event.map(|_| namer.event_id(step.event))?.into(),
        Field::Type => trace.strings.resolve(event?.event_type).into(),
        Field::Key => trace.strings.resolve(event?.key?).into(),
        Field::Topic => (step.topic != NONE16).then(|| namer.topic(step.topic))?.into(),
        Field::Partition => {
            let log = step.topic != NONE16 && namer.model.topics[usize::from(step.topic)].kind == TopicKind::Log;
            (log && step.partition != NONE16).then_some(step.partition)?.into()
        }
        // On a `fetched` step the offset field holds the version the event's own append
        // produced (`event_version`).
        Field::Offset | Field::EventVersion => (step.offset != NONE32).then_some(step.offset)?.into(),
        Field::Group => (step.group != NONE16).then(|| namer.group(step.group))?.into(),
        Field::Instance => (step.instance != NONE16).then(|| namer.instance(step.instance))?.into(),
        Field::CorrelationId => event?.correlation.render(&trace.strings).into(),
        Field::CausationId => namer.event_id(event?.cause()?).into(),
        Field::Source => trace.strings.resolve(event?.source).into(),
        Field::SchemaVersion => event?.schema_version.into(),
        Field::Headers => Value::Object(trace.payloads.headers(event?.headers)),
        Field::Data => trace.payloads.value(event?.data),
        // A routed copy (or one a FIFO target dropped): the bus it was routed from.
        Field::Bus => {
            let bus = event?.topic;
            (bus != step.topic).then(|| namer.topic(bus))?.into()
        }
        Field::Effect => (step.flag != 0).into(),
        Field::Reason => FailReason::from_flag(step.flag).name().into(),
        // On a `fetched` step aux holds the version read.
        Field::Attempt | Field::Version => step.aux.into(),
        Field::Receive => (step.aux != NONE32).then_some(step.aux)?.into(),
        Field::Rule => {
            let bus = event?.topic;
            namer.model.topics[usize::from(bus)].rules[step.aux as usize].name.clone().into()
        }
        // On a `fetched` step the partition field holds the aggregate.
        Field::Aggregate => namer.model.aggregates[usize::from(step.partition)].name.clone().into(),
        Field::DeadLetter => namer.topic(step.aux as u16).into(),
        Field::Assignment => {
            let mut assignment = Map::new();
            for (instance, topic, partitions) in &trace.assignments[step.aux as usize] {
                let entry = assignment.entry(namer.instance(*instance)).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(topics) = entry {
                    topics.insert(namer.topic(*topic).to_owned(), json!(partitions));
                }
            }
            Value::Object(assignment)
        }
        Field::Text => namer.model.scenario.notes[step.aux as usize].text.clone().into(),
    };
    Some(value)
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
    write_counted(out, model, trace, complete, &Progress::default())
}

/// How far a trace being written is, read from another thread, and a way to stop it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Steps written so far.
    pub written: std::sync::atomic::AtomicU64,
    /// Set to stop the writing: it ends with an `Interrupted` error at the next step.
    pub cancel: std::sync::atomic::AtomicBool,
}

/// [`write`], keeping `progress` current, and stopping when it is cancelled.
pub fn write_counted(
    out: &mut impl Write,
    model: &Model,
    trace: &Trace,
    complete: bool,
    progress: &Progress,
) -> io::Result<()> {
    use std::sync::atomic::Ordering::Relaxed;
    serde_json::to_writer(&mut *out, &header(&model.scenario, model.seed))?;
    out.write_all(b"\n")?;
    let namer = Namer { model, trace };
    for (i, step) in trace.steps.iter().enumerate() {
        serde_json::to_writer(&mut *out, &step_json(&namer, i as u64 + 1, step))?;
        out.write_all(b"\n")?;
        progress.written.store(i as u64 + 1, Relaxed);
        if progress.cancel.load(Relaxed) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
        }
    }
    serde_json::to_writer(&mut *out, &json!({"end": End::of(model, trace, complete)}))?;
    out.write_all(b"\n")
}
