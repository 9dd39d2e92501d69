//! `expect` assertions, evaluated against the analysis at the end of a run.

use serde_json::{Value, json};

use super::Analysis;
use crate::scenario::model::{Expectation, Metric, StateRef};
use crate::trace::Trace;

/// The outcome of one expectation.
#[derive(Clone, Debug)]
pub struct Checked {
    pub expect: Expectation,
    pub passed: bool,
    pub actual: Value,
}

impl Checked {
    pub fn to_json(&self) -> Value {
        json!({"expect": self.expect, "passed": self.passed, "actual": self.actual})
    }

    /// `billing duplicate_effects = 0`: what was expected, in words.
    pub fn describe(&self) -> String {
        self.describe_target(true)
    }

    /// What was expected, with its target value (`= 0`) or, when `target` is false, with a
    /// `?` in its place (`= ?`): the question without its answer.
    pub fn describe_target(&self, target: bool) -> String {
        let e = &self.expect;
        let subject = match (&e.metric, &e.state) {
            (Some(metric), _) => {
                let scope = e.group.as_deref().or(e.topic.as_deref()).map(|s| format!("{s} ")).unwrap_or_default();
                format!("{scope}{}", metric.name())
            }
            (None, Some(state)) => format!(
                "{}[{}].{}",
                state.aggregate.as_deref().or(state.read_model.as_deref()).unwrap_or("?"),
                state.key,
                state.field
            ),
            (None, None) => "?".to_owned(),
        };
        let shown = |v: String| if target { v } else { "?".to_owned() };
        let bound = if let Some(v) = &e.equals {
            format!("= {}", shown(v.to_string()))
        } else if let Some(v) = e.at_most {
            format!("≤ {}", shown(number(v).to_string()))
        } else if let Some(v) = e.at_least {
            format!("≥ {}", shown(number(v).to_string()))
        } else {
            String::new()
        };
        format!("{subject} {bound}")
    }
}

fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9e15 { Value::from(v as i64) } else { Value::from(v) }
}

pub use crate::json::json_equal;

impl Analysis {
    /// Evaluates one expectation against the current figures.
    pub fn check(&self, trace: &Trace, expect: &Expectation) -> Checked {
        let actual = match expect.metric {
            Some(Metric::Published) => {
                let topic = expect.topic.as_deref().and_then(|t| self.model.topic_named(t));
                Value::from(topic.map_or(self.published, |t| self.published_to(usize::from(t))))
            }
            Some(metric) => {
                let group = expect.group.as_deref().and_then(|g| self.model.group_named(g));
                Value::from(self.metric(metric, group.map(usize::from)))
            }
            None => expect.state.as_ref().map_or(Value::Null, |state| self.state_field(trace, state)),
        };
        let passed = if let Some(want) = &expect.equals {
            json_equal(&actual, want)
        } else if let Some(max) = expect.at_most {
            actual.as_f64().is_some_and(|a| a <= max)
        } else if let Some(min) = expect.at_least {
            actual.as_f64().is_some_and(|a| a >= min)
        } else {
            false
        };
        Checked { expect: expect.clone(), passed, actual }
    }

    /// The field a state expectation reads (`null` when the key or the field has none).
    pub fn state_field(&self, trace: &Trace, state: &StateRef) -> Value {
        let Some(key) = trace.strings.get(&state.key) else { return Value::Null };
        let object = if let Some(aggregate) = &state.aggregate {
            let Some(a) = self.model.aggregates.iter().position(|m| &m.name == aggregate) else { return Value::Null };
            self.aggregate_state(a, key).map(|(v, _)| v)
        } else if let Some(consumer) = &state.read_model {
            let Some(g) = self.model.groups.iter().position(|m| &m.consumer == consumer) else { return Value::Null };
            self.read_model_state(g, key)
        } else {
            None
        };
        object.and_then(|o| o.get(&state.field).cloned()).unwrap_or(Value::Null)
    }

    /// Every expectation of the scenario.
    pub fn check_all(&self, trace: &Trace) -> Vec<Checked> {
        self.model.scenario.expect.iter().map(|e| self.check(trace, e)).collect()
    }
}
