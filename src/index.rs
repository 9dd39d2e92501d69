//! Types that say what an index is: a topic, a consumer group, an instance, a partition,
//! an aggregate or an event. Each is a `#[repr(transparent)]` wrapper of a non-zero integer
//! holding the index plus one, so `Option<TopicIdx>` takes the integer's two bytes and "no
//! topic" is `None`, not a sentinel compared by hand; the 32-byte step stays 32 bytes.
//!
//! An index is made from a `usize` with [`TopicIdx::new`] (which refuses one the type cannot
//! hold: the loader bounds every table well below) and read back with
//! [`TopicIdx::index`], to index the table it belongs to.

use std::fmt;
use std::num::{NonZeroU16, NonZeroU32};

/// The panic of an index made out of its type's range: out of line, so that the hot paths
/// that make indices stay small enough to inline.
#[cold]
#[inline(never)]
#[track_caller]
fn out_of_range(name: &str, index: usize) -> ! {
    panic!("{name} {index} is out of range")
}

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident, $nonzero:ty, $int:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name($nonzero);

        impl $name {
            /// The number of distinct indices the type holds (`0..LIMIT`).
            pub const LIMIT: usize = <$int>::MAX as usize;

            /// The index `index`. Panics if the type cannot hold it (the loader's limits
            /// keep every table far smaller).
            #[inline]
            #[must_use]
            #[track_caller]
            pub fn new(index: usize) -> Self {
                match Self::try_new(index) {
                    Some(index) => index,
                    None => out_of_range(stringify!($name), index),
                }
            }

            /// The index `index`, if the type can hold it.
            #[inline]
            #[must_use]
            pub fn try_new(index: usize) -> Option<Self> {
                if index < Self::LIMIT {
                    // `index + 1` is at most `<$int>::MAX`, never zero.
                    <$nonzero>::new(index as $int + 1).map(Self)
                } else {
                    None
                }
            }

            /// The position in the table it indexes.
            #[inline]
            #[must_use]
            pub fn index(self) -> usize {
                (self.0.get() - 1) as usize
            }

            /// The index as the integer type it fits in.
            #[inline]
            #[must_use]
            pub fn get(self) -> $int {
                self.0.get() - 1
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.index())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.get(), f)
            }
        }

        impl From<$name> for usize {
            #[inline]
            fn from(index: $name) -> usize {
                index.index()
            }
        }
    };
}

index_type!(
    /// A topic: an index into the model's topics (logs, queues and buses alike; a queue is a
    /// topic of kind queue).
    TopicIdx,
    NonZeroU16,
    u16
);
index_type!(
    /// A consumer group: an index into the model's groups (one per consumer of the scenario).
    GroupIdx,
    NonZeroU16,
    u16
);
index_type!(
    /// A consumer instance: an index into the trace's instance list (every instance that ever
    /// existed, `#1`…`#N` of each group first).
    InstanceIdx,
    NonZeroU16,
    u16
);
index_type!(
    /// A partition of a log topic, by its number.
    Partition,
    NonZeroU16,
    u16
);
index_type!(
    /// One of a consumer group's queues: an index into its model's `queues` (the queue
    /// topics it reads, in its order).
    QueueIdx,
    NonZeroU16,
    u16
);
index_type!(
    /// An aggregate (event-sourced stream): an index into the model's aggregates.
    AggregateIdx,
    NonZeroU16,
    u16
);
index_type!(
    /// An event: an index into the trace's events, in order of first publication.
    EventIdx,
    NonZeroU32,
    u32
);

index_type!(
    /// A step: an index into the trace's steps (0-based; the trace format numbers steps from
    /// 1). A trace holds at most [`StepIdx::LIMIT`] steps.
    StepIdx,
    NonZeroU32,
    u32
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_index_costs_nothing() {
        assert_eq!(std::mem::size_of::<Option<TopicIdx>>(), 2);
        assert_eq!(std::mem::size_of::<Option<EventIdx>>(), 4);
    }

    #[test]
    fn indices_round_trip_and_keep_their_order() {
        for i in [0, 1, 7, TopicIdx::LIMIT - 1] {
            assert_eq!(TopicIdx::new(i).index(), i);
        }
        assert!(TopicIdx::try_new(TopicIdx::LIMIT).is_none());
        assert!(TopicIdx::new(3) < TopicIdx::new(4));
        assert_eq!(EventIdx::new(41).get(), 41);
        assert_eq!(format!("{:?} {}", GroupIdx::new(2), GroupIdx::new(2)), "GroupIdx(2) 2");
    }
}
