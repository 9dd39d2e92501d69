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

/// A case the property found: a record committed before its processing (`commit: before`)
/// is lost only once its instance crashes, later; the timeline marked that loss at its
/// commit as soon as the run had been computed past the crash.
#[test]
fn a_loss_known_only_later_is_not_marked_before_it_is_known() {
    let source = r#"{"name":"generated-with-faults","seed":8533571186771679052,"duration":"1536ms","topics":[{"kind":"log","partitions":3,"name":"t0"},{"kind":"log","partitions":1,"name":"t1"}],"producers":[{"topic":"t1","rate":15,"arrival":"fixed","start":"136ms","events":[{"type":"C","weight":1,"data":{"total":{"uniform":[1,100]},"n":"{n}"}}],"name":"p0"},{"topic":"t0","rate":16,"arrival":"poisson","start":"376ms","events":[{"type":"B","weight":1,"data":{"total":{"uniform":[1,100]},"n":"{n}"}}],"keys":{"prefix":"k","cardinality":2,"distribution":"uniform"},"name":"p1"}],"events":[],"consumers":[{"name":"c0","topics":["t0"],"instances":1,"processing":"0ms","commit":"after","from":"earliest","start":"0ms"},{"name":"c1","topics":["t0"],"instances":2,"processing":{"exponential":"1ms"},"commit":"after","from":"earliest","start":"0ms","idempotent":true,"retry_delay":"30ms","handles":{"B":{"emit":[{"topic":"t1","type":"A","data":{"cause":"{id}"},"delay":"19ms"}],"fail_probability":0.41010983303084125},"C":{"emit":[{"topic":"t1","type":"C","data":{"cause":"{id}"},"delay":"3ms"},{"topic":"t1","type":"A","data":{"cause":"{id}"}}],"fail_probability":0.24114197627179265},"*":{"emit":[{"topic":"t1","type":"B","data":{"cause":"{id}"},"key":"{type}-{key}"},{"topic":"t1","type":"C","data":{"cause":"{id}"},"key":"{type}-{key}","delay":"35ms"}]}}},{"name":"c2","topics":["t0","t1"],"instances":1,"processing":{"uniform":["1ms","20ms"]},"commit":"before","from":"latest","start":"0ms","prefetch":3,"retry_delay":"24ms","rebalance":"85ms"}],"faults":[{"at":"1178ms","crash":"c2","restart_after":"192ms"},{"at":"10ms","delay":"t1","jitter":"8ms","for":"307ms"},{"at":"105ms","slow":"c2#1","factor":5.0,"for":"1443ms"},{"at":"975ms","delay":"t0","jitter":{"exponential":"15ms"},"for":"1164ms"}]}"#;
    let steps = {
        let mut app = new_app(source);
        app.apply(Action::RunToEnd);
        app.step_number()
    };
    let n = (steps as f64 * 0.723_358_841_752_847_9) as usize;
    if let Err(e) = compare(source, n) {
        panic!("{e}");
    }
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
