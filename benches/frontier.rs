//! Pushes 1,000,000 synthetic URLs through the in-memory frontier, without a network,
//! and reports memory per URL: all queued (URLs waiting), then seen only (fingerprints).
//!
//! Run: `cargo bench --bench frontier` (add `-- 5000000` for another count).
//!
//! With the word `store`, the same URLs go through the on-disk frontier (`--state DIR`)
//! the way a crawl finds them: each page popped is completed with 20 new links and 2
//! seen ones, with a commit point every 20,000 pages; then what is queued is drained
//! (popped and completed) up to a cap. It reports speed, commit times, peak RSS and
//! the state's size on disk.
//!
//! Run: `cargo bench --bench frontier -- store 10000000` (a second count caps the
//! drain; all by default; add `trace` for a line of memory figures at every commit).
//!
//! With `redis URL`, the same URLs are pushed into a new crawl of the shared frontier
//! at `URL` (a redis-server of your own on loopback), then popped and completed one at
//! a time: it reports the rates and Redis's memory (`used_memory`) per URL queued and
//! per URL seen. Run: `cargo bench --bench frontier -- redis redis://127.0.0.1:PORT/0 200000`.

use std::path::Path;
use std::time::{Duration, Instant};

use crawl::MemoryFrontier;
use crawl::frontier::{
    Checkpoint, Done, Frontier, Policy, Pop, RedisFrontier, Request, StoreFrontier, Verdict,
};
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

/// Every host may go at once: the bench measures the frontier, not politeness.
fn policy() -> Policy {
    Policy {
        max_in_flight: usize::MAX,
        min_gap: Duration::ZERO,
        probe_first: false,
        ..Policy::default()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let counts: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if let Some(at) = args.iter().position(|a| a == "redis") {
        let url = args.get(at + 1).cloned().unwrap_or_default();
        let n = counts.first().copied().unwrap_or(200_000);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(shared(&url, n));
    } else if args.iter().any(|a| a == "store") {
        let n = counts.first().copied().unwrap_or(10_000_000);
        let drain = counts.get(1).copied().unwrap_or(u64::MAX);
        let trace = args.iter().any(|a| a == "trace");
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(store(n, drain, trace));
    } else {
        memory(counts.first().copied().unwrap_or(1_000_000));
    }
}

fn memory(n: u64) {
    let frontier = MemoryFrontier::new(policy());
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

/// New links on each page completed (a crawl's discovery).
const CHILDREN: u64 = 20;
/// Links on each page to URLs seen before.
const DUPLICATES: u64 = 2;
/// Pages completed between commit points: a 1-second commit interval at 20,000
/// pages a second.
const COMMIT_EVERY: u64 = 20_000;

/// What the commits of one phase took.
#[derive(Default)]
struct Commits {
    times: Vec<Duration>,
}

impl Commits {
    async fn commit(&mut self, frontier: &StoreFrontier, trace: bool, done: u64) {
        let rss_before = kib("VmRSS:");
        let start = Instant::now();
        frontier
            .commit(Checkpoint::default())
            .await
            .expect("the commit is written");
        let took = start.elapsed();
        self.times.push(took);
        if trace {
            eprintln!(
                "  commit {:>4} after {done:>9} pages: {:>7.3} s  RSS {:>6.1} -> {:>6.1} MB  \
                 peak {:>6.1} MB  seen {:>9} ({:>5.1} MB)  queued {:>9}",
                self.times.len(),
                took.as_secs_f64(),
                rss_before as f64 / 1024.0,
                kib("VmRSS:") as f64 / 1024.0,
                kib("VmHWM:") as f64 / 1024.0,
                frontier.seen_len(),
                frontier.seen_bytes() as f64 / (1 << 20) as f64,
                frontier.queued_now(),
            );
        }
    }

    fn summary(&self) -> String {
        let mut sorted = self.times.clone();
        sorted.sort();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        let worst = sorted.last().copied().unwrap_or_default();
        let total: Duration = sorted.iter().sum();
        format!(
            "{} commits, median {:.3} s, worst {:.3} s, {:.1} s in all",
            sorted.len(),
            median.as_secs_f64(),
            worst.as_secs_f64(),
            total.as_secs_f64()
        )
    }
}

/// Bytes of the files under `dir`: as their lengths say, and as allocated on disk.
fn dir_size(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let mut size = (0, 0);
    for entry in std::fs::read_dir(dir).expect("the state directory reads") {
        let entry = entry.expect("an entry reads");
        let meta = entry.metadata().expect("an entry has metadata");
        if meta.is_dir() {
            let (len, blocks) = dir_size(&entry.path());
            size.0 += len;
            size.1 += blocks;
        } else {
            size.0 += meta.len();
            size.1 += meta.blocks() * 512;
        }
    }
    size
}

/// The next page to complete, `None` when the frontier is drained (no host ever
/// waits under [`policy`]).
async fn pop(frontier: &StoreFrontier) -> Option<crawl::frontier::Lease> {
    match frontier.pop().await.expect("pop reads the queue") {
        Pop::Ready(lease) => Some(lease),
        Pop::Drained => None,
        Pop::Wait(d) => panic!("no host waits in this bench, but pop says wait {d:?}"),
    }
}

async fn store(n: u64, drain: u64, trace: bool) {
    let mb = |k: u64| k as f64 / 1024.0;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let before = kib("VmRSS:");
    let frontier = StoreFrontier::open(dir.path(), policy(), &[("--depth", "3".to_owned())])
        .expect("the store opens");
    println!(
        "store frontier: {n} URLs (~60 bytes each, 1,000 hosts), found {CHILDREN} new and \
         {DUPLICATES} seen a page, commit every {COMMIT_EVERY} pages"
    );

    // Discovery: every page popped is completed with its links until n URLs are pushed.
    let start = Instant::now();
    let mut commits = Commits::default();
    let seed = Request::seed(synthetic(0));
    let verdicts = frontier.push(vec![seed]).await.expect("the seed is pushed");
    assert_eq!(verdicts, [Verdict::Queued], "the seed is refused");
    let mut pushed = 1u64;
    let mut pages = 0u64;
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    while pushed < n {
        let lease = pop(&frontier)
            .await
            .expect("a page waits while URLs are found");
        let fresh = CHILDREN.min(n - pushed);
        let mut links: Vec<Request> = (pushed..pushed + fresh)
            .map(|i| lease.request.child(synthetic(i)))
            .collect();
        for _ in 0..DUPLICATES {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            links.push(lease.request.child(synthetic(rng % pushed)));
        }
        let verdicts = frontier
            .complete(lease, Done::with_links(Outcome::Fetched, links))
            .await
            .expect("the lease is held");
        let queued = verdicts.iter().filter(|v| **v == Verdict::Queued).count();
        assert_eq!(
            queued as u64, fresh,
            "a new URL is refused or a seen one queued"
        );
        pushed += fresh;
        pages += 1;
        // As the crawl's writer does: at the interval, or earlier when the
        // frontier's journal is full.
        if pages.is_multiple_of(COMMIT_EVERY) || frontier.wants_commit() {
            commits.commit(&frontier, trace, pages).await;
        }
    }
    commits.commit(&frontier, trace, pages).await;
    let found_secs = start.elapsed().as_secs_f64();
    let found_rss = kib("VmRSS:");
    let found_peak = kib("VmHWM:");
    let seen_len = frontier.seen_len();
    let seen_bytes = frontier.seen_bytes();
    let queued = frontier.queued_now();
    let (found_len, found_blocks) = dir_size(dir.path());
    println!("  discovery: {pages} pages completed, {pushed} URLs pushed");
    println!(
        "    {:>10.0} URLs pushed/s  {:>8.0} pages/s  ({found_secs:.1} s)",
        pushed as f64 / found_secs,
        pages as f64 / found_secs
    );
    println!("    {}", commits.summary());
    println!(
        "    seen-set        {seen_len} URLs, {:.1} MB in memory ({:.1} bytes/URL)",
        seen_bytes as f64 / (1 << 20) as f64,
        seen_bytes as f64 / seen_len as f64
    );
    println!("    queued          {queued} (at most 50,000 of them in memory, the rest on disk)");
    println!(
        "    RSS now         {:>8.1} MB  (at start {:.1} MB), peak {:.1} MB",
        mb(found_rss),
        mb(before),
        mb(found_peak)
    );
    println!(
        "    state on disk   {:>8.1} MB  ({:.1} MB allocated)",
        found_len as f64 / 1e6,
        found_blocks as f64 / 1e6
    );

    // Drain: pop and complete what is queued (read back from disk as the window empties).
    let start = Instant::now();
    let mut commits = Commits::default();
    let mut drained = 0u64;
    while drained < drain {
        let Some(lease) = pop(&frontier).await else {
            break;
        };
        frontier
            .complete(lease, Done::new(Outcome::Fetched))
            .await
            .expect("the lease is held");
        drained += 1;
        if drained.is_multiple_of(COMMIT_EVERY) || frontier.wants_commit() {
            commits.commit(&frontier, trace, pages + drained).await;
        }
    }
    commits.commit(&frontier, trace, pages + drained).await;
    let drain_secs = start.elapsed().as_secs_f64();
    let (len, blocks) = dir_size(dir.path());
    println!(
        "  drain: {drained} pages popped and completed, {} still queued",
        frontier.queued_now()
    );
    println!(
        "    {:>10.0} pages/s  ({drain_secs:.1} s)",
        drained as f64 / drain_secs
    );
    println!("    {}", commits.summary());
    println!(
        "    RSS now         {:>8.1} MB, peak {:.1} MB",
        mb(kib("VmRSS:")),
        mb(kib("VmHWM:"))
    );
    println!(
        "    state on disk   {:>8.1} MB  ({:.1} MB allocated)",
        len as f64 / 1e6,
        blocks as f64 / 1e6
    );
    println!(
        "  process peak    {:>8.1} MB RSS (VmHWM)",
        mb(kib("VmHWM:"))
    );
}

/// Redis's `used_memory`, in bytes.
async fn used_memory(conn: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(conn)
        .await
        .expect("INFO memory");
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

async fn shared(url: &str, n: u64) {
    let client = redis::Client::open(url).expect("a redis:// URL");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("the server answers");
    let id = format!("bench-{}", std::process::id());
    let frontier = RedisFrontier::connect(url, &id, policy(), &[], Duration::from_secs(600))
        .await
        .expect("connects");
    let before = used_memory(&mut conn).await;
    let root: std::sync::Arc<str> = "seed.example".into();
    let start = Instant::now();
    let mut i = 0;
    while i < n {
        let batch: Vec<Request> = (i..(i + 1000).min(n))
            .map(|i| Request {
                depth: 1,
                root: root.clone(),
                ..Request::seed(synthetic(i))
            })
            .collect();
        i += batch.len() as u64;
        let verdicts = frontier.push(batch).await.expect("push");
        assert!(verdicts.iter().all(|v| *v == Verdict::Queued), "new URLs");
    }
    let push_secs = start.elapsed().as_secs_f64();
    let queued = used_memory(&mut conn).await;
    let start = Instant::now();
    let mut popped = 0u64;
    while let Pop::Ready(lease) = frontier.pop().await.expect("pop") {
        popped += 1;
        frontier
            .complete(lease, Done::new(Outcome::Fetched))
            .await
            .expect("the lease is held");
    }
    let pop_secs = start.elapsed().as_secs_f64();
    assert_eq!(popped, n, "every URL comes out once");
    let seen = used_memory(&mut conn).await;
    let per = |b: u64| b.saturating_sub(before) as f64 / n as f64;
    println!("shared frontier at {url}: {n} URLs (~60 bytes each, 1,000 hosts), one client");
    println!(
        "  push (1,000 a batch)  {:>8.0} URLs/s",
        n as f64 / push_secs
    );
    println!(
        "  pop + complete        {:>8.0} URLs/s",
        n as f64 / pop_secs
    );
    println!("  Redis memory, all queued  {:>5.0} bytes/URL", per(queued));
    println!("  Redis memory, seen only   {:>5.0} bytes/URL", per(seen));
    let _: () = redis::cmd("DEL")
        .arg(format!("crawl:{{{id}/0}}:seen"))
        .query_async(&mut conn)
        .await
        .expect("DEL");
}
