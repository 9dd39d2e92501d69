//! The `explore` section: fault templates that `eventlab explore` draws once per seed, and
//! the number of seeds to try.
//!
//! A template is a fault whose `at`, `for`, `restart_after`, `factor` (and a `duplicate`'s
//! `probability`) may be a distribution, whose consumer target may end `#*` (one instance
//! drawn among the consumer's), and which is added with `probability` (default 1; on a
//! `duplicate` template `probability` is the duplicate's own, and the template is always
//! added). Each seed draws from one stream of its own (kind `explore`), which no component
//! of the run reads: the drawn faults are appended to the scenario's own, so a seed with no
//! templates runs exactly as `run --seed N`.
//!
//! Validation turns each template into the faults at the ends of its ranges and checks them
//! as the scenario's own faults are checked (same messages, "did you mean" included), with
//! the path rewritten to `explore.faults[I]`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::limits::Limits;
use super::model::{Fault, Scenario};
use super::validate::Invalid;
use super::value::{Distribution, Duration};
use crate::rng::Stream;

/// The `explore` section.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Explore {
    /// How many seeds `eventlab explore` tries when `--seeds` is not given (default 1000):
    /// seeds 0 to N − 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeds: Option<u64>,
    /// Fault templates, drawn for every seed and appended to the scenario's faults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultTemplate>,
}

/// The seeds explored when neither `--seeds` nor the section says.
pub const DEFAULT_SEEDS: u64 = 1000;

/// A number, or a number drawn uniformly from `[MIN, MAX]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Fixed(f64),
    Uniform(f64, f64),
}

impl Number {
    fn ends(self) -> [f64; 2] {
        match self {
            Number::Fixed(x) => [x, x],
            Number::Uniform(a, b) => [a, b],
        }
    }

    fn draw(self, stream: &mut Stream) -> f64 {
        match self {
            Number::Fixed(x) => x,
            Number::Uniform(a, b) => stream.float_in(a, b),
        }
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Number::Fixed(x) => serializer.serialize_f64(x),
            Number::Uniform(a, b) => {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("uniform", &[a, b])?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(deserializer)?;
        const EXPECTED: &str = "a number or {\"uniform\": [MIN, MAX]}";
        match &value {
            serde_json::Value::Number(n) => {
                n.as_f64().map(Number::Fixed).ok_or_else(|| D::Error::custom(format!("expected {EXPECTED}")))
            }
            serde_json::Value::Object(map) => {
                let mut entries = map.iter();
                let Some((name, range)) = entries.next() else {
                    return Err(D::Error::custom(format!("empty distribution: expected {EXPECTED}")));
                };
                if name != "uniform" {
                    let hint = super::suggest::did_you_mean(name, ["uniform"]);
                    return Err(D::Error::custom(format!(
                        "unknown distribution \"{name}\"{hint} (a number takes {{\"uniform\": [MIN, MAX]}})"
                    )));
                }
                if let Some((extra, _)) = entries.next() {
                    return Err(D::Error::custom(format!(
                        "a distribution has exactly one key; \"{extra}\" is one too many"
                    )));
                }
                let ends: Vec<f64> = range
                    .as_array()
                    .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
                    .unwrap_or_default();
                match ends.as_slice() {
                    [a, b] if range.as_array().is_some_and(|r| r.len() == 2) => {
                        if a > b {
                            return Err(D::Error::custom(format!("uniform [{a}, {b}]: MIN is greater than MAX")));
                        }
                        Ok(Number::Uniform(*a, *b))
                    }
                    _ => Err(D::Error::custom("\"uniform\" takes two numbers: [MIN, MAX]")),
                }
            }
            _ => Err(D::Error::custom(format!("expected {EXPECTED}"))),
        }
    }
}

impl JsonSchema for Number {
    fn schema_name() -> Cow<'static, str> {
        "NumberDistribution".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number, or {\"uniform\": [MIN, MAX]}.",
            "oneOf": [
                {"type": "number"},
                {"type": "object", "properties": {"uniform": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
                 "required": ["uniform"], "additionalProperties": false}
            ]
        })
    }
}

/// A fault template: a fault with distributions where a fault has durations and numbers.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultTemplate {
    pub at: Distribution,
    /// A consumer, `NAME#I`, or `NAME#*`: one instance drawn among the consumer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_after: Option<Distribution>,
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<Distribution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<Number>,
    /// The chance the template is added for a seed (default 1); on a `duplicate`
    /// template, the duplicate's own probability (the template is then always added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<Distribution>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
}

fn draw_duration(d: Distribution, stream: &mut Stream) -> Duration {
    match d {
        Distribution::Fixed(d) => d,
        Distribution::Uniform(a, b) => Duration(a.0 + stream.below(b.0 - a.0 + 1)),
        Distribution::Exponential(mean) => Duration(stream.exponential(mean.0 as f64)),
    }
}

/// Which end of its ranges a template is turned into, for validation.
#[derive(Clone, Copy)]
enum End {
    Low,
    High,
}

fn end_duration(d: Distribution, end: End) -> Duration {
    match (d, end) {
        (Distribution::Fixed(d), _) | (Distribution::Uniform(d, _), End::Low) => d,
        (Distribution::Uniform(_, d), End::High) => d,
        // An exponential draw: its mean stands for it.
        (Distribution::Exponential(mean), _) => mean,
    }
}

impl FaultTemplate {
    fn is_duplicate(&self) -> bool {
        self.duplicate.is_some()
    }

    /// The fault with every field fixed by `value`, and a `#*` target made `#I` by `instance`.
    fn fault(
        &self,
        mut duration: impl FnMut(Distribution) -> Duration,
        mut number: impl FnMut(Number) -> f64,
        instance: impl FnOnce(&str) -> String,
    ) -> Fault {
        // Draw order is fixed: at, the instance, restart_after, for, factor, probability.
        let at = duration(self.at);
        let consumer_target = self.crash.as_ref().or(self.pause.as_ref()).or(self.slow.as_ref()).cloned();
        let resolved = consumer_target.map(|t| match t.strip_suffix("#*") {
            Some(consumer) => instance(consumer),
            None => t,
        });
        let (crash, pause, slow) = match (&self.crash, &self.pause, &self.slow) {
            (Some(_), _, _) => (resolved, None, None),
            (None, Some(_), _) => (None, resolved, None),
            (None, None, Some(_)) => (None, None, resolved),
            _ => (None, None, None),
        };
        let restart_after = self.restart_after.map(&mut duration);
        let for_ = self.for_.map(&mut duration);
        let factor = self.factor.map(&mut number);
        let probability = if self.is_duplicate() { self.probability.map(&mut number) } else { None };
        let jitter = self.jitter;
        Fault {
            at,
            crash,
            pause,
            slow,
            add_instance: self.add_instance.clone(),
            duplicate: self.duplicate.clone(),
            delay: self.delay.clone(),
            upgrade: self.upgrade.clone(),
            restart_after,
            for_,
            factor,
            probability,
            jitter,
            event_type: self.event_type.clone(),
            schema_version: self.schema_version,
        }
    }

    /// The chance the template is added for a seed.
    fn inclusion(&self) -> Option<Number> {
        if self.is_duplicate() { None } else { self.probability }
    }
}

/// The stream a seed's templates are drawn from.
pub fn stream(seed: u64) -> Stream {
    Stream::for_component(seed, "explore", "faults")
}

impl Explore {
    /// The faults seed `seed` draws from the templates, in template order: each template
    /// draws its values whether or not it is added, so one template's chance does not move
    /// the next one's draws.
    pub fn draw(&self, scenario: &Scenario, seed: u64) -> Vec<Fault> {
        let mut stream = stream(seed);
        let mut drawn = Vec::new();
        for template in &self.faults {
            let added = match template.inclusion() {
                Some(p) => {
                    let p = p.draw(&mut stream);
                    stream.chance(p)
                }
                None => true,
            };
            let instances = |consumer: &str| {
                scenario.consumers.iter().find(|c| c.name == consumer).map_or(1, |c| u64::from(c.instances.max(1)))
            };
            let fault = {
                let cell = std::cell::RefCell::new(&mut stream);
                template.fault(
                    |d| draw_duration(d, &mut cell.borrow_mut()),
                    |n| n.draw(&mut cell.borrow_mut()),
                    |consumer| format!("{consumer}#{}", 1 + cell.borrow_mut().below(instances(consumer))),
                )
            };
            if added {
                drawn.push(fault);
            }
        }
        drawn
    }
}

/// Checks the section of a scenario `s` (whose other parts are valid): a positive seed
/// count, probabilities in [0, 1], and every template's faults at the ends of its ranges
/// valid as the scenario's own faults are.
pub fn validate(s: &Scenario, explore: &Explore, limits: &Limits) -> Result<(), Invalid> {
    let fail = |path: String, message: String| Err(Invalid { path, message });
    if explore.seeds == Some(0) {
        return fail("explore.seeds".to_owned(), "explore needs at least 1 seed".to_owned());
    }
    for (i, template) in explore.faults.iter().enumerate() {
        let at = format!("explore.faults[{i}]");
        if let Some(p) = template.probability {
            for p in p.ends() {
                if !(0.0..=1.0).contains(&p) {
                    return fail(format!("{at}.probability"), format!("a probability is between 0 and 1, not {p}"));
                }
            }
        }
        for end in [End::Low, End::High] {
            let fault = template.fault(
                |d| end_duration(d, end),
                |n| match end {
                    End::Low => n.ends()[0],
                    End::High => n.ends()[1],
                },
                |consumer| format!("{consumer}#1"),
            );
            // The template's `#*` names a consumer: checked by name, as `NAME` is.
            let fault = Fault {
                crash: fault.crash.map(|t| star_as_name(&t, template.crash.as_deref())),
                pause: fault.pause.map(|t| star_as_name(&t, template.pause.as_deref())),
                slow: fault.slow.map(|t| star_as_name(&t, template.slow.as_deref())),
                ..fault
            };
            let mut alone = s.clone();
            alone.explore = None;
            alone.variants.clear();
            alone.expect.clear();
            alone.notes.clear();
            let k = alone.faults.len();
            alone.faults.push(fault);
            let prefix = format!("faults[{k}]");
            if let Err(invalid) = super::validate::validate(&alone, &Limits { max_steps: u64::MAX, ..*limits }) {
                if let Some(rest) = invalid.path.strip_prefix(&prefix) {
                    return Err(Invalid { path: format!("{at}{rest}"), message: invalid.message });
                }
                return Err(invalid);
            }
        }
    }
    Ok(())
}

/// A `NAME#*` template target as `NAME` for validation.
fn star_as_name(resolved: &str, written: Option<&str>) -> String {
    match written.and_then(|w| w.strip_suffix("#*")) {
        Some(name) => name.to_owned(),
        None => resolved.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(value: serde_json::Value) -> FaultTemplate {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn draws_are_pinned_to_the_seed_and_within_their_ranges() {
        let scenario: Scenario = serde_json::from_value(serde_json::json!({
            "name": "t", "duration": "10s", "topics": [{"name": "t"}],
            "consumers": [{"name": "billing", "topics": ["t"], "instances": 3}]
        }))
        .unwrap();
        let explore = Explore {
            seeds: None,
            faults: vec![template(serde_json::json!({
                "crash": "billing#*", "at": {"uniform": ["1s", "9s"]}, "restart_after": {"uniform": ["100ms", "2s"]}
            }))],
        };
        for seed in 0..200 {
            let drawn = explore.draw(&scenario, seed);
            assert_eq!(drawn.len(), 1);
            let f = &drawn[0];
            assert!((1_000_000..=9_000_000).contains(&f.at.0));
            assert!((100_000..=2_000_000).contains(&f.restart_after.unwrap().0));
            let target = f.crash.as_deref().unwrap();
            assert!(["billing#1", "billing#2", "billing#3"].contains(&target), "{target}");
            assert_eq!(explore.draw(&scenario, seed)[0].at, f.at);
        }
    }

    #[test]
    fn numbers_parse_and_refuse_empty_ranges() {
        assert_eq!(serde_json::from_str::<Number>("2").unwrap(), Number::Fixed(2.0));
        assert_eq!(serde_json::from_str::<Number>(r#"{"uniform": [1, 3]}"#).unwrap(), Number::Uniform(1.0, 3.0));
        assert!(serde_json::from_str::<Number>(r#"{"uniform": [3, 1]}"#).is_err());
        assert!(serde_json::from_str::<Number>(r#"{"unifrom": [1, 3]}"#).is_err());
        assert!(serde_json::from_str::<Number>(r#"{"uniform": [1]}"#).is_err());
    }
}
