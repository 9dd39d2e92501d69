//! Predict, then reveal. In a lesson (a scenario with notes) the answers stay hidden until
//! the step shown is the end of the run or the learner reveals them (`r`): each
//! expectation's target (`= ?`) and, after a "what if" switch, its before → now. Before
//! playing, `p` asks for a guess: the learner picks an expectation and types a number, and
//! at the end the Checks view shows the guess beside the actual figure.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;

use crate::scenario::model::Expectation;

/// The learner's guesses, the prompt that takes them, and whether the answers are revealed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Predictions {
    /// The prompt, when open.
    pub prompt: Option<Prompt>,
    /// Guesses kept: (index of the expectation in the scenario's `expect`, the number),
    /// one per expectation, in the order they were made.
    pub guesses: Vec<(usize, f64)>,
    /// `r` was pressed: the answers show before the end of the run.
    pub revealed: bool,
}

/// The open prompt: the expectation chosen and the text typed so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prompt {
    /// The chosen row of [`guessable`]'s list.
    pub row: usize,
    pub text: String,
}

/// What a key did in the prompt.
#[derive(Clone, Debug, PartialEq)]
pub enum Typed {
    /// The prompt stays open (a character typed, a row chosen).
    Editing,
    /// Enter: a guess for expectation `index` was kept.
    Kept { index: usize, guess: f64 },
    /// Enter on something that is not a number.
    NotANumber(String),
    /// Esc, or Enter on nothing typed: the prompt closed.
    Closed,
}

/// The expectations a number can be guessed for (their indices): the ones with a
/// numeric target (`= 30`, `≤ 5`, `≥ 1`), not the ones about text or objects.
pub fn guessable(expect: &[Expectation]) -> Vec<usize> {
    expect
        .iter()
        .enumerate()
        .filter(|(_, e)| e.equals.as_ref().map_or(e.at_most.is_some() || e.at_least.is_some(), Value::is_number))
        .map(|(i, _)| i)
        .collect()
}

/// A guess as the learner typed it: `84`, `2.5`, `-3`.
pub fn show(guess: f64) -> String {
    if guess.fract() == 0.0 && guess.abs() < 9e15 { format!("{}", guess as i64) } else { format!("{guess}") }
}

/// Whether `guess` is exactly the figure `actual`.
#[allow(clippy::float_cmp, reason = "a guess is right when it is the figure itself, not near it")]
pub fn matches(guess: f64, actual: &Value) -> bool {
    actual.as_f64().is_some_and(|a| a == guess)
}

impl Predictions {
    /// The guess for expectation `index`, if one was made.
    pub fn guess(&self, index: usize) -> Option<f64> {
        self.guesses.iter().find(|(i, _)| *i == index).map(|(_, g)| *g)
    }

    /// Opens the prompt on the first expectation without a guess (or the first).
    pub fn open(&mut self, guessable: &[usize]) {
        let row = guessable.iter().position(|&i| self.guess(i).is_none()).unwrap_or(0);
        self.prompt = Some(Prompt { row, text: String::new() });
    }

    /// A key while the prompt is open (`None` when it is not, and for Ctrl-C, which always
    /// quits: the key is not the prompt's). `guessable` is [`guessable`]'s list for the
    /// scenario running.
    pub fn key(&mut self, key: KeyEvent, guessable: &[usize]) -> Option<Typed> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return None;
        }
        let prompt = self.prompt.as_mut()?;
        let last = guessable.len().saturating_sub(1);
        let typed = match key.code {
            KeyCode::Up => {
                prompt.row = prompt.row.saturating_sub(1);
                prompt.text.clear();
                Typed::Editing
            }
            KeyCode::Down | KeyCode::Tab => {
                prompt.row = (prompt.row + 1).min(last);
                prompt.text.clear();
                Typed::Editing
            }
            KeyCode::Backspace => {
                prompt.text.pop();
                Typed::Editing
            }
            KeyCode::Char(c) if c.is_ascii_digit() || matches!(c, '-' | '.') => {
                if prompt.text.len() < 20 {
                    prompt.text.push(c);
                }
                Typed::Editing
            }
            KeyCode::Esc => {
                self.prompt = None;
                Typed::Closed
            }
            KeyCode::Enter => {
                let text = prompt.text.trim().to_owned();
                let index = guessable.get(prompt.row).copied();
                match (text.parse::<f64>(), index) {
                    _ if text.is_empty() => {
                        self.prompt = None;
                        Typed::Closed
                    }
                    (Ok(guess), Some(index)) if guess.is_finite() => {
                        self.prompt = None;
                        self.guesses.retain(|(i, _)| *i != index);
                        self.guesses.push((index, guess));
                        Typed::Kept { index, guess }
                    }
                    _ => Typed::NotANumber(text),
                }
            }
            _ => Typed::Editing,
        };
        Some(typed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expectations() -> Vec<Expectation> {
        serde_json::from_value(serde_json::json!([
            {"metric": "published", "equals": 80},
            {"state": {"aggregate": "Account", "key": "a", "field": "owner"}, "equals": "ana"},
            {"metric": "duplicate_effects", "group": "billing", "at_least": 1},
        ]))
        .expect("expectations")
    }

    fn press(p: &mut Predictions, code: KeyCode, guessable: &[usize]) -> Option<Typed> {
        p.key(KeyEvent::from(code), guessable)
    }

    #[test]
    fn only_numeric_targets_take_a_guess() {
        assert_eq!(guessable(&expectations()), [0, 2]);
    }

    #[test]
    fn typing_choosing_and_keeping_a_guess() {
        let g = guessable(&expectations());
        let mut p = Predictions::default();
        assert_eq!(press(&mut p, KeyCode::Char('1'), &g), None, "closed: the key is not the prompt's");
        p.open(&g);
        assert_eq!(p.prompt.as_ref().map(|p| p.row), Some(0));
        for c in "8x4".chars() {
            assert_eq!(press(&mut p, KeyCode::Char(c), &g), Some(Typed::Editing));
        }
        assert_eq!(p.prompt.as_ref().map(|p| p.text.as_str()), Some("84"), "only a number is typed");
        assert_eq!(press(&mut p, KeyCode::Enter, &g), Some(Typed::Kept { index: 0, guess: 84.0 }));
        assert_eq!(p.guess(0), Some(84.0));
        assert!(p.prompt.is_none());
        // Opened again, it starts on the expectation without a guess; Down stops at the last.
        p.open(&g);
        assert_eq!(p.prompt.as_ref().map(|p| p.row), Some(1));
        press(&mut p, KeyCode::Down, &g);
        assert_eq!(p.prompt.as_ref().map(|p| p.row), Some(1));
        for c in "-.".chars() {
            press(&mut p, KeyCode::Char(c), &g);
        }
        assert_eq!(press(&mut p, KeyCode::Enter, &g), Some(Typed::NotANumber("-.".to_owned())));
        press(&mut p, KeyCode::Backspace, &g);
        press(&mut p, KeyCode::Backspace, &g);
        press(&mut p, KeyCode::Char('3'), &g);
        assert_eq!(press(&mut p, KeyCode::Enter, &g), Some(Typed::Kept { index: 2, guess: 3.0 }));
        // A second guess for the same expectation replaces the first; Esc keeps nothing.
        p.open(&g);
        press(&mut p, KeyCode::Up, &g);
        press(&mut p, KeyCode::Char('8'), &g);
        press(&mut p, KeyCode::Char('0'), &g);
        press(&mut p, KeyCode::Enter, &g);
        assert_eq!(p.guesses, [(2, 3.0), (0, 80.0)]);
        p.open(&g);
        press(&mut p, KeyCode::Char('9'), &g);
        assert_eq!(p.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), &g), None, "Ctrl-C quits");
        assert_eq!(press(&mut p, KeyCode::Esc, &g), Some(Typed::Closed));
        assert_eq!(p.guesses, [(2, 3.0), (0, 80.0)]);
    }

    #[test]
    fn a_guess_matches_the_figure_exactly() {
        assert!(matches(84.0, &Value::from(84)));
        assert!(!matches(83.0, &Value::from(84)));
        assert!(!matches(84.0, &Value::from("84")));
        assert_eq!(show(84.0), "84");
        assert_eq!(show(-2.5), "-2.5");
    }
}
