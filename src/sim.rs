//! The simulator: a pure, deterministic state machine.
//!
//! Contract: given a compiled [`Model`] (scenario + seed), [`Simulator::step`] and
//! [`Simulator::run_until`] append steps to the [`Trace`] in an order that depends on
//! nothing but the model. Nothing in `sim/` reads a clock, a file, a terminal, a thread or
//! a global RNG, and no hash-ordered collection is iterated: randomness comes from one
//! [`Stream`] per component, time is an integer of virtual microseconds, and ties in time
//! are broken by the [`sched::Class`] order and then by insertion order.
//!
//! The simulator's state is `Clone`, so a snapshot is a clone and time travel is
//! restore + re-step.

mod consumer;
pub use consumer::{Verdict, draw, range_assign, verdict};
mod fault;
pub mod murmur2;
mod producer;
mod queue;
pub mod sched;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

pub use crate::model::{self, Model};
use sched::{Agenda, Class};

use crate::rng::Stream;
use crate::trace::{
    Event, EventId, EventIdx, GroupIdx, InstanceIdx, NONE32, Partition, QueueIdx, Span, Step, StepKind, Sym, TopicIdx,
    Trace, TraceMark,
};

/// A run that had to stop.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error(
        "the run passed {limit} steps at virtual time {time}: a run-away loop (zero-time retries or an emit cycle)? --max-steps raises the limit (and --max-memory, which holds 48 bytes a step)"
    )]
    TooManySteps { limit: u64, time: String },
    /// The clock stood still for more steps than any finite burst of the scenario takes
    /// (see [`STILL_STEPS`]); `parts` names what the last steps were about.
    #[error(
        "a run-away loop at {time}: {steps} steps without the clock moving ({parts}); a handler that fails or emits in zero time repeats forever: give it \"processing\" time or a \"retry_delay\""
    )]
    RunawayLoop { time: String, steps: u64, parts: String },
    /// The payloads stored reached [`PAYLOAD_STOP`] (their spans are 32-bit).
    #[error(
        "the run stored {bytes} bytes of event payloads by virtual time {time}, the most a run holds: its data grows beyond its estimate (an emit that copies its trigger's data, duplicated by retries or crashes?)"
    )]
    PayloadsFull { time: String, bytes: u64 },
}

/// The payload buffer a run may grow (its capacity, which doubles) before it stops: under
/// the 4 GiB their 32-bit spans address, with room for the event being made.
pub const PAYLOAD_STOP: u64 = 7 << 29;

/// The fewest steps at one virtual microsecond that make a run-away loop. Every step at
/// one instant comes from what the file schedules at that instant (scripted events, a
/// producer's arrivals, starts, faults and notes) and from what those cause in zero time
/// (deliveries, completions of zero-time processing, commits, zero-time emits): the step
/// estimate counts all of that, and duplicates or redeliveries at most double it. What it
/// does not count is a failure retried in zero time, forever. So the clock may stand still
/// for twice the estimate, or this many steps if that is more: a margin that costs about
/// 31 MB (31 bytes a step of a failing loop) and a fraction of a second, where the step
/// limit let such a loop run to 100 million steps, 3 GB and 17 s.
pub const STILL_STEPS: u64 = 1_000_000;

/// A limit a run can pass (see `Simulator::limit_passed`).
#[derive(Clone, Copy, Debug)]
enum Limit {
    /// `max_steps`.
    Steps,
    /// The steps the clock may stand still for (see [`STILL_STEPS`]).
    Still,
    /// [`PAYLOAD_STOP`].
    Payloads,
}

/// Where the clock last moved: its time then and the trace's length before that step.
#[derive(Clone, Copy, Debug, Default)]
struct Still {
    time: u64,
    from: usize,
}

/// Something scheduled on the agenda.
#[derive(Clone, Debug)]
enum Item {
    Note(u32),
    /// Fault `i` starts.
    Fault(u32),
    /// The instance's `fetch` call returns (`generation` guards against a crash since).
    Fetch {
        instance: InstanceIdx,
        generation: u32,
    },
    /// The instance's current processing ends (`generation` guards against a crash since).
    Complete {
        instance: InstanceIdx,
        generation: u32,
    },
    /// Commit-after of one record.
    Commit {
        instance: InstanceIdx,
        slot: u32,
        offset: u32,
    },
    /// A survivor of a rebalance commits its position ("on revoke").
    RevokeCommit(InstanceIdx),
    /// Ack of a queue message's receive.
    Ack {
        instance: InstanceIdx,
        queue: QueueIdx,
        seq: u64,
        receive: u32,
    },
    Join(GroupIdx),
    IntervalCommit(GroupIdx),
    /// A failed attempt on a log is retried in place.
    Retry {
        instance: InstanceIdx,
        generation: u32,
    },
    /// A nacked queue message becomes ready again.
    Requeue {
        group: GroupIdx,
        queue: QueueIdx,
        msg: Msg,
    },
    /// Visibility timeouts of a group's queue fall due (see [`QueueState::expiries`]).
    Expire {
        group: GroupIdx,
        queue: QueueIdx,
    },
    Restart(InstanceIdx),
    /// The `for` window of fault `i` ends.
    FaultEnd(u32),
    /// A rebalance's pause has passed (if `deadline` is still the group's).
    RebalanceEnd {
        group: GroupIdx,
        deadline: u64,
    },
    Produce(u32),
    Script(u32),
    Emit(Box<Pending>),
    /// Deliveries to the group's free instances (see [`Simulator::dispatch`]).
    Dispatch(GroupIdx),
    /// A `duplicate` fault's second delivery of the work the instance holds in
    /// [`InstanceState::redelivery`] (`generation` guards against a crash since).
    Redeliver {
        instance: InstanceIdx,
        generation: u32,
    },
}

/// Something an agenda item woke that may make a delivery possible.
#[derive(Clone, Copy, Debug)]
enum Woken {
    /// A log instance free or newly assigned, or a record appended to a partition it owns.
    Instance(InstanceIdx),
    /// A group's queue with ready messages, or an instance of the group with room.
    Queues(GroupIdx),
}

/// An emitted event waiting for its publish time.
#[derive(Clone, Debug)]
struct Pending {
    topic: TopicIdx,
    event_type: Sym,
    key: Option<Sym>,
    source: Sym,
    /// `None` for a root event: its correlation id is its own id.
    correlation: Option<EventId>,
    cause: Option<EventIdx>,
    /// The consumer group whose handler emitted it.
    emitter: Option<GroupIdx>,
    schema_version: u32,
    headers: Span,
    data: Span,
}

/// One record of a log partition: the event and the step that published it (which orders
/// records across partitions).
#[derive(Clone, Copy, Debug)]
struct Record {
    event: EventIdx,
    published_at: u32,
}

#[derive(Clone, Debug, Default)]
struct TopicState {
    partitions: Vec<Vec<Record>>,
    round_robin: u32,
    /// Key symbol index → partition + 1 (0: not computed yet).
    key_partition: Vec<u16>,
    /// FIFO queues: when each id was last published (for `dedup_window`).
    dedup: BTreeMap<EventId, u64>,
    /// Active `duplicate` and `delay` faults on this topic (fault indices).
    faults: Vec<u32>,
}

/// A queue message in one group's copy of the queue.
#[derive(Clone, Copy, Debug)]
struct Msg {
    event: EventIdx,
    /// Its place in the queue, kept when it becomes ready again: the index of the step that
    /// put it there (a publish, a routed copy, a dead-letter move), so it also orders the
    /// messages of a group's several queues by when they were published.
    seq: u64,
    receives: u32,
}

#[derive(Clone, Debug, Default)]
struct QueueState {
    ready: VecDeque<Msg>,
    round_robin: usize,
    /// Received and not yet acked, expired or nacked: seq → the message as of its latest
    /// receive (only that receive's ack deletes it) and that receive's visibility deadline.
    inflight: Inflight,
    /// FIFO queues: per key, the seqs of its unacked messages (ready, in flight or waiting
    /// to retry); only the first may be delivered.
    unacked_by_key: BTreeMap<Sym, BTreeSet<u64>>,
    /// Receives whose visibility timeout is pending: (deadline, seq, receive), in deadline
    /// order since the timeout is the same for every receive of the queue. One agenda
    /// item stands for the earliest (`expiry_scheduled`), instead of one per receive: most
    /// receives are acked long before, and a heap of them would dominate a busy run.
    expiries: VecDeque<(u64, u64, u32)>,
    expiry_scheduled: bool,
}

/// A queue's received messages by seq (see [`QueueState::inflight`]): a sorted deque, for
/// a handful are in flight at a time (the prefetch of each instance) and the oldest is
/// usually acked first.
#[derive(Clone, Debug, Default)]
struct Inflight(VecDeque<(u64, (Msg, u64))>);

impl Inflight {
    /// Where `seq` is (or would go): the oldest is looked at first.
    #[inline]
    fn find(&self, seq: u64) -> Result<usize, usize> {
        match self.0.front() {
            Some(&(first, _)) if first == seq => Ok(0),
            _ => self.0.binary_search_by_key(&seq, |&(s, _)| s),
        }
    }

    fn get(&self, seq: u64) -> Option<&(Msg, u64)> {
        self.find(seq).ok().map(|i| &self.0[i].1)
    }

    /// Inserts or replaces (a new receive usually comes last).
    fn insert(&mut self, seq: u64, value: (Msg, u64)) {
        if self.0.back().is_none_or(|&(last, _)| last < seq) {
            self.0.push_back((seq, value));
            return;
        }
        match self.find(seq) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (seq, value)),
        }
    }

    fn remove(&mut self, seq: u64) -> Option<(Msg, u64)> {
        let i = self.find(seq).ok()?;
        let entry = if i == 0 { self.0.pop_front() } else { self.0.remove(i) };
        entry.map(|(_, value)| value)
    }
}

/// A group's view of one partition.
#[derive(Clone, Copy, Debug)]
struct Slot {
    committed: u32,
    /// Next offset to fetch.
    position: u32,
    /// Last completed offset + 1 (what an interval commit commits).
    done: u32,
    owner: Option<InstanceIdx>,
}

/// A log group's rebalance in progress.
#[derive(Clone, Copy, Debug)]
struct Rebalance {
    /// When the pause ends; survivors may still be finishing then.
    deadline: u64,
    paused_enough: bool,
}

#[derive(Clone, Debug)]
struct GroupState {
    rng: Stream,
    joined: bool,
    rebalance: Option<Rebalance>,
    /// Idempotent consumers: the ids processed (survives crashes).
    processed: crate::trace::IdSet,
    slots: Vec<Slot>,
    queues: Vec<QueueState>,
    /// Instance indices, in join (numeric) order.
    members: Vec<InstanceIdx>,
    sequences: Vec<i128>,
    /// Events its handlers emitted so far: `CONSUMER-NNNNNN` numbers.
    emitted: u32,
    /// Free log instances that asked for a record since its last dispatch.
    asking: Vec<InstanceIdx>,
    /// A `Dispatch` item is on the agenda.
    dispatch_pending: bool,
}

#[derive(Clone, Copy, Debug)]
enum Source {
    Log { slot: u32, offset: u32 },
    Queue { queue: QueueIdx, msg: Msg },
}

/// A delivery an instance holds.
#[derive(Clone, Copy, Debug)]
struct Work {
    event: EventIdx,
    source: Source,
    attempt: u32,
    /// A `duplicate` fault will deliver it once more after this processing.
    duplicate: bool,
    /// Extra time before it reaches the instance (a `delay` fault).
    delay: u64,
}

/// A partition an instance owns: its group's slot, and the log partition the slot reads (the
/// model's `slots` entry, kept here so that the checks made on every wake and fetch read
/// one table).
#[derive(Clone, Copy, Debug)]
struct Owned {
    slot: u32,
    topic: TopicIdx,
    partition: Partition,
}

#[derive(Clone, Debug)]
struct InstanceState {
    group: GroupIdx,
    number: u32,
    alive: bool,
    owned: Vec<Owned>,
    current: Option<Work>,
    /// Received, not yet processing (queues with prefetch > 1).
    inbox: VecDeque<Work>,
    /// A `duplicate` fault's second delivery, due at the end of this microsecond: work the
    /// instance still holds (counted in `held`), so nothing else starts before it. A crash
    /// abandons it; on a log, a rebalance drops it (see `Simulator::finish`).
    redelivery: Option<Work>,
    /// Deliveries it holds: a log record until processed, queue messages until acked, and a
    /// pending `redelivery`. A log record is fetched only by an instance that holds
    /// nothing; a queue message goes to one that holds fewer than its prefetch.
    held: u32,
    /// It is in its group's `asking` list.
    asking: bool,
    /// Bumped when the work the instance has on the agenda is abandoned (a crash, a dropped
    /// `redelivery`): items of an older generation are void.
    generation: u32,
    /// Active `pause` faults on it: it takes no new deliveries while > 0.
    paused: u32,
    /// Active `slow` faults on it (fault indices): processing times are multiplied.
    slowed_by: Vec<u32>,
    /// The state its current attempt's `fetch` read.
    fetched: Option<Arc<serde_json::Value>>,
}

impl InstanceState {
    fn new(group: GroupIdx, number: u32) -> Self {
        InstanceState {
            group,
            number,
            alive: true,
            owned: Vec::new(),
            current: None,
            inbox: VecDeque::new(),
            redelivery: None,
            held: 0,
            asking: false,
            generation: 0,
            paused: 0,
            slowed_by: Vec::new(),
            fetched: None,
        }
    }
}

#[derive(Clone, Debug)]
struct ProducerState {
    rng: Stream,
    /// Lost acknowledgements are drawn apart, so enabling retries changes no other draw.
    retry_rng: Stream,
    produced: u64,
    /// Key number → key symbol, filled as keys are first drawn.
    keys: KeyCache,
    sequences: Vec<i128>,
    /// The schema version it emits of each of its event types (`upgrade` faults change them).
    versions: Vec<u32>,
}

/// Key number → interned key: a table for the usual few thousand keys, a map beyond.
#[derive(Clone, Debug)]
enum KeyCache {
    Table(Vec<Option<Sym>>),
    Map(std::collections::BTreeMap<u64, Sym>),
}

impl KeyCache {
    /// The size the memory estimate counts on (see `scenario::validate`).
    const TABLE_LIMIT: u64 = crate::scenario::validate::KEY_TABLE_LIMIT;

    fn new(cardinality: u64) -> Self {
        if cardinality <= Self::TABLE_LIMIT {
            KeyCache::Table(vec![None; cardinality as usize + 1])
        } else {
            KeyCache::Map(std::collections::BTreeMap::new())
        }
    }

    fn get_or_insert(&mut self, number: u64, make: impl FnOnce() -> Sym) -> Sym {
        match self {
            KeyCache::Table(table) => *table[number as usize].get_or_insert_with(make),
            KeyCache::Map(map) => *map.entry(number).or_insert_with(make),
        }
    }
}

/// The most steps reserved before a run (more grow as needed).
const RESERVE_LIMIT: u64 = 1 << 23;

/// Everything that changes during a run (the trace aside).
#[derive(Clone, Debug)]
struct State {
    agenda: Agenda<Item>,
    topics: Vec<TopicState>,
    groups: Vec<GroupState>,
    instances: Vec<InstanceState>,
    producers: Vec<ProducerState>,
    /// One random stream per fault.
    faults: Vec<Stream>,
    /// Per fault, the instances a `pause` paused (resumed at its end).
    fault_targets: Vec<Vec<InstanceIdx>>,
    /// Events published by producers and scripts so far: `evt-NNNNNN` numbers.
    roots: u32,
    /// The write side of each aggregate a handler fetches (empty for the others).
    aggregates: Vec<crate::fold::Store>,
    /// Per fetched aggregate, per event index: the version its append produced, if any.
    produced: Vec<Vec<Option<u32>>>,
    /// What the current agenda item woke (empty between items).
    woken: Vec<Woken>,
    /// The groups to dispatch after the current item (empty between items; kept for its
    /// allocation).
    to_dispatch: Vec<GroupIdx>,
}

/// The simulator: a compiled model, its state and the trace so far.
#[derive(Clone, Debug)]
pub struct Simulator {
    model: Arc<Model>,
    state: State,
    trace: Trace,
    max_steps: u64,
    /// Steps at one instant past which the run is a run-away loop (see [`STILL_STEPS`]).
    still_limit: u64,
    still: Still,
}

/// The whole state of a simulator between two agenda items, without the trace (which only
/// grows: the snapshot keeps its lengths). Restoring one and stepping on reproduces the
/// original run exactly.
#[derive(Clone, Debug)]
pub struct Snapshot {
    state: State,
    mark: TraceMark,
}

impl Snapshot {
    /// The number of steps the trace had when the snapshot was taken.
    pub fn steps(&self) -> usize {
        self.mark.steps()
    }
}

impl Simulator {
    /// A simulator at step 0. `max_steps` stops a run-away run.
    pub fn new(model: Arc<Model>, max_steps: u64) -> Self {
        let seed = model.seed;
        let mut state = State {
            agenda: Agenda::default(),
            topics: model
                .topics
                .iter()
                .map(|t| TopicState { partitions: vec![Vec::new(); t.partitions as usize], ..TopicState::default() })
                .collect(),
            groups: model
                .groups
                .iter()
                .map(|g| GroupState {
                    rng: Stream::for_component(seed, "group", &g.name),
                    joined: false,
                    rebalance: None,
                    processed: crate::trace::IdSet::default(),
                    slots: vec![Slot { committed: 0, position: 0, done: 0, owner: None }; g.slots.len()],
                    queues: vec![QueueState::default(); g.queues.len()],
                    members: Vec::new(),
                    sequences: vec![0; g.sequences],
                    emitted: 0,
                    asking: Vec::new(),
                    dispatch_pending: false,
                })
                .collect(),
            instances: Vec::new(),
            producers: model
                .producers
                .iter()
                .map(|p| ProducerState {
                    rng: Stream::for_component(seed, "producer", &p.name),
                    retry_rng: Stream::for_component(seed, "producer-retry", &p.name),
                    produced: 0,
                    keys: KeyCache::new(p.keys.as_ref().map_or(0, |k| k.cardinality)),
                    sequences: vec![0; p.sequences],
                    versions: p.types.iter().map(|t| t.schema_version).collect(),
                })
                .collect(),
            faults: model.faults.iter().map(|f| Stream::for_component(seed, "fault", &f.name)).collect(),
            fault_targets: vec![Vec::new(); model.faults.len()],
            roots: 0,
            aggregates: model.aggregates.iter().map(|a| crate::fold::Store::new(&a.rules)).collect(),
            produced: vec![Vec::new(); model.aggregates.len()],
            woken: Vec::new(),
            to_dispatch: Vec::new(),
        };
        // Room for the expected run up front: growing a vector of millions of steps by
        // doubling costs copies and page faults that show in the throughput.
        let estimate = crate::scenario::validate::estimate_steps(&model.scenario);
        let expected = estimate.saturating_add(estimate / 16).min(RESERVE_LIMIT) as usize;
        let trace = Trace { steps: Vec::with_capacity(expected), ..Trace::start(&model) };
        for (index, &(group, number)) in trace.instances.iter().enumerate() {
            state.instances.push(InstanceState::new(group, number));
            state.groups[group.index()].members.push(InstanceIdx::new(index));
        }
        let duration = model.duration;
        let agenda = &mut state.agenda;
        // Items given in the file are scheduled in file order, so ties keep it.
        for (i, note) in model.scenario.notes.iter().enumerate() {
            if note.at.as_micros() <= duration {
                agenda.schedule(note.at.as_micros(), Class::Fault, Item::Note(i as u32));
            }
        }
        for (i, fault) in model.faults.iter().enumerate() {
            if fault.at <= duration {
                agenda.schedule(fault.at, Class::Fault, Item::Fault(i as u32));
            }
        }
        for (i, event) in model.scripted.iter().enumerate() {
            if event.at <= duration {
                agenda.schedule(event.at, Class::Publish, Item::Script(i as u32));
            }
        }
        for (gi, g) in model.groups.iter().enumerate() {
            if g.start <= duration {
                agenda.schedule(g.start, Class::Timer, Item::Join(GroupIdx::new(gi)));
            }
        }
        let still_limit = STILL_STEPS.max(estimate.saturating_mul(2));
        let mut sim = Simulator { model, state, trace, max_steps, still_limit, still: Still::default() };
        for p in 0..sim.model.producers.len() {
            sim.schedule_first_production(p);
        }
        sim
    }

    /// The trace of the run, the simulator given up.
    pub fn into_trace(self) -> Trace {
        self.trace
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// The room reserved for the trace's steps (see [`Self::move_steps_into`]).
    pub fn steps_capacity(&self) -> usize {
        self.trace.steps.capacity()
    }

    /// Moves the trace's steps into `room`, an empty vector whose memory another thread has
    /// touched already: the run then writes its steps without a page fault every 128 of
    /// them, which the first writes to fresh memory cost (about a tenth of a long run's
    /// time). The trace stays what it was. A room that is not empty, or smaller than the
    /// steps already written, is not taken.
    pub fn move_steps_into(&mut self, mut room: Vec<Step>) {
        if !room.is_empty() || room.capacity() < self.trace.steps.len() {
            return;
        }
        room.extend_from_slice(&self.trace.steps);
        self.trace.steps = room;
    }

    /// The state now (see [`Snapshot`]).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { state: self.state.clone(), mark: self.trace.mark() }
    }

    /// Goes back to a snapshot this simulator took (at or before now): the state then, and
    /// the trace cut back to what it was.
    pub fn restore(&mut self, snapshot: &Snapshot) {
        debug_assert!(snapshot.steps() <= self.trace.steps.len(), "a snapshot from this run, not from its future");
        self.state.clone_from(&snapshot.state);
        self.trace.truncate(&snapshot.mark);
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Virtual time of the last item processed, in µs.
    pub fn now(&self) -> u64 {
        self.state.agenda.now()
    }

    /// The time of the next thing to do, if it is within the scenario's duration.
    pub fn peek_time(&self) -> Option<u64> {
        self.state.agenda.peek_time().filter(|&t| t <= self.model.duration)
    }

    /// Whether nothing is left to do within the scenario's duration.
    pub fn is_finished(&self) -> bool {
        self.state.agenda.peek_time().is_none_or(|t| t > self.model.duration)
    }

    /// Advances until at least one step is appended. Returns `false` when the run is over.
    pub fn step(&mut self) -> Result<bool, SimError> {
        self.step_until(u64::MAX)
    }

    /// Like [`Simulator::step`], but processes nothing due after `limit`: returns `false`
    /// when nothing is left up to `limit` (or the run is over).
    pub fn step_until(&mut self, limit: u64) -> Result<bool, SimError> {
        let limit = limit.min(self.model.duration);
        let before = self.trace.steps.len();
        while self.trace.steps.len() == before {
            if !self.process_next(limit)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Advances until at least `steps` steps are appended (or more: an agenda item's steps
    /// are appended together). Returns `false` when the run is over. What [`Simulator::step`]
    /// called until the trace grew by `steps` does, without a call per step.
    pub fn step_by(&mut self, steps: usize) -> Result<bool, SimError> {
        let limit = self.model.duration;
        let target = self.trace.steps.len().saturating_add(steps);
        while self.trace.steps.len() < target {
            if !self.process_next(limit)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Processes everything due at or before `t` (capped at the scenario's duration).
    pub fn run_until(&mut self, t: u64) -> Result<(), SimError> {
        let limit = t.min(self.model.duration);
        while self.process_next(limit)? {}
        Ok(())
    }

    /// Runs to the end of the scenario.
    pub fn run(&mut self) -> Result<(), SimError> {
        self.run_until(u64::MAX)
    }

    fn process_next(&mut self, limit: u64) -> Result<bool, SimError> {
        let Some((_, item)) = self.state.agenda.pop_until(limit) else { return Ok(false) };
        let time = self.now();
        let before = self.trace.steps.len();
        if time != self.still.time || before < self.still.from {
            self.still = Still { time, from: before };
        }
        self.handle(item);
        self.schedule_dispatches();
        if let Some(limit) = self.limit_passed() {
            return Err(self.stop(limit));
        }
        Ok(true)
    }

    /// The limit the run has passed, if any: the checks made after every agenda item, in
    /// order. (A commit, an ack or a dispatch made at once, as the next item, is made only
    /// when none is passed: see `Simulator::follows_now`.)
    #[inline]
    fn limit_passed(&self) -> Option<Limit> {
        let steps = self.trace.steps.len();
        if steps as u64 > self.max_steps {
            Some(Limit::Steps)
        } else if (steps - self.still.from) as u64 > self.still_limit {
            Some(Limit::Still)
        } else if self.trace.payloads.bytes() as u64 > PAYLOAD_STOP {
            Some(Limit::Payloads)
        } else {
            None
        }
    }

    /// The error a run stops with when it passes `limit`.
    #[cold]
    fn stop(&self, limit: Limit) -> SimError {
        let time = crate::scenario::value::Duration(self.now()).to_string();
        match limit {
            Limit::Steps => SimError::TooManySteps { limit: self.max_steps, time },
            Limit::Still => self.runaway_loop(),
            Limit::Payloads => SimError::PayloadsFull { time, bytes: self.trace.payloads.bytes() as u64 },
        }
    }

    /// The error for a clock that stood still too long, naming the consumers, topics, event
    /// types and what happened to them in the last steps (the loop's own).
    fn runaway_loop(&self) -> SimError {
        const LAST: usize = 256;
        const MOST: usize = 4;
        let steps = &self.trace.steps[self.trace.steps.len().saturating_sub(LAST)..];
        let mut parts: Vec<(Option<GroupIdx>, TopicIdx, Sym, StepKind)> = Vec::new();
        for step in steps {
            let group =
                step.group.or_else(|| step.instance.and_then(|i| self.trace.instances.get(i.index())).map(|&(g, _)| g));
            let Some(event) = step.event.and_then(|e| self.trace.events.get(e.index())) else { continue };
            let topic = step.topic.unwrap_or(event.topic);
            let part = (group, topic, event.event_type, step.kind);
            if !parts.contains(&part) && parts.len() < 4 * MOST {
                parts.push(part);
            }
        }
        // The most telling step of each (consumer, topic, type): a failure, else an emit.
        let rank = |kind: StepKind| match kind {
            StepKind::Failed => 0,
            StepKind::Published | StepKind::Routed => 1,
            _ => 2,
        };
        let mut named: Vec<(Option<GroupIdx>, TopicIdx, Sym, StepKind)> = Vec::new();
        for &(group, topic, ty, kind) in &parts {
            match named.iter_mut().find(|n| (n.0, n.1, n.2) == (group, topic, ty)) {
                Some(n) if rank(kind) < rank(n.3) => n.3 = kind,
                Some(_) => {}
                None => named.push((group, topic, ty, kind)),
            }
        }
        let text: Vec<String> = named
            .iter()
            .take(MOST)
            .map(|&(group, topic, ty, kind)| {
                let ty = self.trace.strings.resolve(ty);
                let topic = self.model.topics.get(topic.index()).map_or("?", |t| t.name.as_str());
                let what = match kind {
                    StepKind::Failed => "failing in zero time",
                    StepKind::Published | StepKind::Routed => "published in zero time",
                    _ => "in zero time",
                };
                match group.and_then(|g| self.model.groups.get(g.index())) {
                    Some(g) => format!("consumer \"{}\" on topic \"{topic}\", type \"{ty}\" {what}", g.consumer),
                    None => format!("topic \"{topic}\", type \"{ty}\" {what}"),
                }
            })
            .collect();
        SimError::RunawayLoop {
            time: crate::scenario::value::Duration(self.now()).to_string(),
            steps: self.still_limit,
            parts: if text.is_empty() { "steps without events".to_owned() } else { text.join("; ") },
        }
    }

    /// One agenda item (inlined into [`Self::process_next`], its one caller: a call a step).
    #[expect(clippy::inline_always, reason = "its one caller, a call per agenda item otherwise")]
    #[inline(always)]
    fn handle(&mut self, item: Item) {
        match item {
            Item::Note(i) => {
                let mut step = Step::new(StepKind::Note, self.now());
                step.aux = i;
                self.push(step);
            }
            Item::Fault(i) => self.fault(i as usize),
            Item::FaultEnd(i) => self.fault_end(i as usize),
            Item::Fetch { instance, generation } => self.fetch(instance, generation),
            Item::Complete { instance, generation } => self.complete(instance, generation),
            Item::Commit { instance, slot, offset } => self.commit(instance, slot, offset),
            Item::RevokeCommit(instance) => self.revoke_commit(instance),
            Item::Ack { instance, queue, seq, receive } => self.ack(instance, queue, seq, receive),
            Item::Join(group) => self.join(group),
            Item::IntervalCommit(group) => self.interval_commit(group),
            Item::Retry { instance, generation } => self.retry(instance, generation),
            Item::Requeue { group, queue, msg } => self.requeue(group, queue, msg),
            Item::Expire { group, queue } => self.expire_due(group, queue),
            Item::Restart(instance) => self.restart(instance),
            Item::RebalanceEnd { group, deadline } => self.rebalance_end(group, deadline),
            Item::Redeliver { instance, generation } => self.redeliver(instance, generation),
            Item::Produce(p) => self.produce(p as usize),
            Item::Script(i) => self.script(i as usize),
            Item::Emit(pending) => {
                let event = self.new_event(&pending, None);
                let topic = self.trace.events[event.index()].topic;
                self.publish(event, topic, None);
            }
            Item::Dispatch(group) => self.dispatch(group),
        }
    }

    fn push(&mut self, step: Step) {
        self.trace.steps.push(step);
    }

    /// Stores a new event with its id: `id` when given, else the emitting consumer's next.
    fn new_event(&mut self, p: &Pending, id: Option<EventId>) -> EventIdx {
        let id = id.unwrap_or_else(|| {
            let group = p.emitter.expect("events without an id given are emitted by a consumer");
            let count = &mut self.state.groups[group.index()].emitted;
            *count += 1;
            EventId::emitted(p.source, *count)
        });
        let index = EventIdx::new(self.trace.events.len());
        self.trace.events.push(Event {
            id,
            event_type: p.event_type,
            key: p.key,
            source: p.source,
            correlation: p.correlation.unwrap_or(id),
            cause: p.cause,
            schema_version: p.schema_version,
            topic: p.topic,
            headers: p.headers,
            data: p.data,
        });
        index
    }

    /// Appends an event to a topic: a `published` step, then the topic's fan-out. On a log,
    /// `partition` forces the partition (a producer's retry goes where the original went);
    /// the partition used is returned. A FIFO queue drops an id it saw within its
    /// `dedup_window` (a `dropped_duplicate` step instead).
    fn publish(&mut self, event: EventIdx, topic: TopicIdx, partition: Option<u32>) -> Option<u32> {
        let now = self.now();
        let mut step = Step::new(StepKind::Published, now);
        step.event = Some(event);
        step.topic = Some(topic);
        match self.model.topics[topic.index()].kind {
            crate::scenario::model::TopicKind::Log => Some(self.append_to_log(step, topic, partition)),
            crate::scenario::model::TopicKind::Queue => {
                self.append_to_queue(step, topic);
                None
            }
            crate::scenario::model::TopicKind::Bus => {
                self.push(step);
                self.route(event, topic);
                None
            }
        }
    }

    /// Appends `step`'s event to a log (a `published` or `routed` step): the partition
    /// (`partition`, or the partitioner's) and offset are filled in, the record stored, the
    /// owners woken and the fetched aggregates folded. Returns the partition.
    fn append_to_log(&mut self, mut step: Step, topic: TopicIdx, partition: Option<u32>) -> u32 {
        let event = step.event.expect("an append is of an event");
        let partition = partition.unwrap_or_else(|| self.partition_for(topic, event));
        let published_at = self.trace.steps.len() as u32;
        let log = &mut self.state.topics[topic.index()].partitions[partition as usize];
        step.topic = Some(topic);
        step.partition = Some(Partition::new(partition as usize));
        step.offset = log.len() as u32;
        log.push(Record { event, published_at });
        self.push(step);
        self.appended(topic, event);
        // By index rather than through a clone of the model: this runs on every append.
        for k in 0..self.model.topics[topic.index()].subscribers.len() {
            let sub = &self.model.topics[topic.index()].subscribers[k];
            let (sub_group, base) = (sub.group, sub.base);
            let group = &self.state.groups[sub_group.index()];
            if !group.joined {
                continue;
            }
            if let Some(owner) = group.slots[(base + partition) as usize].owner {
                self.wake(owner);
            }
        }
        partition
    }

    /// Appends `step`'s event to a queue (a `published` or `routed` step), unless a FIFO
    /// queue saw its id within its `dedup_window` (a `dropped_duplicate` step instead).
    fn append_to_queue(&mut self, mut step: Step, topic: TopicIdx) {
        let now = self.now();
        let event = step.event.expect("an append is of an event");
        step.topic = Some(topic);
        let tm = &self.model.topics[topic.index()];
        if tm.fifo {
            let id = self.trace.events[event.index()].id;
            let seen = &mut self.state.topics[topic.index()].dedup;
            if seen.get(&id).is_some_and(|&at| now - at < tm.dedup_window) {
                step.kind = StepKind::DroppedDuplicate;
                step.aux = NONE32;
                self.push(step);
                return;
            }
            seen.insert(id, now);
        }
        self.push(step);
        self.enqueue(topic, event);
    }

    /// An event published to a bus: matched against every rule; for each matching rule and
    /// each of its targets, appended to the target (a `routed` step with the rule); an
    /// `unrouted` step when no rule matches.
    fn route(&mut self, event: EventIdx, bus: TopicIdx) {
        let model = Arc::clone(&self.model);
        let rules = &model.topics[bus.index()].rules;
        let e = &self.trace.events[event.index()];
        let payload = rules.iter().any(|r| r.pattern.reads_payload());
        let (data, headers) = if payload {
            (self.trace.payloads.value(e.data), self.trace.payloads.headers(e.headers))
        } else {
            (serde_json::Value::Null, serde_json::Map::new())
        };
        let strings = &self.trace.strings;
        let view = crate::bus::EventView {
            event_type: strings.resolve(e.event_type),
            source: strings.resolve(e.source),
            key: e.key.map(|k| strings.resolve(k)),
            data: &data,
            headers: &headers,
        };
        let matched: Vec<usize> =
            rules.iter().enumerate().filter(|(_, r)| r.pattern.matches(&view)).map(|(i, _)| i).collect();
        if matched.is_empty() {
            let mut step = Step::new(StepKind::Unrouted, self.now());
            step.event = Some(event);
            step.topic = Some(bus);
            self.push(step);
            return;
        }
        for r in matched {
            for &target in &rules[r].targets {
                let mut step = Step::new(StepKind::Routed, self.now());
                step.event = Some(event);
                step.aux = r as u32;
                match model.topics[usize::from(target)].kind {
                    crate::scenario::model::TopicKind::Log => {
                        self.append_to_log(step, target, None);
                    }
                    crate::scenario::model::TopicKind::Queue => self.append_to_queue(step, target),
                    crate::scenario::model::TopicKind::Bus => unreachable!("validation refuses a bus as a rule target"),
                }
            }
        }
    }

    /// An event appended to a log: the aggregates handlers fetch fold it.
    fn appended(&mut self, topic: TopicIdx, event: EventIdx) {
        if self.model.topics[topic.index()].aggregates.is_empty() {
            return;
        }
        let model = Arc::clone(&self.model);
        for &a in &model.topics[topic.index()].aggregates {
            let am = &model.aggregates[usize::from(a)];
            let e = &self.trace.events[event.index()];
            let Some(key) = e.key.filter(|_| am.fetched && am.rules.applies(e.event_type)) else { continue };
            let event_type = e.event_type;
            let data = if am.rules.reads_data(event_type) {
                self.trace.payloads.value(e.data)
            } else {
                serde_json::Value::Null
            };
            let store = &mut self.state.aggregates[usize::from(a)];
            let version = store.apply(&am.rules, key, event_type, &data).expect("applied");
            let produced = &mut self.state.produced[usize::from(a)];
            if produced.len() <= event.index() {
                produced.resize(event.index() + 1, None);
            }
            if produced[event.index()].is_none() {
                produced[event.index()] = Some(version);
            }
        }
    }

    /// Gives each joined group reading queue `topic` its copy of the message.
    fn enqueue(&mut self, topic: TopicIdx, event: EventIdx) {
        let model = Arc::clone(&self.model);
        let key = self.trace.events[event.index()].key;
        for sub in &model.topics[topic.index()].subscribers {
            let group = &mut self.state.groups[sub.group.index()];
            if !group.joined {
                continue;
            }
            let queue = &mut group.queues[sub.base as usize];
            // The step that enqueued it was just written.
            let seq = self.trace.steps.len() as u64 - 1;
            queue.ready.push_back(Msg { event, seq, receives: 0 });
            if model.topics[topic.index()].fifo
                && let Some(key) = key
            {
                queue.unacked_by_key.entry(key).or_default().insert(seq);
            }
            self.wake_queue(sub.group, QueueIdx::new(sub.base as usize));
        }
    }

    /// Kafka's default partitioner for keyed events, round-robin for keyless ones.
    fn partition_for(&mut self, topic: TopicIdx, event: EventIdx) -> u32 {
        let partitions = self.model.topics[topic.index()].partitions;
        let state = &mut self.state.topics[topic.index()];
        match self.trace.events[event.index()].key {
            _ if partitions == 1 => 0,
            None => {
                let p = state.round_robin % partitions;
                state.round_robin = state.round_robin.wrapping_add(1);
                p
            }
            Some(key) => {
                let cache = &mut state.key_partition;
                if cache.len() <= key.index() {
                    cache.resize(key.index() + 1, 0);
                }
                if cache[key.index()] == 0 {
                    let p = murmur2::partition_for(self.trace.strings.resolve(key), partitions);
                    cache[key.index()] = p as u16 + 1;
                }
                u32::from(cache[key.index()] - 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn agenda_items_stay_small() {
        // Items are moved in and out of the agenda's heap millions of times a run.
        assert!(std::mem::size_of::<super::Item>() <= 32, "{}", std::mem::size_of::<super::Item>());
    }
}
