//! A set of event ids, compact for the generated ids of a run.

use std::collections::{BTreeMap, BTreeSet};

use super::{EventId, IdKind};
use crate::intern::Sym;

/// A set of event ids: bitsets for generated ids (one per emitting consumer), a tree for
/// custom ones.
#[derive(Clone, Debug, Default)]
pub struct IdSet {
    roots: Bits,
    emitted: BTreeMap<Sym, Bits>,
    custom: BTreeSet<EventId>,
}

/// A growable bitset.
#[derive(Clone, Debug, Default)]
struct Bits(Vec<u64>);

impl Bits {
    #[inline]
    fn insert(&mut self, n: u32) -> bool {
        let (word, mask) = ((n / 64) as usize, 1u64 << (n % 64));
        match self.0.get_mut(word) {
            Some(w) => {
                let new = *w & mask == 0;
                *w |= mask;
                new
            }
            None => self.grow_insert(word, mask),
        }
    }

    /// An insert past the end: the set doubles (at least).
    #[cold]
    fn grow_insert(&mut self, word: usize, mask: u64) -> bool {
        self.0.resize((word + 1).max(self.0.len() * 2), 0);
        self.0[word] |= mask;
        true
    }

    #[inline]
    fn contains(&self, n: u32) -> bool {
        self.0.get((n / 64) as usize).is_some_and(|w| w & (1 << (n % 64)) != 0)
    }

    fn heap_bytes(&self) -> usize {
        self.0.capacity() * 8
    }
}

/// Bytes a vector holds on the heap.
pub(crate) fn vec_bytes<T>(v: &Vec<T>) -> usize {
    v.capacity() * std::mem::size_of::<T>()
}

/// Bytes a B-tree holds, about: its entries and a node's share of overhead each.
pub(crate) fn tree_bytes<K, V>(len: usize) -> usize {
    len * (std::mem::size_of::<K>() + std::mem::size_of::<V>() + 16)
}

impl IdSet {
    /// Inserts; returns whether the id was new.
    #[inline]
    pub fn insert(&mut self, id: EventId) -> bool {
        match id.kind() {
            IdKind::Root(n) => self.roots.insert(n),
            _ => self.insert_named(id),
        }
    }

    /// Inserts an emitted or custom id.
    fn insert_named(&mut self, id: EventId) -> bool {
        match id.kind() {
            IdKind::Root(n) => self.roots.insert(n),
            IdKind::Emitted(consumer, n) => self.emitted.entry(consumer).or_default().insert(n),
            IdKind::Custom(_) => self.custom.insert(id),
        }
    }

    /// Heap bytes held, about.
    pub fn heap_bytes(&self) -> usize {
        self.roots.heap_bytes()
            + self.emitted.values().map(Bits::heap_bytes).sum::<usize>()
            + tree_bytes::<Sym, Bits>(self.emitted.len())
            + tree_bytes::<EventId, ()>(self.custom.len())
    }

    #[inline]
    pub fn contains(&self, id: EventId) -> bool {
        match id.kind() {
            IdKind::Root(n) => self.roots.contains(n),
            IdKind::Emitted(consumer, n) => self.emitted.get(&consumer).is_some_and(|b| b.contains(n)),
            IdKind::Custom(_) => self.custom.contains(&id),
        }
    }
}
