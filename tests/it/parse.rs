//! Hostile pages (issue 11, holes 2 and 3): the parse is bounded in depth, in what a
//! page may build and in time, and a page that goes over fails on its own, with its
//! reason in its record, while the crawl's other pages go on.

use std::time::Duration;

use crawl::FailureKind;
use crawl::record::{Outcome, PageRecord};

use crate::support::{Reply, Routes, TestServer, config, crawl, record_of};

fn failure(record: &PageRecord) -> (FailureKind, &str) {
    match &record.outcome {
        Outcome::Failed { reason, message } => (*reason, message.as_str()),
        other => panic!("{} did not fail: {other:?}", record.url),
    }
}

/// 100,000 nested `<div>`s (1.1 MB) around a link: quadratic for html5ever's tree
/// builder (50 s of CPU), linear with the depth cap.
fn deep() -> String {
    let n = 100_000;
    format!(
        "<html><body>{}<a href=/from-deep>x</a>{}",
        "<div>".repeat(n),
        "</div>".repeat(n)
    )
}

/// Formatting elements rebuilt in each paragraph: 8 bytes build 401 elements.
fn amplifying() -> String {
    let bs: String = (0..400).map(|i| format!("<b id={i}>")).collect();
    format!(
        "<a href=/from-amplifying>x</a><p>{bs}</p>{}",
        "<p>x</p>".repeat(30_000)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_pages_fail_alone_with_their_reason() {
    let healthy = |n: u32| Reply::html(format!("<a href=/page-{n}-link>l</a>"));
    let server = TestServer::start(
        Routes::new()
            .route("/deep", Reply::html(deep()))
            .route("/amplifying", Reply::html(amplifying()))
            .route("/h1", healthy(1))
            .route("/h2", healthy(2))
            .route("/h3", healthy(3)),
    );
    let paths = ["/deep", "/amplifying", "/h1", "/h2", "/h3"];
    let cfg = config().respect_robots(false).build().expect("config");
    let done = crawl(cfg, paths.iter().map(|p| server.url(p))).await;
    let records = done.sink.records();

    let deep = record_of(&records, server.url("/deep").as_str());
    assert_eq!(deep.outcome, Outcome::Fetched);
    assert_eq!(
        done.links_of(server.url("/deep").as_str()),
        [server.url("/from-deep").to_string()]
    );

    let amplifying = record_of(&records, server.url("/amplifying").as_str());
    let (reason, message) = failure(amplifying);
    assert_eq!(reason, FailureKind::Parse, "{message}");
    assert!(message.contains("elements"), "{message}");
    assert!(done.links_of(server.url("/amplifying").as_str()).is_empty());
    assert_eq!(done.failures(FailureKind::Parse), 1);

    for n in 1..=3 {
        let url = server.url(&format!("/h{n}")).to_string();
        assert_eq!(record_of(&records, &url).outcome, Outcome::Fetched);
        assert_eq!(
            done.links_of(&url),
            [server.url(&format!("/page-{n}-link")).to_string()]
        );
    }
}

/// html5ever compares each attribute with the tag's earlier ones: a start tag of
/// 100,000 distinct attributes is quadratic in the tokenizer, below the tree builder,
/// so no cap on the tree helps. The page's deadline stops it between chunks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parse_past_the_deadline_fails_as_a_timeout() {
    let attrs: String = (0..100_000).map(|i| format!(" a{i}")).collect();
    let page = format!("<a href=/from-attrs>x</a><p{attrs}>");
    let server = TestServer::start(
        Routes::new()
            .route("/attrs", Reply::html(page))
            .route("/ok", Reply::html("<a href=/from-ok>x</a>")),
    );
    let cfg = config()
        .respect_robots(false)
        .timeout(Duration::from_secs(1))
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/attrs"), server.url("/ok")]).await;
    let records = done.sink.records();
    let attrs = record_of(&records, server.url("/attrs").as_str());
    let (reason, message) = failure(attrs);
    assert_eq!(reason, FailureKind::Timeout, "{message}");
    assert!(message.contains("parse"), "{message}");
    assert_eq!(attrs.attempts, 1, "a parse that timed out is not retried");
    let ok = record_of(&records, server.url("/ok").as_str());
    assert_eq!(ok.outcome, Outcome::Fetched);
}

/// The crawl's stop reaches a parse in progress: it ends between two chunks, and the
/// page is abandoned (no record), not failed. Without the check the parse of this
/// page (600,000 distinct attributes, quadratic in html5ever's tokenizer) runs for
/// minutes, past the hang guard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_ends_a_parse_between_chunks() {
    let attrs: String = (0..600_000).map(|i| format!(" a{i}")).collect();
    let page = format!("<a href=/from-attrs>x</a><p{attrs}>");
    let len = page.len() as u64;
    let server = std::sync::Arc::new(TestServer::start(
        Routes::new().route("/attrs", Reply::html(page).header("Connection", "close")),
    ));
    let cfg = config()
        .respect_robots(false)
        .timeout(Duration::from_secs(3600))
        .build()
        .expect("config");
    let cancel = tokio_util::sync::CancellationToken::new();
    let crawl = tokio::spawn(crate::support::crawl_until(
        cfg,
        [server.url("/attrs")],
        cancel.clone(),
        crawl::MemorySink::new(),
    ));
    // The whole body went out; give the client a moment to read it and start parsing.
    let conn = tokio::task::spawn_blocking({
        let server = server.clone();
        move || server.wait_conn_end("/attrs")
    })
    .await
    .expect("wait for the connection");
    assert!(conn.body_bytes >= len, "{conn:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    cancel.cancel();
    let done = crawl.await.expect("the crawl task");
    assert!(done.summary.interrupted, "{:?}", done.summary);
    assert!(done.sink.records().is_empty(), "{:#?}", done.sink.records());
    assert_eq!(done.summary.failed(), 0, "{:?}", done.summary);
}
