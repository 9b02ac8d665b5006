//! Pushes 1,000,000 synthetic URLs through the in-memory frontier, without a network,
//! and reports memory per URL: all queued (URLs waiting), then seen only (fingerprints).
//!
//! Run: `cargo bench --bench frontier` (add `-- 5000000` for another count).

use std::time::{Duration, Instant};

use crawl::MemoryFrontier;
use crawl::frontier::{Done, Policy, Pop, Request, Verdict};
use crawl::record::Outcome;
use url::Url;

fn kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// About 60 bytes, over 1,000 hosts, like links found on real sites.
fn synthetic(i: u64) -> Url {
    let s = format!(
        "http://host{}.example/articles/{}/page-{i}.html?ref={}",
        i % 1000,
        i / 1000,
        i % 7
    );
    Url::parse(&s).expect("synthetic URLs are valid")
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let frontier = MemoryFrontier::new(Policy {
        max_in_flight: usize::MAX,
        min_gap: Duration::ZERO,
        probe_first: false,
        ..Policy::default()
    });
    let root: std::sync::Arc<str> = "seed.example".into();
    let before = kib("VmRSS:");
    let start = Instant::now();
    for i in 0..n {
        let request = Request {
            depth: 1,
            root: root.clone(),
            ..Request::seed(synthetic(i))
        };
        assert_eq!(
            frontier.push_now(vec![request]),
            [Verdict::Queued],
            "a new URL is refused"
        );
        if i % 10 == 0 {
            assert_eq!(
                frontier.push_now(vec![Request::seed(synthetic(i))]),
                [Verdict::Seen],
                "a duplicate is accepted"
            );
        }
    }
    let push_secs = start.elapsed().as_secs_f64();
    let queued = kib("VmRSS:");
    let start = Instant::now();
    let mut popped = 0u64;
    while let Ok(Pop::Ready(lease)) = frontier.pop_now() {
        popped += 1;
        frontier
            .complete_now(lease, Done::new(Outcome::Fetched))
            .expect("the lease is held");
    }
    let pop_secs = start.elapsed().as_secs_f64();
    assert_eq!(popped, n, "every URL comes out once");
    let peak = kib("VmHWM:");
    let mb = |k: u64| k.saturating_sub(before) as f64 / 1024.0;
    let per = |k: u64| (k.saturating_sub(before) * 1024) as f64 / n as f64;
    println!("frontier: {n} URLs (~60 bytes each, 1,000 hosts), 10% pushed twice");
    println!("  push            {:>10.0} URLs/s", n as f64 / push_secs);
    println!("  pop + complete  {:>10.0} URLs/s", n as f64 / pop_secs);
    println!(
        "  all queued      {:>8.1} MB  {:>5.0} bytes/URL",
        mb(queued),
        per(queued)
    );
    let seen = frontier.seen_bytes();
    println!(
        "  seen-set alone  {:>8.1} MB  {:>5.0} bytes/URL ({} fingerprints of 16 bytes)",
        seen as f64 / (1 << 20) as f64,
        seen as f64 / n as f64,
        frontier.seen_len()
    );
    println!("  process peak    {:>8.1} MB RSS", peak as f64 / 1024.0);
}
