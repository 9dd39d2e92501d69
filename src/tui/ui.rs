//! The screen: header, tabs, the current view, lesson notes and the footer; popups on top.
//! Rendering reads the app and never changes it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use super::action::{Action, help_lines, key_bar, keys_of};
use super::app::{App, SPEEDS};
use super::format::{fit, seconds, truncate, wrapped_lines};
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
        if let Some((t, text)) = notes.last() {
            let line = Line::from(vec![
                Span::styled(format!(" note {} ", seconds(*t)), theme::KEY),
                Span::raw(" "),
                Span::raw(*text),
            ]);
            // A column clear of the edge: a word wrapped there would look cut.
            let note_area = Rect { width: note_area.width.saturating_sub(1), ..note_area };
            Paragraph::new(line).wrap(Wrap { trim: true }).render(note_area, buf);
        }
        render_timeline(self, timeline, buf);
        render_footer(self, footer, buf);
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
        if self.help {
            render_help(self.help_scroll, popup(area, 70, 90), buf);
        }
        self.theme.paint(area, buf);
    }
}

/// The current view.
fn render_view(app: &App, area: Rect, buf: &mut Buffer) {
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
    let duration = app.model().duration;
    // The end of the column's slice of time: a click shows the state once it has passed.
    Some(((u128::from(column - x0) + 1) * u128::from(duration) / u128::from(width)) as u64)
}

/// The timeline scrubber: the scenario's duration across the screen, the cursor, and before
/// it the markers of findings, faults and notes. Nothing after the cursor is drawn, even
/// where the run was computed further (a seek back): the marks ahead would be the future.
fn render_timeline(app: &App, area: Rect, buf: &mut Buffer) {
    use crate::timeline::MarkerKind;
    let (_, width) = timeline_bar(area);
    let duration = app.model().duration.max(1);
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
    let state = if app.finished() {
        Span::styled(" ■ end ", theme::DIM)
    } else if app.playing {
        Span::styled(" ▶ playing ", theme::OK)
    } else {
        Span::styled(" ‖ paused ", theme::WARN)
    };
    let mut rest = vec![
        state,
        Span::raw(format!("{} ", speed_label(app.speed))),
        Span::styled("│ ", theme::DIM),
        Span::raw(format!("t {} / {} ", seconds(app.now()), seconds(model.duration))),
        Span::styled("│ ", theme::DIM),
        // Not "of M": how far the run was computed is the future of the step shown.
        Span::styled(format!("step {}", app.step_number()), Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(" │ ", theme::DIM),
        Span::raw(format!("seed {}", model.seed)),
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
                format!("{}{full}", truncate(title, room - full.chars().count()))
            } else {
                truncate(&format!("▸ {variant}"), room)
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
    for view in View::ALL {
        // The active tab: bracketed and bold as well as coloured.
        let (label, style) = if view == app.view {
            (format!("[{}]", tab_label(view).trim()), theme::KEY.add_modifier(Modifier::BOLD))
        } else {
            (tab_label(view), Style::new())
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    let findings: u64 = crate::analysis::FindingClass::ALL
        .iter()
        .map(|&c| match c {
            crate::analysis::FindingClass::Lost => app.lost_now(None),
            c => app.analysis().finding_count(c),
        })
        .sum();
    if findings > 0 {
        let s = if findings == 1 { "" } else { "s" };
        spans.push(Span::styled(format!(" ⚠ {findings} finding{s} "), theme::WARN));
    }
    if let Some(banner) = &app.banner {
        spans.push(Span::styled(format!(" {banner} "), theme::DIM));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// ` 2 Traffic `: a tab, its key and title.
fn tab_label(view: View) -> String {
    format!(" {} {} ", view.key(), view.title())
}

/// Where each tab sits on the tabs row (for mouse clicks): (first column, last column).
pub fn tab_spans() -> Vec<(u16, u16, View)> {
    let mut x = 0u16;
    View::ALL
        .iter()
        .map(|view| {
            let width = tab_label(*view).chars().count() as u16;
            let span = (x, x + width, *view);
            x += width + 1;
            span
        })
        .collect()
}

fn render_footer(app: &App, area: Rect, buf: &mut Buffer) {
    let line = if app.filter.editing {
        Line::from(vec![Span::styled(" filter ", theme::KEY), Span::raw(format!(" {}▏", app.filter.text))])
    } else if let Some(message) = &app.message {
        Line::from(vec![Span::styled(" ! ", theme::KEY), Span::raw(format!(" {message}"))])
    } else {
        let mut spans = Vec::new();
        if !app.filter.text.is_empty() {
            spans.push(Span::styled(format!(" filter: {} ", app.filter.text), theme::WARN));
        }
        // The keys of this scenario first: its variants, and in a lesson before its end the
        // prediction and the reveal.
        let mut hints: Vec<(&str, &str)> = Vec::new();
        if !app.experiments.variants.is_empty() {
            hints.push((keys_of(Action::Experiments), "what if"));
        }
        if app.answers_hidden() {
            hints.push((keys_of(Action::Predict), "predict"));
            hints.push((keys_of(Action::Reveal), "reveal"));
        }
        let fixed = hints.len();
        hints.extend(key_bar());
        // Too wide for the screen: the keymap's hints give way from the right, but `?` and
        // `q` stay (they are the last two).
        let width = |hints: &[(&str, &str)]| -> usize {
            hints.iter().map(|(k, w)| k.chars().count() + w.chars().count() + 4).sum()
        };
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        while used + width(&hints) > usize::from(area.width) && hints.len() > fixed + 2 {
            hints.remove(hints.len() - 3);
        }
        for (keys, what) in hints {
            spans.push(Span::styled(format!(" {keys} "), theme::KEY));
            spans.push(Span::styled(format!(" {what} "), theme::DIM));
        }
        Line::from(spans)
    };
    Paragraph::new(line).render(area, buf);
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
    for (keys, what) in help_lines() {
        lines.push(Line::from(vec![Span::styled(format!("{keys:>10}  "), theme::TITLE), Span::raw(what)]));
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
