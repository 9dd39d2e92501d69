//! The terminal UI: the imperative shell around the app.
//!
//! One task owns the [`App`]; a `select!` waits on terminal input (crossterm's
//! `EventStream`), a frame tick (the pacer advances the simulation), changes of the
//! scenario file (hot reload) and SIGTERM/SIGHUP. The screen is redrawn after something
//! changed, at most once per event, from `&App` (rendering never mutates). The terminal is
//! restored on quit, on error, on a signal and on panic (ratatui's hook, installed after
//! color-eyre's).
//!
//! Bare `eventlab` starts with the lesson [`picker`] instead, in the same terminal session:
//! Enter opens a lesson in an app, whose `q` comes back to the picker (Ctrl-C, a signal or
//! the end of input leave at once).

pub mod action;
pub mod app;
pub mod experiments;
pub mod pacer;
pub mod picker;
pub mod theme;
pub mod ui;
pub mod views;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind};
use futures::StreamExt;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

pub use app::App;
pub use picker::Picker;

use crate::scenario::load::{Limits, load_file_variant, load_str_variant};

/// The frame tick: 30 frames a second while playing.
const TICK: Duration = Duration::from_millis(33);

/// Runs the TUI until the user quits.
pub fn run(app: App) -> Result<()> {
    in_terminal(|mut terminal| async move {
        let mut inputs = Inputs::new()?;
        event_loop(&mut terminal, &mut inputs, app).await.map(drop)
    })
}

/// Runs the lesson picker until the user quits it; each lesson it opens runs in an app with
/// at most `max_steps` steps, and comes back to the picker when the user quits the lesson.
pub fn run_picker(mut picker: Picker, max_steps: u64) -> Result<()> {
    in_terminal(|mut terminal| async move {
        let mut inputs = Inputs::new()?;
        loop {
            let Some((lesson, variant)) = pick(&mut terminal, &mut inputs, &mut picker).await? else { return Ok(()) };
            let Some(source) = crate::lessons::find(lesson) else { return Ok(()) };
            let origin = source.origin();
            let opened = load_str_variant(
                source.source,
                &origin,
                &Limits { max_steps, ..Limits::default() },
                variant.as_deref(),
            )
            .map_err(|e| e.to_string())
            .and_then(|scenario| {
                App::new(origin.clone(), None, scenario, None, max_steps)
                    .map(|app| app.with_source(source.source, variant.clone()))
                    .map_err(|e| format!("{origin}: {e}"))
            });
            match opened {
                Ok(app) => {
                    if event_loop(&mut terminal, &mut inputs, app).await? == Exit::Leave {
                        return Ok(());
                    }
                }
                Err(message) => picker.message = Some(message),
            }
        }
    })
}

/// Sets the terminal up for the TUI, runs `body` on a current-thread runtime, and restores
/// the terminal whatever happened.
fn in_terminal<F, Fut>(body: F) -> Result<()>
where
    F: FnOnce(ratatui::DefaultTerminal) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    if !std::io::stdout().is_terminal() {
        return Err(eyre!("the TUI needs a terminal; run with --headless for a summary"));
    }
    let _ = color_eyre::install();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let result = runtime.block_on(body(terminal));
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    result
}

/// Terminal input and the signals that end the TUI, shared by the picker and the lessons it
/// opens (one `EventStream` for the whole session, so no key press is lost between them).
struct Inputs {
    events: EventStream,
    terminate: Signal,
    hangup: Signal,
}

impl Inputs {
    fn new() -> Result<Self> {
        Ok(Inputs {
            events: EventStream::new(),
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }
}

/// Why an app's event loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    /// The user quit the lesson (`q`): back to the picker, if there is one.
    Quit,
    /// Ctrl-C, a signal, or the end of input: leave the TUI.
    Leave,
}

/// Shows the picker until the user opens a lesson (its name and variant) or quits (`None`).
async fn pick(
    terminal: &mut ratatui::DefaultTerminal,
    inputs: &mut Inputs,
    picker: &mut Picker,
) -> Result<Option<(&'static str, Option<String>)>> {
    picker.choice = None;
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| frame.render_widget(&*picker, frame.area()))?;
        }
        dirty = tokio::select! {
            event = inputs.events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => picker.key(key),
                Some(Ok(Event::Mouse(mouse))) => picker.mouse(mouse, terminal.get_frame().area()),
                Some(Ok(Event::Resize(..))) => true,
                Some(Ok(_)) => false,
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(None),
            },
            _ = inputs.terminate.recv() => return Ok(None),
            _ = inputs.hangup.recv() => return Ok(None),
        };
        match picker.choice.take() {
            Some(picker::Choice::Open { lesson, variant }) => return Ok(Some((lesson, variant))),
            Some(picker::Choice::Quit) => return Ok(None),
            None => {}
        }
    }
}

/// Watches the scenario file's folder (editors often replace a file rather than write it).
fn watch(path: &Path) -> Option<(notify::RecommendedWatcher, mpsc::UnboundedReceiver<()>)> {
    use notify::Watcher;
    let (tx, rx) = mpsc::unbounded_channel();
    let file = path.canonicalize().ok()?;
    let name = file.file_name()?.to_owned();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && (event.kind.is_modify() || event.kind.is_create())
            && event.paths.iter().any(|p| p.file_name() == Some(&name))
        {
            let _ = tx.send(());
        }
    })
    .ok()?;
    watcher.watch(file.parent()?, notify::RecursiveMode::NonRecursive).ok()?;
    Some((watcher, rx))
}

async fn event_loop(terminal: &mut ratatui::DefaultTerminal, inputs: &mut Inputs, mut app: App) -> Result<Exit> {
    let mut tick = tokio::time::interval(TICK);
    let mut pacer = pacer::Pacer::new();
    let (_watcher, mut changes) = match app.path.as_deref().and_then(watch) {
        Some((watcher, rx)) => (Some(watcher), rx),
        None => (None, mpsc::unbounded_channel().1),
    };
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| frame.render_widget(&app, frame.area()))?;
            dirty = false;
        }
        tokio::select! {
            event = inputs.events.next() => match event {
                Some(Ok(Event::Key(key))) if key.modifiers.contains(KeyModifiers::CONTROL)
                    && key.code == KeyCode::Char('c') => return Ok(Exit::Leave),
                Some(Ok(event)) => dirty |= handle_event(&mut app, &event, terminal.get_frame().area()),
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(Exit::Leave),
            },
            _ = tick.tick() => {
                let wall = pacer.elapsed_us();
                if app.playing {
                    app.advance(wall);
                    dirty = true;
                }
            }
            Some(()) = changes.recv() => {
                // Let a burst of writes settle, then read the file once.
                tokio::time::sleep(Duration::from_millis(50)).await;
                while changes.try_recv().is_ok() {}
                reload(&mut app);
                dirty = true;
            }
            _ = inputs.terminate.recv() => return Ok(Exit::Leave),
            _ = inputs.hangup.recv() => return Ok(Exit::Leave),
        }
        if app.quit {
            return Ok(Exit::Quit);
        }
    }
}

/// Validates the changed file again (with the variant running); a bad file is shown, the
/// last good run goes on.
fn reload(app: &mut App) {
    let Some(path) = app.path.clone() else { return };
    let variant = app.experiments.current.clone();
    match load_file_variant(&path, &Limits { max_steps: app.max_steps, ..Limits::default() }, variant.as_deref()) {
        Ok(scenario) => {
            if let Err(e) = app.reload(scenario) {
                app.error = Some(format!("{}: {e}", path.display()));
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let origin = app.origin.clone();
                app.experiments.set_source(&text, &origin);
            }
        }
        Err(e) => app.error = Some(e.to_string()),
    }
}

/// Applies one terminal event; returns whether the screen must be redrawn.
pub fn handle_event(app: &mut App, event: &Event, screen: ratatui::layout::Rect) -> bool {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            if !app.edit_filter(*key)
                && let Some(action) = action::action_for(*key)
            {
                app.apply(action);
            }
            true
        }
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => {
                app.apply(action::Action::Up);
                true
            }
            MouseEventKind::ScrollDown => {
                app.apply(action::Action::Down);
                true
            }
            MouseEventKind::Down(MouseButton::Left) | MouseEventKind::Drag(MouseButton::Left)
                if ui::timeline_time(app, screen, mouse.column, mouse.row).is_some() =>
            {
                if let Some(t) = ui::timeline_time(app, screen, mouse.column, mouse.row) {
                    app.seek_time(t);
                }
                true
            }
            MouseEventKind::Down(MouseButton::Left) if mouse.row == screen.y + 1 => {
                if let Some((_, _, view)) =
                    ui::tab_spans().into_iter().find(|(a, b, _)| (*a..*b).contains(&mouse.column))
                {
                    app.apply(action::Action::ShowView(view));
                }
                true
            }
            MouseEventKind::Down(MouseButton::Left) => {
                views::click(app, screen, mouse.column, mouse.row);
                true
            }
            _ => false,
        },
        Event::Resize(..) => true,
        _ => false,
    }
}
