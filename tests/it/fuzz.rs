//! Mutational fuzzing of the scenario loader and validator, and of the trace reader, on
//! stable Rust with proptest: every `scenarios/*.json` and traces recorded here from some of
//! them are damaged (bits flipped, bytes inserted and deleted, JSON fragments spliced in,
//! numbers replaced by huge or negative ones, keys repeated) and loaded. Nothing may panic;
//! every error is one line without control characters, of bounded length; a scenario that
//! loads runs under small limits (200 000 steps, 64 MiB), so time and memory stay bounded.
//!
//! The default number of cases keeps the test well under a minute in a debug build; set
//! `EVENTLAB_FUZZ_CASES=N` for more (e.g. `EVENTLAB_FUZZ_CASES=5000 cargo test --release
//! --test it fuzz`). A failure prints the case, and proptest shrinks it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::OnceLock;

use eventlab::scenario::load::{Limits, load_str};
use eventlab::trace::jsonl;
use eventlab::trace::read::read;
use proptest::prelude::*;

use crate::bad_input::assert_safe_line;

/// Cases per test unless `EVENTLAB_FUZZ_CASES` says otherwise.
const DEFAULT_CASES: u32 = 256;

/// The limits a loaded mutant runs under: small enough for a test, large enough for every
/// lesson as written.
fn small_limits() -> Limits {
    Limits { max_steps: 200_000, max_memory: 64 << 20 }
}

fn cases() -> u32 {
    std::env::var("EVENTLAB_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_CASES)
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() }
}

fn scenario_files() -> &'static Vec<(String, Vec<u8>)> {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .expect("scenarios/")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .map(|path| (path.display().to_string(), std::fs::read(&path).expect("readable")))
            .collect();
        files.sort();
        assert!(files.len() >= 10, "{} scenario files", files.len());
        files
    })
}

/// Traces recorded here, headless, from the smaller scenario files.
fn traces() -> &'static Vec<Vec<u8>> {
    static TRACES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    TRACES.get_or_init(|| {
        let mut traces = Vec::new();
        for (origin, bytes) in scenario_files() {
            let text = std::str::from_utf8(bytes).expect("UTF-8");
            let scenario = load_str(text, origin, &Limits::default()).expect("a scenario file loads");
            if eventlab::scenario::validate::estimate_steps(&scenario) > 5_000 {
                continue;
            }
            let outcome = eventlab::run::run(scenario, None, Limits::default().step_cap()).expect("runs");
            let mut out = Vec::new();
            jsonl::write(&mut out, outcome.sim.model(), outcome.sim.trace(), true).expect("writes to memory");
            traces.push(out);
            if traces.len() == 4 {
                break;
            }
        }
        assert!(!traces.is_empty());
        traces
    })
}

/// JSON fragments spliced in: structure, extreme numbers, control characters, keys.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "-1",
    "0",
    "1e308",
    "-1e308",
    "18446744073709551615",
    "99999999999999999999999999",
    "4294967296",
    "0.0000001",
    "\"0s\"",
    "\"1 ms\"",
    "\"1\\ns\"",
    "\"\\u001b[2J\"",
    "\"\\n\"",
    "\"{data.x}\"",
    "\"{n}\"",
    "{\"uniform\": [1, 2]}",
    "{\"exponential\": \"1ms\"}",
    "\"name\": \"x\",",
    "\"partitions\": 10000,",
    "\"instances\": 1000,",
    "\"cardinality\": 1000000000,",
    "\"processing\": \"0s\",",
    "\"rate\": 1e300,",
    "\"duration\": \"1h\",",
    "\"\u{202e}\"",
    "\u{0}",
    "\u{ff}",
];

const HUGE: &[&str] =
    &["0", "-1", "-9223372036854775808", "4294967295", "18446744073709551615", "1e308", "1e-308", "NaN", "1.5"];

/// A position in whatever is mutated: taken modulo its length.
#[derive(Clone, Copy, Debug)]
struct At(usize);

impl At {
    fn index(self, len: usize) -> usize {
        if len == 0 { 0 } else { self.0 % len }
    }
}

impl Arbitrary for At {
    type Parameters = ();
    type Strategy = proptest::strategy::Map<proptest::num::usize::Any, fn(usize) -> At>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        any::<usize>().prop_map(At)
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(At, u8),
    Insert(At, u8),
    Delete(At, u16),
    Splice(At, usize),
    /// The nth number becomes one of [`HUGE`].
    Number(At, usize),
    /// The nth `"key":` is written again right after its value's start... as a second key.
    DuplicateKey(At),
    /// A copy of a random slice pasted at another place.
    Copy(At, u16, At),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<At>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
        (any::<At>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert(at, byte)),
        (any::<At>(), 1u16..64).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<At>(), 0..FRAGMENTS.len()).prop_map(|(at, f)| Mutation::Splice(at, f)),
        (any::<At>(), 0..HUGE.len()).prop_map(|(at, h)| Mutation::Number(at, h)),
        any::<At>().prop_map(Mutation::DuplicateKey),
        (any::<At>(), 1u16..200, any::<At>()).prop_map(|(from, n, to)| Mutation::Copy(from, n, to)),
    ]
}

/// Byte ranges of the JSON numbers in `bytes` (outside strings, roughly: good enough to aim).
fn numbers(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut i, mut in_string) = (0, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\\' {
                i += 1;
            } else if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
        } else if b == b'-' || b.is_ascii_digit() {
            let start = i;
            while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                i += 1;
            }
            out.push((start, i));
            continue;
        }
        i += 1;
    }
    out
}

/// Byte ranges of `"key":` (a string followed by a colon).
fn keys(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while i < bytes.len() && bytes[i] != b'"' {
            if bytes[i] == b'\\' {
                i += 1;
            }
            i += 1;
        }
        i += 1;
        let mut j = i;
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b':' {
            out.push((start, j + 1));
        }
    }
    out
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len();
    match mutation {
        Mutation::FlipBit(at, bit) if len > 0 => bytes[at.index(len)] ^= 1 << bit,
        Mutation::Insert(at, byte) => bytes.insert(at.index(len + 1), *byte),
        Mutation::Delete(at, n) if len > 0 => {
            let start = at.index(len);
            let end = (start + usize::from(*n)).min(len);
            bytes.drain(start..end);
        }
        Mutation::Splice(at, f) => {
            let at = at.index(len + 1);
            bytes.splice(at..at, FRAGMENTS[*f].bytes());
        }
        Mutation::Number(at, h) => {
            let found = numbers(bytes);
            if !found.is_empty() {
                let (start, end) = found[at.index(found.len())];
                bytes.splice(start..end, HUGE[*h].bytes());
            }
        }
        Mutation::DuplicateKey(at) => {
            let found = keys(bytes);
            if !found.is_empty() {
                let (start, end) = found[at.index(found.len())];
                // `"k": V` becomes `"k": null, "k": V`.
                let mut copy: Vec<u8> = bytes[start..end].to_vec();
                copy.extend_from_slice(b" null, ");
                bytes.splice(start..start, copy);
            }
        }
        Mutation::Copy(from, n, to) if len > 0 => {
            let start = from.index(len);
            let end = (start + usize::from(*n)).min(len);
            let piece: Vec<u8> = bytes[start..end].to_vec();
            let to = to.index(len + 1);
            bytes.splice(to..to, piece);
        }
        _ => {}
    }
}

/// Loads a mutated scenario under small limits and, when it loads, runs it.
fn check_scenario(origin: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let limits = small_limits();
        match load_str(&text, origin, &limits) {
            Err(e) => assert_safe_line(&e.to_string()),
            Ok(scenario) => {
                if let Err(e) = eventlab::run::run(scenario, None, limits.step_cap()) {
                    assert_safe_line(&e.to_string());
                }
            }
        }
    }));
    if let Err(panic) = outcome {
        let message =
            panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()));
        panic!("{origin}: a panic ({message:?}) on:\n{text}");
    }
}

fn check_trace(bytes: &[u8]) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if let Err(e) = read(bytes, "t.jsonl") {
            assert_safe_line(&e.to_string());
        }
    }));
    if let Err(panic) = outcome {
        let message =
            panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()));
        panic!("a panic ({message:?}) reading:\n{}", String::from_utf8_lossy(bytes));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_scenarios_never_panic_and_fail_in_one_safe_line(
        file in any::<At>(),
        mutations in proptest::collection::vec(mutation(), 1..=4),
    ) {
        let files = scenario_files();
        let (origin, original) = &files[file.index(files.len())];
        let mut bytes = original.clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check_scenario(origin, &bytes);
    }

    #[test]
    fn mutated_traces_never_panic_and_fail_in_one_safe_line(
        trace in any::<At>(),
        mutations in proptest::collection::vec(mutation(), 1..=4),
    ) {
        let traces = traces();
        let mut bytes = traces[trace.index(traces.len())].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        check_trace(&bytes);
    }
}

#[test]
fn the_mutations_do_what_they_say() {
    let mut bytes = br#"{"a": 12, "b": [1.5]}"#.to_vec();
    apply(&mut bytes, &Mutation::Number(At(0), 4));
    assert_eq!(String::from_utf8_lossy(&bytes), r#"{"a": 18446744073709551615, "b": [1.5]}"#);
    apply(&mut bytes, &Mutation::DuplicateKey(At(1)));
    assert_eq!(String::from_utf8_lossy(&bytes), r#"{"a": 18446744073709551615, "b": null, "b": [1.5]}"#);
}
