//! The views, one file each: the tabs they sit on ([`View`]), and what a view with a list
//! owns ([`List`]): its selection, and what the list keys do to it.
//!
//! This file reads no [`App`](super::app::App): the keymap names views through it, and the
//! app holds each list and hands it a [`Ctx`] (the run as shown and the filter). The
//! renderers in `views/*.rs` read the whole app, as every `impl Widget for &App` does.

pub mod chains;
pub mod checks;
pub mod flow;
pub mod inspector;
pub mod lag;
pub mod state;
pub mod traffic;

use super::action::Action;
use crate::analysis::{Analysis, Finding};
use crate::sim::Model;
use crate::timeline::Timeline;
use crate::trace::{EventIdx, NO_EVENT, NONE16, Trace};

/// The views, as tabs: in [`View::ALL`]'s order, on the number keys from `1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Flow,
    Traffic,
    Chains,
    Lag,
    State,
    Checks,
}

impl View {
    /// The tabs in order: the first is on key `1`, the next on `2`, and so on.
    pub const ALL: [View; 6] = [View::Flow, View::Traffic, View::Chains, View::Lag, View::State, View::Checks];

    pub fn title(self) -> &'static str {
        match self {
            View::Flow => "Flow",
            View::Traffic => "Traffic",
            View::Chains => "Chains",
            View::Lag => "Lag",
            View::State => "State",
            View::Checks => "Checks",
        }
    }

    /// Its place among the tabs, from 0.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|&v| v == self).unwrap_or(0)
    }

    /// Its number key: `1` for the first tab.
    pub fn key(self) -> char {
        char::from_digit(self.index() as u32 + 1, 10).unwrap_or('?')
    }

    /// The tab after it, round to the first.
    #[must_use]
    pub fn next(self) -> View {
        Self::ALL[(self.index() + 1) % Self::ALL.len()]
    }

    /// `1-6`: the number keys of all the views, as the help and the key bar show them.
    pub fn keys() -> String {
        format!("{}-{}", Self::ALL[0].key(), Self::ALL[Self::ALL.len() - 1].key())
    }

    /// `Checks (6)`: the view and its key, for text that sends the reader there.
    pub fn with_key(self) -> String {
        format!("{} ({})", self.title(), self.key())
    }
}

// Each tab has a digit key.
const _: () = assert!(View::ALL.len() <= 9, "more tabs than number keys");

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

    /// Row `i` of the Checks list: the findings, then the standing ones.
    pub fn check_row(&self, i: usize) -> Option<Finding> {
        let findings = self.analysis().findings();
        match findings.get(i) {
            Some(f) => Some(*f),
            None => self.standing_findings().get(i - findings.len()).copied(),
        }
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
        if s.group != NONE16 && found(&self.model().groups[usize::from(s.group)].name) {
            return true;
        }
        if s.event == NO_EVENT {
            return false;
        }
        let e = trace.event(s.event);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_tabs_come_from_one_list() {
        assert_eq!(View::ALL.map(View::key), ['1', '2', '3', '4', '5', '6']);
        assert_eq!(View::keys(), "1-6");
        assert_eq!(View::Checks.with_key(), "Checks (6)");
        assert_eq!(View::Checks.next(), View::Flow);
        assert_eq!(View::Flow.next(), View::Traffic);
    }
}
