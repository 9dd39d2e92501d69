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

use std::fmt;
use std::path::Path;

use serde_path_to_error::Segment;

use super::model::Scenario;
pub use super::shape::rewrite_message;
use super::shape::{error_path, path_text};
use super::validate::{Invalid, validate};
use super::variant;

pub use super::limits::{DEFAULT_MAX_MEMORY, Limits, MAX_FILE_BYTES, MAX_INSTANCES, MAX_NESTING, MAX_PARTITIONS};

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

/// User text (a name, a value, a key) quoted in an error line is cut after this many
/// characters, with `…`; so is any run of characters without a space outside quotes (a field
/// path through user keys). A file's path gets twice as much.
pub const MAX_USER_CHARS: usize = 120;
/// A whole error line is cut after this many characters, with `…`.
pub const MAX_LINE_CHARS: usize = 1_000;

/// Whether `c` would break a one-line message or play tricks on a terminal: control
/// characters (newlines, ESC), line and paragraph separators, and the invisible format
/// characters that reorder or hide text (bidirectional overrides, zero-width marks, BOM).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A message made safe to print as one line on a terminal: unsafe characters (see
/// [`is_unsafe_char`]) are written as escapes (`\n`, `\t`, `\u{1b}`), user text between
/// double quotes is cut after [`MAX_USER_CHARS`] characters, so is any unbroken run of
/// characters outside quotes, and the whole line after [`MAX_LINE_CHARS`]; each cut shows `…`.
/// Every error line eventlab prints goes through this (scenario errors in their `Display`,
/// the command line's messages before they are printed).
pub fn safe_line(text: &str) -> String {
    safe_text(text, MAX_USER_CHARS)
}

/// [`safe_line`] with room for a file's path: runs are cut after twice [`MAX_USER_CHARS`].
/// The command line passes every message through it before printing (a scenario error has
/// been through [`safe_line`] already; this catches the rest).
pub fn safe_message(text: &str) -> String {
    safe_text(text, 2 * MAX_USER_CHARS)
}

fn safe_text(text: &str, max_run: usize) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LINE_CHARS + 8));
    let (mut quoted, mut escaped, mut run, mut cut, mut chars) = (false, false, 0usize, false, 0usize);
    for c in text.chars() {
        if chars >= MAX_LINE_CHARS {
            out.push('…');
            break;
        }
        let ends_run = if quoted { c == '"' && !escaped } else { c == ' ' || c == '"' };
        if ends_run {
            if c == '"' {
                quoted = !quoted;
            }
            run = 0;
            cut = false;
        } else {
            run += 1;
        }
        escaped = quoted && !escaped && c == '\\';
        if run > max_run {
            if !cut {
                out.push('…');
                chars += 1;
                cut = true;
            }
            continue;
        }
        if is_unsafe_char(c) {
            for e in c.escape_default() {
                out.push(e);
            }
        } else {
            out.push(c);
        }
        chars += 1;
    }
    out
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The origin (a path) may be long and is cut on its own; the rest of the line as a
        // message, so the origin's length does not count against a field path's.
        f.write_str(&safe_text(&self.origin, 2 * MAX_USER_CHARS))?;
        let rest = match &self.kind {
            ErrorKind::Read(reason) => format!(": cannot read: {reason}"),
            ErrorKind::NotUtf8 { line, column } => {
                format!(": not UTF-8 text (invalid byte at line {line}, column {column})")
            }
            ErrorKind::Syntax { line, column, message } => format!(":{line}:{column}: {message}"),
            ErrorKind::Shape { line, column, path, message } if path.is_empty() => {
                format!(":{line}:{column}: {message}")
            }
            ErrorKind::Shape { line, column, path, message } => format!(":{line}:{column}: {path}: {message}"),
            ErrorKind::Invalid { path, message } if path.is_empty() => format!(": {message}"),
            ErrorKind::Invalid { path, message } => format!(": {path}: {message}"),
        };
        f.write_str(&safe_line(&rest))
    }
}

impl std::error::Error for ScenarioError {}

/// Reads, parses and validates a scenario file. Only a regular file is read (see
/// [`crate::fsutil`]); files over [`MAX_FILE_BYTES`] are refused without being read.
pub fn load_file(path: &Path, limits: &Limits) -> Result<Scenario, ScenarioError> {
    load_file_variant(path, limits, None)
}

/// [`load_file`], then applies the variant named `variant`, if given.
pub fn load_file_variant(path: &Path, limits: &Limits, variant: Option<&str>) -> Result<Scenario, ScenarioError> {
    let origin = path.display().to_string();
    let read_error = |reason: String| ScenarioError { origin: origin.clone(), kind: ErrorKind::Read(reason) };
    // A device, a FIFO or a directory is refused before it is opened; a file that grows
    // while it is read stops at the limit.
    let bytes = crate::fsutil::read_regular(path, MAX_FILE_BYTES).map_err(|e| read_error(io_reason(&e)))?;
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

fn too_large(bytes: u64) -> String {
    crate::fsutil::too_large(bytes, MAX_FILE_BYTES)
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

    if deep.is_none() {
        if let Some((line, byte_column, path, key)) = duplicate_key(text) {
            let column = char_column(text, line, byte_column);
            let message = format!("duplicate key \"{key}\" (a JSON object here takes each key once)");
            return Err(ErrorKind::Shape { line: line.max(1), column, path, message });
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

/// A key that appears twice in one JSON object, at any depth: `(line, byte column, path of
/// the object, key)`. Serde's derived structs refuse a repeated field, but maps (`handles`,
/// `headers`, `data`, `apply`, a variant's `change`) would keep the last value silently, so
/// the whole text is walked once before it is parsed. Text that is not JSON gives `None`:
/// the parse that follows reports it.
fn duplicate_key(text: &str) -> Option<(usize, usize, String, String)> {
    use serde::de::DeserializeSeed as _;
    let mut walk = DuplicateWalk::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match (&mut walk).deserialize(&mut deserializer) {
        Err(e) => {
            let path = path_text(&walk.path.iter().collect::<Vec<_>>());
            walk.duplicate.take().map(|key| (e.line(), e.column(), path, key))
        }
        Ok(()) => None,
    }
}

/// The state of [`duplicate_key`]'s walk: where it is, and the repeated key once found.
#[derive(Default)]
struct DuplicateWalk {
    path: Vec<Segment>,
    duplicate: Option<String>,
}

impl<'de> serde::de::DeserializeSeed<'de> for &mut DuplicateWalk {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for &mut DuplicateWalk {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for index in 0.. {
            self.path.push(Segment::Seq { index });
            let more = seq.next_element_seed(&mut *self)?.is_some();
            self.path.pop();
            if !more {
                break;
            }
        }
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::BTreeSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if seen.contains(&key) {
                self.duplicate = Some(key.into_owned());
                return Err(serde::de::Error::custom("duplicate key"));
            }
            self.path.push(Segment::Map { key: key.clone().into_owned() });
            map.next_value_seed(&mut *self)?;
            self.path.pop();
            seen.insert(key);
        }
        Ok(())
    }
}
