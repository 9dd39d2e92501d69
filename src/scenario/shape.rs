//! Shape errors: serde's messages for a value of the wrong type or shape, an unknown or a
//! missing field, rewritten into the project's wording with their field path.

use std::fmt::Write as _;

use serde_path_to_error::Segment;

use super::model::Scenario;
use super::suggest::did_you_mean;
use super::validate::Invalid;

/// A scenario from JSON already parsed (a variant's patched scenario): shape errors with
/// their field path, as [`Invalid`].
pub fn parse_value(value: serde_json::Value) -> Result<Scenario, Invalid> {
    serde_path_to_error::deserialize::<_, Scenario>(value).map_err(|error| {
        let path = error_path(&error);
        Invalid { path, message: rewrite_message(&error.into_inner().to_string()) }
    })
}

/// The field path of a shape error. `serde_path_to_error` has already entered an unknown
/// field when it is refused; the path names the object that does not know it.
pub(super) fn error_path<E: std::fmt::Display>(error: &serde_path_to_error::Error<E>) -> String {
    let mut segments: Vec<&Segment> = error.path().iter().collect();
    if let Some(Segment::Map { key }) = segments.last() {
        if error.inner().to_string().starts_with(&format!("unknown field `{key}`")) {
            segments.pop();
        }
    }
    path_text(&segments)
}

/// `topics[0].name`, `consumers[1].handles.OrderCreated.emit[0]`; empty at the top level.
pub(super) fn path_text(segments: &[&Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            Segment::Map { key } => push_field(&mut out, key),
            Segment::Enum { variant } => push_field(&mut out, variant),
            Segment::Unknown => push_field(&mut out, "?"),
        }
    }
    out
}

fn push_field(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('.');
    }
    out.push_str(name);
}

/// The names between backticks in serde's "expected one of `a`, `b`" lists.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Rewrites serde's wording: quotes instead of backticks, "did you mean", JSON's own type
/// names (array, object) instead of Rust's (sequence, map, u32).
pub fn rewrite_message(message: &str) -> String {
    for what in ["field", "variant"] {
        let Some(rest) = message.strip_prefix(&format!("unknown {what} `")) else { continue };
        let Some((name, expected)) = rest.split_once('`') else { continue };
        let valid = backticked(expected);
        let hint = did_you_mean(name, valid.iter().copied());
        if !hint.is_empty() || valid.is_empty() {
            return format!("unknown {what} \"{name}\"{hint}");
        }
        let list = valid.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ");
        return format!("unknown {what} \"{name}\" (expected one of {list})");
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        return format!("missing field \"{}\"", rest.trim_end_matches('`'));
    }
    if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        if let Some((found, expected)) = message.split_once(", expected ") {
            let found = found.replace(": sequence", ": array").replace(": map", ": object");
            return format!("{found}, expected {}", expected_text(expected));
        }
    }
    message.to_owned()
}

/// serde's `expecting` text for the model's Rust types, in JSON terms.
fn expected_text(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" => format!("an integer from 0 to {}", u32::MAX),
        "u64" => "a non-negative integer".to_owned(),
        "i64" => "an integer".to_owned(),
        "f64" | "f32" => "a number".to_owned(),
        "a sequence" => "an array".to_owned(),
        "a map" => "an object".to_owned(),
        _ if expected.starts_with("struct ") => "an object".to_owned(),
        _ if expected.starts_with("a sequence") => expected.replacen("a sequence", "an array", 1),
        _ if expected.starts_with("an array of length") || expected.starts_with("a tuple") => expected.to_owned(),
        other => other.to_owned(),
    }
}
