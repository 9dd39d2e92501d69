//! Why a finding happened: the mechanism behind a duplicate, an ordering break or a loss,
//! read back from the trace ("evt-000123 processed twice by billing: billing#1 crashed at
//! 2.550s before committing past orders/1 offset 24; billing#2 read it again from the last
//! committed offset after the rebalance").

use super::{Analysis, Finding, FindingClass};
use crate::scenario::model::TopicKind;
use crate::trace::jsonl::Namer;
use crate::trace::{FailReason, StepKind, Trace};

/// A state object without its braces' spacing: `{"balance":170}`.
fn compact(value: &serde_json::Value) -> String {
    value.to_string()
}

/// A time as the header, the timeline and the TUI's lists read it (`tui::format::seconds`):
/// `2.550s`, to the millisecond, every time in a sentence alike (the step numbers beside
/// them are exact).
fn at(t_us: u64) -> String {
    format!("{:.3}s", t_us as f64 / 1e6)
}

impl Analysis {
    /// One sentence on the cause of a finding. A failed attempt or a retry of one, when its
    /// event has more than one in its group, is told as their row (see
    /// [`super::FindingRow`]): the attempts so far, and that they are retries.
    pub fn explain(&self, trace: &Trace, finding: &Finding) -> String {
        let namer = Namer { model: &self.model, trace };
        if let Some(row) = self.row_of(finding)
            && self.rows[row].is_retries()
            && self.rows[row].head != self.rows[row].last
        {
            return self.retries_cause(trace, &namer, row);
        }
        let index = (finding.step - 1) as usize;
        let id = namer.event_id(finding.event);
        let group = namer.finding_scope(finding).to_owned();
        match finding.class {
            FindingClass::DuplicateDelivery | FindingClass::DuplicateEffect => {
                let effect = finding.class == FindingClass::DuplicateEffect;
                let what = if effect { "processed" } else { "delivered" };
                // The how-many-th time (a queue message may be received many times).
                let times = trace.steps[..=index]
                    .iter()
                    .filter(|s| s.event == Some(finding.event) && s.group == Some(finding.group))
                    .filter(|s| {
                        if effect {
                            s.kind == StepKind::Processed && s.flag != 0
                        } else {
                            s.kind == StepKind::Delivered
                        }
                    })
                    .count();
                let times = if times <= 2 { "twice".to_owned() } else { format!("{times} times") };
                let cause = Self::redelivery_cause(trace, &namer, finding, index);
                format!("{id} {what} {times} by {group}: {cause}")
            }
            FindingClass::OutOfOrder => self.order_cause(trace, &namer, finding, index),
            FindingClass::Lost => Self::loss_cause(trace, &namer, finding, index),
            FindingClass::ReadModelMismatch => self.mismatch_cause(trace, &namer, finding, index),
            FindingClass::UncompensatedSaga => self.saga_cause(trace, finding),
            FindingClass::Failed => {
                let step = &trace.steps[index];
                let reason = self.fail_reason(trace, finding);
                format!(
                    "{id} failed in {} (attempt {}) at {}: {reason}",
                    namer.instance(step.instance_idx()),
                    step.failure().1,
                    at(step.t_us)
                )
            }
        }
    }

    /// Why a failed attempt failed.
    fn fail_reason(&self, trace: &Trace, finding: &Finding) -> String {
        let namer = Namer { model: &self.model, trace };
        let group = namer.finding_scope(finding).to_owned();
        let step = &trace.steps[(finding.step - 1) as usize];
        match FailReason::from_flag(step.flag) {
            FailReason::HandlerFailed => "its handler's outcome is a failure".to_owned(),
            FailReason::FailProbability => "it failed by the handler's fail_probability".to_owned(),
            FailReason::UnknownSchemaVersion => {
                let e = trace.event(finding.event);
                let gm = &self.model.groups[finding.group.index()];
                let (_, version) = gm.upcast_steps(e.event_type, e.schema_version);
                let accepted = gm
                    .accepts
                    .iter()
                    .find(|(t, _)| *t == e.event_type)
                    .map(|(_, v)| v.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                let upcast =
                    if version == e.schema_version { String::new() } else { format!(" (upcast to {version})") };
                format!(
                    "its schema version {}{upcast} is not one {group} accepts for {} ({accepted})",
                    e.schema_version,
                    trace.strings.resolve(e.event_type)
                )
            }
        }
    }

    /// One event's failed attempts in one group, and the deliveries that retried it: how
    /// many so far, when, and that this is retrying, not a duplicate.
    fn retries_cause(&self, trace: &Trace, namer: &Namer<'_>, row: usize) -> String {
        let r = self.rows[row];
        let first = self.findings[r.head as usize];
        let last = self.findings[r.last as usize];
        let id = namer.event_id(first.event);
        let group = namer.finding_scope(&first).to_owned();
        let first_failure = self.row_findings(row).find(|f| f.class == FindingClass::Failed).copied();
        let step = &trace.steps[(first.step - 1) as usize];
        let on_log =
            step.topic.and_then(|t| self.model.topics.get(t.index())).is_some_and(|t| t.kind == TopicKind::Log);
        let times = |n: u32| if n == 1 { "once".to_owned() } else { format!("{n} times") };
        let span = format!(
            "{} to {} (steps {} to {})",
            at(step.t_us),
            at(trace.steps[(last.step - 1) as usize].t_us),
            first.step,
            last.step
        );
        let how = if on_log {
            format!(
                "{} retries it in place after its retry_delay, its partitions blocked behind it",
                namer.instance(step.instance_idx())
            )
        } else {
            let retries = if r.retried == 1 { "1 retry".to_owned() } else { format!("{} retries", r.retried) };
            format!("nacked, it was received again after the retry_delay, {retries} that duplicate_deliveries counts")
        };
        let reason = first_failure.map(|f| format!(" ({})", self.fail_reason(trace, &f))).unwrap_or_default();
        format!(
            "{id} failed {} in {group}, {span}: {how}. Retries, not duplicates by a crash, a rebalance or a fault{reason}",
            times(r.failed)
        )
    }

    /// Why event `finding.event` reached group `finding.group` again.
    fn redelivery_cause(trace: &Trace, namer: &Namer<'_>, finding: &Finding, index: usize) -> String {
        let (event, group) = (finding.event, finding.group);
        let steps = &trace.steps[..=index];
        // This delivery (the finding's, or the one before the duplicate effect).
        let this = steps
            .iter()
            .rposition(|s| s.kind == StepKind::Delivered && s.event == Some(event) && s.group == Some(group));
        let Some(this) = this else { return "it reached the group again".to_owned() };
        let earlier = steps[..this]
            .iter()
            .rposition(|s| s.kind == StepKind::Delivered && s.event == Some(event) && s.group == Some(group));
        let published: Vec<String> = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == StepKind::Published && s.event == Some(event))
            .map(|(i, _)| (i + 1).to_string())
            .collect();
        let Some(earlier) = earlier else {
            return "it had been delivered before".to_owned();
        };
        let first = &steps[earlier];
        let again = &steps[this];
        let (a, b) = (namer.instance(first.instance_idx()), namer.instance(again.instance_idx()));
        if published.len() > 1 && first.offset != again.offset {
            return format!(
                "its producer sent it again after a lost acknowledgement: it was published at steps {}",
                published.join(" and ")
            );
        }
        let between = &steps[earlier + 1..this];
        if let Some(crash) = between.iter().find(|s| s.kind == StepKind::Crashed && s.instance == first.instance) {
            let commit = if first.offset().is_none() {
                "before acking it; it came back when its visibility timeout expired".to_owned()
            } else {
                format!(
                    "before committing past {}/{} offset {}; {b} read it again from the last committed offset after the rebalance",
                    namer.topic(first.topic_idx()),
                    first.partition_idx(),
                    first.offset
                )
            };
            return format!("{a} crashed at {} {commit}", at(crash.t_us));
        }
        if let Some(expired) =
            between.iter().find(|s| s.kind == StepKind::Requeued && s.event == Some(event) && s.group == Some(group))
        {
            return format!(
                "its visibility timeout expired at {} while {a} was still processing it; {b} received it again",
                at(expired.t_us)
            );
        }
        if let Some(failed) =
            between.iter().find(|s| s.kind == StepKind::Failed && s.event == Some(event) && s.group == Some(group))
        {
            return format!("{a}'s attempt failed at {}, so the message was delivered again to {b}", at(failed.t_us));
        }
        if let Some(rebalanced) = between.iter().find(|s| s.kind == StepKind::Rebalanced && s.group == Some(group)) {
            return format!(
                "the group rebalanced at {} before {a}'s position covered it; {b} read it again from the committed offset",
                at(rebalanced.t_us)
            );
        }
        if first.instance == again.instance {
            return format!("a duplicate fault delivered it to {a} a second time (step {})", this + 1);
        }
        format!("it was delivered to {a} at step {} and again to {b} at step {}", earlier + 1, this + 1)
    }

    /// Why an event took effect after one of the same key published later.
    fn order_cause(&self, trace: &Trace, namer: &Namer<'_>, finding: &Finding, index: usize) -> String {
        let event = trace.event(finding.event);
        let id = namer.event_id(finding.event);
        let key = event.key.map_or("", |k| trace.strings.resolve(k)).to_owned();
        let step = &trace.steps[index];
        // The later-published event of the same key that took effect first.
        let mine = self.first_published(finding.event);
        let overtaker = trace.steps[..index].iter().enumerate().rev().find(|(_, s)| {
            s.kind == StepKind::Processed
                && s.flag != 0
                && s.group == Some(finding.group)
                && s.topic == step.topic
                && s.event.is_some()
                && trace.event_of(s).key == event.key
                && self.first_published(s.event_idx()).is_some_and(|p| mine.is_none_or(|mine| p > mine))
        });
        match overtaker {
            Some((_, other)) => format!(
                "{id} (key {key}) took effect in {} at {} after {} (same key, published later) took effect in {} at {}: {}",
                namer.instance(step.instance_idx()),
                at(step.t_us),
                namer.event_id(other.event_idx()),
                namer.instance(other.instance_idx()),
                at(other.t_us),
                if other.instance == step.instance {
                    "it was delivered again after the later one (a redelivery)"
                } else {
                    "competing instances process the same key in parallel"
                }
            ),
            None => format!("{id} (key {key}) took effect after an event of the same key published later"),
        }
    }

    /// Why a read model came to differ from the fold of the log.
    fn mismatch_cause(&self, trace: &Trace, namer: &Namer<'_>, finding: &Finding, index: usize) -> String {
        let id = namer.event_id(finding.event);
        let event = trace.event(finding.event);
        let group = finding.group.index();
        let consumer = &self.model.groups[group].consumer;
        let key = event.key.map_or("", |k| trace.strings.resolve(k));
        let again = trace.steps[..index].iter().any(|s| {
            s.kind == StepKind::Processed
                && s.flag != 0
                && s.group_idx().index() == group
                && s.event.is_some()
                && trace.event_of(s).id == event.id
        });
        let how = if again {
            format!("{id} was applied twice (a duplicate effect)")
        } else {
            format!("{id} was applied after an event of key {key} published later (out of order)")
        };
        let values = event
            .key
            .and_then(|k| self.read_model_at(trace, group, k, index))
            .map(|(read, reference)| {
                format!("; read model {}, fold of the log {}", compact(&read), compact(&reference))
            })
            .unwrap_or_default();
        format!(
            "read model differs from the fold of the log: {consumer}, key {key}, from step {} ({}): {how}{values}",
            index + 1,
            at(trace.steps[index].t_us)
        )
    }

    /// Why an event was committed or acked without being processed.
    fn loss_cause(trace: &Trace, namer: &Namer<'_>, finding: &Finding, index: usize) -> String {
        let id = namer.event_id(finding.event);
        let group = namer.group(finding.group);
        let delivered = trace.steps.iter().rposition(|s| {
            s.kind == StepKind::Delivered && s.event == Some(finding.event) && s.group == Some(finding.group)
        });
        if let Some(d) = delivered {
            let instance = trace.steps[d].instance_idx();
            if let Some(crash) =
                trace.steps[d..].iter().find(|s| s.kind == StepKind::Crashed && s.instance == Some(instance))
            {
                return format!(
                    "{id} lost by {group}: committed on delivery (commit \"before\") at step {}, then {} crashed at {} before processing it",
                    index + 1,
                    namer.instance(instance),
                    at(crash.t_us)
                );
            }
        }
        format!("{id} lost by {group}: committed at step {} without a completed processing", index + 1)
    }
}
