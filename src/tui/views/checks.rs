//! Checks: the checker's figures per group, and its findings, each with its one-line
//! explanation; Enter goes to the finding's step.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget, Wrap};

use crate::diff::run_figures;
use crate::scenario::model::Metric;
use crate::tui::action::{Action, keys_of};
use crate::tui::app::App;
use crate::tui::format::{fit, fit_line, seconds, wrapped_lines};
use crate::tui::predict;
use crate::tui::theme;

/// The group table's columns: the figure, its header, and its short header on a narrow
/// screen (a legend line then says what the short ones mean).
const COLUMNS: [(Metric, &str, &str); 10] = [
    (Metric::Delivered, "delivered", "dlv"),
    (Metric::Effects, "effects", "eff"),
    (Metric::DuplicateDeliveries, "dup deliv", "dupD"),
    (Metric::DuplicateEffects, "dup effects", "dupE"),
    (Metric::OutOfOrder, "out of order", "ooo"),
    (Metric::Lost, "lost", "lost"),
    (Metric::Failed, "failed", "fail"),
    (Metric::DeadLettered, "dead letters", "dlq"),
    (Metric::MaxLag, "peak lag", "peak"),
    (Metric::FinalLag, "lag", "lag"),
];

/// What the short headers that are not words mean.
const LEGEND: &str =
    "dlv delivered · eff effects · dupD/dupE duplicate deliveries/effects · ooo out of order · dlq dead letters";

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    // The group table (every group, every figure: short headers and a legend when the
    // long ones do not fit), then the run-wide figures (a line, more when they do not fit).
    let inner_width = area.width.saturating_sub(2).max(2);
    let table = FigureTable::new(app, inner_width);
    let run = run_line(app);
    // Wrapped text keeps a column clear of the border.
    let run_lines = wrapped_lines(0, &run.to_string(), inner_width - 1);
    let legend_lines = if table.short { wrapped_lines(0, LEGEND, inner_width - 1) } else { 0 };
    // A row per group (two when the figures before a switch need a line of their own).
    let rows = table.rows.len() as u16 - 1;
    let figures_height = rows + 3 + run_lines + legend_lines;
    // Below the figures: the findings (at least one row), the expectations, and the
    // explanation of the selected finding when there is room for all.
    let after = area.height.saturating_sub(figures_height);
    let detail_height = if after >= 4 + 7 + 3 { 4 } else { 0 };
    let spare = usize::from(after - detail_height);
    // As many expectations as leave the findings five rows (at least MIN_EXPECTATION_ROWS),
    // and never so many that the findings lose their one row.
    let expect = app.model().scenario.expect.len();
    let shown = expect.min(spare.saturating_sub(7 + 2).max(MIN_EXPECTATION_ROWS)).min(spare.saturating_sub(3 + 2));
    let expectations = shown as u16;
    let [figures, expect, list, detail] = Layout::vertical([
        Constraint::Length(figures_height),
        Constraint::Length(if expectations == 0 { 0 } else { expectations + 2 }),
        Constraint::Min(3),
        Constraint::Length(detail_height),
    ])
    .areas(area);
    render_figures(app, table, run, figures, buf);
    render_expectations(app, shown, expect, buf);
    render_findings(app, list, buf);
    if detail.height > 0 {
        render_detail(app, detail, buf);
    }
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
    // The target as wide as the longest (at most half the width), the figure beside it
    // in the rest but a column clear of the border.
    let inner = usize::from(area.width.saturating_sub(2));
    let longest = checked.iter().take(shown).map(|c| c.describe_target(answers).chars().count()).max().unwrap_or(0);
    let half = (inner / 2).min(longest + 2);
    let rest = inner.saturating_sub(2 + 1 + half + 1 + 1);
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
            Cell::from(fit(&c.describe_target(answers), half)),
            Cell::from(fit_line(Line::from(value), rest)),
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
    let widths = [Constraint::Length(2), Constraint::Length(half as u16), Constraint::Length(rest as u16)];
    let title = fit(&title, usize::from(area.width.saturating_sub(4)));
    Table::new(rows, widths).column_spacing(1).block(Block::bordered().title(title)).render(area, buf);
}

/// The group table's cells and column widths, and whether it uses the short headers.
struct FigureTable {
    rows: Vec<Row<'static>>,
    widths: Vec<Constraint>,
    short: bool,
}

/// One figure of the group table: the run before's (after a "what if" switch), now's, and
/// its style.
struct Figure {
    before: Option<u64>,
    now: u64,
    style: Style,
}

impl FigureTable {
    /// The figures per group; after a "what if" switch, each as `before → now` (the run
    /// before at its end, this one at the step shown), changes highlighted. Short headers
    /// when the long ones make the table wider than `width`; still too wide, the figures
    /// before go on a line of their own under each group's (`was`), so none is cut.
    fn new(app: &App, width: u16) -> Self {
        let before = app.experiments.before.as_ref();
        // Per group: its name, and per column the figure before (after a switch), now, and
        // its style.
        let figures: Vec<(String, Vec<Figure>)> = app
            .model()
            .groups
            .iter()
            .enumerate()
            .map(|(g, gm)| {
                let was = before.and_then(|b| b.group(&gm.name));
                let cells = COLUMNS
                    .iter()
                    .map(|(m, _, _)| {
                        let v =
                            if *m == Metric::Lost { app.lost_now(Some(g)) } else { app.analysis().metric(*m, Some(g)) };
                        let bad = v > 0 && !matches!(m, Metric::Delivered | Metric::Effects | Metric::FinalLag);
                        let old = was.map(|w| w.get(*m));
                        let mut style = if bad { theme::WARN } else { Style::new() };
                        if old.is_some_and(|old| old != v) {
                            style = style.add_modifier(Modifier::BOLD);
                        }
                        Figure { before: old, now: v, style }
                    })
                    .collect();
                (gm.name.clone(), cells)
            })
            .collect();
        let joined = |f: &Figure| match f.before {
            Some(old) => format!("{old} → {}", f.now),
            None => f.now.to_string(),
        };
        let column_widths = |text: &dyn Fn(&Figure) -> Vec<String>, short: bool| -> Vec<usize> {
            COLUMNS
                .iter()
                .enumerate()
                .map(|(c, (_, long, abbr))| {
                    let header = if short { abbr.len() } else { long.len() };
                    figures
                        .iter()
                        .flat_map(|(_, cells)| text(&cells[c]))
                        .map(|t| t.chars().count())
                        .fold(header, usize::max)
                })
                .collect()
        };
        let names = figures.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0).max("group".len());
        // Each column and a space; the table keeps a column clear of the border.
        let total = |widths: &[usize]| names + 1 + widths.iter().map(|w| w + 1).sum::<usize>();
        let room = usize::from(width);
        let one_line = |f: &Figure| vec![joined(f)];
        let two_lines = |f: &Figure| f.before.iter().chain([&f.now]).map(u64::to_string).collect();
        let long = column_widths(&one_line, false);
        let (short, split, widths) = if total(&long) <= room {
            (false, false, long)
        } else {
            let short = column_widths(&one_line, true);
            if before.is_none() || total(&short) <= room {
                (true, false, short)
            } else {
                (true, true, column_widths(&two_lines, true))
            }
        };
        // The names give way (shortened with `…`) before a figure does.
        let name_room = room.saturating_sub(total(&widths) - names).clamp(4, names);
        let header = Row::new(
            std::iter::once(Cell::from("group"))
                .chain(COLUMNS.iter().map(|(_, long, abbr)| Cell::from(if short { *abbr } else { *long }))),
        )
        .style(theme::TITLE);
        let mut rows = vec![header];
        for (name, cells) in figures {
            let name = Cell::from(crate::tui::format::fit(&name, name_room));
            if split {
                let now = cells.iter().map(|f| Cell::from(f.now.to_string()).style(f.style));
                rows.push(Row::new(std::iter::once(name).chain(now)));
                let was = cells.iter().map(|f| Cell::from(f.before.map_or_else(String::new, |o| o.to_string())));
                rows.push(Row::new(std::iter::once(Cell::from("  was")).chain(was)).style(theme::DIM));
            } else {
                let now = cells.iter().map(|f| Cell::from(joined(f)).style(f.style));
                rows.push(Row::new(std::iter::once(name).chain(now)));
            }
        }
        let mut constraints = vec![Constraint::Length(name_room as u16)];
        constraints.extend(widths.iter().map(|&w| Constraint::Length(w as u16)));
        FigureTable { rows, widths: constraints, short }
    }
}

/// The figure table, the legend of its short headers, and the run-wide figures.
fn render_figures(app: &App, table: FigureTable, run: Line<'static>, area: Rect, buf: &mut Buffer) {
    let before = app.experiments.before.as_ref();
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
    let block = Block::bordered().title(fit(&title, usize::from(area.width.saturating_sub(4))));
    let inner = block.inner(area);
    block.render(area, buf);
    let lines = table.rows.len() as u16;
    let wrap_width = inner.width.saturating_sub(1);
    let legend = if table.short { wrapped_lines(0, LEGEND, wrap_width) } else { 0 };
    let [table_area, legend_area, run_area] =
        Layout::vertical([Constraint::Length(lines), Constraint::Length(legend), Constraint::Min(1)]).areas(inner);
    let mut rows = table.rows;
    let header = rows.remove(0);
    Table::new(rows, table.widths).header(header).column_spacing(1).render(table_area, buf);
    let narrow = |r: Rect| Rect { width: wrap_width, ..r };
    if legend > 0 {
        Paragraph::new(Line::styled(LEGEND, theme::DIM)).wrap(Wrap { trim: true }).render(narrow(legend_area), buf);
    }
    Paragraph::new(run).wrap(Wrap { trim: true }).render(narrow(run_area), buf);
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

/// The findings, a row each, but one for all of an event's failed attempts in a group and
/// the deliveries that retried it (`failed ×3 · retried ×2`): retries after a failure are
/// not duplicates by a crash, a rebalance or a fault. Then the standing ones.
fn render_findings(app: &App, area: Rect, buf: &mut Buffer) {
    let analysis = app.analysis();
    let rows = analysis.finding_rows();
    let standing = app.standing_findings();
    let total = rows.len() + standing.len();
    let trace = app.trace();
    let namer = crate::trace::jsonl::Namer { model: app.model(), trace };
    let height = area.height.saturating_sub(2) as usize;
    let selected = app.checks.selected;
    // A window of rows around the selection: never more work than the screen shows.
    let start = selected
        .map_or(total.saturating_sub(height), |s| s.saturating_sub(height / 2))
        .min(total.saturating_sub(height));
    let row = |i: usize| match rows.get(i) {
        Some(r) if r.is_retries() => {
            let label = match (r.failed, r.retried) {
                (f, 0) => format!("failed ×{f}"),
                (f, n) => format!("failed ×{f} · retried ×{n}"),
            };
            (analysis.row_head(i), label)
        }
        Some(_) => {
            let f = analysis.row_head(i);
            (f, f.class.name().to_owned())
        }
        None => {
            let f = standing[i - rows.len()];
            (f, f.class.name().to_owned())
        }
    };
    // Each column as wide as its widest cell on screen; the scope (the last) takes the
    // rest, less a column clear of the border, shortened with `…` when it must be.
    let cells: Vec<(usize, [Line<'static>; 5])> = (start..total)
        .take(height)
        .map(|i| {
            let (f, label) = row(i);
            let time = app.steps().get((f.step as usize).wrapping_sub(1)).map_or_else(String::new, |s| seconds(s.t_us));
            let cursor = if Some(i) == selected { theme::CURSOR } else { " " };
            (
                i,
                [
                    Line::from(vec![Span::raw(cursor), Span::styled(format!(" {label} "), theme::finding(f.class))]),
                    Line::raw(format!("step {}", f.step)),
                    Line::raw(time),
                    Line::raw(namer.event_id(f.event)),
                    Line::raw(namer.finding_scope(&f).to_owned()),
                ],
            )
        })
        .collect();
    let mut widths = [0usize; 5];
    for (_, row) in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    widths[4] = usize::from(area.width.saturating_sub(2 + 1)).saturating_sub(widths[..4].iter().map(|w| w + 1).sum());
    let lines = cells.into_iter().map(|(i, [a, b, c, d, scope])| {
        let row = Row::new([a, b, c, d, fit_line(scope, widths[4])].map(Cell::from));
        if Some(i) == selected { row.style(theme::SELECTED) } else { row }
    });
    let steps = analysis.findings().len() + standing.len();
    let grouped =
        if steps > total { format!(" ({steps} steps; an event's retries are one row)") } else { String::new() };
    let title = if total == 0 {
        if app.finished() { " findings: none ".to_owned() } else { " findings: none so far ".to_owned() }
    } else if standing.is_empty() && grouped.is_empty() {
        format!(" findings: {total} (↑↓ select, Enter: go to its step, n/N: next/previous) ")
    } else if standing.is_empty() {
        format!(" findings: {total}{grouped} · ↑↓ Enter n/N ")
    } else {
        format!(
            " findings: {total}{grouped}, the last {} standing as of this step (lost work, uncompensated sagas) · ↑↓ Enter n/N ",
            standing.len()
        )
    };
    let widths = widths.map(|w| Constraint::Length(w as u16));
    let title = fit(&title, usize::from(area.width.saturating_sub(4)));
    Table::new(lines, widths).column_spacing(1).block(Block::bordered().title(title)).render(area, buf);
}

fn render_detail(app: &App, area: Rect, buf: &mut Buffer) {
    let text = match app.checks.selected.and_then(|i| app.check_row(i)) {
        Some(f) => Line::raw(app.analysis().explain(app.trace(), &f)),
        None => Line::styled("Select a finding to see why it happened.", theme::DIM),
    };
    Paragraph::new(text).wrap(Wrap { trim: true }).block(Block::bordered().title(" why ")).render(area, buf);
}
