//! State: what each consumer group holds now — its committed offset per partition (logs)
//! or its lag (queues), how it commits and where it started, its instances and what they
//! are doing, and the size of its processed-id store when it is idempotent.
//!
//! Event-sourced aggregates and read models will join here once the scenario format
//! defines them.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::analysis::InstanceLive;
use crate::scenario::model::{Commit, From, Metric};
use crate::tui::app::App;
use crate::tui::theme;
use crate::tui::ui::seconds;
use crate::tui::views::lag::{group_color, group_lag};

/// Instances listed per group; the rest are summed up in one line.
const SHOWN_INSTANCES: usize = 6;
/// Partitions listed per group before "… N more".
const SHOWN_SLOTS: usize = 12;

pub const NOTE: &str = "Event-sourced aggregates and read models appear here once the scenario defines them.";

fn commit_mode(commit: Commit) -> String {
    match commit {
        Commit::After => "commit after (at-least-once)".to_owned(),
        Commit::Before => "commit before (at-most-once)".to_owned(),
        Commit::Interval(every) => format!("auto-commit every {every}"),
    }
}

/// What one instance is doing, in a few words, and its style.
fn live_state(live: &InstanceLive, busy_with: Option<String>) -> (String, Style) {
    if !live.alive {
        ("crashed".to_owned(), Style::new().fg(Color::Red).add_modifier(Modifier::BOLD))
    } else if live.paused {
        ("paused".to_owned(), theme::WARN)
    } else if let Some(id) = busy_with {
        (format!("busy with {id}"), Style::new().fg(Color::Cyan))
    } else {
        ("idle".to_owned(), theme::DIM)
    }
}

/// How much detail a group gets: the most that lets every group fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Detail {
    /// A line per partition and per instance.
    Full,
    /// Partitions packed into a grid; two instances, the rest summed up.
    Compact,
    /// The grid; the instances in one line.
    Tight,
}

/// The lines of one group, at most `room` of them, `width` wide.
fn group_lines(app: &App, g: usize, room: usize, detail: Detail, width: usize) -> Vec<Line<'static>> {
    let compact = detail > Detail::Full;
    let model = app.model();
    let gm = &model.groups[g];
    let trace = app.trace();
    let namer = crate::trace::jsonl::Namer { model, trace };
    let a = app.analysis();
    let now = app.now();
    let mut lines = Vec::new();

    // Heading: name, what it reads, how it commits, where it starts.
    let mut log_topics: Vec<u16> = gm.slots.iter().map(|&(t, _)| t).collect();
    log_topics.dedup();
    let names = |topics: &[u16]| -> String {
        topics.iter().map(|&t| model.topics[usize::from(t)].name.as_str()).collect::<Vec<_>>().join(", ")
    };
    let mut reads: Vec<String> = Vec::new();
    if !log_topics.is_empty() {
        reads.push(format!("log {}", names(&log_topics)));
    }
    if !gm.queues.is_empty() {
        reads.push(format!("queue {}", names(&gm.queues)));
    }
    let from = match gm.from {
        From::Earliest => "from earliest",
        From::Latest => "from latest",
    };
    let mut heading = vec![
        Span::styled(format!(" {} ", gm.name), Style::new().fg(group_color(g)).add_modifier(Modifier::BOLD)),
        Span::raw(format!("reads {}", reads.join(" + "))),
    ];
    if gm.reads_logs() {
        heading.push(Span::styled(" · ", theme::DIM));
        heading.push(Span::raw(commit_mode(gm.commit)));
        heading.push(Span::styled(" · ", theme::DIM));
        heading.push(Span::raw(from));
    }
    if !gm.queues.is_empty() {
        // A queue message is acked once processed, whatever `commit` says.
        heading.push(Span::styled(" · ", theme::DIM));
        heading.push(Span::raw("ack after processing (at-least-once)"));
    }
    if gm.start > 0 {
        heading.push(Span::styled(" · ", theme::DIM));
        let verb = if now >= gm.start { "joined at" } else { "joins at" };
        heading.push(Span::raw(format!("{verb} {}", seconds(gm.start))));
    }
    lines.push(Line::from(heading));

    // Positions: committed offsets per partition, lag per queue set.
    let lag = group_lag(app, g);
    if lag.joined {
        if compact {
            // A grid of `orders/3 15112/15113`, as many to a line as fit.
            let cells: Vec<(String, bool)> = gm
                .slots
                .iter()
                .enumerate()
                .map(|(slot, &(t, p))| {
                    let end = a.log_end(usize::from(t), usize::from(p));
                    let name = &model.topics[usize::from(t)].name;
                    (format!("{name}/{p} {}/{end}", a.committed(g, slot)), lag.slots[slot] > 0)
                })
                .collect();
            let cell_w = cells.iter().map(|(c, _)| c.chars().count()).max().unwrap_or(1) + 3;
            let per_line = (width.saturating_sub(3) / cell_w).max(1);
            if !cells.is_empty() && detail == Detail::Compact {
                lines.push(Line::styled("   committed/end per partition (yellow: behind)", theme::DIM));
            }
            for chunk in cells.chunks(per_line) {
                let mut spans = vec![Span::raw("   ")];
                for (cell, behind) in chunk {
                    let style = if *behind { theme::WARN } else { Style::new() };
                    spans.push(Span::styled(format!("{cell:<cell_w$}"), style));
                }
                lines.push(Line::from(spans));
            }
        } else {
            for (slot, &(t, p)) in gm.slots.iter().enumerate().take(SHOWN_SLOTS) {
                let end = a.log_end(usize::from(t), usize::from(p));
                let committed = a.committed(g, slot);
                let mut spans = vec![Span::raw(format!(
                    "   {}/{p}: committed {committed} of {end}",
                    model.topics[usize::from(t)].name
                ))];
                let behind = lag.slots[slot];
                if behind > 0 {
                    spans.push(Span::styled(format!("  ({behind} behind)"), theme::WARN));
                }
                lines.push(Line::from(spans));
            }
            if gm.slots.len() > SHOWN_SLOTS {
                let rest = &lag.slots[SHOWN_SLOTS..];
                lines.push(Line::styled(
                    format!(
                        "   … {} more partitions, {} behind in all",
                        gm.slots.len() - SHOWN_SLOTS,
                        rest.iter().sum::<u64>()
                    ),
                    theme::DIM,
                ));
            }
        }
        if !gm.queues.is_empty() {
            let names: Vec<&str> = gm.queues.iter().map(|&q| model.topics[usize::from(q)].name.as_str()).collect();
            let style = if lag.queues > 0 { theme::WARN } else { Style::new() };
            lines.push(Line::from(vec![
                Span::raw(format!("   {}: ", names.join(", "))),
                Span::styled(format!("lag {}", lag.queues), style),
                Span::styled(" (waiting or in flight, not yet acked)", theme::DIM),
            ]));
        }
    } else {
        lines.push(Line::styled("   not started: no committed offsets yet", theme::DIM));
    }

    // Instances: every one that ever existed, with what it is doing now.
    let lives = a.instances();
    let shown_instances = match detail {
        Detail::Full => SHOWN_INSTANCES,
        Detail::Compact => 2,
        Detail::Tight => 0,
    };
    let mine: Vec<(usize, u32)> = trace
        .instances
        .iter()
        .enumerate()
        .filter(|(_, (group, _))| usize::from(*group) == g)
        .map(|(i, &(_, number))| (i, number))
        .collect();
    if mine.is_empty() {
        lines.push(Line::styled(format!("   instances: {} (none running yet)", gm.instances), theme::DIM));
    } else {
        let alive = mine.iter().filter(|&&(i, _)| lives.get(i).is_none_or(|l| l.alive)).count();
        if detail == Detail::Tight {
            let (mut busy, mut paused, mut delivered, mut effects) = (0, 0, 0, 0);
            for l in mine.iter().filter_map(|&(i, _)| lives.get(i)) {
                busy += usize::from(l.alive && l.busy.is_some());
                paused += usize::from(l.alive && l.paused);
                delivered += l.delivered;
                effects += l.effects;
            }
            lines.push(Line::raw(format!(
                "   instances: {} ({alive} alive, {busy} busy, {paused} paused) · {delivered} delivered · {effects} effects",
                mine.len()
            )));
        } else {
            lines.push(Line::raw(format!("   instances: {} ({alive} alive)", mine.len())));
        }
        let fallback = InstanceLive { alive: true, ..InstanceLive::default() };
        for &(i, number) in mine.iter().take(shown_instances) {
            let live = lives.get(i).unwrap_or(&fallback);
            let busy = live.busy.map(|e| namer.event_id(e));
            let (state, style) = live_state(live, busy);
            lines.push(Line::from(vec![
                Span::raw(format!("     {:<16} ", format!("{}#{number}", gm.consumer))),
                Span::styled(format!("{state:<28} "), style),
                Span::raw(format!("{} delivered · {} effects", live.delivered, live.effects)),
            ]));
        }
        if detail != Detail::Tight && mine.len() > shown_instances {
            let (delivered, effects) = mine[shown_instances..]
                .iter()
                .filter_map(|&(i, _)| lives.get(i))
                .fold((0, 0), |(d, e), l| (d + l.delivered, e + l.effects));
            lines.push(Line::styled(
                format!("     … {} more: {delivered} delivered · {effects} effects", mine.len() - shown_instances),
                theme::DIM,
            ));
        }
    }

    // The idempotent consumer's memory.
    if gm.idempotent {
        let distinct = a.metric(Metric::Effects, Some(g)).saturating_sub(a.metric(Metric::DuplicateEffects, Some(g)));
        lines.push(Line::from(vec![
            Span::raw("   processed-id store: "),
            Span::styled(format!("{distinct} ids"), theme::OK),
            Span::styled(" (idempotent: a redelivered id is skipped)", theme::DIM),
        ]));
    } else {
        lines.push(Line::styled("   processed-id store: none (not idempotent)", theme::DIM));
    }
    lines.truncate(room);
    lines
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let [body, note] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
    let room = body.height.saturating_sub(2) as usize;
    let width = body.width.saturating_sub(2) as usize;
    let groups = app.model().groups.len();
    // Every group's lines at one level of detail, and how many groups fit whole.
    let all = |detail: Detail| -> (Vec<Line<'static>>, usize) {
        let mut lines: Vec<Line> = Vec::new();
        let mut whole = 0;
        for g in 0..groups {
            if lines.len() >= room {
                break;
            }
            if g > 0 && detail != Detail::Tight {
                lines.push(Line::raw(""));
            }
            // One line more than fits tells that it did not.
            let left = (room + 1).saturating_sub(lines.len());
            lines.extend(group_lines(app, g, left, detail, width));
            if lines.len() <= room {
                whole += 1;
            }
        }
        (lines, whole)
    };
    let (mut lines, mut shown) = all(Detail::Full);
    for detail in [Detail::Compact, Detail::Tight] {
        if shown == groups {
            break;
        }
        (lines, shown) = all(detail);
    }
    lines.truncate(room);
    let title = if shown < groups {
        format!(" state · {shown} of {groups} groups in full (enlarge the terminal for the rest) ")
    } else {
        format!(" state · {groups} group{} ", if groups == 1 { "" } else { "s" })
    };
    Paragraph::new(lines).block(Block::bordered().title(Span::styled(title, theme::TITLE))).render(body, buf);
    Paragraph::new(Line::styled(format!(" {NOTE}"), theme::DIM)).render(note, buf);
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use super::*;
    use crate::scenario::load::{Limits, load_str};
    use crate::tui::action::Action;

    const SHOP: &str = r#"{
      "name": "shop", "duration": "4s",
      "topics": [{"name": "orders", "kind": "log", "partitions": 2}, {"name": "emails", "kind": "queue"}],
      "producers": [
        {"name": "web", "topic": "orders", "rate": 5, "arrival": "fixed",
         "keys": {"prefix": "c-", "cardinality": 10, "distribution": "sequential"},
         "events": [{"type": "OrderCreated"}]},
        {"name": "shop", "topic": "emails", "rate": 5, "arrival": "fixed", "events": [{"type": "Receipt"}]}
      ],
      "faults": [{"at": "1s", "crash": "billing#1"}],
      "consumers": [
        {"name": "billing", "topics": ["orders"], "instances": 2, "idempotent": true, "processing": "10ms"},
        {"name": "mailer", "topics": ["emails"]},
        {"name": "late", "topics": ["orders"], "start": "1h", "from": "latest", "commit": "before"}
      ]
    }"#;

    fn app() -> App {
        let scenario = load_str(SHOP, "test", &Limits::default()).expect("valid");
        App::new("test".to_owned(), None, scenario, None, 1_000_000).expect("compiles")
    }

    fn draw(app: &App, width: u16, height: u16) -> String {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        render(app, area, &mut buf);
        (0..height).map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
    }

    #[test]
    fn shows_offsets_instances_and_the_id_store() {
        let mut app = app();
        app.apply(Action::RunToEnd);
        let screen = draw(&app, 120, 50);
        let end0 = app.analysis().log_end(0, 0);
        let committed0 = app.analysis().committed(0, 0);
        assert!(screen.contains(&format!("orders/0: committed {committed0} of {end0}")), "{screen}");
        assert!(screen.contains("orders/1: committed"), "{screen}");
        assert!(screen.contains("commit after (at-least-once)"), "{screen}");
        assert!(screen.contains("ack after processing (at-least-once)"), "{screen}");
        assert!(screen.contains("from earliest"), "{screen}");
        assert!(screen.contains("reads queue emails") && screen.contains("emails: lag 0"), "{screen}");
        assert!(screen.contains("billing#1") && screen.contains("crashed"), "{screen}");
        assert!(screen.contains("billing#2") && screen.contains("idle"), "{screen}");
        assert!(screen.contains("delivered ·"), "{screen}");
        let effects = app.analysis().metric(Metric::Effects, Some(0));
        let distinct = effects - app.analysis().metric(Metric::DuplicateEffects, Some(0));
        assert!(screen.contains(&format!("processed-id store: {distinct} ids")), "{screen}");
        assert!(screen.contains("none (not idempotent)"), "{screen}");
        assert!(screen.contains("joins at 3600.000s") && screen.contains("not started"), "{screen}");
        assert!(screen.contains("commit before (at-most-once) · from latest"), "{screen}");
        assert!(screen.contains("Event-sourced aggregates and read models appear here"), "{screen}");
    }

    #[test]
    fn a_small_screen_shows_what_fits() {
        let mut app = app();
        let screen = draw(&app, 80, 12);
        assert!(screen.contains("billing"), "{screen}");
        app.apply(Action::RunToEnd);
        let screen = draw(&app, 80, 8);
        assert!(screen.contains("of 3 groups"), "{screen}");
        let screen = draw(&app, 80, 19);
        assert!(screen.contains("orders/0 ") && screen.contains("3 groups"), "{screen}");
        assert!(screen.contains("instances: 2 (1 alive, "), "{screen}");
        draw(&app, 5, 2);
    }
}
