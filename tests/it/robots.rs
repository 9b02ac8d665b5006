//! robots.txt: obeyed by default, ignored on request, fetched once per host.

use crate::support::{Reply, Routes, TestServer, capture_logs, config, crawl};

const PAGE: &str = r#"<html><body><a href="/x">x</a></body></html>"#;

fn server() -> TestServer {
    TestServer::start(
        Routes::new()
            .robots("User-agent: *\nDisallow: /private\n")
            .route("/private/page", Reply::html(PAGE))
            .route("/public", Reply::html(PAGE))
            .route("/to-private", Reply::redirect(302, "/private/page")),
    )
}

#[tokio::test]
async fn a_disallowed_path_is_never_requested_and_warned_once() {
    let server = server();
    let (logs, _guard) = capture_logs();
    let done = crawl(
        config().build().expect("config"),
        [server.url("/private/page"), server.url("/public")],
    )
    .await;
    assert_eq!(server.hits("/private/page"), 0);
    assert_eq!(server.hits("/public"), 1);
    assert_eq!(server.hits("/robots.txt"), 1);
    assert_eq!(done.summary.robots_denied, 1);
    assert_eq!(
        done.pairs(),
        [(server.url_str("/public"), server.url_str("/x"))]
    );
    logs.one_warning(&[&server.url_str("/private/page"), "robots.txt"]);
}

#[tokio::test]
async fn a_redirect_into_a_disallowed_path_is_not_followed() {
    let server = server();
    let (logs, _guard) = capture_logs();
    let done = crawl(
        config().build().expect("config"),
        [server.url("/to-private")],
    )
    .await;
    assert_eq!(server.hits("/to-private"), 1);
    assert_eq!(server.hits("/private/page"), 0);
    assert!(done.pairs().is_empty());
    logs.one_warning(&[
        &server.url_str("/to-private"),
        "/private/page",
        "robots.txt",
    ]);
}

#[tokio::test]
async fn ignoring_robots_fetches_it_and_never_reads_robots_txt() {
    let server = server();
    let cfg = config().respect_robots(false).build().expect("config");
    let done = crawl(cfg, [server.url("/private/page")]).await;
    assert_eq!(server.hits("/private/page"), 1);
    assert_eq!(server.hits("/robots.txt"), 0);
    assert_eq!(done.summary.robots_denied, 0);
    assert_eq!(done.pairs().len(), 1);
}

#[tokio::test]
async fn a_missing_robots_txt_allows_everything() {
    let server = TestServer::start(Routes::new().route("/private/page", Reply::html(PAGE)));
    let (logs, _guard) = capture_logs();
    let done = crawl(
        config().build().expect("config"),
        [server.url("/private/page")],
    )
    .await;
    assert_eq!(server.hits("/robots.txt"), 1);
    assert_eq!(server.hits("/private/page"), 1);
    assert_eq!(done.pairs().len(), 1);
    assert!(logs.warnings().is_empty(), "{:#?}", logs.warnings());
}

#[tokio::test]
async fn robots_txt_is_read_once_for_many_pages() {
    let mut routes = Routes::new().robots("User-agent: *\nDisallow: /no\n");
    for i in 0..20 {
        routes = routes.route(format!("/p/{i}"), Reply::html(PAGE));
    }
    let server = TestServer::start(routes);
    let done = crawl(
        config().build().expect("config"),
        (0..20).map(|i| server.url(&format!("/p/{i}"))),
    )
    .await;
    assert_eq!(done.summary.pages, 20);
    assert_eq!(server.hits("/robots.txt"), 1);
}

#[tokio::test]
async fn an_unreachable_robots_txt_disallows_the_host() {
    // RFC 9309 2.3.1.4: a 5xx robots.txt means "assume complete disallow".
    let server = TestServer::start(
        Routes::new()
            .route("/robots.txt", Reply::status(500, "oops"))
            .route("/page", Reply::html(PAGE)),
    );
    let (logs, _guard) = capture_logs();
    let done = crawl(config().build().expect("config"), [server.url("/page")]).await;
    assert_eq!(server.hits("/page"), 0);
    assert!(done.pairs().is_empty());
    assert_eq!(done.summary.failed(), 1, "{:?}", done.summary);
    logs.one_warning(&[&server.url_str("/page"), "robots.txt"]);
}

#[tokio::test]
async fn a_robots_txt_that_never_answers_fails_the_page_in_time() {
    let server = TestServer::start(
        Routes::new()
            .route("/robots.txt", Reply::Silence)
            .route("/page", Reply::html(PAGE)),
    );
    let (logs, _guard) = capture_logs();
    let cfg = config()
        .timeout(std::time::Duration::from_secs(1))
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/page")]).await;
    assert_eq!(server.hits("/page"), 0);
    assert_eq!(
        done.failures(crawl::FailureKind::Timeout),
        1,
        "{:?}",
        done.summary
    );
    logs.one_warning(&[&server.url_str("/page"), "robots.txt"]);
    assert!(server.wait_conn_end("/robots.txt").client_closed);
}
