//! `eventlab run FILE --broker HOST:PORT`: the scenario's producers and consumers played
//! against a real Kafka-protocol cluster in (scaled) real time, recorded as a trace.
//!
//! - **What it refuses** ([`refusal`]): queue and bus topics (Kafka has no equivalent; the
//!   [`Broker`] names what each kind of cluster can play, so a `RabbitMQ` or SQS bridge can come
//!   later), handlers with `fetch` (no aggregate store on a real cluster), and the faults a
//!   real client cannot apply: `duplicate` and `delay` (they act inside the broker's delivery).
//!   One line, exit 2.
//! - **What it plays**: topics are created with the scenario's partitions (`kafka::topics`);
//!   each consumer group is a real group (`eventlab-GROUP-RUN`), each instance a real consumer
//!   on its own thread, committing by hand in the scenario's mode (after, before, interval;
//!   on revoke too, as the simulator's survivors do). The publication schedule is the
//!   simulator's: the same scenario and seed are simulated first (`plan`), and its root
//!   publications (producers' events, retries included, and scripted events; an `upgrade` is
//!   in them already) are produced at their time ÷ `--speed`, to the simulated partition.
//!   Handlers decide as the simulator does ([`crate::sim::verdict`] from the group's seeded
//!   stream, the same processing draws and templates), and their emits are produced with
//!   correlation and causation headers. Faults: `crash` (the consumer is closed without a
//!   commit; it leaves its group at once), `restart_after` (a new consumer with the same
//!   instance name), `pause` (no deliveries for `for`; the client polls on and holds what it
//!   fetches), `slow` (processing × factor),
//!   `add_instance` (one more consumer), `upgrade` (in the schedule).
//! - **When it ends**: at the scenario's duration ÷ `--speed`, or earlier once nothing is left
//!   to publish or to happen (no fault, restart or start still due) and every started group
//!   has committed every record and is idle: what follows could not change a figure.
//! - **What it records** (`record`): `published` (with the partition and offset the
//!   broker's delivery report gives, counted from the partition's end at the start),
//!   `delivered`, `processed`, `skipped_duplicate`, `failed`, `committed`, `rebalanced` (the
//!   group's assignment as its consumers report it), `crashed`, `restarted`, `joined`,
//!   `paused`, `resumed` and the scenario's notes, with `t_us` = wall time since the start ×
//!   speed. The lines are read back by the trace reader, so what the analysis folds was
//!   validated as any recorded trace is: at the end ([`Prepared::run`], headless), or as
//!   they come, for the TUI ([`Prepared::live`], [`live::LiveFeed`]).

mod kafka;
pub mod live;
mod plan;
mod record;

use std::sync::Arc;

use crate::model::Model;
use crate::scenario::model::{Scenario, TopicKind};
use crate::sim::model::FaultAction;
use crate::trace::read::Recorded;

/// The kinds of clusters a scenario can be played against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broker {
    /// A Kafka-protocol cluster (Kafka, Redpanda, tansu, ...): logs only.
    Kafka,
}

impl Broker {
    /// Whether this cluster has an equivalent of a topic kind.
    pub fn plays(self, kind: TopicKind) -> bool {
        match self {
            Broker::Kafka => kind == TopicKind::Log,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Broker::Kafka => "a Kafka-protocol cluster",
        }
    }
}

/// How to play a scenario.
#[derive(Clone, Debug)]
pub struct Options {
    /// `HOST:PORT[,HOST:PORT...]`.
    pub brokers: String,
    /// Virtual time runs this many times faster than the wall clock (> 0).
    pub speed: f64,
    /// Use topics that exist with more partitions than the scenario's (the extra ones are
    /// ignored).
    pub reuse_topics: bool,
    /// The step limit of the simulation that gives the publication schedule.
    pub max_steps: u64,
    /// Names this run's consumer groups (`eventlab-GROUP-RUN`); a fresh one by default.
    pub run_id: Option<String>,
}

/// Why a scenario could not be played; always one line, for exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// The scenario asks for something the cluster or its clients cannot do.
    #[error("{0}")]
    Unsupported(String),
    /// The cluster is unreachable, or refused something.
    #[error("{0}")]
    Broker(String),
    /// The simulation that gives the schedule failed.
    #[error("{0}")]
    Schedule(String),
    /// What was recorded is not a valid trace (a bug, or a broker behaviour the format does
    /// not allow: the message says which line).
    #[error("the recorded run is not a valid trace: {0}")]
    Trace(String),
}

/// A played run: the trace as JSON Lines (its header says `"source": "broker"` and the
/// brokers) and that trace read back.
pub struct Played {
    pub jsonl: Vec<u8>,
    pub recorded: Recorded,
    /// Records due within the duration that the cluster did not report published by the
    /// end (the cluster or this machine could not keep up with `--speed`): not in the trace.
    pub unpublished: u64,
}

/// Why `broker` cannot play the scenario, if it cannot: the first thing it has no
/// equivalent for, as one line.
pub fn refusal(model: &Model, broker: Broker) -> Option<String> {
    if let Some(topic) = model.topics.iter().find(|t| !broker.plays(t.kind)) {
        let kind = match topic.kind {
            TopicKind::Log => "log",
            TopicKind::Queue => "queue",
            TopicKind::Bus => "bus",
        };
        let all: Vec<&str> = model.topics.iter().filter(|t| !broker.plays(t.kind)).map(|t| t.name.as_str()).collect();
        return Some(format!(
            "{} has no equivalent of {kind} topics: {} cannot run against it (only log topics can)",
            broker.name(),
            all.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
        ));
    }
    for gm in &model.groups {
        if gm.handlers.iter().any(|h| h.fetch.is_some()) {
            return Some(format!(
                "consumer \"{}\" has a handler with \"fetch\": a real cluster has no aggregate store to read",
                gm.consumer
            ));
        }
    }
    for (i, fault) in model.faults.iter().enumerate() {
        let name = match fault.action {
            FaultAction::Duplicate { .. } => "duplicate",
            FaultAction::Delay { .. } => "delay",
            _ => continue,
        };
        return Some(format!(
            "faults[{i}]: a \"{name}\" fault acts inside the broker's delivery, which real clients cannot change: \
             remove it to run against {}",
            broker.name()
        ));
    }
    None
}

/// A scenario ready to play: compiled, checked, its schedule simulated and its topics made
/// on the cluster (what can fail before the run, as one line).
pub struct Prepared {
    model: Arc<Model>,
    schedule: Vec<plan::Outgoing>,
    bases: kafka::Bases,
    options: Options,
    run_id: String,
}

/// Plays a scenario against the cluster and waits for the end. `seed` overrides the
/// scenario's.
pub fn play(scenario: Scenario, seed: Option<u64>, options: &Options) -> Result<Played, PlayError> {
    prepare(scenario, seed, options)?.run()
}

/// Everything before the run: the checks, the schedule, the topics.
pub fn prepare(scenario: Scenario, seed: Option<u64>, options: &Options) -> Result<Prepared, PlayError> {
    if !(options.speed.is_finite() && options.speed > 0.0) {
        return Err(PlayError::Unsupported(format!("--speed {} is not a positive number", options.speed)));
    }
    let seed = seed.unwrap_or(scenario.seed);
    let model = Arc::new(Model::compile(Arc::new(scenario), seed).map_err(|e| PlayError::Unsupported(e.to_string()))?);
    if let Some(reason) = refusal(&model, Broker::Kafka) {
        return Err(PlayError::Unsupported(reason));
    }
    let schedule = plan::schedule(&model, options.max_steps)?;
    let run_id = options.run_id.clone().unwrap_or_else(kafka::fresh_run_id);
    let bases = kafka::topics(&model, options)?;
    Ok(Prepared { model, schedule, bases, options: options.clone(), run_id })
}

impl Prepared {
    /// Plays the run to its end, then reads what was recorded back as a trace.
    pub fn run(self) -> Result<Played, PlayError> {
        let recorder = Arc::new(record::Recorder::new(record::Clock::new(self.options.speed)));
        let unpublished = self.play_on(&recorder)?;
        let (input, late) = record::assemble(&self.model, recorder.take(), &self.options.brokers);
        let recorded = crate::trace::read::read(input.as_slice(), "the recorded run")
            .map_err(|e| PlayError::Trace(e.to_string().trim_start_matches("the recorded run:").trim().to_owned()))?;
        let jsonl = record::canonical(&recorded);
        Ok(Played { jsonl, recorded, unpublished: unpublished + late })
    }

    /// Plays the run on a thread of its own; the feed shows it in the TUI as it happens.
    pub fn live(self) -> live::LiveFeed {
        let recorder = Arc::new(record::Recorder::new(record::Clock::new(self.options.speed)));
        let header = record::header_line(&self.model, &self.options.brokers);
        let feed_recorder = Arc::clone(&recorder);
        let run = std::thread::spawn(move || self.play_on(&recorder));
        live::LiveFeed::new(&header, feed_recorder, run)
    }

    fn play_on(&self, recorder: &Arc<record::Recorder>) -> Result<u64, PlayError> {
        kafka::play(&self.model, &self.schedule, &self.bases, &self.options, &self.run_id, recorder)
    }
}
