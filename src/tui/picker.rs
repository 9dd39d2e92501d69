//! The lesson picker: what bare `eventlab` shows. A list of the built-in lessons and a
//! preview of the selected one (what it is about, what it shows first, its "what if"
//! variants); Enter opens it, as written or with the chosen variant.
//!
//! Like the app, it is state plus keys (testable without a terminal) plus a render that only
//! reads; `tui::run_picker` drives it in the same terminal session as the lessons it opens.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Padding, Paragraph, Widget, Wrap};

use super::theme;
use crate::lessons::Lesson;
use crate::scenario::load::{Limits, ScenarioError, load_str};

/// What the preview shows of one lesson, read from its file once.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The lesson's name (`eventlab run NAME`).
    pub name: &'static str,
    /// The scenario's `name`: its title.
    pub title: String,
    pub description: String,
    /// The first note: what the lesson shows first.
    pub first_note: Option<String>,
    /// Its variants: (name, description).
    pub variants: Vec<(String, String)>,
}

/// What a key asks of the picker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    /// Choose the previous / next way to run the lesson: as written, or one of its variants.
    PreviousVariant,
    NextVariant,
    Open,
    Quit,
}

/// A key as the footer shows it, and the keys that match it.
pub struct Binding {
    pub keys: &'static str,
    pub codes: &'static [KeyCode],
    pub action: Action,
    pub help: &'static str,
}

/// The picker's keymap, in the order the footer lists it.
pub const KEYMAP: &[Binding] = &[
    Binding { keys: "↑↓", codes: &[KeyCode::Up, KeyCode::Char('k')], action: Action::Up, help: "choose" },
    Binding { keys: "", codes: &[KeyCode::Down, KeyCode::Char('j')], action: Action::Down, help: "" },
    Binding { keys: "", codes: &[KeyCode::Home, KeyCode::Char('g')], action: Action::Top, help: "" },
    Binding { keys: "", codes: &[KeyCode::End, KeyCode::Char('G')], action: Action::Bottom, help: "" },
    Binding {
        keys: "←→",
        codes: &[KeyCode::Left, KeyCode::Char('h')],
        action: Action::PreviousVariant,
        help: "what if",
    },
    Binding { keys: "", codes: &[KeyCode::Right, KeyCode::Char('l')], action: Action::NextVariant, help: "" },
    Binding { keys: "Enter", codes: &[KeyCode::Enter], action: Action::Open, help: "open" },
    Binding { keys: "q", codes: &[KeyCode::Char('q'), KeyCode::Esc], action: Action::Quit, help: "quit" },
];

/// The action of a key press, if any (Ctrl-C quits).
pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    KEYMAP.iter().find(|b| b.codes.contains(&key.code)).map(|b| b.action)
}

/// What the user chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Open this lesson, with this variant (`None`: as written).
    Open {
        lesson: &'static str,
        variant: Option<String>,
    },
    Quit,
}

/// The picker's whole state.
pub struct Picker {
    pub entries: Vec<Entry>,
    pub selected: usize,
    /// The chosen way to run the selected lesson: 0 as written, i the (i − 1)th variant.
    pub variant: usize,
    /// A one-line message (a lesson that could not open).
    pub message: Option<String>,
    pub choice: Option<Choice>,
    /// How the screen is coloured; the lessons it opens are coloured alike.
    pub theme: theme::Theme,
}

impl Picker {
    /// The picker over these lessons, each read once for its preview.
    pub fn new(lessons: &[Lesson]) -> Result<Self, ScenarioError> {
        let mut entries = Vec::with_capacity(lessons.len());
        for lesson in lessons {
            let scenario = load_str(lesson.source, &lesson.origin(), &Limits::default())?;
            entries.push(Entry {
                name: lesson.name,
                title: scenario.name,
                description: scenario.description,
                first_note: scenario.notes.first().map(|n| n.text.clone()),
                variants: scenario.variants.into_iter().map(|v| (v.name, v.description)).collect(),
            });
        }
        Ok(Picker { entries, selected: 0, variant: 0, message: None, choice: None, theme: theme::Theme::Default })
    }

    pub fn entry(&self) -> Option<&Entry> {
        self.entries.get(self.selected)
    }

    /// The name of the chosen variant, if one is chosen.
    pub fn variant_name(&self) -> Option<&str> {
        let entry = self.entry()?;
        self.variant.checked_sub(1).and_then(|i| entry.variants.get(i)).map(|(name, _)| name.as_str())
    }

    pub fn apply(&mut self, action: Action) {
        let last = self.entries.len().saturating_sub(1);
        let select = |picker: &mut Picker, index: usize| {
            if index != picker.selected {
                picker.selected = index;
                picker.variant = 0;
            }
            picker.message = None;
        };
        match action {
            Action::Up => select(self, self.selected.saturating_sub(1)),
            Action::Down => select(self, (self.selected + 1).min(last)),
            Action::Top => select(self, 0),
            Action::Bottom => select(self, last),
            Action::PreviousVariant | Action::NextVariant => {
                let ways = self.entry().map_or(1, |e| e.variants.len() + 1);
                self.variant = if action == Action::NextVariant {
                    (self.variant + 1) % ways
                } else {
                    (self.variant + ways - 1) % ways
                };
            }
            Action::Open => {
                if let Some(entry) = self.entry() {
                    let lesson = entry.name;
                    self.choice = Some(Choice::Open { lesson, variant: self.variant_name().map(str::to_owned) });
                }
            }
            Action::Quit => self.choice = Some(Choice::Quit),
        }
    }

    /// A key press; returns whether the screen must be redrawn.
    pub fn key(&mut self, key: KeyEvent) -> bool {
        match action_for(key) {
            Some(action) => {
                self.apply(action);
                true
            }
            None => false,
        }
    }

    /// A mouse event on a screen of this size: the wheel moves, a click selects a lesson.
    pub fn mouse(&mut self, mouse: MouseEvent, screen: Rect) -> bool {
        match mouse.kind {
            MouseEventKind::ScrollUp => self.apply(Action::Up),
            MouseEventKind::ScrollDown => self.apply(Action::Down),
            MouseEventKind::Down(MouseButton::Left) => {
                let list = regions(screen).list;
                let inner = Block::bordered().inner(list);
                let rows = inner.y..inner.y + inner.height;
                if !(inner.x..inner.x + inner.width).contains(&mouse.column) || !rows.contains(&mouse.row) {
                    return false;
                }
                let index = first_visible(self.selected, inner.height) + usize::from(mouse.row - inner.y);
                if index < self.entries.len() {
                    if index == self.selected {
                        self.apply(Action::Open);
                    } else {
                        self.selected = index;
                        self.variant = 0;
                    }
                }
            }
            _ => return false,
        }
        true
    }
}

/// The screen's regions.
pub struct Regions {
    pub header: Rect,
    pub list: Rect,
    pub preview: Rect,
    pub footer: Rect,
}

/// The smallest screen the picker draws on; below it, a "too small" note.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 8;

pub fn regions(area: Rect) -> Regions {
    let [header, body, footer] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area);
    // The list is as wide as the longest name, with room for the number and the border.
    let [list, preview] = Layout::horizontal([Constraint::Length(27), Constraint::Min(10)]).areas(body);
    Regions { header, list, preview, footer }
}

/// The first row shown in a list of `height` rows that keeps `selected` in view.
fn first_visible(selected: usize, height: u16) -> usize {
    selected.saturating_sub(usize::from(height.max(1)) - 1)
}

impl Widget for &Picker {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let text = format!("too small: {}×{} (needs {MIN_WIDTH}×{MIN_HEIGHT})", area.width, area.height);
            Paragraph::new(text).wrap(Wrap { trim: true }).render(area, buf);
            return;
        }
        let regions = regions(area);
        let header = Line::from(vec![
            Span::styled(" eventlab ", theme::KEY),
            Span::styled(" lessons ", theme::TITLE),
            Span::styled(" a laboratory for event-driven architecture: choose a lesson, press Enter", theme::DIM),
        ]);
        Paragraph::new(super::format::fit_lines([header], regions.header.width)).render(regions.header, buf);
        render_list(self, regions.list, buf);
        render_preview(self, regions.preview, buf);
        render_footer(self, regions.footer, buf);
        self.theme.paint(area, buf);
    }
}

fn render_list(picker: &Picker, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered().border_type(BorderType::Rounded).title(format!(" {} lessons ", picker.entries.len()));
    let inner = block.inner(area);
    block.render(area, buf);
    let first = first_visible(picker.selected, inner.height);
    let lines: Vec<Line> = picker
        .entries
        .iter()
        .enumerate()
        .skip(first)
        .take(usize::from(inner.height))
        .map(|(i, entry)| {
            if i == picker.selected {
                let text = format!("▸{:>2} {}", i + 1, entry.name);
                Line::styled(format!("{text:<width$}", width = usize::from(inner.width)), theme::SELECTED)
            } else {
                Line::raw(format!(" {:>2} {}", i + 1, entry.name))
            }
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

fn render_preview(picker: &Picker, area: Rect, buf: &mut Buffer) {
    let block = Block::bordered().border_type(BorderType::Rounded).padding(Padding::horizontal(1));
    let Some(entry) = picker.entry() else {
        Paragraph::new("No lessons.").block(block).render(area, buf);
        return;
    };
    let title = super::format::fit(&entry.title, usize::from(area.width.saturating_sub(4)));
    let block = block.title(Span::styled(format!(" {title} "), theme::TITLE));
    let mut lines = vec![Line::raw(entry.description.clone()), Line::raw("")];
    lines.push(Line::from(vec![
        Span::styled("What if…", theme::TITLE),
        Span::styled("  ← → choose, Enter runs it: predict first, then watch", theme::DIM),
    ]));
    let ways: Vec<(&str, &str)> = std::iter::once(("as written", "the lesson itself"))
        .chain(entry.variants.iter().map(|(n, d)| (n.as_str(), d.as_str())))
        .collect();
    let width = ways.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0);
    for (i, (name, what)) in ways.into_iter().enumerate() {
        let chosen = i == picker.variant;
        let (mark, style) = if chosen { ("●", theme::WARN) } else { ("○", theme::DIM) };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} {name:<width$}"), style),
            Span::styled(format!("  {what}"), if chosen { Style::new() } else { theme::DIM }),
        ]));
    }
    let command = match picker.variant_name() {
        Some(variant) => format!("eventlab run {} --variant {variant}", entry.name),
        None => format!("eventlab run {}", entry.name),
    };
    lines.push(Line::from(vec![Span::styled("   from a shell: ", theme::DIM), Span::styled(command, theme::DIM)]));
    if let Some(note) = &entry.first_note {
        lines.push(Line::raw(""));
        lines.push(Line::styled("What you will see first", theme::TITLE));
        lines.push(Line::raw(note.clone()));
    }
    Paragraph::new(lines).wrap(Wrap { trim: false }).block(block).render(area, buf);
}

fn render_footer(picker: &Picker, area: Rect, buf: &mut Buffer) {
    let line = if let Some(message) = &picker.message {
        Line::from(vec![Span::styled(" ! ", theme::KEY), Span::styled(format!(" {message}"), theme::WARN)])
    } else {
        let mut spans = Vec::new();
        for binding in KEYMAP.iter().filter(|b| !b.help.is_empty()) {
            spans.push(Span::styled(format!(" {} ", binding.keys), theme::KEY));
            spans.push(Span::styled(format!(" {} ", binding.help), theme::DIM));
        }
        spans.push(Span::styled("  in a lesson: ? lists the keys, q comes back", theme::DIM));
        Line::from(spans)
    };
    Paragraph::new(line).render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::LESSONS;

    fn picker() -> Picker {
        Picker::new(LESSONS).expect("the lessons load")
    }

    #[test]
    fn arrows_choose_a_lesson_and_enter_opens_it() {
        let mut p = picker();
        assert_eq!(p.entry().unwrap().name, LESSONS[0].name);
        p.key(KeyEvent::from(KeyCode::Down));
        p.key(KeyEvent::from(KeyCode::Char('j')));
        p.key(KeyEvent::from(KeyCode::Char('k')));
        assert_eq!(p.selected, 1);
        p.apply(Action::Up);
        p.apply(Action::Up);
        assert_eq!(p.selected, 0, "the list does not wrap");
        p.apply(Action::Bottom);
        p.apply(Action::Down);
        assert_eq!(p.selected, LESSONS.len() - 1);
        p.key(KeyEvent::from(KeyCode::Enter));
        assert_eq!(p.choice, Some(Choice::Open { lesson: LESSONS[LESSONS.len() - 1].name, variant: None }));
    }

    #[test]
    fn left_and_right_choose_a_variant() {
        let mut p = picker();
        let variants = p.entry().unwrap().variants.clone();
        assert!(!variants.is_empty());
        p.key(KeyEvent::from(KeyCode::Right));
        assert_eq!(p.variant_name(), Some(variants[0].0.as_str()));
        p.key(KeyEvent::from(KeyCode::Left));
        assert_eq!(p.variant_name(), None);
        p.key(KeyEvent::from(KeyCode::Left));
        assert_eq!(p.variant_name(), Some(variants[variants.len() - 1].0.as_str()), "it wraps around");
        p.apply(Action::Open);
        assert_eq!(
            p.choice,
            Some(Choice::Open { lesson: LESSONS[0].name, variant: Some(variants[variants.len() - 1].0.clone()) })
        );
        // Another lesson starts as written.
        p.apply(Action::Down);
        assert_eq!(p.variant, 0);
    }

    #[test]
    fn q_escape_and_ctrl_c_quit() {
        for key in [
            KeyEvent::from(KeyCode::Char('q')),
            KeyEvent::from(KeyCode::Esc),
            KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
        ] {
            let mut p = picker();
            assert!(p.key(key));
            assert_eq!(p.choice, Some(Choice::Quit));
        }
        let mut p = picker();
        assert!(!p.key(KeyEvent::from(KeyCode::Char('x'))), "an unbound key changes nothing");
        assert_eq!(p.choice, None);
    }

    #[test]
    fn every_binding_is_unique_and_every_lesson_has_a_preview() {
        let mut seen = Vec::new();
        for binding in KEYMAP {
            for code in binding.codes {
                assert!(!seen.contains(code), "{code:?} bound twice");
                seen.push(*code);
            }
        }
        for entry in picker().entries {
            assert!(!entry.description.is_empty() && entry.first_note.is_some(), "{}", entry.name);
            assert!(entry.name.len() <= 22, "{} does not fit the list", entry.name);
        }
    }
}
