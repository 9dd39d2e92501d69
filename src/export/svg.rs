//! A space-time diagram of the selected steps, as SVG (after Maelstrom's Lamport diagrams):
//! a vertical lane per producer, per log partition or queue, and per consumer instance;
//! time flowing down, to scale; an arrow per publish (from the producer, or from the
//! instance whose handler emitted it, to the partition), and from each append to each of
//! its deliveries; each processing a bar on its instance's lane (green with an effect, grey
//! without or skipped, red failed); crashes, restarts and rebalances marked; findings as
//! orange diamonds with their words; a legend. Black on white, hand-written SVG text
//! (every name XML-escaped).

use std::fmt::Write as _;
use std::io;

use super::{Ending, Options, Run, Selection, fault_words, finding_text, is_log};
use crate::trace::{InstanceIdx, Partition, StepKind, TopicIdx};

const LANE: f64 = 120.0;
const LEFT: f64 = 90.0;
const TOP: f64 = 150.0;
const BOTTOM: f64 = 40.0;

const PUBLISH: &str = "#1f5fbf";
const EMIT: &str = "#7b3fb0";
const DELIVER: &str = "#555555";
const EFFECT: &str = "#2e8b3e";
const NO_EFFECT: &str = "#9a9a9a";
const FAILED: &str = "#c62828";
const FINDING: &str = "#e07000";
const REBALANCE: &str = "#b8860b";

/// A lane: a producer (by source name), a partition of a log (or a queue or bus: no
/// partition), or an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Lane {
    /// A producer or scripted source, by its name's symbol.
    Source(crate::trace::Sym),
    Topic(TopicIdx, Option<Partition>),
    Instance(InstanceIdx),
}

pub fn write(run: &Run<'_>, selection: &Selection, options: &Options, out: &mut dyn io::Write) -> io::Result<()> {
    let lanes = lanes(run, selection);
    let scale = Scale::new(run, selection);
    let y = |t: u64| scale.y(t);
    let height = scale.height();
    // The findings' words in a column right of the lanes.
    let notes_x = LEFT + LANE * lanes.len() as f64 + 16.0;
    let width = (notes_x + 300.0).max(1240.0);
    let total_height = TOP + height + BOTTOM;
    let place: rustc_hash::FxHashMap<Lane, f64> =
        lanes.iter().enumerate().map(|(n, &lane)| (lane, LEFT + LANE * (n as f64 + 0.5))).collect();
    let x = |lane: &Lane| place.get(lane).copied().unwrap_or(LEFT + LANE * 0.5);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{total_height:.0}" viewBox="0 0 {width:.0} {total_height:.0}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r"<title>{}</title>", xml(&super::mermaid::title(run, selection, options)));
    s.push_str(&defs());
    let _ = writeln!(s, r#"<rect x="0" y="0" width="{width:.0}" height="{total_height:.0}" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="12" y="22" font-size="15" font-weight="bold">{}</text>"#,
        xml(&super::mermaid::title(run, selection, options))
    );
    legend(&mut s);
    // Lanes and their names.
    let namer = run.namer();
    for lane in &lanes {
        let lx = x(lane);
        let (name, sub) = match lane {
            Lane::Source(name) => (run.trace.strings.resolve(*name).to_owned(), "producer"),
            Lane::Topic(t, None) => (namer.topic(*t).to_owned(), kind_name(run.model.topics[t.index()].kind)),
            Lane::Topic(t, Some(p)) => (format!("{}[{p}]", namer.topic(*t)), "partition"),
            Lane::Instance(i) => (namer.instance(*i), "instance"),
        };
        let _ = writeln!(
            s,
            r##"<line x1="{lx:.1}" y1="{:.1}" x2="{lx:.1}" y2="{:.1}" stroke="#cccccc" stroke-width="1"/>"##,
            TOP - 8.0,
            TOP + height + 8.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{lx:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">{}</text>"#,
            TOP - 30.0,
            xml(&clip(&name, 18))
        );
        let _ = writeln!(
            s,
            r##"<text x="{lx:.1}" y="{:.1}" text-anchor="middle" fill="#666666">{sub}</text>"##,
            TOP - 16.0
        );
    }
    ticks(&mut s, &scale, width);
    body(run, selection, &mut s, &x, &y, out)?;
    findings(run, selection, &mut s, &x, &y, notes_x);
    s.push_str("</svg>\n");
    out.write_all(s.as_bytes())
}

/// The lanes the selection uses: producers, then partitions and queues (topics in order),
/// then instances.
fn lanes(run: &Run<'_>, selection: &Selection) -> Vec<Lane> {
    let trace = run.trace;
    let mut lanes: Vec<Lane> = Vec::new();
    let mut seen: rustc_hash::FxHashSet<Lane> = rustc_hash::FxHashSet::default();
    let mut add = |lane: Lane| {
        if seen.insert(lane) {
            lanes.push(lane);
        }
    };
    for &i in &selection.steps {
        let step = &trace.steps[i as usize];
        if step.kind == StepKind::Published && selection.derived.emitter(step.event_idx()).is_none() {
            add(Lane::Source(trace.event_of(step).source));
        }
        if let Some(topic) = step.topic
            && step.kind != StepKind::Committed
        {
            add(topic_lane(run, topic, step.partition));
        }
        if step.kind == StepKind::Routed {
            add(topic_lane(run, trace.event_of(step).topic, None));
        }
        if let Some(instance) = step.instance
            && step.kind != StepKind::Committed
        {
            add(Lane::Instance(instance));
        }
    }
    // A topic's whole-topic lane (a queue or bus) after its partitions.
    lanes.sort_by_key(|lane| match lane {
        Lane::Source(_) => (0, 0, 0),
        Lane::Topic(t, p) => (1, t.index(), p.map_or(usize::MAX, Partition::index)),
        Lane::Instance(i) => (2, i.index(), 0),
    });
    lanes
}

fn kind_name(kind: crate::scenario::model::TopicKind) -> &'static str {
    match kind {
        crate::scenario::model::TopicKind::Log => "log",
        crate::scenario::model::TopicKind::Queue => "queue",
        crate::scenario::model::TopicKind::Bus => "bus",
    }
}

fn topic_lane(run: &Run<'_>, topic: TopicIdx, partition: Option<Partition>) -> Lane {
    Lane::Topic(topic, partition.filter(|_| is_log(run.model, topic)))
}

/// The arrows, bars and marks, in step order.
/// Written out as it goes, a megabyte at a time (a long run's diagram is not held whole).
fn body(
    run: &Run<'_>,
    selection: &Selection,
    s: &mut String,
    x: &dyn Fn(&Lane) -> f64,
    y: &dyn Fn(u64) -> f64,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let trace = run.trace;
    let namer = run.namer();
    let derived = &selection.derived;
    for &i in &selection.steps {
        if s.len() >= 1 << 20 {
            out.write_all(s.as_bytes())?;
            s.clear();
        }
        let step = &trace.steps[i as usize];
        match step.kind {
            StepKind::Published | StepKind::Routed => {
                let e = step.event_idx();
                let event = trace.event(e);
                let (from, color) = match (step.kind, derived.emitter(e)) {
                    (StepKind::Routed, _) => (topic_lane(run, event.topic, None), DELIVER),
                    (_, Some(p)) => (Lane::Instance(p.instance), EMIT),
                    (_, None) => (Lane::Source(event.source), PUBLISH),
                };
                let to = topic_lane(run, step.topic_idx(), step.partition);
                let label = format!("{} {}", trace.strings.resolve(event.event_type), namer.event_id(e));
                // A bus's routed copy: a little lower than the publish into the bus at the
                // same time, without words (the publish says which event it is).
                let routed = step.kind == StepKind::Routed;
                let ay = y(step.t_us) + if routed { 5.0 } else { 0.0 };
                arrow(s, (x(&from), ay), (x(&to), ay), color, routed);
                let _ = writeln!(s, r#"<circle cx="{:.1}" cy="{ay:.1}" r="3" fill="{color}"/>"#, x(&to));
                if !routed {
                    label_at(s, f64::midpoint(x(&from), x(&to)), ay - 3.0, &label, color, "middle");
                }
            }
            StepKind::Delivered => delivery(run, selection, i, s, x, y),
            StepKind::Rebalanced => {
                let group = step.group_idx();
                let lanes_of_group: Vec<f64> = (trace.instances.iter().enumerate())
                    .filter(|(_, (g, _))| *g == group)
                    .map(|(inst, _)| x(&Lane::Instance(InstanceIdx::new(inst))))
                    .filter(|&lx| lx > LEFT)
                    .collect();
                let (Some(lo), Some(hi)) =
                    (lanes_of_group.iter().copied().reduce(f64::min), lanes_of_group.iter().copied().reduce(f64::max))
                else {
                    continue;
                };
                let ry = y(step.t_us);
                let _ = writeln!(
                    s,
                    r#"<line x1="{:.1}" y1="{ry:.1}" x2="{:.1}" y2="{ry:.1}" stroke="{REBALANCE}" stroke-width="2" stroke-dasharray="6 3"/>"#,
                    lo - 30.0,
                    hi + 30.0
                );
                label_at(s, lo - 34.0, ry + 4.0, &format!("{} rebalanced", namer.group(group)), REBALANCE, "end");
            }
            kind => {
                let Some(instance) = step.instance else { continue };
                let Some(words) = fault_words(kind) else { continue };
                let (cx, cy) = (x(&Lane::Instance(instance)), y(step.t_us));
                if kind == StepKind::Crashed {
                    let _ = writeln!(
                        s,
                        r#"<path d="M{:.1} {:.1} l12 12 m0 -12 l-12 12" stroke="{FAILED}" stroke-width="3"/>"#,
                        cx - 6.0,
                        cy - 6.0
                    );
                } else {
                    let _ = writeln!(
                        s,
                        r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="5" fill="white" stroke="{EFFECT}" stroke-width="2"/>"#
                    );
                }
                let color = if kind == StepKind::Crashed { FAILED } else { EFFECT };
                label_at(s, cx - 9.0, cy + 4.0, words, color, "end");
            }
        }
    }
    Ok(())
}

/// A delivery: the arrow from its append, and its processing's bar.
fn delivery(
    run: &Run<'_>,
    selection: &Selection,
    i: u32,
    s: &mut String,
    x: &dyn Fn(&Lane) -> f64,
    y: &dyn Fn(u64) -> f64,
) {
    let namer = run.namer();
    let derived = &selection.derived;
    let step = &run.trace.steps[i as usize];
    let (event, topic, instance) = (step.event_idx(), step.topic_idx(), step.instance_idx());
    let to = Lane::Instance(instance);
    let appended = derived.appended_at.get(&(event, topic)).map_or(step.t_us, |&(t, _)| t);
    let from = topic_lane(run, topic, step.partition);
    arrow(s, (x(&from), y(appended)), (x(&to), y(step.t_us)), DELIVER, true);
    if let Some(p) = derived.processing(i) {
        let color = match p.ending {
            Ending::Processed { effect: true } => EFFECT,
            Ending::Processed { effect: false } | Ending::Skipped | Ending::Unfinished => NO_EFFECT,
            Ending::Failed | Ending::Crashed => FAILED,
        };
        let (top, bottom) = (y(p.start_us), y(p.end_us).max(y(p.start_us) + 3.0));
        let _ = writeln!(
            s,
            r#"<rect x="{:.1}" y="{top:.1}" width="8" height="{:.1}" fill="{color}" fill-opacity="0.85"><title>{}</title></rect>"#,
            x(&to) - 4.0,
            bottom - top,
            xml(&format!("{} {}: {}", namer.instance(instance), namer.event_id(event), p.ending.name()))
        );
        label_at(s, x(&to) + 7.0, top + 9.0, &namer.event_id(event), "#333333", "start");
    }
}

/// The findings, as orange diamonds on their lanes, their words in the column at `notes_x`
/// (a dotted line from the diamond), each on a line of its own: a label that would overlap
/// the one before goes under it.
fn findings(
    run: &Run<'_>,
    selection: &Selection,
    s: &mut String,
    x: &dyn Fn(&Lane) -> f64,
    y: &dyn Fn(u64) -> f64,
    notes_x: f64,
) {
    let trace = run.trace;
    let mut free = f64::MIN;
    for (i, finding) in selection.findings() {
        let step = &trace.steps[i as usize];
        let lane = match step.instance {
            None => topic_lane(run, trace.event(finding.event).topic, step.partition),
            Some(instance) => Lane::Instance(instance),
        };
        let (cx, cy) = (x(&lane), y(step.t_us));
        let _ =
            writeln!(s, r#"<path d="M{cx:.1} {:.1} l7 7 l-7 7 l-7 -7 z" fill="{FINDING}" stroke="white"/>"#, cy - 7.0);
        let ly = (cy + 4.0).max(free);
        free = ly + 13.0;
        let _ = writeln!(
            s,
            r#"<polyline points="{:.1},{cy:.1} {:.1},{cy:.1} {:.1},{:.1}" fill="none" stroke="{FINDING}" stroke-width="0.8" stroke-dasharray="1 2"/>"#,
            cx + 8.0,
            notes_x - 14.0,
            notes_x - 4.0,
            ly - 4.0
        );
        label_at(s, notes_x, ly, &finding_text(run, finding), FINDING, "start");
    }
}

fn defs() -> String {
    let mut s = String::from("<defs>\n");
    for (id, color) in [("publish", PUBLISH), ("emit", EMIT), ("deliver", DELIVER)] {
        let _ = writeln!(
            s,
            r#"<marker id="head-{id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="{color}"/></marker>"#
        );
    }
    s.push_str("</defs>\n");
    s
}

fn arrow(s: &mut String, from: (f64, f64), to: (f64, f64), color: &str, dashed: bool) {
    let id = match color {
        PUBLISH => "publish",
        EMIT => "emit",
        _ => "deliver",
    };
    let dash = if dashed { r#" stroke-dasharray="4 2""# } else { "" };
    let _ = writeln!(
        s,
        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="1.3"{dash} marker-end="url(#head-{id})"/>"#,
        from.0, from.1, to.0, to.1
    );
}

fn label_at(s: &mut String, x: f64, y: f64, text: &str, color: &str, anchor: &str) {
    let _ = writeln!(
        s,
        r#"<text x="{x:.1}" y="{y:.1}" fill="{color}" text-anchor="{anchor}" font-size="10">{}</text>"#,
        xml(text)
    );
}

/// The legend, in a row under the title: each mark as drawn, and its words.
fn legend(s: &mut String) {
    let ly = 48.0;
    let items: [(&dyn Fn(f64) -> String, &str); 9] = [
        (&|lx| legend_arrow(lx, ly, PUBLISH, "publish", ""), "publish"),
        (&|lx| legend_arrow(lx, ly, EMIT, "emit", ""), "emit (a handler publishes)"),
        (&|lx| legend_arrow(lx, ly, DELIVER, "deliver", r#" stroke-dasharray="4 2""#), "delivery, bus route"),
        (
            &|lx| format!(r#"<rect x="{lx:.1}" y="{:.1}" width="20" height="8" fill="{EFFECT}"/>"#, ly - 4.0),
            "processing, effect",
        ),
        (
            &|lx| format!(r#"<rect x="{lx:.1}" y="{:.1}" width="20" height="8" fill="{NO_EFFECT}"/>"#, ly - 4.0),
            "no effect / skipped",
        ),
        (&|lx| format!(r#"<rect x="{lx:.1}" y="{:.1}" width="20" height="8" fill="{FAILED}"/>"#, ly - 4.0), "failed"),
        (
            &|lx| {
                format!(
                    r#"<path d="M{:.1} {:.1} l10 10 m0 -10 l-10 10" stroke="{FAILED}" stroke-width="3"/><circle cx="{:.1}" cy="{ly:.1}" r="5" fill="white" stroke="{EFFECT}" stroke-width="2"/>"#,
                    lx,
                    ly - 5.0,
                    lx + 20.0
                )
            },
            "crash, restart",
        ),
        (
            &|lx| {
                format!(
                    r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{REBALANCE}" stroke-width="2" stroke-dasharray="6 3"/>"#,
                    lx + 24.0
                )
            },
            "rebalance",
        ),
        (
            &|lx| format!(r#"<path d="M{:.1} {:.1} l7 7 l-7 7 l-7 -7 z" fill="{FINDING}"/>"#, lx + 10.0, ly - 7.0),
            "finding",
        ),
    ];
    let mut lx = 12.0;
    for (shape, words) in items {
        s.push_str(&shape(lx));
        let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}">{words}</text>"#, lx + 30.0, ly + 4.0);
        lx += 40.0 + words.len() as f64 * 6.2;
    }
    let _ = writeln!(
        s,
        r##"<text x="12" y="{:.0}" fill="#666666">time flows down (virtual time since the run's start); a lane per producer, per partition or queue, and per consumer instance</text>"##,
        ly + 24.0
    );
}

fn legend_arrow(lx: f64, ly: f64, color: &str, id: &str, dash: &str) -> String {
    format!(
        r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{color}" stroke-width="1.3"{dash} marker-end="url(#head-{id})"/>"#,
        lx + 24.0
    )
}

/// Time, flowing down: each distinct time of the diagram a row, the rows further apart the
/// more time passes between them (a millisecond is a small step, a second a large one), so
/// that a burst of steps stays readable beside long quiet spells. Still monotonic: later is
/// lower.
struct Scale {
    times: Vec<u64>,
    ys: Vec<f64>,
}

impl Scale {
    fn new(run: &Run<'_>, selection: &Selection) -> Self {
        let trace = run.trace;
        let mut times: Vec<u64> = Vec::with_capacity(selection.steps.len() * 2);
        for &i in &selection.steps {
            let step = &trace.steps[i as usize];
            times.push(step.t_us);
            if step.kind == StepKind::Delivered {
                if let Some(&(t, _)) = selection.derived.appended_at.get(&(step.event_idx(), step.topic_idx())) {
                    times.push(t);
                }
                if let Some(p) = selection.derived.processing(i) {
                    times.extend([p.start_us, p.end_us]);
                }
            }
        }
        times.sort_unstable();
        times.dedup();
        let mut ys = Vec::with_capacity(times.len());
        let mut y = TOP + 10.0;
        for (k, &t) in times.iter().enumerate() {
            if k > 0 {
                let gap = (t - times[k - 1]) as f64 / 1000.0;
                y += 16.0 + (14.0 * (1.0 + gap).log10()).min(60.0);
            }
            ys.push(y);
        }
        Scale { times, ys }
    }

    fn y(&self, t: u64) -> f64 {
        match self.times.binary_search(&t) {
            Ok(k) => self.ys[k],
            Err(0) => self.ys.first().copied().unwrap_or(TOP + 10.0),
            Err(k) if k >= self.times.len() => self.ys.last().copied().unwrap_or(TOP + 10.0),
            Err(k) => {
                let (t0, t1) = (self.times[k - 1] as f64, self.times[k] as f64);
                self.ys[k - 1] + (self.ys[k] - self.ys[k - 1]) * (t as f64 - t0) / (t1 - t0)
            }
        }
    }

    /// From the top of the lanes to the last row, and a little more.
    fn height(&self) -> f64 {
        self.ys.last().map_or(40.0, |y| y - TOP + 30.0)
    }
}

/// Time marks on the left: a row's time, where there is room for it.
fn ticks(s: &mut String, scale: &Scale, width: f64) {
    let mut last = f64::MIN;
    for (&t, &ty) in scale.times.iter().zip(&scale.ys) {
        if ty - last < 36.0 {
            continue;
        }
        last = ty;
        let _ = writeln!(
            s,
            r##"<line x1="{:.1}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#f0f0f0"/>"##,
            LEFT - 6.0,
            width - 20.0
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#666666">{}</text>"##,
            LEFT - 10.0,
            ty + 4.0,
            super::millis(t) + "ms"
        );
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// Text as XML character data or an attribute value: `&`, `<`, `>`, `"` and `'` as
/// references, control characters (which XML 1.0 does not allow) as spaces.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
