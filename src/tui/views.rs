//! The views, one file each, and the tabs they sit on ([`View`]). What a view with a list
//! owns (its selection, and what the list keys do to it) is in [`super::list`].
//!
//! This file reads nothing else of the TUI: the keymap names views through it. The
//! renderers in `views/*.rs` read the whole app, as every `impl Widget for &App` does.

pub mod chains;
pub mod checks;
pub mod flow;
pub mod inspector;
pub mod lag;
pub mod state;
pub mod traffic;

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
