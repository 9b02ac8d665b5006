//! The library's resumable crawl: `Crawler::run` with a `StoreFrontier` and file sinks
//! opened at the committed lengths, dropped mid-crawl (as a crash drops everything)
//! and run again until it ends, writes what one uninterrupted crawl writes.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use crawl::frontier::StoreFrontier;
use crawl::{CancellationToken, Crawler, Format, OutputSink, PageLinks, Seeds, Sink};

use crate::support::{self, Reply, Routes, TestServer, guard};

const PAGES: u64 = 240;

/// Page n links to 2n, 2n+1 and n+7 (those up to PAGES).
fn site() -> TestServer {
    TestServer::start(Routes::new().dynamic("/p/", |path| {
        let n: u64 = path.trim_start_matches("/p/").parse().unwrap_or(0);
        let links: String = [2 * n, 2 * n + 1, n + 7]
            .into_iter()
            .filter(|&m| (1..=PAGES).contains(&m))
            .map(|m| format!("<a href=\"/p/{m}\">{m}</a>"))
            .collect();
        Reply::html(format!("<html><body>{links}</body></html>"))
    }))
}

/// Counts pages and fires `crash` after `after` of them.
struct CrashAfter {
    seen: u64,
    after: u64,
    crash: CancellationToken,
}

impl Sink for CrashAfter {
    async fn write_page(&mut self, _page: &PageLinks) -> Result<(), crawl::Error> {
        self.seen += 1;
        if self.seen >= self.after {
            self.crash.cancel();
        }
        Ok(())
    }
}

fn config() -> crawl::Config {
    support::config()
        .depth(50)
        .respect_robots(false)
        .concurrency(4)
        .host_delay(Duration::from_millis(2))
        .commit_interval(Duration::from_millis(20))
        .build()
        .expect("config")
}

/// Opens the state, waiting while a dropped crawl's tasks still hold it.
async fn open(dir: &Path, crawler: &Crawler) -> StoreFrontier {
    for _ in 0..500 {
        match StoreFrontier::open(dir, crawler.policy(), &crawler.state_settings()) {
            Ok(f) => return f,
            Err(e) if e.to_string().contains("in use") => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("the state does not open: {e}"),
        }
    }
    panic!("the state stayed in use after the crawl was dropped");
}

/// One run: `Some(n)` drops the crawl after n pages reached the sink.
async fn run(dir: &Path, out: &Path, seed: &crawl::Url, crash_after: Option<u64>) -> bool {
    let crawler = Crawler::new(config()).expect("crawler");
    let frontier = open(dir, &crawler).await;
    let committed = frontier
        .checkpoint()
        .and_then(|cp| cp.outputs.first().copied())
        .unwrap_or(0);
    let pairs = OutputSink::resume(out, Format::Tsv, false, committed)
        .await
        .expect("output");
    let crash = CancellationToken::new();
    let watch = CrashAfter {
        seen: 0,
        after: crash_after.unwrap_or(u64::MAX),
        crash: crash.clone(),
    };
    let seeds = Seeds::from_urls([seed.clone()]);
    let crawl = crawler.run(seeds, frontier, (pairs, watch), CancellationToken::new());
    tokio::select! {
        result = crawl => {
            result.expect("the crawl ends without an error");
            true
        }
        () = crash.cancelled() => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_dropped_three_times_and_resumed_writes_each_pair_once() {
    let server = site();
    let seed = server.url("/p/1");
    let reference = support::crawl(
        support::config()
            .depth(50)
            .respect_robots(false)
            .build()
            .expect("config"),
        [seed.clone()],
    )
    .await;
    let expected: BTreeSet<String> = reference
        .pairs()
        .into_iter()
        .map(|(s, t)| format!("{s}\t{t}"))
        .collect();
    assert!(expected.len() > 300, "a site worth interrupting");

    let before = server.total_hits();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (dir, out) = (tmp.path().join("state"), tmp.path().join("out.tsv"));
    for _ in 0..3 {
        let ended = guard(run(&dir, &out, &seed, Some(40))).await;
        assert!(!ended, "dropped after 40 pages");
    }
    assert!(
        guard(run(&dir, &out, &seed, None)).await,
        "the last run ends"
    );

    let text = std::fs::read_to_string(&out).expect("output");
    assert!(text.ends_with('\n'), "no torn line");
    let lines: Vec<&str> = text.lines().collect();
    let unique: BTreeSet<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    assert_eq!(lines.len(), unique.len(), "no pair written twice");
    assert_eq!(unique, expected, "the pairs of one uninterrupted crawl");
    let hits = server.total_hits() - before;
    assert!(
        hits < 2 * PAGES,
        "pages committed are not fetched again: {hits} requests for {PAGES} pages"
    );
}
