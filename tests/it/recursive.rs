//! Recursive crawls: bounds that end spider traps, robots.txt and politeness on
//! discovered pages, per-host and global limits together, the seen-set under
//! concurrency, scope, sitemaps, and the recursion flags of the real binary.
//!
//! Timing is only ever checked from below (a slow machine makes gaps longer, never
//! shorter); "it does not wait for X" is checked by a hang guard instead.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use crawl::frontier::{Done, Lease, Pop, Request, Verdict};
use crawl::{CancellationToken, Crawler, Frontier, MemoryFrontier, MemorySink, Scope, Seeds};
use url::Url;

use crate::support::server::Seen;
use crate::support::{
    Bin, Gate, HANG_GUARD, Logs, Reply, Routes, TestServer, capture_logs, config, crawl,
};

/// An HTML page linking to each of `hrefs`, in order.
fn links<S: AsRef<str>>(hrefs: &[S]) -> Reply {
    let mut body = String::from("<!DOCTYPE html><html><body>\n");
    for href in hrefs {
        body.push_str(&format!("<a href=\"{}\">link</a>\n", href.as_ref()));
    }
    body.push_str("</body></html>\n");
    Reply::html(body)
}

/// The requests a server got for pages: everything but `/robots.txt`.
fn page_requests(server: &TestServer) -> Vec<Seen> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path != "/robots.txt")
        .collect()
}

/// Requests per path (robots.txt included).
fn hits_by_path(server: &TestServer) -> HashMap<String, u64> {
    let mut hits = HashMap::new();
    for r in server.requests() {
        *hits.entry(r.path).or_insert(0) += 1;
    }
    hits
}

/// From the first page request's arrival to the last's (robots.txt left out).
fn arrival_span(server: &TestServer) -> Duration {
    let at: Vec<Instant> = page_requests(server).iter().map(|r| r.at).collect();
    match (at.first(), at.last()) {
        (Some(first), Some(last)) => *last - *first,
        _ => Duration::ZERO,
    }
}

/// The number after `prefix` in a generated path such as `/trap/17?r=…`.
fn number_after(path: &str, prefix: &str) -> u64 {
    path.strip_prefix(prefix)
        .and_then(|rest| rest.split(['?', '/']).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{path:?} is not {prefix}<number>"))
}

// --- Spider traps end within their bounds -------------------------------------------

/// Every `/trap/N` links to `/trap/N+1` and to itself with a query never seen before,
/// so neither the depth nor the seen-set would ever end the crawl.
fn spider_trap() -> Routes {
    let counter = AtomicU64::new(0);
    let random = std::collections::hash_map::RandomState::new();
    Routes::new().dynamic("/trap/", move |path| {
        let n = number_after(path, "/trap/");
        let r = random.hash_one(counter.fetch_add(1, SeqCst));
        links(&[format!("/trap/{}", n + 1), format!("/trap/{n}?r={r:016x}")])
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spider_trap_ends_at_exactly_max_pages() {
    let server = TestServer::start(spider_trap());
    let cfg = config().depth(1000).max_pages(40).build().expect("config");
    let done = crawl(cfg, [server.url("/trap/0")]).await;
    let pages = page_requests(&server);
    assert_eq!(pages.len(), 40, "page requests: {:#?}", pages.len());
    assert_eq!(done.summary.pages, 40, "{:?}", done.summary);
    assert_eq!(done.pages().len(), 40);
    assert!(
        pages.iter().any(|r| r.path.contains("?r=")),
        "the trap's self-links were followed too"
    );
}

#[tokio::test]
async fn a_growing_url_trap_ends_at_max_url_len() {
    // Every `/g…` links to itself with one more byte: /g, /gx, /gxx, ...
    let server =
        TestServer::start(Routes::new().dynamic("/g", |path| links(&[format!("{path}x")])));
    let limit = 200;
    let cfg = config()
        .depth(10_000)
        .max_url_len(limit)
        .build()
        .expect("config");
    // Under the hang guard: without the length limit this never ends.
    let done = crawl(cfg, [server.url("/g")]).await;
    let lens: Vec<usize> = page_requests(&server)
        .iter()
        .map(|r| server.url_str(&r.path).len())
        .collect();
    assert_eq!(
        lens.iter().max(),
        Some(&limit),
        "URLs up to the limit, and none longer, are followed"
    );
    assert_eq!(done.summary.pages as usize, lens.len());
}

#[tokio::test]
async fn no_page_deeper_than_depth_is_requested() {
    // `/d/N` is N hops from the seed `/d/0`; each links to two pages one hop deeper.
    let server = TestServer::start(Routes::new().dynamic("/d/", |path| {
        let n = number_after(path, "/d/");
        links(&[format!("/d/{}", n + 1), format!("/d/{}?alt", n + 1)])
    }));
    let cfg = config().depth(3).build().expect("config");
    let done = crawl(cfg, [server.url("/d/0")]).await;
    let depths: Vec<u64> = page_requests(&server)
        .iter()
        .map(|r| number_after(&r.path, "/d/"))
        .collect();
    assert_eq!(depths.iter().max(), Some(&3), "{depths:?}");
    // 1 + 2 + 2 + 2: the seed, then both links of each level (the two links of a
    // level are the same pair whichever page of the level they come from).
    assert_eq!(depths.len(), 7, "{depths:?}");
    assert_eq!(done.summary.pages, 7);
}

// --- robots.txt and politeness on discovered pages ----------------------------------

#[tokio::test]
async fn a_disallowed_path_linked_from_many_pages_is_never_requested_and_reported_once() {
    let hub: Vec<String> = (0..20).map(|i| format!("/p/{i}")).collect();
    let server = TestServer::start(
        Routes::new()
            .robots("User-agent: *\nDisallow: /private/\n")
            .route("/", links(&hub))
            .dynamic("/p/", |_| links(&["/private/a", "/private/b", "/"])),
    );
    let (logs, _guard) = capture_logs();
    let done = crawl(
        config().depth(2).build().expect("config"),
        [server.url("/")],
    )
    .await;
    assert_eq!(done.summary.pages, 21, "{:?}", done.summary);
    for path in ["/private/a", "/private/b"] {
        assert_eq!(server.hits(path), 0, "{path} was requested");
        let url = server.url_str(path);
        let reports = logs
            .warnings()
            .into_iter()
            .filter(|w| w.contains(&url) && w.contains("robots.txt"))
            .count();
        assert_eq!(reports, 1, "{url} reported {reports} times");
    }
    assert_eq!(done.summary.robots_denied, 2);
    assert_eq!(server.hits("/robots.txt"), 1);
}

/// Politeness spaces the starts of requests: the moments the engine dispatches them,
/// which its `page` spans mark. Gaps between those are checked, each against the delay.
fn dispatch_gaps(logs: &Logs, server: &TestServer) -> Vec<Duration> {
    let pages = logs.opened("page");
    let host = server.url_str("/");
    assert!(pages.iter().all(|s| s.fields.contains(&host)), "{pages:#?}");
    let at: Vec<Instant> = pages.iter().map(|s| s.at).collect();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

/// A dispatch is never early, but the clock read for its span comes a moment after the
/// one the frontier compared: microseconds usually, but the thread can lose its core in
/// between (up to ~45 ms seen with five test binaries on two cores). A dispatch read
/// late makes the gap before it longer and the gap after it shorter by as much.
const TICK: Duration = Duration::from_millis(50);

/// The server sees each request a little after its dispatch, and not by the same
/// amount each time: on a loaded machine a worker or a server thread can wait for a
/// core (with five test binaries on two cores, arrivals came up to ~225 ms late, so a
/// gap between two arrivals can look shorter than the delay). Arrivals are therefore
/// checked only from the first to the last, with this allowance; the gap-by-gap check
/// is on dispatches.
const ARRIVAL_SLACK: Duration = Duration::from_millis(300);

/// Asserts `n` pages were dispatched at least `delay` apart, and arrived over at least
/// `(n - 1) × delay` less [`ARRIVAL_SLACK`].
#[track_caller]
fn assert_spaced(logs: &Logs, server: &TestServer, n: usize, delay: Duration) {
    let gaps = dispatch_gaps(logs, server);
    assert_eq!(gaps.len(), n - 1, "{gaps:?}");
    for gap in &gaps {
        assert!(
            *gap + TICK >= delay,
            "dispatched {gap:?} apart, delay {delay:?}: {gaps:?}"
        );
    }
    let span = arrival_span(server);
    let least = delay * (n as u32 - 1);
    assert!(
        span + ARRIVAL_SLACK >= least,
        "{n} requests arrived within {span:?}, delay {delay:?}"
    );
}

#[tokio::test]
async fn crawl_delay_spaces_the_requests_to_a_host() {
    let server = TestServer::start(
        Routes::new()
            .robots("User-agent: *\nCrawl-delay: 1\n")
            .route("/", links(&["/1", "/2", "/3"]))
            .dynamic("/", |_| links(&["/"])),
    );
    let (logs, _guard) = capture_logs();
    let done = crawl(
        config().depth(1).build().expect("config"),
        [server.url("/")],
    )
    .await;
    assert_eq!(done.summary.pages, 4, "{:?}", done.summary);
    assert_spaced(&logs, &server, 4, Duration::from_secs(1));
}

#[tokio::test]
async fn host_delay_spaces_the_requests_to_a_host() {
    let server = TestServer::start(
        Routes::new()
            .route("/", links(&["/1", "/2", "/3", "/4"]))
            .dynamic("/", |_| links(&["/"])),
    );
    let delay = Duration::from_millis(300);
    let cfg = config()
        .depth(1)
        .respect_robots(false)
        .host_delay(delay)
        .build()
        .expect("config");
    let (logs, _guard) = capture_logs();
    let done = crawl(cfg, [server.url("/")]).await;
    assert_eq!(done.summary.pages, 5, "{:?}", done.summary);
    assert_eq!(server.hits("/robots.txt"), 0);
    assert_spaced(&logs, &server, 5, delay);
}

#[tokio::test]
async fn crawl_delay_spaces_the_hops_of_a_redirect() {
    // Crawl-delay asks for a gap between any two requests; a redirect hop is one.
    let server = TestServer::start(
        Routes::new()
            .robots("User-agent: *\nCrawl-delay: 1\n")
            .route("/old", Reply::redirect(301, "/new"))
            .route("/new", links(&["/"])),
    );
    crawl(config().build().expect("config"), [server.url("/old")]).await;
    let (old, new) = (server.arrivals("/old"), server.arrivals("/new"));
    assert_eq!((old.len(), new.len()), (1, 1));
    let gap = new[0] - old[0];
    assert!(
        gap + TICK >= Duration::from_secs(1),
        "the hop came {gap:?} later"
    );
}

// --- Retry-After holds the host, and only the host ----------------------------------

const PAGE: &str = r#"<html><body><a href="/one">1</a><a href="/two">2</a></body></html>"#;

#[tokio::test]
async fn retry_after_delays_the_retry_and_holds_back_the_whole_host() {
    let server = TestServer::start(
        Routes::new()
            .route(
                "/limited",
                Reply::Sequence(vec![
                    Reply::status(429, PAGE).header("Retry-After", "2"),
                    Reply::html(PAGE),
                ]),
            )
            .route("/other", Reply::html(PAGE)),
    );
    // robots.txt on: a new host gets one request until it answers, so /other cannot
    // start before the 429 is in.
    let cfg = config().retries(1).build().expect("config");
    let done = crawl(cfg, [server.url("/limited"), server.url("/other")]).await;
    let limited = server.arrivals("/limited");
    assert_eq!(limited.len(), 2, "the 429 and its retry");
    let waited = limited[1] - limited[0];
    assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");
    let other = server.arrivals("/other");
    assert_eq!(other.len(), 1);
    let held = other[0] - limited[0];
    assert!(
        held >= Duration::from_secs(2),
        "/other was requested {held:?} after the 429, inside its Retry-After"
    );
    let source = server.url_str("/limited");
    let written: Vec<_> = done
        .pages()
        .into_iter()
        .filter(|p| p.source().as_str() == source)
        .collect();
    assert_eq!(written.len(), 1, "the recovered page is written once");
    assert_eq!(
        done.links_of(&source),
        [server.url_str("/one"), server.url_str("/two")]
    );
    assert_eq!(done.summary.retries, 1);
}

/// Crawls `urls` until `cancel` fires; fails with `why` if that takes longer than the
/// hang guard.
async fn crawl_until_cancelled(
    cfg: crawl::Config,
    urls: Vec<Url>,
    cancel: CancellationToken,
    why: &str,
) {
    let crawler = Crawler::new(cfg).expect("crawler");
    let frontier = crawler.memory_frontier();
    let run = crawler.run(Seeds::from_urls(urls), frontier, MemorySink::new(), cancel);
    match tokio::time::timeout(HANG_GUARD, run).await {
        Ok(summary) => {
            summary.expect("the crawl returned an error");
        }
        Err(_) => panic!("{why} (waited {HANG_GUARD:?})"),
    }
}

/// A host held by a Retry-After of an hour, with more work queued: `/limited` answers
/// 429, `/other` waits behind it (one request at a time to this host).
fn held_host() -> TestServer {
    TestServer::start(
        Routes::new()
            .route(
                "/limited",
                Reply::status(429, PAGE).header("Retry-After", "3600"),
            )
            .route("/other", Reply::html(PAGE)),
    )
}

fn held_config() -> crawl::ConfigBuilder {
    config()
        .retries(1)
        .max_retry_after(Duration::from_secs(3600))
        .host_concurrency(1)
        .respect_robots(false)
}

#[tokio::test]
async fn a_held_host_does_not_hold_back_another_host() {
    let a = held_host();
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    // b's second page is discovered half a second in, well after a's 429 (answered at
    // once); requesting it ends the test. Were b queued behind a, it would wait an hour.
    let b = TestServer::start_on(
        "127.0.0.2",
        Routes::new()
            .route(
                "/",
                Reply::delayed(Duration::from_millis(500), links(&["/next"])),
            )
            .dynamic("/next", move |_| {
                stop.cancel();
                links(&["/"])
            }),
    );
    let cfg = held_config().depth(1).build().expect("config");
    let urls = vec![a.url("/limited"), a.url("/other"), b.url("/")];
    crawl_until_cancelled(cfg, urls, cancel, "b's page never came while a was held").await;
    assert_eq!(b.hits("/next"), 1);
    assert_eq!(a.hits("/limited"), 1);
    assert_eq!(a.hits("/other"), 0, "a's hold was not honoured");
    let a_429 = a.arrivals("/limited")[0];
    assert!(b.arrivals("/next")[0] > a_429);
}

#[tokio::test]
async fn a_held_host_does_not_hold_back_a_retry_on_another_host() {
    let a = held_host();
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    // b answers 503 once; its retry is due ~10 ms later. Requesting it ends the test.
    let b = TestServer::start_on(
        "127.0.0.2",
        Routes::new().dynamic("/flaky", {
            let hits = AtomicU64::new(0);
            move |_| {
                if hits.fetch_add(1, SeqCst) == 0 {
                    return Reply::status(503, PAGE);
                }
                stop.cancel();
                Reply::html(PAGE)
            }
        }),
    );
    let cfg = held_config().build().expect("config");
    let urls = vec![a.url("/limited"), a.url("/other"), b.url("/flaky")];
    crawl_until_cancelled(
        cfg,
        urls,
        cancel,
        "b's retry (due after ~10 ms) never came while a was held for an hour",
    )
    .await;
    assert_eq!(b.hits("/flaky"), 2);
    assert_eq!(a.hits("/other"), 0);
}

// --- Limits ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_and_per_host_limits_hold_together() {
    // The first ten pages of every host are answered only once five requests are in
    // flight together across the hosts (the global limit, reached as 2 + 2 + 1), the
    // other twenty only once two of the host's own are in flight together (the host
    // limit): both limits are reached whatever the machine's speed, and never passed.
    let global = Gate::new(5);
    let site = |own: Gate| {
        let global = global.clone();
        let pages: Vec<String> = (0..30).map(|i| format!("/s/{i}")).collect();
        Routes::new()
            .route("/", links(&pages))
            .dynamic("/s/", move |path| {
                let first_ten = path
                    .trim_start_matches("/s/")
                    .parse::<u32>()
                    .is_ok_and(|i| i < 10);
                let gate = if first_ten { &global } else { &own };
                gate.hold(links(&["/"]))
            })
    };
    let gates = [Gate::new(2), Gate::new(2), Gate::new(2)];
    let a = TestServer::start(site(gates[0].clone()));
    let b = TestServer::start_sharing_load("127.0.0.2", site(gates[1].clone()), &a);
    let c = TestServer::start_sharing_load("127.0.0.3", site(gates[2].clone()), &a);
    let cfg = config()
        .depth(1)
        .concurrency(5)
        .host_concurrency(2)
        .respect_robots(false)
        .build()
        .expect("config");
    let done = crawl(cfg, [a.url("/"), b.url("/"), c.url("/")]).await;
    assert_eq!(done.summary.pages, 93, "{:?}", done.summary);
    for (server, gate) in [&a, &b, &c].into_iter().zip(&gates) {
        assert!(gate.is_open(), "{} never had 2 in flight", server.addr());
        assert_eq!(server.own_max_in_flight(), 2, "per host, {}", server.addr());
    }
    assert!(global.is_open(), "5 requests were never in flight together");
    assert_eq!(a.max_in_flight(), 5, "across the three hosts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_pages_per_host_holds_for_hosts_reached_through_links() {
    // The seed's host a links to 20 pages on b, which link to 20 more each.
    let b = TestServer::start_on(
        "127.0.0.2",
        Routes::new().dynamic("/b/", |path| {
            let n = number_after(path, "/b/");
            let more: Vec<String> = (0..20)
                .map(|i| format!("/b/{}", 100 * (n + 1) + i))
                .collect();
            links(&more)
        }),
    );
    let to_b: Vec<String> = (0..20).map(|i| b.url_str(&format!("/b/{i}"))).collect();
    let a = TestServer::start(Routes::new().route("/", links(&to_b)));
    let cfg = config()
        .depth(2)
        .scope(Scope::Any)
        .max_pages_per_host(5)
        .build()
        .expect("config");
    let done = crawl(cfg, [a.url("/")]).await;
    assert_eq!(page_requests(&b).len(), 5, "{:?}", done.summary);
    assert_eq!(page_requests(&a).len(), 1);
}

#[tokio::test]
async fn max_pages_per_host_counts_the_listed_page() {
    let pages: Vec<String> = (0..10).map(|i| format!("/p/{i}")).collect();
    let server = TestServer::start(
        Routes::new()
            .route("/", links(&pages))
            .dynamic("/p/", |_| links(&["/"])),
    );
    let cfg = config()
        .depth(1)
        .max_pages_per_host(5)
        .build()
        .expect("config");
    crawl(cfg, [server.url("/")]).await;
    assert_eq!(
        page_requests(&server).len(),
        5,
        "the listed page and 4 links"
    );
}

/// A [`MemoryFrontier`] whose `push` takes a moment, as a frontier on disk or across
/// the network would.
#[derive(Debug)]
struct SlowPush(MemoryFrontier);

impl Frontier for SlowPush {
    async fn push(&self, requests: Vec<Request>) -> Result<Vec<Verdict>, crawl::Error> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.0.push(requests).await
    }
    async fn pop(&self) -> Result<Pop, crawl::Error> {
        self.0.pop().await
    }
    async fn changed(&self) {
        self.0.changed().await;
    }
    async fn complete(&self, lease: Lease, done: Done) -> Result<Vec<Verdict>, crawl::Error> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.0.complete(lease, done).await
    }
    async fn release(&self, lease: Lease) -> Result<(), crawl::Error> {
        self.0.release(lease).await
    }
    async fn claim(&self, lease: &Lease, url: &Url) -> Result<bool, crawl::Error> {
        self.0.claim(lease, url).await
    }
    async fn first(&self, lease: &Lease, key: &str) -> Result<bool, crawl::Error> {
        self.0.first(lease, key).await
    }
    async fn queued(&self) -> Result<u64, crawl::Error> {
        self.0.queued().await
    }
}

#[tokio::test]
async fn max_pages_per_host_holds_when_pages_enqueue_concurrently() {
    // Ten listed pages on a, fetched together, each link to ten pages of their own on
    // b; b may give 5 pages in all.
    let b = TestServer::start_on("127.0.0.2", Routes::new().dynamic("/b/", |_| links(&["/"])));
    let mut routes = Routes::new();
    for i in 0..10 {
        let to_b: Vec<String> = (0..10).map(|j| b.url_str(&format!("/b/{i}/{j}"))).collect();
        routes = routes.route(format!("/a/{i}"), links(&to_b));
    }
    let a = TestServer::start(routes);
    let cfg = config()
        .depth(1)
        .scope(Scope::Any)
        .host_concurrency(10)
        .respect_robots(false)
        .max_pages_per_host(5)
        .build()
        .expect("config");
    let crawler = Crawler::new(cfg).expect("crawler");
    let frontier = SlowPush(crawler.memory_frontier());
    let seeds = Seeds::from_urls(
        (0..10)
            .map(|i| a.url(&format!("/a/{i}")))
            .collect::<Vec<_>>(),
    );
    let run = crawler.run(seeds, frontier, MemorySink::new(), CancellationToken::new());
    crate::support::guard(run).await.expect("crawl");
    assert_eq!(page_requests(&b).len(), 5);
}

// --- The seen-set ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_url_is_requested_once_when_many_pages_link_to_it_at_once() {
    let mut all: Vec<String> = (0..60).map(|i| format!("/p/{i}")).collect();
    all.push("/common".to_owned());
    let page = links(&all);
    let server = TestServer::start(
        Routes::new()
            .dynamic("/p/", {
                let page = page.clone();
                move |_| Reply::delayed(Duration::from_millis(5), page.clone())
            })
            .route("/common", page),
    );
    let cfg = config()
        .depth(3)
        .host_concurrency(16)
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/p/0")]).await;
    let hits = hits_by_path(&server);
    let twice: Vec<_> = hits.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "requested more than once: {twice:?}");
    assert_eq!(hits.len(), 62, "60 pages, /common and robots.txt");
    assert_eq!(done.summary.pages, 61);
}

#[tokio::test]
async fn a_redirect_target_is_not_fetched_again_when_linked_later() {
    // / → /old (301 → /new); /new links to /later, which links back to /new.
    let server = TestServer::start(
        Routes::new()
            .route("/", links(&["/old"]))
            .route("/old", Reply::redirect(301, "/new"))
            .route("/new", links(&["/later"]))
            .route("/later", links(&["/new", "/old"])),
    );
    let done = crawl(
        config().depth(5).build().expect("config"),
        [server.url("/")],
    )
    .await;
    assert_eq!(server.hits("/new"), 1);
    assert_eq!(server.hits("/old"), 1);
    assert_eq!(server.hits("/later"), 1);
    assert_eq!(done.summary.pages, 3, "/, /old (as /new), /later");
}

#[tokio::test]
async fn a_redirect_target_that_is_also_linked_is_requested_once() {
    // / links to both /old (301 → /new) and /new: whichever goes first, /new is
    // requested once in all.
    let server = TestServer::start(
        Routes::new()
            .route("/", links(&["/old", "/new"]))
            .route("/old", Reply::redirect(301, "/new"))
            .route("/new", links(&["/"])),
    );
    crawl(
        config().depth(2).build().expect("config"),
        [server.url("/")],
    )
    .await;
    assert_eq!(server.hits("/old"), 1);
    assert_eq!(server.hits("/new"), 1);
}

// --- Scope ------------------------------------------------------------------------------

/// a (127.0.0.1) links to b (127.0.0.2); returns both.
fn two_hosts() -> (TestServer, TestServer) {
    let b = TestServer::start_on("127.0.0.2", Routes::new().route("/page", links(&["/"])));
    let a = TestServer::start(Routes::new().route("/", links(&[b.url_str("/page")])));
    (a, b)
}

#[tokio::test]
async fn host_scope_does_not_follow_another_host() {
    let (a, b) = two_hosts();
    let done = crawl(config().depth(2).build().expect("config"), [a.url("/")]).await;
    assert_eq!(b.total_hits(), 0, "not even its robots.txt");
    assert_eq!(
        done.links_of(&a.url_str("/")),
        [b.url_str("/page")],
        "but the link is written"
    );
}

#[tokio::test]
async fn any_scope_follows_another_host() {
    let (a, b) = two_hosts();
    let cfg = config().depth(1).scope(Scope::Any).build().expect("config");
    crawl(cfg, [a.url("/")]).await;
    assert_eq!(b.hits("/page"), 1);
    assert_eq!(b.hits("/"), 0, "depth 1");
}

/// `a.site.test` on 127.0.0.1 links to `b.site.test` (127.0.0.2) and `other.test`
/// (127.0.0.3), each with its server's port. `.test` is reserved (RFC 6761): should
/// `resolve` be ignored, the names fail in DNS instead of leaving loopback.
struct Named {
    a: TestServer,
    b: TestServer,
    other: TestServer,
}

impl Named {
    fn start() -> Named {
        let b = TestServer::start_on("127.0.0.2", Routes::new().route("/", links(&["/deeper"])));
        let other = TestServer::start_on("127.0.0.3", Routes::new().route("/", links(&["/"])));
        let to = [
            format!("http://b.site.test:{}/", b.addr().port()),
            format!("http://other.test:{}/", other.addr().port()),
        ];
        let a = TestServer::start(Routes::new().route("/", links(&to)));
        Named { a, b, other }
    }

    fn seed(&self) -> Url {
        let url = format!("http://a.site.test:{}/", self.a.addr().port());
        Url::parse(&url).expect("url")
    }

    fn config(&self, scope: Scope) -> crawl::Config {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        config()
            .depth(1)
            .scope(scope)
            .resolve(vec![
                ("a.site.test".into(), ip("127.0.0.1")),
                ("b.site.test".into(), ip("127.0.0.2")),
                ("other.test".into(), ip("127.0.0.3")),
            ])
            // Should a name reach DNS anyway, fail fast instead of waiting on it.
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .build()
            .expect("config")
    }

    /// The seed was reached through `resolve`, by name.
    fn assert_seed_fetched(&self) {
        let seen = page_requests(&self.a);
        assert_eq!(seen.len(), 1, "the seed, through resolve");
        let host = format!("a.site.test:{}", self.a.addr().port());
        assert_eq!(seen[0].header("host"), Some(host.as_str()));
    }
}

#[tokio::test]
async fn domain_scope_follows_sibling_hosts_and_not_other_domains() {
    let sites = Named::start();
    crawl(sites.config(Scope::Domain), [sites.seed()]).await;
    sites.assert_seed_fetched();
    assert_eq!(
        sites.b.hits("/"),
        1,
        "b.site.test is in the domain site.test"
    );
    let host = format!("b.site.test:{}", sites.b.addr().port());
    assert_eq!(
        page_requests(&sites.b)[0].header("host"),
        Some(host.as_str())
    );
    assert_eq!(sites.b.hits("/deeper"), 0, "depth 1");
    assert_eq!(sites.other.total_hits(), 0, "other.test is another domain");
}

#[tokio::test]
async fn host_scope_follows_neither_sibling_hosts_nor_other_domains() {
    let sites = Named::start();
    crawl(sites.config(Scope::Host), [sites.seed()]).await;
    sites.assert_seed_fetched();
    assert_eq!(sites.b.total_hits(), 0);
    assert_eq!(sites.other.total_hits(), 0);
}

#[tokio::test]
async fn include_and_exclude_patterns_hold() {
    let server = TestServer::start(
        Routes::new()
            .route(
                "/",
                links(&[
                    "/keep/1",
                    "/keep/2",
                    "/keep/skip-me",
                    "/drop/1",
                    "/keep-not",
                ]),
            )
            .dynamic("/keep/", |_| links(&["/keep/3"])),
    );
    let cfg = config()
        .depth(2)
        .include(["/keep/"])
        .exclude(["skip"])
        .build()
        .expect("config");
    crawl(cfg, [server.url("/")]).await;
    for path in ["/keep/1", "/keep/2", "/keep/3"] {
        assert_eq!(server.hits(path), 1, "{path}");
    }
    for path in ["/keep/skip-me", "/drop/1", "/keep-not"] {
        assert_eq!(server.hits(path), 0, "{path}");
    }
    assert_eq!(
        server.hits("/"),
        1,
        "the patterns filter followed links, not the seed"
    );
}

// --- Sitemaps --------------------------------------------------------------------------

fn urlset(urls: &[String]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for url in urls {
        xml.push_str(&format!("  <url><loc>{url}</loc></url>\n"));
    }
    xml.push_str("</urlset>\n");
    xml
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip in memory");
    gz.finish().expect("gzip in memory")
}

#[tokio::test]
async fn sitemaps_seed_pages_that_no_link_reaches() {
    let elsewhere = TestServer::start_on("127.0.0.2", Routes::new().route("/x", links(&["/"])));
    let server = TestServer::start_with_base("127.0.0.1", |base| {
        let url = |path: &str| format!("{base}{path}");
        let index = format!(
            "<?xml version=\"1.0\"?>\n\
             <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n\
             <sitemap><loc>{}</loc></sitemap>\n</sitemapindex>\n",
            url("/sm/pages.xml.gz")
        );
        let gz = gzip(
            urlset(&[
                url("/from-gz/1"),
                url("/from-gz/2"),
                elsewhere.url_str("/x"),
            ])
            .as_bytes(),
        );
        Routes::new()
            .robots("User-agent: *\nDisallow: /private\nSitemap: /sm-index.xml\n")
            .route("/", links(&["/linked"]))
            .route(
                "/sm-index.xml",
                Reply::typed(Some("application/xml"), index),
            )
            .route(
                "/sm/pages.xml.gz",
                Reply::typed(Some("application/gzip"), gz),
            )
            .route(
                "/sitemap.xml",
                Reply::typed(
                    Some("application/xml"),
                    urlset(&[url("/from-plain"), url("/private/listed")]),
                ),
            )
            .dynamic("/from-", |_| links(&["/linked"]))
    });
    let cfg = config().sitemap(true).build().expect("config");
    let done = crawl(cfg, [server.url("/")]).await;
    for path in ["/sm-index.xml", "/sm/pages.xml.gz", "/sitemap.xml"] {
        assert_eq!(server.hits(path), 1, "sitemap {path}");
    }
    for path in ["/from-gz/1", "/from-gz/2", "/from-plain"] {
        assert_eq!(
            server.hits(path),
            1,
            "page {path}, listed only in a sitemap"
        );
    }
    assert_eq!(elsewhere.total_hits(), 0, "out of scope");
    assert_eq!(server.hits("/private/listed"), 0, "robots.txt still holds");
    assert_eq!(server.hits("/linked"), 0, "depth 0: links are not followed");
    assert_eq!(done.summary.sitemaps, 3, "{:?}", done.summary);
    assert_eq!(done.summary.pages, 4);
}

// --- The binary's recursion flags ----------------------------------------------------

#[test]
fn the_recursion_flags_of_the_binary_take_effect() {
    let b = TestServer::start_on("127.0.0.2", Routes::new().route("/keep/b", links(&["/"])));
    let a = TestServer::start_with_base("127.0.0.1", |base| {
        let url = |path: &str| format!("{base}{path}");
        Routes::new()
            .robots("User-agent: *\nDisallow: /private\n")
            .route(
                "/",
                links(&[
                    "/private/p".to_owned(),
                    "/keep/1".to_owned(),
                    "/drop/keep".to_owned(),
                    "/other".to_owned(),
                    b.url_str("/keep/b"),
                ]),
            )
            .route("/keep/1", links(&["/keep/deeper"]))
            .route("/private/p", links(&["/"]))
            .route(
                "/sitemap.xml",
                Reply::typed(Some("application/xml"), urlset(&[url("/keep/mapped")])),
            )
            .route("/keep/mapped", links(&["/"]))
    });
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", a.url_str("/")));
    let run = bin.run(&[
        "urls.txt",
        "-o",
        "out.tsv",
        "--depth",
        "1",
        "--scope",
        "any",
        "--include",
        "/(keep|private)/",
        "--exclude",
        "drop",
        "--ignore-robots",
        "--host-delay",
        "300ms",
        "--sitemap",
    ]);
    run.assert_code(0);
    assert_eq!(a.hits("/robots.txt"), 0, "--ignore-robots");
    assert_eq!(a.hits("/private/p"), 1, "--ignore-robots");
    assert_eq!(a.hits("/keep/1"), 1);
    assert_eq!(a.hits("/keep/deeper"), 0, "--depth 1");
    assert_eq!(a.hits("/drop/keep"), 0, "--exclude");
    assert_eq!(a.hits("/other"), 0, "--include");
    assert_eq!(b.hits("/keep/b"), 1, "--scope any");
    assert_eq!(a.hits("/sitemap.xml"), 1, "--sitemap");
    assert_eq!(a.hits("/keep/mapped"), 1, "--sitemap");
    // /, /sitemap.xml, /private/p, /keep/1 and /keep/mapped, 300 ms apart at least.
    assert_eq!(page_requests(&a).len(), 5);
    let span = arrival_span(&a);
    assert!(
        span + ARRIVAL_SLACK >= Duration::from_millis(4 * 300),
        "--host-delay 300ms: 5 requests within {span:?}"
    );
    let out = bin.read("out.tsv");
    let pair = format!("{}\t{}", a.url_str("/keep/1"), a.url_str("/keep/deeper"));
    assert!(out.lines().any(|l| l == pair), "{out}");
}

#[test]
fn max_pages_flag_ends_a_spider_trap() {
    let server = TestServer::start(spider_trap());
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/trap/0")));
    let run = bin.run(&["urls.txt", "-o", "-", "--depth", "1000", "--max-pages", "7"]);
    run.assert_code(0);
    assert_eq!(page_requests(&server).len(), 7);
    let sources: std::collections::HashSet<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(sources.len(), 7, "{}", run.stdout);
}
