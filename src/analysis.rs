//! Analysis derived from the trace: the format's metrics, kept current step by step, and
//! the checker's findings.
//!
//! [`Analysis::observe`] reads the steps appended since its last call; it never looks at
//! the simulator's state, only at the trace and the compiled model, so the same code
//! serves a live run, a replayed trace file and a headless check. Each step costs a few
//! table look-ups: metrics are current at every step, not only at the end.

pub mod expect;
pub mod explain;
pub mod sagas;
pub mod state;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::Model;
use crate::scenario::model::{From, Metric, TopicKind};
pub use crate::trace::IdSet;
pub(crate) use crate::trace::idset::{tree_bytes, vec_bytes};
use crate::trace::log::PartitionLog;
use crate::trace::{EventId, EventIdx, GroupIdx, Partition, StepIdx, StepKind, TopicIdx, Trace};

impl crate::trace::jsonl::Namer<'_> {
    /// What a finding is about: its group, or for a saga finding the saga.
    pub fn finding_scope(&self, finding: &crate::analysis::Finding) -> &str {
        match finding.class {
            crate::analysis::FindingClass::UncompensatedSaga => &self.model.sagas[finding.saga()].name,
            _ => self.group(finding.group),
        }
    }
}

/// The per-group metrics of the format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupMetrics {
    pub delivered: u64,
    pub effects: u64,
    pub duplicate_deliveries: u64,
    pub duplicate_effects: u64,
    pub out_of_order: u64,
    pub lost: u64,
    pub failed: u64,
    pub dead_lettered: u64,
    pub max_lag: u64,
    /// When `max_lag` was first reached (µs).
    pub max_lag_at: u64,
    /// The current lag (the final lag at the end of the run).
    pub lag: u64,
    pub read_model_mismatches: u64,
}

impl GroupMetrics {
    pub fn get(&self, metric: Metric) -> u64 {
        match metric {
            Metric::Delivered => self.delivered,
            Metric::Effects => self.effects,
            Metric::DuplicateDeliveries => self.duplicate_deliveries,
            Metric::DuplicateEffects => self.duplicate_effects,
            Metric::OutOfOrder => self.out_of_order,
            Metric::Lost => self.lost,
            Metric::Failed => self.failed,
            Metric::DeadLettered => self.dead_lettered,
            Metric::MaxLag => self.max_lag,
            Metric::FinalLag => self.lag,
            Metric::ReadModelMismatches => self.read_model_mismatches,
            _ => 0,
        }
    }
}

/// Classes of findings, in the order the summary lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingClass {
    DuplicateDelivery,
    DuplicateEffect,
    OutOfOrder,
    Lost,
    Failed,
    /// A projector's read model came to differ from the fold of the log.
    ReadModelMismatch,
    /// A failed saga with compensations owed (known, like a loss, from the current state).
    UncompensatedSaga,
}

impl FindingClass {
    pub const ALL: [FindingClass; 7] = [
        FindingClass::DuplicateDelivery,
        FindingClass::DuplicateEffect,
        FindingClass::OutOfOrder,
        FindingClass::Lost,
        FindingClass::Failed,
        FindingClass::ReadModelMismatch,
        FindingClass::UncompensatedSaga,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FindingClass::DuplicateDelivery => "duplicate_deliveries",
            FindingClass::DuplicateEffect => "duplicate_effects",
            FindingClass::OutOfOrder => "out_of_order",
            FindingClass::Lost => "lost",
            FindingClass::Failed => "failed",
            FindingClass::ReadModelMismatch => "read_model_mismatches",
            FindingClass::UncompensatedSaga => "sagas_uncompensated",
        }
    }
}

/// One finding: which event, in which group, at which step (numbered from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    pub class: FindingClass,
    pub event: EventIdx,
    /// The group it is about; for an uncompensated saga, the saga (read it with
    /// [`Finding::saga`]).
    pub group: GroupIdx,
    pub step: u64,
}

impl Finding {
    /// The saga (index) an uncompensated-saga finding is about.
    pub fn saga(&self) -> usize {
        debug_assert_eq!(self.class, FindingClass::UncompensatedSaga);
        self.group.index()
    }
}

/// How many findings of each class keep their detail (the rest are counted).
pub const KEPT_FINDINGS: usize = 10_000;

/// The findings as a learner reads them, one row each: a finding, or all of one event's
/// failed attempts in one group with the deliveries that retried it. A retry after a
/// failure is the expected way to try again, not a duplicate by a crash, a rebalance or a
/// fault: `duplicate_deliveries` counts it all the same (the format's figure), and the
/// findings keep one entry per step; only how they are listed and explained groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FindingRow {
    /// The index in [`Analysis::findings`] of its first finding.
    pub head: u32,
    /// The index of its latest finding.
    pub last: u32,
    /// Failed attempts in it (retries: 0 for a row that is one finding of another kind).
    pub failed: u32,
    /// Deliveries in it that came again after a failed attempt.
    pub retried: u32,
}

impl FindingRow {
    /// Whether the row is one event's failed attempts and retries.
    pub fn is_retries(&self) -> bool {
        self.failed > 0 || self.retried > 0
    }
}

#[derive(Clone, Debug, Default)]
struct GroupTrack {
    metrics: GroupMetrics,
    joined: bool,
    /// Committed offset per slot (see [`crate::sim::model::GroupModel::slots`]).
    committed: Vec<u32>,
    delivered: IdSet,
    effected: IdSet,
    completed: IdSet,
    /// Committed or acked without a completed processing (so far): id → (event, step).
    uncompleted: BTreeMap<EventId, (EventIdx, u32)>,
    /// Events whose latest attempt here failed and that no delivery has retried yet.
    awaiting_retry: std::collections::BTreeSet<EventIdx>,
    /// Slot of each (topic) partition 0, by topic index (`None`: not read).
    slot_base: Vec<Option<u32>>,
    /// Per topic, per key (symbol index): the latest publish step among events of that
    /// topic and key with a first effect here (`None`: none yet).
    latest_effect: Vec<Vec<Option<StepIdx>>>,
}

/// What the trace says an instance is doing now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstanceLive {
    pub alive: bool,
    pub paused: bool,
    /// The event it is processing (its latest delivery not yet processed or failed).
    pub busy: Option<EventIdx>,
    /// A log record whose processing failed and that it retries in place after the group's
    /// `retry_delay`, blocking its partition, with the attempts failed so far.
    pub retrying: Option<(EventIdx, u32)>,
    /// The log partition of the record it retries (topic, partition).
    pub retrying_in: Option<(TopicIdx, Partition)>,
    /// Its group.
    pub group: Option<GroupIdx>,
    pub delivered: u64,
    pub effects: u64,
}

/// Buckets of the lag history over the scenario's duration.
pub const LAG_BUCKETS: usize = 240;

/// Metrics and findings of a run, derived from its trace.
#[derive(Clone, Debug)]
pub struct Analysis {
    model: Arc<Model>,
    observed: usize,
    groups: Vec<GroupTrack>,
    /// Per topic and partition: the events in offset order (log topics).
    logs: Vec<Vec<PartitionLog>>,
    /// Per event: the step index of its first publication.
    first_published: Vec<Option<StepIdx>>,
    published: u64,
    published_by_topic: Vec<u64>,
    lag: u64,
    max_lag: u64,
    findings: Vec<Finding>,
    finding_counts: [u64; FindingClass::ALL.len()],
    /// The findings' rows (see [`FindingRow`]), in the order of their first finding.
    rows: Vec<FindingRow>,
    /// Per finding, the index of its row.
    row_of: Vec<u32>,
    /// The row of each (event, group)'s retries.
    retry_rows: BTreeMap<(EventIdx, GroupIdx), u32>,
    /// Per instance index (as in [`Trace::instances`]).
    instances: Vec<InstanceLive>,
    /// Instances running or that ran: the scenario's, then those `joined` so far.
    instance_count: usize,
    /// Per group: the index in `Trace::assignments` of its latest `rebalanced` step.
    latest_assignment: Vec<Option<u32>>,
    /// Per group, per bucket of virtual time: the highest lag seen in it (`u64::MAX`: no
    /// change in that bucket, the lag carried on).
    lag_history: Vec<Vec<u64>>,
    bucket: usize,
    /// The time `bucket` was computed for (a division per step shows in a long run).
    bucket_time: u64,
    /// Lesson notes passed so far: (time, note index).
    notes: Vec<(u64, u32)>,
    /// Source symbol index → producer index (`None`: not a producer).
    producer_of_source: Vec<Option<u32>>,
    /// Distinct events each producer has published.
    sent: Vec<u64>,
    /// Each aggregate's write side.
    aggregates: Vec<state::WriteSide>,
    /// Per group: its read model, when its consumer projects an aggregate.
    read_models: Vec<Option<state::ReadSide>>,
    sagas: sagas::Sagas,
    /// Events published to a bus that matched no rule, in all and per bus.
    unrouted: u64,
    unrouted_by_topic: Vec<u64>,
    /// Events appended to each log or queue: published there or routed there.
    appended_by_topic: Vec<u64>,
    /// Routed copies, in all and per rule (rules numbered across buses: `rule_base`).
    routed: u64,
    routed_by_rule: Vec<u64>,
    /// Per topic, the index of its first rule in `routed_by_rule`.
    rule_base: Vec<usize>,
}

impl Analysis {
    pub fn new(model: Arc<Model>) -> Self {
        let mut producer_of_source = vec![None; model.strings.len()];
        for (p, pm) in model.producers.iter().enumerate() {
            producer_of_source[pm.source.index()] = Some(p as u32);
        }
        let instance_count = model.groups.iter().map(|g| g.instances as usize).sum();
        let latest_assignment = vec![None; model.groups.len()];
        Analysis {
            aggregates: state::write_sides(&model),
            read_models: state::read_sides(&model),
            sagas: sagas::Sagas::default(),
            unrouted: 0,
            unrouted_by_topic: vec![0; model.topics.len()],
            appended_by_topic: vec![0; model.topics.len()],
            routed: 0,
            routed_by_rule: vec![0; model.topics.iter().map(|t| t.rules.len()).sum()],
            rule_base: model
                .topics
                .iter()
                .scan(0, |base, t| {
                    let here = *base;
                    *base += t.rules.len();
                    Some(here)
                })
                .collect(),
            producer_of_source,
            sent: vec![0; model.producers.len()],
            groups: model
                .groups
                .iter()
                .map(|g| {
                    let mut slot_base = vec![None; model.topics.len()];
                    for (slot, &(topic, partition)) in g.slots.iter().enumerate().rev() {
                        if partition.index() == 0 {
                            slot_base[topic.index()] = Some(slot as u32);
                        }
                    }
                    GroupTrack {
                        committed: vec![0; g.slots.len()],
                        slot_base,
                        latest_effect: vec![Vec::new(); model.topics.len()],
                        ..GroupTrack::default()
                    }
                })
                .collect(),
            logs: model.topics.iter().map(|t| vec![PartitionLog::default(); t.partitions as usize]).collect(),
            published_by_topic: vec![0; model.topics.len()],
            lag_history: vec![vec![u64::MAX; LAG_BUCKETS]; model.groups.len()],
            model,
            observed: 0,
            first_published: Vec::new(),
            published: 0,
            lag: 0,
            max_lag: 0,
            findings: Vec::new(),
            finding_counts: [0; FindingClass::ALL.len()],
            rows: Vec::new(),
            row_of: Vec::new(),
            retry_rows: BTreeMap::new(),
            instances: Vec::new(),
            instance_count,
            latest_assignment,
            bucket: 0,
            bucket_time: 0,
            notes: Vec::new(),
        }
    }

    /// Distinct events producer `p` has published so far.
    pub fn sent(&self, producer: usize) -> u64 {
        self.sent[producer]
    }

    /// Lesson notes whose time has come: (time, index in the scenario's `notes`).
    pub fn notes(&self) -> &[(u64, u32)] {
        &self.notes
    }

    /// What each instance is doing, by instance index.
    pub fn instances(&self) -> &[InstanceLive] {
        &self.instances
    }

    /// How many instances exist at the step observed (the trace's list may go on with
    /// instances that join later).
    pub fn instance_count(&self) -> usize {
        self.instance_count
    }

    /// The index in `Trace::assignments` of `group`'s assignment at the step observed.
    pub fn latest_assignment(&self, group: usize) -> Option<usize> {
        self.latest_assignment.get(group).copied().flatten().map(|a| a as usize)
    }

    /// A group's committed offset on one of its slots (see `GroupModel::slots`).
    pub fn committed(&self, group: usize, slot: usize) -> u32 {
        self.groups[group].committed[slot]
    }

    /// Whether a group has joined its logs (its first rebalance seen): before, its
    /// committed offsets mean nothing and it has no lag on them.
    pub fn joined(&self, group: usize) -> bool {
        self.groups[group].joined
    }

    /// The number of records in a log partition so far.
    pub fn log_end(&self, topic: usize, partition: usize) -> u32 {
        self.logs[topic][partition].end()
    }

    /// The event at an offset of a log partition.
    pub fn record(&self, topic: usize, partition: usize, offset: u32) -> Option<EventIdx> {
        self.logs[topic][partition].get(offset)
    }

    /// The step (index) that first published an event.
    pub fn first_published(&self, event: EventIdx) -> Option<usize> {
        self.first_published.get(event.index()).copied().flatten().map(StepIdx::index)
    }

    /// A group's lag over time, one value per bucket of `duration / LAG_BUCKETS`, up to the
    /// bucket of the last observed step.
    pub fn lag_history(&self, group: usize) -> Vec<u64> {
        let mut last = 0;
        self.lag_history[group][..=self.bucket.min(LAG_BUCKETS - 1)]
            .iter()
            .map(|&v| {
                if v != u64::MAX {
                    last = v;
                }
                last
            })
            .collect()
    }

    /// How many steps have been observed.
    pub fn observed(&self) -> usize {
        self.observed
    }

    /// Heap bytes held, about (what a time-travel checkpoint of it costs).
    pub fn heap_bytes(&self) -> usize {
        let groups: usize = self
            .groups
            .iter()
            .map(|g| {
                vec_bytes(&g.committed)
                    + g.delivered.heap_bytes()
                    + g.effected.heap_bytes()
                    + g.completed.heap_bytes()
                    + tree_bytes::<EventId, (EventIdx, u32)>(g.uncompleted.len())
                    + tree_bytes::<EventIdx, ()>(g.awaiting_retry.len())
                    + vec_bytes(&g.slot_base)
                    + g.latest_effect.iter().map(vec_bytes).sum::<usize>()
                    + vec_bytes(&g.latest_effect)
            })
            .sum();
        groups
            + vec_bytes(&self.groups)
            + self.logs.iter().flatten().map(PartitionLog::heap_bytes).sum::<usize>()
            + self.logs.iter().map(vec_bytes).sum::<usize>()
            + vec_bytes(&self.first_published)
            + vec_bytes(&self.published_by_topic)
            + vec_bytes(&self.findings)
            + vec_bytes(&self.rows)
            + vec_bytes(&self.row_of)
            + tree_bytes::<(EventIdx, u16), u32>(self.retry_rows.len())
            + vec_bytes(&self.instances)
            + self.lag_history.iter().map(vec_bytes).sum::<usize>()
            + vec_bytes(&self.notes)
            + vec_bytes(&self.producer_of_source)
            + vec_bytes(&self.sent)
            + self.aggregates.iter().map(state::WriteSide::heap_bytes).sum::<usize>()
            + self.read_models.iter().flatten().map(state::ReadSide::heap_bytes).sum::<usize>()
            + self.sagas.heap_bytes()
            + vec_bytes(&self.unrouted_by_topic)
            + vec_bytes(&self.appended_by_topic)
            + vec_bytes(&self.routed_by_rule)
            + vec_bytes(&self.rule_base)
    }

    /// The number of events published so far: events are numbered in the order of their
    /// first publication, so these are the first ones of the trace's.
    pub fn events_seen(&self) -> usize {
        self.first_published.len()
    }

    pub fn group(&self, group: usize) -> &GroupMetrics {
        &self.groups[group].metrics
    }

    /// Copies a bus routed: in all, and by one of a bus's rules.
    pub fn routed(&self) -> u64 {
        self.routed
    }

    /// Events appended to a log or queue: published to it, or routed to it from a bus.
    pub fn appended_to(&self, topic: usize) -> u64 {
        self.appended_by_topic[topic]
    }

    /// Events published to this bus that matched no rule.
    pub fn unrouted_on(&self, bus: usize) -> u64 {
        self.unrouted_by_topic[bus]
    }

    pub fn routed_by_rule(&self, bus: usize, rule: usize) -> u64 {
        self.routed_by_rule[self.rule_base[bus] + rule]
    }

    pub fn published(&self) -> u64 {
        self.published
    }

    pub fn published_to(&self, topic: usize) -> u64 {
        self.published_by_topic[topic]
    }

    /// The current summed lag of all groups, and its maximum so far.
    pub fn total_lag(&self) -> (u64, u64) {
        (self.lag, self.max_lag)
    }

    /// The value of a metric: one group's, or the total (sums; `max_lag` is the maximum
    /// over time of the summed lag).
    pub fn metric(&self, metric: Metric, group: Option<usize>) -> u64 {
        match (metric, group) {
            (Metric::Published, _) => self.published,
            (Metric::Unrouted, _) => self.unrouted,
            (Metric::SagasCompleted, _) => self.sagas.count(sagas::SagaStatus::Completed),
            (Metric::SagasCompensated, _) => self.sagas.count(sagas::SagaStatus::Compensated),
            (Metric::SagasUncompensated, _) => self.sagas.count(sagas::SagaStatus::Failed),
            (Metric::SagasOpen, _) => self.sagas.count(sagas::SagaStatus::Open),
            (metric, Some(g)) => self.groups[g].metrics.get(metric),
            (Metric::MaxLag, None) => self.max_lag,
            (metric, None) => self.groups.iter().map(|g| g.metrics.get(metric)).sum(),
        }
    }

    /// Findings in step order (the first [`KEPT_FINDINGS`] of each class).
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The finding recorded at a step (numbered from 1), if any.
    pub fn finding_at(&self, step: u64) -> Option<&Finding> {
        let i = self.findings.partition_point(|f| f.step < step);
        self.findings.get(i).filter(|f| f.step == step)
    }

    pub fn finding_count(&self, class: FindingClass) -> u64 {
        match class {
            FindingClass::Lost => self.groups.iter().map(|g| g.metrics.lost).sum(),
            FindingClass::UncompensatedSaga => self.sagas.count(sagas::SagaStatus::Failed),
            _ => self.finding_counts[class as usize],
        }
    }

    /// The findings' rows: one per finding, but one for all of an event's failed attempts
    /// and retries in a group (see [`FindingRow`]), in the order of their first finding.
    pub fn finding_rows(&self) -> &[FindingRow] {
        &self.rows
    }

    /// The first finding of row `row`.
    pub fn row_head(&self, row: usize) -> Finding {
        self.findings[self.rows[row].head as usize]
    }

    /// The row of finding `f` (one of [`Analysis::findings`]).
    pub fn row_of(&self, f: &Finding) -> Option<usize> {
        let i = self.findings.partition_point(|g| g.step < f.step);
        let j = self.findings[i..].iter().take_while(|g| g.step == f.step).position(|g| g == f)?;
        Some(self.row_of[i + j] as usize)
    }

    /// Whether finding `f` is a delivery that retried a failed attempt (a
    /// `duplicate_deliveries` finding of a retry row): not a duplicate by a crash, a
    /// rebalance or a fault.
    pub fn is_retry(&self, f: &Finding) -> bool {
        f.class == FindingClass::DuplicateDelivery && self.row_of(f).is_some_and(|r| self.rows[r].is_retries())
    }

    /// The findings of row `row`, in step order (a retry row's failures and retries).
    pub fn row_findings(&self, row: usize) -> impl Iterator<Item = &Finding> {
        let r = self.rows[row];
        let (head, last) = (r.head as usize, r.last as usize);
        (head..=last).filter(move |&i| self.row_of[i] as usize == row).map(|i| &self.findings[i])
    }

    fn find(&mut self, class: FindingClass, event: EventIdx, group: GroupIdx, step: usize) {
        self.find_as(class, event, group, step, class == FindingClass::Failed);
    }

    /// A finding; `retry` when it is a failed attempt or a delivery after one: it joins its
    /// event's retry row in its group.
    fn find_as(&mut self, class: FindingClass, event: EventIdx, group: GroupIdx, step: usize, retry: bool) {
        self.finding_counts[class as usize] += 1;
        if self.finding_counts[class as usize] as usize > KEPT_FINDINGS {
            return;
        }
        let index = self.findings.len() as u32;
        self.findings.push(Finding { class, event, group, step: step as u64 + 1 });
        let (failed, retried) = match (retry, class) {
            (false, _) => (0, 0),
            (true, FindingClass::Failed) => (1, 0),
            (true, _) => (0, 1),
        };
        let existing = if retry { self.retry_rows.get(&(event, group)).copied() } else { None };
        let row = if let Some(row) = existing {
            let r = &mut self.rows[row as usize];
            r.last = index;
            r.failed += failed;
            r.retried += retried;
            row
        } else {
            let row = self.rows.len() as u32;
            self.rows.push(FindingRow { head: index, last: index, failed, retried });
            if retry {
                self.retry_rows.insert((event, group), row);
            }
            row
        };
        self.row_of.push(row);
    }

    #[inline]
    fn record_lag(&mut self, group: usize) {
        let lag = self.groups[group].metrics.lag;
        let cell = &mut self.lag_history[group][self.bucket.min(LAG_BUCKETS - 1)];
        *cell = if *cell == u64::MAX { lag } else { (*cell).max(lag) };
    }

    #[inline]
    fn add_lag(&mut self, group: usize, amount: u64) {
        let m = &mut self.groups[group].metrics;
        m.lag += amount;
        if m.lag > m.max_lag {
            m.max_lag = m.lag;
            m.max_lag_at = self.bucket_time;
        }
        self.record_lag(group);
        self.lag += amount;
        self.max_lag = self.max_lag.max(self.lag);
    }

    #[inline]
    fn sub_lag(&mut self, group: usize, amount: u64) {
        let m = &mut self.groups[group].metrics;
        m.lag -= amount.min(m.lag);
        self.lag -= amount.min(self.lag);
        self.record_lag(group);
    }

    /// Reads the steps appended to `trace` since the last call.
    pub fn observe(&mut self, trace: &Trace) {
        self.observe_until(trace, trace.steps.len());
    }

    /// Reads the steps up to `end` (a step count; time travel shows the analysis as of
    /// an earlier step).
    pub fn observe_until(&mut self, trace: &Trace, end: usize) {
        let model = Arc::clone(&self.model);
        let end = end.min(trace.steps.len());
        while self.observed < end {
            let index = self.observed;
            self.observed += 1;
            self.observe_step(&model, trace, trace.steps[index], index);
        }
    }

    /// Reads `steps`, the run's steps from number `first` (0-based: the first one not observed
    /// yet) on, against `trace`, which has every other table of the run as of the last of
    /// them but need not hold the steps: a copy of a run's trace that keeps no steps (see
    /// `run::run_model_beside`). While observing, the analysis reads no step but the one it
    /// observes (the explanations read earlier steps, later, with the whole trace); the
    /// events, payloads and other tables it reads whole.
    pub fn observe_fresh(&mut self, trace: &Trace, steps: &[crate::trace::Step], first: usize) {
        assert_eq!(first, self.observed, "steps follow the ones observed");
        let model = Arc::clone(&self.model);
        for &step in steps {
            let index = self.observed;
            self.observed += 1;
            self.observe_step(&model, trace, step, index);
        }
    }

    /// `step`, number `index` (0-based) of the run.
    fn observe_step(&mut self, model: &Model, trace: &Trace, step: crate::trace::Step, index: usize) {
        // The group of a consumer's step (the arms that use it are of kinds that have one).
        let g = || step.group_idx().index();
        if step.t_us != self.bucket_time {
            self.bucket_time = step.t_us;
            self.bucket = (step.t_us.saturating_mul(LAG_BUCKETS as u64) / model.duration.max(1)) as usize;
        }
        if step.instance.is_some() {
            self.track_instance(trace, &step);
        }
        match step.kind {
            StepKind::Published => self.observe_publish(model, trace, &step, index),
            StepKind::Routed => {
                self.routed += 1;
                self.routed_by_rule[self.rule_base[usize::from(trace.event_of(&step).topic)] + step.table_index()] += 1;
                self.append(model, trace, &step);
            }
            StepKind::Unrouted => {
                self.unrouted += 1;
                self.unrouted_by_topic[step.topic_idx().index()] += 1;
            }
            StepKind::Joined => self.instance_count += 1,
            StepKind::Rebalanced => self.observe_rebalance(model, trace, g(), step.table_index() as u32),
            StepKind::Delivered => {
                let id = trace.events[step.event_idx().index()].id;
                let track = &mut self.groups[g()];
                track.metrics.delivered += 1;
                let retry = !track.awaiting_retry.is_empty() && track.awaiting_retry.remove(&step.event_idx());
                if !track.delivered.insert(id) {
                    track.metrics.duplicate_deliveries += 1;
                    self.find_as(FindingClass::DuplicateDelivery, step.event_idx(), step.group_idx(), index, retry);
                }
            }
            StepKind::Processed | StepKind::SkippedDuplicate => self.observe_completion(model, trace, &step, index),
            StepKind::Failed => {
                self.groups[g()].metrics.failed += 1;
                self.groups[g()].awaiting_retry.insert(step.event_idx());
                self.find(FindingClass::Failed, step.event_idx(), step.group_idx(), index);
            }
            StepKind::Committed => {
                let base = self.groups[g()].slot_base[step.topic_idx().index()].expect("a log the group reads");
                let slot = (base + u32::from(step.partition_idx().get())) as usize;
                let old = self.groups[g()].committed[slot];
                if step.offset > old {
                    self.groups[g()].committed[slot] = step.offset;
                    // A log read off a real cluster may have holes: only records count.
                    let log = &self.logs[step.topic_idx().index()][step.partition_idx().index()];
                    let track = &mut self.groups[g()];
                    let mut passed = 0;
                    for (_, event) in log.range(old, step.offset) {
                        passed += 1;
                        uncompleted_if_so(track, trace, event, index);
                    }
                    self.sub_lag(g(), passed);
                }
            }
            StepKind::Acked => {
                self.sub_lag(g(), 1);
                self.committed_without_completion(trace, g(), step.event_idx(), index);
            }
            StepKind::Note => self.notes.push((step.t_us, step.table_index() as u32)),
            StepKind::DeadLettered => {
                self.groups[g()].metrics.dead_lettered += 1;
                self.groups[g()].awaiting_retry.remove(&step.event_idx());
                self.sub_lag(g(), 1);
                // The dead-letter queue's groups get the message as if published.
                for sub in step.dead_letter().map_or(&[][..], |t| &model.topics[t.index()].subscribers) {
                    if model.groups[sub.group.index()].start <= step.t_us {
                        self.add_lag(sub.group.index(), 1);
                    }
                }
            }
            StepKind::Requeued
            | StepKind::DroppedDuplicate
            | StepKind::Fetched
            | StepKind::Crashed
            | StepKind::Restarted
            | StepKind::Paused
            | StepKind::Resumed => {}
        }
    }

    /// A `published` step: the run-wide counts, the producer's, the sagas on the event's
    /// first publication, and the append.
    fn observe_publish(&mut self, model: &Model, trace: &Trace, step: &crate::trace::Step, index: usize) {
        self.published += 1;
        self.published_by_topic[step.topic_idx().index()] += 1;
        let e = step.event_idx().index();
        if self.first_published.len() <= e {
            self.first_published.resize(e + 1, None);
        }
        if self.first_published[e].is_none() {
            self.first_published[e] = Some(StepIdx::new(index));
            let event = &trace.events[e];
            if event.cause.is_none()
                && let Some(&Some(p)) = self.producer_of_source.get(event.source.index())
            {
                self.sent[p as usize] += 1;
            }
            if !model.sagas.is_empty() {
                self.sagas.observe(model, trace, step.event_idx(), index);
            }
        }
        self.append(model, trace, step);
    }

    /// A `rebalanced` step of group `g` with assignment `assignment`.
    fn observe_rebalance(&mut self, model: &Model, trace: &Trace, g: usize, assignment: u32) {
        self.latest_assignment[g] = Some(assignment);
        // An instance that lost the partition of the record it was retrying gave the record
        // up (its next owner reads it again).
        let owned = &trace.assignments[assignment as usize];
        for (i, live) in self.instances.iter_mut().enumerate() {
            if let Some((topic, partition)) = live.retrying.and(live.retrying_in)
                && usize::from(trace.instances[i].0) == g
                && !owned.iter().any(|(inst, t, ps)| inst.index() == i && *t == topic && ps.contains(&partition))
            {
                live.retrying = None;
            }
        }
        let gm = &model.groups[g];
        if !self.groups[g].joined {
            // The first join: the start position counts as committed.
            self.groups[g].joined = true;
            let mut behind = 0;
            for (slot, &(topic, partition)) in gm.slots.iter().enumerate() {
                let log = &self.logs[usize::from(topic)][usize::from(partition)];
                let start = if gm.from == From::Latest { log.end() } else { log.base() };
                self.groups[g].committed[slot] = start;
                behind += log.range(start, log.end()).count() as u64;
            }
            self.add_lag(g, behind);
        }
    }

    /// A `processed` or `skipped_duplicate` step: a completion, and for an effect the
    /// duplicate and order checks and the projection.
    fn observe_completion(&mut self, model: &Model, trace: &Trace, step: &crate::trace::Step, index: usize) {
        let g = step.group_idx().index();
        let event = &trace.events[step.event_idx().index()];
        let track = &mut self.groups[g];
        track.completed.insert(event.id);
        if !track.awaiting_retry.is_empty() {
            track.awaiting_retry.remove(&step.event_idx());
        }
        if !track.uncompleted.is_empty() && track.uncompleted.remove(&event.id).is_some() {
            track.metrics.lost -= 1;
        }
        if step.kind != StepKind::Processed || step.flag == 0 {
            return;
        }
        track.metrics.effects += 1;
        let first = track.effected.insert(event.id);
        if model.projects[g].is_some() {
            self.project(trace, g, step, first, index);
        }
        let track = &mut self.groups[g];
        if !first {
            track.metrics.duplicate_effects += 1;
            self.find(FindingClass::DuplicateEffect, step.event_idx(), step.group_idx(), index);
            return;
        }
        // An effect's event was published before it was delivered.
        if let Some(key) = event.key
            && let Some(published) = self.first_published[step.event_idx().index()]
        {
            let keys = &mut track.latest_effect[step.topic_idx().index()];
            if keys.len() <= key.index() {
                keys.resize(key.index() + 1, None);
            }
            let latest = &mut keys[key.index()];
            if latest.is_some_and(|latest| latest > published) {
                track.metrics.out_of_order += 1;
                self.find(FindingClass::OutOfOrder, step.event_idx(), step.group_idx(), index);
            } else {
                *latest = Some(published);
            }
        }
    }

    /// An event appended to a log or a queue (published there, or routed from a bus).
    fn append(&mut self, model: &Model, trace: &Trace, step: &crate::trace::Step) {
        let tm = &model.topics[step.topic_idx().index()];
        self.appended_by_topic[step.topic_idx().index()] += 1;
        match tm.kind {
            TopicKind::Log => {
                let log = &mut self.logs[step.topic_idx().index()][step.partition_idx().index()];
                let first = log.is_empty();
                log.append(step.offset, step.event_idx());
                if first && step.offset > 0 {
                    // A log read off a real cluster starts where the reading did: a group
                    // that joined before its first record is at that record at the least.
                    for sub in &tm.subscribers {
                        let track = &mut self.groups[sub.group.index()];
                        if let Some(base) = track.slot_base[step.topic_idx().index()] {
                            let slot = (base + u32::from(step.partition_idx().get())) as usize;
                            track.committed[slot] = track.committed[slot].max(step.offset);
                        }
                    }
                }
                if !tm.aggregates.is_empty() {
                    self.fold_append(
                        trace,
                        step.topic_idx(),
                        step.partition_idx(),
                        step.offset,
                        step.event_idx(),
                        step.t_us,
                    );
                }
                for sub in &tm.subscribers {
                    if self.groups[sub.group.index()].joined {
                        self.add_lag(sub.group.index(), 1);
                    }
                }
            }
            TopicKind::Queue => {
                for sub in &tm.subscribers {
                    if model.groups[sub.group.index()].start <= step.t_us {
                        self.add_lag(sub.group.index(), 1);
                    }
                }
            }
            TopicKind::Bus => {}
        }
    }

    fn track_instance(&mut self, trace: &Trace, step: &crate::trace::Step) {
        let i = step.instance_idx().index();
        if i >= self.instances.len() {
            self.instances.resize(trace.instances.len(), InstanceLive { alive: true, ..InstanceLive::default() });
        }
        let live = &mut self.instances[i];
        live.group = step.group;
        match step.kind {
            StepKind::Delivered => {
                live.delivered += 1;
                live.retrying = None;
                if live.busy.is_none() {
                    live.busy = step.event;
                }
            }
            StepKind::Processed | StepKind::SkippedDuplicate | StepKind::Failed => {
                if step.kind == StepKind::Processed && step.flag != 0 {
                    live.effects += 1;
                }
                live.busy = None;
                live.retrying = None;
                // A log consumer keeps a failed record and tries it again (a queue nacks it).
                if step.kind == StepKind::Failed
                    && self.model.topics[step.topic_idx().index()].kind == crate::scenario::model::TopicKind::Log
                {
                    live.retrying = Some((step.event_idx(), step.failure().1));
                    live.retrying_in = Some((step.topic_idx(), step.partition_idx()));
                }
            }
            StepKind::Crashed => {
                live.alive = false;
                live.busy = None;
                live.retrying = None;
            }
            StepKind::Restarted => live.alive = true,
            StepKind::Paused => live.paused = true,
            StepKind::Resumed => live.paused = false,
            StepKind::Published
            | StepKind::Committed
            | StepKind::Acked
            | StepKind::Requeued
            | StepKind::DeadLettered
            | StepKind::DroppedDuplicate
            | StepKind::Routed
            | StepKind::Unrouted
            | StepKind::Fetched
            | StepKind::Rebalanced
            | StepKind::Note
            | StepKind::Joined => {}
        }
    }

    fn committed_without_completion(&mut self, trace: &Trace, group: usize, event: EventIdx, index: usize) {
        uncompleted_if_so(&mut self.groups[group], trace, event, index);
    }

    /// Whether a live instance of `group` holds `event` now (processing it, or retrying it
    /// in place): committed before its processing, it is not lost yet.
    pub fn in_hand(&self, group: usize, event: EventIdx) -> bool {
        self.instances.iter().any(|l| {
            l.alive
                && l.group.is_some_and(|g| g.index() == group)
                && (l.busy == Some(event) || l.retrying.is_some_and(|(e, _)| e == event))
        })
    }

    /// Of the `lost` count (of `group`, or of all), the events a live instance still holds:
    /// while the run goes on, a commit before processing is not a loss yet.
    pub fn lost_in_hand(&self, group: Option<usize>) -> u64 {
        let groups = self.groups.iter().enumerate().filter(|(g, _)| group.is_none_or(|x| x == *g));
        groups.map(|(g, track)| track.uncompleted.values().filter(|(e, _)| self.in_hand(g, *e)).count() as u64).sum()
    }

    /// Findings that stand as of the step observed rather than happen at a step: work lost
    /// (while the run is not `finished`, without what an instance still holds), then failed
    /// sagas not compensated.
    pub fn standing(&self, finished: bool) -> Vec<Finding> {
        let mut standing = if finished { self.lost() } else { self.lost_so_far() };
        standing.extend(self.uncompensated());
        standing
    }

    /// [`Analysis::lost`] without the events a live instance still holds.
    pub fn lost_so_far(&self) -> Vec<Finding> {
        let mut lost = self.lost();
        lost.retain(|f| !self.in_hand(f.group.index(), f.event));
        lost
    }

    /// Events lost so far: committed (log) or acked (queue) without a completed
    /// processing, each with its group and the step that committed it.
    pub fn lost(&self) -> Vec<Finding> {
        let mut lost: Vec<Finding> = self
            .groups
            .iter()
            .enumerate()
            .flat_map(|(g, track)| {
                track.uncompleted.values().map(move |&(event, step)| Finding {
                    class: FindingClass::Lost,
                    event,
                    group: GroupIdx::new(g),
                    step: u64::from(step),
                })
            })
            .collect();
        lost.sort_by_key(|f| f.step);
        lost
    }
}

/// An event of `track`'s group committed or acked (at step `index`) without a completed
/// processing so far: counted lost until one completes. Lost is only known once nothing
/// can complete it any more, so it is listed from the current set (see `lost`), not
/// recorded as a finding here.
#[inline]
fn uncompleted_if_so(track: &mut GroupTrack, trace: &Trace, event: EventIdx, index: usize) {
    let id = trace.events[event.index()].id;
    if !track.completed.contains(id) && !track.uncompleted.contains_key(&id) {
        track.uncompleted.insert(id, (event, index as u32 + 1));
        track.metrics.lost += 1;
    }
}
