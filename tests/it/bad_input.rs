//! Bad input of every class gets one exact, one-line message, and no input panics.

use std::io::Write as _;

use eventlab::scenario::load::{Limits, load_file, load_str};
use serde_json::{Value, json};

/// A valid scenario that touches most of the format, as a base for mutations.
fn base() -> Value {
    json!({
        "$schema": "../assets/scenario.schema.json",
        "name": "shop",
        "description": "a base for mutations",
        "seed": 7,
        "duration": "10s",
        "topics": [
            {"name": "orders", "kind": "log", "partitions": 3},
            {"name": "payments", "kind": "queue"},
            {"name": "emails"}
        ],
        "producers": [{
            "name": "shop", "topic": "orders", "rate": 5, "arrival": "fixed", "start": "0s", "stop": "5s",
            "count": 20, "keys": {"prefix": "order-", "cardinality": 4, "distribution": "zipf", "zipf_s": 1.2},
            "events": [
                {"type": "OrderCreated", "weight": 3, "data": {"total": {"uniform": [10, 200]}, "n": "{n}"},
                 "headers": {"origin": "web-{n}"}},
                {"type": "OrderCancelled", "weight": 1, "schema_version": 2}
            ]
        }],
        "events": [{"at": "1s", "topic": "orders", "type": "OrderCreated", "key": "order-9", "data": {"total": 5}}],
        "consumers": [
            {"name": "billing", "group": "billing-group", "topics": ["orders"], "instances": 2,
             "processing": {"uniform": ["1ms", "3ms"]}, "commit": {"interval": "1s"}, "from": "earliest",
             "start": "0s",
             "handles": {
                 "OrderCreated": {"emit": [{"topic": "payments", "type": "PaymentRequested", "key": "{key}",
                                            "data": {"orderId": "{key}", "total": "{data.total}"},
                                            "headers": {"cause": "{id}"}, "delay": "5ms"}]},
                 "OrderCancelled": {"outcomes": [{"weight": 9, "emit": []}, {"weight": 1, "fail": true}]},
                 "*": {}
             }},
            {"name": "payer", "topics": ["payments"], "processing": {"exponential": "2ms"},
             "handles": {"PaymentRequested": {"emit": [{"topic": "emails", "type": "Receipt"}]}}}
        ],
        "expect": [
            {"metric": "duplicate_effects", "group": "billing-group", "equals": 0},
            {"metric": "published", "topic": "orders", "at_least": 1},
            {"metric": "max_lag", "at_most": 100}
        ],
        "notes": [{"at": "0s", "text": "watch the lag"}]
    })
}

fn load(value: &Value) -> Result<(), String> {
    load_str(&value.to_string(), "t.json", &Limits::default()).map(drop).map_err(|e| e.to_string())
}

/// The error for `base()` changed by `edit`.
fn error_with(edit: impl FnOnce(&mut Value)) -> String {
    let mut value = base();
    edit(&mut value);
    let message = load(&value).expect_err("the edited scenario should be refused");
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

fn text_error(text: &str) -> String {
    load_str(text, "t.json", &Limits::default()).map(drop).expect_err("refused").to_string()
}

#[test]
fn the_base_scenario_is_valid() {
    assert_eq!(load(&base()), Ok(()));
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.json");
    let error = load_file(&path, &Limits::default()).unwrap_err();
    assert_eq!(error.to_string(), format!("{}: cannot read: no such file", path.display()));
}

#[test]
fn directory() {
    let dir = tempfile::tempdir().unwrap();
    let error = load_file(dir.path(), &Limits::default()).unwrap_err();
    assert_eq!(error.to_string(), format!("{}: cannot read: is a directory", dir.path().display()));
}

#[test]
fn invalid_utf8() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"{\n  \"name\": \"caf\xe9\"\n}\n").unwrap();
    let error = load_file(file.path(), &Limits::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("{}: not UTF-8 text (invalid byte at line 2, column 15)", file.path().display())
    );
}

#[test]
fn a_valid_file_loads() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(base().to_string().as_bytes()).unwrap();
    assert!(load_file(file.path(), &Limits::default()).is_ok());
}

#[test]
fn syntax_error_has_line_and_column() {
    assert_eq!(text_error("{\n  \"name\": \"x\"\n  \"duration\": 1\n}"), "t.json:3:3: expected `,` or `}`");
    assert_eq!(
        text_error("{\"name\": \"x\",\n \"duration\": 1,\n}"),
        "t.json:3:1: trailing comma (JSON allows no comma before ] or })"
    );
    let trailing = format!("{}\n}}", base());
    assert_eq!(text_error(&trailing), "t.json:2:1: unexpected text after the end of the scenario's object");
    assert_eq!(text_error("  "), "t.json:1:1: the file is empty; a scenario is a JSON object");
    assert_eq!(text_error("\n [1]"), "t.json:2:2: a scenario is a JSON object ({...}), found an array");
    // Columns count characters, not bytes.
    assert_eq!(text_error("{\"name\": \"héhé\" x}"), "t.json:1:17: expected `,` or `}`");
}

#[test]
fn deep_nesting_is_one_line_not_a_stack_overflow() {
    let message = "nesting deeper than 127 levels (arrays and objects inside each other)";
    assert_eq!(text_error(&"[".repeat(100_000)), format!("t.json:1:128: {message}"));
    assert_eq!(text_error(&"{\"a\":".repeat(100_000)), format!("t.json:1:{}: {message}", 127 * 5 + 1));
    let deep_data = format!("{{\"name\": \"x\", \"events\": [{{\"data\": {}}}]}}", "[".repeat(100_000));
    assert_eq!(text_error(&deep_data), format!("t.json:1:159: {message}"));
    // Just under the limit is fine, even on a test thread's small stack in a debug build.
    let mut value = base();
    let levels = 120;
    value["events"][0]["data"] =
        serde_json::from_str(&format!("{}{}", "[".repeat(levels), "]".repeat(levels))).unwrap();
    assert_eq!(load(&value), Ok(()));
    // Brackets inside strings are text.
    let in_string = base().to_string().replace("watch the lag", &"[".repeat(1_000));
    assert!(load_str(&in_string, "t.json", &Limits::default()).is_ok());
}

#[test]
fn unknown_field_with_did_you_mean() {
    let text = "{\"name\": \"x\", \"duratoin\": \"1s\"}";
    assert_eq!(text_error(text), "t.json:1:24: unknown field \"duratoin\" (did you mean \"duration\"?)");
    let text = "{\"name\": \"x\", \"duration\": \"1s\", \"topics\": [{\"naem\": \"orders\"}]}";
    assert_eq!(text_error(text), "t.json:1:50: topics[0]: unknown field \"naem\" (did you mean \"name\"?)");
    let text = "{\"name\": \"x\", \"duration\": \"1s\", \"topics\": [{\"colour\": 1}]}";
    assert_eq!(
        text_error(text),
        "t.json:1:52: topics[0]: unknown field \"colour\" (expected one of \"name\", \"kind\", \"partitions\", \
         \"visibility_timeout\", \"max_receives\", \"dead_letter\", \"fifo\", \"dedup_window\", \"rules\")"
    );
}

#[test]
fn unknown_variant_with_did_you_mean() {
    let text = "{\"name\": \"x\", \"duration\": \"1s\", \"topics\": [{\"name\": \"a\", \"kind\": \"lgo\"}]}";
    assert_eq!(text_error(text), "t.json:1:70: topics[0].kind: unknown variant \"lgo\" (did you mean \"log\"?)");
    let message = error_with(|v| v["expect"][0]["metric"] = json!("duplicate_effect"));
    assert!(
        message
            .ends_with("expect[0].metric: unknown variant \"duplicate_effect\" (did you mean \"duplicate_effects\"?)")
    );
}

#[test]
fn missing_field() {
    let text = "{\"name\": \"x\", \"duration\": \"1s\", \"topics\": [{\"kind\": \"log\"}]}";
    assert_eq!(text_error(text), "t.json:1:58: topics[0]: missing field \"name\"");
    assert_eq!(text_error("{\"name\": \"x\"}"), "t.json:1:13: missing field \"duration\"");
}

#[test]
fn wrong_type_with_path() {
    let text = "{\"name\": \"x\", \"duration\": \"1s\", \"topics\": [{\"name\": \"a\", \"partitions\": \"3\"}]}";
    assert_eq!(
        text_error(text),
        "t.json:1:74: topics[0].partitions: invalid type: string \"3\", expected an integer from 0 to 4294967295"
    );
    let message = error_with(|v| v["consumers"][1]["topics"] = json!({}));
    assert!(message.ends_with("consumers[1].topics: invalid type: object, expected an array"), "{message}");
    let message = error_with(|v| v["consumers"][0]["handles"]["OrderCreated"]["emit"][0]["topic"] = json!(1));
    assert!(
        message
            .ends_with("consumers[0].handles.OrderCreated.emit[0].topic: invalid type: integer `1`, expected a string"),
        "{message}"
    );
}

#[test]
fn unknown_reference_with_did_you_mean() {
    let message = error_with(|v| v["consumers"][0]["topics"][0] = json!("order"));
    assert_eq!(message, "t.json: consumers[0].topics[0]: unknown topic \"order\" (did you mean \"orders\"?)");
    let message = error_with(|v| v["producers"][0]["topic"] = json!("zzz"));
    assert_eq!(
        message,
        "t.json: producers[0].topic: unknown topic \"zzz\" (topics: \"orders\", \"payments\", \"emails\")"
    );
    let message = error_with(|v| v["consumers"][0]["handles"]["OrderCreated"]["emit"][0]["topic"] = json!("payment"));
    assert_eq!(
        message,
        "t.json: consumers[0].handles.OrderCreated.emit[0].topic: unknown topic \"payment\" (did you mean \"payments\"?)"
    );
    let message = error_with(|v| v["expect"][0]["group"] = json!("billing"));
    assert_eq!(message, "t.json: expect[0].group: unknown group \"billing\" (groups: \"billing-group\", \"payer\")");
    let message = error_with(|v| v["events"][0]["topic"] = json!("Orders"));
    assert_eq!(message, "t.json: events[0].topic: unknown topic \"Orders\" (did you mean \"orders\"?)");
}

#[test]
fn duplicate_names() {
    let message = error_with(|v| v["topics"][2]["name"] = json!("orders"));
    assert_eq!(message, "t.json: topics[2].name: duplicate topic name \"orders\" (also topics[0])");
    let message = error_with(|v| v["consumers"][1]["group"] = json!("billing-group"));
    assert_eq!(
        message,
        "t.json: consumers[1].group: group \"billing-group\" is already the group of consumers[0]; two consumers may \
         not share a group"
    );
    let message = error_with(|v| v["topics"][0]["name"] = json!("my orders"));
    assert_eq!(
        message,
        "t.json: topics[0].name: topic name \"my orders\" contains ' '; names use only letters, digits, \".\", \"_\" and \"-\""
    );
}

#[test]
fn partitions_out_of_range() {
    let message = error_with(|v| v["topics"][0]["partitions"] = json!(0));
    assert_eq!(message, "t.json: topics[0].partitions: partitions must be between 1 and 10000, not 0");
    let message = error_with(|v| v["topics"][0]["partitions"] = json!(10_001));
    assert_eq!(message, "t.json: topics[0].partitions: partitions must be between 1 and 10000, not 10001");
    let message = error_with(|v| v["topics"][1]["partitions"] = json!(2));
    assert_eq!(
        message,
        "t.json: topics[1].partitions: \"partitions\" applies only to log topics (topics[1] is a queue)"
    );
}

#[test]
fn instances_out_of_range() {
    let message = error_with(|v| v["consumers"][0]["instances"] = json!(1001));
    assert_eq!(message, "t.json: consumers[0].instances: instances must be between 1 and 1000, not 1001");
}

#[test]
fn rate_zero() {
    let message = error_with(|v| v["producers"][0]["rate"] = json!(0));
    assert_eq!(message, "t.json: producers[0].rate: rate is events per second, a number greater than 0, not 0");
}

#[test]
fn uniform_min_greater_than_max() {
    let message = error_with(|v| v["consumers"][0]["processing"] = json!({"uniform": ["3ms", "1ms"]}));
    assert!(message.ends_with(": consumers[0].processing: uniform [3ms, 1ms]: MIN is greater than MAX"), "{message}");
    let message = error_with(|v| v["producers"][0]["events"][0]["data"]["total"] = json!({"uniform": [200, 10]}));
    assert_eq!(
        message,
        "t.json: producers[0].events[0].data.total.uniform: uniform [200, 10]: MIN is greater than MAX"
    );
}

#[test]
fn all_weights_zero() {
    let message = error_with(|v| {
        v["producers"][0]["events"][0]["weight"] = json!(0);
        v["producers"][0]["events"][1]["weight"] = json!(0);
    });
    assert_eq!(
        message,
        "t.json: producers[0].events: every event has weight 0; at least one weight must be greater than 0"
    );
    let message = error_with(|v| v["consumers"][0]["handles"]["OrderCancelled"]["outcomes"][1]["weight"] = json!(-1));
    assert_eq!(
        message,
        "t.json: consumers[0].handles.OrderCancelled.outcomes[1].weight: a weight is a finite number ≥ 0, not -1"
    );
}

#[test]
fn unknown_placeholder() {
    let message = error_with(|v| v["producers"][0]["events"][0]["data"]["n"] = json!("{data.totl} {nn}"));
    assert_eq!(
        message,
        "t.json: producers[0].events[0].data.n: unknown placeholder {nn} (did you mean \"n\"?): use {key}, {id}, \
         {type}, {data.PATH} or {n}"
    );
    let message = error_with(|v| v["producers"][0]["events"][0]["headers"]["origin"] = json!("{kye}"));
    assert!(
        message.starts_with("t.json: producers[0].events[0].headers.origin: unknown placeholder {kye}"),
        "{message}"
    );
}

#[test]
fn n_in_an_emit() {
    let message = error_with(|v| v["consumers"][0]["handles"]["OrderCreated"]["emit"][0]["key"] = json!("{n}"));
    assert_eq!(
        message,
        "t.json: consumers[0].handles.OrderCreated.emit[0].key: placeholder {n} is only available in producers"
    );
}

#[test]
fn schema_version_mistakes() {
    let upgrade = json!({"at": "1s", "upgrade": "shop", "type": "OrderCreated", "schema_version": 2});
    let message = error_with(|v| {
        v["faults"] = json!([upgrade, {"at": "1s", "crash": "billing#3"}]);
    });
    assert_eq!(message, "t.json: faults[1].crash: \"billing#3\": billing has instances billing#1 to billing#2");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = base();
        v["faults"] = json!([upgrade]);
        v["consumers"][0]["accepts"] = json!({"OrderCreated": [2]});
        v["consumers"][0]["upcasts"] = json!({"OrderCreated": [{"from": 1, "to": 2, "data": {"currency": "EUR"}}]});
        edit(&mut v);
        load(&v)
    };
    assert_eq!(with(&|_| {}), Ok(()));
    assert_eq!(
        with(&|v| v["faults"][0]["upgrade"] = json!("shp")),
        Err("t.json: faults[0].upgrade: unknown producer \"shp\" (did you mean \"shop\"?)".to_owned())
    );
    assert_eq!(
        with(&|v| v["faults"][0]["type"] = json!("OrderShipped")),
        Err("t.json: faults[0].type: unknown event type of this producer \"OrderShipped\" (types: \"OrderCreated\", \
             \"OrderCancelled\")"
            .to_owned())
    );
    assert_eq!(
        with(&|v| v["faults"][0]["schema_version"] = json!(0)),
        Err("t.json: faults[0].schema_version: schema versions start at 1".to_owned())
    );
    assert_eq!(
        with(&|v| v["faults"][0]["jitter"] = json!("1ms")),
        Err("t.json: faults[0].jitter: \"jitter\" does not apply to a \"upgrade\" fault".to_owned())
    );
    assert_eq!(
        with(&|v| v["consumers"][0]["accepts"] = json!({"OrderCreatd": [1]})),
        Err("t.json: consumers[0].accepts.OrderCreatd: no producer, scripted event or emit publishes type \
             \"OrderCreatd\" (did you mean \"OrderCreated\"?)"
            .to_owned())
    );
    assert_eq!(
        with(&|v| v["consumers"][0]["accepts"] = json!({"OrderCreated": []})),
        Err("t.json: consumers[0].accepts.OrderCreated: list at least one accepted schema version".to_owned())
    );
    assert_eq!(
        with(&|v| v["consumers"][0]["upcasts"]["OrderCreated"][0]["to"] = json!(1)),
        Err("t.json: consumers[0].upcasts.OrderCreated[0].to: an upcast goes to a later version than 1".to_owned())
    );
    assert_eq!(
        with(&|v| v["consumers"][0]["upcasts"]["OrderCreated"]
            .as_array_mut()
            .unwrap()
            .push(json!({"from": 1, "to": 3}))),
        Err(
            "t.json: consumers[0].upcasts.OrderCreated[1].from: version 1 is already upcast by upcasts.OrderCreated[0]"
                .to_owned()
        )
    );
}

#[test]
fn estimated_steps_over_the_limit() {
    let mut value = base();
    value["producers"][0]["rate"] = json!(100_000);
    value["producers"][0]["count"] = json!(20_000_000);
    value["duration"] = json!("1h");
    value["producers"][0]["stop"] = json!("1h");
    let text = value.to_string();
    // 20 000 000 orders × (publish + 3 for billing), 15 000 000 payment requests × (1 + 3 for payer) and
    // as many receipts (no subscriber), the scripted order and its payment request, 2 × 3600 interval
    // commits, one note.
    let error = load_str(&text, "t.json", &Limits { max_steps: 1_000_000, ..Limits::default() }).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.json: duration: estimated 155007210 steps exceeds the limit of 1000000 (--max-steps raises it)"
    );
    let error = load_str(&text, "t.json", &Limits::default()).unwrap_err();
    assert!(error.to_string().contains("exceeds the limit of 100000000"));
    // Within the step limit, the memory budget refuses it: 155 million steps at 48 bytes.
    let error = load_str(&text, "t.json", &Limits { max_steps: 200_000_000, ..Limits::default() }).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.json: duration: estimated 155007210 steps (48 bytes each) need about 6.9 GiB, over the 1 GiB budget \
         (--max-memory raises it)"
    );
    // Past any budget, the payloads are more than a run can store.
    let error = load_str(&text, "t.json", &Limits { max_steps: 200_000_000, max_memory: 16 << 30 }).unwrap_err();
    assert!(error.to_string().ends_with("more than the 3 GiB a run's payloads can hold"), "{error}");
    // A tenth of it needs more than the default budget and runs with more.
    value["producers"][0]["count"] = json!(2_000_000);
    let text = value.to_string();
    let error = load_str(&text, "t.json", &Limits::default()).unwrap_err();
    assert!(error.to_string().contains("over the 1 GiB budget (--max-memory raises it)"), "{error}");
    let loaded = load_str(&text, "t.json", &Limits { max_memory: 4 << 30, ..Limits::default() }).map(drop);
    assert_eq!(loaded.map_err(|e| e.to_string()), Ok(()));
}

#[test]
fn an_emit_cycle_without_processing_time_is_refused() {
    let message = error_with(|v| {
        v["consumers"][1]["processing"] = json!("0s");
        v["consumers"][1]["handles"]["PaymentRequested"]["emit"][0]["topic"] = json!("payments");
        v["consumers"][1]["handles"]["PaymentRequested"]["emit"][0]["type"] = json!("PaymentRequested");
    });
    assert!(message.starts_with("t.json: duration: estimated 18446744073709551615 steps or more"), "{message}");
}

#[test]
fn bad_durations() {
    for (duration, expected) in [
        (json!("10days"), "duration \"10days\" has an unknown unit \"days\" (use us, ms, s, m or h)"),
        (json!("1 ms"), "duration \"1 ms\" contains a space: write the number and the unit together, e.g. \"250ms\""),
        (json!("1\ns"), "duration \"1\\ns\" contains '\\n': write the number and the unit together, e.g. \"250ms\""),
        (json!("1.s"), "duration \"1.s\" is not a number followed by a unit"),
        (
            json!("10"),
            "duration \"10\" has no unit (use us, ms, s, m or h, e.g. \"250ms\"; a bare number must be a JSON integer of milliseconds)",
        ),
        (json!(-5), "duration -5 is negative"),
        (json!("-1s"), "duration \"-1s\" is negative: a duration is 0 or more (e.g. \"250ms\")"),
        (json!("s"), "duration \"s\" does not start with a number (e.g. \"250ms\", \"1.5s\")"),
        (json!(1.5), "duration 1.5 is not an integer of milliseconds (write a string with a unit, e.g. \"1500us\")"),
        (json!("0.5us"), "duration \"0.5us\" is finer than one microsecond"),
        (
            json!(true),
            "invalid type: boolean `true`, expected a duration: an integer of milliseconds or a string such as \"250ms\", \"1.5s\", \"2m\", \"500us\", \"1h\"",
        ),
    ] {
        let message = error_with(|v| v["duration"] = duration.clone());
        let message = message.split_once(": duration: ").map(|(_, m)| m.to_owned()).unwrap_or(message);
        assert_eq!(message, expected, "for {duration}");
    }
    let message = error_with(|v| v["duration"] = json!(0));
    assert_eq!(message, "t.json: duration: duration must be greater than 0");
    let message = error_with(|v| {
        v["producers"][0]["start"] = json!("2s");
        v["producers"][0]["stop"] = json!("1500ms");
    });
    assert_eq!(message, "t.json: producers[0].stop: stop (1500ms) is before start (2s)");
}

#[test]
fn expectation_shapes() {
    let message = error_with(|v| v["expect"][1]["group"] = json!("payer"));
    assert_eq!(message, "t.json: expect[1].group: published is a global metric; it takes no group");
    let message = error_with(|v| v["expect"][0]["at_most"] = json!(1));
    assert_eq!(
        message,
        "t.json: expect[0]: an expectation needs exactly one of \"equals\", \"at_most\" and \"at_least\""
    );
    let message = error_with(|v| v["expect"][0]["topic"] = json!("orders"));
    assert_eq!(message, "t.json: expect[0].topic: \"topic\" filters only \"published\", not duplicate_effects");
    let message = error_with(|v| v["expect"][0]["equals"] = json!("zero"));
    assert_eq!(message, "t.json: expect[0].equals: duplicate_effects is a number; \"equals\" takes a number");
}

/// Every JSON path of `value`, as steps from the root.
fn paths(value: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                here.push(Step::Key(key.clone()));
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                here.push(Step::Index(i));
                paths(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'v>(value: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(key) => &mut v[key.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

#[test]
fn no_mutation_panics() {
    let base = base();
    let mut all = Vec::new();
    paths(&base, &mut Vec::new(), &mut all);
    let replacements = [json!(null), json!(-1), json!(1e308), json!(""), json!("x"), json!([]), json!({})];
    let mut refused = 0;
    let mut tried = 0;
    for path in &all {
        let mut variants = Vec::new();
        if let Some((last, parent)) = path.split_last() {
            let mut deleted = base.clone();
            match (at(&mut deleted, parent), last) {
                (Value::Object(map), Step::Key(key)) => drop(map.shift_remove(key)),
                (Value::Array(items), Step::Index(i)) => drop(items.remove(*i)),
                _ => unreachable!(),
            }
            variants.push(deleted);
        }
        for replacement in &replacements {
            let mut changed = base.clone();
            *at(&mut changed, path) = replacement.clone();
            variants.push(changed);
        }
        for variant in variants {
            tried += 1;
            if let Err(message) = load(&variant) {
                refused += 1;
                assert!(!message.contains('\n') && message.starts_with("t.json"), "{message}");
            }
        }
    }
    assert!(tried > 500, "{tried} variants");
    assert!(refused > tried / 2, "most mutations are refused: {refused} of {tried}");
}

/// `base()` with an aggregate on `orders` that `payer` projects, then `edit`.
fn aggregate_base(edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = base();
    v["aggregates"] = json!([{"name": "Account", "topic": "orders", "initial": {"balance": 0},
        "apply": {"OrderCreated": {"balance": {"add": "data.total"}}, "OrderCancelled": {"cancelled": {"inc": 1}}},
        "snapshot_every": 10}]);
    v["consumers"][0]["project"] = json!("Account");
    v["expect"] = json!([{"state": {"aggregate": "Account", "key": "order-1", "field": "cancelled"}, "equals": 0},
                         {"state": {"read_model": "billing", "key": "order-1", "field": "balance"}, "at_least": 0}]);
    edit(&mut v);
    v
}

fn aggregate_error(edit: impl FnOnce(&mut Value)) -> String {
    let message = load(&aggregate_base(edit)).expect_err("the edited scenario should be refused");
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

#[test]
fn event_sourcing_mistakes() {
    assert_eq!(load(&aggregate_base(|_| {})), Ok(()));
    assert_eq!(
        aggregate_error(|v| v["consumers"][0]["project"] = json!("Acount")),
        "t.json: consumers[0].project: unknown aggregate \"Acount\" (did you mean \"Account\"?)"
    );
    assert_eq!(
        aggregate_error(|v| v["aggregates"][0]["topic"] = json!("payments")),
        "t.json: aggregates[0].topic: an aggregate's topic must be a log (\"payments\" is a queue)"
    );
    assert_eq!(
        aggregate_error(|v| v["aggregates"][0]["topic"] = json!("order")),
        "t.json: aggregates[0].topic: unknown topic \"order\" (did you mean \"orders\"?)"
    );
    assert!(
        aggregate_error(|v| v["aggregates"][0]["apply"]["OrderCreated"]["balance"] = json!({"sum": "data.total"}))
            .starts_with(
                "t.json: aggregates[0].apply.OrderCreated.balance: unknown operation \"sum\" (did you mean \"sub\"?)"
            )
    );
    assert!(
        aggregate_error(|v| v["aggregates"][0]["apply"]["OrderCreated"]["balance"] = json!({"add": "total"}))
            .starts_with("t.json: aggregates[0].apply.OrderCreated.balance: an operation is")
    );
    assert_eq!(
        aggregate_error(|v| v["aggregates"][0]["snapshot_every"] = json!(0)),
        "t.json: aggregates[0].snapshot_every: snapshot_every must be at least 1"
    );
    assert_eq!(
        aggregate_error(|v| v["aggregates"][0]["apply"] = json!({})),
        "t.json: aggregates[0].apply: an aggregate needs at least one event type in \"apply\""
    );
    assert_eq!(
        aggregate_error(|v| v["expect"][0]["state"]["field"] = json!("balanse")),
        "t.json: expect[0].state.field: aggregate Account has no field \"balanse\" (did you mean \"balance\"?)"
    );
    assert_eq!(
        aggregate_error(|v| v["expect"][0]["state"]["aggregate"] = json!("Acount")),
        "t.json: expect[0].state.aggregate: unknown aggregate \"Acount\" (did you mean \"Account\"?)"
    );
    assert_eq!(
        aggregate_error(|v| v["expect"][1]["state"]["read_model"] = json!("payer")),
        "t.json: expect[1].state.read_model: consumer \"payer\" builds no read model (it has no \"project\")"
    );
    assert_eq!(
        aggregate_error(|v| v["expect"][1]["state"]["aggregate"] = json!("Account")),
        "t.json: expect[1].state: \"state\" needs exactly one of \"aggregate\" and \"read_model\""
    );
    assert_eq!(
        aggregate_error(|v| v["expect"][0]["group"] = json!("billing-group")),
        "t.json: expect[0].group: \"group\" applies only to a metric"
    );
    let fetch = |v: &mut Value, aggregate: &str| {
        v["consumers"][1]["handles"]["PaymentRequested"]["fetch"] = json!({"aggregate": aggregate, "latency": "5ms"});
        v["consumers"][1]["handles"]["PaymentRequested"]["emit"][0]["data"] = json!({"balance": "{state.balance}"});
    };
    assert_eq!(load(&aggregate_base(|v| fetch(v, "Account"))), Ok(()));
    assert_eq!(
        aggregate_error(|v| fetch(v, "account")),
        "t.json: consumers[1].handles.PaymentRequested.fetch.aggregate: unknown aggregate \"account\" (did you mean \
         \"Account\"?)"
    );
    assert_eq!(
        aggregate_error(|v| {
            fetch(v, "Account");
            v["consumers"][1]["handles"]["PaymentRequested"]["fetch"]["latency"] = json!("5 parsecs");
        })
        .split_once(": ")
        .map(|(_, rest)| rest.starts_with("consumers[1].handles.PaymentRequested.fetch.latency")),
        Some(true)
    );
    assert_eq!(
        aggregate_error(|v| v["consumers"][1]["handles"]["PaymentRequested"]["emit"][0]["data"] =
            json!({"balance": "{state.balance}"})),
        "t.json: consumers[1].handles.PaymentRequested.emit[0].data.balance: placeholder {state.balance} needs a \
         handler with \"fetch\""
    );
}

#[test]
fn saga_mistakes() {
    let saga = |edit: &dyn Fn(&mut Value)| {
        let mut v = base();
        v["sagas"] = json!([{"name": "order", "starts": "OrderCreated", "completes": ["Receipt"],
                             "fails": ["PaymentFailed"], "compensations": {"PaymentRequested": "PaymentRefunded"}}]);
        v["expect"] = json!([{"metric": "sagas_uncompensated", "equals": 0}]);
        edit(&mut v);
        load(&v)
    };
    assert_eq!(saga(&|_| {}), Ok(()));
    assert_eq!(
        saga(&|v| v["sagas"][0]["starts"] = json!("OrderCreatd")),
        Err("t.json: sagas[0].starts: no producer, scripted event or emit publishes type \"OrderCreatd\" (did you mean \
             \"OrderCreated\"?)"
            .to_owned())
    );
    assert_eq!(
        saga(&|v| v["expect"][0]["group"] = json!("payer")),
        Err("t.json: expect[0].group: sagas_uncompensated is a global metric; it takes no group".to_owned())
    );
    assert_eq!(
        saga(&|v| {
            v["sagas"][0]["completes"] = json!([]);
            v["sagas"][0]["fails"] = json!([]);
        }),
        Err("t.json: sagas[0]: a saga needs \"completes\" or \"fails\" (else every instance stays open)".to_owned())
    );
    assert_eq!(
        saga(&|v| v["sagas"][0]["name"] = json!("")),
        Err("t.json: sagas[0].name: a saga name cannot be empty".to_owned())
    );
    assert_eq!(
        saga(&|v| v["sagas"][0]["compensations"] = json!({"PaymentRequested": ""})),
        Err("t.json: sagas[0].compensations.PaymentRequested: an event type cannot be empty".to_owned())
    );
}

#[test]
fn bus_mistakes() {
    let bus = |edit: &dyn Fn(&mut Value)| {
        let mut v = base();
        v["topics"][2] = json!({"name": "emails", "kind": "bus", "rules": [
            {"name": "big", "match": {"type": ["OrderCreated"], "data.total": [{"numeric": [">", 100]}]},
             "targets": ["payments"]}]});
        edit(&mut v);
        load(&v)
    };
    assert_eq!(bus(&|_| {}), Ok(()));
    assert_eq!(
        bus(&|v| v["consumers"][1]["topics"] = json!(["emails"])),
        Err("t.json: consumers[1].topics[0]: cannot subscribe to bus \"emails\"".to_owned())
    );
    assert_eq!(
        bus(&|v| v["topics"][2]["rules"][0]["targets"] = json!(["payment"])),
        Err("t.json: topics[2].rules[0].targets[0]: unknown topic \"payment\" (did you mean \"payments\"?)".to_owned())
    );
    assert!(
        bus(&|v| v["topics"][2]["rules"][0]["match"]["data.total"] = json!([{"numerc": [">", 1]}]))
            .unwrap_err()
            .starts_with(
                "t.json: topics[2].rules[0].match.data.total[0]: unknown matcher \"numerc\" (did you mean \"numeric\"?)"
            )
    );
    assert_eq!(
        bus(&|v| v["topics"][2]["rules"][0]["match"]["data.total"] = json!([{"numeric": [">", "a"]}])),
        Err(
            "t.json: topics[2].rules[0].match.data.total[0]: write {\"numeric\": [OP, NUMBER, ...]} with OP one of <, \
             <=, =, >=, >"
                .to_owned()
        )
    );
    assert_eq!(
        bus(&|v| v["topics"][2]["rules"][0]["match"] = json!({"data.": ["x"]})),
        Err("t.json: topics[2].rules[0].match.data.: cannot match on \"data.\": use type, source, key, data.PATH or \
             headers.NAME"
            .to_owned())
    );
    assert_eq!(
        bus(&|v| v["faults"] = json!([{"at": "1s", "duplicate": "emails", "probability": 0.5}])),
        Err("t.json: faults[0].duplicate: a \"duplicate\" fault cannot target bus \"emails\"".to_owned())
    );
    assert_eq!(
        bus(&|v| v["topics"][2]["partitions"] = json!(2)),
        Err("t.json: topics[2].partitions: \"partitions\" applies only to log topics (topics[2] is a bus)".to_owned())
    );
}

// ---- Hostile input: every class of issue 11 §2 -------------------------------------------

use crate::cli::eventlab;

/// Runs the binary with `args`: exit 2 and exactly one line on stderr, returned; within
/// `seconds` of wall time.
#[track_caller]
fn refused_quickly(args: &[&str], seconds: u64) -> String {
    #[allow(clippy::disallowed_methods, reason = "the test bounds the wall time a refusal takes")]
    let started = std::time::Instant::now();
    let out = eventlab().args(args).output().expect("runs");
    let elapsed = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
    assert!(elapsed.as_secs() < seconds, "{args:?} took {elapsed:?}");
    assert_safe_line(err.trim_end());
    err.trim_end().to_owned()
}

/// One line, no control characters, bounded.
#[track_caller]
pub(crate) fn assert_safe_line(line: &str) {
    assert!(!line.contains(|c: char| c.is_control()), "a control character: {line:?}");
    assert!(line.chars().count() <= 1_100, "{} characters: {line}", line.chars().count());
}

fn write_temp(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn durations_are_exact_decimals_without_spaces() {
    let mut value = base();
    value["duration"] = json!("0.0000010s");
    let scenario = load_str(&value.to_string(), "t.json", &Limits::default()).expect("one microsecond");
    assert_eq!(scenario.duration.as_micros(), 1);
    value["duration"] = json!("1.000000000000000000000000000000000000000000s");
    let scenario = load_str(&value.to_string(), "t.json", &Limits::default()).expect("one second");
    assert_eq!(scenario.duration.as_micros(), 1_000_000);
    for bad in ["1 ms", "1\ns", " 1ms", "1ms ", "1\tms", "1\u{a0}ms"] {
        let message = error_with(|v| v["consumers"][0]["processing"] = json!(bad));
        assert!(message.contains("write the number and the unit together"), "{bad:?}: {message}");
        assert_safe_line(&message);
    }
}

#[test]
fn duplicate_keys_are_refused_at_every_depth() {
    let text = base().to_string();
    // In a map (a handler's types): serde would keep the last silently.
    let twice = text.replacen("\"*\":{}", "\"OrderCancelled\":{},\"*\":{}", 1);
    assert_ne!(twice, text);
    let message = text_error(&twice);
    assert!(
        message.contains(
            ": consumers[0].handles: duplicate key \"OrderCancelled\" (a JSON object here takes each key once)"
        ),
        "{message}"
    );
    assert!(message.starts_with("t.json:1:"), "{message}");
    // At the top level, in a struct, in data and in headers.
    for (from, to, path) in [
        ("\"seed\":7", "\"seed\":7,\"seed\":8", ": duplicate key \"seed\""),
        ("\"partitions\":3", "\"partitions\":3,\"partitions\":4", ": topics[0]: duplicate key \"partitions\""),
        ("\"total\":5", "\"total\":5,\"total\":6", ": events[0].data: duplicate key \"total\""),
        (
            "\"origin\":\"web-{n}\"",
            "\"origin\":\"a\",\"origin\":\"b\"",
            ": producers[0].events[0].headers: duplicate key \"origin\"",
        ),
    ] {
        let changed = text.replacen(from, to, 1);
        assert_ne!(changed, text, "{from}");
        let message = text_error(&changed);
        assert!(message.contains(path), "{from}: {message}");
    }
    // A multi-line file: the position of the second key.
    let message = text_error("{\"name\": \"x\",\n  \"name\": \"y\"}");
    assert_eq!(message, "t.json:2:8: duplicate key \"name\" (a JSON object here takes each key once)");
    // The same key in two objects is fine.
    assert!(
        load_str(&text.replacen("\"n\":\"{n}\"", "\"n\":\"{n}\",\"x\":{\"n\":1}", 1), "t.json", &Limits::default())
            .is_ok()
    );
}

#[test]
fn error_lines_escape_control_characters_and_cut_long_text() {
    // A type with a newline and an escape sequence, in a message that quotes it.
    let message = error_with(|v| v["expect"][0]["group"] = json!("evil\n\u{1b}[2Jgroup"));
    assert!(message.contains("evil\\n\\u{1b}[2Jgroup"), "{message}");
    assert_safe_line(&message);
    // A long name is cut with "…".
    let long = "x".repeat(100_000);
    let message = error_with(|v| v["consumers"][0]["topics"][0] = json!(long));
    assert!(message.contains('…') && message.chars().count() < 400, "{message}");
    // A long unknown field, a long string in the wrong place, a long key in a path.
    let message = error_with(|v| v["topics"][0][&long] = json!(1));
    assert!(message.contains('…') && message.chars().count() < 1_100, "{message}");
    let message = error_with(|v| v["topics"][0]["partitions"] = json!(long));
    assert!(message.contains('…') && message.chars().count() < 1_100, "{message}");
    let message = error_with(|v| v["consumers"][0]["handles"][&long] = json!({"fail_probability": 2}));
    assert!(message.contains('…') && message.chars().count() < 1_100, "{message}");
    // Bidirectional overrides and line separators are escaped too.
    let message = error_with(|v| v["consumers"][0]["topics"][0] = json!("a\u{202e}b\u{2028}c"));
    assert!(message.contains("a\\u{202e}b\\u{2028}c"), "{message}");
    // From the command line, a file whose name has a newline and ESC.
    let dir = tempfile::tempdir().unwrap();
    let name = "bad\n\u{1b}[31mname.json";
    let mut bad = base();
    bad["topics"][0]["kind"] = json!("lgo");
    let path = write_temp(dir.path(), name, &bad.to_string());
    let line = refused_quickly(&["check", path.to_str().unwrap()], 30);
    assert!(line.contains("bad\\n\\u{1b}[31mname.json"), "{line}");
}

#[test]
fn its_fields_lists_each_field_once() {
    let message = aggregate_error(|v| {
        v["aggregates"][0]["apply"]["OrderCancelled"] = json!({"balance": {"inc": 1}});
        v["expect"][0]["state"]["field"] = json!("zzzzzzzz");
    });
    assert!(message.ends_with("aggregate Account has no field \"zzzzzzzz\" (its fields: balance)"), "{message}");
}

#[test]
fn only_regular_files_are_read_and_at_once() {
    #[allow(clippy::disallowed_methods, reason = "the test bounds the wall time a refusal takes")]
    let started = std::time::Instant::now();
    for (path, reason) in [
        ("/dev/zero", "is a character device, not a regular file"),
        ("/dev/urandom", "is a character device, not a regular file"),
        ("/dev/null", "is a character device, not a regular file"),
    ] {
        let error = load_file(std::path::Path::new(path), &Limits::default()).unwrap_err();
        assert_eq!(error.to_string(), format!("{path}: cannot read: {reason}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if made {
        // Opening a FIFO for reading would wait for a writer: it is refused before.
        let error = load_file(&fifo, &Limits::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("{}: cannot read: is a named pipe (FIFO), not a regular file", fifo.display())
        );
    }
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    // The command line: run, check and replay.
    for path in ["/dev/zero", "/dev/urandom"] {
        let line = refused_quickly(&["run", path, "--headless"], 10);
        assert_eq!(line, format!("{path}: cannot read: is a character device, not a regular file"));
        refused_quickly(&["check", path], 10);
        let line = refused_quickly(&["replay", path, "--headless"], 10);
        assert_eq!(line, format!("{path}: cannot read: is a character device, not a regular file"));
    }
    if made {
        let fifo = fifo.to_str().unwrap();
        let line = refused_quickly(&["run", fifo, "--headless"], 10);
        assert!(line.ends_with("is a named pipe (FIFO), not a regular file"), "{line}");
        let line = refused_quickly(&["replay", fifo, "--headless"], 10);
        assert!(line.ends_with("is a named pipe (FIFO), not a regular file"), "{line}");
    }
}

#[test]
fn a_scenario_over_the_size_cap_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(5 << 20).unwrap();
    let error = load_file(&path, &Limits::default()).unwrap_err();
    assert_eq!(error.to_string(), format!("{}: cannot read: too large (5242880 bytes; at most 4 MiB)", path.display()));
    let text = format!("{{\"name\": \"{}\"}}", "x".repeat(5 << 20));
    assert_eq!(text_error(&text), "t.json: cannot read: too large (5242892 bytes; at most 4 MiB)");
}

/// `count` topics of `partitions` partitions, read by `groups` consumers each reading all.
fn giant(topics: usize, partitions: u32, groups: usize) -> Value {
    let names: Vec<String> = (0..topics).map(|t| format!("t{t}")).collect();
    json!({
        "name": "giant", "duration": "1s",
        "topics": names.iter().map(|n| json!({"name": n, "partitions": partitions})).collect::<Vec<_>>(),
        "consumers": (0..groups).map(|g| json!({"name": format!("c{g}"), "topics": names})).collect::<Vec<_>>(),
    })
}

#[test]
fn sizes_past_the_memory_budget_are_refused_naming_what_is_too_big() {
    let text = giant(100, 10_000, 65).to_string();
    assert!(text.len() < 60_000);
    let error = load_str(&text, "t.json", &Limits::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.json: consumers: topics × partitions × groups: 65000000 partition slots need about 1.9 GiB, over the 1 GiB \
         budget (--max-memory raises it)"
    );
    // Raised, it loads (and is not run here).
    assert!(load_str(&text, "t.json", &Limits { max_memory: 3 << 30, ..Limits::default() }).is_ok());
    // Partitions alone: 65 000 topics would be refused by the budget, not compiled.
    let error = load_str(&giant(30_000, 10_000, 0).to_string(), "t.json", &Limits::default()).unwrap_err();
    assert!(
        error.to_string().starts_with("t.json: topics: topics × partitions: 300000000 partitions need about 13.4 GiB"),
        "{error}"
    );
    // Producers' key tables.
    let mut value = base();
    let producer = value["producers"][0].clone();
    value["producers"] = (0..200)
        .map(|i| {
            let mut p = producer.clone();
            p["name"] = json!(format!("p{i}"));
            p["keys"] = json!({"cardinality": 1_000_000_000});
            p
        })
        .collect();
    let error = load(&value).unwrap_err();
    assert!(
        error.contains("t.json: producers: producers' key tables: 209715400 entries need about 1.6 GiB"),
        "{error}"
    );
    // The CLI: `--max-memory` takes sizes; `check` says the estimate.
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "giant.json", &text);
    let path = path.to_str().unwrap();
    let line = refused_quickly(&["check", path], 30);
    assert!(line.contains("partition slots need about 1.9 GiB, over the 1 GiB budget"), "{line}");
    let line = refused_quickly(&["run", path, "--headless", "--max-memory", "512MiB"], 30);
    assert!(line.contains("over the 512 MiB budget"), "{line}");
    let out = eventlab().args(["check", path, "--max-memory", "3GiB"]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("about 2 GiB of memory"), "{said}");
    for bad in ["lots", "1.5", "12XB", "1MiB", "1 GiB", ""] {
        let line = refused_quickly(&["check", path, "--max-memory", bad], 30);
        assert!(line.contains("--max-memory"), "{bad}: {line}");
    }
    let out = eventlab().args(["check", path, "--max-memory", "3221225472"]).output().unwrap();
    assert!(out.status.success());
}

#[test]
fn a_zipf_producer_with_a_billion_keys_needs_no_table() {
    let mut value = base();
    value["producers"][0]["keys"] = json!({"cardinality": 1_000_000_000, "distribution": "zipf"});
    let scenario = load_str(&value.to_string(), "t.json", &Limits::default()).expect("loads");
    let limits = Limits::default();
    let outcome = eventlab::run::run(scenario, None, limits.step_cap()).expect("runs");
    assert!(outcome.sim.trace().steps.len() > 20);
}

/// A handler that fails in zero time, forever.
fn failing_loop() -> Value {
    json!({"name": "loop", "duration": "10s", "topics": [{"name": "orders"}],
           "events": [{"at": "1200ms", "topic": "orders", "type": "E"}],
           "consumers": [{"name": "billing", "topics": ["orders"], "processing": "0s",
                          "handles": {"E": {"outcomes": [{"fail": true}]}}}]})
}

#[test]
fn a_run_away_loop_is_stopped_early_and_named() {
    let scenario = load_str(&failing_loop().to_string(), "t.json", &Limits::default()).expect("loads");
    let error = match eventlab::run::run(scenario, None, Limits::default().step_cap()) {
        Ok(_) => panic!("the loop must stop"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        error,
        "a run-away loop at 1200ms: 1000000 steps without the clock moving (consumer \"billing\" on topic \"orders\", \
         type \"E\" failing in zero time); a handler that fails or emits in zero time repeats forever: give it \
         \"processing\" time or a \"retry_delay\""
    );
}

#[test]
fn the_memory_budget_bounds_a_run_that_outgrows_its_estimate() {
    // Failing forever, 1 µs apart: the clock moves, so only the step cap stops it.
    let mut value = failing_loop();
    value["consumers"][0]["retry_delay"] = json!("1us");
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(dir.path(), "slow-loop.json", &value.to_string());
    let line = refused_quickly(&["run", path.to_str().unwrap(), "--headless", "--max-memory", "64MiB"], 120);
    assert!(
        line.ends_with(
            "the run passed 1398101 steps at virtual time 1.898s, all the --max-memory budget of 64 MiB holds at 48 bytes \
             a step: a run-away loop? --max-memory raises the limit"
        ) || line.contains("1398101 steps"),
        "{line}"
    );
}

#[test]
fn payloads_past_the_budget_are_refused_and_a_growing_cycle_at_once() {
    // 200 000 events of 2 000 generated numbers each: about 3 GiB of payloads.
    let numbers = vec![json!({"uniform": [1, 1_000_000]}); 2_000];
    let heavy = json!({"name": "heavy", "duration": "100s", "topics": [{"name": "t"}],
        "producers": [{"name": "p", "topic": "t", "rate": 2000, "arrival": "fixed",
                       "events": [{"type": "E", "data": {"xs": numbers}}]}]});
    let error = load_str(&heavy.to_string(), "t.json", &Limits::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.json: producers: event payloads and keys need about 3 GiB, over the 1 GiB budget (--max-memory raises it)"
    );
    // A budget past what a run's payloads can hold does not let it through either.
    let mut huge = heavy.clone();
    huge["duration"] = json!("1000s");
    let limits = Limits { max_memory: 64 << 30, ..Limits::default() };
    let error = load_str(&huge.to_string(), "t.json", &limits).unwrap_err();
    assert!(error.to_string().ends_with("more than the 3 GiB a run's payloads can hold"), "{error}");
    // Long keys made many times.
    let long_keys = json!({"name": "keys", "duration": "100s", "topics": [{"name": "t"}],
        "producers": [{"name": "p", "topic": "t", "rate": 100, "keys": {"prefix": "k".repeat(100_000), "cardinality": 1_000_000},
                       "events": [{"type": "E", "data": {"a": "{key}{key}{key}"}}]}]});
    let error = load_str(&long_keys.to_string(), "t.json", &Limits::default()).unwrap_err();
    assert!(error.to_string().starts_with("t.json: producers: event payloads and keys need about 3.7 GiB"), "{error}");
    // An emit cycle that doubles its data at every hop.
    let growing = json!({"name": "grow", "duration": "10s", "topics": [{"name": "t"}],
        "events": [{"at": 0, "topic": "t", "type": "E", "data": {"x": "ab"}}],
        "consumers": [{"name": "c", "topics": ["t"],
                       "handles": {"E": {"emit": [{"topic": "t", "type": "E", "data": {"x": "{data.x}{data.x}"}}]}}}]});
    let error =
        load_str(&growing.to_string(), "t.json", &Limits { max_memory: u64::MAX, ..Limits::default() }).unwrap_err();
    assert_eq!(
        error.to_string(),
        "t.json: consumers: event payloads (an emit cycle whose data grows at every hop) need more memory than any \
         budget: they grow without bound"
    );
}
