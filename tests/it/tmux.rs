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
        // One name per test process: two checkouts testing at once share the tmux server.
        let name = &format!("{name}-{}", std::process::id());
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

    /// Waits until the screen shows `text` (up to 15 s: a loaded CI machine is slow), returning the screen.
    fn wait_for(&self, text: &str) -> String {
        for _ in 0..150 {
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
    // The header says nothing of the steps computed ahead: they are the future.
    assert!(!s.screen().contains(&format!("step {} of", n - 2)), "{}", s.screen());
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
    assert!(screen.contains(&format!("step {at} ")) && at < 360, "back from the end, at the finding: {screen}");
    s.keys(&["w"]);
    let screen = s.wait_for("written to");
    let recorded: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let name = recorded[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("eventlab-crash-mid-interval-duplicate-effects-seed0-step"), "{name}");
    assert!(recorded[0].extension().is_some_and(|e| e == "jsonl"), "{name}");
    assert!(screen.contains(&name), "{screen}");

    // What if: the menu lists the lesson's variants; choosing one restarts the run, and at
    // its end Checks shows each figure before → now.
    s.keys(&["v"]);
    s.wait_for("idempotent-billing");
    s.keys(&["Down", "Enter"]);
    s.wait_for("what if: idempotent-billing");
    s.keys(&["e", "6"]);
    let screen = s.wait_for("before → now");
    assert!(screen.contains("4 → 0"), "duplicate effects 4 → 0:\n{screen}");

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
    let _ = Command::new("tmux").args(["resize-window", "-t", &s.0, "-x", "20", "-y", "5"]).status();
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
    std::fs::write(&file, source.replace("Fan-out: one log, two consumer groups", "Hot reloaded")).unwrap();
    s.wait_for("Hot reloaded");
    std::fs::write(&file, source.replace("\"duration\"", "\"duraton\"")).unwrap();
    let screen = s.wait_for("did you mean \"duration\"");
    assert!(screen.contains("still running the last good one"), "{screen}");
    s.keys(&["q"]);
}

#[test]
fn a_variant_opens_in_the_tui() {
    if !tmux_available() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let command = format!("{bin} run crash-duplicates --variant idempotent-billing; sleep 30");
    let s = Session::start("eventlab-variant", &command);
    s.wait_for("what if: idempotent-billing");
    // The variant's own notes: the first one shows with the first step.
    s.keys(&["l"]);
    s.wait_for("What if billing were idempotent?");
    // The redeliveries still happen; no duplicate effect is found.
    s.keys(&["e", "6"]);
    let screen = s.wait_for("duplicate_deliveries");
    assert!(!screen.contains("│ duplicate_effects"), "no such finding: {screen}");
    assert!(screen.contains("✓  billing duplicate_effects = 0"), "the expectation holds: {screen}");
    s.keys(&["q"]);
}

/// Bare `eventlab`, from a folder with no scenario in it: the picker lists the built-in
/// lessons; Enter opens one; `q` comes back to the list, `q` again quits.
#[test]
fn the_picker_opens_a_lesson_from_an_empty_folder() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let command = format!("cd {} && {bin}; echo EXITED-$?; sleep 30", dir.path().display());
    let s = Session::start("eventlab-picker", &command);
    let list_title = format!("{} lessons", eventlab::lessons::LESSONS.len());
    let screen = s.wait_for(&list_title);
    assert!(screen.contains("fan-out") && screen.contains("poison-message"), "{screen}");
    assert!(screen.contains("Fan-out: one log, two consumer groups"), "the preview: {screen}");

    // Down to the second lesson: the preview follows; Enter opens it.
    s.keys(&["j"]);
    s.wait_for("Keys and partitions: order per key ");
    s.keys(&["Enter"]);
    let screen = s.wait_for("step 0");
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("Keys and partitions: order per key"), "the header names the lesson: {header}");
    s.keys(&["space"]);

    // q leaves the lesson for the list, where the same lesson is still selected.
    s.keys(&["q"]);
    let screen = s.wait_for(&list_title);
    assert!(screen.contains("▸ 2 keys-and-partitions"), "{screen}");

    // A variant, chosen with →, opens with its name in the header.
    s.keys(&["Right", "Enter"]);
    s.wait_for("(what if: as-a-queue)");
    s.keys(&["q"]);
    s.wait_for(&list_title);
    s.keys(&["q"]);
    let screen = s.wait_for("EXITED-0");
    assert!(!screen.contains("lessons"), "the picker's screen is still there:\n{screen}");
}

/// `eventlab replay` opens a recorded trace in the TUI: the scenario's name from the trace,
/// every view, time travel; a trace cut mid-line (without its end line) opens with a
/// warning naming its last step.
#[test]
fn a_recorded_trace_replays_in_the_tui() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let trace = dir.path().join("run.jsonl");
    let out = Command::new(bin)
        .args(["run", "crash-duplicates", "--headless", "--trace", trace.to_str().unwrap()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines = text.lines().count();
    // Cut the copy in the middle of its 201st line: 200 lines are whole, a header and 199 steps.
    let cut_at = text.match_indices('\n').nth(199).unwrap().0 + 20;
    let cut = dir.path().join("cut.jsonl");
    std::fs::write(&cut, &text[..cut_at]).unwrap();

    let s = Session::start("eventlab-replay", &format!("{bin} replay {}; sleep 30", cut.display()));
    let screen = s.wait_for("before its end line");
    assert!(screen.contains("loaded up to step 199"), "{screen}");
    assert!(screen.contains("Crash mid-interval"), "{screen}");
    assert_eq!(step_number(&screen), 0);
    s.keys(&["e"]);
    assert_eq!(step_number(&s.screen()), 199, "the end of a recorded trace is its last whole step");
    s.keys(&["h", "h"]);
    let screen = s.screen();
    assert_eq!(step_number(&screen), 197);
    // The warning went with the first key; the banner stays.
    assert!(screen.contains("replay of cut.jsonl, cut: steps 1–199 only"), "{screen}");
    s.keys(&["6"]);
    s.wait_for("checker");
    s.keys(&["q"]);
    drop(s);

    let s = Session::start("eventlab-replay-whole", &format!("{bin} replay {}; sleep 30", trace.display()));
    s.wait_for("step 0");
    s.keys(&["e"]);
    // A header, the steps, the end line.
    assert_eq!(step_number(&s.screen()) as usize, lines - 2);
    s.keys(&["q"]);
}

/// A signal sent from outside (`kill -INT PID`: in raw mode Ctrl-C is a key, not a signal)
/// restores the terminal: the alternate screen left, the cursor shown, mouse capture off,
/// raw mode off (what is typed echoes again); the exit status is 128 + the signal.
#[test]
fn a_signal_from_outside_restores_the_terminal() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_eventlab");
    for (signal, status) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let pid_file = dir.path().join(format!("{signal}.pid"));
        // `exec` keeps the pid written: the one the signal goes to.
        let command = format!(
            "sh -c 'echo $$ > {}; exec {bin} run crash-duplicates'; echo EXITED-$?; sleep 30",
            pid_file.display()
        );
        let s = Session::start(&format!("eventlab-signal-{signal}"), &command);
        s.wait_for("step 0");
        s.keys(&["space"]);
        let display = |format: &str| {
            let out = Command::new("tmux").args(["display", "-p", "-t", &s.0, format]).output().expect("tmux runs");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        assert_eq!(display("#{alternate_on} #{cursor_flag} #{mouse_any_flag}"), "1 0 1", "the TUI is on");
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let killed = Command::new("kill").args([&format!("-{signal}"), pid.trim()]).status().expect("kill runs");
        assert!(killed.success());
        let screen = s.wait_for(&format!("EXITED-{status}"));
        assert!(!screen.contains("Crash mid-interval"), "the TUI's screen is gone:\n{screen}");
        assert_eq!(display("#{alternate_on} #{cursor_flag} #{mouse_any_flag}"), "0 1 0", "SIG{signal}");
        // Cooked mode again: the terminal echoes what is typed while `sleep` runs.
        s.keys(&["typed-after"]);
        s.wait_for("typed-after");
    }
}

/// Predict, then reveal, end to end: a lesson hides its targets (`= ?`) and says `p` and `r`
/// on its key bar; `r` shows them and hides them again; `p` takes a typed guess, and at the
/// end Checks sets it beside the actual figure.
#[test]
fn predict_then_reveal_in_the_tui() {
    if !tmux_available() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let s = Session::start("eventlab-reveal", &format!("{bin} run fan-out; sleep 30"));
    s.wait_for("step 0");
    s.keys(&["6"]);
    let screen = s.wait_for("billing delivered = ?");
    assert!(!screen.contains("= 30"), "{screen}");
    let bar = screen.lines().last().unwrap_or_default();
    assert!(bar.contains(" p  predict ") && bar.contains(" r  reveal "), "the key bar: {bar}");
    s.keys(&["r"]);
    s.wait_for("billing delivered = 30");
    s.keys(&["r"]);
    s.wait_for("billing delivered = ?");
    // The guess: 15 each or 30 each? Digits go to the prompt, not to the views.
    s.keys(&["p"]);
    s.wait_for("Predict before you play");
    s.keys(&["Down", "1", "5", "Enter"]);
    s.wait_for("your guess: 15 for billing delivered = ?");
    s.keys(&["e"]);
    let screen = s.wait_for("actual 30 · guess 15 ✗");
    assert!(screen.contains("✓  billing delivered = 30"), "{screen}");
    s.keys(&["q"]);
}

#[test]
fn a_lesson_copied_with_c_is_edited_and_reloaded_in_place() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let command = format!("cd {} && {bin} run fan-out; sleep 30", dir.path().display());
    let s = Session::start("eventlab-copy", &command);
    s.wait_for("Fan-out");
    s.keys(&["e"]);
    s.keys(&["c"]);
    s.wait_for("wrote ./fan-out.json");
    let file = dir.path().join("fan-out.json");
    let source = std::fs::read_to_string(&file).expect("the lesson was written");
    assert_eq!(source, eventlab::lessons::find("fan-out").unwrap().source);
    // The edit: email is slower; saved, the run restarts and Checks compares.
    let edited = source.replace("Fan-out: one log, two consumer groups", "Edited in place");
    std::fs::write(&file, edited).unwrap();
    s.wait_for("Edited in place");
    s.keys(&["e", "6"]);
    // The group table compares with the run before the edit: `30 → 30`.
    let screen = s.wait_for("30 → 30");
    assert!(screen.lines().any(|l| l.contains("billing") && l.contains(" → ")), "{screen}");
    s.keys(&["q"]);
}

#[test]
fn the_help_scrolls_to_every_key_at_80x24() {
    if !tmux_available() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let s = Session::start("eventlab-help", &format!("{bin} run fan-out; sleep 30"));
    let _ = Command::new("tmux").args(["resize-window", "-t", &s.0, "-x", "80", "-y", "24"]).status();
    s.wait_for("Fan-out");
    s.keys(&["?"]);
    let top = s.wait_for("scroll · lines 1–");
    assert!(top.contains("play / pause"), "{top}");
    // The help's own line for q (the key bar's is `  q  quit`).
    let help_quit = "         q  quit";
    assert!(!top.contains(help_quit), "the last keys are below: {top}");
    s.keys(&["G"]);
    let bottom = s.wait_for(help_quit);
    assert!(bottom.contains("this help") && bottom.contains("copy a lesson"), "{bottom}");
    s.keys(&["Down", "Down", "Up"]);
    s.keys(&["g"]);
    s.wait_for("scroll · lines 1–");
    s.keys(&["Escape", "q"]);
}

/// The key bar is per view and never loses `?` and `q`: at 80×24 and at 60×20 every view's
/// last line ends with them, and it leads with the view's own keys (Traffic's filter,
/// Checks' "go to step").
#[test]
fn every_view_keeps_help_and_quit_on_its_key_bar() {
    if !tmux_available() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let s = Session::start("eventlab-keybar", &format!("{bin} run crash-duplicates; sleep 30"));
    for (w, h) in [("80", "24"), ("60", "20")] {
        let _ = Command::new("tmux").args(["resize-window", "-t", &s.0, "-x", w, "-y", h]).status();
        s.wait_for("step 0");
        for (key, own) in
            [("1", ""), ("2", " ↑↓  select "), ("3", ""), ("4", ""), ("5", ""), ("6", " Enter  go to step ")]
        {
            s.keys(&[key]);
            let screen = s.wait_for(&format!("[{key} "));
            let bar = screen.lines().rfind(|l| !l.trim().is_empty()).unwrap_or_default().trim_end();
            assert!(bar.ends_with(" ?  help  q  quit"), "{w}×{h}, view {key}: {bar:?}");
            assert!(bar.contains(own), "{w}×{h}, view {key}: {bar:?}");
        }
    }
    s.keys(&["q"]);
}

#[test]
fn explore_open_shows_the_reproduction_at_its_first_finding() {
    if !tmux_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_eventlab");
    let command = format!(
        "cd {} && {bin} explore search-for-failures --seeds 40 --jobs 1 --open; sleep 30",
        dir.path().display()
    );
    let s = Session::start("eventlab-explore-open", &command);
    // The reproduction, opened at its first finding: the step that shows it, and its words.
    let screen = s.wait_for("Written by eventlab explore");
    let written: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(
        written.len() == 1 && written[0].starts_with("search-for-failures-seed-"),
        "one reproduction file: {written:?}"
    );
    let step = step_number(&screen);
    assert!(step > 0, "opened at the first finding, not at step 0:\n{screen}");
    assert!(screen.contains(&format!("step {step}: ")) && screen.contains("twice"), "{screen}");
    s.keys(&["q"]);
}
