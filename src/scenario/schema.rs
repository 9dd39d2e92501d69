//! The JSON Schema of scenario files, generated from the model's types.
//!
//! The schema describes shapes and types only, as serde parses them; what relates one part
//! of a file to another (references, unique names, ranges that depend on the topic kind) is
//! checked by [`crate::scenario::validate`] and cannot be expressed here. A committed copy
//! lives in `assets/scenario.schema.json` for editors; a test keeps it equal to this.

use serde_json::Value;

use super::model::Scenario;

/// The schema's identifier (a URN: the project has no canonical URL yet).
pub const SCHEMA_ID: &str = "urn:eventlab:scenario:v1";

/// The JSON Schema (draft 2020-12) of a scenario file.
pub fn json_schema() -> Value {
    let mut schema = schemars::schema_for!(Scenario);
    schema.insert("$id".to_owned(), SCHEMA_ID.into());
    schema.insert("title".to_owned(), "eventlab scenario".into());
    schema.insert(
        "description".to_owned(),
        "A scenario for eventlab, the event-driven architecture laboratory: topics, producers, consumers, \
         timed faults, expectations and lesson notes, simulated deterministically in virtual time."
            .into(),
    );
    schema.to_value()
}

/// [`json_schema`] as the committed file holds it: pretty-printed, with a trailing newline.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).expect("a JSON value always serializes");
    text.push('\n');
    text
}
