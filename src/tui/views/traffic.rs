//! Traffic: every step of the run as a table row (number, time, kind, event, type, key,
//! where, who, detail), filtered by `/`. With no selection the table follows the newest
//! steps; with one it is centred on the selected row. Findings stand out on their kind
//! cell. Enter inspects the row's event; a click selects a row.
//!
//! Windowed: a frame looks at no more steps than the screen shows, walking from the anchor
//! and skipping rows the filter rejects, at most [`SCAN_LIMIT`] steps each way, so a filter
//! that matches nothing costs the same on a run of millions of steps as on a short one.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, Widget};

use crate::trace::StepKind;
use crate::trace::jsonl::Namer;
use crate::tui::app::App;
use crate::tui::format::{detail, finding_label, finding_words, fit_line, place, seconds, thousands, who};
use crate::tui::theme;
use crate::tui::ui::body_area;

/// The most steps a frame examines in each direction from the anchor while filtering.
pub const SCAN_LIMIT: usize = 20_000;

/// The rows a frame shows: step indices, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub rows: Vec<usize>,
    /// The walk stopped at [`SCAN_LIMIT`] before it filled the screen.
    pub capped: bool,
}

/// Where the table's rows are drawn inside the view's area: inside the border, below the
/// column header. Rendering and mouse clicks both use it.
pub fn rows_area(view: Rect) -> Rect {
    let inner = Block::bordered().inner(view);
    Rect { y: inner.y.saturating_add(1), height: inner.height.saturating_sub(1), ..inner }
}

/// Walks the trace from an anchor, taking steps that pass the filter, within a budget.
struct Walk<'a> {
    app: &'a App,
    budget: usize,
    capped: bool,
}

impl Walk<'_> {
    fn new(app: &App) -> Walk<'_> {
        Walk { app, budget: SCAN_LIMIT, capped: false }
    }

    /// Takes matching steps before `*from` (exclusive), newest first, until `out` holds `want`.
    fn back(&mut self, from: &mut usize, want: usize, out: &mut Vec<usize>) {
        while out.len() < want && *from > 0 {
            if self.budget == 0 {
                self.capped = true;
                return;
            }
            self.budget -= 1;
            *from -= 1;
            if self.app.matches(*from) {
                out.push(*from);
            }
        }
    }

    /// Takes matching steps from `*from` up to `end` (exclusive) until `out` holds `want`.
    fn forward(&mut self, from: &mut usize, end: usize, want: usize, out: &mut Vec<usize>) {
        while out.len() < want && *from < end {
            if self.budget == 0 {
                self.capped = true;
                return;
            }
            self.budget -= 1;
            if self.app.matches(*from) {
                out.push(*from);
            }
            *from += 1;
        }
    }
}

/// The steps on screen for a table of `height` rows: the newest matching steps when
/// following, else the selected step (shown even if the filter rejects it) with matching
/// steps around it, centred unless an end of the trace is near.
pub fn window(app: &App, height: usize) -> Window {
    let n = app.step_number();
    if n == 0 || height == 0 {
        return Window::default();
    }
    let Some(selected) = app.traffic.selected.map(|s| s.min(n - 1)) else {
        let mut walk = Walk::new(app);
        let mut rows = Vec::with_capacity(height);
        let mut from = n;
        walk.back(&mut from, height, &mut rows);
        rows.reverse();
        return Window { rows, capped: walk.capped };
    };
    let mut back = Walk::new(app);
    let mut ahead = Walk::new(app);
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let (mut back_at, mut ahead_at) = (selected, selected + 1);
    back.back(&mut back_at, (height - 1) / 2, &mut before);
    ahead.forward(&mut ahead_at, n, height - 1 - before.len(), &mut after);
    // Near the newest step: fill the screen with older rows instead.
    back.back(&mut back_at, height - 1 - after.len(), &mut before);
    let mut rows = Vec::with_capacity(height);
    rows.extend(before.iter().rev());
    rows.push(selected);
    rows.extend(after);
    Window { rows, capped: back.capped || ahead.capped }
}

/// Columns, in order on screen; `DROP` lists which to leave out first when the screen is narrow.
const HEADERS: [&str; 9] = ["step", "time", "kind", "event", "type", "key", "where", "who", "detail"];
const DETAIL: usize = 8;
const DROP: [usize; 5] = [DETAIL, 5, 4, 7, 6];

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let namer = Namer { model: app.model(), trace: app.trace() };
    let rows_at = rows_area(area);
    let window = window(app, rows_at.height as usize);
    let selected = app.traffic.selected;
    let rows: Vec<[Line<'static>; 9]> =
        window.rows.iter().map(|&i| row_cells(app, &namer, i, Some(i) == selected)).collect();
    let (shown, constraints, detail_room) = columns(app, &rows, rows_at.width);

    let header = Row::new((0..9).filter(|&c| shown[c]).map(|c| Cell::from(HEADERS[c]))).style(theme::TITLE);
    let table_rows = window.rows.iter().zip(rows).map(|(&i, cells)| {
        let row = Row::new(
            cells
                .into_iter()
                .enumerate()
                .filter(|(c, _)| shown[*c])
                .map(|(c, l)| Cell::from(if c == DETAIL { fit_line(l, detail_room) } else { l })),
        );
        if Some(i) == selected { row.style(theme::SELECTED) } else { row }
    });
    let block = Block::bordered().title(fit_line(title(app, &window), usize::from(area.width.saturating_sub(4))));
    if app.steps().is_empty() {
        let hint = Line::styled("no steps yet: press space to play or → to step", theme::DIM);
        Table::new(vec![Row::new(vec![Cell::from(hint)])], [Constraint::Fill(1)]).block(block).render(area, buf);
        return;
    }
    Table::new(table_rows, constraints)
        .header(header)
        .column_spacing(1)
        .block(block)
        .style(Style::new())
        .render(area, buf);
}

/// The cells of step index `i`'s row, one per column of [`HEADERS`].
fn row_cells(app: &App, namer: &Namer<'_>, i: usize, selected: bool) -> [Line<'static>; 9] {
    let trace = namer.trace;
    let step = &app.steps()[i];
    let finding = app.analysis().finding_at(i as u64 + 1);
    // A delivery after a failed attempt is a retry, not a duplicate (still counted as one).
    let retry = finding.is_some_and(|f| app.analysis().is_retry(f));
    let kind = match finding {
        Some(f) => Line::from(vec![
            Span::styled(
                format!(" {} ", if retry { "RETRY" } else { finding_label(f.class) }),
                theme::finding(f.class),
            ),
            Span::styled(format!(" {}", step.kind.name()), theme::kind(step.kind)),
        ]),
        None => Line::styled(step.kind.name(), theme::kind(step.kind)),
    };
    let (id, event_type, key) = if step.event.is_none() {
        (String::new(), String::new(), String::new())
    } else {
        let e = trace.event_of(step);
        (
            namer.event_id(step.event_idx()),
            trace.strings.resolve(e.event_type).to_owned(),
            e.key.map(|k| trace.strings.resolve(k).to_owned()).unwrap_or_default(),
        )
    };
    let detail = match finding {
        Some(f) => {
            let more = detail(namer, step);
            let words = if retry {
                "⚠ retry after a failure (a duplicate delivery by count)".to_owned()
            } else {
                format!("⚠ {}", finding_words(f.class))
            };
            let mut spans = vec![Span::styled(words, theme::WARN)];
            if !more.is_empty() {
                spans.push(Span::raw(format!("  {more}")));
            }
            Line::from(spans)
        }
        None => Line::raw(detail(namer, step)),
    };
    [
        Line::raw(format!("{}{}", if selected { theme::CURSOR } else { "" }, i + 1)).right_aligned(),
        Line::raw(seconds(step.t_us)).right_aligned(),
        kind,
        Line::raw(id),
        Line::raw(event_type),
        Line::raw(key),
        Line::raw(place(namer, step)),
        Line::raw(who(namer, step)),
        detail,
    ]
}

/// Which columns show in `width`, and their widths: as wide as what the screen shows; the
/// narrowest screens drop the least needed columns; the detail takes what is left (its
/// room is the third figure: the detail is shortened to it). The number, time and kind
/// columns keep their width while the table scrolls. A column stays clear of the border.
fn columns(app: &App, rows: &[[Line<'static>; 9]], width: u16) -> ([bool; 9], Vec<Constraint>, usize) {
    let width = width.saturating_sub(1);
    let mut widths: Vec<u16> = HEADERS.iter().map(|h| h.len() as u16).collect();
    widths[0] = widths[0].max(app.steps().len().to_string().len() as u16);
    widths[1] = widths[1].max(seconds(app.model().duration.max(app.now())).len() as u16);
    widths[2] = widths[2].max(StepKind::ALL.iter().map(|k| k.name().len() as u16).max().unwrap_or(0));
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width() as u16);
        }
    }
    widths[DETAIL] = 0;
    let mut shown = [true; 9];
    let total = |shown: &[bool; 9]| -> u16 {
        let columns = shown.iter().filter(|s| **s).count() as u16;
        widths.iter().zip(shown).filter(|(_, s)| **s).map(|(w, _)| *w).sum::<u16>() + columns.saturating_sub(1)
    };
    for column in DROP {
        let room = if column == DETAIL { 8 } else { 0 };
        if total(&shown) + room <= width {
            break;
        }
        shown[column] = false;
    }
    let detail_room = if shown[DETAIL] { usize::from(width.saturating_sub(total(&shown))) } else { 0 };
    let constraints = (0..9)
        .filter(|&c| shown[c])
        .map(|c| if c == DETAIL { Constraint::Length(detail_room as u16) } else { Constraint::Length(widths[c]) })
        .collect();
    (shown, constraints, detail_room)
}

/// The table's title: the steps, the filter, following or the selection, and whether the
/// walk found nothing or stopped at [`SCAN_LIMIT`].
fn title(app: &App, window: &Window) -> Line<'static> {
    let selected = app.traffic.selected;
    let mut title = vec![Span::styled(" traffic ", theme::TITLE), Span::raw(format!("· steps {} ", app.steps().len()))];
    let filter = app.filter.text.trim();
    if !filter.is_empty() {
        title.push(Span::styled(format!("· filter \"{filter}\" "), theme::WARN));
    }
    title.push(match selected {
        Some(s) => Span::raw(format!("· step {} selected (f: follow) ", s + 1)),
        None => Span::styled("· following ", theme::OK),
    });
    if window.rows.is_empty() && !app.steps().is_empty() && !window.capped {
        title.push(Span::styled("· no match ", theme::WARN));
    }
    if window.capped {
        let limit = thousands(SCAN_LIMIT);
        let note = match (selected, window.rows.is_empty()) {
            (None, true) => format!("· no match in the last {limit} steps "),
            (None, false) => format!("· searched the last {limit} steps "),
            (Some(_), _) => format!("· searched {limit} steps each way "),
        };
        title.push(Span::styled(note, theme::WARN));
    }
    Line::from(title)
}

/// Selects the step on the clicked row.
pub fn click(app: &mut App, screen: Rect, row: u16) {
    let rows_at = rows_area(body_area(app, screen));
    if row < rows_at.y || row >= rows_at.bottom() {
        return;
    }
    let window = window(app, rows_at.height as usize);
    let Some(&step) = window.rows.get(usize::from(row - rows_at.y)) else { return };
    app.traffic.select(step);
    if let Some(event) = app.steps()[step].event {
        app.focus_event = Some(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::{Limits, load_str};
    use crate::tui::action::Action;
    use crate::tui::views::View;

    fn app() -> App {
        let source = include_str!("../../../scenarios/crash-duplicates.json");
        let scenario = load_str(source, "crash-duplicates", &Limits::default()).expect("valid");
        let mut app = App::new("test".to_owned(), None, scenario, None, crate::scenario::load::Limits::default())
            .expect("compiles");
        app.apply(Action::RunToEnd);
        app.apply(Action::ShowView(View::Traffic));
        app
    }

    fn text(buf: &Buffer) -> Vec<String> {
        (0..buf.area.height).map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()).collect()
    }

    fn draw(app: &App, width: u16, height: u16) -> Vec<String> {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        render(app, area, &mut buf);
        text(&buf)
    }

    #[test]
    fn follows_the_newest_steps() {
        let app = app();
        let n = app.step_number();
        let screen = draw(&app, 140, 20);
        assert!(screen[0].contains(&format!("steps {n}")) && screen[0].contains("following"), "{}", screen[0]);
        assert!(screen[1].contains("step") && screen[1].contains("kind") && screen[1].contains("where"));
        let last = &screen[18];
        assert!(last.contains(&format!("{n} 10.000s note")), "{last}");
        assert!(screen.iter().any(|l| l.contains("PaymentCharged") && l.contains("payments/0@")), "{screen:#?}");
    }

    #[test]
    fn a_selected_finding_is_centred_and_marked() {
        let mut app = app();
        app.apply(Action::NextFinding);
        // Back at the end of the run, the finding's row stays selected.
        app.apply(Action::Last);
        let f = app.analysis().findings()[0];
        let screen = draw(&app, 140, 21);
        assert!(screen[0].contains(&format!("step {} selected", f.step)), "{}", screen[0]);
        // 18 rows (21 lines less the borders and the header): the selection is the 9th.
        let row = &screen[2 + 8];
        // Marked `▸` as well as coloured.
        assert!(row.trim_start_matches('│').trim_start().starts_with(&format!("▸{}", f.step)), "{row:?} {}", f.step);
        assert!(row.contains("DUP-") && row.contains("duplicate"), "{row}");
        assert!(row.contains("billing#1") && row.contains("orders/1@16"), "{row}");
        let window = window(&app, 18);
        assert_eq!(window.rows[8], (f.step - 1) as usize);
        assert_eq!(window.rows.len(), 18);
    }

    #[test]
    fn the_filter_skips_rows_and_says_when_nothing_matches() {
        let mut app = app();
        app.filter.text = "crashed".to_owned();
        let screen = draw(&app, 140, 12);
        assert!(screen[0].contains("filter \"crashed\""), "{}", screen[0]);
        let rows: Vec<&String> = screen[2..11].iter().filter(|l| l.contains('s')).collect();
        assert_eq!(rows.len(), 1, "one crash: {screen:#?}");
        assert!(rows[0].contains("crashed") && rows[0].contains("billing#2"));
        app.filter.text = "no-such-thing".to_owned();
        let screen = draw(&app, 140, 12);
        assert!(screen[0].contains("no match"), "{}", screen[0]);
    }

    #[test]
    fn narrow_screens_drop_columns_and_tiny_ones_do_not_panic() {
        let app = app();
        let screen = draw(&app, 60, 10);
        assert!(screen[1].contains("event") && !screen[1].contains("detail"), "{}", screen[1]);
        for (w, h) in [(1, 1), (10, 3), (40, 4), (80, 24)] {
            let _ = draw(&app, w, h);
        }
    }

    #[test]
    fn a_click_selects_the_row_under_it() {
        let mut app = app();
        let screen = Rect::new(0, 0, 140, 40);
        let rows = rows_area(body_area(&app, screen));
        let shown = window(&app, rows.height as usize);
        click(&mut app, screen, rows.y + 3);
        assert_eq!(app.traffic.selected, Some(shown.rows[3]));
        if let Some(event) = app.steps()[shown.rows[3]].event {
            assert_eq!(app.focus_event, Some(event));
        }
        // The header line and the border select nothing.
        let before = app.traffic.selected;
        click(&mut app, screen, rows.y - 1);
        click(&mut app, screen, rows.bottom());
        assert_eq!(app.traffic.selected, before);
    }
}
