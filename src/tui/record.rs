//! `w`: the trace computed so far written to a file off the UI thread, with a progress line.
//! A run of millions of steps takes seconds to write as JSON Lines; the screen keeps
//! answering meanwhile. The trace is copied as it is when `w` is pressed (the run may go on
//! computing) and a thread writes the copy, atomically (see [`crate::trace::file`]),
//! counting the steps written; the app reads the count for its footer and takes the
//! outcome once the thread is done. Dropping a recording (quitting, which asks first)
//! stops the writing within a step and leaves no file, rather than hold the screen.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;

use super::format::thousands;
use crate::model::Model;
use crate::trace::Trace;
use crate::trace::file::Target;
use crate::trace::jsonl::Progress;

/// A trace being written.
pub struct Recording {
    path: PathBuf,
    steps: u64,
    progress: Arc<Progress>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Recording {
    /// Starts writing `trace` (a copy of the run's as it is now) to `target`.
    pub fn start(target: Target, model: Arc<Model>, trace: Trace, complete: bool) -> Self {
        Self::start_with(target, model, trace, complete, Arc::new(Progress::default()))
    }

    fn start_with(target: Target, model: Arc<Model>, trace: Trace, complete: bool, progress: Arc<Progress>) -> Self {
        let steps = trace.steps.len() as u64;
        let path = target.path().to_owned();
        let counter = Arc::clone(&progress);
        let thread = std::thread::Builder::new()
            .name("eventlab-record".to_owned())
            .spawn(move || target.write_counted(&model, &trace, complete, &counter));
        // No thread to be had: the recording is over at once, and `finish` says so.
        let thread = thread.ok();
        Recording { path, steps, progress, thread }
    }

    /// The steps to write.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The steps written so far.
    pub fn written(&self) -> u64 {
        self.progress.written.load(Ordering::Relaxed)
    }

    /// Whether the writing is over (well or not): [`Recording::finish`] then returns at once.
    pub fn is_done(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// The progress line: `writing the trace: 48% (1 200 000 of 2 500 000 steps) to PATH`.
    pub fn progress(&self) -> String {
        progress_line(self.written(), self.steps, &self.path.display().to_string())
    }

    /// Waits for the writing to end and says how it went, in one line.
    pub fn finish(mut self) -> String {
        let outcome = match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("the writing thread panicked")),
            None => Err(std::io::Error::other("no thread to write it")),
        };
        match outcome {
            Ok(()) => format!("trace of {} steps written to {}", self.steps, self.path.display()),
            Err(e) => format!("could not write {}: {e}", self.path.display()),
        }
    }
}

#[cfg(test)]
impl Recording {
    /// A recording whose thread writes nothing and ends when the sender is dropped or sends:
    /// a trace "still being written" for as long as a test needs.
    pub(crate) fn held(steps: u64) -> (Self, std::sync::mpsc::Sender<()>) {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _ = rx.recv();
            Ok(())
        });
        let progress = Arc::new(Progress::default());
        (Recording { path: PathBuf::from("held.jsonl"), steps, progress, thread: Some(thread) }, tx)
    }
}

impl Drop for Recording {
    /// Quitting while a trace is written stops it: the file is whole or not there.
    fn drop(&mut self) {
        self.progress.cancel.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `writing the trace: 48% (1 200 000 of 2 500 000 steps) to PATH`.
pub fn progress_line(written: u64, steps: u64, path: &str) -> String {
    let percent = (written.min(steps) * 100).checked_div(steps).unwrap_or(100);
    format!(
        "writing the trace: {percent}% ({} of {} steps) to {path}",
        thousands(written.min(steps) as usize),
        thousands(steps as usize)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_counts_up_to_its_steps_and_writes_what_a_direct_write_does() {
        use crate::scenario::load::{Limits, load_str};
        let source = crate::lessons::find("crash-duplicates").expect("a lesson").source;
        let scenario = load_str(source, "crash-duplicates", &Limits::default()).expect("valid");
        let model = Arc::new(Model::compile(Arc::new(scenario), 0).expect("compiles"));
        let mut sim = crate::sim::Simulator::new(Arc::clone(&model), 10_000_000);
        sim.run_until(u64::MAX).expect("runs");
        let trace = sim.trace().clone();
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("t.jsonl");
        let recording =
            Recording::start(Target::resolve(&path).expect("a target"), Arc::clone(&model), trace.clone(), true);
        assert_eq!(recording.steps(), trace.steps.len() as u64);
        // Polled as the UI's tick does: the count only grows, never past the whole.
        let mut seen = vec![recording.written()];
        while !recording.is_done() {
            seen.push(recording.written());
            std::thread::yield_now();
        }
        seen.push(recording.written());
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert_eq!(*seen.last().expect("a count"), recording.steps());
        assert!(recording.progress().contains(" 100% "));
        assert_eq!(recording.finish(), format!("trace of {} steps written to {}", trace.steps.len(), path.display()));
        let mut direct = Vec::new();
        crate::trace::jsonl::write(&mut direct, &model, &trace, true).expect("writes");
        assert_eq!(std::fs::read(&path).expect("written"), direct);
        let files: Vec<_> = std::fs::read_dir(dir.path()).expect("lists").collect();
        assert_eq!(files.len(), 1, "no temporary file left");
    }

    #[test]
    fn a_recording_dropped_midway_stops_and_leaves_no_file() {
        use crate::scenario::load::{Limits, load_str};
        let source = crate::lessons::find("consumer-lag").expect("a lesson").source;
        let scenario = load_str(source, "consumer-lag", &Limits::default()).expect("valid");
        let model = Arc::new(Model::compile(Arc::new(scenario), 0).expect("compiles"));
        let mut sim = crate::sim::Simulator::new(Arc::clone(&model), 10_000_000);
        sim.run_until(u64::MAX).expect("runs");
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("t.jsonl");
        let target = Target::resolve(&path).expect("a target");
        // Cancelled before the thread starts: it stops at its first step, whenever it runs.
        let progress = Arc::new(Progress::default());
        progress.cancel.store(true, Ordering::Relaxed);
        let recording = Recording::start_with(target, model, sim.trace().clone(), true, progress);
        let message = recording.finish();
        assert!(message.starts_with("could not write") && message.ends_with("stopped"), "{message}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("lists").count(), 0, "no file, no temporary file");
    }

    #[test]
    fn the_progress_line_counts_steps_and_never_passes_the_whole() {
        assert_eq!(
            progress_line(1_200_000, 2_500_000, "t.jsonl"),
            "writing the trace: 48% (1 200 000 of 2 500 000 steps) to t.jsonl"
        );
        assert!(progress_line(0, 10, "t").contains(" 0% (0 of 10 steps)"));
        assert!(progress_line(12, 10, "t").contains(" 100% (10 of 10 steps)"));
        assert!(progress_line(0, 0, "t").contains(" 100% "));
    }
}
