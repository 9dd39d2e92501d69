//! Templates in `key`, `data` and `headers` of emits and producer events, and generated
//! values (`uniform`, `choice`, `sequence`) inside `data`.
//!
//! A template is compiled once, when the simulator is built, into a tree that renders
//! without re-parsing: literal subtrees stay shared JSON, placeholders are resolved
//! against an [`Context`] and generated values draw from the component's stream.

use std::sync::Arc;

use serde_json::{Map, Number, Value};

use crate::rng::Stream;

/// Where a template is used; decides which placeholders are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// A producer's event: placeholders refer to the event itself; `{n}` is allowed.
    Producer,
    /// A handler's emit: placeholders refer to the triggering event.
    Emit,
    /// A handler's emit in a handler with `fetch`: `{state.FIELD}` is allowed too.
    EmitWithFetch,
}

/// One `{...}` placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placeholder {
    Key,
    Id,
    Type,
    /// `{n}`: the 1-based sequence number of the event within its producer.
    N,
    /// `{data.a.b}`: a path into the event's data.
    Data(Vec<String>),
    /// `{state.FIELD}`: the fetched aggregate state.
    State(Vec<String>),
}

/// What a placeholder is resolved against.
pub struct Context<'a> {
    pub key: Option<&'a str>,
    pub id: &'a str,
    pub event_type: &'a str,
    pub data: &'a Value,
    pub n: u64,
    pub state: Option<&'a Value>,
}

impl Context<'_> {
    fn lookup(&self, placeholder: &Placeholder) -> Value {
        match placeholder {
            Placeholder::Key => self.key.map_or(Value::Null, |k| Value::String(k.to_owned())),
            Placeholder::Id => Value::String(self.id.to_owned()),
            Placeholder::Type => Value::String(self.event_type.to_owned()),
            Placeholder::N => Value::from(self.n),
            Placeholder::Data(path) => walk(self.data, path).cloned().unwrap_or(Value::Null),
            Placeholder::State(path) => self.state.and_then(|s| walk(s, path)).cloned().unwrap_or(Value::Null),
        }
    }
}

/// Follows a dotted path through objects (and arrays, by index).
pub fn walk<'v>(mut value: &'v Value, path: &[String]) -> Option<&'v Value> {
    for part in path {
        value = match value {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A string with placeholders.
#[derive(Clone, Debug, PartialEq)]
pub enum StrTemplate {
    Literal(Arc<str>),
    /// The whole string is one placeholder: it keeps the JSON type of the value.
    Whole(Placeholder),
    Parts(Vec<Part>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Text(String),
    Hole(Placeholder),
}

fn parse_placeholder(name: &str, site: Site) -> Result<Placeholder, String> {
    let field_path = |rest: &str| -> Result<Vec<String>, String> {
        let parts: Vec<String> = rest.split('.').map(str::to_owned).collect();
        if parts.iter().any(String::is_empty) {
            return Err(format!("placeholder {{{name}}} has an empty path segment"));
        }
        Ok(parts)
    };
    match name {
        "key" => Ok(Placeholder::Key),
        "id" => Ok(Placeholder::Id),
        "type" => Ok(Placeholder::Type),
        "n" if site == Site::Producer => Ok(Placeholder::N),
        "n" => Err("placeholder {n} is only available in producers".to_owned()),
        _ if name.starts_with("data.") => field_path(&name[5..]).map(Placeholder::Data),
        _ if name.starts_with("state.") && site == Site::EmitWithFetch => {
            field_path(&name[6..]).map(Placeholder::State)
        }
        _ if name.starts_with("state.") => Err(format!("placeholder {{{name}}} needs a handler with \"fetch\"")),
        _ => {
            let known = ["key", "id", "type", "n", "data.", "state."];
            let hint = crate::scenario::suggest::did_you_mean(name, known);
            Err(format!(
                "unknown placeholder {{{name}}}{hint}: use {{key}}, {{id}}, {{type}}, {{data.PATH}}{}",
                if site == Site::Producer { " or {n}" } else { "" }
            ))
        }
    }
}

fn is_placeholder_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

impl StrTemplate {
    /// Parses a string; `{` followed by a name and `}` is a placeholder, anything else is text.
    pub fn parse(text: &str, site: Site) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let name_len = after.find(|c: char| !is_placeholder_char(c)).unwrap_or(after.len());
            if name_len > 0 && after[name_len..].starts_with('}') {
                literal.push_str(&rest[..open]);
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(Part::Hole(parse_placeholder(&after[..name_len], site)?));
                rest = &after[name_len + 1..];
            } else {
                literal.push_str(&rest[..=open]);
                rest = after;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(match parts.as_slice() {
            [] => StrTemplate::Literal(Arc::from("")),
            [Part::Text(text)] => StrTemplate::Literal(Arc::from(text.as_str())),
            [Part::Hole(p)] => StrTemplate::Whole(p.clone()),
            _ => StrTemplate::Parts(parts),
        })
    }

    pub fn is_literal(&self) -> bool {
        matches!(self, StrTemplate::Literal(_))
    }

    /// Renders as a JSON value (a whole placeholder keeps its type).
    pub fn render_value(&self, ctx: &Context<'_>) -> Value {
        match self {
            StrTemplate::Literal(text) => Value::String(text.to_string()),
            StrTemplate::Whole(p) => ctx.lookup(p),
            StrTemplate::Parts(_) => Value::String(self.render_text(ctx)),
        }
    }

    /// Renders as text: values are interpolated (strings bare, others as JSON, null as "").
    pub fn render_text(&self, ctx: &Context<'_>) -> String {
        let push = |out: &mut String, p: &Placeholder| match ctx.lookup(p) {
            Value::Null => {}
            Value::String(s) => out.push_str(&s),
            other => out.push_str(&other.to_string()),
        };
        match self {
            StrTemplate::Literal(text) => text.to_string(),
            StrTemplate::Whole(p) => {
                let mut out = String::new();
                push(&mut out, p);
                out
            }
            StrTemplate::Parts(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(text) => out.push_str(text),
                        Part::Hole(p) => push(&mut out, p),
                    }
                }
                out
            }
        }
    }
}

/// A `data` tree with placeholders and generated values.
#[derive(Clone, Debug, PartialEq)]
pub enum DataTemplate {
    /// A subtree with nothing to render: shared, never copied until the event is built.
    Literal(Arc<Value>),
    Str(StrTemplate),
    Array(Vec<DataTemplate>),
    Object(Vec<(String, DataTemplate)>),
    UniformInt(i64, i64),
    UniformFloat(f64, f64),
    Choice(Vec<Value>),
    /// `{"sequence": START}`; `slot` indexes the component's sequence counters.
    Sequence {
        start: Number,
        slot: usize,
    },
}

/// Compiles a data tree. `sequences` collects the field paths of `sequence` values
/// (their position is the slot), shared across the component's event types.
pub fn compile_data(
    value: &Value,
    site: Site,
    path: &str,
    sequences: &mut Vec<String>,
) -> Result<DataTemplate, (String, String)> {
    let template = match value {
        Value::String(text) => {
            let t = StrTemplate::parse(text, site).map_err(|e| (path.to_owned(), e))?;
            if t.is_literal() { DataTemplate::Literal(Arc::new(value.clone())) } else { DataTemplate::Str(t) }
        }
        Value::Array(items) => DataTemplate::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| compile_data(item, site, &format!("{path}[{i}]"), sequences))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) if map.len() == 1 => {
            let (name, arg) = map.iter().next().expect("one entry");
            let here = format!("{path}.{name}");
            match name.as_str() {
                "uniform" => compile_uniform(arg).map_err(|e| (here, e))?,
                "choice" => match arg {
                    Value::Array(options) if !options.is_empty() => DataTemplate::Choice(options.clone()),
                    _ => return Err((here, "\"choice\" takes a non-empty array of values".to_owned())),
                },
                "sequence" => match arg {
                    Value::Number(start) => {
                        let slot = sequences.iter().position(|p| p == path).unwrap_or_else(|| {
                            sequences.push(path.to_owned());
                            sequences.len() - 1
                        });
                        DataTemplate::Sequence { start: start.clone(), slot }
                    }
                    _ => return Err((here, "\"sequence\" takes a starting number".to_owned())),
                },
                _ => compile_object(map, site, path, sequences)?,
            }
        }
        Value::Object(map) => compile_object(map, site, path, sequences)?,
        other => DataTemplate::Literal(Arc::new(other.clone())),
    };
    Ok(template)
}

fn compile_object(
    map: &Map<String, Value>,
    site: Site,
    path: &str,
    sequences: &mut Vec<String>,
) -> Result<DataTemplate, (String, String)> {
    let fields: Vec<(String, DataTemplate)> = map
        .iter()
        .map(|(k, v)| Ok::<_, (String, String)>((k.clone(), compile_data(v, site, &format!("{path}.{k}"), sequences)?)))
        .collect::<Result<_, _>>()?;
    if fields.iter().all(|(_, t)| matches!(t, DataTemplate::Literal(_))) {
        return Ok(DataTemplate::Literal(Arc::new(Value::Object(map.clone()))));
    }
    Ok(DataTemplate::Object(fields))
}

fn compile_uniform(arg: &Value) -> Result<DataTemplate, String> {
    let bad = || "\"uniform\" takes [MIN, MAX] with MIN ≤ MAX".to_owned();
    let Value::Array(bounds) = arg else { return Err(bad()) };
    let [Value::Number(lo), Value::Number(hi)] = bounds.as_slice() else { return Err(bad()) };
    if let (Some(lo), Some(hi)) = (lo.as_i64(), hi.as_i64()) {
        if lo > hi {
            return Err(format!("uniform [{lo}, {hi}]: MIN is greater than MAX"));
        }
        return Ok(DataTemplate::UniformInt(lo, hi));
    }
    let (lo, hi) = (lo.as_f64().ok_or_else(bad)?, hi.as_f64().ok_or_else(bad)?);
    if lo > hi {
        return Err(format!("uniform [{lo}, {hi}]: MIN is greater than MAX"));
    }
    Ok(DataTemplate::UniformFloat(lo, hi))
}

impl DataTemplate {
    pub fn is_literal(&self) -> bool {
        matches!(self, DataTemplate::Literal(_))
    }

    /// Whether any placeholder appears (so rendering needs a second pass for producers).
    pub fn has_placeholders(&self) -> bool {
        match self {
            DataTemplate::Str(_) => true,
            DataTemplate::Array(items) => items.iter().any(DataTemplate::has_placeholders),
            DataTemplate::Object(fields) => fields.iter().any(|(_, t)| t.has_placeholders()),
            _ => false,
        }
    }

    /// Draws generated values (in tree order) and resolves placeholders with `ctx`;
    /// when `ctx` is `None`, placeholders are left as `null` (a producer's first pass).
    pub fn render(&self, rng: &mut Stream, sequences: &mut [i128], ctx: Option<&Context<'_>>) -> Value {
        match self {
            DataTemplate::Literal(value) => Value::clone(value),
            DataTemplate::Str(t) => ctx.map_or(Value::Null, |ctx| t.render_value(ctx)),
            DataTemplate::Array(items) => Value::Array(items.iter().map(|t| t.render(rng, sequences, ctx)).collect()),
            DataTemplate::Object(fields) => {
                Value::Object(fields.iter().map(|(k, t)| (k.clone(), t.render(rng, sequences, ctx))).collect())
            }
            DataTemplate::UniformInt(lo, hi) => Value::from(rng.int_in(*lo, *hi)),
            DataTemplate::UniformFloat(lo, hi) => {
                Number::from_f64(rng.float_in(*lo, *hi)).map_or(Value::Null, Value::Number)
            }
            DataTemplate::Choice(options) => options[rng.below(options.len() as u64) as usize].clone(),
            DataTemplate::Sequence { start, slot } => {
                let k = sequences[*slot];
                sequences[*slot] += 1;
                match start.as_i64() {
                    Some(s) => Value::from((i128::from(s) + k) as i64),
                    None => {
                        Number::from_f64(start.as_f64().unwrap_or(0.0) + k as f64).map_or(Value::Null, Value::Number)
                    }
                }
            }
        }
    }

    /// Writes what [`Self::render`] without a context renders, as the compact JSON text
    /// `serde_json::to_writer` writes of it, straight into `out`: the same draws in the same
    /// order and the same bytes, written in the same pieces, without building the value.
    /// For a template without placeholders (with them, a producer's second pass needs the
    /// value).
    pub fn write_json(&self, rng: &mut Stream, sequences: &mut [i128], out: &mut Vec<u8>) {
        match self {
            DataTemplate::Literal(value) => to_writer(out, &**value),
            DataTemplate::Str(_) => out.extend_from_slice(b"null"),
            DataTemplate::Array(items) => {
                out.push(b'[');
                for (i, t) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    t.write_json(rng, sequences, out);
                }
                out.push(b']');
            }
            DataTemplate::Object(fields) => {
                out.push(b'{');
                for (i, (k, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_key(out, k);
                    out.push(b':');
                    t.write_json(rng, sequences, out);
                }
                out.push(b'}');
            }
            DataTemplate::UniformInt(lo, hi) => to_writer(out, &rng.int_in(*lo, *hi)),
            // Leaves are rendered as `render` renders them (numbers and copies of the
            // options: no allocation but a choice's own).
            _ => to_writer(out, &self.render(rng, sequences, None)),
        }
    }

    /// Fills the placeholders of an already rendered value (a producer's second pass, whose
    /// placeholders may refer to the event's own generated data).
    pub fn fill(&self, value: &mut Value, ctx: &Context<'_>) {
        match (self, value) {
            (DataTemplate::Str(t), value) => *value = t.render_value(ctx),
            (DataTemplate::Array(items), Value::Array(values)) => {
                for (t, v) in items.iter().zip(values) {
                    t.fill(v, ctx);
                }
            }
            (DataTemplate::Object(fields), Value::Object(values)) => {
                for (k, t) in fields {
                    if let Some(v) = values.get_mut(k) {
                        t.fill(v, ctx);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Writes an object key as `serde_json` does: a key with nothing to escape (no control
/// character, quote or backslash) in the same three pieces, the others through it.
fn write_key(out: &mut Vec<u8>, key: &str) {
    if key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.push(b'"');
    } else {
        to_writer(out, key);
    }
}

/// Serializes into a byte buffer (which cannot fail for a value, a string or a number).
fn to_writer<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(out, value).expect("JSON into memory");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ctx(data: &Value) -> Context<'_> {
        Context { key: Some("k1"), id: "evt-000001", event_type: "OrderCreated", data, n: 3, state: None }
    }

    #[test]
    fn whole_placeholder_keeps_its_type() {
        let data = json!({"total": 120, "nested": {"x": [1, 2]}});
        let t = StrTemplate::parse("{data.total}", Site::Emit).unwrap();
        assert_eq!(t.render_value(&ctx(&data)), json!(120));
        let t = StrTemplate::parse("order {key} costs {data.total}!", Site::Emit).unwrap();
        assert_eq!(t.render_value(&ctx(&data)), json!("order k1 costs 120!"));
        let t = StrTemplate::parse("{data.nested.x.1}", Site::Emit).unwrap();
        assert_eq!(t.render_value(&ctx(&data)), json!(2));
        let t = StrTemplate::parse("{data.missing}", Site::Emit).unwrap();
        assert_eq!(t.render_value(&ctx(&data)), Value::Null);
        assert_eq!(StrTemplate::parse("{n}", Site::Producer).unwrap().render_value(&ctx(&data)), json!(3));
    }

    #[test]
    fn braces_that_are_not_placeholders_are_text() {
        assert_eq!(StrTemplate::parse("a { b } {", Site::Emit).unwrap(), StrTemplate::Literal(Arc::from("a { b } {")));
    }

    #[test]
    fn bad_placeholders_are_errors() {
        assert!(StrTemplate::parse("{n}", Site::Emit).unwrap_err().contains("only available in producers"));
        assert!(StrTemplate::parse("{kye}", Site::Emit).unwrap_err().contains("did you mean \"key\""));
        assert!(StrTemplate::parse("{state.balance}", Site::Emit).unwrap_err().contains("fetch"));
        assert!(StrTemplate::parse("{data..x}", Site::Emit).is_err());
    }

    #[test]
    fn written_json_is_the_rendered_value_serialized() {
        let cases = [
            json!({"total": {"uniform": [5, 500]}}),
            json!({"a\"b\\c\u{1}": {"uniform": [-3, 3]}, "": [1, {"choice": [null, {}, "x", [2]]}], "f": {"uniform": [0.5, 1.5]}}),
            json!({"s": {"sequence": 7}, "t": {"sequence": 2.5}, "lit": {"k": "v"}, "ref": "{data.total}", "é": "{key}"}),
            json!([{"choice": [{}, null]}, {"uniform": [1, 2]}]),
            json!({"choice": [null]}),
            json!({"choice": [{}]}),
        ];
        for case in cases {
            let mut seqs = Vec::new();
            let t = compile_data(&case, Site::Producer, "data", &mut seqs).unwrap();
            let (mut rng_a, mut rng_b) =
                (Stream::for_component(7, "producer", "p"), Stream::for_component(7, "producer", "p"));
            let (mut seq_a, mut seq_b) = (vec![0i128; seqs.len()], vec![0i128; seqs.len()]);
            for _ in 0..20 {
                let value = t.render(&mut rng_a, &mut seq_a, None);
                let mut written = Vec::new();
                t.write_json(&mut rng_b, &mut seq_b, &mut written);
                assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&value).unwrap(), "{case}");
                let mut expected = crate::intern::Payloads::default();
                let mut got = crate::intern::Payloads::default();
                let span = expected.push(&value);
                assert_eq!(
                    got.push_written(|out| out.extend_from_slice(serde_json::to_string(&value).unwrap().as_bytes())),
                    span
                );
                assert_eq!(got.text(span), expected.text(span));
            }
        }
    }

    #[test]
    fn generated_values() {
        let mut seqs = Vec::new();
        let t = compile_data(
            &json!({"total": {"uniform": [10, 20]}, "c": {"choice": ["a", "b"]}, "s": {"sequence": 100}, "lit": {"a": 1}, "ref": "{data.total}"}),
            Site::Producer,
            "data",
            &mut seqs,
        )
        .unwrap();
        assert_eq!(seqs, vec!["data.s".to_owned()]);
        let mut rng = Stream::for_component(1, "producer", "p");
        let mut counters = vec![0i128; seqs.len()];
        for k in 0..5 {
            let mut v = t.render(&mut rng, &mut counters, None);
            let data = v.clone();
            t.fill(&mut v, &ctx(&data));
            let total = v["total"].as_i64().unwrap();
            assert!((10..=20).contains(&total));
            assert_eq!(v["ref"], v["total"]);
            assert_eq!(v["s"], json!(100 + k));
            assert_eq!(v["lit"], json!({"a": 1}));
        }
        assert!(compile_data(&json!({"uniform": [5, 1]}), Site::Producer, "data", &mut seqs).is_err());
    }
}
