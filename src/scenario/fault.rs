//! A fault's action, parsed once from the bag of optional fields a [`Fault`] is in the file:
//! exactly one action, only the options that action takes, and those it needs. Validation
//! reports what [`Fault::spec`] refuses (then checks the names it refers to), and
//! compilation matches on the [`FaultSpec`] it returns, so the two cannot disagree.

use super::model::Fault;
use super::value::{Distribution, Duration};

/// The actions, as the file names them.
pub const ACTIONS: [&str; 7] = ["crash", "pause", "slow", "add_instance", "duplicate", "delay", "upgrade"];

/// A consumer fault's target: `NAME` (every instance) or `NAME#I` (the number as written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    pub consumer: &'a str,
    pub instance: Option<&'a str>,
}

impl<'a> Target<'a> {
    fn parse(text: &'a str) -> Self {
        match text.split_once('#') {
            Some((consumer, number)) => Target { consumer, instance: Some(number) },
            None => Target { consumer: text, instance: None },
        }
    }
}

/// A fault's action with the options it takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FaultSpec<'a> {
    Crash { target: Target<'a>, restart_after: Option<Duration> },
    Pause { target: Target<'a>, for_: Option<Duration> },
    Slow { target: Target<'a>, factor: f64, for_: Option<Duration> },
    AddInstance { consumer: &'a str },
    Duplicate { topic: &'a str, probability: f64, for_: Option<Duration> },
    Delay { topic: &'a str, jitter: Distribution, for_: Option<Duration> },
    Upgrade { producer: &'a str, event_type: &'a str, schema_version: u32 },
}

impl FaultSpec<'_> {
    /// The action's name in the file.
    pub fn action(&self) -> &'static str {
        match self {
            FaultSpec::Crash { .. } => "crash",
            FaultSpec::Pause { .. } => "pause",
            FaultSpec::Slow { .. } => "slow",
            FaultSpec::AddInstance { .. } => "add_instance",
            FaultSpec::Duplicate { .. } => "duplicate",
            FaultSpec::Delay { .. } => "delay",
            FaultSpec::Upgrade { .. } => "upgrade",
        }
    }
}

/// Why a fault's fields make no action: the field it is about (`None`: the fault itself)
/// and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub field: Option<&'static str>,
    pub message: String,
}

fn whole(message: impl Into<String>) -> SpecError {
    SpecError { field: None, message: message.into() }
}

impl Fault {
    /// The action this fault takes, with its options; or the first thing wrong with its
    /// fields.
    pub fn spec(&self) -> Result<FaultSpec<'_>, SpecError> {
        let actions =
            [&self.crash, &self.pause, &self.slow, &self.add_instance, &self.duplicate, &self.delay, &self.upgrade];
        let given: Vec<(&str, &str)> =
            ACTIONS.iter().zip(actions).filter_map(|(n, t)| t.as_deref().map(|t| (*n, t))).collect();
        let (action, target) = match given.as_slice() {
            [one] => *one,
            [] => {
                return Err(whole(
                    "a fault needs one action: \"crash\", \"pause\", \"slow\", \"add_instance\", \"duplicate\", \
                     \"delay\" or \"upgrade\"",
                ));
            }
            [first, second, ..] => {
                return Err(whole(format!(
                    "a fault has exactly one action; \"{}\" and \"{}\" are two",
                    first.0, second.0
                )));
            }
        };
        // Which options each action takes.
        let options: [(&'static str, bool, &[&str]); 7] = [
            ("restart_after", self.restart_after.is_some(), &["crash"]),
            ("for", self.for_.is_some(), &["pause", "slow", "duplicate", "delay"]),
            ("factor", self.factor.is_some(), &["slow"]),
            ("probability", self.probability.is_some(), &["duplicate"]),
            ("jitter", self.jitter.is_some(), &["delay"]),
            ("type", self.event_type.is_some(), &["upgrade"]),
            ("schema_version", self.schema_version.is_some(), &["upgrade"]),
        ];
        for (name, present, applies) in options {
            if present && !applies.contains(&action) {
                let message = format!("\"{name}\" does not apply to a \"{action}\" fault");
                return Err(SpecError { field: Some(name), message });
            }
        }
        let article = if action.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        let needs = |what: &str| whole(format!("{article} \"{action}\" fault needs \"{what}\""));
        let for_ = self.for_;
        Ok(match action {
            "crash" => FaultSpec::Crash { target: Target::parse(target), restart_after: self.restart_after },
            "pause" => FaultSpec::Pause { target: Target::parse(target), for_ },
            "slow" => {
                let factor = self.factor.ok_or_else(|| needs("factor"))?;
                FaultSpec::Slow { target: Target::parse(target), factor, for_ }
            }
            "add_instance" => FaultSpec::AddInstance { consumer: target },
            "duplicate" => {
                let probability = self.probability.ok_or_else(|| needs("probability"))?;
                FaultSpec::Duplicate { topic: target, probability, for_ }
            }
            "delay" => FaultSpec::Delay { topic: target, jitter: self.jitter.ok_or_else(|| needs("jitter"))?, for_ },
            _ => FaultSpec::Upgrade {
                producer: target,
                event_type: self.event_type.as_deref().ok_or_else(|| needs("type"))?,
                schema_version: self.schema_version.ok_or_else(|| needs("schema_version"))?,
            },
        })
    }
}
