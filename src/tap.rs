//! `eventlab tap`: what a real Kafka-protocol cluster's own clients do, written down as a
//! trace of the usual format, so every view and the checker work on it.
//!
//! The cluster side ([`crate::bridge`], behind the `kafka` feature) reports what it sees
//! as [`Seen`] items: the cluster's shape (topics, partitions, groups, members and their
//! assignments), each record read, each group's committed offsets and the partitions'
//! high-water marks. A [`Recorder`] turns them into trace lines, JSON Lines of the trace
//! format, and reads its own lines back ([`crate::trace::read::Incremental`]) so the trace
//! in memory is exactly what `eventlab replay` would read from the file:
//! - the shape becomes the header's scenario: each topic a log with its partitions, each
//!   group a consumer reading the tapped topics it is assigned (or has commits on), with
//!   one instance per member (`GROUP#1`, ... in member-id order); the header says
//!   `"source": "tap"` and the brokers;
//! - a record becomes a `published` step at its partition and offset, its id from the
//!   `event_id` or `ce_id` header (else `TOPIC/PARTITION@OFFSET`), correlation and
//!   causation from `correlation_id`/`causation_id` (or `ce_correlationid`/
//!   `ce_causationid`), type from `type` or `ce_type`, its JSON value as data (a value that
//!   is not JSON is kept as a string), its own timestamp as `record_time`;
//! - a group's committed offset moving past records becomes, for each record, a
//!   `delivered` and a `processed` step by the partition's owner, then the `committed`
//!   step: a tap sees commits, not processing, and a commit is the group saying it is done
//!   with those records. A commit is taken only as far as the records the tap has read, so
//!   lag (records read and not committed) is never negative;
//! - a change of a group's assignment becomes a `rebalanced` step.
//!
//! `t_us` counts from the tap's start. When the shape grows (a new topic, group, member,
//! or the run passes its duration so far) the header changes and the lines are read again
//! under it: lines only ever name what the shape had when they were written, and the shape
//! only grows.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use serde_json::{Map, Value, json};

use crate::model::Model;
use crate::timeline::Feed;
use crate::trace::Trace;
use crate::trace::jsonl::{FORMAT_VERSION, record_time_text};
use crate::trace::read::{Incremental, Recorded};

/// A topic as the cluster describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicMeta {
    pub name: String,
    pub partitions: u32,
}

/// A consumer group's member and what it is assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberMeta {
    pub id: String,
    /// The client id it gave.
    pub client: String,
    /// Topic → partitions.
    pub assignment: Vec<(String, Vec<u32>)>,
}

/// A consumer group as the cluster describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMeta {
    pub name: String,
    pub members: Vec<MemberMeta>,
}

/// The cluster's shape, as far as the tap reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topology {
    pub topics: Vec<TopicMeta>,
    pub groups: Vec<GroupMeta>,
}

/// One record read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub topic: String,
    pub partition: u32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub value: Option<Vec<u8>>,
    /// The record's own timestamp, ms since the Unix epoch.
    pub timestamp_ms: Option<i64>,
}

/// What the cluster side reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Topology(Topology),
    Record(Record),
    /// A group's committed offsets: (topic, partition, next offset to read).
    Committed {
        group: String,
        offsets: Vec<(String, u32, i64)>,
    },
    /// The partitions' high-water marks: (topic, partition, offset).
    HighWater(Vec<(String, u32, i64)>),
    /// Nothing new: time passes (records held for their cause are let go after a while).
    Tick,
    /// Reached the cluster (again).
    Connected,
    /// Lost it: the reason. The cluster side keeps retrying.
    Disconnected(String),
    /// The cluster side stopped (`--for` passed, or it gave up): the reason, if not a
    /// plain stop.
    Stopped(Option<String>),
}

/// A [`Seen`] with its time since the tap started (µs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamped {
    pub at_us: u64,
    pub seen: Seen,
}

/// The shortest duration the header gives a live tap before it knows better: the run's
/// duration scales the lag history, so it grows as the tap goes on (doubling).
const FIRST_DURATION_US: u64 = 60_000_000;

/// How long a record whose causation id names an event not read yet waits for it (its
/// partition's later records wait behind it): partitions are read side by side, so a
/// cause on another partition or topic may come a moment later.
const CAUSE_GRACE_US: u64 = 2_000_000;

/// What the views need of a record to write the steps about it.
#[derive(Clone, Debug)]
struct Shown {
    id: String,
    event_type: String,
    key: Option<String>,
    correlation: String,
    causation: Option<String>,
}

/// A tapped group.
#[derive(Clone, Debug)]
struct GroupTap {
    /// Its name in the cluster.
    kafka: String,
    /// Its name in the scenario (the cluster's, with characters a scenario name cannot
    /// have replaced by `_`).
    name: String,
    /// Tapped topics it reads (topic indices), in the order first seen.
    topics: Vec<usize>,
    instances: u32,
    /// Member ids, in order: member i is instance `#i+1`.
    members: Vec<String>,
    /// The latest assignment written: instance number → topic index → partitions.
    assignment: Option<BTreeMap<u32, BTreeMap<usize, Vec<u32>>>>,
    /// The committed offset written, and the one the cluster reports, per (topic,
    /// partition).
    written: BTreeMap<(usize, u32), u32>,
    reported: BTreeMap<(usize, u32), u32>,
}

/// Turns what the cluster side reports into a trace (see the module's documentation).
pub struct Recorder {
    brokers: String,
    /// `--for`, when given: the duration from the start.
    planned_us: Option<u64>,
    topics: Vec<TopicMeta>,
    groups: Vec<GroupTap>,
    /// Per (topic, partition): the records read, by offset.
    records: BTreeMap<(usize, u32), BTreeMap<u32, Shown>>,
    /// Per (topic, partition): one past the last offset read.
    read_to: BTreeMap<(usize, u32), u32>,
    high_water: BTreeMap<(usize, u32), i64>,
    lines: Vec<String>,
    reader: Incremental,
    duration_us: u64,
    last_us: u64,
    connected: bool,
    status: Option<String>,
    stopped: bool,
    /// The cluster's shape as last reported.
    shape: Topology,
    /// Per (topic, partition): records read and not written yet, waiting behind one whose
    /// cause has not been read (with the time each was read).
    held: BTreeMap<(usize, u32), std::collections::VecDeque<(Record, u64)>>,
    /// The ids of the records written.
    ids: std::collections::BTreeSet<String>,
}

impl Recorder {
    /// A recorder for a cluster of this shape. `planned_us`: `--for`.
    pub fn new(brokers: &str, topology: &Topology, planned_us: Option<u64>) -> Result<Self, String> {
        if topology.topics.is_empty() {
            return Err(format!("the cluster at {brokers} has no topic to tap"));
        }
        let duration_us = planned_us.unwrap_or(FIRST_DURATION_US).max(1_000);
        let mut recorder = Recorder {
            brokers: brokers.to_owned(),
            planned_us,
            topics: Vec::new(),
            groups: Vec::new(),
            records: BTreeMap::new(),
            read_to: BTreeMap::new(),
            high_water: BTreeMap::new(),
            lines: Vec::new(),
            reader: Incremental::new(placeholder_header().as_bytes()).map_err(|e| format!("internal: {e}"))?,
            duration_us,
            last_us: 0,
            connected: true,
            status: None,
            stopped: false,
            shape: topology.clone(),
            held: BTreeMap::new(),
            ids: std::collections::BTreeSet::new(),
        };
        recorder.grow(topology);
        recorder.reread()?;
        recorder.rebalance(0);
        Ok(recorder)
    }

    /// The trace read so far.
    pub fn trace(&self) -> &Trace {
        self.reader.trace()
    }

    pub fn model(&self) -> &Arc<Model> {
        self.reader.model()
    }

    /// The step lines written so far (without the header).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The time of the latest report (µs since the tap started).
    pub fn now(&self) -> u64 {
        self.last_us
    }

    /// Whether the cluster side has stopped.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// One line on where the tap stands: connected or not, what it reads, how far behind
    /// the partitions' ends it is.
    pub fn status(&self) -> String {
        let behind: i64 = (self.high_water.iter())
            .map(|(tp, &hw)| (hw - i64::from(self.read_to.get(tp).copied().unwrap_or(0))).max(0))
            .sum();
        let state = if self.stopped {
            "stopped".to_owned()
        } else if self.connected {
            "connected".to_owned()
        } else {
            format!("disconnected, retrying ({})", self.status.as_deref().unwrap_or("no answer"))
        };
        let mut line = format!(
            "tap {} · {state} · {} topics · {} groups",
            self.brokers,
            self.topics.len(),
            self.groups.iter().filter(|g| !g.topics.is_empty()).count()
        );
        if behind > 0 {
            let _ = write!(line, " · {behind} records to read");
        }
        line
    }

    /// Takes in one report. Returns whether the shape changed (the model was rebuilt).
    pub fn take(&mut self, stamped: Stamped) -> Result<bool, String> {
        let at = stamped.at_us.max(self.last_us);
        self.last_us = at;
        let mut reshaped = false;
        if at >= self.duration_us && self.planned_us.is_none_or(|p| at > p) {
            while self.duration_us <= at {
                self.duration_us = self.duration_us.saturating_mul(2);
            }
            reshaped = true;
        }
        match &stamped.seen {
            Seen::Topology(topology) => {
                reshaped |= self.grow(topology);
                self.shape = topology.clone();
            }
            Seen::Committed { group, offsets } => reshaped |= self.adopt(group, offsets),
            _ => {}
        }
        if reshaped {
            self.reread()?;
        }
        match stamped.seen {
            Seen::Topology(_) => self.rebalance(at),
            Seen::Record(record) => {
                if let Some(t) = self.topic_index(&record.topic) {
                    self.held.entry((t, record.partition)).or_default().push_back((record, at));
                }
            }
            Seen::Tick => {}
            Seen::Committed { group, offsets } => {
                if reshaped {
                    self.rebalance(at);
                }
                self.committed(&group, &offsets, at)?;
            }
            Seen::HighWater(marks) => {
                for (topic, partition, offset) in marks {
                    if let Some(t) = self.topic_index(&topic) {
                        self.high_water.insert((t, partition), offset);
                    }
                }
            }
            Seen::Connected => {
                self.connected = true;
                self.status = None;
            }
            Seen::Disconnected(reason) => {
                self.connected = false;
                self.status = Some(reason);
            }
            Seen::Stopped(reason) => {
                self.release(at, true)?;
                self.stopped = true;
                if reason.is_some() {
                    self.connected = false;
                    self.status = reason;
                }
            }
        }
        self.release(at, false)?;
        Ok(reshaped)
    }

    /// Writes the records held that can be: each partition's in order, up to one whose
    /// cause has not been read and that has waited less than [`CAUSE_GRACE_US`] (`all`:
    /// every one, the tap has stopped).
    fn release(&mut self, at: u64, all: bool) -> Result<(), String> {
        loop {
            let mut wrote = false;
            // In (topic, partition) order: the map's own.
            let places: Vec<(usize, u32)> = self.held.keys().copied().collect();
            for place in places {
                while let Some((record, read_at)) = self.held.get_mut(&place).and_then(|q| q.front().cloned()) {
                    let cause = header_text(&record, &["causation_id", "ce_causationid"]).filter(|c| !c.is_empty());
                    let waiting = cause.is_some_and(|c| !self.ids.contains(&c));
                    if waiting && !all && at.saturating_sub(read_at) < CAUSE_GRACE_US {
                        break;
                    }
                    self.held.get_mut(&place).map(std::collections::VecDeque::pop_front);
                    self.record(&record, at)?;
                    wrote = true;
                }
            }
            self.held.retain(|_, q| !q.is_empty());
            if !wrote {
                return Ok(());
            }
        }
    }

    /// A group's commits on tapped topics it was not known to read (a group with no
    /// member now, whose commits say what it read): those topics join it. Returns whether
    /// any did.
    fn adopt(&mut self, kafka: &str, offsets: &[(String, u32, i64)]) -> bool {
        let Some(g) = self.group_index(kafka) else { return false };
        let mut grew = false;
        for (topic, _, offset) in offsets {
            if *offset >= 0
                && let Some(t) = self.topic_index(topic)
                && !self.groups[g].topics.contains(&t)
            {
                self.groups[g].topics.push(t);
                grew = true;
            }
        }
        grew
    }

    /// The whole trace as a file: the header (its duration where the tap stopped), the
    /// step lines and the `end` line.
    pub fn file_text(&self) -> String {
        // Whole milliseconds: the header's duration reads as the scenario format writes it.
        let end_us = self.last_us.max(1).div_ceil(1_000) * 1_000;
        let mut text = self.header(end_us);
        text.push('\n');
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&json!({"end": {"steps": self.lines.len(), "t_us": end_us, "complete": true}}).to_string());
        text.push('\n');
        text
    }

    /// The run as `eventlab replay` reads the file: its duration where the tap stopped.
    pub fn finish(&self) -> Result<Recorded, String> {
        crate::trace::read::read(std::io::Cursor::new(self.file_text()), "tap")
            .map_err(|e| format!("the tap's trace does not read back: {e}"))
    }

    fn topic_index(&self, name: &str) -> Option<usize> {
        self.topics.iter().position(|t| t.name == name)
    }

    fn group_index(&self, kafka: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.kafka == kafka)
    }

    /// Adds what is new in `topology` (topics, partitions, groups, members, the topics a
    /// group is assigned). Returns whether anything was.
    fn grow(&mut self, topology: &Topology) -> bool {
        let mut grew = false;
        for topic in &topology.topics {
            match self.topic_index(&topic.name) {
                None => {
                    self.topics.push(topic.clone());
                    grew = true;
                }
                Some(t) if self.topics[t].partitions < topic.partitions => {
                    self.topics[t].partitions = topic.partitions;
                    grew = true;
                }
                Some(_) => {}
            }
        }
        for group in &topology.groups {
            let g = if let Some(g) = self.group_index(&group.name) {
                g
            } else {
                {
                    self.groups.push(GroupTap {
                        kafka: group.name.clone(),
                        name: self.scenario_name(&group.name),
                        topics: Vec::new(),
                        instances: 1,
                        members: Vec::new(),
                        assignment: None,
                        written: BTreeMap::new(),
                        reported: BTreeMap::new(),
                    });
                    self.groups.len() - 1
                }
            };
            let mut members: Vec<&MemberMeta> = group.members.iter().collect();
            members.sort_by(|a, b| a.id.cmp(&b.id));
            for member in members {
                if !self.groups[g].members.contains(&member.id) {
                    self.groups[g].members.push(member.id.clone());
                }
                for (topic, _) in &member.assignment {
                    if let Some(t) = self.topic_index(topic)
                        && !self.groups[g].topics.contains(&t)
                    {
                        self.groups[g].topics.push(t);
                        grew = true;
                    }
                }
            }
            let wanted = (self.groups[g].members.len() as u32).max(1);
            if wanted > self.groups[g].instances && !self.groups[g].topics.is_empty() {
                self.groups[g].instances = wanted;
                grew = true;
            }
        }
        grew
    }

    /// A group's name as a scenario name: characters a scenario name cannot have become
    /// `_`, and a clash with another group gets a number.
    fn scenario_name(&self, kafka: &str) -> String {
        let base: String = kafka
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
            .collect();
        let base = if base.is_empty() { "group".to_owned() } else { base };
        let taken =
            |name: &str| self.groups.iter().any(|g| g.name == name) || self.topics.iter().any(|t| t.name == name);
        if !taken(&base) {
            return base;
        }
        (2..=self.groups.len() + 2).map(|n| format!("{base}-{n}")).find(|n| !taken(n)).unwrap_or(base)
    }

    /// The header line for a run of `duration_us`.
    fn header(&self, duration_us: u64) -> String {
        let topics: Vec<Value> =
            (self.topics.iter()).map(|t| json!({"name": t.name, "kind": "log", "partitions": t.partitions})).collect();
        let consumers: Vec<Value> = (self.groups.iter().filter(|g| !g.topics.is_empty()))
            .map(|g| {
                let topics: Vec<&str> = g.topics.iter().map(|&t| self.topics[t].name.as_str()).collect();
                json!({"name": g.name, "topics": topics, "instances": g.instances, "from": "earliest",
                       "processing": "0ms"})
            })
            .collect();
        let definition = json!({
            "name": "tap",
            "description": format!("What eventlab tap read off the cluster at {}.", self.brokers),
            "duration": format!("{duration_us}us"),
            "topics": topics,
            "producers": [],
            "consumers": consumers,
        });
        json!({"eventlab_trace": FORMAT_VERSION, "scenario": "tap", "seed": 0, "source": "tap",
               "brokers": self.brokers, "definition": definition})
        .to_string()
    }

    /// Reads every line again under the header of the shape now.
    fn reread(&mut self) -> Result<(), String> {
        let header = self.header(self.duration_us);
        let mut reader = Incremental::new(header.as_bytes()).map_err(|e| format!("the tap's header: {e}"))?;
        for (i, line) in self.lines.iter().enumerate() {
            reader.push(line.as_bytes()).map_err(|e| format!("the tap's step {}: {e}", i + 1))?;
        }
        self.reader = reader;
        Ok(())
    }

    /// Writes one step line and reads it.
    fn push(&mut self, mut line: Map<String, Value>, at: u64, kind: &str) -> Result<(), String> {
        let mut full = Map::new();
        full.insert("step".into(), (self.lines.len() + 1).into());
        full.insert("t_us".into(), at.into());
        full.insert("kind".into(), kind.into());
        full.append(&mut line);
        let text = Value::Object(full).to_string();
        self.reader.push(text.as_bytes()).map_err(|e| format!("the tap's step {}: {e}", self.lines.len() + 1))?;
        self.lines.push(text);
        Ok(())
    }

    /// A `rebalanced` step for each group whose assignment changed (the first one joins
    /// it, even with no member now).
    fn rebalance(&mut self, at: u64) {
        for g in 0..self.groups.len() {
            if self.groups[g].topics.is_empty() {
                continue;
            }
            let members = (self.shape.groups.iter())
                .find(|group| group.name == self.groups[g].kafka)
                .map(|group| group.members.clone())
                .unwrap_or_default();
            let mut assignment: BTreeMap<u32, BTreeMap<usize, Vec<u32>>> = BTreeMap::new();
            for member in &members {
                let Some(i) = self.groups[g].members.iter().position(|m| *m == member.id) else { continue };
                let number = (i as u32 + 1).min(self.groups[g].instances);
                for (topic, partitions) in &member.assignment {
                    if let Some(t) = self.topic_index(topic).filter(|t| self.groups[g].topics.contains(t)) {
                        let mut partitions = partitions.clone();
                        partitions.retain(|&p| p < self.topics[t].partitions);
                        if !partitions.is_empty() {
                            assignment.entry(number).or_default().entry(t).or_default().extend(partitions);
                        }
                    }
                }
            }
            // A broker that does not say what its members were assigned (tansu): a group's
            // one member owns every partition of the topics it reads; with several, who owns
            // what is not known, and nothing is claimed.
            if let [member] = members.as_slice()
                && member.assignment.is_empty()
                && let Some(i) = self.groups[g].members.iter().position(|m| *m == member.id)
            {
                let number = (i as u32 + 1).min(self.groups[g].instances);
                let all =
                    (self.groups[g].topics.iter()).map(|&t| (t, (0..self.topics[t].partitions).collect())).collect();
                assignment.insert(number, all);
            }
            if self.groups[g].assignment.as_ref() == Some(&assignment) {
                continue;
            }
            let mut listed = Map::new();
            for (&number, topics) in &assignment {
                let mut by_topic = Map::new();
                for (&t, partitions) in topics {
                    let mut partitions = partitions.clone();
                    partitions.sort_unstable();
                    partitions.dedup();
                    by_topic.insert(self.topics[t].name.clone(), json!(partitions));
                }
                listed.insert(format!("{}#{number}", self.groups[g].name), Value::Object(by_topic));
            }
            let mut line = Map::new();
            line.insert("group".into(), self.groups[g].name.clone().into());
            line.insert("assignment".into(), Value::Object(listed));
            // A group's assignment that does not read back is left as it was: the steps
            // about its records still name its partitions' owners as before.
            if self.push(line, at, "rebalanced").is_ok() {
                self.groups[g].assignment = Some(assignment);
            }
        }
    }

    /// A `published` step for a record.
    fn record(&mut self, record: &Record, at: u64) -> Result<(), String> {
        let Some(t) = self.topic_index(&record.topic) else { return Ok(()) };
        let (Ok(offset), true) = (u32::try_from(record.offset), record.partition < self.topics[t].partitions) else {
            return Ok(());
        };
        let place = (t, record.partition);
        if self.read_to.get(&place).is_some_and(|&end| offset < end) {
            // Read again (a fetch that started over): the trace has it.
            return Ok(());
        }
        let header = |names: &[&str]| header_text(record, names);
        let id = header(&["event_id", "ce_id"])
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| format!("{}/{}@{}", record.topic, record.partition, record.offset));
        let data: Value = match &record.value {
            None => Value::Null,
            Some(bytes) => serde_json::from_slice(bytes).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into()),
        };
        let event_type = header(&["type", "ce_type", "event_type"])
            .or_else(|| data.get("type").and_then(Value::as_str).map(str::to_owned))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "record".to_owned());
        let shown = Shown {
            correlation: header(&["correlation_id", "ce_correlationid"])
                .filter(|c| !c.is_empty())
                .unwrap_or(id.clone()),
            causation: header(&["causation_id", "ce_causationid"]).filter(|c| !c.is_empty()),
            key: record.key.as_deref().map(|k| String::from_utf8_lossy(k).into_owned()),
            event_type,
            id,
        };
        let headers: Map<String, Value> = (record.headers.iter())
            .map(|(k, v)| (k.clone(), v.as_deref().map_or(Value::Null, |v| String::from_utf8_lossy(v).into())))
            .collect();
        let source = header(&["source", "ce_source"]).filter(|s| !s.is_empty()).unwrap_or_else(|| "tap".to_owned());
        let schema_version = header(&["schema_version", "ce_dataschemaversion"])
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|&v| v >= 1)
            .unwrap_or(1);
        let mut line = record_fields(&shown, &record.topic, record.partition, offset);
        line.insert("source".into(), source.into());
        line.insert("schema_version".into(), schema_version.into());
        line.insert("headers".into(), Value::Object(headers));
        line.insert("data".into(), data);
        if let Some(ms) = record.timestamp_ms.filter(|&ms| ms >= 0) {
            line.insert("record_time".into(), record_time_text(ms).into());
        }
        self.push(line, at, "published")?;
        let mut shown = shown;
        if self.trace().events.last().is_some_and(|e| e.cause.is_none()) {
            // A cause the tap never saw: the chain starts here (the header keeps its id).
            shown.causation = None;
        }
        self.read_to.insert(place, offset + 1);
        self.ids.insert(shown.id.clone());
        self.records.entry(place).or_default().insert(offset, shown);
        // Commits reported past what was read can be taken now.
        for g in 0..self.groups.len() {
            if self.groups[g].topics.contains(&t) {
                self.advance_commit(g, place, at)?;
            }
        }
        Ok(())
    }

    /// A group's committed offsets reported.
    fn committed(&mut self, kafka: &str, offsets: &[(String, u32, i64)], at: u64) -> Result<(), String> {
        let Some(g) = self.group_index(kafka) else { return Ok(()) };
        for (topic, partition, offset) in offsets {
            let (Some(t), Ok(offset)) = (self.topic_index(topic), u32::try_from(*offset)) else { continue };
            if !self.groups[g].topics.contains(&t) {
                continue;
            }
            self.groups[g].reported.insert((t, *partition), offset);
            self.advance_commit(g, (t, *partition), at)?;
        }
        Ok(())
    }

    /// Writes a group's commit on a partition as far as the records read allow: a
    /// `delivered` and a `processed` step for each record it passes, then `committed`.
    fn advance_commit(&mut self, g: usize, place: (usize, u32), at: u64) -> Result<(), String> {
        let Some(&reported) = self.groups[g].reported.get(&place) else { return Ok(()) };
        let Some(&read_to) = self.read_to.get(&place) else { return Ok(()) };
        let target = reported.min(read_to);
        let written = self.groups[g].written.get(&place).copied().unwrap_or(0);
        if target <= written {
            return Ok(());
        }
        let (t, partition) = place;
        let group = self.groups[g].name.clone();
        let owner = self.owner(g, t, partition);
        let passed: Vec<(u32, Shown)> = (self.records.get(&place).into_iter())
            .flat_map(|records| records.range(written..target))
            .map(|(&offset, shown)| (offset, shown.clone()))
            .collect();
        for (offset, shown) in passed {
            for (kind, effect) in [("delivered", None), ("processed", Some(true))] {
                let mut line = record_fields(&shown, &self.topics[t].name, partition, offset);
                line.insert("group".into(), group.clone().into());
                line.insert("instance".into(), owner.clone().into());
                if let Some(effect) = effect {
                    line.insert("effect".into(), effect.into());
                }
                self.push(line, at, kind)?;
            }
        }
        let mut line = Map::new();
        line.insert("group".into(), group.into());
        line.insert("instance".into(), owner.into());
        line.insert("topic".into(), self.topics[t].name.clone().into());
        line.insert("partition".into(), partition.into());
        line.insert("offset".into(), target.into());
        self.push(line, at, "committed")?;
        self.groups[g].written.insert(place, target);
        Ok(())
    }

    /// The instance that owns a partition in a group's latest assignment (`#1` when none
    /// does: a commit made by a member that has left).
    fn owner(&self, g: usize, t: usize, partition: u32) -> String {
        let group = &self.groups[g];
        let number = (group.assignment.iter())
            .flat_map(|a| a.iter())
            .find(|(_, topics)| topics.get(&t).is_some_and(|ps| ps.contains(&partition)))
            .map_or(1, |(&n, _)| n);
        format!("{}#{number}", group.name)
    }
}

/// The first of these headers a record has, as text.
fn header_text(record: &Record, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| {
        let (_, value) = record.headers.iter().find(|(k, _)| k == name)?;
        value.as_deref().map(|v| String::from_utf8_lossy(v).into_owned())
    })
}

/// The fields naming a record on a step line, in the order the trace writer gives them:
/// `event`, `type`, `key`, `topic`, `partition`, `offset`, `correlation_id`, `causation_id`.
fn record_fields(shown: &Shown, topic: &str, partition: u32, offset: u32) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("event".into(), shown.id.clone().into());
    m.insert("type".into(), shown.event_type.clone().into());
    if let Some(key) = &shown.key {
        m.insert("key".into(), key.clone().into());
    }
    m.insert("topic".into(), topic.into());
    m.insert("partition".into(), partition.into());
    m.insert("offset".into(), offset.into());
    m.insert("correlation_id".into(), shown.correlation.clone().into());
    if let Some(cause) = &shown.causation {
        m.insert("causation_id".into(), cause.clone().into());
    }
    m
}

/// A header that reads, for the moment before the first real one.
fn placeholder_header() -> String {
    let definition = json!({"name": "tap", "duration": "1s", "topics": [{"name": "t", "kind": "log"}],
                            "producers": [], "consumers": []});
    json!({"eventlab_trace": FORMAT_VERSION, "scenario": "tap", "seed": 0, "source": "tap", "definition": definition})
        .to_string()
}

/// A live tap as the TUI's timeline reads it: a recorder fed by the cluster side's
/// channel.
pub struct TapFeed {
    recorder: Recorder,
    seen: Receiver<Stamped>,
    /// An error the recorder met: the tap stops there (shown as its status).
    failed: Option<String>,
}

impl TapFeed {
    pub fn new(recorder: Recorder, seen: Receiver<Stamped>) -> Self {
        TapFeed { recorder, seen, failed: None }
    }

    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }
}

impl Feed for TapFeed {
    fn model(&self) -> &Arc<Model> {
        self.recorder.model()
    }

    fn trace(&self) -> &Trace {
        self.recorder.trace()
    }

    fn pull(&mut self) -> bool {
        let mut reshaped = false;
        // A bounded batch per frame keeps the screen live while a backlog is read.
        for _ in 0..20_000 {
            let Ok(stamped) = self.seen.try_recv() else { break };
            if self.failed.is_some() {
                continue;
            }
            match self.recorder.take(stamped) {
                Ok(changed) => reshaped |= changed,
                Err(e) => self.failed = Some(e),
            }
        }
        reshaped
    }

    fn finished(&self) -> bool {
        self.recorder.stopped() || self.failed.is_some()
    }

    fn status(&self) -> Option<String> {
        Some(match &self.failed {
            Some(e) => format!("tap stopped: {e}"),
            None => self.recorder.status(),
        })
    }

    fn now(&self) -> u64 {
        self.recorder.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology(members: Vec<MemberMeta>) -> Topology {
        Topology {
            topics: vec![TopicMeta { name: "orders".into(), partitions: 2 }],
            groups: vec![GroupMeta { name: "billing".into(), members }],
        }
    }

    fn member(id: &str, partitions: Vec<u32>) -> MemberMeta {
        MemberMeta { id: id.into(), client: "kafka-python".into(), assignment: vec![("orders".into(), partitions)] }
    }

    fn record(partition: u32, offset: i64, id: &str, cause: Option<&str>) -> Record {
        let mut headers = vec![("event_id".to_owned(), Some(id.as_bytes().to_vec()))];
        headers.push(("correlation_id".into(), Some(b"order-1".to_vec())));
        if let Some(cause) = cause {
            headers.push(("causation_id".into(), Some(cause.as_bytes().to_vec())));
        }
        headers.push(("type".into(), Some(b"OrderCreated".to_vec())));
        Record {
            topic: "orders".into(),
            partition,
            offset,
            key: Some(b"k1".to_vec()),
            headers,
            value: Some(br#"{"total": 12}"#.to_vec()),
            timestamp_ms: Some(1_780_000_000_123),
        }
    }

    fn at(at_us: u64, seen: Seen) -> Stamped {
        Stamped { at_us, seen }
    }

    #[test]
    fn records_and_commits_become_a_trace_that_reads_back() {
        let shape = topology(vec![member("m-1", vec![0, 1])]);
        let mut r = Recorder::new("127.0.0.1:9092", &shape, None).unwrap();
        r.take(at(10, Seen::Record(record(0, 5, "a", None)))).unwrap();
        r.take(at(20, Seen::Record(record(0, 6, "b", Some("a"))))).unwrap();
        // A commit past what was read waits for the records.
        r.take(at(30, Seen::Committed { group: "billing".into(), offsets: vec![("orders".into(), 0, 8)] })).unwrap();
        let kinds: Vec<&str> = r.trace().steps.iter().map(|s| s.kind.name()).collect();
        assert_eq!(
            kinds,
            ["rebalanced", "published", "published", "delivered", "processed", "delivered", "processed", "committed"]
        );
        r.take(at(40, Seen::Record(record(0, 8, "c", None)))).unwrap();
        // Offset 7 is a hole (a transaction marker, say): the commit passes it.
        let last = r.trace().steps.last().unwrap();
        assert_eq!((last.kind.name(), last.offset), ("committed", 8));
        r.take(at(50, Seen::Committed { group: "billing".into(), offsets: vec![("orders".into(), 0, 9)] })).unwrap();
        let run = r.finish().unwrap();
        assert_eq!(run.trace.cluster.as_ref().map(|c| c.brokers.as_str()), Some("127.0.0.1:9092"));
        let t = &run.trace;
        assert_eq!(t.events.len(), 3);
        assert_eq!(t.events[1].cause, Some(crate::trace::EventIdx::new(0)));
        assert_eq!(t.record_time(crate::trace::EventIdx::new(0)), Some(1_780_000_000_123));
        let analysis = crate::run::replay(run);
        assert_eq!(analysis.analysis.group(0).lag, 0);
        assert_eq!(analysis.analysis.group(0).delivered, 3);
    }

    #[test]
    fn a_new_group_reshapes_the_model_and_the_lines_read_again() {
        let mut r = Recorder::new("b:1", &topology(vec![]), Some(5_000_000)).unwrap();
        assert!(r.model().groups.is_empty());
        assert!(r.model().groups.is_empty());
        r.take(at(10, Seen::Record(record(1, 0, "a", Some("never-seen"))))).unwrap();
        let grown = topology(vec![member("m-2", vec![1]), member("m-1", vec![0])]);
        assert!(r.take(at(20, Seen::Topology(grown))).unwrap());
        assert_eq!(r.model().groups.len(), 1);
        assert_eq!(r.model().groups[0].instances, 2);
        // Its cause was never read: it waits for it a while, then is written without one.
        r.take(at(1_000_000, Seen::Tick)).unwrap();
        assert!(r.trace().events.is_empty());
        r.take(at(2_000_010, Seen::Tick)).unwrap();
        assert_eq!(r.trace().events.len(), 1);
        r.take(at(2_000_030, Seen::Committed { group: "billing".into(), offsets: vec![("orders".into(), 1, 1)] }))
            .unwrap();
        // m-2 sorts after m-1: it is billing#2, and it owns partition 1.
        let text = r.file_text();
        assert!(text.contains(r#""instance":"billing#2","topic":"orders","partition":1,"offset":1"#), "{text}");
        assert_eq!(r.finish().unwrap().trace.events[0].cause, None);
    }

    #[test]
    fn a_value_that_is_not_json_is_kept_as_text_and_ids_default_to_the_place() {
        let mut r = Recorder::new("b:1", &topology(vec![]), None).unwrap();
        let plain = Record {
            topic: "orders".into(),
            partition: 1,
            offset: 3,
            value: Some(b"hello".to_vec()),
            ..Record::default()
        };
        r.take(at(5, Seen::Record(plain))).unwrap();
        let text = r.file_text();
        assert!(
            text.contains(r#""event":"orders/1@3","type":"record","topic":"orders","partition":1,"offset":3"#),
            "{text}"
        );
        assert!(text.contains(r#""data":"hello""#), "{text}");
    }
}
