//! What a page or a server must not be able to make the crawler do: request anything
//! but http and https (also after a redirect), read a local file, write outside its
//! output, or, with `--block-private`, reach a loopback or private address, by literal
//! or by a name that resolves to one.
//!
//! Every target here is on loopback: a hostile link names this test's own server
//! under another scheme, so a request the crawler should not have made shows up in the
//! server's hit counts instead of going anywhere.

use std::collections::BTreeSet;

use crawl::FailureKind;

use crate::support::{Bin, Reply, Routes, TestServer, capture_logs, config, crawl};

/// A page whose links use every scheme but http(s), each aimed at `target`'s port,
/// and two http links to it: one fine, one redirecting to a local file.
fn hostile_links(target: &TestServer) -> String {
    let port = target.addr().port();
    let ok = target.url_str("/ok");
    let to_file = target.url_str("/to-file");
    format!(
        r#"<!DOCTYPE html><html><body>
        <a href="file:///etc/passwd">passwd</a>
        <a href="file://localhost/etc/hostname">hostname</a>
        <a href="ftp://127.0.0.1:{port}/ftp">ftp</a>
        <a href="gopher://127.0.0.1:{port}/gopher">gopher</a>
        <a href="ws://127.0.0.1:{port}/ws">ws</a>
        <a href="data:text/html,%3Ca%20href%3D%22/from-data%22%3Ex%3C/a%3E">data</a>
        <a href="javascript:fetch('/from-js')">js</a>
        <a href="JAVASCRIPT:fetch('/from-js-upper')">JS</a>
        <a href=" java&#x09;script:fetch('/from-js-tab')">js with a tab</a>
        <a href="vbscript:x">vbs</a>
        <a href="mailto:a@127.0.0.1">mail</a>
        <a href="view-source:http://127.0.0.1:{port}/view-source">view-source</a>
        <a href="blob:http://127.0.0.1:{port}/blob">blob</a>
        <a href="{ok}">ok</a>
        <a href="{to_file}">redirects to a file</a>
        </body></html>"#
    )
}

#[tokio::test]
async fn only_http_and_https_are_written_or_requested_also_after_redirects() {
    let target = TestServer::start(
        Routes::new()
            .route("/ok", Reply::html("<p>fine</p>"))
            .route("/to-file", Reply::redirect(302, "file:///etc/passwd")),
    );
    // The page is on another server, so the target's hits are only what its links
    // caused.
    let page = TestServer::start(Routes::new().route("/", Reply::html(hostile_links(&target))));
    let (logs, _guard) = capture_logs();
    let cfg = config()
        .depth(1)
        .scope(crawl::Scope::Any)
        .respect_robots(false)
        .build()
        .expect("config");
    let done = crawl(cfg, [page.url("/")]).await;
    let targets: Vec<String> = done.pairs().into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        targets,
        [target.url_str("/ok"), target.url_str("/to-file")],
        "only the http links are written"
    );
    let paths: BTreeSet<String> = target.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        BTreeSet::from(["/ok".to_owned(), "/to-file".to_owned()]),
        "nothing else reached the server, under any scheme"
    );
    assert_eq!(target.total_hits(), 2);
    assert_eq!(page.total_hits(), 1);
    assert_eq!(
        done.failures(FailureKind::RedirectScheme),
        1,
        "{:?}",
        done.summary
    );
    logs.one_warning(&[&target.url_str("/to-file"), "file:///etc/passwd", "refused"]);
}

#[tokio::test]
async fn a_listed_url_redirecting_to_a_file_is_refused() {
    let server = TestServer::start(
        Routes::new()
            .route("/a", Reply::redirect(301, "file:///etc/passwd"))
            .route("/b", Reply::redirect(308, "FILE:///etc/shadow"))
            .route("/c", Reply::redirect(307, "data:text/html,<a href=/x>")),
    );
    let (logs, _guard) = capture_logs();
    let cfg = config().respect_robots(false).build().expect("config");
    let done = crawl(cfg, ["/a", "/b", "/c"].map(|p| server.url(p))).await;
    assert!(done.pairs().is_empty());
    assert_eq!(
        done.failures(FailureKind::RedirectScheme),
        3,
        "{:?}",
        done.summary
    );
    assert_eq!(logs.warnings().len(), 3, "{:#?}", logs.warnings());
    assert_eq!(server.total_hits(), 3, "{:#?}", server.requests());
    assert_eq!(server.hits("/x"), 0);
}

/// The binary, recursive, over a page that points at a local HTML file (by link and
/// by redirect) whose own link names a path on the server: if the crawler ever read
/// that file, the server would see the request, or the output would hold the link.
/// Relative and encoded `..` links must not make it write anywhere but its output.
#[test]
fn no_link_makes_the_binary_read_a_local_file_or_write_elsewhere() {
    let bin = Bin::new();
    let local = bin.path("local.html");
    let file_url = format!("file://{}", local.display());
    let page = format!(
        r#"<a href="{file_url}">file</a>
        <a href="../../../../../../tmp/escape.tsv">up</a>
        <a href="%2e%2e/%2e%2e/%2e%2e/escape2.tsv">encoded up</a>
        <a href="/to-local">redirect to the file</a>"#
    );
    let server = TestServer::start(
        Routes::new()
            .route("/", Reply::html(page))
            .route("/to-local", Reply::redirect(302, &file_url)),
    );
    let bait = format!(
        "<a href=\"{}\">only in the local file</a>",
        server.url_str("/from-local-file")
    );
    std::fs::write(&local, bait).expect("write local.html");
    bin.write("urls.txt", format!("{}\n", server.url_str("/")));
    let run = bin.run(&[
        "urls.txt",
        "-o",
        "out.tsv",
        "--depth",
        "2",
        "--ignore-robots",
    ]);
    run.assert_code(0);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let out = bin.read("out.tsv");
    assert!(!out.contains("from-local-file"), "{out}");
    for line in out.lines() {
        let (_, target) = line.split_once('\t').expect("a pair");
        assert!(target.starts_with(&server.url_str("/")), "{line}");
    }
    assert!(
        run.stderr.contains(&file_url),
        "the refused redirect is named: {}",
        run.stderr
    );
    assert_eq!(server.hits("/from-local-file"), 0);
    // Nothing but the list, the output and the bait file in the directory.
    let mut names: Vec<String> = std::fs::read_dir(bin.path("."))
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["local.html", "out.tsv", "urls.txt"]);
    assert!(!std::path::Path::new("/tmp/escape.tsv").exists());
    assert!(!std::path::Path::new("/escape2.tsv").exists());
}

/// Crawls `urls` with `--block-private` (robots.txt on: it must not be fetched
/// either) and asserts that each gave one warning naming it and the refusal, that
/// nothing was written, and that `server` saw no request at all. Returns the crawl.
async fn refused(server: &TestServer, urls: &[String]) -> crate::support::Crawled {
    let (logs, _guard) = capture_logs();
    let cfg = config().block_private(true).build().expect("config");
    let parsed = urls.iter().map(|u| url::Url::parse(u).expect("test URL"));
    let done = crawl(cfg, parsed.collect::<Vec<_>>()).await;
    assert!(done.pairs().is_empty());
    assert_eq!(done.summary.listed, urls.len() as u64, "{:?}", done.summary);
    assert_eq!(
        done.summary.failed(),
        urls.len() as u64,
        "{:?}",
        done.summary
    );
    let warnings = logs.warnings();
    assert_eq!(warnings.len(), urls.len(), "{warnings:#?}");
    for url in urls {
        // The URL as the crawler serializes it: `127.1` is `127.0.0.1`.
        let shown = url::Url::parse(url).expect("test URL").to_string();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&shown) && w.contains("blocked address")),
            "no warning names {shown} as blocked: {warnings:#?}"
        );
    }
    assert_eq!(server.total_hits(), 0, "{:#?}", server.requests());
    done
}

/// [`refused`], and each refusal counted as [`FailureKind::Blocked`].
async fn all_blocked(server: &TestServer, urls: &[String]) {
    let done = refused(server, urls).await;
    assert_eq!(
        done.failures(FailureKind::Blocked),
        urls.len() as u64,
        "{:?}",
        done.summary
    );
}

#[tokio::test]
async fn block_private_refuses_a_listed_loopback_address() {
    let server = TestServer::start(Routes::new().route("/p", Reply::html("<a href=/x>x</a>")));
    all_blocked(&server, &[server.url_str("/p")]).await;
}

#[tokio::test]
async fn block_private_refuses_loopback_in_every_spelling() {
    // Decimal, hex, short and IPv4-mapped IPv6 forms of 127.0.0.1: the URL parser
    // normalizes the first three; the last is a different host that still connects to
    // this server if allowed.
    let server = TestServer::start(Routes::new().route("/p", Reply::html("<a href=/x>x</a>")));
    let port = server.addr().port();
    let urls: Vec<String> = [
        "127.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "[::ffff:127.0.0.1]",
        "[::1]",
    ]
    .iter()
    .enumerate()
    .map(|(i, host)| format!("http://{host}:{port}/p{i}"))
    .collect();
    all_blocked(&server, &urls).await;
}

#[tokio::test]
async fn block_private_refuses_a_name_that_resolves_to_loopback() {
    // `localhost` resolves to 127.0.0.1 (and ::1) through /etc/hosts: refused after
    // resolution, before any connection, robots.txt included.
    let server = TestServer::start(Routes::new().route("/p", Reply::html("<a href=/x>x</a>")));
    let port = server.addr().port();
    refused(&server, &[format!("http://localhost:{port}/p")]).await;
}

/// The refusal above is counted as a blocked address, not as a DNS failure (the
/// resolver's refusal passes through hyper-util's "dns error" wrapper).
#[tokio::test]
async fn block_private_counts_a_name_that_resolves_to_loopback_as_blocked() {
    let server = TestServer::start(Routes::new().route("/p", Reply::html("<a href=/x>x</a>")));
    let port = server.addr().port();
    all_blocked(&server, &[format!("http://localhost:{port}/p")]).await;
    // Also without robots.txt, where the page's own request is the one refused.
    let (logs, _guard) = capture_logs();
    let cfg = config()
        .block_private(true)
        .respect_robots(false)
        .build()
        .expect("config");
    let url = url::Url::parse(&format!("http://localhost:{port}/p")).expect("url");
    let done = crawl(cfg, [url]).await;
    assert_eq!(
        done.failures(FailureKind::Blocked),
        1,
        "{:?} {:?}",
        done.summary,
        logs.warnings()
    );
    assert_eq!(server.total_hits(), 0);
}

#[tokio::test]
async fn without_block_private_the_same_urls_are_fetched() {
    // The control: the refusals above are the option's doing.
    let server = TestServer::start(Routes::new().route("/p", Reply::html("<a href=/x>x</a>")));
    let port = server.addr().port();
    let cfg = config().respect_robots(false).build().expect("config");
    let urls = [
        server.url("/p"),
        url::Url::parse(&format!("http://localhost:{port}/p")).expect("url"),
    ];
    let done = crawl(cfg, urls).await;
    assert_eq!(done.summary.pages, 2, "{:?}", done.summary);
    assert_eq!(server.hits("/p"), 2);
}

#[test]
fn block_private_with_resolve_to_a_private_address_is_a_usage_error() {
    let bin = Bin::new();
    bin.write("urls.txt", "http://x.test/\n");
    let run = bin.run(&["--block-private", "--resolve", "x.test=127.0.0.1"]);
    run.assert_code(2);
    for needle in ["x.test", "127.0.0.1", "--block-private"] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    assert!(!bin.path("foundurls.txt").exists(), "nothing was run");
    // IPv6 loopback and the cloud metadata address are refused the same way (the
    // options are rejected: nothing is ever sent to them).
    for mapping in ["x.test=[::1]", "x.test=169.254.169.254", "x.test=10.0.0.1"] {
        let run = bin.run(&["--block-private", "--resolve", mapping]);
        run.assert_code(2);
        assert!(run.stderr.contains("--block-private"), "{}", run.stderr);
    }
}

/// The config for a crawl under `--block-private` in which `site.test` is the one
/// reachable "public" site: it resolves to `site`'s loopback address through
/// `resolve`, which bypasses the resolver's check. `build()` refuses that mapping to
/// users (tested above); a test sets it afterwards, as the one way to have a site the
/// guard lets through on a machine where every server is on loopback. Every IP
/// literal is still refused: that is what these tests watch.
fn site_config(site: &TestServer, build: crawl::ConfigBuilder) -> crawl::Config {
    let mut cfg = build.block_private(true).build().expect("config");
    cfg.resolve.push(("site.test".to_owned(), site.addr().ip()));
    cfg
}

fn site_url(site: &TestServer, path: &str) -> url::Url {
    url::Url::parse(&format!("http://site.test:{}{path}", site.addr().port())).expect("test URL")
}

/// A server on 127.0.0.2 that must never be asked anything.
fn forbidden() -> TestServer {
    TestServer::start_on(
        "127.0.0.2",
        Routes::new()
            .robots("User-agent: *\nAllow: /\n")
            .route("/", Reply::html("<a href=/x>x</a>")),
    )
}

#[tokio::test]
async fn block_private_refuses_a_redirect_and_a_link_to_a_literal() {
    let target = forbidden();
    let site = TestServer::start(
        Routes::new()
            .route("/r", Reply::redirect(302, &target.url_str("/")))
            .route(
                "/",
                Reply::html(format!(
                    r#"<a href="{}">literal</a> <a href="http://[::ffff:127.0.0.2]:{}/">mapped</a>"#,
                    target.url_str("/l"),
                    target.addr().port()
                )),
            ),
    );
    let (logs, _guard) = capture_logs();
    let cfg = site_config(&site, config().depth(1).scope(crawl::Scope::Any));
    let done = crawl(cfg, [site_url(&site, "/"), site_url(&site, "/r")]).await;
    assert_eq!(target.total_hits(), 0, "{:#?}", target.requests());
    assert_eq!(site.hits("/"), 1, "the site itself is reachable");
    assert_eq!(
        done.failures(FailureKind::Blocked),
        3,
        "{:?} {:#?}",
        done.summary,
        logs.warnings()
    );
}

#[tokio::test]
async fn block_private_refuses_robots_txt_redirecting_to_a_literal() {
    let target = forbidden();
    let site = TestServer::start(
        Routes::new()
            .route(
                "/robots.txt",
                Reply::redirect(301, &target.url_str("/robots.txt")),
            )
            .route("/p", Reply::html("<p>page</p>")),
    );
    let (logs, _guard) = capture_logs();
    let done = crawl(site_config(&site, config()), [site_url(&site, "/p")]).await;
    assert_eq!(target.total_hits(), 0, "{:#?}", target.requests());
    assert_eq!(site.hits("/robots.txt"), 1);
    // robots.txt is unreachable, so the page is not fetched: its failure says why.
    assert_eq!(site.hits("/p"), 0);
    assert_eq!(done.failures(FailureKind::Blocked), 1, "{:?}", done.summary);
    logs.one_warning(&["site.test", "blocked address 127.0.0.2", "robots.txt"]);
}

#[tokio::test]
async fn block_private_refuses_sitemaps_on_literals_and_their_redirects() {
    let target = forbidden();
    let site = TestServer::start_with_base("127.0.0.1", |base| {
        let port = base.rsplit(':').next().unwrap_or_default().to_owned();
        let t = target.addr();
        Routes::new()
            .robots(&format!(
                "User-agent: *\nAllow: /\nSitemap: http://{t}/listed.xml\nSitemap: http://site.test:{port}/pages.xml\n"
            ))
            .route("/", Reply::html("<p>home</p>"))
            .route("/sitemap.xml", Reply::redirect(302, &format!("http://{t}/moved.xml")))
            .route(
                "/pages.xml",
                Reply::typed(
                    Some("application/xml"),
                    format!(
                        "<urlset><url><loc>http://{t}/from-sitemap</loc></url>\
                         <url><loc>http://site.test:{port}/</loc></url></urlset>"
                    ),
                ),
            )
    });
    let cfg = site_config(&site, config().sitemap(true).scope(crawl::Scope::Any));
    let done = crawl(cfg, [site_url(&site, "/")]).await;
    assert_eq!(target.total_hits(), 0, "{:#?}", target.requests());
    assert_eq!(site.hits("/pages.xml"), 1, "the site's own sitemap is read");
    assert_eq!(site.hits("/sitemap.xml"), 1);
    assert!(done.summary.sitemaps >= 1, "{:?}", done.summary);
}

/// Issue 11, hole 1: a refused literal seed with `--sitemap` still had its robots.txt
/// fetched. Nothing at all may reach it.
#[tokio::test]
async fn block_private_with_sitemap_sends_nothing_to_a_listed_literal() {
    let server = TestServer::start(
        Routes::new()
            .robots("User-agent: *\nAllow: /\nSitemap: /s.xml\n")
            .route("/", Reply::html("<a href=/x>x</a>")),
    );
    let cfg = config()
        .block_private(true)
        .sitemap(true)
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/"), server.url("/other")]).await;
    assert_eq!(server.total_hits(), 0, "{:#?}", server.requests());
    assert_eq!(done.failures(FailureKind::Blocked), 2, "{:?}", done.summary);
}

/// Issue 11, hole 6: a password in a listed URL, in a link, or in a redirect never
/// reaches a log line, at any level; the output keeps links as the page has them, and
/// listed URLs without their userinfo.
#[tokio::test]
async fn passwords_never_reach_the_logs() {
    let server = TestServer::start_with_base("127.0.0.1", |base| {
        let with =
            |cred: &str, path: &str| base.replacen("http://", &format!("http://{cred}@"), 1) + path;
        Routes::new()
            .route(
                "/page",
                Reply::html(format!(
                    r#"<a href="{}">link with a password</a> <a href="/r">redirect</a>"#,
                    with("pageuser:pag3pw", "/linked")
                )),
            )
            .route(
                "/r",
                Reply::redirect(302, &with("locuser:l0cpw", "/missing")),
            )
    });
    let (logs, _guard) = capture_logs();
    let listed = |path: &str| {
        url::Url::parse(
            &server
                .url_str(path)
                .replacen("http://", "http://me:s3cret@", 1),
        )
        .expect("test URL")
    };
    let cfg = config().depth(1).build().expect("config");
    let done = crawl(cfg, [listed("/page"), listed("/gone")]).await;
    assert!(server.hits("/missing") >= 1 && server.hits("/gone") == 1);
    let events = logs.all();
    assert!(
        logs.warnings().iter().any(|w| w.contains("/gone")),
        "{:#?}",
        logs.warnings()
    );
    for secret in ["s3cret", "pag3pw", "l0cpw"] {
        for event in &events {
            assert!(
                !event.message.contains(secret),
                "{secret}: {}",
                event.message
            );
        }
        for span in logs.opened("page") {
            assert!(!span.fields.contains(secret), "{secret}: {}", span.fields);
        }
    }
    // The page's own link is data, written as found; the listed URL lost its userinfo.
    let links = done.links_of(&server.url_str("/page"));
    assert!(
        links.iter().any(|l| l.contains("pageuser:pag3pw@")),
        "{links:?}"
    );
    for (source, _) in done.pairs() {
        assert!(!source.contains("s3cret"), "{source}");
    }
}

#[test]
fn passwords_never_reach_the_binarys_stderr() {
    let server = TestServer::start(Routes::new().route("/p", Reply::html("<a href=/q>q</a>")));
    let bin = Bin::new();
    let listed = |path: &str| {
        server
            .url_str(path)
            .replacen("http://", "http://me:s3cret@", 1)
    };
    bin.write(
        "urls.txt",
        format!(
            "{}\n{}\nftp://me:s3cret@x.test/\n",
            listed("/p"),
            listed("/gone")
        ),
    );
    let run = bin.run(&["urls.txt", "-o", "out.tsv", "-vv", "--depth", "1"]);
    run.assert_code(0);
    assert!(run.stderr.contains("/gone"), "{}", run.stderr);
    assert!(run.stderr.contains("me:***@"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    assert!(!bin.read("out.tsv").contains("s3cret"));
}
