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

/// Every lesson, in teaching order.
pub const LESSONS: &[Lesson] = lessons![
    "fan-out",
    "keys-and-partitions",
    "competing-consumers",
    "late-joiner",
    "order-pipeline",
    "crash-duplicates",
    "poison-message",
    "event-sourcing",
    "order-saga",
];

/// The lesson `eventlab` opens with no arguments.
pub const DEFAULT: &str = "order-pipeline";

pub fn find(name: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.name == name)
}

impl Lesson {
    /// The path-like origin used in error messages.
    pub fn origin(&self) -> String {
        format!("lesson:{}", self.name)
    }
}
