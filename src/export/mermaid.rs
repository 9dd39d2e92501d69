//! A Mermaid `sequenceDiagram` of the selected steps.
//!
//! Participants: the producers (and scripted sources) that published, then the topics,
//! then the consumer instances, each as it first takes part. One arrow per publish (from a
//! producer, or from the instance whose handler emitted the event), per copy a bus routed,
//! and per delivery; a `Note` for each fault (a crash, a rebalance) and each finding
//! ("delivered twice", "out of order", ...). A diagram of more than [`MAX_ARROWS`] arrows is
//! refused: Mermaid draws it, but nobody reads it.
//!
//! Names are written through [`text`], which spells every character Mermaid gives a
//! meaning to as an entity code (`#35;` for `#`), so any name a scenario holds parses.

use std::fmt::Write as _;
use std::io;

use super::{ExportError, Options, Run, Selection, fault_words, finding_text, place, source_name};
use crate::trace::{InstanceIdx, StepKind, TopicIdx};

/// The most arrows a diagram holds.
pub const MAX_ARROWS: usize = 300;

/// A participant: a producer (by source name), a topic, or an instance.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Source(String),
    Topic(TopicIdx),
    Instance(InstanceIdx),
}

/// One line of the diagram, before the participants are known.
enum Line {
    Arrow {
        from: Who,
        to: Who,
        text: String,
    },
    Note {
        over: Who,
        text: String,
    },
    /// The note before spans to this participant too (`Note over a,b`).
    Span(Who),
}

pub fn write(
    run: &Run<'_>,
    selection: &Selection,
    options: &Options,
    out: &mut dyn io::Write,
) -> Result<(), ExportError> {
    // Counted before a line is written: a big run is refused at once.
    let arrow_steps = |kind| matches!(kind, StepKind::Published | StepKind::Routed | StepKind::Delivered);
    let arrows = selection.steps.iter().filter(|&&i| arrow_steps(run.trace.steps[i as usize].kind)).count();
    if arrows > MAX_ARROWS {
        let example = selection
            .steps
            .iter()
            .find_map(|&i| {
                let step = &run.trace.steps[i as usize];
                step.event.map(|event| run.trace.event(event).correlation.render(&run.trace.strings))
            })
            .map(|id| format!(", e.g. --correlation {id}"))
            .unwrap_or_default();
        return Err(ExportError::Refused(format!(
            "mermaid: {arrows} arrows, more than the {MAX_ARROWS} a sequence diagram can show: narrow it with \
             --correlation ID{example}, or a time window with --from/--to"
        )));
    }
    let lines = lines(run, selection);
    // Participants in the order of their kind, then of first appearance.
    let mut who: Vec<Who> = Vec::new();
    for line in &lines {
        let (a, b) = match line {
            Line::Arrow { from, to, .. } => (from, Some(to)),
            Line::Note { over, .. } | Line::Span(over) => (over, None),
        };
        for w in std::iter::once(a).chain(b) {
            if !who.contains(w) {
                who.push(w.clone());
            }
        }
    }
    who.sort_by_key(|w| match w {
        Who::Source(_) => 0,
        Who::Topic(t) => 1 + t.index(),
        Who::Instance(i) => 1 + run.model.topics.len() + i.index(),
    });
    let id = |w: &Who| format!("p{}", who.iter().position(|x| x == w).unwrap_or(0));
    let mut text_out = String::new();
    let _ = writeln!(text_out, "sequenceDiagram");
    let _ = writeln!(text_out, "    %% eventlab export of {}", one_line(&title(run, selection, options)));
    let namer = run.namer();
    for w in &who {
        let name = match w {
            Who::Source(name) => name.clone(),
            Who::Topic(t) => namer.topic(*t).to_owned(),
            Who::Instance(i) => namer.instance(*i),
        };
        let _ = writeln!(text_out, "    participant {} as {}", id(w), text(&name));
    }
    for (n, line) in lines.iter().enumerate() {
        match line {
            Line::Arrow { from, to, text: t } => {
                let _ = writeln!(text_out, "    {}->>{}: {}", id(from), id(to), text(t));
            }
            Line::Note { over, text: t } => {
                let over = match lines.get(n + 1) {
                    Some(Line::Span(to)) => format!("{},{}", id(over), id(to)),
                    _ => id(over),
                };
                let _ = writeln!(text_out, "    Note over {over}: {}", text(t));
            }
            Line::Span(_) => {}
        }
    }
    out.write_all(text_out.as_bytes())?;
    Ok(())
}

/// What the diagram is of: the scenario, the seed, and the selection.
pub(super) fn title(run: &Run<'_>, selection: &Selection, options: &Options) -> String {
    let mut title = format!("{}, seed {}", run.model.scenario.name, run.model.seed);
    if let Some(id) = selection.correlation {
        let _ = write!(title, ", correlation {}", id.render(&run.trace.strings));
    }
    if options.from.is_some() || options.to.is_some() {
        let from = crate::scenario::value::Duration(selection.from);
        let _ = match options.to {
            Some(to) => write!(title, ", {from} to {}", crate::scenario::value::Duration(to)),
            None => write!(title, ", from {from}"),
        };
    }
    title
}

fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The diagram's lines, in step order.
fn lines(run: &Run<'_>, selection: &Selection) -> Vec<Line> {
    let trace = run.trace;
    let namer = run.namer();
    let derived = &selection.derived;
    let mut lines = Vec::new();
    let mut findings = selection.findings().peekable();
    for &i in &selection.steps {
        let step = &trace.steps[i as usize];
        match step.kind {
            StepKind::Published => {
                let e = step.event_idx();
                let from = match derived.emitter(e) {
                    Some(p) => Who::Instance(p.instance),
                    None => Who::Source(source_name(run, e).to_owned()),
                };
                let event = trace.event(e);
                let kind = trace.strings.resolve(event.event_type);
                let text = format!("{kind} {} → {}", namer.event_id(e), place(run, step));
                lines.push(Line::Arrow { from, to: Who::Topic(step.topic_idx()), text });
            }
            StepKind::Routed => {
                let e = step.event_idx();
                let bus = trace.event(e).topic;
                let text = format!("route {} → {}", namer.event_id(e), place(run, step));
                lines.push(Line::Arrow { from: Who::Topic(bus), to: Who::Topic(step.topic_idx()), text });
            }
            StepKind::Delivered => {
                let mut text = format!("deliver {} from {}", namer.event_id(step.event_idx()), place(run, step));
                if let Some(receive) = step.receive()
                    && receive > 1
                {
                    let _ = write!(text, " (receive {receive})");
                }
                let to = Who::Instance(step.instance_idx());
                lines.push(Line::Arrow { from: Who::Topic(step.topic_idx()), to, text });
            }
            StepKind::DeadLettered => {
                let text = format!("dead-lettered {}", namer.event_id(step.event_idx()));
                lines.push(Line::Note { over: Who::Topic(step.topic_idx()), text });
            }
            kind => {
                if let Some(words) = fault_words(kind) {
                    if let Some(instance) = step.instance {
                        lines.push(Line::Note { over: Who::Instance(instance), text: words.to_owned() });
                    } else if kind == StepKind::Rebalanced {
                        // Over the group's instances that take part (from the first to the
                        // last), or none.
                        let group = namer.group(step.group_idx()).to_owned();
                        let instances = || {
                            selection.steps.iter().filter_map(|&j| {
                                let s = &trace.steps[j as usize];
                                if s.group == step.group { s.instance } else { None }
                            })
                        };
                        if let (Some(first), Some(last)) = (instances().min(), instances().max()) {
                            let text = format!("{group} rebalanced");
                            lines.push(Line::Note { over: Who::Instance(first), text });
                            if last != first {
                                lines.push(Line::Span(Who::Instance(last)));
                            }
                        }
                    }
                }
            }
        }
        while let Some((_, finding)) = findings.next_if(|(at, _)| *at <= i) {
            let at = &trace.steps[finding.step as usize - 1];
            let over = match at.instance {
                None => Who::Topic(trace.event(finding.event).topic),
                Some(instance) => Who::Instance(instance),
            };
            lines.push(Line::Note { over, text: finding_text(run, finding) });
        }
    }
    for (_, finding) in findings {
        let over = Who::Topic(trace.event(finding.event).topic);
        lines.push(Line::Note { over, text: finding_text(run, finding) });
    }
    lines
}

/// `name` as Mermaid reads it back: letters, digits, spaces and a few harmless marks as
/// they are, every other ASCII mark as an entity code (`#35;`), control characters as
/// spaces.
pub fn text(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            c if c.is_alphanumeric() || c == ' ' => out.push(c),
            '-' | '_' | '.' | ':' | '@' | '/' | '(' | ')' | '[' | ']' | '→' | '\'' | '*' | '=' | '!' | '?' => {
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c if c.is_ascii() => {
                let _ = write!(out, "#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    if out.trim().is_empty() { "#32;".to_owned() } else { out }
}
