//! Time travel: a run's computed steps, a cursor anywhere among them, and the analysis as
//! of the cursor.
//!
//! The trace of every computed step is kept, so going back never re-runs the simulator:
//! what has to be rebuilt is the *derived* state the views show (metrics, lag, findings,
//! instances, notes), which is a pure fold of the trace. [`Timeline`] keeps a checkpoint
//! of that fold every [`Timeline::interval`] steps; seeking clones the nearest checkpoint
//! at or before the target and re-observes the steps in between, so a seek costs one
//! clone and at most one interval of steps, whatever the run's length. Stepping forward
//! from the cursor observes one more step. When the cursor is at the last computed step,
//! the views read the live analysis itself.
//!
//! A timeline is fed either by a [`Simulator`] (steps are computed on demand, past the
//! last computed one) or by a recorded trace (`eventlab replay`), which has nothing past
//! its end.

use std::sync::Arc;

use crate::analysis::{Analysis, Finding};
use crate::sim::{Model, SimError, Simulator};
use crate::trace::{Step, StepKind, Trace};

/// Checkpoint spacing: small enough that a seek re-observes little (the analysis reads
/// tens of millions of steps a second), large enough that a 3-million-step run keeps a
/// few dozen checkpoints.
pub const DEFAULT_INTERVAL: usize = 1 << 16;

/// The most checkpoints kept. A checkpoint's size grows with the run (the analysis keeps
/// a few bits to bytes per event), so a fixed spacing would cost memory quadratic in the
/// run's length; past this many, the spacing doubles and every other checkpoint goes.
/// Seeks then re-observe up to twice as many steps, still far under the 50 ms target
/// on a few million steps.
pub const MAX_CHECKPOINTS: usize = 64;

/// Where steps come from.
enum Source {
    Live(Box<Simulator>),
    Recorded { model: Arc<Model>, trace: Box<Trace> },
    Fed(Box<dyn Feed>),
}

impl Source {
    fn model(&self) -> &Arc<Model> {
        match self {
            Source::Live(sim) => sim.model(),
            Source::Recorded { model, .. } => model,
            Source::Fed(feed) => feed.model(),
        }
    }

    fn trace(&self) -> &Trace {
        match self {
            Source::Live(sim) => sim.trace(),
            Source::Recorded { trace, .. } => trace,
            Source::Fed(feed) => feed.trace(),
        }
    }
}

/// Steps that arrive from outside, as they happen (`eventlab tap`: a real cluster read
/// live). Its model may grow (a new topic or group seen): the analysis is then derived
/// again from the steps, which only ever name what the model had when they came.
pub trait Feed {
    fn model(&self) -> &Arc<Model>;
    fn trace(&self) -> &Trace;
    /// Takes in what arrived since the last call. Returns whether the model changed.
    fn pull(&mut self) -> bool;
    /// Whether nothing more will arrive.
    fn finished(&self) -> bool;
    /// One line on where the feed stands (connected or not, ...), for the screen.
    fn status(&self) -> Option<String>;
    /// Its clock (µs): time passes while nothing arrives.
    fn now(&self) -> u64;
}

/// The analysis as of one step.
#[derive(Clone)]
struct Checkpoint {
    step: usize,
    analysis: Analysis,
}

/// What a marker on the timeline stands for, most important first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    Finding,
    Fault,
    Note,
}

/// A step worth jumping to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    /// The step count once the step is done (1-based step number).
    pub step: usize,
    pub kind: MarkerKind,
    /// Which one: the index among the findings, the scenario's faults or its notes.
    pub index: usize,
}

/// A run's computed steps and a cursor among them.
pub struct Timeline {
    source: Source,
    /// The analysis of every computed step.
    frontier: Analysis,
    /// The analysis as of the cursor, when the cursor is before the last computed step.
    shown: Option<Analysis>,
    cursor: usize,
    interval: usize,
    /// Checkpoints at step 0, `interval`, `2·interval`, ... up to the computed steps.
    checkpoints: Vec<Checkpoint>,
    /// Notes among the computed steps, in step order (findings come from the analysis,
    /// faults from the scenario).
    notes: Vec<Marker>,
    /// The standing findings of the computed steps (work committed but never completed,
    /// failed sagas not compensated), in step order: marked like the findings.
    standing: Vec<Finding>,
    /// What the standing findings were computed for: lost, of them in hand, uncompensated.
    standing_key: Option<(u64, u64, u64)>,
}

impl Timeline {
    /// A live run at step 0.
    pub fn live(sim: Simulator) -> Self {
        let frontier = Analysis::new(Arc::clone(sim.model()));
        Self::with(Source::Live(Box::new(sim)), frontier, DEFAULT_INTERVAL)
    }

    /// A recorded trace, with the cursor at its start.
    pub fn recorded(model: Arc<Model>, trace: Trace) -> Self {
        let frontier = Analysis::new(Arc::clone(&model));
        let mut timeline = Self::with(Source::Recorded { model, trace: Box::new(trace) }, frontier, DEFAULT_INTERVAL);
        timeline.catch_up();
        timeline.seek(0);
        timeline
    }

    /// A run fed from outside as it happens (see [`Feed`]), with what has arrived so far.
    pub fn fed(feed: Box<dyn Feed>) -> Self {
        let frontier = Analysis::new(Arc::clone(feed.model()));
        let mut timeline = Self::with(Source::Fed(feed), frontier, DEFAULT_INTERVAL);
        timeline.pull();
        timeline.catch_up();
        timeline.cursor = timeline.computed();
        timeline
    }

    /// Takes in what the feed brought; a new model derives the analysis again.
    fn pull(&mut self) {
        let Source::Fed(feed) = &mut self.source else { return };
        if feed.pull() {
            let cursor = self.cursor;
            self.frontier = Analysis::new(Arc::clone(feed.model()));
            self.checkpoints = vec![Checkpoint { step: 0, analysis: self.frontier.clone() }];
            self.notes.clear();
            self.standing.clear();
            self.standing_key = None;
            self.shown = None;
            self.catch_up();
            self.seek(cursor);
        }
    }

    /// Takes in what a fed run brought, the cursor where it was. Returns whether steps
    /// arrived.
    pub fn poll_feed(&mut self) -> bool {
        if !matches!(self.source, Source::Fed(_)) {
            return false;
        }
        let before = self.computed();
        let cursor = self.cursor;
        self.pull();
        self.catch_up();
        if self.computed() != before && self.cursor == cursor {
            self.seek(cursor);
        }
        self.computed() != before
    }

    /// Where a fed run stands (connected or not, ...), if it is one.
    pub fn feed_status(&self) -> Option<String> {
        match &self.source {
            Source::Fed(feed) => feed.status(),
            Source::Live(_) | Source::Recorded { .. } => None,
        }
    }

    fn with(source: Source, frontier: Analysis, interval: usize) -> Self {
        let checkpoints = vec![Checkpoint { step: 0, analysis: frontier.clone() }];
        Timeline {
            source,
            frontier,
            shown: None,
            cursor: 0,
            interval,
            checkpoints,
            notes: Vec::new(),
            standing: Vec::new(),
            standing_key: None,
        }
    }

    /// The same timeline with checkpoints every `interval` steps (tests use small ones).
    #[must_use]
    pub fn with_interval(mut self, interval: usize) -> Self {
        assert!(self.computed() == 0 || matches!(self.source, Source::Recorded { .. }));
        self.interval = interval.max(1);
        self.checkpoints.truncate(1);
        if matches!(self.source, Source::Recorded { .. }) {
            let cursor = self.cursor;
            self.frontier = self.checkpoints[0].analysis.clone();
            self.notes.clear();
            self.catch_up();
            self.seek(cursor);
        }
        self
    }

    pub fn model(&self) -> &Arc<Model> {
        self.source.model()
    }

    /// The whole computed trace (views read its tables; the steps they show end at the
    /// cursor: see [`Timeline::steps`]).
    pub fn trace(&self) -> &Trace {
        self.source.trace()
    }

    /// The steps up to the cursor.
    pub fn steps(&self) -> &[Step] {
        &self.trace().steps[..self.cursor]
    }

    /// The analysis as of the cursor.
    pub fn analysis(&self) -> &Analysis {
        self.shown.as_ref().unwrap_or(&self.frontier)
    }

    /// The analysis of every computed step.
    pub fn frontier(&self) -> &Analysis {
        &self.frontier
    }

    /// The step shown: the number of steps done (0 before the first).
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The steps computed so far.
    pub fn computed(&self) -> usize {
        self.trace().steps.len()
    }

    pub fn interval(&self) -> usize {
        self.interval
    }

    pub fn is_recorded(&self) -> bool {
        matches!(self.source, Source::Recorded { .. })
    }

    /// Virtual time at the cursor: the time of its step (the simulator's clock when the
    /// cursor is at the last computed step of a live run).
    pub fn now(&self) -> u64 {
        match (&self.source, self.at_frontier()) {
            // While the run goes on, the clock (quiet time passes too); at its end, the
            // last step's time, as when stepping back and forth to it.
            (Source::Live(sim), true) if !sim.is_finished() => sim.now(),
            (Source::Fed(feed), true) if !feed.finished() => feed.now(),
            _ => self.cursor.checked_sub(1).map_or(0, |i| self.trace().steps[i].t_us),
        }
    }

    /// The run's model, its computed trace and their analysis, the timeline given up (a
    /// finished run kept to compare with).
    pub fn into_run(self) -> (Arc<Model>, Trace, Analysis) {
        let model = Arc::clone(self.model());
        let trace = match self.source {
            Source::Live(sim) => sim.into_trace(),
            Source::Recorded { trace, .. } => *trace,
            Source::Fed(feed) => feed.trace().clone(),
        };
        (model, trace, self.frontier)
    }

    /// Whether the cursor is at the last computed step.
    pub fn at_frontier(&self) -> bool {
        self.cursor == self.computed()
    }

    /// Whether nothing is left to compute (the scenario's end, or a recorded trace).
    pub fn source_finished(&self) -> bool {
        match &self.source {
            Source::Live(sim) => sim.is_finished(),
            Source::Recorded { .. } => true,
            Source::Fed(feed) => feed.finished(),
        }
    }

    /// Whether the cursor is at the end of the run.
    pub fn finished(&self) -> bool {
        self.at_frontier() && self.source_finished()
    }

    /// The virtual time the timeline spans (µs, at least 1): the run's end once the cursor
    /// is there (a run may end, its work done, well before the scenario's `duration`), else
    /// the scenario's duration. Before its end, where the run ends is the future: a run
    /// computed further and sought back spans the same.
    pub fn span(&self) -> u64 {
        let end = if self.finished() { self.now() } else { self.model().duration };
        end.max(1)
    }

    /// The number of checkpoints kept.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Heap bytes the checkpoints hold, about.
    pub fn checkpoint_bytes(&self) -> usize {
        self.checkpoints.iter().map(|c| c.analysis.heap_bytes()).sum()
    }

    /// Moves the cursor to step `step` (clamped to the computed steps).
    pub fn seek(&mut self, step: usize) {
        let step = step.min(self.computed());
        if step == self.computed() {
            self.shown = None;
            self.cursor = step;
            return;
        }
        let from = &self.checkpoints[self.checkpoint_before(step)];
        // Going on from the analysis shown is no longer than from the checkpoint.
        let reusable = self.shown.as_ref().is_some_and(|a| a.observed() <= step && from.step <= a.observed());
        if !reusable {
            match &mut self.shown {
                Some(shown) => shown.clone_from(&from.analysis),
                None => self.shown = Some(from.analysis.clone()),
            }
        }
        let trace = self.source.trace();
        self.shown.as_mut().expect("set above").observe_until(trace, step);
        self.cursor = step;
    }

    /// The index of the last checkpoint at or before `step`.
    fn checkpoint_before(&self, step: usize) -> usize {
        self.checkpoints.partition_point(|c| c.step <= step).saturating_sub(1)
    }

    /// One step back (nothing at step 0).
    pub fn step_back(&mut self) {
        self.seek(self.cursor.saturating_sub(1));
    }

    /// Exactly one step forward: the next computed step, or the simulator's next one (when
    /// the simulator appends several steps at once, the cursor stops at the first of them).
    /// Returns whether the cursor moved.
    pub fn step_forward(&mut self) -> Result<bool, SimError> {
        if !self.at_frontier() {
            self.seek(self.cursor + 1);
            return Ok(true);
        }
        let before = self.computed();
        if let Source::Live(sim) = &mut self.source {
            sim.step()?;
        }
        self.pull();
        self.catch_up();
        self.cursor = self.computed();
        self.shown = None;
        if self.computed() > before + 1 {
            self.seek(before + 1);
        }
        Ok(self.cursor > before)
    }

    /// Moves the cursor forward to the last step due at or before `target` µs, computing
    /// steps as needed, at most `budget` steps. Returns whether the cursor moved.
    pub fn advance_to(&mut self, target: u64, budget: usize) -> Result<bool, SimError> {
        let start = self.cursor;
        if !self.at_frontier() {
            let steps = &self.trace().steps;
            let end = self.cursor.saturating_add(budget).min(steps.len());
            let due = self.cursor + steps[self.cursor..end].partition_point(|s| s.t_us <= target);
            self.seek(due);
            if !self.at_frontier() {
                return Ok(self.cursor > start);
            }
        }
        let left = budget.saturating_sub(self.cursor - start);
        let result = self.compute(target, left);
        self.cursor = self.computed();
        self.shown = None;
        result.map(|()| self.cursor > start)
    }

    /// Computes steps due up to `target` µs, at most about `budget` of them, keeping the
    /// frontier analysis and the checkpoints current.
    fn compute(&mut self, target: u64, budget: usize) -> Result<(), SimError> {
        self.pull();
        let Source::Live(sim) = &mut self.source else {
            self.catch_up();
            return Ok(());
        };
        let start = sim.trace().steps.len();
        let mut result = Ok(());
        while sim.trace().steps.len() - start < budget {
            match sim.step_until(target) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.catch_up();
        result
    }

    /// Runs the cursor to the end of the scenario (a live run computes the rest).
    pub fn run_to_end(&mut self) -> Result<(), SimError> {
        self.advance_to(u64::MAX, usize::MAX).map(|_| ())
    }

    /// Has the frontier analysis read every computed step, taking checkpoints and
    /// collecting markers on the way.
    fn catch_up(&mut self) {
        let trace = self.source.trace();
        let end = trace.steps.len();
        let first = self.frontier.observed();
        for (i, step) in trace.steps[first..end].iter().enumerate() {
            if step.kind == StepKind::Note {
                self.notes.push(Marker { step: first + i + 1, kind: MarkerKind::Note, index: step.table_index() });
            }
        }
        while self.frontier.observed() < end {
            let next = (self.frontier.observed() / self.interval + 1) * self.interval;
            self.frontier.observe_until(trace, next.min(end));
            if self.frontier.observed() == next {
                self.checkpoints.push(Checkpoint { step: next, analysis: self.frontier.clone() });
                if self.checkpoints.len() > MAX_CHECKPOINTS {
                    self.interval *= 2;
                    let interval = self.interval;
                    self.checkpoints.retain(|c| c.step % interval == 0);
                }
            }
        }
        self.update_standing();
    }

    /// The frontier's standing findings, kept in step order (at most
    /// [`crate::analysis::KEPT_FINDINGS`]), computed again only when what they count changed.
    fn update_standing(&mut self) {
        use crate::analysis::FindingClass;
        let finished = self.source_finished();
        let a = &self.frontier;
        let in_hand = if finished { 0 } else { a.lost_in_hand(None) };
        let key = (a.finding_count(FindingClass::Lost), in_hand, a.finding_count(FindingClass::UncompensatedSaga));
        if self.standing_key == Some(key) {
            return;
        }
        self.standing_key = Some(key);
        self.standing = a.standing(finished);
        self.standing.sort_by_key(|f| (f.step, f.group, f.event));
        self.standing.truncate(crate::analysis::KEPT_FINDINGS);
    }

    /// Lesson notes shown at the cursor, oldest first: (time, index in the scenario's
    /// `notes`).
    ///
    /// A note is due first in its microsecond (the format's order), but it tells what happens
    /// then: it shows once that microsecond is over, never beside only part of what it tells.
    /// Whether it is over is known without looking past the cursor: the clock has passed it
    /// (the step shown is later, or a live run's clock moved on), or the run has ended here.
    /// Notes at 0 s show from step 0 on: a lesson opens with its first note.
    pub fn notes_shown(&self) -> Vec<(u64, u32)> {
        if self.cursor == 0 {
            let notes = &self.model().scenario.notes;
            return (0..notes.len()).filter(|&i| notes[i].at.as_micros() == 0).map(|i| (0, i as u32)).collect();
        }
        let (now, ended) = (self.now(), self.finished());
        let notes = self.analysis().notes();
        notes.iter().copied().filter(|&(t, _)| t == 0 || t < now || ended).collect()
    }

    /// The step from which a note (its marker) shows: the first computed step after its
    /// microsecond, or the run's last step when nothing follows it and the run is over
    /// (`None`: not computed yet). See [`Timeline::notes_shown`].
    fn note_shown_at(&self, note: &Marker) -> Option<usize> {
        let steps = &self.trace().steps;
        let t = steps[note.step - 1].t_us;
        let after = note.step + steps[note.step..].partition_point(|s| s.t_us <= t);
        if after < steps.len() { Some(after + 1) } else { self.source_finished().then_some(steps.len()) }
    }

    /// The step of each of the scenario's faults among the computed steps (`None`: not
    /// computed yet). A fault that writes steps (a crash, a pause, an added instance) is
    /// its own first step: the notes of its microsecond and the faults before it in the
    /// file come first, and several faults at one time each find theirs. A fault that
    /// writes none (a window of duplicates, delays or slowness, an upgrade, a crash of an
    /// instance already down) is the first step from which it is in effect, after the notes
    /// and faults of its microsecond; with no step after it, the run's last (once it ended).
    pub fn fault_steps(&self) -> Vec<Option<usize>> {
        self.fault_marks().into_iter().map(|m| m.map(|(step, _)| step)).collect()
    }

    /// [`Timeline::fault_steps`], each with whether the step is the fault's own (`false`:
    /// the fault wrote none, the step is the first it is in effect at).
    pub fn fault_marks(&self) -> Vec<Option<(usize, bool)>> {
        use crate::sim::model::FaultAction;
        let steps = &self.trace().steps;
        let instances = &self.trace().instances;
        let faults = &self.model().faults;
        let mut claimed: Vec<usize> = Vec::new();
        let mut out = Vec::with_capacity(faults.len());
        for f in faults {
            let first = steps.partition_point(|s| s.t_us < f.at);
            let end = first + steps[first..].partition_point(|s| s.t_us == f.at);
            let target = match f.action {
                FaultAction::Crash { group, instance, .. } => Some((StepKind::Crashed, group, instance)),
                FaultAction::Pause { group, instance, .. } => Some((StepKind::Paused, group, instance)),
                FaultAction::AddInstance { group } => Some((StepKind::Joined, group, None)),
                FaultAction::Slow { .. }
                | FaultAction::Duplicate { .. }
                | FaultAction::Delay { .. }
                | FaultAction::Upgrade { .. } => None,
            };
            let own = target.and_then(|(kind, group, instance)| {
                let mine = |i: usize| {
                    let s = &steps[i];
                    s.kind == kind
                        && s.group == Some(group)
                        && instance
                            .is_none_or(|n| s.instance.and_then(|i| instances.get(i.index())).is_some_and(|x| x.1 == n))
                };
                let own = (first..end).find(|&i| !claimed.contains(&i) && mine(i))?;
                // A fault on a whole consumer writes a step per instance: all of them are its.
                claimed.extend((own..end).take_while(|&i| mine(i)));
                Some(own + 1)
            });
            let step = own.map(|step| (step, true)).or_else(|| {
                // In effect from the first step after the notes and the faults of its time.
                let due_first =
                    |i: usize| steps[i].t_us == f.at && (steps[i].kind == StepKind::Note || claimed.contains(&i));
                let after = (first..steps.len()).find(|&i| !due_first(i));
                match after {
                    Some(i) => Some((i + 1, false)),
                    None => (self.source_finished() && !steps.is_empty()).then_some((steps.len(), false)),
                }
            });
            out.push(step);
        }
        out
    }

    /// Findings, faults (see [`Timeline::fault_steps`]) and notes (from the step they show
    /// at: see [`Timeline::notes_shown`]) among the computed steps whose step lies in
    /// `range`, in step order. Notes at 0 s show from step 0 on and have no marker.
    pub fn markers(&self, range: std::ops::Range<usize>) -> Vec<Marker> {
        let steps = &self.trace().steps;
        let shown = |m: &Marker| self.note_shown_at(m).map(|step| Marker { step, ..*m });
        // The steps notes show at keep the notes' order.
        let from = self.notes.partition_point(|m| shown(m).is_some_and(|m| m.step < range.start));
        let mut out: Vec<Marker> = self.notes[from..]
            .iter()
            .filter(|m| steps[m.step - 1].t_us > 0)
            .map_while(shown)
            .take_while(|m| m.step < range.end)
            .collect();
        // A finding row (one event's retries are one) at its first finding.
        let rows = self.rows();
        let first = rows.partition_point(|&r| self.row_step(r) < range.start);
        out.extend(
            rows[first..]
                .iter()
                .enumerate()
                .map(|(i, &r)| (first + i, self.row_step(r)))
                .take_while(|&(_, step)| step < range.end)
                .map(|(index, step)| Marker { step, kind: MarkerKind::Finding, index }),
        );
        let first = self.standing.partition_point(|f| (f.step as usize) < range.start);
        out.extend(
            self.standing[first..].iter().enumerate().take_while(|(_, f)| (f.step as usize) < range.end).map(
                |(i, f)| Marker { step: f.step as usize, kind: MarkerKind::Finding, index: rows.len() + first + i },
            ),
        );
        out.extend(self.fault_steps().into_iter().enumerate().filter_map(|(i, step)| {
            let step = step.filter(|s| range.contains(s))?;
            Some(Marker { step, kind: MarkerKind::Fault, index: i })
        }));
        out.sort_by_key(|m| (m.step, m.kind, m.index));
        out
    }

    /// The findings of every computed step, in step order.
    pub fn findings(&self) -> &[Finding] {
        self.frontier.findings()
    }

    /// The rows of the findings of every computed step (one event's failed attempts and
    /// retries are one row: see [`crate::analysis::FindingRow`]), in the order of their first.
    pub fn rows(&self) -> &[crate::analysis::FindingRow] {
        self.frontier.finding_rows()
    }

    /// The step of a row's first finding.
    fn row_step(&self, row: crate::analysis::FindingRow) -> usize {
        self.findings()[row.head as usize].step as usize
    }

    /// The nearest marker strictly after (`forward`) or before the cursor.
    pub fn next_marker(&self, forward: bool) -> Option<Marker> {
        self.marker_from(self.cursor, forward)
    }

    /// The nearest marker among the computed steps strictly after (`forward`) or before step
    /// `at`.
    pub fn marker_from(&self, at: usize, forward: bool) -> Option<Marker> {
        if forward {
            self.markers(at + 1..self.computed() + 1).into_iter().next()
        } else {
            self.markers(1..at).into_iter().next_back()
        }
    }

    /// The index (see [`Timeline::finding`]) of the nearest finding strictly after
    /// (`forward`) or before the cursor.
    pub fn next_finding(&self, forward: bool) -> Option<usize> {
        self.finding_from(self.cursor, forward)
    }

    /// The index (see [`Timeline::finding`]) of the nearest finding strictly after
    /// (`forward`) or before step `at`, the standing ones included.
    pub fn finding_from(&self, at: usize, forward: bool) -> Option<usize> {
        let rows = self.rows();
        // The index of the nearest among `len` entries in step order, given how many are at
        // or before `at` and how many strictly before.
        let nearest = |len: usize, upto: usize, before: usize| {
            if forward { (upto < len).then_some(upto) } else { before.checked_sub(1) }
        };
        let a = nearest(
            rows.len(),
            rows.partition_point(|&r| self.row_step(r) <= at),
            rows.partition_point(|&r| self.row_step(r) < at),
        );
        let standing = &self.standing;
        let b = nearest(
            standing.len(),
            standing.partition_point(|f| f.step as usize <= at),
            standing.partition_point(|f| (f.step as usize) < at),
        )
        .map(|j| rows.len() + j);
        match (a, b) {
            (Some(a), Some(b)) => {
                let (sa, sb) = (self.finding(a).step, self.finding(b).step);
                Some(if (sa <= sb) == forward { a } else { b })
            }
            (a, b) => a.or(b),
        }
    }

    /// Finding `index`: the first finding of each row of the computed steps' (see
    /// [`Timeline::rows`]), then the standing ones.
    pub fn finding(&self, index: usize) -> Finding {
        let rows = self.rows();
        match rows.get(index) {
            Some(r) => self.findings()[r.head as usize],
            None => self.standing[index - rows.len()],
        }
    }

    /// How many findings [`Timeline::finding`] numbers.
    pub fn finding_count(&self) -> usize {
        self.rows().len() + self.standing.len()
    }

    /// The marker to draw for the computed steps due in `[from, to)` µs (the timeline
    /// scrubber asks this for each of its columns: a few binary searches each). A fault
    /// whose time is in the window comes first, whether or not it wrote a step (a fault is
    /// one, the cause of what follows: no finding beside it hides it); then a finding, then
    /// a note. `standing` (in step order) are the standing findings to mark: those of the
    /// step shown, since a loss is only known once nothing can complete the work (the
    /// frontier's would be the future).
    pub fn mark_between(&self, from: u64, to: u64, standing: &[Finding]) -> Option<MarkerKind> {
        if self.model().faults.iter().any(|f| (from..to).contains(&f.at)) {
            return Some(MarkerKind::Fault);
        }
        let steps = &self.trace().steps;
        // Step numbers (1-based) of the steps due in the window: (first, last].
        let first = steps.partition_point(|s| s.t_us < from);
        let last = steps.partition_point(|s| s.t_us < to);
        if first == last {
            return None;
        }
        let rows = self.rows();
        let i = rows.partition_point(|&r| self.row_step(r) <= first);
        if rows.get(i).is_some_and(|&r| self.row_step(r) <= last) {
            return Some(MarkerKind::Finding);
        }
        let i = standing.partition_point(|f| (f.step as usize) <= first);
        if standing.get(i).is_some_and(|f| (f.step as usize) <= last) {
            return Some(MarkerKind::Finding);
        }
        let i = self.notes.partition_point(|m| m.step <= first);
        self.notes.get(i).is_some_and(|m| m.step <= last).then_some(MarkerKind::Note)
    }

    /// The first step due at or after `t` µs among the computed ones (the step count
    /// that shows it), or `None` past the last computed step.
    pub fn step_at_time(&self, t: u64) -> Option<usize> {
        let steps = &self.trace().steps;
        let i = steps.partition_point(|s| s.t_us < t);
        (i < steps.len()).then_some(i + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::{Limits, load_str};

    fn timeline(lesson: &str, interval: usize) -> Timeline {
        let source = crate::lessons::find(lesson).expect("a lesson").source;
        let scenario = load_str(source, lesson, &Limits::default()).expect("valid");
        let seed = scenario.seed;
        let model = Arc::new(Model::compile(Arc::new(scenario), seed).expect("compiles"));
        Timeline::live(Simulator::new(model, 10_000_000)).with_interval(interval)
    }

    fn summary(a: &Analysis) -> String {
        format!("{:?}", (a.observed(), a.findings(), a.instances(), a.total_lag(), a.notes(), a.lag_history(0)))
    }

    #[test]
    fn stepping_back_and_forth_equals_a_direct_seek() {
        let mut t = timeline("crash-duplicates", 16);
        t.run_to_end().expect("runs");
        let n = t.computed();
        assert!(n > 100);
        for target in [0, 1, 15, 16, 17, n / 2, n - 1, n] {
            let mut direct = timeline("crash-duplicates", 16);
            direct.run_to_end().expect("runs");
            direct.seek(target);
            let mut walked = timeline("crash-duplicates", 16);
            walked.run_to_end().expect("runs");
            while walked.cursor() > target {
                walked.step_back();
            }
            assert_eq!(walked.cursor(), target);
            assert_eq!(summary(walked.analysis()), summary(direct.analysis()), "at step {target}");
            // A fresh fold of the first `target` steps is the truth.
            let mut fresh = Analysis::new(Arc::clone(t.model()));
            fresh.observe_until(t.trace(), target);
            assert_eq!(summary(direct.analysis()), summary(&fresh), "at step {target}");
        }
        // Forward again, one step at a time, from the start.
        t.seek(0);
        for _ in 0..n {
            assert!(t.step_forward().expect("steps"));
        }
        assert!(t.at_frontier());
        assert_eq!(summary(t.analysis()), summary(t.frontier()));
    }

    #[test]
    fn stepping_forward_from_the_frontier_moves_exactly_one_step() {
        // A crash, a rebalance and its commits append several steps at one agenda item.
        let mut t = timeline("crash-duplicates", 64);
        let mut several = false;
        for n in 1..=360 {
            let computed = t.computed();
            assert!(t.step_forward().expect("steps"));
            assert_eq!(t.cursor(), n);
            several |= t.computed() > computed + 1;
            let mut fresh = Analysis::new(Arc::clone(t.model()));
            fresh.observe_until(t.trace(), n);
            assert_eq!(summary(t.analysis()), summary(&fresh), "at step {n}");
        }
        assert!(several, "some step computed more than one");
        assert!(!t.step_forward().expect("at the end"), "360 steps in all");
    }

    #[test]
    fn playing_after_going_back_replays_what_was_computed() {
        let mut t = timeline("order-pipeline", 64);
        t.advance_to(3_000_000, usize::MAX).expect("runs");
        let computed = t.computed();
        t.seek(computed / 3);
        assert!(!t.at_frontier());
        // Playing moves through the computed steps first, then computes more.
        t.advance_to(3_000_000, usize::MAX).expect("runs");
        assert_eq!(t.cursor(), computed);
        t.run_to_end().expect("runs");
        let mut straight = timeline("order-pipeline", 64);
        straight.run_to_end().expect("runs");
        assert_eq!(t.trace().steps, straight.trace().steps);
        assert_eq!(summary(t.analysis()), summary(straight.analysis()));
    }

    #[test]
    fn checkpoints_thin_out_on_long_runs() {
        let mut t = timeline("crash-duplicates", 1);
        t.run_to_end().expect("runs");
        assert!(t.computed() > 2 * MAX_CHECKPOINTS, "a run long enough to thin out");
        assert!(t.checkpoints() <= MAX_CHECKPOINTS);
        assert!(t.interval() > 1 && t.interval().is_power_of_two());
        let steps: Vec<usize> = t.checkpoints.iter().map(|c| c.step).collect();
        assert!(steps.iter().enumerate().all(|(i, &s)| s == i * t.interval()), "{steps:?}");
        for target in [0, 1, t.computed() / 3, t.computed() - 1] {
            t.seek(target);
            let mut fresh = Analysis::new(Arc::clone(t.model()));
            fresh.observe_until(t.trace(), target);
            assert_eq!(summary(t.analysis()), summary(&fresh));
        }
    }

    #[test]
    fn markers_and_findings_around_the_cursor() {
        let mut t = timeline("crash-duplicates", 32);
        t.run_to_end().expect("runs");
        let findings = t.findings().to_vec();
        assert!(!findings.is_empty());
        t.seek(0);
        let first = t.next_finding(true).expect("a finding ahead");
        assert_eq!(first, 0);
        t.seek(findings[0].step as usize);
        assert_eq!(t.next_finding(false), None, "none strictly before the first");
        assert_eq!(t.next_finding(true), findings.iter().position(|f| f.step > findings[0].step));
        let crash = t.markers(0..t.computed() + 1).into_iter().find(|m| m.kind == MarkerKind::Fault).expect("a crash");
        // The marker is the fault's own step: the first at its time after any note of that µs.
        let at = t.model().faults[crash.index].at;
        assert_eq!(t.trace().steps[crash.step - 1].t_us, at);
        assert_eq!(t.trace().steps[crash.step - 1].kind, StepKind::Crashed);
        assert!(
            t.trace().steps[..crash.step - 1]
                .iter()
                .rev()
                .take_while(|s| s.t_us == at)
                .all(|s| s.kind == StepKind::Note)
        );
        t.seek(0);
        let mut seen = Vec::new();
        while let Some(m) = t.next_marker(true) {
            seen.push(m.step);
            t.seek(m.step);
        }
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
        assert!(seen.contains(&crash.step));
        let f = t.findings()[0];
        let at = t.trace().steps[f.step as usize - 1].t_us;
        assert_eq!(t.mark_between(at, at + 1, &t.standing), Some(MarkerKind::Finding));
        assert_eq!(t.mark_between(at, at, &t.standing), None);
        let fault = t.model().faults[crash.index].at;
        assert!(t.mark_between(fault, fault + 1, &t.standing).is_some());
        assert_eq!(t.step_at_time(0), Some(1));
        assert_eq!(t.step_at_time(u64::MAX), None);
    }
}
