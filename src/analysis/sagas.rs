//! Sagas derived from the trace: one instance per correlation id whose root event starts a
//! saga, its status as the events of that correlation are published, and the metrics and
//! findings of the format.

use std::collections::BTreeMap;

use super::{Analysis, Finding, FindingClass};
use crate::model::Model;
use crate::trace::{EventId, EventIdx, StepIdx, Trace};

/// Where a saga instance stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SagaStatus {
    /// Neither completed nor failed (yet).
    Open,
    Completed,
    /// Failed, with compensations still owed (uncompensated if the run ends so).
    Failed,
    /// Failed, and every compensable step it took was compensated after.
    Compensated,
}

impl SagaStatus {
    pub fn name(self, finished: bool) -> &'static str {
        match self {
            SagaStatus::Open => "open",
            SagaStatus::Completed => "completed",
            SagaStatus::Failed if finished => "uncompensated",
            SagaStatus::Failed => "failed, uncompensated so far",
            SagaStatus::Compensated => "compensated",
        }
    }
}

/// One saga instance.
#[derive(Clone, Copy, Debug)]
pub struct SagaInstance {
    pub saga: u16,
    pub correlation: EventId,
    /// The root event that started it.
    pub root: EventIdx,
    /// Completed or failed: the event that decided it, and the step (index) it was published at.
    pub decided_by: Option<EventIdx>,
    pub decided_at: Option<StepIdx>,
    failed: bool,
    completed: bool,
    /// Bit k: an event of compensation k's compensable type has no compensating event after it.
    owed: u64,
    /// The next instance with the same correlation id.
    next: Option<u32>,
}

impl SagaInstance {
    pub fn status(&self) -> SagaStatus {
        match (self.completed, self.failed) {
            (true, _) => SagaStatus::Completed,
            (false, true) if self.owed == 0 => SagaStatus::Compensated,
            (false, true) => SagaStatus::Failed,
            (false, false) => SagaStatus::Open,
        }
    }

    /// Whether compensation `k` is still owed.
    pub fn owes(&self, k: usize) -> bool {
        self.owed & (1 << k) != 0
    }
}

/// Every saga instance, and counts by status.
#[derive(Clone, Debug, Default)]
pub struct Sagas {
    pub instances: Vec<SagaInstance>,
    by_correlation: BTreeMap<EventId, u32>,
    /// By [`SagaStatus`] order.
    counts: [u64; 4],
}

impl Sagas {
    pub fn heap_bytes(&self) -> usize {
        super::vec_bytes(&self.instances) + super::tree_bytes::<EventId, u32>(self.by_correlation.len())
    }

    pub fn count(&self, status: SagaStatus) -> u64 {
        self.counts[status as usize]
    }

    /// The instances of a correlation id.
    pub fn of(&self, correlation: EventId) -> impl Iterator<Item = &SagaInstance> {
        let mut next = self.by_correlation.get(&correlation).copied();
        std::iter::from_fn(move || {
            let instance = self.instances.get(next? as usize)?;
            next = instance.next;
            Some(instance)
        })
    }

    /// A newly published event: it may start instances, then it updates every instance of
    /// its correlation.
    pub(super) fn observe(&mut self, model: &Model, trace: &Trace, event: EventIdx, index: usize) {
        let e = trace.event(event);
        if e.cause.is_none() {
            for (s, saga) in model.sagas.iter().enumerate() {
                if saga.starts == e.event_type && !self.of(e.correlation).any(|i| usize::from(i.saga) == s) {
                    let id = self.instances.len() as u32;
                    let next = self.by_correlation.insert(e.correlation, id);
                    self.instances.push(SagaInstance {
                        saga: s as u16,
                        correlation: e.correlation,
                        root: event,
                        decided_by: None,
                        decided_at: None,
                        failed: false,
                        completed: false,
                        owed: 0,
                        next,
                    });
                    self.counts[SagaStatus::Open as usize] += 1;
                }
            }
        }
        let mut next = self.by_correlation.get(&e.correlation).copied();
        while let Some(instance) = next.and_then(|n| self.instances.get_mut(n as usize)) {
            next = instance.next;
            let saga = &model.sagas[usize::from(instance.saga)];
            let before = instance.status();
            if !instance.completed && !instance.failed {
                if saga.completes.contains(&e.event_type) {
                    instance.completed = true;
                } else if saga.fails.contains(&e.event_type) {
                    instance.failed = true;
                }
                if instance.completed || instance.failed {
                    instance.decided_by = Some(event);
                    instance.decided_at = Some(StepIdx::new(index));
                }
            }
            for (k, &(compensable, compensating)) in saga.compensations.iter().enumerate() {
                if e.event_type == compensating {
                    instance.owed &= !(1 << k);
                }
                if e.event_type == compensable {
                    instance.owed |= 1 << k;
                }
            }
            let after = instance.status();
            if before != after {
                self.counts[before as usize] -= 1;
                self.counts[after as usize] += 1;
            }
        }
    }
}

impl Analysis {
    pub fn sagas(&self) -> &Sagas {
        &self.sagas
    }

    /// Failed sagas still owing compensations (uncompensated if the run ends now), each as
    /// a finding at the step of the event that failed it; `group` is the saga's index.
    pub fn uncompensated(&self) -> Vec<Finding> {
        self.sagas
            .instances
            .iter()
            .filter(|i| i.status() == SagaStatus::Failed)
            // A failed instance was decided: by an event, at a step.
            .filter_map(|i| {
                let (event, at) = i.decided_by.zip(i.decided_at)?;
                Some(Finding {
                    class: FindingClass::UncompensatedSaga,
                    event,
                    group: crate::trace::GroupIdx::new(usize::from(i.saga)),
                    step: at.index() as u64 + 1,
                })
            })
            .collect()
    }

    /// Why a saga is uncompensated: which compensations it still owes.
    pub(super) fn saga_cause(&self, trace: &Trace, finding: &Finding) -> String {
        let namer = crate::trace::jsonl::Namer { model: &self.model, trace };
        let saga = &self.model.sagas[finding.group.index()];
        let failing = trace.event(finding.event);
        let instance = self.sagas.of(failing.correlation).find(|i| usize::from(i.saga) == finding.group.index());
        let owed: Vec<String> = saga
            .compensations
            .iter()
            .enumerate()
            .filter(|(k, _)| instance.is_some_and(|i| i.owes(*k)))
            .map(|(_, &(a, b))| format!("{} without a later {}", trace.strings.resolve(a), trace.strings.resolve(b)))
            .collect();
        format!(
            "saga {} {} failed at step {} ({} {}) and is not compensated: {}",
            saga.name,
            failing.correlation.render(&trace.strings),
            finding.step,
            trace.strings.resolve(failing.event_type),
            namer.event_id(finding.event),
            owed.join(", ")
        )
    }
}
