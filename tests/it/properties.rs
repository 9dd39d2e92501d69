//! Properties of the simulator and the analysis over generated scenarios.
//!
//! [`scenario`] generates small *valid* scenarios of the supported part of the format
//! (topics, producers, scripted events, consumers with emits and weighted outcomes; no
//! faults, no later-issue options). Emits only go "downstream" (to a topic with a higher
//! index than every topic the consumer reads), so no emit cycle can run away. Each case is
//! a few thousand steps at most, so a debug `cargo test` runs them in seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use eventlab::analysis::Analysis;
use eventlab::scenario::load::{Limits, load_file, load_str};
use eventlab::scenario::model::{Metric, Scenario, TopicKind};
use eventlab::sim::{Model, Simulator};
use eventlab::trace::jsonl;
use eventlab::trace::{EventIdx, GroupIdx, InstanceIdx, Partition, StepKind, TopicIdx, Trace};
use proptest::prelude::*;
use proptest::sample::subsequence;
use serde_json::{Value, json};

const MAX_STEPS: u64 = 10_000_000;
const TYPES: [&str; 3] = ["A", "B", "C"];

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

/// Which consumer settings a generated scenario may use.
#[derive(Clone, Copy, Debug)]
struct Knobs {
    /// `"commit": "before"` (at-most-once) may be generated.
    allow_before: bool,
}

fn topic() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (1u32..=4).prop_map(|p| json!({"kind": "log", "partitions": p})),
        1 => (1u32..=4).prop_map(|_| json!({"kind": "queue"})),
    ]
}

fn keys() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of((1u64..=5, prop_oneof![Just("uniform"), Just("sequential"), Just("zipf")]).prop_map(
        |(cardinality, distribution)| json!({"prefix": "k", "cardinality": cardinality, "distribution": distribution}),
    ))
}

/// A producer; `topic` is an index taken modulo the number of topics.
fn producer() -> impl Strategy<Value = (usize, Value)> {
    (
        0usize..3,
        1u32..=50,
        any::<bool>(),
        keys(),
        subsequence(TYPES.to_vec(), 1..=2),
        proptest::collection::vec(1u32..=5, 2),
        0u64..=500,
        proptest::option::of(1u64..=200),
    )
        .prop_map(|(topic, rate, fixed, keys, types, weights, start, count)| {
            let events: Vec<Value> = types
                .iter()
                .zip(&weights)
                .map(|(ty, w)| {
                    json!({"type": ty, "weight": w,
                           "data": {"total": {"uniform": [1, 100]}, "n": "{n}", "pick": {"choice": ["x", "y"]}}})
                })
                .collect();
            let mut p = json!({
                "topic": topic, "rate": rate, "arrival": if fixed { "fixed" } else { "poisson" },
                "start": format!("{start}ms"), "events": events,
            });
            if let Some(keys) = keys {
                p["keys"] = keys;
            }
            if let Some(count) = count {
                p["count"] = json!(count);
            }
            (topic, p)
        })
}

fn scripted() -> impl Strategy<Value = Value> {
    (0u64..1000, 0usize..3, 0usize..3, proptest::option::of(1u32..=5), any::<bool>()).prop_map(
        |(at, topic, ty, key, with_data)| {
            let mut e = json!({"at": format!("{at}ms"), "topic": topic, "type": TYPES[ty]});
            if let Some(k) = key {
                e["key"] = json!(format!("k{k}"));
            }
            if with_data {
                e["data"] = json!({"total": at});
            }
            e
        },
    )
}

fn processing() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u64..=20).prop_map(|ms| json!(format!("{ms}ms"))),
        (0u64..=20, 0u64..=20)
            .prop_map(|(a, b)| json!({"uniform": [format!("{}ms", a.min(b)), format!("{}ms", a.max(b))]})),
        (1u64..=20).prop_map(|ms| json!({"exponential": format!("{ms}ms")})),
    ]
}

fn commit(knobs: Knobs) -> BoxedStrategy<Value> {
    let interval = (50u64..=500).prop_map(|ms| json!({"interval": format!("{ms}ms")}));
    if knobs.allow_before {
        prop_oneof![2 => Just(json!("after")), 1 => Just(json!("before")), 1 => interval].boxed()
    } else {
        prop_oneof![2 => Just(json!("after")), 1 => interval].boxed()
    }
}

/// An emit, before its topic is known: (downstream choice, type, key form, delay, data).
type RawEmit = (usize, usize, u8, Option<u64>, bool);

fn raw_emit() -> impl Strategy<Value = RawEmit> {
    (0usize..3, 0usize..3, 0u8..4, proptest::option::of(0u64..=50), any::<bool>())
}

fn render_emits(raw: &[RawEmit], downstream: &[usize]) -> Vec<Value> {
    if downstream.is_empty() {
        return Vec::new();
    }
    raw.iter()
        .map(|&(topic, ty, key, delay, data)| {
            let mut e = json!({"topic": format!("t{}", downstream[topic % downstream.len()]), "type": TYPES[ty]});
            match key {
                1 => e["key"] = json!("{key}"),
                2 => e["key"] = json!("fixed-key"),
                3 => e["key"] = json!("{type}-{key}"),
                _ => {}
            }
            if let Some(ms) = delay {
                e["delay"] = json!(format!("{ms}ms"));
            }
            if data {
                e["data"] = json!({"cause": "{id}", "total": "{data.total}", "note": "from {type}"});
            }
            e
        })
        .collect()
}

/// A handler before its topics are known: plain emits, or weighted outcomes
/// (`None` = `{"fail": true}`).
#[derive(Clone, Debug)]
enum RawHandler {
    Emit(Vec<RawEmit>),
    Outcomes(Vec<(u32, Option<Vec<RawEmit>>)>),
}

fn raw_handler() -> impl Strategy<Value = RawHandler> {
    let emits = || proptest::collection::vec(raw_emit(), 0..=2);
    prop_oneof![
        2 => emits().prop_map(RawHandler::Emit),
        1 => (
            proptest::collection::vec((5u32..=20, emits()), 1..=2),
            proptest::option::of(1u32..=2),
        )
            .prop_map(|(ok, fail)| {
                let mut outcomes: Vec<(u32, Option<Vec<RawEmit>>)> = ok.into_iter().map(|(w, e)| (w, Some(e))).collect();
                if let Some(w) = fail {
                    outcomes.push((w, None));
                }
                RawHandler::Outcomes(outcomes)
            }),
    ]
}

/// A consumer before the number of topics is known.
#[derive(Clone, Debug)]
struct RawConsumer {
    topics: Vec<usize>,
    instances: u32,
    processing: Value,
    commit: Value,
    latest: bool,
    start: u64,
    /// Handlers for A, B, C and "*" (in that order), each optional.
    handles: Option<Vec<Option<RawHandler>>>,
}

fn consumer(knobs: Knobs) -> impl Strategy<Value = RawConsumer> {
    (
        proptest::collection::vec(0usize..3, 1..=2),
        1u32..=4,
        processing(),
        commit(knobs),
        prop::bool::weighted(0.25),
        prop_oneof![2 => Just(0u64), 1 => 0u64..=2000],
        proptest::option::of(proptest::collection::vec(proptest::option::weighted(0.6, raw_handler()), 4)),
    )
        .prop_map(|(topics, instances, processing, commit, latest, start, handles)| RawConsumer {
            topics,
            instances,
            processing,
            commit,
            latest,
            start,
            handles,
        })
}

/// Builds the scenario JSON from its generated parts.
fn assemble(
    topics: &[Value],
    producers: &[(usize, Value)],
    events: &[Value],
    consumers: &[RawConsumer],
    duration_ms: u64,
    seed: u64,
) -> Value {
    let n = topics.len();
    let topic_name = |i: usize| format!("t{}", i % n);
    let topics: Vec<Value> = topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut t = t.clone();
            t["name"] = json!(topic_name(i));
            t
        })
        .collect();
    let producers: Vec<Value> = producers
        .iter()
        .enumerate()
        .map(|(i, (topic, p))| {
            let mut p = p.clone();
            p["name"] = json!(format!("p{i}"));
            p["topic"] = json!(topic_name(*topic));
            p
        })
        .collect();
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e["topic"] = json!(topic_name(e["topic"].as_u64().unwrap() as usize));
            e
        })
        .collect();
    let consumers: Vec<Value> = consumers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut read: Vec<usize> = c.topics.iter().map(|t| t % n).collect();
            read.sort_unstable();
            read.dedup();
            let highest = *read.last().expect("at least one topic");
            let downstream: Vec<usize> = (highest + 1..n).collect();
            let mut v = json!({
                "name": format!("c{i}"),
                "topics": read.iter().map(|&t| topic_name(t)).collect::<Vec<_>>(),
                "instances": c.instances,
                "processing": c.processing,
                "commit": c.commit,
                "from": if c.latest { "latest" } else { "earliest" },
                "start": format!("{}ms", c.start),
            });
            if let Some(handles) = &c.handles {
                let mut map = serde_json::Map::new();
                for (name, handler) in TYPES.iter().copied().chain(["*"]).zip(handles) {
                    let Some(handler) = handler else { continue };
                    let h = match handler {
                        RawHandler::Emit(emits) => json!({"emit": render_emits(emits, &downstream)}),
                        RawHandler::Outcomes(outcomes) => json!({"outcomes": outcomes.iter().map(|(w, o)| match o {
                            Some(emits) => json!({"weight": w, "emit": render_emits(emits, &downstream)}),
                            None => json!({"weight": w, "fail": true}),
                        }).collect::<Vec<_>>()}),
                    };
                    map.insert(name.to_owned(), h);
                }
                v["handles"] = Value::Object(map);
            }
            v
        })
        .collect();
    json!({
        "name": "generated",
        "seed": seed,
        "duration": format!("{duration_ms}ms"),
        "topics": topics,
        "producers": producers,
        "events": events,
        "consumers": consumers,
    })
}

fn scenario_with(knobs: Knobs) -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec(topic(), 1..=3),
        proptest::collection::vec(producer(), 1..=3),
        proptest::collection::vec(scripted(), 0..=3),
        proptest::collection::vec(consumer(knobs), 1..=3),
        1000u64..=5000,
        any::<u64>(),
    )
        .prop_map(|(topics, producers, events, consumers, duration, seed)| {
            assemble(&topics, &producers, &events, &consumers, duration, seed)
        })
}

fn scenario() -> impl Strategy<Value = Value> {
    scenario_with(Knobs { allow_before: true })
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn parse(value: &Value) -> Scenario {
    let text = serde_json::to_string_pretty(value).expect("serializes");
    load_str(&text, "generated", &Limits::default())
        .unwrap_or_else(|e| panic!("generated scenario is invalid: {e}\n{text}"))
}

fn model(scenario: Scenario) -> Arc<Model> {
    let seed = scenario.seed;
    Arc::new(Model::compile(Arc::new(scenario), seed).expect("compiles"))
}

fn run_to_end(model: &Arc<Model>) -> Simulator {
    let mut sim = Simulator::new(Arc::clone(model), MAX_STEPS);
    sim.run().expect("runs");
    sim
}

/// The time of an event's first publication.
fn published_at(trace: &Trace, event: EventIdx) -> u64 {
    trace.steps.iter().find(|s| s.kind == StepKind::Published && s.event == Some(event)).expect("published").t_us
}

fn jsonl_bytes(model: &Model, trace: &Trace) -> Vec<u8> {
    let mut out = Vec::new();
    jsonl::write(&mut out, model, trace, true).expect("writes to memory");
    out
}

/// Work an instance received: (event, topic, partition, offset, from a log).
type Received = (EventIdx, TopicIdx, Option<Partition>, u32, bool);

fn config() -> ProptestConfig {
    ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// 1. Every generated scenario is valid and runs to completion without a panic.
    #[test]
    fn generated_scenarios_run(value in scenario()) {
        let scenario = parse(&value);
        let outcome = eventlab::run::run(scenario, None, MAX_STEPS);
        prop_assert!(outcome.is_ok(), "run failed: {}", outcome.err().map(|e| e.to_string()).unwrap_or_default());
        let outcome = outcome.unwrap();
        prop_assert!(outcome.sim.is_finished());
        prop_assert!(outcome.sim.trace().steps.iter().all(|s| s.t_us <= outcome.sim.model().duration));
        // Time never goes backwards.
        prop_assert!(outcome.sim.trace().steps.windows(2).all(|w| w[0].t_us <= w[1].t_us));
    }

    /// 2. Offsets of a log partition are 0, 1, 2, ... in publish order; queue publishes have
    /// no partition or offset.
    #[test]
    fn offsets_count_up_per_partition(value in scenario()) {
        let sim = run_to_end(&model(parse(&value)));
        let model = sim.model();
        let mut next: BTreeMap<(TopicIdx, Partition), u32> = BTreeMap::new();
        for (i, s) in sim.trace().steps.iter().enumerate().filter(|(_, s)| s.kind == StepKind::Published) {
            match model.topics[s.topic_idx().index()].kind {
                TopicKind::Log => {
                    prop_assert!(u32::from(s.partition_idx().get()) < model.topics[s.topic_idx().index()].partitions);
                    let n = next.entry((s.topic_idx(), s.partition_idx())).or_insert(0);
                    prop_assert_eq!(s.offset, *n, "step {}: offset on {}/{}", i + 1, s.topic_idx(), s.partition_idx());
                    *n += 1;
                }
                _ => prop_assert!(s.offset().is_none(), "step {}: a queue publish has an offset", i + 1),
            }
        }
    }

    /// 3. Lag is never negative: committed offsets never pass the log end and never go
    /// back; the analysis, replayed step by step, agrees with a lag computed here.
    #[test]
    fn lag_is_never_negative_and_commits_only_move_forward(value in scenario()) {
        let sim = run_to_end(&model(parse(&value)));
        let model = Arc::clone(sim.model());
        let trace = sim.trace();
        let mut analysis = Analysis::new(Arc::clone(&model));
        let mut partial = trace.clone();
        partial.steps.clear();

        let mut end: BTreeMap<(TopicIdx, Partition), u32> = BTreeMap::new();
        // (group, topic, partition) → committed, once the group has joined.
        let mut committed: BTreeMap<(usize, TopicIdx, Partition), u32> = BTreeMap::new();
        let mut joined = vec![false; model.groups.len()];
        // (group, queue topic) → messages in the group's copy, not yet acked.
        let mut queued: BTreeMap<(usize, TopicIdx), i64> = BTreeMap::new();

        for (i, s) in trace.steps.iter().enumerate() {
            let number = i + 1;
            match s.kind {
                StepKind::Published => {
                    let tm = &model.topics[s.topic_idx().index()];
                    match tm.kind {
                        TopicKind::Log => *end.entry((s.topic_idx(), s.partition_idx())).or_insert(0) += 1,
                        _ => {
                            for sub in &tm.subscribers {
                                if model.groups[sub.group.index()].start <= s.t_us {
                                    *queued.entry((sub.group.index(), s.topic_idx())).or_insert(0) += 1;
                                }
                            }
                        }
                    }
                }
                StepKind::Rebalanced => {
                    let g = s.group_idx().index();
                    prop_assert!(!joined[g], "step {number}: a second rebalance without faults");
                    joined[g] = true;
                    for &(topic, partition) in &model.groups[g].slots {
                        let e = end.get(&(topic, partition)).copied().unwrap_or(0);
                        let start = match model.groups[g].from {
                            eventlab::scenario::model::From::Earliest => 0,
                            eventlab::scenario::model::From::Latest => e,
                        };
                        committed.insert((g, topic, partition), start);
                    }
                }
                StepKind::Committed => {
                    let g = s.group_idx().index();
                    prop_assert!(joined[g], "step {number}: a commit before the group joined");
                    let old = committed[&(g, s.topic_idx(), s.partition_idx())];
                    prop_assert!(s.offset > old, "step {number}: commit {} does not move past {old}", s.offset);
                    let e = end.get(&(s.topic_idx(), s.partition_idx())).copied().unwrap_or(0);
                    prop_assert!(s.offset <= e, "step {number}: commit {} beyond the log end {e}", s.offset);
                    committed.insert((g, s.topic_idx(), s.partition_idx()), s.offset);
                }
                StepKind::Acked => {
                    let q = queued.entry((s.group_idx().index(), s.topic_idx())).or_insert(0);
                    *q -= 1;
                    prop_assert!(*q >= 0, "step {number}: more acks than messages");
                }
                _ => {}
            }
            partial.steps.push(*s);
            analysis.observe(&partial);
            for g in 0..model.groups.len() {
                let log_lag: i64 = committed
                    .iter()
                    .filter(|((cg, _, _), _)| *cg == g)
                    .map(|(&(_, t, p), &c)| i64::from(end.get(&(t, p)).copied().unwrap_or(0)) - i64::from(c))
                    .sum();
                let queue_lag: i64 = queued.iter().filter(|((qg, _), _)| *qg == g).map(|(_, &n)| n).sum();
                let lag = log_lag + queue_lag;
                prop_assert!(lag >= 0, "step {number}: group {g} lag {lag}");
                prop_assert_eq!(
                    analysis.metric(Metric::FinalLag, Some(g)) as i64, lag,
                    "step {}: the analysis' lag of group {} differs", number, g
                );
            }
        }
        for g in 0..model.groups.len() {
            prop_assert!(analysis.metric(Metric::MaxLag, Some(g)) >= analysis.metric(Metric::FinalLag, Some(g)));
        }
    }

    /// 4. A delivery follows its publish: on the same topic, for a log at the same
    /// partition and offset; a log group reads each partition in order, once, from its
    /// start position (no faults are generated); a queue group gets only messages
    /// published at or after its start.
    #[test]
    fn every_delivery_follows_its_publish(value in scenario()) {
        let sim = run_to_end(&model(parse(&value)));
        let model = sim.model();
        let mut at_offset: BTreeMap<(TopicIdx, Partition, u32), EventIdx> = BTreeMap::new();
        let mut on_queue: BTreeSet<(TopicIdx, EventIdx)> = BTreeSet::new();
        let mut end: BTreeMap<(TopicIdx, Partition), u32> = BTreeMap::new();
        let mut next_read: BTreeMap<(GroupIdx, TopicIdx, Partition), u32> = BTreeMap::new();
        for (i, s) in sim.trace().steps.iter().enumerate() {
            let number = i + 1;
            let is_log = s.topic.is_some() && model.topics[s.topic_idx().index()].kind == TopicKind::Log;
            match s.kind {
                StepKind::Published => {
                    if is_log {
                        at_offset.insert((s.topic_idx(), s.partition_idx(), s.offset), s.event_idx());
                        *end.entry((s.topic_idx(), s.partition_idx())).or_insert(0) += 1;
                    } else {
                        on_queue.insert((s.topic_idx(), s.event_idx()));
                    }
                }
                StepKind::Rebalanced => {
                    let gm = &model.groups[s.group_idx().index()];
                    for &(t, p) in &gm.slots {
                        let e = end.get(&(t, p)).copied().unwrap_or(0);
                        let start = if gm.from == eventlab::scenario::model::From::Latest { e } else { 0 };
                        next_read.insert((s.group_idx(), t, p), start);
                    }
                }
                StepKind::Delivered => {
                    prop_assert!(s.topic.is_some() && s.group.is_some() && s.instance.is_some());
                    if is_log {
                            prop_assert_eq!(
                                at_offset.get(&(s.topic_idx(), s.partition_idx(), s.offset)).copied(), Some(s.event_idx()),
                                "step {}: delivered event is not the one published at {}/{}@{}", number, s.topic_idx(), s.partition_idx(), s.offset
                            );
                            let next = next_read.get_mut(&(s.group_idx(), s.topic_idx(), s.partition_idx()));
                            prop_assert!(next.is_some(), "step {number}: delivery before the group joined");
                            let next = next.unwrap();
                            prop_assert_eq!(s.offset, *next, "step {}: partition read out of order", number);
                            *next += 1;
                    } else {
                            prop_assert!(on_queue.contains(&(s.topic_idx(), s.event_idx())), "step {number}: message not published before");
                            let start = model.groups[s.group_idx().index()].start;
                            prop_assert!(published_at(sim.trace(), s.event_idx()) >= start, "step {number}: message from before the group's start");
                    }
                    // The instance belongs to the group.
                    prop_assert_eq!(sim.trace().instances[s.instance_idx().index()].0, s.group_idx());
                }
                _ => {}
            }
        }
    }

    /// 5. Every causation parent was published before its child, which keeps the parent's
    /// correlation id; event ids are unique.
    #[test]
    fn causation_parents_come_first(value in scenario()) {
        let sim = run_to_end(&model(parse(&value)));
        let trace = sim.trace();
        let mut first: BTreeMap<EventIdx, usize> = BTreeMap::new();
        for (i, s) in trace.steps.iter().enumerate().filter(|(_, s)| s.kind == StepKind::Published) {
            first.entry(s.event_idx()).or_insert(i);
        }
        let mut ids = BTreeSet::new();
        for (idx, e) in trace.events.iter().enumerate() {
            let idx = EventIdx::new(idx);
            prop_assert!(ids.insert(e.id), "duplicate event id {}", e.id.render(&trace.strings));
            let Some(mine) = first.get(&idx).copied() else {
                // An event that is never published (e.g. an emit whose publish fell after the
                // end) must not be referenced by any step.
                prop_assert!(trace.steps.iter().all(|s| s.event != Some(idx)));
                continue;
            };
            if let Some(parent) = e.cause {
                let parent_step = first.get(&parent).copied();
                prop_assert!(parent_step.is_some_and(|p| p < mine), "event {idx}: parent {parent} published at {parent_step:?}, child at {mine}");
                let p = trace.event(parent);
                prop_assert_eq!(e.correlation, p.correlation);
                prop_assert!(trace.steps[mine].t_us >= trace.steps[parent_step.unwrap()].t_us);
                // The parent was processed, with an effect, by the emitting consumer before.
                let source = trace.strings.resolve(e.source);
                prop_assert!(
                    trace.steps[..mine].iter().any(|s| s.kind == StepKind::Processed && s.event == Some(parent) && s.flag != 0
                        && sim.model().groups[s.group_idx().index()].consumer == source),
                    "event {}: no effect of its parent by {} before", idx, source
                );
            } else {
                prop_assert_eq!(e.correlation, e.id, "a root event is its own correlation");
            }
        }
    }

    /// 6. Same scenario and seed ⇒ byte-identical JSONL trace.
    #[test]
    fn same_seed_same_bytes(value in scenario()) {
        let scenario = parse(&value);
        let a = eventlab::run::run(scenario.clone(), None, MAX_STEPS).expect("runs");
        let b = eventlab::run::run(scenario, None, MAX_STEPS).expect("runs");
        let bytes_a = jsonl_bytes(a.sim.model(), a.sim.trace());
        let bytes_b = jsonl_bytes(b.sim.model(), b.sim.trace());
        prop_assert!(bytes_a == bytes_b, "two runs differ");
        // Every line is JSON: a header, then the steps numbered from 1; a published step
        // carries the whole event.
        let text = String::from_utf8(bytes_a).expect("UTF-8");
        let trace = a.sim.trace();
        let mut lines = text.lines();
        let header: Value = serde_json::from_str(lines.next().expect("a header")).expect("JSON");
        prop_assert_eq!(&header["eventlab_trace"], &json!(1));
        prop_assert_eq!(&header["seed"], &json!(a.sim.model().seed));
        let mut count = 0usize;
        // The steps, then the end line (checked in tests/it/replay.rs).
        for (i, line) in lines.take(trace.steps.len()).enumerate() {
            let v: Value = serde_json::from_str(line).expect("JSON");
            let s = trace.steps[i];
            prop_assert_eq!(&v["step"], &json!(i + 1));
            prop_assert_eq!(&v["t_us"], &json!(s.t_us));
            prop_assert_eq!(v["kind"].as_str(), Some(s.kind.name()));
            if s.kind == StepKind::Published {
                let e = trace.event_of(&s);
                prop_assert_eq!(&v["data"], &trace.payloads.value(e.data));
                prop_assert_eq!(&v["source"], &json!(trace.strings.resolve(e.source)));
                prop_assert!(v["headers"].is_object() && v["schema_version"].is_u64() && v["correlation_id"].is_string());
                prop_assert_eq!(v.get("causation_id").is_some(), e.cause.is_some());
            }
            count += 1;
        }
        prop_assert_eq!(count, trace.steps.len());
        prop_assert_eq!(eventlab::report::summary_json(&a), eventlab::report::summary_json(&b));
    }

    /// 7. A `step()` loop, `run_until(duration)` and `run()` produce the same trace.
    #[test]
    fn step_loop_equals_run(value in scenario()) {
        let model = model(parse(&value));
        let mut stepped = Simulator::new(Arc::clone(&model), MAX_STEPS);
        let mut before = 0usize;
        while stepped.step().expect("steps") {
            // At least one step each time (a "before" commit comes with its delivery).
            prop_assert!(stepped.trace().steps.len() > before, "step() returned true with nothing appended");
            before = stepped.trace().steps.len();
        }
        prop_assert!(!stepped.step().expect("steps"), "step() after the end");
        let mut until = Simulator::new(Arc::clone(&model), MAX_STEPS);
        until.run_until(model.duration).expect("runs");
        let whole = run_to_end(&model);
        prop_assert!(stepped.trace().steps == whole.trace().steps, "step loop differs from run()");
        prop_assert!(until.trace().steps == whole.trace().steps, "run_until(duration) differs from run()");
        let bytes = jsonl_bytes(&model, whole.trace());
        prop_assert!(jsonl_bytes(&model, stepped.trace()) == bytes);
        prop_assert!(jsonl_bytes(&model, until.trace()) == bytes);
    }

    /// 8. Running in chunks (run_until at random times, mixed with single steps) equals one run.
    #[test]
    fn chunks_equal_one_run(
        value in scenario(),
        cuts in proptest::collection::vec((0u64..=5_200_000, 0usize..4), 0..8),
    ) {
        let model = model(parse(&value));
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut chunked = Simulator::new(Arc::clone(&model), MAX_STEPS);
        for (t, singles) in cuts {
            chunked.run_until(t).expect("runs");
            prop_assert!(chunked.trace().steps.iter().all(|s| s.t_us <= t.max(chunked.now())));
            for _ in 0..singles {
                chunked.step().expect("steps");
            }
        }
        chunked.run().expect("runs");
        let whole = run_to_end(&model);
        prop_assert!(chunked.trace().steps == whole.trace().steps, "chunked run differs");
        prop_assert!(jsonl_bytes(&model, chunked.trace()) == jsonl_bytes(&model, whole.trace()));
    }

    /// 9. With commits only after processing ("after" or "interval"), nothing is lost, even
    /// when handlers fail (a log retries in place; a queue acks only after processing).
    #[test]
    fn commit_after_loses_nothing(value in scenario_with(Knobs { allow_before: false })) {
        let outcome = eventlab::run::run(parse(&value), None, MAX_STEPS).expect("runs");
        for (g, gm) in outcome.sim.model().groups.iter().enumerate() {
            prop_assert_eq!(outcome.analysis.metric(Metric::Lost, Some(g)), 0, "group {} lost events", gm.name);
        }
        prop_assert!(outcome.analysis.lost().is_empty());
    }

    /// 10. Metrics agree with the trace and with each other.
    #[test]
    fn metrics_are_consistent(value in scenario()) {
        let outcome = eventlab::run::run(parse(&value), None, MAX_STEPS).expect("runs");
        let model = outcome.sim.model();
        let trace = outcome.sim.trace();
        let a = &outcome.analysis;
        let count = |kind: StepKind, g: Option<usize>| {
            trace.steps.iter().filter(|s| s.kind == kind && g.is_none_or(|g| s.group_idx().index() == g)).count() as u64
        };
        let published = count(StepKind::Published, None);
        prop_assert_eq!(a.metric(Metric::Published, None), published);
        prop_assert_eq!((0..model.topics.len()).map(|t| a.published_to(t)).sum::<u64>(), published);
        for (g, gm) in model.groups.iter().enumerate() {
            let m = |metric| a.metric(metric, Some(g));
            let name = &gm.name;
            prop_assert!(m(Metric::Delivered) >= m(Metric::Effects), "{}: delivered < effects", name);
            prop_assert!(m(Metric::DuplicateDeliveries) <= m(Metric::Delivered), "{}", name);
            prop_assert!(m(Metric::DuplicateEffects) <= m(Metric::Effects), "{}", name);
            prop_assert!(m(Metric::MaxLag) >= m(Metric::FinalLag), "{}", name);
            prop_assert_eq!(m(Metric::Delivered), count(StepKind::Delivered, Some(g)), "{}: delivered", name);
            prop_assert_eq!(m(Metric::Failed), count(StepKind::Failed, Some(g)), "{}: failed", name);
            let effects = trace.steps.iter().filter(|s| s.kind == StepKind::Processed && s.flag != 0 && s.group_idx().index() == g).count() as u64;
            prop_assert_eq!(m(Metric::Effects), effects, "{}: effects", name);
            // Without faults, a message is delivered again only after a failure on a queue (a
            // log retries in place, which is not a new delivery), and nothing has two effects.
            prop_assert!(m(Metric::DuplicateDeliveries) <= m(Metric::Failed), "{}: more redeliveries than failures", name);
            if gm.queues.is_empty() {
                prop_assert_eq!(m(Metric::DuplicateDeliveries), 0, "{}: duplicate deliveries on logs without faults", name);
            }
            prop_assert_eq!(m(Metric::DuplicateEffects), 0, "{}: duplicate effects without faults", name);
            prop_assert_eq!(m(Metric::DeadLettered), 0);
            // Same key ⇒ same partition, read in order by one owner: a log-only group sees no
            // out-of-order effects without faults.
            if gm.queues.is_empty() {
                prop_assert_eq!(m(Metric::OutOfOrder), 0, "{}: out of order on logs without faults", name);
            }
            // Every step about a group carries a valid group.
            prop_assert!(trace.steps.iter().all(|s| s.group.is_none() || s.group_idx().index() < model.groups.len()));
        }
        for metric in Metric::PER_GROUP {
            if metric != Metric::MaxLag {
                let sum: u64 = (0..model.groups.len()).map(|g| a.metric(metric, Some(g))).sum();
                prop_assert_eq!(a.metric(metric, None), sum, "total of {}", metric.name());
            }
        }
        let max_group_lag = (0..model.groups.len()).map(|g| a.metric(Metric::MaxLag, Some(g))).max().unwrap_or(0);
        prop_assert!(a.metric(Metric::MaxLag, None) >= max_group_lag);
        // Findings point at the step that shows them.
        for f in a.findings() {
            prop_assert!(f.step >= 1 && f.step as usize <= trace.steps.len(), "{:?}", f);
            let s = trace.steps[f.step as usize - 1];
            prop_assert_eq!((s.event_idx(), s.group_idx()), (f.event, f.group), "finding {:?} vs its step {:?}", f, s);
        }
        // The summary says the same.
        let summary = eventlab::report::summary_json(&outcome);
        prop_assert_eq!(summary["steps"].as_u64(), Some(trace.steps.len() as u64));
        prop_assert_eq!(summary["totals"]["published"].as_u64(), Some(published));
    }
}

proptest! {
    #![proptest_config(config())]

    /// 11. Producers and partitioning follow the contract: events in [start, stop), at most
    /// `count`, fixed arrivals at start + ⌊k·10⁶/rate⌋ µs, keys prefix + 1..cardinality
    /// (sequential: 1, 2, ...), `{n}` numbering, generated values in range; a keyed event on
    /// a log goes to Kafka's murmur2 partition, keyless ones round-robin per topic from 0.
    #[test]
    fn producers_and_partitioning_follow_the_contract(value in scenario()) {
        let sim = run_to_end(&model(parse(&value)));
        let model = sim.model();
        let trace = sim.trace();
        let scenario = &model.scenario;
        let mut keyless: BTreeMap<TopicIdx, u32> = BTreeMap::new();
        let mut by_producer: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for s in trace.steps.iter().filter(|s| s.kind == StepKind::Published) {
            let e = trace.event_of(s);
            let tm = &model.topics[s.topic_idx().index()];
            if tm.kind == TopicKind::Log {
                let expected = if let Some(key) = e.key {
                    eventlab::sim::murmur2::partition_for(trace.strings.resolve(key), tm.partitions)
                } else {
                    let n = keyless.entry(s.topic_idx()).or_insert(0);
                    *n += 1;
                    (*n - 1) % tm.partitions
                };
                prop_assert_eq!(u32::from(s.partition_idx().get()), expected, "partition of {}", e.id.render(&trace.strings));
            }
            let source = trace.strings.resolve(e.source);
            let Some(p) = scenario.producers.iter().find(|p| p.name == source) else { continue };
            prop_assert!(e.cause.is_none());
            prop_assert_eq!(&model.topics[s.topic_idx().index()].name, &p.topic);
            let seen = by_producer.entry(source).or_default();
            let n = seen.len() as u64 + 1;
            let time = s.t_us;
            seen.push(time);
            let start = p.start.as_micros();
            let stop = p.stop.unwrap_or(scenario.duration).as_micros();
            prop_assert!(start <= time && time < stop, "{}: event {} at {} outside [{}, {})", source, n, time, start, stop);
            prop_assert!(p.count.is_none_or(|c| n <= c), "{}: more than count", source);
            if p.arrival == eventlab::scenario::model::Arrival::Fixed {
                let at = start + ((n - 1) as f64 * 1e6 / p.rate).floor() as u64;
                prop_assert_eq!(time, at, "{}: fixed arrival {}", source, n);
            }
            match &p.keys {
                None => prop_assert!(e.key.is_none()),
                Some(keys) => {
                    let key = trace.strings.resolve(e.key.expect("a keyed producer"));
                    let number: u64 = key.strip_prefix(keys.prefix.as_str()).and_then(|k| k.parse().ok()).unwrap_or(0);
                    prop_assert!((1..=keys.cardinality).contains(&number), "{}: key {}", source, key);
                    if keys.distribution == eventlab::scenario::model::KeyDistribution::Sequential {
                        prop_assert_eq!(number, (n - 1) % keys.cardinality + 1);
                    }
                }
            }
            let ty = trace.strings.resolve(e.event_type);
            prop_assert!(p.events.iter().any(|t| t.event_type == ty));
            let data = trace.payloads.value(e.data);
            prop_assert_eq!(&data["n"], &json!(n), "{}: {{n}} keeps the number type", source);
            prop_assert!(data["total"].as_u64().is_some_and(|t| (1..=100).contains(&t)), "total {}", data["total"]);
            prop_assert!(data["pick"] == json!("x") || data["pick"] == json!("y"));
        }
        // Poisson producers at least produce in order of time.
        for times in by_producer.values() {
            prop_assert!(times.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    /// 12. Instances work one record at a time: a log record only to an idle instance, a
    /// queue message only to an instance holding no other (prefetch 1); received work is
    /// processed in order of receipt, each attempt for the consumer's processing time; a log
    /// failure retries in place; commits and acks follow the consumer's mode.
    #[test]
    fn instances_process_one_at_a_time_for_their_processing_time(value in scenario()) {
        use std::collections::VecDeque;
        use eventlab::scenario::model::Commit;
        use eventlab::scenario::value::Distribution;
        let sim = run_to_end(&model(parse(&value)));
        let model = sim.model();
        let trace = sim.trace();
        // instance → received work in order (event, topic, partition, offset, is_log), the
        // front being processed, and when the front's current attempt began.
        let mut held: BTreeMap<InstanceIdx, VecDeque<Received>> = BTreeMap::new();
        let mut began: BTreeMap<InstanceIdx, u64> = BTreeMap::new();
        // (group, topic, partition) → offsets+1 processed and not yet committed (commit after)
        let mut to_commit: BTreeMap<(GroupIdx, TopicIdx, Partition), Vec<(u32, u64)>> = BTreeMap::new();
        let mut to_ack: Vec<(GroupIdx, EventIdx, u64)> = Vec::new();
        let steps = &trace.steps;
        for (i, s) in steps.iter().enumerate() {
            let number = i + 1;
            let is_log = s.topic.is_some() && model.topics[s.topic_idx().index()].kind == TopicKind::Log;
            match s.kind {
                StepKind::Delivered => {
                    let mine = held.entry(s.instance_idx()).or_default();
                    if is_log {
                        prop_assert!(mine.is_empty(), "step {number}: a log record to a busy instance ({mine:?})");
                    } else {
                        prop_assert!(mine.iter().all(|w| w.4), "step {number}: a second queue message with prefetch 1 ({mine:?})");
                    }
                    if mine.is_empty() {
                        began.insert(s.instance_idx(), s.t_us);
                    }
                    mine.push_back((s.event_idx(), s.topic_idx(), s.partition, s.offset, is_log));
                    let gm = &model.groups[s.group_idx().index()];
                    if is_log && gm.commit == Commit::Before {
                        let next = steps.get(i + 1);
                        prop_assert!(
                            next.is_some_and(|c| c.kind == StepKind::Committed && c.offset == s.offset + 1 && c.t_us == s.t_us
                                && c.partition == s.partition && c.topic == s.topic && c.group == s.group),
                            "step {number}: a \"before\" commit does not come with its delivery"
                        );
                    }
                }
                StepKind::Processed | StepKind::Failed => {
                    let mine = held.entry(s.instance_idx()).or_default();
                    let front = mine.front().copied();
                    prop_assert!(front.is_some(), "step {number}: {} by an idle instance", s.kind.name());
                    let (event, topic, partition, offset, _) = front.unwrap();
                    prop_assert_eq!((event, topic), (s.event_idx(), s.topic_idx()), "step {}: processed another event than the first received", number);
                    if is_log {
                        prop_assert_eq!((partition, offset), (s.partition, s.offset));
                    }
                    let took = s.t_us - began[&s.instance_idx()];
                    let gm = &model.groups[s.group_idx().index()];
                    match gm.processing {
                        Distribution::Fixed(d) => prop_assert_eq!(took, d.as_micros(), "step {}: processing time", number),
                        Distribution::Uniform(a, b) => prop_assert!(
                            (a.as_micros()..=b.as_micros()).contains(&took), "step {number}: took {took} outside [{a}, {b}]"),
                        Distribution::Exponential(_) => {}
                    }
                    // The next attempt (a log retry in place, at once: retry_delay is 0) or the
                    // next received work starts now.
                    if !(s.kind == StepKind::Failed && is_log) {
                        mine.pop_front();
                    }
                    began.insert(s.instance_idx(), s.t_us);
                    if s.kind == StepKind::Processed {
                        if is_log && gm.commit == Commit::After {
                            to_commit.entry((s.group_idx(), s.topic_idx(), s.partition_idx())).or_default().push((s.offset + 1, s.t_us));
                        } else if !is_log {
                            to_ack.push((s.group_idx(), s.event_idx(), s.t_us));
                        }
                    }
                }
                StepKind::Committed => {
                    let gm = &model.groups[s.group_idx().index()];
                    match gm.commit {
                        Commit::After => {
                            let pending = to_commit.entry((s.group_idx(), s.topic_idx(), s.partition_idx())).or_default();
                            prop_assert!(!pending.is_empty(), "step {number}: a commit with nothing processed");
                            let (offset, at) = pending.remove(0);
                            prop_assert_eq!((s.offset, s.t_us), (offset, at), "step {}: commit-after", number);
                        }
                        Commit::Interval(every) => {
                            let since = s.t_us - gm.start;
                            prop_assert!(since > 0 && since % every.as_micros() == 0, "step {number}: interval commit at {}", s.t_us);
                        }
                        Commit::Before => {}
                    }
                }
                StepKind::Acked => {
                    let at = to_ack.iter().position(|&(g, e, _)| g == s.group_idx() && e == s.event_idx());
                    prop_assert!(at.is_some(), "step {number}: an ack with no processing");
                    let (_, _, t) = to_ack.remove(at.unwrap());
                    prop_assert_eq!(t, s.t_us, "step {}: ack time", number);
                }
                _ => {}
            }
        }
        prop_assert!(to_commit.values().all(Vec::is_empty), "processed records never committed: {to_commit:?}");
        prop_assert!(to_ack.is_empty(), "processed messages never acked: {to_ack:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Plain determinism tests
// ---------------------------------------------------------------------------------------

fn scenario_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["scenarios", "tests/scenarios"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("directory exists") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
            if json && !name.contains(".expected.") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn every_scenario_file_runs_to_identical_bytes_twice() {
    for path in scenario_files() {
        let scenario = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
        let a = eventlab::run::run(scenario.clone(), None, MAX_STEPS).expect("runs");
        let b = eventlab::run::run(scenario, None, MAX_STEPS).expect("runs");
        let bytes = jsonl_bytes(a.sim.model(), a.sim.trace());
        assert!(bytes == jsonl_bytes(b.sim.model(), b.sim.trace()), "{}: two runs differ", path.display());
        assert!(bytes.len() > 100, "{}: an empty trace", path.display());
    }
}

#[test]
fn a_different_seed_changes_the_trace() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fan-out.json");
    let scenario = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let a = eventlab::run::run(scenario.clone(), Some(1), MAX_STEPS).expect("runs");
    let b = eventlab::run::run(scenario.clone(), Some(2), MAX_STEPS).expect("runs");
    let a2 = eventlab::run::run(scenario, Some(1), MAX_STEPS).expect("runs");
    let bytes = jsonl_bytes(a.sim.model(), a.sim.trace());
    assert!(bytes != jsonl_bytes(b.sim.model(), b.sim.trace()), "seeds 1 and 2 give the same trace");
    assert!(bytes == jsonl_bytes(a2.sim.model(), a2.sim.trace()));
}

/// One event a producer generated, as published.
#[derive(Clone, Debug, PartialEq)]
struct Produced {
    source: String,
    id: String,
    time: u64,
    event_type: String,
    key: Option<String>,
    data: Value,
    headers: Value,
}

impl Produced {
    /// Everything but the id (generated ids are numbered across all publishers).
    fn without_id(&self) -> Produced {
        Produced { id: String::new(), ..self.clone() }
    }
}

/// The events producers generated, in publish order.
fn produced(outcome: &eventlab::run::Outcome) -> Vec<Produced> {
    let model = outcome.sim.model();
    let trace = outcome.sim.trace();
    let producers: BTreeSet<&str> = model.producers.iter().map(|p| p.name.as_str()).collect();
    let namer = jsonl::Namer { model, trace };
    trace
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind == StepKind::Published)
        .filter_map(|(i, s)| {
            let e = trace.event_of(s);
            let source = trace.strings.resolve(e.source);
            producers.contains(source).then(|| Produced {
                source: source.to_owned(),
                id: e.id.render(&trace.strings),
                time: s.t_us,
                event_type: trace.strings.resolve(e.event_type).to_owned(),
                key: e.key.map(|k| trace.strings.resolve(k).to_owned()),
                data: trace.payloads.value(e.data),
                headers: jsonl::step_json(&namer, i as u64 + 1, s)["headers"].clone(),
            })
        })
        .collect()
}

fn with_processing(path: &str, consumer: &str, processing: Value) -> (Scenario, Scenario) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&path).expect("reads");
    let original = load_str(&text, "original", &Limits::default()).expect("valid");
    let mut value: Value = serde_json::from_str(&text).expect("JSON");
    let consumers = value["consumers"].as_array_mut().expect("consumers");
    let c = consumers.iter_mut().find(|c| c["name"] == consumer).expect("that consumer");
    c["processing"] = processing;
    let variant = load_str(&value.to_string(), "variant", &Limits::default()).expect("valid");
    (original, variant)
}

fn without_ids(events: &[Produced]) -> Vec<Produced> {
    events.iter().map(Produced::without_id).collect()
}

#[test]
fn a_consumers_processing_time_does_not_change_what_producers_generate() {
    // fan-out: no emits, so even the generated ids must be the same.
    let (original, variant) = with_processing("scenarios/fan-out.json", "email", json!({"uniform": ["1ms", "900ms"]}));
    let a = produced(&eventlab::run::run(original, None, MAX_STEPS).expect("runs"));
    let b = produced(&eventlab::run::run(variant, None, MAX_STEPS).expect("runs"));
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

#[test]
fn a_consumers_processing_time_does_not_change_producer_traffic_with_emits() {
    // order-pipeline: handlers emit, so the variant publishes the emitted events at other
    // times; the producer's own events (times, types, keys, data, headers) stay the same.
    let (original, variant) =
        with_processing("scenarios/order-pipeline.json", "payment-service", json!({"exponential": "300ms"}));
    let a = produced(&eventlab::run::run(original, None, MAX_STEPS).expect("runs"));
    let b = produced(&eventlab::run::run(variant, None, MAX_STEPS).expect("runs"));
    assert!(!a.is_empty());
    assert_eq!(without_ids(&a), without_ids(&b));
}

/// The contract's "a what-if variant sees the very same events": including their ids.
/// Producers' and scripts' events are numbered apart from the events consumers emit, so a
/// consumer's timing never renumbers the producers' traffic.
#[test]
fn a_consumers_processing_time_does_not_change_producer_event_ids() {
    let (original, variant) =
        with_processing("scenarios/order-pipeline.json", "payment-service", json!({"exponential": "300ms"}));
    let a = produced(&eventlab::run::run(original, None, MAX_STEPS).expect("runs"));
    let b = produced(&eventlab::run::run(variant, None, MAX_STEPS).expect("runs"));
    let ids = |v: &[Produced]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
}

/// The same, on generated scenarios: slowing every consumer down leaves the producers'
/// events unchanged, ids included.
mod variants {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..config() })]

        #[test]
        fn processing_time_does_not_change_producer_traffic(value in scenario(), ms in 0u64..=50) {
            let mut variant = value.clone();
            for c in variant["consumers"].as_array_mut().unwrap() {
                c["processing"] = json!(format!("{ms}ms"));
            }
            let a = produced(&eventlab::run::run(parse(&value), None, MAX_STEPS).expect("runs"));
            let b = produced(&eventlab::run::run(parse(&variant), None, MAX_STEPS).expect("runs"));
            prop_assert_eq!(a, b);
        }
    }
}

#[test]
fn a_run_past_max_steps_stops_with_a_clear_error() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fan-out.json");
    let scenario = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let Err(error) = eventlab::run::run(scenario.clone(), None, 10) else {
        panic!("a 10-step limit did not stop the run")
    };
    let message = error.to_string();
    assert!(message.contains("10") && message.contains("--max-steps"), "{message}");
    // The same through the simulator: the trace holds at most one step past the limit.
    let model = model(scenario);
    let mut sim = Simulator::new(Arc::clone(&model), 10);
    assert!(sim.run().is_err());
    assert!(sim.trace().steps.len() <= 11);
}

/// The contract delivers "to free instances" and processes "one at a time per instance": an
/// instance busy with a log record should not also receive a queue message (prefetch 1).
/// The simulator counts only queue messages against the prefetch, so a group that reads a
/// log and a queue hands c#1 the queue message at 1 ms while it processes the log record.
#[test]
fn an_instance_busy_with_a_log_record_receives_no_queue_message() {
    let scenario = parse(&json!({
        "name": "mixed", "duration": "1s",
        "topics": [{"name": "log"}, {"name": "q", "kind": "queue"}],
        "events": [{"at": "0ms", "topic": "log", "type": "A"}, {"at": "1ms", "topic": "q", "type": "B"}],
        "consumers": [{"name": "c", "topics": ["log", "q"], "processing": "10ms"}]
    }));
    let sim = run_to_end(&model(scenario));
    let delivered: Vec<u64> =
        sim.trace().steps.iter().filter(|s| s.kind == StepKind::Delivered).map(|s| s.t_us).collect();
    // The log record at 0 ms; the queue message once the instance is free, at 10 ms.
    assert_eq!(delivered, vec![0, 10_000]);
}
