//! Frame rendering time: `cargo bench --bench frame`. Every view of the TUI rendered at
//! 200×60 on a run of millions of steps (the busy-shop workload run to its end), and on a
//! small lesson; prints the mean time per frame. A benchmark, not a test: it asserts
//! nothing about speed (the target is under 2 ms a frame).
#![allow(clippy::disallowed_methods, reason = "a benchmark measures wall time")]

use std::path::PathBuf;
use std::time::Instant;

use eventlab::scenario::load::{Limits, load_file};
use eventlab::tui::App;
use eventlab::tui::action::Action;
use eventlab::tui::app::View;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| std::path::Path::new(a).extension().is_some_and(|e| e.eq_ignore_ascii_case("json")))
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/busy-shop.json"), PathBuf::from);
    let scenario = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut app = App::new(path.display().to_string(), None, scenario, None, Limits::default()).expect("compiles");
    let started = Instant::now();
    app.apply(Action::RunToEnd);
    println!("ran {} steps in {:.2} s; rendering at 200×60", app.step_number(), started.elapsed().as_secs_f64());
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    let frames = 50;
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        // The selection in the middle of the run, as after scrolling back.
        if view == View::Traffic {
            app.traffic.selected = Some(app.step_number() / 2);
        }
        let started = Instant::now();
        for _ in 0..frames {
            terminal.draw(|frame| frame.render_widget(&app, frame.area())).expect("draws");
        }
        let per_frame = started.elapsed().as_secs_f64() * 1000.0 / f64::from(frames);
        println!("{:8} {per_frame:7.3} ms/frame", view.title());
    }
}
