//! Interned strings and stored payloads: the tables a compiled model starts and a trace
//! extends (names, keys and ids as [`Sym`]s; events' data and headers as [`Span`]s of one
//! [`Payloads`] arena).

use std::num::NonZeroU32;
use std::sync::Arc;

use indexmap::IndexSet;
use rustc_hash::FxBuildHasher;
use serde_json::Value;

/// An interned string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sym(NonZeroU32);

impl Sym {
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }

    /// Its bits, never 0 (an [`crate::trace::EventId`] packs them).
    pub(crate) fn bits(self) -> u32 {
        self.0.get()
    }

    /// The symbol of `bits` from [`Sym::bits`].
    pub(crate) fn from_bits(bits: u32) -> Sym {
        Sym(NonZeroU32::new(bits).expect("symbols are non-zero"))
    }
}

/// The string table of a trace.
#[derive(Clone, Debug, Default)]
pub struct Strings(IndexSet<Arc<str>, FxBuildHasher>);

impl Strings {
    pub fn intern(&mut self, text: &str) -> Sym {
        let index = match self.0.get_index_of(text) {
            Some(index) => index,
            None => self.0.insert_full(Arc::from(text)).0,
        };
        Sym(NonZeroU32::new(index as u32 + 1).expect("fewer than 2^32 strings"))
    }

    pub fn get(&self, text: &str) -> Option<Sym> {
        self.0.get_index_of(text).map(|i| Sym(NonZeroU32::new(i as u32 + 1).expect("in range")))
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        &self.0[sym.index()]
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// The strings interned from index `from` on, in order (shared, not copied).
    pub(crate) fn since(&self, from: usize) -> impl Iterator<Item = &Arc<str>> {
        self.0.as_slice()[from..].iter()
    }

    /// Appends a string another table interned at this table's length: what
    /// [`Self::since`] gave, for a copy that follows the original.
    pub(crate) fn push_interned(&mut self, text: Arc<str>) {
        let (_, new) = self.0.insert_full(text);
        // Otherwise every symbol after it would name another string.
        assert!(new, "a copy follows its original: the string is new here too");
    }
}

/// A JSON value stored as text in a [`Payloads`] arena; the empty span means absent
/// (`null` data, no headers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    start: u32,
    len: u32,
}

impl Span {
    pub const NONE: Span = Span { start: 0, len: 0 };
    /// `{}`: the data of an event given none (every [`Payloads`] starts with it).
    pub const EMPTY_OBJECT: Span = Span { start: 0, len: 2 };

    pub fn is_none(self) -> bool {
        self.len == 0
    }
}

/// Event payloads (data and headers) as compact JSON text in one growing buffer.
///
/// A `serde_json::Value` object costs a few hundred bytes in allocations; the same data as
/// text costs its length. Payloads are written once, when an event is made, and shared by
/// every step and by every event made from the same literal: a literal `data` of a scenario
/// is stored once, before the run. Reading one back parses it (the TUI's inspector, a
/// template that refers to the trigger's data); writing the trace copies the text.
#[derive(Clone, Debug)]
pub struct Payloads(Vec<u8>);

impl Default for Payloads {
    /// Payloads start with `{}`, the data of an event given none ([`Span::EMPTY_OBJECT`]).
    fn default() -> Self {
        Payloads(b"{}".to_vec())
    }
}

impl Payloads {
    /// Stores a value (`null` is the empty span, `{}` is [`Span::EMPTY_OBJECT`]).
    pub fn push(&mut self, value: &Value) -> Span {
        if value.is_null() {
            return Span::NONE;
        }
        if value.as_object().is_some_and(serde_json::Map::is_empty) {
            return Span::EMPTY_OBJECT;
        }
        let start = self.0.len();
        serde_json::to_writer(&mut self.0, value).expect("a Value always serializes");
        self.span(start)
    }

    /// Stores the JSON text `write` appends (what [`Self::push`] stores of the value that
    /// text spells: `null` is the empty span, `{}` is [`Span::EMPTY_OBJECT`]).
    pub fn push_written(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> Span {
        let start = self.0.len();
        write(&mut self.0);
        match &self.0[start..] {
            b"null" => {
                self.0.truncate(start);
                Span::NONE
            }
            b"{}" => {
                self.0.truncate(start);
                Span::EMPTY_OBJECT
            }
            _ => self.span(start),
        }
    }

    /// Stores headers as a JSON object (none is the empty span).
    pub fn push_headers(&mut self, headers: &[(String, String)]) -> Span {
        if headers.is_empty() {
            return Span::NONE;
        }
        let map: serde_json::Map<String, Value> =
            headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        self.push(&Value::Object(map))
    }

    /// Stores a JSON text as it is (`null` is the empty span): a payload read back from a
    /// trace, already valid JSON.
    pub fn push_raw(&mut self, raw: &serde_json::value::RawValue) -> Span {
        let text = raw.get().trim();
        if text == "null" {
            return Span::NONE;
        }
        if text == "{}" {
            return Span::EMPTY_OBJECT;
        }
        let start = self.0.len();
        self.0.extend_from_slice(text.as_bytes());
        self.span(start)
    }

    fn span(&self, start: usize) -> Span {
        let start32 = u32::try_from(start).expect("payloads are limited to 4 GiB");
        let len = u32::try_from(self.0.len() - start).expect("payloads are limited to 4 GiB");
        Span { start: start32, len }
    }

    /// The JSON text of a span (`"null"` for the empty span).
    pub fn text(&self, span: Span) -> &str {
        if span.is_none() {
            return "null";
        }
        let bytes = &self.0[span.start as usize..(span.start + span.len) as usize];
        std::str::from_utf8(bytes).expect("serde_json writes UTF-8")
    }

    /// The value of a span, parsed.
    pub fn value(&self, span: Span) -> Value {
        serde_json::from_str(self.text(span)).expect("payloads hold valid JSON")
    }

    /// Headers as a JSON object (empty when none).
    pub fn headers(&self, span: Span) -> serde_json::Map<String, Value> {
        match self.value(span) {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }

    pub fn bytes(&self) -> usize {
        self.0.capacity()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// The stored text from byte `from` on.
    pub(crate) fn since(&self, from: usize) -> &[u8] {
        &self.0[from..]
    }

    /// Appends text another arena stored at this arena's length (what [`Self::since`]
    /// gave), so the spans of the original read the same here.
    pub(crate) fn extend_from(&mut self, text: &[u8]) {
        self.0.extend_from_slice(text);
    }
}
