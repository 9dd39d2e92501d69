//! Faults and what they set off: crashes and restarts, pauses, slowdowns, added
//! instances, duplicated and delayed deliveries; and the rebalances of log groups.

use std::sync::Arc;

use super::{InstanceState, Item, Rebalance, Simulator};
use crate::sim::model::FaultAction;
use crate::sim::sched::Class;
use crate::trace::{GroupIdx, InstanceIdx, Step, StepKind};

impl Simulator {
    /// The instances a consumer fault targets: one (`NAME#I`) or all of them.
    fn targets(&self, group: GroupIdx, number: Option<u32>) -> Vec<InstanceIdx> {
        self.state.groups[group.index()]
            .members
            .iter()
            .copied()
            .filter(|&i| number.is_none_or(|n| self.state.instances[i.index()].number == n))
            .collect()
    }

    fn instance_step(&mut self, kind: StepKind, instance: InstanceIdx) {
        let mut step = Step::new(kind, self.now());
        step.instance = Some(instance);
        step.group = Some(self.state.instances[instance.index()].group);
        self.push(step);
    }

    fn schedule_end(&mut self, fault: usize, until: u64) {
        if until <= self.model.duration {
            self.state.agenda.schedule(until, Class::Timer, Item::FaultEnd(fault as u32));
        }
    }

    /// Fault `f` starts.
    pub(super) fn fault(&mut self, f: usize) {
        let model = Arc::clone(&self.model);
        match model.faults[f].action {
            FaultAction::Crash { group, instance, restart_after } => {
                let targets = self.targets(group, instance);
                self.crash(group, &targets);
                for i in targets {
                    if let Some(after) = restart_after {
                        let at = self.now().saturating_add(after);
                        if at <= model.duration {
                            self.state.agenda.schedule(at, Class::Timer, Item::Restart(i));
                        }
                    }
                }
            }
            FaultAction::Pause { group, instance, until } => {
                let targets = self.targets(group, instance);
                for &i in &targets {
                    self.state.instances[i.index()].paused += 1;
                    self.instance_step(StepKind::Paused, i);
                }
                self.state.fault_targets[f] = targets;
                self.schedule_end(f, until);
            }
            FaultAction::Slow { group, instance, until, .. } => {
                for i in self.targets(group, instance) {
                    self.state.instances[i.index()].slowed_by.push(f as u32);
                }
                self.schedule_end(f, until);
            }
            FaultAction::AddInstance { group } => self.add_instance(group),
            FaultAction::Upgrade { producer, kind, version } => {
                // Every entry of that type in the producer's `events`.
                let types = &model.producers[usize::from(producer)].types;
                let event_type = types[usize::from(kind)].event_type;
                let versions = &mut self.state.producers[usize::from(producer)].versions;
                for (k, ty) in types.iter().enumerate() {
                    if ty.event_type == event_type {
                        versions[k] = version;
                    }
                }
            }
            FaultAction::Duplicate { topic, until, .. } | FaultAction::Delay { topic, until, .. } => {
                self.state.topics[topic.index()].faults.push(f as u32);
                self.schedule_end(f, until);
            }
        }
    }

    /// The `for` window of fault `f` ends.
    pub(super) fn fault_end(&mut self, f: usize) {
        let model = Arc::clone(&self.model);
        match model.faults[f].action {
            FaultAction::Pause { group, .. } => {
                // The instances it paused: one added since was never paused.
                for i in std::mem::take(&mut self.state.fault_targets[f]) {
                    let state = &mut self.state.instances[i.index()];
                    state.paused = state.paused.saturating_sub(1);
                    self.instance_step(StepKind::Resumed, i);
                    self.wake(i);
                }
                self.wake_queues(group);
            }
            FaultAction::Slow { group, instance, .. } => {
                for i in self.targets(group, instance) {
                    self.state.instances[i.index()].slowed_by.retain(|&g| g as usize != f);
                }
            }
            FaultAction::Duplicate { topic, .. } | FaultAction::Delay { topic, .. } => {
                self.state.topics[topic.index()].faults.retain(|&g| g as usize != f);
            }
            FaultAction::Crash { .. } | FaultAction::AddInstance { .. } | FaultAction::Upgrade { .. } => {}
        }
    }

    /// Instances of one group stop at once, all in the same instant (so none commits on
    /// another's behalf): their work is abandoned and nothing is committed; what they
    /// processed since their partitions' committed offsets is forgotten (a restarted
    /// instance commits none of it). A log group rebalances. Queue messages they held come
    /// back when their visibility expires. An instance already down is left as it is.
    pub(super) fn crash(&mut self, group: GroupIdx, targets: &[InstanceIdx]) {
        let mut any = false;
        for &instance in targets {
            let i = &mut self.state.instances[instance.index()];
            if !i.alive {
                continue;
            }
            any = true;
            i.alive = false;
            i.generation += 1;
            i.current = None;
            i.inbox.clear();
            i.redelivery = None;
            i.held = 0;
            let owned = std::mem::take(&mut i.owned);
            let g = &mut self.state.groups[group.index()];
            for o in owned {
                let s = &mut g.slots[o.slot as usize];
                s.owner = None;
                (s.position, s.done) = (s.committed, s.committed);
            }
            self.instance_step(StepKind::Crashed, instance);
        }
        if !any {
            return;
        }
        self.start_rebalance(group);
        self.wake_queues(group);
    }

    /// A crashed instance comes back with its name and place.
    pub(super) fn restart(&mut self, instance: InstanceIdx) {
        let i = &mut self.state.instances[instance.index()];
        if i.alive {
            return;
        }
        i.alive = true;
        let group = i.group;
        self.instance_step(StepKind::Restarted, instance);
        self.start_rebalance(group);
        self.wake_queues(group);
    }

    /// One more instance joins the consumer, with the next number.
    fn add_instance(&mut self, group: GroupIdx) {
        let number = self.state.groups[group.index()]
            .members
            .iter()
            .map(|&i| self.state.instances[i.index()].number)
            .max()
            .unwrap_or(0)
            + 1;
        let index = InstanceIdx::new(self.state.instances.len());
        self.state.instances.push(InstanceState::new(group, number));
        self.trace.instances.push((group, number));
        self.state.groups[group.index()].members.push(index);
        self.instance_step(StepKind::Joined, index);
        self.start_rebalance(group);
        self.wake_queues(group);
    }

    /// A log group that has joined stops taking records for `rebalance`; idle survivors
    /// commit their positions now, busy ones when their record completes.
    fn start_rebalance(&mut self, group: GroupIdx) {
        let g = &self.state.groups[group.index()];
        if !g.joined || !self.model.groups[group.index()].reads_logs() {
            return;
        }
        let deadline = self.now().saturating_add(self.model.groups[group.index()].rebalance);
        let g = &mut self.state.groups[group.index()];
        g.rebalance = Some(Rebalance { deadline, paused_enough: false });
        for member in g.members.clone() {
            // A pending second delivery of a record (a `duplicate` fault) will not come.
            self.drop_redelivery(member);
            // Survivors not in the middle of a record commit now; the others when it ends.
            if !self.processing_record(member) {
                self.revoke_commit(member);
            }
        }
        if deadline <= self.model.duration {
            self.state.agenda.schedule(deadline, Class::Timer, Item::RebalanceEnd { group, deadline });
        }
    }

    /// Whether a live instance is processing a log record (which a rebalance waits for).
    fn processing_record(&self, instance: InstanceIdx) -> bool {
        let i = &self.state.instances[instance.index()];
        i.alive && matches!(i.current, Some(super::Work { source: super::Source::Log { .. }, .. }))
    }

    /// The rebalance pause has passed.
    pub(super) fn rebalance_end(&mut self, group: GroupIdx, deadline: u64) {
        let Some(rebalance) = &mut self.state.groups[group.index()].rebalance else { return };
        if rebalance.deadline != deadline {
            return; // a later crash or join restarted the pause
        }
        rebalance.paused_enough = true;
        self.try_finish_rebalance(group);
    }

    /// Once the pause has passed and no survivor is still processing a record, partitions
    /// are reassigned and each resumes from its committed offset.
    pub(super) fn try_finish_rebalance(&mut self, group: GroupIdx) {
        let g = &self.state.groups[group.index()];
        let Some(rebalance) = g.rebalance else { return };
        let busy = g.members.iter().any(|&m| self.processing_record(m));
        if !rebalance.paused_enough || busy {
            return;
        }
        let g = &mut self.state.groups[group.index()];
        g.rebalance = None;
        for slot in &mut g.slots {
            slot.position = slot.committed;
            slot.done = slot.committed;
        }
        let assignment = self.assign(group);
        let mut step = Step::new(StepKind::Rebalanced, self.now());
        step.group = Some(group);
        step.aux = self.trace.assignments.len() as u32;
        self.trace.assignments.push(assignment);
        self.push(step);
        for member in self.state.groups[group.index()].members.clone() {
            self.wake(member);
        }
    }
}
