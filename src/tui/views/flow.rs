//! Flow: the topology, left to right: producers ─▶ topics (log partitions shaded by the
//! lag of the group furthest behind) ─▶ consumer groups (each instance, what it is doing and
//! the partitions it owns). Edges carry the rate of the last virtual second, and the events
//! of the last 200 ms move along them as `●`; the newest events are listed at the bottom.
//!
//! Everything comes from the model, the analysis and bounded backward scans of the end of
//! the trace (see `flow/live.rs`), so a frame costs the same after ten steps or ten million.

mod canvas;
mod live;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Widget};

use self::canvas::Canvas;
use self::live::{Live, MOTION_US};
use crate::analysis::InstanceLive;
use crate::scenario::model::TopicKind;
use crate::sim::Model;
use crate::trace::{EventIdx, GroupIdx, InstanceIdx, Partition, Step, StepKind, TopicIdx, Trace};
use crate::tui::app::App;
use crate::tui::format::{fit, fit_lines, per_second, ranges, seconds};
use crate::tui::theme;

const NAME: Style = Style::new().add_modifier(Modifier::BOLD);
const MARKER: Style = Style::new().add_modifier(Modifier::BOLD);
/// The most lines of recent events at the bottom.
const MAX_TICKER: u16 = 6;
/// The recent list's most rows on a tall screen (40 rows and more).
const MAX_TICKER_TALL: u16 = 24;
/// The widest a group box grows: beyond, a wide screen centres the diagram instead of
/// stretching the boxes over empty columns (their figures stay beside their names).
const MAX_GROUP_WIDTH: u16 = 72;
/// The most lines of partition offsets in a group box.
const MAX_OFFSET_LINES: usize = 4;
/// The most rows of partition cells in a topic box.
const MAX_CELL_ROWS: usize = 3;
/// The most steps read back for the recent-events lines.
const MAX_TICKER_SCAN: usize = 20_000;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.width < 20 || area.height < 3 {
        return;
    }
    let live = live::scan(app);
    let cols = Columns::new(area);
    let producers = producer_boxes(app, &live, cols.producers.1.saturating_sub(2));
    let topics = topic_boxes(app, &live, cols.topics.1.saturating_sub(2));
    let mut ticker_height = if area.height >= 20 { (area.height / 6).clamp(3, MAX_TICKER + 1) } else { 0 };
    if area.height >= 40 {
        // A tall screen gives the recent list the rows the diagram does not need whole.
        let tall = Rect { y: area.y + 1, height: area.height - 1 - ticker_height, ..area };
        let used = |rects: &[Rect], hidden: usize| {
            rects.first().zip(rects.last()).map_or(0, |(a, b)| b.bottom() - a.y) + u16::from(hidden > 0)
        };
        let (_, group_rects, hidden) = group_column(app, &live, cols.groups, tall);
        let mut need = used(&group_rects, hidden);
        for (boxes, column) in [(&producers, cols.producers), (&topics, cols.topics)] {
            let (rects, hidden) = stack(&heights(boxes), Columns::at(column, tall));
            need = need.max(used(&rects, hidden));
        }
        // Two rows between the diagram and the list.
        ticker_height = tall.height.saturating_sub(need + 2).clamp(ticker_height, MAX_TICKER_TALL + 1);
    }
    let header = Rect { height: 1, ..area };
    let diagram = Rect { y: area.y + 1, height: area.height - 1 - ticker_height, ..area };
    let ticker = Rect { y: diagram.bottom(), height: ticker_height, ..area };

    render_header(&cols, header, buf);
    let (groups, group_rects, hidden_groups) = group_column(app, &live, cols.groups, diagram);
    let (producer_rects, hidden_producers) = stack(&heights(&producers), Columns::at(cols.producers, diagram));
    let (topic_rects, hidden_topics) = stack(&heights(&topics), Columns::at(cols.topics, diagram));

    // Edges first, boxes over them.
    let mut edges = Edges::new(diagram);
    edges.produce(app, &live, Columns::at(cols.left_gutter, diagram), &producer_rects, &topic_rects);
    edges.deliver(app, &live, Columns::at(cols.right_gutter, diagram), &topic_rects, &group_rects);
    edges.draw(app, &live, diagram, buf);

    draw_boxes(&producers, &producer_rects, hidden_producers, Columns::at(cols.producers, diagram), buf);
    draw_boxes(&topics, &topic_rects, hidden_topics, Columns::at(cols.topics, diagram), buf);
    draw_boxes(&groups, &group_rects, hidden_groups, Columns::at(cols.groups, diagram), buf);
    // Edges leave boxes through their right border.
    for rects in [&producer_rects, &topic_rects] {
        for r in rects.iter().filter(|r| r.height >= 3) {
            let has_edge = edges.paths.values().any(|p| p.first() == Some(&(r.right(), anchor(*r))));
            if has_edge {
                put(buf, diagram, r.right() - 1, anchor(*r), "├", theme::BOX);
            }
        }
    }
    if ticker.height > 1 {
        render_ticker(app, ticker, buf);
    }
}

/// The diagram's edges: their lines, each edge's path (the moving events follow it) and
/// the rate labels on them.
struct Edges {
    canvas: Canvas,
    paths: BTreeMap<Edge, Vec<(u16, u16)>>,
    /// (first column, end of the gutter, row, text).
    labels: Vec<(u16, u16, u16, String)>,
}

impl Edges {
    fn new(diagram: Rect) -> Self {
        Edges { canvas: Canvas::new(diagram), paths: BTreeMap::new(), labels: Vec::new() }
    }

    /// Producers → topics through the left gutter: one lane per topic.
    fn produce(&mut self, app: &App, live: &Live, gutter: Rect, producer_rects: &[Rect], topic_rects: &[Rect]) {
        let model = app.model();
        let targets: Vec<(usize, u16, Vec<u16>)> = topic_rects
            .iter()
            .enumerate()
            .map(|(t, r)| {
                let sources = model
                    .producers
                    .iter()
                    .zip(producer_rects)
                    .filter(|(p, _)| p.topic.index() == t)
                    .map(|(_, pr)| anchor(*pr))
                    .collect();
                (t, anchor(*r), sources)
            })
            .collect();
        let left = if gutter.width >= 2 { lanes(&targets, gutter) } else { Vec::new() };
        for (t, lane) in left {
            let y1 = anchor(topic_rects[t]);
            for (p, pr) in
                model.producers.iter().zip(producer_rects).enumerate().filter(|(_, (pm, _))| pm.topic.index() == t)
            {
                let path = self.canvas.route(gutter.x, anchor(*pr.1), lane, gutter.right() - 1, y1);
                self.paths.insert(Edge::Produce(p), path);
            }
            if model.producers.iter().take(producer_rects.len()).any(|p| p.topic.index() == t) {
                self.labels.push((lane + 1, gutter.right(), y1, per_second(live.published[t], live.scale)));
            }
        }
    }

    /// Topics → groups through the right gutter: one lane per group.
    fn deliver(&mut self, app: &App, live: &Live, gutter: Rect, topic_rects: &[Rect], group_rects: &[Rect]) {
        let model = app.model();
        let targets: Vec<(usize, u16, Vec<u16>)> = group_rects
            .iter()
            .enumerate()
            .map(|(g, r)| {
                let sources = model.groups[g]
                    .topics
                    .iter()
                    .filter_map(|&t| topic_rects.get(t.index()).map(|tr| anchor(*tr)))
                    .collect();
                (g, anchor(*r), sources)
            })
            .collect();
        let right = if gutter.width >= 2 { lanes(&targets, gutter) } else { Vec::new() };
        for (g, lane) in right {
            let y1 = anchor(group_rects[g]);
            let mut any = false;
            for &t in &model.groups[g].topics {
                if let Some(tr) = topic_rects.get(t.index()) {
                    let path = self.canvas.route(gutter.x, anchor(*tr), lane, gutter.right() - 1, y1);
                    self.paths.insert(Edge::Deliver(t, g), path);
                    any = true;
                }
            }
            if any {
                self.labels.push((lane + 1, gutter.right(), y1, per_second(live.delivered[g], live.scale)));
            }
        }
    }

    /// The lines, the events moving on them, the arrows and the rates.
    fn draw(&self, app: &App, live: &Live, diagram: Rect, buf: &mut Buffer) {
        self.canvas.draw(buf, theme::EDGE);
        draw_movement(app, live, &self.paths, buf);
        for path in self.paths.values() {
            if let Some(&(x, y)) = path.last() {
                put(buf, diagram, x, y, "▶", theme::EDGE);
            }
        }
        for (x, gutter_end, y, text) in &self.labels {
            let width = text.chars().count() as u16;
            // On the line, just before the arrow, if it fits.
            if *gutter_end > x + width {
                put(buf, diagram, gutter_end - 1 - width, *y, text, theme::DIM);
            }
        }
    }
}

/// The x ranges (start, width) of the five columns.
struct Columns {
    producers: (u16, u16),
    left_gutter: (u16, u16),
    topics: (u16, u16),
    right_gutter: (u16, u16),
    groups: (u16, u16),
}

impl Columns {
    fn new(area: Rect) -> Self {
        let w = area.width;
        let mut gutter = (w / 11).clamp(4, 14);
        let producers = (w * 15 / 100).clamp(9, 24);
        let topics = (w * 26 / 100).clamp(12, 38);
        let mut groups = w.saturating_sub(producers + topics + 2 * gutter);
        if groups > MAX_GROUP_WIDTH {
            // Wide screens: longer edges rather than a wide empty column.
            let spare = groups - MAX_GROUP_WIDTH;
            gutter += (spare / 2).min(10);
            groups = w.saturating_sub(producers + topics + 2 * gutter);
        }
        // Still wider: the diagram in the middle.
        let x = area.x + groups.saturating_sub(MAX_GROUP_WIDTH) / 2;
        let groups = groups.min(MAX_GROUP_WIDTH);
        Columns {
            producers: (x, producers),
            left_gutter: (x + producers, gutter),
            topics: (x + producers + gutter, topics),
            right_gutter: (x + producers + gutter + topics, gutter),
            groups: (x + producers + 2 * gutter + topics, groups),
        }
    }

    fn at((x, width): (u16, u16), rows: Rect) -> Rect {
        Rect { x, width, ..rows }.intersection(rows)
    }
}

/// Which edge an event moves along.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Edge {
    /// Producer index → its topic.
    Produce(usize),
    /// Topic → group.
    Deliver(TopicIdx, usize),
}

/// A box: a title, a right-hand title and its lines.
struct Boxed {
    title: String,
    right: Line<'static>,
    lines: Vec<Line<'static>>,
    border: Style,
}

fn heights(boxes: &[Boxed]) -> Vec<u16> {
    boxes.iter().map(|b| b.lines.len() as u16 + 2).collect()
}

/// The row edges attach to: the first line inside a box.
fn anchor(r: Rect) -> u16 {
    r.y + u16::from(r.height > 1)
}

/// Boxes of the given heights stacked down a column, centred, with a blank row between
/// them when there is room; the rectangles of those that fit and how many do not (a
/// `+N more` row then closes the column).
fn stack(heights: &[u16], column: Rect) -> (Vec<Rect>, usize) {
    let n = heights.len();
    let total: u32 = heights.iter().map(|&h| u32::from(h)).sum();
    let room = u32::from(column.height);
    let (shown, gap) = if total + n.saturating_sub(1) as u32 <= room {
        (n, 1)
    } else if total <= room {
        (n, 0)
    } else {
        // Keep one row for `+N more`.
        let mut used = 0;
        let fit = heights
            .iter()
            .take_while(|&&h| {
                used += u32::from(h);
                used < room
            })
            .count();
        (fit, 0)
    };
    let used: u32 = heights[..shown].iter().map(|&h| u32::from(h)).sum::<u32>()
        + shown.saturating_sub(1) as u32 * gap
        + u32::from(shown < n);
    let mut y = column.y + (room.saturating_sub(used) / 2) as u16;
    let mut rects = Vec::with_capacity(shown);
    for &h in &heights[..shown] {
        rects.push(Rect { x: column.x, y, width: column.width, height: h }.intersection(column));
        y = y.saturating_add(h + gap as u16);
    }
    if shown == 0 && n > 0 && column.height >= 4 {
        // Not even one box fits whole: show the first one cut.
        rects.push(Rect { height: column.height - 1, ..column });
    }
    let hidden = n - rects.len();
    (rects, hidden)
}

fn draw_boxes(boxes: &[Boxed], rects: &[Rect], hidden: usize, column: Rect, buf: &mut Buffer) {
    for (b, &r) in boxes.iter().zip(rects) {
        if r.height < 2 {
            put(buf, r, r.x, r.y, &b.title, NAME);
            continue;
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(b.border)
            .title(Line::from(Span::styled(
                format!(" {} ", fit(&b.title, usize::from(r.width).saturating_sub(b.right.width() + 5))),
                NAME,
            )))
            .title(b.right.clone().right_aligned());
        let inner = block.inner(r);
        block.render(r, buf);
        Paragraph::new(fit_lines(b.lines.iter().cloned(), inner.width)).render(inner, buf);
    }
    if hidden > 0 {
        let y = rects.last().map_or(column.y, |r| r.bottom());
        put(buf, column, column.x + 1, y, &format!("+{hidden} more"), theme::WARN);
    }
}

/// Writes text clipped to `clip` (never outside the buffer).
fn put(buf: &mut Buffer, clip: Rect, x: u16, y: u16, text: &str, style: Style) {
    let clip = clip.intersection(buf.area);
    if y < clip.y || y >= clip.bottom() || x < clip.x || x >= clip.right() {
        return;
    }
    buf.set_stringn(x, y, text, usize::from(clip.right() - x), style);
}

/// Assigns each target box a column of its gutter to turn at, the edges travelling
/// furthest on the left; lanes keep to the left half so labels fit on the way in.
fn lanes(targets: &[(usize, u16, Vec<u16>)], gutter: Rect) -> Vec<(usize, u16)> {
    let mut order: Vec<(u32, usize)> = targets
        .iter()
        .filter(|(_, _, sources)| !sources.is_empty())
        .map(|(i, y, sources)| {
            let far = sources.iter().map(|&s| u32::from(s.abs_diff(*y))).max().unwrap_or(0);
            (far, *i)
        })
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let width = (gutter.width / 2).saturating_sub(1).max(1);
    let n = order.len().max(1) as u16;
    order
        .iter()
        .enumerate()
        .map(|(k, &(_, i))| {
            let offset = if n <= width { k as u16 * width / n } else { k as u16 % width };
            (i, (gutter.x + 1 + offset).min(gutter.right().saturating_sub(2)).max(gutter.x))
        })
        .collect()
}

fn render_header(cols: &Columns, area: Rect, buf: &mut Buffer) {
    for ((x, w), title) in [(cols.producers, "producers"), (cols.topics, "topics"), (cols.groups, "consumer groups")] {
        let title = fit(title, usize::from(w.saturating_sub(2)));
        put(buf, Rect { x, width: w, ..area }, x + 1, area.y, &title, theme::TITLE);
    }
    let legend = Line::from(vec![
        Span::styled("lag ", theme::DIM),
        Span::styled(" 0 ", theme::lag(0)),
        Span::styled(" 5 ", theme::lag(5)),
        Span::styled(" 100+ ", theme::lag(theme::LAG_RED)),
        Span::styled("  ● last 200 ms", theme::DIM),
    ]);
    let width = legend.width() as u16;
    let gx = cols.groups.0;
    let title_end = gx + 1 + "consumer groups".len() as u16 + 2;
    // A column clear of the screen's edge.
    if area.right() > title_end + width {
        buf.set_line(area.right() - width - 1, area.y, &legend, width);
    }
}

/// A box per producer, its lines fitting `inner` columns: rate, count sent and state on
/// one line, or on two when one would cut them.
fn producer_boxes(app: &App, live: &Live, inner: u16) -> Vec<Boxed> {
    let model = app.model();
    let sent: Vec<u64> = (0..model.producers.len()).map(|p| app.analysis().sent(p)).collect();
    model
        .producers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let started = p.start <= live.now;
            let stopped = p.stop <= live.now || p.count.is_some_and(|c| sent.get(i).copied().unwrap_or(0) >= c);
            let state = if !started {
                Span::styled(format!(" from {}", seconds(p.start)), theme::DIM)
            } else if stopped {
                Span::styled(" done", theme::DIM)
            } else {
                Span::raw("")
            };
            Boxed {
                title: p.name.clone(),
                right: Line::raw(""),
                // Once done, its rate no longer matters: the count and "done" fit a narrow box.
                lines: {
                    let rate = if started && stopped { String::new() } else { format!("{}/s ", trim_rate(p.rate)) };
                    let count = Span::styled(format!("{} sent", sent.get(i).copied().unwrap_or(0)), theme::DIM);
                    let one = Line::from(vec![Span::raw(rate.clone()), count.clone(), state.clone()]);
                    if rate.is_empty() || one.width() < usize::from(inner) {
                        vec![one]
                    } else {
                        vec![Line::raw(rate.trim_end().to_owned()), Line::from(vec![count, state])]
                    }
                },
                border: theme::BOX,
            }
        })
        .collect()
}

fn trim_rate(rate: f64) -> String {
    if rate.fract() == 0.0 { format!("{rate:.0}") } else { format!("{rate:.2}") }
}

fn topic_boxes(app: &App, live: &Live, inner: u16) -> Vec<Boxed> {
    (0..app.model().topics.len()).map(|t| topic_box(app, live, t, inner)).collect()
}

/// Topic `t`'s box, `inner` columns wide inside: what it holds by kind, then its dead letters.
fn topic_box(app: &App, live: &Live, t: usize, inner: u16) -> Boxed {
    let tm = &app.model().topics[t];
    let kind = match tm.kind {
        TopicKind::Log => format!("log·{}p", tm.partitions),
        TopicKind::Queue if tm.fifo => "fifo queue".to_owned(),
        TopicKind::Queue => "queue".to_owned(),
        TopicKind::Bus => "bus".to_owned(),
    };
    let mut lines = match tm.kind {
        TopicKind::Log => log_lines(app, live, t, inner),
        TopicKind::Queue => queue_lines(app, live, t, inner),
        TopicKind::Bus => bus_lines(app, t),
    };
    lines.extend(dead_letter_lines(app, t));
    Boxed { title: tm.name.clone(), right: Line::styled(format!(" {kind} "), theme::DIM), lines, border: theme::BOX }
}

/// A log: its partitions as cells coloured by lag, wrapping over up to [`MAX_CELL_ROWS`]
/// rows (the rest counted), then what it holds and its worst lag.
fn log_lines(app: &App, live: &Live, t: usize, inner: u16) -> Vec<Line<'static>> {
    let tm = &app.model().topics[t];
    let inner = usize::from(inner.max(8));
    let mut rows: Vec<Vec<Span>> = vec![Vec::new()];
    let mut used = 0;
    let mut worst = 0;
    let partitions = tm.partitions as usize;
    for p in 0..partitions {
        let lag = partition_lag(app, live, t, p);
        worst = worst.max(lag);
        let cell = format!("[{p}]");
        let rest = format!("+{}", partitions - p);
        let last_row = rows.len() == MAX_CELL_ROWS;
        let room = if last_row && p + 1 < partitions { inner.saturating_sub(rest.len() + 1) } else { inner };
        if used + cell.len() > room {
            if last_row {
                rows.last_mut().expect("a row").push(Span::styled(format!(" {rest}"), theme::DIM));
                // The lag of the ones not drawn still counts.
                for q in p + 1..partitions {
                    worst = worst.max(partition_lag(app, live, t, q));
                }
                break;
            }
            rows.push(Vec::new());
            used = 0;
        }
        used += cell.len();
        rows.last_mut().expect("a row").push(Span::styled(cell, theme::lag(lag)));
    }
    let mut lines: Vec<Line<'static>> = rows.into_iter().map(Line::from).collect();
    // The worst partition now (not the group's total, nor the peak over the run), in as
    // many words as fit.
    let held = format!("{} in log", app.analysis().appended_to(t));
    let worst_now = [" · worst partition lag now ", " · worst lag now ", " · lag now ≤ "]
        .into_iter()
        .map(|words| format!("{words}{worst}"))
        .find(|text| held.chars().count() + text.chars().count() <= inner)
        .unwrap_or_default();
    lines.push(Line::from(vec![Span::raw(held), Span::styled(worst_now, theme::DIM)]));
    lines
}

/// A queue: what waits or is in flight, and what it received (published, or appended by
/// a bus's rules).
fn queue_lines(app: &App, live: &Live, t: usize, inner: u16) -> Vec<Line<'static>> {
    let model = app.model();
    let analysis = app.analysis();
    let waiting: u64 = model.topics[t]
        .subscribers
        .iter()
        .filter(|s| model.groups[s.group.index()].start <= live.now)
        .map(|s| analysis.group(s.group.index()).lag)
        .sum();
    // What a queue received: publishes and copies routed from a bus.
    let routed_to = model.topics.iter().any(|b| b.rules.iter().any(|r| r.targets.contains(&TopicIdx::new(t))));
    let what = if routed_to { "appended" } else { "published" };
    vec![
        Line::from(vec![
            Span::styled(format!(" {waiting} "), theme::lag(waiting)),
            Span::raw(if inner >= 22 { " ready/in flight" } else { " ready" }),
        ]),
        Line::from(Span::raw(format!("{} {what}", analysis.appended_to(t)))),
    ]
}

/// A bus: what came in and matched no rule, then its rules, each with its targets and the
/// copies it routed.
fn bus_lines(app: &App, t: usize) -> Vec<Line<'static>> {
    let model = app.model();
    let analysis = app.analysis();
    let unrouted = analysis.unrouted_on(t);
    let mut lines = vec![Line::from(vec![
        Span::raw(format!("{} in · ", analysis.published_to(t))),
        Span::styled(format!("{unrouted} unrouted"), if unrouted > 0 { theme::WARN } else { theme::DIM }),
    ])];
    for (r, rule) in model.topics[t].rules.iter().enumerate() {
        let targets: Vec<&str> = rule.targets.iter().map(|&x| model.topics[usize::from(x)].name.as_str()).collect();
        // The count beside the rule's name: a narrow box shortens the targets, not it.
        lines.push(Line::from(vec![
            Span::styled(rule.name.clone(), Style::new().fg(theme::ACCENT)),
            Span::styled(format!(" ({})", analysis.routed_by_rule(t, r)), theme::DIM),
            Span::raw(format!(" → {}", targets.join(", "))),
        ]));
    }
    lines
}

/// A dead-letter queue: what the groups reading its sources gave up on; a topic with one:
/// where its dead letters go.
fn dead_letter_lines(app: &App, t: usize) -> Vec<Line<'static>> {
    let model = app.model();
    let mut lines = Vec::new();
    let sources: Vec<&crate::sim::model::TopicModel> =
        model.topics.iter().filter(|s| s.dead_letter == Some(TopicIdx::new(t))).collect();
    if !sources.is_empty() {
        let given_up: u64 = sources
            .iter()
            .flat_map(|s| &s.subscribers)
            .map(|sub| app.analysis().group(sub.group.index()).dead_lettered)
            .sum();
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        lines.push(Line::from(Span::styled(format!("{given_up} dead from {}", names.join(", ")), theme::WARN)));
    }
    if let Some(dlq) = model.topics[t].dead_letter {
        lines.push(Line::from(Span::styled(
            format!("dead letters → {}", model.topics[usize::from(dlq)].name),
            theme::DIM,
        )));
    }
    lines
}

/// The lag of the group furthest behind on a log partition (groups not started yet do
/// not count).
fn partition_lag(app: &App, live: &Live, topic: usize, partition: usize) -> u64 {
    let model = app.model();
    let end = app.analysis().log_end(topic, partition);
    model.topics[topic]
        .subscribers
        .iter()
        .filter(|s| model.groups[s.group.index()].start <= live.now)
        .filter_map(|s| {
            let g = s.group.index();
            let slot = s.base as usize + partition;
            (slot < model.groups[g].slots.len())
                .then(|| u64::from(end.saturating_sub(app.analysis().committed(g, slot))))
        })
        .max()
        .unwrap_or(0)
}

/// The group boxes, their rectangles and how many did not fit. Instance lists shrink
/// (to `+N more`) until every box fits, if they can.
fn group_column(app: &App, live: &Live, (x, width): (u16, u16), diagram: Rect) -> (Vec<Boxed>, Vec<Rect>, usize) {
    let model = app.model();
    let trace = app.trace();
    let column = Rect { x, width, ..diagram }.intersection(diagram);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); model.groups.len()];
    // The instances that exist at the step shown.
    for (i, &(g, _)) in trace.instances.iter().enumerate().take(app.analysis().instance_count()) {
        if let Some(m) = members.get_mut(usize::from(g)) {
            m.push(i);
        }
    }
    let most = members.iter().map(Vec::len).max().unwrap_or(0).min(usize::from(diagram.height)).max(1);
    let mut cap = most;
    let mut offsets = MAX_OFFSET_LINES;
    loop {
        let heights: Vec<u16> = model
            .groups
            .iter()
            .enumerate()
            .map(|(g, gm)| {
                2 + members[g].len().clamp(1, cap) as u16 + extra_lines(model, g) + gm.slots.len().min(offsets) as u16
            })
            .collect();
        let (rects, hidden) = stack(&heights, column);
        if hidden == 0 || (cap == 1 && offsets == 0) {
            let boxes = model
                .groups
                .iter()
                .enumerate()
                .map(|(g, _)| group_box(app, live, g, &members[g], (cap, offsets), width))
                .collect();
            return (boxes, rects, hidden);
        }
        // Instances go first (down to two), then the partitions' offsets (down to one
        // line), then the last instances, then that line.
        if cap > 2 || (cap > 1 && offsets <= 1) {
            cap -= 1;
        } else {
            offsets -= 1;
        }
    }
}

/// A log partition a group reads, in words: `p0`, its log end, its committed offset (`—`
/// before the group joins) and the lag between them.
struct OffsetRow {
    label: String,
    end: String,
    committed: String,
    lag: Option<u64>,
}

/// One line per log partition a group reads, as `kafka-consumer-groups --describe` shows
/// them: the log end offset, the group's committed offset and the lag between them, now.
/// With more partitions than `room` lines: those furthest behind (in partition order) and
/// a line for the rest.
fn offset_lines(app: &App, g: usize, room: usize, width: u16) -> Vec<Line<'static>> {
    let model = app.model();
    let a = app.analysis();
    let gm = &model.groups[g];
    if gm.slots.is_empty() || room == 0 {
        return Vec::new();
    }
    let logs = gm.slots.iter().map(|&(t, _)| t).collect::<std::collections::BTreeSet<_>>().len();
    let joined = a.joined(g);
    let rows: Vec<OffsetRow> = gm
        .slots
        .iter()
        .enumerate()
        .map(|(slot, &(t, p))| {
            let end = a.log_end(usize::from(t), usize::from(p));
            let label = if logs > 1 { format!("{}/{p}", model.topics[usize::from(t)].name) } else { format!("p{p}") };
            let committed = joined.then(|| a.committed(g, slot));
            let lag = committed.map(|c| u64::from(end.saturating_sub(c)));
            OffsetRow {
                label,
                end: end.to_string(),
                committed: committed.map_or_else(|| "—".to_owned(), |c| c.to_string()),
                lag,
            }
        })
        .collect();
    let shown: Vec<usize> = if rows.len() <= room {
        (0..rows.len()).collect()
    } else {
        let mut worst: Vec<usize> = (0..rows.len()).collect();
        worst.sort_by(|&x, &y| rows[y].lag.cmp(&rows[x].lag).then(x.cmp(&y)));
        worst.truncate(room - 1);
        worst.sort_unstable();
        worst
    };
    let w = |f: fn(&OffsetRow) -> usize| shown.iter().map(|&i| f(&rows[i])).max().unwrap_or(0);
    let (label_w, end_w, committed_w) =
        (w(|r| r.label.chars().count()), w(|r| r.end.len()), w(|r| r.committed.chars().count()));
    let lag_w = w(|r| r.lag.map_or(1, |l| l.to_string().len()));
    let inner = usize::from(width.saturating_sub(2));
    // The longest form that fits: words, fewer words, figures only.
    let full = label_w + 5 + end_w + 13 + committed_w + 7 + lag_w;
    let form = if full <= inner {
        0
    } else if full - 4 <= inner {
        1
    } else {
        2
    };
    let mut lines: Vec<Line<'static>> = shown
        .iter()
        .map(|&i| {
            let OffsetRow { label, end, committed, lag } = &rows[i];
            let lag_span = match lag {
                Some(l) => Span::styled(format!("{l:<lag_w$}"), theme::lag(*l)),
                None => Span::styled("—", theme::DIM),
            };
            let (dot, end_word, committed_word, lag_word) = match form {
                0 => (" · ", " end ", "committed ", "lag "),
                1 => (" ", " end ", "committed ", "lag "),
                _ => (" ", " ", "", "lag "),
            };
            let label = Span::styled(format!("{label:<label_w$}"), Style::new().fg(theme::ACCENT));
            if form == 2 {
                // `p0 24/29 lag 5`: committed of end.
                Line::from(vec![
                    label,
                    Span::raw(format!(" {committed:>committed_w$}")),
                    Span::styled("/", theme::DIM),
                    Span::raw(format!("{end:<end_w$}")),
                    Span::styled(format!("{dot}{lag_word}"), theme::DIM),
                    lag_span,
                ])
            } else {
                Line::from(vec![
                    label,
                    Span::styled(end_word, theme::DIM),
                    Span::raw(format!("{end:>end_w$}")),
                    Span::styled(format!("{dot}{committed_word}"), theme::DIM),
                    Span::raw(format!("{committed:>committed_w$}")),
                    Span::styled(format!("{dot}{lag_word}"), theme::DIM),
                    lag_span,
                ])
            }
        })
        .collect();
    if shown.len() < rows.len() {
        let rest: Vec<usize> = (0..rows.len()).filter(|i| !shown.contains(i)).collect();
        let most = rest.iter().filter_map(|&i| rows[i].lag).max().unwrap_or(0);
        let what = if shown.is_empty() {
            format!("{} partitions · worst lag now ", rest.len())
        } else {
            format!("+{} more · lag ≤ ", rest.len())
        };
        lines.push(Line::from(vec![Span::styled(what, theme::DIM), Span::styled(most.to_string(), theme::lag(most))]));
    }
    lines
}

/// Lines of a group box besides its instances and its partitions' offsets.
fn extra_lines(model: &Model, g: usize) -> u16 {
    1 + u16::from(!emits(model, g).is_empty())
}

/// The topics a group's handlers publish to.
fn emits(model: &Model, g: usize) -> Vec<TopicIdx> {
    let mut topics: Vec<TopicIdx> =
        model.groups[g].handlers.iter().flat_map(|h| &h.outcomes).flat_map(|o| &o.emits).map(|e| e.topic).collect();
    topics.sort_unstable();
    topics.dedup();
    topics
}

/// Group `g`'s box: at most `cap` instance lines and `offsets` lines of partition offsets.
fn group_box(app: &App, live: &Live, g: usize, members: &[usize], (cap, offsets): (usize, usize), width: u16) -> Boxed {
    let model = app.model();
    let trace = app.trace();
    let gm = &model.groups[g];
    let metrics = app.analysis().group(g);
    let owned =
        if gm.reads_logs() { live::assignment(trace, app.analysis().latest_assignment(g)) } else { BTreeMap::new() };
    let waiting = gm.start > live.now;
    let mut lines = Vec::new();
    let shown = if members.len() > cap { cap - 1 } else { members.len() };
    for &i in &members[..shown] {
        lines.push(instance_line(app, i, waiting, owned.get(&InstanceIdx::new(i)), width));
    }
    if members.len() > shown {
        // The rest in one line: how many of them do what.
        let (mut busy, mut crashed, mut paused) = (0, 0, 0);
        for &i in &members[shown..] {
            match app.analysis().instances().get(i) {
                Some(s) if !s.alive => crashed += 1,
                Some(s) if s.paused => paused += 1,
                Some(s) if s.busy.is_some() || s.retrying.is_some() => busy += 1,
                _ => {}
            }
        }
        let rest = members.len() - shown;
        let idle = rest - busy - crashed - paused;
        let mut spans =
            vec![Span::styled(format!("+{rest} {}", if shown == 0 { "instances" } else { "more" }), theme::DIM)];
        for (n, what, style) in [
            (busy, "busy", theme::BUSY),
            (idle, "idle", theme::DIM),
            (paused, "paused", theme::PAUSED),
            (crashed, "crashed", theme::CRASHED),
        ] {
            if n > 0 {
                spans.push(Span::styled(format!(" · {n} {what}"), style));
            }
        }
        lines.push(Line::from(spans));
    }
    if members.is_empty() {
        lines.push(Line::styled("no instances", theme::DIM));
    }
    lines.extend(offset_lines(app, g, offsets, width));
    let mut summary = vec![Span::raw(format!("{} delivered", metrics.delivered))];
    let s = |n: u64| if n == 1 { "" } else { "s" };
    summary.push(Span::styled(format!(" · {} effect{}", metrics.effects, s(metrics.effects)), theme::DIM));
    for (n, what) in [
        (metrics.duplicate_effects, if metrics.duplicate_effects == 1 { "dup effect" } else { "dup effects" }),
        (metrics.failed, "failed"),
        (metrics.dead_lettered, "dead"),
        (metrics.out_of_order, "out of order"),
        (app.lost_now(Some(g)), "lost"),
    ] {
        if n > 0 {
            summary.push(Span::styled(format!(" · {n} {what}"), theme::WARN));
        }
    }
    // A figure that does not fit goes on a line of its own, whole: never `3 dup effec`.
    let inner = usize::from(width.saturating_sub(2));
    let mut line: Vec<Span<'static>> = Vec::new();
    for span in summary {
        let used: usize = line.iter().map(|s| s.content.chars().count()).sum();
        if !line.is_empty() && used + span.content.chars().count() > inner {
            lines.push(Line::from(std::mem::take(&mut line)));
            let text = span.content.trim_start_matches(" · ").to_owned();
            line.push(Span::styled(text, span.style));
        } else {
            line.push(span);
        }
    }
    lines.push(Line::from(line));
    let emitted = emits(model, g);
    if !emitted.is_empty() {
        let names: Vec<&str> = emitted.iter().map(|&t| model.topics[t.index()].name.as_str()).collect();
        lines.push(Line::styled(format!("emits → {}", names.join(", ")), theme::DIM));
    }
    let right = if waiting {
        Line::styled(format!(" joins at {} ", seconds(gm.start)), theme::DIM)
    } else {
        Line::from(vec![
            Span::styled(" lag now ", theme::DIM),
            Span::styled(format!(" {} ", metrics.lag), theme::lag(metrics.lag)),
            Span::raw(" "),
        ])
    };
    let lost = app.lost_now(Some(g));
    // Trouble shows in the border's colour and, for a screen without colour, a ⚠ by the name.
    let trouble = metrics.duplicate_effects + lost + metrics.out_of_order > 0;
    let (title, border) =
        if trouble { (format!("⚠ {}", gm.name), theme::PAUSED) } else { (gm.name.clone(), theme::BOX) };
    Boxed { title, right, lines, border }
}

fn instance_line(
    app: &App,
    i: usize,
    waiting: bool,
    owned: Option<&Vec<(TopicIdx, Vec<Partition>)>>,
    width: u16,
) -> Line<'static> {
    let model = app.model();
    let trace = app.trace();
    let (g, number) = trace.instances[i];
    let gm = &model.groups[g.index()];
    let state =
        app.analysis().instances().get(i).copied().unwrap_or(InstanceLive { alive: true, ..InstanceLive::default() });
    let mut spans = vec![Span::styled(format!("{}#{number} ", gm.consumer), NAME)];
    let mut event_type = None;
    if !state.alive {
        spans.push(Span::styled("✖ crashed", theme::CRASHED));
    } else if state.paused {
        spans.push(Span::styled("‖ paused ", theme::PAUSED));
    } else if waiting {
        spans.push(Span::styled("◌ waiting", theme::DIM));
    } else if let Some(e) = state.busy.filter(|&e| e.index() < app.events_seen()) {
        spans.push(Span::styled("● busy ", theme::BUSY));
        let event = trace.event(e);
        spans.push(Span::raw(event.id.render(&trace.strings)));
        event_type = Some(trace.strings.resolve(event.event_type).to_owned());
    } else if let Some((e, failed)) = state.retrying.filter(|&(e, _)| e.index() < app.events_seen()) {
        spans.push(Span::styled("↻ retrying ", theme::PAUSED));
        let event = trace.event(e);
        spans.push(Span::raw(format!("{} ×{failed}", event.id.render(&trace.strings))));
        event_type = Some(trace.strings.resolve(event.event_type).to_owned());
    } else {
        spans.push(Span::styled("○ idle", theme::DIM));
    }
    if state.alive {
        if let Some(owned) = owned.filter(|o| o.iter().any(|(_, p)| !p.is_empty())) {
            let logs = gm.slots.iter().map(|&(t, _)| t).collect::<std::collections::BTreeSet<_>>().len();
            let parts: Vec<String> = owned
                .iter()
                .filter(|(_, p)| !p.is_empty())
                .map(|(t, p)| {
                    if logs > 1 {
                        format!("{}:{}", model.topics[t.index()].name, ranges(&numbers(p)))
                    } else {
                        format!("p{}", ranges(&numbers(p)))
                    }
                })
                .collect();
            spans.push(Span::styled(format!("  {}", parts.join(" ")), Style::new().fg(theme::ACCENT)));
        }
    }
    if let Some(t) = event_type {
        // The event's type only where it fits.
        if Line::from(spans.clone()).width() + t.chars().count() + 1 < usize::from(width.saturating_sub(2)) {
            spans.push(Span::styled(format!(" {t}"), theme::DIM));
        }
    }
    Line::from(spans)
}

/// The events of the last [`MOTION_US`]: a `●` travelling along its edge, from the
/// source when it happens to the arrow when it is that old.
fn draw_movement(app: &App, live: &Live, paths: &BTreeMap<Edge, Vec<(u16, u16)>>, buf: &mut Buffer) {
    let model = app.model();
    let trace = app.trace();
    let sources = live::producer_sources(model);
    // Oldest first, so the newest are drawn on top.
    for &i in live.moving.iter().rev() {
        let s = &app.steps()[i];
        let edge = match s.kind {
            StepKind::Published => {
                let Some(&p) = sources.get(&trace.event_of(s).source) else { continue };
                if Some(model.producers[p].topic) != s.topic {
                    continue;
                }
                Edge::Produce(p)
            }
            StepKind::Delivered => Edge::Deliver(s.topic_idx(), s.group_idx().index()),
            StepKind::Processed
            | StepKind::SkippedDuplicate
            | StepKind::Failed
            | StepKind::Committed
            | StepKind::Acked
            | StepKind::Requeued
            | StepKind::DeadLettered
            | StepKind::DroppedDuplicate
            | StepKind::Routed
            | StepKind::Unrouted
            | StepKind::Fetched
            | StepKind::Crashed
            | StepKind::Restarted
            | StepKind::Rebalanced
            | StepKind::Paused
            | StepKind::Resumed
            | StepKind::Note
            | StepKind::Joined => continue,
        };
        let Some(path) = paths.get(&edge).filter(|p| p.len() > 1) else { continue };
        let age = live.now.saturating_sub(s.t_us).min(MOTION_US - 1);
        // The last cell is the arrow: stop just before it.
        let k = (age as usize * (path.len() - 1)) / MOTION_US as usize;
        let (x, y) = path[k];
        if let Some(cell) = buf.cell_mut((x, y)) {
            cell.set_char('●').set_style(theme::kind(s.kind).patch(MARKER));
        }
    }
}

/// The newest events, newest first: what is moving on the edges, in words.
fn render_ticker(app: &App, area: Rect, buf: &mut Buffer) {
    let trace = app.trace();
    let block = Block::new().borders(Borders::TOP).border_style(theme::DIM).title(Span::styled(" recent ", theme::DIM));
    let inner = block.inner(area);
    block.render(area, buf);
    let rows = usize::from(inner.height);
    let mut lines = Vec::with_capacity(rows);
    for s in app.steps().iter().rev().take(MAX_TICKER_SCAN) {
        if lines.len() >= rows {
            break;
        }
        if let Some(line) = ticker_line(app, trace, s) {
            lines.push(line);
        }
    }
    if lines.is_empty() {
        lines.push(Line::styled("nothing yet: press space to play, → to step", theme::DIM));
    }
    Paragraph::new(fit_lines(lines, inner.width)).render(inner, buf);
}

fn ticker_line(app: &App, trace: &Trace, s: &Step) -> Option<Line<'static>> {
    let model = app.model();
    let topic = |t: Option<TopicIdx>, p: Option<Partition>| -> String {
        let Some(tm) = t.and_then(|t| model.topics.get(t.index())) else { return "?".to_owned() };
        match p {
            Some(p) if tm.kind == TopicKind::Log && tm.partitions > 1 => format!("{}/{p}", tm.name),
            _ => tm.name.clone(),
        }
    };
    let instance = |i: Option<InstanceIdx>| -> String {
        i.and_then(|i| trace.instances.get(i.index()))
            .map_or_else(|| s_group(model, s.group), |&(g, n)| format!("{}#{n}", model.groups[g.index()].consumer))
    };
    let event = |e: Option<EventIdx>| -> Vec<Span<'static>> {
        let Some(e) = e.filter(|e| e.index() < app.events_seen()) else {
            return vec![Span::raw(format!("{:<15}", ""))];
        };
        let ev = trace.event(e);
        vec![
            Span::raw(format!("{:<14} ", ev.id.render(&trace.strings))),
            Span::styled(format!("{:<16} ", trace.strings.resolve(ev.event_type)), theme::DIM),
        ]
    };
    let arrow = Span::styled(" ──▶ ", theme::EDGE);
    let mut spans = vec![Span::styled(format!("{:>8} ", seconds(s.t_us)), theme::DIM)];
    // Short enough for one column: the two long kinds by their first word.
    let label = match s.kind {
        StepKind::SkippedDuplicate => "skipped",
        StepKind::DroppedDuplicate => "dropped",
        kind => kind.name(),
    };
    let kind = Span::styled(format!("{label:<13} "), theme::kind(s.kind));
    match s.kind {
        StepKind::Published => {
            let source = trace.strings.resolve(trace.event_of(s).source).to_owned();
            spans.push(kind);
            spans.extend(event(s.event));
            spans.extend([Span::raw(source), arrow, Span::raw(topic(s.topic, s.partition))]);
        }
        StepKind::Delivered => {
            spans.push(kind);
            spans.extend(event(s.event));
            spans.extend([Span::raw(topic(s.topic, s.partition)), arrow, Span::raw(instance(s.instance))]);
        }
        StepKind::Failed | StepKind::DeadLettered | StepKind::SkippedDuplicate => {
            spans.push(Span::styled(format!("{label:<13} "), theme::kind(s.kind).add_modifier(Modifier::BOLD)));
            spans.extend(event(s.event));
            spans.push(Span::raw(format!("in {}", instance(s.instance))));
        }
        StepKind::Crashed | StepKind::Restarted | StepKind::Paused | StepKind::Resumed | StepKind::Joined => {
            spans.push(kind);
            spans.push(Span::raw(instance(s.instance)));
        }
        StepKind::Rebalanced => {
            spans.push(kind);
            let mut text = s_group(model, s.group);
            if let Some(a) = trace.assignments.get(s.table_index()) {
                let mut by_instance: BTreeMap<InstanceIdx, Vec<u16>> = BTreeMap::new();
                for (i, _, p) in a {
                    by_instance.entry(*i).or_default().extend(numbers(p));
                }
                for (i, p) in by_instance {
                    let _ = write!(text, "  {} p{}", instance(Some(i)), ranges(&p));
                }
            }
            spans.push(Span::raw(text));
        }
        StepKind::Committed => {
            // `orders/1 @24 by billing#2`: the group's position moves to 24 (the next to read).
            spans.push(kind);
            spans.push(Span::raw(format!("{:<32}", format!("{} @{}", topic(s.topic, s.partition), s.offset))));
            spans.push(Span::styled("by ", theme::DIM));
            spans.push(Span::raw(instance(s.instance)));
        }
        StepKind::Processed
        | StepKind::Acked
        | StepKind::Requeued
        | StepKind::DroppedDuplicate
        | StepKind::Routed
        | StepKind::Unrouted
        | StepKind::Fetched
        | StepKind::Note => return None,
    }
    Some(Line::from(spans))
}

fn s_group(model: &Model, g: Option<GroupIdx>) -> String {
    g.and_then(|g| model.groups.get(g.index())).map_or_else(String::new, |gm| gm.name.clone())
}

/// Partition numbers, for [`ranges`].
fn numbers(partitions: &[Partition]) -> Vec<u16> {
    partitions.iter().map(|p| p.get()).collect()
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use super::*;
    use crate::scenario::load::{Limits, load_str};
    use crate::tui::action::Action;

    fn app(path: &str) -> App {
        let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("a scenario");
        let scenario = load_str(&text, path, &Limits::default()).expect("valid");
        App::new(path.to_owned(), None, scenario, None, crate::scenario::load::Limits::default()).expect("compiles")
    }

    fn screen(app: &App, width: u16, height: u16) -> String {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        render(app, area, &mut buf);
        (0..height)
            .map(|y| (0..width).map(|x| buf[(x, y)].symbol().to_owned()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Gone back after computing ahead, the group boxes show the instances and partitions of
    /// the step shown, not of the last computed one.
    #[test]
    fn instances_and_partitions_are_those_of_the_step_shown() {
        let mut fresh = app("scenarios/consumer-groups.json");
        let mut back = app("scenarios/consumer-groups.json");
        back.apply(Action::RunToEnd);
        while fresh.now() < 3_600_000 {
            fresh.apply(Action::StepForward);
        }
        back.seek(fresh.step_number());
        let (then, now) = (screen(&fresh, 140, 40), screen(&back, 140, 40));
        let boxes = |s: &str| s.lines().filter(|l| l.contains("billing#")).map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(boxes(&now), boxes(&then), "\n{now}\n---\n{then}");
        assert!(!now.contains("billing#5"), "{now}");
    }

    #[test]
    fn draws_the_topology_with_instances_and_partitions() {
        let mut app = app("scenarios/crash-duplicates.json");
        let empty = screen(&app, 140, 40);
        assert!(empty.contains("shop") && empty.contains("orders") && empty.contains("billing"), "{empty}");
        assert!(empty.contains("press space"), "{empty}");
        // Just after the crash: billing#2 is down, billing#1 owns partition 0.
        while app.now() < 3_750_000 && !app.finished() {
            app.apply(Action::StepForward);
        }
        let text = screen(&app, 140, 40);
        for expected in [
            "shop",
            "orders",
            "payments",
            "billing",
            "billing#1",
            "billing#2",
            "✖ crashed",
            "[0][1]",
            "▶",
            "/s",
            "sent",
            "emits → payments",
            "recent",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        app.apply(Action::RunToEnd);
        let text = screen(&app, 140, 40);
        assert!(text.contains("80 sent"), "{text}");
        assert!(text.contains("84 delivered"), "{text}");
        assert!(text.contains("4 dup effects"), "{text}");
        assert!(text.contains("billing#1") && text.contains("p0"), "{text}");
    }

    #[test]
    fn events_move_along_the_edges() {
        let mut app = app("scenarios/crash-duplicates.json");
        while app.steps().last().is_none_or(|s| s.kind != StepKind::Published) {
            app.apply(Action::StepForward);
        }
        let text = screen(&app, 120, 30);
        assert!(text.contains('●'), "{text}");
        assert!(text.contains("evt-000000") || text.contains("evt-000001"), "{text}");
    }

    #[test]
    fn never_panics_at_any_size_and_scenario() {
        for path in [
            "scenarios/crash-duplicates.json",
            "scenarios/late-joiner.json",
            "scenarios/order-pipeline.json",
            "scenarios/poison-message.json",
            "scenarios/fan-out.json",
            "scenarios/competing-consumers.json",
            "scenarios/keys-and-partitions.json",
        ] {
            let mut app = app(path);
            for (w, h) in [(20, 3), (40, 6), (40, 8), (80, 22), (200, 58)] {
                screen(&app, w, h);
            }
            for _ in 0..50 {
                app.apply(Action::StepForward);
            }
            app.apply(Action::RunToEnd);
            for w in (20..=200).step_by(13) {
                for h in [3, 6, 9, 14, 20, 33, 60] {
                    screen(&app, w, h);
                }
            }
        }
    }

    /// Per partition a group reads, as `kafka-consumer-groups --describe` has it: the log
    /// end, the group's committed offset and the lag now, in fewer words when narrow; the
    /// recent list has the commits.
    #[test]
    fn partitions_show_log_end_committed_offset_and_lag_now() {
        let mut app = app("scenarios/crash-duplicates.json");
        // Just after the rebalance: billing#1 resumes partition 1 from offset 16.
        for _ in 0..170 {
            app.apply(Action::StepForward);
        }
        let wide = screen(&app, 140, 40);
        assert!(wide.contains("p0 end 17 · committed 17 · lag 0"), "{wide}");
        assert!(wide.contains("p1 end 22 · committed 16 · lag 6"), "{wide}");
        assert!(wide.contains("lag now  6"), "the group's lag now, in its title:\n{wide}");
        let narrow = screen(&app, 60, 20);
        assert!(narrow.contains("p1 16/22 lag 6"), "{narrow}");
        while app.steps().last().is_none_or(|s| s.kind != StepKind::Committed) {
            app.apply(Action::StepForward);
        }
        let last = *app.steps().last().expect("a commit");
        let text = screen(&app, 140, 40);
        let line = text.lines().find(|l| l.contains("committed  ")).unwrap_or_default();
        assert!(line.contains(&format!("@{}", last.offset)) && line.contains("by billing#"), "{text}");
    }

    #[test]
    fn many_partitions_show_the_worst_and_count_the_rest() {
        let mut app = app("benches/busy-shop.json");
        app.target_us = 300_000.0;
        app.apply(Action::TogglePlay);
        app.advance(300_000);
        let big = screen(&app, 200, 58);
        assert!(big.contains("+9 more · lag ≤"), "{big}");
        // Short of room, the offsets give way before a group's box does.
        let small = screen(&app, 80, 22);
        assert!(small.contains("notifier") && !small.contains("more · lag"), "{small}");
    }

    #[test]
    fn many_instances_are_summed_up_when_they_do_not_fit() {
        let mut app = app("benches/busy-shop.json");
        app.target_us = 300_000.0;
        app.apply(Action::TogglePlay);
        app.advance(300_000);
        let small = screen(&app, 80, 22);
        assert!(small.contains("billing") && small.contains("notifier"), "{small}");
        assert!(small.contains("+6 instances") || small.contains("+5 more"), "{small}");
        let big = screen(&app, 200, 58);
        assert!(big.contains("billing#6") && big.contains("analytics#1"), "{big}");
        assert!(big.contains("[11]"), "12 partitions wrap inside the topic box:\n{big}");
    }
}
