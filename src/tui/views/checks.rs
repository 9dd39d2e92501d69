//! Checks: the checker's figures per group, and its findings, each with its one-line
//! explanation; Enter goes to the finding's step.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget, Wrap};

use crate::scenario::model::Metric;
use crate::tui::action::{Action, keys_of};
use crate::tui::app::App;
use crate::tui::experiments::run_figures;
use crate::tui::format::seconds;
use crate::tui::predict;
use crate::tui::theme;

const COLUMNS: [(Metric, &str); 10] = [
    (Metric::Delivered, "delivered"),
    (Metric::Effects, "effects"),
    (Metric::DuplicateDeliveries, "dup deliv"),
    (Metric::DuplicateEffects, "dup effects"),
    (Metric::OutOfOrder, "out of order"),
    (Metric::Lost, "lost"),
    (Metric::Failed, "failed"),
    (Metric::DeadLettered, "dead letters"),
    (Metric::MaxLag, "peak lag"),
    (Metric::FinalLag, "lag"),
];

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let groups = app.model().groups.len() as u16;
    // The group table, then the run-wide figures (a line, two when they do not fit).
    let run = run_line(app);
    let run_lines = if run.width() + 2 > usize::from(area.width) { 2 } else { 1 };
    // As many expectations as leave the findings five rows (at least MIN_EXPECTATION_ROWS).
    let figures_height = groups + 3 + run_lines;
    let room = usize::from(area.height.saturating_sub(figures_height + 4 + 7 + 2));
    let shown = app.model().scenario.expect.len().min(room.max(MIN_EXPECTATION_ROWS));
    let expectations = shown as u16;
    let [figures, expect, list, detail] = Layout::vertical([
        Constraint::Length(figures_height),
        Constraint::Length(if expectations == 0 { 0 } else { expectations + 2 }),
        Constraint::Min(3),
        Constraint::Length(4),
    ])
    .areas(area);
    render_figures(app, run, figures, buf);
    render_expectations(app, shown, expect, buf);
    render_findings(app, list, buf);
    render_detail(app, detail, buf);
}

/// This many expectations are listed even on a small screen (the rest are counted in the
/// title).
const MIN_EXPECTATION_ROWS: usize = 3;

/// The scenario's expectations: at the end of the run whether each holds; before that, the
/// figure so far. After a "what if" switch, the run before's figure → now. In a lesson the
/// targets and the before → now wait for the end of the run (or `r`): `= ?`. A guess the
/// learner typed (`p`) shows beside its expectation, and at the end whether it was right.
fn render_expectations(app: &App, shown: usize, area: Rect, buf: &mut Buffer) {
    let expect = &app.model().scenario.expect;
    if expect.is_empty() || area.height == 0 {
        return;
    }
    let end = app.finished();
    let answers = app.answers_shown();
    let before = app.experiments.before.as_ref().filter(|_| answers);
    let checked: Vec<_> = expect.iter().map(|e| app.analysis().check(app.trace(), e)).collect();
    let passed = checked.iter().filter(|c| c.passed).count();
    let rows = checked.iter().enumerate().take(shown).map(|(i, c)| {
        let (mark, style) = match (end, c.passed) {
            (true, true) => ("✓", theme::OK),
            (true, false) => ("✗", theme::FAULT),
            (false, _) => ("·", theme::DIM),
        };
        let actual = c.actual.to_string();
        let value = match before.and_then(|b| b.expectation(&expect[i])) {
            Some(old) if old != c.actual => Span::styled(format!("{old} → {actual}"), Modifier::BOLD),
            Some(old) => Span::raw(format!("{old} → {actual}")),
            None => Span::raw(actual),
        };
        let mut value = vec![Span::styled(if end { "actual " } else { "so far " }, theme::DIM), value];
        if let Some(guess) = app.predictions.guess(i) {
            value.push(Span::styled(format!(" · guess {}", predict::show(guess)), theme::TITLE));
            if end {
                value.push(if predict::matches(guess, &c.actual) {
                    Span::styled(" ✓", theme::OK)
                } else {
                    Span::styled(" ✗", theme::FAULT)
                });
            }
        }
        Row::new(vec![
            Cell::from(Span::styled(mark, style)),
            Cell::from(c.describe_target(answers)),
            Cell::from(Line::from(value)),
        ])
    });
    let hidden = match expect.len().saturating_sub(shown) {
        0 => String::new(),
        n => format!(", {n} not shown (eventlab run --headless lists all)"),
    };
    let title = if end {
        format!(" expectations: {passed} of {} hold{hidden} ", expect.len())
    } else if !answers {
        format!(
            " expectations: {} (targets hidden until the end: {} predict, {} reveal){hidden} ",
            expect.len(),
            keys_of(Action::Predict),
            keys_of(Action::Reveal)
        )
    } else {
        format!(" expectations: {} (checked at the end of the run){hidden} ", expect.len())
    };
    let widths = [Constraint::Length(2), Constraint::Percentage(50), Constraint::Fill(1)];
    Table::new(rows, widths).block(Block::bordered().title(title)).render(area, buf);
}

/// The figures per group; after a "what if" switch, each as `before → now` (the run before
/// at its end, this one at the step shown), changes highlighted.
fn render_figures(app: &App, run: Line<'static>, area: Rect, buf: &mut Buffer) {
    let before = app.experiments.before.as_ref();
    let header = Row::new(std::iter::once(Cell::from("group")).chain(COLUMNS.iter().map(|(_, t)| Cell::from(*t))))
        .style(theme::TITLE);
    let mut widths: Vec<usize> = COLUMNS.iter().map(|(_, t)| t.len()).collect();
    let rows: Vec<Row> = app
        .model()
        .groups
        .iter()
        .enumerate()
        .map(|(g, gm)| {
            let was = before.and_then(|b| b.group(&gm.name));
            let cells: Vec<Cell> = COLUMNS
                .iter()
                .enumerate()
                .map(|(c, (m, _))| {
                    let v = if *m == Metric::Lost { app.lost_now(Some(g)) } else { app.analysis().metric(*m, Some(g)) };
                    let bad = v > 0 && !matches!(m, Metric::Delivered | Metric::Effects | Metric::FinalLag);
                    let style = if bad { theme::WARN } else { Style::new() };
                    let (text, style) = match was.map(|w| w.get(*m)) {
                        Some(old) if old != v => (format!("{old} → {v}"), style.add_modifier(Modifier::BOLD)),
                        Some(old) => (format!("{old} → {v}"), style),
                        None => (v.to_string(), style),
                    };
                    widths[c] = widths[c].max(text.chars().count());
                    Cell::from(text).style(style)
                })
                .collect();
            Row::new(std::iter::once(Cell::from(gm.name.clone())).chain(cells))
        })
        .collect();
    let mut constraints = vec![Constraint::Min(8)];
    constraints.extend(widths.iter().map(|&w| Constraint::Length(w as u16 + 1)));
    let title = match before {
        None => " checker ".to_owned(),
        Some(b) => format!(
            " checker · before → now: \"{}\" {} → \"{}\" at step {} ",
            b.label,
            if b.complete { "at its end".to_owned() } else { format!("at step {}", b.steps) },
            app.experiments.label(),
            app.step_number()
        ),
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    block.render(area, buf);
    let groups = app.model().groups.len() as u16;
    let [table, run_area] = Layout::vertical([Constraint::Length(groups + 1), Constraint::Min(1)]).areas(inner);
    Table::new(rows, constraints).header(header).render(table, buf);
    Paragraph::new(run).wrap(Wrap { trim: true }).render(run_area, buf);
}

/// The run-wide figures (published; unrouted, read model mismatches and sagas when the
/// scenario has them), `before → now` after a "what if" switch.
fn run_line(app: &App) -> Line<'static> {
    let before = app.experiments.before.as_ref();
    let mut spans = vec![Span::styled("run-wide ", theme::TITLE)];
    for (i, metric) in run_figures(app.model()).into_iter().enumerate() {
        let v = app.analysis().metric(metric, None);
        let bad =
            v > 0 && matches!(metric, Metric::Unrouted | Metric::ReadModelMismatches | Metric::SagasUncompensated);
        let mut style = if bad { theme::WARN } else { Style::new() };
        let text = match before.and_then(|b| b.run_figure(metric)) {
            Some(old) => {
                if old != v {
                    style = style.add_modifier(Modifier::BOLD);
                }
                format!("{old} → {v}")
            }
            None => v.to_string(),
        };
        if i > 0 {
            spans.push(Span::styled(" · ", theme::DIM));
        }
        spans.push(Span::raw(format!("{} ", metric.name().replace('_', " "))));
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

fn render_findings(app: &App, area: Rect, buf: &mut Buffer) {
    let findings = app.analysis().findings();
    let standing = app.standing_findings();
    let total = findings.len() + standing.len();
    let trace = app.trace();
    let namer = crate::trace::jsonl::Namer { model: app.model(), trace };
    let height = area.height.saturating_sub(2) as usize;
    let selected = app.checks.selected;
    // A window of rows around the selection: never more work than the screen shows.
    let start = selected
        .map_or(total.saturating_sub(height), |s| s.saturating_sub(height / 2))
        .min(total.saturating_sub(height));
    let rows = findings.iter().chain(&standing).enumerate().skip(start).take(height).map(|(i, f)| {
        let time = app.steps().get((f.step as usize).wrapping_sub(1)).map_or_else(String::new, |s| seconds(s.t_us));
        let cursor = if Some(i) == selected { theme::CURSOR } else { " " };
        let row = Row::new(vec![
            Cell::from(Line::from(vec![
                Span::raw(cursor),
                Span::styled(format!(" {} ", f.class.name()), theme::finding(f.class)),
            ])),
            Cell::from(format!("step {}", f.step)),
            Cell::from(time),
            Cell::from(namer.event_id(f.event)),
            Cell::from(namer.finding_scope(f).to_owned()),
        ]);
        if Some(i) == selected { row.style(theme::SELECTED) } else { row }
    });
    let title = if total == 0 {
        if app.finished() { " findings: none ".to_owned() } else { " findings: none so far ".to_owned() }
    } else if standing.is_empty() {
        format!(" findings: {total} (↑↓ select, Enter: go to its step, n/N: next/previous) ")
    } else {
        format!(
            " findings: {total}, the last {} standing as of this step (lost work, uncompensated sagas) · ↑↓ Enter n/N ",
            standing.len()
        )
    };
    let widths = [
        Constraint::Length(24),
        Constraint::Length(12),
        Constraint::Length(10),
        Constraint::Length(24),
        Constraint::Min(8),
    ];
    Table::new(rows, widths).block(Block::bordered().title(title)).render(area, buf);
}

fn render_detail(app: &App, area: Rect, buf: &mut Buffer) {
    let text = match app.checks.selected.and_then(|i| app.check_row(i)) {
        Some(f) => Line::raw(app.analysis().explain(app.trace(), &f)),
        None => Line::styled("Select a finding to see why it happened.", theme::DIM),
    };
    Paragraph::new(text).wrap(Wrap { trim: true }).block(Block::bordered().title(" why ")).render(area, buf);
}
