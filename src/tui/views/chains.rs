//! Chains: the causal tree of one correlation id, with a time waterfall (publish to the
//! last completed processing of each event).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::trace::{EventIdx, StepKind};
use crate::tui::app::App;
use crate::tui::theme;

/// Events scanned for the chain (the newest ones), so a frame stays bounded.
const SCAN: usize = 200_000;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let trace = app.sim.trace();
    let focus = app.focus_event.or_else(|| trace.events.len().checked_sub(1).map(|e| e as EventIdx));
    let Some(focus) = focus else {
        Paragraph::new("No events yet: select a step in Traffic (2) or a finding in Checks (6).")
            .block(Block::bordered().title(" chains "))
            .render(area, buf);
        return;
    };
    let namer = crate::trace::jsonl::Namer { model: app.model(), trace };
    let correlation = trace.event(focus).correlation;
    let start = trace.events.len().saturating_sub(SCAN);
    let members: Vec<EventIdx> = (start..trace.events.len())
        .map(|e| e as EventIdx)
        .filter(|&e| trace.event(e).correlation == correlation)
        .collect();
    // Times: publish, and the last completed processing of each member.
    let publish = |e: EventIdx| app.analysis.first_published(e).map_or(0, |s| trace.steps[s].t_us);
    let first_step = members.iter().filter_map(|&e| app.analysis.first_published(e)).min().unwrap_or(0);
    let mut done = vec![0u64; members.len()];
    let mut effects = vec![0u32; members.len()];
    for step in trace.steps[first_step..].iter().take(SCAN) {
        if matches!(step.kind, StepKind::Processed | StepKind::SkippedDuplicate | StepKind::Failed)
            && let Some(i) = members.iter().position(|&m| m == step.event)
        {
            done[i] = done[i].max(step.t_us);
            effects[i] += u32::from(step.kind == StepKind::Processed && step.flag != 0);
        }
    }
    let t0 = members.first().map_or(0, |&e| publish(e));
    let t1 = members.iter().enumerate().map(|(i, &e)| done[i].max(publish(e))).max().unwrap_or(t0);
    let span = (t1 - t0).max(1);
    let bar_width = u64::from(area.width / 3).max(10);

    // Depth-first from the roots (events whose cause is not in the chain).
    let mut lines = Vec::new();
    let mut stack: Vec<(EventIdx, usize)> = members
        .iter()
        .rev()
        .filter(|&&e| trace.event(e).cause().is_none_or(|c| !members.contains(&c)))
        .map(|&e| (e, 0))
        .collect();
    while let Some((e, depth)) = stack.pop() {
        let i = members.iter().position(|&m| m == e).unwrap_or(0);
        let event = trace.event(e);
        let ty = trace.strings.resolve(event.event_type);
        let compensation = ["Cancel", "Refund", "Release", "Compensat", "Revert"].iter().any(|w| ty.contains(w));
        let from = (publish(e) - t0) * bar_width / span;
        let to = ((done[i].max(publish(e)) - t0) * bar_width / span).max(from + 1);
        let bar = format!("{}{}", " ".repeat(from as usize), "█".repeat((to - from) as usize));
        let style = if e == focus { theme::SELECTED } else { ratatui::style::Style::new() };
        let mut spans = vec![
            Span::styled(format!("{}{} ", "  ".repeat(depth), if depth == 0 { "●" } else { "└─" }), theme::DIM),
            Span::styled(format!("{} {ty}", namer.event_id(e)), style),
            Span::styled(format!("  ← {}", trace.strings.resolve(event.source)), theme::DIM),
        ];
        if compensation {
            spans.push(Span::styled("  ↺ compensation", theme::WARN));
        }
        if effects[i] > 1 {
            spans.push(Span::styled(format!("  ×{} effects", effects[i]), theme::WARN));
        }
        lines.push(Line::from(spans));
        lines.push(Line::from(vec![
            Span::raw(format!("{}   ", "  ".repeat(depth))),
            Span::styled(bar, theme::kind(StepKind::Delivered)),
            Span::styled(format!(" {:.1}ms", (done[i].max(publish(e)) - publish(e)) as f64 / 1000.0), theme::DIM),
        ]));
        for &child in members.iter().rev().filter(|&&c| trace.event(c).cause() == Some(e)) {
            stack.push((child, depth + 1));
        }
    }
    let title = format!(
        " chain of {} · correlation {} · {} events · {:.1}ms ",
        namer.event_id(focus),
        correlation.render(&trace.strings),
        members.len(),
        (t1 - t0) as f64 / 1000.0
    );
    Paragraph::new(lines).block(Block::bordered().title(title)).render(area, buf);
}
