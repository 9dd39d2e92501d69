//! `eventlab export`: every format checked by what reads it. Mermaid by the real Mermaid
//! library (node, `tests/tools/mermaid-parse.mjs`), SVG as XML and by a standard renderer
//! (`rsvg-convert`), OTLP by the OpenTelemetry protobuf definitions
//! (`tests/tools/otlp-parse.py`) and its span parents against the trace's causation ids,
//! Perfetto against the trace-event format's required fields. Every export is checked to
//! be deterministic, from a lesson and from its recorded trace alike.
//!
//! The outside tools: `.ci/run` installs them (npm's `mermaid` and `jsdom` into
//! `$EVENTLAB_NPM`, `opentelemetry-proto` into the venv `$EVENTLAB_VENV`, Debian's
//! `librsvg2-bin`). Without them a check is skipped with its reason printed; under `CI=true`
//! a missing tool fails the test instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use eventlab::export::{Format, Options, Run, to_bytes};
use eventlab::run::source::{Request, Source, compute};
use eventlab::scenario::limits::Limits;
use serde_json::Value;

use crate::cli::eventlab;

fn source(target: &str) -> Source {
    compute(&Request { target, ..Request::default() }, &Limits::default()).expect("computes").0
}

fn options(format: Format, correlation: Option<&str>) -> Options {
    let mut options = Options::new(format);
    options.correlation = correlation.map(str::to_owned);
    options
}

fn export(source: &Source, format: Format, correlation: Option<&str>) -> Vec<u8> {
    to_bytes(&Run::of(&source.run), &options(format, correlation)).expect("exports")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// A scratch folder for this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eventlab-export-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// Whether to go on without an outside tool: prints why it is skipped, or fails under
/// `CI=true`.
fn missing(what: &str) -> bool {
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{what} is missing under CI=true: .ci/run installs it");
    eprintln!("skipped: {what} is missing (.ci/run installs it)");
    true
}

fn home_cache(var: &str, leaf: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(
        || Path::new(&std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache").join(leaf),
        PathBuf::from,
    )
}

fn tool(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools").join(name)
}

/// Lessons small enough to draw whole, and a chain of each bigger one.
const SMALL: [&str; 4] = ["fan-out", "crash-duplicates", "order-saga", "poison-message"];

/// A scenario whose free-text names hold every mark Mermaid, XML and JSON give a meaning.
const WEIRD: &str = r#"{"name": "Weird <names> & \"quotes\"; #1 %% end", "seed": 1, "duration": "1s",
 "topics": [{"name": "orders", "partitions": 2}],
 "producers": [{"name": "shop", "topic": "orders", "rate": 5, "keys": {"prefix": "k:#;<", "cardinality": 3},
   "events": [{"type": "Order<Created>;#x"}]}],
 "events": [{"at": "100ms", "topic": "orders", "type": "Odd", "key": "a;b#c", "id": "id;#<&>\"%%end:x\n"}],
 "consumers": [{"name": "billing", "topics": ["orders"], "instances": 2, "processing": "20ms", "handles": {"*": {}}}]}"#;

fn weird() -> (PathBuf, Source) {
    let path = scratch("weird").join("weird.json");
    std::fs::write(&path, WEIRD).unwrap();
    let source = source(path.to_str().unwrap());
    (path, source)
}

/// Every format, twice from the lesson and once from its recorded trace: the same bytes.
#[test]
fn every_export_is_deterministic_and_the_same_from_a_trace() {
    let dir = scratch("determinism");
    for lesson in ["crash-duplicates", "order-saga"] {
        let a = source(lesson);
        let b = source(lesson);
        let path = dir.join(format!("{lesson}.jsonl"));
        let Run { model, trace, .. } = Run::of(&a.run);
        eventlab::trace::file::Target::resolve(&path).unwrap().write(model, trace, true).unwrap();
        let recorded = source(path.to_str().unwrap());
        for format in Format::ALL {
            let correlation = (format != Format::Csv).then_some("evt-000003");
            for correlation in [None, correlation] {
                let first = export(&a, format, correlation);
                assert!(!first.is_empty());
                assert_eq!(first, export(&b, format, correlation), "{lesson} {format:?} twice");
                assert_eq!(first, export(&recorded, format, correlation), "{lesson} {format:?} from its trace");
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Mermaid files of lessons (whole, and a chain), and of the scenario with odd names, as
/// the Mermaid library parses them.
#[test]
fn mermaid_parses_in_the_mermaid_library() {
    let dir = scratch("mermaid");
    let mut files = Vec::new();
    let mut write = |name: &str, bytes: Vec<u8>| {
        let path = dir.join(format!("{name}.mmd"));
        std::fs::write(&path, bytes).unwrap();
        files.push(path);
    };
    for lesson in SMALL {
        let s = source(lesson);
        write(lesson, export(&s, Format::Mermaid, None));
        write(&format!("{lesson}-chain"), export(&s, Format::Mermaid, Some("evt-000002")));
    }
    for lesson in ["consumer-groups", "hot-key", "late-joiner"] {
        write(&format!("{lesson}-chain"), export(&source(lesson), Format::Mermaid, Some("evt-000001")));
    }
    let (_, odd) = weird();
    write("weird", export(&odd, Format::Mermaid, None));
    let text = text(&std::fs::read(dir.join("weird.mmd")).unwrap());
    assert!(text.contains("Order#60;Created#62;#59;#35;x") && !text.contains("<Created>"), "{text}");
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.starts_with("sequenceDiagram\n"));
        let arrows = text.lines().filter(|l| l.contains("->>")).count();
        assert!(arrows <= eventlab::export::mermaid::MAX_ARROWS, "{}", file.display());
    }
    let crash = std::fs::read_to_string(dir.join("crash-duplicates.mmd")).unwrap();
    for note in ["Note over p4: crashed", "delivered twice: evt-000032 (billing)", "duplicate effect: evt-000032"] {
        assert!(crash.contains(note), "{note} in {crash}");
    }
    if Command::new("node").arg("--version").output().is_err() && missing("node") {
        return;
    }
    let npm = home_cache("EVENTLAB_NPM", "eventlab-npm");
    let out =
        Command::new("node").arg(tool("mermaid-parse.mjs")).args(&files).env("EVENTLAB_NPM", &npm).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.code() == Some(3) && missing(&format!("mermaid or jsdom in {}", npm.display())) {
        return;
    }
    assert!(out.status.success(), "Mermaid refused a diagram:\n{said}");
    assert_eq!(said.lines().filter(|l| l.starts_with("ok ")).count(), files.len(), "{said}");
    let _ = std::fs::remove_dir_all(dir);
}

/// SVG files are XML with the marks the diagram promises, and a standard renderer draws them.
#[test]
fn svg_is_xml_and_rsvg_renders_it() {
    let dir = scratch("svg");
    let mut files = Vec::new();
    for lesson in SMALL {
        let s = source(lesson);
        for (name, correlation) in [(lesson.to_owned(), None), (format!("{lesson}-chain"), Some("evt-000002"))] {
            let bytes = export(&s, Format::Svg, correlation);
            let svg = text(&bytes);
            let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: not XML: {e}"));
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
            assert!(root.attribute("width").is_some() && root.attribute("viewBox").is_some());
            let path = dir.join(format!("{name}.svg"));
            std::fs::write(&path, bytes).unwrap();
            files.push(path);
        }
    }
    let (_, odd) = weird();
    let svg = text(&export(&odd, Format::Svg, None));
    roxmltree::Document::parse(&svg).expect("odd names are escaped");
    assert!(svg.contains("Order&lt;Created&gt;;#x") && svg.contains("&amp; &quot;quotes&quot;"));
    let path = dir.join("weird.svg");
    std::fs::write(&path, &svg).unwrap();
    files.push(path);
    let crash = std::fs::read_to_string(dir.join("crash-duplicates.svg")).unwrap();
    for mark in [
        "crashed",
        "billing rebalanced",
        "delivered twice: evt-000032",
        ">publish<",
        ">delivery, bus route<",
        ">finding<",
    ] {
        assert!(crash.contains(mark), "{mark}");
    }
    if Command::new("rsvg-convert").arg("--version").output().is_err() && missing("rsvg-convert (librsvg2-bin)") {
        return;
    }
    for file in &files {
        let png = file.with_extension("png");
        let out = Command::new("rsvg-convert").arg(file).arg("-o").arg(&png).output().unwrap();
        assert!(out.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 1000, "{}", png.display());
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    let attrs = span["attributes"].as_array()?;
    let found = attrs.iter().find(|a| a["key"] == key)?;
    found["value"].as_object()?.values().next()
}

fn spans(otlp: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for rs in otlp["resourceSpans"].as_array().expect("resourceSpans") {
        for ss in rs["scopeSpans"].as_array().expect("scopeSpans") {
            out.extend(ss["spans"].as_array().expect("spans"));
        }
    }
    out
}

/// Each span's parent is the processing of its event's causation event, in the same trace;
/// a trace per correlation id; times from the epoch.
#[test]
fn otlp_spans_follow_causation_and_parse_as_traces_data() {
    let dir = scratch("otlp");
    let mut files = Vec::new();
    for lesson in ["order-saga", "order-pipeline", "crash-duplicates", "thin-notifications"] {
        let s = source(lesson);
        let bytes = export(&s, Format::Otlp, None);
        let otlp: Value = serde_json::from_slice(&bytes).expect("JSON");
        let spans = spans(&otlp);
        assert!(!spans.is_empty(), "{lesson}");
        let by_id: BTreeMap<&str, &Value> = spans.iter().map(|s| (s["spanId"].as_str().unwrap(), *s)).collect();
        assert_eq!(by_id.len(), spans.len(), "{lesson}: span ids are unique");
        let mut parents = 0;
        let mut traces: BTreeMap<&str, &str> = BTreeMap::new();
        for span in &spans {
            let correlation = attr(span, "eventlab.correlation_id").and_then(Value::as_str).unwrap();
            let trace_id = span["traceId"].as_str().unwrap();
            assert_eq!(trace_id.len(), 32);
            assert_eq!(*traces.entry(correlation).or_insert(trace_id), trace_id, "one trace per correlation id");
            assert_eq!(trace_id, eventlab::export::otlp::trace_id(correlation));
            let start: u64 = span["startTimeUnixNano"].as_str().unwrap().parse().unwrap();
            let end: u64 = span["endTimeUnixNano"].as_str().unwrap().parse().unwrap();
            assert!(start >= eventlab::export::DEFAULT_EPOCH_NANOS && end >= start);
            match attr(span, "eventlab.causation_id").and_then(Value::as_str) {
                Some(cause) => {
                    let parent = by_id[span["parentSpanId"].as_str().expect("an emitted event's span has a parent")];
                    assert_eq!(attr(parent, "messaging.message.id").and_then(Value::as_str), Some(cause));
                    assert_eq!(parent["traceId"], span["traceId"]);
                    assert!(parent["endTimeUnixNano"].as_str().unwrap().parse::<u64>().unwrap() <= start);
                    parents += 1;
                }
                None => assert!(span.get("parentSpanId").is_none(), "a producer's event has no parent span"),
            }
            assert_eq!(span["kind"], 5);
            assert!(attr(span, "messaging.system").is_some() && attr(span, "messaging.destination.name").is_some());
        }
        if lesson.starts_with("order-") {
            assert!(parents > 0, "{lesson}: emitted events are processed, so some spans have parents");
        }
        let path = dir.join(format!("{lesson}.json"));
        std::fs::write(&path, &bytes).unwrap();
        files.push(path);
    }
    // --epoch moves every time by the same amount.
    let s = source("order-saga");
    let mut later = options(Format::Otlp, None);
    later.epoch_nanos = eventlab::export::parse_epoch("2026-01-01T00:00:01Z").unwrap();
    let moved: Value = serde_json::from_slice(&to_bytes(&Run::of(&s.run), &later).unwrap()).unwrap();
    let base: Value = serde_json::from_slice(&export(&s, Format::Otlp, None)).unwrap();
    let first = |v: &Value| spans(v)[0]["startTimeUnixNano"].as_str().unwrap().parse::<u64>().unwrap();
    assert_eq!(first(&moved) - first(&base), 1_000_000_000);
    let python = home_cache("EVENTLAB_VENV", "eventlab-venv").join("bin/python");
    if !python.exists() && missing(&format!("the venv with opentelemetry-proto ({})", python.display())) {
        return;
    }
    let out = Command::new(&python).arg(tool("otlp-parse.py")).args(&files).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.code() == Some(3) && missing("opentelemetry-proto") {
        return;
    }
    assert!(out.status.success(), "TracesData refused a file:\n{said}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The trace-event format's required fields, flows that pair up, and a lane per instance.
#[test]
fn perfetto_has_the_required_fields_and_flows_pair_up() {
    for lesson in ["crash-duplicates", "order-saga", "poison-message"] {
        let s = source(lesson);
        let json: Value = serde_json::from_slice(&export(&s, Format::Perfetto, None)).expect("JSON");
        assert_eq!(json["displayTimeUnit"], "ms");
        let events = json["traceEvents"].as_array().unwrap();
        let mut starts = BTreeMap::new();
        let mut finishes = BTreeMap::new();
        let mut threads = 0;
        for e in events {
            let ph = e["ph"].as_str().expect("ph");
            assert!(e["pid"].is_u64() && e["tid"].is_u64() && e["name"].is_string(), "{e}");
            if ph != "M" {
                assert!(e["ts"].is_u64(), "{e}");
            }
            match ph {
                "X" => assert!(e["dur"].is_u64(), "{e}"),
                "s" => assert!(starts.insert(e["id"].as_u64().unwrap(), e["ts"].as_u64().unwrap()).is_none()),
                "f" => {
                    assert_eq!(e["bp"], "e");
                    assert!(finishes.insert(e["id"].as_u64().unwrap(), e["ts"].as_u64().unwrap()).is_none());
                }
                "i" => assert!(matches!(e["s"].as_str(), Some("t" | "p" | "g")), "{e}"),
                "C" => assert!(e["args"]["lag"].is_u64(), "{e}"),
                "M" => {
                    assert!(e["args"]["name"].is_string() || e["args"]["sort_index"].is_u64());
                    threads += usize::from(e["name"] == "thread_name");
                }
                other => panic!("unexpected phase {other}"),
            }
        }
        assert!(!starts.is_empty() && threads > 0, "{lesson}");
        assert_eq!(starts.keys().collect::<Vec<_>>(), finishes.keys().collect::<Vec<_>>(), "every flow ends");
        assert!(starts.iter().all(|(id, t)| finishes[id] >= *t), "a flow never goes back in time");
    }
}

/// The CSV's last row of each group is the run's summary.
#[test]
fn csv_ends_on_the_summary() {
    let s = source("crash-duplicates");
    let csv = text(&export(&s, Format::Csv, None));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[..6], ["t_ms", "group", "lag", "delivered", "effects", "duplicate_effects"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0][0], "100");
    assert!(rows.windows(2).all(|w| w[0][0].parse::<f64>().unwrap() <= w[1][0].parse::<f64>().unwrap()));
    let last = rows.last().unwrap();
    let summary = eventlab::report::summary_json(&s.run);
    let group = &summary["groups"][last[1]];
    for (i, name) in header.iter().enumerate().skip(2) {
        let key = if *name == "lag" { "final_lag" } else { name };
        assert_eq!(last[i], group[key].to_string(), "{name}");
    }
    let mut every_second = options(Format::Csv, None);
    every_second.bucket_us = 1_000_000;
    let coarse = text(&to_bytes(&Run::of(&s.run), &every_second).unwrap());
    assert_eq!(coarse.lines().nth(1).unwrap().split(',').next(), Some("1000"));
}

/// Insta snapshots of the two diagrams for two lessons, each narrowed to one chain.
#[test]
fn diagram_snapshots() {
    for (lesson, correlation) in [("fan-out", "evt-000001"), ("crash-duplicates", "evt-000032")] {
        let s = source(lesson);
        let name = lesson.replace('-', "_");
        insta::assert_snapshot!(format!("{name}_mermaid"), text(&export(&s, Format::Mermaid, Some(correlation))));
        insta::assert_snapshot!(format!("{name}_svg"), text(&export(&s, Format::Svg, Some(correlation))));
    }
}

fn run_cli(args: &[&str]) -> std::process::Output {
    eventlab().current_dir(env!("CARGO_MANIFEST_DIR")).args(args).output().expect("the binary starts")
}

#[track_caller]
fn refused(args: &[&str], needle: &str) {
    let out = run_cli(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err:?}");
    assert!(!err.contains("panicked"));
    assert!(err.contains(needle), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}: nothing written");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    refused(&["export", "fan-out", "--format", "png"], "unknown export format \"png\": use mermaid, svg");
    refused(&["export", "consumer-groups", "--format", "mermaid"], "narrow it with --correlation");
    refused(&["export", "fan-out", "--format", "svg", "--from", "soon"], "--from");
    refused(&["export", "fan-out", "--format", "svg", "--from", "2s", "--to", "1s"], "after --to");
    refused(&["export", "fan-out", "--format", "svg", "--correlation", "evt-999999"], "no event of this run");
    refused(&["export", "fan-out", "--format", "csv", "--correlation", "evt-000001"], "per group");
    refused(&["export", "fan-out", "--format", "csv", "--bucket", "0ms"], "--bucket");
    refused(&["export", "fan-out", "--format", "otlp", "--epoch", "yesterday"], "--epoch");
    refused(&["export", "no-such-lesson", "--format", "svg"], "no such file or built-in lesson");
    refused(&["export", "fan-out", "--format", "svg", "--out", "/no/such/folder/x.svg"], "cannot write");
}

/// `--out` writes what standard output would get, and a narrowed diagram is part of the
/// whole.
#[test]
fn out_writes_the_same_bytes_as_stdout() {
    let dir = scratch("out");
    let path = dir.join("chain.mmd");
    let args = ["export", "crash-duplicates", "--format", "mermaid", "--correlation", "evt-000032"];
    let stdout = run_cli(&args);
    assert!(stdout.status.success());
    let mut with_out = args.to_vec();
    let p = path.to_str().unwrap();
    with_out.extend(["--out", p]);
    let written = run_cli(&with_out);
    assert!(written.status.success() && written.stdout.is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), stdout.stdout);
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    let window = run_cli(&["export", "crash-duplicates", "--format", "mermaid", "--from", "3.7s", "--to", "3.9s"]);
    let window = text(&window.stdout);
    assert!(window.contains("crashed") && window.contains("delivered twice: evt-000032"), "{window}");
    assert!(!window.contains("evt-000001 "), "{window}");
    let _ = std::fs::remove_dir_all(dir);
}

fn screen(app: &eventlab::tui::App) -> eventlab::tui::export::Screen<'_> {
    eventlab::tui::export::Screen {
        run: Run { model: app.model(), trace: app.trace(), analysis: app.analysis(), end: app.step_number() },
        chains: app.view == eventlab::tui::views::View::Chains,
        focus_event: app.focus_event,
    }
}

/// The TUI's `x`: in Chains the chain shown as Mermaid, elsewhere the window as SVG, to a new
/// file each time, and the status line says where.
#[test]
fn the_tui_key_exports_what_is_on_screen() {
    use eventlab::tui::action::Action;
    use eventlab::tui::views::View;
    let dir = scratch("tui");
    let lesson = eventlab::lessons::find("crash-duplicates").unwrap();
    let scenario = eventlab::scenario::load::load_str(lesson.source, "crash-duplicates", &Limits::default()).unwrap();
    let mut app = eventlab::tui::App::new("crash-duplicates".into(), None, scenario, None, Limits::default()).unwrap();
    assert!(eventlab::tui::export::export_screen(&screen(&app), &dir).starts_with("nothing to export yet"));
    app.apply(Action::RunToEnd);
    app.view = View::Chains;
    let strings = &app.trace().strings;
    app.focus_event = app
        .trace()
        .events
        .iter()
        .position(|e| e.id.render(strings) == "evt-000032")
        .map(eventlab::trace::EventIdx::new);
    let said = eventlab::tui::export::export_screen(&screen(&app), &dir);
    let path = dir.join("eventlab-crash-mid-interval-duplicate-effects-seed0-chain-evt-000032.mmd");
    assert_eq!(said, format!("chain evt-000032 exported to {}", path.display()));
    let mermaid = std::fs::read_to_string(&path).unwrap();
    assert!(mermaid.starts_with("sequenceDiagram") && mermaid.contains("delivered twice: evt-000032"), "{mermaid}");
    // Again: a new file beside it, the first kept.
    let again = eventlab::tui::export::export_screen(&screen(&app), &dir);
    assert!(again.ends_with("-chain-evt-000032-2.mmd"), "{again}");
    app.view = View::Flow;
    let said = eventlab::tui::export::export_screen(&screen(&app), &dir);
    assert!(said.contains("(the last 200 steps) exported to") && said.ends_with("ms.svg"), "{said}");
    let svg = std::fs::read_dir(&dir).unwrap().flatten().find(|e| e.path().extension().is_some_and(|x| x == "svg"));
    let svg = std::fs::read_to_string(svg.expect("an SVG file").path()).unwrap();
    roxmltree::Document::parse(&svg).expect("XML");
    let _ = std::fs::remove_dir_all(dir);
}
