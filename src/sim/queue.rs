//! Queues (`RabbitMQ` / SQS-like): competing instances, prefetch, acks, visibility timeouts,
//! redelivery, dead letters and FIFO order per key.

use super::{Item, Msg, Simulator, Source, Work};
use crate::sim::sched::Class;
use crate::trace::{GroupIdx, InstanceIdx, QueueIdx, Step, StepKind};

impl Simulator {
    /// A group's queue may have a message to deliver (see
    /// [`Self::schedule_dispatches`]).
    pub(super) fn wake_queue(&mut self, group: GroupIdx, queue: QueueIdx) {
        if !self.state.groups[group.index()].queues[queue.index()].ready.is_empty() {
            self.state.woken.push(super::Woken::Queues(group));
        }
    }

    /// An instance of the group may have room again: any of its queues may deliver.
    pub(super) fn wake_queues(&mut self, group: GroupIdx) {
        if self.state.groups[group.index()].queues.iter().any(|q| !q.ready.is_empty()) {
            self.state.woken.push(super::Woken::Queues(group));
        }
    }

    /// Whether one of the group's queues has a deliverable message and an instance has
    /// room under the prefetch.
    #[inline]
    pub(super) fn can_receive(&self, group: GroupIdx) -> bool {
        let g = &self.state.groups[group.index()];
        let prefetch = self.model.groups[group.index()].prefetch;
        let room = g.members.iter().any(|&m| {
            let i = &self.state.instances[usize::from(m)];
            i.alive && i.paused == 0 && i.held < prefetch
        });
        room && (0..g.queues.len()).any(|q| self.next_deliverable(group, QueueIdx::new(q)).is_some())
    }

    /// The first ready message that may be delivered: on a FIFO queue, one whose key has no
    /// earlier unacked message.
    #[inline]
    fn next_deliverable(&self, group: GroupIdx, queue: QueueIdx) -> Option<usize> {
        let topic = self.model.groups[group.index()].queues[queue.index()];
        let q = &self.state.groups[group.index()].queues[queue.index()];
        if !self.model.topics[topic.index()].fifo {
            return (!q.ready.is_empty()).then_some(0);
        }
        q.ready.iter().position(|m| match self.trace.events[m.event.index()].key {
            None => true,
            Some(key) => q.unacked_by_key.get(&key).and_then(|seqs| seqs.first()) == Some(&m.seq),
        })
    }

    /// Hands the group's ready messages to instances with room: the deliverable message
    /// published earliest among its queues goes next, to that queue's next instance
    /// (round-robin) with room under the prefetch.
    pub(super) fn dispatch_queues(&mut self, group: GroupIdx) {
        let g = group.index();
        let model = std::sync::Arc::clone(&self.model);
        let gm = &model.groups[g];
        loop {
            let best = if let [_] = gm.queues[..] {
                // One queue (the usual case): its first deliverable message.
                let queue = QueueIdx::new(0);
                self.next_deliverable(group, queue).map(|index| (queue, index))
            } else {
                let mut best: Option<(u64, QueueIdx, usize)> = None; // (seq, queue, index in ready)
                for queue in (0..gm.queues.len()).map(QueueIdx::new) {
                    if let Some(index) = self.next_deliverable(group, queue) {
                        let seq = self.state.groups[g].queues[queue.index()].ready[index].seq;
                        if best.is_none_or(|(at, ..)| seq < at) {
                            best = Some((seq, queue, index));
                        }
                    }
                }
                best.map(|(_, queue, index)| (queue, index))
            };
            let Some((queue, index)) = best else { return };
            let (instances, members) = (&self.state.instances, &self.state.groups[g].members);
            let n = members.len();
            // From the queue's round-robin place to the end, then from the start: what
            // `(round_robin + j) % n` visits, without a division a step.
            let from = self.state.groups[g].queues[queue.index()].round_robin % n.max(1);
            let Some(k) = (from..n).chain(0..from).find(|&k| {
                let i = &instances[usize::from(members[k])];
                i.alive && i.paused == 0 && i.held < gm.prefetch
            }) else {
                return;
            };
            let instance = members[k];
            let visibility = model.topics[usize::from(gm.queues[queue.index()])].visibility_timeout;
            let q = &mut self.state.groups[g].queues[queue.index()];
            q.round_robin = (k + 1) % n;
            let taken = if index == 0 { q.ready.pop_front() } else { q.ready.remove(index) };
            let mut msg = taken.expect("deliverable");
            msg.receives += 1;
            let deadline = self.state.agenda.now().saturating_add(visibility);
            q.inflight.insert(msg.seq, (msg, deadline));
            q.expiries.push_back((deadline, msg.seq, msg.receives));
            self.schedule_expiry(group, queue);
            self.deliver_message(instance, queue, msg, true);
        }
    }

    /// A `delivered` step for a queue message, and the instance takes it. A `fresh`
    /// delivery is subject to the topic's faults; a fault's own second delivery is not.
    pub(super) fn deliver_message(&mut self, instance: InstanceIdx, queue: QueueIdx, msg: Msg, fresh: bool) {
        let group = self.state.instances[instance.index()].group;
        let topic = self.model.groups[group.index()].queues[queue.index()];
        let mut step = Step::new(StepKind::Delivered, self.now());
        step.event = Some(msg.event);
        step.topic = Some(topic);
        step.group = Some(group);
        step.instance = Some(instance);
        step.aux = msg.receives;
        self.push(step);
        let mut work = Work {
            event: msg.event,
            source: Source::Queue { queue, msg },
            attempt: msg.receives,
            duplicate: false,
            delay: 0,
        };
        if fresh {
            self.apply_topic_faults(topic, &mut work);
        }
        let prefetch = self.model.groups[group.index()].prefetch;
        let i = &mut self.state.instances[instance.index()];
        i.held += 1;
        debug_assert!(i.held <= prefetch.max(1), "{} held beyond the prefetch {prefetch}", i.held);
        // One at a time, in order of receipt; a pending `duplicate` second delivery first.
        if i.current.is_some() || i.redelivery.is_some() {
            i.inbox.push_back(work);
        } else {
            self.start_processing(instance, work);
        }
    }

    /// A nacked message is ready again, in its original place.
    pub(super) fn requeue(&mut self, group: GroupIdx, queue: QueueIdx, msg: Msg) {
        let q = &mut self.state.groups[group.index()].queues[queue.index()];
        let at = q.ready.partition_point(|m| m.seq < msg.seq);
        q.ready.insert(at, msg);
        self.wake_queue(group, queue);
    }

    /// Keeps one agenda item at the earliest pending visibility deadline.
    fn schedule_expiry(&mut self, group: GroupIdx, queue: QueueIdx) {
        let q = &mut self.state.groups[group.index()].queues[queue.index()];
        if q.expiry_scheduled {
            return;
        }
        if let Some(&(deadline, ..)) = q.expiries.front()
            && deadline <= self.model.duration
        {
            q.expiry_scheduled = true;
            self.state.agenda.schedule(deadline, Class::Timer, Item::Expire { group, queue });
        }
    }

    /// The visibility timeouts due now, in delivery order.
    pub(super) fn expire_due(&mut self, group: GroupIdx, queue: QueueIdx) {
        let now = self.now();
        self.state.groups[group.index()].queues[queue.index()].expiry_scheduled = false;
        loop {
            let q = &mut self.state.groups[group.index()].queues[queue.index()];
            let Some(&(deadline, seq, receive)) = q.expiries.front() else { break };
            if deadline > now {
                break;
            }
            q.expiries.pop_front();
            self.expire(group, queue, seq, receive);
        }
        self.schedule_expiry(group, queue);
    }

    /// A receive's visibility timeout: if that receive is still the message's latest and
    /// unacked, the message is ready again (or, at `max_receives`, dead-lettered). The
    /// instance that holds it keeps processing; its ack will be ignored.
    fn expire(&mut self, group: GroupIdx, queue: QueueIdx, seq: u64, receive: u32) {
        let q = &mut self.state.groups[group.index()].queues[queue.index()];
        if q.inflight.get(seq).is_none_or(|(m, _)| m.receives != receive) {
            return;
        }
        let (msg, _) = q.inflight.remove(seq).expect("checked");
        if self.exhausted(group, queue, msg) {
            self.dead_letter(group, queue, msg);
            return;
        }
        let mut step = Step::new(StepKind::Requeued, self.now());
        step.event = Some(msg.event);
        step.group = Some(group);
        step.topic = Some(self.model.groups[group.index()].queues[queue.index()]);
        step.aux = msg.receives;
        self.push(step);
        self.requeue(group, queue, msg);
    }

    /// Whether this receive was the last one allowed before the dead-letter queue.
    pub(super) fn exhausted(&self, group: GroupIdx, queue: QueueIdx, msg: Msg) -> bool {
        let topic = &self.model.topics[usize::from(self.model.groups[group.index()].queues[queue.index()])];
        topic.dead_letter.is_some() && topic.max_receives.is_some_and(|max| msg.receives >= max)
    }

    /// Moves a message to its queue's dead-letter topic, with the same id.
    pub(super) fn dead_letter(&mut self, group: GroupIdx, queue: QueueIdx, msg: Msg) {
        let topic = self.model.groups[group.index()].queues[queue.index()];
        let target = self.model.topics[topic.index()].dead_letter.expect("a dead-letter topic");
        self.release_key(group, queue, msg);
        let mut step = Step::new(StepKind::DeadLettered, self.now());
        step.event = Some(msg.event);
        step.group = Some(group);
        step.topic = Some(topic);
        step.set_dead_letter(target);
        self.push(step);
        self.enqueue(target, msg.event);
    }

    /// On a FIFO queue, a message no longer blocks later ones with its key.
    fn release_key(&mut self, group: GroupIdx, queue: QueueIdx, msg: Msg) {
        let Some(key) = self.trace.events[msg.event.index()].key else { return };
        let q = &mut self.state.groups[group.index()].queues[queue.index()];
        if !q.unacked_by_key.is_empty()
            && let Some(seqs) = q.unacked_by_key.get_mut(&key)
        {
            seqs.remove(&msg.seq);
            if seqs.is_empty() {
                q.unacked_by_key.remove(&key);
            }
        }
        self.wake_queue(group, queue);
    }

    /// Whether a receive is still the message's latest and within its visibility window
    /// (half-open: at the deadline itself it has expired, whatever runs first in that µs).
    fn receipt_valid(&self, group: GroupIdx, queue: QueueIdx, seq: u64, receive: u32) -> bool {
        let now = self.now();
        self.state.groups[group.index()].queues[queue.index()]
            .inflight
            .get(seq)
            .is_some_and(|&(m, deadline)| m.receives == receive && now < deadline)
    }

    /// A processing ended: the instance releases the message, and if this receive is still
    /// the latest the message leaves the queue for good (an `acked` step).
    pub(super) fn ack(&mut self, instance: InstanceIdx, queue: QueueIdx, seq: u64, receive: u32) {
        let group = self.state.instances[instance.index()].group;
        let i = &mut self.state.instances[instance.index()];
        debug_assert!(i.held > 0, "an ack or nack of a message the instance does not hold");
        i.held = i.held.saturating_sub(1);
        // `receipt_valid`, then the removal, with one search.
        let now = self.now();
        let q = &mut self.state.groups[group.index()].queues[queue.index()];
        if let Ok(at) = q.inflight.find(seq)
            && let (_, (m, deadline)) = q.inflight.0[at]
            && m.receives == receive
            && now < deadline
        {
            let taken = if at == 0 { q.inflight.0.pop_front() } else { q.inflight.0.remove(at) };
            let (_, (msg, _)) = taken.expect("found");
            let mut step = Step::new(StepKind::Acked, self.now());
            step.event = Some(msg.event);
            step.group = Some(group);
            step.instance = Some(instance);
            step.topic = Some(self.model.groups[group.index()].queues[queue.index()]);
            self.push(step);
            self.release_key(group, queue, msg);
        }
        self.wake_queues(group);
        self.wake(instance);
    }

    /// A failed attempt nacks the message: ready again after `retry_delay` as a new
    /// receive, or dead-lettered when this was its last receive.
    pub(super) fn nack(&mut self, instance: InstanceIdx, queue: QueueIdx, msg: Msg) {
        let group = self.state.instances[instance.index()].group;
        let i = &mut self.state.instances[instance.index()];
        debug_assert!(i.held > 0, "an ack or nack of a message the instance does not hold");
        i.held = i.held.saturating_sub(1);
        if !self.receipt_valid(group, queue, msg.seq, msg.receives) {
            // Its visibility expired first: it is ready again (or dead-lettered), or will be
            // by the expiry due this very microsecond.
            return;
        }
        self.state.groups[group.index()].queues[queue.index()].inflight.remove(msg.seq);
        if self.exhausted(group, queue, msg) {
            self.dead_letter(group, queue, msg);
            return;
        }
        let at = self.now().saturating_add(self.model.groups[group.index()].retry_delay);
        if at <= self.model.duration {
            self.state.agenda.schedule(at, Class::Timer, Item::Requeue { group, queue, msg });
        }
    }
}
