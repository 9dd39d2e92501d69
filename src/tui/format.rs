//! How the TUI writes times, counts, rates, steps and findings, in one place: every view
//! says `1.250s`, `20 000` and `orders/1@17` the same way.

use std::fmt::Write as _;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::analysis::FindingClass;
use crate::scenario::model::TopicKind;
use crate::trace::jsonl::Namer;
use crate::trace::{Step, StepKind};

/// `1.250s`: a virtual time to the millisecond, as the header, the tables, the lists, the
/// notes and the findings' explanations show it. One precision per context: a time
/// beside these is written this way too, never to the µs (`0.039892s` beside `0.040s`).
pub fn seconds(t_us: u64) -> String {
    format!("{:.3}s", t_us as f64 / 1e6)
}

/// `5s`, `2.5s`: a tick on a chart's time axis (a round figure, no more digits than it has).
pub fn axis_seconds(t_us: u64) -> String {
    format!("{}s", decimal(t_us as f64 / 1e6))
}

/// A span of virtual time, short: `850µs`, `40ms`, `1.2s`, `2m05s`.
pub fn duration(us: u64) -> String {
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{}ms", us / 1_000)
    } else if us < 60_000_000 {
        format!("{:.1}s", us as f64 / 1e6)
    } else if us < 3_600_000_000 {
        format!("{}m{:02}s", us / 60_000_000, us / 1_000_000 % 60)
    } else {
        format!("{}h{:02}m", us / 3_600_000_000, us / 60_000_000 % 60)
    }
}

/// A span of virtual time to a tenth of a millisecond under 100 ms (the waterfall's hops):
/// `12.5ms`, `120ms`, `1.25s`.
pub fn duration_fine(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if us >= 1_000_000 {
        format!("{:.2}s", ms / 1000.0)
    } else if us >= 100_000 {
        format!("{ms:.0}ms")
    } else {
        format!("{ms:.1}ms")
    }
}

/// `5`, `2.5`, `0.25`: a number to two decimals, without trailing zeros.
pub fn decimal(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `20 000`: a count with thin groups of thousands.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// `12/s`, `2.9k/s`: `count` events over a stretch that `scale` turns into a second.
pub fn per_second(count: u64, scale: f64) -> String {
    let r = count as f64 * scale;
    if r >= 10_000.0 {
        format!("{:.0}k/s", r / 1000.0)
    } else if r >= 1000.0 {
        format!("{:.1}k/s", r / 1000.0)
    } else {
        format!("{r:.0}/s")
    }
}

/// `0-2,5`: partitions as ranges.
pub fn ranges(partitions: &[u16]) -> String {
    let mut sorted = partitions.to_vec();
    sorted.sort_unstable();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        let _ = match end - start {
            0 => write!(out, "{start}"),
            1 => write!(out, "{start},{end}"),
            _ => write!(out, "{start}-{end}"),
        };
        i += 1;
    }
    out
}

/// Where `chars` (longer than `room`) is cut to leave room for `…`: after the last whole
/// token that fits, if that keeps at least half the room, else mid-token. A token ends
/// at a space or after `,` `;`; the separators before the cut are dropped with it.
fn cut_at(chars: &[char], room: usize) -> usize {
    let keep = room.saturating_sub(1);
    let boundary = (1..=keep).rev().find(|&i| chars[i] == ' ' || matches!(chars[i - 1], ',' | ';')).map(|i| {
        let mut end = i;
        while end > 0 && matches!(chars[end - 1], ' ' | ',' | ';' | ':' | '·' | '→' | '←' | '(' | '[' | '{') {
            end -= 1;
        }
        end
    });
    match boundary {
        Some(end) if end * 2 >= keep && end > 0 => end,
        _ => keep,
    }
}

/// `text` in at most `room` characters: whole when it fits, else cut at a token boundary
/// (or mid-token when the first token alone is too long) and ended with `…`, so a reader
/// always sees that something is missing. Every view that shortens text does it here.
pub fn fit(text: &str, room: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= room {
        return text.to_owned();
    }
    if room == 0 {
        return String::new();
    }
    let mut short: String = chars[..cut_at(&chars, room)].iter().collect();
    short.push('…');
    short
}

/// Lines for an area `width` wide, each [`fit_line`] to keep one column clear of the right
/// edge: text never runs into a frame, where the reader could not tell it was cut.
pub fn fit_lines(lines: impl IntoIterator<Item = Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let room = usize::from(width.saturating_sub(1));
    lines.into_iter().map(|l| fit_line(l, room)).collect()
}

/// [`fit`] for a styled line: the spans kept keep their styles, the `…` takes the style of
/// the text before it.
pub fn fit_line(line: Line<'static>, room: usize) -> Line<'static> {
    let chars: Vec<char> = line.spans.iter().flat_map(|s| s.content.chars()).collect();
    if chars.len() <= room {
        return line;
    }
    let mut left = if room == 0 { 0 } else { cut_at(&chars, room) };
    let mut spans = Vec::new();
    for span in &line.spans {
        if left == 0 {
            break;
        }
        let taken: String = span.content.chars().take(left).collect();
        left -= taken.chars().count();
        spans.push(Span::styled(taken, span.style));
    }
    if room > 0 {
        let style = spans.last().map_or(Style::new(), |s| s.style);
        spans.push(Span::styled("…", style));
    }
    let mut short = Line::from(spans).style(line.style);
    short.alignment = line.alignment;
    short
}

/// About how many lines `text` takes when word-wrapped at `width`, starting at column
/// `start` (greedy, as ratatui wraps words).
pub fn wrapped_lines(start: usize, text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let (mut lines, mut column) = (1usize, start);
    for word in text.split(' ') {
        let word = word.chars().count();
        if column > 0 && column + 1 + word > width {
            lines += 1 + word / width;
            column = word % width;
        } else {
            column += usize::from(column > 0) + word;
        }
    }
    u16::try_from(lines).unwrap_or(u16::MAX)
}

/// `text` word-wrapped to lines of at most `width` characters (a word longer than that is
/// cut into pieces).
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        let line = lines.last_mut().expect("one line at least");
        let used = line.chars().count();
        if used > 0 && used + 1 + word.len() <= width {
            line.push(' ');
            line.extend(&word);
            continue;
        }
        if used > 0 {
            lines.push(String::new());
        }
        while word.len() > width {
            let rest = word.split_off(width);
            lines.last_mut().expect("a line").extend(&word);
            lines.push(String::new());
            word = rest;
        }
        lines.last_mut().expect("a line").extend(&word);
    }
    lines
}

// How a step and a finding are said, in Traffic's rows and the inspector.

/// The short label of a finding on its kind cell.
pub fn finding_label(class: FindingClass) -> &'static str {
    match class {
        FindingClass::DuplicateDelivery => "DUP-D",
        FindingClass::DuplicateEffect => "DUP-E",
        FindingClass::OutOfOrder => "ORDER",
        FindingClass::Lost => "LOST",
        FindingClass::Failed => "FAIL",
        FindingClass::ReadModelMismatch => "READ",
        FindingClass::UncompensatedSaga => "SAGA",
    }
}

/// `duplicate effect`: a finding class as words.
pub fn finding_words(class: FindingClass) -> &'static str {
    match class {
        FindingClass::DuplicateDelivery => "duplicate delivery",
        FindingClass::DuplicateEffect => "duplicate effect",
        FindingClass::OutOfOrder => "out of order",
        FindingClass::Lost => "lost",
        FindingClass::Failed => "failed",
        FindingClass::ReadModelMismatch => "read model differs",
        FindingClass::UncompensatedSaga => "uncompensated saga",
    }
}

/// `orders/1@17`: a step's topic, partition (logs) and offset, as far as it has them.
pub fn place(namer: &Namer<'_>, step: &Step) -> String {
    let Some(topic) = step.topic else { return String::new() };
    let mut text = namer.topic(topic).to_owned();
    if namer.model.topics[topic.index()].kind == TopicKind::Log
        && let Some(partition) = step.partition
    {
        let _ = write!(text, "/{partition}");
    }
    if let Some(offset) = step.offset() {
        let _ = write!(text, "@{offset}");
    }
    text
}

/// `billing#2`, or `group/consumer#2` when the group is named apart from its consumer, or
/// the group alone: who a consumer step is about.
pub fn who(namer: &Namer<'_>, step: &Step) -> String {
    match (step.group, step.instance) {
        (_, Some(i)) => {
            let (g, _) = namer.trace.instances[i.index()];
            let group = &namer.model.groups[g.index()];
            if group.name == group.consumer {
                namer.instance(i)
            } else {
                format!("{}/{}", group.name, namer.instance(i))
            }
        }
        (Some(g), _) => namer.group(g).to_owned(),
        _ => String::new(),
    }
}

/// What else a step says, by kind: a failure's reason, a queue receive count, a dead-letter
/// topic, a note's text, a rebalance's assignment.
/// A record's own timestamp (read off a real cluster), as a date-time in UTC to the
/// millisecond: `2026-12-06 22:24:42.127`.
pub fn record_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| format!("{ms} ms"), |t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
}

pub fn detail(namer: &Namer<'_>, step: &Step) -> String {
    let trace = namer.trace;
    match step.kind {
        StepKind::Published if step.event.is_some() => {
            let e = trace.event_of(step);
            let mut text = match e.cause {
                Some(cause) => format!("from {}, caused by {}", trace.strings.resolve(e.source), namer.event_id(cause)),
                None => format!("from {}", trace.strings.resolve(e.source)),
            };
            if let Some(ms) = trace.record_time(step.event_idx()) {
                text = format!("{} · {text}", record_time(ms));
            }
            text
        }
        StepKind::Processed => if step.effect() { "effect" } else { "no effect" }.to_owned(),
        StepKind::Failed => {
            let (reason, attempt) = step.failure();
            format!("{} (attempt {attempt})", reason.name())
        }
        StepKind::Delivered | StepKind::Requeued => step.receive().map_or_else(String::new, |n| format!("receive {n}")),
        StepKind::DeadLettered => step.dead_letter().map_or_else(String::new, |t| format!("→ {}", namer.topic(t))),
        StepKind::Routed if step.event.is_some() => {
            let bus = trace.event_of(step).topic;
            let rule = namer.model.topics[bus.index()].rules.get(step.table_index());
            format!("rule {} of {}", rule.map_or("?", |r| r.name.as_str()), namer.topic(bus))
        }
        StepKind::Unrouted => "matched no rule: dropped".to_owned(),
        StepKind::Fetched => {
            let aggregate = step.aggregate().and_then(|a| namer.model.aggregates.get(a.index()));
            let aggregate = aggregate.map_or("?", |a| a.name.as_str());
            let (read, made) = step.versions();
            let produced =
                made.map_or_else(|| "the event produced none".to_owned(), |v| format!("the event produced v{v}"));
            let moved = if made.is_some_and(|made| read > made) { ": the state had moved on" } else { "" };
            format!("{aggregate} v{read} read; {produced}{moved}")
        }
        StepKind::Note => {
            namer.model.scenario.notes.get(step.table_index()).map(|n| n.text.clone()).unwrap_or_default()
        }
        StepKind::Rebalanced => trace.assignments.get(step.table_index()).map_or_else(String::new, |assignment| {
            let parts: Vec<String> = assignment
                .iter()
                .map(|(i, t, ps)| {
                    let ps: Vec<String> = ps.iter().map(ToString::to_string).collect();
                    format!("{} {}[{}]", namer.instance(*i), namer.topic(*t), ps.join(","))
                })
                .collect();
            parts.join("  ")
        }),
        StepKind::Published
        | StepKind::SkippedDuplicate
        | StepKind::Committed
        | StepKind::Acked
        | StepKind::DroppedDuplicate
        | StepKind::Routed
        | StepKind::Crashed
        | StepKind::Restarted
        | StepKind::Paused
        | StepKind::Resumed
        | StepKind::Joined => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_counts_and_rates_read_naturally() {
        assert_eq!(seconds(1_250_000), "1.250s");
        assert_eq!(seconds(39_892), "0.040s");
        assert_eq!(axis_seconds(5_000_000), "5s");
        assert_eq!(axis_seconds(2_500_000), "2.5s");
        assert_eq!(duration(1_500_000), "1.5s");
        assert_eq!(duration(40_000), "40ms");
        assert_eq!(duration_fine(12_500), "12.5ms");
        assert_eq!(duration_fine(120_000), "120ms");
        assert_eq!(duration_fine(1_250_000), "1.25s");
        assert_eq!(decimal(2.5), "2.5");
        assert_eq!(decimal(5.0), "5");
        assert_eq!(thousands(20_000), "20 000");
        assert_eq!(thousands(999), "999");
        assert_eq!(ranges(&[5, 0, 1, 2]), "0-2,5");
        assert_eq!(ranges(&[3, 4]), "3,4");
        assert_eq!(ranges(&[]), "");
        assert_eq!(per_second(12, 1.0), "12/s");
        assert_eq!(per_second(2900, 1.0), "2.9k/s");
        assert_eq!(per_second(25_000, 1.0), "25k/s");
        assert_eq!(fit("checkout", 8), "checkout");
        assert_eq!(fit("checkout", 5), "chec…");
    }

    /// Text is shortened at a token boundary, with `…`; a first token too long for the
    /// room is cut inside, with `…` too. Nothing ends in half a token without saying so.
    #[test]
    fn text_is_shortened_at_token_boundaries() {
        assert_eq!(fit("payments → payment-results (12)", 40), "payments → payment-results (12)");
        assert_eq!(fit("payments → payment-results (12)", 29), "payments → payment-results…");
        // The last whole token would keep less than half the room: cut inside, with `…`.
        assert_eq!(fit("payments → payment-results (12)", 20), "payments → payment-…");
        assert_eq!(fit(r#"{"balance":120,"owner":"John"}"#, 29), r#"{"balance":120…"#);
        assert_eq!(fit("balances-safe", 12), "balances-sa…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(fit("abcdef", 1), "…");
        let line = Line::from(vec![Span::styled("from ", Style::new().bold()), Span::raw("inventory, caused by x")]);
        let short = fit_line(line, 20);
        assert_eq!(short.to_string(), "from inventory…");
        assert_eq!(short.spans[0].style, Style::new().bold());
        assert!(short.width() <= 20);
        assert_eq!(wrap_words("next / previous finding", 10), ["next /", "previous", "finding"]);
        assert_eq!(wrap_words("abcdefgh ij", 3), ["abc", "def", "gh", "ij"]);
    }

    /// The Checks list writes a finding's time with `seconds`; its explanation beside it
    /// (and the status line) the same way, though the run's times are not whole ms.
    #[test]
    fn explanations_write_times_as_the_lists_do() {
        use crate::scenario::load::{Limits, load_str};
        use crate::tui::action::Action;
        let source = crate::lessons::find("competing-consumers").expect("a lesson").source;
        let scenario = load_str(source, "competing-consumers", &Limits::default()).expect("valid");
        let mut app = crate::tui::App::new("t".to_owned(), None, scenario, None, Limits::default()).expect("compiles");
        app.apply(Action::RunToEnd);
        let findings = app.analysis().findings().to_vec();
        assert!(app.steps().iter().any(|s| s.t_us % 1000 != 0), "times finer than a millisecond");
        assert!(!findings.is_empty());
        for f in &findings {
            let text = app.analysis().explain(app.trace(), f);
            let fine = text.split(' ').any(|w| {
                let w = w.trim_end_matches([',', ':', ';', '.']);
                w.strip_suffix('s').and_then(|n| n.split_once('.')).is_some_and(|(_, d)| d.len() > 3)
            });
            assert!(!fine, "{text}");
        }
    }
}
