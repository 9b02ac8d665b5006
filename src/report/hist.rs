//! Bounded-memory distributions: a log-bucket histogram for response times and a
//! self-coarsening timeline for pages per second.
//!
//! [`LogHistogram`] puts a value `v` (milliseconds) in the bucket
//! `⌊log₁.₀₂(v · 1000)⌋ + 1` (bucket 0 holds everything under a microsecond), so a
//! bucket spans 2% and a percentile read back as the bucket's geometric middle is
//! within 1% of the exact value (clamped to the exact minimum and maximum). An hour
//! is bucket 1,107: the buckets are kept sparse, as sorted `(bucket, count)` pairs, so
//! a host with three pages costs three pairs and a million-page crawl at most about
//! 1,100.

/// Width of a bucket: each holds values within 2% of each other.
const BASE: f64 = 1.02;

/// A sparse log-bucket histogram of non-negative values in milliseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogHistogram {
    /// `(bucket, count)`, sorted by bucket, counts above zero.
    buckets: Vec<(u16, u64)>,
    count: u64,
    min: f64,
    max: f64,
}

/// The bucket of `ms`.
fn bucket_of(ms: f64) -> u16 {
    let us = ms * 1000.0;
    if us.is_nan() || us < 1.0 {
        return 0;
    }
    let b = us.ln() / BASE.ln();
    // Over u16::MAX buckets is 1.02^65534 µs: beyond any time a crawl measures.
    (b.floor() as u64 + 1).min(u64::from(u16::MAX)) as u16
}

/// The lower bound of bucket `b`, in milliseconds.
fn bucket_low(b: u16) -> f64 {
    if b == 0 {
        0.0
    } else {
        BASE.powi(i32::from(b) - 1) / 1000.0
    }
}

/// The value a bucket stands for: its geometric middle (0 for bucket 0).
fn bucket_mid(b: u16) -> f64 {
    if b == 0 {
        0.0
    } else {
        bucket_low(b) * BASE.sqrt()
    }
}

impl LogHistogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one value (negative and NaN values count as 0).
    pub fn record(&mut self, ms: f64) {
        let ms = if ms.is_finite() && ms > 0.0 { ms } else { 0.0 };
        let b = bucket_of(ms);
        match self.buckets.binary_search_by_key(&b, |&(k, _)| k) {
            Ok(i) => self.buckets[i].1 += 1,
            Err(i) => self.buckets.insert(i, (b, 1)),
        }
        if self.count == 0 || ms < self.min {
            self.min = ms;
        }
        if self.count == 0 || ms > self.max {
            self.max = ms;
        }
        self.count += 1;
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The smallest value counted (0 when empty).
    pub fn min(&self) -> f64 {
        self.min
    }

    /// The largest value counted (0 when empty).
    pub fn max(&self) -> f64 {
        self.max
    }

    /// The `p`-th percentile (0–100) by nearest rank, within 1% of the exact value;
    /// `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * self.count as f64).ceil() as u64;
        let rank = rank.max(1);
        // The extremes are known exactly.
        if rank >= self.count {
            return Some(self.max);
        }
        if rank == 1 {
            return Some(self.min);
        }
        let mut seen = 0;
        for &(b, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return Some(bucket_mid(b).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Counts per display bin: `edges` are ascending upper bounds in milliseconds; a
    /// bucket goes to the first bin whose bound is above its middle, the last bin
    /// takes the rest. Returns one count per edge.
    pub fn bin(&self, edges: &[f64]) -> Vec<u64> {
        let mut out = vec![0; edges.len()];
        if edges.is_empty() {
            return out;
        }
        for &(b, n) in &self.buckets {
            let v = bucket_mid(b);
            let i = edges.iter().position(|&e| v < e).unwrap_or(edges.len() - 1);
            out[i] += n;
        }
        out
    }
}

/// Upper bounds of the response-time chart's bins, in milliseconds, on a 1-2-5 scale:
/// from the first above `min` (its bin reads "under" it) to the first above `max`, at
/// most 25 (the lowest bins merged when the range is wider).
pub fn display_edges(min: f64, max: f64) -> Vec<f64> {
    let mut edges = Vec::new();
    for k in -3i32..12 {
        for step in [1.0, 2.0, 5.0] {
            // Exact decimal values: 0.002 as a division, not a drifting product.
            let edge = if k < 0 {
                step / 10f64.powi(-k)
            } else {
                step * 10f64.powi(k)
            };
            if edge > min {
                edges.push(edge);
            }
            if edge > max {
                let skip = edges.len().saturating_sub(25);
                return edges.split_off(skip);
            }
        }
    }
    let skip = edges.len().saturating_sub(25);
    edges.split_off(skip)
}

/// Completions over time, in bins that double in width whenever the crawl's span
/// would need more than [`Timeline::MAX_BINS`]: memory stays bounded for a crawl of
/// any length, and the final bin width depends only on the set of times counted, not
/// on their order.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    width_ms: u64,
    bins: std::collections::BTreeMap<u64, u64>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            width_ms: Self::FIRST_WIDTH_MS,
            bins: Default::default(),
        }
    }
}

impl Timeline {
    /// Most bins the span may cover before the width doubles.
    pub const MAX_BINS: u64 = 2048;
    /// The first bin width: 100 ms.
    pub const FIRST_WIDTH_MS: u64 = 100;

    /// Counts one event at `t_ms` (milliseconds since the epoch).
    pub fn record(&mut self, t_ms: u64) {
        *self.bins.entry(t_ms / self.width_ms).or_default() += 1;
        while self.span_bins() > Self::MAX_BINS {
            self.width_ms *= 2;
            let old = std::mem::take(&mut self.bins);
            for (k, n) in old {
                *self.bins.entry(k / 2).or_default() += n;
            }
        }
    }

    fn span_bins(&self) -> u64 {
        match (self.bins.first_key_value(), self.bins.last_key_value()) {
            (Some((a, _)), Some((b, _))) => b - a + 1,
            _ => 0,
        }
    }

    /// The bin width in milliseconds.
    pub fn width_ms(&self) -> u64 {
        self.width_ms
    }

    /// Events counted.
    pub fn total(&self) -> u64 {
        self.bins.values().sum()
    }

    /// At most `max_points` consecutive bins covering the whole span (empty bins
    /// included), as `(start_ms, width_ms, count)`.
    pub fn series(&self, max_points: usize) -> Vec<(u64, u64, u64)> {
        let (Some((&first, _)), Some((&last, _))) =
            (self.bins.first_key_value(), self.bins.last_key_value())
        else {
            return Vec::new();
        };
        let span = last - first + 1;
        let max_points = max_points.max(1) as u64;
        let group = span.div_ceil(max_points);
        let width = self.width_ms * group;
        let mut out: Vec<(u64, u64, u64)> = (0..span.div_ceil(group))
            .map(|i| ((first + i * group) * self.width_ms, width, 0))
            .collect();
        for (&k, &n) in &self.bins {
            let i = ((k - first) / group) as usize;
            out[i].2 += n;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence (xorshift), for spread-out values.
    fn values(n: usize) -> Vec<f64> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Log-uniform from 0.01 ms to 100 s.
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                10f64.powf(-2.0 + 7.0 * u)
            })
            .collect()
    }

    fn exact(sorted: &[f64], p: f64) -> f64 {
        let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
        sorted[rank - 1]
    }

    #[test]
    fn percentiles_are_within_one_percent_of_exact() {
        let mut v = values(50_000);
        let mut h = LogHistogram::new();
        for &x in &v {
            h.record(x);
        }
        v.sort_by(f64::total_cmp);
        for p in [0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
            let got = h.percentile(p).expect("not empty");
            let want = exact(&v, p);
            let err = (got - want).abs() / want;
            assert!(err <= 0.0101, "p{p}: got {got}, exact {want}, error {err}");
        }
        assert_eq!(h.count(), 50_000);
        assert_eq!(h.percentile(100.0), Some(h.max()));
        // Sparse: about 7 decades × 116 buckets a decade.
        assert!(h.buckets.len() < 900, "{} buckets", h.buckets.len());
    }

    #[test]
    fn small_and_odd_inputs() {
        let mut h = LogHistogram::new();
        assert_eq!(h.percentile(50.0), None);
        h.record(5.0);
        assert_eq!(h.percentile(0.0), Some(5.0));
        assert_eq!(h.percentile(50.0), Some(5.0));
        assert_eq!(h.percentile(99.0), Some(5.0));
        h.record(f64::NAN);
        h.record(-3.0);
        h.record(0.0);
        assert_eq!(h.count(), 4);
        assert_eq!(h.min(), 0.0);
        assert_eq!(h.percentile(50.0), Some(0.0));
        assert_eq!(h.percentile(100.0), Some(5.0));
        // An absurd value lands in the last bucket instead of overflowing.
        h.record(1e300);
        assert_eq!(h.percentile(100.0), Some(1e300));
    }

    #[test]
    fn nearest_rank_on_a_known_set() {
        let mut h = LogHistogram::new();
        for x in 1..=100 {
            h.record(f64::from(x));
        }
        for (p, want) in [(50.0, 50.0), (90.0, 90.0), (99.0, 99.0), (1.0, 1.0)] {
            let got = h.percentile(p).expect("not empty");
            assert!((got - want).abs() / want <= 0.0101, "p{p}: {got}");
        }
    }

    #[test]
    fn bins_split_counts_by_edges() {
        let mut h = LogHistogram::new();
        for x in [0.5, 0.7, 1.5, 3.0, 3.5, 40.0, 900.0] {
            h.record(x);
        }
        let edges = [1.0, 2.0, 5.0, 10.0];
        let bins = h.bin(&edges);
        // The last bin takes everything above its lower bound.
        assert_eq!(bins, vec![2, 1, 2, 2]);
        assert_eq!(bins.iter().sum::<u64>(), h.count());
    }

    #[test]
    fn display_edges_cover_the_range() {
        let e = display_edges(0.8, 420.0);
        assert_eq!(
            e,
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        assert_eq!(display_edges(3.0, 3.0), vec![5.0]);
        let wide = display_edges(0.0, 1e8);
        assert!(wide.len() <= 25, "{wide:?}");
        assert!(*wide.last().expect("edges") > 1e8);
        assert!(wide.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn timeline_coarsens_and_keeps_every_event() {
        let mut t = Timeline::default();
        let start = 1_700_000_000_000u64;
        for i in 0..10_000u64 {
            t.record(start + i * 37);
        }
        assert_eq!(t.total(), 10_000);
        // 370 s at 100 ms is 3,700 bins: one doubling.
        assert_eq!(t.width_ms(), 200);
        let s = t.series(100);
        assert!(s.len() <= 100, "{}", s.len());
        assert_eq!(s.iter().map(|p| p.2).sum::<u64>(), 10_000);
        assert!(
            s.windows(2).all(|w| w[0].0 + w[0].1 == w[1].0),
            "contiguous"
        );
    }

    #[test]
    fn timeline_width_does_not_depend_on_order() {
        let times: Vec<u64> = (0..5_000u64).map(|i| (i * 7919) % 900_000).collect();
        let mut a = Timeline::default();
        let mut b = Timeline::default();
        for &x in &times {
            a.record(x);
        }
        for &x in times.iter().rev() {
            b.record(x);
        }
        assert_eq!(a, b);
    }
}
