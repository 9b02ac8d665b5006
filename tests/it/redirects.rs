//! Redirects: chains, loops, limits, relative and refused locations.

use crawl::FailureKind;

use crate::support::{Reply, Routes, TestServer, capture_logs, config, crawl};

const PAGE: &str = r#"<html><body><a href="found.html">found</a></body></html>"#;

#[tokio::test]
async fn a_three_hop_chain_succeeds() {
    let server = TestServer::start(
        Routes::new()
            .route("/r1", Reply::redirect(301, "/r2"))
            .route("/r2", Reply::redirect(302, "/r3"))
            .route("/r3", Reply::redirect(307, "/final/page.html"))
            .route("/final/page.html", Reply::html(PAGE)),
    );
    let (logs, _guard) = capture_logs();
    let done = crawl(config().build().expect("config"), [server.url("/r1")]).await;
    assert_eq!(
        done.pairs(),
        [(server.url_str("/r1"), server.url_str("/final/found.html"))]
    );
    assert_eq!(done.summary.failed(), 0);
    for path in ["/r1", "/r2", "/r3", "/final/page.html"] {
        assert_eq!(server.hits(path), 1, "{path}");
    }
    assert!(logs.warnings().is_empty(), "{:#?}", logs.warnings());
}

#[tokio::test]
async fn a_redirect_loop_fails_with_one_warning() {
    let server = TestServer::start(
        Routes::new()
            .route("/loop/a", Reply::redirect(302, "/loop/b"))
            .route("/loop/b", Reply::redirect(302, "/loop/a")),
    );
    let (logs, _guard) = capture_logs();
    let done = crawl(config().build().expect("config"), [server.url("/loop/a")]).await;
    assert!(done.pairs().is_empty());
    assert_eq!(done.failures(FailureKind::RedirectLoop), 1);
    logs.one_warning(&[&server.url_str("/loop/a"), "redirect loop"]);
    assert_eq!(
        server.hits("/loop/a"),
        1,
        "the loop is seen before going round again"
    );
    assert_eq!(server.hits("/loop/b"), 1);
}

#[tokio::test]
async fn a_self_redirect_is_a_loop() {
    let server = TestServer::start(Routes::new().route("/me", Reply::redirect(301, "/me")));
    let (logs, _guard) = capture_logs();
    let done = crawl(config().build().expect("config"), [server.url("/me")]).await;
    assert_eq!(done.failures(FailureKind::RedirectLoop), 1);
    logs.one_warning(&[&server.url_str("/me"), "redirect loop"]);
    assert_eq!(server.hits("/me"), 1);
}

#[tokio::test]
async fn a_thirty_hop_chain_stops_at_the_limit() {
    let mut routes = Routes::new();
    for i in 0..30 {
        routes = routes.route(
            format!("/hop/{i}"),
            Reply::redirect(302, &format!("/hop/{}", i + 1)),
        );
    }
    let server = TestServer::start(routes.route("/hop/30", Reply::html(PAGE)));
    let (logs, _guard) = capture_logs();
    let limit = 10;
    let cfg = config().max_redirects(limit).respect_robots(false).build();
    let done = crawl(cfg.expect("config"), [server.url("/hop/0")]).await;
    assert!(done.pairs().is_empty());
    assert_eq!(done.failures(FailureKind::TooManyRedirects), 1);
    logs.one_warning(&[&server.url_str("/hop/0"), "redirects"]);
    assert_eq!(
        server.total_hits(),
        limit as u64 + 1,
        "{:#?}",
        server.requests()
    );
    assert_eq!(server.hits(&format!("/hop/{limit}")), 1);
    assert_eq!(server.hits(&format!("/hop/{}", limit + 1)), 0);
}

#[tokio::test]
async fn a_relative_location_resolves_against_the_redirecting_url() {
    let server = TestServer::start(
        Routes::new()
            .route("/a/b/start", Reply::redirect(302, "../c/next?x=1"))
            .route("/a/c/next?x=1", Reply::html(PAGE)),
    );
    let done = crawl(
        config().build().expect("config"),
        [server.url("/a/b/start")],
    )
    .await;
    assert_eq!(done.summary.failed(), 0);
    assert_eq!(server.hits("/a/c/next?x=1"), 1);
    assert_eq!(
        done.links_of(&server.url_str("/a/b/start")),
        [server.url_str("/a/c/found.html")]
    );
}

#[tokio::test]
async fn a_redirect_to_ftp_is_refused_and_nothing_else_is_requested() {
    let server = TestServer::start(
        Routes::new().route("/to-ftp", Reply::redirect(301, "ftp://127.0.0.1/file")),
    );
    let (logs, _guard) = capture_logs();
    let cfg = config().respect_robots(false).build().expect("config");
    let done = crawl(cfg, [server.url("/to-ftp")]).await;
    assert!(done.pairs().is_empty());
    assert_eq!(done.failures(FailureKind::RedirectScheme), 1);
    logs.one_warning(&[&server.url_str("/to-ftp"), "ftp://127.0.0.1/file"]);
    assert_eq!(server.total_hits(), 1, "{:#?}", server.requests());
}

#[tokio::test]
async fn a_302_without_location_fails_and_its_body_is_not_parsed() {
    let server = TestServer::start(Routes::new().route(
        "/nowhere",
        Reply::Redirect {
            status: 302,
            location: None,
        },
    ));
    let (logs, _guard) = capture_logs();
    let done = crawl(config().build().expect("config"), [server.url("/nowhere")]).await;
    assert!(done.pairs().is_empty(), "{:?}", done.pairs());
    assert_eq!(done.failures(FailureKind::BadRedirect), 1);
    logs.one_warning(&[&server.url_str("/nowhere"), "302", "Location"]);
    assert_eq!(server.hits("/nowhere"), 1);
}

#[tokio::test]
async fn a_utf8_location_is_percent_encoded() {
    let server = TestServer::start(
        Routes::new()
            .route("/start", Reply::redirect(302, "/caf\u{e9}?q=\u{e9}"))
            .route("/caf%C3%A9?q=%C3%A9", Reply::html(PAGE)),
    );
    let done = crawl(config().build().expect("config"), [server.url("/start")]).await;
    assert_eq!(done.summary.failed(), 0, "{:#?}", server.requests());
    assert_eq!(server.hits("/caf%C3%A9?q=%C3%A9"), 1);
    assert_eq!(done.pairs().len(), 1);
}

#[tokio::test]
async fn a_redirect_keeps_the_fragment_out_of_the_request() {
    let server = TestServer::start(
        Routes::new()
            .route("/start", Reply::redirect(301, "/target#part"))
            .route("/target", Reply::html(PAGE)),
    );
    let done = crawl(config().build().expect("config"), [server.url("/start")]).await;
    assert_eq!(server.hits("/target"), 1);
    assert_eq!(
        done.pages()[0]
            .final_url()
            .map(|u| u.to_string())
            .unwrap_or_default(),
        server.url_str("/target")
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_obeys_that_hosts_robots_txt() {
    let b = TestServer::start_on(
        "127.0.0.2",
        Routes::new()
            .robots("User-agent: *\nDisallow: /private\n")
            .route("/private", Reply::html(PAGE)),
    );
    let a =
        TestServer::start(Routes::new().route("/go", Reply::redirect(302, &b.url_str("/private"))));
    let (logs, _guard) = capture_logs();
    let done = crawl(config().build().expect("config"), [a.url("/go")]).await;
    assert_eq!(a.hits("/go"), 1);
    assert_eq!(b.hits("/robots.txt"), 1);
    assert_eq!(b.hits("/private"), 0);
    assert!(done.pairs().is_empty());
    logs.one_warning(&[&a.url_str("/go"), &b.url_str("/private"), "robots.txt"]);
}
