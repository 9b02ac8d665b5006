//! The [`Frontier`] contract as tests that any backend runs: dedup, limits, order,
//! politeness, leases, claims, retries and termination.
//!
//! Each function takes a factory that builds an empty frontier for a [`Policy`] (a
//! fresh crawl each time) and panics with a message naming the broken rule. A backend's
//! tests call [`run_untimed`] and [`run_timed`]:
//!
//! ```
//! use std::time::Duration;
//!
//! use crawl::frontier::conformance::{self, Clock};
//! use crawl::frontier::MemoryFrontier;
//!
//! /// tokio's paused clock (tokio's `test-util` feature): time moves when told.
//! struct Paused;
//!
//! impl Clock for Paused {
//!     fn is_paused(&self) -> bool {
//!         true
//!     }
//!     async fn pass(&self, d: Duration) {
//!         tokio::time::advance(d).await
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! conformance::run_untimed(MemoryFrontier::new).await;
//! conformance::run_timed(MemoryFrontier::new, &Paused).await;
//! # }
//! ```
//!
//! With a paused clock the timed checks move time by hand; a backend with a clock of
//! its own (a server) uses [`RealClock`], where the checks that something is *not
//! yet* allowed use long gaps and the checks that it becomes allowed use short ones
//! and only wait.

use std::time::Duration;

use url::Url;

use super::{Done, Frontier, HostNews, Kind, Lease, Policy, Pop, Request, Verdict};
use crate::record::Outcome;

/// How the timed checks let time pass.
pub trait Clock: Sync {
    /// Whether time moves only when [`pass`](Clock::pass) moves it (tokio's paused
    /// clock, read by the frontier), so long waits cost nothing.
    fn is_paused(&self) -> bool;

    /// Lets `d` pass.
    fn pass(&self, d: Duration) -> impl std::future::Future<Output = ()> + Send;
}

/// Real time: the checks sleep, and skip the long waits.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealClock;

impl Clock for RealClock {
    fn is_paused(&self) -> bool {
        false
    }

    async fn pass(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// Tokio's paused clock (a test started with `start_paused = true`, for a frontier
/// that reads tokio's time): long waits cost nothing. For the crate's own tests
/// (tokio's `test-util`).
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PausedClock;

#[cfg(test)]
impl Clock for PausedClock {
    fn is_paused(&self) -> bool {
        true
    }

    async fn pass(&self, d: Duration) {
        tokio::time::advance(d).await;
    }
}

/// Runs every check that does not depend on time passing.
pub async fn run_untimed<F, M>(make: M)
where
    F: Frontier,
    M: Fn(Policy) -> F,
{
    dedups_by_fingerprint(&make).await;
    push_verdicts_keep_order(&make).await;
    requests_come_back_whole(&make).await;
    host_limit_holds_and_other_hosts_go_on(&make).await;
    new_host_gets_one_probe_first(&make).await;
    leases_end_once_and_release_requeues_first(&make).await;
    drained_only_when_nothing_is_leased(&make).await;
    claims_belong_to_the_request_that_made_them(&make).await;
    max_pages_counts_first_attempts_of_pages(&make).await;
    an_endless_site_queues_no_more_than_max_pages(&make).await;
    host_budget_is_decided_with_the_seen_check(&make).await;
    depth_is_left_out_without_being_seen(&make).await;
    links_of_a_completion_are_pushed_with_verdicts(&make).await;
    a_retry_comes_back_one_attempt_further(&make).await;
    first_is_true_once_per_key(&make).await;
    changed_fires_after_a_push(&make).await;
}

/// Runs the checks of gaps, holds and retry delays.
pub async fn run_timed<F, M, C>(make: M, clock: &C)
where
    F: Frontier,
    M: Fn(Policy) -> F,
    C: Clock,
{
    gap_spaces_the_starts_of_a_host(&make, clock).await;
    hold_backs_the_host_named(&make, clock).await;
    learned_gap_applies_to_later_requests_and_retries(&make, clock).await;
    a_due_retry_is_not_kept_behind_a_held_host(&make, clock).await;
}

fn u(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("conformance URL {s}: {e}"))
}

fn seed(s: &str) -> Request {
    Request::seed(u(s))
}

fn open(max_in_flight: usize) -> Policy {
    Policy {
        max_in_flight,
        min_gap: Duration::ZERO,
        probe_first: false,
        max_pages: None,
        max_pages_per_host: None,
        max_depth: None,
    }
}

async fn push<F: Frontier>(f: &F, urls: &[&str]) -> Vec<Verdict> {
    let requests = urls.iter().map(|s| seed(s)).collect();
    f.push(requests).await.expect("push")
}

async fn pop<F: Frontier>(f: &F) -> Pop {
    f.pop().await.expect("pop")
}

async fn ready<F: Frontier>(f: &F, why: &str) -> Lease {
    match pop(f).await {
        Pop::Ready(lease) => lease,
        other => panic!("{why}: expected a ready request, got {other:?}"),
    }
}

/// Pops every request that is ready now.
async fn drain_ready<F: Frontier>(f: &F) -> Vec<Lease> {
    let mut out = Vec::new();
    while let Pop::Ready(lease) = pop(f).await {
        out.push(lease);
    }
    out
}

async fn finish<F: Frontier>(f: &F, lease: Lease) {
    f.complete(lease, Done::new(Outcome::Fetched))
        .await
        .expect("complete");
}

fn expect_wait(p: Pop, why: &str) -> Option<Duration> {
    match p {
        Pop::Wait(d) => d,
        other => panic!("{why}: expected to wait, got {other:?}"),
    }
}

/// Pops, sleeping as told, until a request comes; fails after `limit` waits.
async fn ready_after_waiting<F: Frontier>(f: &F, clock: &impl Clock, why: &str) -> Lease {
    for _ in 0..1000 {
        match pop(f).await {
            Pop::Ready(lease) => return lease,
            Pop::Wait(Some(d)) => clock.pass(d.max(Duration::from_millis(1))).await,
            Pop::Wait(None) => clock.pass(Duration::from_millis(10)).await,
            Pop::Drained => panic!("{why}: drained while a request was expected"),
        }
    }
    panic!("{why}: no request came")
}

/// A URL is queued once: fragments do not make it new, a trailing slash does.
pub async fn dedups_by_fingerprint<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(open(8));
    let got = push(
        &f,
        &[
            "http://a.test/x",
            "http://a.test/x#frag",
            "http://a.test/x/",
        ],
    )
    .await;
    assert_eq!(got, [Verdict::Queued, Verdict::Seen, Verdict::Queued]);
    assert_eq!(push(&f, &["http://a.test/x"]).await, [Verdict::Seen]);
    assert_eq!(f.queued().await.expect("queued"), 2);
    let lease = ready(&f, "dedup").await;
    finish(&f, lease).await;
    assert_eq!(
        push(&f, &["http://a.test/x"]).await,
        [Verdict::Seen],
        "a fetched URL stays seen"
    );
}

/// Verdicts come back in the order of the batch, duplicates within it included.
pub async fn push_verdicts_keep_order<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(open(8));
    let got = push(
        &f,
        &[
            "http://a.test/1",
            "http://b.test/1",
            "http://a.test/1",
            "http://a.test/2",
        ],
    )
    .await;
    assert_eq!(
        got,
        [
            Verdict::Queued,
            Verdict::Queued,
            Verdict::Seen,
            Verdict::Queued
        ]
    );
}

/// Everything a request carries survives the queue.
pub async fn requests_come_back_whole<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(open(8));
    let mut request = seed("http://a.test/p?q=1").child(u("http://a.test/c?é=ü"));
    request.kind = Kind::Sitemap;
    request.depth = 3;
    request.root = "root.test".into();
    f.push(vec![request.clone()]).await.expect("push");
    let lease = ready(&f, "whole").await;
    assert_eq!(lease.request, request, "the request changed in the queue");
}

/// At most `max_in_flight` requests to a host; a busy host does not hold up others.
pub async fn host_limit_holds_and_other_hosts_go_on<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(open(2));
    let urls: Vec<String> = (0..5).map(|i| format!("http://a.test/{i}")).collect();
    let mut all: Vec<&str> = urls.iter().map(String::as_str).collect();
    all.push("http://b.test/0");
    push(&f, &all).await;
    let got = drain_ready(&f).await;
    let on_a = got.iter().filter(|l| l.request.host() == "a.test").count();
    assert_eq!(on_a, 2, "host limit of 2: {got:?}");
    assert!(
        got.iter().any(|l| l.request.host() == "b.test"),
        "b waits behind a busy a: {got:?}"
    );
    assert_eq!(
        expect_wait(pop(&f).await, "a is full"),
        None,
        "only a completion frees a"
    );
    let first_a = got
        .into_iter()
        .find(|l| l.request.host() == "a.test")
        .expect("a lease on a");
    finish(&f, first_a).await;
    let next = ready(&f, "a slot was freed").await;
    assert_eq!(
        next.request.url.as_str(),
        "http://a.test/2",
        "FIFO per host"
    );
}

/// A new host gets one request until the first completes (robots.txt is learned).
pub async fn new_host_gets_one_probe_first<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(Policy {
        probe_first: true,
        ..open(8)
    });
    push(
        &f,
        &["http://a.test/1", "http://a.test/2", "http://a.test/3"],
    )
    .await;
    let first = ready(&f, "probe").await;
    expect_wait(pop(&f).await, "one probe to a new host");
    finish(&f, first).await;
    let got = drain_ready(&f).await;
    assert_eq!(
        got.len(),
        2,
        "after the probe the host limit applies: {got:?}"
    );
}

/// `complete` and `release` end a lease once; a released request goes first again.
pub async fn leases_end_once_and_release_requeues_first<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(open(1));
    push(&f, &["http://a.test/1", "http://a.test/2"]).await;
    let first = ready(&f, "lease").await;
    let copy = first.clone();
    f.release(first).await.expect("release");
    assert!(
        f.complete(copy, Done::new(Outcome::Fetched)).await.is_err(),
        "a released lease cannot be completed"
    );
    let again = ready(&f, "released request").await;
    assert_eq!(
        again.request.url.as_str(),
        "http://a.test/1",
        "a released request goes back to the front"
    );
    let copy = again.clone();
    finish(&f, again).await;
    assert!(
        f.complete(copy, Done::new(Outcome::Fetched)).await.is_err(),
        "a lease is completed once"
    );
}

/// `Drained` only when nothing is queued or leased; a lease out means wait.
pub async fn drained_only_when_nothing_is_leased<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(open(8));
    assert!(matches!(pop(&f).await, Pop::Drained), "an empty frontier");
    push(&f, &["http://a.test/1"]).await;
    let lease = ready(&f, "one").await;
    expect_wait(pop(&f).await, "a lease is out");
    let child = lease.request.child(u("http://a.test/2"));
    let verdicts = f
        .complete(lease, Done::with_links(Outcome::Fetched, vec![child]))
        .await
        .expect("complete");
    assert_eq!(verdicts, [Verdict::Queued]);
    let lease = ready(&f, "the link").await;
    finish(&f, lease).await;
    assert!(matches!(pop(&f).await, Pop::Drained), "all done");
}

/// A redirect target is claimed by the request that reached it: another request is
/// refused, the same request (retried) is not.
pub async fn claims_belong_to_the_request_that_made_them<F: Frontier, M: Fn(Policy) -> F>(
    make: &M,
) {
    let f = make(open(8));
    push(&f, &["http://a.test/from", "http://a.test/other"]).await;
    let mut leases = drain_ready(&f).await;
    assert_eq!(leases.len(), 2);
    leases.sort_by(|x, y| x.request.url.cmp(&y.request.url));
    let other = leases.pop().expect("other");
    let from = leases.pop().expect("from");
    let target = u("http://a.test/to");
    assert!(f.claim(&from, &target).await.expect("claim"), "new target");
    assert!(
        f.claim(&from, &target).await.expect("claim"),
        "claimed again by its owner"
    );
    assert!(
        !f.claim(&other, &target).await.expect("claim"),
        "another request may not fetch a claimed target"
    );
    assert_eq!(
        push(&f, &["http://a.test/to"]).await,
        [Verdict::Seen],
        "a claimed target is seen"
    );
    finish(&f, other).await;
    let mut retry = Done::new(Outcome::Fetched);
    retry.retry_in = Some(Duration::ZERO);
    f.complete(from, retry).await.expect("complete");
    let again = ready(&f, "retry").await;
    assert_eq!(again.request.attempt, 1);
    assert!(
        f.claim(&again, &target).await.expect("claim"),
        "the retry of the claiming request may fetch its target"
    );
    finish(&f, again).await;
}

/// The queue follows `max_pages`, not the site: an endless site (75 new links a page)
/// never has more pages queued than the crawl may still fetch.
pub async fn an_endless_site_queues_no_more_than_max_pages<F: Frontier, M: Fn(Policy) -> F>(
    make: &M,
) {
    let max = 50;
    let f = make(Policy {
        max_pages: Some(max),
        ..open(8)
    });
    push(&f, &["http://a.test/0"]).await;
    let mut fetched = 0;
    let mut next = 1;
    loop {
        let lease = match pop(&f).await {
            Pop::Ready(lease) => lease,
            Pop::Drained => break,
            other => panic!("a ready lease or the end, not {other:?}"),
        };
        let links = (0..75)
            .map(|_| {
                next += 1;
                lease.request.child(u(&format!("http://a.test/{next}")))
            })
            .collect();
        f.complete(lease, Done::with_links(Outcome::Fetched, links))
            .await
            .expect("complete");
        fetched += 1;
        let queued = f.queued().await.expect("queued");
        assert!(
            fetched + queued <= max,
            "{queued} queued after {fetched} fetched, with max_pages {max}"
        );
    }
    assert_eq!(fetched, max);
}

/// `max_pages` counts pages accepted on their first attempt: not sitemaps, not retries.
pub async fn max_pages_counts_first_attempts_of_pages<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(Policy {
        max_pages: Some(2),
        ..open(8)
    });
    let mut sitemap = seed("http://a.test/sitemap.xml");
    sitemap.kind = Kind::Sitemap;
    assert_eq!(
        f.push(vec![sitemap]).await.expect("push"),
        [Verdict::Queued],
        "a sitemap is not a page"
    );
    let got = push(
        &f,
        &["http://a.test/1", "http://b.test/1", "http://a.test/2"],
    )
    .await;
    assert_eq!(got, [Verdict::Queued, Verdict::Queued, Verdict::MaxPages]);
    assert_eq!(
        push(&f, &["http://a.test/1"]).await,
        [Verdict::Seen],
        "seen before limited"
    );
    let leases = drain_ready(&f).await;
    assert_eq!(leases.len(), 3);
    for lease in leases {
        let mut done = Done::new(Outcome::Fetched);
        if lease.request.kind == Kind::Page {
            done.retry_in = Some(Duration::ZERO);
        }
        f.complete(lease, done).await.expect("complete");
    }
    let retried = drain_ready(&f).await;
    assert_eq!(retried.len(), 2, "retries are not limited by max_pages");
    for lease in retried {
        finish(&f, lease).await;
    }
    assert!(matches!(pop(&f).await, Pop::Drained));
}

/// The per-host budget is decided with the seen check: a duplicate does not use it.
pub async fn host_budget_is_decided_with_the_seen_check<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(Policy {
        max_pages_per_host: Some(2),
        ..open(8)
    });
    let got = push(
        &f,
        &[
            "http://a.test/1",
            "http://a.test/1",
            "http://a.test/2",
            "http://a.test/3",
            "http://b.test/1",
        ],
    )
    .await;
    assert_eq!(
        got,
        [
            Verdict::Queued,
            Verdict::Seen,
            Verdict::Queued,
            Verdict::HostBudget,
            Verdict::Queued
        ]
    );
    // The budget outlives the host's queue.
    for lease in drain_ready(&f).await {
        finish(&f, lease).await;
    }
    assert_eq!(push(&f, &["http://a.test/4"]).await, [Verdict::HostBudget]);
}

/// Pages deeper than `max_depth` are left out, and not marked seen: a shorter path to
/// the same URL found later still queues it.
pub async fn depth_is_left_out_without_being_seen<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(Policy {
        max_depth: Some(1),
        ..open(8)
    });
    push(&f, &["http://a.test/"]).await;
    let root = ready(&f, "root").await;
    let child = root.request.child(u("http://a.test/1"));
    let grandchild = child.child(u("http://a.test/2"));
    let verdicts = f
        .complete(root, Done::with_links(Outcome::Fetched, vec![child]))
        .await
        .expect("complete");
    assert_eq!(verdicts, [Verdict::Queued]);
    let child = ready(&f, "child").await;
    let verdicts = f
        .complete(
            child,
            Done::with_links(Outcome::Fetched, vec![grandchild.clone(), grandchild]),
        )
        .await
        .expect("complete");
    assert_eq!(
        verdicts,
        [Verdict::Depth, Verdict::Depth],
        "not seen, so twice"
    );
    assert_eq!(
        push(&f, &["http://a.test/2"]).await,
        [Verdict::Queued],
        "listed at depth 0 it is queued"
    );
}

/// A completion's links get the same verdicts as a push, in order.
pub async fn links_of_a_completion_are_pushed_with_verdicts<F: Frontier, M: Fn(Policy) -> F>(
    make: &M,
) {
    let f = make(Policy {
        max_pages: Some(3),
        ..open(8)
    });
    push(&f, &["http://a.test/"]).await;
    let lease = ready(&f, "page").await;
    let links = [
        "http://a.test/x",
        "http://a.test/",
        "http://a.test/y",
        "http://a.test/z",
    ]
    .iter()
    .map(|s| lease.request.child(u(s)))
    .collect();
    let verdicts = f
        .complete(lease, Done::with_links(Outcome::Fetched, links))
        .await
        .expect("complete");
    assert_eq!(
        verdicts,
        [
            Verdict::Queued,
            Verdict::Seen,
            Verdict::Queued,
            Verdict::MaxPages
        ]
    );
    let children = drain_ready(&f).await;
    assert_eq!(children.len(), 2);
    assert!(
        children
            .iter()
            .all(|l| l.request.depth == 1 && l.request.parent.as_deref() == Some("http://a.test/")),
        "{children:?}"
    );
}

/// A retry is queued again, one attempt further, and keeps the crawl from draining.
pub async fn a_retry_comes_back_one_attempt_further<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(open(8));
    push(&f, &["http://a.test/"]).await;
    let lease = ready(&f, "first attempt").await;
    let mut done = Done::new(Outcome::Fetched);
    done.retry_in = Some(Duration::ZERO);
    f.complete(lease, done).await.expect("complete");
    assert_eq!(f.queued().await.expect("queued"), 1, "the retry waits");
    let again = ready(&f, "the retry").await;
    assert_eq!(again.request.attempt, 1);
    finish(&f, again).await;
    assert!(matches!(pop(&f).await, Pop::Drained));
}

/// `first` answers true once per key, and again to the request that asked first.
pub async fn first_is_true_once_per_key<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = make(open(8));
    push(&f, &["http://a.test/1", "http://a.test/2"]).await;
    let one = ready(&f, "one").await;
    let two = ready(&f, "two").await;
    assert!(f.first(&one, "sitemap:http://a.test").await.expect("first"));
    assert!(!f.first(&two, "sitemap:http://a.test").await.expect("first"));
    assert!(f.first(&two, "sitemap:http://b.test").await.expect("first"));
    assert!(
        f.first(&one, "sitemap:http://a.test").await.expect("first"),
        "the same request asks again (a retry)"
    );
    finish(&f, one).await;
    finish(&f, two).await;
}

/// A push wakes a task waiting on `changed`.
pub async fn changed_fires_after_a_push<F: Frontier, M: Fn(Policy) -> F>(make: &M) {
    let f = std::sync::Arc::new(make(open(8)));
    let waiter = {
        let f = f.clone();
        tokio::spawn(async move { f.changed().await })
    };
    tokio::task::yield_now().await;
    push(&*f, &["http://a.test/"]).await;
    match tokio::time::timeout(Duration::from_secs(30), waiter).await {
        Ok(joined) => joined.expect("the waiter ends"),
        Err(_) => panic!("changed() did not fire after a push"),
    }
}

/// The gap spaces the starts of requests to one host, not to others.
pub async fn gap_spaces_the_starts_of_a_host<F: Frontier, M: Fn(Policy) -> F>(
    make: &M,
    clock: &impl Clock,
) {
    let long = Duration::from_secs(600);
    let f = make(Policy {
        min_gap: long,
        ..open(8)
    });
    push(
        &f,
        &["http://a.test/1", "http://a.test/2", "http://b.test/1"],
    )
    .await;
    let got = drain_ready(&f).await;
    assert_eq!(got.len(), 2, "one per host before the gap: {got:?}");
    let wait = expect_wait(pop(&f).await, "a's gap").expect("a known wait");
    assert!(
        wait > long / 2 && wait <= long,
        "a waits out its gap, got {wait:?}"
    );
    if clock.is_paused() {
        clock.pass(long).await;
        let next = ready(&f, "after the gap").await;
        assert_eq!(next.request.url.as_str(), "http://a.test/2");
    }
    let short = Duration::from_millis(50);
    let f = make(Policy {
        min_gap: short,
        ..open(8)
    });
    push(&f, &["http://a.test/1", "http://a.test/2"]).await;
    let start = tokio::time::Instant::now();
    let _first = ready(&f, "first").await;
    let _second = ready_after_waiting(&f, clock, "second after the gap").await;
    assert!(
        start.elapsed() >= short,
        "two starts closer than the gap: {:?}",
        start.elapsed()
    );
}

/// A hold (Retry-After) holds back the host it names, also when that is not the host
/// of the completed request (a redirect to another host answered 429).
pub async fn hold_backs_the_host_named<F: Frontier, M: Fn(Policy) -> F>(
    make: &M,
    clock: &impl Clock,
) {
    let hold = Duration::from_secs(600);
    let f = make(open(8));
    push(
        &f,
        &["http://a.test/1", "http://b.test/1", "http://b.test/2"],
    )
    .await;
    let mut leases = drain_ready(&f).await;
    leases.sort_by(|x, y| x.request.url.cmp(&y.request.url));
    assert_eq!(leases.len(), 3);
    let on_a = leases.remove(0);
    let mut done = Done::new(Outcome::Fetched);
    done.hosts.push(HostNews {
        host: "c.test".into(),
        gap: None,
        hold: Some(hold),
    });
    f.complete(on_a, done).await.expect("complete");
    for lease in leases {
        finish(&f, lease).await;
    }
    push(
        &f,
        &["http://a.test/2", "http://c.test/1", "http://b.test/3"],
    )
    .await;
    let got: Vec<String> = drain_ready(&f)
        .await
        .into_iter()
        .map(|l| l.request.url.to_string())
        .collect();
    assert!(
        !got.iter().any(|u| u.starts_with("http://c.test/")),
        "c is held: {got:?}"
    );
    assert_eq!(got.len(), 2, "a and b go on: {got:?}");
    let wait = expect_wait(pop(&f).await, "c is held").expect("a known wait");
    assert!(wait > hold / 2, "held for the hold, got {wait:?}");
    if clock.is_paused() {
        clock.pass(hold).await;
        assert_eq!(ready(&f, "hold over").await.request.host(), "c.test");
    }
}

/// A gap learned from a completion (robots.txt `Crawl-delay`) spaces later requests to
/// the host, retries included.
pub async fn learned_gap_applies_to_later_requests_and_retries<F: Frontier, M: Fn(Policy) -> F>(
    make: &M,
    clock: &impl Clock,
) {
    let gap = Duration::from_secs(600);
    let f = make(Policy {
        probe_first: true,
        ..open(8)
    });
    push(&f, &["http://a.test/1", "http://a.test/2"]).await;
    let first = ready(&f, "probe").await;
    let mut done = Done::new(Outcome::Fetched);
    done.hosts.push(HostNews {
        host: "a.test".into(),
        gap: Some(gap),
        hold: None,
    });
    done.retry_in = Some(Duration::from_secs(1));
    f.complete(first, done).await.expect("complete");
    let wait = expect_wait(pop(&f).await, "learned gap").expect("a known wait");
    assert!(
        wait <= Duration::from_secs(1),
        "the retry is due first: {wait:?}"
    );
    if clock.is_paused() {
        clock.pass(Duration::from_secs(1)).await;
        let wait = expect_wait(pop(&f).await, "the retry is due but the gap is not over")
            .expect("a known wait");
        assert!(
            wait > gap / 2,
            "a due retry still waits out the host's gap: {wait:?}"
        );
        clock.pass(wait).await;
        let retried = ready(&f, "after the gap").await;
        assert_eq!(retried.request.url.as_str(), "http://a.test/1");
        assert_eq!(retried.request.attempt, 1);
        let wait =
            expect_wait(pop(&f).await, "and the next one waits again").expect("a known wait");
        assert!(wait > gap / 2, "{wait:?}");
    }
}

/// A retry due soon is not kept behind a host held for long.
pub async fn a_due_retry_is_not_kept_behind_a_held_host<F: Frontier, M: Fn(Policy) -> F>(
    make: &M,
    clock: &impl Clock,
) {
    let f = make(open(8));
    push(
        &f,
        &["http://a.test/1", "http://a.test/2", "http://b.test/1"],
    )
    .await;
    let mut leases = drain_ready(&f).await;
    leases.sort_by(|x, y| x.request.url.cmp(&y.request.url));
    let b1 = leases.pop().expect("b1");
    for lease in leases {
        let mut held = Done::new(Outcome::Fetched);
        held.hosts.push(HostNews {
            host: "a.test".into(),
            gap: None,
            hold: Some(Duration::from_secs(600)),
        });
        f.complete(lease, held).await.expect("complete");
    }
    let mut retry = Done::new(Outcome::Fetched);
    retry.retry_in = Some(Duration::from_millis(20));
    f.complete(b1, retry).await.expect("complete");
    let wait = expect_wait(pop(&f).await, "retry pending").expect("a known wait");
    assert!(
        wait <= Duration::from_millis(20),
        "the retry's time, not the hold's: {wait:?}"
    );
    let retried = ready_after_waiting(&f, clock, "the retry").await;
    assert_eq!(retried.request.url.as_str(), "http://b.test/1");
}
