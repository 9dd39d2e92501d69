//! The order of steps within one microsecond is the format's (its Determinism section):
//! (1) faults and notes; (2) processing completions (effects, emits, failures); (3) commits
//! and acks; (4) timer expiries; (5) publishes from producers, scripted events and delayed
//! emits; (6) deliveries (with a `"before"` commit).
//!
//! The trace does not say which agenda item wrote a step, so each step kind is given the
//! classes its writers may have (a commit is written on revoke by a crash, after a
//! completion, by an interval timer, or with its delivery), and the steps of every
//! microsecond must admit a non-decreasing assignment of classes. Processing takes at least
//! 1 ms here: with zero-time processing a completion legitimately follows its own delivery
//! within the microsecond.

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::fault_properties::{Json, parse, scenario};
use eventlab::trace::{Step, StepKind};

/// The classes a step of this kind may be written in.
fn classes(step: &Step, emitted: bool) -> &'static [u8] {
    match step.kind {
        StepKind::Note | StepKind::Crashed | StepKind::Paused | StepKind::Joined => &[1],
        StepKind::Processed | StepKind::SkippedDuplicate | StepKind::Failed | StepKind::Fetched => &[2],
        // An emit without a delay is published at its trigger's completion; every other
        // publish (producers, scripts, delayed emits) in class 5. Routed copies, unrouted
        // events and dropped duplicates go with their publish.
        StepKind::Published | StepKind::Routed | StepKind::Unrouted | StepKind::DroppedDuplicate => {
            if emitted {
                &[2, 5]
            } else {
                &[5]
            }
        }
        // On revoke (a crash or an added instance: 1; a restart: 4), after a completion or
        // on revoke after one (3), an interval (4), before processing (6).
        StepKind::Committed => &[1, 3, 4, 6],
        StepKind::Acked => &[3],
        // A failure's nack at its last receive (2), or a visibility timeout (4).
        StepKind::DeadLettered => &[2, 4],
        StepKind::Requeued | StepKind::Restarted | StepKind::Resumed | StepKind::Rebalanced => &[4],
        StepKind::Delivered => &[6],
    }
}

/// Processing of at least 1 ms (see the module's note), and every other consumer's emits
/// without delays; everything else as generated.
fn without_zero_time_processing(mut value: Value) -> Value {
    fn undelay(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("delay");
                map.values_mut().for_each(undelay);
            }
            Value::Array(items) => items.iter_mut().for_each(undelay),
            _ => {}
        }
    }
    if let Some(consumers) = value["consumers"].as_array_mut() {
        for (i, c) in consumers.iter_mut().enumerate() {
            c["processing"] = json!({"uniform": ["1ms", format!("{}ms", 1 + i * 7)]});
            if i % 2 == 0
                && let Some(handles) = c.get_mut("handles")
            {
                undelay(handles);
            }
        }
    }
    value
}

proptest! {
    #![proptest_config(crate::fault_properties::config())]

    #[test]
    fn steps_within_a_microsecond_follow_the_class_order(Json(value) in scenario()) {
        let value = without_zero_time_processing(value);
        let outcome = eventlab::run::run(parse(&value), None, 10_000_000).expect("runs");
        let trace = outcome.sim.trace();
        let (mut now, mut class) = (u64::MAX, 0u8);
        for (i, step) in trace.steps.iter().enumerate() {
            if step.t_us != now {
                (now, class) = (step.t_us, 0);
            }
            let emitted = step.event.is_some_and(|e| trace.event(e).cause.is_some());
            let allowed = classes(step, emitted);
            let Some(&next) = allowed.iter().find(|&&c| c >= class) else {
                let from = trace.steps[..i].iter().rposition(|s| s.t_us != now).map_or(0, |p| p + 1);
                let kinds: Vec<String> =
                    trace.steps[from..=i].iter().map(|s| format!("{:?}", s.kind)).collect();
                prop_assert!(
                    false,
                    "step {}: a {:?} step (class {:?}) after a class-{} step at {} µs: {}\n{}",
                    i + 1, step.kind, allowed, class, now, kinds.join(", "), value
                );
                unreachable!();
            };
            class = next;
        }

        // An emit without a delay is published in its trigger's completion: right after
        // the trigger's `processed` step (and the completion's other emits).
        // The consumers with a delayed emit somewhere in their handlers.
        let delaying: Vec<String> = value["consumers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c.to_string().contains("\"delay\""))
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect();
        let delays = |name: &str| delaying.iter().any(|d| d == name);
        for (i, step) in trace.steps.iter().enumerate() {
            if step.kind != StepKind::Published || step.event.is_none() {
                continue;
            }
            let event = trace.event_of(step);
            let source = trace.strings.resolve(event.source);
            let Some(cause) = event.cause.filter(|_| !delays(source)) else {
                continue;
            };
            let emits_of_a_completion = |s: &Step| {
                matches!(s.kind, StepKind::Published | StepKind::Routed | StepKind::Unrouted | StepKind::DroppedDuplicate)
            };
            let before = trace.steps[..i].iter().rposition(|s| !emits_of_a_completion(s));
            let trigger = before.map(|b| &trace.steps[b]);
            prop_assert!(
                trigger.is_some_and(|t| t.kind == StepKind::Processed && t.event == Some(cause) && t.t_us == step.t_us),
                "step {}: an emit without a delay is not published in its trigger's completion\n{}", i + 1, value
            );
        }
    }
}
