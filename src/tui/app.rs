//! The TUI's state and what actions do to it — no terminal here, so input logic is tested
//! by feeding actions and asserting on the state.

use std::path::PathBuf;
use std::sync::Arc;

use super::action::Action;
use super::experiments::{Before, Experiments};
// `View` is declared in `views`; it stays nameable here, where the app holds it.
use super::list::{ChecksList, Ctx, List, Outcome, TrafficList};
use super::predict::{Predictions, Typed, guessable};
pub use super::views::View;
use crate::analysis::Analysis;
use crate::run::RunError;
use crate::scenario::load::Limits;
use crate::scenario::model::Scenario;
use crate::sim::{Model, Simulator};
use crate::timeline::{MarkerKind, Timeline};
use crate::trace::{EventIdx, Step, Trace};

/// Playback speeds: virtual time per wall time. The last is "as fast as possible".
pub const SPEEDS: [f64; 11] = [0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0, f64::INFINITY];
const DEFAULT_SPEED: usize = 4;

/// How many steps one tick may compute, so input stays responsive at any speed.
pub const STEPS_PER_TICK: usize = 50_000;

/// The `/` filter: text matched against type, key, correlation id and group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    pub editing: bool,
}

/// The TUI's whole state.
#[allow(clippy::struct_excessive_bools, reason = "independent switches of the screen, not a state machine")]
pub struct App {
    /// Where the scenario came from (a path or `lesson:NAME`), for the header.
    pub origin: String,
    /// The file to watch for hot reload (`None` for a built-in lesson).
    pub path: Option<PathBuf>,
    pub seed: Option<u64>,
    /// The limits the app was started with (`--max-steps`, ...): a hot reload and a
    /// variant are loaded within them too, before they run.
    pub limits: Limits,
    /// The run: its computed steps, the step shown and the analysis as of it.
    pub timeline: Timeline,
    /// "What if" variants to switch to, and the figures of the run before.
    pub experiments: Experiments,
    /// Predict, then reveal: the learner's guesses, and whether the answers show early.
    pub predictions: Predictions,
    pub playing: bool,
    pub speed: usize,
    /// Virtual µs the pacer has asked for.
    pub target_us: f64,
    pub view: View,
    /// Traffic's list: the selected step (`None` follows the newest).
    pub traffic: TrafficList,
    /// Checks' list: the selected finding.
    pub checks: ChecksList,
    /// The event the Chains view and the inspector are about.
    pub focus_event: Option<EventIdx>,
    pub inspector: bool,
    pub filter: Filter,
    pub help: bool,
    /// How far the help is scrolled down, in lines (clamped where it is drawn).
    pub help_scroll: u16,
    /// A one-line message for the footer (a reload, a run-away run).
    pub message: Option<String>,
    /// What this is when it is not a live run, beside the tabs for as long as it runs (a
    /// replayed trace, and where it was cut).
    pub banner: Option<String>,
    /// A reload's validation error, shown until the file is fixed.
    pub error: Option<String>,
    /// How the screen is coloured (`--theme`, `NO_COLOR`).
    pub theme: super::theme::Theme,
    /// The lesson note shown whole over the view (`m`), when it does not fit its area.
    pub note_open: bool,
    /// A replayed trace whose run reached its end (see [`App::replay`]).
    recorded_complete: bool,
    /// `w`: a trace being written, off the UI thread.
    pub recording: Option<super::record::Recording>,
    /// The last key was a `q` that asked first (a trace is being written).
    message_was_quit_warning: bool,
    pub quit: bool,
}

impl App {
    pub fn new(
        origin: String,
        path: Option<PathBuf>,
        scenario: Scenario,
        seed: Option<u64>,
        limits: Limits,
    ) -> Result<Self, RunError> {
        let timeline = Self::start(scenario, seed, limits.step_cap())?;
        Ok(Self::with(origin, path, seed, limits, timeline))
    }

    /// The TUI on a recorded trace (`eventlab replay`): the cursor at step 0, nothing to
    /// compute past the trace's end, no file to watch. `complete` when the trace's `end`
    /// line says the run reached its end (what `w` writes again).
    pub fn replay(origin: String, model: Arc<Model>, trace: Trace, complete: bool) -> Self {
        let seed = Some(model.seed);
        let mut app = Self::with(origin, None, seed, Limits::default(), Timeline::recorded(model, trace));
        app.recorded_complete = complete;
        app
    }

    /// The TUI on a run fed live (`eventlab tap`): playing, following what arrives; the
    /// banner says where the feed stands.
    pub fn tap(origin: String, feed: Box<dyn crate::timeline::Feed>) -> Self {
        let timeline = Timeline::fed(feed);
        let mut app = Self::with(origin, None, Some(0), Limits::default(), timeline);
        app.playing = true;
        app.banner = app.timeline.feed_status();
        app.seek(app.timeline.computed());
        app
    }

    /// A fed run's new steps and status (each frame, playing or not). Returns whether the
    /// screen changed.
    pub fn poll_feed(&mut self) -> bool {
        let Some(status) = self.timeline.feed_status() else { return false };
        let changed = self.timeline.poll_feed();
        let banner = Some(status);
        let shown = self.banner != banner;
        self.banner = banner;
        changed || shown
    }

    fn with(origin: String, path: Option<PathBuf>, seed: Option<u64>, limits: Limits, timeline: Timeline) -> Self {
        App {
            origin,
            path,
            seed,
            limits,
            recorded_complete: false,
            recording: None,
            message_was_quit_warning: false,
            timeline,
            experiments: Experiments::default(),
            predictions: Predictions::default(),
            playing: false,
            speed: DEFAULT_SPEED,
            target_us: 0.0,
            view: View::Flow,
            traffic: TrafficList::default(),
            checks: ChecksList::default(),
            focus_event: None,
            inspector: false,
            filter: Filter::default(),
            help: false,
            help_scroll: 0,
            message: None,
            banner: None,
            error: None,
            theme: super::theme::Theme::Default,
            note_open: false,
            quit: false,
        }
    }

    /// The app with the scenario's text (variants included), so `v` can switch between
    /// its "what if" variants; `variant` is the one running.
    #[must_use]
    pub fn with_source(mut self, source: &str, variant: Option<String>) -> Self {
        self.experiments = Experiments::new(source, &self.origin, variant);
        self
    }

    /// The app coloured by `theme`.
    #[must_use]
    pub fn with_theme(mut self, theme: super::theme::Theme) -> Self {
        self.theme = theme;
        self
    }

    fn start(scenario: Scenario, seed: Option<u64>, max_steps: u64) -> Result<Timeline, RunError> {
        let seed = seed.unwrap_or(scenario.seed);
        let model = Arc::new(Model::compile(Arc::new(scenario), seed)?);
        Ok(Timeline::live(Simulator::new(model, max_steps)))
    }

    pub fn model(&self) -> &Arc<Model> {
        self.timeline.model()
    }

    /// The whole computed trace: its tables. The steps shown are [`App::steps`].
    pub fn trace(&self) -> &Trace {
        self.timeline.trace()
    }

    /// The steps up to the one shown.
    pub fn steps(&self) -> &[Step] {
        self.timeline.steps()
    }

    /// The analysis as of the step shown.
    pub fn analysis(&self) -> &Analysis {
        self.timeline.analysis()
    }

    /// The events published by the step shown (the first ones of the trace's).
    pub fn events_seen(&self) -> usize {
        self.analysis().events_seen()
    }

    /// Findings that stand as of the step shown rather than happen at a step: work
    /// committed or acked without a completed processing (`lost`, so far) and failed sagas
    /// not compensated (yet). The Checks list shows them after the findings.
    pub fn standing_findings(&self) -> Vec<crate::analysis::Finding> {
        self.ctx().standing_findings()
    }

    /// Work lost so far (of `group`, or of all): at the end of the run the checker's count;
    /// before it, without the records an instance still holds.
    pub fn lost_now(&self, group: Option<usize>) -> u64 {
        let lost = self.analysis().metric(crate::scenario::model::Metric::Lost, group);
        if self.finished() { lost } else { lost - self.analysis().lost_in_hand(group) }
    }

    /// Row `i` of the Checks list: the findings, then the standing ones.
    pub fn check_row(&self, i: usize) -> Option<crate::analysis::Finding> {
        self.ctx().check_row(i)
    }

    /// Virtual time at the step shown.
    pub fn now(&self) -> u64 {
        self.timeline.now()
    }

    /// The step shown: the number of steps done (0 before the first).
    pub fn step_number(&self) -> usize {
        self.timeline.cursor()
    }

    /// Whether the step shown is the end of the run.
    pub fn finished(&self) -> bool {
        self.timeline.finished()
    }

    /// Whether the answers show: the expectations' targets and their what-if outcomes. In a
    /// lesson (a scenario with notes) they wait for the end of the run (the step shown), or
    /// for `r`; a scenario without notes shows them all along.
    pub fn answers_shown(&self) -> bool {
        self.model().scenario.notes.is_empty() || self.finished() || self.predictions.revealed
    }

    /// Whether the answers are hidden and `r` would show them (for the key bar).
    pub fn answers_hidden(&self) -> bool {
        !self.answers_shown() && !self.model().scenario.expect.is_empty()
    }

    /// Restarts on a new version of the scenario (hot reload), keeping the view.
    pub fn reload(&mut self, scenario: Scenario) -> Result<(), RunError> {
        let timeline = Self::start(scenario, self.seed, self.limits.step_cap())?;
        // The run before the edit, whole, to compare with (as a what-if switch keeps it).
        let complete = self.timeline.run_to_end().is_ok();
        let finished = std::mem::replace(&mut self.timeline, timeline);
        self.experiments.before = Some(Before::of("before the edit".to_owned(), complete, finished.into_run()));
        self.target_us = 0.0;
        self.reset_lists();
        self.error = None;
        self.message = Some(format!(
            "scenario changed on disk: reloaded and restarted; {} shows each figure before the edit → now",
            View::Checks.with_key()
        ));
        Ok(())
    }

    /// Runs the simulator up to `target` virtual µs, at most `budget` steps; the analysis
    /// follows. A run that passes its step limit stops with a message.
    fn run_to(&mut self, target: u64, budget: usize) {
        if let Err(e) = self.timeline.advance_to(target, budget) {
            self.message = Some(e.to_string());
            self.playing = false;
        }
    }

    /// One step forward: the next computed step, or the simulator's next.
    pub fn step_forward(&mut self) {
        match self.timeline.step_forward() {
            Ok(true) => {}
            Ok(false) => self.message = Some("the end of the run: nothing more happens".to_owned()),
            Err(e) => self.message = Some(e.to_string()),
        }
        self.after_seek();
    }

    /// Moves to step `step` of the computed ones; the pacer and the lists follow.
    pub fn seek(&mut self, step: usize) {
        self.timeline.seek(step);
        self.after_seek();
    }

    /// Moves to virtual time `t`: the last step due by then, computing up to it when
    /// needed (a click on the timeline).
    pub fn seek_time(&mut self, t: u64) {
        self.playing = false;
        let computed_until = self.trace().steps.last().map_or(0, |s| s.t_us);
        if t > computed_until && !self.timeline.source_finished() {
            if let Err(e) = self.timeline.advance_to(t, usize::MAX) {
                self.message = Some(e.to_string());
            }
            self.after_seek();
            return;
        }
        let steps = &self.trace().steps;
        self.seek(steps.partition_point(|s| s.t_us <= t));
    }

    /// The pacer starts again from the time shown; the lists follow the rows that came
    /// and went.
    fn after_seek(&mut self) {
        self.target_us = self.now() as f64;
        let (lists, ctx) = self.lists();
        for list in lists {
            list.after_seek(&ctx);
        }
    }

    /// A new run: every list lets its selection go, the inspector closes; its expectations
    /// may be new, so the guesses go and the answers hide again.
    fn reset_lists(&mut self) {
        for list in self.lists().0 {
            list.reset();
        }
        self.focus_event = None;
        self.inspector = false;
        self.predictions = Predictions::default();
    }

    /// Every view's list, and what they read.
    fn lists(&mut self) -> ([&mut dyn List; 2], Ctx<'_>) {
        ([&mut self.traffic, &mut self.checks], Ctx::new(&self.timeline, &self.filter.text))
    }

    /// The list the current view's list keys go to, and what it reads. Checks has its own;
    /// every other view moves through the steps, as Traffic lists them.
    fn list(&mut self) -> (&mut dyn List, Ctx<'_>) {
        let ctx = Ctx::new(&self.timeline, &self.filter.text);
        match self.view {
            View::Checks => (&mut self.checks, ctx),
            View::Flow | View::Traffic | View::Chains | View::Lag | View::State => (&mut self.traffic, ctx),
        }
    }

    /// What the app does after a list handled a key.
    fn follow_outcome(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Done => {}
            Outcome::Focus(event) => self.focus_event = Some(event),
            Outcome::Inspect(event) => {
                self.focus_event = Some(event);
                self.inspector = true;
            }
            Outcome::GoTo(f) => {
                self.seek(f.step as usize);
                self.view = View::Traffic;
                self.traffic.select((f.step - 1) as usize);
                self.focus_event = Some(f.event);
            }
            Outcome::Say(message) => self.message = Some(message),
        }
    }

    /// The pacer's tick: `wall_us` of wall time passed.
    pub fn advance(&mut self, wall_us: u64) {
        if !self.playing {
            return;
        }
        let speed = SPEEDS[self.speed];
        if self.timeline.feed_status().is_some() && self.timeline.at_frontier() {
            // Live: what has arrived is shown as it arrives.
            self.run_to(u64::MAX, usize::MAX);
            self.target_us = self.now() as f64;
        } else if speed.is_infinite() {
            self.run_to(u64::MAX, STEPS_PER_TICK);
        } else {
            self.target_us = (self.target_us + wall_us as f64 * speed).min(self.model().duration as f64);
            let target = self.target_us as u64;
            self.run_to(target, STEPS_PER_TICK);
        }
        if self.finished() {
            self.playing = false;
        }
    }

    /// Whether a step passes the filter (see [`Ctx::matches`]).
    pub fn matches(&self, step: usize) -> bool {
        self.ctx().matches(step)
    }

    /// What the lists read: the run as shown, and the filter.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx::new(&self.timeline, &self.filter.text)
    }

    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        self.message = None;
        let quit_warned = std::mem::take(&mut self.message_was_quit_warning);
        self.message_was_quit_warning = quit_warned && action == Action::Quit;
        if self.experiments.menu.is_some() && self.menu_action(action) {
            return;
        }
        if self.help && self.help_action(action) {
            return;
        }
        match action {
            Action::Quit => self.quit_or_warn(),
            Action::TogglePlay => {
                self.playing = !self.playing && !self.finished();
                self.target_us = self.now() as f64;
            }
            Action::StepForward => {
                self.playing = false;
                self.step_forward();
            }
            Action::StepBack => {
                self.playing = false;
                if self.step_number() == 0 {
                    self.message = Some("step 0: the start of the run".to_owned());
                }
                self.seek(self.step_number().saturating_sub(1));
            }
            Action::First => {
                self.playing = false;
                self.seek(0);
            }
            Action::Last => {
                self.playing = false;
                self.seek(self.timeline.computed());
                self.message = Some(format!("step {}: the last computed step", self.step_number()));
            }
            Action::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Action::Slower => self.speed = self.speed.saturating_sub(1),
            Action::RunToEnd => {
                self.playing = false;
                if let Err(e) = self.timeline.run_to_end() {
                    self.message = Some(e.to_string());
                }
                self.after_seek();
            }
            Action::ShowView(view) => self.view = view,
            Action::NextPanel => self.view = self.view.next(),
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::Inspect => {
                let (list, ctx) = self.list();
                let outcome = list.on_action(action, &ctx);
                self.follow_outcome(outcome);
            }
            Action::Follow => self.traffic.follow(),
            Action::Back => {
                if self.help {
                    self.help = false;
                } else if self.note_open {
                    self.note_open = false;
                } else if self.inspector {
                    self.inspector = false;
                } else {
                    self.filter = Filter::default();
                }
            }
            Action::Filter => self.filter.editing = true,
            Action::Help => {
                self.help = !self.help;
                self.help_scroll = 0;
            }
            Action::NextFinding => self.jump_finding(true),
            Action::PreviousFinding => self.jump_finding(false),
            Action::NextMarker => self.jump_marker(true),
            Action::PreviousMarker => self.jump_marker(false),
            Action::Record => self.record(std::path::Path::new("")),
            Action::Experiments => self.open_experiments(),
            Action::Reveal => self.reveal(),
            Action::Predict => self.predict(),
            Action::CopyLesson => self.copy_lesson(std::path::Path::new(".")),
            Action::ExpandNote => self.toggle_note(),
            Action::Export => self.export_screen(),
        }
    }

    /// `q`: quits, but while a trace is being written the first `q` says so and a second
    /// one quits and drops it.
    fn quit_or_warn(&mut self) {
        match self.recording.as_ref().filter(|r| !r.is_done()) {
            Some(r) if !self.message_was_quit_warning => {
                self.message = Some(format!("{}: q again quits and drops it", r.progress()));
                self.message_was_quit_warning = true;
            }
            _ => self.quit = true,
        }
    }

    /// `v`: the "what if" menu, or why there is none.
    fn open_experiments(&mut self) {
        if self.experiments.variants.is_empty() {
            self.message =
                Some("this scenario has no \"what if\" variants (scenarios/README.md tells how to add one)".to_owned());
        } else {
            self.experiments.menu = Some(self.experiments.current_row());
        }
    }

    /// `x`: what is on screen to a file (see `tui::export`), and where it went.
    fn export_screen(&mut self) {
        let run = crate::export::Run {
            model: self.model(),
            trace: self.trace(),
            analysis: self.analysis(),
            end: self.step_number(),
        };
        let screen = super::export::Screen { run, chains: self.view == View::Chains, focus_event: self.focus_event };
        self.message = Some(super::export::export_screen(&screen, std::path::Path::new(".")));
    }

    /// `m`: the current note whole, or back.
    fn toggle_note(&mut self) {
        if self.notes().is_empty() {
            self.message = Some("no note yet: a lesson's notes come with the steps of their moment".to_owned());
        }
        self.note_open = !self.note_open && !self.notes().is_empty();
    }

    /// `c`: a lesson is written to `DIR/NAME.json` (an existing file there is kept, not
    /// overwritten) and the app goes on from that file, watched: an edit saved restarts the
    /// run, with the run before it kept to compare.
    pub fn copy_lesson(&mut self, dir: &std::path::Path) {
        if let Some(path) = &self.path {
            self.message = Some(format!("this run is the file {}: edit it there", path.display()));
            return;
        }
        let (Some(name), Some(source)) = (self.origin.strip_prefix("lesson:"), self.experiments.source()) else {
            self.message = Some("only a built-in lesson can be copied".to_owned());
            return;
        };
        let path = dir.join(format!("{name}.json"));
        let shown = std::path::Path::new(".").join(format!("{name}.json")).display().to_string();
        let said = if path.exists() {
            format!("{shown} exists: the run goes on from it (not overwritten); edit it and save")
        } else {
            let written = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut file| std::io::Write::write_all(&mut file, source.as_bytes()));
            if let Err(e) = written {
                self.message = Some(format!("cannot write {shown}: {e}"));
                return;
            }
            format!("wrote {shown}: edit it and save, and the run restarts (before → now in Checks)")
        };
        self.origin = shown;
        self.path = Some(path);
        self.message = Some(said);
    }

    /// The list keys scroll the help while it is open (it may be taller than the screen).
    fn help_action(&mut self, action: Action) -> bool {
        let scroll = &mut self.help_scroll;
        match action {
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::Down => *scroll = scroll.saturating_add(1),
            Action::PageUp => *scroll = scroll.saturating_sub(10),
            Action::PageDown => *scroll = scroll.saturating_add(10),
            Action::Top => *scroll = 0,
            Action::Bottom => *scroll = u16::MAX,
            _ => return false,
        }
        true
    }

    /// `r`: in a lesson, shows the answers before the end of the run, or hides them again.
    fn reveal(&mut self) {
        let scenario = &self.model().scenario;
        self.message = Some(if scenario.expect.is_empty() {
            "this scenario has no expectations to reveal".to_owned()
        } else if scenario.notes.is_empty() {
            "not a lesson (no notes): the targets show all along".to_owned()
        } else if self.finished() {
            "the end of the run: the answers show".to_owned()
        } else {
            self.predictions.revealed = !self.predictions.revealed;
            if self.predictions.revealed {
                "revealed: the targets and what-if outcomes show (r hides them again)".to_owned()
            } else {
                "hidden again until the end of the run".to_owned()
            }
        });
    }

    /// `p`: the prediction prompt, on the scenario's expectations with a numeric target.
    fn predict(&mut self) {
        let guessable = guessable(&self.model().scenario.expect);
        if guessable.is_empty() {
            self.message = Some("this scenario has no expectation with a number to guess".to_owned());
            return;
        }
        self.experiments.menu = None;
        self.predictions.open(&guessable);
    }

    /// Typing into the prediction prompt: returns whether the key was consumed.
    pub fn edit_prediction(&mut self, key: crossterm::event::KeyEvent) -> bool {
        let guessable = guessable(&self.model().scenario.expect);
        let Some(typed) = self.predictions.key(key, &guessable) else { return false };
        match typed {
            Typed::Editing | Typed::Closed => {}
            Typed::Kept { index, guess } => {
                let what = self.analysis().check(self.trace(), &self.model().scenario.expect[index]);
                self.message = Some(format!(
                    "your guess: {} for {}; {} shows it beside the actual at the end of the run",
                    super::predict::show(guess),
                    what.describe_target(false),
                    View::Checks.with_key()
                ));
            }
            Typed::NotANumber(text) => self.message = Some(format!("{text:?} is not a number: type digits")),
        }
        true
    }

    /// Keys while the "what if" menu is open; returns whether the action was the menu's.
    fn menu_action(&mut self, action: Action) -> bool {
        let rows = self.experiments.variants.len() + 1;
        let Some(row) = self.experiments.menu else { return false };
        match action {
            Action::Up => self.experiments.menu = Some(row.saturating_sub(1)),
            Action::Down => self.experiments.menu = Some((row + 1).min(rows - 1)),
            Action::Back | Action::Experiments => self.experiments.menu = None,
            Action::Inspect => {
                self.experiments.menu = None;
                self.switch(row);
            }
            _ => return false,
        }
        true
    }

    /// Restarts on the experiment of menu row `row`, keeping the figures of the run so far
    /// (run to its end first) to compare with.
    pub fn switch(&mut self, row: usize) {
        let variant = self.experiments.choice(row);
        let scenario = match self.experiments.load(&self.origin, &self.limits, variant.as_deref()) {
            Ok(scenario) => scenario,
            Err(e) => {
                self.message = Some(e);
                return;
            }
        };
        // Between two variants, the comparison stays with the lesson as written.
        let keep = variant.is_some()
            && self.experiments.current.is_some()
            && self.experiments.before.as_ref().is_some_and(|b| b.label == "as written" && b.complete);
        let complete = keep || self.timeline.run_to_end().is_ok();
        let timeline = match Self::start(scenario, self.seed, self.limits.step_cap()) {
            Ok(timeline) => timeline,
            Err(e) => {
                self.message = Some(e.to_string());
                return;
            }
        };
        let label = self.experiments.label();
        let finished = std::mem::replace(&mut self.timeline, timeline);
        let before = if keep {
            self.experiments.before.take().expect("kept")
        } else {
            Before::of(label, complete, finished.into_run())
        };
        self.experiments.before = Some(before);
        self.experiments.current = variant;
        self.playing = false;
        self.target_us = 0.0;
        self.reset_lists();
        self.message = Some(format!(
            "what if: {} — predict (p) the {}, then play: each figure shows before → now",
            self.experiments.label(),
            View::Checks.with_key()
        ));
    }

    /// Typing into the filter: returns whether the key was consumed. Ctrl-U clears the
    /// line (the readline habit) and keeps it open.
    pub fn edit_filter(&mut self, key: crossterm::event::KeyEvent) -> bool {
        use crossterm::event::{KeyCode, KeyModifiers};
        if !self.filter.editing {
            return false;
        }
        match key.code {
            KeyCode::Enter => self.filter.editing = false,
            KeyCode::Esc => self.filter = Filter::default(),
            KeyCode::Backspace => {
                self.filter.text.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => self.filter.text.clear(),
            KeyCode::Char(c) => self.filter.text.push(c),
            _ => {}
        }
        self.traffic.follow();
        true
    }

    /// `n` / `N`: the cursor goes to the next or previous finding. Past the last computed
    /// one, a live run computes on until the next finding (or its end).
    fn jump_finding(&mut self, forward: bool) {
        self.playing = false;
        let origin = self.step_number();
        let mut next = self.timeline.next_finding(forward);
        if next.is_none() && forward && self.timeline.at_frontier() {
            while next.is_none() && !self.timeline.source_finished() {
                let before = self.timeline.computed();
                if let Err(e) = self.timeline.advance_to(u64::MAX, STEPS_PER_TICK) {
                    self.message = Some(e.to_string());
                    return;
                }
                next = self.timeline.finding_from(origin, true);
                if next.is_none() && self.timeline.computed() == before {
                    break;
                }
            }
        }
        // Past the last one, round to the other end of the run.
        let wrapped = next.is_none() && self.timeline.finding_count() > 0;
        let around = || self.timeline.finding_from(if forward { 0 } else { usize::MAX }, forward);
        let Some(index) = next.or_else(|| if wrapped { around() } else { None }) else {
            self.after_seek();
            self.message = Some(format!("no findings up to step {}", self.timeline.computed()));
            return;
        };
        let f = self.timeline.finding(index);
        self.go_to_finding(f);
        let wrap = if wrapped { if forward { " (from the start)" } else { " (from the end)" } } else { "" };
        self.message = Some(format!("step {}{wrap}: {}", f.step, self.analysis().explain(self.trace(), &f)));
    }

    /// Shows finding `f`: the cursor at its step, its row selected in Checks and in Traffic.
    fn go_to_finding(&mut self, f: crate::analysis::Finding) {
        self.checks.pick(f);
        self.seek(f.step as usize);
        self.traffic.select((f.step - 1) as usize);
        self.focus_event = Some(f.event);
    }

    /// `[` / `]`: the cursor goes to the previous or next marker on the timeline.
    fn jump_marker(&mut self, forward: bool) {
        self.playing = false;
        let origin = self.step_number();
        let mut next = self.timeline.next_marker(forward);
        // None among the computed steps: compute ahead until one comes (a note or fault due
        // later, a finding), or the run ends.
        while next.is_none() && forward && !self.timeline.source_finished() {
            let before = self.timeline.computed();
            if let Err(e) = self.timeline.advance_to(u64::MAX, STEPS_PER_TICK) {
                self.message = Some(e.to_string());
                return;
            }
            if self.timeline.at_frontier() && self.timeline.computed() == before {
                break;
            }
            next = self.timeline.marker_from(origin, true);
        }
        let Some(marker) = next else {
            self.seek(origin);
            let side = if forward { "after" } else { "before" };
            self.message = Some(format!("no fault, finding or note {side} step {origin}"));
            return;
        };
        self.seek(marker.step);
        let what = match marker.kind {
            MarkerKind::Finding => {
                let f = self.timeline.finding(marker.index);
                self.go_to_finding(f);
                self.analysis().explain(self.trace(), &f)
            }
            MarkerKind::Fault => {
                // As the scenario file says it: {"at": "1.5s", "upgrade": "shop", ...}.
                let fault = self.model().scenario.faults.get(marker.index);
                let text = fault.and_then(|f| serde_json::to_string(f).ok()).unwrap_or_default();
                let text = text.replace("\":", "\": ").replace(",\"", ", \"");
                // Its own step (a crash, a pause, a join), or the first it is in effect at.
                let own = self.timeline.fault_marks().get(marker.index).copied().flatten().is_some_and(|m| m.1);
                if own {
                    format!("fault {text}")
                } else {
                    format!("fault {text}, in effect from this step (it writes no step of its own)")
                }
            }
            MarkerKind::Note => {
                let at = self.model().scenario.notes.get(marker.index).map_or(0, |n| n.at.as_micros());
                format!("the note of {}, all of its moment shown", super::format::seconds(at))
            }
        };
        self.message = Some(format!("step {}: {what}", marker.step));
    }

    /// `w`: writes the trace computed so far, atomically, into the current folder (`dir`),
    /// named after the scenario, the seed and the steps (with a number added rather than
    /// replace a file). The writing goes on off the UI thread (see [`super::record`]): the
    /// footer shows its progress, then where it went.
    fn record(&mut self, dir: &std::path::Path) {
        if let Some(recording) = &self.recording {
            self.message = Some(format!("still {}", recording.progress()));
            return;
        }
        let name: String = self
            .model()
            .scenario
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect();
        let name = name.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
        let stem = format!("eventlab-{name}-seed{}-step{}", self.model().seed, self.timeline.computed());
        let path = (1..10_000)
            .map(|n| dir.join(if n == 1 { format!("{stem}.jsonl") } else { format!("{stem}-{n}.jsonl") }))
            .find(|p| !p.exists())
            .unwrap_or_else(|| dir.join(format!("{stem}.jsonl")));
        // Complete only when every step of the run is in it: a live run computed to its end,
        // or a replayed trace whose own end line said so.
        let complete =
            if self.timeline.is_recorded() { self.recorded_complete } else { self.timeline.source_finished() };
        match crate::trace::file::Target::resolve(&path) {
            Ok(target) => {
                let recording =
                    super::record::Recording::start(target, Arc::clone(self.model()), self.trace().clone(), complete);
                self.message = Some(recording.progress());
                self.recording = Some(recording);
            }
            Err(e) => self.message = Some(format!("could not write {}: {e}", path.display())),
        }
    }

    /// The tick's look at a trace being written: its progress in the footer (unless another
    /// message is there), then how it went. Returns whether the screen changed.
    pub fn poll_recording(&mut self) -> bool {
        let Some(recording) = &self.recording else { return false };
        let progress_shown = self.message.as_deref().is_none_or(|m| m.starts_with("writing the trace: "))
            && !self.message_was_quit_warning;
        if recording.is_done() {
            let recording = self.recording.take().expect("checked above");
            self.message = Some(recording.finish());
        } else if progress_shown {
            self.message = Some(recording.progress());
        }
        true
    }

    /// Lesson notes whose time has come, newest last. At step 0, before the first step, the
    /// notes due at 0 s show already: a lesson opens with its first note on screen.
    /// A note shows once its moment is over: with the steps it tells of, not before them
    /// (see [`Timeline::notes_shown`]).
    pub fn notes(&self) -> Vec<(u64, &str)> {
        let notes = &self.model().scenario.notes;
        self.timeline.notes_shown().into_iter().map(|(t, i)| (t, notes[i as usize].text.as_str())).collect()
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent};

    use super::*;
    use crate::scenario::load::{Limits, load_str};
    use crate::tui::action::action_for;

    fn app(lesson: &str) -> App {
        let source = crate::lessons::find(lesson).expect("a lesson").source;
        let scenario = load_str(source, lesson, &Limits::default()).expect("valid");
        App::new(lesson.to_owned(), None, scenario, None, Limits::default()).expect("compiles")
    }

    fn press(app: &mut App, code: KeyCode) {
        let key = KeyEvent::from(code);
        if !app.edit_filter(key)
            && !app.edit_prediction(key)
            && let Some(action) = action_for(key)
        {
            app.apply(action);
        }
    }

    /// Ctrl-U in the filter line clears what was typed and keeps the line open.
    #[test]
    fn ctrl_u_clears_the_filter_line() {
        use crossterm::event::KeyModifiers;
        let mut app = app("crash-duplicates");
        press(&mut app, KeyCode::Char('/'));
        for c in "billing".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        assert_eq!(app.filter.text, "billing");
        assert!(app.edit_filter(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        assert_eq!(app.filter.text, "");
        assert!(app.filter.editing);
        press(&mut app, KeyCode::Char('x'));
        assert_eq!(app.filter.text, "x");
    }

    /// `w` mid-run writes a trace whose end line says it is not complete; at the end of the
    /// run, complete. Either reads back whole.
    #[test]
    fn a_trace_written_mid_run_ends_not_complete() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = app("fan-out");
        for _ in 0..5 {
            app.step_forward();
        }
        let end_of = |app: &mut App| {
            app.record(dir.path());
            // The tick's polling, until the thread is done (no time involved).
            while app.recording.as_ref().is_some_and(|r| !r.is_done()) {
                std::thread::yield_now();
            }
            assert!(app.poll_recording());
            assert!(app.recording.is_none());
            assert!(app.message.as_deref().is_some_and(|m| m.starts_with("trace of ")), "{:?}", app.message);
            assert!(!app.poll_recording(), "nothing left to poll");
            let written: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
            assert_eq!(written.len(), 1, "{written:?}: no temporary file left");
            let recorded = crate::trace::read::read_file(&written[0]).expect("reads back");
            std::fs::remove_file(&written[0]).unwrap();
            assert_eq!(recorded.truncated, None);
            recorded.end.expect("an end line")
        };
        let computed = app.timeline.computed() as u64;
        let end = end_of(&mut app);
        assert!(!end.complete);
        assert_eq!(end.steps, computed);
        assert_eq!(end.t_us, app.trace().steps.last().unwrap().t_us);
        app.apply(Action::RunToEnd);
        let end = end_of(&mut app);
        assert!(end.complete);
        assert_eq!(end.t_us, app.model().duration);
    }

    #[test]
    fn while_a_trace_is_written_the_footer_shows_its_progress_and_q_asks_first() {
        let mut app = app("fan-out");
        let (recording, release) = super::super::record::Recording::held(1000);
        app.recording = Some(recording);
        assert!(app.poll_recording());
        assert_eq!(app.message.as_deref(), Some("writing the trace: 0% (0 of 1 000 steps) to held.jsonl"));
        // Other keys work meanwhile, their messages are not overwritten.
        press(&mut app, KeyCode::Char(']'));
        let said = app.message.clone();
        assert!(app.poll_recording());
        assert_eq!(app.message, said);
        press(&mut app, KeyCode::Char('q'));
        assert!(!app.quit);
        assert!(app.message.as_deref().is_some_and(|m| m.ends_with("q again quits and drops it")), "{:?}", app.message);
        assert!(app.poll_recording());
        assert!(app.message.as_deref().is_some_and(|m| m.ends_with("q again quits and drops it")));
        press(&mut app, KeyCode::Char('w'));
        assert!(app.message.as_deref().is_some_and(|m| m.starts_with("still writing the trace: ")));
        press(&mut app, KeyCode::Char('q'));
        assert!(!app.quit, "the q before was not the last key");
        press(&mut app, KeyCode::Char('q'));
        assert!(app.quit);
        drop(release);
        while app.recording.as_ref().is_some_and(|r| !r.is_done()) {
            std::thread::yield_now();
        }
        assert!(app.poll_recording());
        assert!(app.message.as_deref().is_some_and(|m| m.starts_with("trace of 1000 steps written to held.jsonl")));
    }

    #[test]
    fn keys_drive_playback() {
        let mut app = app("fan-out");
        assert_eq!(app.step_number(), 0);
        assert!(!app.playing);
        press(&mut app, KeyCode::Right);
        assert!(app.step_number() >= 1);
        press(&mut app, KeyCode::Char(' '));
        assert!(app.playing);
        let before = app.target_us;
        app.advance(500_000);
        assert!(
            (app.target_us - before - 500_000.0).abs() < 1.0,
            "×1: half a second of wall time is half a second of virtual time"
        );
        assert!(app.now() as f64 <= app.target_us);
        press(&mut app, KeyCode::Char('+'));
        press(&mut app, KeyCode::Char('+'));
        assert!((SPEEDS[app.speed] - 5.0).abs() < f64::EPSILON);
        press(&mut app, KeyCode::Char('e'));
        assert!(app.finished());
        assert!(!app.playing);
        assert_eq!(app.analysis().observed(), app.step_number());
        press(&mut app, KeyCode::Char('q'));
        assert!(app.quit);
    }

    #[test]
    fn views_selection_filter_and_inspector() {
        let mut app = app("crash-duplicates");
        press(&mut app, KeyCode::Char('e'));
        press(&mut app, KeyCode::Char('2'));
        assert_eq!(app.view, View::Traffic);
        press(&mut app, KeyCode::Char('k'));
        let selected = app.traffic.selected.expect("selected");
        assert_eq!(selected, app.step_number() - 2);
        press(&mut app, KeyCode::Char('/'));
        for c in "crashed".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        press(&mut app, KeyCode::Enter);
        assert!(!app.filter.editing);
        press(&mut app, KeyCode::Char('g'));
        let first = app.traffic.selected.expect("a crash matches");
        assert_eq!(app.trace().steps[first].kind, crate::trace::StepKind::Crashed);
        press(&mut app, KeyCode::Esc);
        assert!(app.filter.text.is_empty());
        press(&mut app, KeyCode::Char('G'));
        press(&mut app, KeyCode::Enter);
        assert!(app.inspector || app.trace().steps[app.traffic.selected.unwrap()].event.is_none());
        press(&mut app, KeyCode::Esc);
        assert!(!app.inspector);
    }

    #[test]
    fn checks_keys_move_its_own_list_and_the_other_views_move_through_the_steps() {
        let mut app = app("crash-duplicates");
        press(&mut app, KeyCode::Char('e'));
        press(&mut app, KeyCode::Char('3'));
        press(&mut app, KeyCode::Char('k'));
        let selected = app.traffic.selected.expect("Chains moves the Traffic selection");
        assert_eq!(selected, app.step_number() - 2);
        let event = app.trace().steps[selected].event;
        assert!(event.is_none() || app.focus_event == event);
        assert_eq!(app.checks.selected, None);
        press(&mut app, KeyCode::Char('6'));
        press(&mut app, KeyCode::Char('g'));
        assert_eq!(app.checks.selected, Some(0));
        assert_eq!(app.traffic.selected, Some(selected), "Checks' keys leave the steps alone");
        // A new run lets every selection go.
        let source = crate::lessons::find("crash-duplicates").expect("a lesson").source;
        app.reload(load_str(source, "crash-duplicates", &Limits::default()).expect("valid")).expect("compiles");
        assert_eq!((app.traffic.selected, app.checks.selected, app.focus_event), (None, None, None));
    }

    #[test]
    fn a_hot_reload_keeps_the_run_before_it_to_compare() {
        use crate::scenario::model::Metric;
        let source = crate::lessons::find("crash-duplicates").expect("a lesson").source;
        let mut app = app("crash-duplicates");
        for _ in 0..10 {
            press(&mut app, KeyCode::Right);
        }
        // The edit: billing becomes idempotent (what the lesson's variant does by hand).
        let edited = source.replacen("\"name\": \"billing\",", "\"name\": \"billing\", \"idempotent\": true,", 1);
        assert_ne!(edited, source, "the edit applies");
        app.reload(load_str(&edited, "crash-duplicates", &Limits::default()).expect("valid")).expect("compiles");
        let before = app.experiments.before.clone().expect("the run before the edit is kept");
        assert_eq!(before.label, "before the edit");
        assert!(before.complete, "run to its end, to compare whole runs");
        assert_eq!(before.group("billing").expect("billing").duplicate_effects, 4);
        assert_eq!(app.step_number(), 0, "the edited run starts over");
        press(&mut app, KeyCode::Char('e'));
        assert_eq!(app.analysis().metric(Metric::DuplicateEffects, None), 0);
    }

    #[test]
    fn a_lesson_is_copied_to_a_file_the_run_goes_on_from() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let source = crate::lessons::find("fan-out").expect("a lesson").source;
        let mut first = app("fan-out").with_source(source, None);
        first.origin = crate::lessons::find("fan-out").expect("a lesson").origin();
        first.copy_lesson(dir.path());
        let path = dir.path().join("fan-out.json");
        assert_eq!(std::fs::read_to_string(&path).expect("written"), source);
        assert_eq!(first.path.as_deref(), Some(path.as_path()));
        assert!(first.message.as_deref().is_some_and(|m| m.contains("wrote")), "{:?}", first.message);
        // A second time: the file is the run's now.
        first.copy_lesson(dir.path());
        assert!(first.message.as_deref().is_some_and(|m| m.contains("edit it there")), "{:?}", first.message);
        // An edited copy is never overwritten.
        std::fs::write(&path, "{}").expect("writes");
        let mut again = app("fan-out").with_source(source, None);
        again.origin = crate::lessons::find("fan-out").expect("a lesson").origin();
        again.copy_lesson(dir.path());
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), "{}");
        assert!(again.message.as_deref().is_some_and(|m| m.contains("not overwritten")), "{:?}", again.message);
    }

    #[test]
    fn findings_jump_to_their_step() {
        let mut app = app("crash-duplicates");
        press(&mut app, KeyCode::Char('e'));
        press(&mut app, KeyCode::Char('n'));
        let f = app.analysis().findings()[0];
        assert_eq!(app.traffic.selected, Some((f.step - 1) as usize));
        assert!(app.message.as_deref().is_some_and(|m| m.contains("twice")), "{:?}", app.message);
        assert_eq!(app.step_number(), f.step as usize, "the cursor is at the finding");
        assert!(app.analysis().findings().contains(&f));
        press(&mut app, KeyCode::Char('6'));
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.view, View::Traffic);
    }

    #[test]
    fn a_what_if_switch_keeps_the_figures_before() {
        let source = crate::lessons::find("crash-duplicates").expect("a lesson").source;
        let mut app = app("crash-duplicates").with_source(source, None);
        assert!(app.experiments.variants.iter().any(|(n, _)| n == "idempotent-billing"));
        press(&mut app, KeyCode::Char('e'));
        let duplicates = app.analysis().metric(crate::scenario::model::Metric::DuplicateEffects, Some(0));
        assert!(duplicates > 0);
        press(&mut app, KeyCode::Char('v'));
        assert_eq!(app.experiments.menu, Some(0));
        let row = 1 + app.experiments.variants.iter().position(|(n, _)| n == "idempotent-billing").expect("there");
        for _ in 0..row {
            press(&mut app, KeyCode::Down);
        }
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.experiments.menu, None);
        assert_eq!(app.experiments.current.as_deref(), Some("idempotent-billing"));
        assert_eq!(app.step_number(), 0, "the run restarted");
        assert!(app.model().scenario.name.contains("what if: idempotent-billing"));
        let before = app.experiments.before.clone().expect("kept");
        assert!(before.complete);
        assert_eq!(before.label, "as written");
        assert_eq!(before.group("billing").expect("billing").duplicate_effects, duplicates);
        press(&mut app, KeyCode::Char('e'));
        assert_eq!(app.analysis().metric(crate::scenario::model::Metric::DuplicateEffects, Some(0)), 0);
        // Esc closes the menu without switching.
        press(&mut app, KeyCode::Char('v'));
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.experiments.menu, None);
        assert_eq!(app.experiments.current.as_deref(), Some("idempotent-billing"));
        // From one variant to another, the comparison stays with the lesson as written.
        let row = 1 + app.experiments.variants.iter().position(|(n, _)| n == "commit-after").expect("there");
        app.switch(row);
        assert_eq!(app.experiments.current.as_deref(), Some("commit-after"));
        let before = app.experiments.before.clone().expect("kept");
        assert_eq!(before.label, "as written");
        assert_eq!(before.group("billing").expect("billing").duplicate_effects, duplicates);
        let e = app
            .model()
            .scenario
            .expect
            .iter()
            .find(|e| e.metric == Some(crate::scenario::model::Metric::DuplicateEffects));
        assert_eq!(before.expectation(e.expect("an expectation on duplicate effects")), Some(duplicates.into()));
        // Back to the lesson as written, the variant is the one to compare with.
        app.switch(0);
        assert_eq!(app.experiments.before.as_ref().map(|b| b.label.as_str()), Some("commit-after"));
    }

    #[test]
    fn in_a_lesson_the_answers_wait_for_the_end_or_r() {
        let source = crate::lessons::find("fan-out").expect("a lesson").source;
        let mut app = app("fan-out").with_source(source, None);
        assert!(!app.answers_shown(), "a lesson opens with its targets hidden");
        assert!(app.answers_hidden());
        press(&mut app, KeyCode::Char('r'));
        assert!(app.answers_shown() && app.predictions.revealed);
        assert!(app.message.as_deref().is_some_and(|m| m.starts_with("revealed")), "{:?}", app.message);
        press(&mut app, KeyCode::Char('r'));
        assert!(!app.answers_shown(), "r hides them again");
        press(&mut app, KeyCode::Char('e'));
        assert!(app.answers_shown(), "the end of the run shows them");
        assert!(!app.answers_hidden());
        press(&mut app, KeyCode::Home);
        assert!(!app.answers_shown(), "as the step shown: back at step 0 they hide again");
        // A new run (a what-if switch) hides what r showed.
        press(&mut app, KeyCode::Char('r'));
        app.switch(1);
        assert_eq!(app.experiments.current.as_deref(), Some("third-service"));
        assert!(!app.answers_shown());
        // A scenario without notes is not a lesson: its targets show all along.
        let mut scenario = load_str(source, "fan-out", &Limits::default()).expect("valid");
        scenario.notes.clear();
        let mut app = App::new("x".to_owned(), None, scenario, None, Limits::default()).expect("compiles");
        assert!(app.answers_shown() && !app.answers_hidden());
        press(&mut app, KeyCode::Char('r'));
        assert!(!app.predictions.revealed);
        assert!(app.message.as_deref().is_some_and(|m| m.contains("not a lesson")), "{:?}", app.message);
    }

    #[test]
    fn a_guess_typed_before_playing_is_kept_for_its_expectation() {
        let mut app = app("fan-out");
        press(&mut app, KeyCode::Char('p'));
        assert!(app.predictions.prompt.is_some());
        // The prompt takes the keys: `2` is a digit typed, not the Traffic view.
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Char('1'));
        press(&mut app, KeyCode::Char('5'));
        assert_eq!(app.view, View::Flow);
        press(&mut app, KeyCode::Enter);
        assert!(app.predictions.prompt.is_none());
        // fan-out's second expectation: billing delivered = 30.
        assert_eq!(app.predictions.guesses, [(1, 15.0)]);
        let message = app.message.clone().unwrap_or_default();
        assert!(message.starts_with("your guess: 15 for billing delivered = ?;"), "{message}");
        // Esc closes the prompt without a guess; q typed into it does not quit.
        press(&mut app, KeyCode::Char('p'));
        press(&mut app, KeyCode::Char('q'));
        press(&mut app, KeyCode::Esc);
        assert!(!app.quit && app.predictions.prompt.is_none());
        assert_eq!(app.predictions.guesses.len(), 1);
        press(&mut app, KeyCode::Char('e'));
        let actual = app.analysis().check(app.trace(), &app.model().scenario.expect[1]).actual;
        assert!(!crate::tui::predict::matches(15.0, &actual), "30 each, not 15");
        // A scenario with no number to guess says so.
        let mut scenario = load_str(crate::lessons::find("fan-out").expect("a lesson").source, "x", &Limits::default())
            .expect("valid");
        scenario.expect.clear();
        let mut app = App::new("x".to_owned(), None, scenario, None, Limits::default()).expect("compiles");
        press(&mut app, KeyCode::Char('p'));
        assert!(app.predictions.prompt.is_none());
        assert!(app.message.as_deref().is_some_and(|m| m.contains("no expectation")), "{:?}", app.message);
    }

    #[test]
    fn a_what_if_keeps_the_run_wide_figures_before() {
        use crate::scenario::model::Metric;
        let source = crate::lessons::find("order-saga").expect("a lesson").source;
        let mut app = app("order-saga").with_source(source, None);
        press(&mut app, KeyCode::Char('v'));
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.experiments.current.as_deref(), Some("no-compensation"));
        let before = app.experiments.before.clone().expect("kept");
        assert_eq!(before.run_figure(Metric::SagasCompensated), Some(2));
        assert_eq!(before.run_figure(Metric::SagasUncompensated), Some(0));
        assert_eq!(before.run_figure(Metric::Unrouted), Some(1));
        assert_eq!(before.run_figure(Metric::ReadModelMismatches), None, "no read models here");
        press(&mut app, KeyCode::Char('e'));
        assert_eq!(app.analysis().metric(Metric::SagasUncompensated, None), 2);
    }

    #[test]
    fn standing_findings_are_marked_and_reached_by_n_and_brackets() {
        let source = crate::lessons::find("order-saga").expect("a lesson").source;
        let scenario =
            crate::scenario::load::load_str_variant(source, "order-saga", &Limits::default(), Some("no-compensation"))
                .expect("valid");
        let mut app = App::new("order-saga".to_owned(), None, scenario, None, Limits::default()).expect("compiles");
        assert!(app.analysis().findings().is_empty(), "uncompensated sagas are standing findings only");
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.step_number(), 14, "the first failed saga, decided at step 14");
        assert_eq!(app.checks.selected, Some(0));
        assert!(app.message.as_deref().is_some_and(|m| m.contains("not compensated")), "{:?}", app.message);
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.step_number(), 72);
        press(&mut app, KeyCode::Char('n'));
        assert_eq!(app.step_number(), 14, "round to the first");
        press(&mut app, KeyCode::Char('N'));
        assert_eq!(app.step_number(), 72, "round to the last");
        let t = app.trace().steps[13].t_us;
        let mut standing = app.standing_findings();
        standing.sort_by_key(|f| f.step);
        assert_eq!(app.timeline.mark_between(t, t + 1, &standing), Some(MarkerKind::Finding));
        press(&mut app, KeyCode::Home);
        while app.step_number() < 14 {
            press(&mut app, KeyCode::Char(']'));
        }
        assert_eq!(app.step_number(), 14, "] stops at the failed saga");
    }

    #[test]
    fn a_record_committed_before_its_processing_is_not_lost_while_in_hand() {
        use crate::scenario::model::Metric;
        let mut app = app("delivery-guarantees");
        for _ in 0..81 {
            press(&mut app, KeyCode::Right);
        }
        let a = app.analysis();
        assert_eq!(a.metric(Metric::Lost, None), 1, "committed, not completed yet");
        assert_eq!(a.lost_in_hand(None), 1, "commit-before#1 holds it");
        assert!(app.standing_findings().iter().all(|f| f.class != crate::analysis::FindingClass::Lost));
        press(&mut app, KeyCode::Char('e'));
        assert_eq!(app.analysis().lost_in_hand(None), 0);
        assert!(app.standing_findings().iter().any(|f| f.class == crate::analysis::FindingClass::Lost));
    }

    #[test]
    fn the_finding_picked_in_checks_stays_picked_as_rows_move() {
        // delivery-guarantees: a standing loss, then findings after it as the run goes on.
        let mut app = app("delivery-guarantees");
        while !app.standing_findings().iter().any(|f| f.class == crate::analysis::FindingClass::Lost) {
            press(&mut app, KeyCode::Right);
        }
        press(&mut app, KeyCode::Char('6'));
        press(&mut app, KeyCode::Char('G'));
        let picked = app.checks.selected.and_then(|i| app.check_row(i)).expect("a row");
        assert_eq!(picked.class, crate::analysis::FindingClass::Lost);
        let before = app.analysis().findings().len();
        press(&mut app, KeyCode::Char('e'));
        assert!(app.analysis().findings().len() > before, "findings came after it");
        assert_eq!(app.checks.selected.and_then(|i| app.check_row(i)), Some(picked));
    }

    #[test]
    fn lost_work_is_listed_after_the_findings() {
        let mut app = app("delivery-guarantees");
        press(&mut app, KeyCode::Char('e'));
        let standing = app.standing_findings();
        assert!(standing.iter().any(|f| f.class == crate::analysis::FindingClass::Lost), "{standing:?}");
        let n = app.analysis().findings().len();
        assert_eq!(app.check_row(n), Some(standing[0]));
        press(&mut app, KeyCode::Char('6'));
        press(&mut app, KeyCode::Char('G'));
        assert_eq!(app.checks.selected, Some(n + standing.len() - 1));
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.view, View::Traffic);
        assert_eq!(app.step_number() as u64, standing[standing.len() - 1].step);
    }

    #[test]
    fn n_from_the_start_computes_up_to_the_first_finding() {
        let mut app = app("crash-duplicates");
        press(&mut app, KeyCode::Char('n'));
        let first = app.analysis().findings()[0];
        assert_eq!(app.step_number() as u64, first.step);
        assert_eq!(app.checks.selected, Some(0));
        assert!(app.message.as_deref().is_some_and(|m| !m.contains("from the start")), "{:?}", app.message);
    }

    #[test]
    fn a_fault_mark_says_the_fault_as_the_file_does() {
        let mut app = app("crash-duplicates");
        while !app.message.as_deref().is_some_and(|m| m.contains("fault")) {
            let at = app.step_number();
            press(&mut app, KeyCode::Char(']'));
            assert!(app.step_number() > at, "a fault mark ahead: {:?}", app.message);
        }
        let message = app.message.clone().unwrap_or_default();
        assert!(
            message.contains(r#"fault {"at": "3700ms", "crash": "billing#2", "restart_after": "2s"}"#),
            "{message}"
        );
    }

    #[test]
    fn a_fault_without_a_step_marks_the_first_step_it_is_in_effect_at() {
        // event-sourcing's duplicate window opens at 750 ms and writes no step of its own; in
        // its what if no note shares that microsecond either.
        for variant in [None, Some("idempotent-projector")] {
            let source = crate::lessons::find("event-sourcing").expect("a lesson").source;
            let scenario =
                crate::scenario::load::load_str_variant(source, "es", &Limits::default(), variant).expect("valid");
            let mut app = App::new("event-sourcing".to_owned(), None, scenario, None, Limits::default()).expect("ok");
            while !app.message.as_deref().is_some_and(|m| m.contains("fault")) {
                let at = app.step_number();
                press(&mut app, KeyCode::Char(']'));
                assert!(app.step_number() > at, "{variant:?}: {:?}", app.message);
            }
            let n = app.step_number();
            let step = app.trace().steps[n - 1];
            assert!(step.t_us >= 750_000 && step.kind != crate::trace::StepKind::Note, "{variant:?}: {step:?}");
            assert!(
                app.trace().steps[..n - 1].iter().all(|s| s.t_us < 750_000 || s.kind == crate::trace::StepKind::Note)
            );
            let message = app.message.clone().unwrap_or_default();
            assert!(message.starts_with(&format!("step {n}: fault {{")), "{message}");
            assert!(message.contains("in effect from this step (it writes no step of its own)"), "{message}");
        }
    }

    #[test]
    fn a_lesson_opens_with_its_first_note_and_brackets_reach_notes_not_computed_yet() {
        let mut app = app("read-model-lag");
        assert_eq!(app.step_number(), 0);
        let first = &app.model().scenario.notes[0].text;
        assert_eq!(app.notes(), vec![(0, first.as_str())]);
        // The note at 0 s shows already (no marker); the next, at 1 s, is not computed yet:
        // ] computes up to it and stops once everything due at 1 s, which it tells of, is
        // shown: at the first step after it.
        press(&mut app, KeyCode::Char(']'));
        let at = app.step_number();
        assert!(app.now() > 1_000_000);
        assert!(app.trace().steps[at - 2].t_us <= 1_000_000, "the first step after 1 s");
        assert_eq!(app.notes().len(), 2);
        assert!(
            app.message
                .as_deref()
                .is_some_and(|m| m == format!("step {at}: the note of 1.000s, all of its moment shown"))
        );
        // One step back, the moment of the note is not over as far as the screen knows.
        press(&mut app, KeyCode::Left);
        assert_eq!(app.notes().len(), 1);
        // Past the last marker the cursor stays where it was.
        press(&mut app, KeyCode::Char('e'));
        let end = app.step_number();
        press(&mut app, KeyCode::Char(']'));
        assert_eq!(app.step_number(), end);
        assert!(app.message.as_deref().is_some_and(|m| m.starts_with("no fault, finding or note after step")));
    }

    #[test]
    fn stepping_back_home_end_and_markers() {
        let mut app = app("crash-duplicates");
        for _ in 0..50 {
            press(&mut app, KeyCode::Right);
        }
        let at = app.step_number();
        let published = app.analysis().published();
        press(&mut app, KeyCode::Left);
        assert_eq!(app.step_number(), at - 1);
        press(&mut app, KeyCode::Char('h'));
        assert_eq!(app.step_number(), at - 2);
        press(&mut app, KeyCode::Right);
        press(&mut app, KeyCode::Right);
        assert_eq!(app.step_number(), at);
        assert_eq!(app.analysis().published(), published);
        press(&mut app, KeyCode::Home);
        assert_eq!(app.step_number(), 0);
        assert_eq!(app.analysis().published(), 0);
        assert_eq!(app.now(), 0);
        press(&mut app, KeyCode::Left);
        assert_eq!(app.step_number(), 0);
        press(&mut app, KeyCode::End);
        assert_eq!(app.step_number(), at, "End: the last computed step, nothing more computed");
        assert!(!app.finished());
        press(&mut app, KeyCode::Char('e'));
        assert!(app.finished());
        let end = app.step_number();
        press(&mut app, KeyCode::Home);
        press(&mut app, KeyCode::Char(']'));
        let first = app.step_number();
        assert!(first > 0 && app.message.as_deref().is_some_and(|m| m.starts_with(&format!("step {first}: "))));
        press(&mut app, KeyCode::Char(']'));
        assert!(app.step_number() > first);
        press(&mut app, KeyCode::Char('['));
        assert_eq!(app.step_number(), first);
        // Playing from an earlier step goes on through the computed steps to the end.
        press(&mut app, KeyCode::Char(' '));
        while app.playing {
            app.advance(1_000_000);
        }
        assert_eq!(app.step_number(), end);
        assert!(app.finished());
    }
}
