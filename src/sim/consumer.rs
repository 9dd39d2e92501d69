//! Consumer groups: joining and partition assignment, deliveries, processing, commits
//! and acks.

use std::sync::Arc;

use super::producer::render_headers;
use super::{Item, Msg, Pending, Simulator, Source, Work};
use crate::scenario::model::{Commit, From};
use crate::scenario::template::Context;
use crate::scenario::template::StrTemplate;
use crate::scenario::value::Distribution;
use crate::sim::model::EmitModel;
use crate::sim::sched::Class;
use crate::trace::{Assignment, FailReason, Payloads, Span, Step, StepKind};

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
    pub(super) fn join(&mut self, group: u16) {
        let model = Arc::clone(&self.model);
        let gm = &model.groups[usize::from(group)];
        self.state.groups[usize::from(group)].joined = true;
        if gm.reads_logs() {
            for (slot, &(topic, partition)) in gm.slots.iter().enumerate() {
                let end = self.state.topics[usize::from(topic)].partitions[usize::from(partition)].len() as u32;
                let start = if gm.from == From::Latest { end } else { 0 };
                let s = &mut self.state.groups[usize::from(group)].slots[slot];
                (s.committed, s.position, s.done) = (start, start, start);
            }
            let assignment = self.assign(group);
            let mut step = Step::new(StepKind::Rebalanced, self.now());
            step.group = group;
            step.aux = self.trace.assignments.len() as u32;
            self.trace.assignments.push(assignment);
            self.push(step);
            if let Commit::Interval(every) = gm.commit {
                self.schedule_interval_commit(group, gm.start, every.as_micros());
            }
            for member in self.state.groups[usize::from(group)].members.clone() {
                self.wake(member);
            }
        }
        for queue in 0..gm.queues.len() {
            self.wake_queue(group, queue as u16);
        }
    }

    /// Assigns the group's log partitions over its live members; returns the assignment.
    fn assign(&mut self, group: u16) -> Assignment {
        let model = Arc::clone(&self.model);
        let gm = &model.groups[usize::from(group)];
        let members: Vec<u16> = self.state.groups[usize::from(group)]
            .members
            .iter()
            .copied()
            .filter(|&i| self.state.instances[usize::from(i)].alive)
            .collect();
        for &m in &self.state.groups[usize::from(group)].members {
            self.state.instances[usize::from(m)].owned.clear();
        }
        for slot in &mut self.state.groups[usize::from(group)].slots {
            slot.owner = None;
        }
        let mut assignment = Assignment::new();
        let mut slot_base = 0u32;
        for &topic in &gm.topics {
            let tm = &model.topics[usize::from(topic)];
            if tm.kind != crate::scenario::model::TopicKind::Log {
                continue;
            }
            for (member, range) in members.iter().zip(range_assign(tm.partitions, members.len() as u32)) {
                for p in range.clone() {
                    self.state.groups[usize::from(group)].slots[(slot_base + p) as usize].owner = Some(*member);
                    self.state.instances[usize::from(*member)].owned.push(slot_base + p);
                }
                assignment.push((*member, topic, range.map(|p| p as u16).collect()));
            }
            slot_base += tm.partitions;
        }
        assignment
    }

    fn schedule_interval_commit(&mut self, group: u16, from: u64, every: u64) {
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
    pub(super) fn interval_commit(&mut self, group: u16) {
        let now = self.now();
        let g = usize::from(group);
        for member in self.state.groups[g].members.clone() {
            let instance = &self.state.instances[usize::from(member)];
            if !instance.alive {
                continue;
            }
            for slot in instance.owned.clone() {
                let s = self.state.groups[g].slots[slot as usize];
                if s.done > s.committed {
                    self.write_commit(group, member, slot, s.done);
                }
            }
        }
        if let Commit::Interval(every) = self.model.groups[g].commit {
            self.schedule_interval_commit(group, now, every.as_micros());
        }
    }

    fn write_commit(&mut self, group: u16, instance: u16, slot: u32, offset: u32) {
        let (topic, partition) = self.model.groups[usize::from(group)].slots[slot as usize];
        self.state.groups[usize::from(group)].slots[slot as usize].committed = offset;
        let mut step = Step::new(StepKind::Committed, self.now());
        step.group = group;
        step.instance = instance;
        step.topic = topic;
        step.partition = partition;
        step.offset = offset;
        self.push(step);
    }

    /// Commit-after of one record: written only when the position moves.
    pub(super) fn commit(&mut self, instance: u16, slot: u32, offset: u32) {
        let group = self.state.instances[usize::from(instance)].group;
        if offset > self.state.groups[usize::from(group)].slots[slot as usize].committed {
            self.write_commit(group, instance, slot, offset);
        }
    }

    /// Asks for a delivery to a log instance at the end of this microsecond.
    pub(super) fn wake(&mut self, instance: u16) {
        let i = &mut self.state.instances[usize::from(instance)];
        if !i.dispatch_pending && i.alive && i.held == 0 && !i.owned.is_empty() {
            i.dispatch_pending = true;
            let now = self.now();
            self.state.agenda.schedule(now, Class::Delivery, Item::Dispatch(instance));
        }
    }

    pub(super) fn wake_queue(&mut self, group: u16, queue: u16) {
        let q = &mut self.state.groups[usize::from(group)].queues[usize::from(queue)];
        if !q.dispatch_pending && !q.ready.is_empty() {
            q.dispatch_pending = true;
            let now = self.now();
            self.state.agenda.schedule(now, Class::Delivery, Item::DispatchQueue { group, queue });
        }
    }

    /// A free log instance fetches the earliest-published available record among the
    /// partitions it owns.
    pub(super) fn dispatch_log(&mut self, instance: u16) {
        let i = &mut self.state.instances[usize::from(instance)];
        i.dispatch_pending = false;
        if !i.alive || i.held > 0 {
            return;
        }
        let group = i.group;
        let g = &self.state.groups[usize::from(group)];
        let gm = &self.model.groups[usize::from(group)];
        let mut best: Option<(u32, u32)> = None; // (published_at, slot)
        for &slot in &self.state.instances[usize::from(instance)].owned {
            let s = &g.slots[slot as usize];
            let (topic, partition) = gm.slots[slot as usize];
            if let Some(record) =
                self.state.topics[usize::from(topic)].partitions[usize::from(partition)].get(s.position as usize)
                && best.is_none_or(|(at, _)| record.published_at < at)
            {
                best = Some((record.published_at, slot));
            }
        }
        let Some((_, slot)) = best else { return };
        let (topic, partition) = gm.slots[slot as usize];
        let commit_before = gm.commit == Commit::Before;
        let s = &mut self.state.groups[usize::from(group)].slots[slot as usize];
        let offset = s.position;
        s.position += 1;
        let event = self.state.topics[usize::from(topic)].partitions[usize::from(partition)][offset as usize].event;
        let mut step = Step::new(StepKind::Delivered, self.now());
        step.event = event;
        step.topic = topic;
        step.partition = partition;
        step.offset = offset;
        step.group = group;
        step.instance = instance;
        self.push(step);
        if commit_before {
            self.write_commit(group, instance, slot, offset + 1);
        }
        self.state.instances[usize::from(instance)].held += 1;
        self.start_processing(instance, Work { event, source: Source::Log { slot, offset }, attempt: 1 });
    }

    /// Hands ready messages to instances with room, round-robin, in queue order.
    pub(super) fn dispatch_queue(&mut self, group: u16, queue: u16) {
        let g = usize::from(group);
        self.state.groups[g].queues[usize::from(queue)].dispatch_pending = false;
        let topic = self.model.groups[g].queues[usize::from(queue)];
        let prefetch = 1;
        loop {
            let members = &self.state.groups[g].members;
            let q = &self.state.groups[g].queues[usize::from(queue)];
            if q.ready.is_empty() {
                return;
            }
            let n = members.len();
            let Some(k) = (0..n).map(|j| (q.round_robin + j) % n).find(|&k| {
                let i = &self.state.instances[usize::from(members[k])];
                i.alive && i.held < prefetch
            }) else {
                return;
            };
            let instance = members[k];
            let q = &mut self.state.groups[g].queues[usize::from(queue)];
            q.round_robin = (k + 1) % n;
            let mut msg = q.ready.pop_front().expect("not empty");
            msg.receives += 1;
            let mut step = Step::new(StepKind::Delivered, self.now());
            step.event = msg.event;
            step.topic = topic;
            step.group = group;
            step.instance = instance;
            step.aux = msg.receives;
            self.push(step);
            let work = Work { event: msg.event, source: Source::Queue { queue, msg }, attempt: msg.receives };
            let i = &mut self.state.instances[usize::from(instance)];
            i.held += 1;
            if i.current.is_some() {
                i.inbox.push_back(work);
            } else {
                self.start_processing(instance, work);
            }
        }
    }

    fn draw_processing(&mut self, group: u16) -> u64 {
        let rng = &mut self.state.groups[usize::from(group)].rng;
        match self.model.groups[usize::from(group)].processing {
            Distribution::Fixed(d) => d.as_micros(),
            Distribution::Uniform(lo, hi) => rng.int_in(lo.as_micros() as i64, hi.as_micros() as i64) as u64,
            Distribution::Exponential(mean) => rng.exponential(mean.as_micros() as f64),
        }
    }

    fn start_processing(&mut self, instance: u16, work: Work) {
        let group = self.state.instances[usize::from(instance)].group;
        let took = self.draw_processing(group);
        let i = &mut self.state.instances[usize::from(instance)];
        i.current = Some(work);
        let generation = i.generation;
        let at = self.now().saturating_add(took);
        if at <= self.model.duration {
            self.state.agenda.schedule(at, Class::Completion, Item::Complete { instance, generation });
        }
    }

    /// A log instance retries its failed record in place.
    pub(super) fn retry(&mut self, instance: u16, generation: u32) {
        let i = &self.state.instances[usize::from(instance)];
        if i.generation != generation || !i.alive {
            return;
        }
        let work = i.current.expect("a retrying instance holds its record");
        self.start_processing(instance, work);
    }

    /// A nacked message is ready again, in its original place.
    pub(super) fn requeue(&mut self, group: u16, queue: u16, msg: Msg) {
        let q = &mut self.state.groups[usize::from(group)].queues[usize::from(queue)];
        let at = q.ready.partition_point(|m| m.seq < msg.seq);
        q.ready.insert(at, msg);
        self.wake_queue(group, queue);
    }

    /// A processing attempt ends: failure, or effect (or none) and emits; then the commit
    /// or ack, and the instance takes its next work.
    pub(super) fn complete(&mut self, instance: u16, generation: u32) {
        let now = self.now();
        let i = &self.state.instances[usize::from(instance)];
        if i.generation != generation || !i.alive {
            return;
        }
        let group = i.group;
        let work = i.current.expect("a completing instance holds work");
        let model = Arc::clone(&self.model);
        let gm = &model.groups[usize::from(group)];
        let event = &self.trace.events[work.event as usize];
        let handler = gm.handler_for(event.event_type);
        let outcome = handler.map(|h| {
            let pick = self.state.groups[usize::from(group)].rng.weighted(&h.cumulative);
            &h.outcomes[pick]
        });

        let mut step = Step::new(StepKind::Processed, now);
        step.event = work.event;
        step.group = group;
        step.instance = instance;
        match work.source {
            Source::Log { slot, offset } => {
                (step.topic, step.partition) = gm.slots[slot as usize];
                step.offset = offset;
            }
            Source::Queue { queue, .. } => step.topic = gm.queues[usize::from(queue)],
        }

        if outcome.is_some_and(|o| o.fail) {
            step.kind = StepKind::Failed;
            step.flag = FailReason::HandlerFailed as u8;
            step.aux = work.attempt;
            self.push(step);
            let retry_at = now; // retry_delay lands with the failure-mechanics work; 0 until then.
            match work.source {
                Source::Log { .. } => {
                    let i = &mut self.state.instances[usize::from(instance)];
                    i.current = Some(Work { attempt: work.attempt + 1, ..work });
                    self.state.agenda.schedule(retry_at, Class::Timer, Item::Retry { instance, generation });
                }
                Source::Queue { queue, msg } => {
                    // A nack: the message no longer counts against the instance's prefetch.
                    let i = &mut self.state.instances[usize::from(instance)];
                    i.held = i.held.saturating_sub(1);
                    self.state.agenda.schedule(retry_at, Class::Timer, Item::Requeue { group, queue, msg });
                    self.finish(instance);
                }
            }
            return;
        }

        step.flag = u8::from(handler.is_some());
        self.push(step);
        if let Some(outcome) = outcome {
            for emit in &outcome.emits {
                self.emit(group, work.event, emit);
            }
        }
        match work.source {
            Source::Log { slot, offset } => {
                let s = &mut self.state.groups[usize::from(group)].slots[slot as usize];
                s.done = s.done.max(offset + 1);
                if gm.commit == Commit::After {
                    self.state.agenda.schedule(now, Class::Commit, Item::Commit { instance, slot, offset: offset + 1 });
                }
            }
            Source::Queue { queue, .. } => {
                self.state.agenda.schedule(now, Class::Commit, Item::Ack { instance, queue, event: work.event });
            }
        }
        self.finish(instance);
    }

    /// The instance's current work is over: it takes the next received message or asks
    /// for a delivery.
    fn finish(&mut self, instance: u16) {
        let i = &mut self.state.instances[usize::from(instance)];
        // A log record is held until its processing ends; a queue message until its ack.
        if let Some(Work { source: Source::Log { .. }, .. }) = i.current {
            i.held -= 1;
        }
        i.current = None;
        if let Some(next) = i.inbox.pop_front() {
            self.start_processing(instance, next);
            return;
        }
        let group = i.group;
        self.wake(instance);
        for queue in 0..self.model.groups[usize::from(group)].queues.len() {
            self.wake_queue(group, queue as u16);
        }
    }

    /// Acks a queue message: it leaves the group's queue for good.
    pub(super) fn ack(&mut self, instance: u16, queue: u16, event: u32) {
        let group = self.state.instances[usize::from(instance)].group;
        let i = &mut self.state.instances[usize::from(instance)];
        i.held = i.held.saturating_sub(1);
        let mut step = Step::new(StepKind::Acked, self.now());
        step.event = event;
        step.group = group;
        step.instance = instance;
        step.topic = self.model.groups[usize::from(group)].queues[usize::from(queue)];
        self.push(step);
        self.wake_queue(group, queue);
    }

    /// Publishes (now or after its delay) one emit of a completed handler. Templates are
    /// rendered now, against the trigger; only an emit with placeholders reads the
    /// trigger's data back.
    fn emit(&mut self, group: u16, trigger: u32, emit: &EmitModel) {
        let now = self.now();
        let t = &self.trace.events[trigger as usize];
        let (correlation, trigger_key) = (t.correlation, t.key);
        let mut key = trigger_key;
        let (data, headers) = if emit.is_literal() {
            if let Some(StrTemplate::Literal(k)) = &emit.key {
                key = (!k.is_empty()).then(|| self.trace.strings.intern(k));
            }
            (emit.literal_data.expect("literal"), emit.literal_headers.expect("literal"))
        } else {
            let id_text = t.id.render(&self.trace.strings);
            let trigger_data = self.trace.payloads.value(t.data);
            let ctx = Context {
                key: t.key.map(|k| self.trace.strings.resolve(k)),
                id: &id_text,
                event_type: self.trace.strings.resolve(t.event_type),
                data: &trigger_data,
                n: 0,
                state: None,
            };
            let g = &mut self.state.groups[usize::from(group)];
            let data = match (&emit.literal_data, &emit.data) {
                (Some(span), _) => Rendered::Stored(*span),
                (None, Some(template)) => Rendered::Value(template.render(&mut g.rng, &mut g.sequences, Some(&ctx))),
                (None, None) => Rendered::Stored(Span::NONE),
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
            source: self.model.groups[usize::from(group)].source,
            correlation: Some(correlation),
            cause: Some(trigger),
            emitter: Some(group),
            schema_version: emit.schema_version,
            headers,
            data,
        };
        let at = now.saturating_add(emit.delay);
        if at <= self.model.duration {
            self.state.agenda.schedule(at, Class::Publish, Item::Emit(Box::new(pending)));
        }
    }
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
