//! What a key does: one documented [`Action`] enum and the keymap as data. The help
//! screen and the key-hint bar are generated from [`KEYMAP`], so they cannot drift from
//! what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::View;

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
}

/// A key as the help screen shows it, and the keys that match it.
pub struct Binding {
    pub keys: &'static str,
    pub codes: &'static [KeyCode],
    pub action: Action,
    pub help: &'static str,
}

/// The keymap, in the order the help screen lists it.
pub const KEYMAP: &[Binding] = &[
    Binding { keys: "space", codes: &[KeyCode::Char(' ')], action: Action::TogglePlay, help: "play / pause" },
    Binding {
        keys: "→ l",
        codes: &[KeyCode::Right, KeyCode::Char('l')],
        action: Action::StepForward,
        help: "step forward",
    },
    Binding { keys: "← h", codes: &[KeyCode::Left, KeyCode::Char('h')], action: Action::StepBack, help: "step back" },
    Binding { keys: "Home", codes: &[KeyCode::Home], action: Action::First, help: "step 0" },
    Binding { keys: "End", codes: &[KeyCode::End], action: Action::Last, help: "the last computed step" },
    Binding {
        keys: "e",
        codes: &[KeyCode::Char('e')],
        action: Action::RunToEnd,
        help: "run to the end of the scenario",
    },
    Binding {
        keys: "[ ]",
        codes: &[KeyCode::Char('[')],
        action: Action::PreviousMarker,
        help: "previous / next fault, finding or note",
    },
    Binding { keys: "", codes: &[KeyCode::Char(']')], action: Action::NextMarker, help: "" },
    Binding {
        keys: "+ -",
        codes: &[KeyCode::Char('+'), KeyCode::Char('=')],
        action: Action::Faster,
        help: "faster / slower",
    },
    Binding { keys: "", codes: &[KeyCode::Char('-'), KeyCode::Char('_')], action: Action::Slower, help: "" },
    Binding {
        keys: "1-6",
        codes: &[KeyCode::Char('1')],
        action: Action::ShowView(View::Flow),
        help: "views: flow, traffic, chains, lag, state, checks",
    },
    Binding { keys: "", codes: &[KeyCode::Char('2')], action: Action::ShowView(View::Traffic), help: "" },
    Binding { keys: "", codes: &[KeyCode::Char('3')], action: Action::ShowView(View::Chains), help: "" },
    Binding { keys: "", codes: &[KeyCode::Char('4')], action: Action::ShowView(View::Lag), help: "" },
    Binding { keys: "", codes: &[KeyCode::Char('5')], action: Action::ShowView(View::State), help: "" },
    Binding { keys: "", codes: &[KeyCode::Char('6')], action: Action::ShowView(View::Checks), help: "" },
    Binding { keys: "Tab", codes: &[KeyCode::Tab], action: Action::NextPanel, help: "next view" },
    Binding {
        keys: "↑ ↓ k j",
        codes: &[KeyCode::Up, KeyCode::Char('k')],
        action: Action::Up,
        help: "move the selection",
    },
    Binding { keys: "", codes: &[KeyCode::Down, KeyCode::Char('j')], action: Action::Down, help: "" },
    Binding { keys: "PgUp PgDn", codes: &[KeyCode::PageUp], action: Action::PageUp, help: "scroll a page" },
    Binding { keys: "", codes: &[KeyCode::PageDown], action: Action::PageDown, help: "" },
    Binding { keys: "g G", codes: &[KeyCode::Char('g')], action: Action::Top, help: "first / last row" },
    Binding { keys: "", codes: &[KeyCode::Char('G')], action: Action::Bottom, help: "" },
    Binding { keys: "f", codes: &[KeyCode::Char('f')], action: Action::Follow, help: "follow new steps" },
    Binding {
        keys: "Enter",
        codes: &[KeyCode::Enter],
        action: Action::Inspect,
        help: "inspect the event / go to the finding's step",
    },
    Binding { keys: "Esc", codes: &[KeyCode::Esc], action: Action::Back, help: "close / clear the filter" },
    Binding {
        keys: "/",
        codes: &[KeyCode::Char('/')],
        action: Action::Filter,
        help: "filter by type, key, correlation id, group",
    },
    Binding {
        keys: "n N",
        codes: &[KeyCode::Char('n')],
        action: Action::NextFinding,
        help: "next / previous finding (the cursor goes there)",
    },
    Binding { keys: "", codes: &[KeyCode::Char('N')], action: Action::PreviousFinding, help: "" },
    Binding {
        keys: "w",
        codes: &[KeyCode::Char('w')],
        action: Action::Record,
        help: "write the trace so far to a file",
    },
    Binding { keys: "?", codes: &[KeyCode::Char('?')], action: Action::Help, help: "this help" },
    Binding { keys: "q", codes: &[KeyCode::Char('q')], action: Action::Quit, help: "quit" },
];

/// The action of a key press, if any (Ctrl-C always quits).
pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    KEYMAP.iter().find(|b| b.codes.contains(&key.code)).map(|b| b.action)
}

/// The help screen's lines: keys and what they do.
pub fn help_lines() -> Vec<(&'static str, &'static str)> {
    KEYMAP.iter().filter(|b| !b.help.is_empty()).map(|b| (b.keys, b.help)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_key_is_bound_once() {
        let mut seen = Vec::new();
        for binding in KEYMAP {
            for code in binding.codes {
                assert!(!seen.contains(code), "{code:?} bound twice");
                seen.push(*code);
            }
        }
        assert_eq!(action_for(KeyEvent::from(KeyCode::Char(' '))), Some(Action::TogglePlay));
        assert_eq!(action_for(KeyEvent::from(KeyCode::Char('4'))), Some(Action::ShowView(View::Lag)));
        assert_eq!(action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert!(help_lines().iter().any(|(k, h)| *k == "q" && *h == "quit"));
    }
}
