//! Edges as box-drawing lines: each cell keeps which of its four sides a line leaves by,
//! so lines that meet or cross merge into the right glyph (`┬`, `├`, `┼` ...).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

/// Line bits over a rectangle of the screen; writes outside it are ignored.
pub struct Canvas {
    area: Rect,
    bits: Vec<u8>,
}

impl Canvas {
    pub fn new(area: Rect) -> Self {
        Canvas { area, bits: vec![0; usize::from(area.width) * usize::from(area.height)] }
    }

    fn index(&self, x: u16, y: u16) -> Option<usize> {
        let a = self.area;
        (x >= a.x && x < a.right() && y >= a.y && y < a.bottom())
            .then(|| usize::from(y - a.y) * usize::from(a.width) + usize::from(x - a.x))
    }

    fn set(&mut self, x: u16, y: u16, bits: u8) {
        if let Some(i) = self.index(x, y) {
            self.bits[i] |= bits;
        }
    }

    /// An edge from the right side of a box at (`x0`, `y0`) to the left side of a box at
    /// (`x1`, `y1`), turning down or up at column `lane`; returns its cells from source to
    /// target.
    pub fn route(&mut self, x0: u16, y0: u16, lane: u16, x1: u16, y1: u16) -> Vec<(u16, u16)> {
        if x1 < x0 {
            return Vec::new();
        }
        let lane = lane.clamp(x0, x1);
        let mut path = Vec::with_capacity(usize::from(x1 - x0) + usize::from(y0.abs_diff(y1)) + 1);
        for x in x0..=lane {
            let mut bits = LEFT;
            if x < lane || y0 == y1 {
                bits |= RIGHT;
            }
            self.set(x, y0, bits);
            path.push((x, y0));
        }
        if y0 != y1 {
            let (down, up) = if y1 > y0 { (DOWN, UP) } else { (UP, DOWN) };
            self.set(lane, y0, down);
            let mut y = y0;
            while y != y1 {
                y = if y1 > y0 { y + 1 } else { y - 1 };
                let bits = if y == y1 { up | RIGHT } else { up | down };
                self.set(lane, y, bits);
                path.push((lane, y));
            }
        }
        for x in lane + 1..=x1 {
            self.set(x, y1, LEFT | RIGHT);
            path.push((x, y1));
        }
        path
    }

    /// Draws every cell that has a line.
    pub fn draw(&self, buf: &mut Buffer, style: Style) {
        let a = self.area;
        for (i, &bits) in self.bits.iter().enumerate() {
            if bits == 0 {
                continue;
            }
            let x = a.x + (i % usize::from(a.width)) as u16;
            let y = a.y + (i / usize::from(a.width)) as u16;
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_char(glyph(bits)).set_style(style);
            }
        }
    }
}

fn glyph(bits: u8) -> char {
    let vertical = UP | DOWN;
    let horizontal = LEFT | RIGHT;
    match bits {
        b if b == vertical | horizontal => '┼',
        b if b == vertical | RIGHT => '├',
        b if b == vertical | LEFT => '┤',
        b if b == horizontal | DOWN => '┬',
        b if b == horizontal | UP => '┴',
        b if b == RIGHT | DOWN => '┌',
        b if b == LEFT | DOWN => '┐',
        b if b == RIGHT | UP => '└',
        b if b == LEFT | UP => '┘',
        b if b & horizontal != 0 && b & vertical == 0 => '─',
        _ => '│',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(canvas: &Canvas) -> String {
        let mut buf = Buffer::empty(canvas.area);
        canvas.draw(&mut buf, Style::new());
        (0..canvas.area.height)
            .map(|y| (0..canvas.area.width).map(|x| buf[(x, y)].symbol().to_owned()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn routes_merge_into_trees() {
        let mut c = Canvas::new(Rect::new(0, 0, 6, 4));
        let a = c.route(0, 0, 2, 5, 0);
        c.route(0, 0, 2, 5, 3);
        assert_eq!(a.len(), 6);
        assert_eq!(text(&c), "──┬───\n  │   \n  │   \n  └───");
        let down = c.route(0, 3, 1, 5, 1);
        assert_eq!(down.first(), Some(&(0, 3)));
        assert_eq!(down.last(), Some(&(5, 1)));
    }
}
