//! The concurrency limit, duplicates, and the per-host limit.

use std::time::Duration;

use crate::support::{Gate, Reply, Routes, TestServer, config, crawl};

/// Pages answered only once `gate` has seen enough of them in flight at once.
fn gated_pages(n: usize, prefix: &str, gate: &Gate) -> Routes {
    (0..n).fold(Routes::new(), |routes, i| {
        let page = format!("<html><body><a href=\"/from/{i}\">x</a></body></html>");
        routes.route(format!("{prefix}{i}"), gate.hold(Reply::html(page)))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_held_exactly() {
    // The server answers only once 7 requests are in flight together: the limit is
    // reached whatever the machine's speed, and never passed.
    let gate = Gate::new(7);
    let server = TestServer::start(gated_pages(200, "/d/", &gate));
    let cfg = config()
        .concurrency(7)
        .host_concurrency(16)
        .respect_robots(false)
        .build()
        .expect("config");
    let done = crawl(cfg, (0..200).map(|i| server.url(&format!("/d/{i}")))).await;
    assert_eq!(done.summary.pages, 200, "{:?}", done.summary);
    assert_eq!(done.pairs().len(), 200);
    assert!(gate.is_open(), "7 requests were never in flight together");
    assert_eq!(server.max_in_flight(), 7, "not less, not more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_limit_holds_under_a_higher_global_limit() {
    let gate = Gate::new(3);
    let server = TestServer::start(gated_pages(60, "/h/", &gate));
    let cfg = config()
        .concurrency(20)
        .host_concurrency(3)
        .respect_robots(false)
        .build()
        .expect("config");
    let done = crawl(cfg, (0..60).map(|i| server.url(&format!("/h/{i}")))).await;
    assert_eq!(done.summary.pages, 60);
    assert!(gate.is_open(), "3 requests were never in flight together");
    assert_eq!(server.max_in_flight(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_fetches_count_against_the_limit() {
    // Three hosts, each with its robots.txt fetched while other hosts' pages are in
    // flight; the limit spans them all. The pages are answered only once three are in
    // flight together: the three hosts' first pages (each new host gets one request
    // until its robots.txt is known), so the hosts are provably fetched in parallel.
    let gate = Gate::new(3);
    let robots = Reply::delayed(
        Duration::from_millis(100),
        Reply::typed(Some("text/plain"), "User-agent: *\nDisallow: /private\n"),
    );
    let a = TestServer::start(gated_pages(40, "/a/", &gate).route("/robots.txt", robots.clone()));
    let b = TestServer::start_sharing_load(
        "127.0.0.2",
        gated_pages(40, "/b/", &gate).route("/robots.txt", robots.clone()),
        &a,
    );
    let c = TestServer::start_sharing_load(
        "127.0.0.3",
        gated_pages(40, "/c/", &gate).route("/robots.txt", robots),
        &a,
    );
    let cfg = config()
        .concurrency(5)
        .host_concurrency(5)
        .build()
        .expect("config");
    let urls: Vec<url::Url> = (0..40)
        .flat_map(|i| {
            [
                a.url(&format!("/a/{i}")),
                b.url(&format!("/b/{i}")),
                c.url(&format!("/c/{i}")),
            ]
        })
        .collect();
    let done = crawl(cfg, urls).await;
    assert_eq!(done.summary.pages, 120, "{:?}", done.summary);
    for server in [&a, &b, &c] {
        assert_eq!(server.hits("/robots.txt"), 1, "robots.txt once per host");
    }
    assert!(gate.is_open(), "the hosts were not fetched in parallel");
    let max = a.max_in_flight();
    assert!(max <= 5, "{max} requests in flight with a limit of 5");
}

#[tokio::test]
async fn a_duplicate_listed_url_is_fetched_once() {
    let page = r#"<html><body><a href="/x">x</a></body></html>"#;
    let server = TestServer::start(Routes::new().route("/page", Reply::html(page)));
    let urls = [
        server.url("/page"),
        server.url("/page"),
        server.url("/page#section"),
        server.url("/page#"),
    ];
    let done = crawl(config().build().expect("config"), urls).await;
    assert_eq!(server.hits("/page"), 1);
    assert_eq!(done.summary.listed, 1);
    assert_eq!(done.summary.duplicates, 3);
    assert_eq!(
        done.pairs(),
        [(server.url_str("/page"), server.url_str("/x"))],
        "written once"
    );
}
