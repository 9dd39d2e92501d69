//! Consumer groups: joining and partition assignment, deliveries, processing, commits
//! and acks.

use std::sync::Arc;

use super::producer::render_headers;
use super::{Item, Owned, Pending, Record, Simulator, Source, Woken, Work};
use crate::scenario::model::{Commit, From};
use crate::scenario::template::Context;
use crate::scenario::template::StrTemplate;
use crate::scenario::value::Distribution;
use crate::sim::model::{EmitModel, FaultAction, HandlerModel};
use crate::sim::sched::Class;
use crate::trace::{
    Assignment, EventIdx, FailReason, GroupIdx, InstanceIdx, NONE32, Partition, Payloads, Span, Step, StepKind,
    TopicIdx,
};

/// Kafka's range assignor for one topic: partitions in order, members in numeric order;
/// the first `partitions % members` members take one extra.
pub fn range_assign(partitions: u32, members: u32) -> Vec<std::ops::Range<u32>> {
    if members == 0 {
        return Vec::new();
    }
    let (per, extra) = (partitions / members, partitions % members);
    (0..members)
        .map(|m| {
            let start = m * per + m.min(extra);
            start..start + per + u32::from(m < extra)
        })
        .collect()
}

impl Simulator {
    /// A group's instances join at its `start`: partitions are assigned and each starts at
    /// its start position (offset 0 for `earliest`, the log end for `latest`).
    pub(super) fn join(&mut self, group: GroupIdx) {
        let model = Arc::clone(&self.model);
        let gm = &model.groups[group.index()];
        self.state.groups[group.index()].joined = true;
        if gm.reads_logs() {
            for (slot, &(topic, partition)) in gm.slots.iter().enumerate() {
                let end = self.state.topics[topic.index()].partitions[usize::from(partition)].len() as u32;
                let start = if gm.from == From::Latest { end } else { 0 };
                let s = &mut self.state.groups[group.index()].slots[slot];
                (s.committed, s.position, s.done) = (start, start, start);
            }
            let assignment = self.assign(group);
            let mut step = Step::new(StepKind::Rebalanced, self.now());
            step.group = Some(group);
            step.aux = self.trace.assignments.len() as u32;
            self.trace.assignments.push(assignment);
            self.push(step);
            if let Commit::Interval(every) = gm.commit {
                self.schedule_interval_commit(group, gm.start, every.as_micros());
            }
            for member in self.state.groups[group.index()].members.clone() {
                self.wake(member);
            }
        }
        self.wake_queues(group);
    }

    /// Assigns the group's log partitions over its live members; returns the assignment.
    pub(super) fn assign(&mut self, group: GroupIdx) -> Assignment {
        let model = Arc::clone(&self.model);
        let gm = &model.groups[group.index()];
        let members: Vec<InstanceIdx> = self.state.groups[group.index()]
            .members
            .iter()
            .copied()
            .filter(|&i| self.state.instances[i.index()].alive)
            .collect();
        for &m in &self.state.groups[group.index()].members {
            self.state.instances[usize::from(m)].owned.clear();
        }
        for slot in &mut self.state.groups[group.index()].slots {
            slot.owner = None;
        }
        let mut assignment = Assignment::new();
        let mut slot_base = 0u32;
        for &topic in &gm.topics {
            let tm = &model.topics[topic.index()];
            if tm.kind != crate::scenario::model::TopicKind::Log {
                continue;
            }
            for (member, range) in members.iter().zip(range_assign(tm.partitions, members.len() as u32)) {
                for p in range.clone() {
                    let slot = slot_base + p;
                    self.state.groups[group.index()].slots[slot as usize].owner = Some(*member);
                    let partition = Partition::new(p as usize);
                    self.state.instances[usize::from(*member)].owned.push(Owned { slot, topic, partition });
                }
                assignment.push((*member, topic, range.map(|p| Partition::new(p as usize)).collect()));
            }
            slot_base += tm.partitions;
        }
        assignment
    }

    fn schedule_interval_commit(&mut self, group: GroupIdx, from: u64, every: u64) {
        if every == 0 {
            return;
        }
        let at = from.saturating_add(every);
        if at <= self.model.duration {
            self.state.agenda.schedule(at, Class::Timer, Item::IntervalCommit(group));
        }
    }

    /// Kafka's auto-commit: every live instance commits its position (last completed
    /// offset + 1) on each partition it owns, where it moved.
    pub(super) fn interval_commit(&mut self, group: GroupIdx) {
        let now = self.now();
        let g = group.index();
        for member in self.state.groups[g].members.clone() {
            let instance = &self.state.instances[member.index()];
            if !instance.alive {
                continue;
            }
            for o in instance.owned.clone() {
                let s = self.state.groups[g].slots[o.slot as usize];
                if s.done > s.committed {
                    self.write_commit(group, member, o.slot, s.done);
                }
            }
        }
        if let Commit::Interval(every) = self.model.groups[g].commit {
            self.schedule_interval_commit(group, now, every.as_micros());
        }
    }

    fn write_commit(&mut self, group: GroupIdx, instance: InstanceIdx, slot: u32, offset: u32) {
        let (topic, partition) = self.model.groups[group.index()].slots[slot as usize];
        self.state.groups[group.index()].slots[slot as usize].committed = offset;
        let mut step = Step::new(StepKind::Committed, self.now());
        step.group = Some(group);
        step.instance = Some(instance);
        step.topic = Some(topic);
        step.partition = Some(partition);
        step.offset = offset;
        self.push(step);
    }

    /// Commit-after of one record: written only when the position moves.
    pub(super) fn commit(&mut self, instance: InstanceIdx, slot: u32, offset: u32) {
        let group = self.state.instances[instance.index()].group;
        if offset > self.state.groups[group.index()].slots[slot as usize].committed {
            self.write_commit(group, instance, slot, offset);
        }
    }

    /// A free log instance asks for a record. It waits in its group's `asking` list until
    /// the group's next dispatch, which is scheduled once a record is there for it (see
    /// [`Self::schedule_dispatches`]).
    #[expect(clippy::inline_always, reason = "a call per completion and append otherwise (#[inline] is not taken)")]
    #[inline(always)]
    pub(super) fn wake(&mut self, instance: InstanceIdx) {
        let i = &mut self.state.instances[instance.index()];
        if i.alive && i.held == 0 && i.paused == 0 && !i.owned.is_empty() {
            if !i.asking {
                i.asking = true;
                let group = i.group;
                self.state.groups[group.index()].asking.push(instance);
            }
            self.state.woken.push(Woken::Instance(instance));
        }
    }

    /// Whether a free log instance has a record to fetch now.
    #[expect(clippy::inline_always, reason = "a call per wake otherwise (#[inline] is not always taken)")]
    #[inline(always)]
    fn can_fetch(&self, instance: InstanceIdx) -> bool {
        let i = &self.state.instances[instance.index()];
        let g = &self.state.groups[usize::from(i.group)];
        if !i.alive || i.held > 0 || i.paused > 0 || g.rebalance.is_some() {
            return false;
        }
        let topics = &self.state.topics;
        i.owned.iter().any(|o| {
            g.slots
                .get(o.slot as usize)
                .is_some_and(|s| (s.position as usize) < topics[o.topic.index()].partitions[o.partition.index()].len())
        })
    }

    /// After each agenda item: a delivery is scheduled at the step that makes it possible
    /// (a record or message available and an instance free, assigned or resumed, whichever
    /// comes last). So each group the item woke with a delivery now possible gets one
    /// `Dispatch` (class 6 of this microsecond), in consumer file order, unless one is on
    /// the agenda already.
    ///
    /// When the first of them would be the very next agenda item (see [`Self::follows_now`]),
    /// it dispatches at once instead, and what that wakes is looked at in turn.
    #[inline]
    pub(super) fn schedule_dispatches(&mut self) {
        loop {
            // Most items wake nothing: that is seen without a call.
            while !self.state.woken.is_empty() {
                let Some(group) = self.schedule_woken(true) else { break };
                self.dispatch(group);
            }
            // A `Dispatch` that is the next agenda item (one scheduled behind the first
            // group's) is taken now, as the run's loop would take it.
            let next = self.state.agenda.peek_now(Class::Delivery);
            if !next.is_some_and(|item| matches!(item, Item::Dispatch(_))) || self.limit_passed().is_some() {
                return;
            }
            let Some(Item::Dispatch(group)) = self.state.agenda.pop_now(Class::Delivery) else {
                unreachable!("the dispatch just seen")
            };
            self.dispatch(group);
        }
    }

    /// One round of [`Self::schedule_dispatches`]: the groups the item woke are scheduled,
    /// but for the first, returned to dispatch at once, when `fuse` and it would be the next
    /// item (ahead of the others, as its item would be).
    fn schedule_woken(&mut self, fuse: bool) -> Option<GroupIdx> {
        if let &[w] = &self.state.woken[..] {
            // The usual one: no lists to sort.
            self.state.woken.clear();
            let group = match w {
                Woken::Instance(instance) => self.state.instances[instance.index()].group,
                Woken::Queues(group) => group,
            };
            let ready = !self.state.groups[group.index()].dispatch_pending
                && match w {
                    Woken::Instance(instance) => self.can_fetch(instance),
                    Woken::Queues(group) => self.can_receive(group),
                };
            if !ready {
                return None;
            }
            if fuse && self.follows_now(Class::Delivery) {
                return Some(group);
            }
            self.state.groups[group.index()].dispatch_pending = true;
            let now = self.now();
            self.state.agenda.schedule(now, Class::Delivery, Item::Dispatch(group));
            return None;
        }
        let woken = std::mem::take(&mut self.state.woken);
        let mut groups = std::mem::take(&mut self.state.to_dispatch);
        for &w in &woken {
            let group = match w {
                Woken::Instance(instance) => self.state.instances[instance.index()].group,
                Woken::Queues(group) => group,
            };
            // A group already due to dispatch is not asked again (the checks read only).
            if self.state.groups[group.index()].dispatch_pending || groups.contains(&group) {
                continue;
            }
            let ready = match w {
                Woken::Instance(instance) => self.can_fetch(instance),
                Woken::Queues(group) => self.can_receive(group),
            };
            if ready {
                groups.push(group);
            }
        }
        if groups.len() > 1 {
            groups.sort_unstable();
        }
        let now = self.now();
        let first = groups.first().copied().filter(|_| fuse && self.follows_now(Class::Delivery));
        for &group in &groups[usize::from(first.is_some())..] {
            self.state.groups[group.index()].dispatch_pending = true;
            self.state.agenda.schedule(now, Class::Delivery, Item::Dispatch(group));
        }
        groups.clear();
        self.state.to_dispatch = groups;
        let mut woken = woken;
        woken.clear();
        self.state.woken = woken;
        first
    }

    /// Deliveries to a group's free instances: each log instance that asked, in instance
    /// number order, fetches its earliest-published available record; then the ready
    /// messages of its queues, earliest published first, go to instances with room under
    /// the prefetch, round-robin per queue (see [`Self::dispatch_queues`]).
    pub(super) fn dispatch(&mut self, group: GroupIdx) {
        let g = &mut self.state.groups[group.index()];
        g.dispatch_pending = false;
        if !g.asking.is_empty() {
            let mut asking = std::mem::take(&mut g.asking);
            // A group's instance indices follow their numbers (an added one comes last).
            if asking.len() > 1 {
                asking.sort_unstable();
            }
            for &instance in &asking {
                self.state.instances[instance.index()].asking = false;
                self.fetch_record(instance);
            }
            let g = &mut self.state.groups[group.index()];
            if g.asking.is_empty() {
                asking.clear();
                g.asking = asking;
            }
        }
        if !self.model.groups[group.index()].queues.is_empty() {
            self.dispatch_queues(group);
        }
    }

    /// A free log instance fetches the earliest-published available record among the
    /// partitions it owns (none while its group rebalances).
    fn fetch_record(&mut self, instance: InstanceIdx) {
        let i = &self.state.instances[instance.index()];
        if !i.alive || i.held > 0 || i.paused > 0 {
            return;
        }
        let group = i.group;
        let g = &self.state.groups[group.index()];
        if g.rebalance.is_some() {
            return;
        }
        let topics = &self.state.topics;
        let mut best: Option<(Record, Owned, u32)> = None; // (record, its partition, offset)
        for &o in &i.owned {
            let position = g.slots[o.slot as usize].position;
            if let Some(&record) = topics[o.topic.index()].partitions[o.partition.index()].get(position as usize)
                && best.is_none_or(|(b, ..)| record.published_at < b.published_at)
            {
                best = Some((record, o, position));
            }
        }
        let Some((record, o, offset)) = best else { return };
        self.state.groups[group.index()].slots[o.slot as usize].position = offset + 1;
        let work = Work {
            event: record.event,
            source: Source::Log { slot: o.slot, offset },
            attempt: 1,
            duplicate: false,
            delay: 0,
        };
        self.deliver_record(instance, group, work, (o.topic, o.partition), true);
    }

    /// A `delivered` step for a log record (and its commit when committing before
    /// processing), and the instance starts on it. A `fresh` delivery is subject to the
    /// topic's faults; a fault's own second delivery is not.
    fn deliver_record(
        &mut self,
        instance: InstanceIdx,
        group: GroupIdx,
        mut work: Work,
        (topic, partition): (TopicIdx, Partition),
        fresh: bool,
    ) {
        let Source::Log { slot, offset } = work.source else { unreachable!("a log record") };
        let mut step = Step::new(StepKind::Delivered, self.now());
        step.event = Some(work.event);
        step.topic = Some(topic);
        step.partition = Some(partition);
        step.offset = offset;
        step.group = Some(group);
        step.instance = Some(instance);
        self.push(step);
        if self.model.groups[group.index()].commit == Commit::Before
            && offset + 1 > self.state.groups[group.index()].slots[slot as usize].committed
        {
            self.write_commit(group, instance, slot, offset + 1);
        }
        if fresh {
            self.apply_topic_faults(topic, &mut work);
        }
        let i = &mut self.state.instances[instance.index()];
        debug_assert!(!fresh || i.held == 0, "a log record fetched by an instance that holds work");
        i.held += 1;
        self.start_processing(instance, work);
    }

    /// Active `duplicate` and `delay` faults on the topic mark a fresh delivery.
    #[inline]
    pub(super) fn apply_topic_faults(&mut self, topic: TopicIdx, work: &mut Work) {
        if self.state.topics[topic.index()].faults.is_empty() {
            return;
        }
        let model = Arc::clone(&self.model);
        for &f in &self.state.topics[topic.index()].faults {
            let rng = &mut self.state.faults[f as usize];
            match model.faults[f as usize].action {
                FaultAction::Duplicate { probability, .. } => work.duplicate |= rng.chance(probability),
                FaultAction::Delay { jitter, .. } => work.delay += draw(jitter, rng),
                _ => {}
            }
        }
    }

    pub(super) fn start_processing(&mut self, instance: InstanceIdx, work: Work) {
        let group = self.state.instances[instance.index()].group;
        debug_assert!(
            self.state.instances[instance.index()].current.is_none(),
            "an instance processes one delivery at a time"
        );
        let took = draw(self.model.groups[group.index()].processing, &mut self.state.groups[group.index()].rng);
        let i = &mut self.state.instances[instance.index()];
        let took = if i.slowed_by.is_empty() {
            took
        } else {
            let factor: f64 = i
                .slowed_by
                .iter()
                .map(|&f| match self.model.faults[f as usize].action {
                    FaultAction::Slow { factor, .. } => factor,
                    _ => 1.0,
                })
                .product();
            (took as f64 * factor).round() as u64
        };
        i.current = Some(Work { delay: 0, ..work });
        i.fetched = None;
        let generation = i.generation;
        // A handler with `fetch` first calls for the aggregate's state, then processes.
        // (Not for an event whose schema version it does not take: that attempt fails.)
        let gm = &self.model.groups[group.index()];
        let event = &self.trace.events[work.event.index()];
        let fetch = gm
            .handler_for(event.event_type)
            .and_then(|h| h.fetch)
            .filter(|_| gm.accepts(event.event_type, event.schema_version));
        let latency = fetch.map_or(0, |(_, latency)| latency);
        let start = self.now().saturating_add(work.delay);
        if let Some((_, latency)) = fetch {
            let at = start.saturating_add(latency);
            if at <= self.model.duration {
                self.state.agenda.schedule(at, Class::Completion, Item::Fetch { instance, generation });
            }
        }
        let at = start.saturating_add(latency).saturating_add(took);
        if at <= self.model.duration {
            self.state.agenda.schedule(at, Class::Completion, Item::Complete { instance, generation });
        }
    }

    /// A `fetch` returns: the aggregate's current write-side state for the event's key (the
    /// initial state at version 0 when the key has none), recorded in a `fetched` step with
    /// the version read and the version the event's own append produced.
    pub(super) fn fetch(&mut self, instance: InstanceIdx, generation: u32) {
        let i = &self.state.instances[instance.index()];
        if i.generation != generation || !i.alive {
            return;
        }
        let group = i.group;
        let work = i.current.expect("a fetching instance holds work");
        let model = Arc::clone(&self.model);
        let e = &self.trace.events[work.event.index()];
        let Some((a, _)) = model.groups[group.index()].handler_for(e.event_type).and_then(|h| h.fetch) else {
            return;
        };
        let am = &model.aggregates[usize::from(a)];
        let store = &self.state.aggregates[usize::from(a)];
        let (state, version) = match e.key.and_then(|k| store.state(&am.rules, k)) {
            Some(read) => read,
            None => (am.rules.to_json(&am.rules.initial), 0),
        };
        let produced = self.state.produced[usize::from(a)].get(work.event.index()).copied().flatten();
        self.state.instances[instance.index()].fetched = Some(Arc::new(state));
        let mut step = Step::new(StepKind::Fetched, self.now());
        step.event = Some(work.event);
        step.group = Some(group);
        step.instance = Some(instance);
        step.set_aggregate(a);
        step.set_versions(version, produced);
        self.push(step);
    }

    /// A log instance retries its failed record in place.
    pub(super) fn retry(&mut self, instance: InstanceIdx, generation: u32) {
        let i = &self.state.instances[instance.index()];
        if i.generation != generation || !i.alive {
            return;
        }
        let i = &mut self.state.instances[instance.index()];
        let work = i.current.take().expect("a retrying instance holds its record");
        self.start_processing(instance, work);
    }

    /// A processing attempt ends. Order at completion: the handler's outcome (failure or
    /// not), then the idempotency check, then the effect and its emits; then the commit or
    /// ack, and the instance takes its next work.
    pub(super) fn complete(&mut self, instance: InstanceIdx, generation: u32) {
        let now = self.now();
        let i = &self.state.instances[instance.index()];
        if i.generation != generation || !i.alive {
            return;
        }
        let group = i.group;
        let work = i.current.expect("a completing instance holds work");
        // The model is borrowed from the field, not cloned out of its `Arc` (this runs on every
        // completion); only emitting, which needs `&mut self`, takes a clone (see below).
        let gm = &self.model.groups[group.index()];
        let event = &self.trace.events[work.event.index()];
        let id = event.id;
        let event_type = event.event_type;
        // The schema check comes first: a version it does not take fails, with no draw.
        let accepted = gm.accepts(event.event_type, event.schema_version);
        let handler = gm.handler_for(event.event_type);
        let Verdict { outcome: outcome_index, failure } =
            verdict(handler, accepted, &mut self.state.groups[group.index()].rng);
        let outcome = handler.zip(outcome_index).map(|(h, o)| &h.outcomes[o]);
        let (retry_delay, idempotent, commit, duration) =
            (gm.retry_delay, gm.idempotent, gm.commit, self.model.duration);

        let mut step = Step::new(StepKind::Processed, now);
        step.event = Some(work.event);
        step.group = Some(group);
        step.instance = Some(instance);
        match work.source {
            Source::Log { slot, offset } => {
                let (topic, partition) = gm.slots[slot as usize];
                (step.topic, step.partition) = (Some(topic), Some(partition));
                step.offset = offset;
            }
            Source::Queue { queue, .. } => step.topic = Some(gm.queues[queue.index()]),
        }

        if let Some(reason) = failure {
            step.kind = StepKind::Failed;
            step.flag = reason as u8;
            step.aux = work.attempt;
            self.push(step);
            match work.source {
                // While its group rebalances, a failed record is given up: its partition's
                // next owner reads it again from the committed offset.
                Source::Log { .. } if self.state.groups[group.index()].rebalance.is_some() => {
                    // What it completed before still counts: commit that on revoke.
                    self.state.agenda.schedule(now, Class::Commit, Item::RevokeCommit(instance));
                    self.finish(instance);
                }
                Source::Log { .. } => {
                    let i = &mut self.state.instances[instance.index()];
                    i.current = Some(Work { attempt: work.attempt + 1, ..work });
                    let at = now.saturating_add(retry_delay);
                    if at <= duration {
                        self.state.agenda.schedule(at, Class::Timer, Item::Retry { instance, generation });
                    }
                }
                Source::Queue { queue, msg } => {
                    self.nack(instance, queue, msg);
                    self.finish(instance);
                }
            }
            return;
        }

        if idempotent && !self.state.groups[group.index()].processed.insert(id) {
            step.kind = StepKind::SkippedDuplicate;
            self.push(step);
        } else {
            step.flag = u8::from(handler.is_some());
            let emits = outcome.is_some_and(|o| !o.emits.is_empty());
            self.push(step);
            if emits && let Some(o) = outcome_index {
                let model = Arc::clone(&self.model);
                let outcome =
                    &model.groups[group.index()].handler_for(event_type).expect("an outcome's handler").outcomes[o];
                let fetched = self.state.instances[instance.index()].fetched.clone();
                for emit in &outcome.emits {
                    self.emit(group, work.event, emit, fetched.as_deref());
                }
            }
        }
        self.release(instance, group, work, commit, step);
    }

    /// A successful processing ends (`step`, its `processed` step, written): the record is
    /// committed (after) or the message acked, and the instance takes its next work.
    fn release(&mut self, instance: InstanceIdx, group: GroupIdx, work: Work, commit: Commit, mut step: Step) {
        let now = step.t_us;
        match work.source {
            Source::Log { slot, offset } => {
                let s = &mut self.state.groups[group.index()].slots[slot as usize];
                s.done = s.done.max(offset + 1);
                if self.state.groups[group.index()].rebalance.is_some() {
                    self.state.agenda.schedule(now, Class::Commit, Item::RevokeCommit(instance));
                } else if commit == Commit::After {
                    self.finish(instance);
                    let offset = offset + 1;
                    if self.follows_now(Class::Commit) {
                        // `commit`, with what is known here.
                        let s = &mut self.state.groups[group.index()].slots[slot as usize];
                        if offset > s.committed {
                            s.committed = offset;
                            // The processed step's time, group, instance and partition.
                            step.kind = StepKind::Committed;
                            (step.event, step.offset, step.aux, step.flag) = (None, offset, NONE32, 0);
                            self.push(step);
                        }
                    } else {
                        self.state.agenda.schedule(now, Class::Commit, Item::Commit { instance, slot, offset });
                    }
                    return;
                }
            }
            Source::Queue { queue, msg } => {
                self.finish(instance);
                if self.follows_now(Class::Commit) {
                    // What the end of this item would do, before the ack's own item (which
                    // comes before any dispatch).
                    if !self.state.woken.is_empty() {
                        self.schedule_woken(false);
                    }
                    self.ack(instance, queue, msg.seq, msg.receives);
                } else {
                    self.state.agenda.schedule(
                        now,
                        Class::Commit,
                        Item::Ack { instance, queue, seq: msg.seq, receive: msg.receives },
                    );
                }
                return;
            }
        }
        self.finish(instance);
    }

    /// Whether an item of `class` (a commit or ack, a dispatch) scheduled now would be the
    /// very next agenda item, so what it does may be done at once, with the same steps in the
    /// same order: nothing of its class or before is due (the heap holds only later times),
    /// and the item in hand passes the checks made after every item (the run would stop
    /// before the next one).
    ///
    /// A completion's commit is made before the end of its item rather than as an item of
    /// its own: nothing the completion schedules now comes before it (a processing's end, a
    /// delivery), and the wake checks that follow read no committed offset. An ack, which
    /// wakes, comes after those checks, as its item would.
    fn follows_now(&self, class: Class) -> bool {
        self.state.agenda.next_now(class) && self.limit_passed().is_none()
    }

    /// The instance's current work is over: a `duplicate` fault's second delivery of it comes
    /// first; else it takes the next received message or asks for a delivery.
    ///
    /// The second delivery is a delivery (class 6 of the microsecond, after the first
    /// processing's commit or ack), and until then it is work the instance still holds: it
    /// keeps its place (`held`), so no log record is fetched and no queue message starts
    /// before it (one received meanwhile, with room under the prefetch, waits in the inbox).
    /// A crash abandons it like any held work.
    ///
    /// On a log, a rebalance drops it: if the group is rebalancing when the first processing
    /// ends, or starts to before the second delivery (see [`Self::drop_redelivery`]), there
    /// is no second delivery. The rule is Kafka's: a second delivery of a record is a fetch
    /// of it, and once partitions are being revoked a consumer fetches nothing (the format's
    /// "from that moment no instance takes a new record") and drops the records it fetched but
    /// has not handed to the application, for the partition's next owner reads them again
    /// from the committed offset. Waiting for it instead would deliver during the rebalance,
    /// or after the reassignment to an instance that may no longer own the partition, behind
    /// the committed offset. Nothing is lost: the first processing completed, and its
    /// position is committed on revoke.
    #[inline]
    fn finish(&mut self, instance: InstanceIdx) {
        let i = &mut self.state.instances[instance.index()];
        let work = i.current.take().expect("finishing work");
        let rebalancing = self.state.groups[usize::from(i.group)].rebalance.is_some();
        let log = matches!(work.source, Source::Log { .. });
        if work.duplicate && !(log && rebalancing) {
            // A log record stays held as it is; a queue message's place is taken again for
            // the second delivery, since the first receive's ack (or nack) releases its own.
            if !log {
                i.held += 1;
            }
            i.redelivery = Some(Work { duplicate: false, attempt: 1, ..work });
            let generation = i.generation;
            let now = self.now();
            self.state.agenda.schedule(now, Class::Delivery, Item::Redeliver { instance, generation });
            return;
        }
        // A log record is held until its processing ends; a queue message until its ack.
        if log {
            i.held -= 1;
        }
        self.take_next(instance);
    }

    /// A free instance takes the next received message, or asks for a delivery. Either
    /// way a place under its prefetch may have been freed (a nack, a dead-letter move), so
    /// its group's queues dispatch.
    #[inline]
    fn take_next(&mut self, instance: InstanceIdx) {
        let i = &mut self.state.instances[instance.index()];
        let group = i.group;
        if let Some(next) = i.inbox.pop_front() {
            self.start_processing(instance, next);
        } else {
            self.wake(instance);
        }
        self.wake_queues(group);
    }

    /// A rebalance starts: a pending second delivery of a log record is dropped (see
    /// [`Self::finish`]) and the instance is free for other work (its queue messages).
    pub(super) fn drop_redelivery(&mut self, instance: InstanceIdx) {
        let i = &mut self.state.instances[instance.index()];
        if !i.alive || !matches!(i.redelivery, Some(Work { source: Source::Log { .. }, .. })) {
            return;
        }
        i.redelivery = None;
        i.held -= 1;
        // The `Redeliver` item still on the agenda is void (it holds no work of its own).
        i.generation += 1;
        self.take_next(instance);
    }

    /// The second delivery of a `duplicate` fault: the same record or message again, before
    /// anything else the instance holds.
    pub(super) fn redeliver(&mut self, instance: InstanceIdx, generation: u32) {
        let i = &mut self.state.instances[instance.index()];
        if i.generation != generation || !i.alive {
            return;
        }
        let work = i.redelivery.take().expect("a pending second delivery");
        debug_assert!(i.current.is_none(), "nothing starts before a pending second delivery");
        // Its place is taken by the delivery itself.
        i.held -= 1;
        match work.source {
            Source::Log { slot, .. } => {
                let g = &self.state.groups[usize::from(i.group)];
                debug_assert!(
                    g.rebalance.is_none() && g.slots[slot as usize].owner == Some(instance),
                    "a rebalance drops a pending second delivery"
                );
                let group = i.group;
                let read = self.model.groups[group.index()].slots[slot as usize];
                self.deliver_record(instance, group, work, read, false);
            }
            Source::Queue { queue, msg } => {
                // The message was acked (or is being) already; this receive cannot ack again.
                self.deliver_message(instance, queue, msg, false);
            }
        }
    }

    /// A rebalance's survivor commits the position of every partition it owns, where it
    /// moved (what Kafka's consumers do when partitions are revoked, whatever the mode).
    pub(super) fn revoke_commit(&mut self, instance: InstanceIdx) {
        let i = &self.state.instances[instance.index()];
        if !i.alive {
            return;
        }
        let group = i.group;
        for o in i.owned.clone() {
            let s = self.state.groups[group.index()].slots[o.slot as usize];
            if s.done > s.committed {
                self.write_commit(group, instance, o.slot, s.done);
            }
        }
        // The last survivor done after the pause: the rebalance ends now, as a timer
        // (class 4 of this microsecond).
        if let Some(rebalance) = self.state.groups[group.index()].rebalance
            && rebalance.paused_enough
        {
            let (now, deadline) = (self.now(), rebalance.deadline);
            self.state.agenda.schedule(now, Class::Timer, Item::RebalanceEnd { group, deadline });
        }
    }

    /// Publishes (now or after its delay) one emit of a completed handler. Templates are
    /// rendered now, against the trigger; only an emit with placeholders reads the
    /// trigger's data back.
    fn emit(&mut self, group: GroupIdx, trigger: EventIdx, emit: &EmitModel, fetched: Option<&serde_json::Value>) {
        let now = self.now();
        let t = &self.trace.events[trigger.index()];
        let (correlation, trigger_key) = (t.correlation, t.key);
        let mut key = trigger_key;
        let (data, headers) = if emit.is_literal() {
            if let Some(StrTemplate::Literal(k)) = &emit.key {
                key = (!k.is_empty()).then(|| self.trace.strings.intern(k));
            }
            (emit.literal_data.expect("literal"), emit.literal_headers.expect("literal"))
        } else {
            let id_text = t.id.render(&self.trace.strings);
            let mut trigger_data = self.trace.payloads.value(t.data);
            self.model.groups[group.index()].upcast_data(t.event_type, t.schema_version, &mut trigger_data);
            let ctx = Context {
                key: t.key.map(|k| self.trace.strings.resolve(k)),
                id: &id_text,
                event_type: self.trace.strings.resolve(t.event_type),
                data: &trigger_data,
                n: 0,
                state: fetched,
            };
            let g = &mut self.state.groups[group.index()];
            let data = match (&emit.literal_data, &emit.data) {
                (Some(span), _) => Rendered::Stored(*span),
                (None, Some(template)) => Rendered::Value(template.render(&mut g.rng, &mut g.sequences, Some(&ctx))),
                (None, None) => Rendered::Stored(Span::EMPTY_OBJECT),
            };
            let headers = match emit.literal_headers {
                Some(span) => Rendered::Stored(span),
                None => Rendered::Headers(render_headers(&emit.headers, &ctx)),
            };
            let rendered_key = emit.key.as_ref().map(|template| template.render_text(&ctx));
            if let Some(text) = rendered_key {
                key = (!text.is_empty()).then(|| self.trace.strings.intern(&text));
            }
            (data.store(&mut self.trace.payloads), headers.store(&mut self.trace.payloads))
        };
        let pending = Pending {
            topic: emit.topic,
            event_type: emit.event_type,
            key,
            source: self.model.groups[group.index()].source,
            correlation: Some(correlation),
            cause: Some(trigger),
            emitter: Some(group),
            schema_version: emit.schema_version,
            headers,
            data,
        };
        if emit.delay == 0 {
            // Published at completion (class 2), before the trigger's commit or ack.
            let event = self.new_event(&pending, None);
            self.publish(event, pending.topic, None);
            return;
        }
        let at = now.saturating_add(emit.delay);
        if at <= self.model.duration {
            self.state.agenda.schedule(at, Class::Publish, Item::Emit(Box::new(pending)));
        }
    }
}

/// What a handler makes of a completed processing attempt, before the idempotency check:
/// the outcome drawn (an index into the handler's `outcomes`; none without a handler or for
/// a schema version the group does not take) and the failure, if the attempt fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Option<usize>,
    pub failure: Option<FailReason>,
}

/// The handler's verdict on an attempt (`handler`: the group's handler for the event's type;
/// `accepted`: whether the group takes its schema version), drawn from the group's stream:
/// the schema check first (a version it does not take fails with no draw), then the weighted
/// outcome, then `fail_probability` (drawn only when the outcome did not fail). The simulator
/// and the broker bridge (`run --broker`) both decide with it.
#[inline]
pub fn verdict(handler: Option<&HandlerModel>, accepted: bool, rng: &mut crate::rng::Stream) -> Verdict {
    let outcome = handler.filter(|_| accepted).map(|h| rng.weighted(&h.cumulative));
    let failure = match (handler, handler.zip(outcome).map(|(h, o)| &h.outcomes[o])) {
        _ if !accepted => Some(FailReason::UnknownSchemaVersion),
        (_, Some(o)) if o.fail => Some(FailReason::HandlerFailed),
        (Some(h), _) if h.fail_probability > 0.0 && rng.chance(h.fail_probability) => Some(FailReason::FailProbability),
        _ => None,
    };
    Verdict { outcome, failure }
}

/// A payload rendered for a new event, not yet in the arena.
pub(super) enum Rendered {
    Stored(Span),
    Value(serde_json::Value),
    Headers(Vec<(String, String)>),
}

impl Rendered {
    pub(super) fn store(self, payloads: &mut Payloads) -> Span {
        match self {
            Rendered::Stored(span) => span,
            Rendered::Value(value) => payloads.push(&value),
            Rendered::Headers(headers) => payloads.push_headers(&headers),
        }
    }
}

/// A draw from a distribution of durations, in µs.
pub fn draw(distribution: Distribution, rng: &mut crate::rng::Stream) -> u64 {
    match distribution {
        Distribution::Fixed(d) => d.as_micros(),
        Distribution::Uniform(lo, hi) => rng.int_in(lo.as_micros() as i64, hi.as_micros() as i64) as u64,
        Distribution::Exponential(mean) => rng.exponential(mean.as_micros() as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::range_assign;

    #[test]
    fn range_assignor_matches_kafka() {
        assert_eq!(range_assign(12, 6), vec![0..2, 2..4, 4..6, 6..8, 8..10, 10..12]);
        assert_eq!(range_assign(7, 3), vec![0..3, 3..5, 5..7]);
        assert_eq!(range_assign(2, 3), vec![0..1, 1..2, 2..2]);
    }
}
