//! What a view with a list owns: its selection, and what the list keys do to it ([`List`]).
//! The app holds one list of each kind and hands it a [`Ctx`] (the run as shown and the
//! `/` filter); a list reads no [`App`](super::app::App), and says what the app should do
//! next as an [`Outcome`].

use super::action::Action;
use crate::analysis::{Analysis, Finding};
use crate::sim::Model;
use crate::timeline::Timeline;
use crate::trace::{EventIdx, Trace};

/// What a list reads to move its selection: the run as shown, and the `/` filter's text.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub timeline: &'a Timeline,
    pub filter: &'a str,
}

impl<'a> Ctx<'a> {
    pub fn new(timeline: &'a Timeline, filter: &'a str) -> Self {
        Ctx { timeline, filter }
    }

    pub fn model(&self) -> &'a Model {
        self.timeline.model()
    }

    pub fn trace(&self) -> &'a Trace {
        self.timeline.trace()
    }

    pub fn analysis(&self) -> &'a Analysis {
        self.timeline.analysis()
    }

    /// The step shown: the number of steps done.
    pub fn step_number(&self) -> usize {
        self.timeline.cursor()
    }

    /// Findings that stand as of the step shown (see [`App::standing_findings`](super::app::App::standing_findings)).
    pub fn standing_findings(&self) -> Vec<Finding> {
        // While the run goes on, a record committed before its processing is not lost yet.
        self.analysis().standing(self.timeline.finished())
    }

    /// Row `i` of the Checks list: the findings' rows (one event's retries are one: see
    /// [`crate::analysis::FindingRow`]) by their first finding, then the standing ones.
    pub fn check_row(&self, i: usize) -> Option<Finding> {
        let rows = self.analysis().finding_rows().len();
        if i < rows { Some(self.analysis().row_head(i)) } else { self.standing_findings().get(i - rows).copied() }
    }

    /// How many rows the Checks list has.
    pub fn check_rows(&self) -> usize {
        self.analysis().finding_rows().len() + self.standing_findings().len()
    }

    /// Whether a step passes the filter (all do when there is none): its type, key,
    /// correlation id, group or kind contains the text, ignoring ASCII case. Called for
    /// every row scanned, so it allocates only to render a correlation id, last.
    pub fn matches(&self, step: usize) -> bool {
        let needle = self.filter.trim();
        if needle.is_empty() {
            return true;
        }
        let trace = self.trace();
        let s = &trace.steps[step];
        let found = |hay: &str| contains_ignoring_case(hay, needle);
        if found(s.kind.name()) {
            return true;
        }
        if s.group.is_some_and(|g| found(&self.model().groups[g.index()].name)) {
            return true;
        }
        if s.event.is_none() {
            return false;
        }
        let e = trace.event_of(s);
        found(trace.strings.resolve(e.event_type))
            || e.key.is_some_and(|k| found(trace.strings.resolve(k)))
            || found(&e.correlation.render(&trace.strings))
    }
}

/// Whether `hay` contains `needle`, ignoring ASCII case.
fn contains_ignoring_case(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    needle.is_empty() || hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// What the app does after a list handled a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing more.
    Done,
    /// The selected row is about this event: the Chains view and the inspector follow it.
    Focus(EventIdx),
    /// Open the inspector on this event.
    Inspect(EventIdx),
    /// Go to the finding's step and show it in Traffic.
    GoTo(Finding),
    /// A line for the footer.
    Say(String),
}

/// A view's list: it owns its selection and what the list keys do to it. The app holds one
/// of each, sends the list keys to the current view's ([`App::list`](super::app::App)), and
/// tells every list when the run is reset or the cursor moves.
pub trait List {
    /// Moves the selection `delta` rows (`isize::MIN / 2` and `isize::MAX / 2` reach the ends).
    fn move_selection(&mut self, delta: isize, ctx: &Ctx<'_>) -> Outcome;

    /// Enter on the selection.
    fn inspect(&self, ctx: &Ctx<'_>) -> Outcome;

    /// Lets the selection go: a new run.
    fn reset(&mut self);

    /// The cursor moved: rows may have come or gone.
    fn after_seek(&mut self, ctx: &Ctx<'_>);

    /// A list key: up, down, a page, the ends, Enter. Other actions are not a list's.
    fn on_action(&mut self, action: Action, ctx: &Ctx<'_>) -> Outcome {
        match action {
            Action::Up => self.move_selection(-1, ctx),
            Action::Down => self.move_selection(1, ctx),
            Action::PageUp => self.move_selection(-PAGE, ctx),
            Action::PageDown => self.move_selection(PAGE, ctx),
            Action::Top => self.move_selection(isize::MIN / 2, ctx),
            Action::Bottom => self.move_selection(isize::MAX / 2, ctx),
            Action::Inspect => self.inspect(ctx),
            _ => Outcome::Done,
        }
    }
}

/// The rows a page key moves.
pub const PAGE: isize = 20;

/// The most rows one move of the selection scans for a row that passes the filter.
pub const MAX_FILTER_SCAN: usize = 1_000_000;

/// Traffic's list: the selected step index, `None` following the newest. The other views
/// but Checks steer it too (their up, down and Enter are about the steps, and Chains shows
/// the selected step's event).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrafficList {
    pub selected: Option<usize>,
}

impl TrafficList {
    /// Selects step index `step`.
    pub fn select(&mut self, step: usize) {
        self.selected = Some(step);
    }

    /// Follows the newest steps again.
    pub fn follow(&mut self) {
        self.selected = None;
    }
}

impl List for TrafficList {
    /// Lands on a row that passes the filter: in the direction of travel, or, at either
    /// end, the nearest one the other way. A filter that matches nothing scans a bounded
    /// stretch, not a whole long run.
    fn move_selection(&mut self, delta: isize, ctx: &Ctx<'_>) -> Outcome {
        let n = ctx.step_number();
        if n == 0 {
            return Outcome::Done;
        }
        let at = self.selected.unwrap_or(n - 1);
        let target = (at as isize).saturating_add(delta).clamp(0, n as isize - 1) as usize;
        let forward = || (target..n).take(MAX_FILTER_SCAN).find(|&s| ctx.matches(s));
        let backward = || (0..=target).rev().take(MAX_FILTER_SCAN).find(|&s| ctx.matches(s));
        let found = if delta < 0 { backward().or_else(forward) } else { forward().or_else(backward) };
        let Some(target) = found else {
            return Outcome::Say(format!("no step matching {:?} within {MAX_FILTER_SCAN} steps", ctx.filter));
        };
        self.select(target);
        match ctx.trace().steps[target].event {
            None => Outcome::Done,
            Some(event) => Outcome::Focus(event),
        }
    }

    /// The selected step's event (or the newest step's), in the inspector.
    fn inspect(&self, ctx: &Ctx<'_>) -> Outcome {
        let step = self.selected.or_else(|| ctx.step_number().checked_sub(1));
        match step.and_then(|s| ctx.trace().steps[s].event) {
            Some(event) => Outcome::Inspect(event),
            None => Outcome::Done,
        }
    }

    fn reset(&mut self) {
        self.follow();
    }

    /// A selection past the step shown is let go.
    fn after_seek(&mut self, ctx: &Ctx<'_>) {
        if self.selected.is_some_and(|s| s >= ctx.step_number()) {
            self.follow();
        }
    }
}

/// Checks' list: the selected row of the findings (then the standing ones), and the
/// finding picked there, whose row is found again after every move, as findings come and
/// standing ones go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChecksList {
    pub selected: Option<usize>,
    picked: Option<Finding>,
}

impl ChecksList {
    /// Picks finding `f` (its row is selected after the next move of the cursor).
    pub fn pick(&mut self, f: Finding) {
        self.picked = Some(f);
    }
}

impl List for ChecksList {
    fn move_selection(&mut self, delta: isize, ctx: &Ctx<'_>) -> Outcome {
        let n = ctx.check_rows();
        if n > 0 {
            let at = self.selected.unwrap_or(0) as isize;
            self.selected = Some(at.saturating_add(delta).clamp(0, n as isize - 1) as usize);
            self.picked = self.selected.and_then(|i| ctx.check_row(i));
        }
        Outcome::Done
    }

    /// Goes to the selected finding's step.
    fn inspect(&self, ctx: &Ctx<'_>) -> Outcome {
        self.selected.and_then(|i| ctx.check_row(i)).map_or(Outcome::Done, Outcome::GoTo)
    }

    fn reset(&mut self) {
        *self = ChecksList::default();
    }

    fn after_seek(&mut self, ctx: &Ctx<'_>) {
        if let Some(f) = self.picked {
            self.selected = row_of(ctx, f);
        }
        let rows = ctx.check_rows();
        if self.selected.is_some_and(|i| i >= rows) {
            self.selected = rows.checked_sub(1);
        }
    }
}

/// The row of finding `f` in the Checks list at the step shown.
fn row_of(ctx: &Ctx<'_>, f: Finding) -> Option<usize> {
    let a = ctx.analysis();
    a.row_of(&f).or_else(|| ctx.standing_findings().iter().position(|g| *g == f).map(|j| a.finding_rows().len() + j))
}
