//! eventlab's one integration-test binary; each module is one area.
mod architecture;
mod bad_input;
mod broker;
#[cfg(feature = "kafka")]
mod broker_run;
mod cli;
mod diff;
mod eda_properties;
mod explore;
mod export;
mod fault_properties;
mod findings;
mod fuzz;
mod lessons;
mod marks;
mod no_future;
mod order;
mod properties;
mod replay;
mod scenarios;
mod schema;
mod screen;
mod signals;
mod snapshots;
mod source;
mod time_travel;
mod tmux;
