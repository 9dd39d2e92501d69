//! The limits a scenario and its run are held to before it starts: sizes of the file and of
//! what it builds, estimated steps and memory.

/// Files (and strings) larger than this are refused before they are read. A hand-written
/// scenario is a few kilobytes (the largest lesson is under 10 KiB); 4 MiB leaves room for
/// generated ones while bounding what parsing may hold (a JSON value costs up to about 80
/// bytes in memory for every 2 bytes of text, and a variant's text is parsed twice).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// Partitions of one log topic, at most.
pub const MAX_PARTITIONS: u32 = 10_000;
/// Instances of one consumer, at most.
pub const MAX_INSTANCES: u32 = 1_000;
/// Arrays and objects nested this deep are refused (`serde_json`'s own recursion limit is 128).
pub const MAX_NESTING: usize = 127;

/// Limits on the size of a run, checked before it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest estimated number of simulation steps a scenario may need
    /// (see [`crate::scenario::validate::estimate_steps`]); `--max-steps` sets it.
    /// `u64::MAX` says the steps are not this load's to bound (a recorded trace's header:
    /// its steps are in the file), and then only the run's structure counts against
    /// `max_memory`.
    pub max_steps: u64,
    /// The memory a run may take, in bytes, as estimated before it starts (see
    /// [`crate::scenario::validate::estimate_memory`]); `--max-memory` sets it. It also
    /// bounds the steps a run may take as it goes: see [`Limits::step_cap`].
    pub max_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_steps: 100_000_000, max_memory: DEFAULT_MAX_MEMORY }
    }
}

/// The default memory budget: 1 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 1 << 30;

impl Limits {
    /// The limits for reading back a recorded run: no limit on its steps (they are in the
    /// file), the default budget for the structure its scenario builds.
    pub fn recorded() -> Self {
        Limits { max_steps: u64::MAX, ..Limits::default() }
    }

    /// The number of steps a run may reach before it is stopped: `max_steps`, or fewer when
    /// the memory budget holds fewer steps at
    /// [`BYTES_PER_STEP`](BYTES_PER_STEP) each (at the default
    /// 1 GiB, about 22 million).
    pub fn step_cap(&self) -> u64 {
        self.max_steps.min(self.max_memory / BYTES_PER_STEP).max(1)
    }
}

/// Bytes a run takes per step, as measured with `/usr/bin/time -v` on release builds: the
/// compact step, its share of the events and payloads, the analysis and the checker. The
/// benchmark `busy-shop` for 10 minutes (27 million steps) peaks at 42 bytes a step, a
/// handler failing in zero time (steps without events) at 31; 48 leaves a margin. With the
/// default 1 GiB budget a run holds about 22 million steps.
pub const BYTES_PER_STEP: u64 = 48;
