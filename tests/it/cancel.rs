//! Cancelling a crawl: it stops, says so, and every page it wrote is whole.

use std::time::Duration;

use crawl::{CancellationToken, MemorySink};

use crate::support::{Reply, Routes, TestServer, config, crawl_until, fixture, guard};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_writes_whole_pages_and_reports_the_interrupt() {
    // 300 pages of 200 links each; every third one takes 20 s to answer.
    let page = fixture("site/many.html");
    let mut routes = Routes::new();
    for i in 0..300u32 {
        let reply = if i.is_multiple_of(3) {
            Reply::delayed(Duration::from_secs(20), Reply::html(page.clone()))
        } else {
            Reply::delayed(Duration::from_millis(5), Reply::html(page.clone()))
        };
        routes = routes.route(format!("/m/{i}"), reply);
    }
    let server = TestServer::start(routes);
    let cfg = config()
        .concurrency(16)
        .host_concurrency(16)
        .timeout(Duration::from_secs(50))
        .respect_robots(false)
        .build()
        .expect("config");
    let cancel = CancellationToken::new();
    let sink = MemorySink::new();
    let urls: Vec<url::Url> = (0..300).map(|i| server.url(&format!("/m/{i}"))).collect();
    let crawl = tokio::spawn(crawl_until(cfg, urls, cancel.clone(), sink.clone()));
    // Cancel once some pages are written, while slow ones are surely in flight.
    guard(async {
        while sink.pages().len() < 10 || server.in_flight() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    cancel.cancel();
    let done = guard(crawl).await.expect("crawl task");

    assert!(done.summary.interrupted);
    let pages = done.pages();
    assert!(pages.len() >= 10);
    assert!(pages.len() < 300, "the crawl did not stop: {}", pages.len());
    let expected: Vec<String> = (0..200)
        .map(|i| server.url_str(&format!("/t/{i}")))
        .collect();
    for p in &pages {
        let links: Vec<String> = p.links.iter().map(|l| l.url.to_string()).collect();
        assert_eq!(links, expected, "page {} is not whole", p.source());
    }
    assert_eq!(done.summary.pages_written, pages.len() as u64);
    assert_eq!(done.summary.links_written, 200 * pages.len() as u64);
    let slow_written = pages
        .iter()
        .filter(|p| {
            let i: u32 = p
                .source()
                .path()
                .trim_start_matches("/m/")
                .parse()
                .expect("index");
            i.is_multiple_of(3)
        })
        .count();
    assert_eq!(slow_written, 0, "a slow page cannot have been finished");
}

#[tokio::test]
async fn a_cancelled_token_before_the_start_fetches_nothing() {
    let server = TestServer::start(Routes::new().fixture("/", "site/index.html"));
    let cancel = CancellationToken::new();
    cancel.cancel();
    let done = crawl_until(
        config().build().expect("config"),
        [server.url("/")],
        cancel,
        MemorySink::new(),
    )
    .await;
    assert!(done.summary.interrupted);
    assert!(done.pages().is_empty());
    assert_eq!(server.total_hits(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_crawl_future_aborts_its_fetches() {
    // The dispatcher and the workers are tasks of their own: dropping the future
    // that `Crawler::run` returns must still end them, and close their connections.
    let server = TestServer::start(Routes::new().route("/silent", Reply::Silence));
    let cfg = config()
        .timeout(Duration::from_secs(60))
        .respect_robots(false)
        .build()
        .expect("config");
    let crawl = crawl_until(
        cfg,
        [server.url("/silent")],
        CancellationToken::new(),
        MemorySink::new(),
    );
    tokio::select! {
        _ = crawl => panic!("the crawl ended while its only page was unanswered"),
        () = async {
            while server.in_flight() == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        } => {}
    }
    // The crawl's future is gone; well before the 60 s timeout the connection must be.
    let conn = tokio::task::spawn_blocking(move || server.wait_conn_end("/silent"))
        .await
        .expect("wait for the connection");
    assert!(conn.client_closed, "{conn:?}");
}
