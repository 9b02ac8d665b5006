//! Retries: what is retried, how often, and that a recovered page is written once.

use std::time::Duration;

use crawl::FailureKind;

use crate::support::{Reply, Routes, TestServer, capture_logs, config, crawl};

const PAGE: &str = r#"<html><body><a href="/one">1</a><a href="/two">2</a></body></html>"#;

fn retrying() -> crawl::ConfigBuilder {
    config().retries(2).retry_base(Duration::from_millis(10))
}

#[tokio::test]
async fn a_503_that_recovers_is_fetched_twice_and_written_once() {
    let server = TestServer::start(Routes::new().route(
        "/flaky",
        Reply::Sequence(vec![Reply::status(503, PAGE), Reply::html(PAGE)]),
    ));
    let (logs, _guard) = capture_logs();
    let done = crawl(retrying().build().expect("config"), [server.url("/flaky")]).await;
    assert_eq!(server.hits("/flaky"), 2);
    assert_eq!(done.summary.retries, 1);
    assert_eq!(done.summary.failed(), 0);
    assert_eq!(
        done.pairs(),
        [
            (server.url_str("/flaky"), server.url_str("/one")),
            (server.url_str("/flaky"), server.url_str("/two")),
        ]
    );
    assert!(logs.warnings().is_empty(), "{:#?}", logs.warnings());
}

#[tokio::test]
async fn a_404_is_not_retried() {
    let server = TestServer::start(Routes::new().route("/gone", Reply::status(404, PAGE)));
    let done = crawl(retrying().build().expect("config"), [server.url("/gone")]).await;
    assert_eq!(server.hits("/gone"), 1);
    assert_eq!(done.summary.retries, 0);
    assert_eq!(done.failures(FailureKind::ClientError), 1);
}

#[tokio::test]
async fn a_500_is_not_retried() {
    let server = TestServer::start(Routes::new().route("/broken", Reply::status(500, PAGE)));
    let done = crawl(retrying().build().expect("config"), [server.url("/broken")]).await;
    assert_eq!(server.hits("/broken"), 1);
    assert_eq!(done.failures(FailureKind::ServerError), 1);
}

#[tokio::test]
async fn a_503_that_never_recovers_is_tried_retries_plus_one_times() {
    let server = TestServer::start(Routes::new().route("/down", Reply::status(503, PAGE)));
    let (logs, _guard) = capture_logs();
    let done = crawl(retrying().build().expect("config"), [server.url("/down")]).await;
    assert_eq!(server.hits("/down"), 3);
    assert_eq!(done.summary.retries, 2);
    assert_eq!(done.failures(FailureKind::ServerError), 1);
    assert!(done.pairs().is_empty());
    logs.one_warning(&[&server.url_str("/down"), "503", "2 retries"]);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = TestServer::start(Routes::new().route(
        "/later",
        Reply::Sequence(vec![
            Reply::status(429, PAGE).header("Retry-After", "1"),
            Reply::html(PAGE),
        ]),
    ));
    let started = std::time::Instant::now();
    let done = crawl(retrying().build().expect("config"), [server.url("/later")]).await;
    assert_eq!(server.hits("/later"), 2);
    assert_eq!(done.pairs().len(), 2);
    // Not a timing assertion on speed: the retry must not come before the server said.
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn a_long_retry_after_is_capped() {
    let server = TestServer::start(Routes::new().route(
        "/later",
        Reply::Sequence(vec![
            Reply::status(503, PAGE).header("Retry-After", "3600"),
            Reply::html(PAGE),
        ]),
    ));
    let cfg = retrying()
        .max_retry_after(Duration::from_millis(200))
        .build()
        .expect("config");
    // Under the hang guard: an uncapped hold of an hour fails the test.
    let done = crawl(cfg, [server.url("/later")]).await;
    assert_eq!(server.hits("/later"), 2);
    assert_eq!(done.pairs().len(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/page");
    let (logs, _guard) = capture_logs();
    let cfg = retrying().respect_robots(false).build().expect("config");
    let done = crawl(cfg, [url::Url::parse(&url).expect("url")]).await;
    assert_eq!(done.failures(FailureKind::Connect), 1, "{:?}", done.summary);
    assert_eq!(done.summary.retries, 2);
    logs.one_warning(&[&url, "refused"]);
}
