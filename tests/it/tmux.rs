//! End to end: the real binary in a real terminal (tmux), driven by keys, read from the
//! screen as a person would read it. Without tmux the test says it is skipped, and fails
//! under `CI=true` (CI installs tmux).

use std::process::Command;
use std::time::Duration;

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.0]).output();
    }
}

impl Session {
    fn start(name: &str, command: &str) -> Session {
        let _ = Command::new("tmux").args(["kill-session", "-t", name]).output();
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", name, "-x", "140", "-y", "45", command])
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        Session(name.to_owned())
    }

    fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux").args(["send-keys", "-t", &self.0, key]).status().expect("tmux runs");
            assert!(status.success());
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux").args(["capture-pane", "-t", &self.0, "-p"]).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text` (up to a few seconds), returning the screen.
    fn wait_for(&self, text: &str) -> String {
        for _ in 0..60 {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the screen never showed {text:?}; it shows:\n{}", self.screen());
    }
}

fn tmux_available() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "tmux is missing under CI=true: .ci/run installs it");
        eprintln!("skipped: tmux is not installed (apt-get install -y tmux)");
    }
    found
}

/// The number after "step " in the header.
fn step_number(screen: &str) -> u64 {
    let header = screen.lines().next().unwrap_or_default();
    let after = header.split("step ").nth(1).unwrap_or_default();
    after.split_whitespace().next().unwrap_or_default().parse().unwrap_or_else(|_| panic!("no step in {header:?}"))
}

#[test]
fn the_tui_plays_steps_switches_views_and_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_eventlab");
    // A shell that prints a marker after eventlab exits, so the restored terminal shows it.
    let command = format!("cd {} && {bin} run crash-duplicates; echo EXITED-$?; sleep 30", dir.path().display());
    let s = Session::start("eventlab-e2e", &command);
    let screen = s.wait_for("step 0");
    assert!(screen.contains("Crash mid-interval"), "{screen}");
    assert!(screen.contains("paused"), "{screen}");

    // Single steps move the step counter forward.
    s.keys(&["l"]);
    let one = step_number(&s.screen());
    assert!(one >= 1, "{}", s.screen());
    s.keys(&["Right", "l", "l"]);
    let n = step_number(&s.screen());
    assert!(n > one);

    // Back one step at a time, exactly; forward again through the computed steps.
    s.keys(&["h"]);
    assert_eq!(step_number(&s.screen()), n - 1, "{}", s.screen());
    s.keys(&["Left"]);
    assert_eq!(step_number(&s.screen()), n - 2, "{}", s.screen());
    assert!(s.screen().contains(&format!("step {} of {n}", n - 2)), "{}", s.screen());
    s.keys(&["Right"]);
    assert_eq!(step_number(&s.screen()), n - 1);
    s.keys(&["Home"]);
    assert_eq!(step_number(&s.screen()), 0);
    s.keys(&["End"]);
    assert_eq!(step_number(&s.screen()), n);

    // Run to the end, then the checks view shows the duplicates the lesson is about.
    s.keys(&["e", "6"]);
    let screen = s.wait_for("duplicate_effects");
    assert!(screen.contains("checker"), "{screen}");
    s.keys(&["j", "Enter"]);
    let screen = s.wait_for("Traffic");
    assert!(screen.contains("step"), "{screen}");

    // The next finding moves the cursor back to it; w records the trace so far.
    s.keys(&["End", "n"]);
    let screen = s.wait_for("(from the start)");
    let at = step_number(&screen);
    assert!(screen.contains(&format!("step {at} of ")), "{screen}");
    s.keys(&["w"]);
    let screen = s.wait_for("written to");
    let recorded: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let name = recorded[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("eventlab-crash-mid-interval-duplicate-effects-seed0-step"), "{name}");
    assert!(recorded[0].extension().is_some_and(|e| e == "jsonl"), "{name}");
    assert!(screen.contains(&name), "{screen}");

    // Help is generated from the keymap.
    s.keys(&["?"]);
    let screen = s.wait_for("help");
    assert!(screen.contains("play / pause"), "{screen}");
    s.keys(&["Escape"]);

    // Every view renders.
    for (key, title) in
        [("1", "Flow"), ("2", "Traffic"), ("3", "Chains"), ("4", "Lag"), ("5", "State"), ("6", "Checks")]
    {
        s.keys(&[key]);
        assert!(s.screen().contains(title));
    }

    // q quits and the terminal is back to the shell: the marker is on a normal screen.
    s.keys(&["q"]);
    let screen = s.wait_for("EXITED-0");
    assert!(!screen.contains("step "), "the TUI's screen is still there:\n{screen}");
}

#[test]
fn a_tiny_terminal_says_it_is_too_small() {
    if !tmux_available() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let s = Session::start("eventlab-tiny", &format!("{bin} run fan-out; sleep 30"));
    let _ = Command::new("tmux").args(["resize-window", "-t", "eventlab-tiny", "-x", "20", "-y", "5"]).status();
    s.wait_for("too small");
    s.keys(&["q"]);
}

#[test]
fn hot_reload_restarts_on_a_good_file_and_shows_a_bad_one() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hot.json");
    let source = eventlab::lessons::find("fan-out").unwrap().source;
    std::fs::write(&file, source).unwrap();
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let s = Session::start("eventlab-hot", &format!("{bin} run {}; sleep 30", file.display()));
    s.wait_for("Fan-out");
    std::fs::write(&file, source.replace("Fan-out: every group gets every event", "Hot reloaded")).unwrap();
    s.wait_for("Hot reloaded");
    std::fs::write(&file, source.replace("\"duration\"", "\"duraton\"")).unwrap();
    let screen = s.wait_for("did you mean \"duration\"");
    assert!(screen.contains("still running the last good one"), "{screen}");
    s.keys(&["q"]);
}
