//! A list crawl end to end: the pairs of a small fixture site.

use crate::support::{Reply, Routes, TestServer, capture_logs, config, crawl};

fn site() -> TestServer {
    TestServer::start(
        Routes::new()
            .fixture("/index.html", "site/index.html")
            .fixture("/a.html", "site/a.html")
            .fixture("/b.html", "site/b.html")
            .fixture("/sub/d.html", "site/sub/d.html")
            .route("/old/", Reply::redirect(301, "/docs/guide/page.html"))
            .fixture("/docs/guide/page.html", "site/docs/page.html"),
    )
}

#[tokio::test]
async fn pairs_are_exactly_the_sites_links() {
    let server = site();
    let (logs, _guard) = capture_logs();
    let listed = ["/index.html", "/a.html", "/b.html", "/sub/d.html"];
    let done = crawl(
        config().build().expect("config"),
        listed.iter().map(|p| server.url(p)),
    )
    .await;

    let u = |p: &str| server.url_str(p);
    let mut expected: Vec<(String, String)> = [
        ("/index.html", u("/a.html")),
        ("/index.html", u("/b.html")),
        ("/index.html", u("/c.html")),
        ("/index.html", u("/sub/d.html")),
        ("/index.html", "http://other.invalid/x?y=1".to_owned()),
        ("/index.html", u("/map.html")),
        ("/a.html", u("/index.html")),
        ("/a.html", u("/up.html")),
        ("/a.html", u("/b.html?q=1&r=2")),
        ("/sub/d.html", u("/a.html")),
        ("/sub/d.html", u("/sub/e.html")),
        (
            "/sub/d.html",
            "http://other.invalid/scheme-relative".to_owned(),
        ),
    ]
    .into_iter()
    .map(|(s, t)| (u(s), t))
    .collect();
    let mut got = done.pairs();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(done.summary.pages, 4);
    assert_eq!(done.summary.pages_written, 4);
    assert_eq!(done.summary.links_written, 12);
    assert!(logs.warnings().is_empty(), "{:#?}", logs.warnings());
    assert!(logs.errors().is_empty(), "{:#?}", logs.errors());
    for path in listed {
        assert_eq!(server.hits(path), 1, "{path}");
    }
}

#[tokio::test]
async fn each_target_once_per_source_in_document_order() {
    let server = site();
    let done = crawl(
        config().build().expect("config"),
        [server.url("/index.html")],
    )
    .await;
    let u = |p: &str| server.url_str(p);
    assert_eq!(
        done.links_of(&u("/index.html")),
        [
            u("/a.html"),
            u("/b.html"),
            u("/c.html"),
            u("/sub/d.html"),
            "http://other.invalid/x?y=1".to_owned(),
            u("/map.html"),
        ]
    );
}

#[tokio::test]
async fn source_is_the_listed_url_without_its_fragment() {
    let server = site();
    let listed = server.url("/index.html#top");
    let done = crawl(config().build().expect("config"), [listed]).await;
    let pages = done.pages();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].source().as_str(), server.url_str("/index.html"));
    assert_eq!(server.hits("/index.html"), 1);
}

#[tokio::test]
async fn links_resolve_against_the_final_url_after_a_redirect() {
    let server = site();
    let done = crawl(config().build().expect("config"), [server.url("/old/")]).await;
    let pages = done.pages();
    assert_eq!(pages.len(), 1, "{pages:#?}");
    let page = &pages[0];
    assert_eq!(
        page.source().as_str(),
        server.url_str("/old/"),
        "source is as listed"
    );
    assert_eq!(
        page.final_url().map(|u| u.as_str()).unwrap_or_default(),
        server.url_str("/docs/guide/page.html")
    );
    assert_eq!(
        done.links_of(&server.url_str("/old/")),
        [
            server.url_str("/docs/guide/next.html"),
            server.url_str("/docs/index.html")
        ]
    );
}

#[tokio::test]
async fn chunk_boundaries_do_not_matter() {
    let page = crate::support::fixture("site/index.html");
    // Cut anywhere, tags and attribute values included, with one-byte chunks too.
    let n = page.len();
    let cuts = [
        0,
        7,
        n / 3,
        n / 3 + 1,
        n / 2,
        n / 2 + 1,
        n / 2 + 2,
        2 * n / 3,
        n,
    ];
    let chunks = cuts.windows(2).map(|w| page[w[0]..w[1]].to_vec()).collect();
    let server = TestServer::start(Routes::new().route("/index.html", Reply::Chunked(chunks)));
    let whole = site();
    let chunked = crawl(
        config().build().expect("config"),
        [server.url("/index.html")],
    )
    .await;
    let plain = crawl(
        config().build().expect("config"),
        [whole.url("/index.html")],
    )
    .await;
    let strip = |links: Vec<String>, s: &TestServer| -> Vec<String> {
        let base = s.url_str("");
        links.into_iter().map(|l| l.replace(&base, "")).collect()
    };
    let a = strip(chunked.links_of(&server.url_str("/index.html")), &server);
    let b = strip(plain.links_of(&whole.url_str("/index.html")), &whole);
    assert_eq!(a.len(), 6, "{a:?}");
    assert_eq!(a, b);
}

#[tokio::test]
async fn every_request_carries_the_user_agent() {
    let server = site();
    crawl(
        config().build().expect("config"),
        [server.url("/index.html")],
    )
    .await;
    let requests = server.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/robots.txt", "/index.html"], "robots.txt first");
    for r in &requests {
        let ua = r.header("user-agent").unwrap_or_default();
        assert_eq!(ua, crawl::config::DEFAULT_USER_AGENT, "{}", r.path);
    }
}

#[tokio::test]
async fn a_body_ended_by_the_server_closing_is_read_whole() {
    let page = crate::support::fixture("site/a.html");
    let server =
        TestServer::start(Routes::new().route("/a.html", Reply::html(page).without_length()));
    let done = crawl(config().build().expect("config"), [server.url("/a.html")]).await;
    assert_eq!(
        done.links_of(&server.url_str("/a.html")).len(),
        3,
        "{:?}",
        done.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_page_is_parsed_whole() {
    // Over the size that is parsed off the async workers; links at both ends.
    let mut page = String::from("<!DOCTYPE html><html><body><a href=\"/first\">first</a>");
    while page.len() < 600 * 1024 {
        page.push_str("<p>filler text without links, to make the page large.</p>\n");
    }
    page.push_str("<a href=\"/last\">last</a></body></html>");
    let server = TestServer::start(Routes::new().route("/big", Reply::html(page)));
    let done = crawl(config().build().expect("config"), [server.url("/big")]).await;
    assert_eq!(
        done.links_of(&server.url_str("/big")),
        [server.url_str("/first"), server.url_str("/last")]
    );
}

#[tokio::test]
async fn depth_one_follows_same_host_links_once_and_no_further() {
    let server = site();
    let cfg = config().depth(1).build().expect("config");
    let done = crawl(cfg, [server.url("/index.html")]).await;
    // Depth 1: index's same-host links, each fetched once; other.invalid never.
    for path in [
        "/index.html",
        "/a.html",
        "/b.html",
        "/c.html",
        "/sub/d.html",
        "/map.html",
    ] {
        assert_eq!(server.hits(path), 1, "{path}");
    }
    // Depth 2 links (from a.html and d.html) are written but not fetched.
    for path in ["/up.html", "/sub/e.html", "/b.html?q=1&r=2"] {
        assert_eq!(server.hits(path), 0, "{path}");
    }
    let sources: std::collections::BTreeSet<String> = done
        .pages()
        .iter()
        .map(|p| p.source().to_string())
        .collect();
    let expected: std::collections::BTreeSet<String> =
        ["/index.html", "/a.html", "/b.html", "/sub/d.html"]
            .iter()
            .map(|p| server.url_str(p))
            .collect();
    assert_eq!(sources, expected);
    assert_eq!(
        done.failures(crawl::FailureKind::ClientError),
        2,
        "c.html and map.html"
    );
}
