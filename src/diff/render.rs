//! The two renderings of a [`Diff`]: the readable table `eventlab diff` prints, and its
//! `--json` object (its shape is documented in `scenarios/README.md`).

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::{Diff, Figure, FindingRow, Heading, Of, StepDiff};
use crate::analysis::expect::Checked;

/// How many findings of one side the table lists (`--json` lists them all).
pub const LISTED: usize = 10;

/// A value, or `–` where that run has none.
fn shown<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn heading_line(out: &mut String, side: &str, h: &Heading) {
    let cut = if h.complete { "" } else { ", cut before its end" };
    let _ = writeln!(out, "{side}  {} · \"{}\" · seed {} · {} steps{cut}", h.label, h.scenario, h.seed, h.steps);
}

/// What differs, in one line.
fn verdict(diff: &Diff) -> String {
    if diff.equal() {
        let steps = diff.a.steps;
        return format!("the runs are equal: the same figures, findings and {steps} steps");
    }
    let mut parts = Vec::new();
    match diff.changed_figures() {
        0 => {}
        n => parts.push(plural(n, "figure", "figures")),
    }
    match diff.expectations.iter().filter(|e| e.changed()).count() {
        0 => {}
        n => parts.push(plural(n, "expectation", "expectations")),
    }
    if !diff.only_a.is_empty() {
        parts.push(format!("{} only in A", plural(diff.only_a.len(), "finding", "findings")));
    }
    if !diff.only_b.is_empty() {
        parts.push(format!("{} only in B", plural(diff.only_b.len(), "finding", "findings")));
    }
    if let Some(first) = &diff.first_difference {
        parts.push(format!("the traces from {}", step_numbers(first)));
    }
    format!("the runs differ: {}", parts.join(", "))
}

/// One aligned row: a mark where the sides differ, a name, A's and B's values.
struct Row {
    changed: bool,
    name: String,
    /// Before A's value (an expectation's verdict in A).
    before: String,
    a: String,
    b: String,
    /// After B's value (an expectation's verdicts and origin).
    after: String,
}

/// Rows under their section titles (`Err`: a title line), aligned together.
fn rows_text(out: &mut String, rows: &[Result<Row, String>]) {
    let width = |f: fn(&Row) -> &str| rows.iter().flatten().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let (name_w, before_w, a_w, b_w) = (width(|r| &r.name), width(|r| &r.before), width(|r| &r.a), width(|r| &r.b));
    for row in rows {
        match row {
            Err(title) => {
                let _ = writeln!(out, "{title}");
            }
            Ok(r) => {
                let mark = if r.changed { '*' } else { ' ' };
                let before = if before_w == 0 { String::new() } else { format!("{:before_w$} ", r.before) };
                let line = format!("{mark} {:name_w$}  {before}{:>a_w$} → {:<b_w$}{}", r.name, r.a, r.b, r.after);
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
    }
}

fn figure_row(f: &Figure) -> Row {
    Row {
        changed: f.changed(),
        name: f.name.to_owned(),
        before: String::new(),
        a: shown(f.a),
        b: shown(f.b),
        after: String::new(),
    }
}

fn verdict_mark(c: Option<&Checked>) -> &'static str {
    match c {
        Some(c) if c.passed => "✓",
        Some(_) => "✗",
        None => " ",
    }
}

fn finding_lines(out: &mut String, side: &str, rows: &[FindingRow]) {
    if rows.is_empty() {
        let _ = writeln!(out, "findings only in {side}: none");
        return;
    }
    let _ = writeln!(out, "findings only in {side} ({}):", rows.len());
    let listed = &rows[..rows.len().min(LISTED)];
    let w = |f: fn(&FindingRow) -> usize| listed.iter().map(f).max().unwrap_or(0);
    let (class_w, event_w, scope_w) =
        (w(|r| r.class.name().len()), w(|r| r.event.chars().count()), w(|r| r.scope.chars().count()));
    for r in listed {
        let _ = writeln!(
            out,
            "  {:class_w$}  {:event_w$}  {:scope_w$}  {} at step {}",
            r.class.name(),
            r.event,
            r.scope,
            r.kind.name(),
            r.step
        );
    }
    if rows.len() > LISTED {
        let _ = writeln!(out, "  … {} more (--json lists them all)", rows.len() - LISTED);
    }
}

/// `step 57`, or `step 57 in A, 55 in B` when notes make the numbers differ.
fn step_numbers(first: &StepDiff) -> String {
    match (first.a_step(), first.b_step()) {
        (Some(a), Some(b)) if a == b => format!("step {a}"),
        (Some(a), Some(b)) => format!("step {a} in A, {b} in B"),
        (Some(a), None) => format!("step {a} in A (B has ended)"),
        (None, Some(b)) => format!("step {b} in B (A has ended)"),
        (None, None) => "the end".to_owned(),
    }
}

fn step_lines(out: &mut String, diff: &Diff) {
    let Some(first) = &diff.first_difference else {
        let _ = writeln!(out, "the traces are the same, step by step ({} steps)", diff.a.steps);
        return;
    };
    let fields =
        if first.a.is_some() && first.b.is_some() { format!(" ({})", first.fields.join(", ")) } else { String::new() };
    let _ = writeln!(out, "first difference: {}{fields}", step_numbers(first));
    for (side, step, heading) in [("A", &first.a, &diff.a), ("B", &first.b, &diff.b)] {
        match step {
            Some(step) => {
                let _ = writeln!(out, "  {side}  {}", Value::Object(step.clone()));
            }
            None => {
                let _ = writeln!(out, "  {side}  (its trace has ended, after step {})", heading.steps);
            }
        }
    }
}

/// The readable table: both runs, what differs in a line, every figure `A → B` (changed ones
/// marked `*`), the expectations on both sides, the findings of one side only, and the
/// first differing step with both sides' lines.
pub fn table(diff: &Diff) -> String {
    let mut out = String::new();
    heading_line(&mut out, "A", &diff.a);
    heading_line(&mut out, "B", &diff.b);
    let _ = writeln!(out, "\n{}\n", verdict(diff));
    let mut rows = vec![Err("run-wide".to_owned())];
    rows.extend(diff.run.iter().map(|f| Ok(figure_row(f))));
    for group in &diff.groups {
        rows.push(Err(format!("group {}", group.name)));
        rows.extend(group.figures.iter().map(|f| Ok(figure_row(f))));
    }
    rows_text(&mut out, &rows);
    if !diff.expectations.is_empty() {
        let mut rows = vec![Err("\nexpectations".to_owned())];
        for e in &diff.expectations {
            let origin = match e.of {
                Of::Both => "",
                Of::A => "  (A's only)",
                Of::B => "  (B's only)",
            };
            rows.push(Ok(Row {
                changed: e.changed(),
                name: e.describe.clone(),
                before: verdict_mark(e.a.as_ref()).to_owned(),
                a: shown(e.a.as_ref().map(|c| &c.actual)),
                b: shown(e.b.as_ref().map(|c| &c.actual)),
                after: format!(" {}{origin}", verdict_mark(e.b.as_ref())),
            }));
        }
        rows_text(&mut out, &rows);
    }
    out.push('\n');
    finding_lines(&mut out, "A", &diff.only_a);
    finding_lines(&mut out, "B", &diff.only_b);
    out.push('\n');
    step_lines(&mut out, diff);
    out
}

fn heading_json(h: &Heading) -> Value {
    json!({"source": h.label, "scenario": h.scenario, "seed": h.seed, "steps": h.steps, "complete": h.complete})
}

fn figures_json(figures: &[Figure]) -> Value {
    let map: Map<String, Value> = figures.iter().map(|f| (f.name.to_owned(), json!({"a": f.a, "b": f.b}))).collect();
    Value::Object(map)
}

fn checked_json(c: Option<&Checked>) -> Value {
    c.map_or(Value::Null, |c| json!({"actual": c.actual, "passed": c.passed}))
}

fn findings_json(rows: &[FindingRow]) -> Value {
    rows.iter()
        .map(|r| {
            let scope = if r.class == crate::analysis::FindingClass::UncompensatedSaga { "saga" } else { "group" };
            json!({"class": r.class.name(), "event": r.event, scope: r.scope, "kind": r.kind.name(), "step": r.step,
                   "cause": r.cause})
        })
        .collect()
}

fn step_json(first: Option<&StepDiff>) -> Value {
    first.map_or(Value::Null, |s| {
        json!({"fields": s.fields, "a": s.a.clone().map(Value::Object),
               "b": s.b.clone().map(Value::Object)})
    })
}

/// The `--json` object.
pub fn json(diff: &Diff) -> Value {
    let groups: Map<String, Value> = diff.groups.iter().map(|g| (g.name.clone(), figures_json(&g.figures))).collect();
    let expectations: Vec<Value> = diff
        .expectations
        .iter()
        .map(|e| {
            json!({"expect": e.describe, "of": e.of.name(), "a": checked_json(e.a.as_ref()),
                   "b": checked_json(e.b.as_ref())})
        })
        .collect();
    json!({
        "equal": diff.equal(),
        "a": heading_json(&diff.a),
        "b": heading_json(&diff.b),
        "run": figures_json(&diff.run),
        "groups": groups,
        "expectations": expectations,
        "findings": {"only_a": findings_json(&diff.only_a), "only_b": findings_json(&diff.only_b)},
        "first_difference": step_json(diff.first_difference.as_ref()),
    })
}
