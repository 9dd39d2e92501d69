//! The inspector: a popup with everything about the focused event — ids, type, key,
//! source, where and when it was published, schema version, correlation and causation,
//! the events it caused, headers, data — and where it went: every step about it
//! (deliveries, processing, failures, acks, requeues, dead letters), findings marked.
//!
//! Finding those steps scans the trace from the event's publication (at most
//! [`MAX_STEPS`] of them are kept): O(steps), but only while the popup is open.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Cell, Clear, Paragraph, Row, Table, Widget, Wrap};

use crate::trace::EventIdx;
use crate::trace::jsonl::Namer;
use crate::tui::app::App;
use crate::tui::format::{detail, finding_words, fit, fit_line, place, seconds, who};
use crate::tui::theme;

/// The most steps about one event the popup lists.
pub const MAX_STEPS: usize = 200;
/// The most caused events the popup lists.
pub const MAX_CAUSED: usize = 20;

const LABEL: usize = 12;

fn field(label: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{label:<LABEL$}"), theme::TITLE), Span::raw(value.into())])
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    let trace = app.trace();
    let block = Block::bordered().border_type(BorderType::Rounded);
    let Some(focus) = app.focus_event.filter(|&e| e.index() < app.events_seen()) else {
        Paragraph::new(Line::styled("No event selected: pick a row in Traffic and press Enter.", theme::DIM))
            .block(block.title(" inspector · Esc closes "))
            .render(area, buf);
        return;
    };
    let namer = Namer { model: app.model(), trace };
    let block = block.title(Line::from(vec![
        Span::styled(" inspector ", theme::TITLE),
        Span::raw(format!("· {} · Esc closes ", namer.event_id(focus))),
    ]));
    let inner = block.inner(area);
    block.render(area, buf);

    let (steps, more) = steps_about(app, focus);
    // Side by side when wide; else the fields (packed when they would not fit) above the steps.
    let (details, [left, right]) = if inner.width >= 100 {
        let areas = Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).spacing(1).areas(inner);
        (details(app, &namer, focus, false), areas)
    } else {
        let most = inner.height.saturating_mul(3) / 5;
        let full = details(app, &namer, focus, false);
        let details = if full.len() as u16 <= most { full } else { details(app, &namer, focus, true) };
        // Rows the wrapped lines take (word wrapping may take a little more than this).
        let width = usize::from(inner.width.max(1));
        let wanted = details.iter().map(|l| l.width().max(1).div_ceil(width)).sum::<usize>() as u16;
        (details, Layout::vertical([Constraint::Length(wanted.min(most)), Constraint::Fill(1)]).areas(inner))
    };
    // Wrapped a column clear of the edge.
    let left = Rect { width: left.width.saturating_sub(1), ..left };
    Paragraph::new(details).wrap(Wrap { trim: false }).render(left, buf);
    render_steps(app, &namer, &steps, more, right, buf);
}

/// The event's fields, as labelled lines; `compact` packs them into few lines for a small
/// popup (data as one line of JSON, wrapped).
fn details(app: &App, namer: &Namer<'_>, focus: EventIdx, compact: bool) -> Vec<Line<'static>> {
    let facts = Facts::of(app, namer, focus);
    if compact { facts.compact_lines() } else { facts.full_lines() }
}

/// What the inspector says of an event, as text.
struct Facts {
    id: String,
    event_type: String,
    key: String,
    source: String,
    schema_version: u32,
    published: String,
    /// The record's own timestamp, for an event read off a real cluster.
    record_time: Option<String>,
    correlation: String,
    causation: Option<String>,
    /// The events it caused, up to [`MAX_CAUSED`]: `more_caused` when there may be more.
    caused: Vec<String>,
    more_caused: bool,
    fetches: Vec<String>,
    headers: Vec<String>,
    data: serde_json::Value,
}

impl Facts {
    fn of(app: &App, namer: &Namer<'_>, focus: EventIdx) -> Facts {
        let trace = namer.trace;
        let e = trace.event(focus);
        let published = match app.analysis().first_published(focus) {
            Some(s) => {
                let step = &app.steps()[s];
                format!("{} (step {}) on {}", seconds(step.t_us), s + 1, place(namer, step))
            }
            None => format!("on {}", namer.topic(e.topic)),
        };
        let causation = e.cause.map(|cause| {
            format!("{} ({})", namer.event_id(cause), trace.strings.resolve(trace.event(cause).event_type))
        });
        let caused: Vec<String> = caused(app, namer, focus)
            .iter()
            .map(|&c| {
                let c_event = trace.event(c);
                format!(
                    "{} {} on {}",
                    namer.event_id(c),
                    trace.strings.resolve(c_event.event_type),
                    namer.topic(c_event.topic)
                )
            })
            .collect();
        let headers = trace
            .payloads
            .headers(e.headers)
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect();
        Facts {
            id: namer.event_id(focus),
            event_type: trace.strings.resolve(e.event_type).to_owned(),
            key: e.key.map_or_else(|| "—".to_owned(), |k| trace.strings.resolve(k).to_owned()),
            source: trace.strings.resolve(e.source).to_owned(),
            schema_version: e.schema_version,
            published,
            record_time: trace.record_time(focus).map(|ms| format!("{} UTC", super::super::format::record_time(ms))),
            correlation: e.correlation.render(&trace.strings),
            causation,
            more_caused: caused.len() == MAX_CAUSED,
            caused,
            fetches: fetches(app, namer, focus),
            headers,
            data: trace.payloads.value(e.data),
        }
    }

    /// A few lines: the event's facts run together, lists joined.
    fn compact_lines(&self) -> Vec<Line<'static>> {
        let Facts { id, event_type, key, source, schema_version, .. } = self;
        let mut lines = vec![
            field("event", format!("{id} · {event_type} · key {key} · v{schema_version} · from {source}")),
            field("published", self.published.clone()),
        ];
        if let Some(time) = &self.record_time {
            lines.push(field("record time", time.clone()));
        }
        let mut chain = vec![
            Span::styled(format!("{:<LABEL$}", "correlation"), theme::TITLE),
            Span::raw(format!("{} · causation ", self.correlation)),
        ];
        chain.push(self.causation.clone().map_or(root(), Span::raw));
        lines.push(Line::from(chain));
        if !self.caused.is_empty() {
            let tail = if self.more_caused { ", …" } else { "" };
            lines.push(field("caused", format!("{}{tail}", self.caused.join(", "))));
        }
        if !self.fetches.is_empty() {
            lines.push(field("fetched", self.fetches.join(", ")));
        }
        if !self.headers.is_empty() {
            lines.push(field("headers", self.headers.join(", ")));
        }
        if self.data.is_null() {
            lines.push(none("data"));
        } else {
            lines.push(field("data", self.data.to_string()));
        }
        lines
    }

    /// A field a line, lists a line an item, the data pretty-printed.
    fn full_lines(self) -> Vec<Line<'static>> {
        let mut lines = vec![
            field("id", self.id),
            field("type", self.event_type),
            field("key", self.key),
            field("source", self.source),
            field("published", self.published),
        ];
        if let Some(time) = self.record_time {
            lines.push(field("record time", time));
        }
        lines.extend([
            field("schema", format!("v{}", self.schema_version)),
            field("correlation", self.correlation),
            match self.causation {
                Some(text) => field("causation", text),
                None => Line::from(vec![Span::styled(format!("{:<LABEL$}", "causation"), theme::TITLE), root()]),
            },
        ]);
        for (i, text) in self.caused.into_iter().enumerate() {
            lines.push(field(if i == 0 { "caused" } else { "" }, text));
        }
        if self.more_caused {
            lines.push(field("", "…"));
        }
        for (i, text) in self.fetches.into_iter().enumerate() {
            lines.push(field(if i == 0 { "fetched" } else { "" }, text));
        }
        if self.headers.is_empty() {
            lines.push(none("headers"));
        }
        for (i, text) in self.headers.into_iter().enumerate() {
            lines.push(field(if i == 0 { "headers" } else { "" }, text));
        }
        if self.data.is_null() {
            lines.push(none("data"));
        } else {
            lines.push(Line::styled("data", theme::TITLE));
            let pretty = serde_json::to_string_pretty(&self.data).unwrap_or_else(|_| self.data.to_string());
            lines.extend(pretty.lines().map(|l| Line::raw(format!("  {l}"))));
        }
        lines
    }
}

/// `label   none`.
fn none(label: &str) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{label:<LABEL$}"), theme::TITLE), Span::styled("none", theme::DIM)])
}

/// A root event's causation.
fn root() -> Span<'static> {
    Span::styled("— (a root event)", theme::DIM)
}

/// What the fetches made for `focus` read: `billing read BankAccount v3 (the event made v2:
/// moved on)`, one per `fetched` step (the first [`MAX_STEPS`]).
fn fetches(app: &App, namer: &Namer<'_>, focus: EventIdx) -> Vec<String> {
    let (steps, _) = steps_about(app, focus);
    steps
        .iter()
        .map(|&i| &app.steps()[i])
        .filter(|s| s.kind == crate::trace::StepKind::Fetched)
        .map(|s| {
            let aggregate = s.aggregate().and_then(|a| namer.model.aggregates.get(a.index()));
            let aggregate = aggregate.map_or("?", |a| a.name.as_str());
            let (read, made) = s.versions();
            let made = match made {
                None => "the event made none".to_owned(),
                Some(v) if read > v => format!("the event made v{v}: moved on"),
                Some(v) => format!("the event made v{v}"),
            };
            format!("{} read {aggregate} v{read} ({made})", namer.group(s.group_idx()))
        })
        .collect()
}

/// Events emitted while handling `focus` (they come after it in the event list), published
/// by the step shown: the trace may hold later ones (the run computed further, then sought
/// back), which are the future.
fn caused(app: &App, namer: &Namer<'_>, focus: EventIdx) -> Vec<EventIdx> {
    let events = &namer.trace.events;
    let analysis = app.analysis();
    (focus.index() + 1..events.len())
        .map(EventIdx::new)
        .filter(|&i| events[i.index()].cause == Some(focus) && analysis.first_published(i).is_some())
        .take(MAX_CAUSED)
        .collect()
}

/// The steps about `focus`, from its publication on, and whether more were left out.
fn steps_about(app: &App, focus: EventIdx) -> (Vec<usize>, bool) {
    let steps = app.steps();
    let start = app.analysis().first_published(focus).unwrap_or(0);
    let mut found = Vec::new();
    for (i, step) in steps.iter().enumerate().skip(start) {
        if step.event == Some(focus) {
            if found.len() == MAX_STEPS {
                return (found, true);
            }
            found.push(i);
        }
    }
    (found, false)
}

/// The steps table's columns.
const HEADERS: [&str; 6] = ["step", "time", "kind", "where", "who", "detail"];

fn render_steps(app: &App, namer: &Namer<'_>, steps: &[usize], more: bool, area: Rect, buf: &mut Buffer) {
    let title = if more {
        format!(" where it went · the first {MAX_STEPS} steps ")
    } else {
        format!(" where it went · {} step{} ", steps.len(), if steps.len() == 1 { "" } else { "s" })
    };
    let block =
        Block::bordered().title(Line::styled(fit(&title, usize::from(area.width.saturating_sub(4))), theme::TITLE));
    // Each column as wide as its widest cell; the detail takes the rest of the row, less a
    // column clear of the border, and is shortened with `…` to it.
    let cells: Vec<(usize, [Line<'static>; 6])> = steps
        .iter()
        .map(|&i| {
            let step = &app.steps()[i];
            let finding = app.analysis().finding_at(i as u64 + 1);
            let kind = Line::styled(
                step.kind.name(),
                finding.map_or_else(|| theme::kind(step.kind), |f| theme::finding(f.class)),
            );
            let detail = match finding {
                Some(f) => Line::from(vec![
                    Span::styled(
                        if app.analysis().is_retry(f) {
                            "⚠ retry after a failure ".to_owned()
                        } else {
                            format!("⚠ {} ", finding_words(f.class))
                        },
                        theme::WARN,
                    ),
                    Span::raw(detail(namer, step)),
                ]),
                None => Line::raw(detail(namer, step)),
            };
            let cursor = if app.traffic.selected == Some(i) { theme::CURSOR } else { "" };
            (
                i,
                [
                    Line::raw(format!("{cursor}{}", i + 1)).right_aligned(),
                    Line::raw(seconds(step.t_us)).right_aligned(),
                    kind,
                    Line::raw(place(namer, step)),
                    Line::raw(who(namer, step)),
                    detail,
                ],
            )
        })
        .collect();
    let mut widths = HEADERS.map(str::len);
    for (_, row) in &cells {
        for (w, cell) in widths.iter_mut().zip(row).take(5) {
            *w = (*w).max(cell.width());
        }
    }
    let others: usize = widths[..5].iter().map(|w| w + 1).sum();
    widths[5] = usize::from(area.width.saturating_sub(2 + 1)).saturating_sub(others);
    let rows = cells.into_iter().map(|(i, [a, b, c, d, e, detail])| {
        let row = Row::new([a, b, c, d, e, fit_line(detail, widths[5])].map(Cell::from));
        if app.traffic.selected == Some(i) { row.style(theme::SELECTED) } else { row }
    });
    let header = Row::new(HEADERS).style(theme::TITLE);
    let widths = widths.map(|w| Constraint::Length(w as u16));
    Table::new(rows, widths).header(header).column_spacing(1).block(block).style(Style::new()).render(area, buf);
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

    fn draw(app: &App, width: u16, height: u16) -> String {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        render(app, area, &mut buf);
        (0..height).map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
    }

    #[test]
    fn shows_a_duplicated_event_and_where_it_went() {
        let mut app = app();
        app.apply(Action::NextFinding);
        // At the finding's step the inspector shows the event's steps so far; at the end
        // of the run, all of them.
        app.apply(Action::Last);
        app.apply(Action::Inspect);
        assert!(app.inspector);
        let f = app.analysis().findings()[0];
        let id = app.trace().event(f.event).id.render(&app.trace().strings);
        let screen = draw(&app, 130, 30);
        for text in [
            format!("inspector · {id}"),
            "OrderCreated".to_owned(),
            "correlation".to_owned(),
            "— (a root event)".to_owned(),
            "\"total\":".to_owned(),
            "where it went · 5 steps".to_owned(),
            "billing#2".to_owned(),
            "⚠ dup".to_owned(),
            format!("{} ", f.step),
        ] {
            assert!(screen.contains(&text), "{text:?} missing in\n{screen}");
        }
        // Two charges: the duplicate effect is visible as a second caused event.
        assert_eq!(screen.matches("PaymentCharged on payments").count(), 2, "{screen}");
        // Small: the fields are packed and the data stays visible.
        let small = draw(&app, 70, 15);
        assert!(small.contains("data") && small.contains("{\"total\":"), "{small}");
    }

    #[test]
    fn an_emitted_event_names_its_cause() {
        let mut app = app();
        let trace = app.trace();
        let emitted = trace.events.iter().position(|e| e.cause.is_some()).expect("an emitted event");
        app.focus_event = Some(EventIdx::new(emitted));
        app.inspector = true;
        let screen = draw(&app, 130, 30);
        assert!(screen.contains("PaymentCharged") && screen.contains("(OrderCreated)"), "{screen}");
        assert!(screen.contains("orderId"), "{screen}");
        app.focus_event = None;
        assert!(draw(&app, 60, 10).contains("No event selected"));
        let _ = draw(&app, 3, 2);
    }
}
