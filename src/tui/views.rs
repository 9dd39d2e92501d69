//! The views, one file each; [`render`] draws the current one.

pub mod chains;
pub mod checks;
pub mod flow;
pub mod inspector;
pub mod lag;
pub mod state;
pub mod traffic;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::app::{App, View};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    match app.view {
        View::Flow => flow::render(app, area, buf),
        View::Traffic => traffic::render(app, area, buf),
        View::Chains => chains::render(app, area, buf),
        View::Lag => lag::render(app, area, buf),
        View::State => state::render(app, area, buf),
        View::Checks => checks::render(app, area, buf),
    }
}

/// A left click at (`column`, `row`) of the screen: selects the row under it in a list.
pub fn click(app: &mut App, screen: Rect, column: u16, row: u16) {
    let _ = (column, screen);
    if app.view == View::Traffic {
        traffic::click(app, screen, row);
    }
}
