//! The scenario file, as typed serde structures. This is the whole v1 format of
//! `shared/SCENARIO_FORMAT.md` (plus documented additions); the JSON Schema is generated
//! from these same types (`eventlab schema`).
//!
//! Parsing only checks shapes and types. Everything that relates one part of the file to
//! another (references, unique names, ranges, templates, what is not supported yet) is
//! checked afterwards by [`crate::scenario::validate`], which reports field paths.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::value::{Distribution, Duration, Number};

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn one() -> f64 {
    1.0
}

fn version_one() -> u32 {
    1
}

fn script() -> String {
    "script".to_owned()
}

/// A scenario: topics, producers, consumers, timed faults, expectations and lesson notes.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The JSON Schema's location, for editors; ignored by eventlab.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Title shown in the TUI.
    pub name: String,
    /// What the scenario teaches.
    #[serde(default)]
    pub description: String,
    /// RNG seed; `--seed` overrides it.
    #[serde(default)]
    pub seed: u64,
    /// Virtual time to simulate: steps with time ≤ duration run.
    pub duration: Duration,
    pub topics: Vec<Topic>,
    #[serde(default)]
    pub producers: Vec<Producer>,
    /// Scripted events at exact times.
    #[serde(default)]
    pub events: Vec<ScriptedEvent>,
    #[serde(default)]
    pub consumers: Vec<Consumer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aggregates: Vec<Aggregate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sagas: Vec<Saga>,
    /// Checked at the end of the run.
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// Lesson narration, shown as the clock passes each note.
    #[serde(default)]
    pub notes: Vec<Note>,
    /// "What if" experiments: named changes to this scenario, run with `--variant NAME`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Variant>,
    /// Fault templates and a seed count for `eventlab explore`; `run` ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explore: Option<Explore>,
}

/// A "what if" experiment: a named change to the scenario it belongs to.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// How it is chosen: `--variant NAME`.
    pub name: String,
    /// What it changes, in a line.
    #[serde(default)]
    pub description: String,
    /// A JSON merge patch (RFC 7386) of the scenario, except that `topics`, `producers`,
    /// `consumers`, `aggregates` and `sagas`, given as an object, patch their items by name
    /// (`{"consumers": {"billing": {"idempotent": true}}}`); given as an array they replace
    /// the whole list, like every other array (`faults`, `events`, `expect`, `notes`).
    pub change: serde_json::Map<String, Value>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TopicKind {
    /// Kafka-like partitioned log.
    #[default]
    Log,
    /// RabbitMQ/SQS-like queue: one copy per subscribed group, competing instances.
    Queue,
    /// EventBridge-like bus: stores nothing, routes by rules.
    Bus,
}

/// A topic. Which fields apply depends on `kind`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub name: String,
    /// `log` (default), `queue` or `bus`.
    #[serde(default)]
    pub kind: TopicKind,
    /// Log only (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    /// Queue only (default "30s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility_timeout: Option<Duration>,
    /// Queue only; goes with `dead_letter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_receives: Option<u32>,
    /// Queue only: the queue topic that receives messages after `max_receives`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<String>,
    /// Queue only (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fifo: Option<bool>,
    /// Queue only, with `fifo` (default "5m").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_window: Option<Duration>,
    /// Bus only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<Rule>>,
}

/// A bus rule: a pattern over the event's fields and the topics a match is routed to.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// Field path (`type`, `source`, `key`, `data.PATH`, `headers.NAME`) → allowed values.
    #[serde(rename = "match")]
    pub pattern: IndexMap<String, Vec<Value>>,
    pub targets: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    #[default]
    Poisson,
    Fixed,
}

/// Generated traffic.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Producer {
    pub name: String,
    pub topic: String,
    /// Events per second (> 0).
    pub rate: f64,
    /// `poisson` (default) or `fixed`.
    #[serde(default)]
    pub arrival: Arrival,
    #[serde(default)]
    pub start: Duration,
    /// Default: the scenario's duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Duration>,
    /// Caps the total number of events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Without keys, events are keyless.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Keys>,
    /// The event types emitted, chosen by weight.
    pub events: Vec<ProducerEvent>,
    /// Probability that an append's acknowledgement is lost and the event is sent again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_duplicates: Option<f64>,
    /// The broker drops a retried copy (Kafka's idempotent producer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyDistribution {
    #[default]
    Uniform,
    Sequential,
    Zipf,
}

/// Keys are `prefix` + 1..`cardinality`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    #[serde(default)]
    pub prefix: String,
    pub cardinality: u64,
    #[serde(default)]
    pub distribution: KeyDistribution,
    /// Zipf exponent (default 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zipf_s: Option<f64>,
}

/// One event type a producer emits.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProducerEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default = "one")]
    pub weight: f64,
    /// Templates and generated values allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    #[serde(default = "version_one")]
    pub schema_version: u32,
}

/// An event published at an exact time.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScriptedEvent {
    pub at: Duration,
    pub topic: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Default: a generated id (`evt-000042`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Default: the event's own id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    #[serde(default = "version_one")]
    pub schema_version: u32,
    #[serde(default = "script")]
    pub source: String,
}

/// When a log consumer commits its position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Commit {
    /// Right after each record is processed (at-least-once).
    #[default]
    After,
    /// When the record is received, before processing (at-most-once).
    Before,
    /// Each instance's position at `start` + k·interval (Kafka's auto-commit).
    Interval(Duration),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum From {
    #[default]
    Earliest,
    Latest,
}

/// A consumer group and its instances.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consumer {
    pub name: String,
    /// Default: the consumer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub topics: Vec<String>,
    #[serde(default = "one_u32")]
    pub instances: u32,
    /// Default "1ms".
    #[serde(default)]
    pub processing: Distribution,
    /// Queues: unacked messages one instance may hold (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<u32>,
    /// Logs: "after" (default), "before" or {"interval": DURATION}.
    #[serde(default)]
    pub commit: Commit,
    /// Logs: "earliest" (default) or "latest".
    #[serde(default)]
    pub from: From,
    /// When the instances join.
    #[serde(default)]
    pub start: Duration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
    /// Event type (or "*") → handler. Default: {"*": {}}.
    #[serde(default = "default_handles")]
    pub handles: IndexMap<String, Handler>,
    /// Wait before retrying a failed attempt (default "0s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<Duration>,
    /// Log rebalance pause (default "100ms").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebalance: Option<Duration>,
    /// Accepted schema versions per type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts: Option<IndexMap<String, Vec<u32>>>,
    /// Upcasters per type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upcasts: Option<IndexMap<String, Vec<Upcast>>>,
    /// Builds a read model of this aggregate (CQRS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

fn one_u32() -> u32 {
    1
}

fn default_handles() -> IndexMap<String, Handler> {
    IndexMap::from([("*".to_owned(), Handler::default())])
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Upcast {
    pub from: u32,
    pub to: u32,
    #[serde(default)]
    pub data: IndexMap<String, Value>,
}

/// What a consumer does with one event type.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Handler {
    /// Events to publish when processing completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emit: Option<Vec<Emit>>,
    /// A weighted choice of {"emit": [...]} or {"fail": true}; instead of `emit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcomes: Option<Vec<Outcome>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Fetch>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    #[serde(default = "one")]
    pub weight: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emit: Option<Vec<Emit>>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub fail: bool,
}

/// An event a handler publishes; templates refer to the triggering event.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Emit {
    pub topic: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// Default: the trigger's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// Publish this much later (even if the instance crashes meanwhile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fetch {
    pub aggregate: String,
    pub latency: Duration,
}

/// A timed fault: `at` and exactly one action.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub at: Duration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_after: Option<Duration>,
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Distribution>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
}

/// The `explore` section.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Explore {
    /// How many seeds `eventlab explore` tries when `--seeds` is not given (default 1000):
    /// seeds 0 to N − 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<u64>,
    /// Fault templates, drawn for every seed and appended to the scenario's faults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultTemplate>,
}

/// A fault template: a fault with distributions where a fault has durations and numbers.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultTemplate {
    pub at: Distribution,
    /// A consumer, `NAME#I`, or `NAME#*`: one instance drawn among the consumer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_after: Option<Distribution>,
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<Distribution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<Number>,
    /// The chance the template is added for a seed (default 1); on a `duplicate`
    /// template, the duplicate's own probability (the template is then always added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Distribution>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
}

/// Event-sourced state folded per key from a log topic.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    pub name: String,
    pub topic: String,
    #[serde(default)]
    pub initial: IndexMap<String, Value>,
    /// Event type → field → operation ({"add": PATH}, {"sub": PATH}, {"set": VALUE}, {"inc": N}).
    pub apply: IndexMap<String, IndexMap<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_every: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Saga {
    pub name: String,
    pub starts: String,
    #[serde(default)]
    pub completes: Vec<String>,
    #[serde(default)]
    pub fails: Vec<String>,
    #[serde(default)]
    pub compensations: IndexMap<String, String>,
}

/// The metrics an expectation can check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Delivered,
    Effects,
    DuplicateDeliveries,
    DuplicateEffects,
    OutOfOrder,
    Lost,
    Failed,
    DeadLettered,
    MaxLag,
    FinalLag,
    ReadModelMismatches,
    Published,
    Unrouted,
    SagasCompleted,
    SagasCompensated,
    SagasUncompensated,
    SagasOpen,
}

impl Metric {
    pub const PER_GROUP: [Metric; 11] = [
        Metric::Delivered,
        Metric::Effects,
        Metric::DuplicateDeliveries,
        Metric::DuplicateEffects,
        Metric::OutOfOrder,
        Metric::Lost,
        Metric::Failed,
        Metric::DeadLettered,
        Metric::MaxLag,
        Metric::FinalLag,
        Metric::ReadModelMismatches,
    ];
    pub const GLOBAL: [Metric; 6] = [
        Metric::Published,
        Metric::Unrouted,
        Metric::SagasCompleted,
        Metric::SagasCompensated,
        Metric::SagasUncompensated,
        Metric::SagasOpen,
    ];

    pub fn is_per_group(self) -> bool {
        Self::PER_GROUP.contains(&self)
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::Delivered => "delivered",
            Metric::Effects => "effects",
            Metric::DuplicateDeliveries => "duplicate_deliveries",
            Metric::DuplicateEffects => "duplicate_effects",
            Metric::OutOfOrder => "out_of_order",
            Metric::Lost => "lost",
            Metric::Failed => "failed",
            Metric::DeadLettered => "dead_lettered",
            Metric::MaxLag => "max_lag",
            Metric::FinalLag => "final_lag",
            Metric::ReadModelMismatches => "read_model_mismatches",
            Metric::Published => "published",
            Metric::Unrouted => "unrouted",
            Metric::SagasCompleted => "sagas_completed",
            Metric::SagasCompensated => "sagas_compensated",
            Metric::SagasUncompensated => "sagas_uncompensated",
            Metric::SagasOpen => "sagas_open",
        }
    }
}

/// Which state an expectation reads: an aggregate's write side or a consumer's read model.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_model: Option<String>,
    pub key: String,
    pub field: String,
}

/// An assertion checked at the end of the run: a metric or a state field, and one bound.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<Metric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateRef>,
    /// Filters a per-group metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Filters `published`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
}

/// Lesson narration at a point of virtual time.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub at: Duration,
    pub text: String,
}
