//! OpenTelemetry OTLP/JSON traces (`TracesData`, as `opentelemetry-proto` defines it; Jaeger
//! and an OpenTelemetry collector read it) of the selected processings.
//!
//! - A trace per correlation id: its `traceId` is derived from the id's text (two FNV-1a
//!   hashes, 16 bytes), so the same chain has the same trace id in every export; the text
//!   itself is the attribute `eventlab.correlation_id`.
//! - A span (kind CONSUMER) per processing, from its start to what ended it; its parent is
//!   the span of the processing that emitted its event (the causation event's), none for an
//!   event from a producer. Span ids are derived from the delivery (its step number, event
//!   and instance), so a parent's id is known without the parent being exported.
//! - A `resourceSpans` per consumer group (`service.name` = the group), in group order; its
//!   spans in delivery order.
//! - Attributes after the messaging semantic conventions (`messaging.system`,
//!   `messaging.destination.name`, `messaging.destination.partition.id`,
//!   `messaging.kafka.offset`, `messaging.consumer.group.name`, `messaging.message.id`,
//!   `messaging.operation.type`, ...), and eventlab's own (`eventlab.*`). A failed or
//!   crashed processing has status ERROR; findings are span events.
//! - Times: virtual time from the epoch (`--epoch`, 2026-01-01T00:00:00Z by default), in
//!   Unix nanoseconds written as strings, as OTLP/JSON writes 64-bit integers.

use std::fmt::Write as _;
use std::io;

use super::{Derived, Ending, Options, Processing, Run, Selection, finding_text, fnv64, is_log};
use crate::scenario::model::TopicKind;
use crate::trace::EventIdx;

fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The trace id of a correlation id: 32 hex digits, never all zero.
pub fn trace_id(correlation: &str) -> String {
    let a = fnv64(1, &[correlation.as_bytes()]);
    let b = fnv64(2, &[correlation.as_bytes()]);
    format!("{a:016x}{:016x}", b | 1)
}

/// The span id of the processing begun by delivery step `number` (1-based) of `event` by
/// `instance`: 16 hex digits, never all zero.
pub fn span_id(number: u64, event: &str, instance: &str) -> String {
    format!("{:016x}", fnv64(3, &[number.to_string().as_bytes(), event.as_bytes(), instance.as_bytes()]) | 1)
}

fn span_id_of(run: &Run<'_>, p: &Processing) -> String {
    let namer = run.namer();
    span_id(u64::from(p.delivery) + 1, &namer.event_id(p.event), &namer.instance(p.instance))
}

fn string_attr(key: &str, value: &str) -> String {
    format!(r#"{{"key":"{key}","value":{{"stringValue":{}}}}}"#, js(value))
}

fn int_attr(key: &str, value: u64) -> String {
    format!(r#"{{"key":"{key}","value":{{"intValue":"{value}"}}}}"#)
}

fn bool_attr(key: &str, value: bool) -> String {
    format!(r#"{{"key":"{key}","value":{{"boolValue":{value}}}}}"#)
}

pub fn write(run: &Run<'_>, selection: &Selection, options: &Options, out: &mut dyn io::Write) -> io::Result<()> {
    let trace = run.trace;
    let nanos = |t_us: u64| options.epoch_nanos.saturating_add(t_us.saturating_mul(1000));
    // The selected processings, by group.
    let mut by_group: Vec<Vec<u32>> = vec![Vec::new(); run.model.groups.len()];
    for &i in &selection.steps {
        if let Some(&p) = selection.derived.processing_of_delivery.get(&i) {
            by_group[trace.steps[i as usize].group_idx().index()].push(p);
        }
    }
    // Findings by the processing they are about: the delivery or the completion of its
    // event by its instance.
    let mut finding_events: rustc_hash::FxHashMap<u32, Vec<String>> = rustc_hash::FxHashMap::default();
    let ended: rustc_hash::FxHashMap<(u32, EventIdx), u32> = if selection.findings.is_empty() {
        rustc_hash::FxHashMap::default()
    } else {
        let processings = selection.derived.processings.iter().enumerate();
        processings.map(|(n, p)| ((p.end_step, p.event), n as u32)).collect()
    };
    for (i, finding) in selection.findings() {
        let step = &trace.steps[i as usize];
        let p = match step.kind {
            crate::trace::StepKind::Delivered => selection.derived.processing_of_delivery.get(&i).copied(),
            _ => ended.get(&(i, finding.event)).copied(),
        };
        if let Some(p) = p {
            finding_events.entry(p).or_default().push(format!(
                r#"{{"timeUnixNano":"{}","name":{},"attributes":[{}]}}"#,
                nanos(step.t_us),
                js(&finding_text(run, finding)),
                string_attr("eventlab.finding", finding.class.name())
            ));
        }
    }
    out.write_all(b"{\"resourceSpans\":[")?;
    let mut first_resource = true;
    for (g, processings) in by_group.iter().enumerate() {
        if processings.is_empty() {
            continue;
        }
        let gm = &run.model.groups[g];
        let mut text = String::new();
        if !first_resource {
            text.push(',');
        }
        first_resource = false;
        let _ = write!(
            text,
            "\n{{\"resource\":{{\"attributes\":[{},{}]}},\"scopeSpans\":[{{\"scope\":{{\"name\":\"eventlab\",\"version\":\"{}\"}},\"spans\":[",
            string_attr("service.name", &gm.name),
            string_attr("eventlab.scenario", &run.model.scenario.name),
            env!("CARGO_PKG_VERSION")
        );
        out.write_all(text.as_bytes())?;
        for (n, &p) in processings.iter().enumerate() {
            let span = span(
                run,
                &selection.derived,
                &selection.derived.processings[p as usize],
                &nanos,
                finding_events.get(&p),
            );
            if n > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"\n")?;
            out.write_all(span.as_bytes())?;
        }
        out.write_all(b"\n]}]}")?;
    }
    out.write_all(b"\n]}\n")
}

/// One processing's span.
fn span(
    run: &Run<'_>,
    derived: &Derived,
    p: &Processing,
    nanos: &dyn Fn(u64) -> u64,
    findings: Option<&Vec<String>>,
) -> String {
    let trace = run.trace;
    let namer = run.namer();
    let step = &trace.steps[p.delivery as usize];
    let event = trace.event(p.event);
    let correlation = event.correlation.render(&trace.strings);
    let topic_idx = step.topic_idx();
    let topic = &run.model.topics[topic_idx.index()];
    let system = match topic.kind {
        TopicKind::Log => "kafka",
        TopicKind::Queue | TopicKind::Bus => "eventlab",
    };
    let mut attrs = vec![
        string_attr("messaging.system", system),
        string_attr("messaging.operation.type", "process"),
        string_attr("messaging.operation.name", "process"),
        string_attr("messaging.destination.name", &topic.name),
        string_attr("messaging.consumer.group.name", namer.group(p.group)),
        string_attr("messaging.message.id", &namer.event_id(p.event)),
        string_attr("messaging.message.conversation_id", &correlation),
    ];
    if let Some(partition) = step.partition
        && is_log(run.model, topic_idx)
    {
        attrs.push(string_attr("messaging.destination.partition.id", &partition.to_string()));
    }
    if let Some(offset) = step.offset() {
        attrs.push(int_attr("messaging.kafka.offset", u64::from(offset)));
    }
    if let Some(key) = event.key {
        attrs.push(string_attr("messaging.kafka.message.key", trace.strings.resolve(key)));
    }
    if let Some(receive) = step.receive()
        && !is_log(run.model, topic_idx)
    {
        attrs.push(int_attr("messaging.message.delivery_count", u64::from(receive)));
    }
    attrs.push(string_attr("eventlab.correlation_id", &correlation));
    if let Some(cause) = event.cause {
        attrs.push(string_attr("eventlab.causation_id", &namer.event_id(cause)));
    }
    attrs.push(string_attr("eventlab.event_type", trace.strings.resolve(event.event_type)));
    attrs.push(string_attr("eventlab.instance", &namer.instance(p.instance)));
    attrs.push(string_attr("eventlab.outcome", p.ending.name()));
    if let Ending::Processed { effect } = p.ending {
        attrs.push(bool_attr("eventlab.effect", effect));
    }
    attrs.push(int_attr("eventlab.delivered_step", u64::from(p.delivery) + 1));
    let mut text = format!(r#"{{"traceId":"{}","spanId":"{}""#, trace_id(&correlation), span_id_of(run, p));
    // The parent: the processing whose handler emitted this event (the causation event's).
    if let Some(parent) = derived.emitter(p.event) {
        let _ = write!(text, r#","parentSpanId":"{}""#, span_id_of(run, parent));
    }
    let _ = write!(
        text,
        r#","name":{},"kind":5,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{}]"#,
        js(&format!("process {}", topic.name)),
        nanos(p.start_us),
        nanos(p.end_us),
        attrs.join(",")
    );
    if let Some(findings) = findings {
        let _ = write!(text, r#","events":[{}]"#, findings.join(","));
    }
    match p.ending {
        Ending::Failed | Ending::Crashed => {
            let _ = write!(text, r#","status":{{"code":2,"message":{}}}"#, js(p.ending.name()));
        }
        _ => {}
    }
    text.push('}');
    text
}
