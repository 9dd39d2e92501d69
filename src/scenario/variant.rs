//! "What if" variants: a scenario's named changes, applied to the file as written.
//!
//! A variant's `change` is a JSON merge patch (RFC 7386) of the scenario's JSON: an object
//! merges into an object member by member, `null` removes a member, anything else (an
//! array, a string, a number) replaces what was there. One exception makes patches short
//! and robust: the lists of named items (`topics`, `producers`, `consumers`, `aggregates`,
//! `sagas`) given as an object are patched item by item, addressed by name
//! (`{"consumers": {"billing": {"idempotent": true}}}`), and `null` for a name removes that
//! item. Given as an array, they replace the whole list like every other array does.
//!
//! The patch applies to the JSON text of the file, not to the parsed model, so a default the
//! author left out stays a default (a patch that gives `handles` does not inherit the
//! implicit `{"*": {}}`). The patched scenario is parsed and validated like a file of its
//! own; every variant is checked when the file is loaded, so a broken variant is reported
//! even when nobody runs it.

use serde_json::{Map, Value};

use super::limits::Limits;
use super::model::Scenario;
use super::shape::parse_value;
use super::suggest::did_you_mean;
use super::validate::{Invalid, check_name, unknown, validate};

/// The lists whose items a variant addresses by name: (member, what an item is).
pub const NAMED_LISTS: [(&str, &str); 5] = [
    ("topics", "topic"),
    ("producers", "producer"),
    ("consumers", "consumer"),
    ("aggregates", "aggregate"),
    ("sagas", "saga"),
];

/// RFC 7386: merges `patch` into `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else { unreachable!("made an object above") };
    for (key, value) in patch {
        if value.is_null() {
            target.shift_remove(key);
        } else {
            merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// Applies a variant's `change` to a scenario's JSON (without its `variants`). Errors name
/// the place in the change, relative to it (`consumers.billng`).
pub fn apply(base: &Value, change: &Map<String, Value>) -> Result<Value, Invalid> {
    let mut scenario = base.clone();
    let Value::Object(members) = &mut scenario else {
        return Err(Invalid { path: String::new(), message: "a scenario is a JSON object".to_owned() });
    };
    for (key, patch) in change {
        if key == "variants" {
            return Err(Invalid { path: key.clone(), message: "a variant cannot declare variants".to_owned() });
        }
        match (NAMED_LISTS.iter().find(|(list, _)| list == key), patch) {
            (Some((list, what)), Value::Object(items)) => {
                let current = members.entry(key.clone()).or_insert_with(|| Value::Array(Vec::new()));
                patch_by_name(current, items, list, what)?;
            }
            _ if patch.is_null() => {
                members.shift_remove(key);
            }
            _ => merge_patch(members.entry(key.clone()).or_insert(Value::Null), patch),
        }
    }
    Ok(scenario)
}

/// Patches the items of a named list, each addressed by its `name`.
fn patch_by_name(list: &mut Value, patches: &Map<String, Value>, plural: &str, what: &str) -> Result<(), Invalid> {
    let Value::Array(items) = list else {
        return Err(Invalid {
            path: plural.to_owned(),
            message: format!("\"{plural}\" is not a list in the scenario, so its items cannot be patched by name"),
        });
    };
    for (name, patch) in patches {
        let position = items.iter().position(|item| item.get("name").and_then(Value::as_str) == Some(name.as_str()));
        let Some(position) = position else {
            let known: Vec<&str> = items.iter().filter_map(|item| item.get("name").and_then(Value::as_str)).collect();
            return Err(Invalid {
                path: format!("{plural}.{name}"),
                message: format!(
                    "{}; a variant patches existing {plural} by name (give the whole list as an array to add one)",
                    unknown(what, plural, name, known.iter().copied())
                ),
            });
        };
        if patch.is_null() {
            items.remove(position);
        } else {
            merge_patch(&mut items[position], patch);
        }
    }
    Ok(())
}

/// The title of a variant's run: the variant's own `name` if its change sets one, else the
/// scenario's with `(what if: VARIANT)` after it, so the TUI's header and the summaries say
/// which experiment ran.
fn title(base: &str, variant: &str) -> String {
    format!("{base} (what if: {variant})")
}

/// Checks every variant of `scenario` (already validated; `raw` is its JSON) and returns
/// each one applied, in order. The first problem wins; its path starts with `variants[I]`.
pub fn apply_all(scenario: &Scenario, raw: &Value, limits: &Limits) -> Result<Vec<Scenario>, Invalid> {
    let mut base = raw.clone();
    if let Value::Object(members) = &mut base {
        members.shift_remove("variants");
    }
    let mut applied = Vec::with_capacity(scenario.variants.len());
    for (i, variant) in scenario.variants.iter().enumerate() {
        let at = format!("variants[{i}]");
        check_name(&format!("{at}.name"), "variant", &variant.name)?;
        if let Some(first) = scenario.variants[..i].iter().position(|v| v.name == variant.name) {
            return Err(Invalid {
                path: format!("{at}.name"),
                message: format!("duplicate variant name \"{}\" (also variants[{first}])", variant.name),
            });
        }
        let mut patched = apply(&base, &variant.change).map_err(|e| Invalid {
            path: if e.path.is_empty() { format!("{at}.change") } else { format!("{at}.change.{}", e.path) },
            message: e.message,
        })?;
        if !variant.change.contains_key("name") {
            if let Value::Object(members) = &mut patched {
                members.insert("name".to_owned(), Value::String(title(&scenario.name, &variant.name)));
            }
        }
        // Errors in the result name the variant, then the place in the patched scenario.
        let within = |invalid: Invalid| {
            let place = format!("{at} \"{}\"", variant.name);
            Invalid {
                path: if invalid.path.is_empty() { place } else { format!("{place}: {}", invalid.path) },
                message: invalid.message,
            }
        };
        let result = parse_value(patched).map_err(within)?;
        validate(&result, limits).map_err(within)?;
        applied.push(result);
    }
    Ok(applied)
}

/// The message for a variant name the scenario does not have.
pub fn no_such_variant(scenario: &Scenario, name: &str) -> String {
    let names: Vec<&str> = scenario.variants.iter().map(|v| v.name.as_str()).collect();
    if names.is_empty() {
        return format!("no variant \"{name}\": this scenario has no variants");
    }
    let hint = did_you_mean(name, names.iter().copied());
    if hint.is_empty() {
        format!("no variant \"{name}\" (variants: {})", names.join(", "))
    } else {
        format!("no variant \"{name}\"{hint}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patched(base: &Value, change: Value) -> Result<Value, Invalid> {
        let Value::Object(change) = change else { panic!("a change is an object") };
        apply(base, &change)
    }

    /// The examples of RFC 7386, appendix A.
    #[test]
    fn merge_patch_follows_rfc_7386() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "b"}), json!({"b": "c"}), json!({"a": "b", "b": "c"})),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": "b", "b": "c"}), json!({"a": null}), json!({"b": "c"})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (json!({"a": {"b": "c"}}), json!({"a": {"b": "d", "c": null}}), json!({"a": {"b": "d"}})),
            (json!({"a": [{"b": "c"}]}), json!({"a": [1]}), json!({"a": [1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (json!({"e": null}), json!({"a": 1}), json!({"e": null, "a": 1})),
            (json!([1, 2]), json!({"a": "b", "c": null}), json!({"a": "b"})),
            (json!({}), json!({"a": {"bb": {"ccc": null}}}), json!({"a": {"bb": {}}})),
        ];
        for (target, patch, expected) in cases {
            let mut result = target.clone();
            merge_patch(&mut result, &patch);
            assert_eq!(result, expected, "{target} patched with {patch}");
        }
    }

    #[test]
    fn named_lists_are_patched_by_name() {
        let base = json!({"consumers": [
            {"name": "billing", "topics": ["orders"]},
            {"name": "email", "topics": ["orders"], "processing": "5ms"}
        ]});
        let result = patched(&base, json!({"consumers": {"email": {"processing": null, "idempotent": true}}}));
        assert_eq!(
            result.unwrap(),
            json!({"consumers": [
                {"name": "billing", "topics": ["orders"]},
                {"name": "email", "topics": ["orders"], "idempotent": true}
            ]})
        );
        // null removes the item; the others keep their order.
        let result = patched(&base, json!({"consumers": {"billing": null}}));
        assert_eq!(
            result.unwrap(),
            json!({"consumers": [{"name": "email", "topics": ["orders"], "processing": "5ms"}]})
        );
        // An array replaces the whole list.
        let result = patched(&base, json!({"consumers": [{"name": "audit", "topics": ["orders"]}]}));
        assert_eq!(result.unwrap(), json!({"consumers": [{"name": "audit", "topics": ["orders"]}]}));
    }

    #[test]
    fn other_arrays_are_replaced_whole_and_objects_merged() {
        let base = json!({"name": "x", "expect": [{"metric": "lost", "equals": 0}], "faults": [{"at": "1s", "pause": "a"}],
                          "topics": [{"name": "t", "kind": "queue", "fifo": true}]});
        let result = patched(
            &base,
            json!({"expect": [{"metric": "lost", "equals": 1}], "faults": null, "topics": {"t": {"fifo": null}}}),
        )
        .unwrap();
        assert_eq!(
            result,
            json!({"name": "x", "expect": [{"metric": "lost", "equals": 1}], "topics": [{"name": "t", "kind": "queue"}]})
        );
    }

    #[test]
    fn an_unknown_name_is_refused_with_a_suggestion() {
        let base = json!({"consumers": [{"name": "billing"}, {"name": "email"}]});
        let error = patched(&base, json!({"consumers": {"billng": {"idempotent": true}}})).unwrap_err();
        assert_eq!(error.path, "consumers.billng");
        assert!(
            error.message.starts_with("unknown consumer \"billng\" (did you mean \"billing\"?)"),
            "{}",
            error.message
        );
        let error = patched(&base, json!({"topics": {"orders": {"partitions": 2}}})).unwrap_err();
        assert_eq!(error.path, "topics.orders");
        assert!(error.message.contains("there are no topics"), "{}", error.message);
        let error = patched(&json!({}), json!({"variants": []})).unwrap_err();
        assert_eq!(error.path, "variants");
    }
}
