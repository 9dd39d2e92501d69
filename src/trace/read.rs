//! Reading a recorded trace back (`eventlab replay`): the JSON Lines that [`super::jsonl`]
//! writes → the [`Model`] it was recorded with and the compact [`Trace`] the simulator had.
//!
//! The header's `definition` is validated and compiled as a scenario file would be (same
//! loader, same validation), with the header's seed. Each step line is then read per kind
//! back into the [`Step`] the simulator appended, with the same indices: events are stored
//! in order of their first step (as the simulator creates an event just before it publishes
//! it), instances in the simulator's order ([`Trace::start`], then each `joined` step),
//! assignments, note indices, failure reasons, receive counts, dead-letter topics and
//! committed offsets as the steps give them. So writing the result again gives the same
//! bytes, and the analysis of it the same figures, findings and expectations.
//!
//! Every failure is one [`ReadError`] line, `FILE:LINE: what is wrong`: not a trace at all, a
//! header whose definition does not validate, a line that is not a JSON object, or a step that
//! does not fit the trace so far (an unknown name, a gap in the step numbers, time going
//! backward, an event that was never published, a field its kind does not have), an `end`
//! line whose figures are not the trace's, a line after the `end` line.
//!
//! A trace ends with its `end` line ([`End`]). One without it was **cut**: at a line
//! boundary (`head -n 100`), or in a line (no final newline, and the start of a JSON
//! object). Either way it loads up to its last whole step and [`Recorded::truncated`] says
//! where it stopped, the same way ([`Truncated::warning`]). Nothing here panics, whatever
//! the bytes.
//!
//! What a trace cannot say for certain: when several events share an id (scripted events given
//! the same `id`), a queue step names only the id, so it is read as being about a copy with
//! the step's type, key and correlation, in the state the step expects (see
//! [`Builder::message`]); a log step names its offset and is exact. A producer's
//! retry (the same event sent again) is told from a new event with the same id by where it
//! is: right after the first copy, at the same time, on the same topic and partition, from a
//! producer that retries.

use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, Read as _};
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::jsonl::{End, FORMAT_VERSION};
use super::log::PartitionLog;
use super::{
    Assignment, Event, EventId, EventIdx, FailReason, GroupIdx, InstanceIdx, MAX_STEPS, Partition, Span, Step,
    StepKind, TopicIdx, Trace,
};
use super::{Cluster, ClusterSource};
use crate::model::Model;
use crate::scenario::load::{ErrorKind, Limits, MAX_FILE_BYTES, ScenarioError, io_reason, load_str, rewrite_message};
use crate::scenario::model::TopicKind;
use crate::scenario::suggest::did_you_mean;
use crate::scenario::value::Duration;

/// Lines longer than this are refused: a header holds a scenario of at most
/// [`MAX_FILE_BYTES`], and a step's payloads come from the scenario's templates.
pub const MAX_LINE_BYTES: u64 = 4 * MAX_FILE_BYTES;

/// A recorded run, read back.
#[derive(Debug)]
pub struct Recorded {
    /// The scenario of the header, compiled with the header's seed.
    pub model: Arc<Model>,
    pub trace: Trace,
    /// Where the trace was cut, if it has no `end` line.
    pub truncated: Option<Truncated>,
    /// The `end` line, if the trace has one (checked against the steps read).
    pub end: Option<End>,
}

impl Recorded {
    /// Whether the recorded run reached its end (its `end` line says `complete`).
    pub fn complete(&self) -> bool {
        self.end.is_some_and(|end| end.complete)
    }
}

/// A trace without its `end` line (a recording interrupted, a copy cut short, at a line
/// boundary or in a line): it loads up to its last whole step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncated {
    /// The number of the last whole step kept (0: none, only the header).
    pub last_step: u64,
    /// The 1-based line where it was cut: the line cut short, or the one after the last
    /// whole line (where the `end` line should have been).
    pub line: usize,
}

impl Truncated {
    /// What `eventlab replay` says of a cut trace (`origin` names it), whether it was cut at
    /// a line boundary or in a line.
    pub fn warning(&self, origin: &str) -> String {
        format!(
            "warning: {origin} is cut at line {}, before its end line; loaded up to step {}",
            self.line, self.last_step
        )
    }
}

/// Why a trace could not be read: `FILE:LINE: MESSAGE`, or `FILE: MESSAGE` when no line is
/// to blame (the file cannot be read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub origin: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.origin, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads a trace file.
pub fn read_file(path: &Path) -> Result<Recorded, ReadError> {
    let origin = path.display().to_string();
    let file = crate::fsutil::open_regular(path, u64::MAX).map_err(|e| ReadError {
        origin: origin.clone(),
        line: None,
        message: format!("cannot read: {}", io_reason(&e)),
    })?;
    read(std::io::BufReader::with_capacity(1 << 20, file), &origin)
}

/// What a header line looks like, for the messages that say a file is not a trace.
const HEADER: &str =
    "a trace starts with a header line {\"eventlab_trace\": 1, \"scenario\": ..., \"definition\": ...}";

/// Reads a trace from `input`; `origin` names it in errors.
pub fn read(mut input: impl BufRead, origin: &str) -> Result<Recorded, ReadError> {
    let fail = |line: usize, message: String| ReadError {
        origin: origin.to_owned(),
        line: Some(line),
        message: one_line(&message),
    };
    let cannot_read = |e: std::io::Error| ReadError {
        origin: origin.to_owned(),
        line: None,
        message: format!("cannot read: {}", io_reason(&e)),
    };
    let mut buf = Vec::with_capacity(1 << 12);
    let Some(whole) = next_line(&mut input, &mut buf).map_err(cannot_read)? else {
        return Err(fail(1, format!("the file is empty; {HEADER}")));
    };
    check_length(&buf).map_err(|m| fail(1, m))?;
    let (model, cluster) = header(&buf, whole).map_err(|m| fail(1, m))?;
    let mut builder = Builder::new(Arc::new(model), cluster);
    let mut line = 1;
    let mut truncated = None;
    let mut end = None;
    while let Some(whole) = next_line(&mut input, &mut buf).map_err(cannot_read)? {
        line += 1;
        if end.is_some() {
            return Err(fail(line, format!("a line after the end line (line {}): the trace ended there", line - 1)));
        }
        check_length(&buf).map_err(|m| fail(line, m))?;
        match builder.line(&buf, whole) {
            Ok(None) => {}
            Ok(Some(last)) => end = Some(last),
            Err(Bad::Cut) => {
                truncated = Some(Truncated { last_step: builder.trace.steps.len() as u64, line });
                break;
            }
            Err(Bad::Invalid(message)) => return Err(fail(line, message)),
        }
    }
    if end.is_none() && truncated.is_none() {
        // Cut at a line boundary: reported as a cut in a line is.
        truncated = Some(Truncated { last_step: builder.trace.steps.len() as u64, line: line + 1 });
    }
    Ok(Recorded { model: builder.model, trace: builder.trace, truncated, end })
}

/// A trace read line by line as it is written (`eventlab tap` reads its own lines so):
/// the same checks as [`read`], one line at a time.
pub struct Incremental {
    builder: Builder,
}

impl Incremental {
    /// Starts from a header line.
    pub fn new(header_line: &[u8]) -> Result<Self, String> {
        check_length(header_line)?;
        let (model, cluster) = header(header_line, true)?;
        Ok(Incremental { builder: Builder::new(Arc::new(model), cluster) })
    }

    /// Reads one step line (without its newline). An `end` line is checked and ends
    /// nothing: the caller stops.
    pub fn push(&mut self, line: &[u8]) -> Result<(), String> {
        check_length(line)?;
        match self.builder.line(line, true) {
            Ok(_) => Ok(()),
            Err(Bad::Cut) => Err("a cut line".to_owned()),
            Err(Bad::Invalid(message)) => Err(one_line(&message)),
        }
    }

    pub fn model(&self) -> &Arc<Model> {
        &self.builder.model
    }

    pub fn trace(&self) -> &Trace {
        &self.builder.trace
    }

    /// The run read so far, as [`read`] gives it (not cut, no `end` line).
    pub fn into_recorded(self) -> Recorded {
        Recorded { model: self.builder.model, trace: self.builder.trace, truncated: None, end: None }
    }
}

/// Reads one line into `buf`, without its newline: `None` at the end of the input, else
/// whether the line was whole (ended with a newline; only the last one may not).
fn next_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    buf.clear();
    input.by_ref().take(MAX_LINE_BYTES + 1).read_until(b'\n', buf)?;
    if buf.is_empty() {
        return Ok(None);
    }
    let whole = buf.last() == Some(&b'\n');
    if whole {
        buf.pop();
    }
    Ok(Some(whole))
}

/// A message quotes text from the file: its control characters (a newline in a name) are
/// written as escapes and long text is cut, so the error stays one safe line.
fn one_line(message: &str) -> String {
    crate::scenario::load::safe_line(message)
}

fn check_length(line: &[u8]) -> Result<(), String> {
    if line.len() as u64 > MAX_LINE_BYTES {
        return Err(format!("a line longer than {} MiB: not an eventlab trace", MAX_LINE_BYTES >> 20));
    }
    Ok(())
}

/// The header line, as [`super::jsonl::header`] writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header<'a> {
    eventlab_trace: u64,
    #[serde(borrow)]
    scenario: Text<'a>,
    seed: u64,
    #[serde(borrow)]
    definition: &'a RawValue,
    /// Where the run happened when not in the simulator: `"tap"` (`eventlab tap`) or
    /// `"broker"` (`eventlab run --broker`).
    #[serde(borrow, default)]
    source: Option<Text<'a>>,
    /// The cluster it was read off or run on.
    #[serde(borrow, default)]
    brokers: Option<Text<'a>>,
}

/// Whether a JSON object has an `eventlab_trace` field (whatever else it has).
#[derive(Deserialize)]
struct Probe {
    eventlab_trace: Option<serde::de::IgnoredAny>,
}

/// The header line → the compiled model, or why it is not a trace's header.
fn header(bytes: &[u8], whole: bool) -> Result<(Model, Option<Cluster>), String> {
    let cut = || "the header line is cut short: the trace was cut before its first step".to_owned();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) if !whole && e.error_len().is_none() => return Err(cut()),
        Err(_) => {
            return Err(format!("not an eventlab trace: the first line is not UTF-8 text (a binary file?); {HEADER}"));
        }
    };
    let header: Header<'_> = match serde_json::from_str(text) {
        Ok(header) => header,
        Err(e) if !whole && e.is_eof() => return Err(cut()),
        Err(e) if e.is_data() && serde_json::from_str::<Probe>(text).is_ok_and(|p| p.eventlab_trace.is_some()) => {
            return Err(format!("the header line: {}", json_message::<Header<'_>>(&e, text, HEADER_FIELDS)));
        }
        Err(_) if text.trim_start().starts_with('{') => {
            return Err(format!(
                "not an eventlab trace: the first line is not a trace header (a scenario file? `eventlab run FILE` runs one); {HEADER}"
            ));
        }
        Err(_) => return Err(format!("not an eventlab trace: the first line is not a JSON object; {HEADER}")),
    };
    if header.eventlab_trace != FORMAT_VERSION {
        return Err(format!(
            "trace format version {} is not supported (this eventlab reads version {FORMAT_VERSION})",
            header.eventlab_trace
        ));
    }
    // The run was recorded already: no limit on its steps applies to reading it (its
    // structure, partitions and groups, stays within the default memory budget).
    let limits = Limits::recorded();
    let scenario = load_str(header.definition.get(), "definition", &limits)
        .map_err(|e| format!("the header's definition is not a valid scenario: {}", definition_error(&e)))?;
    if scenario.name != *header.scenario {
        return Err(format!(
            "the header names scenario \"{}\" but its definition is \"{}\"",
            &*header.scenario, scenario.name
        ));
    }
    let cluster = match header.source.as_deref() {
        None => None,
        Some(name) => {
            let source = ClusterSource::from_name(name)
                .ok_or_else(|| format!("the header's source \"{name}\" is not \"tap\" or \"broker\""))?;
            Some(Cluster { source, brokers: header.brokers.as_deref().unwrap_or_default().to_owned() })
        }
    };
    let model = Model::compile(Arc::new(scenario), header.seed)
        .map_err(|e| format!("the header's definition cannot be compiled: {e}"))?;
    Ok((model, cluster))
}

const HEADER_FIELDS: &[&str] = &["eventlab_trace", "scenario", "seed", "definition", "source", "brokers"];

/// A scenario error without its origin (the definition has no file of its own).
fn definition_error(error: &ScenarioError) -> String {
    match &error.kind {
        ErrorKind::Read(message) | ErrorKind::Syntax { message, .. } => message.clone(),
        ErrorKind::NotUtf8 { .. } => "not UTF-8 text".to_owned(),
        ErrorKind::Shape { path, message, .. } | ErrorKind::Invalid { path, message } if path.is_empty() => {
            message.clone()
        }
        ErrorKind::Shape { path, message, .. } | ErrorKind::Invalid { path, message } => format!("{path}: {message}"),
    }
}

/// `serde_json`'s message in the project's words: no "at line 1 column 9" (a line is one
/// object; the column is given for syntax errors), quotes and "did you mean" for fields.
/// A value of the wrong type is named by its field (`"partition": invalid type: string "2",
/// expected an integer ...`): `T` is parsed again, with the path tracked, to find it.
fn json_message<'de, T: Deserialize<'de>>(error: &serde_json::Error, text: &'de str, fields: &[&str]) -> String {
    let raw = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = raw.strip_suffix(&suffix).unwrap_or(&raw);
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((name, _)) = rest.split_once('`')
    {
        return format!("unknown field \"{name}\"{}", did_you_mean(name, fields.iter().copied()));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return format!("missing \"{}\"", rest.trim_end_matches('`'));
    }
    if !error.is_data() {
        return format!("not a whole JSON object: {message} (column {})", error.column());
    }
    let message = rewrite_message(message);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(e) if !e.path().to_string().is_empty() && e.path().to_string() != "." => {
            format!("\"{}\": {message}", e.path())
        }
        _ => message,
    }
}

/// A string field, borrowed from the line unless it has escapes.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Text<'a>(Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }

            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }

            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

/// A JSON value kept as its text, `null` included (an `Option<&RawValue>` would read `null`
/// as absent).
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// Declares [`Fields`]: every field a step line may have, each optional. The reader of a
/// kind takes the fields it uses; one left over is an error, so nothing in a line is
/// silently dropped (and a field added to the writer must be read here to round-trip).
macro_rules! step_fields {
    ($($(#[$meta:meta])* $name:ident: $ty:ty,)*) => {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Fields<'a> {
            $($(#[$meta])* $name: Option<$ty>,)*
        }

        /// The names of [`Fields`], for "did you mean".
        const STEP_FIELDS: &[&str] = &[$(strip_raw(stringify!($name))),*];

        impl Fields<'_> {
            /// The names of the fields the line has.
            fn present(&self) -> impl Iterator<Item = &'static str> {
                [$(self.$name.is_some().then_some(strip_raw(stringify!($name)))),*].into_iter().flatten()
            }

            /// The name of a field that no reader took, if any.
            fn leftover(&self) -> Option<&'static str> {
                $(if self.$name.is_some() {
                    return Some(strip_raw(stringify!($name)));
                })*
                None
            }
        }
    };
}

/// `type` for `r#type`.
const fn strip_raw(name: &'static str) -> &'static str {
    match name.as_bytes() {
        [b'r', b'#', rest @ ..] => match std::str::from_utf8(rest) {
            Ok(rest) => rest,
            Err(_) => name,
        },
        _ => name,
    }
}

step_fields! {
    step: u64,
    t_us: u64,
    #[serde(borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    event: Text<'a>,
    #[serde(borrow)]
    r#type: Text<'a>,
    #[serde(borrow)]
    key: Text<'a>,
    #[serde(borrow)]
    topic: Text<'a>,
    partition: u32,
    offset: u32,
    #[serde(borrow)]
    group: Text<'a>,
    #[serde(borrow)]
    instance: Text<'a>,
    #[serde(borrow)]
    correlation_id: Text<'a>,
    #[serde(borrow)]
    causation_id: Text<'a>,
    #[serde(borrow)]
    source: Text<'a>,
    schema_version: u32,
    #[serde(borrow, default, deserialize_with = "present")]
    headers: &'a RawValue,
    #[serde(borrow, default, deserialize_with = "present")]
    data: &'a RawValue,
    effect: bool,
    #[serde(borrow)]
    reason: Text<'a>,
    attempt: u32,
    receive: u32,
    #[serde(borrow)]
    dead_letter: Text<'a>,
    #[serde(borrow)]
    assignment: IndexMap<Text<'a>, IndexMap<Text<'a>, Vec<u32>>>,
    #[serde(borrow)]
    text: Text<'a>,
    #[serde(borrow)]
    bus: Text<'a>,
    #[serde(borrow)]
    rule: Text<'a>,
    #[serde(borrow)]
    aggregate: Text<'a>,
    version: u32,
    event_version: u32,
    #[serde(borrow)]
    record_time: Text<'a>,
    /// The `end` line's one field.
    end: End,
}

/// Takes a field the step needs.
fn need<T>(field: &mut Option<T>, name: &str) -> Result<T, String> {
    field.take().ok_or_else(|| format!("missing \"{name}\""))
}

/// What is wrong with a step line.
enum Bad {
    /// The last line was cut short: the trace ends before it.
    Cut,
    Invalid(String),
}

/// The event fields a step line shows: id, type, key, correlation and causation.
struct Shown<'a> {
    id: Text<'a>,
    event_type: Text<'a>,
    key: Option<Text<'a>>,
    correlation: Text<'a>,
    causation: Option<Text<'a>>,
}

impl<'a> Shown<'a> {
    fn take(f: &mut Fields<'a>) -> Result<Self, String> {
        Ok(Shown {
            id: need(&mut f.event, "event")?,
            event_type: need(&mut f.r#type, "type")?,
            key: f.key.take(),
            correlation: need(&mut f.correlation_id, "correlation_id")?,
            causation: f.causation_id.take(),
        })
    }
}

/// A group's hold on a queue message whose id other events share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    /// Delivered to this instance and not acked, nacked or expired since.
    By(InstanceIdx),
    /// Acked or dead-lettered: done with.
    Done,
}

/// The trace being rebuilt, and the indices that resolve the names in step lines.
struct Builder {
    model: Arc<Model>,
    trace: Trace,
    /// Per topic and partition: the events of a log in offset order.
    logs: Vec<Vec<PartitionLog>>,
    /// Read off a real cluster: logs start anywhere and skip offsets, a causation id may
    /// name an event not seen.
    loose: bool,
    /// The first event with each id.
    by_id: FxHashMap<EventId, EventIdx>,
    /// Every event of an id that several events have, in order.
    shared: FxHashMap<EventId, Vec<EventIdx>>,
    /// What each group is doing with the queue messages of such ids, to tell which copy a
    /// step names.
    held: FxHashMap<(GroupIdx, EventIdx), Held>,
    /// Per group and such an id: the copies it processed with an effect, and when (the
    /// causes of what its handlers emit).
    effects: FxHashMap<(GroupIdx, EventId), Vec<(EventIdx, u64)>>,
    /// Per event: whether a `published` step published it (consumers see only those).
    published: Vec<bool>,
    /// Per group: its instances' indices, by number − 1.
    members: Vec<Vec<InstanceIdx>>,
    /// Per note of the scenario: whether its step has been read.
    notes_read: Vec<bool>,
    /// The event last published to a bus: the one its `routed`, `unrouted` (and a FIFO
    /// target's `dropped_duplicate`) steps are about, as routing follows the publication at
    /// once.
    routing: Option<EventIdx>,
    /// Per instance: the events last delivered to it, newest last (a `fetched` step is for
    /// one of them: with `prefetch`, later messages arrive while one is processed).
    delivered: Vec<std::collections::VecDeque<EventIdx>>,
}

/// How many of an instance's latest deliveries a `fetched` step is looked for among.
const FETCH_WINDOW: usize = 256;

impl Builder {
    fn new(model: Arc<Model>, cluster: Option<Cluster>) -> Self {
        let loose = cluster.is_some();
        let mut trace = Trace::start(&model);
        trace.cluster = cluster;
        let mut members = vec![Vec::new(); model.groups.len()];
        for (index, &(group, _)) in trace.instances.iter().enumerate() {
            members[group.index()].push(InstanceIdx::new(index));
        }
        Builder {
            logs: model.topics.iter().map(|t| vec![PartitionLog::default(); t.partitions as usize]).collect(),
            loose,
            notes_read: vec![false; model.scenario.notes.len()],
            routing: None,
            delivered: vec![std::collections::VecDeque::new(); trace.instances.len()],
            by_id: FxHashMap::default(),
            shared: FxHashMap::default(),
            held: FxHashMap::default(),
            effects: FxHashMap::default(),
            published: Vec::new(),
            members,
            trace,
            model,
        }
    }

    /// One step line (without its newline), or the `end` line (returned); `whole` when a
    /// newline ended it.
    fn line(&mut self, bytes: &[u8], whole: bool) -> Result<Option<End>, Bad> {
        // A cut in the middle of a character leaves an incomplete one at the end.
        let (text, cut_char) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, false),
            Err(e) if !whole && e.error_len().is_none() => {
                (std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(), true)
            }
            Err(e) => {
                let column = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).chars().count() + 1;
                return Err(Bad::Invalid(format!("not UTF-8 text (invalid byte at column {column})")));
            }
        };
        if !text.starts_with('{') {
            return Err(Bad::Invalid(
                "not a step: a step line is a JSON object {\"step\": N, \"t_us\": T, \"kind\": K, ...}".to_owned(),
            ));
        }
        let mut fields: Fields<'_> = match serde_json::from_str(text) {
            // A cut line is the start of an object: its parse ends early, at the end of input.
            Err(e) if !whole && e.is_eof() => return Err(Bad::Cut),
            _ if cut_char => return Err(Bad::Invalid("not UTF-8 text (it ends inside a character)".to_owned())),
            Ok(fields) => fields,
            Err(e) => return Err(Bad::Invalid(json_message::<Fields<'_>>(&e, text, STEP_FIELDS))),
        };
        if let Some(end) = fields.end.take() {
            if let Some(field) = fields.leftover() {
                return Err(Bad::Invalid(format!("the end line: unexpected field \"{field}\"")));
            }
            return self.end(end).map(Some).map_err(|e| Bad::Invalid(format!("the end line: {e}")));
        }
        self.step(fields).map(|()| None).map_err(Bad::Invalid)
    }

    /// Checks the `end` line's figures against the trace read.
    fn end(&self, end: End) -> Result<End, String> {
        let steps = self.trace.steps.len() as u64;
        if end.steps != steps {
            return Err(format!("it says {} steps, but the trace has {steps}", end.steps));
        }
        let last = self.trace.steps.last().map_or(0, |s| s.t_us);
        let duration = self.model.duration;
        if end.t_us < last {
            return Err(format!("t_us {} is before the last step's ({last})", end.t_us));
        }
        if end.t_us > duration {
            return Err(format!("t_us {} is past the scenario's duration ({})", end.t_us, Duration(duration)));
        }
        if end.complete && end.t_us != duration {
            return Err(format!(
                "a complete run ends at the scenario's duration (t_us {duration}), not at t_us {}",
                end.t_us
            ));
        }
        Ok(end)
    }

    /// Appends the step a line describes, after checking it fits the trace so far.
    fn step(&mut self, mut f: Fields<'_>) -> Result<(), String> {
        let number = need(&mut f.step, "step")?;
        let expected = self.trace.steps.len() as u64 + 1;
        if number != expected {
            return Err(format!("step {number} where step {expected} was expected (steps are numbered 1, 2, 3, ...)"));
        }
        if expected > MAX_STEPS {
            return Err(format!("more than {MAX_STEPS} steps: more than a trace holds"));
        }
        let t_us = need(&mut f.t_us, "t_us")?;
        if let Some(last) = self.trace.steps.last()
            && t_us < last.t_us
        {
            return Err(format!("time goes backward: t_us {t_us} after {}", last.t_us));
        }
        if t_us > self.model.duration {
            return Err(format!("t_us {t_us} is past the scenario's duration ({})", Duration(self.model.duration)));
        }
        let name = need(&mut f.kind, "kind")?;
        let kind = StepKind::from_name(&name).ok_or_else(|| {
            format!("unknown step kind \"{}\"{}", &*name, did_you_mean(&name, StepKind::ALL.map(StepKind::name)))
        })?;
        // The fields its kind carries (the table the writer follows too), and no other.
        if let Some(field) = f.present().find(|&name| !matches!(name, "step" | "t_us" | "kind") && !kind.carries(name))
        {
            return Err(format!("{} step: unexpected field \"{field}\"", kind.name()));
        }
        let mut step = Step::new(kind, t_us);
        self.read_kind(&mut step, &mut f).map_err(|e| format!("{} step: {e}", kind.name()))?;
        if let Some(field) = f.leftover() {
            return Err(format!("{} step: unexpected field \"{field}\"", kind.name()));
        }
        self.trace.steps.push(step);
        Ok(())
    }

    /// The fields of one kind of step. Adding a kind to [`StepKind`] makes this match
    /// incomplete until the kind is read here.
    fn read_kind(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        match step.kind {
            StepKind::Published => self.read_published(step, f)?,
            StepKind::DroppedDuplicate => self.read_dropped(step, f)?,
            StepKind::Routed => self.read_routed(step, f)?,
            StepKind::Unrouted => {
                step.topic = Some(self.topic(f)?);
                let bus = self.topic_name(step).to_owned();
                step.event = Some(self.routed_event(&bus, f)?);
            }
            StepKind::Fetched => self.read_fetched(step, f)?,
            StepKind::Delivered | StepKind::Processed | StepKind::SkippedDuplicate | StepKind::Failed => {
                self.read_consumed(step, f)?;
            }
            StepKind::Committed => self.read_committed(step, f)?,
            StepKind::Acked => {
                self.consumer(step, f)?;
                self.consumed_message(step, f)?;
            }
            StepKind::Requeued => {
                step.group = Some(self.group(f)?);
                self.consumed_message(step, f)?;
                step.aux = count(f.receive.take(), "receive")?;
            }
            StepKind::DeadLettered => self.read_dead_lettered(step, f)?,
            StepKind::Rebalanced => {
                step.group = Some(self.group(f)?);
                let assignment = need(&mut f.assignment, "assignment")?;
                step.aux = self.trace.assignments.len() as u32;
                let assignment = self.assignment(step.group_idx(), assignment)?;
                self.trace.assignments.push(assignment);
            }
            StepKind::Joined => {
                step.group = Some(self.group(f)?);
                step.instance = Some(self.join(step.group_idx(), &need(&mut f.instance, "instance")?)?);
            }
            StepKind::Crashed | StepKind::Restarted | StepKind::Paused | StepKind::Resumed => self.consumer(step, f)?,
            StepKind::Note => step.aux = self.note(step.t_us, &need(&mut f.text, "text")?)?,
        }
        Ok(())
    }

    /// A `published` step: an append to a log (at its end), a queue or a bus.
    fn read_published(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        step.topic = Some(self.topic(f)?);
        if self.is_log(step.topic_idx()) {
            self.append_position(step, f)?;
        }
        step.event = Some(self.publication(step, f)?);
        self.published[step.event_idx().index()] = true;
        if let Some(text) = f.record_time.take() {
            let ms = chrono::DateTime::parse_from_rfc3339(&text)
                .map_err(|e| format!("record_time \"{}\" is not an RFC 3339 date-time: {e}", &*text))?
                .timestamp_millis();
            let event = step.event_idx();
            if self.trace.record_times.last().is_none_or(|&(e, _)| e < event) {
                self.trace.record_times.push((event, ms));
            }
        }
        if self.is_log(step.topic_idx()) {
            let (topic, partition) = (step.topic_idx().index(), step.partition_idx().index());
            self.logs[topic][partition].append(step.offset, step.event_idx());
        }
        if self.is_bus(step.topic_idx()) {
            self.routing = step.event;
        }
        Ok(())
    }

    /// A `dropped_duplicate` step: a publish the topic dropped (a FIFO queue's duplicate id, an idempotent producer's resend).
    fn read_dropped(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        step.topic = Some(self.topic(f)?);
        if self.is_log(step.topic_idx()) {
            step.partition = Some(self.partition(f, step.topic_idx())?);
        }
        step.event = match f.bus.take() {
            // A routed copy a FIFO target dropped: the event being routed.
            Some(bus) => {
                let event = self.routed_event(&bus, f)?;
                self.same_payload(event, f, "a routed copy")?;
                Some(event)
            }
            None => Some(self.publication(step, f)?),
        };
        Ok(())
    }

    /// A `routed` step: a copy of the event just published to a bus, by one of its rules to one of the rule's targets.
    fn read_routed(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        let event = self.routed_event(&need(&mut f.bus, "bus")?, f)?;
        let bus = usize::from(self.trace.events[event.index()].topic);
        let name = need(&mut f.rule, "rule")?;
        let rules = &self.model.topics[bus].rules;
        let rule = rules.iter().position(|r| r.name == *name).ok_or_else(|| {
            let names = rules.iter().map(|r| r.name.as_str());
            format!("bus \"{}\" has no rule \"{}\"{}", self.model.topics[bus].name, &*name, did_you_mean(&name, names))
        })?;
        step.topic = Some(self.topic(f)?);
        if !rules[rule].targets.contains(&step.topic_idx()) {
            return Err(format!("rule \"{}\" does not target \"{}\"", &*name, self.topic_name(step)));
        }
        if self.is_log(step.topic_idx()) {
            self.append_position(step, f)?;
            self.logs[step.topic_idx().index()][step.partition_idx().index()].append(step.offset, event);
        }
        step.aux = rule as u32;
        step.event = Some(event);
        self.published[event.index()] = true;
        Ok(())
    }

    /// A `fetched` step: the aggregate state a handler read for the event its instance holds.
    fn read_fetched(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        self.consumer(step, f)?;
        let shown = Shown::take(f)?;
        let held = &self.delivered[step.instance_idx().index()];
        let Some(&newest) = held.back() else {
            return Err(format!("nothing was delivered to \"{}\" to fetch for", self.instance_name(step)));
        };
        // The latest delivery of the event the line shows (else, the newest, to
        // say how it differs).
        let event = held.iter().rev().copied().find(|&e| self.matches(&shown, e).is_ok()).unwrap_or(newest);
        self.matches(&shown, event).map_err(|e| format!("the event \"{}\" holds: {e}", self.instance_name(step)))?;
        step.event = Some(event);
        let name = need(&mut f.aggregate, "aggregate")?;
        let aggregates = &self.model.aggregates;
        let a = aggregates.iter().position(|a| a.name == *name).ok_or_else(|| {
            let names = aggregates.iter().map(|a| a.name.as_str());
            format!("unknown aggregate \"{}\"{}", &*name, did_you_mean(&name, names))
        })?;
        step.set_aggregate(crate::index::AggregateIdx::new(a));
        let read = need(&mut f.version, "version")?;
        step.set_versions(read, f.event_version.take());
        Ok(())
    }

    /// A delivery, or the end of a processing attempt.
    fn read_consumed(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        self.consumer(step, f)?;
        self.consumed(step, f)?;
        if step.kind == StepKind::Delivered {
            let held = &mut self.delivered[step.instance_idx().index()];
            if held.len() == FETCH_WINDOW {
                held.pop_front();
            }
            held.push_back(step.event_idx());
        }
        match step.kind {
            StepKind::Delivered if !self.is_log(step.topic_idx()) => step.aux = count(f.receive.take(), "receive")?,
            StepKind::Processed => {
                step.flag = u8::from(need(&mut f.effect, "effect")?);
                let id = self.trace.events[step.event_idx().index()].id;
                if step.flag != 0 && !self.shared.is_empty() && self.shared.contains_key(&id) {
                    self.effects.entry((step.group_idx(), id)).or_default().push((step.event_idx(), step.t_us));
                }
            }
            StepKind::Failed => {
                let reason = need(&mut f.reason, "reason")?;
                let reason = FailReason::from_name(&reason).ok_or_else(|| {
                    let names = FailReason::ALL.map(FailReason::name);
                    format!("unknown failure reason \"{}\"{}", &*reason, did_you_mean(&reason, names))
                })?;
                step.flag = reason as u8;
                step.aux = count(f.attempt.take(), "attempt")?;
            }
            StepKind::Published
            | StepKind::Delivered
            | StepKind::SkippedDuplicate
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
            | StepKind::Joined => {}
        }
        Ok(())
    }

    /// A `committed` step: a group's offset on a log partition, up to the log's end.
    fn read_committed(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        self.consumer(step, f)?;
        step.topic = Some(self.read_topic(f, step.group_idx())?);
        if !self.is_log(step.topic_idx()) {
            return Err(format!("\"{}\" is not a log: only logs have committed offsets", self.topic_name(step)));
        }
        step.partition = Some(self.partition(f, step.topic_idx())?);
        let offset = need(&mut f.offset, "offset")?;
        let end = self.log(step).end();
        if offset > end {
            return Err(format!("offset {offset} is past the end of {} (offset {end})", self.place(step)));
        }
        step.offset = offset;
        Ok(())
    }

    /// A `dead_lettered` step: a message moved to its queue's dead-letter topic.
    fn read_dead_lettered(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        step.group = Some(self.group(f)?);
        self.consumed_message(step, f)?;
        let name = need(&mut f.dead_letter, "dead_letter")?;
        let target = self.model.topic_named(&name).ok_or_else(|| format!("unknown topic \"{}\"", &*name))?;
        if self.model.topics[step.topic_idx().index()].dead_letter != Some(target) {
            return Err(format!("\"{}\" is not the dead-letter topic of \"{}\"", &*name, self.topic_name(step)));
        }
        step.set_dead_letter(target);
        Ok(())
    }

    fn is_log(&self, topic: TopicIdx) -> bool {
        self.model.topics[topic.index()].kind == TopicKind::Log
    }

    /// The partition and offset of an append to a log (a `published` or `routed` step): the
    /// offset must be the partition's end.
    fn append_position(&self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        step.partition = Some(self.partition(f, step.topic_idx())?);
        let end = self.log(step).end();
        let offset = need(&mut f.offset, "offset")?;
        // A real cluster's log may skip offsets (a transaction's marker, a compacted record).
        let fits = if self.loose { offset >= end || self.log(step).is_empty() } else { offset == end };
        if !fits {
            return Err(format!(
                "offset {offset}, but {} ends at offset {end} (an append goes to the end)",
                self.place(step)
            ));
        }
        step.offset = offset;
        Ok(())
    }

    fn is_bus(&self, topic: TopicIdx) -> bool {
        self.model.topics[topic.index()].kind == TopicKind::Bus
    }

    fn instance_name(&self, step: &Step) -> String {
        let (group, number) = self.trace.instances[step.instance_idx().index()];
        self.model.instance_name(group, number)
    }

    /// The event a routing step is about: the one just published to `bus`, as the line shows.
    fn routed_event(&self, bus: &str, f: &mut Fields<'_>) -> Result<EventIdx, String> {
        let shown = Shown::take(f)?;
        let event = self
            .routing
            .filter(|&e| self.model.topics[usize::from(self.trace.events[e.index()].topic)].name == bus)
            .ok_or_else(|| format!("no event was published to bus \"{bus}\" just before"))?;
        self.matches(&shown, event)?;
        Ok(event)
    }

    /// The whole event a line repeats (`what`: a retry, a routed copy dropped as a
    /// duplicate) is the stored one.
    fn same_payload(&self, event: EventIdx, f: &mut Fields<'_>, what: &str) -> Result<(), String> {
        let source = need(&mut f.source, "source")?;
        let schema_version = need(&mut f.schema_version, "schema_version")?;
        let headers = need(&mut f.headers, "headers")?;
        let data = need(&mut f.data, "data")?;
        let e = &self.trace.events[event.index()];
        let payloads = &self.trace.payloads;
        let stored_headers = if e.headers.is_none() { "{}" } else { payloads.text(e.headers) };
        if self.trace.strings.resolve(e.source) != &*source
            || e.schema_version != schema_version
            || stored_headers != headers.get()
            || payloads.text(e.data) != data.get()
        {
            return Err(format!("{what} of {} (the same id) that differs from it", e.id.render(&self.trace.strings)));
        }
        Ok(())
    }

    fn topic_name(&self, step: &Step) -> &str {
        &self.model.topics[step.topic_idx().index()].name
    }

    /// `orders[2]`: a step's partition, for messages.
    fn place(&self, step: &Step) -> String {
        format!("{}[{}]", self.topic_name(step), step.partition_idx())
    }

    /// The records of the step's log partition so far.
    fn log(&self, step: &Step) -> &PartitionLog {
        &self.logs[step.topic_idx().index()][step.partition_idx().index()]
    }

    fn topic(&self, f: &mut Fields<'_>) -> Result<TopicIdx, String> {
        let name = need(&mut f.topic, "topic")?;
        self.model.topic_named(&name).ok_or_else(|| {
            let names = self.model.topics.iter().map(|t| t.name.as_str());
            format!("unknown topic \"{}\"{}", &*name, did_you_mean(&name, names))
        })
    }

    /// A topic the group reads.
    fn read_topic(&self, f: &mut Fields<'_>, group: GroupIdx) -> Result<TopicIdx, String> {
        let topic = self.topic(f)?;
        let gm = &self.model.groups[group.index()];
        if !gm.topics.contains(&topic) {
            let name = &self.model.topics[topic.index()].name;
            return Err(format!("group \"{}\" does not read \"{name}\"", gm.name));
        }
        Ok(topic)
    }

    fn partition(&self, f: &mut Fields<'_>, topic: TopicIdx) -> Result<Partition, String> {
        let partition = need(&mut f.partition, "partition")?;
        let tm = &self.model.topics[topic.index()];
        if partition >= tm.partitions {
            return Err(format!("\"{}\" has no partition {partition} (it has {})", tm.name, tm.partitions));
        }
        Ok(Partition::new(partition as usize))
    }

    fn group(&self, f: &mut Fields<'_>) -> Result<GroupIdx, String> {
        let name = need(&mut f.group, "group")?;
        self.model.group_named(&name).ok_or_else(|| {
            let names = self.model.groups.iter().map(|g| g.name.as_str());
            format!("unknown group \"{}\"{}", &*name, did_you_mean(&name, names))
        })
    }

    /// The group and instance of a consumer's step.
    fn consumer(&self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        step.group = Some(self.group(f)?);
        step.instance = Some(self.instance(step.group_idx(), &need(&mut f.instance, "instance")?)?);
        Ok(())
    }

    /// An instance of `group` that has joined, by name.
    fn instance(&self, group: GroupIdx, name: &str) -> Result<InstanceIdx, String> {
        let unknown = || format!("unknown instance \"{name}\"");
        let (g, number) = self.model.instance_named(name).ok_or_else(unknown)?;
        if g != group {
            return Err(format!("instance \"{name}\" is not in group \"{}\"", self.model.groups[group.index()].name));
        }
        self.members[g.index()].get(number as usize - 1).copied().ok_or_else(unknown)
    }

    /// An instance added by `add_instance`: the group's next number.
    fn join(&mut self, group: GroupIdx, name: &str) -> Result<InstanceIdx, String> {
        let next = self.members[group.index()].len() as u32 + 1;
        if self.model.instance_named(name) != Some((group, next)) {
            let expected = self.model.instance_name(group, next);
            return Err(format!("\"{name}\" joins, but the next instance of this group is \"{expected}\""));
        }
        let index = self.trace.instances.len();
        let Some(instance) = InstanceIdx::try_new(index) else {
            return Err("more instances than a trace holds".to_owned());
        };
        self.members[group.index()].push(instance);
        self.trace.instances.push((group, next));
        self.delivered.push(std::collections::VecDeque::new());
        Ok(InstanceIdx::new(index))
    }

    /// The topic a consumer's step reads and the event it is about: on a log, the record at
    /// the step's partition and offset; on a queue, the message its id names.
    fn consumed(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        step.topic = Some(self.read_topic(f, step.group_idx())?);
        if !self.is_log(step.topic_idx()) {
            step.event = Some(self.message(step, f)?);
            return Ok(());
        }
        step.partition = Some(self.partition(f, step.topic_idx())?);
        step.offset = need(&mut f.offset, "offset")?;
        let log = self.log(step);
        let Some(record) = log.get(step.offset) else {
            return Err(format!(
                "offset {} of {} has not been published (it holds offsets {} to {})",
                step.offset,
                self.place(step),
                log.base(),
                log.end().saturating_sub(1)
            ));
        };
        let shown = Shown::take(f)?;
        self.matches(&shown, record)
            .map_err(|e| format!("the record at {} offset {}: {e}", self.place(step), step.offset))?;
        step.event = Some(record);
        Ok(())
    }

    /// The queue a step is about (one the group reads) and the message its id names.
    fn consumed_message(&mut self, step: &mut Step, f: &mut Fields<'_>) -> Result<(), String> {
        step.topic = Some(self.read_topic(f, step.group_idx())?);
        if self.is_log(step.topic_idx()) {
            return Err(format!("\"{}\" is a log, not a queue", self.topic_name(step)));
        }
        step.event = Some(self.message(step, f)?);
        Ok(())
    }

    /// The published event a queue step names by id. When several events have that id, the
    /// step is about one that shows its type, key and correlation, preferably one in the
    /// state the step expects (a delivery takes a message the group does not hold; a
    /// processing, ack or expiry one it holds) and published to the step's topic.
    fn message(&mut self, step: &Step, f: &mut Fields<'_>) -> Result<EventIdx, String> {
        let shown = Shown::take(f)?;
        let unknown = || format!("event \"{}\" has not been published", &*shown.id);
        let id = self.find_id(&shown.id).ok_or_else(unknown)?;
        let first = *self.by_id.get(&id).ok_or_else(unknown)?;
        let event = match self.shared.get(&id) {
            None => {
                self.matches(&shown, first)?;
                first
            }
            Some(candidates) => {
                let held = |e: EventIdx| self.held.get(&(step.group_idx(), e)).copied();
                let expected = |e: EventIdx| match step.kind {
                    StepKind::Delivered => held(e).is_none(),
                    StepKind::Requeued => matches!(held(e), Some(Held::By(_))),
                    StepKind::DeadLettered => held(e) != Some(Held::Done),
                    StepKind::Published
                    | StepKind::Processed
                    | StepKind::SkippedDuplicate
                    | StepKind::Failed
                    | StepKind::Committed
                    | StepKind::Acked
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
                    | StepKind::Joined => held(e) == Some(Held::By(step.instance_idx())),
                };
                let on_topic = |e: EventIdx| self.trace.events[e.index()].topic == step.topic_idx();
                let fits = |e: &EventIdx| self.published[e.index()] && self.matches(&shown, *e).is_ok();
                let found = (candidates.iter().find(|&&e| expected(e) && on_topic(e) && fits(&e)))
                    .or_else(|| candidates.iter().find(|&&e| expected(e) && fits(&e)))
                    .or_else(|| candidates.iter().find(|e| fits(e)));
                let Some(&event) = found else {
                    self.matches(&shown, first)?;
                    return Err(unknown());
                };
                match step.kind {
                    StepKind::Delivered => {
                        self.held.insert((step.group_idx(), event), Held::By(step.instance_idx()));
                    }
                    StepKind::Failed | StepKind::Requeued => {
                        self.held.remove(&(step.group_idx(), event));
                    }
                    StepKind::Acked | StepKind::DeadLettered => {
                        self.held.insert((step.group_idx(), event), Held::Done);
                    }
                    StepKind::Published
                    | StepKind::Processed
                    | StepKind::SkippedDuplicate
                    | StepKind::Committed
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
                    | StepKind::Joined => {}
                }
                event
            }
        };
        if !self.published[event.index()] {
            return Err(unknown());
        }
        Ok(event)
    }

    fn find_id(&self, text: &str) -> Option<EventId> {
        let emitters = &self.trace.emitters;
        EventId::find(text, &self.trace.strings, |sym| emitters.contains(&sym))
    }

    /// Whether the fields a step shows are those of `event`.
    fn matches(&self, shown: &Shown<'_>, event: EventIdx) -> Result<(), String> {
        let e = &self.trace.events[event.index()];
        let strings = &self.trace.strings;
        let differs = |what: &str, shown: &str, actual: &str| {
            Err(format!("{what} \"{shown}\", but event {} has {what} \"{actual}\"", e.id.render(strings)))
        };
        if self.find_id(&shown.id) != Some(e.id) {
            return Err(format!("event \"{}\", but it is {}", &*shown.id, e.id.render(strings)));
        }
        if strings.resolve(e.event_type) != &*shown.event_type {
            return differs("type", &shown.event_type, strings.resolve(e.event_type));
        }
        match (e.key, &shown.key) {
            (None, None) => {}
            (Some(key), Some(text)) if strings.resolve(key) == &**text => {}
            (key, text) => {
                let key = key.map_or("(none)", |k| strings.resolve(k));
                return differs("key", text.as_deref().unwrap_or("(none)"), key);
            }
        }
        if self.find_id(&shown.correlation) != Some(e.correlation) {
            return differs("correlation_id", &shown.correlation, &e.correlation.render(strings));
        }
        let cause = e.cause.map(|p| self.trace.events[p.index()].id);
        match (cause, &shown.causation) {
            (None, None) => {}
            (Some(cause), Some(text)) if self.find_id(text) == Some(cause) => {}
            (cause, text) => {
                let cause = cause.map_or_else(|| "(none)".to_owned(), |c| c.render(strings));
                return differs("causation_id", text.as_deref().unwrap_or("(none)"), &cause);
            }
        }
        Ok(())
    }

    /// The event of a `published` or `dropped_duplicate` step (which carry the whole
    /// event): a new one, or the one a producer's retry repeats.
    fn publication(&mut self, step: &Step, f: &mut Fields<'_>) -> Result<EventIdx, String> {
        let shown = Shown::take(f)?;
        if let Some(retried) = self.retried(step, &shown) {
            self.matches(&shown, retried)?;
            self.same_payload(retried, f, "a retry")?;
            return Ok(retried);
        }
        let source = need(&mut f.source, "source")?;
        let schema_version = need(&mut f.schema_version, "schema_version")?;
        let headers = need(&mut f.headers, "headers")?;
        let data = need(&mut f.data, "data")?;
        let index = self.trace.events.len();
        let Some(index) = EventIdx::try_new(index) else {
            return Err("more events than a trace holds".to_owned());
        };
        let cause = match &shown.causation {
            None => None,
            // Read off a real cluster, a cause may be an event the tap never saw.
            Some(cause) if self.loose => self.cause(cause, step, &source, &shown.event_type),
            Some(cause) => Some(
                self.cause(cause, step, &source, &shown.event_type)
                    .ok_or_else(|| format!("causation_id \"{}\" names no earlier event", &**cause))?,
            ),
        };
        let headers = self.headers(headers)?;
        let data = self.trace.payloads.push_raw(data);
        // Interned in the simulator's order: the key when it is drawn, then the id.
        let (strings, emitters) = (&mut self.trace.strings, &self.trace.emitters);
        let key = shown.key.as_deref().map(|k| strings.intern(k));
        let id = EventId::custom(&shown.id, strings, |sym| emitters.contains(&sym));
        let event = Event {
            id,
            event_type: strings.intern(&shown.event_type),
            key,
            source: strings.intern(&source),
            correlation: EventId::custom(&shown.correlation, strings, |sym| emitters.contains(&sym)),
            cause,
            schema_version,
            topic: step.topic_idx(),
            headers,
            data,
        };
        self.trace.events.push(event);
        self.published.push(false);
        match self.by_id.entry(id) {
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(index);
            }
            std::collections::hash_map::Entry::Occupied(first) => {
                self.shared.entry(id).or_insert_with(|| vec![*first.get()]).push(index);
            }
        }
        Ok(index)
    }

    /// The event a `causation_id` names: the first with that id, or, when several events
    /// have it, the latest the emitting consumer (`source`) processed with an effect whose
    /// handler emits this type to this topic with a delay that ends now.
    fn cause(&self, text: &str, publication: &Step, source: &str, event_type: &str) -> Option<EventIdx> {
        let id = self.find_id(text)?;
        let first = self.by_id.get(&id).copied()?;
        if !self.shared.contains_key(&id) {
            return Some(first);
        }
        let Some(group) = self.model.consumer_named(source) else { return Some(first) };
        let gm = &self.model.groups[group.index()];
        let event_type = self.trace.strings.get(event_type);
        let emits_this = |&&(trigger, at): &&(EventIdx, u64)| {
            let handler = gm.handler_for(self.trace.events[trigger.index()].event_type);
            handler.is_some_and(|h| {
                h.outcomes.iter().flat_map(|o| &o.emits).any(|emit| {
                    Some(emit.event_type) == event_type
                        && Some(emit.topic) == publication.topic
                        && at.saturating_add(emit.delay) == publication.t_us
                })
            })
        };
        let effects = self.effects.get(&(group, id));
        Some(effects.and_then(|list| list.iter().rev().find(emits_this)).map_or(first, |&(trigger, _)| trigger))
    }

    /// The event a publication repeats when it is a producer's retry: right after the first
    /// copy's step, at the same time, on the same topic and partition, with the same id, from
    /// a producer that retries onto that topic.
    fn retried(&self, step: &Step, shown: &Shown<'_>) -> Option<EventIdx> {
        // A publication to a bus is followed by its routing: the retry comes after that.
        let routing = |s: &&Step| {
            matches!(s.kind, StepKind::Routed | StepKind::Unrouted)
                || (s.kind == StepKind::DroppedDuplicate
                    && s.event.is_some_and(|e| Some(self.trace.events[e.index()].topic) != s.topic))
        };
        let previous = self.trace.steps.iter().rev().find(|s| !routing(s))?;
        if !matches!(previous.kind, StepKind::Published | StepKind::DroppedDuplicate)
            || (previous.t_us, previous.topic, previous.partition) != (step.t_us, step.topic, step.partition)
        {
            return None;
        }
        let e = &self.trace.event_of(previous);
        let retries = self
            .model
            .producers
            .iter()
            .any(|p| p.source == e.source && Some(p.topic) == step.topic && p.retry_duplicates > 0.0);
        (retries && self.find_id(&shown.id) == Some(e.id)).then_some(previous.event).flatten()
    }

    /// Headers: an object of strings (none is the empty span).
    fn headers(&mut self, raw: &RawValue) -> Result<Span, String> {
        if raw.get() == "{}" {
            return Ok(Span::NONE);
        }
        let map: IndexMap<String, String> =
            serde_json::from_str(raw.get()).map_err(|_| "\"headers\" is not an object of strings".to_owned())?;
        Ok(self.trace.payloads.push_headers(&map.into_iter().collect::<Vec<_>>()))
    }

    /// A group's partition assignment, in the simulator's order: per topic (in the group's
    /// order), the live instances in order (as the line lists them).
    fn assignment(
        &self,
        group: GroupIdx,
        listed: IndexMap<Text<'_>, IndexMap<Text<'_>, Vec<u32>>>,
    ) -> Result<Assignment, String> {
        let gm = &self.model.groups[group.index()];
        let mut assignment = Assignment::new();
        for (name, topics) in listed {
            let instance = self.instance(group, &name)?;
            if topics.is_empty() {
                return Err(format!("\"{}\" is assigned no topic", &*name));
            }
            for (topic_name, partitions) in topics {
                let topic = self
                    .model
                    .topic_named(&topic_name)
                    .filter(|&t| gm.topics.contains(&t) && self.is_log(t))
                    .ok_or_else(|| format!("group \"{}\" reads no log \"{}\"", gm.name, &*topic_name))?;
                let count = self.model.topics[topic.index()].partitions;
                let partitions = partitions
                    .into_iter()
                    .map(|p| {
                        (p < count)
                            .then(|| Partition::new(p as usize))
                            .ok_or_else(|| format!("\"{}\" has no partition {p}", &*topic_name))
                    })
                    .collect::<Result<Vec<Partition>, String>>()?;
                assignment.push((instance, topic, partitions));
            }
        }
        // Stable: instances keep the line's order within each topic.
        assignment.sort_by_key(|&(_, topic, _)| gm.topics.iter().position(|&t| t == topic));
        Ok(assignment)
    }

    /// The index of the note a `note` step shows: one not read yet with this time and text.
    fn note(&mut self, t_us: u64, text: &str) -> Result<u32, String> {
        let notes = &self.model.scenario.notes;
        let index = (0..notes.len())
            .find(|&i| !self.notes_read[i] && notes[i].at.as_micros() == t_us && notes[i].text == text)
            .ok_or_else(|| {
                let start: String = text.chars().take(40).collect();
                format!("no note of the scenario at {} says \"{start}...\"", Duration(t_us))
            })?;
        self.notes_read[index] = true;
        Ok(index as u32)
    }
}

/// A receive count or attempt number: 1 or more.
fn count(value: Option<u32>, name: &str) -> Result<u32, String> {
    match value {
        None => Err(format!("missing \"{name}\"")),
        Some(n) if n == 0 || n == u32::MAX => Err(format!("\"{name}\" {n} is out of range")),
        Some(n) => Ok(n),
    }
}
