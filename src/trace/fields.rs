//! What a trace line of each step kind carries: the one declaration the JSONL writer
//! ([`super::jsonl::step_json`], which writes a kind's fields in this order) and the reader
//! ([`super::read`], which refuses a field its kind does not carry) both follow.
//!
//! Every line has `step`, `t_us` and `kind` first; [`StepKind::fields`] lists the rest. A
//! field marked [`Presence::Where`] is written only where it applies (a `key` only on a
//! keyed event, a `partition` only on a log, a `causation_id` only on an emitted event).
//! Adding a kind to [`StepKind`] makes [`StepKind::fields`] incomplete until its line is
//! declared here.

use super::StepKind;

/// A field of a step's line, after `step`, `t_us` and `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Event,
    Type,
    Key,
    Topic,
    Partition,
    Offset,
    Group,
    Instance,
    CorrelationId,
    CausationId,
    Source,
    SchemaVersion,
    Headers,
    Data,
    /// The bus a routed copy came from.
    Bus,
    Effect,
    Reason,
    Attempt,
    Receive,
    Rule,
    Aggregate,
    Version,
    EventVersion,
    DeadLetter,
    Assignment,
    Text,
    RecordTime,
}

impl Field {
    /// Its name in a trace line.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Event => "event",
            Field::Type => "type",
            Field::Key => "key",
            Field::Topic => "topic",
            Field::Partition => "partition",
            Field::Offset => "offset",
            Field::Group => "group",
            Field::Instance => "instance",
            Field::CorrelationId => "correlation_id",
            Field::CausationId => "causation_id",
            Field::Source => "source",
            Field::SchemaVersion => "schema_version",
            Field::Headers => "headers",
            Field::Data => "data",
            Field::Bus => "bus",
            Field::Effect => "effect",
            Field::Reason => "reason",
            Field::Attempt => "attempt",
            Field::Receive => "receive",
            Field::Rule => "rule",
            Field::Aggregate => "aggregate",
            Field::Version => "version",
            Field::EventVersion => "event_version",
            Field::DeadLetter => "dead_letter",
            Field::Assignment => "assignment",
            Field::Text => "text",
            Field::RecordTime => "record_time",
        }
    }
}

/// Whether a kind's line always has a field, or only where it applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Always,
    Where,
}

use Field as F;
use Presence::{Always as A, Where as W};

/// An event's identity, as every step about an event shows it (`key` where it has one).
macro_rules! event_fields {
    ($($rest:tt)*) => {
        &[(F::Event, A), (F::Type, A), (F::Key, W), $($rest)*]
    };
}

impl StepKind {
    /// The fields of this kind's line after `step`, `t_us` and `kind`, in the order they
    /// are written.
    #[expect(clippy::too_many_lines, reason = "one table: a few lines per step kind, read best whole")]
    pub const fn fields(self) -> &'static [(Field, Presence)] {
        match self {
            StepKind::Published => event_fields![
                (F::Topic, A),
                (F::Partition, W),
                (F::Offset, W),
                (F::CorrelationId, A),
                (F::CausationId, W),
                (F::Source, A),
                (F::SchemaVersion, A),
                (F::Headers, A),
                (F::Data, A),
                (F::RecordTime, W),
            ],
            // A dropped duplicate may be the only step of its event (a FIFO queue dropped a
            // new event whose id it had seen), so it carries the whole event too; `bus` when
            // it is a routed copy.
            StepKind::DroppedDuplicate => event_fields![
                (F::Topic, A),
                (F::Partition, W),
                (F::CorrelationId, A),
                (F::CausationId, W),
                (F::Source, A),
                (F::SchemaVersion, A),
                (F::Headers, A),
                (F::Data, A),
                (F::Bus, W),
            ],
            StepKind::Delivered => event_fields![
                (F::Topic, A),
                (F::Partition, W),
                (F::Offset, W),
                (F::Group, A),
                (F::Instance, A),
                (F::CorrelationId, A),
                (F::CausationId, W),
                (F::Receive, W),
            ],
            StepKind::Processed => event_fields![
                (F::Topic, A),
                (F::Partition, W),
                (F::Offset, W),
                (F::Group, A),
                (F::Instance, A),
                (F::CorrelationId, A),
                (F::CausationId, W),
                (F::Effect, A),
            ],
            StepKind::SkippedDuplicate => event_fields![
                (F::Topic, A),
                (F::Partition, W),
                (F::Offset, W),
                (F::Group, A),
                (F::Instance, A),
                (F::CorrelationId, A),
                (F::CausationId, W),
            ],
            StepKind::Failed => event_fields![
                (F::Topic, A),
                (F::Partition, W),
                (F::Offset, W),
                (F::Group, A),
                (F::Instance, A),
                (F::CorrelationId, A),
                (F::CausationId, W),
                (F::Reason, A),
                (F::Attempt, A),
            ],
            StepKind::Committed => &[(F::Topic, A), (F::Partition, A), (F::Offset, A), (F::Group, A), (F::Instance, A)],
            StepKind::Acked => event_fields![
                (F::Topic, A),
                (F::Group, A),
                (F::Instance, A),
                (F::CorrelationId, A),
                (F::CausationId, W),
            ],
            StepKind::Requeued => {
                event_fields![(F::Topic, A), (F::Group, A), (F::CorrelationId, A), (F::CausationId, W), (F::Receive, A),]
            }
            StepKind::DeadLettered => event_fields![
                (F::Topic, A),
                (F::Group, A),
                (F::CorrelationId, A),
                (F::CausationId, W),
                (F::DeadLetter, A),
            ],
            StepKind::Routed => event_fields![
                (F::Topic, A),
                (F::Partition, W),
                (F::Offset, W),
                (F::CorrelationId, A),
                (F::CausationId, W),
                (F::Bus, A),
                (F::Rule, A),
            ],
            StepKind::Unrouted => event_fields![(F::Topic, A), (F::CorrelationId, A), (F::CausationId, W)],
            StepKind::Fetched => event_fields![
                (F::Group, A),
                (F::Instance, A),
                (F::CorrelationId, A),
                (F::CausationId, W),
                (F::Aggregate, A),
                (F::Version, A),
                (F::EventVersion, W),
            ],
            StepKind::Crashed | StepKind::Restarted | StepKind::Paused | StepKind::Resumed | StepKind::Joined => {
                &[(F::Group, A), (F::Instance, A)]
            }
            StepKind::Rebalanced => &[(F::Group, A), (F::Assignment, A)],
            StepKind::Note => &[(F::Text, A)],
        }
    }

    /// Whether this kind's line may carry the field named `name`.
    pub fn carries(self, name: &str) -> bool {
        self.fields().iter().any(|(f, _)| f.name() == name)
    }
}
