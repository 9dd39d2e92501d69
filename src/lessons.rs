//! The built-in lessons: the curated scenarios of `scenarios/`, embedded in the binary so
//! `eventlab` works from any folder.

/// A built-in lesson: its name (the file stem) and its scenario text.
#[derive(Clone, Copy, Debug)]
pub struct Lesson {
    pub name: &'static str,
    pub source: &'static str,
}

macro_rules! lessons {
    ($($name:literal),* $(,)?) => {
        &[$(Lesson { name: $name, source: include_str!(concat!("../scenarios/", $name, ".json")) }),*]
    };
}

/// Every lesson, in teaching order: the order of `eventlab lessons` and of the picker that
/// bare `eventlab` opens.
pub const LESSONS: &[Lesson] = lessons![
    "fan-out",
    "keys-and-partitions",
    "consumer-groups",
    "competing-consumers",
    "fifo-queue",
    "consumer-lag",
    "hot-key",
    "late-joiner",
    "order-pipeline",
    "delivery-guarantees",
    "crash-duplicates",
    "idempotent-consumer",
    "producer-retries",
    "visibility-timeout",
    "poison-message",
    "event-sourcing",
    "read-model-lag",
    "thin-notifications",
    "schema-evolution",
    "order-saga",
    "search-for-failures",
];

pub fn find(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}

impl Lesson {
    /// The path-like origin used in error messages.
    pub fn origin(&self) -> String {
        format!("lesson:{}", self.name)
    }
}
