//! Event-sourced state derived from the trace: each aggregate's write side (folded from its
//! log as events are appended, with snapshots), each projector's read model (folded from its
//! effects), the reference a read model is checked against, staleness, and rebuilds.

use serde_json::Value;

use super::{Analysis, FindingClass};
use crate::fold::{Cell, Rules, Store, same_row};
use crate::model::Model;
use crate::trace::{EventIdx, GroupIdx, Partition, Step, StepKind, Sym, TopicIdx, Trace};

/// An aggregate's write side: per key the state, version, last append and last snapshot.
#[derive(Clone, Debug)]
pub struct WriteSide {
    pub store: Store,
    /// Per slot: the partition of the key's events.
    partition: Vec<Partition>,
    /// Per slot: the time of the first and of the last applied append.
    first_time: Vec<u64>,
    last_time: Vec<u64>,
    /// Per slot: the last snapshot (initial state at version 0 until the first).
    snapshot_cells: Vec<Cell>,
    snapshot_version: Vec<u32>,
    /// Per slot: the partition offset after the snapshot's last event.
    snapshot_offset: Vec<u32>,
    width: usize,
}

impl WriteSide {
    fn new(rules: &Rules) -> Self {
        WriteSide {
            store: Store::new(rules),
            partition: Vec::new(),
            first_time: Vec::new(),
            last_time: Vec::new(),
            snapshot_cells: Vec::new(),
            snapshot_version: Vec::new(),
            snapshot_offset: Vec::new(),
            width: rules.fields.len(),
        }
    }

    pub fn heap_bytes(&self) -> usize {
        use super::vec_bytes;
        self.store.heap_bytes()
            + vec_bytes(&self.partition)
            + vec_bytes(&self.first_time)
            + vec_bytes(&self.last_time)
            + vec_bytes(&self.snapshot_cells)
            + vec_bytes(&self.snapshot_version)
            + vec_bytes(&self.snapshot_offset)
    }

    pub fn partition(&self, slot: usize) -> Partition {
        self.partition[slot]
    }

    pub fn last_time(&self, slot: usize) -> u64 {
        self.last_time[slot]
    }

    pub fn first_time(&self, slot: usize) -> u64 {
        self.first_time[slot]
    }

    /// The last snapshot of a key: (state row, version, partition offset after it); version
    /// 0 means none was taken yet (the initial state).
    pub fn snapshot(&self, slot: usize) -> (&[Cell], u32, u32) {
        (
            &self.snapshot_cells[slot * self.width..(slot + 1) * self.width],
            self.snapshot_version[slot],
            self.snapshot_offset[slot],
        )
    }
}

/// A projector's read model, and the reference it should equal: the fold, in publish
/// (offset) order, of the distinct events it had an effect for.
#[derive(Clone, Debug)]
pub struct ReadSide {
    pub aggregate: usize,
    pub read: Store,
    reference: Store,
    /// Per slot: the first and the last event (index, i.e. publish order) in the reference.
    ref_first: Vec<Option<EventIdx>>,
    ref_last: Vec<Option<EventIdx>>,
    /// Per slot: whether the read model differs from the reference now.
    diverged: Vec<bool>,
    pub mismatches: u64,
    /// Per slot: the time it last applied an event.
    last_applied: Vec<u64>,
}

impl ReadSide {
    pub fn heap_bytes(&self) -> usize {
        use super::vec_bytes;
        self.read.heap_bytes()
            + self.reference.heap_bytes()
            + vec_bytes(&self.ref_first)
            + vec_bytes(&self.ref_last)
            + vec_bytes(&self.diverged)
            + vec_bytes(&self.last_applied)
    }

    /// Distinct events the read model has applied for the key (its version as the write
    /// side counts versions).
    pub fn distinct_applied(&self, slot: usize) -> u32 {
        self.reference.version(slot)
    }

    pub fn diverged(&self, slot: usize) -> bool {
        self.diverged[slot]
    }

    pub fn last_applied(&self, slot: usize) -> u64 {
        self.last_applied[slot]
    }

    /// The fold of the distinct events it had an effect for: what the read model should be.
    pub fn reference_row(&self, slot: usize) -> &[Cell] {
        self.reference.row(slot)
    }
}

/// How far a read model is behind the write side, for one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Staleness {
    pub write_version: u32,
    /// Distinct events the read model applied.
    pub read_version: u32,
    pub behind_versions: u32,
    /// Time since the oldest write-side version the read model lacks was appended (0 when
    /// caught up).
    pub behind_us: u64,
}

/// One step of a rebuild: the event applied, its offset, and the state after it.
#[derive(Clone, Debug)]
pub struct FoldStep {
    pub event: EventIdx,
    pub offset: u32,
    pub version: u32,
    pub state: Value,
}

/// A key's state rebuilt from its log: from the initial state, or from the last snapshot.
#[derive(Clone, Debug)]
pub struct Rebuild {
    pub start: Value,
    pub start_version: u32,
    /// The partition offset the replay starts at.
    pub start_offset: u32,
    pub partition: Partition,
    pub steps: Vec<FoldStep>,
    pub state: Value,
    pub version: u32,
}

pub(super) fn write_sides(model: &Model) -> Vec<WriteSide> {
    model.aggregates.iter().map(|a| WriteSide::new(&a.rules)).collect()
}

pub(super) fn read_sides(model: &Model) -> Vec<Option<ReadSide>> {
    model
        .projects
        .iter()
        .map(|p| {
            p.map(|a| {
                let rules = &model.aggregates[usize::from(a)].rules;
                ReadSide {
                    aggregate: usize::from(a),
                    read: Store::new(rules),
                    reference: Store::new(rules),
                    ref_first: Vec::new(),
                    ref_last: Vec::new(),
                    diverged: Vec::new(),
                    mismatches: 0,
                    last_applied: Vec::new(),
                }
            })
        })
        .collect()
}

/// The data a fold reads from an event (`Null` when its rules read none).
fn fold_data(trace: &Trace, rules: &Rules, event: EventIdx) -> Value {
    let e = trace.event(event);
    if rules.reads_data(e.event_type) { trace.payloads.value(e.data) } else { Value::Null }
}

impl Analysis {
    /// An event appended to a log topic at `offset` of `partition` (a publish or a routed
    /// copy): every aggregate of the topic folds it.
    pub(super) fn fold_append(
        &mut self,
        trace: &Trace,
        topic: TopicIdx,
        partition: Partition,
        offset: u32,
        event: EventIdx,
        t: u64,
    ) {
        let model = std::sync::Arc::clone(&self.model);
        for &a in &model.topics[usize::from(topic)].aggregates {
            let am = &model.aggregates[usize::from(a)];
            let e = trace.event(event);
            let Some(key) = e.key else { continue };
            if !am.rules.applies(e.event_type) {
                continue;
            }
            let data = fold_data(trace, &am.rules, event);
            let side = &mut self.aggregates[usize::from(a)];
            let new = side.store.slot(key).is_none();
            let version = side.store.apply(&am.rules, key, e.event_type, &data).expect("applied");
            let slot = side.store.slot(key).expect("made");
            if new {
                side.partition.push(partition);
                side.first_time.push(t);
                side.last_time.push(t);
                side.snapshot_cells.extend_from_slice(&am.rules.initial);
                side.snapshot_version.push(0);
                side.snapshot_offset.push(0);
            }
            side.last_time[slot] = t;
            if am.snapshot_every > 0 && version % am.snapshot_every == 0 {
                let w = side.width;
                let row = side.store.row(slot).to_vec();
                side.snapshot_cells[slot * w..(slot + 1) * w].clone_from_slice(&row);
                side.snapshot_version[slot] = version;
                side.snapshot_offset[slot] = offset + 1;
            }
        }
    }

    /// An effect of a projector's group: its read model applies the event; on the event's
    /// first effect the reference does too.
    pub(super) fn project(&mut self, trace: &Trace, group: usize, step: &Step, first: bool, index: usize) {
        let event = step.event_idx();
        let model = std::sync::Arc::clone(&self.model);
        let Some(side) = self.read_models[group].as_mut() else { return };
        let rules = &model.aggregates[side.aggregate].rules;
        let e = trace.event(event);
        let Some(key) = e.key else { return };
        if !rules.applies(e.event_type) {
            return;
        }
        let data = self.effect_data(trace, group, event, rules);
        let side = self.read_models[group].as_mut().expect("checked");
        let new = side.read.slot(key).is_none();
        side.read.apply(rules, key, e.event_type, &data);
        let slot = side.read.slot_or_insert(rules, key);
        if new {
            side.reference.slot_or_insert(rules, key);
            side.ref_first.push(None);
            side.ref_last.push(None);
            side.diverged.push(false);
            side.last_applied.push(0);
        }
        side.last_applied[slot] = step.t_us;
        if first {
            if side.ref_last[slot].is_none_or(|last| event > last) {
                side.reference.apply(rules, key, e.event_type, &data);
                side.ref_last[slot] = Some(event);
                side.ref_first[slot].get_or_insert(event);
            } else {
                // Applied out of publish order: the reference is refolded in order.
                let from = side.ref_first[slot].map_or(event, |first| first.min(event));
                side.ref_first[slot] = Some(from);
                let to = side.ref_last[slot].expect("set with the first");
                let effected = &self.groups[group].effected;
                let mut row = rules.initial.clone();
                let mut version = 0;
                for idx in (from.index()..=to.index()).map(EventIdx::new) {
                    let other = trace.event(idx);
                    if other.key == Some(key) && rules.applies(other.event_type) && effected.contains(other.id) {
                        let data = if idx == event { data.clone() } else { fold_data(trace, rules, idx) };
                        rules.apply(&mut row, other.event_type, &data);
                        version += 1;
                    }
                }
                side.reference.row_mut(slot).clone_from_slice(&row);
                side.reference.set_version(slot, version);
            }
        }
        let differs = !same_row(side.read.row(slot), side.reference.row(slot));
        if differs != side.diverged[slot] {
            side.diverged[slot] = differs;
            if differs {
                side.mismatches += 1;
                self.groups[group].metrics.read_model_mismatches += 1;
                self.find(FindingClass::ReadModelMismatch, event, GroupIdx::new(group), index);
            } else {
                side.mismatches -= 1;
                self.groups[group].metrics.read_model_mismatches -= 1;
            }
        }
    }

    /// The data a group's handler sees for an event (after its upcasters), as the fold
    /// reads it.
    fn effect_data(&self, trace: &Trace, group: usize, event: EventIdx, rules: &Rules) -> Value {
        let gm = &self.model.groups[group];
        let e = trace.event(event);
        if !gm.upcasts_type(e.event_type) {
            return fold_data(trace, rules, event);
        }
        let mut data = trace.payloads.value(e.data);
        gm.upcast_data(e.event_type, e.schema_version, &mut data);
        data
    }

    /// Each aggregate's write side, by aggregate index.
    pub fn write_side(&self, aggregate: usize) -> &WriteSide {
        &self.aggregates[aggregate]
    }

    /// A group's read model, if its consumer projects an aggregate.
    pub fn read_side(&self, group: usize) -> Option<&ReadSide> {
        self.read_models.get(group).and_then(Option::as_ref)
    }

    /// An aggregate's write-side state of a key, and its version.
    pub fn aggregate_state(&self, aggregate: usize, key: Sym) -> Option<(Value, u32)> {
        self.aggregates[aggregate].store.state(&self.model.aggregates[aggregate].rules, key)
    }

    /// A projector's read model of a key.
    pub fn read_model_state(&self, group: usize, key: Sym) -> Option<Value> {
        let side = self.read_side(group)?;
        side.read.state(&self.model.aggregates[side.aggregate].rules, key).map(|(v, _)| v)
    }

    /// How far a group's read model is behind the write side for a key.
    pub fn staleness(&self, trace: &Trace, group: usize, key: Sym) -> Option<Staleness> {
        let side = self.read_side(group)?;
        let write = &self.aggregates[side.aggregate];
        let wslot = write.store.slot(key)?;
        let write_version = write.store.version(wslot);
        let read_version = side.read.slot(key).map_or(0, |s| side.distinct_applied(s));
        let behind_versions = write_version.saturating_sub(read_version);
        let mut behind_us = 0;
        if behind_versions > 0 {
            // The oldest version it lacks: walk the key's partition back from its end.
            let am = &self.model.aggregates[side.aggregate];
            let log = &self.logs[am.topic.index()][usize::from(write.partition(wslot))];
            let mut seen = 0;
            for (_, idx) in log.records_from(0).rev() {
                let e = trace.event(idx);
                if e.key == Some(key) && am.rules.applies(e.event_type) {
                    seen += 1;
                    if seen == behind_versions {
                        if let Some(step) = self.first_published(idx).and_then(|p| trace.steps.get(p)) {
                            behind_us = self.now().saturating_sub(step.t_us);
                        }
                        break;
                    }
                }
            }
        }
        Some(Staleness { write_version, read_version, behind_versions, behind_us })
    }

    /// The time of the last observed step.
    pub fn now(&self) -> u64 {
        self.bucket_time
    }

    /// A key's write-side state rebuilt from its log: from the initial state, or from the
    /// last snapshot and the events after it, with the state after each event.
    pub fn rebuild(&self, trace: &Trace, aggregate: usize, key: Sym, from_snapshot: bool) -> Option<Rebuild> {
        let side = &self.aggregates[aggregate];
        let am = &self.model.aggregates[aggregate];
        let rules = &am.rules;
        let slot = side.store.slot(key)?;
        let partition = side.partition(slot);
        let (mut row, mut version, start_offset) = if from_snapshot {
            let (cells, version, offset) = side.snapshot(slot);
            (cells.to_vec(), version, offset)
        } else {
            (rules.initial.clone(), 0, 0)
        };
        let start = rules.to_json(&row);
        let start_version = version;
        let log = &self.logs[am.topic.index()][partition.index()];
        let mut steps = Vec::new();
        for (offset, idx) in log.records_from(start_offset) {
            let e = trace.event(idx);
            if e.key != Some(key) || !rules.applies(e.event_type) {
                continue;
            }
            rules.apply(&mut row, e.event_type, &fold_data(trace, rules, idx));
            version += 1;
            steps.push(FoldStep { event: idx, offset, version, state: rules.to_json(&row) });
        }
        Some(Rebuild { start, start_version, start_offset, partition, steps, state: rules.to_json(&row), version })
    }

    /// A read model's state and the reference it should equal, replayed from the trace up
    /// to step `index` (0-based, inclusive): for explaining where it diverged.
    pub(super) fn read_model_at(&self, trace: &Trace, group: usize, key: Sym, index: usize) -> Option<(Value, Value)> {
        let side = self.read_side(group)?;
        let rules = &self.model.aggregates[side.aggregate].rules;
        let mut read = rules.initial.clone();
        let mut effected: Vec<EventIdx> = Vec::new();
        for step in &trace.steps[..=index.min(trace.steps.len().saturating_sub(1))] {
            if step.kind != StepKind::Processed || step.flag == 0 || step.group_idx().index() != group {
                continue;
            }
            let e = trace.event_of(step);
            if e.key != Some(key) || !rules.applies(e.event_type) {
                continue;
            }
            let data = self.effect_data(trace, group, step.event_idx(), rules);
            rules.apply(&mut read, e.event_type, &data);
            if !effected.iter().any(|&x| trace.event(x).id == e.id) {
                effected.push(step.event_idx());
            }
        }
        effected.sort_unstable();
        let mut reference = rules.initial.clone();
        for idx in effected {
            let e = trace.event(idx);
            rules.apply(&mut reference, e.event_type, &self.effect_data(trace, group, idx, rules));
        }
        Some((rules.to_json(&read), rules.to_json(&reference)))
    }
}
