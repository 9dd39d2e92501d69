//! The TUI's state and what actions do to it — no terminal here, so input logic is tested
//! by feeding actions and asserting on the state.

use std::path::PathBuf;
use std::sync::Arc;

use super::action::Action;
use crate::analysis::Analysis;
use crate::run::RunError;
use crate::scenario::model::Scenario;
use crate::sim::{Model, Simulator};
use crate::trace::{EventIdx, NO_EVENT};

/// The six views, on keys `1`–`6`.
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
}

/// Playback speeds: virtual time per wall time. The last is "as fast as possible".
pub const SPEEDS: [f64; 11] = [0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0, f64::INFINITY];
const DEFAULT_SPEED: usize = 4;

/// How many steps one tick may compute, so input stays responsive at any speed.
pub const STEPS_PER_TICK: usize = 50_000;

/// A list's selection: `None` follows the newest row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub selected: Option<usize>,
}

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
    pub max_steps: u64,
    pub sim: Simulator,
    pub analysis: Analysis,
    pub playing: bool,
    pub speed: usize,
    /// Virtual µs the pacer has asked for.
    pub target_us: f64,
    pub view: View,
    /// Traffic: the selected step index (`None` follows the newest).
    pub traffic: Selection,
    /// Checks: the selected finding.
    pub checks: Selection,
    /// The event the Chains view and the inspector are about.
    pub focus_event: Option<EventIdx>,
    pub inspector: bool,
    pub filter: Filter,
    pub help: bool,
    /// A one-line message for the footer (a reload, a run-away run).
    pub message: Option<String>,
    /// A reload's validation error, shown until the file is fixed.
    pub error: Option<String>,
    pub quit: bool,
}

impl App {
    pub fn new(
        origin: String,
        path: Option<PathBuf>,
        scenario: Scenario,
        seed: Option<u64>,
        max_steps: u64,
    ) -> Result<Self, RunError> {
        let (sim, analysis) = Self::start(scenario, seed, max_steps)?;
        Ok(App {
            origin,
            path,
            seed,
            max_steps,
            sim,
            analysis,
            playing: false,
            speed: DEFAULT_SPEED,
            target_us: 0.0,
            view: View::Flow,
            traffic: Selection::default(),
            checks: Selection::default(),
            focus_event: None,
            inspector: false,
            filter: Filter::default(),
            help: false,
            message: None,
            error: None,
            quit: false,
        })
    }

    fn start(scenario: Scenario, seed: Option<u64>, max_steps: u64) -> Result<(Simulator, Analysis), RunError> {
        let seed = seed.unwrap_or(scenario.seed);
        let model = Arc::new(Model::compile(Arc::new(scenario), seed)?);
        Ok((Simulator::new(Arc::clone(&model), max_steps), Analysis::new(model)))
    }

    pub fn model(&self) -> &Arc<Model> {
        self.sim.model()
    }

    /// The number of the current step (0 before the first).
    pub fn step_number(&self) -> usize {
        self.sim.trace().steps.len()
    }

    pub fn finished(&self) -> bool {
        self.sim.is_finished()
    }

    /// Restarts on a new version of the scenario (hot reload), keeping the view.
    pub fn reload(&mut self, scenario: Scenario) -> Result<(), RunError> {
        let (sim, analysis) = Self::start(scenario, self.seed, self.max_steps)?;
        self.sim = sim;
        self.analysis = analysis;
        self.target_us = 0.0;
        self.traffic = Selection::default();
        self.checks = Selection::default();
        self.focus_event = None;
        self.inspector = false;
        self.error = None;
        self.message = Some("scenario changed on disk: reloaded and restarted".to_owned());
        Ok(())
    }

    /// Runs the simulator up to `target` virtual µs, at most `budget` steps; the analysis
    /// follows. A run that passes its step limit stops with a message.
    fn run_to(&mut self, target: u64, budget: usize) {
        let start = self.sim.trace().steps.len();
        while self.sim.trace().steps.len() - start < budget {
            match self.sim.step_until(target) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    self.message = Some(e.to_string());
                    self.playing = false;
                    break;
                }
            }
        }
        self.analysis.observe(self.sim.trace());
    }

    /// The pacer's tick: `wall_us` of wall time passed.
    pub fn advance(&mut self, wall_us: u64) {
        if !self.playing {
            return;
        }
        let speed = SPEEDS[self.speed];
        if speed.is_infinite() {
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

    /// One step forward (a processed item may write more than one step).
    pub fn step_forward(&mut self) {
        match self.sim.step() {
            Ok(_) => {}
            Err(e) => self.message = Some(e.to_string()),
        }
        self.analysis.observe(self.sim.trace());
        self.target_us = self.target_us.max(self.sim.now() as f64);
    }

    /// Steps that pass the filter, newest last (all when there is no filter).
    pub fn matches(&self, step: usize) -> bool {
        let needle = self.filter.text.trim();
        if needle.is_empty() {
            return true;
        }
        let trace = self.sim.trace();
        let s = &trace.steps[step];
        let mut hay: Vec<&str> = Vec::new();
        let correlation;
        if s.event != NO_EVENT {
            let e = trace.event(s.event);
            hay.push(trace.strings.resolve(e.event_type));
            if let Some(k) = e.key {
                hay.push(trace.strings.resolve(k));
            }
            correlation = e.correlation.render(&trace.strings);
            hay.push(&correlation);
        }
        if s.group != crate::trace::NONE16 {
            hay.push(&self.model().groups[usize::from(s.group)].name);
        }
        let kind = s.kind.name();
        hay.push(kind);
        let needle = needle.to_lowercase();
        hay.iter().any(|h| h.to_lowercase().contains(&needle))
    }

    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        self.message = None;
        match action {
            Action::Quit => self.quit = true,
            Action::TogglePlay => {
                self.playing = !self.playing && !self.finished();
                self.target_us = self.target_us.max(self.sim.now() as f64);
            }
            Action::StepForward => {
                self.playing = false;
                self.step_forward();
            }
            Action::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Action::Slower => self.speed = self.speed.saturating_sub(1),
            Action::RunToEnd => {
                self.playing = false;
                self.run_to(u64::MAX, usize::MAX);
                self.target_us = self.model().duration as f64;
            }
            Action::ShowView(view) => self.view = view,
            Action::NextPanel => {
                let next = (View::ALL.iter().position(|&v| v == self.view).unwrap_or(0) + 1) % View::ALL.len();
                self.view = View::ALL[next];
            }
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-20),
            Action::PageDown => self.move_selection(20),
            Action::Top => self.move_selection(isize::MIN / 2),
            Action::Bottom => self.move_selection(isize::MAX / 2),
            Action::Follow => self.traffic.selected = None,
            Action::Inspect => self.inspect(),
            Action::Back => {
                if self.help {
                    self.help = false;
                } else if self.inspector {
                    self.inspector = false;
                } else {
                    self.filter = Filter::default();
                }
            }
            Action::Filter => self.filter.editing = true,
            Action::Help => self.help = !self.help,
            Action::NextFinding => self.jump_finding(1),
            Action::PreviousFinding => self.jump_finding(-1),
        }
    }

    /// Typing into the filter: returns whether the key was consumed.
    pub fn edit_filter(&mut self, key: crossterm::event::KeyEvent) -> bool {
        use crossterm::event::KeyCode;
        if !self.filter.editing {
            return false;
        }
        match key.code {
            KeyCode::Enter => self.filter.editing = false,
            KeyCode::Esc => self.filter = Filter::default(),
            KeyCode::Backspace => {
                self.filter.text.pop();
            }
            KeyCode::Char(c) => self.filter.text.push(c),
            _ => {}
        }
        self.traffic.selected = None;
        true
    }

    /// Rows of the current list (Traffic: steps that match the filter; Checks: findings).
    fn move_selection(&mut self, delta: isize) {
        if self.view == View::Checks {
            let n = self.analysis.findings().len();
            if n > 0 {
                let at = self.checks.selected.unwrap_or(0) as isize;
                self.checks.selected = Some(at.saturating_add(delta).clamp(0, n as isize - 1) as usize);
            }
        } else {
            let n = self.sim.trace().steps.len();
            if n == 0 {
                return;
            }
            let at = self.traffic.selected.unwrap_or(n - 1);
            let target = (at as isize).saturating_add(delta).clamp(0, n as isize - 1) as usize;
            // Land on a row that passes the filter: in the direction of travel, or, at
            // either end, the nearest one the other way.
            let forward = || (target..n).find(|&s| self.matches(s));
            let backward = || (0..=target).rev().find(|&s| self.matches(s));
            let found = if delta < 0 { backward().or_else(forward) } else { forward().or_else(backward) };
            let Some(target) = found else { return };
            self.traffic.selected = Some(target);
            let event = self.sim.trace().steps[target].event;
            if event != NO_EVENT {
                self.focus_event = Some(event);
            }
        }
    }

    /// Enter: on a finding, go to its step in Traffic; on a step, inspect its event.
    fn inspect(&mut self) {
        if self.view == View::Checks {
            if let Some(f) = self.checks.selected.and_then(|i| self.analysis.findings().get(i)).copied() {
                self.view = View::Traffic;
                self.traffic.selected = Some((f.step - 1) as usize);
                self.focus_event = Some(f.event);
            }
        } else {
            let step = self.traffic.selected.or_else(|| self.sim.trace().steps.len().checked_sub(1));
            if let Some(event) = step.map(|s| self.sim.trace().steps[s].event).filter(|&e| e != NO_EVENT) {
                self.focus_event = Some(event);
                self.inspector = true;
            }
        }
    }

    /// `n` / `N`: the next or previous finding after the current selection.
    fn jump_finding(&mut self, direction: isize) {
        let n = self.analysis.findings().len();
        if n == 0 {
            self.message = Some("no findings so far".to_owned());
            return;
        }
        let next = match self.checks.selected {
            None if direction > 0 => 0,
            None => n - 1,
            Some(i) => (i as isize + direction).rem_euclid(n as isize) as usize,
        };
        self.checks.selected = Some(next);
        let f = self.analysis.findings()[next];
        self.traffic.selected = Some((f.step - 1) as usize);
        self.focus_event = Some(f.event);
        self.message = Some(self.analysis.explain(self.sim.trace(), &f));
    }

    /// Lesson notes whose time has come, newest last.
    pub fn notes(&self) -> Vec<(u64, &str)> {
        self.analysis.notes().iter().map(|&(t, i)| (t, self.model().scenario.notes[i as usize].text.as_str())).collect()
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
        App::new(lesson.to_owned(), None, scenario, None, 10_000_000).expect("compiles")
    }

    fn press(app: &mut App, code: KeyCode) {
        let key = KeyEvent::from(code);
        if !app.edit_filter(key)
            && let Some(action) = action_for(key)
        {
            app.apply(action);
        }
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
        assert!(app.sim.now() as f64 <= app.target_us);
        press(&mut app, KeyCode::Char('+'));
        press(&mut app, KeyCode::Char('+'));
        assert!((SPEEDS[app.speed] - 5.0).abs() < f64::EPSILON);
        press(&mut app, KeyCode::End);
        assert!(app.finished());
        assert!(!app.playing);
        assert_eq!(app.analysis.observed(), app.step_number());
        press(&mut app, KeyCode::Char('q'));
        assert!(app.quit);
    }

    #[test]
    fn views_selection_filter_and_inspector() {
        let mut app = app("crash-duplicates");
        press(&mut app, KeyCode::End);
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
        assert_eq!(app.sim.trace().steps[first].kind, crate::trace::StepKind::Crashed);
        press(&mut app, KeyCode::Esc);
        assert!(app.filter.text.is_empty());
        press(&mut app, KeyCode::Char('G'));
        press(&mut app, KeyCode::Enter);
        assert!(app.inspector || app.sim.trace().steps[app.traffic.selected.unwrap()].event == NO_EVENT);
        press(&mut app, KeyCode::Esc);
        assert!(!app.inspector);
    }

    #[test]
    fn findings_jump_to_their_step() {
        let mut app = app("crash-duplicates");
        press(&mut app, KeyCode::End);
        press(&mut app, KeyCode::Char('n'));
        let f = app.analysis.findings()[0];
        assert_eq!(app.traffic.selected, Some((f.step - 1) as usize));
        assert!(app.message.as_deref().is_some_and(|m| m.contains("twice")), "{:?}", app.message);
        press(&mut app, KeyCode::Char('6'));
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.view, View::Traffic);
    }
}
