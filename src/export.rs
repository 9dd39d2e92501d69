//! Exports: a run taken out of the terminal, as a diagram or as a file another tool opens
//! (the contract's "Exports and comparison" section).
//!
//! - [`mermaid`]: a Mermaid `sequenceDiagram` (at most [`mermaid::MAX_ARROWS`] arrows);
//! - [`svg`]: a space-time diagram, time flowing down, a lane per producer, partition or
//!   queue, and consumer instance;
//! - [`perfetto`]: Chrome trace-event JSON (Perfetto, `chrome://tracing`);
//! - [`otlp`]: OpenTelemetry OTLP/JSON traces (Jaeger), a trace per correlation id;
//! - [`csv`]: the per-group metrics over time, one row per group and bucket.
//!
//! What is exported is chosen here, once for every format ([`Selection`]): the steps of one
//! correlation id (`--correlation`) within a time window (`--from`, `--to`). The pieces
//! the formats share are derived here too: each processing (a delivery and what ended it,
//! [`Processing`]), who published each event (a producer, or the processing that emitted
//! it), and the findings at the selected steps. Everything is read from the trace and its
//! analysis, in step order, so the same run gives the same bytes.
//!
//! Layer: above [`crate::run`] (the command line hands a computed run over), below
//! [`crate::report`] and [`crate::tui`] (the TUI's export key uses it).

pub mod csv;
pub mod mermaid;
pub mod otlp;
pub mod perfetto;
pub mod svg;

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write as _};
use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::analysis::{Analysis, Finding, FindingClass};
use crate::model::Model;
use crate::scenario::model::TopicKind;
use crate::trace::jsonl::Namer;
use crate::trace::{EventId, EventIdx, GroupIdx, InstanceIdx, Partition, Step, StepKind, TopicIdx, Trace};

/// The formats, as `--format` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Svg,
    Perfetto,
    Otlp,
    Csv,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Mermaid, Format::Svg, Format::Perfetto, Format::Otlp, Format::Csv];

    pub fn name(self) -> &'static str {
        match self {
            Format::Mermaid => "mermaid",
            Format::Svg => "svg",
            Format::Perfetto => "perfetto",
            Format::Otlp => "otlp",
            Format::Csv => "csv",
        }
    }

    /// The usual file name ending.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Mermaid => "mmd",
            Format::Svg => "svg",
            Format::Perfetto => "perfetto.json",
            Format::Otlp => "otlp.json",
            Format::Csv => "csv",
        }
    }

    /// `--format`'s value; the error is one line.
    pub fn parse(text: &str) -> Result<Format, String> {
        Self::ALL.into_iter().find(|f| f.name() == text).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
            format!("unknown export format \"{text}\": use {}", names.join(", "))
        })
    }
}

/// The fixed start of simulated time in OTLP exports: 2026-01-01T00:00:00Z, in Unix
/// nanoseconds.
pub const DEFAULT_EPOCH_NANOS: u64 = 1_767_225_600_000_000_000;

/// The default `--bucket` of the CSV (and of Perfetto's lag counters): 100 ms.
pub const DEFAULT_BUCKET_US: u64 = 100_000;

/// What to export and how.
#[derive(Clone, Debug)]
pub struct Options {
    pub format: Format,
    /// Only the events of this correlation id (and the faults and findings about them).
    pub correlation: Option<String>,
    /// The time window, in virtual µs, both ends included.
    pub from: Option<u64>,
    pub to: Option<u64>,
    /// Where simulated time 0 is, in Unix nanoseconds (`--epoch`).
    pub epoch_nanos: u64,
    /// The CSV's bucket, in virtual µs (`--bucket`).
    pub bucket_us: u64,
}

impl Options {
    /// `format` of the whole run, with the default epoch and bucket. (Where the run came
    /// from is left out of every format: a lesson and its recorded trace give the same bytes.)
    pub fn new(format: Format) -> Self {
        Options {
            format,
            correlation: None,
            from: None,
            to: None,
            epoch_nanos: DEFAULT_EPOCH_NANOS,
            bucket_us: DEFAULT_BUCKET_US,
        }
    }
}

/// `--epoch`: an RFC 3339 time at or after 1970, as Unix nanoseconds.
pub fn parse_epoch(text: &str) -> Result<u64, String> {
    let bad = |why: &str| format!("--epoch \"{text}\" {why} (write an RFC 3339 time, e.g. 2026-01-01T00:00:00Z)");
    let time = chrono::DateTime::parse_from_rfc3339(text).map_err(|e| bad(&format!("is not a time: {e}")))?;
    let nanos = time.timestamp_nanos_opt().ok_or_else(|| bad("is out of range"))?;
    u64::try_from(nanos).map_err(|_| bad("is before 1970"))
}

/// A run to export: its model, its trace, and the analysis of its first `end` steps (all of
/// them for a finished run; the TUI exports the run as of the step shown).
#[derive(Clone, Copy)]
pub struct Run<'a> {
    pub model: &'a Arc<Model>,
    pub trace: &'a Trace,
    pub analysis: &'a Analysis,
    /// How many steps of `trace` count.
    pub end: usize,
}

impl<'a> Run<'a> {
    /// The whole of a computed run.
    pub fn whole(model: &'a Arc<Model>, trace: &'a Trace, analysis: &'a Analysis) -> Self {
        Run { model, trace, analysis, end: trace.steps.len() }
    }

    /// The whole of a run computed from a source (`eventlab export SOURCE`).
    pub fn of(computed: &'a crate::run::source::Computed) -> Self {
        match computed {
            crate::run::source::Computed::Run(outcome) => {
                Run::whole(outcome.sim.model(), outcome.sim.trace(), &outcome.analysis)
            }
            crate::run::source::Computed::Replay(replayed) => {
                Run::whole(&replayed.recorded.model, &replayed.recorded.trace, &replayed.analysis)
            }
        }
    }

    pub fn steps(&self) -> &'a [Step] {
        &self.trace.steps[..self.end]
    }

    pub fn namer(&self) -> Namer<'a> {
        Namer { model: self.model, trace: self.trace }
    }
}

/// Why an export could not be written: bad input (exit 2, one line), or the output failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Writes the export `options` ask for to `out`.
pub fn write(run: &Run<'_>, options: &Options, out: &mut dyn io::Write) -> Result<(), ExportError> {
    if options.format == Format::Csv && options.correlation.is_some() {
        return Err(ExportError::Refused(
            "csv: the metrics are per group, not per correlation id: leave --correlation out".to_owned(),
        ));
    }
    if options.bucket_us == 0 {
        return Err(ExportError::Refused("--bucket must be more than 0 (e.g. 100ms)".to_owned()));
    }
    let selection =
        Selection::new(run, options.correlation.as_deref(), options.from, options.to).map_err(ExportError::Refused)?;
    match options.format {
        Format::Mermaid => mermaid::write(run, &selection, options, out),
        Format::Svg => Ok(svg::write(run, &selection, options, out)?),
        Format::Perfetto => Ok(perfetto::write(run, &selection, options, out)?),
        Format::Otlp => Ok(otlp::write(run, &selection, options, out)?),
        Format::Csv => Ok(csv::write(run, &selection, options, out)?),
    }
}

/// Writes the export to a `Vec`.
pub fn to_bytes(run: &Run<'_>, options: &Options) -> Result<Vec<u8>, ExportError> {
    let mut bytes = Vec::new();
    write(run, options, &mut bytes)?;
    Ok(bytes)
}

/// Writes the export to `path` atomically, as a trace file is written
/// ([`crate::trace::file`]): a symbolic link followed, a special file refused, the bytes
/// written to a temporary file beside it, synced, then renamed over it. On a refusal or a
/// failure nothing is left behind and an existing file is untouched.
pub fn write_file(run: &Run<'_>, options: &Options, path: &Path) -> Result<(), ExportError> {
    let cannot = |e: io::Error| ExportError::Refused(format!("{}: cannot write: {e}", path.display()));
    let target = crate::trace::file::Target::resolve(path).map_err(cannot)?;
    let tmp = target.temp_path();
    let _ = fs::remove_file(&tmp);
    let file = fs::OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(cannot)?;
    let mut out = io::BufWriter::with_capacity(1 << 20, file);
    let written = write(run, options, &mut out).and_then(|()| {
        out.flush()?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        if let Ok(meta) = fs::metadata(target.path()) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::rename(&tmp, target.path())?;
        Ok(())
    });
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.map_err(|e| match e {
        ExportError::Io(e) => cannot(e),
        refused @ ExportError::Refused(_) => refused,
    })
}

/// What an export shows: the selected steps, and the findings at them.
pub struct Selection {
    /// Indices of the selected steps, in order.
    pub steps: Vec<u32>,
    /// Whether each step of the run is selected.
    pub selected: Vec<bool>,
    /// The correlation id asked for.
    pub correlation: Option<EventId>,
    /// The window asked for (µs; both ends included).
    pub from: u64,
    pub to: u64,
    /// Findings by the index of their step, for the findings about selected events within
    /// the window.
    pub findings: BTreeMap<u32, Vec<Finding>>,
    /// The run's pieces, over all its steps (a processing is shown when its delivery is).
    pub derived: Derived,
}

impl Selection {
    /// The steps of `correlation` (all when `None`) from `from` to `to`. With a correlation
    /// id, the faults shown are those of the instances (and the rebalances of the groups)
    /// its steps involve, while its events are in flight; lesson notes and commits are left
    /// out. Refused (one line): an unknown correlation id, a window that ends before it
    /// starts.
    pub fn new(run: &Run<'_>, correlation: Option<&str>, from: Option<u64>, to: Option<u64>) -> Result<Self, String> {
        let trace = run.trace;
        let (from, to) = (from.unwrap_or(0), to.unwrap_or(u64::MAX));
        if from > to {
            return Err(format!(
                "--from {} is after --to {}: the window would be empty",
                crate::scenario::value::Duration(from),
                crate::scenario::value::Duration(to)
            ));
        }
        let correlation = match correlation {
            None => None,
            Some(text) => {
                let id = EventId::find(text, &trace.strings, |s| trace.emitters.contains(&s))
                    .filter(|id| trace.events.iter().any(|e| e.correlation == *id));
                Some(id.ok_or_else(|| {
                    let example = trace.events.first().map(|e| e.correlation.render(&trace.strings));
                    let example = example.map(|e| format!(" such as {e}")).unwrap_or_default();
                    format!(
                        "no event of this run has the correlation id \"{text}\" (a correlation id is its chain's \
                         first event id{example})"
                    )
                })?)
            }
        };
        let steps = run.steps();
        let in_window = |s: &Step| s.t_us >= from && s.t_us <= to;
        let mut selected = vec![false; steps.len()];
        let mut instances = vec![false; trace.instances.len()];
        let mut groups = vec![false; run.model.groups.len()];
        let (mut first, mut last) = (u64::MAX, 0);
        for (i, step) in steps.iter().enumerate() {
            let Some(event) = step.event else { continue };
            if !in_window(step) {
                continue;
            }
            if let Some(id) = correlation {
                if trace.event(event).correlation != id {
                    continue;
                }
                if let Some(instance) = step.instance {
                    instances[instance.index()] = true;
                }
                if let Some(group) = step.group {
                    groups[group.index()] = true;
                }
                first = first.min(step.t_us);
                last = last.max(step.t_us);
            }
            selected[i] = true;
        }
        for (i, step) in steps.iter().enumerate() {
            if step.event.is_some() || !in_window(step) {
                continue;
            }
            selected[i] = match correlation {
                None => true,
                Some(_) if step.t_us < first || step.t_us > last => false,
                Some(_) => match step.kind {
                    StepKind::Crashed | StepKind::Restarted | StepKind::Paused | StepKind::Resumed => {
                        instances[step.instance_idx().index()]
                    }
                    StepKind::Rebalanced => groups[step.group_idx().index()],
                    // Not in a chain's export: joins and commits; the kinds about an event
                    // are selected above, with their event.
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
                    | StepKind::Note
                    | StepKind::Joined => false,
                },
            };
        }
        let mut findings: BTreeMap<u32, Vec<Finding>> = BTreeMap::new();
        let analysis = run.analysis;
        let all = analysis.findings().iter().copied().chain(analysis.standing(true));
        for finding in all {
            let index = finding.step.saturating_sub(1) as usize;
            let Some(step) = steps.get(index) else { continue };
            let about = correlation.is_none_or(|id| trace.event(finding.event).correlation == id);
            if about && in_window(step) {
                findings.entry(index as u32).or_default().push(finding);
            }
        }
        let steps_selected = selected.iter().enumerate().filter(|(_, s)| **s).map(|(i, _)| i as u32).collect();
        Ok(Selection { steps: steps_selected, selected, correlation, from, to, findings, derived: Derived::new(run) })
    }

    /// The time span the export covers: the window asked for, narrowed to the selected
    /// steps' times (`(0, 0)` when nothing is selected).
    pub fn span(&self, run: &Run<'_>) -> (u64, u64) {
        let times = || self.steps.iter().map(|&i| run.trace.steps[i as usize].t_us);
        let first = times().next().unwrap_or(0);
        let last = times().next_back().unwrap_or(0);
        let start = if self.from > 0 { self.from.min(first) } else { first };
        let end = if self.to < u64::MAX { self.to.max(last).min(self.to) } else { last };
        (start, end.max(start))
    }

    /// The findings (and where: the selected step's index) in step order.
    pub fn findings(&self) -> impl Iterator<Item = (u32, &Finding)> {
        self.findings.iter().flat_map(|(&i, fs)| fs.iter().map(move |f| (i, f)))
    }
}

/// How a processing ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `processed`, with an effect or not.
    Processed {
        effect: bool,
    },
    /// `skipped_duplicate`: an idempotent consumer recognised the event.
    Skipped,
    Failed,
    /// The instance crashed while the event was in hand.
    Crashed,
    /// Still in hand where the run (or the export) ends.
    Unfinished,
}

impl Ending {
    pub fn name(self) -> &'static str {
        match self {
            Ending::Processed { effect: true } => "processed",
            Ending::Processed { effect: false } => "processed (no effect)",
            Ending::Skipped => "skipped_duplicate",
            Ending::Failed => "failed",
            Ending::Crashed => "crashed",
            Ending::Unfinished => "unfinished",
        }
    }
}

/// One processing: an instance's delivery of an event and what ended it. It starts at the
/// delivery, or when the instance finished the one before (deliveries fetched ahead wait).
#[derive(Clone, Copy, Debug)]
pub struct Processing {
    /// The `delivered` step (index).
    pub delivery: u32,
    /// The step that ended it (index), `u32::MAX` when unfinished.
    pub end_step: u32,
    pub start_us: u64,
    pub end_us: u64,
    pub ending: Ending,
    pub event: EventIdx,
    pub instance: InstanceIdx,
    pub group: GroupIdx,
}

/// What every format derives from the steps: the processings, and who published each
/// event (for an emitted event, the processing that emitted it).
pub struct Derived {
    /// In the order of their delivery steps.
    pub processings: Vec<Processing>,
    /// By delivery step index: the processing's index (`u32::MAX`: not a delivery).
    pub processing_of_delivery: FxHashMap<u32, u32>,
    /// Per event: the processing (index) that emitted it, `u32::MAX` for an event from a
    /// producer or a scripted event.
    pub emitted_by: Vec<u32>,
    /// Per (event, topic): the time it was appended there (published or routed), for the
    /// arrows from an append to its deliveries.
    /// The partition is `None` on a queue or a bus.
    pub appended_at: FxHashMap<(EventIdx, TopicIdx), (u64, Option<Partition>)>,
}

impl Derived {
    fn new(run: &Run<'_>) -> Self {
        let trace = run.trace;
        let mut group_of_source: FxHashMap<usize, GroupIdx> = FxHashMap::default();
        for (g, gm) in run.model.groups.iter().enumerate() {
            group_of_source.insert(gm.source.index(), GroupIdx::new(g));
        }
        let mut processings: Vec<Processing> = Vec::new();
        let mut processing_of_delivery = FxHashMap::default();
        // Per instance: the processings open (index), in delivery order, and when its latest ended.
        let mut open: Vec<Vec<u32>> = vec![Vec::new(); trace.instances.len()];
        let mut free_at: Vec<u64> = vec![0; trace.instances.len()];
        // (event, group) → its latest processing with an outcome.
        let mut latest: FxHashMap<(EventIdx, GroupIdx), u32> = FxHashMap::default();
        let mut emitted_by = vec![u32::MAX; trace.events.len()];
        let mut appended_at = FxHashMap::default();
        for (i, step) in run.steps().iter().enumerate() {
            match step.kind {
                StepKind::Published | StepKind::Routed => {
                    let e = step.event_idx();
                    appended_at.insert((e, step.topic_idx()), (step.t_us, step.partition));
                    let event = trace.event(e);
                    if step.kind == StepKind::Published
                        && emitted_by[e.index()] == u32::MAX
                        && let Some(cause) = event.cause
                        && let Some(&g) = group_of_source.get(&event.source.index())
                        && let Some(&p) = latest.get(&(cause, g))
                    {
                        emitted_by[e.index()] = p;
                    }
                }
                StepKind::Delivered => {
                    let index = processings.len() as u32;
                    processing_of_delivery.insert(i as u32, index);
                    processings.push(Processing {
                        delivery: i as u32,
                        end_step: u32::MAX,
                        start_us: step.t_us,
                        end_us: step.t_us,
                        ending: Ending::Unfinished,
                        event: step.event_idx(),
                        instance: step.instance_idx(),
                        group: step.group_idx(),
                    });
                    open[step.instance_idx().index()].push(index);
                }
                StepKind::Processed | StepKind::SkippedDuplicate | StepKind::Failed => {
                    let inst = step.instance_idx().index();
                    let event = step.event_idx();
                    let Some(at) = open[inst].iter().position(|&p| processings[p as usize].event == event) else {
                        continue;
                    };
                    let index = open[inst].remove(at);
                    let p = &mut processings[index as usize];
                    p.start_us = p.start_us.max(free_at[inst]).min(step.t_us);
                    p.end_us = step.t_us;
                    p.end_step = i as u32;
                    p.ending = match step.kind {
                        StepKind::Processed => Ending::Processed { effect: step.effect() },
                        StepKind::SkippedDuplicate => Ending::Skipped,
                        _ => Ending::Failed,
                    };
                    free_at[inst] = step.t_us;
                    latest.insert((event, step.group_idx()), index);
                }
                StepKind::Crashed => {
                    let inst = step.instance_idx().index();
                    for index in open[inst].drain(..) {
                        let p = &mut processings[index as usize];
                        p.start_us = p.start_us.max(free_at[inst]).min(step.t_us);
                        p.end_us = step.t_us;
                        p.end_step = i as u32;
                        p.ending = Ending::Crashed;
                    }
                    free_at[inst] = step.t_us;
                }
                StepKind::Committed
                | StepKind::Acked
                | StepKind::Requeued
                | StepKind::DeadLettered
                | StepKind::DroppedDuplicate
                | StepKind::Unrouted
                | StepKind::Fetched
                | StepKind::Restarted
                | StepKind::Rebalanced
                | StepKind::Paused
                | StepKind::Resumed
                | StepKind::Note
                | StepKind::Joined => {}
            }
        }
        // Still in hand at the end: from its start to the last step's time.
        let end_time = run.steps().last().map_or(0, |s| s.t_us);
        for (inst, indices) in open.iter().enumerate() {
            let mut free = free_at[inst];
            for &index in indices {
                let p = &mut processings[index as usize];
                p.start_us = p.start_us.max(free).min(end_time);
                p.end_us = end_time;
                free = end_time;
            }
        }
        Derived { processings, processing_of_delivery, emitted_by, appended_at }
    }

    /// The processing a `delivered` step (index) began.
    pub fn processing(&self, delivery: u32) -> Option<&Processing> {
        self.processing_of_delivery.get(&delivery).map(|&p| &self.processings[p as usize])
    }

    /// The processing that emitted `event`, if a handler emitted it.
    pub fn emitter(&self, event: EventIdx) -> Option<&Processing> {
        self.emitted_by.get(event.index()).filter(|&&p| p != u32::MAX).map(|&p| &self.processings[p as usize])
    }
}

/// A finding in a few words, as a diagram's note says it.
pub fn finding_words(class: FindingClass) -> &'static str {
    match class {
        FindingClass::DuplicateDelivery => "delivered twice",
        FindingClass::DuplicateEffect => "duplicate effect",
        FindingClass::OutOfOrder => "out of order",
        FindingClass::Lost => "lost",
        FindingClass::Failed => "failed",
        FindingClass::ReadModelMismatch => "read model mismatch",
        FindingClass::UncompensatedSaga => "saga not compensated",
    }
}

/// A finding as a diagram's note says it: `delivered twice: evt-000012 (billing)`.
pub fn finding_text(run: &Run<'_>, finding: &Finding) -> String {
    let namer = run.namer();
    format!("{}: {} ({})", finding_words(finding.class), namer.event_id(finding.event), namer.finding_scope(finding))
}

/// A fault step in a few words (`crashed`, `rebalanced`), or `None` for another kind.
pub fn fault_words(kind: StepKind) -> Option<&'static str> {
    match kind {
        StepKind::Crashed
        | StepKind::Restarted
        | StepKind::Paused
        | StepKind::Resumed
        | StepKind::Joined
        | StepKind::Rebalanced => Some(kind.name()),
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
        | StepKind::Note => None,
    }
}

/// Whether a topic is a log (its lanes are its partitions).
pub fn is_log(model: &Model, topic: TopicIdx) -> bool {
    model.topics[topic.index()].kind == TopicKind::Log
}

/// Where in a topic a step is: `orders[2]@14` on a log, the topic's name elsewhere.
pub fn place(run: &Run<'_>, step: &Step) -> String {
    let topic = step.topic_idx();
    let name = &run.model.topics[topic.index()].name;
    match step.partition {
        Some(partition) if is_log(run.model, topic) => match step.offset() {
            None => format!("{name}[{partition}]"),
            Some(offset) => format!("{name}[{partition}]@{offset}"),
        },
        _ => name.clone(),
    }
}

/// Who published an event's first copy from outside the consumers: the producer's (or
/// scripted event's) source name.
pub fn source_name<'a>(run: &Run<'a>, event: EventIdx) -> &'a str {
    run.trace.strings.resolve(run.trace.event(event).source)
}

/// `value` µs as milliseconds, exactly: `1500`, `1500.25`.
pub fn millis(us: u64) -> String {
    if us % 1000 == 0 {
        format!("{}", us / 1000)
    } else {
        format!("{}.{:03}", us / 1000, us % 1000).trim_end_matches('0').to_owned()
    }
}

/// A 64-bit FNV-1a hash of `parts` (each followed by a 0 byte), from `seed`: stable across
/// platforms and versions, for ids derived from names.
pub fn fnv64(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ seed;
    for part in parts {
        for &b in part.iter().chain(&[0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
