//! The publication schedule: the scenario simulated with the same seed, and its root
//! publications (producers' events, their retries, scripted events) taken as they were
//! published, with the whole event, for the bridge to produce at the same virtual times.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::PlayError;
use crate::model::Model;
use crate::sim::Simulator;
use crate::trace::jsonl::{Namer, step_json};
use crate::trace::{StepKind, TopicIdx};

/// One record to produce: where, when (virtual µs; 0 for an emit, produced at once), and the
/// event as a `published` line shows it (without `partition` and `offset`, which the broker
/// gives).
#[derive(Clone, Debug)]
pub(super) struct Outgoing {
    pub t_us: u64,
    pub topic: TopicIdx,
    pub partition: u32,
    pub key: Option<String>,
    pub line: Map<String, Value>,
}

impl Outgoing {
    /// The record's headers: the event's identity as `event_id`, `correlation_id`,
    /// `causation_id` (an emitted event's), `type`, `source` and `schema_version` (what
    /// `eventlab tap` reads back), then the event's own headers.
    pub fn headers(&self) -> Vec<(String, String)> {
        let text = |name: &str| match self.line.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let mut headers = Vec::new();
        for (header, field) in [
            ("event_id", "event"),
            ("correlation_id", "correlation_id"),
            ("causation_id", "causation_id"),
            ("type", "type"),
            ("source", "source"),
            ("schema_version", "schema_version"),
        ] {
            if let Some(value) = text(field) {
                headers.push((header.to_owned(), value));
            }
        }
        if let Some(Value::Object(own)) = self.line.get("headers") {
            for (name, value) in own {
                headers.push((name.clone(), value.as_str().unwrap_or_default().to_owned()));
            }
        }
        headers
    }

    /// The record's value: the event's data as JSON.
    pub fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(self.line.get("data").unwrap_or(&Value::Null)).unwrap_or_default()
    }
}

/// The root publications of the simulated run, in the order they were published.
pub(super) fn schedule(model: &Arc<Model>, max_steps: u64) -> Result<Vec<Outgoing>, PlayError> {
    let mut sim = Simulator::new(Arc::clone(model), max_steps);
    sim.run().map_err(|e| PlayError::Schedule(format!("simulating the schedule: {e}")))?;
    let trace = sim.trace();
    let namer = Namer { model, trace };
    let mut out = Vec::new();
    for step in &trace.steps {
        if step.kind != StepKind::Published {
            continue;
        }
        let Some(event) = step.event else { continue };
        let e = trace.event(event);
        if e.cause.is_some() {
            continue;
        }
        let mut line = step_json(&namer, 0, step);
        for field in ["step", "t_us", "kind", "partition", "offset"] {
            line.remove(field);
        }
        out.push(Outgoing {
            t_us: step.t_us,
            topic: step.topic.unwrap_or(e.topic),
            partition: step.partition.map_or(0, |p| u32::from(p.get())),
            key: e.key.map(|k| trace.strings.resolve(k).to_owned()),
            line,
        });
    }
    Ok(out)
}
