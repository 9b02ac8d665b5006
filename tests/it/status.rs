//! Error statuses and content types: what is parsed, what is skipped, what is counted.

use crawl::FailureKind;

use crate::support::{Reply, Routes, TestServer, capture_logs, config, crawl};

const LINKS: &str = r#"<html><body><a href="/x">x</a> <a href="/y">y</a></body></html>"#;

async fn one_status(status: u16, kind: FailureKind, reason: &str) {
    let path = format!("/status/{status}");
    let server = TestServer::start(Routes::new().route(&path, Reply::status(status, LINKS)));
    let (logs, _guard) = capture_logs();
    let done = crawl(config().build().expect("config"), [server.url(&path)]).await;
    assert!(done.pairs().is_empty(), "{:?}", done.pairs());
    assert_eq!(done.summary.pages, 0);
    assert_eq!(done.failures(kind), 1, "{:?}", done.summary);
    logs.one_warning(&[&server.url_str(&path), &status.to_string(), reason]);
    assert_eq!(server.hits(&path), 1, "not retried");
}

#[tokio::test]
async fn a_404_with_links_gives_none_and_one_warning() {
    one_status(404, FailureKind::ClientError, "Not Found").await;
}

#[tokio::test]
async fn a_500_with_links_gives_none_and_one_warning() {
    one_status(500, FailureKind::ServerError, "Internal Server Error").await;
}

#[tokio::test]
async fn a_410_is_a_client_error_too() {
    one_status(410, FailureKind::ClientError, "Gone").await;
}

#[tokio::test]
async fn non_html_types_are_skipped_and_counted() {
    let text = "see https://example.com/a and <a href=\"/b\">b</a>";
    let server = TestServer::start(
        Routes::new()
            .route(
                "/doc.pdf",
                Reply::typed(Some("application/pdf"), "%PDF-1.4 <a href=\"/p\">"),
            )
            .route(
                "/blob",
                Reply::typed(Some("application/octet-stream"), LINKS),
            )
            .route("/notes.txt", Reply::typed(Some("text/plain"), text))
            .route(
                "/feed.json",
                Reply::typed(
                    Some("application/json; charset=utf-8"),
                    "{\"a\":\"<a href=/j>\"}",
                ),
            ),
    );
    let (logs, _guard) = capture_logs();
    let paths = ["/doc.pdf", "/blob", "/notes.txt", "/feed.json"];
    let done = crawl(
        config().build().expect("config"),
        paths.iter().map(|p| server.url(p)),
    )
    .await;
    assert!(done.pairs().is_empty(), "{:?}", done.pairs());
    assert_eq!(done.summary.non_html, 4);
    assert_eq!(done.summary.pages, 0);
    assert_eq!(done.summary.failed(), 0, "skipping is not failing");
    assert!(logs.warnings().is_empty(), "{:#?}", logs.warnings());
}

#[tokio::test]
async fn xhtml_and_html_with_parameters_are_parsed() {
    let server = TestServer::start(
        Routes::new()
            .route(
                "/x.xhtml",
                Reply::typed(Some("application/xhtml+xml"), LINKS),
            )
            .route(
                "/upper.html",
                Reply::typed(Some("TEXT/HTML; Charset=UTF-8"), LINKS),
            ),
    );
    let done = crawl(
        config().build().expect("config"),
        [server.url("/x.xhtml"), server.url("/upper.html")],
    )
    .await;
    assert_eq!(done.summary.pages, 2);
    assert_eq!(done.summary.non_html, 0);
    assert_eq!(done.links_of(&server.url_str("/x.xhtml")).len(), 2);
    assert_eq!(done.links_of(&server.url_str("/upper.html")).len(), 2);
}

#[tokio::test]
async fn without_content_type_html_is_sniffed() {
    let server = TestServer::start(
        Routes::new()
            .route(
                "/doctype",
                Reply::typed(None, format!("\n  <!DOCTYPE html>{LINKS}")),
            )
            .route("/anchor", Reply::typed(None, "<a href=\"/z\">z</a>")),
    );
    let done = crawl(
        config().build().expect("config"),
        [server.url("/doctype"), server.url("/anchor")],
    )
    .await;
    assert_eq!(done.summary.pages, 2, "{:?}", done.summary);
    assert_eq!(
        done.links_of(&server.url_str("/doctype")),
        [server.url_str("/x"), server.url_str("/y")]
    );
    assert_eq!(
        done.links_of(&server.url_str("/anchor")),
        [server.url_str("/z")]
    );
}

#[tokio::test]
async fn without_content_type_other_bytes_are_skipped() {
    let server = TestServer::start(
        Routes::new()
            .route("/pdf", Reply::typed(None, "%PDF-1.7\n<a href=\"/p\">p</a>"))
            .route(
                "/text",
                Reply::typed(None, "plain words, then <a href=\"/t\">t</a>"),
            )
            .route(
                "/abbr",
                Reply::typed(None, "<abbr>not a tag the sniffer knows</abbr><a href=/q>"),
            ),
    );
    let done = crawl(
        config().build().expect("config"),
        [server.url("/pdf"), server.url("/text"), server.url("/abbr")],
    )
    .await;
    assert!(done.pairs().is_empty(), "{:?}", done.pairs());
    assert_eq!(done.summary.non_html, 3, "{:?}", done.summary);
}

/// The MIME Sniffing standard treats an unparsable supplied type, and the "unknown"
/// types `unknown/unknown`, `application/unknown` and `*/*`, as no type at all: the
/// bytes decide.
#[tokio::test]
async fn an_unknown_or_unparsable_content_type_is_sniffed() {
    let types = ["", "html", "unknown/unknown", "application/unknown", "*/*"];
    let mut routes = Routes::new();
    for (i, t) in types.iter().enumerate() {
        routes = routes.route(format!("/t{i}"), Reply::typed(Some(t), LINKS));
    }
    let server = TestServer::start(routes);
    let done = crawl(
        config().build().expect("config"),
        (0..types.len()).map(|i| server.url(&format!("/t{i}"))),
    )
    .await;
    for (i, t) in types.iter().enumerate() {
        assert_eq!(
            done.links_of(&server.url_str(&format!("/t{i}"))).len(),
            2,
            "Content-Type {t:?}: {:?}",
            done.summary
        );
    }
}
