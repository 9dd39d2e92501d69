//! eventlab: a terminal laboratory for event-driven architecture.
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod trace;
pub mod analysis;
pub mod report;
pub mod run;
pub mod lessons;
pub mod cli;
