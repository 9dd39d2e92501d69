//! Validation of a parsed scenario: everything serde cannot see.
//!
//! Checks names, references between parts of the file (with "did you mean"), ranges,
//! fields that apply only to some topic kinds, templates, expectations, the parts of the
//! format that are not supported yet, and the estimated size of the run. The first problem
//! wins; sections are checked in the order the format describes them (topics, producers,
//! scripted events, consumers, faults, aggregates, sagas, expectations, notes) and items in
//! file order, so the reported problem is the first one a reader of a conventionally
//! ordered file meets. Serde does not keep the order of an object's keys, so within one
//! item the order of the checks is the order of the model's fields.
//!
//! A part of the format that is not supported yet is reported only when the file has no
//! other problem: its shape and references are checked like the rest, so a file that uses
//! it gets every real mistake pointed out first, and enabling it changes no other message.

use std::cell::RefCell;

use indexmap::IndexMap;
use serde_json::Value;

use super::fault::{FaultSpec, Target};
use super::limits::{Limits, MAX_INSTANCES, MAX_PARTITIONS};
use super::model::{
    Aggregate, Commit, Consumer, Emit, Expectation, Fault, Handler, Metric, Producer, Rule, Saga, Scenario,
    ScriptedEvent, Topic, TopicKind,
};
use super::suggest::did_you_mean;
use super::template::{Site, StrTemplate, compile_data};
use super::value::Duration;

/// The first problem found in a scenario: a field path (`consumers[0].topics[1]`, empty
/// for the whole file) and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub message: String,
}

type Check = Result<(), Invalid>;

fn fail<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid { path: path.into(), message: message.into() })
}

/// Parts of the format that parse and are validated but that the simulator does not run
/// yet, as `"context.field"`; the part after the last dot is what the error names. Enabling
/// one is deleting its line here.
const NOT_SUPPORTED_YET: &[&str] = &[];

/// The message for `feature` (an entry of [`NOT_SUPPORTED_YET`]) used at `path`, while it
/// is listed.
fn not_yet(feature: &str, path: &str) -> Option<Invalid> {
    debug_assert!(feature.contains('.'), "features are written as context.field");
    NOT_SUPPORTED_YET.contains(&feature).then(|| {
        let field = feature.rsplit('.').next().unwrap_or(feature);
        Invalid { path: path.to_owned(), message: format!("\"{field}\" is not supported yet") }
    })
}

/// Checks the `explore` section of a scenario whose other parts are valid: its ranges, and
/// each template's faults at the ends of its ranges as the scenario's own faults are
/// checked, the path rewritten to `explore.faults[I]`.
fn check_explore(s: &Scenario, explore: &super::model::Explore, limits: &Limits) -> Check {
    super::explore::check_ranges(explore).or_else(|(path, message)| fail(path, message))?;
    let mut alone = s.clone();
    alone.explore = None;
    alone.variants.clear();
    let k = alone.faults.len();
    let prefix = format!("faults[{k}]");
    let limits = Limits { max_steps: u64::MAX, ..*limits };
    for (i, template) in explore.faults.iter().enumerate() {
        for fault in super::explore::bounds(template) {
            alone.faults.truncate(k);
            alone.faults.push(fault);
            if let Err(invalid) = validate(&alone, &limits) {
                let path = match invalid.path.strip_prefix(&prefix) {
                    Some(rest) => format!("explore.faults[{i}]{rest}"),
                    None => invalid.path,
                };
                return fail(path, invalid.message);
            }
        }
    }
    Ok(())
}

/// Checks a parsed scenario; see the module docs for what and in which order.
pub fn validate(s: &Scenario, limits: &Limits) -> Result<(), Invalid> {
    let names = Names::of(s);
    let v = Validator { s, names: &names, unsupported: RefCell::new(None) };
    if s.duration == Duration::ZERO {
        return fail("duration", "duration must be greater than 0");
    }
    if s.topics.is_empty() {
        return fail("topics", "a scenario needs at least one topic");
    }
    for (i, topic) in s.topics.iter().enumerate() {
        v.topic(i, topic)?;
    }
    for (i, producer) in s.producers.iter().enumerate() {
        v.producer(i, producer)?;
    }
    for (i, event) in s.events.iter().enumerate() {
        v.scripted(i, event)?;
    }
    for (i, consumer) in s.consumers.iter().enumerate() {
        v.consumer(i, consumer)?;
    }
    for (i, fault) in s.faults.iter().enumerate() {
        v.fault(i, fault)?;
    }
    for (i, fault) in s.faults.iter().enumerate() {
        if fault.upgrade.is_some() {
            v.not_yet("fault.upgrade", &format!("faults[{i}].upgrade"));
        }
    }
    for (i, aggregate) in s.aggregates.iter().enumerate() {
        v.aggregate(i, aggregate)?;
    }
    if !s.aggregates.is_empty() {
        v.not_yet("scenario.aggregates", "aggregates");
    }
    for (i, saga) in s.sagas.iter().enumerate() {
        v.saga(i, saga)?;
    }
    for (i, expectation) in s.expect.iter().enumerate() {
        v.expectation(i, expectation)?;
    }
    for (i, note) in s.notes.iter().enumerate() {
        if note.text.trim().is_empty() {
            return fail(format!("notes[{i}].text"), "a note needs some text");
        }
    }
    if let Some(unsupported) = v.unsupported.into_inner() {
        return Err(unsupported);
    }
    if let Some(explore) = &s.explore {
        check_explore(s, explore, limits)?;
    }
    let estimate = estimate_steps(s);
    if estimate > limits.max_steps {
        let max = limits.max_steps;
        let message = if estimate == u64::MAX {
            format!(
                "estimated {estimate} steps or more (an emit cycle that takes no time or keeps growing, or rates too \
                 high to count) exceeds the limit of {max} (--max-steps raises it)"
            )
        } else {
            format!("estimated {estimate} steps exceeds the limit of {max} (--max-steps raises it)")
        };
        return fail("duration", message);
    }
    let steps = (limits.max_steps != u64::MAX).then_some(estimate);
    let memory = estimate_memory(s, steps);
    if memory.total() > limits.max_memory || memory.parts.iter().any(|p| p.bytes == u64::MAX) {
        return Err(memory.refusal(limits.max_memory));
    }
    if let Some(part) =
        memory.parts.iter().find(|p| p.what.starts_with("event payloads") && p.bytes > MAX_PAYLOAD_BYTES)
    {
        return fail(
            part.path.clone(),
            format!(
                "{} need about {}, more than the {} a run's payloads can hold",
                part.what,
                format_bytes(part.bytes),
                format_bytes(MAX_PAYLOAD_BYTES)
            ),
        );
    }
    Ok(())
}

pub use super::limits::BYTES_PER_STEP;
/// One partition of a log: its records' vector, the analysis's per-partition state
/// (measured: 1 million partitions take 47 MB).
const BYTES_PER_PARTITION: u64 = 48;
/// One group's view of one partition (offsets, owner) in the simulator and in the analysis
/// (measured: 10 million take 293 MB).
const BYTES_PER_SLOT: u64 = 32;
/// One consumer instance in the simulator, the trace and the analysis (measured: 65 000
/// take 24 MB).
const BYTES_PER_INSTANCE: u64 = 512;
/// A producer's table of the keys it has drawn, 8 bytes a key up to [`KEY_TABLE_LIMIT`]
/// keys (a map beyond, which grows with the keys drawn, that is with the steps).
const BYTES_PER_KEY: u64 = 8;
/// The most keys a producer keeps in a table (the simulator's `KeyCache` uses the same).
pub const KEY_TABLE_LIMIT: u64 = 1 << 20;
/// Up to this many keys, a zipf producer samples from a table of cumulative weights (8
/// bytes a key, as it always did, so the draws of existing scenarios stay the same);
/// beyond, it samples by rejection without a table ([`crate::rng::Stream::zipf`]).
pub const ZIPF_TABLE_LIMIT: u64 = 1 << 16;
/// The most bytes of payloads a run stores (its spans are 32-bit), less a margin for the
/// payloads a run makes beyond its estimate (crash redeliveries, duplicates).
pub const MAX_PAYLOAD_BYTES: u64 = 3 << 30;
/// The program itself, its lessons and buffers.
const BASE_BYTES: u64 = 16 << 20;

/// What a run is estimated to hold in memory, part by part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    pub parts: Vec<MemoryPart>,
}

/// One part of a [`MemoryEstimate`]: where in the file it comes from (a field path), what it
/// is (`"topics × partitions × groups: 65000000 partition slots"`) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryPart {
    pub path: String,
    pub what: String,
    pub bytes: u64,
}

impl MemoryEstimate {
    /// All parts together, the program's own share included.
    pub fn total(&self) -> u64 {
        self.parts.iter().fold(BASE_BYTES, |sum, part| sum.saturating_add(part.bytes))
    }

    /// The part that takes the most.
    pub fn largest(&self) -> Option<&MemoryPart> {
        self.parts.iter().max_by_key(|part| part.bytes)
    }

    /// The one-line refusal when [`MemoryEstimate::total`] is over `budget`, naming the part
    /// that takes the most.
    fn refusal(&self, budget: u64) -> Invalid {
        let total = self.total();
        let budget_text = format_bytes(budget);
        let Some(part) = self.largest() else {
            return Invalid {
                path: String::new(),
                message: format!(
                    "the run needs about {} of memory, over the {budget_text} budget (--max-memory raises it)",
                    format_bytes(total)
                ),
            };
        };
        let need = format_bytes(part.bytes);
        let message = if part.bytes == u64::MAX {
            format!("{} need more memory than any budget: they grow without bound", part.what)
        } else if part.bytes > budget {
            format!("{} need about {need}, over the {budget_text} budget (--max-memory raises it)", part.what)
        } else {
            format!(
                "the run needs about {} of memory in all, over the {budget_text} budget (--max-memory raises it); \
                 the most: {}, about {need}",
                format_bytes(total),
                part.what
            )
        };
        Invalid { path: part.path.clone(), message }
    }
}

/// `512 B`, `12 KiB`, `1.9 GiB`: bytes in binary units, three significant figures at most.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ if value >= 100.0 || (value - value.round()).abs() < 0.05 => format!("{value:.0} {}", UNITS[unit]),
        _ if value >= 10.0 => format!("{value:.1} {}", UNITS[unit]).replace(".0 ", " "),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

/// An estimate of the memory a run takes, from the sizes the scenario asks for: every log
/// partition, every group's view of every partition it reads (topics × partitions × groups),
/// every instance, the producers' key tables, and `steps` (the estimated steps, when they
/// count) at [`BYTES_PER_STEP`]. Like [`estimate_steps`], a guard against absurd sizes
/// rather than a prediction: the figures are calibrated on measured runs, and what grows
/// with the steps (payloads, duplicates, retries) is bounded while running by
/// [`Limits::step_cap`].
pub fn estimate_memory(s: &Scenario, steps: Option<u64>) -> MemoryEstimate {
    let mut parts = Vec::new();
    let partitions_of = |t: &Topic| if t.kind == TopicKind::Log { u64::from(t.partitions.unwrap_or(1)) } else { 1 };
    let partitions: u64 = s.topics.iter().map(partitions_of).sum();
    parts.push(MemoryPart {
        path: "topics".to_owned(),
        what: format!("topics × partitions: {partitions} partitions"),
        bytes: partitions.saturating_mul(BYTES_PER_PARTITION),
    });
    let slots: u64 = s
        .consumers
        .iter()
        .map(|c| {
            let read: indexmap::IndexSet<&str> = c.topics.iter().map(String::as_str).collect();
            s.topics.iter().filter(|t| read.contains(t.name.as_str())).map(partitions_of).sum::<u64>()
        })
        .sum();
    parts.push(MemoryPart {
        path: "consumers".to_owned(),
        what: format!("topics × partitions × groups: {slots} partition slots"),
        bytes: slots.saturating_mul(BYTES_PER_SLOT),
    });
    let instances: u64 = s.consumers.iter().map(|c| u64::from(c.instances)).sum();
    parts.push(MemoryPart {
        path: "consumers".to_owned(),
        what: format!("consumers × instances: {instances} instances"),
        bytes: instances.saturating_mul(BYTES_PER_INSTANCE),
    });
    let mut keys = 0u64;
    let mut biggest: Option<(usize, u64)> = None;
    for (i, p) in s.producers.iter().enumerate() {
        let Some(k) = &p.keys else { continue };
        let mut n = k.cardinality.min(KEY_TABLE_LIMIT).saturating_add(1);
        if k.distribution == super::model::KeyDistribution::Zipf && k.cardinality <= ZIPF_TABLE_LIMIT {
            n = n.saturating_add(k.cardinality);
        }
        keys = keys.saturating_add(n);
        if biggest.is_none_or(|(_, most)| n > most) {
            biggest = Some((i, n));
        }
    }
    if let Some((i, _)) = biggest {
        parts.push(MemoryPart {
            path: if s.producers.len() == 1 { format!("producers[{i}].keys") } else { "producers".to_owned() },
            what: format!("producers' key tables: {keys} entries"),
            bytes: keys.saturating_mul(BYTES_PER_KEY),
        });
    }
    // Payloads: the producers' events, and the emitted events beyond what a step's share
    // covers. Like the steps, they count only for a run still to come (a recorded trace holds
    // its payloads in the file).
    let payload_bytes = if steps.is_some() {
        let payloads = super::payload::estimate(s, |p| producer_events(s, &s.producers[p]));
        let emitted = payloads.per_emitted.saturating_mul(estimate_counts(s).1);
        Some((payloads.produced.saturating_add(emitted), payloads.per_emitted, emitted > payloads.produced))
    } else {
        None
    };
    if let Some((payload_bytes, per_emitted, mostly_emitted)) = payload_bytes.filter(|(bytes, ..)| *bytes > 0) {
        let what = if per_emitted == u64::MAX {
            "event payloads (an emit cycle whose data grows at every hop)".to_owned()
        } else {
            "event payloads and keys".to_owned()
        };
        let path = if mostly_emitted { "consumers" } else { "producers" };
        parts.push(MemoryPart { path: path.to_owned(), what, bytes: payload_bytes });
    }
    if let Some(steps) = steps {
        parts.push(MemoryPart {
            path: "duration".to_owned(),
            what: format!("estimated {steps} steps ({BYTES_PER_STEP} bytes each)"),
            bytes: steps.saturating_mul(BYTES_PER_STEP),
        });
    }
    MemoryEstimate { parts }
}

/// The events producer `p` makes, as [`estimate_steps`] counts them:
/// `min(count, ⌊rate × (stop − start)⌋ + 1)` for the part of its window before `duration`.
fn producer_event_count(s: &Scenario, p: &Producer) -> f64 {
    let duration = s.duration.as_micros();
    let stop = p.stop.map_or(duration, Duration::as_micros).min(duration);
    let start = p.start.as_micros();
    let n = if start >= stop {
        0.0
    } else if p.rate.is_finite() && p.rate > 0.0 {
        (p.rate * ((stop - start) as f64 / 1e6)).floor() + 1.0
    } else {
        f64::INFINITY
    };
    p.count.map_or(n, |count| n.min(count as f64))
}

/// [`producer_event_count`] as a whole number (saturating).
fn producer_events(s: &Scenario, p: &Producer) -> u64 {
    let n = producer_event_count(s, p);
    if n >= u64::MAX as f64 { u64::MAX } else { n as u64 }
}

/// The names of each kind, first occurrence winning (duplicates are reported where they
/// appear, in file order).
struct Names<'a> {
    topics: IndexMap<&'a str, (usize, &'a Topic)>,
    producers: IndexMap<&'a str, (usize, &'a Producer)>,
    consumers: IndexMap<&'a str, (usize, &'a Consumer)>,
    groups: IndexMap<&'a str, usize>,
    /// Every event type something publishes: producers, scripted events, emits.
    types: indexmap::IndexSet<&'a str>,
    aggregates: IndexMap<&'a str, usize>,
    sagas: IndexMap<&'a str, usize>,
}

impl<'a> Names<'a> {
    fn of(s: &'a Scenario) -> Self {
        fn table<'a, T>(items: &'a [T], name: impl Fn(&'a T) -> &'a str) -> IndexMap<&'a str, (usize, &'a T)> {
            let mut map = IndexMap::new();
            for (i, item) in items.iter().enumerate() {
                map.entry(name(item)).or_insert((i, item));
            }
            map
        }
        let mut groups = IndexMap::new();
        for (i, c) in s.consumers.iter().enumerate() {
            groups.entry(group_of(c)).or_insert(i);
        }
        let mut types = indexmap::IndexSet::new();
        types.extend(s.producers.iter().flat_map(|p| p.events.iter().map(|e| e.event_type.as_str())));
        types.extend(s.events.iter().map(|e| e.event_type.as_str()));
        for handler in s.consumers.iter().flat_map(|c| c.handles.values()) {
            let outcomes = handler.outcomes.iter().flatten().filter_map(|o| o.emit.as_ref());
            for emit in handler.emit.iter().chain(outcomes).flatten() {
                types.insert(emit.event_type.as_str());
            }
        }
        Names {
            types,
            topics: table(&s.topics, |t| t.name.as_str()),
            producers: table(&s.producers, |p| p.name.as_str()),
            consumers: table(&s.consumers, |c| c.name.as_str()),
            groups,
            aggregates: table(&s.aggregates, |a| a.name.as_str()).into_iter().map(|(k, (i, _))| (k, i)).collect(),
            sagas: table(&s.sagas, |a| a.name.as_str()).into_iter().map(|(k, (i, _))| (k, i)).collect(),
        }
    }
}

/// A consumer's group: `group`, or its name.
pub fn group_of(consumer: &Consumer) -> &str {
    consumer.group.as_deref().unwrap_or(&consumer.name)
}

fn kind_name(kind: TopicKind) -> &'static str {
    match kind {
        TopicKind::Log => "log",
        TopicKind::Queue => "queue",
        TopicKind::Bus => "bus",
    }
}

/// `unknown topic "order" (did you mean "orders"?)`, or the names there are when none is close.
pub(super) fn unknown<'k>(
    what: &str,
    plural: &str,
    name: &str,
    known: impl IntoIterator<Item = &'k str> + Clone,
) -> String {
    let hint = did_you_mean(name, known.clone());
    if !hint.is_empty() {
        return format!("unknown {what} \"{name}\"{hint}");
    }
    let known: Vec<String> = known.into_iter().map(|k| format!("\"{k}\"")).collect();
    match known.len() {
        0 => format!("unknown {what} \"{name}\" (there are no {plural})"),
        1..=10 => format!("unknown {what} \"{name}\" ({plural}: {})", known.join(", ")),
        _ => format!("unknown {what} \"{name}\""),
    }
}

/// Names are non-empty and use `[A-Za-z0-9._-]`.
pub(super) fn check_name(path: &str, what: &str, name: &str) -> Check {
    if name.is_empty() {
        return fail(path, format!("a {what} name cannot be empty"));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return fail(
            path,
            format!("{what} name \"{name}\" contains {bad:?}; names use only letters, digits, \".\", \"_\" and \"-\""),
        );
    }
    Ok(())
}

/// `first` is the index of the first item with this name.
fn check_unique(path: &str, what: &str, plural: &str, name: &str, i: usize, first: Option<usize>) -> Check {
    if let Some(first) = first {
        if first != i {
            return fail(path, format!("duplicate {what} name \"{name}\" (also {plural}[{first}])"));
        }
    }
    Ok(())
}

fn check_probability(path: &str, p: f64) -> Check {
    if !(0.0..=1.0).contains(&p) {
        return fail(path, format!("a probability is between 0 and 1, not {p}"));
    }
    Ok(())
}

/// Weights are finite and ≥ 0, and at least one is > 0.
fn check_weights(path: &str, what: &str, weights: impl IntoIterator<Item = (String, f64)>) -> Check {
    let mut any = false;
    for (at, weight) in weights {
        if !weight.is_finite() || weight < 0.0 {
            return fail(at, format!("a weight is a finite number ≥ 0, not {weight}"));
        }
        any |= weight > 0.0;
    }
    if !any {
        return fail(path, format!("every {what} has weight 0; at least one weight must be greater than 0"));
    }
    Ok(())
}

fn check_str_template(path: &str, text: &str, site: Site) -> Check {
    StrTemplate::parse(text, site).map(drop).map_err(|message| Invalid { path: path.to_owned(), message })
}

fn check_headers(path: &str, headers: &IndexMap<String, String>, site: Site) -> Check {
    for (name, value) in headers {
        if name.is_empty() {
            return fail(format!("{path}.headers"), "a header name cannot be empty");
        }
        check_str_template(&format!("{path}.headers.{name}"), value, site)?;
    }
    Ok(())
}

fn check_data(path: &str, data: Option<&Value>, site: Site, sequences: &mut Vec<String>) -> Check {
    if let Some(data) = data {
        compile_data(data, site, &format!("{path}.data"), sequences)
            .map(drop)
            .map_err(|(path, message)| Invalid { path, message })?;
    }
    Ok(())
}

fn check_version(path: &str, version: u32) -> Check {
    if version == 0 {
        return fail(path, "schema versions start at 1");
    }
    Ok(())
}

fn check_event_type(path: &str, event_type: &str) -> Check {
    if event_type.is_empty() {
        return fail(path, "an event type cannot be empty");
    }
    Ok(())
}

fn check_positive(path: &str, duration: Duration) -> Check {
    if duration == Duration::ZERO {
        return fail(path, "must be greater than 0");
    }
    Ok(())
}

struct Validator<'a> {
    s: &'a Scenario,
    names: &'a Names<'a>,
    /// The first use of a part that is not supported yet, reported when nothing else is wrong.
    unsupported: RefCell<Option<Invalid>>,
}

impl Validator<'_> {
    fn not_yet(&self, feature: &str, path: &str) {
        let mut first = self.unsupported.borrow_mut();
        if first.is_none() {
            *first = not_yet(feature, path);
        }
    }

    fn topic_ref(&self, path: &str, name: &str) -> Result<&Topic, Invalid> {
        match self.names.topics.get(name) {
            Some((_, topic)) => Ok(topic),
            None => fail(path, unknown("topic", "topics", name, self.names.topics.keys().copied())),
        }
    }

    /// A topic that stores events (a log or a queue), not a bus.
    fn stored_topic_ref(&self, path: &str, name: &str, refusal: &str) -> Result<&Topic, Invalid> {
        let topic = self.topic_ref(path, name)?;
        if topic.kind == TopicKind::Bus {
            return fail(path, format!("{refusal} bus \"{name}\""));
        }
        Ok(topic)
    }

    fn consumer_ref(&self, path: &str, name: &str) -> Result<&Consumer, Invalid> {
        match self.names.consumers.get(name) {
            Some((_, consumer)) => Ok(consumer),
            None => fail(path, unknown("consumer", "consumers", name, self.names.consumers.keys().copied())),
        }
    }

    /// An event type something in the scenario publishes; with `typo_only`, only one that
    /// nothing publishes while a published type is close to it (a likely typo) is refused.
    fn type_ref(&self, path: &str, event_type: &str, typo_only: bool) -> Check {
        check_event_type(path, event_type)?;
        if !self.names.types.contains(event_type) {
            let hint = did_you_mean(event_type, self.names.types.iter().copied());
            if typo_only && hint.is_empty() {
                return Ok(());
            }
            return fail(path, format!("no producer, scripted event or emit publishes type \"{event_type}\"{hint}"));
        }
        Ok(())
    }

    fn aggregate_ref(&self, path: &str, name: &str) -> Check {
        if !self.names.aggregates.contains_key(name) {
            return fail(path, unknown("aggregate", "aggregates", name, self.names.aggregates.keys().copied()));
        }
        Ok(())
    }

    fn topic(&self, i: usize, t: &Topic) -> Check {
        let at = format!("topics[{i}]");
        let field = |name: &str| format!("{at}.{name}");
        check_name(&field("name"), "topic", &t.name)?;
        let first = self.names.topics.get(t.name.as_str()).map(|(first, _)| *first);
        check_unique(&field("name"), "topic", "topics", &t.name, i, first)?;
        let kind = kind_name(t.kind);
        let only = |name: &str, kinds: &str| {
            fail(field(name), format!("\"{name}\" applies only to {kinds} ({at} is a {kind})"))
        };
        if let Some(partitions) = t.partitions {
            if t.kind != TopicKind::Log {
                return only("partitions", "log topics");
            }
            if !(1..=MAX_PARTITIONS).contains(&partitions) {
                return fail(
                    field("partitions"),
                    format!("partitions must be between 1 and {MAX_PARTITIONS}, not {partitions}"),
                );
            }
        }
        let queue_fields = [
            ("visibility_timeout", t.visibility_timeout.is_some()),
            ("max_receives", t.max_receives.is_some()),
            ("dead_letter", t.dead_letter.is_some()),
            ("fifo", t.fifo.is_some()),
            ("dedup_window", t.dedup_window.is_some()),
        ];
        if t.kind != TopicKind::Queue {
            if let Some((name, _)) = queue_fields.iter().find(|(_, given)| *given) {
                return only(name, "queue topics");
            }
        }
        if let Some(timeout) = t.visibility_timeout {
            check_positive(&field("visibility_timeout"), timeout)?;
        }
        if t.max_receives == Some(0) {
            return fail(field("max_receives"), "max_receives must be at least 1");
        }
        match (t.max_receives, &t.dead_letter) {
            (Some(_), None) => return fail(at, "\"max_receives\" needs \"dead_letter\" (the two go together)"),
            (None, Some(_)) => return fail(at, "\"dead_letter\" needs \"max_receives\" (the two go together)"),
            _ => {}
        }
        if let Some(dead_letter) = &t.dead_letter {
            let target = self.topic_ref(&field("dead_letter"), dead_letter)?;
            if target.kind != TopicKind::Queue {
                return fail(
                    field("dead_letter"),
                    format!("dead_letter \"{dead_letter}\" must be a queue (it is a {})", kind_name(target.kind)),
                );
            }
            if *dead_letter == t.name {
                return fail(field("dead_letter"), "a queue cannot be its own dead-letter queue");
            }
        }
        if let Some(window) = t.dedup_window {
            check_positive(&field("dedup_window"), window)?;
            if t.fifo != Some(true) {
                return fail(field("dedup_window"), "\"dedup_window\" applies only with \"fifo\": true");
            }
        }
        match (&t.rules, t.kind) {
            (Some(_), TopicKind::Log | TopicKind::Queue) => return only("rules", "bus topics"),
            (None, TopicKind::Bus) => return fail(at, "a bus needs \"rules\""),
            (Some(rules), TopicKind::Bus) => {
                for (r, rule) in rules.iter().enumerate() {
                    self.rule(&format!("{at}.rules[{r}]"), rule, &rules[..r])?;
                }
            }
            (None, _) => {}
        }
        if t.kind == TopicKind::Bus {
            self.not_yet("topic.kind.bus", &field("kind"));
        }
        for (name, given) in queue_fields {
            if given {
                self.not_yet(&format!("topic.{name}"), &field(name));
            }
        }
        Ok(())
    }

    fn rule(&self, at: &str, rule: &Rule, earlier: &[Rule]) -> Check {
        check_name(&format!("{at}.name"), "rule", &rule.name)?;
        if let Some(first) = earlier.iter().position(|r| r.name == rule.name) {
            return fail(format!("{at}.name"), format!("duplicate rule name \"{}\" (also rules[{first}])", rule.name));
        }
        if let Err(e) = super::pattern::Pattern::parse(&rule.pattern) {
            return fail(format!("{at}.match{}", e.at), e.message);
        }
        if rule.targets.is_empty() {
            return fail(format!("{at}.targets"), "a rule needs at least one target");
        }
        for (k, target) in rule.targets.iter().enumerate() {
            let here = format!("{at}.targets[{k}]");
            self.stored_topic_ref(&here, target, "a rule cannot target")?;
            if rule.targets[..k].contains(target) {
                return fail(here, format!("target \"{target}\" is listed twice"));
            }
        }
        Ok(())
    }

    fn producer(&self, i: usize, p: &Producer) -> Check {
        let at = format!("producers[{i}]");
        let field = |name: &str| format!("{at}.{name}");
        check_name(&field("name"), "producer", &p.name)?;
        let first = self.names.producers.get(p.name.as_str()).map(|(first, _)| *first);
        check_unique(&field("name"), "producer", "producers", &p.name, i, first)?;
        self.topic_ref(&field("topic"), &p.topic)?;
        if !p.rate.is_finite() || p.rate <= 0.0 {
            return fail(field("rate"), format!("rate is events per second, a number greater than 0, not {}", p.rate));
        }
        if let Some(stop) = p.stop {
            if stop < p.start {
                return fail(field("stop"), format!("stop ({stop}) is before start ({})", p.start));
            }
        }
        if p.count == Some(0) {
            return fail(field("count"), "count must be at least 1 (leave it out for no cap)");
        }
        if let Some(keys) = &p.keys {
            if keys.cardinality == 0 {
                return fail(field("keys.cardinality"), "cardinality must be at least 1");
            }
            if let Some(s) = keys.zipf_s {
                if !s.is_finite() || s <= 0.0 {
                    return fail(field("keys.zipf_s"), format!("zipf_s must be a number greater than 0, not {s}"));
                }
                if keys.distribution != super::model::KeyDistribution::Zipf {
                    return fail(field("keys.zipf_s"), "\"zipf_s\" applies only to \"distribution\": \"zipf\"");
                }
            }
        }
        if p.events.is_empty() {
            return fail(field("events"), "a producer needs at least one event type");
        }
        let mut sequences = Vec::new();
        for (e, event) in p.events.iter().enumerate() {
            let here = format!("{at}.events[{e}]");
            check_event_type(&format!("{here}.type"), &event.event_type)?;
            check_data(&here, event.data.as_ref(), Site::Producer, &mut sequences)?;
            check_headers(&here, &event.headers, Site::Producer)?;
            check_version(&format!("{here}.schema_version"), event.schema_version)?;
        }
        check_weights(
            &field("events"),
            "event",
            p.events.iter().enumerate().map(|(e, ev)| (format!("{at}.events[{e}].weight"), ev.weight)),
        )?;
        if let Some(p) = p.retry_duplicates {
            check_probability(&field("retry_duplicates"), p)?;
            self.not_yet("producer.retry_duplicates", &field("retry_duplicates"));
        }
        if p.idempotent.is_some() {
            self.not_yet("producer.idempotent", &field("idempotent"));
        }
        Ok(())
    }

    fn scripted(&self, i: usize, e: &ScriptedEvent) -> Check {
        let at = format!("events[{i}]");
        let field = |name: &str| format!("{at}.{name}");
        self.topic_ref(&field("topic"), &e.topic)?;
        check_event_type(&field("type"), &e.event_type)?;
        for (name, value) in [("id", &e.id), ("correlation_id", &e.correlation_id)] {
            if value.as_deref() == Some("") {
                return fail(field(name), format!("\"{name}\" cannot be empty (leave it out for the default)"));
            }
        }
        if e.source.is_empty() {
            return fail(field("source"), "\"source\" cannot be empty (leave it out for \"script\")");
        }
        if e.headers.keys().any(String::is_empty) {
            return fail(field("headers"), "a header name cannot be empty");
        }
        check_version(&field("schema_version"), e.schema_version)
    }

    /// A consumer's `accepts` and `upcasts`.
    fn schema_versions(&self, at: &str, c: &Consumer) -> Check {
        if let Some(accepts) = &c.accepts {
            for (ty, versions) in accepts {
                let here = format!("{at}.accepts.{ty}");
                self.type_ref(&here, ty, true)?;
                if versions.is_empty() {
                    return fail(here, "list at least one accepted schema version");
                }
                for (k, v) in versions.iter().enumerate() {
                    check_version(&format!("{here}[{k}]"), *v)?;
                }
            }
        }
        if let Some(upcasts) = &c.upcasts {
            for (ty, steps) in upcasts {
                self.type_ref(&format!("{at}.upcasts.{ty}"), ty, true)?;
                for (k, step) in steps.iter().enumerate() {
                    let here = format!("{at}.upcasts.{ty}[{k}]");
                    check_version(&format!("{here}.from"), step.from)?;
                    if let Some(first) = steps[..k].iter().position(|s| s.from == step.from) {
                        return fail(
                            format!("{here}.from"),
                            format!("version {} is already upcast by upcasts.{ty}[{first}]", step.from),
                        );
                    }
                    if step.data.keys().any(String::is_empty) {
                        return fail(format!("{here}.data"), "a field name cannot be empty");
                    }
                    if step.to <= step.from {
                        return fail(
                            format!("{here}.to"),
                            format!("an upcast goes to a later version than {}", step.from),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn consumer(&self, i: usize, c: &Consumer) -> Check {
        let at = format!("consumers[{i}]");
        let field = |name: &str| format!("{at}.{name}");
        check_name(&field("name"), "consumer", &c.name)?;
        if c.name == "evt" {
            // Events a consumer emits are named after it (`billing-000001`); "evt-000001" is
            // the name of the first event producers publish.
            return fail(field("name"), "\"evt\" is reserved: the events producers publish are named evt-000001, ...");
        }
        let first = self.names.consumers.get(c.name.as_str()).map(|(first, _)| *first);
        check_unique(&field("name"), "consumer", "consumers", &c.name, i, first)?;
        let group = group_of(c);
        if let Some(g) = &c.group {
            check_name(&field("group"), "group", g)?;
        }
        if let Some(&first) = self.names.groups.get(group) {
            if first != i {
                return fail(
                    if c.group.is_some() { field("group") } else { field("name") },
                    format!(
                        "group \"{group}\" is already the group of consumers[{first}]; two consumers may not share a group"
                    ),
                );
            }
        }
        if c.topics.is_empty() {
            return fail(field("topics"), "a consumer needs at least one topic");
        }
        for (k, topic) in c.topics.iter().enumerate() {
            let here = format!("{at}.topics[{k}]");
            self.stored_topic_ref(&here, topic, "cannot subscribe to")?;
            if c.topics[..k].contains(topic) {
                return fail(here, format!("topic \"{topic}\" is listed twice"));
            }
        }
        if !(1..=MAX_INSTANCES).contains(&c.instances) {
            return fail(
                field("instances"),
                format!("instances must be between 1 and {MAX_INSTANCES}, not {}", c.instances),
            );
        }
        if c.prefetch == Some(0) {
            return fail(field("prefetch"), "prefetch must be at least 1");
        }
        if let Commit::Interval(interval) = c.commit {
            check_positive(&format!("{at}.commit.interval"), interval)?;
        }
        for (ty, handler) in &c.handles {
            let here = format!("{at}.handles.{ty}");
            if ty.is_empty() {
                return fail(field("handles"), "an event type cannot be empty (use \"*\" for any type)");
            }
            self.handler(&here, handler)?;
        }
        self.schema_versions(&at, c)?;
        if let Some(aggregate) = &c.project {
            self.aggregate_ref(&field("project"), aggregate)?;
        }
        // `commit` and `from` are accepted on consumers of queues too and simply do not
        // apply there (as Kafka-only settings would be ignored by a queue client).
        for (name, given) in [
            ("prefetch", c.prefetch.is_some()),
            ("idempotent", c.idempotent.is_some()),
            ("retry_delay", c.retry_delay.is_some()),
            ("rebalance", c.rebalance.is_some()),
            ("accepts", c.accepts.is_some()),
            ("upcasts", c.upcasts.is_some()),
            ("project", c.project.is_some()),
        ] {
            if given {
                self.not_yet(&format!("consumer.{name}"), &field(name));
            }
        }
        Ok(())
    }

    fn handler(&self, at: &str, h: &Handler) -> Check {
        let site = if h.fetch.is_some() { Site::EmitWithFetch } else { Site::Emit };
        if h.emit.is_some() && h.outcomes.is_some() {
            return fail(at, "a handler has \"emit\" or \"outcomes\", not both");
        }
        if let Some(emits) = &h.emit {
            self.emits(&format!("{at}.emit"), emits, site)?;
        }
        if let Some(outcomes) = &h.outcomes {
            if outcomes.is_empty() {
                return fail(format!("{at}.outcomes"), "list at least one outcome");
            }
            for (k, outcome) in outcomes.iter().enumerate() {
                let here = format!("{at}.outcomes[{k}]");
                if outcome.fail && outcome.emit.is_some() {
                    return fail(here, "an outcome has \"emit\" or \"fail\", not both");
                }
                if let Some(emits) = &outcome.emit {
                    self.emits(&format!("{here}.emit"), emits, site)?;
                }
            }
            check_weights(
                &format!("{at}.outcomes"),
                "outcome",
                outcomes.iter().enumerate().map(|(k, o)| (format!("{at}.outcomes[{k}].weight"), o.weight)),
            )?;
        }
        if let Some(p) = h.fail_probability {
            check_probability(&format!("{at}.fail_probability"), p)?;
            self.not_yet("handler.fail_probability", &format!("{at}.fail_probability"));
        }
        if let Some(fetch) = &h.fetch {
            self.aggregate_ref(&format!("{at}.fetch.aggregate"), &fetch.aggregate)?;
            self.not_yet("handler.fetch", &format!("{at}.fetch"));
        }
        Ok(())
    }

    fn emits(&self, at: &str, emits: &[Emit], site: Site) -> Check {
        let mut sequences = Vec::new();
        for (k, emit) in emits.iter().enumerate() {
            let here = format!("{at}[{k}]");
            self.topic_ref(&format!("{here}.topic"), &emit.topic)?;
            check_event_type(&format!("{here}.type"), &emit.event_type)?;
            if let Some(key) = &emit.key {
                check_str_template(&format!("{here}.key"), key, site)?;
            }
            check_data(&here, emit.data.as_ref(), site, &mut sequences)?;
            check_headers(&here, &emit.headers, site)?;
            if let Some(v) = emit.schema_version {
                check_version(&format!("{here}.schema_version"), v)?;
            }
        }
        Ok(())
    }

    fn fault(&self, i: usize, f: &Fault) -> Check {
        let at = format!("faults[{i}]");
        let field = |name: &str| format!("{at}.{name}");
        let spec =
            f.spec().map_err(|e| Invalid { path: e.field.map_or_else(|| at.clone(), field), message: e.message })?;
        let here = field(spec.action());
        match spec {
            FaultSpec::Crash { target, .. } | FaultSpec::Pause { target, .. } | FaultSpec::Slow { target, .. } => {
                let Target { consumer: name, instance } = target;
                let consumer = self.consumer_ref(&here, name)?;
                if let Some(number) = instance {
                    let added = self.s.faults.iter().filter(|f| f.add_instance.as_deref() == Some(name)).count();
                    let most = u64::from(consumer.instances) + added as u64;
                    match number.parse::<u64>() {
                        Ok(n) if (1..=most).contains(&n) => {}
                        _ => {
                            return fail(
                                here,
                                format!("\"{name}#{number}\": {name} has instances {name}#1 to {name}#{most}"),
                            );
                        }
                    }
                }
                if let FaultSpec::Slow { factor, .. } = spec
                    && (!factor.is_finite() || factor <= 0.0)
                {
                    return fail(field("factor"), format!("factor must be a number greater than 0, not {factor}"));
                }
            }
            FaultSpec::AddInstance { consumer } => {
                self.consumer_ref(&here, consumer)?;
            }
            FaultSpec::Duplicate { topic, probability, .. } => {
                self.stored_topic_ref(&here, topic, "a \"duplicate\" fault cannot target")?;
                check_probability(&field("probability"), probability)?;
            }
            FaultSpec::Delay { topic, .. } => {
                self.stored_topic_ref(&here, topic, "a \"delay\" fault cannot target")?;
            }
            FaultSpec::Upgrade { producer: name, event_type: ty, schema_version } => {
                let Some((_, producer)) = self.names.producers.get(name) else {
                    return fail(here, unknown("producer", "producers", name, self.names.producers.keys().copied()));
                };
                if !producer.events.iter().any(|e| e.event_type == ty) {
                    let types = producer.events.iter().map(|e| e.event_type.as_str());
                    return fail(field("type"), unknown("event type of this producer", "types", ty, types));
                }
                check_version(&field("schema_version"), schema_version)?;
            }
        }
        if let Some(duration) = f.for_ {
            check_positive(&field("for"), duration)?;
        }
        Ok(())
    }

    fn aggregate(&self, i: usize, a: &Aggregate) -> Check {
        let at = format!("aggregates[{i}]");
        let field = |name: &str| format!("{at}.{name}");
        check_name(&field("name"), "aggregate", &a.name)?;
        check_unique(
            &field("name"),
            "aggregate",
            "aggregates",
            &a.name,
            i,
            self.names.aggregates.get(a.name.as_str()).copied(),
        )?;
        let topic = self.topic_ref(&field("topic"), &a.topic)?;
        if topic.kind != TopicKind::Log {
            return fail(
                field("topic"),
                format!("an aggregate's topic must be a log (\"{}\" is a {})", a.topic, kind_name(topic.kind)),
            );
        }
        if a.apply.is_empty() {
            return fail(field("apply"), "an aggregate needs at least one event type in \"apply\"");
        }
        for (ty, fields) in &a.apply {
            if ty.is_empty() {
                return fail(field("apply"), "an event type cannot be empty");
            }
            self.type_ref(&format!("{at}.apply.{ty}"), ty, true)?;
            for (name, op) in fields {
                if name.is_empty() {
                    return fail(format!("{at}.apply.{ty}"), "a field name cannot be empty");
                }
                if let Err(message) = super::operation::Operation::parse(op) {
                    return fail(format!("{at}.apply.{ty}.{name}"), message);
                }
            }
        }
        if a.snapshot_every == Some(0) {
            return fail(field("snapshot_every"), "snapshot_every must be at least 1");
        }
        Ok(())
    }

    fn saga(&self, i: usize, saga: &Saga) -> Check {
        let at = format!("sagas[{i}]");
        check_name(&format!("{at}.name"), "saga", &saga.name)?;
        check_unique(
            &format!("{at}.name"),
            "saga",
            "sagas",
            &saga.name,
            i,
            self.names.sagas.get(saga.name.as_str()).copied(),
        )?;
        // The saga's other types are its specification: a missing compensation is what
        // makes a saga uncompensated, so only `starts` must be published by something.
        self.type_ref(&format!("{at}.starts"), &saga.starts, false)?;
        if saga.completes.is_empty() && saga.fails.is_empty() {
            return fail(at, "a saga needs \"completes\" or \"fails\" (else every instance stays open)");
        }
        for (list, types) in [("completes", &saga.completes), ("fails", &saga.fails)] {
            for (k, ty) in types.iter().enumerate() {
                check_event_type(&format!("{at}.{list}[{k}]"), ty)?;
            }
        }
        if saga.compensations.len() > 64 {
            return fail(format!("{at}.compensations"), "a saga has at most 64 compensations");
        }
        for (ty, compensation) in &saga.compensations {
            if ty.is_empty() {
                return fail(format!("{at}.compensations"), "an event type cannot be empty");
            }
            check_event_type(&format!("{at}.compensations.{ty}"), compensation)?;
        }
        Ok(())
    }

    fn expectation(&self, i: usize, e: &Expectation) -> Check {
        let at = format!("expect[{i}]");
        let field = |name: &str| format!("{at}.{name}");
        let bounds =
            [("equals", e.equals.is_some()), ("at_most", e.at_most.is_some()), ("at_least", e.at_least.is_some())];
        let bound_count = bounds.iter().filter(|(_, given)| *given).count();
        match (e.metric, &e.state) {
            (None, None) => return fail(at, "an expectation needs \"metric\" or \"state\""),
            (Some(_), Some(_)) => return fail(at, "an expectation has \"metric\" or \"state\", not both"),
            _ => {}
        }
        if bound_count != 1 {
            return fail(at, "an expectation needs exactly one of \"equals\", \"at_most\" and \"at_least\"");
        }
        if let Some(metric) = e.metric {
            if let Some(group) = &e.group {
                if !metric.is_per_group() {
                    return fail(field("group"), format!("{} is a global metric; it takes no group", metric.name()));
                }
                if !self.names.groups.contains_key(group.as_str()) {
                    return fail(field("group"), unknown("group", "groups", group, self.names.groups.keys().copied()));
                }
            }
            if let Some(topic) = &e.topic {
                if metric != Metric::Published {
                    return fail(
                        field("topic"),
                        format!("\"topic\" filters only \"published\", not {}", metric.name()),
                    );
                }
                self.topic_ref(&field("topic"), topic)?;
            }
            if let Some(equals) = &e.equals {
                if !equals.is_number() {
                    return fail(field("equals"), format!("{} is a number; \"equals\" takes a number", metric.name()));
                }
            }
        }
        if let Some(state) = &e.state {
            for (name, given) in [("group", e.group.is_some()), ("topic", e.topic.is_some())] {
                if given {
                    return fail(field(name), format!("\"{name}\" applies only to a metric"));
                }
            }
            let here = field("state");
            let aggregate = match (&state.aggregate, &state.read_model) {
                (Some(aggregate), None) => {
                    self.aggregate_ref(&format!("{here}.aggregate"), aggregate)?;
                    aggregate
                }
                (None, Some(consumer)) => {
                    let c = self.consumer_ref(&format!("{here}.read_model"), consumer)?;
                    let Some(aggregate) = &c.project else {
                        return fail(
                            format!("{here}.read_model"),
                            format!("consumer \"{consumer}\" builds no read model (it has no \"project\")"),
                        );
                    };
                    aggregate
                }
                _ => return fail(&here, "\"state\" needs exactly one of \"aggregate\" and \"read_model\""),
            };
            if state.key.is_empty() {
                return fail(format!("{here}.key"), "\"key\" cannot be empty (keyless events are not folded)");
            }
            if state.field.is_empty() {
                return fail(format!("{here}.field"), "\"field\" cannot be empty");
            }
            if let Some(&i) = self.names.aggregates.get(aggregate.as_str()) {
                let a = &self.s.aggregates[i];
                // Each field once, in order of appearance (several event types set the same one).
                let fields: Vec<&str> = a
                    .initial
                    .keys()
                    .chain(a.apply.values().flat_map(|f| f.keys()))
                    .map(String::as_str)
                    .collect::<indexmap::IndexSet<&str>>()
                    .into_iter()
                    .collect();
                if !fields.contains(&state.field.as_str()) {
                    let hint = did_you_mean(&state.field, fields.iter().copied());
                    let hint = match fields.len() {
                        _ if !hint.is_empty() => hint,
                        0 => " (it has no fields)".to_owned(),
                        1..=10 => format!(" (its fields: {})", fields.join(", ")),
                        n => format!(" (its fields: {}, and {} more)", fields[..10].join(", "), n - 10),
                    };
                    return fail(
                        format!("{here}.field"),
                        format!("aggregate {aggregate} has no field \"{}\"{hint}", state.field),
                    );
                }
            }
        }
        Ok(())
    }
}

/// At most this many rounds of emits are followed one by one; beyond, the growth of the
/// last round is extrapolated.
const ESTIMATE_ROUNDS: usize = 50;

/// An estimate of the steps a run takes, to refuse absurd runs before they start.
///
/// Counts each producer's events (`min(count, rate × (stop − start)) + 1`, for the part of
/// the window before `duration`) and scripted events; an event on a log or queue costs one
/// publish plus three steps per subscribed group (delivery, processing, commit/ack); a bus
/// event costs one plus a routed step per rule target, and is then counted on each target.
/// Emits are followed round by round: an event delivered to a group whose handler (for its
/// type, or `"*"`) emits adds the emitted events, weighted by outcome weights. After
/// [`ESTIMATE_ROUNDS`] rounds still producing events (an emit cycle), the rest is
/// extrapolated: a shrinking cycle as a geometric series; a steady or growing one for as
/// many rounds as the duration allows at the emitting consumers' mean processing time, or
/// without bound (`u64::MAX`) when that is zero. Failures, retries, redeliveries after
/// crashes and duplicates are not counted: this is a lower bound for those, a guard against
/// runaway sizes, not a prediction. Saturates instead of overflowing.
pub fn estimate_steps(s: &Scenario) -> u64 {
    estimate_counts(s).0
}

/// [`estimate_steps`], and the events handlers emit among those steps (as a share of the
/// rounds followed, extrapolated with them).
fn estimate_counts(s: &Scenario) -> (u64, u64) {
    let topics: IndexMap<&str, &Topic> = s.topics.iter().map(|t| (t.name.as_str(), t)).collect();
    let index = |name: &str| topics.get_index_of(name);
    // Per topic, event type → expected number of events.
    let mut wave: Vec<IndexMap<&str, f64>> = vec![IndexMap::new(); topics.len()];
    let duration = s.duration.as_micros();
    for p in &s.producers {
        let Some(t) = index(&p.topic) else { continue };
        let n = producer_event_count(s, p);
        let total: f64 = p.events.iter().map(|e| e.weight).filter(|w| w.is_finite() && *w > 0.0).sum();
        for e in &p.events {
            if e.weight.is_finite() && e.weight > 0.0 && total > 0.0 {
                *wave[t].entry(e.event_type.as_str()).or_default() += (n * e.weight / total).ceil();
            }
        }
    }
    for e in &s.events {
        if let Some(t) = index(&e.topic) {
            *wave[t].entry(e.event_type.as_str()).or_default() += 1.0;
        }
    }
    // Subscribers of each topic.
    let mut subscribers: Vec<Vec<&Consumer>> = vec![Vec::new(); topics.len()];
    for c in &s.consumers {
        let mut seen = Vec::new();
        for name in &c.topics {
            if let Some(t) = index(name) {
                if !seen.contains(&t) {
                    seen.push(t);
                    subscribers[t].push(c);
                }
            }
        }
    }

    let mut total = 0.0f64;
    let mut emitted = 0.0f64;
    let mut costs: Vec<f64> = Vec::new();
    for _ in 0..ESTIMATE_ROUNDS {
        let (cost, next) = estimate_round(&topics, &subscribers, wave);
        total += cost;
        costs.push(cost);
        wave = next;
        emitted += wave.iter().flat_map(IndexMap::values).sum::<f64>();
        if wave.iter().all(|types| types.values().all(|n| *n < 1e-9)) || !total.is_finite() {
            break;
        }
    }
    let followed = total;
    let unsettled = wave.iter().any(|types| types.values().any(|n| *n >= 1e-9));
    if unsettled && costs.len() >= 2 {
        let last = costs[costs.len() - 1];
        let ratio = last / costs[costs.len() - 2];
        if ratio < 1.0 {
            total += last * ratio / (1.0 - ratio);
        } else {
            let hop = s
                .consumers
                .iter()
                .filter(|c| c.handles.values().any(handler_emits))
                .map(|c| c.processing.mean().as_micros())
                .min()
                .unwrap_or(0);
            if hop == 0 {
                return (u64::MAX, u64::MAX);
            }
            let rounds = (duration / hop).saturating_sub(ESTIMATE_ROUNDS as u64) as f64;
            total += if (ratio - 1.0).abs() < 1e-12 {
                last * rounds
            } else {
                last * ratio * (ratio.powf(rounds) - 1.0) / (ratio - 1.0)
            };
        }
    }
    // Emitted events keep the share of the steps they had in the rounds followed.
    if followed > 0.0 && total > followed {
        emitted *= total / followed;
    }
    total += s.notes.len() as f64;
    for f in &s.faults {
        let instances = f
            .crash
            .as_ref()
            .or(f.add_instance.as_ref())
            .and_then(|name| s.consumers.iter().find(|c| c.name == name.split('#').next().unwrap_or(name)))
            .map_or(1, |c| c.instances);
        total += 2.0 + f64::from(instances);
    }
    for c in &s.consumers {
        if let Commit::Interval(interval) = c.commit {
            let ticks =
                if interval.as_micros() == 0 { f64::INFINITY } else { (duration / interval.as_micros()) as f64 };
            total += ticks * f64::from(c.instances);
        }
    }
    let count = |n: f64| if n.is_nan() || n >= u64::MAX as f64 { u64::MAX } else { n.ceil() as u64 };
    (count(total), count(emitted))
}

fn handler_emits(h: &Handler) -> bool {
    h.emit.as_ref().is_some_and(|e| !e.is_empty())
        || h.outcomes.as_ref().is_some_and(|o| o.iter().any(|o| o.emit.as_ref().is_some_and(|e| !e.is_empty())))
}

/// The expected emits of one delivery to `handler`: (topic, type, expected count).
fn expected_emits(handler: &Handler) -> Vec<(&str, &str, f64)> {
    let mut out = Vec::new();
    if let Some(emits) = &handler.emit {
        out.extend(emits.iter().map(|e| (e.topic.as_str(), e.event_type.as_str(), 1.0)));
    }
    if let Some(outcomes) = &handler.outcomes {
        let total: f64 = outcomes.iter().map(|o| o.weight).filter(|w| w.is_finite() && *w > 0.0).sum();
        for o in outcomes {
            if total > 0.0 && o.weight.is_finite() && o.weight > 0.0 {
                let share = o.weight / total;
                out.extend(o.emit.iter().flatten().map(|e| (e.topic.as_str(), e.event_type.as_str(), share)));
            }
        }
    }
    out
}

/// One round: the cost of publishing (and routing, delivering) `wave`, and the events the
/// handlers emit in response.
fn estimate_round<'s>(
    topics: &IndexMap<&str, &'s Topic>,
    subscribers: &[Vec<&'s Consumer>],
    mut wave: Vec<IndexMap<&'s str, f64>>,
) -> (f64, Vec<IndexMap<&'s str, f64>>) {
    let mut cost = 0.0;
    // Buses first: route their events onto the targets of this same round.
    for (t, topic) in topics.values().enumerate() {
        if topic.kind != TopicKind::Bus {
            continue;
        }
        let events = std::mem::take(&mut wave[t]);
        for (ty, n) in events {
            cost += n;
            for target in topic.rules.iter().flatten().flat_map(|r| &r.targets) {
                if let Some(target) = topics.get_index_of(target.as_str()) {
                    cost += n;
                    if topics[target].kind != TopicKind::Bus {
                        *wave[target].entry(ty).or_default() += n;
                    }
                }
            }
        }
    }
    let mut next: Vec<IndexMap<&str, f64>> = vec![IndexMap::new(); topics.len()];
    for (t, types) in wave.iter().enumerate() {
        for (ty, n) in types {
            cost += n * (1.0 + 3.0 * subscribers[t].len() as f64);
            for consumer in &subscribers[t] {
                let Some(handler) = consumer.handles.get(*ty).or_else(|| consumer.handles.get("*")) else { continue };
                for (topic, emitted, share) in expected_emits(handler) {
                    if let Some(target) = topics.get_index_of(topic) {
                        *next[target].entry(emitted).or_default() += n * share;
                    }
                }
            }
        }
    }
    (cost, next)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scenario(mut extra: Value) -> Scenario {
        let mut base =
            json!({"name": "t", "duration": "1s", "topics": [{"name": "orders"}, {"name": "jobs", "kind": "queue"}]});
        base.as_object_mut().unwrap().append(extra.as_object_mut().unwrap());
        serde_json::from_value(base).unwrap()
    }

    fn problem(extra: Value) -> String {
        let invalid = validate(&scenario(extra), &Limits::default()).expect_err("refused");
        format!("{}: {}", invalid.path, invalid.message)
    }

    #[test]
    fn bus_topics() {
        let bus = |rules: Value| json!([{"name": "orders"}, {"name": "jobs", "kind": "queue"}, {"name": "bus", "kind": "bus", "rules": rules}]);
        let rule = json!({"name": "r", "match": {"type": ["A"], "data.total": [{"numeric": [">", 100]}]}, "targets": ["jobs"]});
        assert_eq!(
            problem(json!({"topics": bus(json!([rule])), "consumers": [{"name": "c", "topics": ["bus"]}]})),
            "consumers[0].topics[0]: cannot subscribe to bus \"bus\""
        );
        assert!(validate(&scenario(json!({"topics": bus(json!([rule]))})), &Limits::default()).is_ok());
        let mut bad = rule.clone();
        bad["targets"] = json!(["bus"]);
        assert_eq!(
            problem(json!({"topics": bus(json!([bad]))})),
            "topics[2].rules[0].targets[0]: a rule cannot target bus \"bus\""
        );
        let mut bad = rule.clone();
        bad["match"] = json!({"tpye": ["A"]});
        assert!(
            problem(json!({"topics": bus(json!([bad]))}))
                .starts_with("topics[2].rules[0].match.tpye: cannot match on \"tpye\" (did you mean \"type\"?)")
        );
        let mut bad = rule.clone();
        bad["match"] = json!({"data.total": [{"numeric": ["~", 1]}]});
        assert!(
            problem(json!({"topics": bus(json!([bad]))}))
                .starts_with("topics[2].rules[0].match.data.total[0]: write {\"numeric\"")
        );
        assert_eq!(
            problem(json!({"topics": bus(json!([rule, rule]))})),
            "topics[2].rules[1].name: duplicate rule name \"r\" (also rules[0])"
        );
        assert_eq!(problem(json!({"topics": [{"name": "bus", "kind": "bus"}]})), "topics[0]: a bus needs \"rules\"");
    }

    #[test]
    fn queue_options() {
        let topics = |jobs: Value| json!([{"name": "orders"}, jobs]);
        assert_eq!(
            problem(
                json!({"topics": topics(json!({"name": "jobs", "kind": "queue", "max_receives": 3, "dead_letter": "orders"}))})
            ),
            "topics[1].dead_letter: dead_letter \"orders\" must be a queue (it is a log)"
        );
        assert_eq!(
            problem(json!({"topics": topics(json!({"name": "jobs", "kind": "queue", "max_receives": 3}))})),
            "topics[1]: \"max_receives\" needs \"dead_letter\" (the two go together)"
        );
        assert!(
            validate(
                &scenario(
                    json!({"topics": topics(json!({"name": "jobs", "kind": "queue", "visibility_timeout": "5s"}))})
                ),
                &Limits::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn faults() {
        let consumers = json!([{"name": "billing", "topics": ["orders"], "instances": 2}]);
        let with = |fault: Value| problem(json!({"consumers": consumers, "faults": [fault]}));
        assert_eq!(
            with(json!({"at": 1, "crash": "billing", "pause": "billing"})),
            "faults[0]: a fault has exactly one action; \"crash\" and \"pause\" are two"
        );
        assert_eq!(
            with(json!({"at": 1, "crash": "biling"})),
            "faults[0].crash: unknown consumer \"biling\" (did you mean \"billing\"?)"
        );
        assert_eq!(
            with(json!({"at": 1, "crash": "billing", "factor": 2})),
            "faults[0].factor: \"factor\" does not apply to a \"crash\" fault"
        );
        assert_eq!(with(json!({"at": 1, "slow": "billing"})), "faults[0]: a \"slow\" fault needs \"factor\"");
        assert_eq!(
            with(json!({"at": 1, "duplicate": "jobs", "probability": 2})),
            "faults[0].probability: a probability is between 0 and 1, not 2"
        );
        assert_eq!(
            with(json!({"at": 1, "crash": "billing#3"})),
            "faults[0].crash: \"billing#3\": billing has instances billing#1 to billing#2"
        );
        let ok = json!({"consumers": consumers, "faults": [{"at": 1, "crash": "billing#2", "restart_after": "1s"}]});
        assert!(validate(&scenario(ok), &Limits::default()).is_ok());
    }

    #[test]
    fn aggregates_and_state_expectations() {
        let deposit = json!([{"at": 0, "topic": "orders", "type": "Deposited", "key": "k"}]);
        assert_eq!(
            problem(json!({"aggregates": [{"name": "A", "topic": "orders", "apply": {"Deposted": {"n": {"inc": 1}}}}],
                           "events": deposit})),
            "aggregates[0].apply.Deposted: no producer, scripted event or emit publishes type \"Deposted\" (did you mean \"Deposited\"?)"
        );
        let aggregate = |topic: &str, op: Value| json!([{"name": "Account", "topic": topic, "apply": {"Deposited": {"balance": op}}}]);
        assert_eq!(
            problem(json!({"aggregates": aggregate("jobs", json!({"add": "data.amount"}))})),
            "aggregates[0].topic: an aggregate's topic must be a log (\"jobs\" is a queue)"
        );
        assert!(
            problem(json!({"aggregates": aggregate("orders", json!({"ad": "data.amount"})), "events": deposit}))
                .starts_with("aggregates[0].apply.Deposited.balance: unknown operation \"ad\" (did you mean \"add\"?)")
        );
        assert!(
            validate(
                &scenario(json!({"aggregates": aggregate("orders", json!({"inc": 1})), "events": deposit})),
                &Limits::default()
            )
            .is_ok()
        );
        assert_eq!(
            problem(json!({"aggregates": aggregate("orders", json!({"inc": 1})), "events": deposit,
                           "expect": [{"state": {"aggregate": "Account", "key": "k", "field": "balanse"}, "equals": 1}]})),
            "expect[0].state.field: aggregate Account has no field \"balanse\" (did you mean \"balance\"?)"
        );
        assert_eq!(
            problem(json!({"consumers": [{"name": "c", "topics": ["orders"]}],
                           "expect": [{"state": {"read_model": "c", "key": "k", "field": "f"}, "equals": 1}]})),
            "expect[0].state.read_model: consumer \"c\" builds no read model (it has no \"project\")"
        );
    }

    #[test]
    fn handlers() {
        let handles =
            |handler: Value| json!({"consumers": [{"name": "c", "topics": ["orders"], "handles": {"A": handler}}]});
        assert_eq!(
            problem(handles(json!({"emit": [], "outcomes": []}))),
            "consumers[0].handles.A: a handler has \"emit\" or \"outcomes\", not both"
        );
        assert_eq!(
            problem(handles(json!({"outcomes": [{"fail": true, "emit": []}]}))),
            "consumers[0].handles.A.outcomes[0]: an outcome has \"emit\" or \"fail\", not both"
        );
        assert_eq!(
            problem(handles(json!({"emit": [{"topic": "orders", "type": "B", "data": {"x": "{state.balance}"}}]}))),
            "consumers[0].handles.A.emit[0].data.x: placeholder {state.balance} needs a handler with \"fetch\""
        );
        assert_eq!(
            problem(handles(json!({"fail_probability": 1.5}))),
            "consumers[0].handles.A.fail_probability: a probability is between 0 and 1, not 1.5"
        );
    }

    #[test]
    fn unsupported_features_are_listed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for feature in NOT_SUPPORTED_YET {
            assert!(seen.insert(feature), "{feature} listed twice");
            assert!(not_yet(feature, "x").is_some());
        }
        assert!(not_yet("topic.partitions", "x").is_none());
    }

    fn estimate(extra: Value) -> u64 {
        estimate_steps(&scenario(extra))
    }

    #[test]
    fn estimates() {
        let producer =
            json!([{"name": "p", "topic": "orders", "rate": 10, "arrival": "fixed", "events": [{"type": "A"}]}]);
        // 10/s for 1s: 11 events (the +1 of the window's end), no subscriber.
        assert_eq!(estimate(json!({"producers": producer})), 11);
        let consumer =
            json!({"name": "c", "topics": ["orders"], "handles": {"A": {"emit": [{"topic": "jobs", "type": "B"}]}}});
        // 11 × (1 + 3) on orders, then 11 B on jobs with no subscriber.
        assert_eq!(estimate(json!({"producers": producer, "consumers": [consumer]})), 44 + 11);
        let mut counted = producer.clone();
        counted[0]["count"] = json!(3);
        assert_eq!(estimate(json!({"producers": counted, "consumers": [consumer]})), 12 + 3);
        // A ping-pong cycle: bounded by the duration at 1 ms per hop, not by the rounds.
        let ping = json!([
            {"name": "a", "topics": ["orders"], "handles": {"A": {"emit": [{"topic": "jobs", "type": "A"}]}}},
            {"name": "b", "topics": ["jobs"], "handles": {"A": {"emit": [{"topic": "orders", "type": "A"}]}}}]);
        let cycle = estimate(json!({"producers": counted, "consumers": ping}));
        assert!((3 * 4 * 900..3 * 4 * 1100).contains(&cycle), "{cycle}");
        let mut instant = ping.clone();
        instant[0]["processing"] = json!(0);
        instant[1]["processing"] = json!(0);
        assert_eq!(estimate(json!({"producers": counted, "consumers": instant})), u64::MAX);
        // A cycle that dies out (half the outcomes emit) converges.
        let mut fading = ping.clone();
        fading[0]["handles"]["A"] = json!({"outcomes": [{"emit": [{"topic": "jobs", "type": "A"}]}, {}]});
        let fading = estimate(json!({"producers": counted, "consumers": fading}));
        assert!((3 * 4 * 2..3 * 4 * 4).contains(&fading), "{fading}");
    }
}
