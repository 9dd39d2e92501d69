//! The per-group metrics over time, as CSV: one row per bucket (`--bucket`, 100 ms by
//! default) and group, in time then group order.
//!
//! `t_ms` is the bucket's end; every figure is the group's as the analysis has it once
//! every step before that time is read (the same figures as the summary's, so a run's last
//! row per group is its summary): `lag` the current lag, the counts since the run began.

use std::fmt::Write as _;
use std::io;

use super::{Options, Run, Selection, millis};
use crate::analysis::Analysis;
use crate::scenario::model::Metric;

/// The columns after `t_ms` and `group`: the lag now, then the counts.
pub const METRICS: [(&str, Metric); 11] = [
    ("lag", Metric::FinalLag),
    ("delivered", Metric::Delivered),
    ("effects", Metric::Effects),
    ("duplicate_effects", Metric::DuplicateEffects),
    ("duplicate_deliveries", Metric::DuplicateDeliveries),
    ("out_of_order", Metric::OutOfOrder),
    ("lost", Metric::Lost),
    ("failed", Metric::Failed),
    ("dead_lettered", Metric::DeadLettered),
    ("max_lag", Metric::MaxLag),
    ("read_model_mismatches", Metric::ReadModelMismatches),
];

pub fn write(run: &Run<'_>, selection: &Selection, options: &Options, out: &mut dyn io::Write) -> io::Result<()> {
    let mut text = String::from("t_ms,group");
    for (name, _) in METRICS {
        text.push(',');
        text.push_str(name);
    }
    text.push('\n');
    over_time(run, selection, options.bucket_us, |end, analysis| {
        for (g, gm) in run.model.groups.iter().enumerate() {
            let _ = write!(text, "{},{}", millis(end), field(&gm.name));
            for (_, metric) in METRICS {
                let _ = write!(text, ",{}", analysis.metric(metric, Some(g)));
            }
            text.push('\n');
        }
    });
    out.write_all(text.as_bytes())
}

/// Calls `each` with the end of every bucket from the selection's start to past its end,
/// and the analysis of the steps before that time.
pub(super) fn over_time(run: &Run<'_>, selection: &Selection, bucket: u64, mut each: impl FnMut(u64, &Analysis)) {
    let steps = run.steps();
    let (start, end) = if selection.from > 0 || selection.to < u64::MAX {
        (selection.from, selection.to.min(steps.last().map_or(0, |s| s.t_us)))
    } else {
        (0, steps.last().map_or(0, |s| s.t_us))
    };
    let mut analysis = Analysis::new(std::sync::Arc::clone(run.model));
    let mut read = 0;
    let mut edge = start.saturating_add(bucket);
    loop {
        while read < steps.len() && steps[read].t_us < edge {
            read += 1;
        }
        analysis.observe_until(run.trace, read);
        each(edge, &analysis);
        if edge > end {
            break;
        }
        edge = edge.saturating_add(bucket);
    }
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}
