//! The clients that meet a real Kafka-protocol cluster (the `kafka` feature, on by
//! default): [`tap`] reads what a cluster's own clients do, for `eventlab tap`; [`play`]
//! runs a scenario's producers and consumers against a cluster, for `eventlab run --broker`.
//! The simulator never depends on this module: what crosses into the rest of eventlab is a
//! trace, written by [`crate::tap`] and [`play`].

pub mod play;
pub mod tap;

use std::time::Duration;

/// How long a first answer from the cluster is waited for before giving up: an
/// unreachable broker is one clear line, not a hang.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);

/// The message for a cluster that did not answer.
pub fn unreachable(brokers: &str, error: &impl std::fmt::Display) -> String {
    format!(
        "cannot reach a Kafka broker at {brokers} within {} s ({error}); is it running, and is the address HOST:PORT?",
        CONNECT_TIMEOUT.as_secs()
    )
}

/// Checks a `--brokers`/`--broker` address list: `HOST:PORT[,HOST:PORT...]`.
pub fn check_brokers(brokers: &str) -> Result<(), String> {
    if brokers.trim().is_empty() {
        return Err("--brokers needs an address, HOST:PORT".to_owned());
    }
    for address in brokers.split(',') {
        let address = address.trim();
        let port = address.rsplit_once(':').map(|(host, port)| (host, port.parse::<u16>()));
        match port {
            Some((host, Ok(port))) if !host.is_empty() && port > 0 => {}
            _ => return Err(format!("broker address \"{address}\" is not HOST:PORT (e.g. 127.0.0.1:9092)")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses_are_host_and_port() {
        assert!(check_brokers("127.0.0.1:9092").is_ok());
        assert!(check_brokers("a:1,b:2").is_ok());
        for bad in ["", "localhost", ":9092", "host:0", "host:99999", "host:port"] {
            assert!(check_brokers(bad).is_err(), "{bad}");
        }
    }
}
