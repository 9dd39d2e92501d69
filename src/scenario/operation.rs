//! The language of an aggregate's `apply` rules, parsed once: validation reports what
//! [`Operation::parse`] refuses, and the fold ([`crate::fold`]) is compiled from what it
//! returns, so the two cannot disagree.

use serde_json::Value;

use super::suggest::did_you_mean;

/// One field operation: `{"add": "data.PATH"}`, `{"sub": "data.PATH"}`, `{"set": VALUE}`
/// (a string starting `data.` is a path) or `{"inc": NUMBER}`.
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    Add(Vec<String>),
    Sub(Vec<String>),
    SetPath(Vec<String>),
    SetLiteral(Value),
    Inc(serde_json::Number),
}

const USAGE: &str =
    "an operation is {\"add\": \"data.PATH\"}, {\"sub\": \"data.PATH\"}, {\"set\": VALUE} or {\"inc\": NUMBER}";

impl Operation {
    /// An operation, or why it is not one.
    pub fn parse(op: &Value) -> Result<Operation, String> {
        let Some((name, arg)) = op.as_object().filter(|m| m.len() == 1).and_then(|m| m.iter().next()) else {
            return Err(USAGE.into());
        };
        let path = |arg: &Value| -> Option<Vec<String>> {
            let rest = arg.as_str()?.strip_prefix("data.")?;
            (!rest.is_empty()).then(|| rest.split('.').map(str::to_owned).collect())
        };
        let op = match name.as_str() {
            "add" => path(arg).map(Operation::Add),
            "sub" => path(arg).map(Operation::Sub),
            "inc" => arg.as_number().cloned().map(Operation::Inc),
            "set" => Some(path(arg).map_or_else(|| Operation::SetLiteral(arg.clone()), Operation::SetPath)),
            other => {
                let hint = did_you_mean(other, ["add", "sub", "set", "inc"]);
                return Err(format!("unknown operation \"{other}\"{hint}; {USAGE}"));
            }
        };
        op.ok_or_else(|| USAGE.into())
    }
}
