//! The format's value types: durations (virtual microseconds) and distributions of durations.
//!
//! Both are parsed by hand-written visitors so that a bad value gets a message that names
//! the accepted forms, and both serialize back to the canonical text form, so a normalized
//! scenario (the trace header's `definition`) reads like the file a person wrote.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A span of virtual time in whole microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

const UNITS: [(&str, u64); 5] = [("h", 3_600_000_000), ("m", 60_000_000), ("s", 1_000_000), ("ms", 1_000), ("us", 1)];

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub fn from_millis(ms: u64) -> Self {
        Duration(ms.saturating_mul(1_000))
    }

    pub fn as_micros(self) -> u64 {
        self.0
    }

    /// Parses `"250ms"`, `"1.5s"`, `"2m"`, `"500us"`, `"1h"` (also `"µs"`), exactly: the
    /// number is read as a decimal (digits, then an optional `.` and digits; `".5ms"` is half a
    /// millisecond), never through a float, so `"0.0000010s"` is exactly one microsecond
    /// (trailing zeros of the fraction are only zeros). A value that is not a whole number of
    /// microseconds is refused rather than rounded, and so is any space or control character
    /// (`"1 ms"`, `"1\ns"`): the number and the unit are written together.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shown = format!("\"{text}\"");
        if let Some(bad) = text.chars().find(|c| c.is_whitespace() || c.is_control()) {
            let what = if bad == ' ' { "a space".to_owned() } else { format!("{bad:?}") };
            return Err(format!(
                "duration {shown} contains {what}: write the number and the unit together, e.g. \"250ms\""
            ));
        }
        if text.starts_with('-') {
            return Err(format!("duration {shown} is negative: a duration is 0 or more (e.g. \"250ms\")"));
        }
        if text.starts_with(|c: char| !(c.is_ascii_digit() || c == '.')) {
            return Err(format!("duration {shown} does not start with a number (e.g. \"250ms\", \"1.5s\")"));
        }
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("duration {shown} has no unit (use us, ms, s, m or h, e.g. \"250ms\"; a bare number must be a JSON integer of milliseconds)"))?;
        let (number, unit) = text.split_at(split);
        let scale =
            match unit {
                "µs" | "us" => 1,
                other => UNITS.iter().find(|(name, _)| *name == other).map(|(_, scale)| *scale).ok_or_else(|| {
                    format!("duration {shown} has an unknown unit \"{other}\" (use us, ms, s, m or h)")
                })?,
            };
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && frac.is_empty() || frac.contains('.') || number.ends_with('.') {
            return Err(format!("duration {shown} is not a number followed by a unit"));
        }
        let overflow = || format!("duration {shown} is too long");
        let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| overflow())? };
        let mut micros = whole.checked_mul(scale).ok_or_else(overflow)?;
        // The fraction, digit by digit, must land on a whole microsecond; its trailing
        // zeros add nothing, however many there are.
        let mut place = scale;
        for digit in frac.trim_end_matches('0').bytes() {
            if place % 10 != 0 {
                return Err(format!("duration {shown} is finer than one microsecond"));
            }
            place /= 10;
            micros = micros.checked_add(u64::from(digit - b'0') * place).ok_or_else(overflow)?;
        }
        Ok(Duration(micros))
    }
}

impl fmt::Display for Duration {
    /// The shortest exact form: `"1h"`, `"90s"`, `"1500ms"`, `"7us"`, `"0s"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let (unit, scale) = UNITS.iter().find(|(_, scale)| self.0 % scale == 0).copied().unwrap_or(("us", 1));
        write!(f, "{}{unit}", self.0 / scale)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

struct DurationVisitor;

const DURATION_EXPECTED: &str =
    "a duration: an integer of milliseconds or a string such as \"250ms\", \"1.5s\", \"2m\", \"500us\", \"1h\"";

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DURATION_EXPECTED)
    }

    fn visit_u64<E: de::Error>(self, ms: u64) -> Result<Duration, E> {
        ms.checked_mul(1_000).map(Duration).ok_or_else(|| E::custom(format!("duration {ms} ms is too long")))
    }

    fn visit_i64<E: de::Error>(self, ms: i64) -> Result<Duration, E> {
        u64::try_from(ms).map_err(|_| E::custom(format!("duration {ms} is negative"))).and_then(|ms| self.visit_u64(ms))
    }

    fn visit_f64<E: de::Error>(self, ms: f64) -> Result<Duration, E> {
        Err(E::custom(format!(
            "duration {ms} is not an integer of milliseconds (write a string with a unit, e.g. \"{}us\")",
            (ms * 1000.0).round()
        )))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        Duration::parse(text).map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurationVisitor)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An integer of milliseconds, or a string: a number and a unit (us, ms, s, m, h), e.g. \"250ms\", \"1.5s\".",
            "oneOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?|\\.[0-9]+)(us|µs|ms|s|m|h)$"}
            ]
        })
    }
}

/// A distribution of durations: fixed, uniform over `[min, max]`, or exponential with a mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    Fixed(Duration),
    Uniform(Duration, Duration),
    Exponential(Duration),
}

impl Distribution {
    /// The mean, used to estimate a run's size before it starts.
    pub fn mean(self) -> Duration {
        match self {
            Distribution::Fixed(d) | Distribution::Exponential(d) => d,
            Distribution::Uniform(a, b) => Duration(a.0 / 2 + b.0 / 2),
        }
    }
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution::Fixed(Duration(1_000))
    }
}

impl Serialize for Distribution {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Distribution::Fixed(d) => d.serialize(serializer),
            Distribution::Uniform(a, b) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("uniform", &[a, b])?;
                map.end()
            }
            Distribution::Exponential(mean) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("exponential", mean)?;
                map.end()
            }
        }
    }
}

struct DistributionVisitor;

impl<'de> Visitor<'de> for DistributionVisitor {
    type Value = Distribution;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration, {\"uniform\": [MIN, MAX]} or {\"exponential\": MEAN}")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Distribution, E> {
        DurationVisitor.visit_u64(v).map(Distribution::Fixed)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Distribution, E> {
        DurationVisitor.visit_i64(v).map(Distribution::Fixed)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Distribution, E> {
        DurationVisitor.visit_f64(v).map(Distribution::Fixed)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Distribution, E> {
        DurationVisitor.visit_str(v).map(Distribution::Fixed)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Distribution, A::Error> {
        let Some(name) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                "empty distribution: use {\"uniform\": [MIN, MAX]} or {\"exponential\": MEAN}",
            ));
        };
        let dist = match name.as_str() {
            "uniform" => {
                let [min, max]: [Duration; 2] = map.next_value()?;
                if min > max {
                    return Err(de::Error::custom(format!("uniform [{min}, {max}]: MIN is greater than MAX")));
                }
                Distribution::Uniform(min, max)
            }
            "exponential" => Distribution::Exponential(map.next_value()?),
            other => {
                let hint = crate::scenario::suggest::did_you_mean(other, ["uniform", "exponential"]);
                return Err(de::Error::custom(format!(
                    "unknown distribution \"{other}\"{hint} (use \"uniform\" or \"exponential\")"
                )));
            }
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!("a distribution has exactly one key; \"{extra}\" is one too many")));
        }
        Ok(dist)
    }
}

impl<'de> Deserialize<'de> for Distribution {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DistributionVisitor)
    }
}

impl JsonSchema for Distribution {
    fn schema_name() -> Cow<'static, str> {
        "Distribution".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = generator.subschema_for::<Duration>();
        json_schema!({
            "description": "A duration (fixed), {\"uniform\": [MIN, MAX]} or {\"exponential\": MEAN}.",
            "oneOf": [
                duration,
                {"type": "object", "properties": {"uniform": {"type": "array", "items": duration, "minItems": 2, "maxItems": 2}},
                 "required": ["uniform"], "additionalProperties": false},
                {"type": "object", "properties": {"exponential": duration},
                 "required": ["exponential"], "additionalProperties": false}
            ]
        })
    }
}

/// A number, or a number drawn uniformly from `[MIN, MAX]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    Fixed(f64),
    Uniform(f64, f64),
}

impl Number {
    /// The smallest and the largest value it takes.
    pub fn ends(self) -> [f64; 2] {
        match self {
            Number::Fixed(x) => [x, x],
            Number::Uniform(a, b) => [a, b],
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
        const EXPECTED: &str = "a number or {\"uniform\": [MIN, MAX]}";
        let value = serde_json::Value::deserialize(deserializer)?;
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
                    let hint = crate::scenario::suggest::did_you_mean(name, ["uniform"]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit_exactly() {
        assert_eq!(Duration::parse("250ms"), Ok(Duration(250_000)));
        assert_eq!(Duration::parse("1.5s"), Ok(Duration(1_500_000)));
        assert_eq!(Duration::parse("2m"), Ok(Duration(120_000_000)));
        assert_eq!(Duration::parse("500us"), Ok(Duration(500)));
        assert_eq!(Duration::parse("1h"), Ok(Duration(3_600_000_000)));
        assert_eq!(Duration::parse(".5ms"), Ok(Duration(500)));
        assert!(Duration::parse("0.5us").is_err());
        assert!(Duration::parse("5").is_err());
        assert!(Duration::parse("5 days").is_err());
        assert!(Duration::parse("ms").is_err());
        assert!(Duration::parse("1.2.3s").is_err());
        assert_eq!(Duration::parse("0.0000010s"), Ok(Duration(1)));
        assert_eq!(Duration::parse("1.500000000000000000000000000s"), Ok(Duration(1_500_000)));
        assert_eq!(Duration::parse("0000000000000000000000001ms"), Ok(Duration(1_000)));
        assert!(Duration::parse("0.00000001s").is_err());
        assert!(Duration::parse("1 ms").is_err());
        assert!(Duration::parse("1\ns").is_err());
        assert!(Duration::parse(" 1ms").is_err());
        assert!(Duration::parse("1.ms").is_err());
    }

    #[test]
    fn displays_the_shortest_exact_form() {
        for (micros, text) in [(0, "0s"), (1_500_000, "1500ms"), (120_000_000, "2m"), (7, "7us"), (3_600_000_000, "1h")]
        {
            assert_eq!(Duration(micros).to_string(), text);
            assert_eq!(Duration::parse(text), Ok(Duration(micros)));
        }
    }

    #[test]
    fn integers_are_milliseconds() {
        let d: Duration = serde_json::from_str("250").unwrap();
        assert_eq!(d, Duration(250_000));
        assert!(serde_json::from_str::<Duration>("-1").is_err());
        assert!(serde_json::from_str::<Duration>("1.5").is_err());
    }

    #[test]
    fn distributions() {
        let d: Distribution = serde_json::from_str(r#"{"uniform": ["1ms", "3ms"]}"#).unwrap();
        assert_eq!(d, Distribution::Uniform(Duration(1_000), Duration(3_000)));
        let d: Distribution = serde_json::from_str(r#"{"exponential": "500us"}"#).unwrap();
        assert_eq!(d, Distribution::Exponential(Duration(500)));
        assert!(serde_json::from_str::<Distribution>(r#"{"uniform": ["3ms", "1ms"]}"#).is_err());
        assert!(serde_json::from_str::<Distribution>(r#"{"normal": "1ms"}"#).is_err());
    }
}
