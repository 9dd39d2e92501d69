//! `eventlab tap`'s reader: one thread with librdkafka consumers that reads the tapped
//! topics' records, polls each group's committed offsets and the partitions' high-water
//! marks, and the cluster's shape, and reports them as [`Seen`] items to a
//! [`crate::tap::Recorder`].
//!
//! The reader never joins a group: it is assigned every partition itself, and reads a
//! group's committed offsets with a consumer that has the group's id but subscribes to
//! nothing (librdkafka has no admin call for them). High-water marks are the ones the
//! fetches report (cached by librdkafka), not a `ListOffsets` request.

#![allow(clippy::disallowed_methods, reason = "the reader lives in wall time: it polls a real cluster")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Headers, Message};
use rdkafka::metadata::Metadata;

use super::{CONNECT_TIMEOUT, unreachable};
use crate::tap::{GroupMeta, MemberMeta, Record, Seen, Stamped, TopicMeta, Topology};

/// Where `tap` starts reading each partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum From {
    Earliest,
    Latest,
}

/// What to tap.
#[derive(Clone, Debug)]
pub struct TapOptions {
    pub brokers: String,
    /// `--topics` (`None`: every topic but the cluster's internal ones).
    pub topics: Option<Vec<String>>,
    /// `--groups` (`None`: every consumer group).
    pub groups: Option<Vec<String>>,
    pub from: From,
    /// `--for`: stop after this long.
    pub run_for: Option<Duration>,
}

/// How often each thing is polled.
const POLL: Duration = Duration::from_millis(50);
const OFFSETS_EVERY: Duration = Duration::from_millis(250);
const SHAPE_EVERY: Duration = Duration::from_secs(2);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// A running tap: dropping it stops its threads (and waits for the reader's).
pub struct Tap {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Tap {
    /// Asks the reader to stop; it reports [`Seen::Stopped`] and ends.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.stop();
        // The reader stops within a poll. The watcher may be waiting on a slow answer (up
        // to a request's timeout): it ends on its own, the program need not wait for it.
        if let Some(reader) = self.threads.drain(..).next() {
            let _ = reader.join();
        }
    }
}

/// Connects (within [`CONNECT_TIMEOUT`]), checks the topics and groups asked for, and
/// starts the reader. Returns the cluster's shape now, the reports (stamped from
/// `started`) and the running tap.
pub fn start(options: TapOptions, started: Instant) -> Result<(Topology, Receiver<Stamped>, Tap), String> {
    // librdkafka wants a group id even to read assigned partitions: one of its own, which
    // never joins (it is assigned, not subscribed) and never commits.
    let own = format!("eventlab-tap-{}-{}", std::process::id(), started.elapsed().as_nanos());
    let reader = consumer(&options.brokers, Some(&own))?;
    let metadata = reader.fetch_metadata(None, CONNECT_TIMEOUT).map_err(|e| unreachable(&options.brokers, &e))?;
    let all_topics = topics_of(&metadata);
    let topic_names: Vec<&str> = all_topics.iter().map(|t| t.name.as_str()).collect();
    check_named("topic", options.topics.as_deref(), &topic_names, &options.brokers, "")?;
    let groups = match groups_of(&reader) {
        Ok(groups) => Some(groups),
        // A broker that cannot list its groups (librdkafka's mock cluster): the groups
        // named are read by their commits alone.
        Err(e) if e.rdkafka_error_code() == Some(RDKafkaErrorCode::UnsupportedFeature) => None,
        Err(e) => return Err(unreachable(&options.brokers, &e)),
    };
    let lists_groups = groups.is_some();
    let groups = groups.unwrap_or_else(|| named_groups(&options));
    if lists_groups {
        let group_names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        let hint = "; a group exists once a consumer has joined it or committed";
        check_named("consumer group", options.groups.as_deref(), &group_names, &options.brokers, hint)?;
    }
    let shape = select(&options, all_topics, groups);
    if shape.topics.is_empty() {
        return Err(format!(
            "the cluster at {} has no topic to tap (create one, or name it with --topics)",
            options.brokers
        ));
    }
    let mut assigned = TopicPartitionList::new();
    let offset = match options.from {
        From::Earliest => Offset::Beginning,
        From::Latest => Offset::End,
    };
    add_partitions(&mut assigned, &shape.topics, offset)?;
    reader.assign(&assigned).map_err(|e| format!("cannot read the topics at {}: {e}", options.brokers))?;
    let (tx, rx) = channel();
    let (shapes_tx, shapes) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let connected = Arc::new(AtomicBool::new(true));
    // The shape and the high-water marks are slow to ask for (a broker may take seconds to
    // list its groups): a thread of their own, so records flow meanwhile.
    let mut watcher = Watcher {
        client: consumer(&options.brokers, Some(&format!("{own}-watch")))?,
        options: options.clone(),
        shape: shape.clone(),
        link: Link { tx: tx.clone(), started, connected: Arc::clone(&connected) },
        to_reader: shapes_tx,
        lists_groups,
    };
    let mut state = Reader {
        options,
        records: reader,
        group_consumers: BTreeMap::new(),
        shape: shape.clone(),
        shapes,
        link: Link { tx, started, connected },
    };
    let (flag, watch_flag) = (Arc::clone(&stop), Arc::clone(&stop));
    let spawn = |name: &str, body: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(body)
            .map_err(|e| format!("cannot start the tap's reader: {e}"))
    };
    let threads = vec![
        spawn("eventlab-tap", Box::new(move || state.run(&flag)))?,
        spawn("eventlab-tap-watch", Box::new(move || watcher.run(&watch_flag)))?,
    ];
    Ok((shape, rx, Tap { stop, threads }))
}

/// Where the tap's threads report to, stamped from the tap's start; whether the cluster
/// answers, as last seen by either thread.
struct Link {
    tx: Sender<Stamped>,
    started: Instant,
    connected: Arc<AtomicBool>,
}

impl Link {
    fn send(&self, seen: Seen) -> bool {
        let at_us = self.started.elapsed().as_micros() as u64;
        self.tx.send(Stamped { at_us, seen }).is_ok()
    }

    fn lost(&self, error: &impl std::fmt::Display) {
        if self.connected.swap(false, Ordering::Relaxed) {
            self.send(Seen::Disconnected(error.to_string()));
        }
    }

    fn answered(&self) {
        if !self.connected.swap(true, Ordering::Relaxed) {
            self.send(Seen::Connected);
        }
    }
}

/// Every name asked for (`--topics`, `--groups`) is among the cluster's `known` ones, or the
/// first that is not is named with what the cluster has.
fn check_named(what: &str, asked: Option<&[String]>, known: &[&str], brokers: &str, hint: &str) -> Result<(), String> {
    let Some(missing) = asked.into_iter().flatten().find(|name| !known.contains(&name.as_str())) else {
        return Ok(());
    };
    let has = if known.is_empty() { format!("no {what}s") } else { known.join(", ") };
    Err(format!("unknown {what} \"{missing}\" at {brokers} (it has: {has}){hint}"))
}

/// A consumer for reading, or for a group's committed offsets.
fn consumer(brokers: &str, group: Option<&str>) -> Result<BaseConsumer, String> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        // A record is on screen a moment after it is produced: a fetch the broker holds
        // while nothing arrives returns within this (librdkafka's default is 500 ms).
        .set("fetch.wait.max.ms", "20")
        .set("socket.timeout.ms", "5000")
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "5000")
        .set("client.id", "eventlab-tap");
    if let Some(group) = group {
        config.set("group.id", group);
    }
    config.create().map_err(|e| format!("cannot set up a Kafka client for {brokers}: {e}"))
}

fn topics_of(metadata: &Metadata) -> Vec<TopicMeta> {
    let mut topics: Vec<TopicMeta> = (metadata.topics().iter())
        .filter(|t| t.error().is_none() && !t.name().starts_with("__") && !t.partitions().is_empty())
        .map(|t| TopicMeta { name: t.name().to_owned(), partitions: t.partitions().len() as u32 })
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    topics
}

fn groups_of(reader: &BaseConsumer) -> Result<Vec<GroupMeta>, rdkafka::error::KafkaError> {
    let list = reader.fetch_group_list(None, REQUEST_TIMEOUT)?;
    let mut groups: Vec<GroupMeta> = (list.groups().iter())
        .filter(|g| g.protocol_type().is_empty() || g.protocol_type() == "consumer")
        .filter(|g| !g.name().starts_with("eventlab-tap"))
        .map(|g| GroupMeta {
            name: g.name().to_owned(),
            members: (g.members().iter())
                .map(|m| MemberMeta {
                    id: m.id().to_owned(),
                    client: m.client_id().to_owned(),
                    assignment: m.assignment().and_then(parse_assignment).unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(groups)
}

/// The groups `--groups` names, as groups with no member known.
fn named_groups(options: &TapOptions) -> Vec<GroupMeta> {
    (options.groups.iter().flatten()).map(|name| GroupMeta { name: name.clone(), members: Vec::new() }).collect()
}

/// The topics and groups asked for, in the cluster's shape.
fn select(options: &TapOptions, topics: Vec<TopicMeta>, groups: Vec<GroupMeta>) -> Topology {
    let topics = match &options.topics {
        Some(asked) => topics.into_iter().filter(|t| asked.contains(&t.name)).collect(),
        None => topics,
    };
    let groups = match &options.groups {
        Some(asked) => groups.into_iter().filter(|g| asked.contains(&g.name)).collect(),
        None => groups,
    };
    Topology { topics, groups }
}

fn add_partitions(list: &mut TopicPartitionList, topics: &[TopicMeta], offset: Offset) -> Result<(), String> {
    for topic in topics {
        for p in 0..topic.partitions {
            list.add_partition_offset(&topic.name, p as i32, offset)
                .map_err(|e| format!("cannot read {}[{p}]: {e}", topic.name))?;
        }
    }
    Ok(())
}

/// A member's assignment in the consumer protocol (version, then per topic its name and
/// partitions, then user data): topic → partitions. `None` when it is not that protocol.
pub fn parse_assignment(bytes: &[u8]) -> Option<Vec<(String, Vec<u32>)>> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let slice = bytes.get(at..at.checked_add(n)?)?;
        at += n;
        Some(slice)
    };
    let _version = i16::from_be_bytes(take(2)?.try_into().ok()?);
    let count = i32::from_be_bytes(take(4)?.try_into().ok()?);
    let mut topics = Vec::new();
    for _ in 0..count.clamp(0, 100_000) {
        let len = i16::from_be_bytes(take(2)?.try_into().ok()?);
        let name = String::from_utf8(take(usize::try_from(len).ok()?)?.to_vec()).ok()?;
        let n = i32::from_be_bytes(take(4)?.try_into().ok()?);
        let mut partitions = Vec::new();
        for _ in 0..n.clamp(0, 1_000_000) {
            let p = i32::from_be_bytes(take(4)?.try_into().ok()?);
            partitions.push(u32::try_from(p).ok()?);
        }
        topics.push((name, partitions));
    }
    Some(topics)
}

/// The reader thread's state.
struct Reader {
    options: TapOptions,
    records: BaseConsumer,
    /// A consumer per group, for its committed offsets.
    group_consumers: BTreeMap<String, BaseConsumer>,
    shape: Topology,
    /// New shapes from the watcher: new partitions to read.
    shapes: Receiver<Topology>,
    link: Link,
}

impl Reader {
    fn send(&self, seen: Seen) -> bool {
        self.link.send(seen)
    }

    fn run(&mut self, stop: &AtomicBool) {
        let mut last_offsets: Option<Instant> = None;
        let mut committed: BTreeMap<String, Vec<(String, u32, i64)>> = BTreeMap::new();
        loop {
            while let Ok(shape) = self.shapes.try_recv() {
                self.adopt(shape);
            }
            if stop.load(Ordering::Relaxed) {
                self.send(Seen::Stopped(None));
                return;
            }
            if self.options.run_for.is_some_and(|d| self.link.started.elapsed() >= d) {
                // What was committed by the end counts: one last look.
                self.poll_offsets(&mut committed);
                self.send(Seen::Stopped(None));
                return;
            }
            if !self.read_records() {
                return;
            }
            if last_offsets.is_none_or(|t| t.elapsed() >= OFFSETS_EVERY) {
                last_offsets = Some(Instant::now());
                if !self.poll_offsets(&mut committed) || !self.send(Seen::Tick) {
                    return;
                }
            }
        }
    }

    /// A new shape: partitions that appeared are read from their start (a new topic's
    /// records are all new), those of topics gone no longer.
    fn adopt(&mut self, shape: Topology) {
        let mut added = TopicPartitionList::new();
        for topic in &shape.topics {
            let before = self.shape.topics.iter().find(|t| t.name == topic.name).map_or(0, |t| t.partitions);
            for p in before..topic.partitions {
                let _ = added.add_partition_offset(&topic.name, p as i32, Offset::Beginning);
            }
        }
        if added.count() > 0 {
            let _ = self.records.incremental_assign(&added);
        }
        // A topic that is gone (deleted, or a broker back without it) is no longer read.
        let mut gone = TopicPartitionList::new();
        for topic in &self.shape.topics {
            if !shape.topics.iter().any(|t| t.name == topic.name) {
                for p in 0..topic.partitions {
                    let _ = gone.add_partition(&topic.name, p as i32);
                }
            }
        }
        if gone.count() > 0 {
            let _ = self.records.incremental_unassign(&gone);
        }
        self.shape = shape;
    }

    /// Reads what records are there (up to a batch). Returns false when the recorder is
    /// gone.
    fn read_records(&mut self) -> bool {
        let mut wait = POLL;
        for _ in 0..1000 {
            match self.records.poll(wait) {
                None => break,
                Some(Ok(message)) => {
                    let record = Record {
                        topic: message.topic().to_owned(),
                        partition: message.partition().max(0) as u32,
                        offset: message.offset(),
                        key: message.key().map(<[u8]>::to_vec),
                        headers: message
                            .headers()
                            .map(|h| h.iter().map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec))).collect())
                            .unwrap_or_default(),
                        value: message.payload().map(<[u8]>::to_vec),
                        timestamp_ms: message.timestamp().to_millis(),
                    };
                    self.link.answered();
                    if !self.send(Seen::Record(record)) {
                        return false;
                    }
                }
                Some(Err(e)) => {
                    self.link.lost(&e);
                    break;
                }
            }
            wait = Duration::ZERO;
        }
        true
    }

    /// Each group's committed offsets, reported when they changed.
    fn poll_offsets(&mut self, committed: &mut BTreeMap<String, Vec<(String, u32, i64)>>) -> bool {
        let mut partitions = TopicPartitionList::new();
        if add_partitions(&mut partitions, &self.shape.topics, Offset::Invalid).is_err() {
            return true;
        }
        for group in self.shape.groups.clone() {
            let consumer = match self.group_consumers.get(&group.name) {
                Some(c) => c,
                None => match consumer(&self.options.brokers, Some(&group.name)) {
                    Ok(c) => self.group_consumers.entry(group.name.clone()).or_insert(c),
                    Err(_) => continue,
                },
            };
            match consumer.committed_offsets(partitions.clone(), REQUEST_TIMEOUT) {
                Ok(list) => {
                    let offsets: Vec<(String, u32, i64)> = (list.elements().iter())
                        .filter_map(|e| match e.offset() {
                            Offset::Offset(o) => Some((e.topic().to_owned(), e.partition().max(0) as u32, o)),
                            _ => None,
                        })
                        .collect();
                    if committed.get(&group.name) != Some(&offsets) {
                        committed.insert(group.name.clone(), offsets.clone());
                        if !self.send(Seen::Committed { group: group.name.clone(), offsets }) {
                            return false;
                        }
                    }
                }
                Err(e) => self.link.lost(&e),
            }
        }
        true
    }
}

/// The tap's second thread: the cluster's shape and the partitions' high-water marks.
struct Watcher {
    client: BaseConsumer,
    options: TapOptions,
    shape: Topology,
    link: Link,
    /// New shapes, to the reader.
    to_reader: Sender<Topology>,
    /// Whether the cluster lists its groups (else the groups named are all there is).
    lists_groups: bool,
}

impl Watcher {
    fn run(&mut self, stop: &AtomicBool) {
        let mut marks: BTreeMap<(String, u32), i64> = BTreeMap::new();
        let mut last: Option<Instant> = None;
        while !stop.load(Ordering::Relaxed) && self.options.run_for.is_none_or(|d| self.link.started.elapsed() < d) {
            if last.is_none_or(|t| t.elapsed() >= SHAPE_EVERY) {
                last = Some(Instant::now());
                if !self.poll_shape() || !self.poll_marks(&mut marks) {
                    return;
                }
            }
            std::thread::sleep(POLL);
        }
    }

    /// The partitions' high-water marks (a `ListOffsets` request each: only for the status
    /// line's "records to read", as some brokers answer it loosely), reported when they
    /// changed.
    fn poll_marks(&mut self, marks: &mut BTreeMap<(String, u32), i64>) -> bool {
        let mut changed = Vec::new();
        for topic in &self.shape.topics {
            for p in 0..topic.partitions {
                if let Ok((_, high)) = self.client.fetch_watermarks(&topic.name, p as i32, Duration::from_millis(500))
                    && high >= 0
                    && marks.insert((topic.name.clone(), p), high) != Some(high)
                {
                    changed.push((topic.name.clone(), p, high));
                }
            }
        }
        changed.is_empty() || self.link.send(Seen::HighWater(changed))
    }

    /// The cluster's shape again (new topics and groups when not named, members),
    /// reported when it changed: to the recorder first, then to the reader, which reads
    /// the new partitions.
    fn poll_shape(&mut self) -> bool {
        let metadata = match self.client.fetch_metadata(None, REQUEST_TIMEOUT) {
            Ok(m) => m,
            Err(e) => {
                self.link.lost(&e);
                return true;
            }
        };
        let groups = if self.lists_groups {
            match groups_of(&self.client) {
                Ok(g) => g,
                Err(e) => {
                    self.link.lost(&e);
                    return true;
                }
            }
        } else {
            named_groups(&self.options)
        };
        self.link.answered();
        let shape = select(&self.options, topics_of(&metadata), groups);
        if shape == self.shape {
            return true;
        }
        self.shape = shape.clone();
        self.link.send(Seen::Topology(shape.clone())) && self.to_reader.send(shape).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tap::Recorder;
    use rdkafka::consumer::CommitMode;
    use rdkafka::message::{Header, OwnedHeaders};
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    /// Produces `count` records to `orders` (alternating partitions), each with an
    /// `event_id` header and the previous one as its cause.
    fn produce(brokers: &str, count: i32) {
        let producer: BaseProducer = ClientConfig::new().set("bootstrap.servers", brokers).create().unwrap();
        for i in 0..count {
            let id = format!("e{i}");
            let cause = format!("e{}", i - 1);
            let mut headers = OwnedHeaders::new().insert(Header { key: "event_id", value: Some(id.as_bytes()) });
            if i > 0 {
                headers = headers.insert(Header { key: "causation_id", value: Some(cause.as_bytes()) });
            }
            let payload = format!("{{\"n\": {i}}}");
            let record = BaseRecord::to("orders").partition(i % 2).key("k").payload(&payload).headers(headers);
            producer.send(record).map_err(|(e, _)| e).unwrap();
            producer.flush(Duration::from_secs(5)).unwrap();
        }
    }

    /// Takes in what the tap reports until it stops.
    fn record_all(recorder: &mut Recorder, seen: &Receiver<Stamped>) {
        while let Ok(stamped) = seen.recv_timeout(Duration::from_secs(20)) {
            recorder.take(stamped).unwrap();
            if recorder.stopped() {
                break;
            }
        }
    }

    #[test]
    fn a_mock_cluster_is_tapped_at_its_partitions_and_offsets_with_a_groups_commits() {
        let mock = MockCluster::new(1).unwrap();
        mock.create_topic("orders", 2, 1).unwrap();
        let brokers = mock.bootstrap_servers();
        produce(&brokers, 6);
        let committer = consumer(&brokers, Some("billing")).unwrap();
        let mut done = TopicPartitionList::new();
        done.add_partition_offset("orders", 0, Offset::Offset(2)).unwrap();
        committer.commit(&done, CommitMode::Sync).unwrap();
        let options = TapOptions {
            brokers: brokers.clone(),
            topics: Some(vec!["orders".into()]),
            groups: Some(vec!["billing".into()]),
            from: From::Earliest,
            run_for: Some(Duration::from_secs(3)),
        };
        let (shape, seen, tap) = start(options, Instant::now()).unwrap();
        let mut recorder = Recorder::new(&brokers, &shape, Some(3_000_000)).unwrap();
        record_all(&mut recorder, &seen);
        drop(tap);
        let run = recorder.finish().unwrap();
        let published: Vec<(u32, u32)> = (run.trace.steps.iter())
            .filter(|s| s.kind.name() == "published")
            .map(|s| (s.partition_idx().get().into(), s.offset))
            .collect();
        let mut sorted = published.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
        // Chains from the headers: each event caused by the one before.
        let t = &run.trace;
        let id = |e: crate::trace::EventIdx| t.event(e).id.render(&t.strings);
        for event in 1..t.events.len() {
            let e = crate::trace::EventIdx::new(event);
            let cause = t.event(e).cause.map(id);
            assert_eq!(
                cause.as_deref().map(|c| c[1..].parse::<usize>().unwrap() + 1),
                Some(id(e)[1..].parse().unwrap())
            );
        }
        // The group's commit: two records of partition 0 done, one left, and partition 1's
        // three (it committed nothing there).
        assert_eq!(run.model.groups[0].name, "billing");
        let replayed = crate::run::replay(run);
        assert_eq!(replayed.analysis.group(0).delivered, 2);
        assert_eq!(replayed.analysis.group(0).lag, 4);
    }

    #[test]
    fn an_unreachable_cluster_is_one_line_within_the_connect_timeout() {
        let started = Instant::now();
        // A port nothing listens on (loopback only).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let options = TapOptions {
            brokers: format!("127.0.0.1:{port}"),
            topics: None,
            groups: None,
            from: From::Earliest,
            run_for: None,
        };
        let Err(message) = start(options, Instant::now()) else { panic!("reached nothing") };
        assert!(message.starts_with(&format!("cannot reach a Kafka broker at 127.0.0.1:{port}")), "{message}");
        assert!(!message.contains('\n'));
        assert!(started.elapsed() < CONNECT_TIMEOUT + Duration::from_secs(5));
    }

    #[test]
    fn unknown_topics_and_groups_are_named() {
        let mock = MockCluster::new(1).unwrap();
        mock.create_topic("orders", 1, 1).unwrap();
        let brokers = mock.bootstrap_servers();
        let options = |topics: Option<Vec<String>>, groups: Option<Vec<String>>| TapOptions {
            brokers: brokers.clone(),
            topics,
            groups,
            from: From::Latest,
            run_for: None,
        };
        let Err(e) = start(options(Some(vec!["ordres".into()]), None), Instant::now()) else { panic!() };
        assert!(e.starts_with("unknown topic \"ordres\"") && e.contains("(it has: orders)"), "{e}");
        // (The mock cannot list groups: a real broker's unknown group is refused the same
        // way, in the end-to-end test.)
    }

    #[test]
    fn a_broker_lost_mid_run_is_reported_and_the_tap_goes_on() {
        let mock = MockCluster::new(1).unwrap();
        mock.create_topic("orders", 2, 1).unwrap();
        let brokers = mock.bootstrap_servers();
        produce(&brokers, 2);
        let options = TapOptions {
            brokers: brokers.clone(),
            topics: None,
            groups: None,
            from: From::Earliest,
            run_for: Some(Duration::from_secs(12)),
        };
        let (shape, seen, tap) = start(options, Instant::now()).unwrap();
        let mut recorder = Recorder::new(&brokers, &shape, Some(12_000_000)).unwrap();
        let mut went_down = false;
        let mut said_disconnected = false;
        let mut back = false;
        let begun = Instant::now();
        while let Ok(stamped) = seen.recv_timeout(Duration::from_secs(20)) {
            recorder.take(stamped).unwrap();
            if !went_down && begun.elapsed() > Duration::from_secs(1) {
                mock.broker_down(1).unwrap();
                went_down = true;
            }
            if went_down && recorder.status().contains("disconnected") {
                said_disconnected = true;
                if !back {
                    mock.broker_up(1).unwrap();
                    back = true;
                }
            }
            if recorder.stopped() {
                break;
            }
        }
        drop(tap);
        assert!(said_disconnected, "the status never said disconnected: {}", recorder.status());
        assert_eq!(recorder.finish().unwrap().trace.events.len(), 2);
    }

    #[test]
    fn a_consumer_protocol_assignment_is_read() {
        let mut bytes = vec![0, 0, 0, 0, 0, 1, 0, 6];
        bytes.extend_from_slice(b"orders");
        bytes.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(parse_assignment(&bytes), Some(vec![("orders".to_owned(), vec![0, 2])]));
        assert_eq!(parse_assignment(&bytes[..9]), None);
        assert_eq!(parse_assignment(&[]), None);
    }
}
