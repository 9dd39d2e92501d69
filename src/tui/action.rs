//! What a key does: one documented [`Action`] enum and the keymap as data. The help
//! screen and the key-hint bar are generated from [`KEYMAP`], so they cannot drift from
//! what the keys do.

use std::borrow::Cow;
use std::sync::LazyLock;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::views::View;

/// Everything a user can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    TogglePlay,
    StepForward,
    StepBack,
    /// Step 0.
    First,
    /// The last computed step.
    Last,
    Faster,
    Slower,
    /// Run to the end of the scenario.
    RunToEnd,
    ShowView(View),
    NextPanel,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the inspector on the selection (or jump to a finding's step).
    Inspect,
    /// Close a popup, clear a filter.
    Back,
    Filter,
    Help,
    NextFinding,
    PreviousFinding,
    /// Follow the newest steps (Traffic).
    Follow,
    /// The next fault, finding or note on the timeline.
    NextMarker,
    PreviousMarker,
    /// Write the trace computed so far to a file.
    Record,
    /// Open the "what if" menu (the scenario's variants).
    Experiments,
    /// In a lesson: show (or hide again) the answers before the end of the run.
    Reveal,
    /// Open the prediction prompt: a guess for one of the expectations.
    Predict,
    /// In a lesson: write it to `./NAME.json` and go on from that file, watched.
    CopyLesson,
    /// Show the lesson's note whole over the view (when it does not fit its area), or
    /// close it.
    ExpandNote,
    /// Export what is on screen to a file (see `tui::export`).
    Export,
}

/// A key as the help screen shows it, the keys that match it, and its hint on the key bar.
pub struct Binding {
    pub keys: Cow<'static, str>,
    pub codes: Vec<KeyCode>,
    pub action: Action,
    pub help: Cow<'static, str>,
    /// On the key bar at the foot of the screen: its keys, a word, and the views it is
    /// there in (every view when empty), when it is there.
    pub hints: Vec<Hint>,
}

/// A binding's place on the key bar.
pub struct Hint {
    pub keys: Cow<'static, str>,
    pub word: &'static str,
    /// The views whose key bar has it first; every view's (after those) when empty.
    pub views: &'static [View],
}

impl Binding {
    fn new(
        keys: impl Into<Cow<'static, str>>,
        codes: &[KeyCode],
        action: Action,
        help: impl Into<Cow<'static, str>>,
    ) -> Self {
        Binding { keys: keys.into(), codes: codes.to_vec(), action, help: help.into(), hints: Vec::new() }
    }

    /// Another key of the line above it in the help (a binding with no line of its own).
    fn more(codes: &[KeyCode], action: Action) -> Self {
        Self::new("", codes, action, "")
    }

    /// On every view's key bar too, as `keys` and `what`.
    fn hint(self, keys: impl Into<Cow<'static, str>>, what: &'static str) -> Self {
        self.hint_in(&[], keys, what)
    }

    /// On the key bar of `views`, first, as `keys` and `what`.
    fn hint_in(mut self, views: &'static [View], keys: impl Into<Cow<'static, str>>, what: &'static str) -> Self {
        self.hints.push(Hint { keys: keys.into(), word: what, views });
        self
    }
}

/// The keymap, in the order the help screen and the key bar list it.
pub static KEYMAP: LazyLock<Vec<Binding>> = LazyLock::new(keymap);

fn keymap() -> Vec<Binding> {
    use KeyCode::{Char, Down, End, Enter, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up};
    let mut map = vec![
        Binding::new("space", &[Char(' ')], Action::TogglePlay, "play / pause").hint("space", "play"),
        Binding::new("→ l", &[Right, Char('l')], Action::StepForward, "step forward").hint("← →", "step"),
        Binding::new("← h", &[Left, Char('h')], Action::StepBack, "step back"),
        Binding::new("Home", &[Home], Action::First, "step 0"),
        Binding::new("End", &[End], Action::Last, "the last computed step"),
        Binding::new("e", &[Char('e')], Action::RunToEnd, "run to the end of the scenario"),
        Binding::new("[ ]", &[Char('[')], Action::PreviousMarker, "previous / next fault, finding or note")
            .hint("[ ]", "marks"),
        Binding::more(&[Char(']')], Action::NextMarker),
        Binding::new("+ -", &[Char('+'), Char('=')], Action::Faster, "faster / slower").hint("+/-", "speed"),
        Binding::more(&[Char('-'), Char('_')], Action::Slower),
    ];
    // The views, from their one list: `1-6`, "views: flow, traffic, ...".
    for view in View::ALL {
        let codes = [Char(view.key())];
        map.push(if view.index() == 0 {
            let names: Vec<String> = View::ALL.iter().map(|v| v.title().to_lowercase()).collect();
            Binding::new(View::keys(), &codes, Action::ShowView(view), format!("views: {}", names.join(", ")))
                .hint(View::keys(), "views")
        } else {
            Binding::more(&codes, Action::ShowView(view))
        });
    }
    map.extend([
        Binding::new("Tab", &[Tab], Action::NextPanel, "next view"),
        Binding::new("↑ ↓ k j", &[Up, Char('k')], Action::Up, "move the selection")
            .hint_in(&[View::Traffic, View::Checks], "↑↓", "select")
            .hint_in(&[View::Chains], "↑↓", "event"),
        Binding::more(&[Down, Char('j')], Action::Down),
        Binding::new("PgUp PgDn", &[PageUp], Action::PageUp, "scroll a page"),
        Binding::more(&[PageDown], Action::PageDown),
        Binding::new("g G", &[Char('g')], Action::Top, "first / last row"),
        Binding::more(&[Char('G')], Action::Bottom),
        Binding::new("f", &[Char('f')], Action::Follow, "follow new steps").hint_in(&[View::Traffic], "f", "follow"),
        Binding::new("Enter", &[Enter], Action::Inspect, "inspect the event / go to the finding's step")
            .hint_in(&[View::Traffic, View::Chains], "Enter", "inspect")
            .hint_in(&[View::Checks], "Enter", "go to step"),
        Binding::new("Esc", &[Esc], Action::Back, "close / clear the filter"),
        Binding::new("/", &[Char('/')], Action::Filter, "filter by type, key, correlation id, group; Ctrl-U clears")
            .hint_in(&[View::Traffic], "/", "filter"),
        Binding::new("n N", &[Char('n')], Action::NextFinding, "next / previous finding (the cursor goes there)")
            .hint_in(&[View::Checks, View::Traffic], "n N", "findings"),
        Binding::more(&[Char('N')], Action::PreviousFinding),
        // On the key bar only when the scenario has variants, first: see `ui`'s footer.
        Binding::new(
            "v",
            &[Char('v')],
            Action::Experiments,
            "what if: restart on a variant, Checks shows before → now",
        ),
        // On the key bar in a lesson, before its end: see `ui`'s footer.
        Binding::new(
            "p",
            &[Char('p')],
            Action::Predict,
            "predict: guess an expectation's figure; Checks compares at the end",
        ),
        Binding::new(
            "r",
            &[Char('r')],
            Action::Reveal,
            "reveal: a lesson hides its targets (= ?) till the end; r shows them",
        ),
        // On the key bar when the note shown does not fit its area: see `ui`'s footer.
        Binding::new("m", &[Char('m')], Action::ExpandNote, "the lesson's note whole (when it is cut), or close it"),
        Binding::new("w", &[Char('w')], Action::Record, "write the trace so far to a file"),
        Binding::new("x", &[Char('x')], Action::Export, "export what is shown (Mermaid or SVG)"),
        Binding::new(
            "c",
            &[Char('c')],
            Action::CopyLesson,
            "copy a lesson to ./NAME.json, to edit: saving restarts the run",
        ),
        Binding::new("?", &[Char('?')], Action::Help, "this help").hint("?", "help"),
        Binding::new("q", &[Char('q')], Action::Quit, "quit").hint("q", "quit"),
    ]);
    map
}

/// The action of a key press, if any (Ctrl-C always quits).
pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    KEYMAP.iter().find(|b| b.codes.contains(&key.code)).map(|b| b.action)
}

/// The help screen's lines: keys and what they do.
pub fn help_lines() -> Vec<(&'static str, &'static str)> {
    KEYMAP.iter().filter(|b| !b.help.is_empty()).map(|b| (&*b.keys, &*b.help)).collect()
}

/// The key bar of `view`, in order: its own keys first (as the keymap lists them), then
/// those of every view; `?` and `q` are the last two, and the bar never drops them.
pub fn key_bar(view: View) -> Vec<(&'static str, &'static str)> {
    let hints = || KEYMAP.iter().flat_map(|b| &b.hints);
    let own = hints().filter(|h| h.views.contains(&view));
    let every = hints().filter(|h| h.views.is_empty());
    own.chain(every).map(|h| (&*h.keys, h.word)).collect()
}

/// The keys of `action` as the help shows them (`v`).
pub fn keys_of(action: Action) -> &'static str {
    KEYMAP.iter().find(|b| b.action == action).map_or("", |b| &*b.keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_key_is_bound_once() {
        let mut seen = Vec::new();
        for binding in KEYMAP.iter() {
            for code in &binding.codes {
                assert!(!seen.contains(code), "{code:?} bound twice");
                seen.push(*code);
            }
        }
        assert_eq!(action_for(KeyEvent::from(KeyCode::Char(' '))), Some(Action::TogglePlay));
        assert_eq!(action_for(KeyEvent::from(KeyCode::Char('4'))), Some(Action::ShowView(View::Lag)));
        assert_eq!(action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert!(help_lines().iter().any(|(k, h)| *k == "q" && *h == "quit"));
        assert!(help_lines().contains(&("1-6", "views: flow, traffic, chains, lag, state, checks")));
        assert_eq!(keys_of(Action::Experiments), "v");
        assert_eq!(keys_of(Action::Reveal), "r");
        assert_eq!(keys_of(Action::Predict), "p");
        let bar = |view| key_bar(view).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        assert_eq!(bar(View::Flow), ["space", "← →", "[ ]", "+/-", "1-6", "?", "q"]);
        assert_eq!(bar(View::Traffic), ["↑↓", "f", "Enter", "/", "n N", "space", "← →", "[ ]", "+/-", "1-6", "?", "q"]);
        assert_eq!(key_bar(View::Checks)[1], ("Enter", "go to step"));
        for view in View::ALL {
            assert_eq!(bar(view).split_last_chunk::<2>().map(|(_, last)| *last), Some(["?", "q"]), "{view:?}");
        }
    }
}
