//! Every size, every terminal: whatever the screen shortens it says so. Every lesson's
//! every view (and the inspector), rendered at 120×36, 80×24, 60×20 and 250×70 at a few
//! steps, has no text cut by a frame.
//!
//! **A cut token**, precisely: a text character (a letter, a digit or punctuation other
//! than `…`) in the last column before a right-hand frame (a box's right side, a right corner
//! or junction, or the screen's right edge) whose left neighbour is a text character too.
//! A view whose text is too long for its room shortens it with `…`
//! ([`eventlab::tui::format::fit`]), and text never runs into a frame: a word that
//! touches the border may go on past it, and the reader cannot tell.

use eventlab::scenario::load::{Limits, load_str};
use eventlab::tui::App;
use eventlab::tui::action::Action;
use eventlab::tui::app::View;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

fn app(lesson: &str) -> App {
    let source = eventlab::lessons::find(lesson).expect("a lesson").source;
    let scenario = load_str(source, lesson, &Limits::default()).expect("valid");
    App::new(format!("lesson:{lesson}"), None, scenario, None, Limits::default())
        .expect("compiles")
        .with_source(source, None)
}

pub(crate) fn buffer(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal.draw(|frame| frame.render_widget(app, frame.area())).expect("draws");
    terminal.backend().buffer().clone()
}

fn is_text(symbol: &str) -> bool {
    symbol.chars().next().is_some_and(|c| c != '…' && (c.is_alphanumeric() || c.is_ascii_punctuation()))
}

/// Whether the cell at (`x`, `y`) is a right-hand frame: a right corner or junction, or a
/// vertical line that ends in one (a box's right side; not a chart's axis, which ends in
/// `└`).
fn is_right_frame(buf: &Buffer, x: u16, y: u16) -> bool {
    let right_end = |s: &str| matches!(s, "┐" | "┘" | "╮" | "╯" | "┤" | "╗" | "╝");
    let symbol = buf[(x, y)].symbol();
    if right_end(symbol) {
        return true;
    }
    if !matches!(symbol, "│" | "║") {
        return false;
    }
    let end = |rows: &mut dyn Iterator<Item = u16>| {
        rows.map(|y| buf[(x, y)].symbol()).find(|s| !matches!(*s, "│" | "║")).is_some_and(right_end)
    };
    end(&mut (0..y).rev()) || end(&mut (y + 1..buf.area.height))
}

/// The cut tokens of a screen (see the module's documentation): each as its row and the
/// row's text.
pub(crate) fn cut_tokens(buf: &Buffer) -> Vec<(u16, String)> {
    let area = buf.area;
    let mut cuts = Vec::new();
    for y in 0..area.height {
        let row: String = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
        for x in 1..area.width {
            let at_frame = x + 1 == area.width || is_right_frame(buf, x + 1, y);
            if at_frame && is_text(buf[(x, y)].symbol()) && is_text(buf[(x - 1, y)].symbol()) {
                cuts.push((y, row.clone()));
                break;
            }
        }
    }
    cuts
}

#[test]
fn the_checker_finds_a_cut_token() {
    let rows = [
        "┌──────────┐  ",
        "│{\"a\":1,\"b\"│  ",
        "│{\"a\":1,…  │  ",
        "│0.5│⡇     │  ",
        "│   └───── │ x",
        "└──────────┘ ab",
    ];
    let mut buf = Buffer::empty(ratatui::layout::Rect::new(0, 0, 15, rows.len() as u16));
    for (y, row) in rows.iter().enumerate() {
        buf.set_string(0, y as u16, row, ratatui::style::Style::new());
    }
    // The JSON cut by the box, and the token at the screen's edge; not the `…`, not the
    // label beside a chart's axis, not a one-letter word.
    let cuts: Vec<u16> = cut_tokens(&buf).into_iter().map(|(y, _)| y).collect();
    assert_eq!(cuts, [1, 5]);
}

#[test]
fn no_view_of_any_lesson_cuts_a_token() {
    let mut report = Vec::new();
    for lesson in eventlab::lessons::LESSONS {
        let mut app = app(lesson.name);
        // Steps into the run: 40, 150, 400, then its end.
        let mut at = 0;
        for target in [40usize, 150, 400, usize::MAX] {
            if target == usize::MAX {
                app.apply(Action::RunToEnd);
            } else {
                while at < target && !app.finished() {
                    app.apply(Action::StepForward);
                    at += 1;
                }
            }
            // Every view, and the inspector on an event (over Traffic).
            let inspector = [None, Some(View::Traffic)];
            for (view, inspect) in
                View::ALL.into_iter().map(|v| (v, false)).chain(inspector.into_iter().flatten().map(|v| (v, true)))
            {
                app.apply(Action::ShowView(view));
                if inspect {
                    app.apply(Action::Up);
                    app.apply(Action::Inspect);
                }
                for (w, h) in [(120, 36), (80, 24), (60, 20), (250, 70)] {
                    for (y, row) in cut_tokens(&buffer(&app, w, h)) {
                        report.push(format!(
                            "{} step {} {view:?} {w}×{h} row {y}: {}",
                            lesson.name,
                            app.step_number(),
                            row.trim_end()
                        ));
                    }
                }
                if inspect {
                    app.apply(Action::Back);
                    app.apply(Action::Follow);
                }
            }
        }
    }
    report.dedup_by(|a, b| a.split(": ").nth(1) == b.split(": ").nth(1));
    assert!(report.is_empty(), "{} cut tokens:\n{}", report.len(), report.join("\n"));
}

/// `--theme` takes default, mono or light; anything else is one clear line and exit 2.
#[test]
fn a_bad_theme_is_a_usage_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_eventlab"))
        .args(["run", "fan-out", "--theme", "dark"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("dark") && stderr.contains("mono"), "{stderr}");
}

/// The lesson picker, each lesson selected in turn, cuts no token either.
#[test]
fn the_picker_cuts_no_token() {
    use eventlab::tui::picker::{Action as PickerAction, Picker};
    let mut picker = Picker::new(eventlab::lessons::LESSONS).expect("the lessons load");
    let mut report = Vec::new();
    for _ in eventlab::lessons::LESSONS {
        for (w, h) in [(120, 36), (80, 24)] {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
            terminal.draw(|frame| frame.render_widget(&picker, frame.area())).expect("draws");
            for (y, row) in cut_tokens(terminal.backend().buffer()) {
                report.push(format!("{} {w}×{h} row {y}: {}", picker.selected, row.trim_end()));
            }
        }
        picker.apply(PickerAction::Down);
    }
    assert!(report.is_empty(), "{} cut tokens:\n{}", report.len(), report.join("\n"));
}
