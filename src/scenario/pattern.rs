//! The language of a bus rule's `match`, parsed once: validation reports what
//! [`Pattern::parse`] refuses, and compilation keeps what it returns, so the two cannot
//! disagree. (Matching an event is [`crate::bus`]'s.)
//!
//! A pattern maps field paths (`type`, `source`, `key`, `data.PATH`, `headers.NAME`) to
//! lists of allowed entries. An entry is a literal, `{"prefix": S}`, `{"numeric": [OP, N,
//! ...]}`, `{"exists": BOOL}` or `{"anything-but": [V, ...]}`.

use indexmap::IndexMap;
use serde_json::Value;

use super::suggest::did_you_mean;

/// Where a pattern looks in an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Path {
    Type,
    Source,
    Key,
    Data(Vec<String>),
    Header(String),
}

impl Path {
    /// A field path, or why it is not one.
    pub fn parse(path: &str) -> Result<Path, String> {
        Ok(match path {
            "type" => Path::Type,
            "source" => Path::Source,
            "key" => Path::Key,
            _ => {
                if let Some(rest) = path.strip_prefix("data.").filter(|r| !r.is_empty()) {
                    Path::Data(rest.split('.').map(str::to_owned).collect())
                } else if let Some(name) = path.strip_prefix("headers.").filter(|r| !r.is_empty()) {
                    Path::Header(name.to_owned())
                } else {
                    let hint = did_you_mean(path, ["type", "source", "key", "data.", "headers."]);
                    return Err(format!(
                        "cannot match on \"{path}\"{hint}: use type, source, key, data.PATH or headers.NAME"
                    ));
                }
            }
        })
    }
}

/// A comparison of a `numeric` matcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

impl Cmp {
    fn parse(op: &str) -> Option<Cmp> {
        Some(match op {
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            "=" => Cmp::Eq,
            ">=" => Cmp::Ge,
            ">" => Cmp::Gt,
            _ => return None,
        })
    }
}

/// One allowed entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Matcher {
    Literal(Value),
    Prefix(String),
    Numeric(Vec<(Cmp, f64)>),
    Exists(bool),
    AnythingBut(Vec<Value>),
}

impl Matcher {
    /// An entry: a literal, or an object with exactly one matcher; or why it is not one.
    pub fn parse(entry: &Value) -> Result<Matcher, String> {
        let Value::Object(map) = entry else { return Ok(Matcher::Literal(entry.clone())) };
        let (name, arg) = match map.iter().next() {
            Some(one) if map.len() == 1 => one,
            _ => {
                return Err(
                    "a matcher object has exactly one of \"prefix\", \"numeric\", \"exists\", \"anything-but\"".into(),
                );
            }
        };
        let usage = match name.as_str() {
            "prefix" => "{\"prefix\": STRING}",
            "exists" => "{\"exists\": true|false}",
            "anything-but" => "{\"anything-but\": [VALUE, ...]}",
            "numeric" => "{\"numeric\": [OP, NUMBER, ...]} with OP one of <, <=, =, >=, >",
            other => {
                let hint = did_you_mean(other, ["prefix", "numeric", "exists", "anything-but"]);
                return Err(format!("unknown matcher \"{other}\"{hint}: use prefix, numeric, exists or anything-but"));
            }
        };
        let matcher = match name.as_str() {
            "prefix" => arg.as_str().map(|s| Matcher::Prefix(s.to_owned())),
            "exists" => arg.as_bool().map(Matcher::Exists),
            "anything-but" => arg.as_array().map(|values| Matcher::AnythingBut(values.clone())),
            _ => arg
                .as_array()
                .filter(|items| !items.is_empty() && items.len() % 2 == 0)
                .and_then(|items| {
                    items
                        .chunks(2)
                        .map(|pair| Some((Cmp::parse(pair[0].as_str()?)?, pair[1].as_f64()?)))
                        .collect::<Option<Vec<_>>>()
                })
                .map(Matcher::Numeric),
        };
        matcher.ok_or_else(|| format!("write {usage}"))
    }
}

/// A rule's `match`, parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pattern {
    pub fields: Vec<(Path, Vec<Matcher>)>,
}

/// Why a pattern is refused: where in the `match` (`""`, `".FIELD"` or `".FIELD[E]"`) and
/// what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub at: String,
    pub message: String,
}

impl Pattern {
    /// A rule's `match`, or the first thing wrong with it.
    pub fn parse(pattern: &IndexMap<String, Vec<Value>>) -> Result<Pattern, PatternError> {
        if pattern.is_empty() {
            return Err(PatternError { at: String::new(), message: "a rule needs at least one field to match".into() });
        }
        let mut fields = Vec::with_capacity(pattern.len());
        for (field, entries) in pattern {
            let at = format!(".{field}");
            let path = Path::parse(field).map_err(|message| PatternError { at: at.clone(), message })?;
            if entries.is_empty() {
                let message = "an empty list matches nothing; list the allowed values".into();
                return Err(PatternError { at, message });
            }
            let matchers = entries
                .iter()
                .enumerate()
                .map(|(e, entry)| {
                    Matcher::parse(entry).map_err(|message| PatternError { at: format!("{at}[{e}]"), message })
                })
                .collect::<Result<Vec<_>, _>>()?;
            fields.push((path, matchers));
        }
        Ok(Pattern { fields })
    }
}
