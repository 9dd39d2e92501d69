//! Signals and files, end to end with the binary: a headless run stopped by SIGTERM, SIGINT
//! or SIGHUP leaves no temporary file and exits 128 + the signal; a killed run's leftovers
//! go with the next run to the same target; `--trace` follows a symbolic link and refuses a
//! device or a folder; a trace cut at a line boundary (`head -n K`) is reported as one cut
//! in a line is. (The TUI's side, a SIGINT from outside, is in `tmux.rs`.)

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const SIGHUP: i32 = 1;
const SIGINT: i32 = 2;
const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

fn eventlab() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eventlab"));
    command.env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE");
    command
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    eventlab().current_dir(dir).args(args).output().expect("the binary starts")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Exit 2 with exactly one line on stderr, which is returned.
#[track_caller]
fn one_line_error(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "expected exit 2; stderr: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {err:?}");
    lines[0].to_owned()
}

/// A run long enough to be stopped while it writes its trace: tens of MB of JSON Lines
/// that take seconds to write in a debug build.
fn busy() -> Value {
    json!({
        "name": "busy", "seed": 42, "duration": "4s",
        "topics": [{"name": "orders", "kind": "log", "partitions": 12}, {"name": "payments", "kind": "log", "partitions": 12}],
        "producers": [
            {"name": "web", "topic": "orders", "rate": 2000, "keys": {"prefix": "cust-", "cardinality": 10000},
             "events": [{"type": "OrderCreated", "data": {"total": {"uniform": [5, 500]}}}]},
            {"name": "partner", "topic": "payments", "rate": 1000, "keys": {"prefix": "cust-", "cardinality": 10000},
             "events": [{"type": "PaymentReceived"}]}],
        "consumers": [
            {"name": "billing", "topics": ["orders"], "instances": 6, "processing": {"exponential": "1ms"}, "handles": {"*": {}}},
            {"name": "analytics", "topics": ["orders", "payments"], "instances": 12, "processing": {"exponential": "500us"},
             "handles": {"*": {}}}]
    })
}

/// A run of a few dozen steps whose expectations hold.
fn small() -> Value {
    json!({
        "name": "small", "seed": 3, "duration": "2s",
        "topics": [{"name": "orders", "partitions": 2}],
        "producers": [{"name": "shop", "topic": "orders", "rate": 10, "arrival": "fixed", "count": 10,
                       "events": [{"type": "OrderCreated"}]}],
        "consumers": [{"name": "billing", "topics": ["orders"], "processing": "5ms"}],
        "expect": [{"metric": "published", "topic": "orders", "equals": 10}]
    })
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path
}

/// The names in a folder, sorted (hidden files included).
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn temp_files(dir: &Path) -> Vec<String> {
    names(dir).into_iter().filter(|n| n.contains(".eventlab-tmp.")).collect()
}

/// Starts `eventlab run SCENARIO --headless --trace out.jsonl` in `dir`.
fn start_run(dir: &Path, scenario: &Path) -> Child {
    eventlab()
        .current_dir(dir)
        .args(["run", scenario.to_str().unwrap(), "--headless", "--trace", "out.jsonl"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Polls `ready` every 10 ms, 6000 times at most (a minute or more: a loaded machine is
/// slow).
#[track_caller]
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    for _ in 0..6000 {
        if ready() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("never: {what}");
}

fn kill(child: &Child, signal: i32) {
    let status = Command::new("kill").args([format!("-{signal}"), child.id().to_string()]).status().expect("kill runs");
    assert!(status.success());
}

/// Whether the process has its signal thread (named "signals") yet: its handlers are set.
fn handlers_set(child: &Child) -> bool {
    let tasks = PathBuf::from(format!("/proc/{}/task", child.id()));
    let Ok(entries) = std::fs::read_dir(&tasks) else {
        // No /proc: give it time to start.
        std::thread::sleep(Duration::from_secs(1));
        return true;
    };
    entries.flatten().any(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "signals"))
}

#[test]
fn a_signal_while_the_trace_is_written_leaves_no_file_and_exits_128_plus_the_signal() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "busy.json", &busy());
    for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT"), (SIGHUP, "SIGHUP")] {
        let child = start_run(dir.path(), &scenario);
        wait_until("the temporary file appears", || !temp_files(dir.path()).is_empty());
        let temp = temp_files(dir.path()).remove(0);
        assert_eq!(temp, format!(".out.jsonl.eventlab-tmp.{}", child.id()));
        kill(&child, signal);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(128 + signal), "{name}: {}", stderr(&out));
        assert_eq!(stderr(&out), format!("eventlab: stopped by {name}; the trace was not written\n"));
        assert_eq!(names(dir.path()), ["busy.json"], "{name}: nothing left, no trace");
    }
}

#[test]
fn a_signal_during_the_run_exits_128_plus_the_signal_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "busy.json", &busy());
    let child = start_run(dir.path(), &scenario);
    wait_until("the signal handlers are set", || handlers_set(&child));
    kill(&child, SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(128 + SIGTERM), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("eventlab: stopped by SIGTERM"), "{}", stderr(&out));
    assert_eq!(names(dir.path()), ["busy.json"]);
}

#[test]
fn a_later_run_to_the_same_target_removes_what_a_killed_one_left() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "busy.json", &busy());
    // SIGKILL cannot be handled: its temporary file stays behind.
    let mut child = start_run(dir.path(), &scenario);
    wait_until("the temporary file appears", || !temp_files(dir.path()).is_empty());
    kill(&child, SIGKILL);
    let _ = child.wait();
    let left = format!(".out.jsonl.eventlab-tmp.{}", child.id());
    assert_eq!(temp_files(dir.path()), [left.as_str()]);
    // Left by an earlier version; a live process's (this test's) stays; another target's stays.
    let legacy = format!(".out.jsonl.tmp-{}", child.id());
    std::fs::write(dir.path().join(&legacy), "{}").unwrap();
    let live = format!(".out.jsonl.eventlab-tmp.{}", std::process::id());
    std::fs::write(dir.path().join(&live), "{}").unwrap();
    let other = format!(".other.jsonl.eventlab-tmp.{}", child.id());
    std::fs::write(dir.path().join(&other), "{}").unwrap();

    let small_file = write(dir.path(), "small.json", &small());
    let out = run_in(dir.path(), &["run", "small.json", "--headless", "--trace", "out.jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut expected = vec![live.clone(), other.clone(), "busy.json".to_owned(), "out.jsonl".to_owned()];
    expected.push(small_file.file_name().unwrap().to_string_lossy().into_owned());
    expected.sort();
    assert_eq!(names(dir.path()), expected);
    let trace = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert!(trace.lines().last().unwrap().starts_with("{\"end\":"), "a whole trace");
}

#[test]
fn trace_through_a_symbolic_link_writes_the_file_it_points_to() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.json", &small());
    let real_dir = dir.path().join("real");
    std::fs::create_dir(&real_dir).unwrap();
    std::fs::write(real_dir.join("trace.jsonl"), "old").unwrap();
    std::os::unix::fs::symlink("real/trace.jsonl", dir.path().join("link.jsonl")).unwrap();
    let out = run_in(dir.path(), &["run", "small.json", "--headless", "--trace", "link.jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let link = std::fs::symlink_metadata(dir.path().join("link.jsonl")).unwrap();
    assert!(link.file_type().is_symlink(), "the link stays a link");
    let text = std::fs::read_to_string(real_dir.join("trace.jsonl")).unwrap();
    assert!(text.starts_with("{\"eventlab_trace\":1"), "{text:.80}");
    assert_eq!(names(&real_dir), ["trace.jsonl"], "no temporary file beside it");
    assert_eq!(names(dir.path()), ["link.jsonl", "real", "small.json"]);

    // A dangling link: the file it names is created.
    std::os::unix::fs::symlink("real/new.jsonl", dir.path().join("dangling.jsonl")).unwrap();
    let out = run_in(dir.path(), &["run", "small.json", "--headless", "--trace", "dangling.jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(dir.path().join("dangling.jsonl")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(real_dir.join("new.jsonl")).unwrap(), text);

    // A loop of links is one line, before the run.
    std::os::unix::fs::symlink("loop.jsonl", dir.path().join("loop.jsonl")).unwrap();
    let line = one_line_error(&run_in(dir.path(), &["run", "small.json", "--headless", "--trace", "loop.jsonl"]));
    assert!(line.starts_with("loop.jsonl: cannot write the trace: more than 40 symbolic links"), "{line}");
}

#[test]
fn trace_onto_a_device_or_a_folder_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.json", &small());
    std::os::unix::fs::symlink("/dev/null", dir.path().join("null.jsonl")).unwrap();
    std::fs::create_dir(dir.path().join("folder.jsonl")).unwrap();
    for (target, what) in
        [("/dev/null", "a character device"), ("null.jsonl", "a character device"), ("folder.jsonl", "a folder")]
    {
        let out = run_in(dir.path(), &["run", "small.json", "--headless", "--trace", target]);
        let line = one_line_error(&out);
        assert_eq!(
            line,
            format!(
                "{target}: cannot write the trace: {what}, not a regular file (a trace is written to a file; leave \
                 --trace out to write none)"
            )
        );
        assert!(out.stdout.is_empty(), "refused before the run: no summary");
    }
    let line = one_line_error(&run_in(dir.path(), &["run", "small.json", "--headless", "--trace", "nowhere/t.jsonl"]));
    assert_eq!(line, "nowhere/t.jsonl: cannot write the trace: no such folder nowhere");
    assert!(std::fs::symlink_metadata(dir.path().join("null.jsonl")).unwrap().file_type().is_symlink());
    assert_eq!(names(dir.path()), ["folder.jsonl", "null.jsonl", "small.json"]);
}

#[test]
fn a_trace_cut_at_a_line_boundary_replays_as_one_cut_in_a_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "small.json", &small());
    let out = run_in(dir.path(), &["run", "small.json", "--headless", "--json", "--trace", "t.jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let steps = lines.len() - 2;
    let end: Value = serde_json::from_str(lines[steps + 1]).unwrap();
    assert_eq!(end, json!({"end": {"steps": steps, "t_us": 2_000_000, "complete": true}}));
    let whole = run_in(dir.path(), &["replay", "t.jsonl", "--headless"]);
    assert_eq!(whole.status.code(), Some(0));
    assert_eq!(stderr(&whole), "", "a whole trace replays without a word");

    // `head -n 21`: the header and 20 steps, every line whole.
    let head = format!("{}\n", lines[..21].join("\n"));
    std::fs::write(dir.path().join("head.jsonl"), head).unwrap();
    // The same cut in the middle of line 22.
    let mid = format!("{}\n{}", lines[..21].join("\n"), &lines[21][..lines[21].len() / 2]);
    std::fs::write(dir.path().join("mid.jsonl"), mid).unwrap();
    let replay = |name: &str| run_in(dir.path(), &["replay", name, "--headless", "--json"]);
    let (head, mid) = (replay("head.jsonl"), replay("mid.jsonl"));
    // 10 published is expected; 20 steps publish fewer: the expectation fails, for both.
    assert_eq!(head.status.code(), Some(1), "{}", stderr(&head));
    assert_eq!(head.status.code(), mid.status.code());
    assert_eq!(stderr(&head), "warning: head.jsonl is cut at line 22, before its end line; loaded up to step 20\n");
    assert_eq!(stderr(&mid), stderr(&head).replace("head.jsonl", "mid.jsonl"));
    assert_eq!(head.stdout, mid.stdout);
    let summary: Value = serde_json::from_slice(&head.stdout).unwrap();
    assert_eq!(summary["steps"], 20);
}
