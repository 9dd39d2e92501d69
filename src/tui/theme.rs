//! Colours and styles, in one place, and the [`Theme`] that recolours them.
//!
//! The views draw with the styles below, which are the `default` theme's (light text on a
//! dark terminal). A [`Theme`] is a runtime value (`--theme`, `NO_COLOR`) that maps this
//! palette onto another when a frame is finished ([`Theme::paint`]): one function decides
//! every colour a theme shows, and no view can forget to ask for it. Colour never tells a
//! state alone: the active tab has brackets, the selected row `▸`, a check `✓`/`✗`, a
//! finding its label, so `mono` loses no meaning.

use std::str::FromStr;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use crate::analysis::FindingClass;
use crate::trace::StepKind;

/// How the screen is coloured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    /// Colours for a dark terminal.
    #[default]
    Default,
    /// No colour at all: bold, reverse video and glyphs only (`NO_COLOR`).
    Mono,
    /// Colours readable on a white background: no yellow, white or pale text.
    Light,
}

impl Theme {
    /// The names `--theme` takes.
    pub const NAMES: [&'static str; 3] = ["default", "mono", "light"];

    pub fn name(self) -> &'static str {
        match self {
            Theme::Default => "default",
            Theme::Mono => "mono",
            Theme::Light => "light",
        }
    }

    /// The theme to use: `chosen` (`--theme`) if given, else `mono` when `no_color` (the
    /// `NO_COLOR` variable) is set and not empty (<https://no-color.org>), else `default`.
    pub fn choose(chosen: Option<Theme>, no_color: Option<&std::ffi::OsStr>) -> Theme {
        chosen.unwrap_or(if no_color.is_some_and(|v| !v.is_empty()) { Theme::Mono } else { Theme::Default })
    }

    /// [`Theme::choose`] with this process's `NO_COLOR`.
    pub fn from_env(chosen: Option<Theme>) -> Theme {
        Self::choose(chosen, std::env::var_os("NO_COLOR").as_deref())
    }

    /// Recolours `area` of a frame drawn in the default palette.
    pub fn paint(self, area: Rect, buf: &mut Buffer) {
        if self == Theme::Default {
            return;
        }
        let area = area.intersection(buf.area);
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                let cell = &mut buf[(x, y)];
                match self {
                    Theme::Default => {}
                    Theme::Mono => {
                        // A background told something (a key, the selection, a finding, a
                        // lag): reverse video tells it without colour; grey text stays
                        // secondary as dim.
                        let mut modifier = cell.modifier;
                        if cell.bg != Color::Reset {
                            modifier |= Modifier::REVERSED;
                        }
                        if cell.fg == Color::DarkGray {
                            modifier |= Modifier::DIM;
                        }
                        cell.set_style(Style::reset().add_modifier(modifier));
                    }
                    Theme::Light => {
                        let on_colour = cell.bg != Color::Reset;
                        cell.bg = light_background(cell.bg);
                        // Black or white set on a coloured background was chosen for it.
                        if !(on_colour && matches!(cell.fg, Color::Black | Color::White)) {
                            cell.fg = light_text(cell.fg);
                        }
                    }
                }
            }
        }
    }
}

impl FromStr for Theme {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "default" => Ok(Theme::Default),
            "mono" => Ok(Theme::Mono),
            "light" => Ok(Theme::Light),
            _ => Err(format!("\"{text}\" is not a theme: {}", Theme::NAMES.join(", "))),
        }
    }
}

/// A text colour of the default palette, dark enough for a white background.
fn light_text(colour: Color) -> Color {
    match colour {
        Color::White | Color::Gray => Color::Black,
        Color::DarkGray => Color::Rgb(100, 100, 100),
        Color::Yellow | Color::LightYellow => Color::Rgb(140, 95, 0),
        Color::Cyan | Color::LightCyan => Color::Rgb(0, 100, 130),
        Color::Green | Color::LightGreen => Color::Rgb(0, 120, 40),
        Color::Blue | Color::LightBlue => Color::Rgb(20, 60, 190),
        Color::Magenta | Color::LightMagenta => Color::Rgb(150, 30, 150),
        Color::Red | Color::LightRed => Color::Rgb(190, 20, 20),
        Color::Rgb(r, g, b) if u16::from(r) + u16::from(g) + u16::from(b) > 400 => Color::Rgb(r / 2, g / 2, b / 2),
        other => other,
    }
}

/// A background of the default palette for a white page: the dark selection turns pale.
fn light_background(colour: Color) -> Color {
    match colour {
        SELECTION => Color::Rgb(190, 210, 240),
        other => other,
    }
}

/// The selected row's background.
const SELECTION: Color = Color::Rgb(40, 60, 90);

pub const ACCENT: Color = Color::Cyan;
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const TITLE: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
pub const SELECTED: Style = Style::new().bg(SELECTION).add_modifier(Modifier::BOLD);
/// The selected row's mark, before it: the selection shows without colour.
pub const CURSOR: &str = "▸";
pub const KEY: Style = Style::new().fg(Color::Black).bg(Color::Cyan);
pub const ERROR: Style = Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD);
pub const WARN: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
/// A fault's mark on the timeline.
pub const FAULT: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
pub const OK: Style = Style::new().fg(Color::Green);
/// A stat that stays bad (a backlog that never drains, a crashed instance's mark).
pub const STUCK: Color = Color::Red;

/// Flow: the edges between boxes, and the boxes.
pub const EDGE: Style = Style::new().fg(Color::Gray);
pub const BOX: Style = Style::new().fg(Color::Gray);
/// Instances: working, paused or retrying (and a group box with trouble), crashed.
pub const BUSY: Style = Style::new().fg(Color::Green).add_modifier(Modifier::BOLD);
pub const PAUSED: Style = Style::new().fg(Color::Yellow);
pub const CRASHED: Style = Style::new().fg(STUCK).add_modifier(Modifier::BOLD);
/// State: what an instance is busy with.
pub const BUSY_WITH: Style = Style::new().fg(ACCENT);
/// A read model that differs from the log's fold.
pub const MISMATCH: Style = Style::new().fg(Color::White).bg(Color::Red);
/// Chains: a compensating event.
pub const COMPENSATION: Style = Style::new().fg(Color::LightBlue);

/// Line colours of the groups, in group order (wrapping).
const PALETTE: [Color; 8] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::LightRed,
    Color::LightBlue,
    Color::White,
    Color::LightGreen,
];

/// The colour of consumer group `group` in charts and headings.
pub fn group(group: usize) -> Color {
    PALETTE[group % PALETTE.len()]
}

/// Lag at which a partition is drawn fully red.
pub const LAG_RED: u64 = 100;

/// Green at no lag, yellow, then red at [`LAG_RED`] and beyond.
fn lag_colour(lag: u64) -> Color {
    if lag == 0 {
        return Color::Rgb(40, 150, 70);
    }
    let f = ((lag as f64).ln_1p() / (LAG_RED as f64).ln_1p()).min(1.0);
    let mix = |a: u8, b: u8, t: f64| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    if f < 0.5 {
        let t = f * 2.0;
        Color::Rgb(mix(90, 220, t), mix(180, 200, t), mix(60, 0, t))
    } else {
        let t = (f - 0.5) * 2.0;
        Color::Rgb(mix(220, 220, t), mix(200, 40, t), mix(0, 40, t))
    }
}

/// A lag figure's cell: black on its colour, green to red.
pub fn lag(lag: u64) -> Style {
    Style::new().fg(Color::Black).bg(lag_colour(lag))
}

/// The colour of a step kind in tables and timelines.
pub fn kind(kind: StepKind) -> Style {
    let color = match kind {
        StepKind::Published | StepKind::Routed => Color::Blue,
        StepKind::Delivered => Color::Cyan,
        StepKind::Processed | StepKind::Acked => Color::Green,
        StepKind::Committed => Color::DarkGray,
        StepKind::Failed | StepKind::Crashed | StepKind::Unrouted => Color::Red,
        StepKind::DeadLettered => Color::Magenta,
        StepKind::Requeued | StepKind::SkippedDuplicate | StepKind::DroppedDuplicate => Color::Yellow,
        StepKind::Rebalanced | StepKind::Joined | StepKind::Restarted => Color::LightMagenta,
        StepKind::Paused | StepKind::Resumed | StepKind::Fetched => Color::LightYellow,
        StepKind::Note => Color::White,
    };
    Style::new().fg(color)
}

/// The style of a step that is a finding: it must stand out.
pub fn finding(class: FindingClass) -> Style {
    match class {
        FindingClass::DuplicateDelivery | FindingClass::DuplicateEffect => {
            Style::new().fg(Color::Black).bg(Color::Yellow)
        }
        FindingClass::OutOfOrder => Style::new().fg(Color::Black).bg(Color::LightBlue),
        FindingClass::Lost
        | FindingClass::Failed
        | FindingClass::ReadModelMismatch
        | FindingClass::UncompensatedSaga => Style::new().fg(Color::White).bg(Color::Red),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--theme` wins; without it `NO_COLOR` set and not empty means mono.
    #[test]
    fn the_theme_is_chosen_by_flag_then_no_color() {
        use std::ffi::OsStr;
        assert_eq!(Theme::choose(None, None), Theme::Default);
        assert_eq!(Theme::choose(None, Some(OsStr::new("1"))), Theme::Mono);
        assert_eq!(Theme::choose(None, Some(OsStr::new(""))), Theme::Default);
        assert_eq!(Theme::choose(Some(Theme::Light), Some(OsStr::new("1"))), Theme::Light);
        assert_eq!(Theme::choose(Some(Theme::Default), Some(OsStr::new("1"))), Theme::Default);
        for name in Theme::NAMES {
            assert_eq!(name.parse::<Theme>().map(Theme::name), Ok(name));
        }
        assert!("dark".parse::<Theme>().is_err());
    }

    /// Mono leaves no colour and turns a background into reverse video; light keeps black
    /// on a coloured background and darkens pale text.
    #[test]
    fn themes_recolour_the_palette() {
        let area = Rect::new(0, 0, 3, 1);
        let draw = |theme: Theme| {
            let mut buf = Buffer::empty(area);
            buf.set_string(0, 0, "a", KEY);
            buf.set_string(1, 0, "b", WARN);
            buf.set_string(2, 0, "c", DIM);
            theme.paint(area, &mut buf);
            buf
        };
        let mono = draw(Theme::Mono);
        assert!(mono.content().iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
        assert!(mono[(0, 0)].modifier.contains(Modifier::REVERSED));
        assert!(mono[(1, 0)].modifier.contains(Modifier::BOLD));
        assert!(mono[(2, 0)].modifier.contains(Modifier::DIM));
        let light = draw(Theme::Light);
        assert_eq!((light[(0, 0)].fg, light[(0, 0)].bg), (Color::Black, Color::Cyan));
        assert_ne!(light[(1, 0)].fg, Color::Yellow);
        assert_eq!(draw(Theme::Default), {
            let mut buf = Buffer::empty(area);
            buf.set_string(0, 0, "a", KEY);
            buf.set_string(1, 0, "b", WARN);
            buf.set_string(2, 0, "c", DIM);
            buf
        });
    }
}
