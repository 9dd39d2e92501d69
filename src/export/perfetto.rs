//! Chrome trace-event JSON (the JSON Object Format, which Perfetto and `chrome://tracing`
//! open) of the selected steps.
//!
//! - Processes: `topics` (pid 1, a thread per log partition, queue or bus, where each
//!   append is a 1 µs slice), `producers` (pid 2, a thread per producer or scripted
//!   source, a 1 µs slice per publish), then one per consumer group (pid 10 + its index, a
//!   thread per instance), each named by `M` metadata events and sorted in that order.
//! - `X` slices: each processing on its instance's thread, from its start to what ended it.
//! - Flows (`s` → `f`, one id per delivery): from the append's slice to the processing's.
//! - `C` counters: each group's lag, per `--bucket`.
//! - `i` instant events: faults on the instance's thread (a rebalance on its group's
//!   process), findings where their step happened.
//!
//! `ts` and `dur` are virtual microseconds, the format's unit; `displayTimeUnit` is `ms`.

use std::fmt::Write as _;
use std::io;

use super::{Ending, Options, Run, Selection, fault_words, finding_text, is_log, source_name};
use crate::scenario::model::Metric;
use crate::trace::{GroupIdx, InstanceIdx, Partition, StepKind, TopicIdx};

const TOPICS: u32 = 1;
const PRODUCERS: u32 = 2;
const GROUP_BASE: u32 = 10;

/// A JSON string literal.
fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The thread of an append: per log partition, or the whole queue or bus.
fn topic_tid(run: &Run<'_>, topic: TopicIdx, partition: Option<Partition>) -> u32 {
    let base = u32::from(topic.get()) * 65_536 + 1;
    match partition {
        Some(partition) if is_log(run.model, topic) => base + u32::from(partition.get()) + 1,
        _ => base,
    }
}

/// The thread of an instance in its group's process.
fn instance_tid(instance: InstanceIdx) -> u32 {
    u32::from(instance.get()) + 1
}

/// The process of a consumer group.
fn group_pid(group: GroupIdx) -> u32 {
    GROUP_BASE + u32::from(group.get())
}

/// The trace events, written out as they come (a run of millions of steps is not held in
/// memory twice): one per line, comma-separated. The first write error is kept and
/// returned by [`Events::finish`].
struct Events<'w> {
    out: &'w mut dyn io::Write,
    buf: String,
    first: bool,
    error: Option<io::Error>,
}

impl Events<'_> {
    fn push(&mut self, event: &str) {
        if !self.first {
            self.buf.push_str(",\n");
        }
        self.first = false;
        self.buf.push_str(event);
        if self.buf.len() >= 1 << 20 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(self.buf.as_bytes())
        {
            self.error = Some(e);
        }
        self.buf.clear();
    }

    fn finish(mut self) -> io::Result<()> {
        self.flush();
        match self.error {
            Some(e) => Err(e),
            None => self.out.write_all(b"\n]}\n"),
        }
    }
}

pub fn write(run: &Run<'_>, selection: &Selection, options: &Options, out: &mut dyn io::Write) -> io::Result<()> {
    let trace = run.trace;
    let mut text = String::from("{\"displayTimeUnit\":\"ms\",\"otherData\":{");
    let _ = write!(
        text,
        "\"generator\":\"eventlab {}\",\"scenario\":{},\"seed\":{}",
        env!("CARGO_PKG_VERSION"),
        js(&run.model.scenario.name),
        run.model.seed
    );
    text.push_str("},\"traceEvents\":[\n");
    out.write_all(text.as_bytes())?;
    let mut events = Events { out, buf: String::new(), first: true, error: None };
    let sources = metadata(run, selection, &mut events);
    for &i in &selection.steps {
        step_events(run, selection, i, &sources, &mut events);
    }
    for (i, finding) in selection.findings() {
        let step = &trace.steps[i as usize];
        let (pid, tid, scope) = match step.instance {
            None => (TOPICS, 0, "p"),
            Some(instance) => (group_pid(trace.instances[instance.index()].0), instance_tid(instance), "t"),
        };
        events.push(&format!(
            r#"{{"ph":"i","pid":{pid},"tid":{tid},"ts":{},"s":"{scope}","cat":"finding","name":{},"args":{{"class":{},"step":{}}}}}"#,
            step.t_us,
            js(&finding_text(run, finding)),
            js(finding.class.name()),
            finding.step
        ));
    }
    if selection.correlation.is_none() {
        super::csv::over_time(run, selection, options.bucket_us, |end, analysis| {
            for g in 0..run.model.groups.len() {
                events.push(&format!(
                    r#"{{"ph":"C","pid":{},"tid":0,"ts":{end},"name":"lag","args":{{"lag":{}}}}}"#,
                    GROUP_BASE + g as u32,
                    analysis.metric(Metric::FinalLag, Some(g))
                ));
            }
        });
    }
    events.finish()
}

/// The `M` events naming and sorting the processes and threads the selection uses; returns
/// the producers' names, in their threads' order.
fn metadata(run: &Run<'_>, selection: &Selection, events: &mut Events<'_>) -> Vec<String> {
    let trace = run.trace;
    let namer = run.namer();
    let derived = &selection.derived;
    let meta = |pid: u32, tid: u32, what: &str, name: &str| {
        format!(r#"{{"ph":"M","pid":{pid},"tid":{tid},"name":"{what}","args":{{"name":{}}}}}"#, js(name))
    };
    let sort = |pid: u32, tid: u32, what: &str, index: u32| {
        format!(r#"{{"ph":"M","pid":{pid},"tid":{tid},"name":"{what}","args":{{"sort_index":{index}}}}}"#)
    };
    // The processes and threads the selection uses, named and sorted.
    // A lane: a log's partition, or a whole queue or bus (no partition).
    let mut topic_threads: Vec<(TopicIdx, Option<Partition>)> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    let mut instances: Vec<InstanceIdx> = Vec::new();
    for &i in &selection.steps {
        let step = &trace.steps[i as usize];
        if matches!(step.kind, StepKind::Published | StepKind::Routed) {
            let topic = step.topic_idx();
            let lane = (topic, step.partition.filter(|_| is_log(run.model, topic)));
            if !topic_threads.contains(&lane) {
                topic_threads.push(lane);
            }
            if step.kind == StepKind::Published && derived.emitter(step.event_idx()).is_none() {
                let name = source_name(run, step.event_idx()).to_owned();
                if !sources.contains(&name) {
                    sources.push(name);
                }
            }
        }
        if let Some(instance) = step.instance
            && !instances.contains(&instance)
        {
            instances.push(instance);
        }
    }
    // A topic's whole-topic thread (a queue or bus) after its partitions.
    topic_threads.sort_unstable_by_key(|&(topic, partition)| (topic, partition.map_or(usize::MAX, Partition::index)));
    instances.sort_unstable();
    events.push(&meta(TOPICS, 0, "process_name", "topics"));
    events.push(&sort(TOPICS, 0, "process_sort_index", 0));
    for &(topic, partition) in &topic_threads {
        let tid = topic_tid(run, topic, partition);
        let name = match partition {
            None => namer.topic(topic).to_owned(),
            Some(partition) => format!("{}[{partition}]", namer.topic(topic)),
        };
        events.push(&meta(TOPICS, tid, "thread_name", &name));
        events.push(&sort(TOPICS, tid, "thread_sort_index", tid));
    }
    if !sources.is_empty() {
        events.push(&meta(PRODUCERS, 0, "process_name", "producers"));
        events.push(&sort(PRODUCERS, 0, "process_sort_index", 1));
    }
    for (n, name) in sources.iter().enumerate() {
        events.push(&meta(PRODUCERS, n as u32 + 1, "thread_name", name));
        events.push(&sort(PRODUCERS, n as u32 + 1, "thread_sort_index", n as u32 + 1));
    }
    for (g, gm) in run.model.groups.iter().enumerate() {
        let pid = GROUP_BASE + g as u32;
        events.push(&meta(pid, 0, "process_name", &format!("group {}", gm.name)));
        events.push(&sort(pid, 0, "process_sort_index", 2 + g as u32));
    }
    for &inst in &instances {
        let pid = group_pid(trace.instances[inst.index()].0);
        let tid = instance_tid(inst);
        events.push(&meta(pid, tid, "thread_name", &namer.instance(inst)));
        events.push(&sort(pid, tid, "thread_sort_index", tid));
    }
    sources
}

/// The events of one selected step.
fn step_events(run: &Run<'_>, selection: &Selection, i: u32, sources: &[String], events: &mut Events<'_>) {
    let trace = run.trace;
    let namer = run.namer();
    let step = &trace.steps[i as usize];
    match step.kind {
        StepKind::Published | StepKind::Routed => {
            let e = step.event_idx();
            let event = trace.event(e);
            let name = format!("{} {}", trace.strings.resolve(event.event_type), namer.event_id(e));
            let what = if step.kind == StepKind::Routed { "route" } else { "append" };
            let mut args = format!(
                r#""event":{},"correlation_id":{}"#,
                js(&namer.event_id(e)),
                js(&event.correlation.render(&trace.strings))
            );
            if let Some(offset) = step.offset()
                && step.kind == StepKind::Published
            {
                let _ = write!(args, r#","offset":{offset}"#);
            }
            events.push(&format!(
                r#"{{"ph":"X","pid":{TOPICS},"tid":{},"ts":{},"dur":1,"cat":"{what}","name":{},"args":{{{args}}}}}"#,
                topic_tid(run, step.topic_idx(), step.partition),
                step.t_us,
                js(&name)
            ));
            if step.kind == StepKind::Published
                && selection.derived.emitter(e).is_none()
                && let Some(n) = sources.iter().position(|s| s == source_name(run, e))
            {
                events.push(&format!(
                    r#"{{"ph":"X","pid":{PRODUCERS},"tid":{},"ts":{},"dur":1,"cat":"publish","name":{},"args":{{{args}}}}}"#,
                    n + 1,
                    step.t_us,
                    js(&name)
                ));
            }
        }
        StepKind::Delivered => {
            let Some(p) = selection.derived.processing(i) else { return };
            let pid = group_pid(step.group_idx());
            let tid = instance_tid(step.instance_idx());
            let (e, topic) = (step.event_idx(), step.topic_idx());
            let event = trace.event(e);
            let name = format!("{} {}", trace.strings.resolve(event.event_type), namer.event_id(e));
            let appended = selection.derived.appended_at.get(&(e, topic)).map_or(step.t_us, |&(t, _)| t);
            // The flow: from the append's slice (1 µs from `appended`) to the processing's.
            events.push(&format!(
                r#"{{"ph":"s","pid":{TOPICS},"tid":{},"ts":{appended},"id":{i},"cat":"delivery","name":"deliver"}}"#,
                topic_tid(run, topic, step.partition)
            ));
            events.push(&format!(
                r#"{{"ph":"f","bp":"e","pid":{pid},"tid":{tid},"ts":{},"id":{i},"cat":"delivery","name":"deliver"}}"#,
                p.start_us
            ));
            let mut args = format!(
                r#""event":{},"topic":{},"outcome":{},"correlation_id":{}"#,
                js(&namer.event_id(e)),
                js(&super::place(run, step)),
                js(p.ending.name()),
                js(&event.correlation.render(&trace.strings))
            );
            if let Some(cause) = event.cause {
                let _ = write!(args, r#","causation_id":{}"#, js(&namer.event_id(cause)));
            }
            let _ = write!(args, r#","delivered_at_us":{}"#, step.t_us);
            let cat =
                if matches!(p.ending, Ending::Failed | Ending::Crashed) { "processing,error" } else { "processing" };
            events.push(&format!(
                r#"{{"ph":"X","pid":{pid},"tid":{tid},"ts":{},"dur":{},"cat":"{cat}","name":{},"args":{{{args}}}}}"#,
                p.start_us,
                p.end_us - p.start_us,
                js(&name)
            ));
        }
        kind => {
            let Some(words) = fault_words(kind) else { return };
            let pid = group_pid(step.group_idx());
            let (tid, scope, name) = match step.instance {
                None => (0, "p", format!("{} {words}", namer.group(step.group_idx()))),
                Some(instance) => (instance_tid(instance), "t", format!("{} {words}", namer.instance(instance))),
            };
            events.push(&format!(
                r#"{{"ph":"i","pid":{pid},"tid":{tid},"ts":{},"s":"{scope}","cat":"fault","name":{}}}"#,
                step.t_us,
                js(&name)
            ));
        }
    }
}
