//! Chains: one correlation id as a causal tree (root first, children by causation) beside a
//! time waterfall like Jaeger's trace view: one bar per event, from its publish to the last
//! completed processing of it in any group, on the chain's own time scale.
//!
//! The chain is about [`App::focus_event`] (set by selecting a step in Traffic or a finding
//! in Checks); without one, about the newest event that has a cause, else the newest event.
//! Everything is recomputed per frame from the trace, so the work is bounded: at most
//! `SCAN_EVENTS` events are searched for the correlation id and at most `SCAN_STEPS`
//! steps, from the chain's first publish on, for its processing; the view says when a bound
//! cut the search. Only the rows that fit on screen are formatted.

use std::collections::BTreeMap;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::analysis::sagas::SagaStatus;
use crate::trace::jsonl::Namer;
use crate::trace::{AggregateIdx, EventId, EventIdx, GroupIdx, StepKind, TopicIdx};
use crate::tui::app::App;
use crate::tui::format::{duration_fine, fit, fit_lines, seconds};
use crate::tui::theme;
use crate::tui::views::View;

/// Events searched for the correlation id (from the chain's root on, or the newest ones).
const SCAN_EVENTS: usize = 200_000;
/// Steps searched for the chain's processing, from its first publish on.
const SCAN_STEPS: usize = 200_000;
/// Tree levels drawn as guides; deeper rows show their depth instead.
const MAX_INDENT: usize = 16;
/// From this width on the waterfall sits right of the tree; below it, under the tree.
const SIDE_BY_SIDE: u16 = 110;
/// The narrowest waterfall beside the tree.
const MIN_TRACK: u16 = 36;
/// Words that make an event type a compensation, for scenarios without sagas; with sagas,
/// their declared compensating types are taken as well, and each saga instance of the
/// correlation shows its status (from the analysis).
const COMPENSATING_WORDS: [&str; 5] = ["Cancel", "Refund", "Release", "Compensat", "Revert"];

/// How to choose the event a chain is about.
pub fn how_to_pick() -> String {
    format!("select a step in {} or a finding in {}", View::Traffic.with_key(), View::Checks.with_key())
}

/// One event of the chain, with its place in the tree and its times.
#[derive(Clone, Debug)]
struct Member {
    event: EventIdx,
    /// Index in [`Chain::members`] of its cause, when the cause is in the chain.
    parent: Option<usize>,
    first_child: Option<usize>,
    last_child: Option<usize>,
    next_sibling: Option<usize>,
    depth: usize,
    publish: u64,
    /// The last processing that completed (an effect, no handler, or an idempotent skip).
    done: Option<u64>,
    /// The last failed attempt.
    failed: Option<u64>,
    /// When and to which topic it was dead-lettered.
    dead_letter: Option<(u64, TopicIdx)>,
    delivered: bool,
    /// Its last `fetch`: (aggregate, version read, version the event produced).
    fetched: Option<(AggregateIdx, u32, Option<u32>)>,
    /// Published to a bus: routed to a topic some group reads, or matched no rule.
    routed_to_readers: bool,
    unrouted: bool,
}

impl Member {
    fn new(event: EventIdx, publish: u64) -> Self {
        Member {
            event,
            parent: None,
            first_child: None,
            last_child: None,
            next_sibling: None,
            depth: 0,
            publish,
            done: None,
            failed: None,
            dead_letter: None,
            delivered: false,
            fetched: None,
            routed_to_readers: false,
            unrouted: false,
        }
    }

    /// Where its waterfall bar ends.
    fn end(&self) -> u64 {
        let dead = self.dead_letter.map(|(t, _)| t);
        [self.done, self.failed, dead].into_iter().flatten().fold(self.publish, u64::max)
    }
}

/// Per event and group: effects and failed attempts.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    effects: u32,
    failed: u32,
}

/// The chain of one correlation id, as far as the bounded scans reach.
struct Chain {
    focus: EventIdx,
    /// The user picked the focus (else it is the default).
    picked: bool,
    correlation: EventId,
    /// Ascending event indices, so publish order.
    members: Vec<Member>,
    /// (member, group) → tally, in member then group order.
    tallies: BTreeMap<(usize, GroupIdx), Tally>,
    /// Members in tree order (depth first, children in publish order).
    rows: Vec<usize>,
    focus_row: usize,
    t0: u64,
    t1: u64,
    /// What a bound cut, for the view's bottom line.
    cuts: Vec<String>,
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let trace = app.trace();
    let picked = app.focus_event.filter(|&e| e.index() < app.events_seen());
    let Some(focus) = picked.or_else(|| default_focus(app)) else {
        let text = vec![
            Line::styled("No events yet.", theme::TITLE),
            Line::raw(""),
            Line::raw(format!("Run the scenario (space, → or End), then {}:", how_to_pick())),
            Line::raw("this view shows that event's correlation chain, its causes and a time waterfall."),
        ];
        Paragraph::new(text).wrap(Wrap { trim: true }).block(Block::bordered().title(" chains ")).render(area, buf);
        return;
    };
    let chain = collect(app, focus, picked.is_some());
    let namer = Namer { model: app.model(), trace };
    let sagas = saga_summary(app, chain.correlation);
    let title = format!(
        " chain of {} · correlation {} · {} event{} · {}{} ",
        namer.event_id(chain.focus),
        chain.correlation.render(&trace.strings),
        chain.members.len(),
        if chain.members.len() == 1 { "" } else { "s" },
        duration_fine(chain.t1 - chain.t0),
        sagas.iter().flat_map(|s| [" · ", s.as_str()]).collect::<String>(),
    );
    let mut bottom = Vec::new();
    if !chain.picked {
        bottom.push(format!("no event picked, showing the newest caused one: {}", how_to_pick()));
    }
    bottom.extend(chain.cuts.iter().cloned());
    let room = usize::from(area.width.saturating_sub(4));
    let mut block = Block::bordered().title(Span::styled(fit(&title, room), theme::TITLE));
    if !bottom.is_empty() {
        block = block.title_bottom(Span::styled(format!(" {} ", fit(&bottom.join(" · "), room)), theme::DIM));
    }
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.width == 0 || inner.height == 0 {
        return;
    }

    let waterfall_title = format!(" waterfall from {} · {} ", seconds(chain.t0), duration_fine(chain.t1 - chain.t0));
    // Side by side when the screen is wide and the tree's rows fit beside the narrowest
    // waterfall; else stacked, the tree with the whole width.
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let rows = window(&chain, body.height);
    let lines = tree_lines(app, &chain, rows.clone());
    let needed = u16::try_from(lines.iter().map(Line::width).max().unwrap_or(0)).unwrap_or(u16::MAX).saturating_add(1);
    if inner.width >= SIDE_BY_SIDE && needed <= inner.width - MIN_TRACK {
        // The tree takes what its visible rows need, the waterfall the rest (at least
        // MIN_TRACK columns); their rows line up: same window, one row each.
        let tree_width = needed.max(inner.width / 2);
        let [tree, waterfall] = Layout::horizontal([Constraint::Length(tree_width), Constraint::Min(0)]).areas(body);
        let head_tree = Rect { width: tree.width, ..head };
        let head_waterfall = Rect { x: waterfall.x, width: waterfall.width, ..head };
        Paragraph::new(fit_lines(
            [Line::styled(" causal tree (root first, children by causation)", theme::DIM)],
            head_tree.width,
        ))
        .render(head_tree, buf);
        Paragraph::new(fit_lines([Line::styled(waterfall_title, theme::DIM)], head_waterfall.width))
            .render(head_waterfall, buf);
        Paragraph::new(fit_lines(lines, tree.width)).render(tree, buf);
        render_waterfall(app, &chain, rows, None, waterfall, buf);
    } else {
        // The tree above, no taller than it needs; the waterfall below, with an id per row.
        let most = (u32::from(inner.height) * 11 / 20) as u16;
        let tree_height = u16::try_from(chain.rows.len()).unwrap_or(u16::MAX).saturating_add(1).min(most).max(1);
        let [tree, waterfall] = Layout::vertical([Constraint::Length(tree_height), Constraint::Min(0)]).areas(inner);
        Paragraph::new(fit_lines(tree_lines(app, &chain, window(&chain, tree.height)), tree.width)).render(tree, buf);
        let block = Block::new()
            .borders(ratatui::widgets::Borders::TOP)
            .border_style(theme::DIM)
            .title(Span::styled(waterfall_title, theme::DIM));
        let bars = block.inner(waterfall);
        block.render(waterfall, buf);
        let label = (bars.width / 3).clamp(8, 26);
        render_waterfall(app, &chain, window(&chain, bars.height), Some(label), bars, buf);
    }
}

/// The newest event that has a cause, else the newest event (within [`SCAN_EVENTS`]).
fn default_focus(app: &App) -> Option<EventIdx> {
    let newest = app.events_seen().checked_sub(1)?;
    let seen = &app.trace().events[..=newest];
    let caused = seen.iter().enumerate().rev().take(SCAN_EVENTS).find(|(_, e)| e.cause.is_some());
    Some(EventIdx::new(caused.map_or(newest, |(i, _)| i)))
}

/// Finds the chain of `focus`: the events sharing its correlation id, their tree and times.
fn collect(app: &App, focus: EventIdx, picked: bool) -> Chain {
    let trace = app.trace();
    let correlation = trace.event(focus).correlation;
    let mut cuts = Vec::new();
    let publish_step = |e: EventIdx| app.analysis().first_published(e);
    let mut members: Vec<Member> = search_range(app, focus, &mut cuts)
        .filter(|&e| trace.events[e].correlation == correlation)
        .map(|e| {
            let e = EventIdx::new(e);
            Member::new(e, publish_step(e).map_or(0, |s| app.steps()[s].t_us))
        })
        .collect();
    let rows = link_tree(app, &mut members);
    let focus_row = rows.iter().position(|&i| members[i].event == focus).unwrap_or(0);
    let tallies = follow_steps(app, &mut members, &mut cuts);
    let t0 = members.iter().map(|m| m.publish).min().unwrap_or(0);
    let t1 = members.iter().map(Member::end).max().unwrap_or(t0).max(t0);
    Chain { focus, picked, correlation, members, tallies, rows, focus_row, t0, t1, cuts }
}

/// The events to search for the focus's correlation id: at most [`SCAN_EVENTS`], a cut
/// said in `cuts` when that is not all of them.
///
/// From the top of the focus's causes. Events are stored in order of first publication and
/// an event is published after its cause, so when the top is the correlation's own root
/// (the usual case: a root's correlation id is its own id) no member comes before it. A
/// given correlation id may be shared by several roots, earlier ones too: look back as well.
fn search_range(app: &App, focus: EventIdx, cuts: &mut Vec<String>) -> std::ops::Range<usize> {
    let trace = app.trace();
    let n = app.events_seen();
    let mut top = focus;
    for _ in 0..SCAN_EVENTS {
        match trace.event(top).cause {
            Some(cause) => top = cause,
            None => break,
        }
    }
    let own_root = trace.event(top).id == trace.event(focus).correlation;
    let mut start = if own_root { top.index() } else { top.index().saturating_sub(SCAN_EVENTS / 2) };
    if focus.index() >= start + SCAN_EVENTS {
        start = focus.index() + 1 - SCAN_EVENTS / 2;
    }
    let end = (start + SCAN_EVENTS).min(n);
    if end < n || (start > 0 && (!own_root || start > top.index())) {
        cuts.push(format!("searched events {}–{} of {n} only (at most {SCAN_EVENTS})", start + 1, end));
    }
    start..end
}

/// Links the members into their tree and returns them in tree order (depth first,
/// children in publish order). Members ascend, so a cause always comes before its children.
fn link_tree(app: &App, members: &mut [Member]) -> Vec<usize> {
    let trace = app.trace();
    let find = |members: &[Member], e: EventIdx| members.binary_search_by_key(&e, |m| m.event).ok();
    let mut roots: (Option<usize>, Option<usize>) = (None, None);
    for i in 0..members.len() {
        let parent = trace.event(members[i].event).cause.and_then(|c| find(members, c));
        members[i].parent = parent;
        let tail = if let Some(p) = parent {
            members[i].depth = members[p].depth + 1;
            let tail = members[p].last_child.replace(i);
            members[p].first_child.get_or_insert(i);
            tail
        } else {
            let tail = roots.1.replace(i);
            roots.0.get_or_insert(i);
            tail
        };
        if let Some(t) = tail {
            members[t].next_sibling = Some(i);
        }
    }
    let mut rows = Vec::with_capacity(members.len());
    let mut stack: Vec<usize> = roots.0.into_iter().collect();
    while let Some(i) = stack.pop() {
        rows.push(i);
        stack.extend(members[i].next_sibling);
        stack.extend(members[i].first_child);
    }
    rows
}

/// Processing, failures and dead letters of the members, from the chain's first publish
/// on (at most [`SCAN_STEPS`] steps, a cut said in `cuts` past them): marked on each member,
/// and effects and failures tallied per member and group.
fn follow_steps(app: &App, members: &mut [Member], cuts: &mut Vec<String>) -> BTreeMap<(usize, GroupIdx), Tally> {
    let find = |members: &[Member], e: EventIdx| members.binary_search_by_key(&e, |m| m.event).ok();
    let mut tallies: BTreeMap<(usize, GroupIdx), Tally> = BTreeMap::new();
    let (Some(lo), Some(hi)) = (members.first().map(|m| m.event), members.last().map(|m| m.event)) else {
        return tallies;
    };
    let from = members.first().and_then(|m| app.analysis().first_published(m.event)).unwrap_or(app.steps().len());
    let to = (from + SCAN_STEPS).min(app.steps().len());
    if to < app.steps().len() {
        cuts.push(format!("processing searched in steps {}–{to} only (at most {SCAN_STEPS})", from + 1));
    }
    for step in &app.steps()[from.min(to)..to] {
        let Some(event) = step.event.filter(|e| (lo..=hi).contains(e)) else { continue };
        let relevant = matches!(
            step.kind,
            StepKind::Delivered
                | StepKind::Processed
                | StepKind::SkippedDuplicate
                | StepKind::Failed
                | StepKind::DeadLettered
                | StepKind::Fetched
                | StepKind::Routed
                | StepKind::Unrouted
        );
        let Some(i) = relevant.then(|| find(members, event)).flatten() else { continue };
        let m = &mut members[i];
        match step.kind {
            StepKind::Delivered => m.delivered = true,
            StepKind::Processed | StepKind::SkippedDuplicate => {
                m.done = Some(m.done.map_or(step.t_us, |t| t.max(step.t_us)));
                if step.kind == StepKind::Processed && step.effect() {
                    tallies.entry((i, step.group_idx())).or_default().effects += 1;
                }
            }
            StepKind::Failed => {
                m.failed = Some(m.failed.map_or(step.t_us, |t| t.max(step.t_us)));
                tallies.entry((i, step.group_idx())).or_default().failed += 1;
            }
            StepKind::Fetched => {
                let (read, made) = step.versions();
                m.fetched = step.aggregate().map(|a| (a, read, made));
            }
            StepKind::Routed => {
                m.routed_to_readers |= !app.model().topics[step.topic_idx().index()].subscribers.is_empty();
            }
            StepKind::Unrouted => m.unrouted = true,
            StepKind::DeadLettered => m.dead_letter = step.dead_letter().map(|topic| (step.t_us, topic)),
            // Not relevant (see above).
            StepKind::Published
            | StepKind::Committed
            | StepKind::Acked
            | StepKind::Requeued
            | StepKind::DroppedDuplicate
            | StepKind::Crashed
            | StepKind::Restarted
            | StepKind::Rebalanced
            | StepKind::Paused
            | StepKind::Resumed
            | StepKind::Note
            | StepKind::Joined => {}
        }
    }
    tallies
}

/// The rows that fit in `height`, around the focus.
fn window(chain: &Chain, height: u16) -> std::ops::Range<usize> {
    let height = usize::from(height);
    let start = chain.focus_row.saturating_sub(height / 2).min(chain.rows.len().saturating_sub(height));
    start..(start + height).min(chain.rows.len())
}

/// Whether a type names a compensation: declared by a saga, or by its wording.
fn is_compensation(app: &App, event_type: &str) -> bool {
    COMPENSATING_WORDS.iter().any(|w| event_type.contains(w))
        || app.model().scenario.sagas.iter().any(|s| s.compensations.values().any(|c| c == event_type))
}

/// The tree's rows in `rows`: guides, id, type, key, source, then the marks.
fn tree_lines(app: &App, chain: &Chain, rows: std::ops::Range<usize>) -> Vec<Line<'static>> {
    let trace = app.trace();
    let namer = Namer { model: app.model(), trace };
    let red = theme::kind(StepKind::Failed);
    let magenta = theme::kind(StepKind::DeadLettered);
    chain.rows[rows]
        .iter()
        .map(|&i| {
            let m = &chain.members[i];
            let event = trace.event(m.event);
            let ty = trace.strings.resolve(event.event_type);
            let cursor = if m.event == chain.focus { theme::CURSOR } else { " " };
            let mut spans = vec![Span::raw(cursor), Span::styled(guides(chain, i), theme::DIM)];
            spans.push(Span::raw(format!("{} ", namer.event_id(m.event))));
            spans.push(Span::styled(ty.to_owned(), Style::new().fg(theme::ACCENT)));
            if let Some(key) = event.key {
                spans.push(Span::styled(format!(" (key {})", trace.strings.resolve(key)), theme::DIM));
            }
            spans.push(Span::styled(format!(" ← by {}", trace.strings.resolve(event.source)), theme::DIM));
            if let Some(cause) = event.cause.filter(|_| m.parent.is_none()) {
                spans.push(Span::styled(format!(" (cause {} not searched)", namer.event_id(cause)), theme::DIM));
            }
            if is_compensation(app, ty) {
                spans.push(Span::styled("  ↺ compensation", theme::COMPENSATION));
            }
            spans.extend(saga_marks(app, chain.correlation, m.event));
            if let Some((aggregate, read, made)) = m.fetched {
                let name = app.model().aggregates.get(aggregate.index()).map_or("?", |a| a.name.as_str());
                let (text, style) = if let Some(made) = made.filter(|&made| read > made) {
                    (format!("  ⇣ fetched {name} v{read}, event made v{made}: moved on"), theme::WARN)
                } else {
                    (format!("  ⇣ fetched {name} v{read}"), theme::DIM)
                };
                spans.push(Span::styled(text, style));
            }
            for (&(_, group), tally) in
                chain.tallies.range((i, GroupIdx::new(0))..=(i, GroupIdx::new(GroupIdx::LIMIT - 1)))
            {
                if tally.effects > 1 {
                    spans.push(Span::styled(format!("  ×{} {}", tally.effects, namer.group(group)), theme::WARN));
                }
                if tally.failed > 0 {
                    spans.push(Span::styled(format!("  ✗{} failed {}", tally.failed, namer.group(group)), red));
                }
            }
            if let Some((_, topic)) = m.dead_letter {
                spans.push(Span::styled(format!("  dead-lettered → {}", namer.topic(topic)), magenta));
            }
            let line = Line::from(spans);
            if m.event == chain.focus { line.style(theme::SELECTED) } else { line }
        })
        .collect()
}

/// What an event is to the sagas of its correlation: the one that completed or failed an
/// instance, or a compensable step still owed a compensation.
fn saga_marks(app: &App, correlation: EventId, event: EventIdx) -> Vec<Span<'static>> {
    let model = app.model();
    let ty = app.trace().event(event).event_type;
    let mut spans = Vec::new();
    for instance in app.analysis().sagas().of(correlation) {
        let saga = &model.sagas[usize::from(instance.saga)];
        if instance.decided_by == Some(event) {
            let (text, style) = match instance.status() {
                SagaStatus::Completed => (format!("  ✓ completes saga {}", saga.name), theme::OK),
                _ => (format!("  ✗ fails saga {}", saga.name), theme::kind(StepKind::Failed)),
            };
            spans.push(Span::styled(text, style));
        }
        let owed = saga.compensations.iter().enumerate().find(|(k, (compensable, _))| {
            *compensable == ty && instance.status() == SagaStatus::Failed && instance.owes(*k)
        });
        if let Some((_, &(_, compensating))) = owed {
            let name = app.trace().strings.resolve(compensating);
            spans.push(Span::styled(format!("  ⚠ owes {name}"), theme::WARN));
        }
    }
    spans
}

/// `saga order: compensated`, for each saga instance of a correlation.
fn saga_summary(app: &App, correlation: EventId) -> Vec<String> {
    app.analysis()
        .sagas()
        .of(correlation)
        .map(|i| format!("saga {}: {}", app.model().sagas[usize::from(i.saga)].name, i.status().name(app.finished())))
        .collect()
}

/// The tree's guides before a row: `│  ` under ancestors with later siblings, then `├─ ` or
/// `└─ `; `● ` for a root.
fn guides(chain: &Chain, i: usize) -> String {
    let m = &chain.members[i];
    if m.parent.is_none() {
        return "● ".to_owned();
    }
    // Ancestors below the roots, nearest first.
    let mut levels = Vec::new();
    let mut a = m.parent;
    while let Some(p) = a {
        let member = &chain.members[p];
        if member.parent.is_none() || levels.len() == MAX_INDENT {
            break;
        }
        levels.push(if member.next_sibling.is_some() { "│  " } else { "   " });
        a = member.parent;
    }
    let mut text = if m.depth > MAX_INDENT + 1 { format!("⋯{} ", m.depth) } else { String::new() };
    text.extend(levels.iter().rev().copied());
    text.push_str(if m.next_sibling.is_some() { "├─ " } else { "└─ " });
    text
}

/// One bar per row: dim track, the event's span in colour (green: processed; red: only
/// failed; magenta: dead-lettered; cyan: delivered, in flight; blue: not delivered), then
/// its length, or why there is none.
fn render_waterfall(
    app: &App,
    chain: &Chain,
    rows: std::ops::Range<usize>,
    label: Option<u16>,
    area: Rect,
    buf: &mut Buffer,
) {
    let trace = app.trace();
    let namer = Namer { model: app.model(), trace };
    let label_width = label.map_or(0, usize::from);
    let track = usize::from(area.width).saturating_sub(label_width + 13).max(4) as u64;
    let span = (chain.t1 - chain.t0).max(1);
    let lines: Vec<Line> = chain.rows[rows]
        .iter()
        .map(|&i| {
            let m = &chain.members[i];
            let from = ((m.publish - chain.t0) * track / span).min(track - 1);
            let to = ((m.end() - chain.t0) * track / span).clamp(from + 1, track);
            let (colour, text) = if m.dead_letter.is_some() {
                (theme::kind(StepKind::DeadLettered), duration_fine(m.end().saturating_sub(m.publish)))
            } else if let Some(done) = m.done {
                (theme::kind(StepKind::Processed), duration_fine(done.saturating_sub(m.publish)))
            } else if m.failed.is_some() {
                (theme::kind(StepKind::Failed), "failed".to_owned())
            } else if m.delivered {
                (theme::kind(StepKind::Delivered), "in flight".to_owned())
            } else if m.unrouted {
                (theme::kind(StepKind::Unrouted), "unrouted".to_owned())
            } else if !m.routed_to_readers
                && app.model().topics[trace.event(m.event).topic.index()].subscribers.is_empty()
            {
                (theme::kind(StepKind::Published), "no consumer".to_owned())
            } else {
                (theme::kind(StepKind::Published), "waiting".to_owned())
            };
            let mut spans = Vec::new();
            if label.is_some() {
                let id = fit(&namer.event_id(m.event), label_width - 1);
                spans.push(Span::raw(format!("{id:<label_width$}")));
            }
            spans.extend([
                Span::styled("░".repeat(from as usize), theme::DIM),
                Span::styled("█".repeat((to - from) as usize), colour),
                Span::styled("░".repeat((track - to) as usize), theme::DIM),
                Span::raw(format!(" {text}")),
            ]);
            let line = Line::from(spans);
            if m.event == chain.focus { line.style(theme::SELECTED) } else { line }
        })
        .collect();
    Paragraph::new(fit_lines(lines, area.width)).render(area, buf);
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use super::*;
    use crate::scenario::load::{Limits, load_str};
    use crate::tui::action::Action;

    /// Two orders through three hops, each one refunded by a fourth consumer.
    const CHAIN: &str = r#"{
      "name": "chains test",
      "duration": "1s",
      "topics": [{"name": "orders"}, {"name": "payments"}, {"name": "shipments"}, {"name": "refunds"}],
      "events": [
        {"at": "100ms", "topic": "orders", "type": "OrderCreated", "key": "cust-7"},
        {"at": "200ms", "topic": "orders", "type": "OrderCreated", "key": "cust-8"}
      ],
      "consumers": [
        {"name": "payment-service", "topics": ["orders"], "processing": "10ms",
         "handles": {"OrderCreated": {"emit": [{"topic": "payments", "type": "PaymentRequested"}]}}},
        {"name": "shipping-service", "topics": ["payments"], "processing": "20ms",
         "handles": {"PaymentRequested": {"emit": [
            {"topic": "shipments", "type": "ShipmentRequested"},
            {"topic": "refunds", "type": "PaymentRefunded"}]}}},
        {"name": "warehouse", "topics": ["shipments"], "processing": "5ms"},
        {"name": "accounting", "topics": ["refunds"], "processing": "5ms"}
      ]
    }"#;

    fn app_from(source: &str) -> App {
        let scenario = load_str(source, "test", &Limits::default()).expect("valid");
        App::new("test".to_owned(), None, scenario, None, crate::scenario::load::Limits::default()).expect("compiles")
    }

    fn lesson(name: &str) -> App {
        app_from(crate::lessons::find(name).expect("a lesson").source)
    }

    fn draw(app: &App, width: u16, height: u16) -> (Buffer, String) {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        render(app, area, &mut buf);
        let mut text = String::new();
        for y in 0..height {
            let line: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
            text.push_str(line.trim_end());
            text.push('\n');
        }
        (buf, text)
    }

    fn event(app: &App, id: &str) -> EventIdx {
        let trace = app.trace();
        (0..trace.events.len()).map(EventIdx::new).find(|&e| trace.event(e).id.render(&trace.strings) == id).expect(id)
    }

    #[test]
    fn bus_events_are_routed_or_unrouted_not_without_consumer() {
        let source = crate::lessons::find("order-saga").expect("a lesson").source;
        let mut app = app_from(source);
        app.apply(Action::RunToEnd);
        app.focus_event = Some(event(&app, "evt-000009"));
        let (_, text) = draw(&app, 140, 12);
        assert!(text.contains("AuditPing") && text.contains("unrouted"), "{text}");
        // A payment result is routed to payment-results, which two groups read.
        let trace = app.trace();
        let failed = (0..trace.events.len())
            .map(EventIdx::new)
            .find(|&e| trace.strings.resolve(trace.event(e).event_type) == "PaymentFailed")
            .expect("a failed payment");
        app.focus_event = Some(failed);
        let (_, text) = draw(&app, 140, 12);
        assert!(text.contains("PaymentFailed"), "{text}");
        assert!(!text.contains("no consumer"), "every event of this chain is routed to a reader: {text}");
    }

    #[test]
    fn before_any_step_it_says_how_to_pick_an_event() {
        let app = app_from(CHAIN);
        let (_, text) = draw(&app, 120, 12);
        assert!(text.contains("No events yet"), "{text}");
        assert!(text.contains("select a step in Traffic (2) or a finding in Checks (6)"), "{text}");
    }

    #[test]
    fn the_focused_chain_is_a_tree_with_a_waterfall() {
        let mut app = app_from(CHAIN);
        app.apply(Action::RunToEnd);
        app.focus_event = Some(event(&app, "payment-service-000001"));
        let (buf, text) = draw(&app, 140, 12);
        // Root at 100 ms; its shipment is processed at 100 + 10 + 20 + 5 = 135 ms.
        assert!(
            text.contains("chain of payment-service-000001 · correlation evt-000001 · 4 events · 35.0ms"),
            "{text}"
        );
        let rows: Vec<&str> = text.lines().collect();
        let at =
            |needle: &str| rows.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}\n{text}"));
        let root = at("● evt-000001 OrderCreated (key cust-7) ← by script");
        let payment = at("└─ payment-service-000001 PaymentRequested (key cust-7) ← by payment-service");
        let shipment = at("   ├─ shipping-service-000001 ShipmentRequested (key cust-7) ← by shipping-service");
        let refund = at("   └─ shipping-service-000002 PaymentRefunded (key cust-7) ← by shipping-service");
        assert!(root < payment && payment < shipment && shipment < refund, "{text}");
        assert!(rows[refund].contains("↺ compensation"), "{text}");
        assert!(!rows[shipment].contains("↺"), "{text}");
        assert!(!text.contains("cust-8"), "the other order's chain is not shown:\n{text}");
        // The waterfall: the root's bar spans the whole track (10 ms of processing of 35),
        // the payment's starts later.
        assert!(rows[root].contains("█ 10.0ms") || rows[root].contains("░ 10.0ms"), "{text}");
        assert!(rows[payment].contains("20.0ms") && rows[shipment].contains("5.0ms"), "{text}");
        assert!(text.contains("waterfall from 0.100s · 35.0ms"), "{text}");
        // The focused row is highlighted, the others not.
        let x = rows[payment].find("payment-service-000001").map(|b| rows[payment][..b].chars().count()).unwrap();
        assert_eq!(buf[(x as u16, payment as u16)].bg, theme::SELECTED.bg.unwrap());
        assert_ne!(buf[(x as u16, root as u16)].bg, theme::SELECTED.bg.unwrap());
    }

    #[test]
    fn without_a_focus_the_newest_caused_event_is_shown_and_narrow_screens_stack() {
        let mut app = app_from(CHAIN);
        app.apply(Action::RunToEnd);
        let (_, text) = draw(&app, 80, 24);
        assert!(text.contains("chain of shipping-service-000004 · correlation evt-000002 · 4 events"), "{text}");
        assert!(text.contains("no event picked"), "{text}");
        // Stacked: the waterfall's rows carry the event ids.
        let bars: Vec<&str> = text.lines().skip_while(|l| !l.contains("waterfall from")).collect();
        assert!(bars.iter().any(|l| l.contains("evt-000002") && l.contains('█')), "{text}");
        assert_eq!(bars.iter().filter(|l| l.contains('█')).count(), 4, "{text}");
    }

    #[test]
    fn repeated_effects_are_marked_per_group() {
        let mut app = lesson("crash-duplicates");
        app.apply(Action::RunToEnd);
        let trace = app.trace();
        let mut effects = vec![0u32; trace.events.len()];
        for s in app.steps() {
            if s.kind == StepKind::Processed && s.flag != 0 {
                effects[s.event_idx().index()] += 1;
            }
        }
        let twice = EventIdx::new(effects.iter().position(|&n| n == 2).expect("a duplicate effect"));
        app.focus_event = Some(twice);
        let (_, text) = draw(&app, 140, 12);
        assert!(text.contains("×2 billing"), "{text}");
    }

    #[test]
    fn failures_and_dead_letters_are_marked() {
        let mut app = lesson("poison-message");
        app.apply(Action::RunToEnd);
        app.focus_event = Some(event(&app, "poison-q"));
        let (_, text) = draw(&app, 140, 12);
        assert!(text.contains("✗3 failed mailer"), "{text}");
        assert!(text.contains("dead-lettered → emails-dlq"), "{text}");
    }
}
