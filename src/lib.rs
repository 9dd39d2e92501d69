//! eventlab: a terminal laboratory for event-driven architecture.
//!
//! The modules form layers, and each uses only its own and lower ones (a test,
//! `tests/it/architecture.rs`, reads the `use` paths and holds the code to it):
//!
//! 1. [`json`], [`rng`], [`intern`], [`index`], [`fsutil`]: values, the seeded random streams,
//!    interned strings and stored payloads, typed indices (what a number indexes), reading
//!    files safely;
//! 2. [`scenario`] (the format: parsing, validation, variants) and [`lessons`] (the
//!    built-in scenarios);
//! 3. [`bus`], [`fold`]: the compiled small languages (bus patterns, aggregate folds);
//! 4. [`model`]: a scenario compiled for a run;
//! 5. [`trace`]: the record of a run, as steps, and its JSON Lines form;
//! 6. [`sim`] (the simulator, which writes a trace) and [`analysis`] (metrics and findings,
//!    derived from a trace alone);
//! 7. [`timeline`]: a trace and its analysis at any step, for time travel;
//! 8. [`run`]: a headless run; [`tap`]: a real cluster's traffic written down as a trace;
//! 9. [`bridge`] (the `kafka` feature): the clients that meet a real Kafka-protocol cluster
//!    (`tap`'s reader, `run --broker`'s producers and consumers); [`diff`] and [`export`]: two runs compared, figure by figure, and a run as a diagram or a
//!    file for another tool (Mermaid, SVG, Perfetto, OTLP, CSV) (below `tui`, whose "what if"
//!    and export key use them);
//! 10. [`report`], [`tui`] and [`explore`] (many seeds run, the first failure shrunk to a
//!     file): what a user reads;
//! 11. [`cli`]: the command line.
pub mod analysis;
#[cfg(feature = "kafka")]
pub mod bridge;
pub mod bus;
pub mod cli;
pub mod diff;
pub mod explore;
pub mod export;
pub mod fold;
pub mod fsutil;
pub mod index;
pub mod intern;
pub mod json;
pub mod lessons;
pub mod model;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod tap;
pub mod timeline;
pub mod trace;
pub mod tui;
