//! The run on a Kafka-protocol cluster (rdkafka's blocking clients, one thread each): the
//! topics ([`topics`]), one producer thread that produces the schedule and the handlers'
//! emits, one thread per consumer instance, and the controller ([`play`]) that starts groups
//! and applies faults at their times.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{BorrowedMessage, Header, Headers, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientConfig, ClientContext, Message, Offset, TopicPartitionList};
use serde_json::{Map, Value, json};

use super::plan::Outgoing;
use super::record::{Recorder, fields_of as fields, wall_now};
use super::{Options, PlayError};
use crate::bridge::CONNECT_TIMEOUT;
use crate::model::Model;
use crate::rng::Stream;
use crate::scenario::model::{Commit, From};
use crate::scenario::template::Context;
use crate::sim::model::{FaultAction, GroupModel, HandlerModel};
use crate::trace::{GroupIdx, TopicIdx};

/// The consumers' session timeout: short, so joins and crashes are noticed quickly.
const SESSION_TIMEOUT_MS: &str = "6000";

/// How often the threads look at the clock and their flags (wall time).
const TICK: Duration = Duration::from_millis(10);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fresh id for this run's consumer groups: the process and the time.
#[expect(clippy::disallowed_methods, reason = "a run on a real cluster names its groups after the wall clock")]
pub(super) fn fresh_run_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{:x}", std::process::id(), nanos & 0xffff_ffff_ffff)
}

/// Per topic and partition: the broker's offset that is the trace's offset 0 (the
/// partition's end when the run started; 0 for a topic this run created).
pub(super) type Bases = Vec<Vec<i64>>;

fn admin(options: &Options) -> Result<AdminClient<DefaultClientContext>, PlayError> {
    ClientConfig::new()
        .set("bootstrap.servers", &options.brokers)
        .set("socket.timeout.ms", "10000")
        .create()
        .map_err(|e| PlayError::Broker(format!("--broker {}: {e}", options.brokers)))
}

/// Creates the scenario's topics with its partitions (a topic that exists with them is
/// used; with other partitions it is refused, unless `--reuse-topics` and it has more) and
/// returns where each partition ends now.
pub(super) fn topics(model: &Model, options: &Options) -> Result<Bases, PlayError> {
    let admin = admin(options)?;
    let unreachable = |e: &dyn std::fmt::Display| PlayError::Broker(crate::bridge::unreachable(&options.brokers, &e));
    let metadata = admin.inner().fetch_metadata(None, CONNECT_TIMEOUT).map_err(|e| unreachable(&e))?;
    let existing: BTreeMap<String, usize> = metadata
        .topics()
        .iter()
        .filter(|t| t.error().is_none())
        .map(|t| (t.name().to_owned(), t.partitions().len()))
        .collect();
    let mut create = Vec::new();
    let mut reused = BTreeSet::new();
    for topic in &model.topics {
        let wanted = topic.partitions as usize;
        match existing.get(&topic.name) {
            None => create.push(NewTopic::new(&topic.name, topic.partitions as i32, TopicReplication::Fixed(1))),
            Some(&n) if n == wanted => {
                reused.insert(topic.name.clone());
            }
            Some(&n) if n > wanted && options.reuse_topics => {
                reused.insert(topic.name.clone());
            }
            Some(&n) => {
                let hint = if n > wanted {
                    " (--reuse-topics uses it, ignoring the extra partitions)"
                } else {
                    " (delete it, or give the scenario's topic another name)"
                };
                return Err(PlayError::Broker(format!(
                    "topic \"{}\" exists on {} with {n} partitions, the scenario says {wanted}{hint}",
                    topic.name, options.brokers
                )));
            }
        }
    }
    if !create.is_empty() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| PlayError::Broker(format!("cannot start the admin client: {e}")))?;
        let opts = AdminOptions::new().operation_timeout(Some(CONNECT_TIMEOUT)).request_timeout(Some(CONNECT_TIMEOUT));
        let names: Vec<&str> = create.iter().map(|t| t.name).collect();
        let results = runtime.block_on(admin.create_topics(create.iter(), &opts)).map_err(|e| {
            PlayError::Broker(format!("cannot create topics {} on {}: {e}", names.join(", "), options.brokers))
        })?;
        for result in results {
            if let Err((name, code)) = result
                && code != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists
            {
                return Err(PlayError::Broker(format!(
                    "cannot create topic \"{name}\" on {}: {code}",
                    options.brokers
                )));
            }
        }
        wait_for_topics(&admin, model, options)?;
    }
    let mut bases = Vec::new();
    for topic in &model.topics {
        let mut per = Vec::new();
        for p in 0..topic.partitions {
            if reused.contains(&topic.name) {
                let (_, high) = admin
                    .inner()
                    .fetch_watermarks(&topic.name, p as i32, CONNECT_TIMEOUT)
                    .map_err(|e| unreachable(&e))?;
                per.push(high);
            } else {
                per.push(0);
            }
        }
        bases.push(per);
    }
    Ok(bases)
}

/// Waits until the cluster's metadata shows every topic with its partitions.
fn wait_for_topics(
    admin: &AdminClient<DefaultClientContext>,
    model: &Model,
    options: &Options,
) -> Result<(), PlayError> {
    let deadline = wall_now() + CONNECT_TIMEOUT;
    loop {
        let metadata =
            admin.inner().fetch_metadata(None, CONNECT_TIMEOUT).map_err(|e| PlayError::Broker(e.to_string()))?;
        let ready = model.topics.iter().all(|t| {
            metadata
                .topics()
                .iter()
                .any(|m| m.name() == t.name && m.error().is_none() && m.partitions().len() >= t.partitions as usize)
        });
        if ready {
            return Ok(());
        }
        if wall_now() > deadline {
            return Err(PlayError::Broker(format!(
                "{}: the topics created do not show in the cluster's metadata after {} s",
                options.brokers,
                CONNECT_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One life of a consumer instance (a restart is a new one, with the same number).
struct Instance {
    number: u32,
    alive: AtomicBool,
    /// Active `pause` faults on it.
    paused: AtomicU32,
    /// Active `slow` faults on it: (fault, factor).
    slow: Mutex<Vec<(usize, f64)>>,
    /// Processing a record now.
    busy: AtomicBool,
}

impl Instance {
    fn new(number: u32) -> Self {
        Instance {
            number,
            alive: AtomicBool::new(true),
            paused: AtomicU32::new(0),
            slow: Mutex::new(Vec::new()),
            busy: AtomicBool::new(false),
        }
    }
}

/// What a group's instances share, as the simulator's group state has it.
struct GroupState {
    /// The group's seeded stream: processing times, outcomes, emits' generated values.
    rng: Stream,
    sequences: Vec<i128>,
    /// Its handlers' emits so far (`CONSUMER-NNNNNN` ids).
    emitted: u32,
    /// The ids processed (idempotent consumers).
    processed: BTreeSet<String>,
    /// The committed trace offset of each partition.
    committed: BTreeMap<(TopicIdx, u32), u64>,
    /// Each instance's assignment as its consumer last reported it.
    assignment: BTreeMap<u32, Vec<(TopicIdx, u32)>>,
    started: bool,
    /// The current life of each instance, by number − 1.
    instances: Vec<Arc<Instance>>,
}

/// What every thread of the run shares.
struct Shared {
    model: Arc<Model>,
    rec: Arc<Recorder>,
    bases: Bases,
    brokers: String,
    run_id: String,
    stop: AtomicBool,
    /// Records sent or scheduled and not yet reported by the broker.
    in_flight: AtomicU64,
    /// Per topic and partition: the trace offset the log ends at (records reported).
    ends: Mutex<Vec<Vec<u64>>>,
    /// Per topic: the next partition for a keyless emit.
    round_robin: Mutex<Vec<u32>>,
    groups: Vec<Mutex<GroupState>>,
    outbox: Mutex<Sender<Outgoing>>,
    /// What went wrong on the cluster (reported after the run, exit 2).
    errors: Mutex<Vec<String>>,
    /// The consumer instances' threads, joined at the end.
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    fn fail(&self, message: String) {
        lock(&self.errors).push(message);
    }

    fn topic_of(&self, name: &str) -> Option<TopicIdx> {
        self.model.topic_named(name)
    }

    /// Sends an event to the producer thread.
    fn produce(&self, outgoing: Outgoing) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if lock(&self.outbox).send(outgoing).is_err() {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Plays the run, recording into `recorder`: returns how many records due within the
/// duration were never reported published (the cluster or the machine could not keep up).
pub(super) fn play(
    model: &Arc<Model>,
    schedule: &[Outgoing],
    bases: &Bases,
    options: &Options,
    run_id: &str,
    recorder: &Arc<Recorder>,
) -> Result<u64, PlayError> {
    let producer: BaseProducer<Reports> = ClientConfig::new()
        .set("bootstrap.servers", &options.brokers)
        .set("linger.ms", "0")
        .set("batch.num.messages", "1")
        .set("acks", "all")
        .set("enable.idempotence", "false")
        .set("max.in.flight.requests.per.connection", "5")
        .set("retries", "0")
        .set("message.timeout.ms", "10000")
        .create_with_context(Reports::default())
        .map_err(|e| PlayError::Broker(format!("--broker {}: {e}", options.brokers)))?;
    let (tx, rx) = mpsc::channel();
    let seed = model.seed;
    let shared = Arc::new(Shared {
        model: Arc::clone(model),
        rec: Arc::clone(recorder),
        bases: bases.clone(),
        brokers: options.brokers.clone(),
        run_id: run_id.to_owned(),
        stop: AtomicBool::new(false),
        in_flight: AtomicU64::new(0),
        ends: Mutex::new(model.topics.iter().map(|t| vec![0; t.partitions as usize]).collect()),
        round_robin: Mutex::new(vec![0; model.topics.len()]),
        groups: model
            .groups
            .iter()
            .map(|g| {
                Mutex::new(GroupState {
                    rng: Stream::for_component(seed, "group", &g.name),
                    sequences: vec![0; g.sequences],
                    emitted: 0,
                    processed: BTreeSet::new(),
                    committed: BTreeMap::new(),
                    assignment: BTreeMap::new(),
                    started: false,
                    instances: (1..=g.instances).map(|n| Arc::new(Instance::new(n))).collect(),
                })
            })
            .collect(),
        outbox: Mutex::new(tx),
        errors: Mutex::new(Vec::new()),
        threads: Mutex::new(Vec::new()),
    });
    *lock(&producer.context().shared) = Some(Arc::downgrade(&shared));
    for note in &model.scenario.notes {
        if note.at.as_micros() <= model.duration {
            shared.rec.push_at(note.at.as_micros(), "note", fields(json!({"text": note.text})));
        }
    }
    join_first(&shared);
    shared.rec.clock.start();
    for outgoing in schedule {
        shared.produce(outgoing.clone());
    }
    let producing = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || produce_loop(&shared, &producer, &rx))
    };
    control(&shared);
    shared.stop.store(true, Ordering::SeqCst);
    let threads = std::mem::take(&mut *lock(&shared.threads));
    for thread in threads {
        let _ = thread.join();
    }
    let _ = producing.join();
    let errors = lock(&shared.errors).clone();
    if let Some(first) = errors.first() {
        let more = match errors.len() {
            1 => String::new(),
            n => format!(" (and {} more errors)", n - 1),
        };
        return Err(PlayError::Broker(format!("{}: {first}{more}", options.brokers)));
    }
    Ok(shared.in_flight.load(Ordering::SeqCst))
}

/// How long the groups that start at 0 have to join before the clock starts anyway.
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts the groups that start at 0 and waits (at most [`JOIN_TIMEOUT`]) until every one
/// of their instances has its first assignment, so the clock starts with the groups
/// joined, as the simulation's does (a real join takes seconds, whatever `--speed`).
fn join_first(shared: &Arc<Shared>) {
    let starting: Vec<GroupIdx> = (0..shared.model.groups.len())
        .map(GroupIdx::new)
        .filter(|g| shared.model.groups[g.index()].start == 0)
        .collect();
    for &group in &starting {
        act(shared, Action::Start(group), 0);
    }
    let deadline = wall_now() + JOIN_TIMEOUT;
    while wall_now() < deadline && !shared.stop.load(Ordering::SeqCst) && lock(&shared.errors).is_empty() {
        let joined = starting.iter().all(|g| {
            let g = lock(&shared.groups[g.index()]);
            g.instances.iter().all(|i| g.assignment.contains_key(&i.number))
        });
        if joined {
            return;
        }
        std::thread::sleep(TICK);
    }
}

/// What the controller does, and when.
#[derive(Clone, Copy, Debug)]
enum Action {
    Start(GroupIdx),
    Fault(usize),
    FaultEnd(usize),
    Restart(GroupIdx, u32),
}

/// The controller: groups' starts and faults at their times; then waits for the end (the
/// scenario's duration, or nothing left to happen).
fn control(shared: &Arc<Shared>) {
    let model = Arc::clone(&shared.model);
    let mut agenda: BTreeMap<(u64, u64), Action> = BTreeMap::new();
    let mut seq = 0u64;
    let mut schedule = |agenda: &mut BTreeMap<(u64, u64), Action>, at: u64, action: Action| {
        if at <= model.duration {
            agenda.insert((at, seq), action);
            seq += 1;
        }
    };
    for (i, fault) in model.faults.iter().enumerate() {
        schedule(&mut agenda, fault.at, Action::Fault(i));
    }
    for (g, gm) in model.groups.iter().enumerate() {
        // Those that start at 0 have started (see `join_first`).
        if gm.start > 0 {
            schedule(&mut agenda, gm.start, Action::Start(GroupIdx::new(g)));
        }
    }
    loop {
        let now = shared.rec.clock.now_us();
        if let Some((&(at, _), _)) = agenda.first_key_value()
            && at <= now
        {
            let (_, action) = agenda.pop_first().expect("an item");
            for (at, next) in act(shared, action, now) {
                schedule(&mut agenda, at, next);
            }
            continue;
        }
        if now >= model.duration || (agenda.is_empty() && settled(shared)) {
            return;
        }
        let until_next = agenda.first_key_value().map_or(u64::MAX, |(&(at, _), _)| at).min(model.duration);
        std::thread::sleep(shared.rec.clock.wall(until_next.saturating_sub(now)).min(TICK));
    }
}

/// Whether nothing is left to happen: every record reported, every group started, idle,
/// and committed up to the end of every partition it reads.
fn settled(shared: &Shared) -> bool {
    if shared.in_flight.load(Ordering::SeqCst) > 0 {
        return false;
    }
    let ends = lock(&shared.ends).clone();
    shared.model.groups.iter().zip(&shared.groups).all(|(gm, g)| {
        let g = lock(g);
        g.started
            && g.instances.iter().all(|i| !i.busy.load(Ordering::SeqCst))
            && gm.slots.iter().all(|&(topic, p)| {
                let end = ends[topic.index()][p.get() as usize];
                g.committed.get(&(topic, u32::from(p.get()))).copied().unwrap_or(0) >= end
            })
    })
}

fn instance_fields(model: &Model, group: GroupIdx, number: u32) -> Map<String, Value> {
    fields(json!({"group": model.groups[group.index()].name, "instance": model.instance_name(group, number)}))
}

/// Does one action; returns what it schedules.
#[expect(clippy::too_many_lines, reason = "one match over the actions, each a few lines, read best whole")]
fn act(shared: &Arc<Shared>, action: Action, now: u64) -> Vec<(u64, Action)> {
    let model = Arc::clone(&shared.model);
    let mut later = Vec::new();
    let targets = |group: GroupIdx, number: Option<u32>| -> Vec<Arc<Instance>> {
        lock(&shared.groups[group.index()])
            .instances
            .iter()
            .filter(|i| number.is_none_or(|n| i.number == n))
            .cloned()
            .collect()
    };
    match action {
        Action::Start(group) => {
            let instances = {
                let mut g = lock(&shared.groups[group.index()]);
                g.started = true;
                if model.groups[group.index()].from == From::Latest {
                    let ends = lock(&shared.ends);
                    for &(topic, p) in &model.groups[group.index()].slots {
                        g.committed.insert((topic, u32::from(p.get())), ends[topic.index()][p.get() as usize]);
                    }
                }
                g.instances.iter().filter(|i| i.alive.load(Ordering::SeqCst)).cloned().collect::<Vec<_>>()
            };
            for instance in instances {
                spawn(shared, group, instance);
            }
        }
        Action::Fault(f) => match model.faults[f].action {
            FaultAction::Crash { group, instance, restart_after } => {
                for target in targets(group, instance) {
                    shared.rec.crash(&target.alive, instance_fields(&model, group, target.number));
                    lock(&shared.groups[group.index()]).assignment.remove(&target.number);
                    if let Some(after) = restart_after {
                        later.push((now.saturating_add(after), Action::Restart(group, target.number)));
                    }
                }
            }
            FaultAction::Pause { group, instance, until } => {
                for target in targets(group, instance) {
                    shared.rec.pause(&target.paused, instance_fields(&model, group, target.number));
                }
                later.push((until, Action::FaultEnd(f)));
            }
            FaultAction::Slow { group, instance, factor, until } => {
                for target in targets(group, instance) {
                    lock(&target.slow).push((f, factor));
                }
                later.push((until, Action::FaultEnd(f)));
            }
            FaultAction::AddInstance { group } => {
                let (instance, started) = {
                    let mut g = lock(&shared.groups[group.index()]);
                    let instance = Arc::new(Instance::new(g.instances.len() as u32 + 1));
                    g.instances.push(Arc::clone(&instance));
                    (instance, g.started)
                };
                shared.rec.push("joined", instance_fields(&model, group, instance.number));
                if started {
                    spawn(shared, group, instance);
                }
            }
            // In the schedule already (upgrade); refused before the run (duplicate, delay).
            FaultAction::Upgrade { .. } | FaultAction::Duplicate { .. } | FaultAction::Delay { .. } => {}
        },
        Action::FaultEnd(f) => match model.faults[f].action {
            FaultAction::Pause { group, instance, .. } => {
                for target in targets(group, instance) {
                    let _ = target.paused.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| p.checked_sub(1));
                    shared.rec.push("resumed", instance_fields(&model, group, target.number));
                }
            }
            FaultAction::Slow { group, instance, .. } => {
                for target in targets(group, instance) {
                    lock(&target.slow).retain(|&(g, _)| g != f);
                }
            }
            _ => {}
        },
        Action::Restart(group, number) => {
            let replaced = {
                let mut g = lock(&shared.groups[group.index()]);
                let index = number as usize - 1;
                match g.instances.get(index) {
                    Some(old) if !old.alive.load(Ordering::SeqCst) => {
                        let new = Instance::new(number);
                        new.paused.store(old.paused.load(Ordering::SeqCst), Ordering::SeqCst);
                        lock(&new.slow).clone_from(&lock(&old.slow));
                        let new = Arc::new(new);
                        g.instances[index] = Arc::clone(&new);
                        Some((new, g.started))
                    }
                    _ => None,
                }
            };
            if let Some((instance, started)) = replaced {
                shared.rec.push("restarted", instance_fields(&model, group, number));
                if started {
                    spawn(shared, group, instance);
                }
            }
        }
    }
    later
}

fn spawn(shared: &Arc<Shared>, group: GroupIdx, instance: Arc<Instance>) {
    let thread = {
        let shared = Arc::clone(shared);
        std::thread::spawn(move || consume(&shared, group, &instance))
    };
    lock(&shared.threads).push(thread);
}

/// The producer's delivery reports: each record's `published` line, with the broker's
/// partition and offset.
#[derive(Default)]
struct Reports {
    shared: Mutex<Option<std::sync::Weak<Shared>>>,
}

impl ClientContext for Reports {}

impl ProducerContext for Reports {
    type DeliveryOpaque = Box<Outgoing>;

    fn delivery(&self, result: &DeliveryResult<'_>, outgoing: Box<Outgoing>) {
        let Some(shared) = lock(&self.shared).as_ref().and_then(std::sync::Weak::upgrade) else { return };
        match result {
            Ok(message) => {
                let (topic, partition) = (outgoing.topic, message.partition() as u32);
                let base = shared.bases[topic.index()].get(partition as usize).copied().unwrap_or(0);
                let offset = (message.offset() - base).max(0) as u64;
                let mut line = outgoing.line.clone();
                insert_place(&mut line, &shared.model.topics[topic.index()].name, partition, offset);
                shared.rec.push("published", line);
                let mut ends = lock(&shared.ends);
                if let Some(end) = ends[topic.index()].get_mut(partition as usize) {
                    *end = (*end).max(offset + 1);
                }
            }
            Err((error, _)) => shared.fail(format!("producing {}: {error}", outgoing.line["event"])),
        }
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A published line's fields with `partition` and `offset` after `topic`, as the format
/// orders them.
fn insert_place(line: &mut Map<String, Value>, topic: &str, partition: u32, offset: u64) {
    let mut placed = Map::new();
    for (name, value) in std::mem::take(line) {
        let is_topic = name == "topic";
        placed.insert(name, value);
        if is_topic {
            placed.insert("topic".into(), topic.into());
            placed.insert("partition".into(), partition.into());
            placed.insert("offset".into(), offset.into());
        }
    }
    *line = placed;
}

/// The producer thread: each record at its time (the schedule's, or now for an emit), one
/// per request; delivery reports as they come.
fn produce_loop(shared: &Arc<Shared>, producer: &BaseProducer<Reports>, rx: &Receiver<Outgoing>) {
    let mut due: BTreeMap<(u64, u64), Outgoing> = BTreeMap::new();
    let mut seq = 0u64;
    let mut open = true;
    loop {
        match rx.recv_timeout(Duration::from_millis(2)) {
            Ok(outgoing) => {
                due.insert((outgoing.t_us, seq), outgoing);
                seq += 1;
                while let Ok(outgoing) = rx.try_recv() {
                    due.insert((outgoing.t_us, seq), outgoing);
                    seq += 1;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => open = false,
        }
        let now = shared.rec.clock.now_us();
        while let Some((&(at, _), _)) = due.first_key_value()
            && at <= now
        {
            let (_, outgoing) = due.pop_first().expect("an item");
            send(shared, producer, outgoing);
        }
        producer.poll(Duration::ZERO);
        if shared.stop.load(Ordering::SeqCst) || (!open && due.is_empty()) {
            break;
        }
    }
    let _ = producer.flush(Duration::from_secs(5));
}

fn send(shared: &Shared, producer: &BaseProducer<Reports>, outgoing: Outgoing) {
    let mut headers = OwnedHeaders::new();
    for (name, value) in outgoing.headers() {
        headers = headers.insert(Header { key: &name, value: Some(value.as_bytes()) });
    }
    let payload = outgoing.payload();
    let topic = shared.model.topics[outgoing.topic.index()].name.clone();
    let key = outgoing.key.clone();
    let partition = outgoing.partition as i32;
    let mut record: BaseRecord<'_, str, [u8], Box<Outgoing>> = BaseRecord::with_opaque_to(&topic, Box::new(outgoing))
        .payload(payload.as_slice())
        .partition(partition)
        .headers(headers);
    if let Some(key) = &key {
        record = record.key(key.as_str());
    }
    let mut record = record;
    loop {
        match producer.send(record) {
            Ok(()) => return,
            Err((rdkafka::error::KafkaError::MessageProduction(rdkafka::types::RDKafkaErrorCode::QueueFull), back)) => {
                record = back;
                producer.poll(Duration::from_millis(10));
            }
            Err((error, back)) => {
                shared.fail(format!("producing {}: {error}", back.delivery_opaque.line["event"]));
                shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                return;
            }
        }
    }
}

/// A consumer instance's context: rebalances recorded, positions committed on revoke.
struct Member {
    shared: Arc<Shared>,
    group: GroupIdx,
    me: Arc<Instance>,
    /// The trace offset after the last record completed, per partition (what an interval
    /// or revoke commit commits).
    done: Mutex<BTreeMap<(TopicIdx, u32), u64>>,
    owned: Mutex<Vec<(TopicIdx, u32)>>,
    /// Revokes so far (what the consumer holds back is dropped at each).
    revokes: AtomicU32,
}

impl ClientContext for Member {}

impl ConsumerContext for Member {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(list) = rebalance {
            // A survivor commits what it completed (a crashed instance, or the end of the
            // run, commits nothing).
            if self.me.alive.load(Ordering::SeqCst) && !self.shared.stop.load(Ordering::SeqCst) {
                let revoked: Vec<(TopicIdx, u32)> = list
                    .elements()
                    .iter()
                    .filter_map(|e| Some((self.shared.topic_of(e.topic())?, e.partition() as u32)))
                    .collect();
                self.commit(consumer, &revoked);
            }
            lock(&self.owned).clear();
            lock(&self.done).clear();
            self.revokes.fetch_add(1, Ordering::SeqCst);
            lock(&self.shared.groups[self.group.index()]).assignment.remove(&self.me.number);
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Assign(list) = rebalance else { return };
        let model = &self.shared.model;
        let owned: Vec<(TopicIdx, u32)> = list
            .elements()
            .iter()
            .filter_map(|e| {
                let topic = self.shared.topic_of(e.topic())?;
                let p = e.partition() as u32;
                (p < model.topics[topic.index()].partitions).then_some((topic, p))
            })
            .collect();
        lock(&self.owned).clone_from(&owned);
        let gm = &model.groups[self.group.index()];
        let mut g = lock(&self.shared.groups[self.group.index()]);
        g.assignment.insert(self.me.number, owned);
        // A line after each member's assignment, with the group's as its members hold it
        // now: an eager rebalance revokes every member's partitions, then assigns each its
        // share in turn (members not assigned yet own nothing meanwhile).
        let mut assignment = Map::new();
        for (&number, parts) in &g.assignment {
            let mut topics = Map::new();
            for &topic in &gm.topics {
                let ps: Vec<u32> = parts.iter().filter(|(t, _)| *t == topic).map(|&(_, p)| p).collect();
                topics.insert(model.topics[topic.index()].name.clone(), ps.into());
            }
            assignment.insert(model.instance_name(self.group, number), Value::Object(topics));
        }
        self.shared.rec.push_if(
            &self.me.alive,
            "rebalanced",
            fields(json!({"group": gm.name, "assignment": Value::Object(assignment)})),
        );
    }
}

impl Member {
    /// Commits the completed position of `partitions` where it moved past the group's
    /// committed offset: a `committed` line for each, once the broker took it.
    fn commit(&self, consumer: &BaseConsumer<Self>, partitions: &[(TopicIdx, u32)]) {
        let done = lock(&self.done).clone();
        let committed = lock(&self.shared.groups[self.group.index()]).committed.clone();
        let moved: Vec<(TopicIdx, u32, u64)> = partitions
            .iter()
            .filter_map(|&(t, p)| {
                let at = *done.get(&(t, p))?;
                (at > committed.get(&(t, p)).copied().unwrap_or(0)).then_some((t, p, at))
            })
            .collect();
        self.commit_offsets(consumer, &moved);
    }

    fn commit_offsets(&self, consumer: &BaseConsumer<Self>, moved: &[(TopicIdx, u32, u64)]) {
        if moved.is_empty() || !self.me.alive.load(Ordering::SeqCst) {
            return;
        }
        let model = &self.shared.model;
        let mut list = TopicPartitionList::new();
        for &(t, p, at) in moved {
            let base = self.shared.bases[t.index()][p as usize];
            let _ =
                list.add_partition_offset(&model.topics[t.index()].name, p as i32, Offset::Offset(base + at as i64));
        }
        if consumer.commit(&list, CommitMode::Sync).is_err() {
            // Refused (a rebalance took the partition): nothing was committed.
            return;
        }
        let gm = &model.groups[self.group.index()];
        for &(t, p, at) in moved {
            let mut g = lock(&self.shared.groups[self.group.index()]);
            let committed = g.committed.entry((t, p)).or_insert(0);
            if at <= *committed {
                continue;
            }
            *committed = at;
            drop(g);
            self.shared.rec.push_if(
                &self.me.alive,
                "committed",
                fields(json!({
                    "topic": model.topics[t.index()].name, "partition": p, "offset": at,
                    "group": gm.name, "instance": model.instance_name(self.group, self.me.number),
                })),
            );
        }
    }
}

/// An event as a record carries it.
struct Incoming {
    id: String,
    event_type: String,
    key: Option<String>,
    correlation: String,
    causation: Option<String>,
    schema_version: u32,
    data: Value,
}

fn incoming(message: &BorrowedMessage<'_>, topic: &str) -> Incoming {
    let mut headers: BTreeMap<&str, String> = BTreeMap::new();
    if let Some(list) = message.headers() {
        for header in list.iter() {
            if let Some(value) = header.value {
                headers.insert(header.key, String::from_utf8_lossy(value).into_owned());
            }
        }
    }
    let id = headers
        .get("event_id")
        .cloned()
        .unwrap_or_else(|| format!("{topic}/{}@{}", message.partition(), message.offset()));
    let data = match message.payload() {
        None => json!({}),
        Some(bytes) => {
            serde_json::from_slice(bytes).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned().into())
        }
    };
    Incoming {
        correlation: headers.get("correlation_id").cloned().unwrap_or_else(|| id.clone()),
        causation: headers.get("causation_id").cloned(),
        event_type: headers.get("type").cloned().unwrap_or_default(),
        schema_version: headers.get("schema_version").and_then(|v| v.parse().ok()).unwrap_or(1),
        key: message.key().map(|k| String::from_utf8_lossy(k).into_owned()),
        data,
        id,
    }
}

/// A consumer instance's thread: joins the group, takes records one at a time, processes
/// them as the handler says, commits in the scenario's mode; stops when its life ends
/// (a crash: no commit) or the run does.
fn consume(shared: &Arc<Shared>, group: GroupIdx, me: &Arc<Instance>) {
    let model = Arc::clone(&shared.model);
    let gm = &model.groups[group.index()];
    let member = Member {
        shared: Arc::clone(shared),
        group,
        me: Arc::clone(me),
        done: Mutex::new(BTreeMap::new()),
        owned: Mutex::new(Vec::new()),
        revokes: AtomicU32::new(0),
    };
    let consumer: BaseConsumer<Member> = match ClientConfig::new()
        .set("bootstrap.servers", &shared.brokers)
        .set("group.id", format!("eventlab-{}-{}", gm.name, shared.run_id))
        .set("client.id", model.instance_name(group, me.number))
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", if gm.from == From::Latest { "latest" } else { "earliest" })
        .set("session.timeout.ms", SESSION_TIMEOUT_MS)
        .set("heartbeat.interval.ms", "500")
        .set("max.poll.interval.ms", "30000")
        .set("partition.assignment.strategy", "range")
        .set("fetch.wait.max.ms", "10")
        .create_with_context(member)
    {
        Ok(consumer) => consumer,
        Err(e) => {
            shared.fail(format!("consumer {}: {e}", model.instance_name(group, me.number)));
            return;
        }
    };
    let names: Vec<&str> = gm.topics.iter().map(|t| model.topics[t.index()].name.as_str()).collect();
    if let Err(e) = consumer.subscribe(&names) {
        shared.fail(format!("consumer {}: {e}", model.instance_name(group, me.number)));
        return;
    }
    let interval = match gm.commit {
        Commit::Interval(every) if every.as_micros() > 0 => Some(every.as_micros()),
        _ => None,
    };
    let mut next_interval = interval.map(|every| gm.start.saturating_add(every));
    // Records fetched while the instance is paused (a pause stops deliveries, not the
    // client: it polls on, for its group's heartbeats and rebalances): handed to it, in
    // order, when the pause ends, unless a rebalance came first.
    let mut seen_revokes = 0;
    let mut held: VecDeque<Fetched> = VecDeque::new();
    while me.alive.load(Ordering::SeqCst) && !shared.stop.load(Ordering::SeqCst) {
        let now = shared.rec.clock.now_us();
        if let (Some(every), Some(at)) = (interval, next_interval)
            && now >= at
        {
            let owned = lock(&consumer.context().owned).clone();
            consumer.context().commit(&consumer, &owned);
            let mut next = at;
            while next <= now {
                next = next.saturating_add(every);
            }
            next_interval = Some(next);
        }
        let fetched = match held.pop_front() {
            Some(fetched) if me.paused.load(Ordering::SeqCst) == 0 => fetched,
            Some(fetched) => {
                // Still paused: polling on (heartbeats, rebalances), holding what comes.
                held.push_front(fetched);
                if let Some(more) = poll_one(shared, &consumer, &mut held, &mut seen_revokes) {
                    held.push_back(more);
                }
                continue;
            }
            None => {
                let Some(fetched) = poll_one(shared, &consumer, &mut held, &mut seen_revokes) else { continue };
                fetched
            }
        };
        me.busy.store(true, Ordering::SeqCst);
        let handled = handle(shared, &consumer, group, me, &fetched);
        me.busy.store(false, Ordering::SeqCst);
        match handled {
            Handled::Done => {}
            Handled::Paused => held.push_front(fetched),
            Handled::Stopped => break,
        }
    }
    // Dropping the consumer closes it: it leaves the group (its revoke commits nothing now).
}

/// Polls once (the consumer's callbacks run in it): the record fetched, if one of the
/// scenario's came. A revoke during the poll drops what is held: the partition's next owner
/// (this instance again, maybe) reads it again from the committed offset.
fn poll_one(
    shared: &Shared,
    consumer: &BaseConsumer<Member>,
    held: &mut VecDeque<Fetched>,
    seen_revokes: &mut u32,
) -> Option<Fetched> {
    let polled = consumer.poll(TICK);
    let revokes = consumer.context().revokes.load(Ordering::SeqCst);
    if revokes != *seen_revokes {
        held.clear();
        *seen_revokes = revokes;
    }
    fetch(shared, &polled?.ok()?)
}

/// A record fetched for the scenario: its topic, partition, trace offset and event.
struct Fetched {
    topic: TopicIdx,
    partition: u32,
    offset: u64,
    event: Incoming,
}

/// The record a message is, if it is one of the scenario's: a topic and partition it has,
/// at or after the partition's end when the run started (a reused topic's older records are
/// not the scenario's).
fn fetch(shared: &Shared, message: &BorrowedMessage<'_>) -> Option<Fetched> {
    let topic = shared.topic_of(message.topic())?;
    let partition = message.partition() as u32;
    if partition >= shared.model.topics[topic.index()].partitions {
        return None;
    }
    let base = shared.bases[topic.index()][partition as usize];
    if message.offset() < base {
        return None;
    }
    let offset = (message.offset() - base) as u64;
    Some(Fetched { topic, partition, offset, event: incoming(message, message.topic()) })
}

/// What became of a delivery.
enum Handled {
    Done,
    /// Not delivered: the instance was paused first (it is handed over when the pause ends).
    Paused,
    /// The instance's life or the run ended.
    Stopped,
}

/// Sleeps a virtual duration; false if the instance's life or the run ended meanwhile.
fn sleep_virtual(shared: &Shared, me: &Instance, virtual_us: u64) -> bool {
    let until = wall_now() + shared.rec.clock.wall(virtual_us);
    loop {
        if !me.alive.load(Ordering::SeqCst) || shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = wall_now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(TICK));
    }
}

/// The handler for an event type: the model's, or its wildcard for a type the scenario
/// never names.
fn handler_for<'m>(model: &'m Model, gm: &'m GroupModel, event_type: &str) -> Option<&'m HandlerModel> {
    match model.strings.get(event_type) {
        Some(sym) => gm.handler_for(sym),
        None => gm.wildcard.map(|w| &gm.handlers[w as usize]),
    }
}

/// One delivery: `delivered`, the commit before processing if the mode says so, then
/// attempts until one does not fail (retried in place after `retry_delay`), its effect and
/// emits, and the commit after.
fn handle(
    shared: &Arc<Shared>,
    consumer: &BaseConsumer<Member>,
    group: GroupIdx,
    me: &Arc<Instance>,
    fetched: &Fetched,
) -> Handled {
    let Fetched { topic, partition, offset, ref event } = *fetched;
    let model = Arc::clone(&shared.model);
    let gm = &model.groups[group.index()];
    let about = |kind_fields: Value| {
        let mut line = fields(json!({"event": event.id, "type": event.event_type}));
        if let Some(key) = &event.key {
            line.insert("key".into(), key.clone().into());
        }
        line.insert("topic".into(), model.topics[topic.index()].name.clone().into());
        line.insert("partition".into(), partition.into());
        line.insert("offset".into(), offset.into());
        line.insert("group".into(), gm.name.clone().into());
        line.insert("instance".into(), model.instance_name(group, me.number).into());
        line.insert("correlation_id".into(), event.correlation.clone().into());
        if let Some(cause) = &event.causation {
            line.insert("causation_id".into(), cause.clone().into());
        }
        line.extend(fields(kind_fields));
        line
    };
    if !shared.rec.push_delivery(&me.alive, &me.paused, "delivered", about(json!({}))) {
        return if me.alive.load(Ordering::SeqCst) { Handled::Paused } else { Handled::Stopped };
    }
    let context = consumer.context();
    if gm.commit == Commit::Before {
        context.commit_offsets(consumer, &[(topic, partition, offset + 1)]);
    }
    let handler = handler_for(&model, gm, &event.event_type);
    let accepted = model.strings.get(&event.event_type).is_none_or(|sym| gm.accepts(sym, event.schema_version));
    let mut attempt = 1u32;
    let verdict = loop {
        let took = crate::sim::draw(gm.processing, &mut lock(&shared.groups[group.index()]).rng);
        let factor: f64 = lock(&me.slow).iter().map(|&(_, f)| f).product();
        if !sleep_virtual(shared, me, (took as f64 * factor).round() as u64) {
            return Handled::Stopped;
        }
        let verdict = crate::sim::verdict(handler, accepted, &mut lock(&shared.groups[group.index()]).rng);
        let Some(reason) = verdict.failure else { break verdict };
        if !shared.rec.push_if(&me.alive, "failed", about(json!({"reason": reason.name(), "attempt": attempt}))) {
            return Handled::Stopped;
        }
        attempt += 1;
        if !sleep_virtual(shared, me, gm.retry_delay) {
            return Handled::Stopped;
        }
    };
    let skip = gm.idempotent && !lock(&shared.groups[group.index()]).processed.insert(event.id.clone());
    if skip {
        if !shared.rec.push_if(&me.alive, "skipped_duplicate", about(json!({}))) {
            return Handled::Stopped;
        }
    } else {
        if !shared.rec.push_if(&me.alive, "processed", about(json!({"effect": handler.is_some()}))) {
            return Handled::Stopped;
        }
        if let (Some(h), Some(o)) = (handler, verdict.outcome) {
            for emit in &h.outcomes[o].emits {
                let outgoing = render_emit(shared, group, emit, event);
                // A delayed emit due after the end is not published (nor simulated).
                if outgoing.t_us <= model.duration {
                    shared.produce(outgoing);
                }
            }
        }
    }
    lock(&context.done).insert((topic, partition), offset + 1);
    if gm.commit == Commit::After {
        context.commit(consumer, &[(topic, partition)]);
    }
    Handled::Done
}

/// An emit of a completed handler, rendered as the simulator renders it (against the
/// trigger, upcast; generated values from the group's stream), with its id
/// (`CONSUMER-NNNNNN`), partition (the key's, or the topic's next for a keyless event) and
/// time (now, or after its `delay`).
fn render_emit(shared: &Shared, group: GroupIdx, emit: &crate::sim::model::EmitModel, trigger: &Incoming) -> Outgoing {
    let model = &shared.model;
    let gm = &model.groups[group.index()];
    let mut data = trigger.data.clone();
    if let Some(sym) = model.strings.get(&trigger.event_type) {
        gm.upcast_data(sym, trigger.schema_version, &mut data);
    }
    let ctx = Context {
        key: trigger.key.as_deref(),
        id: &trigger.id,
        event_type: &trigger.event_type,
        data: &data,
        n: 0,
        state: None,
    };
    let (id, rendered) = {
        let mut g = lock(&shared.groups[group.index()]);
        g.emitted += 1;
        let id = format!("{}-{:06}", gm.consumer, g.emitted);
        let g = &mut *g;
        let rendered = match (&emit.literal_data, &emit.data) {
            (Some(span), _) => model.payloads.value(*span),
            (None, Some(template)) => template.render(&mut g.rng, &mut g.sequences, Some(&ctx)),
            (None, None) => json!({}),
        };
        (id, rendered)
    };
    let headers: Map<String, Value> = match emit.literal_headers {
        Some(span) => model.payloads.headers(span),
        None => emit.headers.iter().map(|(k, t)| (k.clone(), Value::String(t.render_text(&ctx)))).collect(),
    };
    let key = match &emit.key {
        Some(template) => Some(template.render_text(&ctx)).filter(|k| !k.is_empty()),
        None => trigger.key.clone(),
    };
    let tm = &model.topics[emit.topic.index()];
    let partition = match &key {
        _ if tm.partitions == 1 => 0,
        Some(key) => crate::sim::murmur2::partition_for(key, tm.partitions),
        None => {
            let mut rr = lock(&shared.round_robin);
            let p = rr[emit.topic.index()] % tm.partitions;
            rr[emit.topic.index()] = rr[emit.topic.index()].wrapping_add(1);
            p
        }
    };
    let mut line = fields(json!({"event": id, "type": model.strings.resolve(emit.event_type)}));
    if let Some(key) = &key {
        line.insert("key".into(), key.clone().into());
    }
    line.insert("topic".into(), tm.name.clone().into());
    line.insert("correlation_id".into(), trigger.correlation.clone().into());
    line.insert("causation_id".into(), trigger.id.clone().into());
    line.insert("source".into(), gm.consumer.clone().into());
    line.insert("schema_version".into(), emit.schema_version.into());
    line.insert("headers".into(), Value::Object(headers));
    line.insert("data".into(), rendered);
    let t_us = if emit.delay == 0 { 0 } else { shared.rec.clock.now_us().saturating_add(emit.delay) };
    Outgoing { t_us, topic: emit.topic, partition, key, line }
}
