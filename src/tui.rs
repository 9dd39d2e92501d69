//! The terminal UI: the imperative shell around the app.
//!
//! One task owns the [`App`]; a `select!` waits on terminal input (crossterm's
//! `EventStream`), a frame tick (the pacer advances the simulation), changes of the
//! scenario file (hot reload) and SIGTERM/SIGHUP. The screen is redrawn after something
//! changed, at most once per event, from `&App` (rendering never mutates). The terminal is
//! restored on quit, on error, on a signal and on panic (ratatui's hook, installed after
//! color-eyre's).

pub mod action;
pub mod app;
pub mod pacer;
pub mod theme;
pub mod ui;
pub mod views;

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use crossterm::event::{Event, EventStream, KeyEventKind, MouseButton, MouseEventKind};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

pub use app::App;

use crate::scenario::load::{Limits, load_file};

/// The frame tick: 30 frames a second while playing.
const TICK: Duration = Duration::from_millis(33);

/// Runs the TUI until the user quits.
pub fn run(app: App) -> Result<()> {
    if !std::io::stdout().is_terminal() {
        return Err(eyre!("the TUI needs a terminal; run with --headless for a summary"));
    }
    let _ = color_eyre::install();
    let terminal = ratatui::init();
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    let result =
        tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(event_loop(terminal, app));
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    ratatui::restore();
    result
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

async fn event_loop(mut terminal: ratatui::DefaultTerminal, mut app: App) -> Result<()> {
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    let mut pacer = pacer::Pacer::new();
    let (_watcher, mut changes) = match app.path.as_deref().and_then(watch) {
        Some((watcher, rx)) => (Some(watcher), rx),
        None => (None, mpsc::unbounded_channel().1),
    };
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| frame.render_widget(&app, frame.area()))?;
            dirty = false;
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => dirty |= handle_event(&mut app, &event, terminal.get_frame().area()),
                Some(Err(e)) => return Err(e.into()),
                None => break,
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
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}

/// Validates the changed file again; a bad file is shown, the last good run goes on.
fn reload(app: &mut App) {
    let Some(path) = app.path.clone() else { return };
    match load_file(&path, &Limits { max_steps: app.max_steps }) {
        Ok(scenario) => {
            if let Err(e) = app.reload(scenario) {
                app.error = Some(format!("{}: {e}", path.display()));
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
