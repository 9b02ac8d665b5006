//! The hostile-server catalogue: one test per misbehaviour of the resilience issue,
//! each asserting the whole outcome, not just its kind:
//!
//! - the links written, or that there are none;
//! - exactly one warning naming the URL for a failure, none for a success;
//! - how many times the server saw the URL (retries are visible here);
//! - for the cases that misbehave on the connection, the server's record of it: that
//!   the client closed it, and how many body bytes the kernel accepted, bounded by the
//!   body cap plus what the socket buffers of both ends can hold.
//!
//! How long each connection was held is printed (`cargo test hostile -- --nocapture`)
//! for the record, never asserted from above: a slow machine may take longer, and the
//! hang guard already fails a test that would wait forever.
//!
//! Some of these repeat tests of `failures.rs`, `redirects.rs`, `status.rs`,
//! `retries.rs` and `charset.rs` on purpose: this file is the list to read.

use std::time::{Duration, Instant};

use crawl::FailureKind;

use crate::support::gzip::{Bomb, SEGMENT};
use crate::support::script::{Script, ScriptServer};
use crate::support::server::Conn;
use crate::support::{Crawled, Logs, Reply, Routes, TestServer, capture_logs, config, crawl};

const MIB: u64 = 1 << 20;
const LINKS: &str = r#"<html><body><a href="/x">x</a> <a href="/y">y</a></body></html>"#;
const PARTIAL: &str = r#"<html><body><a href="/partial-1">1</a><a href="/partial-2">2</a>"#;

/// What one catalogue crawl left behind.
struct Case {
    server: TestServer,
    done: Crawled,
    logs: Logs,
}

impl Case {
    /// Crawls the paths of a server built from `routes`, with robots.txt off (so the
    /// hit counts are the page's alone) and the config `build` makes of [`config`].
    async fn run(
        routes: Routes,
        paths: &[&str],
        build: impl FnOnce(crawl::ConfigBuilder) -> crawl::ConfigBuilder,
    ) -> Case {
        let server = TestServer::start(routes);
        let (logs, guard) = capture_logs();
        let cfg = build(config().respect_robots(false))
            .build()
            .expect("config");
        let done = crawl(cfg, paths.iter().map(|p| server.url(p))).await;
        drop(guard);
        Case { server, done, logs }
    }

    /// One route at `/p`, a 1 s page deadline.
    async fn one(reply: Reply) -> Case {
        Self::one_with(reply, |c| c.timeout(Duration::from_secs(1))).await
    }

    async fn one_with(
        reply: Reply,
        build: impl FnOnce(crawl::ConfigBuilder) -> crawl::ConfigBuilder,
    ) -> Case {
        Self::run(Routes::new().route("/p", reply), &["/p"], build).await
    }

    /// Asserts a failure of `kind` for `path`: no page, no links, one warning naming
    /// the URL (and `needles`), `hits` requests.
    #[track_caller]
    fn failed(&self, path: &str, kind: FailureKind, needles: &[&str], hits: u64) {
        let s = &self.done.summary;
        assert_eq!(
            self.done.failures(kind),
            1,
            "{s:?} {:?}",
            self.logs.warnings()
        );
        assert_eq!(s.failed(), 1, "{s:?}");
        assert_eq!(s.pages, 0, "{s:?}");
        assert!(self.done.pairs().is_empty(), "{:?}", self.done.pairs());
        let url = self.server.url_str(path);
        let mut all = vec![url.as_str()];
        all.extend_from_slice(needles);
        self.logs.one_warning(&all);
        assert_eq!(self.server.hits(path), hits, "requests for {path}");
    }

    /// Asserts a success for `path`: exactly these links (paths on the server), no
    /// warning, `hits` requests.
    #[track_caller]
    fn succeeded(&self, path: &str, links: &[&str], hits: u64) {
        let s = &self.done.summary;
        assert_eq!(s.failed(), 0, "{s:?} {:?}", self.logs.warnings());
        let want: Vec<String> = links.iter().map(|l| self.server.url_str(l)).collect();
        assert_eq!(self.done.links_of(&self.server.url_str(path)), want);
        assert!(
            self.logs.warnings().is_empty(),
            "{:#?}",
            self.logs.warnings()
        );
        assert_eq!(self.server.hits(path), hits, "requests for {path}");
    }

    /// Waits for the connection that served `path` to end, asserts the client closed
    /// it, prints it for the record, and returns it.
    #[track_caller]
    fn closed_by_client(&self, name: &str, path: &str) -> Conn {
        let conn = self.server.wait_conn_end(path);
        note(name, &conn, self.server.hits(path));
        assert!(conn.client_closed, "the client did not close it: {conn:?}");
        conn
    }
}

/// Prints what the server saw of a connection, for the catalogue's record.
fn note(name: &str, conn: &Conn, hits: u64) {
    eprintln!(
        "hostile: {name}: connection held {:.3} s, {} body bytes written by the server, \
         {hits} request(s), closed by the {}",
        conn.held.as_secs_f64(),
        conn.body_bytes,
        if conn.client_closed {
            "client"
        } else {
            "server"
        },
    );
}

/// Bytes that can sit between the server's writes and the client's reads once the
/// client stops reading: the loopback socket's send and receive buffers at their
/// largest (`tcp_wmem`, `tcp_rmem`), plus 1 MiB for the client's own read buffers.
fn socket_slack() -> u64 {
    let max = |file: &str| -> Option<u64> {
        let text = std::fs::read_to_string(file).ok()?;
        text.split_whitespace().nth(2)?.parse().ok()
    };
    match (
        max("/proc/sys/net/ipv4/tcp_wmem"),
        max("/proc/sys/net/ipv4/tcp_rmem"),
    ) {
        (Some(w), Some(r)) => w + r + MIB,
        _ => 64 * MIB,
    }
}

// ---------------------------------------------------------------------------------
// The connection: silence, trickles, stalls, short and broken bodies, not HTTP.

#[tokio::test]
async fn no_response_at_all() {
    let case = Case::one(Reply::Silence).await;
    case.failed("/p", FailureKind::Timeout, &[], 1);
    let conn = case.closed_by_client("no response at all", "/p");
    assert_eq!(conn.body_bytes, 0);
    // A lower bound only: giving up long before the deadline would be a bug too.
    assert!(conn.held >= Duration::from_millis(500), "{conn:?}");
}

#[tokio::test]
async fn headers_then_silence() {
    let case = Case::one(Reply::HeadersThenSilence).await;
    case.failed("/p", FailureKind::Timeout, &[], 1);
    let conn = case.closed_by_client("headers then silence", "/p");
    assert_eq!(conn.body_bytes, 0);
}

#[tokio::test]
async fn one_body_byte_per_second_forever() {
    // No read ever waits a whole second, so only a deadline on the whole page ends
    // this: the kind is Timeout, not a read error, and no partial page is parsed.
    // A 3 s deadline lets a few bytes arrive first.
    let reply = Reply::trickle(Duration::from_secs(1));
    let case = Case::one_with(reply, |c| c.timeout(Duration::from_secs(3))).await;
    case.failed("/p", FailureKind::Timeout, &[], 1);
    // The server only ever stops because the client left.
    let conn = case.closed_by_client("one byte per second", "/p");
    // A lower bound: bytes were flowing when the deadline struck (the first is due
    // 1 s in, 2 s before it).
    assert!(conn.body_bytes >= 1, "{conn:?}");
}

#[tokio::test]
async fn a_stall_mid_body() {
    let reply = Reply::StallMidBody {
        declared: 10_000,
        sent: PARTIAL.into(),
    };
    let case = Case::one(reply).await;
    case.failed("/p", FailureKind::Timeout, &[], 1);
    let conn = case.closed_by_client("stall mid-body", "/p");
    assert_eq!(conn.body_bytes, PARTIAL.len() as u64, "the part was sent");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length() {
    let reply = Reply::ShortBody {
        declared: 10_000,
        sent: PARTIAL.into(),
    };
    let case = Case::one(reply).await;
    case.failed("/p", FailureKind::ShortBody, &["declared length"], 1);
    let conn = case.server.wait_conn_end("/p");
    note("short body", &conn, case.server.hits("/p"));
    assert!(!conn.client_closed, "the server ended it: {conn:?}");
    assert_eq!(conn.body_bytes, PARTIAL.len() as u64);
}

#[tokio::test]
async fn a_connection_reset_mid_body() {
    let reply = Reply::ResetMidBody {
        declared: 10_000,
        sent: PARTIAL.into(),
    };
    // A reset is not retried: with retries allowed the server still sees one request.
    let case = Case::one_with(reply, |c| c.timeout(Duration::from_secs(1)).retries(2)).await;
    case.failed("/p", FailureKind::Reset, &["reset"], 1);
    let conn = case.server.wait_conn_end("/p");
    note("reset mid-body", &conn, case.server.hits("/p"));
    assert!(!conn.client_closed, "the server reset it: {conn:?}");
    assert_eq!(conn.body_bytes, PARTIAL.len() as u64);
}

#[tokio::test]
async fn bytes_that_are_not_http() {
    let reply = Reply::Raw(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01garbage".to_vec());
    let case = Case::one(reply).await;
    case.failed(
        "/p",
        FailureKind::Protocol,
        &["not a valid HTTP response"],
        1,
    );
    let conn = case.server.wait_conn_end("/p");
    note("not HTTP", &conn, case.server.hits("/p"));
    assert_eq!(conn.body_bytes, 0);
}

// ---------------------------------------------------------------------------------
// Size: a 2 GiB body and a gzip bomb.

async fn two_gib(content_length: bool) {
    let total = 2 * 1024 * MIB;
    let reply = Reply::Stream {
        total_len: total,
        content_type: "text/html".into(),
        content_length,
    };
    let cap = MIB;
    // The deadline is not what stops it: 30 s, and the kind must be TooLarge.
    let case = Case::one_with(reply, |c| c.max_body(cap).timeout(Duration::from_secs(30))).await;
    case.failed("/p", FailureKind::TooLarge, &["cap"], 1);
    let name = if content_length {
        "2 GiB body, Content-Length"
    } else {
        "2 GiB body, close-delimited"
    };
    let conn = case.closed_by_client(name, "/p");
    let bound = cap + socket_slack();
    assert!(
        conn.body_bytes <= bound,
        "{} of {total} bytes written, more than cap + socket buffers = {bound}",
        conn.body_bytes
    );
    assert_eq!(case.done.summary.body_bytes, 0, "nothing of it was kept");
}

#[tokio::test]
async fn a_2_gib_streaming_body_with_content_length() {
    two_gib(true).await;
}

#[tokio::test]
async fn a_2_gib_streaming_body_without_content_length() {
    two_gib(false).await;
}

#[tokio::test]
async fn a_gzip_bomb_sent_whatever_was_asked() {
    // 64 GiB of zeros in ~64 MiB of gzip, labelled text/html and gzip whatever the
    // request's Accept-Encoding said; the cap counts decompressed bytes.
    let expanded = 64 * 1024 * MIB;
    let cap = MIB;
    let bomb = Bomb::get();
    let case = Case::one_with(
        Reply::GzipBomb {
            expanded_len: expanded,
        },
        |c| c.max_body(cap).timeout(Duration::from_secs(30)),
    )
    .await;
    case.failed("/p", FailureKind::TooLarge, &["cap"], 1);
    let asked = case.server.requests()[0]
        .header("accept-encoding")
        .unwrap_or("nothing")
        .to_owned();
    eprintln!("hostile: gzip bomb: the request's Accept-Encoding was {asked:?}");
    let conn = case.closed_by_client("gzip bomb (64 GiB expanded)", "/p");
    // What inflates to the cap (one segment more), plus what the sockets hold.
    let bound = bomb.compressed_len(cap + SEGMENT) + socket_slack();
    assert!(
        conn.body_bytes <= bound,
        "{} of {} compressed bytes written, bound {bound}",
        conn.body_bytes,
        bomb.compressed_len(expanded)
    );
    assert_eq!(case.done.summary.body_bytes, 0, "nothing of it was kept");
}

// ---------------------------------------------------------------------------------
// Redirects.

#[tokio::test]
async fn a_redirect_loop() {
    let case = Case::run(
        Routes::new()
            .route("/loop/a", Reply::redirect(302, "/loop/b"))
            .route("/loop/b", Reply::redirect(302, "/loop/a")),
        &["/loop/a"],
        |c| c,
    )
    .await;
    case.failed("/loop/a", FailureKind::RedirectLoop, &["redirect loop"], 1);
    assert_eq!(case.server.hits("/loop/b"), 1, "once round, not again");
    assert_eq!(case.server.total_hits(), 2);
}

#[tokio::test]
async fn a_30_hop_redirect_chain() {
    // The default limit (10 redirects): the chain is followed that far and no further.
    let mut routes = Routes::new();
    for i in 0..30 {
        routes = routes.route(
            format!("/hop/{i}"),
            Reply::redirect(302, &format!("/hop/{}", i + 1)),
        );
    }
    let routes = routes.route("/hop/30", Reply::html(LINKS));
    let case = Case::run(routes, &["/hop/0"], |c| c).await;
    let limit = crawl::config::DEFAULT_MAX_REDIRECTS;
    case.failed(
        "/hop/0",
        FailureKind::TooManyRedirects,
        &[&format!("more than {limit} redirects")],
        1,
    );
    assert_eq!(case.server.total_hits(), limit as u64 + 1);
    assert_eq!(case.server.hits(&format!("/hop/{limit}")), 1);
    assert_eq!(case.server.hits(&format!("/hop/{}", limit + 1)), 0);
    assert_eq!(case.server.hits("/hop/30"), 0);
}

#[tokio::test]
async fn a_redirect_with_a_relative_location() {
    let case = Case::run(
        Routes::new()
            .route("/a/b/start", Reply::redirect(302, "../c/next?x=1"))
            .route("/a/c/next?x=1", Reply::html(r#"<a href="found">f</a>"#)),
        &["/a/b/start"],
        |c| c,
    )
    .await;
    case.succeeded("/a/b/start", &["/a/c/found"], 1);
    assert_eq!(case.server.hits("/a/c/next?x=1"), 1);
    let pages = case.done.pages();
    assert_eq!(
        pages[0].final_url().map(|u| u.to_string()),
        Some(case.server.url_str("/a/c/next?x=1"))
    );
}

#[tokio::test]
async fn a_redirect_to_ftp() {
    let case = Case::run(
        Routes::new().route("/to-ftp", Reply::redirect(301, "ftp://127.0.0.1/file")),
        &["/to-ftp"],
        |c| c,
    )
    .await;
    case.failed(
        "/to-ftp",
        FailureKind::RedirectScheme,
        &["ftp://127.0.0.1/file", "only http and https"],
        1,
    );
    assert_eq!(case.server.total_hits(), 1);
}

#[tokio::test]
async fn a_302_without_location() {
    let case = Case::run(
        Routes::new().route(
            "/nowhere",
            Reply::Redirect {
                status: 302,
                location: None,
            },
        ),
        &["/nowhere"],
        |c| c,
    )
    .await;
    // Its body has a link: it must not be parsed.
    case.failed(
        "/nowhere",
        FailureKind::BadRedirect,
        &["302", "Location"],
        1,
    );
    assert_eq!(case.server.hits("/redirect-body-link"), 0);
}

// ---------------------------------------------------------------------------------
// Statuses.

#[tokio::test]
async fn a_404_with_links_in_the_body() {
    // Retries allowed: a 404 is final, one request.
    let routes = Routes::new().route("/missing", Reply::status(404, LINKS));
    let case = Case::run(routes, &["/missing"], |c| c.retries(2)).await;
    case.failed(
        "/missing",
        FailureKind::ClientError,
        &["404", "Not Found"],
        1,
    );
}

#[tokio::test]
async fn a_500_with_links_in_the_body() {
    let routes = Routes::new().route("/broken", Reply::status(500, LINKS));
    let case = Case::run(routes, &["/broken"], |c| c.retries(2)).await;
    case.failed(
        "/broken",
        FailureKind::ServerError,
        &["500", "Internal Server Error"],
        1,
    );
}

#[tokio::test]
async fn a_429_with_retry_after() {
    let routes = Routes::new().route(
        "/later",
        Reply::Sequence(vec![
            Reply::status(429, LINKS).header("Retry-After", "1"),
            Reply::html(LINKS),
        ]),
    );
    let started = Instant::now();
    let case = Case::run(routes, &["/later"], |c| {
        c.retries(2).retry_base(Duration::from_millis(10))
    })
    .await;
    case.succeeded("/later", &["/x", "/y"], 2);
    assert_eq!(case.done.summary.retries, 1);
    // A lower bound: the retry did not come before the server allowed it.
    assert!(started.elapsed() >= Duration::from_secs(1));
    eprintln!(
        "hostile: 429 + Retry-After: 1: done after {:.3} s, 2 requests",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test]
async fn a_503_that_recovers() {
    let routes = Routes::new().route(
        "/flaky",
        Reply::Sequence(vec![Reply::status(503, LINKS), Reply::html(LINKS)]),
    );
    let case = Case::run(routes, &["/flaky"], |c| c.retries(2)).await;
    case.succeeded("/flaky", &["/x", "/y"], 2);
    assert_eq!(case.done.summary.retries, 1);
    assert_eq!(case.done.summary.pages_written, 1, "written once");
}

// ---------------------------------------------------------------------------------
// Types and encodings.

#[tokio::test]
async fn non_html_types() {
    // Skipped, not failed: no links, no warning, one request each; and a non-HTML
    // body is not read at all, even a 2 GiB one.
    let hrefs = "see <a href=\"/b\">b</a> and https://example.com/a";
    let routes = Routes::new()
        .route(
            "/blob",
            Reply::typed(Some("application/octet-stream"), LINKS),
        )
        .route(
            "/doc.pdf",
            Reply::typed(Some("application/pdf"), "%PDF-1.4 <a href=\"/p\">"),
        )
        .route("/notes.txt", Reply::typed(Some("text/plain"), hrefs))
        .route(
            "/huge.pdf",
            Reply::Stream {
                total_len: 2 * 1024 * MIB,
                content_type: "application/pdf".into(),
                content_length: true,
            },
        );
    let paths = ["/blob", "/doc.pdf", "/notes.txt", "/huge.pdf"];
    let case = Case::run(routes, &paths, |c| c.timeout(Duration::from_secs(30))).await;
    let s = &case.done.summary;
    assert!(case.done.pairs().is_empty(), "{:?}", case.done.pairs());
    assert_eq!(s.non_html, 4, "{s:?}");
    assert_eq!((s.pages, s.failed(), s.body_bytes), (0, 0, 0), "{s:?}");
    assert!(
        case.logs.warnings().is_empty(),
        "{:#?}",
        case.logs.warnings()
    );
    for path in paths {
        assert_eq!(case.server.hits(path), 1, "{path}");
    }
    let conn = case.closed_by_client("2 GiB application/pdf", "/huge.pdf");
    assert!(conn.body_bytes <= socket_slack(), "{conn:?}");
}

#[tokio::test]
async fn no_content_type() {
    // The bytes decide (MIME sniffing): HTML-looking bytes are parsed, others skipped.
    let routes = Routes::new()
        .route(
            "/html",
            Reply::typed(None, format!("<!DOCTYPE html>{LINKS}")),
        )
        .route("/pdf", Reply::typed(None, "%PDF-1.7\n<a href=\"/p\">p</a>"));
    let case = Case::run(routes, &["/html", "/pdf"], |c| c).await;
    case.succeeded("/html", &["/x", "/y"], 1);
    assert!(case.done.links_of(&case.server.url_str("/pdf")).is_empty());
    assert_eq!(case.done.summary.non_html, 1);
    assert_eq!(case.server.hits("/pdf"), 1);
}

/// Serves `fixtures/charset/<file>` with `content_type` and asserts its one link.
async fn charset_case(file: &str, content_type: &str, link: &str) {
    let body = crate::support::fixture(&format!("charset/{file}"));
    let routes = Routes::new().route("/page", Reply::typed(Some(content_type), body));
    let case = Case::run(routes, &["/page"], |c| c).await;
    case.succeeded("/page", &[link], 1);
}

#[tokio::test]
async fn charset_by_header() {
    // 0xE9 is é in windows-1252; a UTF-8 decoder would give U+FFFD.
    charset_case(
        "header-1252.html",
        "text/html; charset=windows-1252",
        "/caf%C3%A9",
    )
    .await;
}

#[tokio::test]
async fn charset_by_meta() {
    charset_case("meta-charset.html", "text/html", "/na%C3%AFve").await;
}

#[tokio::test]
async fn charset_by_bom() {
    charset_case("bom-utf16le.html", "text/html", "/%C3%BC").await;
}

#[tokio::test]
async fn a_bom_that_contradicts_the_header() {
    // UTF-8 bytes with a UTF-8 BOM, labelled windows-1252: the BOM wins, as in browsers.
    charset_case(
        "bom-vs-header.html",
        "text/html; charset=windows-1252",
        "/caf%C3%A9",
    )
    .await;
}

// ---------------------------------------------------------------------------------
// Big, chunked and slow but honest pages that must succeed.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_6_mb_page_with_200000_links() {
    const N: usize = 200_000;
    let mut page = String::with_capacity(6_500_000);
    page.push_str("<!DOCTYPE html><html><body>\n");
    for i in 0..N {
        page.push_str(&format!("<a href=\"/links/{i:06}\">l</a> \n"));
    }
    page.push_str("</body></html>\n");
    let len = page.len() as u64;
    assert!(len > 6_000_000, "{len} bytes");
    // The default 10 MiB cap is above it.
    assert!(len < crawl::config::DEFAULT_MAX_BODY);
    let server = TestServer::start(Routes::new().route("/big", Reply::html(page)));
    let cfg = config()
        .respect_robots(false)
        .timeout(Duration::from_secs(30));
    let started = Instant::now();
    let done = crawl(cfg.build().expect("config"), [server.url("/big")]).await;
    let took = started.elapsed();
    assert_eq!(done.summary.failed(), 0, "{:?}", done.summary);
    assert_eq!(done.summary.pages_written, 1);
    assert_eq!(done.summary.links_written, N as u64);
    let links = done.links_of(&server.url_str("/big"));
    assert_eq!(links.len(), N);
    for (i, link) in links.iter().enumerate() {
        assert_eq!(*link, server.url_str(&format!("/links/{i:06}")), "in order");
    }
    assert_eq!(server.hits("/big"), 1);
    assert_eq!(done.summary.body_bytes, len, "read whole");
    let conn = server.wait_conn_end("/big");
    note("6 MB page, 200,000 links", &conn, 1);
    assert_eq!(conn.body_bytes, len);
    eprintln!(
        "hostile: 6 MB page: fetched and parsed in {:.3} s",
        took.as_secs_f64()
    );
}

#[tokio::test]
async fn chunked_with_an_href_split_across_chunks() {
    let chunks: Vec<Vec<u8>> = [
        "<html><body><a href=\"/sp",
        "lit/one\">1</a><a hr",
        "ef=\"/two\">2</a><a href=\"/three",
        "\">3</a></body></html>",
    ]
    .iter()
    .map(|c| c.as_bytes().to_vec())
    .collect();
    let case = Case::run(
        Routes::new().route("/chunked", Reply::Chunked(chunks)),
        &["/chunked"],
        |c| c,
    )
    .await;
    case.succeeded("/chunked", &["/split/one", "/two", "/three"], 1);
}

#[tokio::test]
async fn a_slow_but_honest_response() {
    // The head at once, then the body in six pieces 300 ms apart: 1.5 s of gaps, far
    // under the 30 s page deadline. Every piece cuts through a tag.
    let body = concat!(
        "<!DOCTYPE html><html><body>",
        "<a href=\"/slow/1\">1</a><a href=\"/slow/2\">2</a>",
        "<a href=\"/slow/3\">3</a><a href=\"/slow/4\">4</a>",
        "<a href=\"/slow/5\">5</a><a href=\"/slow/6\">6</a>",
        "</body></html>"
    );
    let pieces = 6;
    let step = body.len().div_ceil(pieces);
    let length = body.len().to_string();
    let mut script =
        Script::new().head(&[("Content-Type", "text/html"), ("Content-Length", &length)]);
    for (i, piece) in body.as_bytes().chunks(step).enumerate() {
        if i > 0 {
            script = script.pause(Duration::from_millis(300));
        }
        script = script.body(piece.to_vec());
    }
    assert_eq!(script.body_len(), body.len());
    let server = ScriptServer::start(script);
    let (logs, guard) = capture_logs();
    let cfg = config()
        .respect_robots(false)
        .timeout(Duration::from_secs(30));
    let done = crawl(cfg.build().expect("config"), [server.url("/slow")]).await;
    drop(guard);
    assert_eq!(
        done.summary.failed(),
        0,
        "{:?} {:?}",
        done.summary,
        logs.warnings()
    );
    let want: Vec<String> = (1..=6)
        .map(|i| server.url_str(&format!("/slow/{i}")))
        .collect();
    assert_eq!(done.links_of(&server.url_str("/slow")), want);
    assert!(logs.warnings().is_empty(), "{:#?}", logs.warnings());
    assert_eq!(server.hits(), 1);
    let conn = server.wait_conn_end();
    note("slow but honest", &conn, server.hits());
    assert_eq!(conn.body_bytes, body.len() as u64, "all of it");
    // A lower bound: the pacing really happened.
    assert!(conn.held >= Duration::from_millis(1500), "{conn:?}");
}
