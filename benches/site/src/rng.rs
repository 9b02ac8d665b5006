//! A tiny deterministic random number generator (xorshift64*), seeded per page
//! with splitmix64 so that each page's bytes depend only on the seed and the
//! page number, never on thread scheduling.

/// xorshift64* generator.
pub struct Rng(u64);

impl Rng {
    /// A generator for one independent stream (a page number) of a seed.
    pub fn new(seed: u64, stream: u64) -> Self {
        // splitmix64 of the combined value spreads nearby streams apart.
        let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // xorshift has a fixed point at zero.
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_stream_same_numbers() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(1, 7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = Rng::new(1, 7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(Rng::new(1, 7).next_u64(), Rng::new(1, 8).next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(3, 0);
        for _ in 0..10_000 {
            assert!(r.below(7) < 7);
            let x = r.range(16, 24);
            assert!((16..=24).contains(&x));
        }
    }
}
