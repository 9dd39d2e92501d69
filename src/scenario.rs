//! Scenario files: the typed model, values, templates and validation.
pub mod model;
pub mod suggest;
pub mod template;
pub mod value;
