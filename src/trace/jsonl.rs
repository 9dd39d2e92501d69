//! The trace as JSON Lines (`--trace`): a header, then one object per step.
//!
//! A `published` (or `dropped_duplicate`) step carries the whole event, so a trace alone can
//! be replayed: [`super::read`] reads it back.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::fields::{Field, Presence};
use super::{Event, EventIdx, GroupIdx, InstanceIdx, Step, TopicIdx, Trace};
use crate::model::Model;
use crate::scenario::model::{Scenario, TopicKind};

/// The version of the format, the header's `eventlab_trace`.
pub const FORMAT_VERSION: u64 = 1;

/// The header line: format version, scenario name, seed and the normalized scenario.
pub fn header(scenario: &Scenario, seed: u64) -> Value {
    json!({"eventlab_trace": FORMAT_VERSION, "scenario": scenario.name, "seed": seed, "definition": scenario})
}

/// The header of a run's trace: [`header`], and for a run on a real cluster its `source`
/// and `brokers`.
pub fn header_of(scenario: &Scenario, seed: u64, cluster: Option<&super::Cluster>) -> Value {
    let mut header = header(scenario, seed);
    if let (Some(cluster), Value::Object(fields)) = (cluster, &mut header) {
        fields.insert("source".into(), cluster.source.name().into());
        fields.insert("brokers".into(), cluster.brokers.clone().into());
    }
    header
}

/// A record's own timestamp (ms since the Unix epoch) as the trace writes it: RFC 3339
/// in UTC, to the millisecond.
pub fn record_time_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// Names for the indices in steps.
pub struct Namer<'a> {
    pub model: &'a Model,
    pub trace: &'a Trace,
}

impl Namer<'_> {
    pub fn topic(&self, topic: TopicIdx) -> &str {
        &self.model.topics[usize::from(topic)].name
    }

    pub fn group(&self, group: GroupIdx) -> &str {
        &self.model.groups[usize::from(group)].name
    }

    pub fn instance(&self, instance: InstanceIdx) -> String {
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
    let event = step.event.map(|e| namer.trace.event(e));
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
        Field::Event => step.event.map(|e| namer.event_id(e))?.into(),
        Field::Type => trace.strings.resolve(event?.event_type).into(),
        Field::Key => trace.strings.resolve(event?.key?).into(),
        Field::Topic => step.topic.map(|t| namer.topic(t))?.into(),
        Field::Partition => {
            let log = step.topic.is_some_and(|t| namer.model.topics[t.index()].kind == TopicKind::Log);
            log.then_some(step.partition)??.get().into()
        }
        Field::Offset => step.offset()?.into(),
        Field::EventVersion => step.versions().1?.into(),
        Field::Group => step.group.map(|g| namer.group(g))?.into(),
        Field::Instance => step.instance.map(|i| namer.instance(i))?.into(),
        Field::CorrelationId => event?.correlation.render(&trace.strings).into(),
        Field::CausationId => namer.event_id(event?.cause?).into(),
        Field::Source => trace.strings.resolve(event?.source).into(),
        Field::SchemaVersion => event?.schema_version.into(),
        Field::Headers => Value::Object(trace.payloads.headers(event?.headers)),
        Field::Data => trace.payloads.value(event?.data),
        // A routed copy (or one a FIFO target dropped): the bus it was routed from.
        Field::Bus => {
            let bus = event?.topic;
            (Some(bus) != step.topic).then(|| namer.topic(bus))?.into()
        }
        Field::Effect => step.effect().into(),
        Field::Reason => step.failure().0.name().into(),
        Field::Attempt => step.failure().1.into(),
        Field::Version => step.versions().0.into(),
        Field::Receive => step.receive()?.into(),
        Field::Rule => {
            let bus = event?.topic;
            namer.model.topics[bus.index()].rules[step.table_index()].name.clone().into()
        }
        Field::Aggregate => namer.model.aggregates[step.aggregate()?.index()].name.clone().into(),
        Field::DeadLetter => namer.topic(step.dead_letter()?).into(),
        Field::Assignment => {
            let mut assignment = Map::new();
            for (instance, topic, partitions) in &trace.assignments[step.table_index()] {
                let entry = assignment.entry(namer.instance(*instance)).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(topics) = entry {
                    topics.insert(namer.topic(*topic).to_owned(), partitions.iter().map(|p| p.get()).collect());
                }
            }
            Value::Object(assignment)
        }
        Field::Text => namer.model.scenario.notes[step.table_index()].text.clone().into(),
        Field::RecordTime => trace.record_time(step.event?).map(record_time_text)?.into(),
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
    serde_json::to_writer(&mut *out, &header_of(&model.scenario, model.seed, trace.cluster.as_ref()))?;
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
