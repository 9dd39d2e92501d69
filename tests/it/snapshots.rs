//! Whole-screen snapshots of every view (ratatui's `TestBackend` + insta), on a lesson at
//! fixed steps. A change to what the screen shows fails here until the snapshot is
//! reviewed (`INSTA_UPDATE=always cargo test snapshots` rewrites them; read the diff).

use eventlab::scenario::load::{Limits, load_str};
use eventlab::tui::App;
use eventlab::tui::action::Action;
use eventlab::tui::app::View;
use eventlab::tui::picker::{Action as PickerAction, Picker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn app(lesson: &str) -> App {
    let source = eventlab::lessons::find(lesson).expect("a lesson").source;
    let scenario = load_str(source, lesson, &Limits::default()).expect("valid");
    App::new(format!("lesson:{lesson}"), None, scenario, None, Limits::default()).expect("compiles")
}

pub(crate) fn screen(app: &App, width: u16, height: u16) -> String {
    render(|frame| frame.render_widget(app, frame.area()), width, height)
}

fn render(draw: impl FnOnce(&mut ratatui::Frame), width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal.draw(draw).expect("draws");
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width).map(|x| buffer[(x, y)].symbol()).collect();
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Steps the lesson `n` times (single steps, as the → key does).
fn stepped(lesson: &str, n: usize) -> App {
    let mut app = app(lesson);
    for _ in 0..n {
        app.apply(Action::StepForward);
    }
    app
}

#[test]
fn every_view_mid_run() {
    let mut app = stepped("crash-duplicates", 120);
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        insta::assert_snapshot!(format!("mid_run_{}", view.title().to_lowercase()), screen(&app, 120, 36));
    }
}

/// What the crash lesson is about is on screen at 80×24: per partition, the log end, the
/// group's committed offset and its lag now; the recent list has the commits.
#[test]
fn flow_shows_committed_offsets_80x24() {
    let mut app = stepped("crash-duplicates", 120);
    app.apply(Action::ShowView(View::Flow));
    let text = screen(&app, 80, 24);
    assert!(text.contains("committed"), "{text}");
    insta::assert_snapshot!("mid_run_flow_80x24", text);
}

#[test]
fn every_view_at_the_end() {
    let mut app = app("crash-duplicates");
    app.apply(Action::RunToEnd);
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        insta::assert_snapshot!(format!("end_{}", view.title().to_lowercase()), screen(&app, 120, 36));
    }
}

#[test]
fn queues_and_dead_letters() {
    let mut app = app("poison-message");
    app.apply(Action::RunToEnd);
    for view in [View::Flow, View::Lag, View::Checks] {
        app.apply(Action::ShowView(view));
        insta::assert_snapshot!(format!("poison_{}", view.title().to_lowercase()), screen(&app, 120, 36));
    }
}

#[test]
fn popups_and_the_start_screen() {
    let mut app = app("order-pipeline");
    insta::assert_snapshot!("start", screen(&app, 120, 36));
    app.apply(Action::RunToEnd);
    app.apply(Action::ShowView(View::Traffic));
    app.apply(Action::Up);
    app.apply(Action::Inspect);
    insta::assert_snapshot!("inspector", screen(&app, 120, 36));
    app.apply(Action::Back);
    app.apply(Action::Help);
    insta::assert_snapshot!("help", screen(&app, 120, 36));
}

#[test]
fn any_size_renders_without_panic() {
    let mut app = stepped("late-joiner", 300);
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        for (w, h) in [(1, 1), (10, 4), (39, 7), (40, 8), (60, 12), (80, 24), (200, 60)] {
            let _ = screen(&app, w, h);
        }
    }
    insta::assert_snapshot!("too_small", screen(&app, 20, 5));
    // And with the popups open: the note whole, the inspector, the help.
    for action in [Action::ExpandNote, Action::Inspect, Action::Help] {
        app.apply(action);
        for (w, h) in [(1, 1), (10, 4), (39, 7), (40, 8), (41, 9), (60, 12), (80, 24), (200, 60)] {
            let _ = screen(&app, w, h);
        }
    }
}

/// Gone back to step 120 after running to the end, every view shows what it showed when
/// the run first reached step 120; only the header (`step 120 of N`) and the timeline
/// (computed further, with the markers ahead) differ.
#[test]
fn every_view_back_in_time_is_the_view_of_then() {
    let mut first = stepped("crash-duplicates", 120);
    let at = first.step_number();
    let mut back = app("crash-duplicates");
    back.apply(Action::RunToEnd);
    back.seek(at);
    assert_eq!(back.step_number(), at);
    // The timeline row is the second last; the header the first.
    let body = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        let n = lines.len();
        lines.iter().enumerate().filter(|(i, _)| *i != 0 && *i != n - 2).map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
    };
    for view in View::ALL {
        first.apply(Action::ShowView(view));
        back.apply(Action::ShowView(view));
        let (then, now) = (screen(&first, 120, 36), screen(&back, 120, 36));
        assert_eq!(body(&now), body(&then), "{view:?} differs at step {at}");
        if matches!(view, View::Flow | View::Checks) {
            insta::assert_snapshot!(format!("back_in_time_{}", view.title().to_lowercase()), now);
        }
    }
}

#[test]
fn the_lesson_picker() {
    let mut picker = Picker::new(eventlab::lessons::LESSONS).expect("the lessons load");
    let draw =
        |picker: &Picker, width, height| render(|frame| frame.render_widget(picker, frame.area()), width, height);
    insta::assert_snapshot!("picker_start", draw(&picker, 120, 36));
    // The crash lesson, with its first variant chosen, on a smaller screen.
    for _ in 0..10 {
        picker.apply(PickerAction::Down);
    }
    picker.apply(PickerAction::NextVariant);
    insta::assert_snapshot!("picker_variant", draw(&picker, 100, 30));
    for (w, h) in [(1, 1), (20, 5), (40, 8), (60, 12), (80, 24), (200, 60)] {
        let _ = draw(&picker, w, h);
    }
}

/// A note written for a learner is shown whole on an 80×24 terminal: the note area grows
/// to the longest note (up to five lines).
#[test]
fn a_long_note_fits_a_small_screen() {
    let app = stepped("crash-duplicates", 170);
    let text = screen(&app, 80, 24);
    assert!(text.contains("nobody downstream can tell they are repeats."), "{text}");
    insta::assert_snapshot!("long_note_80x24", text);
}

/// A "what if" switch from the TUI: the menu, then the Checks view with each figure as
/// before → now once the variant has run.
#[test]
fn what_if_menu_and_before_and_after() {
    let source = eventlab::lessons::find("crash-duplicates").expect("a lesson").source;
    let mut app = app("crash-duplicates").with_source(source, None);
    app.apply(Action::RunToEnd);
    app.apply(Action::Experiments);
    app.apply(Action::Down);
    insta::assert_snapshot!("what_if_menu", screen(&app, 120, 36));
    app.apply(Action::Inspect);
    app.apply(Action::RunToEnd);
    app.apply(Action::ShowView(View::Checks));
    insta::assert_snapshot!("what_if_checks", screen(&app, 120, 36));
}

#[test]
fn event_sourcing_and_read_models() {
    // Mid-run: account 123 at version 3, the duplicate fault not yet started.
    let mut app = stepped("event-sourcing", 40);
    app.apply(Action::ShowView(View::State));
    insta::assert_snapshot!("es_mid_state", screen(&app, 120, 36));
    app.apply(Action::RunToEnd);
    insta::assert_snapshot!("es_end_state", screen(&app, 120, 36));
    app.apply(Action::ShowView(View::Checks));
    insta::assert_snapshot!("es_end_checks", screen(&app, 120, 36));
}

#[test]
fn sagas_on_a_bus() {
    let mut app = app("order-saga");
    app.apply(Action::RunToEnd);
    for view in [View::Flow, View::Chains] {
        app.apply(Action::ShowView(view));
        insta::assert_snapshot!(format!("saga_{}", view.title().to_lowercase()), screen(&app, 120, 36));
    }
}

/// Predict, then reveal: in a lesson the Checks view shows each target as `?` until the end
/// of the run, `r` shows them (and hides them again), `p` takes a guess that Checks sets
/// beside the actual figure at the end.
#[test]
fn predict_then_reveal() {
    use crossterm::event::{KeyCode, KeyEvent};
    let source = eventlab::lessons::find("fan-out").expect("a lesson").source;
    let mut app = app("fan-out").with_source(source, None);
    for _ in 0..10 {
        app.apply(Action::StepForward);
    }
    app.apply(Action::ShowView(View::Checks));
    let hidden = screen(&app, 120, 36);
    assert!(hidden.contains("billing delivered = ?") && !hidden.contains("= 30"), "{hidden}");
    insta::assert_snapshot!("predict_hidden", hidden);
    app.apply(Action::Reveal);
    let revealed = screen(&app, 120, 36);
    assert!(revealed.contains("billing delivered = 30"), "{revealed}");
    insta::assert_snapshot!("predict_revealed", revealed);
    app.apply(Action::Reveal);
    assert!(screen(&app, 120, 36).contains("billing delivered = ?"), "r hides them again");
    // A guess for billing delivered: 15 each or 30 each?
    app.apply(Action::Predict);
    for code in [KeyCode::Down, KeyCode::Char('1'), KeyCode::Char('5')] {
        assert!(app.edit_prediction(KeyEvent::from(code)));
    }
    insta::assert_snapshot!("predict_prompt", screen(&app, 120, 36));
    assert!(app.edit_prediction(KeyEvent::from(KeyCode::Enter)));
    let before = screen(&app, 120, 36);
    assert!(before.contains("so far 1 · guess 15"), "{before}");
    app.apply(Action::RunToEnd);
    let end = screen(&app, 120, 36);
    assert!(end.contains("billing delivered = 30") && end.contains("actual 30 · guess 15 ✗"), "{end}");
    insta::assert_snapshot!("predict_end", end);
}

/// After a "what if" switch, the variant's targets and the expectations' before → now wait
/// for the end of its run too (the group table's live figures show before → now as ever).
#[test]
fn a_what_if_hides_its_outcomes_until_the_end() {
    let source = eventlab::lessons::find("crash-duplicates").expect("a lesson").source;
    let mut app = app("crash-duplicates").with_source(source, None);
    app.apply(Action::Experiments);
    app.apply(Action::Down);
    app.apply(Action::Inspect);
    app.apply(Action::ShowView(View::Checks));
    let start = screen(&app, 120, 36);
    let expectations: Vec<&str> = start.lines().filter(|l| l.starts_with("│·")).collect();
    assert_eq!(expectations.len(), 5, "{start}");
    assert!(expectations.iter().all(|l| l.contains(" ?") && !l.contains('→')), "{start}");
    assert!(start.contains("billing duplicate_effects = ?"), "{start}");
    app.apply(Action::RunToEnd);
    let end = screen(&app, 120, 36);
    assert!(end.contains("billing duplicate_effects = 0") && end.contains("actual 4 → 0"), "{end}");
}

#[test]
fn the_help_scrolls_at_80x24_and_reaches_every_key() {
    let mut app = app("fan-out");
    app.apply(Action::Help);
    let top = screen(&app, 80, 24);
    assert!(top.contains("scroll · lines 1–"), "{top}");
    insta::assert_snapshot!("help_80x24_top", top);
    app.apply(Action::Bottom);
    let bottom = screen(&app, 80, 24);
    for (keys, _) in eventlab::tui::action::help_lines().iter().rev().take(3) {
        assert!(bottom.contains(&format!(" {keys}  ")), "{keys} at the bottom:\n{bottom}");
    }
    insta::assert_snapshot!("help_80x24_bottom", bottom);
    app.apply(Action::Top);
    assert_eq!(screen(&app, 80, 24), top);
}

#[test]
fn the_header_always_names_the_experiment_running() {
    let source = eventlab::lessons::find("crash-duplicates").expect("a lesson").source;
    let scenario = eventlab::scenario::load::load_str_variant(
        source,
        "crash-duplicates",
        &Limits::default(),
        Some("idempotent-billing"),
    )
    .expect("valid");
    let app =
        App::new("lesson:crash-duplicates".to_owned(), None, scenario, None, Limits::default()).expect("compiles");
    for width in [80, 100, 120] {
        let header = screen(&app, width, 24).lines().next().unwrap_or_default().to_owned();
        assert!(header.contains("idempotent-billing"), "{width} columns: {header}");
        assert!(header.contains("step 0"), "{width} columns: {header}");
    }
}

/// Every view at the four sizes a learner's terminal is likely to have, on the crash
/// lesson in mid-run.
#[test]
fn every_view_at_every_size() {
    let mut app = stepped("crash-duplicates", 120);
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        for (w, h) in [(60, 20), (80, 24), (120, 36), (250, 70)] {
            let name = format!("size_{w}x{h}_{}", view.title().to_lowercase());
            insta::assert_snapshot!(name, screen(&app, w, h));
        }
    }
}

/// The styles of a screen, compactly: per row, each run of cells with one style other
/// than the default, as `columns style` (`fg`/`bg` colours, `B` bold, `R` reverse, `D`
/// dim, `I` italic, `U` underlined).
fn styles(buffer: &ratatui::buffer::Buffer) -> String {
    use std::fmt::Write as _;

    use ratatui::style::{Color, Modifier};
    let describe = |cell: &ratatui::buffer::Cell| {
        let mut text = String::new();
        if cell.fg != Color::Reset {
            let _ = write!(text, "fg:{:?} ", cell.fg);
        }
        if cell.bg != Color::Reset {
            let _ = write!(text, "bg:{:?} ", cell.bg);
        }
        for (m, letter) in [
            (Modifier::BOLD, 'B'),
            (Modifier::REVERSED, 'R'),
            (Modifier::DIM, 'D'),
            (Modifier::ITALIC, 'I'),
            (Modifier::UNDERLINED, 'U'),
        ] {
            if cell.modifier.contains(m) {
                text.push(letter);
            }
        }
        text.trim_end().to_owned()
    };
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut runs = Vec::new();
        let mut x = 0;
        while x < buffer.area.width {
            let style = describe(&buffer[(x, y)]);
            let start = x;
            while x < buffer.area.width && describe(&buffer[(x, y)]) == style {
                x += 1;
            }
            if !style.is_empty() {
                runs.push(format!("{start}-{} {style}", x - 1));
            }
        }
        if !runs.is_empty() {
            let _ = writeln!(out, "{y:>2}: {}", runs.join(" · "));
        }
    }
    out
}

fn buffer(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal.draw(|frame| frame.render_widget(app, frame.area())).expect("draws");
    terminal.backend().buffer().clone()
}

/// Each view in the mono and light themes at 80×24: the text, and the styles that carry
/// what colour carries in the default theme.
#[test]
fn every_view_in_the_mono_and_light_themes() {
    use eventlab::tui::theme::Theme;
    for theme in [Theme::Mono, Theme::Light] {
        let mut app = stepped("crash-duplicates", 120).with_theme(theme);
        // A selected row, to see how the selection shows.
        app.apply(Action::ShowView(View::Traffic));
        app.apply(Action::Up);
        for view in View::ALL {
            app.apply(Action::ShowView(view));
            let buf = buffer(&app, 80, 24);
            let text = screen(&app, 80, 24);
            insta::assert_snapshot!(
                format!("theme_{}_{}", theme.name(), view.title().to_lowercase()),
                format!("{text}\n{}", styles(&buf))
            );
        }
    }
}

/// In mono no state is told by colour alone: no cell has a colour; the active tab is
/// bracketed and reversed, the selected row marked `▸` and reversed, a finding reversed
/// with its name, a check `✓` or `✗`.
#[test]
fn in_mono_no_state_is_told_by_colour_alone() {
    use eventlab::tui::theme::Theme;
    use ratatui::style::{Color, Modifier};
    let mut app = app("crash-duplicates").with_theme(Theme::Mono);
    app.apply(Action::RunToEnd);
    app.apply(Action::ShowView(View::Checks));
    app.apply(Action::NextFinding);
    app.apply(Action::ShowView(View::Checks));
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        let buf = buffer(&app, 120, 36);
        for cell in buf.content() {
            assert!(cell.fg == Color::Reset && cell.bg == Color::Reset, "{view:?}: a colour in mono: {cell:?}");
        }
        let text = screen(&app, 120, 36);
        let tabs = text.lines().nth(1).unwrap_or_default();
        let active = format!("[{} {}]", view.key(), view.title());
        assert!(tabs.contains(&active), "{view:?}: {tabs}");
        let x = tabs.chars().position(|c| c == '[').unwrap_or(0) as u16;
        assert!(buf[(x + 1, 1)].modifier.contains(Modifier::REVERSED), "{view:?}: the active tab is reversed");
    }
    app.apply(Action::ShowView(View::Checks));
    let text = screen(&app, 120, 36);
    let buf = buffer(&app, 120, 36);
    let (y, row) = text.lines().enumerate().find(|(_, l)| l.contains('▸')).expect("the selected finding is marked");
    let x = row.chars().position(|c| c == '▸').unwrap_or(0) as u16;
    assert!(buf[(x + 3, y as u16)].modifier.contains(Modifier::REVERSED), "{row}");
    assert!(text.contains("✓") || text.contains("✗"), "{text}");
}

/// In light, nothing is pale on white: no text in white, grey, yellow or cyan on the
/// terminal's own background.
#[test]
fn light_has_no_pale_text() {
    use eventlab::tui::theme::Theme;
    use ratatui::style::Color;
    let mut app = app("crash-duplicates").with_theme(Theme::Light);
    app.apply(Action::RunToEnd);
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        for cell in buffer(&app, 120, 36).content() {
            let pale = matches!(
                cell.fg,
                Color::White
                    | Color::Gray
                    | Color::Yellow
                    | Color::LightYellow
                    | Color::Cyan
                    | Color::LightCyan
                    | Color::LightGreen
                    | Color::LightBlue
                    | Color::LightMagenta
                    | Color::LightRed
            );
            assert!(!(pale && cell.bg == Color::Reset), "{view:?}: pale text on white: {cell:?}");
        }
    }
}

/// A note longer than its area says so (`… m whole note`, and `m` on the key bar), and `m`
/// shows it whole over the view; `m` or Esc closes it.
#[test]
fn a_cut_note_says_so_and_opens_whole() {
    let mut app = app("crash-duplicates");
    let whole = "like Kafka's auto-commit.";
    let small = screen(&app, 60, 20);
    assert!(small.contains("…  m  whole note") && !small.contains(whole), "{small}");
    let bar = small.lines().last().unwrap_or_default();
    assert!(bar.contains(" m  note ") && bar.ends_with(" ?  help  q  quit"), "{bar}");
    app.apply(Action::ExpandNote);
    let open = screen(&app, 60, 20);
    assert!(open.contains("like Kafka's") && open.contains("auto-commit.") && open.contains("Esc closes"), "{open}");
    insta::assert_snapshot!("note_open_60x20", open);
    app.apply(Action::Back);
    assert_eq!(screen(&app, 60, 20), small);
    // Where the note fits, neither the mark nor the key.
    let big = screen(&app, 120, 36);
    assert!(big.contains(whole) && !big.contains("whole note") && !big.contains(" m  note "), "{big}");
}

/// 250×70: the room goes to use. The recent list is longer than at 120×36, the group box
/// stops at 72 columns with its lag beside its name, and Checks' figures sit by their
/// targets.
#[test]
fn a_wide_screen_uses_its_room() {
    let mut app = stepped("crash-duplicates", 120);
    let recent = |text: &str| {
        text.lines().skip_while(|l| !l.starts_with(" recent ")).skip(1).take_while(|l| !l.starts_with("note ")).count()
    };
    let (wide, usual) = (screen(&app, 250, 70), screen(&app, 120, 36));
    assert!(recent(&wide) > 2 * recent(&usual), "{} vs {}:\n{wide}", recent(&wide), recent(&usual));
    let group_box = wide.lines().find(|l| l.contains("╭ billing ")).expect("the group box");
    let start = group_box.chars().position(|c| c == '╭').unwrap_or(0);
    let width = group_box.chars().skip(start).take_while(|&c| c != '╮').count() + 1;
    assert!(width <= 72, "{width} columns: {group_box}");
    app.apply(Action::ShowView(View::Checks));
    let checks = screen(&app, 250, 70);
    let row = checks.lines().find(|l| l.contains("orders published = ?")).expect("an expectation");
    // The figures' column starts after the longest target, not at half of 250 columns.
    let at = row.chars().collect::<String>().find("so far").unwrap_or(usize::MAX);
    assert!(at < 50, "the figure beside its target: {row}");
}

/// After a "what if" switch at 60×20, every group's figures before and now stay whole: the
/// ones before go on a `was` line of their own when `before → now` does not fit.
#[test]
fn before_and_now_fit_a_small_screen() {
    let source = eventlab::lessons::find("crash-duplicates").expect("a lesson").source;
    let mut app = app("crash-duplicates").with_source(source, None);
    app.apply(Action::RunToEnd);
    app.apply(Action::Experiments);
    app.apply(Action::Down);
    app.apply(Action::Inspect);
    app.apply(Action::RunToEnd);
    app.apply(Action::ShowView(View::Checks));
    let text = screen(&app, 60, 20);
    let now = text.lines().find(|l| l.starts_with("│billing ")).expect("the group's row");
    let was = text.lines().find(|l| l.starts_with("│  was ")).expect("the figures before");
    let figures = |row: &str| row.split_whitespace().filter(|w| w.parse::<u64>().is_ok()).count();
    assert_eq!((figures(now), figures(was)), (10, 10), "{text}");
    assert!(!now.contains('…') && !now.contains('→'), "{text}");
    insta::assert_snapshot!("what_if_checks_60x20", text);
}

/// `eventlab tap`'s screens, on what a cluster's clients did (fed as the reader would
/// report it, no broker needed): records with headers, a group's commits, a record time.
#[test]
fn every_view_of_a_tap() {
    use eventlab::tap::{GroupMeta, MemberMeta, Record, Recorder, Seen, Stamped, TapFeed, TopicMeta, Topology};
    let shape = Topology {
        topics: vec![TopicMeta { name: "orders".into(), partitions: 2 }],
        groups: vec![GroupMeta {
            name: "billing".into(),
            members: vec![MemberMeta {
                id: "kafka-python-1".into(),
                client: "kafka-python".into(),
                assignment: vec![("orders".into(), vec![0, 1])],
            }],
        }],
    };
    let recorder = Recorder::new("127.0.0.1:9092", &shape, None).expect("a recorder");
    let (tx, rx) = std::sync::mpsc::channel();
    let kinds = ["OrderPlaced", "PaymentTaken", "OrderShipped"];
    let mut ends = [0i64; 2];
    for n in 0..9u32 {
        let (order, kind) = (n / 3, kinds[n as usize % 3]);
        let mut headers = vec![
            ("event_id".to_owned(), Some(format!("order-{order}-{kind}").into_bytes())),
            ("correlation_id".to_owned(), Some(format!("order-{order}-OrderPlaced").into_bytes())),
            ("type".to_owned(), Some(kind.as_bytes().to_vec())),
        ];
        if n % 3 > 0 {
            let cause = format!("order-{order}-{}", kinds[n as usize % 3 - 1]);
            headers.push(("causation_id".to_owned(), Some(cause.into_bytes())));
        }
        let partition = order % 2;
        let offset = ends[partition as usize];
        ends[partition as usize] += 1;
        let record = Record {
            topic: "orders".into(),
            partition,
            offset,
            key: Some(format!("order-{order}").into_bytes()),
            headers,
            value: Some(format!(r#"{{"order": {order}}}"#).into_bytes()),
            timestamp_ms: Some(1_796_000_000_000 + i64::from(n) * 150),
        };
        tx.send(Stamped { at_us: 100_000 + u64::from(n) * 150_000, seen: Seen::Record(record) }).expect("sent");
    }
    let committed = vec![("orders".to_owned(), 0, 6), ("orders".to_owned(), 1, 1)];
    tx.send(Stamped { at_us: 1_500_000, seen: Seen::Committed { group: "billing".into(), offsets: committed } })
        .expect("sent");
    tx.send(Stamped { at_us: 1_600_000, seen: Seen::Tick }).expect("sent");
    drop(tx);
    let mut app = App::tap("tap 127.0.0.1:9092".into(), Box::new(TapFeed::new(recorder, rx)));
    app.poll_feed();
    app.advance(0);
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        insta::assert_snapshot!(format!("tap_{}", view.title().to_lowercase()), screen(&app, 120, 36));
    }
    app.apply(Action::ShowView(View::Traffic));
    for _ in 0..16 {
        app.apply(Action::Up);
    }
    app.apply(Action::Inspect);
    insta::assert_snapshot!("tap_inspector", screen(&app, 120, 36));
}
