#![allow(
    clippy::needless_range_loop,
    clippy::stable_sort_primitive,
    clippy::uninlined_format_args,
    clippy::too_many_lines,
    reason = "test code written for reading, not for lint style"
)]
//! Properties of the simulator and the analysis over generated scenarios WITH faults and the
//! failure options of the format.
//!
//! [`scenario`] extends the generator of `properties.rs` (copied, not shared, so the two can
//! evolve apart) with: queue options (`visibility_timeout`, `max_receives` + `dead_letter`,
//! `fifo` + `dedup_window`), consumer options (`prefetch`, `idempotent`, `retry_delay`,
//! `rebalance`), handler `fail_probability`, producer `retry_duplicates` / `idempotent`, and
//! random faults (`crash` with optional `restart_after`, `pause`, `slow`, `add_instance`,
//! `duplicate`, `delay`). A queue with `max_receives` gets its own dead-letter queue
//! `tN-dlq`, optionally read by a consumer `dlq`. Emits only go downstream, so no emit cycle
//! can run away. Each case is a few thousand steps.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use eventlab::analysis::Analysis;
use eventlab::run::Outcome;
use eventlab::scenario::load::{Limits, load_str};
use eventlab::scenario::model::{Commit, From, Metric, Scenario, TopicKind};
use eventlab::sim::Model;
use eventlab::trace::jsonl;
use eventlab::trace::{EventId, EventIdx, GroupIdx, InstanceIdx, Partition, StepKind, TopicIdx, Trace};
use proptest::prelude::*;
use proptest::sample::subsequence;
use serde_json::{Value, json};

const MAX_STEPS: u64 = 10_000_000;
const TYPES: [&str; 3] = ["A", "B", "C"];

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

/// Which settings a generated scenario may use.
#[derive(Clone, Copy, Debug)]
struct Knobs {
    /// `"commit": "before"` (at-most-once) may be generated.
    allow_before: bool,
}

fn ms(n: u64) -> Value {
    json!(format!("{n}ms"))
}

/// A topic. A queue's dead-letter wish is kept as `"_dlq": MAX_RECEIVES` until assembly
/// names the dead-letter queue.
fn topic() -> impl Strategy<Value = Value> {
    let queue = (
        proptest::option::weighted(0.7, 5u64..=200),
        proptest::option::weighted(0.3, proptest::option::of(1u64..=3000)),
        proptest::option::weighted(0.5, 1u32..=4),
    )
        .prop_map(|(visibility, fifo, dlq)| {
            let mut q = json!({"kind": "queue"});
            if let Some(v) = visibility {
                q["visibility_timeout"] = ms(v);
            }
            if let Some(window) = fifo {
                q["fifo"] = json!(true);
                if let Some(w) = window {
                    q["dedup_window"] = ms(w);
                }
            }
            if let Some(max) = dlq {
                q["_dlq"] = json!(max);
            }
            q
        });
    prop_oneof![
        3 => (1u32..=4).prop_map(|p| json!({"kind": "log", "partitions": p})),
        2 => queue,
    ]
}

fn keys() -> impl Strategy<Value = Option<Value>> {
    proptest::option::of((1u64..=5, prop_oneof![Just("uniform"), Just("sequential"), Just("zipf")]).prop_map(
        |(cardinality, distribution)| json!({"prefix": "k", "cardinality": cardinality, "distribution": distribution}),
    ))
}

/// `retry_duplicates`: none, always, or sometimes.
fn retries() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![2 => Just(None), 1 => Just(Some(1.0)), 1 => (0.0f64..1.0).prop_map(Some)]
}

/// A producer; `topic` is an index taken modulo the number of topics.
fn producer() -> impl Strategy<Value = (usize, Value)> {
    (
        (0usize..3, 1u32..=80, any::<bool>(), keys(), subsequence(TYPES.to_vec(), 1..=2)),
        proptest::collection::vec(1u32..=5, 2),
        0u64..=500,
        proptest::option::of(1u64..=300),
        retries(),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|((topic, rate, fixed, keys, types), weights, start, count, retry, idempotent)| {
            let events: Vec<Value> = types
                .iter()
                .zip(&weights)
                .map(|(ty, w)| json!({"type": ty, "weight": w, "data": {"total": {"uniform": [1, 100]}, "n": "{n}"}}))
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
            if let Some(r) = retry {
                p["retry_duplicates"] = json!(r);
            }
            if let Some(i) = idempotent {
                p["idempotent"] = json!(i);
            }
            (topic, p)
        })
}

fn scripted() -> impl Strategy<Value = Value> {
    (0u64..1000, 0usize..3, 0usize..3, proptest::option::of(1u32..=5)).prop_map(|(at, topic, ty, key)| {
        let mut e = json!({"at": format!("{at}ms"), "topic": topic, "type": TYPES[ty]});
        if let Some(k) = key {
            e["key"] = json!(format!("k{k}"));
        }
        e
    })
}

fn duration_distribution(max: u64) -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u64..=max).prop_map(ms),
        (0u64..=max, 0u64..=max).prop_map(|(a, b)| json!({"uniform": [ms(a.min(b)), ms(a.max(b))]})),
        (1u64..=max).prop_map(|m| json!({"exponential": ms(m)})),
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

/// An emit, before its topic is known: (downstream choice, type, keyed, delay).
type RawEmit = (usize, usize, bool, Option<u64>);

fn raw_emit() -> impl Strategy<Value = RawEmit> {
    (0usize..3, 0usize..3, any::<bool>(), proptest::option::of(0u64..=50))
}

fn render_emits(raw: &[RawEmit], downstream: &[usize]) -> Vec<Value> {
    if downstream.is_empty() {
        return Vec::new();
    }
    raw.iter()
        .map(|&(topic, ty, keyed, delay)| {
            let mut e = json!({"topic": format!("t{}", downstream[topic % downstream.len()]), "type": TYPES[ty],
                               "data": {"cause": "{id}"}});
            if keyed {
                e["key"] = json!("{type}-{key}");
            }
            if let Some(ms) = delay {
                e["delay"] = json!(format!("{ms}ms"));
            }
            e
        })
        .collect()
}

/// A handler before its topics are known: emits or weighted outcomes (`None` = fail), and
/// an optional `fail_probability`.
#[derive(Clone, Debug)]
struct RawHandler {
    outcomes: Option<Vec<(u32, Option<Vec<RawEmit>>)>>,
    emits: Vec<RawEmit>,
    fail_probability: Option<f64>,
}

fn raw_handler() -> impl Strategy<Value = RawHandler> {
    let emits = || proptest::collection::vec(raw_emit(), 0..=2);
    (
        emits(),
        proptest::option::weighted(
            0.3,
            (proptest::collection::vec((5u32..=20, emits()), 1..=2), proptest::option::of(1u32..=2)),
        ),
        proptest::option::weighted(0.5, 0.0f64..0.5),
    )
        .prop_map(|(emits, outcomes, fail_probability)| RawHandler {
            outcomes: outcomes.map(|(ok, fail)| {
                let mut o: Vec<(u32, Option<Vec<RawEmit>>)> = ok.into_iter().map(|(w, e)| (w, Some(e))).collect();
                if let Some(w) = fail {
                    o.push((w, None));
                }
                o
            }),
            emits,
            fail_probability,
        })
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
    prefetch: Option<u32>,
    idempotent: Option<bool>,
    retry_delay: Option<u64>,
    rebalance: Option<u64>,
}

fn consumer(knobs: Knobs) -> impl Strategy<Value = RawConsumer> {
    (
        (
            proptest::collection::vec(0usize..3, 1..=2),
            1u32..=4,
            duration_distribution(20),
            commit(knobs),
            prop::bool::weighted(0.2),
            prop_oneof![4 => Just(0u64), 1 => 0u64..=1500],
        ),
        proptest::option::of(proptest::collection::vec(proptest::option::weighted(0.7, raw_handler()), 4)),
        (
            proptest::option::of(1u32..=3),
            proptest::option::of(any::<bool>()),
            proptest::option::of(0u64..=50),
            proptest::option::of(1u64..=300),
        ),
    )
        .prop_map(
            |((topics, instances, processing, commit, latest, start), handles, (prefetch, idempotent, retry, reb))| {
                RawConsumer {
                    topics,
                    instances,
                    processing,
                    commit,
                    latest,
                    start,
                    handles,
                    prefetch,
                    idempotent,
                    retry_delay: retry,
                    rebalance: reb,
                }
            },
        )
}

/// A fault before names are known: (action 0..6, consumer, instance, topic, at in ‰ of the
/// duration, `for`, `restart_after`, slow factor, probability, jitter).
type RawFault = (u8, usize, Option<u32>, usize, u64, Option<u64>, Option<u64>, f64, f64, Value);

fn raw_fault() -> impl Strategy<Value = RawFault> {
    (
        (0u8..6, 0usize..4, proptest::option::weighted(0.5, 1u32..=4), 0usize..4, 0u64..1000),
        (
            proptest::option::weighted(0.7, 1u64..=1500),
            proptest::option::weighted(0.7, 1u64..=1500),
            prop_oneof![Just(0.5), Just(2.0), Just(5.0)],
            prop_oneof![1 => Just(1.0), 2 => 0.0f64..1.0],
            duration_distribution(40),
        ),
    )
        .prop_map(|((a, c, i, t, at), (for_, restart, factor, p, jitter))| {
            (a, c, i, t, at, for_, restart, factor, p, jitter)
        })
}

/// Builds the scenario JSON from its generated parts.
#[allow(clippy::too_many_arguments)]
fn assemble(
    topics: &[Value],
    producers: &[(usize, Value)],
    events: &[Value],
    consumers: &[RawConsumer],
    dlq_reader: Option<RawConsumer>,
    faults: &[RawFault],
    duration_ms: u64,
    seed: u64,
) -> Value {
    let n = topics.len();
    let topic_name = |i: usize| format!("t{}", i % n);
    let mut all_topics = Vec::new();
    let mut dlqs = Vec::new();
    for (i, t) in topics.iter().enumerate() {
        let mut t = t.clone();
        t["name"] = json!(topic_name(i));
        if let Some(max) = t.as_object_mut().unwrap().remove("_dlq") {
            let dlq = format!("t{i}-dlq");
            t["max_receives"] = max;
            t["dead_letter"] = json!(dlq);
            dlqs.push(dlq);
        }
        all_topics.push(t);
    }
    for d in &dlqs {
        all_topics.push(json!({"name": d, "kind": "queue"}));
    }
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
    let render_consumer = |name: String, c: &RawConsumer, read: Vec<String>, downstream: &[usize]| {
        let mut v = json!({
            "name": name,
            "topics": read,
            "instances": c.instances,
            "processing": c.processing,
            "commit": c.commit,
            "from": if c.latest { "latest" } else { "earliest" },
            "start": format!("{}ms", c.start),
        });
        if let Some(p) = c.prefetch {
            v["prefetch"] = json!(p);
        }
        if let Some(i) = c.idempotent {
            v["idempotent"] = json!(i);
        }
        if let Some(r) = c.retry_delay {
            v["retry_delay"] = ms(r);
        }
        if let Some(r) = c.rebalance {
            v["rebalance"] = ms(r);
        }
        if let Some(handles) = &c.handles {
            let mut map = serde_json::Map::new();
            for (name, handler) in TYPES.iter().copied().chain(["*"]).zip(handles) {
                let Some(h) = handler else { continue };
                let mut out = match &h.outcomes {
                    None => json!({"emit": render_emits(&h.emits, downstream)}),
                    Some(outcomes) => json!({"outcomes": outcomes.iter().map(|(w, o)| match o {
                        Some(emits) => json!({"weight": w, "emit": render_emits(emits, downstream)}),
                        None => json!({"weight": w, "fail": true}),
                    }).collect::<Vec<_>>()}),
                };
                if let Some(p) = h.fail_probability {
                    out["fail_probability"] = json!(p);
                }
                map.insert(name.to_owned(), out);
            }
            v["handles"] = Value::Object(map);
        }
        v
    };
    let mut rendered: Vec<Value> = consumers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut read: Vec<usize> = c.topics.iter().map(|t| t % n).collect();
            read.sort_unstable();
            read.dedup();
            let highest = *read.last().expect("at least one topic");
            let downstream: Vec<usize> = (highest + 1..n).collect();
            render_consumer(format!("c{i}"), c, read.iter().map(|&t| topic_name(t)).collect(), &downstream)
        })
        .collect();
    if let Some(c) = dlq_reader
        && !dlqs.is_empty()
    {
        rendered.push(render_consumer("dlq".to_owned(), &c, dlqs.clone(), &[]));
    }
    let stored_topics: Vec<String> = all_topics.iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    let faults: Vec<Value> = faults
        .iter()
        .map(|(action, c, instance, t, at, for_, restart, factor, p, jitter)| {
            let ci = c % consumers.len();
            let target = match instance {
                Some(k) => format!("c{ci}#{}", (k - 1) % consumers[ci].instances + 1),
                None => format!("c{ci}"),
            };
            let mut f = json!({"at": ms(at * duration_ms / 1000)});
            match action {
                0 => {
                    f["crash"] = json!(target);
                    if let Some(r) = restart {
                        f["restart_after"] = ms(*r);
                    }
                }
                1 => f["pause"] = json!(target),
                2 => {
                    f["slow"] = json!(target);
                    f["factor"] = json!(factor);
                }
                3 => f["add_instance"] = json!(format!("c{ci}")),
                4 => {
                    f["duplicate"] = json!(stored_topics[t % stored_topics.len()]);
                    f["probability"] = json!(p);
                }
                _ => {
                    f["delay"] = json!(stored_topics[t % stored_topics.len()]);
                    f["jitter"] = jitter.clone();
                }
            }
            if matches!(action, 1 | 2 | 4 | 5)
                && let Some(d) = for_
            {
                f["for"] = ms(*d);
            }
            f
        })
        .collect();
    json!({
        "name": "generated-with-faults",
        "seed": seed,
        "duration": format!("{duration_ms}ms"),
        "topics": all_topics,
        "producers": producers,
        "events": events,
        "consumers": rendered,
        "faults": faults,
    })
}

/// A generated scenario; its `Debug` is its JSON, so a failing case can be copied out.
#[derive(Clone)]
pub(crate) struct Json(pub(crate) Value);

impl std::fmt::Debug for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_string())
    }
}

fn scenario_with(knobs: Knobs) -> impl Strategy<Value = Json> {
    (
        proptest::collection::vec(topic(), 1..=3),
        proptest::collection::vec(producer(), 1..=3),
        proptest::collection::vec(scripted(), 0..=3),
        proptest::collection::vec(consumer(knobs), 1..=3),
        proptest::option::of(consumer(knobs)),
        proptest::collection::vec(raw_fault(), 0..=6),
        1000u64..=4000,
        any::<u64>(),
    )
        .prop_map(|(topics, producers, events, consumers, dlq, faults, duration, seed)| {
            Json(assemble(&topics, &producers, &events, &consumers, dlq, &faults, duration, seed))
        })
}

pub(crate) fn scenario() -> impl Strategy<Value = Json> {
    scenario_with(Knobs { allow_before: true })
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

pub(crate) fn parse(value: &Value) -> Scenario {
    let text = serde_json::to_string_pretty(value).expect("serializes");
    load_str(&text, "generated", &Limits::default())
        .unwrap_or_else(|e| panic!("generated scenario is invalid: {e}\n{text}"))
}

fn run(value: &Value) -> Outcome {
    eventlab::run::run(parse(value), None, MAX_STEPS).expect("runs")
}

fn jsonl_bytes(model: &Model, trace: &Trace) -> Vec<u8> {
    let mut out = Vec::new();
    jsonl::write(&mut out, model, trace, true).expect("writes to memory");
    out
}

pub(crate) fn config() -> ProptestConfig {
    config_with(48)
}

/// `default_cases` cases, or `FP_CASES` when it is set (for a longer run by hand).
pub(crate) fn config_with(default_cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("FP_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default_cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn is_log(model: &Model, topic: TopicIdx) -> bool {
    model.topics[topic.index()].kind == TopicKind::Log
}

fn id_of(trace: &Trace, event: EventIdx) -> EventId {
    trace.event(event).id
}

/// Replays the trace's bookkeeping of committed offsets, log ends and queue copies.
#[derive(Default)]
struct Ledger {
    /// (topic, partition) → records so far.
    end: BTreeMap<(TopicIdx, Partition), u32>,
    /// Group → joined (its first `rebalanced` step).
    joined: BTreeSet<GroupIdx>,
    /// (group, topic, partition) → (start position, committed).
    committed: BTreeMap<(GroupIdx, TopicIdx, Partition), (u32, u32)>,
    /// (group, queue topic) → copies the group got, acked, dead-lettered.
    copies: BTreeMap<(GroupIdx, TopicIdx), (i64, i64, i64)>,
}

impl Ledger {
    /// Applies one step; returns an error text when the step breaks the ledger's rules.
    fn apply(&mut self, model: &Model, s: &eventlab::trace::Step) -> Result<(), String> {
        match s.kind {
            StepKind::Published => {
                let tm = &model.topics[s.topic_idx().index()];
                match tm.kind {
                    TopicKind::Log => *self.end.entry((s.topic_idx(), s.partition_idx())).or_insert(0) += 1,
                    _ => self.enqueue(model, s.topic_idx(), s.t_us),
                }
            }
            StepKind::Rebalanced if self.joined.insert(s.group_idx()) => {
                let gm = &model.groups[s.group_idx().index()];
                for &(t, p) in &gm.slots {
                    let e = self.end.get(&(t, p)).copied().unwrap_or(0);
                    let start = if gm.from == From::Latest { e } else { 0 };
                    self.committed.insert((s.group_idx(), t, p), (start, start));
                }
            }
            StepKind::Committed => {
                let Some((_, old)) = self.committed.get_mut(&(s.group_idx(), s.topic_idx(), s.partition_idx())) else {
                    return Err("a commit before the group joined".into());
                };
                if s.offset <= *old {
                    return Err(format!("commit {} does not move past {old}", s.offset));
                }
                let e = self.end.get(&(s.topic_idx(), s.partition_idx())).copied().unwrap_or(0);
                if s.offset > e {
                    return Err(format!("commit {} beyond the log end {e}", s.offset));
                }
                *old = s.offset;
            }
            StepKind::Acked => {
                let c = self.copies.entry((s.group_idx(), s.topic_idx())).or_default();
                c.1 += 1;
                if c.1 + c.2 > c.0 {
                    return Err("more acks and dead letters than copies".into());
                }
            }
            StepKind::DeadLettered => {
                let c = self.copies.entry((s.group_idx(), s.topic_idx())).or_default();
                c.2 += 1;
                if c.1 + c.2 > c.0 {
                    return Err("more acks and dead letters than copies".into());
                }
                self.enqueue(model, s.dead_letter().expect("a dead-letter topic"), s.t_us);
            }
            _ => {}
        }
        Ok(())
    }

    fn enqueue(&mut self, model: &Model, topic: TopicIdx, t: u64) {
        for sub in &model.topics[topic.index()].subscribers {
            if model.groups[sub.group.index()].start <= t {
                self.copies.entry((sub.group, topic)).or_default().0 += 1;
            }
        }
    }

    fn lag(&self, group: GroupIdx) -> i64 {
        let log: i64 = self
            .committed
            .iter()
            .filter(|((g, _, _), _)| *g == group)
            .map(|(&(_, t, p), &(_, c))| i64::from(self.end.get(&(t, p)).copied().unwrap_or(0)) - i64::from(c))
            .sum();
        let queue: i64 = self.copies.iter().filter(|((g, _), _)| *g == group).map(|(_, &(n, a, d))| n - a - d).sum();
        log + queue
    }
}

/// Property 7 over one run. `strict`: a `duplicate` fault's second delivery of a log record
/// is held to the rebalance and ownership rules too.
fn check_deliveries(outcome: &Outcome, strict: bool) -> Result<(), TestCaseError> {
    let model = outcome.sim.model();
    let trace = outcome.sim.trace();
    let mut down: BTreeSet<InstanceIdx> = BTreeSet::new();
    let mut paused: BTreeMap<InstanceIdx, i64> = BTreeMap::new();
    let mut joined: BTreeSet<GroupIdx> = BTreeSet::new();
    let mut rebalancing: BTreeSet<GroupIdx> = BTreeSet::new();
    // (group, topic, partition) → owner, from the latest assignment.
    let mut owner: BTreeMap<(GroupIdx, TopicIdx, Partition), InstanceIdx> = BTreeMap::new();
    let steps = &trace.steps;
    for (i, s) in steps.iter().enumerate() {
        let number = i + 1;
        match s.kind {
            StepKind::Crashed => {
                down.insert(s.instance_idx());
            }
            StepKind::Restarted => {
                down.remove(&s.instance_idx());
            }
            StepKind::Paused => *paused.entry(s.instance_idx()).or_insert(0) += 1,
            StepKind::Resumed => {
                let p = paused.entry(s.instance_idx()).or_insert(0);
                *p -= 1;
                prop_assert!(*p >= 0, "step {number}: resumed more than paused");
            }
            _ => {}
        }
        if matches!(s.kind, StepKind::Crashed | StepKind::Restarted | StepKind::Joined)
            && model.groups[s.group_idx().index()].reads_logs()
            && joined.contains(&s.group_idx())
        {
            rebalancing.insert(s.group_idx());
        }
        if s.kind == StepKind::Rebalanced {
            joined.insert(s.group_idx());
            rebalancing.remove(&s.group_idx());
            owner.retain(|&(g, _, _), _| g != s.group_idx());
            for (instance, topic, partitions) in &trace.assignments[s.aux as usize] {
                for &p in partitions {
                    owner.insert((s.group_idx(), *topic, p), *instance);
                }
            }
        }
        if s.kind != StepKind::Delivered {
            continue;
        }
        prop_assert_eq!(
            trace.instances[s.instance_idx().index()].0,
            s.group_idx(),
            "step {}: instance of another group",
            number
        );
        prop_assert!(!down.contains(&s.instance_idx()), "step {number}: delivery to a crashed instance");
        // A duplicate fault's second delivery follows the same instance's processing of
        // the same event in the same microsecond.
        let second = steps[..i].iter().rev().take_while(|p| p.t_us == s.t_us).any(|p| {
            matches!(p.kind, StepKind::Processed | StepKind::SkippedDuplicate | StepKind::Failed)
                && p.instance == s.instance
                && p.event == s.event
        });
        if !second {
            prop_assert!(
                paused.get(&s.instance_idx()).copied().unwrap_or(0) == 0,
                "step {number}: delivery to a paused instance"
            );
        }
        if is_log(model, s.topic_idx()) && (strict || !second) {
            prop_assert!(
                !rebalancing.contains(&s.group_idx()),
                "step {number}: a log record delivered while its group rebalances"
            );
            prop_assert_eq!(
                owner.get(&(s.group_idx(), s.topic_idx(), s.partition_idx())).copied(),
                Some(s.instance_idx()),
                "step {}: a record of {}/{} to an instance that does not own it",
                number,
                s.topic_idx(),
                s.partition_idx()
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// 1. Every generated scenario with faults is valid, runs to its end without a panic,
    /// time never goes back, and the same seed gives the byte-identical JSONL trace.
    #[test]
    fn faulty_scenarios_run_and_are_deterministic(Json(value) in scenario()) {
        let scenario = parse(&value);
        let a = eventlab::run::run(scenario.clone(), None, MAX_STEPS);
        prop_assert!(a.is_ok(), "run failed: {}", a.err().map(|e| e.to_string()).unwrap_or_default());
        let a = a.unwrap();
        prop_assert!(a.sim.is_finished());
        let steps = &a.sim.trace().steps;
        prop_assert!(steps.iter().all(|s| s.t_us <= a.sim.model().duration));
        prop_assert!(steps.windows(2).all(|w| w[0].t_us <= w[1].t_us));
        let b = eventlab::run::run(scenario, None, MAX_STEPS).expect("runs");
        prop_assert!(
            jsonl_bytes(a.sim.model(), a.sim.trace()) == jsonl_bytes(b.sim.model(), b.sim.trace()),
            "two runs differ"
        );
        prop_assert_eq!(eventlab::report::summary_json(&a), eventlab::report::summary_json(&b));
    }

    /// 2. Committing only after processing ("after" or an interval; queues always ack after
    /// processing) loses nothing, whatever the faults, failures and retries.
    #[test]
    fn commit_after_loses_nothing_despite_faults(Json(value) in scenario_with(Knobs { allow_before: false })) {
        let outcome = run(&value);
        for (g, gm) in outcome.sim.model().groups.iter().enumerate() {
            prop_assert_eq!(outcome.analysis.metric(Metric::Lost, Some(g)), 0, "group {} lost events", gm.name);
        }
        prop_assert!(outcome.analysis.lost().is_empty());
    }

    /// 3. A group's committed offset only moves forward and never passes the log end; every
    /// offset it commits past was completed in the group before (after / interval) or at
    /// least delivered to it ("before").
    #[test]
    fn commits_move_forward_over_completed_work(Json(value) in scenario()) {
        let outcome = run(&value);
        let model = outcome.sim.model();
        let trace = outcome.sim.trace();
        let mut ledger = Ledger::default();
        // (group, topic, partition, offset) delivered / completed so far.
        let mut delivered: BTreeSet<(GroupIdx, TopicIdx, Partition, u32)> = BTreeSet::new();
        let mut completed: BTreeSet<(GroupIdx, TopicIdx, Partition, u32)> = BTreeSet::new();
        for (i, s) in trace.steps.iter().enumerate() {
            let number = i + 1;
            let here = || (s.group_idx(), s.topic_idx(), s.partition_idx(), s.offset);
            match s.kind {
                StepKind::Delivered if is_log(model, s.topic_idx()) => { delivered.insert(here()); }
                StepKind::Processed | StepKind::SkippedDuplicate if is_log(model, s.topic_idx()) => { completed.insert(here()); }
                StepKind::Committed => {
                    let old = ledger.committed.get(&(s.group_idx(), s.topic_idx(), s.partition_idx())).map(|c| c.1);
                    if let Some(old) = old {
                        let before = model.groups[s.group_idx().index()].commit == Commit::Before;
                        for offset in old..s.offset {
                            let at = (s.group_idx(), s.topic_idx(), s.partition_idx(), offset);
                            if before {
                                prop_assert!(delivered.contains(&at), "step {number}: commit past {at:?}, never delivered");
                            } else {
                                prop_assert!(completed.contains(&at), "step {number}: commit past {at:?}, never completed");
                            }
                        }
                    }
                }
                _ => {}
            }
            let r = ledger.apply(model, s);
            prop_assert!(r.is_ok(), "step {number}: {}", r.unwrap_err());
        }
    }

    /// 4. An idempotent consumer never has a duplicate effect, even with crashes,
    /// `duplicate` faults, expired visibility and producer retries.
    #[test]
    fn idempotent_consumers_have_no_duplicate_effects(Json(value) in scenario()) {
        let outcome = run(&value);
        for (g, gm) in outcome.sim.model().groups.iter().enumerate() {
            if gm.idempotent {
                prop_assert_eq!(outcome.analysis.metric(Metric::DuplicateEffects, Some(g)), 0, "group {}", gm.name);
            }
        }
    }

    /// 5. Accounting: `lost` is exactly the ids a group committed past (from its start
    /// position) or acked without any completed processing in the group; every queue copy
    /// a group got is acked, dead-lettered or still pending (never below zero), the pending
    /// ones with the committed-from lag making up `final_lag`; an ack comes only after a
    /// completed processing of that event in the group.
    #[test]
    fn every_event_is_accounted_for(Json(value) in scenario()) {
        let outcome = run(&value);
        let model = outcome.sim.model();
        let trace = outcome.sim.trace();
        let mut ledger = Ledger::default();
        let mut records: BTreeMap<(TopicIdx, Partition), Vec<EventIdx>> = BTreeMap::new();
        let mut completed: BTreeSet<(GroupIdx, EventId)> = BTreeSet::new();
        let mut acked: BTreeSet<(GroupIdx, EventId)> = BTreeSet::new();
        for (i, s) in trace.steps.iter().enumerate() {
            let number = i + 1;
            match s.kind {
                StepKind::Published if is_log(model, s.topic_idx()) => records.entry((s.topic_idx(), s.partition_idx())).or_default().push(s.event_idx()),
                StepKind::Processed | StepKind::SkippedDuplicate => { completed.insert((s.group_idx(), id_of(trace, s.event_idx()))); }
                StepKind::Acked => {
                    let id = id_of(trace, s.event_idx());
                    prop_assert!(completed.contains(&(s.group_idx(), id)), "step {number}: ack without a completed processing");
                    acked.insert((s.group_idx(), id));
                }
                _ => {}
            }
            let r = ledger.apply(model, s);
            prop_assert!(r.is_ok(), "step {number}: {}", r.unwrap_err());
        }
        for (g, gm) in model.groups.iter().enumerate() {
            let g16 = GroupIdx::new(g);
            let mut done: BTreeSet<EventId> = acked.iter().filter(|(ag, _)| *ag == g16).map(|(_, id)| *id).collect();
            for (&(cg, t, p), &(start, committed)) in &ledger.committed {
                if cg == g16 {
                    for offset in start..committed {
                        done.insert(id_of(trace, records[&(t, p)][offset as usize]));
                    }
                }
            }
            let lost = done.iter().filter(|id| !completed.contains(&(g16, **id))).count() as u64;
            prop_assert_eq!(outcome.analysis.metric(Metric::Lost, Some(g)), lost, "group {}: lost", gm.name);
            for (&(cg, t), &(n, a, d)) in &ledger.copies {
                if cg == g16 {
                    prop_assert!(n - a - d >= 0, "group {} on {}: {} copies, {} acked, {} dead-lettered", gm.name, t, n, a, d);
                }
            }
            prop_assert_eq!(outcome.analysis.metric(Metric::FinalLag, Some(g)) as i64, ledger.lag(g16), "group {}: final lag", gm.name);
            let dead = trace.steps.iter().filter(|s| s.kind == StepKind::DeadLettered && s.group_idx().index() == g).count() as u64;
            prop_assert_eq!(outcome.analysis.metric(Metric::DeadLettered, Some(g)), dead);
        }
    }

    /// 6. Lag is never negative; the analysis' lag agrees with one computed from the trace at
    /// every step; `max_lag` is the maximum of it and at least `final_lag`.
    #[test]
    fn lag_follows_the_trace(Json(value) in scenario()) {
        let outcome = run(&value);
        let model = Arc::clone(outcome.sim.model());
        let trace = outcome.sim.trace();
        let mut analysis = Analysis::new(Arc::clone(&model));
        let mut partial = trace.clone();
        partial.steps.clear();
        let mut ledger = Ledger::default();
        let mut max = vec![0i64; model.groups.len()];
        for (i, s) in trace.steps.iter().enumerate() {
            let number = i + 1;
            let r = ledger.apply(&model, s);
            prop_assert!(r.is_ok(), "step {number}: {}", r.unwrap_err());
            partial.steps.push(*s);
            analysis.observe(&partial);
            for g in 0..model.groups.len() {
                let lag = ledger.lag(GroupIdx::new(g));
                prop_assert!(lag >= 0, "step {number}: group {g} lag {lag}");
                max[g] = max[g].max(lag);
                prop_assert_eq!(analysis.metric(Metric::FinalLag, Some(g)) as i64, lag, "step {}: lag of group {}", number, g);
            }
        }
        for (g, &m) in max.iter().enumerate() {
            prop_assert_eq!(outcome.analysis.metric(Metric::MaxLag, Some(g)) as i64, m, "group {}: max lag", g);
            prop_assert!(outcome.analysis.metric(Metric::MaxLag, Some(g)) >= outcome.analysis.metric(Metric::FinalLag, Some(g)));
        }
    }

    /// 7. No delivery to a crashed instance (between its `crashed` and `restarted`), none to
    /// a paused one (a `duplicate` fault's second delivery of what it just finished aside:
    /// the format lets held work continue), no fetch of a log record while its group
    /// rebalances (from a `crashed`/`restarted`/`joined` step to the group's next
    /// `rebalanced`), and a fetched log record only to the partition's owner in the group's
    /// latest assignment. (7b holds a duplicate's second delivery to the same rules.)
    #[test]
    fn no_delivery_to_down_paused_or_rebalancing_instances(Json(value) in scenario()) {
        check_deliveries(&run(&value), false)?;
    }

    /// 7b. Property 7 for a `duplicate` fault's second delivery of a log record as well: it
    /// must not come while the group rebalances, nor go to an instance that no longer owns
    /// the partition (see the regression tests `duplicate_redelivery_*` below).
    #[test]
    fn no_duplicate_redelivery_during_or_across_rebalances(Json(value) in scenario()) {
        check_deliveries(&run(&value), true)?;
    }

    /// 8. A message is dead-lettered only after its `max_receives`th receive in that group
    /// (a `duplicate` fault's second delivery repeats a receive number and does not count);
    /// no receive goes beyond `max_receives`; receive numbers of one copy count up 1, 2, ...
    /// (a duplicate's second delivery repeats the number of the receive it follows).
    #[test]
    fn dead_letters_follow_max_receives(Json(value) in scenario()) {
        let outcome = run(&value);
        let model = outcome.sim.model();
        let trace = outcome.sim.trace();
        // (group, topic, event) → copies, highest receive so far of the current copy.
        let mut copies: BTreeMap<(GroupIdx, TopicIdx, EventIdx), u32> = BTreeMap::new();
        let mut highest: BTreeMap<(GroupIdx, TopicIdx, EventIdx), u32> = BTreeMap::new();
        // ((group, topic, event), instance, receive) delivered so far.
        let mut received: BTreeSet<((GroupIdx, TopicIdx, EventIdx), InstanceIdx, u32)> = BTreeSet::new();
        let count_copy = |topic: TopicIdx, t: u64, event: EventIdx, copies: &mut BTreeMap<(GroupIdx, TopicIdx, EventIdx), u32>| {
            for sub in &model.topics[topic.index()].subscribers {
                if model.groups[sub.group.index()].start <= t {
                    *copies.entry((sub.group, topic, event)).or_insert(0) += 1;
                }
            }
        };
        for (i, s) in trace.steps.iter().enumerate() {
            let number = i + 1;
            if s.topic.is_none() || is_log(model, s.topic_idx()) {
                continue;
            }
            let tm = &model.topics[s.topic_idx().index()];
            // (group, topic, event) of a consumer's step.
            let key = || (s.group_idx(), s.topic_idx(), s.event_idx());
            match s.kind {
                StepKind::Published => count_copy(s.topic_idx(), s.t_us, s.event_idx(), &mut copies),
                StepKind::Delivered => {
                    let k = key();
                    prop_assert!(s.aux >= 1, "step {number}: receive 0");
                    if let Some(max) = tm.max_receives {
                        prop_assert!(s.aux <= max, "step {number}: receive {} beyond max_receives {max}", s.aux);
                    }
                    // A duplicate fault's second delivery (right after the same instance
                    // processed the same event) repeats the number of a receive that instance
                    // had, even when a later receive came meanwhile.
                    let repeated = trace.steps[..i].iter().rev().take_while(|p| p.t_us == s.t_us).any(|p| {
                        matches!(p.kind, StepKind::Processed | StepKind::SkippedDuplicate | StepKind::Failed)
                            && p.instance == s.instance && p.event == s.event
                    }) && received.contains(&(k, s.instance_idx(), s.aux));
                    if copies.get(&k).copied().unwrap_or(0) == 1 && !repeated {
                        let h = highest.entry(k).or_insert(0);
                        prop_assert!(s.aux == *h + 1, "step {number}: receive {} after {}", s.aux, *h);
                        *h = s.aux;
                    }
                    received.insert((k, s.instance_idx(), s.aux));
                }
                StepKind::DeadLettered => {
                    let k = key();
                    let max = tm.max_receives;
                    prop_assert!(max.is_some() && s.dead_letter().is_some() && tm.dead_letter == s.dead_letter(), "step {number}: dead-lettered from a queue without one");
                    let max = max.unwrap();
                    let reached = trace.steps[..i].iter().any(|p| p.kind == StepKind::Delivered
                        && (p.group, p.topic, p.event) == (Some(k.0), Some(k.1), Some(k.2)) && p.aux == max);
                    prop_assert!(reached, "step {number}: dead-lettered before receive {max}");
                    if copies.get(&k).copied().unwrap_or(0) == 1 {
                        prop_assert_eq!(highest.get(&k).copied(), Some(max), "step {}: dead-lettered copy's receives", number);
                    }
                    count_copy(s.dead_letter().expect("a dead-letter topic"), s.t_us, s.event_idx(), &mut copies);
                }
                _ => {}
            }
        }
    }

    /// 9. A producer's retries: with `retry_duplicates` 1.0 an idempotent producer publishes
    /// each event once (the retry is a `dropped_duplicate`), a plain one twice (once, plus a
    /// `dropped_duplicate`, on a FIFO queue that deduplicates it); in any case no event is
    /// published more than twice by its producer.
    #[test]
    fn producer_retries_publish_as_configured(Json(value) in scenario()) {
        let outcome = run(&value);
        let model = outcome.sim.model();
        let trace = outcome.sim.trace();
        for (p, pm) in model.producers.iter().enumerate() {
            let mine = |kind: StepKind| {
                let mut n: BTreeMap<EventIdx, u32> = BTreeMap::new();
                for s in trace.steps.iter().filter(|s| s.kind == kind && s.topic == Some(pm.topic)) {
                    let e = trace.event_of(s);
                    if e.source == pm.source && e.cause.is_none() {
                        *n.entry(s.event_idx()).or_insert(0) += 1;
                    }
                }
                n
            };
            let published = mine(StepKind::Published);
            let dropped = mine(StepKind::DroppedDuplicate);
            let fifo = model.topics[pm.topic.index()].fifo;
            let name = &pm.name;
            prop_assert!(published.values().all(|&n| n <= 2), "{}: an event published more than twice", name);
            if pm.retry_duplicates >= 1.0 {
                for (&e, &n) in &published {
                    let d = dropped.get(&e).copied().unwrap_or(0);
                    let (want_published, want_dropped) = match (pm.idempotent, fifo) {
                        (true, _) | (false, true) => (1, 1),
                        (false, false) => (2, 0),
                    };
                    prop_assert_eq!((n, d), (want_published, want_dropped),
                        "{}: event {} (idempotent {}, fifo {})", name, id_of(trace, e).render(&trace.strings), pm.idempotent, fifo);
                }
                prop_assert_eq!(published.len() as u64, outcome.analysis.sent(p), "{}: sent", name);
            } else if pm.idempotent {
                prop_assert!(published.values().all(|&n| n == 1), "{}: an idempotent producer's event published twice", name);
            }
            if pm.retry_duplicates == 0.0 {
                prop_assert!(dropped.is_empty(), "{}: dropped duplicates without retries", name);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Same-microsecond coincidences
// ---------------------------------------------------------------------------------------

/// A scenario on a 10 ms grid, so that completions, commits, restarts, joins, pauses and
/// deliveries keep falling in the same microsecond (the random scenarios above rarely line
/// them up): a log `t0` (1 to 3 partitions) under a `duplicate` fault, a queue `t1` (maybe
/// FIFO, maybe duplicated too), one or two consumers reading the log, the queue or both with
/// a prefetch of 1 or 2, and up to five more faults (crash with or without restart,
/// `add_instance`, pause, a `delay` on one of the topics).
fn coincidences() -> impl Strategy<Value = Json> {
    let grid = |max: u64| (0..=max).prop_map(|k| ms(k * 10));
    let event = (0u64..=30, 0usize..4, proptest::option::of(1u32..=3)).prop_map(|(at, topic, key)| {
        // Three in four go to the log.
        let mut e = json!({"at": ms(at * 10), "topic": if topic == 3 { "t1" } else { "t0" }, "type": "A"});
        if let Some(k) = key {
            e["key"] = json!(format!("k{k}"));
        }
        e
    });
    let consumer = (
        prop_oneof![2 => Just(vec!["t0"]), 2 => Just(vec!["t0", "t1"]), 1 => Just(vec!["t1"])],
        1u32..=3,
        grid(3),
        prop_oneof![Just(json!("after")), Just(json!("before")), Just(json!({"interval": "50ms"}))],
        1u32..=2,
        grid(10),
        proptest::option::weighted(0.3, 0.1f64..0.5),
    )
        .prop_map(|(topics, instances, processing, commit, prefetch, rebalance, fail)| {
            let mut c = json!({"topics": topics, "instances": instances, "processing": processing,
                               "commit": commit, "prefetch": prefetch, "rebalance": rebalance});
            if let Some(p) = fail {
                c["handles"] = json!({"*": {"fail_probability": p}});
            }
            c
        });
    let fault = (0u8..5, 0usize..2, proptest::option::of(1u32..=3), 0u64..=40, 1u64..=15);
    (
        1u32..=3,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(event, 1..=14),
        proptest::collection::vec(consumer, 1..=2),
        proptest::collection::vec(fault, 0..=5),
        any::<u64>(),
    )
        .prop_map(|(partitions, fifo, queue_duplicate, events, consumers, faults, seed)| {
            let consumers: Vec<Value> = consumers
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    c["name"] = json!(format!("c{i}"));
                    c
                })
                .collect();
            let mut all_faults = vec![json!({"at": "0ms", "duplicate": "t0", "probability": 1.0})];
            if queue_duplicate {
                all_faults.push(json!({"at": "0ms", "duplicate": "t1", "probability": 0.5}));
            }
            for (action, c, instance, at, length) in faults {
                let c = c % consumers.len();
                let instances = consumers[c]["instances"].as_u64().unwrap() as u32;
                let target = match instance {
                    Some(k) => format!("c{c}#{}", (k - 1) % instances + 1),
                    None => format!("c{c}"),
                };
                let at = ms(at * 10);
                all_faults.push(match action {
                    0 => json!({"at": at, "crash": target, "restart_after": ms(length * 10)}),
                    1 => json!({"at": at, "crash": target}),
                    2 => json!({"at": at, "add_instance": format!("c{c}")}),
                    3 => json!({"at": at, "pause": target, "for": ms(length * 10)}),
                    _ => json!({"at": at, "delay": if c == 0 { "t0" } else { "t1" }, "jitter": ms(length % 4 * 10),
                                "for": ms(length * 10)}),
                });
            }
            Json(json!({
                "name": "coincidences", "seed": seed, "duration": "500ms",
                "topics": [{"name": "t0", "kind": "log", "partitions": partitions},
                           {"name": "t1", "kind": "queue", "fifo": fifo, "visibility_timeout": "60ms"}],
                "events": events,
                "consumers": consumers,
                "faults": all_faults,
            }))
        })
}

proptest! {
    #![proptest_config(config())]

    /// 10. On the 10 ms grid: every run ends (the simulator's own debug assertions hold: one
    /// processing at a time per instance, `held` within the prefetch), property 7 holds in
    /// its strict form (a `duplicate` fault's second delivery of a log record comes neither
    /// during a rebalance nor to an instance that does not own the partition), commits move
    /// forward within the log, and a group that never commits before processing loses
    /// nothing.
    #[test]
    fn duplicate_deliveries_meet_rebalances_in_the_same_microsecond(Json(value) in coincidences()) {
        let outcome = run(&value);
        check_deliveries(&outcome, true)?;
        let model = outcome.sim.model();
        let mut ledger = Ledger::default();
        for (i, s) in outcome.sim.trace().steps.iter().enumerate() {
            let r = ledger.apply(model, s);
            prop_assert!(r.is_ok(), "step {}: {}", i + 1, r.unwrap_err());
        }
        for (g, gm) in model.groups.iter().enumerate() {
            if gm.commit != Commit::Before {
                prop_assert_eq!(outcome.analysis.metric(Metric::Lost, Some(g)), 0, "group {} lost events", gm.name);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Regression cases (minimized from property 7b)
// ---------------------------------------------------------------------------------------

/// (step kind, instance name) of the deliveries and rebalances of a run.
fn deliveries_and_rebalances(value: &Value) -> Vec<Value> {
    let outcome = run(value);
    let model = outcome.sim.model();
    let trace = outcome.sim.trace();
    let namer = jsonl::Namer { model, trace };
    trace
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.kind, StepKind::Delivered | StepKind::Rebalanced))
        .map(|(i, s)| {
            let v = jsonl::step_json(&namer, i as u64 + 1, s);
            json!([
                v["t_us"],
                v["kind"],
                v.get("instance").cloned().unwrap_or(Value::Null),
                v.get("offset").cloned().unwrap_or(Value::Null)
            ])
        })
        .collect()
}

/// c#2 owns the partition while c#1 is down and is processing offset 0 (marked by the
/// duplicate fault) when c#1 restarts. At 100 ms it finishes, commits on revoke, and the
/// rebalance gives the partition back to c#1, which fetches offset 1. c#2 used to get its
/// second delivery of offset 0 anyway: two instances processed one partition at once, and
/// c#2 worked on a partition it no longer owned. The rebalance drops that second delivery.
#[test]
fn duplicate_redelivery_goes_only_to_the_partitions_owner() {
    let value = json!({"name": "dup-after-rebalance", "duration": "1s",
        "topics": [{"name": "t0", "kind": "log", "partitions": 1}],
        "events": [{"at": "0ms", "topic": "t0", "type": "A"}, {"at": "1ms", "topic": "t0", "type": "A"}],
        "consumers": [{"name": "c", "topics": ["t0"], "instances": 2, "processing": "100ms", "rebalance": "10ms"}],
        "faults": [{"at": "0ms", "crash": "c#1", "restart_after": "50ms"},
                   {"at": "0ms", "duplicate": "t0", "probability": 1.0}]});
    let steps = deliveries_and_rebalances(&value);
    // Before the fix: [0, rebalanced], [0, delivered c#2 @0], [100000, rebalanced],
    // [100000, delivered c#2 @0], [100000, delivered c#1 @1].
    let after: Vec<&Value> = steps.iter().filter(|s| s[0] == json!(100_000) && s[1] == json!("delivered")).collect();
    assert!(after.iter().all(|s| s[2] == json!("c#1")), "deliveries after the rebalance: {steps:?}");
}

/// One instance processes offset 0 (marked by the duplicate fault) when c#2 joins at 50 ms;
/// the rebalance pause lasts 200 ms. At 100 ms c#1 finishes and commits on revoke. It used to
/// get its second delivery of offset 0 then, in the middle of the rebalance ("from that moment
/// no instance takes a new record"), after the revoke commit it was supposed to end with; the
/// rebalance now drops it.
#[test]
fn duplicate_redelivery_waits_for_the_rebalance() {
    let value = json!({"name": "dup-during-rebalance", "duration": "1s",
        "topics": [{"name": "t0", "kind": "log", "partitions": 1}],
        "events": [{"at": "0ms", "topic": "t0", "type": "A"}],
        "consumers": [{"name": "c", "topics": ["t0"], "processing": "100ms", "rebalance": "200ms"}],
        "faults": [{"at": "0ms", "duplicate": "t0", "probability": 1.0}, {"at": "50ms", "add_instance": "c"}]});
    let steps = deliveries_and_rebalances(&value);
    // Before the fix: [0, rebalanced], [0, delivered c#1], [100000, delivered c#1],
    // [250000, rebalanced].
    let rebalanced =
        steps.iter().filter(|s| s[1] == json!("rebalanced")).map(|s| s[0].as_u64().unwrap()).max().unwrap();
    let during =
        steps.iter().any(|s| s[1] == json!("delivered") && (50_000..rebalanced).contains(&s[0].as_u64().unwrap()));
    assert!(!during, "a delivery between the join at 50 ms and the rebalance at {rebalanced}: {steps:?}");
}

/// c0#1 (prefetch 2, reading log t0 and FIFO queue t1) finishes a log record marked by the
/// duplicate fault at 141.202 ms; in the same microsecond c0#2's ack frees key k1, and the
/// queue dispatch (scheduled before the duplicate's redelivery) hands c0#1 the next message,
/// which used to start processing since c0#1 had no current work while it waited for the
/// redelivery. The redelivery then started processing the log record over it: the queue
/// message was silently dropped, and the second completion found no work and panicked ("a
/// completing instance holds work", sim/consumer.rs `complete`). Now the pending second
/// delivery is work c0#1 holds: the message waits in its inbox (pinned precisely by
/// tests/scenarios/duplicate-held.json).
#[test]
fn duplicate_redelivery_does_not_overwrite_queue_work() {
    let value: Value = serde_json::from_str(r#"{"name": "generated-with-faults", "seed": 0, "duration": "1000ms", "topics": [{"kind": "log", "partitions": 1, "name": "t0"}, {"kind": "queue", "fifo": true, "name": "t1"}], "producers": [{"topic": "t0", "rate": 14, "arrival": "poisson", "start": "85ms", "events": [{"type": "A", "weight": 1, "data": {"total": {"uniform": [1, 100]}, "n": "{n}"}}], "keys": {"prefix": "k", "cardinality": 1, "distribution": "uniform"}, "name": "p0", "count": 3}], "events": [], "consumers": [{"name": "c0", "topics": ["t0", "t1"], "instances": 2, "processing": "10ms", "commit": "after", "from": "earliest", "start": "0ms", "prefetch": 2}, {"name": "c1", "topics": ["t0"], "instances": 1, "processing": "2ms", "commit": "after", "from": "earliest", "start": "0ms", "handles": {"*": {"emit": [{"topic": "t1", "type": "A", "data": {"cause": "{id}"}}]}}}], "faults": [{"at": "0ms", "duplicate": "t0", "probability": 1.0}]}"#).expect("JSON");
    let outcome = std::panic::catch_unwind(|| run(&value));
    assert!(outcome.is_ok(), "the run panicked");
}
