//! The trace: the append-only record of a run, from which everything a user sees is derived.
//!
//! Events are stored once ([`Event`], in publish order of first publication) and steps refer
//! to them by index; a [`Step`] is a fixed 32-byte record. Names (types, keys, sources,
//! custom ids) are interned in one string table. Rendering to JSON Lines (`--trace`) lives
//! in [`jsonl`], writing it to a file in [`file`], reading it back in [`read`].

pub mod fields;
pub mod file;
pub mod idset;
pub mod jsonl;
pub mod log;
pub mod read;

pub use crate::intern::{Payloads, Span, Strings, Sym};
pub use idset::IdSet;

/// An event id, in one of three forms:
/// - `evt-000042`: the 42nd event published by producers and scripted events (numbered
///   apart from emitted events, so a change to a consumer never renames the traffic);
/// - `billing-000007`: the 7th event emitted by consumer `billing`'s handlers;
/// - any other text given as a scripted event's `id`.
///
/// A custom id spelled like a generated one is the generated one, so equal text is an
/// equal id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(u64);

/// What an [`EventId`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// `evt-NNNNNN`.
    Root(u32),
    /// `CONSUMER-NNNNNN`: the consumer's name symbol and its count.
    Emitted(Sym, u32),
    /// Text given in the scenario.
    Custom(Sym),
}

const TAG_SHIFT: u32 = 62;
const TAG_CUSTOM: u64 = 1;
const TAG_EMITTED: u64 = 2;

impl EventId {
    pub fn root(n: u32) -> Self {
        EventId(u64::from(n))
    }

    pub fn emitted(consumer: Sym, n: u32) -> Self {
        EventId((TAG_EMITTED << TAG_SHIFT) | (u64::from(consumer.bits()) << 32) | u64::from(n))
    }

    /// A scenario's own id. `emitter` tells which symbols are consumer names.
    pub fn custom(text: &str, strings: &mut Strings, emitter: impl Fn(Sym) -> bool) -> Self {
        Self::generated(text, strings, emitter).unwrap_or_else(|| Self::custom_sym(strings.intern(text)))
    }

    /// The id `text` spells, without interning it: `None` for a custom id not in `strings`
    /// (so no event can have it). The inverse of [`EventId::render`].
    pub fn find(text: &str, strings: &Strings, emitter: impl Fn(Sym) -> bool) -> Option<Self> {
        Self::generated(text, strings, emitter).or_else(|| strings.get(text).map(Self::custom_sym))
    }

    /// The generated id `text` spells (`evt-000042`, `billing-000007`), if it spells one.
    fn generated(text: &str, strings: &Strings, emitter: impl Fn(Sym) -> bool) -> Option<Self> {
        let (prefix, n) = split_numbered(text)?;
        if prefix == "evt" {
            return Some(EventId::root(n));
        }
        strings.get(prefix).filter(|&s| emitter(s)).map(|sym| EventId::emitted(sym, n))
    }

    fn custom_sym(sym: Sym) -> Self {
        EventId((TAG_CUSTOM << TAG_SHIFT) | u64::from(sym.bits()))
    }

    pub fn kind(self) -> IdKind {
        let sym = |bits: u64| Sym::from_bits(bits as u32);
        match self.0 >> TAG_SHIFT {
            0 => IdKind::Root(self.0 as u32),
            TAG_EMITTED => IdKind::Emitted(sym((self.0 >> 32) & 0x3fff_ffff), self.0 as u32),
            _ => IdKind::Custom(sym(self.0 & 0xffff_ffff)),
        }
    }

    pub fn render(self, strings: &Strings) -> String {
        match self.kind() {
            IdKind::Root(n) => format!("evt-{n:06}"),
            IdKind::Emitted(consumer, n) => format!("{}-{n:06}", strings.resolve(consumer)),
            IdKind::Custom(sym) => strings.resolve(sym).to_owned(),
        }
    }
}

/// `("evt", 42)` for `"evt-000042"`: a prefix and a number written as the renderer would
/// (`{n:06}`: six digits, zero-padded; more only without a leading zero).
fn split_numbered(text: &str) -> Option<(&str, u32)> {
    let (prefix, digits) = text.rsplit_once('-')?;
    let canonical = digits.len() == 6 || (digits.len() > 6 && !digits.starts_with('0'));
    if !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((prefix, digits.parse().ok()?))
}

pub use crate::index::{AggregateIdx, EventIdx, GroupIdx, InstanceIdx, Partition, QueueIdx, StepIdx, TopicIdx};

/// One event, stored once however many steps refer to it (56 bytes; its time is that of
/// its first `published` step).
#[derive(Clone, Debug)]
pub struct Event {
    pub id: EventId,
    pub event_type: Sym,
    pub key: Option<Sym>,
    pub source: Sym,
    pub correlation: EventId,
    /// The triggering event of an event emitted by a handler.
    pub cause: Option<EventIdx>,
    pub schema_version: u32,
    /// The topic it was first published to.
    pub topic: TopicIdx,
    pub headers: Span,
    pub data: Span,
}

/// What a step did. Kept to one byte; names as in the trace format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum StepKind {
    Published,
    Delivered,
    Processed,
    SkippedDuplicate,
    Failed,
    Committed,
    Acked,
    Requeued,
    DeadLettered,
    DroppedDuplicate,
    Routed,
    Unrouted,
    Fetched,
    Crashed,
    Restarted,
    Rebalanced,
    Paused,
    Resumed,
    Note,
    Joined,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Published => "published",
            StepKind::Delivered => "delivered",
            StepKind::Processed => "processed",
            StepKind::SkippedDuplicate => "skipped_duplicate",
            StepKind::Failed => "failed",
            StepKind::Committed => "committed",
            StepKind::Acked => "acked",
            StepKind::Requeued => "requeued",
            StepKind::DeadLettered => "dead_lettered",
            StepKind::DroppedDuplicate => "dropped_duplicate",
            StepKind::Routed => "routed",
            StepKind::Unrouted => "unrouted",
            StepKind::Fetched => "fetched",
            StepKind::Crashed => "crashed",
            StepKind::Restarted => "restarted",
            StepKind::Rebalanced => "rebalanced",
            StepKind::Paused => "paused",
            StepKind::Resumed => "resumed",
            StepKind::Note => "note",
            StepKind::Joined => "joined",
        }
    }

    pub const ALL: [StepKind; 20] = [
        StepKind::Published,
        StepKind::Delivered,
        StepKind::Processed,
        StepKind::SkippedDuplicate,
        StepKind::Failed,
        StepKind::Committed,
        StepKind::Acked,
        StepKind::Requeued,
        StepKind::DeadLettered,
        StepKind::DroppedDuplicate,
        StepKind::Routed,
        StepKind::Unrouted,
        StepKind::Fetched,
        StepKind::Crashed,
        StepKind::Restarted,
        StepKind::Rebalanced,
        StepKind::Paused,
        StepKind::Resumed,
        StepKind::Note,
        StepKind::Joined,
    ];

    /// Every kind once, in discriminant order (a test checks it): a kind added to the enum
    /// makes the match below incomplete, which is the reminder to list it in [`StepKind::ALL`].
    const fn position(self) -> usize {
        match self {
            StepKind::Published
            | StepKind::Delivered
            | StepKind::Processed
            | StepKind::SkippedDuplicate
            | StepKind::Failed
            | StepKind::Committed
            | StepKind::Acked
            | StepKind::Requeued
            | StepKind::DeadLettered
            | StepKind::DroppedDuplicate
            | StepKind::Routed
            | StepKind::Unrouted
            | StepKind::Fetched
            | StepKind::Crashed
            | StepKind::Restarted
            | StepKind::Rebalanced
            | StepKind::Paused
            | StepKind::Resumed
            | StepKind::Note
            | StepKind::Joined => self as usize,
        }
    }

    /// [`StepKind::ALL`] holds every kind once, in discriminant order (checked when compiling).
    const ALL_IN_ORDER: () = {
        let mut i = 0;
        while i < StepKind::ALL.len() {
            assert!(StepKind::ALL[i].position() == i, "StepKind::ALL out of order");
            i += 1;
        }
    };

    pub fn from_name(name: &str) -> Option<Self> {
        let () = Self::ALL_IN_ORDER;
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The most steps a trace holds: step indices are 32-bit in the analysis and the TUI.
pub const MAX_STEPS: u64 = u32::MAX as u64 - 1;

/// "No value" for the 32-bit fields of a step (`offset`, `aux`).
pub const NONE32: u32 = u32::MAX;

/// One step of the run: a fixed 32-byte record.
///
/// Field use by kind: `event` for every step about an event; `topic`/`partition`/`offset`
/// where the format gives them (`offset` is the new committed offset on `committed`);
/// `group`/`instance` for consumer steps (`instance` is the index in [`crate::model::Model`]'s
/// instance list); `aux` is kind-specific: the note index (`note`), the failure attempt
/// (`failed`), the receive count (`delivered` on queues), the assignment index
/// (`rebalanced`), the version read (`fetched`); on `fetched`, `partition` is the aggregate's
/// index and `offset` the version the event's own append produced; `flag` is kind-specific: `effect` on `processed`, the failure reason on
/// `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub t_us: u64,
    pub event: Option<EventIdx>,
    pub offset: u32,
    pub aux: u32,
    pub instance: Option<InstanceIdx>,
    pub group: Option<GroupIdx>,
    pub topic: Option<TopicIdx>,
    /// The partition, on a log; on `fetched` steps the aggregate: read it with
    /// [`Step::aggregate`].
    pub partition: Option<Partition>,
    pub kind: StepKind,
    pub flag: u8,
}

impl Step {
    pub fn new(kind: StepKind, t_us: u64) -> Self {
        Step {
            t_us,
            event: None,
            offset: NONE32,
            aux: NONE32,
            instance: None,
            group: None,
            topic: None,
            partition: None,
            kind,
            flag: 0,
        }
    }

    /// The event of a step about one (every kind whose line has `event`). Panics on a step
    /// about none: callers know the kind.
    pub fn event_idx(&self) -> EventIdx {
        self.event.expect("a step about an event")
    }

    /// The group of a consumer's step (every kind whose line has `group`).
    pub fn group_idx(&self) -> GroupIdx {
        self.group.expect("a consumer's step")
    }

    /// The instance of an instance's step (every kind whose line has `instance`).
    pub fn instance_idx(&self) -> InstanceIdx {
        self.instance.expect("an instance's step")
    }

    /// The topic of a step about one (every kind whose line has `topic`).
    pub fn topic_idx(&self) -> TopicIdx {
        self.topic.expect("a step about a topic")
    }

    /// The partition of a step about a log partition.
    pub fn partition_idx(&self) -> Partition {
        self.partition.expect("a step about a log partition")
    }

    /// The offset of a step about a log record (or, on `committed`, the new committed
    /// offset); `None` on a queue or a bus. (`fetched` steps keep a version here: read it
    /// with [`Step::versions`].)
    pub fn offset(&self) -> Option<u32> {
        (self.offset != NONE32).then_some(self.offset)
    }

    /// The event-sourced aggregate a `fetched` step read (kept in `partition`).
    pub fn aggregate(&self) -> Option<AggregateIdx> {
        debug_assert_eq!(self.kind, StepKind::Fetched);
        self.partition.map(|p| AggregateIdx::new(p.index()))
    }

    /// Sets the aggregate of a `fetched` step.
    pub fn set_aggregate(&mut self, aggregate: AggregateIdx) {
        self.partition = Some(Partition::new(aggregate.index()));
    }

    /// The topic a `dead_lettered` step moved its message to (kept in `aux`).
    pub fn dead_letter(&self) -> Option<TopicIdx> {
        debug_assert_eq!(self.kind, StepKind::DeadLettered);
        (self.aux != NONE32).then(|| TopicIdx::new(self.aux as usize))
    }

    /// Sets the dead-letter topic of a `dead_lettered` step.
    pub fn set_dead_letter(&mut self, topic: TopicIdx) {
        self.aux = u32::from(topic.get());
    }

    /// The index in the scenario's notes of a `note` step, in the bus topic's rules of a
    /// `routed` step, in [`Trace::assignments`] of a `rebalanced` step (kept in `aux`).
    pub fn table_index(&self) -> usize {
        debug_assert!(matches!(self.kind, StepKind::Note | StepKind::Routed | StepKind::Rebalanced));
        self.aux as usize
    }

    /// The receive count of a `delivered` (from a queue) or `requeued` step (kept in `aux`).
    pub fn receive(&self) -> Option<u32> {
        debug_assert!(matches!(self.kind, StepKind::Delivered | StepKind::Requeued));
        (self.aux != NONE32).then_some(self.aux)
    }

    /// Why a `failed` step failed (kept in `flag`) and its attempt, 1 for the first (`aux`).
    pub fn failure(&self) -> (FailReason, u32) {
        debug_assert_eq!(self.kind, StepKind::Failed);
        (FailReason::from_flag(self.flag), self.aux)
    }

    /// A `fetched` step's versions: the one read (kept in `aux`) and the one the event's own
    /// append made, if it was appended (kept in `offset`).
    pub fn versions(&self) -> (u32, Option<u32>) {
        debug_assert_eq!(self.kind, StepKind::Fetched);
        (self.aux, (self.offset != NONE32).then_some(self.offset))
    }

    /// Sets a `fetched` step's versions (see [`Step::versions`]).
    pub fn set_versions(&mut self, read: u32, made: Option<u32>) {
        self.aux = read;
        self.offset = made.unwrap_or(NONE32);
    }

    /// Whether a `processed` step had its effect (kept in `flag`).
    pub fn effect(&self) -> bool {
        debug_assert_eq!(self.kind, StepKind::Processed);
        self.flag != 0
    }
}

/// Why a processing attempt failed (`failed` steps' `flag`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum FailReason {
    HandlerFailed = 0,
    FailProbability = 1,
    UnknownSchemaVersion = 2,
}

impl FailReason {
    pub fn from_flag(flag: u8) -> Self {
        match flag {
            1 => FailReason::FailProbability,
            2 => FailReason::UnknownSchemaVersion,
            _ => FailReason::HandlerFailed,
        }
    }

    pub const ALL: [FailReason; 3] =
        [FailReason::HandlerFailed, FailReason::FailProbability, FailReason::UnknownSchemaVersion];

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            FailReason::HandlerFailed => "handler_failed",
            FailReason::FailProbability => "fail_probability",
            FailReason::UnknownSchemaVersion => "unknown_schema_version",
        }
    }
}

/// A group's partition assignment after a rebalance: (instance index, topic, partitions).
pub type Assignment = Vec<(InstanceIdx, TopicIdx, Vec<Partition>)>;

/// The record of a run: steps, the events they refer to, and the tables they index into.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub strings: Strings,
    pub payloads: Payloads,
    pub events: Vec<Event>,
    pub steps: Vec<Step>,
    pub assignments: Vec<Assignment>,
    /// Every instance that ever existed: (group index, number), by instance index.
    pub instances: Vec<(GroupIdx, u32)>,
    /// The consumers' name symbols: the prefixes of emitted event ids.
    pub emitters: Vec<Sym>,
    /// Events read off a real cluster: each record's own timestamp (ms since the Unix
    /// epoch), by event, in event order (empty for a simulated run).
    pub record_times: Vec<(EventIdx, i64)>,
    /// The real cluster the run was read off or run on (`None`: the simulator's).
    pub cluster: Option<Cluster>,
}

/// Where a run read off a real cluster came from (the header's `source` and `brokers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterSource {
    /// `eventlab tap`: what a cluster's own clients did, as read off it.
    Tap,
    /// `eventlab run --broker`: a scenario played on a real cluster.
    Broker,
}

impl ClusterSource {
    pub fn name(self) -> &'static str {
        match self {
            ClusterSource::Tap => "tap",
            ClusterSource::Broker => "broker",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [ClusterSource::Tap, ClusterSource::Broker].into_iter().find(|s| s.name() == name)
    }
}

/// A real cluster a trace was read off or run on. Its logs start where the reading did
/// and may skip offsets (transaction markers, compaction), and a causation id may name an
/// event the trace never saw (kept in the event's headers, the chain then starts there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub source: ClusterSource,
    pub brokers: String,
}

/// The lengths of a trace's append-only tables at one moment: what [`Trace::truncate`]
/// goes back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceMark {
    strings: usize,
    payloads: usize,
    events: usize,
    steps: usize,
    assignments: usize,
    instances: usize,
}

impl TraceMark {
    /// The number of steps at the mark.
    pub fn steps(&self) -> usize {
        self.steps
    }
}

/// What a trace appended after a [`TraceMark`], copied out (see [`Trace::copy_since`]):
/// the part a copy of the trace kept on another thread appends to follow it
/// ([`Trace::append`]). Its buffers are reused from one copy to the next.
#[derive(Debug, Default)]
pub struct TraceDelta {
    strings: Vec<std::sync::Arc<str>>,
    payloads: Vec<u8>,
    events: Vec<Event>,
    /// The steps from number `first_step` (0-based) on.
    first_step: usize,
    steps: Vec<Step>,
    assignments: Vec<Assignment>,
    instances: Vec<(GroupIdx, u32)>,
}

impl TraceDelta {
    /// The 0-based number of the first step it holds.
    pub fn first_step(&self) -> usize {
        self.first_step
    }

    /// Takes its steps out, for a copy that keeps no steps: [`Trace::append`] then appends
    /// everything else. [`Self::put_back_steps`] returns the buffer.
    pub fn take_steps(&mut self) -> Vec<Step> {
        std::mem::take(&mut self.steps)
    }

    /// Gives back the buffer [`Self::take_steps`] took, emptied, for the next copy.
    pub fn put_back_steps(&mut self, mut steps: Vec<Step>) {
        steps.clear();
        self.steps = steps;
    }
}

impl Trace {
    /// Where the trace is now.
    pub fn mark(&self) -> TraceMark {
        TraceMark {
            strings: self.strings.len(),
            payloads: self.payloads.len(),
            events: self.events.len(),
            steps: self.steps.len(),
            assignments: self.assignments.len(),
            instances: self.instances.len(),
        }
    }

    /// Copies what was appended since `mark` into `delta` (emptied first), and moves `mark`
    /// to now. The tables a run sets once at its start (`emitters`) are the copy's from its
    /// start; a cluster's facts (`record_times`, `cluster`) are not copied: only a simulated
    /// run is followed so.
    pub fn copy_since(&self, mark: &mut TraceMark, delta: &mut TraceDelta) {
        debug_assert!(self.record_times.is_empty() && self.cluster.is_none(), "a simulated run");
        delta.first_step = mark.steps;
        delta.strings.clear();
        delta.strings.extend(self.strings.since(mark.strings).cloned());
        delta.payloads.clear();
        delta.payloads.extend_from_slice(self.payloads.since(mark.payloads));
        delta.events.clear();
        delta.events.extend_from_slice(&self.events[mark.events..]);
        delta.steps.clear();
        delta.steps.extend_from_slice(&self.steps[mark.steps..]);
        delta.assignments.clear();
        delta.assignments.extend_from_slice(&self.assignments[mark.assignments..]);
        delta.instances.clear();
        delta.instances.extend_from_slice(&self.instances[mark.instances..]);
        *mark = self.mark();
    }

    /// Appends a delta copied from the trace this one copies (equal to it up to the delta's
    /// mark), which is then equal to it up to the delta's end; a copy that keeps no steps
    /// takes them out of the delta first ([`TraceDelta::take_steps`]) and is equal to it but
    /// for the steps. `delta` is left empty, its buffers kept.
    pub fn append(&mut self, delta: &mut TraceDelta) {
        for text in delta.strings.drain(..) {
            self.strings.push_interned(text);
        }
        self.payloads.extend_from(&delta.payloads);
        delta.payloads.clear();
        self.events.append(&mut delta.events);
        self.steps.append(&mut delta.steps);
        self.assignments.append(&mut delta.assignments);
        self.instances.append(&mut delta.instances);
    }

    /// Forgets everything appended since `mark` (every table only ever grows, so the
    /// trace is then exactly what it was).
    pub fn truncate(&mut self, mark: &TraceMark) {
        self.strings.truncate(mark.strings);
        self.payloads.truncate(mark.payloads);
        self.events.truncate(mark.events);
        self.steps.truncate(mark.steps);
        self.assignments.truncate(mark.assignments);
        self.instances.truncate(mark.instances);
        let kept = self.record_times.partition_point(|&(e, _)| e.index() < mark.events);
        self.record_times.truncate(kept);
    }

    /// A record's own timestamp (ms since the Unix epoch), for an event read off a real
    /// cluster.
    pub fn record_time(&self, event: EventIdx) -> Option<i64> {
        let i = self.record_times.binary_search_by_key(&event, |&(e, _)| e).ok()?;
        Some(self.record_times[i].1)
    }

    /// The trace of a run at step 0: the model's strings and literal payloads, and the
    /// instances that exist from the start (each group's `#1` ... `#N`, groups in order;
    /// instances added later are appended as they join).
    pub fn start(model: &crate::model::Model) -> Self {
        Trace {
            strings: model.strings.clone(),
            payloads: model.payloads.clone(),
            instances: model
                .groups
                .iter()
                .enumerate()
                .flat_map(|(g, gm)| (1..=gm.instances).map(move |number| (GroupIdx::new(g), number)))
                .collect(),
            emitters: model.groups.iter().map(|g| g.source).collect(),
            ..Trace::default()
        }
    }

    pub fn event(&self, idx: EventIdx) -> &Event {
        &self.events[idx.index()]
    }

    /// The event a step is about. Panics on a step about none (a crash, a rebalance, a note):
    /// callers know the kind.
    pub fn event_of(&self, step: &Step) -> &Event {
        self.event(step.event.expect("a step about an event"))
    }

    /// Bytes held by the steps, the events and their payloads (allocated capacity).
    pub fn retained_bytes(&self) -> usize {
        self.steps.capacity() * std::mem::size_of::<Step>()
            + self.events.capacity() * std::mem::size_of::<Event>()
            + self.payloads.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn every_step_kind_is_listed_once_in_order() {
        for (i, kind) in StepKind::ALL.iter().enumerate() {
            assert_eq!(kind.position(), i, "{kind:?}");
            assert_eq!(StepKind::from_name(kind.name()), Some(*kind));
        }
        // The last kind is the last of the list: no kind after it was left out.
        let last = *StepKind::ALL.last().expect("kinds");
        assert_eq!(last.position() + 1, StepKind::ALL.len());
    }

    #[test]
    fn a_step_is_32_bytes_and_an_event_56() {
        assert_eq!(std::mem::size_of::<Step>(), 32);
        assert_eq!(std::mem::size_of::<Event>(), 56);
    }

    #[test]
    fn payloads_round_trip() {
        let mut p = Payloads::default();
        let a = p.push(&serde_json::json!({"total": 120, "items": ["a", "é"]}));
        let none = p.push(&Value::Null);
        let h = p.push_headers(&[("trace".to_owned(), "x1".to_owned())]);
        assert_eq!(p.value(a), serde_json::json!({"total": 120, "items": ["a", "é"]}));
        assert!(none.is_none());
        assert_eq!(p.value(none), Value::Null);
        assert_eq!(p.headers(h).get("trace"), Some(&Value::from("x1")));
        assert!(p.headers(Span::NONE).is_empty());
    }

    #[test]
    fn custom_ids_spelled_like_generated_ones_are_the_same_id() {
        let mut strings = Strings::default();
        let billing = strings.intern("billing");
        let key = strings.intern("cust");
        let is_consumer = |s: Sym| s == billing;
        assert_eq!(EventId::custom("evt-000042", &mut strings, is_consumer), EventId::root(42));
        assert_eq!(EventId::custom("billing-000007", &mut strings, is_consumer), EventId::emitted(billing, 7));
        assert_eq!(EventId::emitted(billing, 7).render(&strings), "billing-000007");
        assert!(matches!(EventId::custom("cust-000001", &mut strings, is_consumer).kind(), IdKind::Custom(_)));
        let custom = EventId::custom("order-1", &mut strings, is_consumer);
        assert_eq!(custom.render(&strings), "order-1");
        assert_eq!(EventId::root(7).render(&strings), "evt-000007");
        assert_eq!(EventId::root(1_234_567).render(&strings), "evt-1234567");
        assert_ne!(EventId::custom("evt-42", &mut strings, is_consumer), EventId::root(42));
        for text in ["evt-0000042", "evt-+00042", "evt-00004x", "evt-4294967296", "evt-"] {
            assert!(matches!(EventId::custom(text, &mut strings, is_consumer).kind(), IdKind::Custom(_)), "{text}");
        }
        assert_eq!(EventId::custom("evt-4294967295", &mut strings, is_consumer), EventId::root(u32::MAX));
        let _ = key;
    }
}
