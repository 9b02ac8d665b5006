//! The N greatest items of a stream, in bounded memory, the same whatever the order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Keeps the `n` greatest items fed to it (by `Ord`), plus how many were fed.
///
/// Items that compare equal are interchangeable, so give the item's `Ord` a final
/// tie-breaker (such as its URL) and the kept set no longer depends on the order the
/// items came in: two workers' files read in either order give the same table.
#[derive(Debug, Clone)]
pub struct TopN<T: Ord> {
    n: usize,
    seen: u64,
    heap: BinaryHeap<Reverse<T>>,
}

impl<T: Ord> TopN<T> {
    /// Keeps at most `n` items.
    pub fn new(n: usize) -> Self {
        TopN {
            n,
            seen: 0,
            heap: BinaryHeap::with_capacity(n.min(1024) + 1),
        }
    }

    /// Whether `item` would be kept: cheaper than building it when it would not.
    pub fn admits(&self, item: &T) -> bool {
        self.heap.len() < self.n || self.heap.peek().is_some_and(|Reverse(min)| item > min)
    }

    /// The least item kept, once `n` are kept (anything not above it is turned away).
    pub fn threshold(&self) -> Option<&T> {
        (self.heap.len() >= self.n)
            .then(|| self.heap.peek().map(|Reverse(t)| t))
            .flatten()
    }

    /// Offers one item.
    pub fn push(&mut self, item: T) {
        self.seen += 1;
        if self.n == 0 {
            return;
        }
        if self.heap.len() < self.n {
            self.heap.push(Reverse(item));
        } else if self.heap.peek().is_some_and(|Reverse(min)| item > *min) {
            self.heap.pop();
            self.heap.push(Reverse(item));
        }
    }

    /// Counts an item that [`admits`](Self::admits) turned away without building it.
    pub fn count_only(&mut self) {
        self.seen += 1;
    }

    /// Items offered, kept or not.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The kept items, greatest first.
    pub fn into_sorted(self) -> Vec<T> {
        let mut v: Vec<T> = self.heap.into_iter().map(|Reverse(t)| t).collect();
        v.sort_by(|a, b| b.cmp(a));
        v
    }
}

/// An item ordered by its key alone: `value` rides along.
#[derive(Debug, Clone)]
pub struct Ranked<K, V> {
    /// What orders it (end it with a tie-breaker).
    pub key: K,
    /// What it carries.
    pub value: V,
}

impl<K: Ord, V> PartialEq for Ranked<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<K: Ord, V> Eq for Ranked<K, V> {}

impl<K: Ord, V> PartialOrd for Ranked<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord, V> Ord for Ranked<K, V> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_greatest_sorted() {
        let mut t = TopN::new(3);
        for x in [5, 1, 9, 3, 7, 2] {
            t.push(x);
        }
        assert_eq!(t.seen(), 6);
        assert_eq!(t.into_sorted(), vec![9, 7, 5]);
    }

    #[test]
    fn ties_at_the_cut_are_broken_by_the_tiebreaker_in_any_order() {
        // Four items tie on the key 10 for two places: the tie-breaker (here the
        // reversed name, so "a" beats "b") decides, whatever the order of arrival.
        let items = [
            (10, Reverse("d")),
            (10, Reverse("b")),
            (3, Reverse("x")),
            (10, Reverse("a")),
            (10, Reverse("c")),
        ];
        let want = vec![(10, Reverse("a")), (10, Reverse("b"))];
        let mut orders = vec![items.to_vec()];
        let mut rev = items.to_vec();
        rev.reverse();
        orders.push(rev);
        let mut rotated = items.to_vec();
        rotated.rotate_left(2);
        orders.push(rotated);
        for order in orders {
            let mut t = TopN::new(2);
            for item in order {
                t.push(item);
            }
            assert_eq!(t.into_sorted(), want);
        }
    }

    #[test]
    fn zero_and_fewer_than_n() {
        let mut t = TopN::new(0);
        t.push(1);
        assert_eq!(t.seen(), 1);
        assert!(t.into_sorted().is_empty());
        let mut t = TopN::new(10);
        t.push(2);
        t.push(2);
        assert_eq!(t.into_sorted(), vec![2, 2]);
    }

    #[test]
    fn admits_matches_push() {
        let mut t = TopN::new(2);
        t.push(5);
        t.push(6);
        assert!(!t.admits(&5), "equal to the least kept: not admitted");
        assert!(!t.admits(&4));
        assert!(t.admits(&7));
        assert_eq!(t.threshold(), Some(&5));
        assert_eq!(TopN::<u8>::new(2).threshold(), None);
        t.count_only();
        assert_eq!(t.seen(), 3);
    }
}
