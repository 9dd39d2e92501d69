//! The screen never shows the future: at step N every view, the inspector, the header, the
//! status line and the timeline's marks show only what was known at step N. So the whole
//! screen at step N is the same whether the run was computed only up to N, or to its end
//! and then sought back to N.

use eventlab::scenario::load::{Limits, load_str};
use eventlab::tui::App;
use eventlab::tui::action::Action;
use eventlab::tui::app::View;
use proptest::prelude::*;

fn screen(app: &App) -> String {
    crate::snapshots::screen(app, 140, 40)
}

/// Every view, and the inspector on the newest step's event from Traffic.
fn screens(app: &mut App) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for view in View::ALL {
        app.apply(Action::ShowView(view));
        app.message = None;
        out.push((view.title().to_owned(), screen(app)));
    }
    app.apply(Action::ShowView(View::Traffic));
    app.apply(Action::Inspect);
    app.message = None;
    out.push(("inspector".to_owned(), screen(app)));
    app.apply(Action::Back);
    out
}

fn new_app(source: &str) -> App {
    let scenario = load_str(source, "scenario", &Limits::default()).expect("valid");
    App::new("scenario".to_owned(), None, scenario, None, Limits::default()).expect("compiles")
}

/// The screens at `n` steps computed only to `n`, and computed to the end then sought back.
fn compare(source: &str, n: usize) -> Result<(), String> {
    let mut only = new_app(source);
    for _ in 0..n {
        only.apply(Action::StepForward);
    }
    let n = only.step_number();
    let mut whole = new_app(source);
    whole.apply(Action::RunToEnd);
    whole.seek(n);
    for ((view, a), (_, b)) in screens(&mut only).into_iter().zip(screens(&mut whole)) {
        if a != b {
            let line = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(0);
            return Err(format!(
                "{view} at step {n}: line {line} differs once the run was computed to its end:\n  only to {n}: {}\n  to the end:  {}",
                a.lines().nth(line).unwrap_or(""),
                b.lines().nth(line).unwrap_or("")
            ));
        }
    }
    Ok(())
}

#[test]
fn no_lesson_screen_shows_the_future() {
    let mut wrong = Vec::new();
    for lesson in eventlab::lessons::LESSONS {
        let steps = {
            let mut app = new_app(lesson.source);
            app.apply(Action::RunToEnd);
            app.step_number()
        };
        for n in [steps / 5, steps / 2, steps * 4 / 5] {
            if let Err(e) = compare(lesson.source, n) {
                wrong.push(format!("{}: {e}", lesson.name));
                break;
            }
        }
    }
    assert!(wrong.is_empty(), "screens that show the future:\n{}", wrong.join("\n"));
}

proptest! {
    #![proptest_config(crate::fault_properties::config_with(24))]

    #[test]
    fn no_generated_scenario_screen_shows_the_future(
        crate::fault_properties::Json(value) in crate::fault_properties::scenario(),
        at in 0.0f64..1.0,
    ) {
        let source = serde_json::to_string(&value).expect("serializes");
        let steps = {
            let mut app = new_app(&source);
            app.apply(Action::RunToEnd);
            app.step_number()
        };
        let n = (steps as f64 * at) as usize;
        if let Err(e) = compare(&source, n) {
            prop_assert!(false, "{e}\n{source}");
        }
    }
}
