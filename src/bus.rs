//! EventBridge-style rule patterns matched against events (the patterns themselves are
//! parsed once, by [`crate::scenario::pattern`]).
//!
//! A pattern maps field paths (`type`, `source`, `key`, `data.PATH`, `headers.NAME`) to
//! lists of allowed entries: every path must match (AND), any entry of its list may (OR).
//! An entry is a literal (JSON equality, numbers by value), `{"prefix": S}` (strings),
//! `{"numeric": [OP, N, ...]}` (numbers; every pair must hold), `{"exists": BOOL}` or
//! `{"anything-but": [V, ...]}` (present and equal to none). A path absent from the event
//! matches only `{"exists": false}`; where the event's value is an array, the path matches
//! when any element does (`exists` looks at the path itself).

use serde_json::{Map, Value};

use crate::json::json_equal;
pub use crate::scenario::pattern::{Cmp, Matcher, Path, Pattern};
use crate::scenario::template::walk;

impl Matcher {
    /// Whether one (non-array) value matches.
    #[allow(clippy::float_cmp, reason = "numeric patterns compare exactly, as EventBridge does")]
    fn matches_one(&self, value: &Value) -> bool {
        match self {
            Matcher::Literal(literal) => json_equal(literal, value),
            Matcher::Prefix(prefix) => value.as_str().is_some_and(|s| s.starts_with(prefix.as_str())),
            Matcher::Numeric(pairs) => value.as_f64().is_some_and(|x| {
                pairs.iter().all(|&(cmp, n)| match cmp {
                    Cmp::Lt => x < n,
                    Cmp::Le => x <= n,
                    Cmp::Eq => x == n,
                    Cmp::Ge => x >= n,
                    Cmp::Gt => x > n,
                })
            }),
            Matcher::Exists(exists) => *exists,
            Matcher::AnythingBut(values) => !values.iter().any(|v| json_equal(v, value)),
        }
    }

    /// Whether the value at a path (absent: `None`) matches.
    pub fn matches(&self, value: Option<&Value>) -> bool {
        match (self, value) {
            (Matcher::Exists(exists), value) => *exists == value.is_some(),
            (_, None) => false,
            (_, Some(Value::Array(items))) => items.iter().any(|item| self.matches_one(item)),
            (_, Some(value)) => self.matches_one(value),
        }
    }
}

/// What a pattern sees of an event.
pub struct EventView<'a> {
    pub event_type: &'a str,
    pub source: &'a str,
    pub key: Option<&'a str>,
    pub data: &'a Value,
    pub headers: &'a Map<String, Value>,
}

impl Pattern {
    /// Whether it looks at the event's data or headers (which then must be parsed).
    pub fn reads_payload(&self) -> bool {
        self.fields.iter().any(|(p, _)| matches!(p, Path::Data(_) | Path::Header(_)))
    }

    pub fn matches(&self, event: &EventView<'_>) -> bool {
        self.fields.iter().all(|(path, entries)| {
            let owned;
            let value = match path {
                Path::Type => {
                    owned = Value::from(event.event_type);
                    Some(&owned)
                }
                Path::Source => {
                    owned = Value::from(event.source);
                    Some(&owned)
                }
                Path::Key => match event.key {
                    Some(key) => {
                        owned = Value::from(key);
                        Some(&owned)
                    }
                    None => None,
                },
                Path::Data(path) => walk(event.data, path),
                Path::Header(name) => event.headers.get(name),
            };
            entries.iter().any(|m| m.matches(value))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pattern(p: Value) -> Pattern {
        Pattern::parse(&serde_json::from_value(p).unwrap()).unwrap()
    }

    #[test]
    fn operators() {
        let headers: Map<String, Value> = serde_json::from_value(json!({"channel": "mobile"})).unwrap();
        let data = json!({"total": 150, "tags": ["vip", "eu"], "region": "eu-west-1", "note": null});
        let ev =
            EventView { event_type: "OrderCreated", source: "shop", key: Some("o-1"), data: &data, headers: &headers };
        let yes = |p: Value| assert!(pattern(p.clone()).matches(&ev), "{p}");
        let no = |p: Value| assert!(!pattern(p.clone()).matches(&ev), "{p}");
        yes(json!({"type": ["OrderCreated"], "data.total": [{"numeric": [">", 100, "<=", 150]}]}));
        no(json!({"type": ["OrderCreated"], "data.total": [{"numeric": [">", 100, "<", 150]}]}));
        yes(json!({"data.total": [150.0]}));
        yes(json!({"data.tags": ["eu"]}));
        yes(json!({"data.tags": [{"anything-but": ["vip"]}]}));
        no(json!({"data.tags": [{"prefix": "x"}]}));
        yes(json!({"data.region": [{"prefix": "eu-"}], "headers.channel": ["web", "mobile"]}));
        yes(json!({"data.missing": [{"exists": false}]}));
        no(json!({"data.missing": [{"anything-but": ["x"]}]}));
        no(json!({"data.missing": ["x", {"numeric": [">", 0]}]}));
        yes(json!({"data.note": [null]}));
        yes(json!({"data.note": [{"exists": true}]}));
        no(json!({"source": [{"anything-but": ["shop"]}]}));
        yes(json!({"key": [{"prefix": "o-"}]}));
        no(json!({"headers.other": [{"exists": true}]}));
        no(json!({"data.total": [{"numeric": [">", 100]}], "type": ["OrderCancelled"]}));
        no(json!({"data.region": [{"numeric": [">", 0]}]}));
    }
}
