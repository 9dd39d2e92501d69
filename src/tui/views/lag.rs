//! Lag: how far behind each group is now — one bar per log partition it reads, one for its
//! queues — with the age of its oldest unprocessed record and the time it needs to catch
//! up; below, each group's lag over the run as a line chart.
//!
//! Rates come from a bounded backward scan over the last virtual second of steps, so a
//! frame costs the same at step 100 and at step 3 million.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Cell, Chart, Dataset, GraphType, Row, Table, Widget};

use crate::analysis::LAG_BUCKETS;
use crate::scenario::model::Metric;
use crate::trace::{Partition, StepKind, TopicIdx};
use crate::tui::app::App;
use crate::tui::format::{axis_seconds, decimal, duration, fit, seconds};
use crate::tui::theme;

/// The window the processing and arrival rates are measured over: one virtual second.
const RATE_WINDOW_US: u64 = 1_000_000;
/// At most this many steps are read back for the rates (a busy run has ~50 000 a second).
const MAX_SCAN: usize = 200_000;

/// Counts of the last virtual second (or less, see `window_us`).
struct Rates {
    /// The span of time the counts cover, ending now.
    window_us: u64,
    /// Published (or dead-lettered into) per topic and partition (queues: partition 0).
    arrived: Vec<Vec<u64>>,
    /// Processed or skipped as duplicates (and, on queues, dead-lettered) per group, topic
    /// and partition.
    drained: Vec<Vec<Vec<u64>>>,
}

impl Rates {
    fn measure(app: &App) -> Rates {
        let model = app.model();
        let per_topic =
            || -> Vec<Vec<u64>> { model.topics.iter().map(|t| vec![0; t.partitions.max(1) as usize]).collect() };
        let mut rates =
            Rates { window_us: 0, arrived: per_topic(), drained: model.groups.iter().map(|_| per_topic()).collect() };
        let now = app.now();
        let from = now.saturating_sub(RATE_WINDOW_US);
        let steps = app.steps();
        let mut earliest = now;
        let mut scanned = 0;
        for step in steps.iter().rev() {
            if step.t_us <= from && from > 0 || scanned == MAX_SCAN {
                break;
            }
            scanned += 1;
            earliest = step.t_us;
            // A queue's messages count as its partition 0.
            let partition = step.partition.map_or(0, Partition::index);
            match step.kind {
                StepKind::Published => {
                    if let Some(n) =
                        step.topic.and_then(|t| rates.arrived.get_mut(t.index())).and_then(|t| t.get_mut(partition))
                    {
                        *n += 1;
                    }
                }
                StepKind::Processed | StepKind::SkippedDuplicate | StepKind::DeadLettered => {
                    if step.kind == StepKind::DeadLettered
                        && let Some(n) = step
                            .dead_letter()
                            .and_then(|t| rates.arrived.get_mut(t.index()))
                            .and_then(|t| t.first_mut())
                    {
                        *n += 1;
                    }
                    if let Some(n) = (step.group.zip(step.topic))
                        .and_then(|(g, t)| rates.drained.get_mut(g.index())?.get_mut(t.index()))
                        .and_then(|t| t.get_mut(partition))
                    {
                        *n += 1;
                    }
                }
                StepKind::Delivered
                | StepKind::Failed
                | StepKind::Committed
                | StepKind::Acked
                | StepKind::Requeued
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
                | StepKind::Joined => {}
            }
        }
        rates.window_us = if scanned == MAX_SCAN { now - earliest } else { now - from };
        rates
    }

    /// Events a second: (processing, arrival) of a group on some (topic, partition)s.
    /// Processing counts only from the group's start, so a late joiner is not undersold.
    fn per_second(&self, app: &App, group: usize, of: &[(TopicIdx, Partition)]) -> Option<(f64, f64)> {
        let since_start = app.now().saturating_sub(app.model().groups[group].start);
        let window = self.window_us as f64 / 1e6;
        let drain_window = self.window_us.min(since_start) as f64 / 1e6;
        if window <= 0.0 || drain_window <= 0.0 {
            return None;
        }
        let (mut drained, mut arrived) = (0, 0);
        for &(t, p) in of {
            drained += self.drained[group][t.index()][p.index()];
            arrived += self.arrived[t.index()][p.index()];
        }
        Some((drained as f64 / drain_window, arrived as f64 / window))
    }
}

/// When a backlog will be gone.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CatchUp {
    /// No lag.
    Done,
    /// Draining faster than it fills: seconds to zero.
    In(f64),
    /// Keeping pace with arrivals, with a backlog smaller than a second's work (records in
    /// flight): seconds of work it holds.
    Steady(f64),
    /// Not catching up (no processing, or slower than arrivals): "—".
    Never,
}

impl CatchUp {
    fn estimate(lag: u64, rates: Option<(f64, f64)>) -> CatchUp {
        if lag == 0 {
            return CatchUp::Done;
        }
        let Some((drain, arrival)) = rates else { return CatchUp::Never };
        let lag = lag as f64;
        if drain <= 0.0 {
            CatchUp::Never
        } else if drain > arrival * 1.02 {
            CatchUp::In(lag / (drain - arrival))
        } else if drain >= arrival * 0.98 && lag <= drain {
            CatchUp::Steady(lag / drain)
        } else {
            CatchUp::Never
        }
    }

    fn label(self) -> String {
        match self {
            CatchUp::Done => "caught up".to_owned(),
            CatchUp::In(s) => format!("in {}", duration((s * 1e6) as u64)),
            CatchUp::Steady(s) => format!("≈{} steady", duration((s * 1e6) as u64)),
            CatchUp::Never => "—".to_owned(),
        }
    }

    fn style(self) -> Style {
        match self {
            CatchUp::Done => theme::OK,
            CatchUp::In(_) | CatchUp::Steady(_) => Style::new(),
            CatchUp::Never => theme::WARN,
        }
    }
}

/// One row of the "now" list.
struct LagRow {
    group: usize,
    /// `orders/3`, `emails (queue)`, or why there is no figure yet.
    label: String,
    lag: u64,
    /// How long the oldest unprocessed record has waited (logs).
    age: Option<u64>,
    catch_up: CatchUp,
    joined: bool,
}

/// A group's lag on its log slots and on its queues, as the analysis sees it now.
pub struct GroupLag {
    /// Per slot: log end − committed.
    pub slots: Vec<u64>,
    /// The lag of its queues together.
    pub queues: u64,
    /// Whether it has joined (log groups join at `start`).
    pub joined: bool,
}

/// Splits a group's current lag into its log slots and its queues.
pub fn group_lag(app: &App, g: usize) -> GroupLag {
    let gm = &app.model().groups[g];
    let a = app.analysis();
    let slots: Vec<u64> = gm
        .slots
        .iter()
        .enumerate()
        .map(|(slot, &(t, p))| u64::from(a.log_end(t.index(), p.index()).saturating_sub(a.committed(g, slot))))
        .collect();
    let total = a.metric(Metric::FinalLag, Some(g));
    let on_logs: u64 = slots.iter().sum();
    // Before its first rebalance a log group has no committed offsets and no lag: the
    // analysis counts nothing, so its slots must not either.
    let joined = app.now() >= gm.start && total >= on_logs;
    if joined {
        GroupLag { slots, queues: total - on_logs, joined }
    } else {
        GroupLag { slots: vec![0; gm.slots.len()], queues: total, joined }
    }
}

/// The rows of the "now" list: one per log partition, or with `per_topic` one per topic
/// (its partitions summed; the oldest record of any of them), and one per group's queues.
fn lag_rows(app: &App, per_topic: bool) -> Vec<LagRow> {
    let model = app.model();
    let a = app.analysis();
    let now = app.now();
    let rates = Rates::measure(app);
    let mut rows = Vec::new();
    for (g, gm) in model.groups.iter().enumerate() {
        let lag = group_lag(app, g);
        if !lag.joined || now < gm.start {
            rows.push(LagRow {
                group: g,
                label: format!("joins at {}", seconds(gm.start)),
                lag: 0,
                age: None,
                catch_up: CatchUp::Done,
                joined: false,
            });
            continue;
        }
        let ages: Vec<Option<u64>> = gm
            .slots
            .iter()
            .enumerate()
            .map(|(slot, &(t, p))| {
                (lag.slots[slot] > 0)
                    .then(|| a.record(t.index(), p.index(), a.committed(g, slot)))
                    .flatten()
                    .and_then(|e| a.first_published(e))
                    .map(|s| now.saturating_sub(app.steps()[s].t_us))
            })
            .collect();
        let mut slot = 0;
        while slot < gm.slots.len() {
            let (t, p) = gm.slots[slot];
            // Per topic: its partitions are consecutive slots.
            let n = if per_topic { gm.slots[slot..].iter().take_while(|&&(u, _)| u == t).count() } else { 1 };
            let of = &gm.slots[slot..slot + n];
            let behind: u64 = lag.slots[slot..slot + n].iter().sum();
            let label = if n == 1 {
                format!("{}/{p}", model.topics[t.index()].name)
            } else {
                format!("{} (all {n})", model.topics[t.index()].name)
            };
            rows.push(LagRow {
                group: g,
                label,
                lag: behind,
                age: ages[slot..slot + n].iter().flatten().copied().max(),
                catch_up: CatchUp::estimate(behind, rates.per_second(app, g, of)),
                joined: true,
            });
            slot += n;
        }
        if !gm.queues.is_empty() {
            let names: Vec<&str> = gm.queues.iter().map(|&q| model.topics[q.index()].name.as_str()).collect();
            let of: Vec<(TopicIdx, Partition)> = gm.queues.iter().map(|&q| (q, Partition::new(0))).collect();
            rows.push(LagRow {
                group: g,
                label: format!("{} (queue)", names.join(", ")),
                lag: lag.queues,
                age: None,
                catch_up: CatchUp::estimate(lag.queues, rates.per_second(app, g, &of)),
                joined: true,
            });
        }
    }
    rows
}

/// `width` cells of `█`, eighths at the end, for `value` out of `max`.
pub fn bar(value: u64, max: u64, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    if max == 0 || width == 0 {
        return String::new();
    }
    let eighths = ((value.min(max) as f64 / max as f64) * (width * 8) as f64).round() as usize;
    // Any lag at all shows at least a sliver.
    let eighths = if value > 0 { eighths.max(1) } else { 0 };
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        s.push(PARTS[eighths % 8]);
    }
    s
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let room = area.height / 2 + 2;
    let mut rows = lag_rows(app, false);
    // Too many partitions to list: one row per topic, so that every group shows.
    let per_topic = rows.len() as u16 + 3 > room;
    if per_topic {
        rows = lag_rows(app, true);
    }
    let wanted = rows.len() as u16 + 3;
    let top_height = wanted.min(room);
    let [top, chart] = Layout::vertical([Constraint::Length(top_height), Constraint::Min(0)]).areas(area);
    render_now(app, &rows, per_topic, top, buf);
    render_history(app, chart, buf);
}

/// The widest a lag bar grows.
const MAX_BAR: usize = 48;

fn render_now(app: &App, rows: &[LagRow], per_topic: bool, area: Rect, buf: &mut Buffer) {
    let model = app.model();
    let visible = area.height.saturating_sub(3) as usize;
    let mut name_w = model.groups.iter().map(|g| g.name.chars().count()).max().unwrap_or(5).clamp(5, 18);
    let mut label_w = rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(9).clamp(9, 24);
    let lag_w = rows.iter().map(|r| r.lag.to_string().len()).max().unwrap_or(1).max(3);
    let (age_w, mut eta_w) = (7, 14);
    // A narrow screen: the widest of the names, the partitions and the catch-up give way
    // (their text shortened with `…`), keeping a column clear of the border.
    let inner = usize::from(area.width.saturating_sub(3));
    while name_w + label_w + lag_w + age_w + eta_w + 5 > inner && name_w.max(label_w).max(eta_w) > 6 {
        let widest = if label_w >= name_w.max(eta_w) {
            &mut label_w
        } else if name_w >= eta_w {
            &mut name_w
        } else {
            &mut eta_w
        };
        *widest -= 1;
    }
    let fixed = name_w + label_w + lag_w + age_w + eta_w + 5;
    // On a wide screen the bar stops at MAX_BAR: the figures stay beside their partition.
    let bar_w = (area.width.saturating_sub(2) as usize).saturating_sub(fixed).min(MAX_BAR);
    let max = rows.iter().map(|r| r.lag).max().unwrap_or(0);
    let header = Row::new(vec![
        Cell::from("group"),
        Cell::from("partition"),
        Cell::from(""),
        Cell::from(Line::from("lag").alignment(Alignment::Right)),
        Cell::from("oldest"),
        Cell::from("catch-up"),
    ])
    .style(theme::TITLE);
    let mut previous = None;
    let table_rows = rows.iter().take(visible).map(|r| {
        let color = theme::group(r.group);
        // The group's name on its first row only.
        let name = if previous == Some(r.group) { String::new() } else { model.groups[r.group].name.clone() };
        previous = Some(r.group);
        let bar_style = Style::new().fg(if r.catch_up == CatchUp::Never { theme::STUCK } else { color });
        if r.joined {
            Row::new(vec![
                Cell::from(Span::styled(fit(&name, name_w), Style::new().fg(color))),
                Cell::from(fit(&r.label, label_w)),
                Cell::from(Span::styled(bar(r.lag, max, bar_w), bar_style)),
                Cell::from(Line::from(r.lag.to_string()).alignment(Alignment::Right)),
                Cell::from(r.age.map_or_else(|| "—".to_owned(), duration))
                    .style(if r.age.is_some_and(|a| a >= 1_000_000) { theme::WARN } else { Style::new() }),
                Cell::from(fit(&r.catch_up.label(), eta_w)).style(r.catch_up.style()),
            ])
        } else {
            Row::new(vec![
                Cell::from(Span::styled(fit(&name, name_w), Style::new().fg(color))),
                Cell::from(Span::styled(fit(&r.label, label_w), theme::DIM)),
            ])
        }
    });
    let widths = [
        Constraint::Length(name_w as u16),
        Constraint::Length(label_w as u16),
        Constraint::Length(bar_w as u16),
        Constraint::Length(lag_w as u16),
        Constraint::Length(age_w as u16),
        Constraint::Length(eta_w as u16),
    ];
    let title = if rows.len() > visible {
        format!(" lag now · showing {visible} of {} rows ", rows.len())
    } else if per_topic {
        " lag now: records behind per topic (enlarge the terminal for each partition) ".to_owned()
    } else {
        " lag now: records behind per partition ".to_owned()
    };
    // The worst row now, named apart from the peak over time below.
    let worst =
        rows.iter().filter(|r| r.joined && r.lag > 0).max_by(|a, b| a.lag.cmp(&b.lag).then(b.group.cmp(&a.group)));
    let mut block = Block::bordered().title(fit(&title, usize::from(area.width.saturating_sub(4))));
    if let Some(r) = worst {
        let what = if per_topic { "worst topic now" } else { "worst partition now" };
        let worst = Line::from(vec![
            Span::raw(format!(" {what} {} ", r.label)),
            Span::styled(format!(" {} ", r.lag), theme::lag(r.lag)),
            Span::raw(" "),
        ]);
        // Beside the title when it fits, else on the bottom border.
        block = if usize::from(area.width) >= title.chars().count() + worst.width() + 4 {
            block.title(worst.right_aligned())
        } else {
            block.title_bottom(worst.right_aligned())
        };
    }
    Table::new(table_rows, widths).header(header).block(block).render(area, buf);
}

/// The bucket (and its value) of the highest lag of any group so far: (value, group, bucket).
fn peak(histories: &[Vec<u64>]) -> Option<(u64, usize, usize)> {
    let mut best: Option<(u64, usize, usize)> = None;
    for (g, history) in histories.iter().enumerate() {
        for (i, &v) in history.iter().enumerate() {
            if v > 0 && best.is_none_or(|(b, _, _)| v > b) {
                best = Some((v, g, i));
            }
        }
    }
    best
}

fn render_history(app: &App, area: Rect, buf: &mut Buffer) {
    let model = app.model();
    let duration_us = model.duration.max(1);
    let bucket_us = duration_us as f64 / LAG_BUCKETS as f64;
    let histories: Vec<Vec<u64>> = (0..model.groups.len()).map(|g| app.analysis().lag_history(g)).collect();
    let points: Vec<Vec<(f64, f64)>> = histories
        .iter()
        .map(|h| h.iter().enumerate().map(|(i, &v)| (i as f64 * bucket_us / 1e6, v as f64)).collect())
        .collect();
    let peak = peak(&histories);
    let top = peak.map_or(1, |(v, _, _)| v).max(1);
    let datasets = points
        .iter()
        .enumerate()
        .map(|(g, data)| {
            Dataset::default()
                .name(model.groups[g].name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(theme::group(g)))
                .data(data)
        })
        .collect();
    // A group's lag is its records behind on all it reads; the peak is the highest so far
    // (what Checks calls `max_lag`), not the lag now above.
    let title = match peak {
        Some((v, g, i)) => {
            // The exact time when the group first reached it, else the bucket's start.
            let metrics = app.analysis().group(g);
            let at = if metrics.max_lag == v { metrics.max_lag_at } else { (i as f64 * bucket_us) as u64 };
            format!(" lag over time, per group · peak lag {v} ({}) at {} ", model.groups[g].name, seconds(at))
        }
        None => " lag over time, per group · no lag so far ".to_owned(),
    };
    // The legend on the border, where it covers no data.
    let mut legend = Vec::new();
    for (g, gm) in model.groups.iter().enumerate() {
        legend.push(Span::styled(" ━ ", Style::new().fg(theme::group(g))));
        legend.push(Span::raw(gm.name.clone()));
    }
    legend.push(Span::raw(" "));
    let seconds_label = |us: u64| Span::raw(axis_seconds(us));
    let x_axis = Axis::default().bounds([0.0, duration_us as f64 / 1e6]).style(theme::DIM).labels([
        seconds_label(0),
        seconds_label(duration_us / 2),
        seconds_label(duration_us),
    ]);
    let y_axis = Axis::default().bounds([0.0, top as f64]).style(theme::DIM).labels([
        Span::raw("0"),
        Span::raw(decimal(top as f64 / 2.0)),
        Span::raw(top.to_string()),
    ]);
    // The last time label keeps a column clear of the border.
    let mut block = Block::bordered()
        .padding(ratatui::widgets::Padding::right(1))
        .title(Span::styled(fit(&title, usize::from(area.width.saturating_sub(4))), theme::TITLE));
    let legend = Line::from(legend);
    // Only when it fits beside the title (else on the bottom border).
    if usize::from(area.width) >= title.chars().count() + legend.width() + 4 {
        block = block.title(legend.right_aligned());
    } else {
        block = block.title_bottom(legend.right_aligned());
    }
    Chart::new(datasets).block(block).x_axis(x_axis).y_axis(y_axis).legend_position(None).render(area, buf);
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use super::*;
    use crate::scenario::load::{Limits, load_str};
    use crate::tui::action::Action;

    const POISON: &str = r#"{
      "name": "poison", "duration": "5s",
      "topics": [{"name": "ledger", "kind": "log", "partitions": 2}, {"name": "emails", "kind": "queue"}],
      "producers": [
        {"name": "acc", "topic": "ledger", "rate": 5, "arrival": "fixed",
         "keys": {"prefix": "o-", "cardinality": 50, "distribution": "sequential"},
         "events": [{"type": "EntryPosted"}]},
        {"name": "shop", "topic": "emails", "rate": 5, "arrival": "fixed", "events": [{"type": "Receipt"}]}
      ],
      "events": [{"at": "1s", "topic": "ledger", "type": "Bad", "key": "o-x", "id": "poison"}],
      "consumers": [
        {"name": "bookkeeper", "topics": ["ledger"], "instances": 2, "processing": "50ms", "retry_delay": "500ms",
         "handles": {"EntryPosted": {}, "Bad": {"fail_probability": 1.0}}},
        {"name": "mailer", "topics": ["emails"], "processing": "10ms"},
        {"name": "late", "topics": ["ledger"], "start": "20s"}
      ]
    }"#;

    fn app(source: &str) -> App {
        let scenario = load_str(source, "test", &Limits::default()).expect("valid");
        App::new("test".to_owned(), None, scenario, None, crate::scenario::load::Limits::default()).expect("compiles")
    }

    fn text(buf: &Buffer) -> String {
        let area = buf.area;
        (0..area.height).map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
    }

    fn draw(app: &App, width: u16, height: u16) -> String {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        render(app, area, &mut buf);
        text(&buf)
    }

    #[test]
    fn shows_partitions_queues_and_the_blocked_one() {
        let mut app = app(POISON);
        app.apply(Action::RunToEnd);
        let screen = draw(&app, 120, 30);
        assert!(screen.contains("bookkeeper"), "{screen}");
        assert!(screen.contains("ledger/0"), "{screen}");
        assert!(screen.contains("ledger/1"), "{screen}");
        assert!(screen.contains("emails (queue)"), "{screen}");
        assert!(screen.contains("joins at 20.000s"), "{screen}");
        assert!(screen.contains("caught up"), "{screen}");
        // The poisoned partition: behind, its oldest record waiting for seconds, no catching up.
        let blocked = group_lag(&app, 0);
        let behind = blocked.slots.iter().copied().max().unwrap();
        assert!(behind > 5, "{blocked:?}", blocked = blocked.slots);
        let line =
            screen.lines().find(|l| l.contains(&format!(" {behind} ")) && l.contains('█')).expect("the blocked row");
        assert!(line.contains('█') && line.contains('—') && line.contains('s'), "{line}");
        assert!(screen.contains("peak lag"), "{screen}");
        assert!(screen.contains(&format!("worst partition now ledger/0  {behind} ")), "{screen}");
        assert!(screen.contains("(bookkeeper)"), "{screen}");
        // The legend is on the chart's border, over no data.
        let legend = screen.lines().find(|l| l.contains("━ bookkeeper")).expect("a legend");
        assert!(legend.contains("peak lag") && legend.contains("━ mailer"), "{screen}");
        assert!(!screen.contains("│bookkeeper│"), "{screen}");
        assert!(screen.contains("5s"), "{screen}");
    }

    #[test]
    fn fits_small_screens_and_the_start() {
        let app = app(POISON);
        let screen = draw(&app, 60, 10);
        assert!(screen.contains("no lag so far"), "{screen}");
        let mut app = app;
        app.apply(Action::RunToEnd);
        let screen = draw(&app, 60, 9);
        assert!(screen.contains("ledger (all 2)") && screen.contains("per topic"), "{screen}");
        let screen = draw(&app, 60, 7);
        assert!(screen.contains("showing 2 of 3 rows"), "{screen}");
        assert!(screen.contains('█'), "{screen}");
        draw(&app, 10, 3);
    }

    #[test]
    fn catch_up_estimates() {
        assert_eq!(CatchUp::estimate(0, None), CatchUp::Done);
        assert_eq!(CatchUp::estimate(10, None), CatchUp::Never);
        assert_eq!(CatchUp::estimate(10, Some((0.0, 5.0))), CatchUp::Never);
        assert_eq!(CatchUp::estimate(10, Some((15.0, 5.0))), CatchUp::In(1.0));
        assert_eq!(CatchUp::estimate(2, Some((5.0, 5.0))), CatchUp::Steady(0.4));
        assert_eq!(CatchUp::estimate(50, Some((5.0, 5.0))), CatchUp::Never);
        // A small backlog that grows is not steady: arrivals outpace the draining.
        assert_eq!(CatchUp::estimate(4, Some((4.5, 8.0))), CatchUp::Never);
        assert_eq!(bar(0, 10, 8), "");
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 1000, 4), "▏");
    }
}
