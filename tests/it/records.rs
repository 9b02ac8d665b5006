//! Every URL's outcome (issue 9): the records the sink gets and `--pages` writes, and
//! the summary's counts of what each rule left out.

use std::time::Duration;

use crawl::record::{Outcome, SkipReason};
use crawl::{FailureKind, LeftOut};
use serde_json::Value;

use crate::support::{Bin, Reply, Routes, TestServer, config, crawl, record_of};

fn links<S: AsRef<str>>(hrefs: &[S]) -> Reply {
    let body: String = hrefs
        .iter()
        .map(|h| format!("<a href=\"{}\">x</a>\n", h.as_ref()))
        .collect();
    Reply::html(format!("<!DOCTYPE html><html><body>{body}</body></html>"))
}

fn site() -> TestServer {
    TestServer::start(
        Routes::new()
            .route(
                "/robots.txt",
                Reply::typed(Some("text/plain"), "User-agent: *\nDisallow: /private\n"),
            )
            .route(
                "/",
                links(&["/ok", "/moved", "/gone", "/private/p", "/doc.pdf"]),
            )
            .route("/ok", links(&["/"]))
            .route("/moved", Reply::redirect(301, "/landed"))
            .route("/landed", links(&["/ok", "/more"]))
            .route("/gone", Reply::status(404, "no"))
            .route(
                "/doc.pdf",
                Reply::typed(Some("application/pdf"), "%PDF-1.4"),
            ),
    )
}

#[tokio::test]
async fn every_request_ends_in_a_record() {
    let server = site();
    let cfg = config().depth(1).build().expect("config");
    let done = crawl(cfg, [server.url("/")]).await;
    let records = done.sink.records();
    let u = |p: &str| server.url_str(p);

    let root = record_of(&records, &u("/"));
    assert_eq!(root.outcome, Outcome::Fetched);
    assert_eq!(root.status, Some(200));
    assert_eq!(root.depth, 0);
    assert_eq!(root.parent, None);
    assert_eq!(root.links, 5);
    assert_eq!(root.attempts, 1);
    assert!(root.bytes > 0 && root.elapsed_ms > 0.0 && root.started_ms > 0);
    assert_eq!(root.content_type.as_deref(), Some("text/html"));
    assert_eq!(root.link_hosts.values().sum::<u64>(), 5);

    let moved = record_of(&records, &u("/moved"));
    assert_eq!(moved.outcome, Outcome::Fetched);
    assert_eq!(
        moved.final_url.as_ref().map(|u| u.to_string()),
        Some(u("/landed"))
    );
    assert_eq!(moved.redirects.len(), 1);
    assert_eq!(moved.parent.as_ref().map(|p| p.to_string()), Some(u("/")));
    assert_eq!(moved.depth, 1);

    let gone = record_of(&records, &u("/gone"));
    assert!(
        matches!(&gone.outcome, Outcome::Failed { reason: FailureKind::ClientError, message } if message.contains("404")),
        "{gone:?}"
    );
    assert_eq!(gone.status, Some(404));

    let private = record_of(&records, &u("/private/p"));
    assert!(
        matches!(
            private.outcome,
            Outcome::Skipped {
                reason: SkipReason::Robots,
                ..
            }
        ),
        "{private:?}"
    );
    assert_eq!(private.status, None, "never requested");

    let pdf = record_of(&records, &u("/doc.pdf"));
    assert!(
        matches!(&pdf.outcome, Outcome::Skipped { reason: SkipReason::NotHtml, message } if message.contains("application/pdf")),
        "{pdf:?}"
    );
    assert_eq!(pdf.status, Some(200));

    // Each URL the crawl handled has exactly one record.
    let mut urls: Vec<&str> = records.iter().map(|r| r.url.as_str()).collect();
    urls.sort_unstable();
    let before = urls.len();
    urls.dedup();
    assert_eq!(urls.len(), before, "a URL recorded twice");
    // /more (depth 2) was not fetched: it has no record, and is counted as left out.
    assert!(records.iter().all(|r| r.url.as_str() != u("/more")));
    assert_eq!(done.summary.left_out_by(LeftOut::Depth), 1);
}

#[tokio::test]
async fn a_retried_page_has_one_record_with_its_attempts() {
    let server = TestServer::start(Routes::new().route(
        "/flaky",
        Reply::Sequence(vec![Reply::status(503, "busy"), links(&["/x"])]),
    ));
    let cfg = config()
        .retries(2)
        .retry_base(Duration::from_millis(10))
        .respect_robots(false)
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/flaky")]).await;
    let records = done.sink.records();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0].attempts, 2);
    assert_eq!(records[0].outcome, Outcome::Fetched);
}

#[tokio::test]
async fn limits_say_what_they_left_out() {
    // 50 listed URLs on one host, 10 allowed: the 40 others are recorded and counted.
    let server = TestServer::start(Routes::new().dynamic("/p/", |_| links(&["/"])));
    let urls: Vec<url::Url> = (0..50).map(|i| server.url(&format!("/p/{i}"))).collect();
    let cfg = config()
        .respect_robots(false)
        .max_pages_per_host(10)
        .build()
        .expect("config");
    let done = crawl(cfg, urls.clone()).await;
    assert_eq!(done.summary.pages, 10);
    assert_eq!(done.summary.listed, 10);
    assert_eq!(done.summary.left_out_by(LeftOut::HostBudget), 40);
    let skipped = done
        .sink
        .records()
        .into_iter()
        .filter(|r| {
            matches!(
                r.outcome,
                Outcome::Skipped {
                    reason: SkipReason::HostBudget,
                    ..
                }
            )
        })
        .count();
    assert_eq!(skipped, 40);
    assert!(
        done.summary
            .to_string()
            .contains("40 by --max-pages-per-host")
    );

    let cfg = config()
        .respect_robots(false)
        .max_pages(10)
        .build()
        .expect("config");
    let done = crawl(cfg, urls).await;
    assert_eq!(done.summary.pages, 10);
    assert_eq!(done.summary.left_out_by(LeftOut::MaxPages), 40);
    assert!(
        done.summary.to_string().contains("40 by --max-pages"),
        "{}",
        done.summary
    );
}

#[tokio::test]
async fn rules_say_what_they_left_out() {
    let other = TestServer::start_on("127.0.0.2", Routes::new().route("/x", links(&["/"])));
    let long = format!("/{}", "l".repeat(100));
    let server = TestServer::start(
        Routes::new()
            .route(
                "/",
                links(&[
                    "/in".to_owned(),
                    "/skip-me".to_owned(),
                    other.url_str("/x"),
                    long.clone(),
                ]),
            )
            .route("/in", links(&["/deeper"])),
    );
    let cfg = config()
        .depth(1)
        .respect_robots(false)
        .exclude(["skip-me"])
        .max_url_len(80)
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/")]).await;
    let s = &done.summary;
    assert_eq!(s.left_out_by(LeftOut::Filter), 1, "{s:?}");
    assert_eq!(s.left_out_by(LeftOut::Scope), 1);
    assert_eq!(s.left_out_by(LeftOut::UrlLength), 1);
    assert_eq!(s.left_out_by(LeftOut::Depth), 1, "/deeper");
    assert_eq!(other.hits("/x"), 0);
    let text = s.to_string();
    for part in [
        "1 beyond --depth",
        "1 out of --scope",
        "1 by --include/--exclude",
        "1 over --max-url-len",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
}

#[test]
fn the_binary_writes_one_record_a_line_and_the_summary_last() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/")));
    let run = bin.run(&["urls.txt", "--depth", "1", "--pages", "pages.jsonl"]);
    run.assert_code(0);
    let text = bin.read("pages.jsonl");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let (summary, records) = lines.split_last().expect("lines");
    assert_eq!(summary["summary"]["pages"], 3, "{summary}");
    assert_eq!(records.len(), 6, "/, ok, moved, gone, private, pdf: {text}");
    let broken: Vec<&Value> = records
        .iter()
        .filter(|r| r["status"].as_u64().is_some_and(|s| s >= 400))
        .collect();
    assert_eq!(broken.len(), 1);
    assert_eq!(broken[0]["url"], server.url_str("/gone"));
    assert_eq!(broken[0]["parent"], server.url_str("/"));
    assert_eq!(broken[0]["reason"], "client_error");
}

#[test]
fn debug_output_says_what_the_crawl_decided() {
    let server = site();
    let bin = Bin::new();
    bin.write("urls.txt", format!("{}\n", server.url_str("/")));
    let run = bin.run(&["urls.txt", "--depth", "1", "-vv"]);
    run.assert_code(0);
    for said in [
        "robots.txt of",
        "robots.txt disallows",
        "redirects to",
        "ended in",
    ] {
        assert!(
            run.stderr.contains(said),
            "-vv lacks {said:?}:\n{}",
            run.stderr
        );
    }
}

#[tokio::test]
async fn a_host_asking_too_long_a_crawl_delay_is_skipped() {
    let server = TestServer::start(
        Routes::new()
            .route(
                "/robots.txt",
                Reply::typed(Some("text/plain"), "User-agent: *\nCrawl-delay: 120\n"),
            )
            .route("/", links(&["/a"])),
    );
    let cfg = config()
        .max_crawl_delay(Duration::from_secs(30))
        .build()
        .expect("config");
    let done = crawl(cfg, [server.url("/")]).await;
    assert_eq!(server.hits("/"), 0);
    assert_eq!(done.summary.left_out_by(LeftOut::CrawlDelay), 1);
    let records = done.sink.records();
    assert!(
        matches!(&records[0].outcome, Outcome::Skipped { reason: SkipReason::CrawlDelay, message } if message.contains("Crawl-delay")),
        "{records:?}"
    );
}

#[tokio::test]
async fn waiting_out_a_crawl_delay_holds_no_permit() {
    // One request at a time: a's redirect waits a's Crawl-delay of 2 s before its
    // second hop, and b's page goes meanwhile.
    let b = TestServer::start_on("127.0.0.2", Routes::new().route("/x", links(&["/"])));
    let a = TestServer::start(
        Routes::new()
            .route(
                "/robots.txt",
                Reply::typed(Some("text/plain"), "User-agent: *\nCrawl-delay: 2\n"),
            )
            .route("/r", Reply::redirect(302, "/target"))
            .route("/target", links(&["/"])),
    );
    let b_robots_free = b.url("/x");
    let cfg = config().concurrency(1).build().expect("config");
    let done = crawl(cfg, [a.url("/r"), b_robots_free]).await;
    assert_eq!(done.summary.pages, 2, "{:?}", done.summary);
    let target = a.arrivals("/target")[0];
    let x = b.arrivals("/x")[0];
    assert!(x < target, "b's page waited behind a's Crawl-delay");
    let r = a.arrivals("/r")[0];
    assert!(target.duration_since(r) >= Duration::from_millis(1900));
}
