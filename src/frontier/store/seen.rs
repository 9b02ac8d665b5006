//! The store frontier's seen-set in memory: 64-bit fingerprints in 4,096 sorted
//! buckets (by their top 12 bits), with new ones in a small hash set merged into the
//! buckets when it grows. Eight bytes a URL and no slack: 10 million URLs take 80 MB,
//! where a hash set of 128-bit fingerprints takes 270 MB.
//!
//! 64 bits are enough for the seen check of one crawl: among 10 million URLs the
//! chance that any two share a fingerprint is about 3 in a million.

use std::collections::HashSet;

use crate::frontier::queues::Hashed;

const BUCKET_BITS: u32 = 12;
/// New fingerprints held before a merge.
const MERGE_AT: usize = 1 << 18;

#[derive(Debug)]
pub(super) struct Seen {
    buckets: Vec<Vec<u64>>,
    recent: HashSet<u64, Hashed>,
    len: usize,
}

impl Default for Seen {
    fn default() -> Self {
        Seen {
            buckets: vec![Vec::new(); 1 << BUCKET_BITS],
            recent: HashSet::default(),
            len: 0,
        }
    }
}

fn bucket(fp: u64) -> usize {
    (fp >> (64 - BUCKET_BITS)) as usize
}

impl Seen {
    /// From fingerprints in any order, repeats allowed (the store's runs).
    pub fn from_unsorted(fps: impl IntoIterator<Item = u64>) -> Self {
        let mut seen = Seen::default();
        for fp in fps {
            seen.buckets[bucket(fp)].push(fp);
        }
        for b in &mut seen.buckets {
            b.sort_unstable();
            b.dedup();
            b.shrink_to_fit();
            seen.len += b.len();
        }
        seen
    }

    pub fn contains(&self, fp: u64) -> bool {
        self.recent.contains(&fp) || self.buckets[bucket(fp)].binary_search(&fp).is_ok()
    }

    /// Adds `fp`; `false` when it was there.
    pub fn insert(&mut self, fp: u64) -> bool {
        if self.contains(fp) {
            return false;
        }
        self.recent.insert(fp);
        self.len += 1;
        if self.recent.len() >= MERGE_AT {
            self.merge();
        }
        true
    }

    pub fn len(&self) -> usize {
        self.len
    }

    fn merge(&mut self) {
        let mut fresh: Vec<u64> = self.recent.drain().collect();
        fresh.sort_unstable();
        let mut rest = fresh.as_slice();
        while let Some(&first) = rest.first() {
            let b = bucket(first);
            let n = rest.partition_point(|&fp| bucket(fp) == b);
            let (these, more) = rest.split_at(n);
            let old = std::mem::take(&mut self.buckets[b]);
            let mut merged = Vec::with_capacity(old.len() + these.len());
            let (mut i, mut j) = (0, 0);
            while i < old.len() && j < these.len() {
                if old[i] < these[j] {
                    merged.push(old[i]);
                    i += 1;
                } else {
                    merged.push(these[j]);
                    j += 1;
                }
            }
            merged.extend_from_slice(&old[i..]);
            merged.extend_from_slice(&these[j..]);
            self.buckets[b] = merged;
            rest = more;
        }
        self.recent.shrink_to(MERGE_AT);
    }

    /// Bytes the set takes.
    pub fn bytes(&self) -> usize {
        let buckets: usize = self.buckets.iter().map(|b| b.capacity() * 8 + 24).sum();
        buckets + self.recent.capacity() * 9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_was_added_across_merges() {
        let mut seen = Seen::default();
        let fps: Vec<u64> = (0..(MERGE_AT as u64 * 2 + 77))
            .map(|i| xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes()))
            .collect();
        for &fp in &fps {
            assert!(seen.insert(fp));
        }
        for &fp in &fps {
            assert!(seen.contains(fp));
            assert!(!seen.insert(fp));
        }
        assert_eq!(seen.len(), fps.len());
        assert!(!seen.contains(12345));
        let twice = fps.iter().rev().chain(&fps).copied();
        let again = Seen::from_unsorted(twice);
        assert!(fps.iter().all(|&fp| again.contains(fp)));
        assert_eq!(again.len(), fps.len());
    }
}
