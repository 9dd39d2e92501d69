//! The committed JSON Schema matches the model, and every scenario shipped with the
//! project loads.

use std::path::{Path, PathBuf};

use eventlab::scenario::load::{Limits, load_file};
use eventlab::scenario::schema::{json_schema, json_schema_text};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schema_is_current() {
    let path = root().join("assets/scenario.schema.json");
    let expected = json_schema_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{} is out of date with the scenario model; regenerate it with\n    \
         cargo run -- schema > assets/scenario.schema.json\nor\n    UPDATE_SCHEMA=1 cargo test schema",
        path.display()
    );
}

#[test]
fn schema_describes_the_top_level() {
    let schema = json_schema();
    assert_eq!(schema["$id"], "urn:eventlab:scenario:v1");
    assert!(schema["title"].is_string() && schema["description"].is_string());
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(required, ["name", "duration", "topics"]);
    assert_eq!(schema["additionalProperties"], false);
}

/// The scenario files of a directory, without the `.expected.json` files beside them.
fn scenario_files(dir: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root().join(dir)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.ends_with(".json") && !name.ends_with(".expected.json")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_scenario_loads() {
    let files: Vec<PathBuf> = ["scenarios", "tests/scenarios"].iter().flat_map(|dir| scenario_files(dir)).collect();
    let failures: Vec<String> =
        files.iter().filter_map(|file| load_file(file, &Limits::default()).err().map(|e| e.to_string())).collect();
    assert!(failures.is_empty(), "scenarios that do not load:\n{}", failures.join("\n"));
}
