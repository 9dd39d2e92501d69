//! What happened on the cluster, as trace lines: collected from every thread as it happens
//! ([`Recorder`]), then put in order and numbered ([`assemble`]) for the trace reader.
//!
//! Order: by time, then publications first, then the order they were recorded in. A
//! record's `published` line is timed by its delivery report, which may reach the producer
//! after a consumer already fetched the record: its time is brought back to its first
//! delivery, and to no later than the next offset's publication on its partition, so the
//! trace says what the log held when (offsets in order, every delivery after its publish,
//! every commit within the log).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::model::Model;
use crate::trace::jsonl::{End, header_of, write};
use crate::trace::read::Recorded;
use crate::trace::{Cluster, ClusterSource};

/// One recorded line: its kind and fields (without `step` and `t_us`).
#[derive(Clone, Debug)]
pub(super) struct Line {
    pub t_us: u64,
    pub kind: &'static str,
    pub fields: Map<String, Value>,
}

/// The wall clock: a run on a real cluster runs in real time, scaled.
#[expect(clippy::disallowed_methods, reason = "a run on a real cluster is paced by the wall clock: its whole job")]
pub(super) fn wall_now() -> Instant {
    Instant::now()
}

/// The virtual clock: wall time since the start × speed. It stands at 0 until started
/// (while the groups that start at 0 join).
#[derive(Debug)]
pub(super) struct Clock {
    start: std::sync::OnceLock<Instant>,
    speed: f64,
}

impl Clock {
    pub fn new(speed: f64) -> Self {
        Clock { start: std::sync::OnceLock::new(), speed }
    }

    /// Starts the clock now (once).
    pub fn start(&self) {
        let _ = self.start.set(wall_now());
    }

    pub fn now_us(&self) -> u64 {
        self.start.get().map_or(0, |start| (start.elapsed().as_secs_f64() * 1e6 * self.speed) as u64)
    }

    /// The virtual time a wall duration stands for.
    pub fn virtual_us(&self, wall: std::time::Duration) -> u64 {
        (wall.as_secs_f64() * 1e6 * self.speed) as u64
    }

    /// The wall time a virtual duration takes.
    pub fn wall(&self, virtual_us: u64) -> std::time::Duration {
        std::time::Duration::from_secs_f64(virtual_us as f64 / 1e6 / self.speed)
    }
}

/// The lines recorded so far, from every thread.
pub(super) struct Recorder {
    pub clock: Clock,
    lines: Mutex<Vec<Line>>,
}

impl Recorder {
    pub fn new(clock: Clock) -> Self {
        Recorder { clock, lines: Mutex::new(Vec::new()) }
    }

    /// Records a line now.
    pub fn push(&self, kind: &'static str, fields: Map<String, Value>) {
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let t_us = self.clock.now_us();
        lines.push(Line { t_us, kind, fields });
    }

    /// Records a line at a given virtual time (a note: its time is the scenario's).
    pub fn push_at(&self, t_us: u64, kind: &'static str, fields: Map<String, Value>) {
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        lines.push(Line { t_us, kind, fields });
    }

    /// Records a line now if `alive` holds, checked under the same lock that a crash takes
    /// to record itself: nothing an instance does is recorded after its `crashed` line.
    pub fn push_if(&self, alive: &AtomicBool, kind: &'static str, fields: Map<String, Value>) -> bool {
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !alive.load(Ordering::SeqCst) {
            return false;
        }
        let t_us = self.clock.now_us();
        lines.push(Line { t_us, kind, fields });
        true
    }

    /// Records a delivery now if the instance is alive and not paused, checked under the
    /// lock a pause takes to record itself ([`Recorder::pause`]): no delivery is recorded
    /// between an instance's `paused` and `resumed` lines. Returns whether it was recorded.
    pub fn push_delivery(
        &self,
        alive: &AtomicBool,
        paused: &AtomicU32,
        kind: &'static str,
        fields: Map<String, Value>,
    ) -> bool {
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !alive.load(Ordering::SeqCst) || paused.load(Ordering::SeqCst) > 0 {
            return false;
        }
        let t_us = self.clock.now_us();
        lines.push(Line { t_us, kind, fields });
        true
    }

    /// Pauses an instance (one more active `pause`) and records its `paused` line,
    /// atomically with respect to [`Recorder::push_delivery`].
    pub fn pause(&self, paused: &AtomicU32, fields: Map<String, Value>) {
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        paused.fetch_add(1, Ordering::SeqCst);
        let t_us = self.clock.now_us();
        lines.push(Line { t_us, kind: "paused", fields });
    }

    /// Marks an instance down and records its `crashed` line, atomically with respect to
    /// [`Recorder::push_if`]. Returns false (and records nothing) if it was down already.
    pub fn crash(&self, alive: &AtomicBool, fields: Map<String, Value>) -> bool {
        let mut lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !alive.swap(false, Ordering::SeqCst) {
            return false;
        }
        let t_us = self.clock.now_us();
        lines.push(Line { t_us, kind: "crashed", fields });
        true
    }

    /// The lines recorded from index `from` on (copies; a live view's next ones).
    pub fn since(&self, from: usize) -> Vec<Line> {
        let lines = self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        lines.get(from..).map(<[Line]>::to_vec).unwrap_or_default()
    }

    pub fn take(&self) -> Vec<Line> {
        std::mem::take(&mut *self.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// The header line (without its newline).
pub(super) fn header_line(model: &Model, brokers: &str) -> Vec<u8> {
    serde_json::to_vec(&header(model, brokers)).unwrap_or_default()
}

/// The header: the scenario, its seed, and where it was played.
fn header(model: &Model, brokers: &str) -> Value {
    let cluster = Cluster { source: ClusterSource::Broker, brokers: brokers.to_owned() };
    header_of(&model.scenario, model.seed, Some(&cluster))
}

/// A JSON object's fields (none for another value).
pub(super) fn fields_of(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `(topic, partition, offset)` of a line about a log record.
fn place(fields: &Map<String, Value>) -> Option<(String, u64, u64)> {
    Some((
        fields.get("topic")?.as_str()?.to_owned(),
        fields.get("partition")?.as_u64()?,
        fields.get("offset")?.as_u64()?,
    ))
}

/// Puts lines in trace order: a publication no later than its first delivery, nor than the
/// next offset's publication on its partition; then by time, notes first, then
/// publications (a partition's in offset order), then the rest as recorded.
pub(super) fn order(lines: &mut [Line]) {
    // A publication no later than its first delivery...
    let mut first_seen: BTreeMap<(String, u64, u64), u64> = BTreeMap::new();
    for line in lines.iter().filter(|l| l.kind == "delivered") {
        if let Some(at) = place(&line.fields) {
            let seen = first_seen.entry(at).or_insert(line.t_us);
            *seen = (*seen).min(line.t_us);
        }
    }
    let mut by_place: BTreeMap<(String, u64), BTreeMap<u64, usize>> = BTreeMap::new();
    for (i, line) in lines.iter_mut().enumerate().filter(|(_, l)| l.kind == "published") {
        if let Some(at) = place(&line.fields) {
            if let Some(&seen) = first_seen.get(&at) {
                line.t_us = line.t_us.min(seen);
            }
            by_place.entry((at.0, at.1)).or_default().insert(at.2, i);
        }
    }
    // ...and no later than the next offset's.
    for offsets in by_place.values() {
        let mut next = u64::MAX;
        for &i in offsets.values().rev() {
            lines[i].t_us = lines[i].t_us.min(next);
            next = lines[i].t_us;
        }
    }
    // Stable: lines recorded in order stay in order. Within a microsecond: notes, then publications (a partition's in offset order), then
    // the rest as recorded.
    lines.sort_by_key(|l| {
        let offset = if l.kind == "published" { place(&l.fields).map_or(0, |(_, _, offset)| offset) } else { 0 };
        (l.t_us, u8::from(l.kind != "note"), u8::from(l.kind != "published"), offset)
    });
}

/// One step line: its number, time and kind, then its fields.
pub(super) fn step_line(number: u64, line: Line) -> Vec<u8> {
    let mut object = Map::new();
    object.insert("step".into(), number.into());
    object.insert("t_us".into(), line.t_us.into());
    object.insert("kind".into(), line.kind.into());
    object.extend(line.fields);
    serde_json::to_vec(&Value::Object(object)).unwrap_or_default()
}

/// The recorded lines in order, numbered, with the header and the `end` line: a whole
/// trace, as JSON Lines; and the number of publications left out, reported after the
/// scenario's duration.
pub(super) fn assemble(model: &Model, mut lines: Vec<Line>, brokers: &str) -> (Vec<u8>, u64) {
    order(&mut lines);
    let duration = model.duration;
    let late = lines.iter().filter(|l| l.kind == "published" && l.t_us > duration).count() as u64;
    let mut out = Vec::new();
    let _ = serde_json::to_writer(&mut out, &header(model, brokers));
    out.push(b'\n');
    let mut steps = 0u64;
    for line in lines.into_iter().filter(|l| l.t_us <= duration) {
        steps += 1;
        out.extend(step_line(steps, line));
        out.push(b'\n');
    }
    let end = End { steps, t_us: duration, complete: true };
    let _ = serde_json::to_writer(&mut out, &json!({"end": end}));
    out.push(b'\n');
    (out, late)
}

/// The trace read back, written as `run --headless --trace` writes one (each kind's fields
/// in its order; the header says where it was played).
pub(super) fn canonical(recorded: &Recorded) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write(&mut out, &recorded.model, &recorded.trace, recorded.complete());
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};

    use super::{Line, assemble, fields_of};
    use crate::model::Model;
    use crate::scenario::load::{Limits, load_str};

    fn model() -> Model {
        let scenario = load_str(
            &json!({"name": "t", "duration": "1s", "topics": [{"name": "orders", "kind": "log"}],
                    "consumers": [{"name": "billing", "topics": ["orders"]}]})
            .to_string(),
            "t",
            &Limits::default(),
        )
        .expect("valid");
        Model::compile(Arc::new(scenario), 0).expect("compiles")
    }

    fn published(t_us: u64, offset: u64, id: &str) -> Line {
        Line {
            t_us,
            kind: "published",
            fields: fields_of(json!({"event": id, "type": "T", "topic": "orders", "partition": 0, "offset": offset,
                                      "correlation_id": id, "source": "shop", "schema_version": 1,
                                      "headers": {}, "data": {}})),
        }
    }

    fn delivered(t_us: u64, offset: u64, id: &str) -> Line {
        Line {
            t_us,
            kind: "delivered",
            fields: fields_of(json!({"event": id, "type": "T", "topic": "orders", "partition": 0, "offset": offset,
                                      "group": "billing", "instance": "billing#1", "correlation_id": id})),
        }
    }

    fn steps(bytes: &[u8]) -> Vec<Value> {
        String::from_utf8_lossy(bytes).lines().skip(1).map(|l| serde_json::from_str(l).expect("JSON")).collect()
    }

    #[test]
    fn a_publication_reported_late_comes_before_its_delivery_and_the_next_offset() {
        let model = model();
        // Recorded as the threads saw them: offset 0's report after its delivery and after
        // offset 1's report; a line past the duration.
        let lines = vec![
            delivered(300, 0, "evt-000001"),
            published(200, 1, "evt-000002"),
            published(500, 0, "evt-000001"),
            delivered(600, 1, "evt-000002"),
            delivered(2_000_000, 1, "evt-000002"),
        ];
        let (bytes, late) = assemble(&model, lines, "127.0.0.1:9092");
        assert_eq!(late, 0);
        let steps = steps(&bytes);
        let kinds: Vec<(&str, u64, u64)> = steps
            .iter()
            .filter_map(|s| Some((s["kind"].as_str()?, s["offset"].as_u64()?, s["t_us"].as_u64()?)))
            .collect();
        assert_eq!(kinds, [("published", 0, 200), ("published", 1, 200), ("delivered", 0, 300), ("delivered", 1, 600)]);
        assert_eq!(steps.last().expect("an end line")["end"], json!({"steps": 4, "t_us": 1_000_000, "complete": true}));
        let recorded = crate::trace::read::read(bytes.as_slice(), "t").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(recorded.trace.steps.len(), 4);
        assert_eq!(recorded.trace.cluster.as_ref().map(|c| c.brokers.as_str()), Some("127.0.0.1:9092"));
    }
}
