//! The compiled scenario: names resolved to indices, templates compiled, weights
//! accumulated. Built once from a validated [`Scenario`]; immutable and shared while
//! the simulator (and every snapshot of it) runs.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::index::{AggregateIdx, GroupIdx, Partition, TopicIdx};
use crate::intern::{Payloads, Span, Strings, Sym};
use crate::rng;
use crate::scenario::fault::{FaultSpec, Target};
use crate::scenario::model::{Arrival, Commit, From, Handler, KeyDistribution, Scenario, TopicKind};
use crate::scenario::template::{DataTemplate, Site, StrTemplate, compile_data};
use crate::scenario::validate::ZIPF_TABLE_LIMIT;
use crate::scenario::value::{Distribution, Duration};

/// A log topic's partition read by one group: the group's slot index for it.
#[derive(Clone, Copy, Debug)]
pub struct Subscription {
    pub group: GroupIdx,
    /// Log: the group's first slot for this topic (slot = base + partition).
    /// Queue: the group's queue index.
    pub base: u32,
}

#[derive(Clone, Debug)]
pub struct TopicModel {
    pub name: String,
    pub kind: TopicKind,
    pub partitions: u32,
    pub subscribers: Vec<Subscription>,
    /// Queues: µs a receive stays invisible to others.
    pub visibility_timeout: u64,
    /// Queues: the receive after which an unacked message moves to `dead_letter`.
    pub max_receives: Option<u32>,
    pub dead_letter: Option<TopicIdx>,
    pub fifo: bool,
    pub dedup_window: u64,
    /// Aggregates folded from this (log) topic.
    pub aggregates: Vec<AggregateIdx>,
    /// Bus only: its rules, in file order.
    pub rules: Vec<RuleModel>,
}

/// A bus rule: its pattern and the topics a match is appended to.
#[derive(Clone, Debug)]
pub struct RuleModel {
    pub name: String,
    pub pattern: crate::bus::Pattern,
    pub targets: Vec<TopicIdx>,
}

/// A saga: its event types as symbols.
#[derive(Clone, Debug)]
pub struct SagaModel {
    pub name: String,
    pub starts: Sym,
    pub completes: Vec<Sym>,
    pub fails: Vec<Sym>,
    /// (compensable type, compensating type), at most 64.
    pub compensations: Vec<(Sym, Sym)>,
}

/// An aggregate: its rules compiled, and the log topic it folds.
#[derive(Clone, Debug)]
pub struct AggregateModel {
    pub name: String,
    pub topic: TopicIdx,
    pub rules: Arc<crate::fold::Rules>,
    /// 0: no snapshots.
    pub snapshot_every: u32,
    /// Some handler fetches it: the simulator keeps its write side too.
    pub fetched: bool,
}

/// One outcome of a handler: fail, or publish these emits.
#[derive(Clone, Debug)]
pub struct OutcomeModel {
    pub fail: bool,
    pub emits: Vec<EmitModel>,
}

#[derive(Clone, Debug)]
pub struct HandlerModel {
    pub outcomes: Vec<OutcomeModel>,
    pub cumulative: Vec<f64>,
    pub fail_probability: f64,
    /// `fetch`: the aggregate read and the call's latency in µs.
    pub fetch: Option<(AggregateIdx, u64)>,
}

#[derive(Clone, Debug)]
pub struct EmitModel {
    pub topic: TopicIdx,
    pub event_type: Sym,
    pub key: Option<StrTemplate>,
    pub data: Option<DataTemplate>,
    /// The stored payload when `data` is literal (or absent).
    pub literal_data: Option<Span>,
    pub headers: Vec<(String, StrTemplate)>,
    /// The stored headers when every header is literal.
    pub literal_headers: Option<Span>,
    pub delay: u64,
    pub schema_version: u32,
}

impl EmitModel {
    /// Whether rendering needs the trigger (any placeholder or generated value).
    pub fn is_literal(&self) -> bool {
        self.key.as_ref().is_none_or(StrTemplate::is_literal)
            && self.literal_data.is_some()
            && self.literal_headers.is_some()
    }
}

#[derive(Clone, Debug)]
pub struct GroupModel {
    pub name: String,
    /// The consumer's name: instances are `NAME#1` ...
    pub consumer: String,
    pub source: Sym,
    pub topics: Vec<TopicIdx>,
    pub instances: u32,
    pub processing: Distribution,
    /// Queues: unacked messages an instance may hold.
    pub prefetch: u32,
    pub idempotent: bool,
    pub retry_delay: u64,
    /// Logs: how long a rebalance stops the group.
    pub rebalance: u64,
    pub commit: Commit,
    pub from: From,
    pub start: u64,
    pub handlers: Vec<HandlerModel>,
    /// Event type symbol index → handler index (`None`: none, use the wildcard).
    pub by_type: Vec<Option<u32>>,
    pub wildcard: Option<u32>,
    /// (topic, partition) of each slot: the partitions of the log topics it reads.
    pub slots: Vec<(TopicIdx, Partition)>,
    /// Queue topics it reads, by queue index.
    pub queues: Vec<TopicIdx>,
    /// Number of `sequence` generated values in its emits.
    pub sequences: usize,
    /// `accepts`: event type → the schema versions it takes.
    pub accepts: Vec<(Sym, Vec<u32>)>,
    /// `upcasts`: event type → steps (from, to, data fields set).
    pub upcasts: Vec<(Sym, Vec<UpcastModel>)>,
}

/// One upcaster step: an event of version `from` becomes version `to`, with these data
/// fields set.
#[derive(Clone, Debug)]
pub struct UpcastModel {
    pub from: u32,
    pub to: u32,
    pub data: Vec<(String, serde_json::Value)>,
}

impl GroupModel {
    pub fn handler_for(&self, event_type: Sym) -> Option<&HandlerModel> {
        let index = self.by_type.get(event_type.index()).copied().flatten().or(self.wildcard)?;
        Some(&self.handlers[index as usize])
    }

    pub fn reads_logs(&self) -> bool {
        !self.slots.is_empty()
    }

    /// The upcaster steps that apply to an event of this type and version, in order, and
    /// the version it ends at.
    pub fn upcast_steps(&self, event_type: Sym, version: u32) -> (Vec<&UpcastModel>, u32) {
        let mut steps = Vec::new();
        let mut version = version;
        if let Some((_, chain)) = self.upcasts.iter().find(|(t, _)| *t == event_type) {
            while let Some(step) = chain.iter().find(|s| s.from == version) {
                steps.push(step);
                version = step.to;
            }
        }
        (steps, version)
    }

    /// Whether the group takes an event of this type and (original) version: after its
    /// upcasters, a type listed in `accepts` must be at a listed version.
    #[inline]
    pub fn accepts(&self, event_type: Sym, version: u32) -> bool {
        self.accepts.is_empty() || self.accepts_listed(event_type, version)
    }

    fn accepts_listed(&self, event_type: Sym, version: u32) -> bool {
        let Some((_, versions)) = self.accepts.iter().find(|(t, _)| *t == event_type) else { return true };
        let (_, version) = self.upcast_steps(event_type, version);
        versions.contains(&version)
    }

    /// Rewrites an event's data with the group's upcasters (setting their data fields).
    pub fn upcast_data(&self, event_type: Sym, version: u32, data: &mut serde_json::Value) {
        for step in self.upcast_steps(event_type, version).0 {
            if !data.is_object() {
                *data = serde_json::Value::Object(serde_json::Map::new());
            }
            let object = data.as_object_mut().expect("an object");
            for (field, value) in &step.data {
                object.insert(field.clone(), value.clone());
            }
        }
    }

    /// Whether the group has an upcaster for this type (its data may be rewritten).
    pub fn upcasts_type(&self, event_type: Sym) -> bool {
        self.upcasts.iter().any(|(t, _)| *t == event_type)
    }
}

#[derive(Clone, Debug)]
pub struct KeyModel {
    pub prefix: String,
    pub cardinality: u64,
    pub distribution: KeyDistribution,
    /// Zipf with at most [`ZIPF_TABLE_LIMIT`] keys: cumulative probabilities of keys
    /// 1..=cardinality; beyond, keys are drawn by rejection ([`crate::rng::Stream::zipf`]).
    pub zipf: Option<Arc<Vec<f64>>>,
    /// Zipf's exponent.
    pub zipf_s: f64,
}

#[derive(Clone, Debug)]
pub struct ProducerTypeModel {
    pub event_type: Sym,
    pub data: Option<DataTemplate>,
    /// The stored payload when `data` is literal (or absent).
    pub literal_data: Option<Span>,
    pub headers: Vec<(String, StrTemplate)>,
    /// The stored headers when every header is literal.
    pub literal_headers: Option<Span>,
    pub schema_version: u32,
}

#[derive(Clone, Debug)]
pub struct ProducerModel {
    pub name: String,
    pub source: Sym,
    pub topic: TopicIdx,
    pub rate: f64,
    pub arrival: Arrival,
    pub start: u64,
    pub stop: u64,
    pub count: Option<u64>,
    pub keys: Option<KeyModel>,
    pub types: Vec<ProducerTypeModel>,
    pub cumulative: Vec<f64>,
    pub sequences: usize,
    /// Probability that an append's acknowledgement is lost and the event sent again.
    pub retry_duplicates: f64,
    /// The broker drops such a retry.
    pub idempotent: bool,
}

/// What a fault does (the consumer and instance targets resolved).
#[derive(Clone, Debug)]
pub enum FaultAction {
    /// `instance`: a 1-based number, or `None` for every instance of the consumer.
    Crash {
        group: GroupIdx,
        instance: Option<u32>,
        restart_after: Option<u64>,
    },
    Pause {
        group: GroupIdx,
        instance: Option<u32>,
        until: u64,
    },
    Slow {
        group: GroupIdx,
        instance: Option<u32>,
        factor: f64,
        until: u64,
    },
    AddInstance {
        group: GroupIdx,
    },
    Duplicate {
        topic: TopicIdx,
        probability: f64,
        until: u64,
    },
    Delay {
        topic: TopicIdx,
        jitter: Distribution,
        until: u64,
    },
    /// From now on, producer `producer` emits the type of its `events` entry `kind` at
    /// `version` (every entry of that type).
    Upgrade {
        producer: u16,
        kind: u16,
        version: u32,
    },
}

#[derive(Clone, Debug)]
pub struct FaultModel {
    pub at: u64,
    pub action: FaultAction,
    /// The name of its random stream: the fault's index and action.
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct ScriptedModel {
    pub at: u64,
    pub topic: TopicIdx,
    pub event_type: Sym,
    pub key: Option<Sym>,
    pub id: Option<String>,
    pub correlation_id: Option<String>,
    pub source: Sym,
    pub headers: Span,
    pub data: Span,
    pub schema_version: u32,
}

/// The compiled scenario.
#[derive(Clone, Debug)]
pub struct Model {
    pub scenario: Arc<Scenario>,
    pub seed: u64,
    /// Steps with time ≤ duration run.
    pub duration: u64,
    pub topics: Vec<TopicModel>,
    pub groups: Vec<GroupModel>,
    pub producers: Vec<ProducerModel>,
    pub scripted: Vec<ScriptedModel>,
    pub faults: Vec<FaultModel>,
    pub aggregates: Vec<AggregateModel>,
    /// Per group: the aggregate its consumer projects (`project`), if any.
    pub projects: Vec<Option<AggregateIdx>>,
    pub sagas: Vec<SagaModel>,
    /// The string table as it stands before the run: every name in the scenario.
    pub strings: Strings,
    /// The payload arena as it stands before the run: every literal `data` and `headers`.
    pub payloads: Payloads,
    /// Names back to indices (see [`Model::topic_named`] and its siblings).
    names: Names,
}

/// Name → index look-ups: the inverse of the names in [`Model::topics`] and
/// [`Model::groups`], for reading names back (a recorded trace, an expectation).
#[derive(Clone, Debug, Default)]
struct Names {
    topics: FxHashMap<String, TopicIdx>,
    groups: FxHashMap<String, GroupIdx>,
    /// Consumer name → its group.
    consumers: FxHashMap<String, GroupIdx>,
}

/// A compile error: the scenario passed validation but cannot be built (a limit of the
/// compact trace, such as more than 65 535 instances in all).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

fn compile_headers(
    headers: &indexmap::IndexMap<String, String>,
    site: Site,
) -> Result<Vec<(String, StrTemplate)>, CompileError> {
    headers.iter().map(|(k, v)| StrTemplate::parse(v, site).map(|t| (k.clone(), t)).map_err(CompileError)).collect()
}

/// Stores a literal payload once, before the run.
fn literal_data(data: Option<&DataTemplate>, payloads: &mut Payloads) -> Option<Span> {
    match data {
        None => Some(Span::EMPTY_OBJECT),
        Some(DataTemplate::Literal(value)) => Some(payloads.push(value)),
        Some(_) => None,
    }
}

/// Stores literal headers once, before the run.
fn literal_headers(headers: &[(String, StrTemplate)], payloads: &mut Payloads) -> Option<Span> {
    let literal: Option<Vec<(String, String)>> = headers
        .iter()
        .map(|(k, t)| match t {
            StrTemplate::Literal(text) => Some((k.clone(), text.to_string())),
            _ => None,
        })
        .collect();
    literal.map(|h| payloads.push_headers(&h))
}

fn compile_optional_data(
    data: Option<&serde_json::Value>,
    site: Site,
    sequences: &mut Vec<String>,
) -> Result<Option<DataTemplate>, CompileError> {
    data.map(|d| compile_data(d, site, "data", sequences).map_err(|(path, e)| CompileError(format!("{path}: {e}"))))
        .transpose()
}

/// The topics, with their bus rules (subscribers and aggregates are added later).
fn compile_topics(
    scenario: &Scenario,
    topic_index: &impl Fn(&str) -> Result<TopicIdx, CompileError>,
) -> Result<Vec<TopicModel>, CompileError> {
    let mut topics: Vec<TopicModel> = scenario
        .topics
        .iter()
        .map(|t| TopicModel {
            name: t.name.clone(),
            kind: t.kind,
            partitions: if t.kind == TopicKind::Log { t.partitions.unwrap_or(1) } else { 1 },
            subscribers: Vec::new(),
            visibility_timeout: t.visibility_timeout.map_or(30_000_000, Duration::as_micros),
            max_receives: t.max_receives,
            dead_letter: t
                .dead_letter
                .as_deref()
                .and_then(|d| scenario.topics.iter().position(|x| x.name == d))
                .map(TopicIdx::new),
            fifo: t.fifo.unwrap_or(false),
            dedup_window: t.dedup_window.map_or(300_000_000, Duration::as_micros),
            aggregates: Vec::new(),
            rules: Vec::new(),
        })
        .collect();
    for (t, topic) in scenario.topics.iter().enumerate() {
        for rule in topic.rules.iter().flatten() {
            let pattern = crate::bus::Pattern::parse(&rule.pattern)
                .map_err(|e| CompileError(format!("rule \"{}\": {}", rule.name, e.message)))?;
            let targets = rule.targets.iter().map(|name| topic_index(name)).collect::<Result<_, _>>()?;
            topics[t].rules.push(RuleModel { name: rule.name.clone(), pattern, targets });
        }
    }
    Ok(topics)
}

/// One producer: its event types (literal payloads stored once), keys and weights.
fn compile_producer(
    scenario: &Scenario,
    p: &crate::scenario::model::Producer,
    topic_index: &impl Fn(&str) -> Result<TopicIdx, CompileError>,
    strings: &mut Strings,
    payloads: &mut Payloads,
) -> Result<ProducerModel, CompileError> {
    let mut sequences = Vec::new();
    let types = p
        .events
        .iter()
        .map(|e| {
            let data = compile_optional_data(e.data.as_ref(), Site::Producer, &mut sequences)?;
            let headers = compile_headers(&e.headers, Site::Producer)?;
            Ok(ProducerTypeModel {
                event_type: strings.intern(&e.event_type),
                literal_data: literal_data(data.as_ref(), payloads),
                literal_headers: literal_headers(&headers, payloads),
                data,
                headers,
                schema_version: e.schema_version,
            })
        })
        .collect::<Result<Vec<_>, CompileError>>()?;
    let keys = p.keys.as_ref().map(|k| KeyModel {
        prefix: k.prefix.clone(),
        cardinality: k.cardinality.max(1),
        distribution: k.distribution,
        zipf: (k.distribution == KeyDistribution::Zipf && k.cardinality <= ZIPF_TABLE_LIMIT).then(|| {
            let s = k.zipf_s.unwrap_or(1.0);
            Arc::new(rng::cumulative((1..=k.cardinality.max(1)).map(|i| 1.0 / libm::pow(i as f64, s))))
        }),
        zipf_s: k.zipf_s.unwrap_or(1.0),
    });
    Ok(ProducerModel {
        name: p.name.clone(),
        source: strings.intern(&p.name),
        topic: topic_index(&p.topic)?,
        rate: p.rate,
        arrival: p.arrival,
        start: p.start.as_micros(),
        stop: p.stop.unwrap_or(scenario.duration).as_micros(),
        count: p.count,
        keys,
        cumulative: rng::cumulative(p.events.iter().map(|e| e.weight)),
        types,
        sequences: sequences.len(),
        retry_duplicates: p.retry_duplicates.unwrap_or(0.0),
        idempotent: p.idempotent.unwrap_or(false),
    })
}

/// One scripted event, its payloads stored.
fn compile_scripted(
    e: &crate::scenario::model::ScriptedEvent,
    topic_index: &impl Fn(&str) -> Result<TopicIdx, CompileError>,
    strings: &mut Strings,
    payloads: &mut Payloads,
) -> Result<ScriptedModel, CompileError> {
    Ok(ScriptedModel {
        at: e.at.as_micros(),
        topic: topic_index(&e.topic)?,
        event_type: strings.intern(&e.event_type),
        key: e.key.as_deref().map(|k| strings.intern(k)),
        id: e.id.clone(),
        correlation_id: e.correlation_id.clone(),
        source: strings.intern(&e.source),
        headers: payloads.push_headers(&e.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>()),
        data: e.data.as_ref().map_or(Span::EMPTY_OBJECT, |d| payloads.push(d)),
        schema_version: e.schema_version,
    })
}

/// What a consumer's group is compiled from, once every type symbol is interned.
struct GroupParts {
    handlers: Vec<HandlerModel>,
    named: Vec<(Sym, u32)>,
    wildcard: Option<u32>,
    slots: Vec<(TopicIdx, Partition)>,
    queues: Vec<TopicIdx>,
    subscribed: Vec<TopicIdx>,
    sequences: usize,
}

/// One consumer's group: its handler table by type, accepted versions and upcasters.
fn compile_group(c: &crate::scenario::model::Consumer, parts: GroupParts, strings: &mut Strings) -> GroupModel {
    let GroupParts { handlers, named, wildcard, slots, queues, subscribed, sequences } = parts;
    let mut by_type = vec![None; strings.len()];
    for (sym, index) in named {
        by_type[sym.index()] = Some(index);
    }
    let accepts = c.accepts.iter().flatten().map(|(t, versions)| (strings.intern(t), versions.clone())).collect();
    let upcasts = c
        .upcasts
        .iter()
        .flatten()
        .map(|(t, steps)| {
            let steps = steps
                .iter()
                .map(|u| UpcastModel {
                    from: u.from,
                    to: u.to,
                    data: u.data.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                })
                .collect();
            (strings.intern(t), steps)
        })
        .collect();
    GroupModel {
        accepts,
        upcasts,
        name: c.group.clone().unwrap_or_else(|| c.name.clone()),
        consumer: c.name.clone(),
        source: strings.intern(&c.name),
        topics: subscribed,
        instances: c.instances,
        processing: c.processing,
        prefetch: c.prefetch.unwrap_or(1).max(1),
        idempotent: c.idempotent.unwrap_or(false),
        retry_delay: c.retry_delay.map_or(0, Duration::as_micros),
        rebalance: c.rebalance.map_or(100_000, Duration::as_micros),
        commit: c.commit,
        from: c.from,
        start: c.start.as_micros(),
        handlers,
        by_type,
        wildcard,
        slots,
        queues,
        sequences,
    }
}

/// A consumer's handlers and subscriptions (the topics learn their subscriber).
#[allow(clippy::too_many_arguments, reason = "the compiler's tables, passed apart to be borrowed apart")]
fn group_parts(
    scenario: &Scenario,
    c: &crate::scenario::model::Consumer,
    group: GroupIdx,
    topics: &mut [TopicModel],
    topic_index: &impl Fn(&str) -> Result<TopicIdx, CompileError>,
    strings: &mut Strings,
    payloads: &mut Payloads,
) -> Result<GroupParts, CompileError> {
    let mut sequences = Vec::new();
    let mut handlers = Vec::new();
    let mut named = Vec::new();
    let mut wildcard = None;
    for (event_type, handler) in &c.handles {
        let index = handlers.len() as u32;
        handlers.push(compile_handler(scenario, handler, topic_index, strings, payloads, &mut sequences)?);
        if event_type == "*" {
            wildcard = Some(index);
        } else {
            named.push((strings.intern(event_type), index));
        }
    }
    let mut slots = Vec::new();
    let mut queues = Vec::new();
    let mut subscribed = Vec::new();
    for name in &c.topics {
        let t = topic_index(name)?;
        subscribed.push(t);
        let topic = &mut topics[usize::from(t)];
        match topic.kind {
            TopicKind::Log => {
                topic.subscribers.push(Subscription { group, base: slots.len() as u32 });
                slots.extend((0..topic.partitions).map(|p| (t, Partition::new(p as usize))));
            }
            TopicKind::Queue => {
                topic.subscribers.push(Subscription { group, base: queues.len() as u32 });
                queues.push(t);
            }
            TopicKind::Bus => return Err(CompileError(format!("cannot subscribe to bus \"{name}\""))),
        }
    }
    Ok(GroupParts { handlers, named, wildcard, slots, queues, subscribed, sequences: sequences.len() })
}

/// One saga: its types interned.
fn compile_saga(saga: &crate::scenario::model::Saga, strings: &mut Strings) -> SagaModel {
    SagaModel {
        name: saga.name.clone(),
        starts: strings.intern(&saga.starts),
        completes: saga.completes.iter().map(|t| strings.intern(t)).collect(),
        fails: saga.fails.iter().map(|t| strings.intern(t)).collect(),
        compensations: saga
            .compensations
            .iter()
            .take(64)
            .map(|(a, b)| (strings.intern(a), strings.intern(b)))
            .collect(),
    }
}

impl Model {
    /// Compiles a validated scenario with the given seed.
    pub fn compile(scenario: Arc<Scenario>, seed: u64) -> Result<Self, CompileError> {
        let mut strings = Strings::default();
        let mut payloads = Payloads::default();
        if scenario.topics.len() >= TopicIdx::LIMIT || scenario.consumers.len() >= GroupIdx::LIMIT {
            return Err(CompileError("more than 65 534 topics or consumers".to_owned()));
        }
        let topic_names: FxHashMap<String, TopicIdx> =
            scenario.topics.iter().enumerate().map(|(i, t)| (t.name.clone(), TopicIdx::new(i))).collect();
        let topic_index = |name: &str| -> Result<TopicIdx, CompileError> {
            topic_names.get(name).copied().ok_or_else(|| CompileError(format!("unknown topic \"{name}\"")))
        };
        let mut topics = compile_topics(&scenario, &topic_index)?;

        let producers = (scenario.producers.iter())
            .map(|p| compile_producer(&scenario, p, &topic_index, &mut strings, &mut payloads))
            .collect::<Result<Vec<_>, _>>()?;

        let scripted = (scenario.events.iter())
            .map(|e| compile_scripted(e, &topic_index, &mut strings, &mut payloads))
            .collect::<Result<Vec<_>, _>>()?;

        let mut groups = Vec::new();
        let mut total_instances = 0u64;
        for (gi, c) in scenario.consumers.iter().enumerate() {
            total_instances += u64::from(c.instances);
            let group = GroupIdx::new(gi);
            let parts = group_parts(&scenario, c, group, &mut topics, &topic_index, &mut strings, &mut payloads)?;
            groups.push((c, parts));
        }
        // Each `add_instance` fault adds one more.
        total_instances +=
            scenario.faults.iter().filter(|f| matches!(f.spec(), Ok(FaultSpec::AddInstance { .. }))).count() as u64;
        if total_instances >= crate::index::InstanceIdx::LIMIT as u64 {
            return Err(CompileError(format!("{total_instances} instances in all: the limit is 65 534")));
        }
        // Type symbols are all interned by now, so handler tables can be sized once.
        let groups: Vec<GroupModel> =
            groups.into_iter().map(|(c, parts)| compile_group(c, parts, &mut strings)).collect();

        let faults = compile_faults(&scenario, &topic_index)?;
        let fetched = |name: &str| {
            scenario
                .consumers
                .iter()
                .flat_map(|c| c.handles.values())
                .any(|h| h.fetch.as_ref().is_some_and(|f| f.aggregate == name))
        };
        let mut aggregates = Vec::new();
        for (a, agg) in scenario.aggregates.iter().enumerate() {
            let topic = topic_index(&agg.topic)?;
            topics[topic.index()].aggregates.push(AggregateIdx::new(a));
            aggregates.push(AggregateModel {
                name: agg.name.clone(),
                topic,
                rules: Arc::new(
                    crate::fold::Rules::compile(&agg.initial, &agg.apply, &mut strings)
                        .map_err(|e| CompileError(format!("aggregate \"{}\": {e}", agg.name)))?,
                ),
                snapshot_every: agg.snapshot_every.map_or(0, |n| n.min(u64::from(u32::MAX)) as u32),
                fetched: fetched(&agg.name),
            });
        }
        let aggregate_index =
            |name: &str| scenario.aggregates.iter().position(|a| a.name == name).map(AggregateIdx::new);
        let projects = scenario.consumers.iter().map(|c| c.project.as_deref().and_then(aggregate_index)).collect();
        let sagas = scenario.sagas.iter().map(|saga| compile_saga(saga, &mut strings)).collect();
        let names = Names {
            groups: groups.iter().enumerate().map(|(g, gm)| (gm.name.clone(), GroupIdx::new(g))).collect(),
            consumers: groups.iter().enumerate().map(|(g, gm)| (gm.consumer.clone(), GroupIdx::new(g))).collect(),
            topics: topic_names,
        };
        Ok(Model {
            names,
            sagas,
            faults,
            aggregates,
            projects,
            seed,
            duration: scenario.duration.as_micros(),
            topics,
            groups,
            producers,
            scripted,
            strings,
            payloads,
            scenario,
        })
    }

    /// An instance's name: `CONSUMER#NUMBER`.
    pub fn instance_name(&self, group: GroupIdx, number: u32) -> String {
        format!("{}#{number}", self.groups[usize::from(group)].consumer)
    }

    /// The index of the topic with this name.
    pub fn topic_named(&self, name: &str) -> Option<TopicIdx> {
        self.names.topics.get(name).copied()
    }

    /// The index of the consumer group with this name.
    pub fn group_named(&self, name: &str) -> Option<GroupIdx> {
        self.names.groups.get(name).copied()
    }

    /// The group of the consumer with this name.
    pub fn consumer_named(&self, name: &str) -> Option<GroupIdx> {
        self.names.consumers.get(name).copied()
    }

    /// The group and number of an instance name, `CONSUMER#NUMBER` as
    /// [`Model::instance_name`] writes it (whether that instance exists is the trace's to say).
    pub fn instance_named(&self, name: &str) -> Option<(GroupIdx, u32)> {
        let (consumer, digits) = name.rsplit_once('#')?;
        // As written: digits only, no leading zero (so no `#0` either).
        if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((self.consumer_named(consumer)?, digits.parse().ok()?))
    }
}

fn compile_handler(
    scenario: &Scenario,
    handler: &Handler,
    topic_index: &impl Fn(&str) -> Result<TopicIdx, CompileError>,
    strings: &mut Strings,
    payloads: &mut Payloads,
    sequences: &mut Vec<String>,
) -> Result<HandlerModel, CompileError> {
    let site = if handler.fetch.is_some() { Site::EmitWithFetch } else { Site::Emit };
    let mut compile_emits =
        |emits: Option<&Vec<crate::scenario::model::Emit>>| -> Result<Vec<EmitModel>, CompileError> {
            emits
                .into_iter()
                .flatten()
                .map(|e| {
                    let data = compile_optional_data(e.data.as_ref(), site, sequences)?;
                    let headers = compile_headers(&e.headers, site)?;
                    Ok(EmitModel {
                        literal_data: literal_data(data.as_ref(), payloads),
                        literal_headers: literal_headers(&headers, payloads),
                        data,
                        headers,
                        topic: topic_index(&e.topic)?,
                        event_type: strings.intern(&e.event_type),
                        key: e.key.as_deref().map(|k| StrTemplate::parse(k, site)).transpose().map_err(CompileError)?,
                        delay: e.delay.map_or(0, Duration::as_micros),
                        schema_version: e.schema_version.unwrap_or(1),
                    })
                })
                .collect()
        };
    let outcomes = match &handler.outcomes {
        Some(outcomes) => outcomes
            .iter()
            .map(|o| Ok((o.weight, OutcomeModel { fail: o.fail, emits: compile_emits(o.emit.as_ref())? })))
            .collect::<Result<Vec<_>, CompileError>>()?,
        None => vec![(1.0, OutcomeModel { fail: false, emits: compile_emits(handler.emit.as_ref())? })],
    };
    let fetch = match &handler.fetch {
        Some(f) => Some((
            scenario
                .aggregates
                .iter()
                .position(|a| a.name == f.aggregate)
                .map(AggregateIdx::new)
                .ok_or_else(|| CompileError(format!("unknown aggregate \"{}\"", f.aggregate)))?,
            f.latency.as_micros(),
        )),
        None => None,
    };
    Ok(HandlerModel {
        fetch,
        fail_probability: handler.fail_probability.unwrap_or(0.0),
        cumulative: rng::cumulative(outcomes.iter().map(|(w, _)| *w)),
        outcomes: outcomes.into_iter().map(|(_, o)| o).collect(),
    })
}

/// A consumer fault's target: the group, and the instance number if one is named.
fn consumer_target(scenario: &Scenario, target: Target<'_>) -> Result<(GroupIdx, Option<u32>), CompileError> {
    let Target { consumer: name, instance } = target;
    let instance = instance
        .map(|number| number.parse::<u32>().map_err(|_| CompileError(format!("bad instance \"{name}#{number}\""))))
        .transpose()?;
    let group = scenario
        .consumers
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| CompileError(format!("unknown consumer \"{name}\"")))?;
    Ok((GroupIdx::new(group), instance))
}

fn compile_faults(
    scenario: &Scenario,
    topic_index: &impl Fn(&str) -> Result<TopicIdx, CompileError>,
) -> Result<Vec<FaultModel>, CompileError> {
    let mut faults = Vec::new();
    for (i, f) in scenario.faults.iter().enumerate() {
        let at = f.at.as_micros();
        let spec = f.spec().map_err(|e| CompileError(format!("faults[{i}]: {}", e.message)))?;
        let until = |for_: Option<Duration>| for_.map_or(u64::MAX, |d| at.saturating_add(d.as_micros()));
        let action = match spec {
            FaultSpec::Crash { target, restart_after } => {
                let (group, instance) = consumer_target(scenario, target)?;
                FaultAction::Crash { group, instance, restart_after: restart_after.map(Duration::as_micros) }
            }
            FaultSpec::Pause { target, for_ } => {
                let (group, instance) = consumer_target(scenario, target)?;
                FaultAction::Pause { group, instance, until: until(for_) }
            }
            FaultSpec::Slow { target, factor, for_ } => {
                let (group, instance) = consumer_target(scenario, target)?;
                FaultAction::Slow { group, instance, factor, until: until(for_) }
            }
            FaultSpec::AddInstance { consumer } => {
                FaultAction::AddInstance { group: consumer_target(scenario, Target { consumer, instance: None })?.0 }
            }
            FaultSpec::Duplicate { topic, probability, for_ } => {
                FaultAction::Duplicate { topic: topic_index(topic)?, probability, until: until(for_) }
            }
            FaultSpec::Delay { topic, jitter, for_ } => {
                FaultAction::Delay { topic: topic_index(topic)?, jitter, until: until(for_) }
            }
            FaultSpec::Upgrade { producer: name, event_type, schema_version } => {
                let producer = scenario
                    .producers
                    .iter()
                    .position(|p| p.name == name)
                    .ok_or_else(|| CompileError(format!("unknown producer \"{name}\"")))?;
                let kind = scenario.producers[producer]
                    .events
                    .iter()
                    .position(|e| e.event_type == event_type)
                    .ok_or_else(|| CompileError(format!("producer \"{name}\" has no type \"{event_type}\"")))?;
                FaultAction::Upgrade { producer: producer as u16, kind: kind as u16, version: schema_version }
            }
        };
        faults.push(FaultModel { at, action, name: format!("{i}:{}", spec.action()) });
    }
    Ok(faults)
}
