//! Regression tests of the engine review (issue 10): each defect reproduced on loopback.

use std::time::Duration;

use crawl::frontier::{Done, Lease, Pop, Request, Verdict};
use crawl::record::Outcome;
use crawl::{
    CancellationToken, Crawler, FailureKind, Frontier, MemoryFrontier, MemorySink, Scope, Seeds,
    Url,
};

use crate::support::{Bin, Reply, Routes, TestServer, config, crawl, guard};

fn links<S: AsRef<str>>(hrefs: &[S]) -> Reply {
    let mut body = String::from("<!DOCTYPE html><html><body>\n");
    for href in hrefs {
        body.push_str(&format!("<a href=\"{}\">link</a>\n", href.as_ref()));
    }
    body.push_str("</body></html>\n");
    Reply::html(body)
}

#[tokio::test]
async fn a_redirect_target_that_needs_a_retry_is_fetched_on_the_retry() {
    // A -> 301 -> B; B answers 503, then 200. The first attempt claims B; the retry
    // must be allowed to fetch it (the claim is the retry's own), not find it "seen".
    let server = TestServer::start(
        Routes::new()
            .route("/a", Reply::redirect(301, "/b"))
            .route(
                "/b",
                Reply::Sequence(vec![Reply::status(503, "busy"), links(&["/c"])]),
            )
            .route("/c", links(&["/"])),
    );
    let cfg = config()
        .depth(1)
        .retries(2)
        .retry_base(Duration::from_millis(10))
        .respect_robots(false)
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/a")]).await;
    assert_eq!(server.hits("/b"), 2, "B is tried again");
    assert_eq!(done.summary.duplicates, 0, "{:?}", done.summary);
    assert_eq!(done.summary.retries, 1);
    assert_eq!(done.links_of(&server.url_str("/a")), [server.url_str("/c")]);
    assert_eq!(server.hits("/c"), 1, "and its link followed");
}

/// A frontier that panics when a request claims `target`: a worker panicking in the
/// middle of its page.
struct PanicOnClaim {
    inner: MemoryFrontier,
    target: String,
}

impl Frontier for PanicOnClaim {
    async fn push(&self, requests: Vec<Request>) -> Result<Vec<Verdict>, crawl::Error> {
        self.inner.push(requests).await
    }
    async fn pop(&self) -> Result<Pop, crawl::Error> {
        self.inner.pop().await
    }
    async fn changed(&self) {
        self.inner.changed().await;
    }
    async fn complete(&self, lease: Lease, done: Done) -> Result<Vec<Verdict>, crawl::Error> {
        self.inner.complete(lease, done).await
    }
    async fn release(&self, lease: Lease) -> Result<(), crawl::Error> {
        self.inner.release(lease).await
    }
    async fn claim(&self, lease: &Lease, url: &Url) -> Result<bool, crawl::Error> {
        assert!(url.as_str() != self.target, "a bug in the middle of a page");
        self.inner.claim(lease, url).await
    }
    async fn first(&self, lease: &Lease, key: &str) -> Result<bool, crawl::Error> {
        self.inner.first(lease, key).await
    }
    async fn queued(&self) -> Result<u64, crawl::Error> {
        self.inner.queued().await
    }
}

#[tokio::test]
async fn a_panicking_worker_ends_its_request_and_its_host_goes_on() {
    // One request at a time to the host: the panicking page holds the host's only
    // slot, so the rest of the host's queue goes on only if the panic ends the lease.
    let mut routes = Routes::new().route("/boom", Reply::redirect(302, "/kaboom"));
    let pages: Vec<String> = (0..5).map(|i| format!("/p/{i}")).collect();
    for page in &pages {
        routes = routes.route(page.clone(), links(&["/"]));
    }
    let server = TestServer::start(routes);
    let cfg = config()
        .depth(1)
        .host_concurrency(1)
        .respect_robots(false)
        .build()
        .expect("config");
    let crawler = Crawler::new(cfg).expect("crawler");
    let frontier = PanicOnClaim {
        inner: crawler.memory_frontier(),
        target: server.url_str("/kaboom"),
    };
    let mut seeds = vec![server.url("/boom")];
    seeds.extend(pages.iter().map(|p| server.url(p)));
    let sink = MemorySink::new();
    let run = crawler.run(
        Seeds::from_urls(seeds),
        frontier,
        sink.clone(),
        CancellationToken::new(),
    );
    let summary = guard(run)
        .await
        .expect("a panic is not an error of the crawl");
    assert_eq!(summary.panics, 1, "{summary:?}");
    assert_eq!(summary.failures_of(FailureKind::Panic), 1);
    assert_eq!(summary.pages, 5, "the host's other pages are fetched");
    let boom = sink
        .records()
        .into_iter()
        .find(|r| r.url.as_str() == server.url_str("/boom"))
        .expect("a record of the page that panicked");
    assert!(
        matches!(
            boom.outcome,
            Outcome::Failed {
                reason: FailureKind::Panic,
                ..
            }
        ),
        "{boom:?}"
    );
}

#[tokio::test]
async fn scope_follows_where_a_listed_url_landed() {
    // example.com -> www.example.com: the listed host redirects to another, whose
    // links are then in scope (b/x), and the listed host's are not (a/y).
    let a_y = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let b = TestServer::start_on(
        "127.0.0.2",
        Routes::new().route("/x", links(&["/"])).dynamic("/home", {
            let a_y = a_y.clone();
            move |_| links(&["/x", a_y.get().map_or("/", String::as_str)])
        }),
    );
    let a = TestServer::start(
        Routes::new()
            .route("/", Reply::redirect(301, &b.url_str("/home")))
            .route("/y", links(&["/"])),
    );
    a_y.set(a.url_str("/y")).expect("set once");
    let cfg = config()
        .depth(1)
        .scope(Scope::Host)
        .respect_robots(false)
        .build()
        .expect("config");
    let done = crawl(cfg, [a.url("/")]).await;
    assert_eq!(b.hits("/x"), 1, "{:?}", done.summary);
    assert_eq!(a.hits("/y"), 0);
}

#[tokio::test]
async fn retry_after_from_a_redirect_target_holds_the_host_that_sent_it() {
    // a/r redirects to b/limited, which answers 429 Retry-After: 2. One request at a
    // time: after a/r, the next to go is a/other (a is not held), and b/later only
    // once b's hold is over.
    let b = TestServer::start_on(
        "127.0.0.2",
        Routes::new()
            .route(
                "/limited",
                Reply::Sequence(vec![
                    Reply::status(429, "slow down").header("Retry-After", "2"),
                    links(&["/"]),
                ]),
            )
            .route("/later", links(&["/"])),
    );
    let a = TestServer::start(
        Routes::new()
            .route("/r", Reply::redirect(302, &b.url_str("/limited")))
            .route("/other", links(&["/"])),
    );
    let cfg = config()
        .concurrency(1)
        .retries(1)
        .retry_base(Duration::from_millis(10))
        .respect_robots(false)
        .build()
        .expect("config");
    crawl(cfg, [a.url("/r"), a.url("/other"), b.url("/later")]).await;
    let limited = b.arrivals("/limited")[0];
    let other = a.arrivals("/other")[0];
    let later = b.arrivals("/later")[0];
    assert!(other < later, "a was held instead of b");
    assert!(
        later.duration_since(limited) >= Duration::from_millis(1900),
        "b was not held: {:?}",
        later.duration_since(limited)
    );
}

#[tokio::test]
async fn the_page_deadline_covers_robots_txt() {
    // Both hosts answer robots.txt in 2.5 s; the page's deadline is 3 s for
    // everything: a's robots.txt, the redirect, b's robots.txt and b's page.
    let slow_robots = || {
        Reply::delayed(
            Duration::from_millis(2500),
            Reply::typed(Some("text/plain"), "User-agent: *\nAllow: /\n"),
        )
    };
    let b = TestServer::start_on(
        "127.0.0.2",
        Routes::new()
            .route("/robots.txt", slow_robots())
            .route("/page", links(&["/"])),
    );
    let a = TestServer::start(
        Routes::new()
            .route("/robots.txt", slow_robots())
            .route("/start", Reply::redirect(302, &b.url_str("/page"))),
    );
    let cfg = config()
        .timeout(Duration::from_secs(3))
        .build()
        .expect("config");
    let done = crawl(cfg, [a.url("/start")]).await;
    assert_eq!(
        done.failures(FailureKind::Timeout),
        1,
        "one deadline for the page: {:?}",
        done.summary
    );
    assert_eq!(b.hits("/page"), 0);
    let record = &done.sink.records()[0];
    match &record.outcome {
        Outcome::Failed { message, .. } => {
            assert!(message.contains("robots.txt"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn absurd_values_are_usage_errors_not_panics() {
    let bin = Bin::new();
    bin.write("urls.txt", "");
    for args in [
        ["-c", "18446744073709551615"],
        ["--host-concurrency", "18446744073709551615"],
        ["--host-delay", "300000000000y"],
        ["--timeout", "300000000000y"],
        ["--timeout", "20000d"],
        ["--max-retry-after", "9999999h"],
    ] {
        let mut all = vec!["urls.txt"];
        all.extend(args);
        let run = bin.run(&all);
        run.assert_code(2);
        assert!(run.stderr.starts_with("error:"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    }
}

#[tokio::test]
async fn robots_sitemap_lines_are_held_to_the_scope() {
    let elsewhere = TestServer::start_on(
        "127.0.0.2",
        Routes::new().route(
            "/map.xml",
            Reply::typed(
                Some("application/xml"),
                "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"></urlset>",
            ),
        ),
    );
    let robots = format!(
        "User-agent: *\nAllow: /\nSitemap: {}\n",
        elsewhere.url_str("/map.xml")
    );
    let a = TestServer::start(
        Routes::new()
            .route("/robots.txt", Reply::typed(Some("text/plain"), robots))
            .route("/", links(&["/x"])),
    );
    let cfg = config().depth(1).sitemap(true).build().expect("config");
    let done = crawl(cfg, [a.url("/")]).await;
    assert_eq!(elsewhere.hits("/map.xml"), 0, "{:?}", done.summary);
    assert_eq!(a.hits("/sitemap.xml"), 1, "the origin's own is read");
}

#[test]
fn a_config_broken_after_build_is_refused_by_the_crawler() {
    let mut config = config().build().expect("config");
    config.timeout = Duration::ZERO;
    let err = Crawler::new(config).expect_err("a zero timeout");
    assert!(err.to_string().contains("timeout"), "{err}");
}
