//! Properties of the event-driven patterns over generated scenarios: folds, snapshots and
//! read models.

use eventlab::scenario::load::{Limits, load_str};
use eventlab::trace::StepKind;
use proptest::prelude::*;
use serde_json::{Value, json};

const MAX_STEPS: u64 = 10_000_000;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() }
}

fn run(value: &Value) -> eventlab::run::Outcome {
    let text = serde_json::to_string_pretty(value).expect("serializes");
    let scenario = load_str(&text, "generated", &Limits::default())
        .unwrap_or_else(|e| panic!("generated scenario is invalid: {e}\n{text}"));
    eventlab::run::run(scenario, None, MAX_STEPS).expect("runs")
}

/// A bank of accounts on a log: deposits, withdrawals, renames and noise from a producer
/// (with lost acknowledgements, so some events are appended twice) and scripted events;
/// a projector that may get duplicates.
fn bank() -> impl Strategy<Value = Value> {
    (1u32..=3, 1u64..=6, 1u64..=5, 1u32..=40, 0.0f64..0.3, any::<bool>(), 0.0f64..0.5, 0u64..=3).prop_map(
        |(partitions, keys, snapshot_every, rate, retries, idempotent, duplicate, scripted)| {
            let events: Vec<Value> = (0..scripted)
                .map(|i| {
                    json!({"at": format!("{}ms", 100 * i + 7), "topic": "accounts", "type": "Renamed",
                                "key": format!("acct-{}", i + 1), "data": {"owner": format!("o{i}")}})
                })
                .collect();
            json!({
                "name": "generated bank", "seed": u64::from(rate) * 31 + keys, "duration": "1s",
                "topics": [{"name": "accounts", "partitions": partitions}],
                "producers": [{"name": "tellers", "topic": "accounts", "rate": rate, "retry_duplicates": retries,
                    "keys": {"prefix": "acct-", "cardinality": keys},
                    "events": [
                        {"type": "Deposited", "weight": 3, "data": {"amount": {"uniform": [1, 100]}}},
                        {"type": "Withdrawn", "weight": 2, "data": {"amount": {"uniform": [1, 50]}}},
                        {"type": "Renamed", "data": {"owner": {"choice": ["ann", "bob", "cy"]}}},
                        {"type": "Noise", "data": {"amount": 1000}}]}],
                "events": events,
                "consumers": [{"name": "view", "topics": ["accounts"], "processing": "3ms",
                               "project": "Account", "idempotent": idempotent}],
                "faults": [{"at": "0ms", "duplicate": "accounts", "probability": duplicate}],
                "aggregates": [{"name": "Account", "topic": "accounts", "initial": {"balance": 0},
                    "apply": {"Deposited": {"balance": {"add": "data.amount"}, "ops": {"inc": 1}},
                              "Withdrawn": {"balance": {"sub": "data.amount"}, "ops": {"inc": 1}},
                              "Renamed": {"owner": {"set": "data.owner"}, "status": {"set": "renamed"}}},
                    "snapshot_every": snapshot_every}]
            })
        },
    )
}

proptest! {
    #![proptest_config(config())]

    /// Rebuilding a key from its last snapshot and the events after it gives the full fold;
    /// both equal the write side, and the balance is the sum of the appended deposits less
    /// the withdrawals (counted independently from the trace).
    #[test]
    fn snapshot_plus_events_equals_the_full_fold(value in bank()) {
        let outcome = run(&value);
        let trace = outcome.sim.trace();
        let analysis = &outcome.analysis;
        let side = analysis.write_side(0);
        for &key in side.store.keys() {
            let full = analysis.rebuild(trace, 0, key, false).expect("a key with state");
            let quick = analysis.rebuild(trace, 0, key, true).expect("a key with state");
            let (state, version) = analysis.aggregate_state(0, key).expect("state");
            prop_assert_eq!(&full.state, &state);
            prop_assert_eq!(&quick.state, &state);
            prop_assert_eq!(full.version, version);
            prop_assert_eq!(quick.version, version);
            prop_assert_eq!(full.steps.len() as u32, version);
            prop_assert_eq!(quick.start_version + quick.steps.len() as u32, version);
            let every = value["aggregates"][0]["snapshot_every"].as_u64().unwrap() as u32;
            prop_assert_eq!(quick.start_version, version / every * every);
            // Independently: appends (publishes to the log) of this key.
            let (mut balance, mut applied) = (0i64, 0u32);
            for step in trace.steps.iter().filter(|s| s.kind == StepKind::Published) {
                let e = trace.event_of(step);
                if e.key != Some(key) {
                    continue;
                }
                let data = trace.payloads.value(e.data);
                match trace.strings.resolve(e.event_type) {
                    "Deposited" => balance += data["amount"].as_i64().unwrap(),
                    "Withdrawn" => balance -= data["amount"].as_i64().unwrap(),
                    "Renamed" => {}
                    _ => continue,
                }
                applied += 1;
            }
            prop_assert_eq!(applied, version);
            prop_assert_eq!(state.get("balance").and_then(Value::as_i64), Some(balance));
        }
    }

    /// A read model mismatches exactly where its consumer applied an event twice or out of
    /// order: an idempotent projector of a log never mismatches, and every mismatch is
    /// counted in `read_model_mismatches`.
    #[test]
    fn read_models_mismatch_only_after_duplicates(value in bank()) {
        let outcome = run(&value);
        let trace = outcome.sim.trace();
        let analysis = &outcome.analysis;
        let read = analysis.read_side(0).expect("a projector");
        let mismatched = read.read.keys().iter().enumerate().filter(|(slot, _)| read.diverged(*slot)).count() as u64;
        prop_assert_eq!(mismatched, analysis.group(0).read_model_mismatches);
        let duplicates = analysis.group(0).duplicate_effects;
        if duplicates == 0 {
            prop_assert_eq!(mismatched, 0);
            // Without duplicates, the read model is the write side less what it has not read yet.
            for &key in read.read.keys() {
                let s = analysis.staleness(trace, 0, key).expect("state on both sides");
                prop_assert_eq!(s.behind_versions, s.write_version - s.read_version);
            }
        }
        if value["consumers"][0]["idempotent"] == json!(true) {
            prop_assert_eq!(mismatched, 0);
        }
    }
}

/// An event on the bus: (type, source, key, total, tags, channel).
type BusEvent = (String, String, Option<String>, Option<i64>, Option<Vec<String>>, Option<String>);

fn bus_event() -> impl Strategy<Value = BusEvent> {
    (
        prop_oneof![Just("OrderCreated"), Just("OrderCancelled"), Just("Paid")],
        prop_oneof![Just("web"), Just("mobile")],
        proptest::option::of(prop_oneof![Just("o-1"), Just("x-2")]),
        proptest::option::of(0i64..=200),
        proptest::option::of(proptest::collection::vec(prop_oneof![Just("vip"), Just("eu"), Just("us")], 0..=2)),
        proptest::option::of(prop_oneof![Just("mobile"), Just("web")]),
    )
        .prop_map(|(t, s, k, total, tags, channel)| {
            (
                t.to_owned(),
                s.to_owned(),
                k.map(str::to_owned),
                total,
                tags.map(|v| v.into_iter().map(str::to_owned).collect()),
                channel.map(str::to_owned),
            )
        })
}

/// One pattern entry for a path, as JSON.
fn bus_entry() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        Just(("type".to_owned(), json!(["OrderCreated"]))),
        Just(("type".to_owned(), json!([{"prefix": "Order"}]))),
        Just(("type".to_owned(), json!([{"anything-but": ["Paid", "OrderCancelled"]}]))),
        Just(("source".to_owned(), json!(["mobile"]))),
        Just(("key".to_owned(), json!([{"exists": true}]))),
        Just(("key".to_owned(), json!([{"exists": false}, "o-1"]))),
        (0i64..=200).prop_map(|n| ("data.total".to_owned(), json!([{"numeric": [">=", n]}]))),
        (0i64..=200, 0i64..=200).prop_map(|(a, b)| ("data.total".to_owned(), json!([{"numeric": [">", a, "<=", b]}]))),
        Just(("data.total".to_owned(), json!([{"exists": false}]))),
        Just(("data.tags".to_owned(), json!(["vip"]))),
        Just(("data.tags".to_owned(), json!([{"anything-but": ["eu"]}]))),
        Just(("headers.channel".to_owned(), json!([{"exists": false}, "web"]))),
    ]
}

/// Independent evaluation of one generated entry on one generated event.
fn entry_matches(path: &str, entries: &Value, e: &BusEvent) -> bool {
    let (ty, source, key, total, tags, channel) = e;
    let value: Option<Value> = match path {
        "type" => Some(json!(ty)),
        "source" => Some(json!(source)),
        "key" => key.as_ref().map(|k| json!(k)),
        "data.total" => total.map(|t| json!(t)),
        "data.tags" => tags.as_ref().map(|t| json!(t)),
        _ => channel.as_ref().map(|c| json!(c)),
    };
    let one = |entry: &Value, v: &Value| -> bool {
        if let Some(p) = entry.get("prefix") {
            return v.as_str().is_some_and(|s| s.starts_with(p.as_str().unwrap()));
        }
        if let Some(list) = entry.get("anything-but") {
            return !list.as_array().unwrap().contains(v);
        }
        if let Some(ops) = entry.get("numeric") {
            let Some(x) = v.as_i64() else { return false };
            return ops.as_array().unwrap().chunks(2).all(|p| {
                let n = p[1].as_i64().unwrap();
                match p[0].as_str().unwrap() {
                    ">" => x > n,
                    ">=" => x >= n,
                    "<=" => x <= n,
                    _ => unreachable!(),
                }
            });
        }
        entry == v
    };
    entries.as_array().unwrap().iter().any(|entry| match (entry.get("exists"), &value) {
        (Some(exists), v) => exists.as_bool().unwrap() == v.is_some(),
        (None, None) => false,
        (None, Some(Value::Array(items))) => items.iter().any(|item| one(entry, item)),
        (None, Some(v)) => one(entry, v),
    })
}

proptest! {
    #![proptest_config(config())]

    /// Every bus event is routed once per matching rule and target, or is unrouted; the counts
    /// equal an independent evaluation of the patterns.
    #[test]
    fn routing_counts_follow_the_patterns(
        events in proptest::collection::vec(bus_event(), 1..=30),
        rules in proptest::collection::vec((proptest::collection::vec(bus_entry(), 1..=2), 1usize..=2), 1..=3),
    ) {
        let rules_json: Vec<Value> = rules
            .iter()
            .enumerate()
            .map(|(i, (entries, targets))| {
                let pattern: serde_json::Map<String, Value> = entries.iter().cloned().collect();
                let targets = &["q1", "q2"][..*targets];
                json!({"name": format!("r{i}"), "match": pattern, "targets": targets})
            })
            .collect();
        let scripted: Vec<Value> = events
            .iter()
            .enumerate()
            .map(|(i, (ty, source, key, total, tags, channel))| {
                let mut data = serde_json::Map::new();
                if let Some(t) = total { data.insert("total".into(), json!(t)); }
                if let Some(t) = tags { data.insert("tags".into(), json!(t)); }
                let mut e = json!({"at": format!("{i}ms"), "topic": "bus", "type": ty, "source": source, "data": data});
                if let Some(k) = key { e["key"] = json!(k); }
                if let Some(c) = channel { e["headers"] = json!({"channel": c}); }
                e
            })
            .collect();
        let value = json!({"name": "generated bus", "duration": "1s",
            "topics": [{"name": "bus", "kind": "bus", "rules": rules_json}, {"name": "q1", "kind": "queue"}, {"name": "q2"}],
            "events": scripted});
        let outcome = run(&value);
        let trace = outcome.sim.trace();
        let mut unrouted = 0;
        for (i, (entries, targets)) in rules.iter().enumerate() {
            // The pattern as the file has it: a later entry for the same path replaces an earlier one.
            let pattern: serde_json::Map<String, Value> = entries.iter().cloned().collect();
            let expected = events.iter().filter(|e| pattern.iter().all(|(p, v)| entry_matches(p, v, e))).count() * targets;
            prop_assert_eq!(outcome.analysis.routed_by_rule(0, i), expected as u64, "rule {}", i);
            let counted = trace.steps.iter().filter(|s| s.kind == StepKind::Routed && s.aux as usize == i).count();
            prop_assert_eq!(counted, expected);
        }
        for e in &events {
            let any = rules.iter().any(|(entries, _)| {
                let pattern: serde_json::Map<String, Value> = entries.iter().cloned().collect();
                pattern.iter().all(|(p, v)| entry_matches(p, v, e))
            });
            unrouted += u64::from(!any);
        }
        prop_assert_eq!(outcome.analysis.metric(eventlab::scenario::model::Metric::Unrouted, None), unrouted);
        prop_assert_eq!(outcome.analysis.published(), events.len() as u64);
    }
}
