//! State: what each consumer group holds now — its committed offset per partition (logs)
//! or its lag (queues), how it commits and where it started, its instances and what they
//! are doing, and the size of its processed-id store when it is idempotent.
//!
//! Above them, when the scenario has aggregates: each aggregate's write side per key (state,
//! version, last snapshot) beside the read models that project it (equal, stale by how many
//! versions and how long, or differing from the fold of the log), and the rebuild of one key
//! as a fold, from its events and from its last snapshot: the key of the step shown, else
//! the key that changed last.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::analysis::InstanceLive;
use crate::scenario::model::{Commit, From, Metric};
use crate::tui::app::App;
use crate::tui::format::{fit, fit_lines, seconds};
use crate::tui::theme;
use crate::tui::views::lag::{GroupLag, group_lag};

/// Instances listed per group; the rest are summed up in one line.
const SHOWN_INSTANCES: usize = 6;
/// Partitions listed per group before "… N more".
const SHOWN_SLOTS: usize = 12;

pub const NOTE: &str = "Aggregates (event sourcing) and read models (project) appear here when the scenario has them.";

/// Keys listed per aggregate before "… N more".
const SHOWN_KEYS: usize = 8;
/// Fold steps shown in a rebuild (the last ones).
const SHOWN_FOLD: usize = 6;

fn json(value: &serde_json::Value) -> String {
    value.to_string()
}

/// The key whose rebuild is shown for aggregate `a`: the key of the event of the step shown
/// when the aggregate has state for it, else the key appended to last.
fn focus_key(app: &App, a: usize) -> Option<(usize, crate::trace::Sym)> {
    let side = app.analysis().write_side(a);
    let step = app.step_number().checked_sub(1).and_then(|i| app.steps().get(i));
    let shown = step
        .and_then(|s| s.event)
        .and_then(|e| app.trace().event(e).key)
        .and_then(|k| side.store.slot(k).map(|slot| (slot, k)));
    shown.or_else(|| {
        let keys = side.store.keys();
        (0..keys.len()).max_by_key(|&slot| (side.last_time(slot), slot)).map(|slot| (slot, keys[slot]))
    })
}

/// The aggregates' lines: write side per key with the read models beside it, and one key's
/// rebuild as a fold.
fn aggregate_lines(app: &App, room: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for a in 0..app.model().aggregates.len() {
        if lines.len() >= room {
            break;
        }
        lines.push(aggregate_heading(app, a));
        if app.analysis().write_side(a).store.keys().is_empty() {
            lines.push(Line::styled("  no events applied yet", theme::DIM));
            continue;
        }
        key_lines(app, a, &mut lines);
        if let Some((_, key)) = focus_key(app, a) {
            rebuild_lines(app, a, key, &mut lines);
        }
    }
    // One line more than fits tells the caller that some did not.
    lines.truncate(room + 1);
    lines
}

/// `cart  write side folded from log carts · 3 keys · snapshot every 5`.
fn aggregate_heading(app: &App, a: usize) -> Line<'static> {
    let model = app.model();
    let am = &model.aggregates[a];
    let keys = app.analysis().write_side(a).store.keys().len();
    let snapshots =
        if am.snapshot_every > 0 { format!(" · snapshot every {}", am.snapshot_every) } else { String::new() };
    Line::from(vec![
        Span::styled(am.name.clone(), theme::TITLE.add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                "  write side folded from log {} · {keys} key{}{snapshots}",
                model.topics[am.topic.index()].name,
                if keys == 1 { "" } else { "s" }
            ),
            theme::DIM,
        ),
    ])
}

/// The write side per key (state, version, last snapshot), each with its read models
/// below it; the first [`SHOWN_KEYS`] keys.
fn key_lines(app: &App, a: usize, lines: &mut Vec<Line<'static>>) {
    let model = app.model();
    let am = &model.aggregates[a];
    let side = app.analysis().write_side(a);
    let keys = side.store.keys();
    let projectors: Vec<usize> =
        (0..model.groups.len()).filter(|&g| model.projects[g].is_some_and(|p| p.index() == a)).collect();
    for (slot, &key) in keys.iter().enumerate().take(SHOWN_KEYS) {
        let name = app.trace().strings.resolve(key).to_owned();
        let mut spans = vec![
            Span::raw(format!("  {name:<8} ")),
            Span::styled(format!("v{:<3} ", side.store.version(slot)), Style::new().fg(theme::ACCENT)),
            Span::raw(json(&am.rules.to_json(side.store.row(slot)))),
        ];
        let (cells, version, _) = side.snapshot(slot);
        if version > 0 {
            spans.push(Span::styled(format!("  snapshot v{version} {}", json(&am.rules.to_json(cells))), theme::DIM));
        }
        lines.push(Line::from(spans));
        // Beside it (below, indented), each read model of it.
        lines.extend(projectors.iter().filter_map(|&g| read_model_line(app, a, g, key)));
    }
    if keys.len() > SHOWN_KEYS {
        lines.push(Line::styled(format!("  … {} more keys", keys.len() - SHOWN_KEYS), theme::DIM));
    }
}

/// Read model `g`'s state of `key`: equal to the write side, stale by how much, or
/// differing from the log's fold (`None` when `g` has no read side).
fn read_model_line(app: &App, a: usize, g: usize, key: crate::trace::Sym) -> Option<Line<'static>> {
    let analysis = app.analysis();
    let rules = &app.model().aggregates[a].rules;
    let read = analysis.read_side(g)?;
    let consumer = &app.model().groups[g].consumer;
    let head = Span::styled(format!("             ↳ read model {consumer:<14} "), theme::DIM);
    let Some(rslot) = read.read.slot(key) else {
        return Some(Line::from(vec![head, Span::styled("nothing applied yet", theme::WARN)]));
    };
    let stale = analysis.staleness(app.trace(), g, key).unwrap_or_default();
    let state = json(&rules.to_json(read.read.row(rslot)));
    let (text, style) = if read.diverged(rslot) {
        let fold = json(&rules.to_json(read.reference_row(rslot)));
        (format!("{state} ≠ the log's fold {fold}"), theme::MISMATCH)
    } else if stale.behind_versions > 0 {
        let n = stale.behind_versions;
        let s = if n == 1 { "" } else { "s" };
        (format!("{state} stale: {n} version{s} and {} behind", seconds(stale.behind_us)), theme::WARN)
    } else {
        (format!("{state} = write side (v{})", stale.read_version), theme::OK)
    };
    Some(Line::from(vec![head, Span::styled(text, style)]))
}

/// One key's rebuild, as a fold: from its events (the last [`SHOWN_FOLD`]), then from its
/// last snapshot when it has one.
fn rebuild_lines(app: &App, a: usize, key: crate::trace::Sym, lines: &mut Vec<Line<'static>>) {
    let trace = app.trace();
    let analysis = app.analysis();
    let namer = crate::trace::jsonl::Namer { model: app.model(), trace };
    let name = trace.strings.resolve(key).to_owned();
    if let Some(full) = analysis.rebuild(trace, a, key, false) {
        lines.push(Line::styled(
            format!("  rebuild of {name} from its events (partition {}):", full.partition),
            theme::TITLE,
        ));
        let skip = full.steps.len().saturating_sub(SHOWN_FOLD);
        if skip == 0 {
            lines.push(Line::from(vec![Span::styled("    v0  ".to_owned(), theme::DIM), Span::raw(json(&full.start))]));
        } else {
            lines.push(Line::styled(format!("    … {skip} earlier events"), theme::DIM));
        }
        for step in full.steps.iter().skip(skip) {
            let e = trace.event(step.event);
            lines.push(Line::from(vec![
                Span::styled(format!("    v{:<3} ", step.version), Style::new().fg(theme::ACCENT)),
                Span::styled(
                    format!(
                        "+ {} {} @{} ⇒ ",
                        trace.strings.resolve(e.event_type),
                        namer.event_id(step.event),
                        step.offset
                    ),
                    theme::DIM,
                ),
                Span::raw(json(&step.state)),
            ]));
        }
    }
    if let Some(quick) = analysis.rebuild(trace, a, key, true).filter(|q| q.start_version > 0) {
        let mut spans = vec![
            Span::styled(format!("  from snapshot v{} ", quick.start_version), theme::TITLE),
            Span::raw(json(&quick.start)),
        ];
        for step in &quick.steps {
            spans.push(Span::styled(
                format!(" + {} ⇒ ", trace.strings.resolve(trace.event(step.event).event_type)),
                theme::DIM,
            ));
            spans.push(Span::raw(format!("v{} {}", step.version, json(&step.state))));
        }
        spans.push(Span::styled(
            format!(
                "  ({} event{} replayed instead of {})",
                quick.steps.len(),
                if quick.steps.len() == 1 { "" } else { "s" },
                quick.version
            ),
            theme::DIM,
        ));
        lines.push(Line::from(spans));
    }
}

fn commit_mode(commit: Commit) -> String {
    match commit {
        Commit::After => "commit after (at-least-once)".to_owned(),
        Commit::Before => "commit before (at-most-once)".to_owned(),
        Commit::Interval(every) => format!("auto-commit every {every}"),
    }
}

/// What one instance is doing, in a few words, and its style.
fn live_state(live: &InstanceLive, busy_with: Option<String>, retrying: Option<(String, u32)>) -> (String, Style) {
    if !live.alive {
        ("crashed".to_owned(), theme::CRASHED)
    } else if live.paused {
        ("paused".to_owned(), theme::WARN)
    } else if let Some(id) = busy_with {
        (format!("busy with {id}"), theme::BUSY_WITH)
    } else if let Some((id, failed)) = retrying {
        (format!("retrying {id} ×{failed}"), theme::WARN)
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

/// The lines of one group, at most `room` of them, `width` wide: its heading, where it is
/// in its logs and queues, its instances, its processed-id store.
fn group_lines(app: &App, g: usize, room: usize, detail: Detail, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![group_heading(app, g)];
    position_lines(app, g, detail, width, &mut lines);
    instance_lines(app, g, detail, width, &mut lines);
    lines.push(id_store_line(app, g));
    lines.truncate(room);
    lines
}

/// Heading: name, what it reads, how it commits, where it starts.
fn group_heading(app: &App, g: usize) -> Line<'static> {
    let model = app.model();
    let gm = &model.groups[g];
    let mut log_topics: Vec<crate::trace::TopicIdx> = gm.slots.iter().map(|&(t, _)| t).collect();
    log_topics.dedup();
    let names = |topics: &[crate::trace::TopicIdx]| -> String {
        topics.iter().map(|&t| model.topics[t.index()].name.as_str()).collect::<Vec<_>>().join(", ")
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
        Span::styled(format!(" {} ", gm.name), Style::new().fg(theme::group(g)).add_modifier(Modifier::BOLD)),
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
        let verb = if app.now() >= gm.start { "joined at" } else { "joins at" };
        heading.push(Span::raw(format!("{verb} {}", seconds(gm.start))));
    }
    Line::from(heading)
}

/// Positions: committed offsets per partition (a line each, or packed into a grid when
/// compact), lag per queue set.
fn position_lines(app: &App, g: usize, detail: Detail, width: usize, lines: &mut Vec<Line<'static>>) {
    let model = app.model();
    let gm = &model.groups[g];
    let lag = group_lag(app, g);
    if !lag.joined {
        lines.push(Line::styled("   not started: no committed offsets yet", theme::DIM));
        return;
    }
    if detail > Detail::Full {
        slot_grid(app, g, &lag, detail, width, lines);
    } else {
        slot_list(app, g, &lag, lines);
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
}

/// A grid of `orders/3 15112/15113`, as many to a line as fit.
fn slot_grid(app: &App, g: usize, lag: &GroupLag, detail: Detail, width: usize, lines: &mut Vec<Line<'static>>) {
    let model = app.model();
    let a = app.analysis();
    let cells: Vec<(String, bool)> = model.groups[g]
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
}

/// A line per partition (the first [`SHOWN_SLOTS`], then the rest summed up).
fn slot_list(app: &App, g: usize, lag: &GroupLag, lines: &mut Vec<Line<'static>>) {
    let model = app.model();
    let gm = &model.groups[g];
    let a = app.analysis();
    for (slot, &(t, p)) in gm.slots.iter().enumerate().take(SHOWN_SLOTS) {
        let end = a.log_end(usize::from(t), usize::from(p));
        let committed = a.committed(g, slot);
        let mut spans =
            vec![Span::raw(format!("   {}/{p}: committed {committed} of {end}", model.topics[usize::from(t)].name))];
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

/// Instances: every one that ever existed, with what it is doing now (the first few, the
/// rest summed up; when tight, all in one line). In columns when `width` has room for
/// them; else each part only as wide as it is, so the figures stay on screen.
fn instance_lines(app: &App, g: usize, detail: Detail, width: usize, lines: &mut Vec<Line<'static>>) {
    let (name_w, state_w) = if width >= 5 + 17 + 29 + 27 { (16, 28) } else { (0, 0) };
    let gm = &app.model().groups[g];
    let a = app.analysis();
    let lives = a.instances();
    let shown_instances = match detail {
        Detail::Full => SHOWN_INSTANCES,
        Detail::Compact => 2,
        Detail::Tight => 0,
    };
    let mine: Vec<(usize, u32)> = app
        .trace()
        .instances
        .iter()
        .enumerate()
        .take(a.instance_count())
        .filter(|(_, (group, _))| usize::from(*group) == g)
        .map(|(i, &(_, number))| (i, number))
        .collect();
    if mine.is_empty() {
        lines.push(Line::styled(format!("   instances: {} (none running yet)", gm.instances), theme::DIM));
        return;
    }
    let alive = mine.iter().filter(|&&(i, _)| lives.get(i).is_none_or(|l| l.alive)).count();
    if detail == Detail::Tight {
        let (mut busy, mut paused, mut delivered, mut effects) = (0, 0, 0, 0);
        for l in mine.iter().filter_map(|&(i, _)| lives.get(i)) {
            busy += usize::from(l.alive && (l.busy.is_some() || l.retrying.is_some()));
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
    let namer = crate::trace::jsonl::Namer { model: app.model(), trace: app.trace() };
    let fallback = InstanceLive { alive: true, ..InstanceLive::default() };
    for &(i, number) in mine.iter().take(shown_instances) {
        let live = lives.get(i).unwrap_or(&fallback);
        let busy = live.busy.map(|e| namer.event_id(e));
        let retrying = live.retrying.map(|(e, failed)| (namer.event_id(e), failed));
        let (state, style) = live_state(live, busy, retrying);
        lines.push(Line::from(vec![
            Span::raw(format!("     {:<name_w$} ", format!("{}#{number}", gm.consumer))),
            Span::styled(format!("{state:<state_w$} "), style),
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

/// The idempotent consumer's memory.
fn id_store_line(app: &App, g: usize) -> Line<'static> {
    let a = app.analysis();
    if app.model().groups[g].idempotent {
        let distinct = a.metric(Metric::Effects, Some(g)).saturating_sub(a.metric(Metric::DuplicateEffects, Some(g)));
        Line::from(vec![
            Span::raw("   processed-id store: "),
            Span::styled(format!("{distinct} ids"), theme::OK),
            Span::styled(" (idempotent: a redelivered id is skipped)", theme::DIM),
        ])
    } else {
        Line::styled("   processed-id store: none (not idempotent)", theme::DIM)
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    // Without aggregates, the last line says where they would be.
    let hint = u16::from(app.model().aggregates.is_empty());
    let [body, note] = Layout::vertical([Constraint::Min(0), Constraint::Length(hint)]).areas(area);
    let body = if app.model().aggregates.is_empty() {
        body
    } else {
        // Aggregates above, as many lines as they need: up to 3/5 of the height, or more
        // when the groups below need less (in their tightest form); groups below.
        let width = body.width.saturating_sub(2) as usize;
        let groups_need: usize = (0..app.model().groups.len())
            .map(|g| group_lines(app, g, usize::MAX, Detail::Tight, width).len())
            .sum::<usize>()
            + 2;
        let most = (body.height.saturating_sub(2) * 3 / 5)
            .max(body.height.saturating_sub(2).saturating_sub(groups_need as u16)) as usize;
        let mut lines = aggregate_lines(app, most);
        if lines.len() > most && most > 0 {
            lines.truncate(most - 1);
            lines.push(Line::styled("  … more below: a taller terminal shows the rest", theme::DIM));
        }
        let height = (lines.len() as u16 + 2).min(body.height);
        let [top, rest] = Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(body);
        let title = format!(" aggregates · {} ", app.model().aggregates.len());
        Paragraph::new(fit_lines(lines, top.width.saturating_sub(2)))
            .block(
                Block::bordered()
                    .title(Span::styled(fit(&title, usize::from(top.width.saturating_sub(3))), theme::TITLE)),
            )
            .render(top, buf);
        rest
    };
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
    Paragraph::new(fit_lines(lines, body.width.saturating_sub(2)))
        .block(
            Block::bordered().title(Span::styled(fit(&title, usize::from(body.width.saturating_sub(3))), theme::TITLE)),
        )
        .render(body, buf);
    if hint > 0 {
        Paragraph::new(fit_lines([Line::styled(format!(" {NOTE}"), theme::DIM)], note.width)).render(note, buf);
    }
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
        App::new("test".to_owned(), None, scenario, None, crate::scenario::load::Limits::default()).expect("compiles")
    }

    fn draw(app: &App, width: u16, height: u16) -> String {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        render(app, area, &mut buf);
        (0..height).map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
    }

    /// The aggregates take the room the groups below do not need: every read model of
    /// read-model-lag's six accounts fits the State view of a 120×40 terminal.
    #[test]
    fn aggregates_take_the_room_the_groups_leave() {
        let source = crate::lessons::find("read-model-lag").expect("a lesson").source;
        let scenario = load_str(source, "read-model-lag", &Limits::default()).expect("valid");
        let mut app = App::new("test".to_owned(), None, scenario, None, crate::scenario::load::Limits::default())
            .expect("compiles");
        while app.now() < 1_000_000 {
            app.apply(Action::StepForward);
        }
        let text = draw(&app, 120, 33);
        assert_eq!(text.matches("read model statements").count(), 6, "{text}");
        assert!(text.contains("statements reads log accounts"), "{text}");
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
        assert!(screen.contains("Aggregates (event sourcing) and read models (project) appear here"), "{screen}");
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
