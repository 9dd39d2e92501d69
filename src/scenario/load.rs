//! Reading a scenario file: bytes → UTF-8 → JSON → typed [`Scenario`] → validated.
//!
//! Every failure becomes one [`ScenarioError`], whose `Display` is a single line that names
//! the file and, where it is known, the `line:column` (JSON syntax and shape errors) or the
//! field path (shape and semantic errors). Nothing here panics on any input: sizes are
//! refused before reading, nesting is refused before serde recurses, and serde's own
//! messages are rewritten into the project's wording (`unknown field "naem" (did you mean
//! "name"?)`).
//!
//! One leniency remains that this layer cannot see: serde's derived `Deserialize` accepts a
//! JSON array in place of an object for a struct (fields in declaration order). Only the
//! top level is checked for it here (a scenario must be a `{...}`).

use std::fmt::{self, Write as _};
use std::path::Path;

use serde_path_to_error::Segment;

use super::model::Scenario;
use super::suggest::did_you_mean;
use super::validate::{Invalid, validate};
use super::variant;

/// Files (and strings) larger than this are refused before they are read.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Partitions of one log topic, at most.
pub const MAX_PARTITIONS: u32 = 10_000;
/// Instances of one consumer, at most.
pub const MAX_INSTANCES: u32 = 1_000;
/// Arrays and objects nested this deep are refused (`serde_json`'s own recursion limit is 128).
pub const MAX_NESTING: usize = 127;

/// Limits on the size of a run, checked before it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest estimated number of simulation steps a scenario may need
    /// (see [`crate::scenario::validate::estimate_steps`]); `--max-steps` sets it.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_steps: 100_000_000 }
    }
}

/// Why a scenario could not be loaded, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file's path as given, or the origin passed to [`load_str`].
    pub origin: String,
    pub kind: ErrorKind,
}

/// The classes of load errors; each has its own one-line format (see [`ScenarioError`]'s
/// `Display`). Lines and columns are 1-based; columns count characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// `FILE: cannot read: REASON` (missing, a directory, no permission, too large).
    Read(String),
    /// `FILE: not UTF-8 text (invalid byte at line L, column C)`.
    NotUtf8 { line: usize, column: usize },
    /// `FILE:L:C: MESSAGE`: JSON syntax, or nesting too deep.
    Syntax { line: usize, column: usize, message: String },
    /// `FILE:L:C: PATH: MESSAGE` (or `FILE:L:C: MESSAGE` at the top level): a value of the
    /// wrong type or shape, an unknown or missing field.
    Shape { line: usize, column: usize, path: String, message: String },
    /// `FILE: PATH: MESSAGE` (or `FILE: MESSAGE`): a validation error.
    Invalid { path: String, message: String },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = &self.origin;
        match &self.kind {
            ErrorKind::Read(reason) => write!(f, "{origin}: cannot read: {reason}"),
            ErrorKind::NotUtf8 { line, column } => {
                write!(f, "{origin}: not UTF-8 text (invalid byte at line {line}, column {column})")
            }
            ErrorKind::Syntax { line, column, message } => write!(f, "{origin}:{line}:{column}: {message}"),
            ErrorKind::Shape { line, column, path, message } if path.is_empty() => {
                write!(f, "{origin}:{line}:{column}: {message}")
            }
            ErrorKind::Shape { line, column, path, message } => {
                write!(f, "{origin}:{line}:{column}: {path}: {message}")
            }
            ErrorKind::Invalid { path, message } if path.is_empty() => write!(f, "{origin}: {message}"),
            ErrorKind::Invalid { path, message } => write!(f, "{origin}: {path}: {message}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Reads, parses and validates a scenario file. Files over [`MAX_FILE_BYTES`] are refused
/// without being read.
pub fn load_file(path: &Path, limits: &Limits) -> Result<Scenario, ScenarioError> {
    load_file_variant(path, limits, None)
}

/// [`load_file`], then applies the variant named `variant`, if given.
pub fn load_file_variant(path: &Path, limits: &Limits, variant: Option<&str>) -> Result<Scenario, ScenarioError> {
    let origin = path.display().to_string();
    let read_error = |reason: String| ScenarioError { origin: origin.clone(), kind: ErrorKind::Read(reason) };
    let metadata = std::fs::metadata(path).map_err(|e| read_error(io_reason(&e)))?;
    if metadata.is_dir() {
        return Err(read_error("is a directory".to_owned()));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(read_error(too_large(metadata.len())));
    }
    let bytes = std::fs::read(path).map_err(|e| read_error(io_reason(&e)))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(e) => {
            let (line, column) = position_of(&bytes[..e.valid_up_to()]);
            return Err(ScenarioError { origin, kind: ErrorKind::NotUtf8 { line, column } });
        }
    };
    load_str_variant(text, &origin, limits, variant)
}

/// Parses and validates a scenario held in memory; `origin` names it in errors.
pub fn load_str(text: &str, origin: &str, limits: &Limits) -> Result<Scenario, ScenarioError> {
    load_str_variant(text, origin, limits, None)
}

/// [`load_str`], then applies the variant named `variant`, if given. Every variant is
/// checked either way (see [`variant`]).
pub fn load_str_variant(
    text: &str,
    origin: &str,
    limits: &Limits,
    variant: Option<&str>,
) -> Result<Scenario, ScenarioError> {
    let error = |kind| ScenarioError { origin: origin.to_owned(), kind };
    let invalid = |invalid: Invalid| error(ErrorKind::Invalid { path: invalid.path, message: invalid.message });
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(error(ErrorKind::Read(too_large(text.len() as u64))));
    }
    let scenario = parse(text).map_err(error)?;
    validate(&scenario, limits).map_err(invalid)?;
    if scenario.variants.is_empty() && variant.is_none() {
        return Ok(scenario);
    }
    // The text parsed as a scenario, so it is JSON, nested no deeper than the limit.
    let raw: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| error(ErrorKind::Syntax { line: e.line(), column: e.column(), message: e.to_string() }))?;
    let mut applied = variant::apply_all(&scenario, &raw, limits).map_err(invalid)?;
    let Some(name) = variant else { return Ok(scenario) };
    match scenario.variants.iter().position(|v| v.name == name) {
        Some(i) => Ok(applied.swap_remove(i)),
        None => Err(invalid(Invalid { path: String::new(), message: variant::no_such_variant(&scenario, name) })),
    }
}

/// A scenario from JSON already parsed (a variant's patched scenario): shape errors with
/// their field path, as [`Invalid`].
pub(super) fn parse_value(value: serde_json::Value) -> Result<Scenario, Invalid> {
    serde_path_to_error::deserialize::<_, Scenario>(value).map_err(|error| {
        let path = error_path(&error);
        Invalid { path, message: rewrite_message(&error.into_inner().to_string()) }
    })
}

/// The field path of a shape error. `serde_path_to_error` has already entered an unknown
/// field when it is refused; the path names the object that does not know it.
fn error_path<E: std::fmt::Display>(error: &serde_path_to_error::Error<E>) -> String {
    let mut segments: Vec<&Segment> = error.path().iter().collect();
    if let Some(Segment::Map { key }) = segments.last() {
        if error.inner().to_string().starts_with(&format!("unknown field `{key}`")) {
            segments.pop();
        }
    }
    path_text(&segments)
}

fn too_large(bytes: u64) -> String {
    format!("too large ({bytes} bytes; scenarios are limited to {} MiB)", MAX_FILE_BYTES / (1024 * 1024))
}

/// The OS's reason without its "(os error 2)" suffix, which tells a person nothing.
pub(crate) fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_owned(),
                None => text,
            }
        }
    }
}

/// The 1-based line and character column just after `prefix`.
fn position_of(prefix: &[u8]) -> (usize, usize) {
    let line_start = prefix.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = prefix.split(|&b| b == b'\n').count();
    let column = String::from_utf8_lossy(&prefix[line_start..]).chars().count() + 1;
    (line, column)
}

/// Turns `serde_json`'s position (line, byte column of the last byte read) into a
/// character column, at least 1.
fn char_column(text: &str, line: usize, byte_column: usize) -> usize {
    let Some(line_text) = text.split('\n').nth(line.saturating_sub(1)) else { return byte_column.max(1) };
    let mut end = byte_column.min(line_text.len());
    while !line_text.is_char_boundary(end) {
        end += 1;
    }
    line_text[..end].chars().count().max(1)
}

/// Finds where arrays and objects first nest deeper than [`MAX_NESTING`], without
/// recursing: `(line, column)` of the opening bracket that goes too deep.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, byte) in text.bytes().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(position_of(&text.as_bytes()[..i]));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// JSON text → typed scenario, with positions and field paths in errors.
fn parse(text: &str) -> Result<Scenario, ErrorKind> {
    let deep = too_deep(text);
    let nesting_error = |(line, column): (usize, usize)| ErrorKind::Syntax {
        line,
        column,
        message: format!("nesting deeper than {MAX_NESTING} levels (arrays and objects inside each other)"),
    };
    let first = text.char_indices().find(|(_, c)| !c.is_whitespace());
    match first {
        None => {
            return Err(ErrorKind::Syntax {
                line: 1,
                column: 1,
                message: "the file is empty; a scenario is a JSON object".to_owned(),
            });
        }
        Some((_, '{')) => {}
        Some((at, c)) => {
            if let Some(deep) = deep {
                return Err(nesting_error(deep));
            }
            let (line, column) = position_of(&text.as_bytes()[..at]);
            let found = match c {
                '[' => "an array",
                '"' => "a string",
                '-' | '0'..='9' => "a number",
                't' | 'f' => "a boolean",
                'n' => "null",
                _ => "something that is not JSON",
            };
            return Err(ErrorKind::Syntax {
                line,
                column,
                message: format!("a scenario is a JSON object ({{...}}), found {found}"),
            });
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(text);
    let (inner, path) = match serde_path_to_error::deserialize::<_, Scenario>(&mut deserializer) {
        Ok(scenario) => match deserializer.end() {
            Ok(()) => return Ok(scenario),
            Err(trailing) => (trailing, String::new()),
        },
        Err(error) => {
            let path = error_path(&error);
            (error.into_inner(), path)
        }
    };
    let (line, byte_column) = (inner.line(), inner.column());
    let position = (line.max(1), char_column(text, line, byte_column));
    let raw = inner.to_string();
    let suffix = format!(" at line {line} column {byte_column}");
    let message = raw.strip_suffix(&suffix).unwrap_or(&raw).to_owned();
    if let Some(deep) = deep {
        // A recursion-limit or shape error at or after the too-deep bracket is caused by
        // the nesting; an earlier syntax error is reported as itself.
        if inner.is_data() || position >= deep || message == "recursion limit exceeded" {
            return Err(nesting_error(deep));
        }
    }
    let (line, column) = position;
    if inner.is_data() {
        Err(ErrorKind::Shape { line, column, path, message: rewrite_message(&message) })
    } else {
        Err(ErrorKind::Syntax { line, column, message: rewrite_syntax(&message, text, line, byte_column) })
    }
}

/// Clearer words for the syntax errors people make by hand.
fn rewrite_syntax(message: &str, text: &str, line: usize, byte_column: usize) -> String {
    match message {
        "trailing characters" => "unexpected text after the end of the scenario's object".to_owned(),
        "trailing comma" => "trailing comma (JSON allows no comma before ] or })".to_owned(),
        "key must be a string" => {
            // serde_json says this for `{"a": 1,}`: the comma promised another key.
            let line_start: usize = text.split('\n').take(line.saturating_sub(1)).map(|l| l.len() + 1).sum();
            let at = (line_start + byte_column).min(text.len());
            let before = text.get(..at.saturating_sub(1)).unwrap_or("").trim_end();
            if text.get(at.saturating_sub(1)..at) == Some("}") && before.ends_with(',') {
                "trailing comma (JSON allows no comma before ] or })".to_owned()
            } else {
                "expected a field name in double quotes".to_owned()
            }
        }
        other => other.to_owned(),
    }
}

/// `topics[0].name`, `consumers[1].handles.OrderCreated.emit[0]`; empty at the top level.
fn path_text(segments: &[&Segment]) -> String {
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
pub(crate) fn rewrite_message(message: &str) -> String {
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
