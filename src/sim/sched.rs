//! The agenda: what happens next, in virtual time, with the format's order within one
//! microsecond.
//!
//! Items at future times wait in a binary heap keyed by (time, class, insertion number);
//! items due at the current time sit in one FIFO per class, so the common case (a commit
//! right after a completion, a delivery right after a publish) costs a queue push, not a
//! heap operation. The next item is always from the lowest non-empty class at `now`; when
//! every class is empty the heap's earliest time becomes `now` and all its items move to
//! their class queues in (class, insertion) order. Ties are thus broken by class, then by
//! the order items were scheduled in.

use std::collections::VecDeque;

/// The order of things within one microsecond (the format's Determinism section).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Class {
    /// Faults and notes.
    Fault = 0,
    /// Processing completions: effects, emits, failures.
    Completion = 1,
    /// Commits and acks.
    Commit = 2,
    /// Timer expiries: visibility timeouts, interval commits, retry delays, ends of
    /// windows and rebalances, restarts, a consumer's start.
    Timer = 3,
    /// Publishes from producers, scripted events and delayed emits.
    Publish = 4,
    /// Deliveries to free instances.
    Delivery = 5,
}

const CLASSES: usize = 6;

/// A future item's place in the heap: its order and where the item waits. `order` packs
/// the class in its top byte and the insertion number below it, so comparing (time, order)
/// orders by (time, class, insertion). The items wait apart (in [`Agenda::items`]): a
/// sift moves these 24 bytes, not the item too.
#[derive(Clone, Copy, Debug)]
struct Key {
    time: u64,
    order: u64,
    slot: u32,
}

impl Key {
    const SEQ_BITS: u32 = 56;

    #[inline]
    fn new(time: u64, class: Class, seq: u64, slot: u32) -> Self {
        debug_assert!(seq < 1 << Self::SEQ_BITS, "insertion numbers fit below the class");
        Key { time, order: (u64::from(class as u8) << Self::SEQ_BITS) | seq, slot }
    }

    #[inline]
    fn class(self) -> usize {
        (self.order >> Self::SEQ_BITS) as usize
    }

    /// Whether `self` goes before `other` (keys are never equal: insertion numbers differ).
    #[inline]
    fn before(self, other: Key) -> bool {
        (u128::from(self.time) << 64 | u128::from(self.order))
            < (u128::from(other.time) << 64 | u128::from(other.order))
    }
}

/// The agenda of items of type `T`.
#[derive(Clone, Debug)]
pub struct Agenda<T> {
    now: u64,
    seq: u64,
    /// The future items' keys: a binary min-heap.
    heap: Vec<Key>,
    /// The future items, by slot (`None`: a free slot, listed in `free`).
    items: Vec<Option<T>>,
    free: Vec<u32>,
    due: [VecDeque<T>; CLASSES],
    /// Bit `c` set when `due[c]` is not empty: the next due item is found without looking
    /// at every queue.
    nonempty: u8,
}

impl<T> Default for Agenda<T> {
    fn default() -> Self {
        Agenda {
            now: 0,
            seq: 0,
            heap: Vec::new(),
            items: Vec::new(),
            free: Vec::new(),
            due: std::array::from_fn(|_| VecDeque::new()),
            nonempty: 0,
        }
    }
}

impl<T> Agenda<T> {
    #[inline]
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Schedules `item` at `time` (never before now).
    #[expect(clippy::inline_always, reason = "a call per agenda item otherwise (measured: #[inline] is not taken)")]
    #[inline(always)]
    pub fn schedule(&mut self, time: u64, class: Class, item: T) {
        debug_assert!(time >= self.now, "scheduled in the past");
        if time <= self.now {
            self.due[class as usize].push_back(item);
            self.nonempty |= 1 << class as u8;
        } else {
            self.schedule_later(time, class, item);
        }
    }

    /// Schedules `item` at a future `time`: its key on the heap, the item in a free slot.
    fn schedule_later(&mut self, time: u64, class: Class, item: T) {
        self.seq += 1;
        let slot = if let Some(slot) = self.free.pop() {
            let was = self.items[slot as usize].replace(item);
            debug_assert!(was.is_none(), "a free slot");
            // Nothing to drop: the slot was free.
            std::mem::forget(was);
            slot
        } else {
            self.items.push(Some(item));
            u32::try_from(self.items.len() - 1).expect("fewer than 4 billion future items")
        };
        self.push_key(Key::new(time, class, self.seq, slot));
    }

    /// Adds a key to the heap (sifted up from the end).
    #[inline]
    fn push_key(&mut self, key: Key) {
        let mut hole = self.heap.len();
        self.heap.push(key);
        while hole > 0 {
            let parent = (hole - 1) / 2;
            let above = self.heap[parent];
            if !key.before(above) {
                break;
            }
            self.heap[hole] = above;
            hole = parent;
        }
        self.heap[hole] = key;
    }

    /// Removes the earliest key. The hole at the top goes down to a leaf along the earlier
    /// child, then the last key fills it and rises: one comparison a level on the way down
    /// instead of two, since the last key, taken from the bottom, mostly stays near it.
    #[expect(clippy::inline_always, reason = "a call per future item otherwise (measured: #[inline] is not taken)")]
    #[inline(always)]
    fn pop_key(&mut self) -> Option<Key> {
        let last = self.heap.pop()?;
        let heap = self.heap.as_mut_slice();
        let Some(&top) = heap.first() else { return Some(last) };
        let len = heap.len();
        let mut hole = 0;
        loop {
            let left = 2 * hole + 1;
            let (Some(&l), Some(&r)) = (heap.get(left), heap.get(left + 1)) else {
                if let Some(&l) = heap.get(left) {
                    heap[hole] = l;
                    hole = left;
                }
                break;
            };
            let (child, key) = if r.before(l) { (left + 1, r) } else { (left, l) };
            heap[hole] = key;
            hole = child;
        }
        while hole > 0 {
            let parent = (hole - 1) / 2;
            let above = heap[parent];
            if !last.before(above) {
                break;
            }
            heap[hole] = above;
            hole = parent;
        }
        debug_assert!(hole < len);
        heap[hole] = last;
        Some(top)
    }

    /// Whether an item of `class` scheduled now would be the next one taken: nothing of its
    /// class or an earlier one is due (items on the heap are all later than now).
    #[inline]
    pub fn next_now(&self, class: Class) -> bool {
        self.nonempty & ((2u8 << class as u8) - 1) == 0
    }

    /// The next item, if it is due now and of `class`.
    #[inline]
    pub fn peek_now(&self, class: Class) -> Option<&T> {
        if self.nonempty.trailing_zeros() != u32::from(class as u8) {
            return None;
        }
        self.due[class as usize].front()
    }

    /// Takes the next item, due now and of `class` (seen with [`Agenda::peek_now`]): what
    /// [`Agenda::pop_until`] would return, without its look at the heap.
    #[inline]
    pub fn pop_now(&mut self, class: Class) -> Option<T> {
        debug_assert!(self.nonempty.trailing_zeros() == u32::from(class as u8), "the next item's class");
        let queue = &mut self.due[class as usize];
        let item = queue.pop_front();
        if queue.is_empty() {
            self.nonempty &= !(1 << class as u8);
        }
        item
    }

    /// The time of the next item, if any.
    pub fn peek_time(&self) -> Option<u64> {
        if self.nonempty != 0 {
            return Some(self.now);
        }
        self.heap.first().map(|k| k.time)
    }

    /// Takes the next item if it is due at or before `limit`, advancing the clock to it.
    #[inline]
    pub fn pop_until(&mut self, limit: u64) -> Option<(Class, T)> {
        if self.nonempty != 0 {
            let class = self.nonempty.trailing_zeros() as usize;
            let queue = &mut self.due[class];
            let item = queue.pop_front().expect("a non-empty class");
            if queue.is_empty() {
                self.nonempty &= !(1 << class);
            }
            return Some((CLASS_OF[class], item));
        }
        let next = self.heap.first()?.time;
        if next > limit {
            return None;
        }
        self.now = next;
        // Nothing else is due, so the earliest key at `next` goes first: its item is returned
        // without a detour through its class queue. The others at `next`, if any, wait in
        // theirs behind it.
        let first = self.pop_key().expect("peeked");
        let item = self.take(first.slot);
        while self.heap.first().is_some_and(|k| k.time == next) {
            let key = self.pop_key().expect("peeked");
            let class = key.class();
            let later = self.take(key.slot);
            self.due[class].push_back(later);
            self.nonempty |= 1 << class;
        }
        Some((CLASS_OF[first.class()], item))
    }

    /// Takes a future item out of its slot, which becomes free.
    #[inline]
    fn take(&mut self, slot: u32) -> T {
        let item = self.items[slot as usize].take().expect("a waiting item");
        self.free.push(slot);
        item
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.due.iter().map(VecDeque::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const CLASS_OF: [Class; CLASSES] =
    [Class::Fault, Class::Completion, Class::Commit, Class::Timer, Class::Publish, Class::Delivery];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_class_then_insertion() {
        let mut a = Agenda::default();
        a.schedule(10, Class::Delivery, "d10");
        a.schedule(10, Class::Fault, "f10");
        a.schedule(5, Class::Publish, "p5a");
        a.schedule(5, Class::Publish, "p5b");
        a.schedule(5, Class::Completion, "c5");
        let mut out = Vec::new();
        while let Some((_, item)) = a.pop_until(u64::MAX) {
            out.push(item);
            if item == "c5" {
                // Scheduled now, at a higher priority than what is still due: it goes next.
                a.schedule(5, Class::Commit, "k5");
            }
        }
        assert_eq!(out, ["c5", "k5", "p5a", "p5b", "f10", "d10"]);
    }

    proptest::proptest! {
        /// Against the plainest model of the order: every item ever scheduled, taken by
        /// (time, class, order of scheduling), whatever mix of now and future items, pops
        /// and limits.
        #[test]
        fn pops_in_time_class_insertion_order(
            ops in proptest::collection::vec((0u8..4, 0u64..3, 0u64..40, 0usize..CLASSES, 0u64..60), 1..200)
        ) {
            let mut agenda = Agenda::default();
            let mut model: std::collections::BTreeSet<(u64, usize, u64)> = std::collections::BTreeSet::new();
            let mut next = 0u64;
            for (op, now_or_later, delta, class, limit) in ops {
                if op == 0 {
                    let limit = agenda.now() + limit;
                    let expected = model.first().copied().filter(|&(t, ..)| t <= limit);
                    let got = agenda.pop_until(limit);
                    proptest::prop_assert_eq!(got.map(|(c, n)| (c as usize, n)), expected.map(|(_, c, n)| (c, n)));
                    if let Some(e) = expected {
                        model.remove(&e);
                        proptest::prop_assert_eq!(agenda.now(), e.0);
                    }
                } else {
                    let time = agenda.now() + if now_or_later == 0 { 0 } else { delta };
                    next += 1;
                    agenda.schedule(time, CLASS_OF[class], next);
                    model.insert((time, class, next));
                }
                proptest::prop_assert_eq!(agenda.len(), model.len());
                proptest::prop_assert_eq!(agenda.peek_time(), model.first().map(|&(t, ..)| t));
            }
        }
    }

    #[test]
    fn stops_at_the_limit() {
        let mut a = Agenda::default();
        a.schedule(10, Class::Timer, 1);
        a.schedule(20, Class::Timer, 2);
        assert_eq!(a.pop_until(15).map(|x| x.1), Some(1));
        assert_eq!(a.pop_until(15), None);
        assert_eq!(a.now(), 10);
        assert_eq!(a.pop_until(20).map(|x| x.1), Some(2));
    }
}
