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

use super::model::{Explore, Fault, FaultTemplate, Scenario};
use super::value::{Distribution, Duration, Number};
use crate::rng::Stream;

/// The seeds explored when neither `--seeds` nor the section says.
pub const DEFAULT_SEEDS: u64 = 1000;

fn draw_number(n: Number, stream: &mut Stream) -> f64 {
    match n {
        Number::Fixed(x) => x,
        Number::Uniform(a, b) => stream.float_in(a, b),
    }
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
        (Distribution::Fixed(d), _)
        | (Distribution::Uniform(d, _), End::Low)
        | (Distribution::Uniform(_, d), End::High) => d,
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
                    let p = draw_number(p, &mut stream);
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
                    |n| draw_number(n, &mut cell.borrow_mut()),
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

/// A problem with the section that needs no other part of the scenario: its path and what
/// is wrong (a seed count of 0, a probability outside [0, 1]).
pub fn check_ranges(explore: &Explore) -> Result<(), (String, String)> {
    if explore.seeds == Some(0) {
        return Err(("explore.seeds".to_owned(), "explore needs at least 1 seed".to_owned()));
    }
    for (i, template) in explore.faults.iter().enumerate() {
        for p in template.probability.map(Number::ends).into_iter().flatten() {
            if !(0.0..=1.0).contains(&p) {
                let path = format!("explore.faults[{i}].probability");
                return Err((path, format!("a probability is between 0 and 1, not {p}")));
            }
        }
    }
    Ok(())
}

/// The faults a template makes at the low and the high ends of its ranges, a `NAME#*`
/// target written `NAME`: checked as the scenario's own faults are, they check every fault
/// the template can draw.
pub fn bounds(template: &FaultTemplate) -> [Fault; 2] {
    [End::Low, End::High].map(|end| {
        template.fault(
            |d| end_duration(d, end),
            |n| match end {
                End::Low => n.ends()[0],
                End::High => n.ends()[1],
            },
            str::to_owned,
        )
    })
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
    fn bounds_are_the_ends_of_the_ranges() {
        let t = template(serde_json::json!({
            "slow": "billing#*", "at": {"uniform": ["1s", "9s"]}, "factor": {"uniform": [1, 3]}, "for": "1s"
        }));
        let [low, high] = bounds(&t);
        assert_eq!((low.at, high.at), (Duration(1_000_000), Duration(9_000_000)));
        assert_eq!((low.factor, high.factor), (Some(1.0), Some(3.0)));
        assert_eq!(low.slow.as_deref(), Some("billing"));
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
