//! One log partition as the trace tells it: the event at each offset.
//!
//! A simulated log starts at offset 0 and has no holes: every append goes to its end. A log
//! read off a real cluster (`eventlab tap`, `run --broker`) starts where the reading did
//! (the partition's first offset the tap saw) and may skip offsets (transaction markers,
//! compacted records), so a partition keeps its first offset (`base`) and holes where no
//! record was seen. The simulator's logs are the case `base == 0` with no holes.

use super::EventIdx;

/// The records of one log partition, by offset.
#[derive(Clone, Debug, Default)]
pub struct PartitionLog {
    /// The offset of the first record (0 until one is appended).
    base: u32,
    /// By offset − `base`: the record there, or a hole.
    records: Vec<Option<EventIdx>>,
}

impl PartitionLog {
    /// The offset the next append goes to at the least: one past the last record (0 when
    /// empty).
    pub fn end(&self) -> u32 {
        self.base + self.records.len() as u32
    }

    /// The offset of the first record (its `end` while empty).
    pub fn base(&self) -> u32 {
        self.base
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The event at `offset`, if a record was seen there.
    pub fn get(&self, offset: u32) -> Option<EventIdx> {
        let i = offset.checked_sub(self.base)?;
        self.records.get(i as usize).copied().flatten()
    }

    /// Appends `event` at `offset`, which must be at or past [`PartitionLog::end`] (the
    /// caller checks): the first append fixes the base; a later one past the end leaves
    /// holes.
    pub fn append(&mut self, offset: u32, event: EventIdx) {
        debug_assert!(offset >= self.end(), "an append before the log's end");
        if self.records.is_empty() {
            self.base = offset;
        }
        let at = (offset - self.base) as usize;
        self.records.resize(at, None);
        self.records.push(Some(event));
    }

    /// Appends `event` at the end (the simulator's append).
    pub fn push(&mut self, event: EventIdx) {
        self.records.push(Some(event));
    }

    /// The records from `from` on, with their offsets, in offset order (holes skipped).
    pub fn records_from(&self, from: u32) -> impl DoubleEndedIterator<Item = (u32, EventIdx)> + '_ {
        let skip = from.saturating_sub(self.base) as usize;
        let base = self.base;
        (self.records.iter().enumerate().skip(skip)).filter_map(move |(i, r)| r.map(|e| (base + i as u32, e)))
    }

    /// The records at offsets in `from..to`.
    pub fn range(&self, from: u32, to: u32) -> impl Iterator<Item = (u32, EventIdx)> + '_ {
        self.records_from(from).take_while(move |&(offset, _)| offset < to)
    }

    /// Heap bytes held, about.
    pub fn heap_bytes(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<Option<EventIdx>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(i: usize) -> EventIdx {
        EventIdx::new(i)
    }

    #[test]
    fn a_simulated_log_starts_at_zero_and_has_no_holes() {
        let mut log = PartitionLog::default();
        log.push(e(0));
        log.push(e(1));
        assert_eq!((log.base(), log.end()), (0, 2));
        assert_eq!(log.get(1), Some(e(1)));
        assert_eq!(log.range(0, 2).collect::<Vec<_>>(), [(0, e(0)), (1, e(1))]);
    }

    #[test]
    fn a_tapped_log_starts_where_it_was_read_and_keeps_holes() {
        let mut log = PartitionLog::default();
        log.append(40, e(0));
        log.append(41, e(1));
        log.append(44, e(2));
        assert_eq!((log.base(), log.end()), (40, 45));
        assert_eq!((log.get(39), log.get(42), log.get(44)), (None, None, Some(e(2))));
        assert_eq!(log.range(0, 44).collect::<Vec<_>>(), [(40, e(0)), (41, e(1))]);
        assert_eq!(log.records_from(42).collect::<Vec<_>>(), [(44, e(2))]);
    }
}
