//! eventlab: a terminal laboratory for event-driven architecture.
pub mod rng;
pub mod scenario;
