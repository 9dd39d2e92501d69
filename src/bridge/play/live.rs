//! The TUI on a run on a real cluster as it happens: a [`Feed`] that takes the lines the
//! run records, holds each back a moment (a record's delivery report may reach the
//! producer after a consumer fetched it), puts them in order as the finished trace has
//! them (`record::order`) and reads them into a trace as they come.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;

use super::PlayError;
use super::record::{self, Line, Recorder};
use crate::model::Model;
use crate::timeline::Feed;
use crate::trace::Trace;
use crate::trace::jsonl::End;
use crate::trace::read::Incremental;

/// How long (wall time) a line is held back before it is placed: more than a delivery
/// report takes on a working cluster.
const HOLD: Duration = Duration::from_millis(500);

/// A run on a real cluster, fed to the TUI as it happens.
pub struct LiveFeed {
    recorder: Arc<Recorder>,
    reader: Incremental,
    /// Lines taken from the recorder and not placed yet.
    pending: Vec<Line>,
    /// How many of the recorder's lines were taken.
    taken: usize,
    /// Step lines placed, and the time of the last.
    steps: u64,
    last_t: u64,
    /// The trace file so far: the header and the step lines.
    text: String,
    run: Option<JoinHandle<Result<u64, PlayError>>>,
    /// How the run ended: records not published, or why it stopped.
    ended: Option<Result<u64, String>>,
    failed: Option<String>,
}

impl LiveFeed {
    pub(super) fn new(header: &[u8], recorder: Arc<Recorder>, run: JoinHandle<Result<u64, PlayError>>) -> Self {
        let (reader, failed) = match Incremental::new(header) {
            Ok(reader) => (reader, None),
            // The header is ours: a placeholder reader that only says so.
            Err(e) => (placeholder(), Some(format!("internal: the trace header: {e}"))),
        };
        LiveFeed {
            recorder,
            reader,
            pending: Vec::new(),
            taken: 0,
            steps: 0,
            last_t: 0,
            text: format!("{}\n", String::from_utf8_lossy(header)),
            run: Some(run),
            ended: None,
            failed,
        }
    }

    /// Places the pending lines older than the hold (all of them once the run ended).
    fn place(&mut self) {
        let horizon = if self.ended.is_some() {
            u64::MAX
        } else {
            self.recorder.clock.now_us().saturating_sub(self.recorder.clock.virtual_us(HOLD))
        };
        record::order(&mut self.pending);
        let ready = self.pending.iter().take_while(|l| l.t_us <= horizon).count();
        let duration = self.reader.model().duration;
        for mut line in self.pending.drain(..ready) {
            if line.t_us > duration || self.failed.is_some() {
                continue;
            }
            line.t_us = line.t_us.max(self.last_t);
            self.last_t = line.t_us;
            let bytes = record::step_line(self.steps + 1, line);
            match self.reader.push(&bytes) {
                Ok(()) => {
                    self.steps += 1;
                    self.text.push_str(&String::from_utf8_lossy(&bytes));
                    self.text.push('\n');
                }
                Err(e) => self.failed = Some(format!("the recorded run is not a valid trace: {e}")),
            }
        }
    }

    /// The run so far as a trace file, header to `end` line: the lines as placed.
    pub fn file_text(&self) -> Option<String> {
        let complete = self.ended.as_ref().is_some_and(Result::is_ok) && self.pending.is_empty();
        let duration = self.reader.model().duration;
        let end = End { steps: self.steps, t_us: if complete { duration } else { self.last_t }, complete };
        Some(format!("{}{}\n", self.text, json!({"end": end})))
    }
}

/// A reader for a header that could not be read (never expected: the header is ours).
fn placeholder() -> Incremental {
    let definition = json!({"name": "run", "duration": "1s", "topics": [{"name": "t", "kind": "log"}]});
    let header =
        json!({"eventlab_trace": 1, "scenario": "run", "seed": 0, "source": "broker", "definition": definition});
    Incremental::new(header.to_string().as_bytes()).expect("a valid placeholder header")
}

impl Feed for LiveFeed {
    fn model(&self) -> &Arc<Model> {
        self.reader.model()
    }

    fn trace(&self) -> &Trace {
        self.reader.trace()
    }

    fn pull(&mut self) -> bool {
        if self.run.as_ref().is_some_and(JoinHandle::is_finished)
            && let Some(run) = self.run.take()
        {
            self.ended = Some(match run.join() {
                Ok(Ok(unpublished)) => Ok(unpublished),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("the run stopped unexpectedly".to_owned()),
            });
        }
        let new = self.recorder.since(self.taken);
        self.taken += new.len();
        self.pending.extend(new);
        self.place();
        false
    }

    fn finished(&self) -> bool {
        (self.ended.is_some() && self.pending.is_empty()) || self.failed.is_some()
    }

    fn status(&self) -> Option<String> {
        Some(match (&self.failed, &self.ended) {
            (Some(e), _) | (None, Some(Err(e))) => format!("stopped: {e}"),
            (None, Some(Ok(0))) => format!("played to the end · {} steps", self.steps),
            (None, Some(Ok(n))) => {
                format!("played to the end · {} steps · {n} records not published in time", self.steps)
            }
            (None, None) => format!("playing live · {} steps", self.steps),
        })
    }

    /// The time placed so far: the clock less the hold, up to the duration once the run
    /// ended.
    fn now(&self) -> u64 {
        let duration = self.reader.model().duration;
        if self.ended.is_some() && self.pending.is_empty() {
            return duration;
        }
        let held = self.recorder.clock.now_us().saturating_sub(self.recorder.clock.virtual_us(HOLD));
        held.max(self.last_t).min(duration)
    }
}
