//! Scenario files: the typed model, values, templates and validation.
pub mod explore;
pub mod fault;
pub mod limits;
pub mod load;
pub mod model;
pub mod operation;
pub mod pattern;
mod payload;
pub mod schema;
pub mod shape;
pub mod suggest;
pub mod template;
pub mod validate;
pub mod value;
pub mod variant;
