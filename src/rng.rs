//! The simulator's randomness: one pinned, seeded stream per component.
//!
//! Every producer, consumer group and fault draws from its own `ChaCha8` stream, seeded from
//! the scenario seed and the component's kind and name through a fixed hash (FNV-1a, then
//! `SplitMix64` to fill the 256-bit key). `ChaCha8` is a named algorithm with a fixed output
//! for a fixed key (unlike `StdRng`), and the samplers below are written out here rather
//! than borrowed from a crate whose algorithms may change between versions, so a seed
//! means the same traffic on every platform and every build. Floating point goes through
//! `libm`, which computes the same bits everywhere.

use rand::rngs::ChaCha8Rng;
use rand::{Rng as _, SeedableRng};

/// One component's random stream.
#[derive(Debug, PartialEq, Eq)]
pub struct Stream(ChaCha8Rng);

impl Clone for Stream {
    /// `ChaCha8Rng` is not `Clone` (a safeguard for cryptographic use); its key and position
    /// are all the state there is, so a clone rebuilds it from them. Snapshots need this.
    fn clone(&self) -> Self {
        let mut rng = ChaCha8Rng::from_seed(self.0.get_seed());
        rng.set_stream(self.0.get_stream());
        rng.set_word_pos(self.0.get_word_pos());
        Stream(rng)
    }
}

fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes
        .into_iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Stream {
    /// The stream of one component, e.g. `("producer", "web")` or `("group", "billing")`.
    pub fn for_component(seed: u64, kind: &str, name: &str) -> Self {
        let name_hash = fnv1a(kind.bytes().chain([0]).chain(name.bytes()));
        let mut state = seed ^ name_hash.rotate_left(17);
        let mut key = [0u8; 32];
        for chunk in key.chunks_exact_mut(8) {
            chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
        }
        Stream(ChaCha8Rng::from_seed(key))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A float in [0, 1) with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (p >= 1.0 || self.unit() < p)
    }

    /// An integer in [0, n), unbiased (Lemire's multiply-and-reject). `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let threshold = n.wrapping_neg() % n;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// An integer in [lo, hi].
    pub fn int_in(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.wrapping_sub(lo) as u64;
        if span == u64::MAX {
            return self.next_u64() as i64;
        }
        lo.wrapping_add(self.below(span + 1) as i64)
    }

    /// A float in [lo, hi).
    pub fn float_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// An exponential draw with the given mean, truncated to whole units.
    pub fn exponential(&mut self, mean: f64) -> u64 {
        let draw = -libm::log(1.0 - self.unit()) * mean;
        if draw >= u64::MAX as f64 { u64::MAX } else { draw as u64 }
    }

    /// An index chosen by the cumulative weights `cumulative` (last entry = total > 0).
    pub fn weighted(&mut self, cumulative: &[f64]) -> usize {
        match cumulative {
            [] | [_] => 0,
            _ => {
                let total = cumulative[cumulative.len() - 1];
                let target = self.unit() * total;
                let index = cumulative.partition_point(|&c| c <= target);
                // Never pick a zero-weight entry at the end through rounding.
                index.min(cumulative.len() - 1)
            }
        }
    }
}

/// Cumulative sums of weights, for [`Stream::weighted`].
pub fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    weights
        .into_iter()
        .scan(0.0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_pinned_and_independent() {
        let mut a = Stream::for_component(7, "producer", "web");
        let mut b = Stream::for_component(7, "producer", "web");
        let mut c = Stream::for_component(7, "producer", "mobile");
        let first: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        assert_eq!(first, (0..4).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(first, (0..4).map(|_| c.next_u64()).collect::<Vec<_>>());
    }

    #[test]
    fn clones_continue_the_same_stream() {
        let mut a = Stream::for_component(3, "group", "g");
        a.next_u64();
        let mut b = a.clone();
        assert_eq!(a.next_u64(), b.next_u64());
    }

    #[test]
    fn value_stable_across_builds() {
        // If this changes, every seeded scenario changes: that is a format break.
        let mut s = Stream::for_component(42, "group", "billing");
        assert_eq!(s.below(1000), PINNED_FIRST_DRAW);
    }
    const PINNED_FIRST_DRAW: u64 = 600;

    #[test]
    fn samplers_stay_in_range() {
        let mut s = Stream::for_component(1, "t", "t");
        for _ in 0..10_000 {
            assert!(s.below(7) < 7);
            let x = s.int_in(-3, 3);
            assert!((-3..=3).contains(&x));
            let f = s.float_in(1.0, 2.0);
            assert!((1.0..2.0).contains(&f));
        }
        let cum = cumulative([0.0, 1.0, 0.0]);
        for _ in 0..1000 {
            assert_eq!(s.weighted(&cum), 1);
        }
    }
}
