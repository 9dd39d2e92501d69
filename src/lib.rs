//! eventlab: a terminal laboratory for event-driven architecture.
pub mod analysis;
pub mod bus;
pub mod cli;
pub mod fold;
pub mod fsutil;
pub mod lessons;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod timeline;
pub mod trace;
pub mod tui;
