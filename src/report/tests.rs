//! The aggregator end to end: records in, report figures and page out.

use std::collections::BTreeMap;

use url::Url;

use super::*;
use crate::frontier::Kind;
use crate::record::{Outcome, PageRecord, SkipReason};
use crate::stats::FailureKind;

fn u(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

fn fetched(url: &str, parent: Option<&str>, depth: u32, ms: f64) -> PageRecord {
    PageRecord {
        url: u(url),
        final_url: Some(u(url)),
        redirects: Vec::new(),
        outcome: Outcome::Fetched,
        status: Some(200),
        content_type: Some("text/html".into()),
        bytes: 1000,
        links: 3,
        link_hosts: BTreeMap::new(),
        depth,
        parent: parent.map(u),
        kind: Kind::Page,
        attempts: 1,
        started_ms: 1_764_566_400_000 + (ms as u64) * 10,
        elapsed_ms: ms,
        rendered: false,
        crawl_delay_ms: None,
    }
}

fn failed(
    url: &str,
    parent: &str,
    depth: u32,
    kind: FailureKind,
    status: Option<u16>,
) -> PageRecord {
    PageRecord {
        outcome: Outcome::Failed {
            reason: kind,
            message: format!("{kind:?}"),
        },
        status,
        bytes: 0,
        links: 0,
        ..fetched(url, Some(parent), depth, 30.0)
    }
}

fn skipped(url: &str, parent: &str, reason: SkipReason) -> PageRecord {
    PageRecord {
        outcome: Outcome::Skipped {
            reason,
            message: String::new(),
        },
        status: None,
        bytes: 0,
        links: 0,
        attempts: 0,
        elapsed_ms: 0.0,
        ..fetched(url, Some(parent), 1, 0.0)
    }
}

/// A small crawl over two hosts with every kind of outcome.
fn records() -> Vec<PageRecord> {
    let mut root = fetched("http://a.test/", None, 0, 12.0);
    root.link_hosts = BTreeMap::from([("a.test".into(), 2), ("b.test".into(), 1)]);
    let mut redirected = fetched("http://a.test/old", Some("http://a.test/"), 1, 20.0);
    redirected.redirects = vec![u("http://a.test/mid"), u("http://a.test/new")];
    redirected.final_url = Some(u("http://a.test/new"));
    let mut retried = fetched("http://b.test/", Some("http://a.test/"), 1, 250.0);
    retried.attempts = 3;
    retried.crawl_delay_ms = Some(2000);
    vec![
        root,
        redirected,
        retried,
        failed(
            "http://a.test/missing",
            "http://a.test/",
            1,
            FailureKind::ClientError,
            Some(404),
        ),
        failed(
            "http://b.test/slow",
            "http://b.test/",
            2,
            FailureKind::Timeout,
            None,
        ),
        skipped(
            "http://b.test/private",
            "http://b.test/",
            SkipReason::Robots,
        ),
        skipped(
            "http://a.test/file.pdf",
            "http://a.test/",
            SkipReason::NotHtml,
        ),
    ]
}

fn summary_of(records: &[PageRecord]) -> ReportSummary {
    let mut agg = Aggregator::new();
    records.iter().for_each(|r| agg.add(r));
    let f = agg.finish(None).record_figures;
    ReportSummary {
        listed: 1,
        requested: f.requested,
        pages: f.pages,
        non_html: f.non_html,
        robots_denied: f.robots_denied,
        retries: f.retries,
        failures: f.failures,
        left_out: BTreeMap::from([("depth".into(), 4), ("scope".into(), 9)]),
        links_written: f.links,
        body_bytes: f.bytes,
        elapsed_ms: 1500.0,
        started_ms: Some(1_764_566_400_000),
        settings: BTreeMap::from([("depth".into(), "2".into())]),
        ..ReportSummary::default()
    }
}

fn report(records: &[PageRecord], summary: Option<&ReportSummary>) -> Report {
    let mut agg = Aggregator::new();
    records.iter().for_each(|r| agg.add(r));
    agg.finish(summary)
}

#[test]
fn counts_every_outcome() {
    let recs = records();
    let summary = summary_of(&recs);
    let r = report(&recs, Some(&summary));
    assert_eq!(r.state, State::Complete);
    assert_eq!(r.basis, Basis::Summary);
    assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);
    assert_eq!(r.records, 7);
    assert_eq!(r.figures.pages, 3);
    assert_eq!(r.figures.failed(), 2);
    assert_eq!(r.figures.retries, 2);
    assert_eq!(r.figures.non_html, 1);
    assert_eq!(r.figures.robots_denied, 1);
    assert_eq!(r.figures.seeds, 1);
    assert_eq!(r.figures.bytes, 3000);
    let status: BTreeMap<&str, u64> = r
        .statuses
        .iter()
        .map(|b| (b.label.as_str(), b.value))
        .collect();
    assert_eq!(
        status,
        BTreeMap::from([("200", 3), ("404", 1), ("no response", 3)])
    );
    let depths: Vec<(u32, u64, u64, u64)> = r
        .depths
        .iter()
        .map(|d| (d.depth, d.fetched, d.failed, d.skipped))
        .collect();
    assert_eq!(depths, vec![(0, 1, 0, 0), (1, 2, 1, 2), (2, 0, 1, 0)]);
    assert_eq!(r.times.count, 5, "skips made no request");
    assert_eq!(r.redirected, 1);
    assert_eq!(
        r.chains[0].hops,
        vec!["http://a.test/mid", "http://a.test/new"]
    );
    let left = r.left_out.as_ref().expect("the summary has left_out");
    assert_eq!(
        left.iter()
            .find(|b| b.figure.as_deref() == Some("left_out.scope"))
            .map(|b| b.value),
        Some(9)
    );
    assert_eq!(r.seeds, vec!["http://a.test/"]);
}

#[test]
fn hosts_table_and_graph() {
    let r = report(&records(), None);
    assert_eq!(r.hosts_total, 2);
    let a = &r.hosts[0];
    assert_eq!(
        (a.host.as_str(), a.requests, a.pages, a.failures),
        ("a.test", 4, 2, 1)
    );
    assert_eq!(a.links_out, 3);
    let b = &r.hosts[1];
    assert_eq!((b.robots, b.crawl_delay_ms, b.links_in), (1, Some(2000), 1));
    assert!(b.p99_ms.expect("timed") >= b.p50_ms.expect("timed"));
    let g = &r.host_graph;
    assert_eq!(g.nodes.len(), 2);
    assert_eq!(
        g.edges.len(),
        1,
        "a.test → b.test; the self-links are not drawn"
    );
    assert_eq!(g.edges[0].links, 1);
    let page = r
        .page_graph
        .as_ref()
        .expect("a small crawl has a page graph");
    assert_eq!(page.nodes.len(), 7);
    assert_eq!(
        page.edges.len(),
        6,
        "every record but the seed has its parent among the nodes"
    );
}

#[test]
fn broken_links_shallowest_first_with_their_parent() {
    let r = report(&records(), None);
    assert_eq!(r.broken_total, 2);
    assert_eq!(r.broken[0].url, "http://a.test/missing");
    assert_eq!(r.broken[0].parent.as_deref(), Some("http://a.test/"));
    assert_eq!(r.broken[0].status, Some(404));
    assert_eq!(r.broken[0].reason, "client_error");
    assert_eq!(r.broken[1].depth, 2);
    assert_eq!(r.slowest[0].url, "http://b.test/");
}

#[test]
fn without_a_summary_the_records_speak() {
    let r = report(&records(), None);
    assert_eq!(r.basis, Basis::Records);
    assert_eq!(r.state, State::Incomplete);
    assert_eq!(r.figures, r.record_figures);
    assert!(r.left_out.is_none());
    let mut interrupted = summary_of(&records());
    interrupted.interrupted = true;
    let r = report(&records(), Some(&interrupted));
    assert_eq!(r.state, State::Interrupted);
}

#[test]
fn a_summary_that_disagrees_is_shown() {
    let recs = records();
    let mut summary = summary_of(&recs);
    summary.pages += 5;
    summary.failures.insert("dns".into(), 1);
    let r = report(&recs, Some(&summary));
    let names: Vec<&str> = r.mismatches.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(names, vec!["pages", "failures: dns"]);
    let page = html::page(&r).into_string();
    assert!(page.contains("Summary and records disagree"));
}

/// The report's content, without the time it was made.
fn content(r: &Report) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("serializes");
    v["generated_ms"] = serde_json::Value::Null;
    v
}

#[test]
fn order_of_records_does_not_matter() {
    let mut recs = records();
    // Many failures, tied on depth, so the top-N cut falls among ties.
    for i in 0..(TOP_BROKEN + 50) {
        recs.push(failed(
            &format!("http://c.test/{i:05}"),
            "http://a.test/",
            3,
            FailureKind::ServerError,
            Some(500),
        ));
        recs.push(fetched(
            &format!("http://c.test/ok/{i}"),
            Some("http://a.test/"),
            2,
            42.0,
        ));
    }
    let forward = report(&recs, None);
    recs.reverse();
    let backward = report(&recs, None);
    assert_eq!(content(&forward), content(&backward));
    assert_eq!(forward.broken.len(), TOP_BROKEN);
    assert_eq!(forward.broken_total, TOP_BROKEN as u64 + 52);
    assert!(
        forward.page_graph.is_none(),
        "past {PAGE_GRAPH_MAX} records"
    );
    assert_eq!(forward.slowest.len(), TOP_SLOWEST);
}

#[test]
fn the_page_is_self_contained_and_names_its_figures() {
    let recs = records();
    let summary = summary_of(&recs);
    let page = html::page(&report(&recs, Some(&summary))).into_string();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.contains(r#"<data value="3" data-figure="pages">3</data>"#),
        "{page}"
    );
    assert!(page.contains(r#"data-figure="failures.client_error""#));
    assert!(page.contains(r#"data-figure="left_out.depth">4<"#));
    assert!(page.contains("default-src 'none'"));
    // Nothing to fetch: no src, no link elements, no remote URL outside text.
    assert!(!page.contains(" src="), "an element with src");
    assert!(!page.contains("<link"), "a link element");
    assert!(!page.contains("href=\"http"), "a link to a crawled page");
    assert!(!page.contains("url(http"), "a remote CSS url");
    assert!(page.contains("@media (prefers-color-scheme:dark)"));
}

#[test]
fn hostile_urls_are_escaped() {
    let mut r = fetched("http://a.test/", None, 0, 1.0);
    r.url = u("http://a.test/%22%3E%3Cscript%3Ealert(1)%3C/script%3E");
    let mut f = failed(
        "http://a.test/x",
        "http://a.test/",
        1,
        FailureKind::Other,
        None,
    );
    f.outcome = Outcome::Failed {
        reason: FailureKind::Other,
        message: "</td><script>alert(1)</script>".into(),
    };
    let page = html::page(&report(&[r, f], None)).into_string();
    assert_eq!(
        page.matches("<script>").count(),
        1,
        "only the page's own script"
    );
    assert!(page.contains("&lt;/td&gt;&lt;script&gt;"));
}

#[test]
fn passwords_never_reach_the_report() {
    let r = fetched("http://user:hunter2@a.test/", None, 0, 1.0);
    let mut f = failed(
        "http://bob:s3cret@a.test/x",
        "http://user:hunter2@a.test/",
        1,
        FailureKind::ClientError,
        Some(404),
    );
    f.outcome = Outcome::Failed {
        reason: FailureKind::ClientError,
        message: "redirect to http://eve:pw123@b.test/ refused".into(),
    };
    let page = html::page(&report(&[r, f], None)).into_string();
    for secret in ["hunter2", "s3cret", "pw123"] {
        assert!(!page.contains(secret), "{secret} in the report");
    }
    assert!(page.contains("user:***@a.test"), "the user name stays");
}

#[test]
fn empty_crawl_still_renders() {
    let r = Aggregator::new().finish(None);
    assert!(r.is_empty());
    let page = html::page(&r).into_string();
    assert!(page.contains("No request was made."));
    assert!(page.contains(r#"data-figure="pages">0<"#));
}

#[test]
fn long_urls_are_shortened() {
    let long = format!("http://a.test/{}", "x".repeat(5000));
    let short = aggregate::short(&long);
    assert_eq!(short.chars().count(), URL_CHARS);
    assert!(short.starts_with("http://a.test/x") && short.contains('…'));
    assert_eq!(aggregate::short("http://a.test/"), "http://a.test/");
}
