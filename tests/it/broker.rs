//! `eventlab tap` against a real Kafka-protocol broker, with traffic from a real third-party
//! client.
//!
//! The broker is tansu, which `.ci/run` starts on loopback and names in `EVENTLAB_BROKER`
//! (HOST:PORT); the client is kafka-python, in the Python environment at `EVENTLAB_VENV`
//! (default `~/.cache/eventlab-venv`), driven by `tests/tools/kafka_traffic.py`. Without
//! them each test says it is skipped, and fails under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::cli::eventlab;

/// The broker's address, or `None` (skipped; a failure under `CI=true`).
pub(crate) fn broker() -> Option<String> {
    match std::env::var("EVENTLAB_BROKER") {
        Ok(address) if !address.is_empty() => Some(address),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "EVENTLAB_BROKER is not set under CI=true: .ci/run starts tansu and sets it"
            );
            eprintln!("skipped: no Kafka-protocol broker (set EVENTLAB_BROKER=HOST:PORT; .ci/run starts tansu)");
            None
        }
    }
}

/// The Python with kafka-python, or `None` (skipped; a failure under `CI=true`).
pub(crate) fn python() -> Option<PathBuf> {
    let venv = std::env::var_os("EVENTLAB_VENV").map_or_else(
        || Path::new(&std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache/eventlab-venv"),
        PathBuf::from,
    );
    let python = venv.join("bin/python");
    let ok = Command::new(&python).args(["-c", "import kafka"]).output().is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "kafka-python is missing under CI=true: .ci/run installs it");
    eprintln!("skipped: kafka-python is missing at {} (.ci/run installs it)", python.display());
    None
}

/// A name no other test run uses (topics and groups on a shared broker).
#[allow(clippy::disallowed_methods, reason = "a name apart from earlier runs' on the same broker")]
pub(crate) fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{what}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// One record kafka-python produced.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Produced {
    id: String,
    partition: u32,
    offset: u32,
    causation: Option<String>,
}

/// Runs the traffic script: `count` events on `topic` (created with 2 partitions), then
/// (with `consume`) read and committed one by one in `group`.
fn traffic(python: &Path, broker: &str, topic: &str, group: &str, count: u32, consume: bool) -> Vec<Produced> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/kafka_traffic.py");
    let mut command = Command::new(python);
    command.arg(script).args([broker, topic, group, &count.to_string()]);
    if consume {
        command.arg("--consume");
    }
    let out = command.output().expect("python runs");
    assert!(out.status.success(), "kafka_traffic.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut produced: Vec<Produced> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a JSON line");
            Produced {
                id: v["id"].as_str().expect("id").to_owned(),
                partition: v["partition"].as_u64().expect("partition") as u32,
                offset: v["offset"].as_u64().expect("offset") as u32,
                causation: v["causation"].as_str().map(str::to_owned),
            }
        })
        .collect();
    produced.sort();
    produced
}

/// What a tap trace says was published: id, partition, offset and the cause's id.
fn published(trace: &Path) -> Vec<Produced> {
    let recorded = eventlab::trace::read::read_file(trace).expect("the tap's trace reads back");
    let t = &recorded.trace;
    let mut seen: Vec<Produced> = (t.steps.iter())
        .filter(|s| s.kind == eventlab::trace::StepKind::Published)
        .map(|s| {
            let e = t.event_of(s);
            Produced {
                id: e.id.render(&t.strings),
                partition: s.partition_idx().index() as u32,
                offset: s.offset,
                causation: e.cause.map(|c| t.event(c).id.render(&t.strings)),
            }
        })
        .collect();
    seen.sort();
    seen
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventlab-broker-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

#[test]
fn a_tap_records_every_record_at_kafkas_partition_and_offset_with_its_chain_and_the_lag_drains() {
    let (Some(broker), Some(python)) = (broker(), python()) else { return };
    let (topic, group) = (unique("tap-orders"), unique("tap-billing"));
    let produced = traffic(&python, &broker, &topic, &group, 12, true);
    assert_eq!(produced.len(), 12);
    let trace = scratch("tap").join("tap.jsonl");
    let out = eventlab()
        .args(["tap", "--brokers", &broker, "--topics", &topic, "--groups", &group, "--for", "4s", "--json", "--trace"])
        .arg(&trace)
        .output()
        .expect("eventlab runs");
    assert!(out.status.success(), "tap failed: {}", String::from_utf8_lossy(&out.stderr));
    // Every record, where Kafka put it, chained as its headers say.
    assert_eq!(published(&trace), produced);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("one JSON summary");
    let figures = &summary["groups"][group.as_str()];
    assert_eq!(figures["delivered"], 12, "{summary}");
    // Read first, committed next: the lag rose as the records came in, then drained to 0.
    assert!(figures["max_lag"].as_u64().is_some_and(|lag| lag >= 1), "{summary}");
    assert_eq!(figures["final_lag"], 0, "{summary}");
    assert_eq!(summary["totals"]["duplicate_deliveries"], 0, "{summary}");
    // The header says where it came from; replay reads the same run.
    let header = std::fs::read_to_string(&trace).expect("the trace");
    assert!(header.lines().next().is_some_and(|h| h.contains(r#""source":"tap""#) && h.contains(&broker)));
    let again = eventlab().arg("replay").arg(&trace).arg("--json").output().expect("eventlab runs");
    let replayed: Value = serde_json::from_slice(&again.stdout).expect("one JSON summary");
    assert_eq!(replayed["groups"], summary["groups"]);
}

#[test]
fn a_tap_started_first_sees_a_new_topic_and_group_as_they_come() {
    let (Some(broker), Some(python)) = (broker(), python()) else { return };
    let (topic, group) = (unique("live-orders"), unique("live-billing"));
    let trace = scratch("live").join("live.jsonl");
    // A tap refuses a cluster with no topic at all, which a fresh broker is when this test
    // runs first: a topic of its own is there before the tap starts.
    traffic(&python, &broker, &unique("live-before"), &unique("live-before"), 1, false);
    let mut tap = eventlab()
        .args(["tap", "--brokers", &broker, "--for", "9s", "--headless", "--trace"])
        .arg(&trace)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("eventlab runs");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let produced = traffic(&python, &broker, &topic, &group, 6, true);
    let status = tap.wait().expect("the tap ends");
    assert!(status.success(), "the tap ended with {status}");
    let recorded = published(&trace);
    let ours: Vec<Produced> = recorded.into_iter().filter(|p| p.id.starts_with("order-")).collect();
    // Only this test's records (other tests' topics may be tapped too): by their partition and offset.
    for p in &produced {
        assert!(ours.contains(p), "{p:?} missing from the tap's trace");
    }
    let text = std::fs::read_to_string(&trace).expect("the trace");
    let definition = text.lines().next().expect("a header");
    assert!(definition.contains(&topic) && definition.contains(&group), "{definition}");
    let committed = format!(r#""kind":"committed","topic":"{topic}""#);
    assert!(text.lines().any(|l| l.contains(&committed) && l.contains(&group)), "no commit of {group}");
}

#[test]
fn a_tap_names_what_it_cannot_find() {
    let Some(broker) = broker() else { return };
    let fails = |args: &[&str]| {
        let out = eventlab().args(args).output().expect("eventlab runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        stderr
    };
    let topic = unique("missing");
    let e = fails(&["tap", "--brokers", &broker, "--topics", &topic, "--headless"]);
    assert!(e.starts_with(&format!("unknown topic \"{topic}\"")), "{e}");
    let e = fails(&["tap", "--brokers", &broker, "--groups", "nobody-here", "--headless"]);
    assert!(e.starts_with("unknown consumer group \"nobody-here\""), "{e}");
    let e = fails(&["tap", "--brokers", "localhost", "--headless"]);
    assert!(e.contains("is not HOST:PORT"), "{e}");
}
