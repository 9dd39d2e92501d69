//! The JSON Schema of scenario files, generated from the model's types.
//!
//! The schema describes shapes and types only, as serde parses them; what relates one part
//! of a file to another (references, unique names, ranges that depend on the topic kind) is
//! checked by [`crate::scenario::validate`] and cannot be expressed here. A committed copy
//! lives in `assets/scenario.schema.json` for editors; a test keeps it equal to this.

use serde_json::Value;

use super::model::Scenario;
use super::variant::NAMED_LISTS;

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
    let mut value = schema.to_value();
    describe_changes(&mut value);
    value
}

/// Gives a variant's `change` the scenario's own members, so editors complete and check
/// inside it: each member as the scenario has it, or `null` (removes it); a named list
/// also as an object of its items by name, each a partial item or `null`.
fn describe_changes(schema: &mut Value) {
    let Some(members) = schema.get("properties").and_then(Value::as_object) else { return };
    let mut properties = serde_json::Map::new();
    for (name, member) in members {
        if name == "variants" {
            continue;
        }
        let mut choices = vec![member.clone(), serde_json::json!({"type": "null"})];
        if let Some((_, what)) = NAMED_LISTS.iter().find(|(list, _)| list == name) {
            choices.push(serde_json::json!({
                "type": "object",
                "description": format!("{what} name → the changes to that {what}, or null to remove it"),
                "additionalProperties": {"type": ["object", "null"]}
            }));
        }
        properties.insert(name.clone(), serde_json::json!({"anyOf": choices}));
    }
    if let Some(change) = schema.pointer_mut("/$defs/Variant/properties/change") {
        change["properties"] = Value::Object(properties);
        change["additionalProperties"] = Value::Bool(false);
    }
}

/// [`json_schema`] as the committed file holds it: pretty-printed, with a trailing newline.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).expect("a JSON value always serializes");
    text.push('\n');
    text
}
