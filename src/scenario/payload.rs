//! How many bytes of payloads (data, headers) and key strings a run stores, estimated from
//! the templates before it runs, for the memory budget
//! ([`super::validate::estimate_memory`]).
//!
//! A payload is stored as compact JSON text, once per event made (a literal `data` once for
//! the whole run), so its size is about the length of its rendered text. A template's
//! rendered size is its text with each placeholder replaced by the largest value it can take:
//! `{key}` a key of the topic, `{data.PATH}` the whole data of the trigger (a path may
//! select all of it). Emits copy from their triggers, so the largest payload of each topic is
//! followed from producers and scripted events through the handlers until it settles; one
//! that still grows after [`ROUNDS`] rounds (an emit cycle that doubles its data at each hop)
//! grows without bound.

use indexmap::IndexMap;
use serde_json::Value;

use super::model::{Emit, Handler, Scenario};
use super::template::{Part, Placeholder, Site, StrTemplate};

/// Rounds of emits followed before a payload still growing is taken to grow without bound.
const ROUNDS: usize = 64;
/// What the 48 bytes a step already cover of an emitted event's payload and key (half of
/// it of a produced event's, whose key is drawn from a table): only the excess counts on
/// top. The measured 42 bytes a step of the busy benchmark include its small payloads.
const COVERED_BY_STEP: u64 = 64;
/// A payload this large (256 TiB) is taken as one without bound.
const UNBOUNDED: u64 = 1 << 48;
/// Bytes an interned key costs beside its text (its `Arc<str>`, the index's entry).
const KEY_OVERHEAD: u64 = 48;

/// The largest value each placeholder can take, in rendered bytes.
#[derive(Clone, Copy, Default)]
struct Holes {
    key: u64,
    data: u64,
}

fn placeholder_size(p: &Placeholder, holes: Holes) -> u64 {
    match p {
        Placeholder::Key => holes.key,
        Placeholder::Id => 40,
        Placeholder::Type | Placeholder::State(_) => 256,
        Placeholder::N => 20,
        Placeholder::Data(_) => holes.data,
    }
}

fn str_size(text: &str, holes: Holes) -> (u64, bool) {
    match StrTemplate::parse(text, Site::EmitWithFetch) {
        Ok(StrTemplate::Literal(_)) | Err(_) => (text.len() as u64 + 2, true),
        Ok(StrTemplate::Whole(p)) => (placeholder_size(&p, holes).saturating_add(2), false),
        Ok(StrTemplate::Parts(parts)) => {
            let size = parts.iter().fold(2u64, |sum, part| {
                sum.saturating_add(match part {
                    Part::Text(text) => text.len() as u64,
                    Part::Hole(p) => placeholder_size(p, holes),
                })
            });
            (size, false)
        }
    }
}

/// The rendered size of a `data` template and whether it is literal (stored once).
fn value_size(value: &Value, holes: Holes) -> (u64, bool) {
    match value {
        Value::Null => (4, true),
        Value::Bool(_) => (5, true),
        Value::Number(n) => (n.to_string().len() as u64, true),
        Value::String(text) => str_size(text, holes),
        Value::Array(items) => items.iter().fold((2, true), |(sum, literal), item| {
            let (size, lit) = value_size(item, holes);
            (sum.saturating_add(size).saturating_add(1), literal && lit)
        }),
        Value::Object(map) => {
            if map.len() == 1 {
                let (name, arg) = map.iter().next().expect("one entry");
                match name.as_str() {
                    // Integers as wide as the wider bound; a float's shortest form is at most 24.
                    "uniform" => {
                        let width = match arg.as_array().map(Vec::as_slice) {
                            Some([a, b]) if a.is_i64() && b.is_i64() => {
                                a.to_string().len().max(b.to_string().len()) as u64
                            }
                            _ => 24,
                        };
                        return (width, false);
                    }
                    "sequence" => return (20, false),
                    "choice" => {
                        let most = arg.as_array().into_iter().flatten().map(|v| value_size(v, holes).0).max();
                        return (most.unwrap_or(4), false);
                    }
                    _ => {}
                }
            }
            map.iter().fold((2, true), |(sum, literal), (key, item)| {
                let (size, lit) = value_size(item, holes);
                (sum.saturating_add(size).saturating_add(key.len() as u64 + 4), literal && lit)
            })
        }
    }
}

fn headers_size<'a>(headers: impl IntoIterator<Item = (&'a String, &'a String)>, holes: Holes) -> (u64, bool) {
    headers.into_iter().fold((2, true), |(sum, literal), (name, value)| {
        let (size, lit) = str_size(value, holes);
        (sum.saturating_add(size).saturating_add(name.len() as u64 + 4), literal && lit)
    })
}

/// What an emit stores per event: its data and headers, its key's length, and whether the
/// key is a new string each time (a template; the trigger's key or a literal one is
/// interned once).
fn emit_size(emit: &Emit, holes: Holes) -> (u64, u64, bool) {
    let data = emit.data.as_ref().map_or(0, |d| value_size(d, holes).0);
    let headers = headers_size(&emit.headers, holes).0;
    let (key, literal) = emit.key.as_deref().map_or((holes.key, true), |k| str_size(k, holes));
    (data.saturating_add(headers), key, !literal)
}

fn emits_of(handler: &Handler) -> impl Iterator<Item = &Emit> {
    let outcomes = handler.outcomes.iter().flatten().filter_map(|o| o.emit.as_ref()).flatten();
    handler.emit.iter().flatten().chain(outcomes)
}

/// The estimate: bytes stored for the events producers make, and per emitted event beyond
/// what a step's share covers (`u64::MAX`: grows without bound).
pub(super) struct PayloadEstimate {
    pub produced: u64,
    pub per_emitted: u64,
}

/// Estimates payload and key bytes; `events(p)` is the number of events producer `p` makes.
pub(super) fn estimate(s: &Scenario, events: impl Fn(usize) -> u64) -> PayloadEstimate {
    let topics: IndexMap<&str, usize> = s.topics.iter().enumerate().map(|(i, t)| (t.name.as_str(), i)).collect();
    // Per topic, the largest data and key an event on it carries.
    let mut data = vec![0u64; topics.len()];
    let mut keys = vec![0u64; topics.len()];
    let mut produced = 0u64;
    for (i, p) in s.producers.iter().enumerate() {
        let Some(&t) = topics.get(p.topic.as_str()) else { continue };
        let n = events(i);
        let key = p.keys.as_ref().map_or(0, |k| k.prefix.len() as u64 + 20);
        keys[t] = keys[t].max(key);
        let holes = Holes { key, data: 0 };
        let total: f64 = p.events.iter().map(|e| e.weight).filter(|w| w.is_finite() && *w > 0.0).sum();
        let mut per_event = 0.0f64;
        for e in &p.events {
            // A producer's `{data.PATH}` reads its own generated data.
            let own = e.data.as_ref().map_or((0, true), |d| value_size(d, holes));
            let (size, literal) = e.data.as_ref().map_or((0, true), |d| value_size(d, Holes { key, data: own.0 }));
            let (headers, literal_headers) = headers_size(&e.headers, Holes { key, data: size });
            data[t] = data[t].max(size);
            let stored = if literal { 0 } else { size } + if literal_headers { 0 } else { headers };
            let stored = stored.saturating_sub(COVERED_BY_STEP / 2);
            if total > 0.0 && e.weight.is_finite() && e.weight > 0.0 {
                per_event += stored as f64 * e.weight / total;
            }
        }
        let distinct_keys = p.keys.as_ref().map_or(0, |k| k.cardinality.min(n));
        let bytes = (per_event * n as f64).min(u64::MAX as f64) as u64;
        produced = produced
            .saturating_add(bytes)
            .saturating_add(distinct_keys.saturating_mul(key.saturating_add(KEY_OVERHEAD)));
    }
    for e in &s.events {
        let Some(&t) = topics.get(e.topic.as_str()) else { continue };
        data[t] = data[t].max(e.data.as_ref().map_or(0, |d| value_size(d, Holes::default()).0));
        keys[t] = keys[t].max(e.key.as_ref().map_or(0, |k| k.len() as u64));
    }
    // Follow emits until the largest payload of every topic settles.
    let mut settled = false;
    for _ in 0..ROUNDS {
        let mut changed = false;
        for c in &s.consumers {
            for read in c.topics.iter().filter_map(|name| topics.get(name.as_str()).copied()) {
                let holes = Holes { key: keys[read], data: data[read] };
                for emit in c.handles.values().flat_map(emits_of) {
                    let Some(&t) = topics.get(emit.topic.as_str()) else { continue };
                    let (size, key, _) = emit_size(emit, holes);
                    if size > data[t] || key > keys[t] {
                        data[t] = data[t].max(size);
                        keys[t] = keys[t].max(key);
                        changed = true;
                    }
                }
            }
        }
        // A bus routes the very event (no new payload): its targets carry what it carries.
        for t in s.topics.iter().filter_map(|t| t.rules.as_ref().map(|r| (t, r))) {
            let from = topics[t.0.name.as_str()];
            for target in t.1.iter().flat_map(|r| &r.targets).filter_map(|n| topics.get(n.as_str()).copied()) {
                if data[from] > data[target] || keys[from] > keys[target] {
                    data[target] = data[target].max(data[from]);
                    keys[target] = keys[target].max(keys[from]);
                    changed = true;
                }
            }
        }
        if !changed {
            settled = true;
            break;
        }
    }
    // Sizes saturate: one past any memory is as unbounded as one still growing.
    if !settled || data.iter().chain(&keys).any(|&size| size >= UNBOUNDED) {
        return PayloadEstimate { produced, per_emitted: u64::MAX };
    }
    let mut per_emitted = 0u64;
    for c in &s.consumers {
        for read in c.topics.iter().filter_map(|name| topics.get(name.as_str()).copied()) {
            let holes = Holes { key: keys[read], data: data[read] };
            for emit in c.handles.values().flat_map(emits_of) {
                let (size, key, new_key) = emit_size(emit, holes);
                let key = if new_key { key.saturating_add(KEY_OVERHEAD) } else { 0 };
                let stored = size.saturating_add(key);
                per_emitted = per_emitted.max(stored.saturating_sub(COVERED_BY_STEP));
            }
        }
    }
    PayloadEstimate { produced, per_emitted }
}
