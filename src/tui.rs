//! The terminal UI: the imperative shell around the app.
//!
//! One task owns the [`App`]; a `select!` waits on terminal input (crossterm's
//! `EventStream`), a frame tick (the pacer advances the simulation), changes of the
//! scenario file (hot reload) and SIGTERM/SIGINT/SIGHUP. The screen is redrawn after
//! something changed, at most once per event, from `&App` (rendering never mutates). The
//! terminal is restored on quit, on error, on a signal and on panic (ratatui's hook,
//! installed after color-eyre's). A signal sent from outside (`kill -INT PID`; in raw mode
//! Ctrl-C is a key, which quits with status 0) ends the process with status 128 + the
//! signal once the terminal is restored: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
//!
//! A hot reload is loaded within the [`Limits`] the app was started with, as the first
//! load was: a file edited to need more than they allow is refused before it runs.
//!
//! Bare `eventlab` starts with the lesson [`picker`] instead, in the same terminal session:
//! Enter opens a lesson in an app, whose `q` comes back to the picker (Ctrl-C, a signal or
//! the end of input leave at once).

pub mod action;
pub mod app;
pub mod experiments;
pub mod export;
pub mod format;
pub mod list;
pub mod pacer;
pub mod picker;
pub mod predict;
pub mod record;
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

use crate::scenario::load::{Limits, MAX_FILE_BYTES, load_file_variant, load_str_variant};

/// The frame tick: 30 frames a second while playing.
const TICK: Duration = Duration::from_millis(33);

/// Runs the TUI until the user quits (or a signal ends the process, see the module's
/// documentation).
pub fn run(app: App) -> Result<()> {
    in_terminal(|mut terminal, signals| async move {
        let mut inputs = Inputs { events: EventStream::new(), signals };
        event_loop(&mut terminal, &mut inputs, app).await?;
        Ok(inputs.signals.caught)
    })
}

/// Runs the lesson picker until the user quits it; each lesson it opens runs in an app
/// within `limits`, and comes back to the picker when the user quits the lesson.
pub fn run_picker(mut picker: Picker, limits: Limits) -> Result<()> {
    in_terminal(|mut terminal, signals| async move {
        let mut inputs = Inputs { events: EventStream::new(), signals };
        loop {
            let Some((lesson, variant)) = pick(&mut terminal, &mut inputs, &mut picker).await? else {
                return Ok(inputs.signals.caught);
            };
            let Some(source) = crate::lessons::find(lesson) else { return Ok(inputs.signals.caught) };
            let origin = source.origin();
            let opened = load_str_variant(source.source, &origin, &limits, variant.as_deref())
                .map_err(|e| e.to_string())
                .and_then(|scenario| {
                    App::new(origin.clone(), None, scenario, None, limits)
                        .map(|app| app.with_source(source.source, variant.clone()).with_theme(picker.theme))
                        .map_err(|e| format!("{origin}: {e}"))
                });
            match opened {
                Ok(app) => {
                    if event_loop(&mut terminal, &mut inputs, app).await? == Exit::Leave {
                        return Ok(inputs.signals.caught);
                    }
                }
                Err(message) => picker.message = Some(message),
            }
        }
    })
}

/// Sets the terminal up for the TUI, runs `body` on a current-thread runtime, and restores
/// the terminal whatever happened. The signals that end the TUI are caught from before the
/// terminal is set up; `body` gives the one that ended it, if one did: the process then
/// exits with 128 + that signal, the terminal restored.
fn in_terminal<F, Fut>(body: F) -> Result<()>
where
    F: FnOnce(ratatui::DefaultTerminal, Signals) -> Fut,
    Fut: std::future::Future<Output = Result<Option<i32>>>,
{
    if !std::io::stdout().is_terminal() {
        return Err(eyre!("the TUI needs a terminal; run with --headless for a summary"));
    }
    let _ = color_eyre::install();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let signals = {
        let _context = runtime.enter();
        Signals::new()?
    };
    let terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let result = runtime.block_on(body(terminal, signals));
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    match result {
        Ok(Some(signal)) => std::process::exit(128 + signal),
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Terminal input and the signals that end the TUI, shared by the picker and the lessons it
/// opens (one `EventStream` for the whole session, so no key press is lost between them).
struct Inputs {
    events: EventStream,
    signals: Signals,
}

/// The signals that end the TUI.
struct Signals {
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
    /// The signal that ended the TUI, if one did.
    caught: Option<i32>,
}

impl Signals {
    /// Catches SIGTERM, SIGINT and SIGHUP from now on (in a runtime's context).
    fn new() -> Result<Self> {
        Ok(Signals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            hangup: signal(SignalKind::hangup())?,
            caught: None,
        })
    }

    /// The next of SIGTERM, SIGINT, SIGHUP, noted in `caught`.
    async fn next(&mut self) {
        let caught = tokio::select! {
            _ = self.terminate.recv() => SignalKind::terminate(),
            _ = self.interrupt.recv() => SignalKind::interrupt(),
            _ = self.hangup.recv() => SignalKind::hangup(),
        };
        self.caught = Some(caught.as_raw_value());
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
            () = inputs.signals.next() => return Ok(None),
        };
        match picker.choice.take() {
            Some(picker::Choice::Open { lesson, variant }) => return Ok(Some((lesson, variant))),
            Some(picker::Choice::Quit) => return Ok(None),
            None => {}
        }
    }
}

/// Watches the scenario file's folder (editors often replace a file rather than write it).
/// Changes are coalesced: one pending notice at most, however fast the file is written.
fn watch(path: &Path) -> Option<(notify::RecommendedWatcher, mpsc::Receiver<()>)> {
    use notify::Watcher;
    let (tx, rx) = mpsc::channel(1);
    let file = path.canonicalize().ok()?;
    let name = file.file_name()?.to_owned();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && (event.kind.is_modify() || event.kind.is_create())
            && event.paths.iter().any(|p| p.file_name() == Some(&name))
        {
            let _ = tx.try_send(());
        }
    })
    .ok()?;
    watcher.watch(file.parent()?, notify::RecursiveMode::NonRecursive).ok()?;
    Some((watcher, rx))
}

async fn event_loop(terminal: &mut ratatui::DefaultTerminal, inputs: &mut Inputs, mut app: App) -> Result<Exit> {
    let mut tick = tokio::time::interval(TICK);
    let mut pacer = pacer::Pacer::new();
    let watching = |app: &App| match app.path.as_deref().and_then(watch) {
        Some((watcher, rx)) => (Some(watcher), rx),
        None => (None, mpsc::channel(1).1),
    };
    let mut watched = app.path.clone();
    let (mut _watcher, mut changes) = watching(&app);
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
                dirty |= app.poll_recording();
                dirty |= app.poll_feed();
            }
            Some(()) = changes.recv() => {
                // Let a burst of writes settle, then read the file once.
                tokio::time::sleep(Duration::from_millis(50)).await;
                while changes.try_recv().is_ok() {}
                reload(&mut app);
                dirty = true;
            }
            () = inputs.signals.next() => return Ok(Exit::Leave),
        }
        if app.quit {
            return Ok(Exit::Quit);
        }
        // A lesson copied to a file (`c`): from now on that file is watched.
        if app.path != watched {
            watched.clone_from(&app.path);
            (_watcher, changes) = watching(&app);
        }
    }
}

/// Validates the changed file again (with the variant running), within the limits the app
/// was started with; a bad file (or one over the limits) is shown, the last good run goes
/// on.
fn reload(app: &mut App) {
    let Some(path) = app.path.clone() else { return };
    let variant = app.experiments.current.clone();
    match load_file_variant(&path, &app.limits, variant.as_deref()) {
        Ok(scenario) => {
            if let Err(e) = app.reload(scenario) {
                app.error = Some(format!("{}: {e}", path.display()));
            } else if let Some(text) = read_bounded(&path) {
                let origin = app.origin.clone();
                app.experiments.set_source(&text, &origin);
            }
        }
        Err(e) => app.error = Some(e.to_string()),
    }
}

/// The file's text for the variants menu, read no further than a scenario file may be long
/// (the file may have grown since it was loaded).
fn read_bounded(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path).ok()?.take(MAX_FILE_BYTES + 1).read_to_string(&mut text).ok()?;
    (text.len() as u64 <= MAX_FILE_BYTES).then_some(text)
}

/// Applies one terminal event; returns whether the screen must be redrawn.
pub fn handle_event(app: &mut App, event: &Event, screen: ratatui::layout::Rect) -> bool {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            if !app.edit_filter(*key)
                && !app.edit_prediction(*key)
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
                    ui::tab_spans(screen.width).into_iter().find(|(a, b, _)| (*a..*b).contains(&mouse.column))
                {
                    app.apply(action::Action::ShowView(view));
                }
                true
            }
            MouseEventKind::Down(MouseButton::Left) => {
                ui::click(app, screen, mouse.column, mouse.row);
                true
            }
            _ => false,
        },
        Event::Resize(..) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::scenario::load::load_file;

    fn scenario(count: u32) -> String {
        format!(
            r#"{{"name": "reload", "duration": "10s", "topics": [{{"name": "orders"}}],
                "producers": [{{"name": "shop", "topic": "orders", "rate": 100, "count": {count}, "events": [{{"type": "A"}}]}}],
                "consumers": [{{"name": "billing", "topics": ["orders"], "processing": "1ms"}}]}}"#
        )
    }

    /// A hot reload is loaded within the limits the app was started with: a file edited to
    /// need more is refused before it runs, and the last good run goes on.
    #[test]
    fn a_reload_is_held_to_the_apps_limits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, scenario(10)).unwrap();
        #[allow(
            clippy::field_reassign_with_default,
            reason = "Limits may gain fields: a struct literal would have to name them all"
        )]
        let limits = {
            let mut limits = Limits::default();
            limits.max_steps = 1_000;
            limits
        };
        let first = load_file(&path, &limits).expect("within the limits");
        let mut app = App::new("s.json".to_owned(), Some(path.clone()), first, None, limits).expect("compiles");
        let before = Arc::clone(app.model());

        std::fs::write(&path, scenario(1_000)).unwrap();
        assert!(load_file(&path, &Limits::default()).is_ok(), "within the default limits");
        reload(&mut app);
        let error = app.error.clone().expect("refused");
        assert!(error.contains("exceeds the limit of 1000"), "{error}");
        assert!(Arc::ptr_eq(app.model(), &before), "the last good run goes on");

        std::fs::write(&path, scenario(20)).unwrap();
        app.error = None;
        reload(&mut app);
        assert_eq!(app.error, None);
        assert!(!Arc::ptr_eq(app.model(), &before), "reloaded");
    }
}
