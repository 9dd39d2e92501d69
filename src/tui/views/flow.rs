//! flow: being written.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::tui::app::App;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    Paragraph::new(format!("{} steps", app.step_number())).block(Block::bordered().title(" flow ")).render(area, buf);
}
