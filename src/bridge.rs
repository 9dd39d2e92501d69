//! The bridge to real brokers (cargo feature `kafka`): [`play`] runs a scenario's producers
//! and consumers against a real Kafka-protocol cluster (`eventlab run --broker`) and records
//! what happened as a trace of the usual format. The simulator never depends on it.

pub mod play;
