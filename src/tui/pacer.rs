//! The pacer: the one place wall time enters eventlab. It measures how much wall time
//! passed between ticks; the app turns that into virtual time at the chosen speed.

use std::time::Instant;

pub struct Pacer {
    last: Instant,
}

impl Default for Pacer {
    fn default() -> Self {
        Self::new()
    }
}

impl Pacer {
    #[allow(clippy::disallowed_methods, reason = "the pacer maps wall time to virtual time: its whole job")]
    pub fn new() -> Self {
        Pacer { last: Instant::now() }
    }

    /// Wall µs since the last call.
    #[allow(clippy::disallowed_methods, reason = "the pacer maps wall time to virtual time: its whole job")]
    pub fn elapsed_us(&mut self) -> u64 {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last);
        self.last = now;
        u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX)
    }
}
