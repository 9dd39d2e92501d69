//! The first step where two traces part, compared by their lines as the trace's JSON Lines
//! render them (numbers aside, lesson notes left out).
//!
//! Rendering every step of two long runs costs more than running them (busy-shop's 2.7
//! million steps took half a minute), so a step pair is first held to a cheaper test that
//! can only prove two lines alike: the same raw step, in two runs whose names agree (topics,
//! groups, instances, aggregates, rules), about events that render alike. Only a pair it
//! cannot prove alike is rendered and compared line to line, so the answer is always the
//! rendered comparison's. The test covers what [`crate::trace::jsonl::step_json`] reads: a
//! field that comes to read another table must be added to it.

use serde_json::{Map, Value};

use super::{Side, StepDiff};
use crate::trace::jsonl::{Namer, step_json};
use crate::trace::{EventIdx, Step, StepKind};

/// The first step whose line differs (its number aside), or where one trace goes on after
/// the other ends; notes left out.
pub(super) fn first_difference(a: Side<'_>, b: Side<'_>) -> Option<StepDiff> {
    let mut quick = Quick::new(a, b);
    let (na, nb) = (Namer { model: a.model, trace: a.trace }, Namer { model: b.model, trace: b.trace });
    let (mut sa, mut sb) = (steps(a), steps(b));
    loop {
        let (la, lb) = match (sa.next(), sb.next()) {
            (None, None) => return None,
            (Some((_, x)), Some((_, y))) if quick.surely_same(x, y) => continue,
            (x, y) => (x.map(|(n, s)| step_json(&na, n, s)), y.map(|(n, s)| step_json(&nb, n, s))),
        };
        let empty = Map::new();
        let (ma, mb) = (la.as_ref().unwrap_or(&empty), lb.as_ref().unwrap_or(&empty));
        if la.is_some() && lb.is_some() && same_line(ma, mb) {
            continue;
        }
        let mut fields: Vec<String> =
            ma.iter().filter(|&(k, v)| k != "step" && mb.get(k) != Some(v)).map(|(k, _)| k.clone()).collect();
        fields.extend(mb.keys().filter(|&k| k != "step" && !ma.contains_key(k)).cloned());
        return Some(StepDiff { fields, a: la, b: lb });
    }
}

/// A trace's steps but its notes, each with its number.
fn steps(side: Side<'_>) -> impl Iterator<Item = (u64, &Step)> {
    side.trace.steps.iter().enumerate().filter(|(_, s)| s.kind != StepKind::Note).map(|(i, s)| (i as u64 + 1, s))
}

/// Whether two steps' lines say the same, their numbers aside.
fn same_line(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len() && a.iter().all(|(k, v)| k == "step" || b.get(k) == Some(v))
}

/// What an event proved so far: unknown, alike on both sides, or not proved alike.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Proof {
    Unknown,
    Alike,
    NotProved,
}

/// The cheap test: proves two steps' lines alike, or gives up.
struct Quick<'a> {
    a: Side<'a>,
    b: Side<'a>,
    /// The two runs name their indices alike (topics, groups, instances, aggregates,
    /// rules): a raw index means the same name on both sides.
    names_agree: bool,
    /// By event index (the same on both sides, as the raw steps are equal).
    events: Vec<Proof>,
}

impl<'a> Quick<'a> {
    fn new(a: Side<'a>, b: Side<'a>) -> Self {
        let (ma, mb) = (a.model, b.model);
        let topics = ma.topics.len() == mb.topics.len()
            && ma.topics.iter().zip(&mb.topics).all(|(x, y)| {
                x.name == y.name
                    && x.kind == y.kind
                    && x.rules.len() == y.rules.len()
                    && x.rules.iter().zip(&y.rules).all(|(r, s)| r.name == s.name)
            });
        let groups = ma.groups.len() == mb.groups.len()
            && ma.groups.iter().zip(&mb.groups).all(|(x, y)| x.name == y.name && x.consumer == y.consumer);
        let aggregates = ma.aggregates.len() == mb.aggregates.len()
            && ma.aggregates.iter().zip(&mb.aggregates).all(|(x, y)| x.name == y.name);
        let instances = a.trace.instances == b.trace.instances;
        let events = vec![Proof::Unknown; a.trace.events.len().min(b.trace.events.len())];
        Quick { a, b, names_agree: topics && groups && aggregates && instances, events }
    }

    /// Whether the two steps' lines are surely alike (`false`: not proved, not different).
    fn surely_same(&mut self, x: &Step, y: &Step) -> bool {
        if !self.names_agree || x != y {
            return false;
        }
        // A rebalance's assignment is a table of its own (by instance and topic index).
        if x.kind == StepKind::Rebalanced {
            let (ta, tb) = (&self.a.trace.assignments, &self.b.trace.assignments);
            if ta.get(x.table_index()).is_none() || ta.get(x.table_index()) != tb.get(y.table_index()) {
                return false;
            }
        }
        x.event.is_none_or(|e| self.event_alike(e))
    }

    fn event_alike(&mut self, event: EventIdx) -> bool {
        let Some(&proof) = self.events.get(event.index()) else { return false };
        if proof == Proof::Unknown {
            let alike = self.render_alike(event);
            self.events[event.index()] = if alike { Proof::Alike } else { Proof::NotProved };
            return alike;
        }
        proof == Proof::Alike
    }

    /// Whether event `event` renders alike on both sides: its id, type, key, source,
    /// correlation and causation ids, schema version, first topic, headers and data.
    fn render_alike(&self, event: EventIdx) -> bool {
        let (ta, tb) = (self.a.trace, self.b.trace);
        let (x, y) = (ta.event(event), tb.event(event));
        let (sa, sb) = (&ta.strings, &tb.strings);
        let id = |e: Option<EventIdx>, t: &crate::trace::Trace| e.map(|e| t.event(e).id.render(&t.strings));
        x.id.render(sa) == y.id.render(sb)
            && sa.resolve(x.event_type) == sb.resolve(y.event_type)
            && x.key.map(|k| sa.resolve(k)) == y.key.map(|k| sb.resolve(k))
            && sa.resolve(x.source) == sb.resolve(y.source)
            && x.correlation.render(sa) == y.correlation.render(sb)
            && x.schema_version == y.schema_version
            && x.topic == y.topic
            && headers(ta, x.headers) == headers(tb, y.headers)
            && ta.payloads.text(x.data) == tb.payloads.text(y.data)
            && id(x.cause, ta) == id(y.cause, tb)
    }
}

/// Headers as text: none renders as the empty object, as a trace read back stores them.
fn headers(trace: &crate::trace::Trace, span: crate::trace::Span) -> &str {
    match trace.payloads.text(span) {
        "null" => "{}",
        text => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::source::{Request, compute};
    use crate::scenario::limits::Limits;

    /// The rendered comparison alone, every step rendered.
    fn slow(a: Side<'_>, b: Side<'_>) -> Option<StepDiff> {
        let lines = |side: Side<'_>| -> Vec<Map<String, Value>> {
            let namer = Namer { model: side.model, trace: side.trace };
            let steps = side.trace.steps.iter().enumerate().filter(|(_, s)| s.kind != StepKind::Note);
            steps.map(|(i, s)| step_json(&namer, i as u64 + 1, s)).collect()
        };
        let (la, lb) = (lines(a), lines(b));
        (0..la.len().max(lb.len())).find_map(|i| {
            let (x, y) = (la.get(i), lb.get(i));
            let alike = matches!((x, y), (Some(x), Some(y)) if same_line(x, y));
            (!alike).then(|| StepDiff { fields: Vec::new(), a: x.cloned(), b: y.cloned() })
        })
    }

    #[test]
    fn the_quick_test_never_changes_the_answer() {
        // Every lesson against itself, another seed, and each of its variants (runs whose
        // names agree, and runs whose names do not).
        let limits = Limits::default();
        for lesson in crate::lessons::LESSONS {
            let run = |seed: Option<u64>, variant: Option<&str>| {
                compute(&Request { target: lesson.name, seed, variant }, &limits).expect("computes").0
            };
            let base = run(None, None);
            let scenario = crate::scenario::load::load_str(lesson.source, "t", &limits).expect("loads");
            let mut others = vec![run(None, None), run(Some(7), None)];
            others.extend(scenario.variants.iter().map(|v| run(None, Some(&v.name))));
            // And the run read back from its trace (other string and payload tables).
            let a = Side::of("a", &base.run);
            let mut bytes = Vec::new();
            crate::trace::jsonl::write(&mut bytes, a.model, a.trace, true).expect("writes");
            let recorded = crate::trace::read::read(bytes.as_slice(), "t.jsonl").expect("reads back");
            let replayed = crate::run::source::Computed::Replay(Box::new(crate::run::replay(recorded)));
            for other in others.iter().map(|o| &o.run).chain([&replayed]) {
                let b = Side::of("b", other);
                let (quick, slow) = (first_difference(a, b), slow(a, b));
                assert_eq!(
                    quick.as_ref().map(|d| (&d.a, &d.b)),
                    slow.as_ref().map(|d| (&d.a, &d.b)),
                    "{}",
                    lesson.name
                );
            }
            assert!(first_difference(a, Side::of("b", &replayed)).is_none(), "{}: a run equals its trace", lesson.name);
        }
    }
}
