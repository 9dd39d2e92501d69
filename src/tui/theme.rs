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
