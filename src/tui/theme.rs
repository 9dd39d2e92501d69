//! Colours and styles, in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::analysis::FindingClass;
use crate::trace::StepKind;

pub const ACCENT: Color = Color::Cyan;
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const TITLE: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
pub const SELECTED: Style = Style::new().bg(Color::Rgb(40, 60, 90)).add_modifier(Modifier::BOLD);
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
