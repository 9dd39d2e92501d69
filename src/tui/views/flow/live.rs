//! What Flow reads from the tail of the trace: rates over the last virtual second, the
//! events of the last moments (drawn moving), the latest partition assignment of each
//! group, and how many events each producer has sent. Every scan is backward and bounded.

use std::collections::BTreeMap;

use crate::sim::Model;
use crate::trace::{GroupIdx, InstanceIdx, Partition, StepKind, Sym, TopicIdx, Trace};
use crate::tui::app::App;

/// The window of the rates.
pub const SECOND: u64 = 1_000_000;
/// How long an event takes to cross an edge on screen.
pub const MOTION_US: u64 = 200_000;
/// The most steps one frame reads for the rates (beyond it, rates are extrapolated).
const MAX_SCAN: usize = 60_000;
/// The most moving events drawn.
const MAX_MOVING: usize = 128;

/// The tail of the trace, summed up.
pub struct Live {
    /// The virtual time shown (see [`now`]).
    pub now: u64,
    /// Per topic: `published` steps in the last second.
    pub published: Vec<u64>,
    /// Per group: `delivered` steps in the last second.
    pub delivered: Vec<u64>,
    /// Per (topic, group): `delivered` steps in the last second.
    pub delivered_from: BTreeMap<(TopicIdx, GroupIdx), u64>,
    /// Counts × `scale` = events per second (1 unless the scan stopped short of a second).
    pub scale: f64,
    /// Steps (indices) of the last [`MOTION_US`] that move along an edge, newest first.
    pub moving: Vec<usize>,
}

/// The producer whose events carry each source symbol.
pub fn producer_sources(model: &Model) -> BTreeMap<Sym, usize> {
    model.producers.iter().enumerate().map(|(i, p)| (p.source, i)).collect()
}

/// While playing, the pacer's target (events keep moving between steps); paused, the
/// time of the last step.
pub fn now(app: &App) -> u64 {
    let last = app.steps().last().map_or(0, |s| s.t_us);
    if app.playing { last.max(app.target_us as u64).min(app.model().duration.max(last)) } else { last }
}

pub fn scan(app: &App) -> Live {
    let model = app.model();
    let now = now(app);
    let mut live = Live {
        now,
        published: vec![0; model.topics.len()],
        delivered: vec![0; model.groups.len()],
        delivered_from: BTreeMap::new(),
        scale: 1.0,
        moving: Vec::new(),
    };
    let since = now.saturating_sub(SECOND);
    let steps = app.steps();
    let mut i = steps.len();
    let stop = steps.len().saturating_sub(MAX_SCAN);
    while i > stop {
        let s = &steps[i - 1];
        if s.t_us < since || (s.t_us == since && now >= SECOND) {
            break;
        }
        i -= 1;
        let moves = now - s.t_us.min(now) < MOTION_US;
        match s.kind {
            StepKind::Published if s.topic.is_some() => {
                if let Some(n) = live.published.get_mut(s.topic_idx().index()) {
                    *n += 1;
                }
            }
            StepKind::Delivered if s.group.is_some() => {
                if let Some(n) = live.delivered.get_mut(s.group_idx().index()) {
                    *n += 1;
                }
                *live.delivered_from.entry((s.topic_idx(), s.group_idx())).or_default() += 1;
            }
            StepKind::Published
            | StepKind::Delivered
            | StepKind::Processed
            | StepKind::SkippedDuplicate
            | StepKind::Failed
            | StepKind::Committed
            | StepKind::Acked
            | StepKind::Requeued
            | StepKind::DeadLettered
            | StepKind::DroppedDuplicate
            | StepKind::Routed
            | StepKind::Unrouted
            | StepKind::Fetched
            | StepKind::Crashed
            | StepKind::Restarted
            | StepKind::Rebalanced
            | StepKind::Paused
            | StepKind::Resumed
            | StepKind::Note
            | StepKind::Joined => continue,
        }
        if moves && s.event.is_some() && live.moving.len() < MAX_MOVING {
            live.moving.push(i);
        }
    }
    if i == stop && i > 0 && steps[i - 1].t_us >= since {
        // Stopped short of a whole second: extrapolate from the time covered.
        let covered = now.saturating_sub(steps[i].t_us).max(1);
        live.scale = SECOND as f64 / covered as f64;
    }
    live
}

/// A group's partitions per instance in its assignment `index` (of `Trace::assignments`;
/// the analysis knows the group's latest at the step shown): instance index → (topic,
/// partitions). Empty before the group's first assignment.
pub fn assignment(trace: &Trace, index: Option<usize>) -> BTreeMap<InstanceIdx, Vec<(TopicIdx, Vec<Partition>)>> {
    let mut owned: BTreeMap<InstanceIdx, Vec<(TopicIdx, Vec<Partition>)>> = BTreeMap::new();
    for (instance, topic, partitions) in index.and_then(|i| trace.assignments.get(i)).into_iter().flatten() {
        owned.entry(*instance).or_default().push((*topic, partitions.clone()));
    }
    owned
}
