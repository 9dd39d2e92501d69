//! The screen: header, tabs, the current view, lesson notes and the footer; popups on top.
//! Rendering reads the app and never changes it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use super::action::{Action, help_lines, key_bar, keys_of};
use super::app::{App, SPEEDS};
use super::format::{fit, seconds, wrap_words, wrapped_lines};
use super::views::View;
use super::{theme, views};

/// The smallest screen that shows anything but a "too small" note.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 8;

pub fn speed_label(index: usize) -> String {
    let speed = SPEEDS[index];
    if speed.is_infinite() { "max".to_owned() } else { format!("×{speed}") }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let text = format!("too small: {}×{} (needs {MIN_WIDTH}×{MIN_HEIGHT})", area.width, area.height);
            Paragraph::new(text).wrap(Wrap { trim: true }).render(area, buf);
            return;
        }
        let notes = self.notes();
        let [header, tabs, body, note_area, timeline, footer] = regions(self, area);
        render_header(self, header, buf);
        render_tabs(self, tabs, buf);
        render_view(self, body, buf);
        let cut = note_cut(self, note_area);
        if let Some((t, text)) = notes.last() {
            render_note(*t, text, cut, note_area, buf);
        }
        render_timeline(self, timeline, buf);
        render_footer(self, footer, cut, buf);
        if let Some(error) = &self.error {
            let [banner] = Layout::vertical([Constraint::Length(3)]).areas(body);
            Clear.render(banner, buf);
            Paragraph::new(error.as_str())
                .style(theme::ERROR)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(" the scenario on disk is invalid; still running the last good one "))
                .render(banner, buf);
        }
        if self.inspector {
            views::inspector::render(self, popup(body, 90, 90), buf);
        }
        if self.experiments.menu.is_some() {
            render_experiments(self, popup(body, 80, 70), buf);
        }
        if self.predictions.prompt.is_some() {
            render_prediction(self, popup(body, 80, 70), buf);
        }
        if self.note_open
            && let Some((t, text)) = notes.last()
        {
            render_note_popup(*t, text, body, buf);
        }
        if self.help {
            render_help(self.help_scroll, popup(area, 70, 90), buf);
        }
        self.theme.paint(area, buf);
    }
}

/// The widest the text views grow: on a wide screen their boxes stop there rather than
/// stretch over empty columns, and a figure stays near its name.
const MAX_CHECKS_WIDTH: u16 = 160;
const MAX_STATE_WIDTH: u16 = 120;

/// The current view.
fn render_view(app: &App, area: Rect, buf: &mut Buffer) {
    let narrowed = |most: u16| Rect { width: area.width.min(most), ..area };
    let area = match app.view {
        View::Checks => narrowed(MAX_CHECKS_WIDTH),
        View::State => narrowed(MAX_STATE_WIDTH),
        View::Flow | View::Traffic | View::Chains | View::Lag => area,
    };
    match app.view {
        View::Flow => views::flow::render(app, area, buf),
        View::Traffic => views::traffic::render(app, area, buf),
        View::Chains => views::chains::render(app, area, buf),
        View::Lag => views::lag::render(app, area, buf),
        View::State => views::state::render(app, area, buf),
        View::Checks => views::checks::render(app, area, buf),
    }
}

/// A left click at (`column`, `row`) of the screen, in the view: selects the row under it
/// in a list.
pub fn click(app: &mut App, screen: Rect, column: u16, row: u16) {
    let _ = column;
    match app.view {
        View::Traffic => views::traffic::click(app, screen, row),
        View::Flow | View::Chains | View::Lag | View::State | View::Checks => {}
    }
}

/// The screen's regions: header, tabs, body (the view), notes, timeline, footer. Mouse
/// handling uses the same split to know what is under the pointer.
pub fn regions(app: &App, area: Rect) -> [Rect; 6] {
    let note_height = note_height(app, area);
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(note_height),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The scrubber's bar within the timeline row: (first column, width).
fn timeline_bar(area: Rect) -> (u16, u16) {
    let label = 9; // " 10.000s" at the right
    (area.x + 1, area.width.saturating_sub(label + 2).max(1))
}

/// The virtual time a column of the timeline row stands for (`None` off the bar).
pub fn timeline_time(app: &App, screen: Rect, column: u16, row: u16) -> Option<u64> {
    let area = regions(app, screen)[4];
    let (x0, width) = timeline_bar(area);
    if row != area.y || column < x0 || column >= x0 + width {
        return None;
    }
    let span = app.timeline.span();
    // The end of the column's slice of time: a click shows the state once it has passed.
    Some(((u128::from(column - x0) + 1) * u128::from(span) / u128::from(width)) as u64)
}

/// The timeline scrubber: the scenario's duration across the screen (the run's, once the
/// step shown is its end: see `Timeline::span`), the cursor, and before it the markers of
/// findings, faults and notes. Nothing after the cursor is drawn, even where the run was
/// computed further (a seek back): the marks ahead would be the future.
fn render_timeline(app: &App, area: Rect, buf: &mut Buffer) {
    use crate::timeline::MarkerKind;
    let (_, width) = timeline_bar(area);
    let duration = app.timeline.span();
    let at = |col: u16| (u128::from(col) * u128::from(duration) / u128::from(width)) as u64;
    let now = app.now();
    let cursor_col = ((u128::from(now) * u128::from(width) / u128::from(duration)) as u16).min(width - 1);
    // The standing findings as of the step shown, in step order.
    let mut standing = app.standing_findings();
    standing.sort_by_key(|f| (f.step, f.group, f.event));
    let mut spans = vec![Span::raw(" ")];
    for col in 0..width {
        let span = match col.cmp(&cursor_col) {
            std::cmp::Ordering::Equal => Span::styled("●", theme::KEY),
            std::cmp::Ordering::Greater => Span::styled("─", theme::DIM),
            std::cmp::Ordering::Less => match app.timeline.mark_between(at(col), at(col + 1), &standing) {
                Some(MarkerKind::Finding) => Span::styled("◆", theme::WARN),
                Some(MarkerKind::Fault) => Span::styled("✗", theme::FAULT),
                Some(MarkerKind::Note) => Span::styled("•", theme::TITLE),
                None => Span::styled("━", theme::OK),
            },
        };
        spans.push(span);
    }
    spans.push(Span::styled(format!(" {:>8}", seconds(duration)), theme::DIM));
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// Notes are written for a learner and can be long: once the first note has shown, the note
/// area is as tall as the scenario's longest note needs at this width (so it does not jump
/// from note to note), at most 5 lines (3 on a screen under 24 rows).
fn note_height(app: &App, area: Rect) -> u16 {
    if app.notes().is_empty() {
        return 0;
    }
    let most = if area.height >= 24 { 5 } else { 3 };
    let label = " note 00.000s  ".chars().count();
    app.model()
        .scenario
        .notes
        .iter()
        .map(|note| wrapped_lines(label, &note.text, area.width.saturating_sub(1)))
        .max()
        .map_or(0, |lines| lines.clamp(1, most))
}

/// ` note 1.000s `: the label before a note.
fn note_label(t: u64) -> String {
    format!(" note {} ", seconds(t))
}

/// The tail of a note cut to its area: `… ` and the key that shows it whole.
fn note_more() -> [Span<'static>; 3] {
    [
        Span::styled(" … ", theme::DIM),
        Span::styled(format!(" {} ", keys_of(Action::ExpandNote)), theme::KEY),
        Span::styled(" whole note", theme::DIM),
    ]
}

/// Whether the note shown is longer than its area holds (the key bar then offers `m`).
fn note_cut(app: &App, area: Rect) -> bool {
    app.notes().last().is_some_and(|(t, text)| {
        wrapped_lines(note_label(*t).chars().count() + 1, text, area.width.saturating_sub(1)) > area.height
    })
}

/// The note beside its time, word-wrapped a column clear of the edge (a word wrapped there
/// would look cut). Cut to the area, it ends at a word with `… m whole note`.
fn render_note(t: u64, text: &str, cut: bool, area: Rect, buf: &mut Buffer) {
    let area = Rect { width: area.width.saturating_sub(1), ..area };
    let label = note_label(t);
    let mut spans = vec![Span::styled(label.clone(), theme::KEY), Span::raw(" ")];
    if cut {
        let more: String = note_more().iter().map(|s| s.content.as_ref()).collect();
        let words: Vec<&str> = text.split(' ').collect();
        let start = label.chars().count() + 1;
        let fits =
            |n: usize| wrapped_lines(start, &format!("{}{more}", words[..n].join(" ")), area.width) <= area.height;
        let n = (0..words.len()).rev().find(|&n| fits(n)).unwrap_or(0);
        spans.push(Span::raw(words[..n].join(" ")));
        spans.extend(note_more());
    } else {
        spans.push(Span::raw(text.to_owned()));
    }
    Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }).render(area, buf);
}

/// The note shown whole (`m`), over the view: as wide as reads well, as tall as it needs.
fn render_note_popup(t: u64, text: &str, body: Rect, buf: &mut Buffer) {
    let width = body.width.saturating_sub(4).min(84);
    let inner = width.saturating_sub(3);
    let height = (wrapped_lines(0, text, inner) + 2).min(body.height);
    let area = Rect { x: body.x + (body.width - width) / 2, y: body.y + (body.height - height) / 2, width, height };
    Clear.render(area, buf);
    let title = format!(" note {} · {} or Esc closes ", seconds(t), keys_of(Action::ExpandNote));
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .padding(ratatui::widgets::Padding::right(1))
        .title(fit(&title, usize::from(width.saturating_sub(4))));
    Paragraph::new(text.to_owned()).wrap(Wrap { trim: true }).block(block).render(area, buf);
}

/// The view's area on a screen of this size.
pub fn body_area(app: &App, screen: Rect) -> Rect {
    regions(app, screen)[2]
}

/// A centred rectangle of the given percentages of `area`.
pub fn popup(area: Rect, width_percent: u16, height_percent: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Percentage(height_percent)]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Percentage(width_percent)]).flex(Flex::Center).areas(row);
    cell
}

fn render_header(app: &App, area: Rect, buf: &mut Buffer) {
    let model = app.model();
    let (glyph, word, style) = if app.finished() {
        ("■", "end", theme::DIM)
    } else if app.playing {
        ("▶", "playing", theme::OK)
    } else {
        ("‖", "paused", theme::WARN)
    };
    let state = Span::styled(format!(" {glyph} {word} "), style);
    let mut rest = vec![
        state,
        Span::raw(format!("{} ", speed_label(app.speed))),
        Span::styled("│ ", theme::DIM),
        Span::raw(format!("t {} / {} ", seconds(app.now()), seconds(model.duration))),
        Span::styled("│ ", theme::DIM),
        // Not "of M": how far the run was computed is the future of the step shown.
        Span::styled(format!("step {}", app.step_number()), Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(" │ ", theme::DIM),
        // A run on a real cluster has no seed: where it ran instead.
        Span::raw(match &app.trace().cluster {
            Some(cluster) => format!("{} {}", cluster.source.name(), cluster.brokers),
            None => format!("seed {}", model.seed),
        }),
    ];
    // The step and the clock always show; which experiment runs too: the scenario's title
    // gives way first, then the seed and the brand, then "what if:" to the variant's name.
    let name = &model.scenario.name;
    let (title, experiment) = match name.rfind(" (what if: ") {
        Some(at) if name.ends_with(')') => (&name[..at], Some(&name[at + " (what if: ".len()..name.len() - 1])),
        _ => (name.as_str(), None),
    };
    let width = |spans: &[Span<'_>]| spans.iter().map(|s| s.content.chars().count()).sum::<usize>();
    let mut brand = true;
    let room = |rest: &[Span<'_>], brand: bool| {
        usize::from(area.width).saturating_sub(width(rest) + if brand { 10 } else { 0 } + 3)
    };
    // A very narrow screen (even without the seed and the brand, no room for a word of the
    // title or the variant's name): the speed goes, the clock loses the duration, the state
    // keeps its glyph.
    let needed = experiment.map_or(12, |v| v.chars().count() + 4);
    let compactions: [(usize, Span<'static>); 3] = [
        (1, Span::raw("")),
        (3, Span::raw(format!("t {} ", seconds(app.now())))),
        (0, Span::styled(format!(" {glyph} "), style)),
    ];
    for (at, compact) in compactions {
        if room(&rest[..6], false) >= needed {
            break;
        }
        rest[at] = compact;
    }
    let name = match experiment {
        None => {
            // The title gives way first; when even a word of it would not show, the seed
            // and then the brand make room.
            for _ in 0..2 {
                if room(&rest, brand) >= 12 {
                    break;
                }
                if rest.len() > 6 {
                    rest.truncate(rest.len() - 2);
                } else {
                    brand = false;
                }
            }
            fit(title, room(&rest, brand))
        }
        Some(variant) => {
            let full = format!(" (what if: {variant})");
            if room(&rest, brand) < full.chars().count() + 2 {
                rest.truncate(rest.len() - 2); // the seed
                brand = false;
            }
            let room = room(&rest, brand);
            if room >= full.chars().count() + 2 {
                format!("{}{full}", fit(title, room - full.chars().count()))
            } else {
                fit(&format!("▸ {variant}"), room)
            }
        }
    };
    let mut spans = Vec::new();
    if brand {
        spans.push(Span::styled(" eventlab ", theme::KEY));
    }
    spans.push(Span::styled(format!(" {name} "), theme::TITLE));
    spans.extend(rest);
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn render_tabs(app: &App, area: Rect, buf: &mut Buffer) {
    let mut spans = Vec::new();
    let (labels, gap) = tab_labels(area.width);
    for (view, label) in View::ALL.into_iter().zip(labels) {
        // The active tab: bracketed and bold as well as coloured.
        let (label, style) = if view == app.view {
            (format!("[{}]", label.trim()), theme::KEY.add_modifier(Modifier::BOLD))
        } else {
            (label, Style::new())
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" ".repeat(usize::from(gap))));
    }
    let findings = crate::analysis::FindingClass::ALL
        .iter()
        .map(|&c| match c {
            crate::analysis::FindingClass::Lost => app.lost_now(None),
            c => app.analysis().finding_count(c),
        })
        .sum::<u64>()
        // As Checks counts them: an event's failed attempts and retries in a group are one.
        - (app.analysis().findings().len() - app.analysis().finding_rows().len()) as u64;
    // What is left of the row, less a column clear of the edge: the findings' count (short
    // if need be), then the banner, shortened with `…`.
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let mut room = usize::from(area.width).saturating_sub(used + 1);
    if findings > 0 {
        let s = if findings == 1 { "" } else { "s" };
        let long = format!(" ⚠ {findings} finding{s} ");
        let short = format!(" ⚠ {findings} ");
        if let Some(text) = [long, short].into_iter().find(|t| t.chars().count() <= room) {
            room -= text.chars().count();
            spans.push(Span::styled(text, theme::WARN));
        }
    }
    if let Some(banner) = &app.banner
        && room > 3
    {
        spans.push(Span::styled(format!(" {} ", fit(banner, room - 2)), theme::DIM));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// ` 2 Traffic `: a tab, its key and title.
fn tab_label(view: View) -> String {
    format!(" {} {} ", view.key(), view.title())
}

/// The tabs' labels on a row `width` wide, and the columns between them: one when all
/// fit so, none when they fit closed up, else each title shortened with `…` to an equal
/// share of the row (the keys always show).
fn tab_labels(width: u16) -> (Vec<String>, u16) {
    let labels: Vec<String> = View::ALL.iter().map(|v| tab_label(*v)).collect();
    let total: usize = labels.iter().map(|l| l.chars().count()).sum();
    let room = usize::from(width.saturating_sub(1));
    if total + labels.len() <= room {
        return (labels, 1);
    }
    if total <= room {
        return (labels, 0);
    }
    let cell = room / labels.len();
    let short = View::ALL
        .iter()
        .map(|v| format!(" {} {} ", v.key(), fit(v.title(), cell.saturating_sub(4))))
        .map(|l| l.chars().take(cell.max(3)).collect())
        .collect();
    (short, 0)
}

/// Where each tab sits on a tabs row `width` wide (for mouse clicks): (first column, last
/// column).
pub fn tab_spans(width: u16) -> Vec<(u16, u16, View)> {
    let (labels, gap) = tab_labels(width);
    let mut x = 0u16;
    View::ALL
        .iter()
        .zip(labels)
        .map(|(view, label)| {
            let width = label.chars().count() as u16;
            let span = (x, x + width, *view);
            x += width + gap;
            span
        })
        .collect()
}

/// The key bar (k9s style): the current view's keys first, then this scenario's (its
/// variants; in a lesson before its end the prediction and the reveal; the cut note's
/// `m`), then those of every view, and `?` and `q` last. Too wide for the screen, the
/// keys of every view give way first, then the scenario's, then the view's, from the
/// right; `?` and `q` always stay. A message or the filter being typed takes the bar's
/// left, `?` and `q` still at its right.
fn render_footer(app: &App, area: Rect, note_cut: bool, buf: &mut Buffer) {
    let width = usize::from(area.width.saturating_sub(1));
    let hint_width = |(k, w): &(&str, &str)| k.chars().count() + w.chars().count() + 4;
    let mut spans = Vec::new();
    let bar = key_bar(app.view);
    let (keys, last) = bar.split_at(bar.len().saturating_sub(2));
    if app.filter.editing {
        // Every key types into the filter: only the keys that end it.
        spans.push(Span::styled(" filter ", theme::KEY));
        spans.push(Span::raw(format!(" {}▏", app.filter.text)));
        let done = [("Enter", "done"), ("Esc", "clear"), ("Ctrl-U", "erase")];
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        if used + done.iter().map(hint_width).sum::<usize>() <= width {
            push_hints(&mut spans, &done);
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
        return;
    }
    let last_width: usize = last.iter().map(hint_width).sum();
    if let Some(message) = &app.message {
        spans.push(Span::styled(" ! ", theme::KEY));
        spans.push(Span::raw(format!(" {} ", fit(message, width.saturating_sub(last_width + 5)))));
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        spans.push(Span::raw(" ".repeat(width.saturating_sub(used + last_width))));
        push_hints(&mut spans, last);
        Paragraph::new(Line::from(spans)).render(area, buf);
        return;
    }
    if !app.filter.text.is_empty() {
        let filter = fit(&app.filter.text, width / 3);
        spans.push(Span::styled(format!(" filter: {filter} "), theme::WARN));
    }
    // (keys, word, rank): the lowest rank gives way first.
    let own = keys.iter().take_while(|(k, _)| key_bar_is_own(app.view, k));
    let mut hints: Vec<(&str, &str, u8)> = own.map(|&(k, w)| (k, w, 3)).collect();
    if !app.experiments.variants.is_empty() {
        hints.push((keys_of(Action::Experiments), "what if", 2));
    }
    if app.answers_hidden() {
        hints.push((keys_of(Action::Predict), "predict", 2));
        hints.push((keys_of(Action::Reveal), "reveal", 2));
    }
    if note_cut {
        hints.push((keys_of(Action::ExpandNote), "note", 4));
    }
    // Of every view's keys, playing and stepping matter most (they come first).
    let own_count = hints.iter().filter(|h| h.2 == 3).count();
    hints.extend(keys[own_count..].iter().enumerate().map(|(i, &(k, w))| (k, w, if i < 2 { 2 } else { 1 })));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let total = |hints: &[(&str, &str, u8)]| hints.iter().map(|(k, w, _)| hint_width(&(k, w))).sum::<usize>();
    while used + total(&hints) + last_width > width {
        let Some(lowest) = hints.iter().map(|h| h.2).min() else { break };
        let Some(at) = hints.iter().rposition(|h| h.2 == lowest) else { break };
        hints.remove(at);
    }
    let hints: Vec<(&str, &str)> = hints.iter().map(|&(k, w, _)| (k, w)).chain(last.iter().copied()).collect();
    push_hints(&mut spans, &hints);
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// Whether `keys` is one of `view`'s own keys on the key bar (not one of every view's).
fn key_bar_is_own(view: View, keys: &str) -> bool {
    super::action::KEYMAP.iter().flat_map(|b| &b.hints).any(|h| h.keys == keys && h.views.contains(&view))
}

/// ` ? ` ` help `: each hint's keys as a key cap, then its word.
fn push_hints(spans: &mut Vec<Span<'static>>, hints: &[(&str, &str)]) {
    for (keys, what) in hints {
        spans.push(Span::styled(format!(" {keys} "), theme::KEY));
        spans.push(Span::styled(format!(" {what} "), theme::DIM));
    }
}

/// The "what if" menu: the scenario as written and each variant, the running one marked.
fn render_experiments(app: &App, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    let experiments = &app.experiments;
    let selected = experiments.menu.unwrap_or(0);
    let running = experiments.current_row();
    let rows = std::iter::once(("as written", "the scenario itself"))
        .chain(experiments.variants.iter().map(|(n, d)| (n.as_str(), d.as_str())));
    let mut lines = vec![
        Line::styled(
            format!("Predict what changes, then choose: the run restarts on it, and {}", View::Checks.with_key()),
            theme::DIM,
        ),
        Line::styled("shows each figure as before → now.", theme::DIM),
        Line::raw(""),
    ];
    for (i, (name, description)) in rows.enumerate() {
        let mark = if i == running { "● " } else { "○ " };
        let (cursor, style) = if i == selected { (theme::CURSOR, theme::SELECTED) } else { (" ", Style::new()) };
        lines.push(Line::from(vec![
            Span::styled(format!("{cursor}{mark}{name:<24} "), style.patch(theme::TITLE)),
            Span::styled(description.to_owned(), style),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("↑↓ choose · Enter restart on it · Esc close", theme::DIM));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::bordered().border_type(BorderType::Rounded).title(" what if… "))
        .render(area, buf);
}

/// The prediction prompt: the expectations with a number to guess, targets hidden, the
/// guesses so far, and the one being typed.
fn render_prediction(app: &App, area: Rect, buf: &mut Buffer) {
    use super::predict::{guessable, show};
    Clear.render(area, buf);
    let Some(prompt) = &app.predictions.prompt else { return };
    let expect = &app.model().scenario.expect;
    let answers = app.answers_shown();
    let mut lines = vec![
        Line::styled("Predict before you play: choose a figure and type your guess.", theme::DIM),
        Line::styled(
            format!("{} shows it beside the actual figure at the end of the run.", View::Checks.with_key()),
            theme::DIM,
        ),
        Line::raw(""),
    ];
    for (row, &i) in guessable(expect).iter().enumerate() {
        let what = app.analysis().check(app.trace(), &expect[i]).describe_target(answers);
        let (mark, style) = if row == prompt.row { ("▸", theme::SELECTED) } else { (" ", Style::new()) };
        let guess = if row == prompt.row {
            format!("guess: {}▏", prompt.text)
        } else {
            app.predictions.guess(i).map_or_else(String::new, |g| format!("guess: {}", show(g)))
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} {what:<48} "), style),
            Span::styled(guess, if row == prompt.row { theme::KEY } else { theme::TITLE }),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("↑↓ choose · type a number · Enter keep · Esc close", theme::DIM));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::bordered().border_type(BorderType::Rounded).title(" predict "))
        .render(area, buf);
}

/// The help, built from the keymap; scrolled by `scroll` lines when it is taller than the
/// popup (the title then says how to scroll, and where it is).
fn render_help(scroll: u16, area: Rect, buf: &mut Buffer) {
    Clear.render(area, buf);
    let mut lines = vec![Line::styled("Keys", theme::TITLE), Line::raw("")];
    // What a key does wraps under itself, right of the keys (a hanging indent).
    let room = usize::from(area.width.saturating_sub(2 + 12 + 1));
    for (keys, what) in help_lines() {
        for (i, part) in wrap_words(what, room).into_iter().enumerate() {
            let keys = if i == 0 { keys } else { "" };
            lines.push(Line::from(vec![Span::styled(format!("{keys:>10}  "), theme::TITLE), Span::raw(part)]));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Mouse: click a tab or a row, scroll a list, click or drag on the timeline to seek.",
        theme::DIM,
    ));
    lines.push(Line::styled(
        "Timeline: ◆ finding ✗ fault • note ● the step shown. Esc or ? closes this help.",
        theme::DIM,
    ));
    // Lines as wrapped to the popup's inner width.
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    let total: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let room = usize::from(area.height.saturating_sub(2));
    let most = total.saturating_sub(room) as u16;
    let scroll = scroll.min(most);
    let title = if most == 0 {
        " help ".to_owned()
    } else {
        format!(
            " help · ↑↓ PgUp PgDn scroll · lines {}–{} of {total} ",
            scroll + 1,
            (usize::from(scroll) + room).min(total)
        )
    };
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .block(Block::bordered().border_type(BorderType::Rounded).title(title))
        .render(area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load::{Limits, load_str};

    /// A click lands on the tab drawn there, at any width (tabs close up on a narrow row).
    #[test]
    fn tab_clicks_follow_the_tabs_drawn() {
        let source = crate::lessons::find("fan-out").expect("a lesson").source;
        let scenario = load_str(source, "fan-out", &Limits::default()).expect("valid");
        let app = App::new("t".to_owned(), None, scenario, None, Limits::default()).expect("compiles");
        for width in [40u16, 60, 80, 120] {
            let area = Rect::new(0, 0, width, 20);
            let mut buf = Buffer::empty(area);
            (&app).render(area, &mut buf);
            let row: Vec<&str> = (0..width).map(|x| buf[(x, 1)].symbol()).collect();
            for (first, last, view) in tab_spans(width) {
                let drawn: String = row[usize::from(first)..usize::from(last).min(row.len())].concat();
                let start = format!("{} {}", view.key(), &view.title()[..1]);
                assert!(drawn.contains(&start), "{width}: {view:?} at {first}..{last}: {drawn:?}");
                if width >= 60 {
                    assert!(drawn.contains(view.title()), "{width}: {view:?} at {first}..{last}: {drawn:?}");
                }
            }
        }
    }
}
