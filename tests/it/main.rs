//! eventlab's one integration-test binary; each module is one area.
mod architecture;
mod bad_input;
mod cli;
mod eda_properties;
mod fault_properties;
mod fuzz;
mod lessons;
mod no_future;
mod order;
mod properties;
mod replay;
mod scenarios;
mod schema;
mod signals;
mod snapshots;
mod time_travel;
mod tmux;
