//! `crawl report`: the HTML report built from `--pages` files, its figures, and the
//! subcommand beside the crawl's own command line.
//!
//! Two sources of pages: [`site_records`], records crafted to cover a local multi-host
//! crawl (failures, redirects, robots.txt, Crawl-delay, depth 0–3) whose every figure
//! is counted by hand, and [`real_crawl`], the binary crawling such a site on loopback
//! with `--pages` and `--report`. Every assertion on figures reads the summary from
//! the pages file's last line.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::{Bin, Reply, Routes, TestServer};

const START: u64 = 1_764_566_400_000;

/// One record as `--pages` writes it.
#[allow(clippy::too_many_arguments)]
fn record(
    url: &str,
    outcome: (&str, Option<&str>),
    status: Option<u16>,
    depth: u32,
    parent: Option<&str>,
    at_ms: u64,
    elapsed_ms: f64,
    links: &[(&str, u64)],
) -> Value {
    let link_hosts: BTreeMap<&str, u64> = links.iter().copied().collect();
    let fetched = outcome.0 == "fetched";
    json!({
        "url": url,
        "final_url": status.map(|_| url),
        "outcome": outcome.0,
        "reason": outcome.1,
        "message": outcome.1.map(|r| format!("{r} for {url}")),
        "status": status,
        "content_type": status.map(|_| "text/html"),
        "bytes": if fetched { 2_000 + at_ms % 997 } else { 0 },
        "links": link_hosts.values().sum::<u64>(),
        "link_hosts": link_hosts,
        "depth": depth,
        "parent": parent,
        "kind": "page",
        "attempts": u32::from(outcome.1 != Some("robots")),
        "started_ms": START + at_ms,
        "elapsed_ms": elapsed_ms,
        "rendered": false,
        "crawl_delay_ms": null,
    })
}

/// A crawl of four local hosts: a site, a blog, a host with robots.txt rules and a
/// Crawl-delay, and a host that refuses connections.
pub fn site_records() -> Vec<Value> {
    let a = "http://127.0.0.1:8001";
    let b = "http://127.0.0.2:8002";
    let c = "http://127.0.0.3:8003";
    let d = "http://127.0.0.4:8004";
    let ok = ("fetched", None);
    let (h1, h2, h3, h4) = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4");
    let root = format!("{a}/");
    let mut v = vec![
        record(
            &root,
            ok,
            Some(200),
            0,
            None,
            0,
            8.5,
            &[(h1, 7), (h2, 1), (h3, 1)],
        ),
        record(
            &format!("{a}/about"),
            ok,
            Some(200),
            1,
            Some(&root),
            20,
            4.2,
            &[(h1, 2)],
        ),
        record(
            &format!("{a}/docs/"),
            ok,
            Some(200),
            1,
            Some(&root),
            25,
            6.1,
            &[(h1, 3)],
        ),
        record(
            &format!("{a}/docs/a"),
            ok,
            Some(200),
            2,
            Some(&format!("{a}/docs/")),
            60,
            3.3,
            &[(h1, 1)],
        ),
        record(
            &format!("{a}/docs/b"),
            ok,
            Some(200),
            2,
            Some(&format!("{a}/docs/")),
            62,
            3.9,
            &[],
        ),
        record(
            &format!("{a}/docs/deep/c"),
            ok,
            Some(200),
            3,
            Some(&format!("{a}/docs/a")),
            90,
            2.7,
            &[],
        ),
        record(
            &format!("{a}/missing"),
            ("failed", Some("client_error")),
            Some(404),
            1,
            Some(&root),
            22,
            1.9,
            &[],
        ),
        record(
            &format!("{a}/report.pdf"),
            ("skipped", Some("not_html")),
            Some(200),
            1,
            Some(&root),
            24,
            12.0,
            &[],
        ),
        record(
            &format!("{a}/error"),
            ("failed", Some("server_error")),
            Some(500),
            2,
            Some(&format!("{a}/about")),
            70,
            15.5,
            &[],
        ),
        record(
            &format!("{a}/loop"),
            ("failed", Some("redirect_loop")),
            Some(302),
            1,
            Some(&root),
            23,
            2.2,
            &[],
        ),
        record(
            &format!("{b}/"),
            ok,
            Some(200),
            1,
            Some(&root),
            30,
            22.0,
            &[(h2, 6), (h1, 1), (h4, 1)],
        ),
        record(
            &format!("{b}/gone"),
            ("failed", Some("client_error")),
            Some(410),
            2,
            Some(&format!("{b}/")),
            80,
            5.0,
            &[],
        ),
        record(
            &format!("{c}/"),
            ok,
            Some(200),
            1,
            Some(&root),
            35,
            140.0,
            &[(h3, 3)],
        ),
        record(
            &format!("{c}/private/x"),
            ("skipped", Some("robots")),
            None,
            2,
            Some(&format!("{c}/")),
            1_200,
            0.0,
            &[],
        ),
        record(
            &format!("{c}/private/y"),
            ("skipped", Some("robots")),
            None,
            2,
            Some(&format!("{c}/")),
            1_201,
            0.0,
            &[],
        ),
        record(
            &format!("{c}/slow"),
            ("failed", Some("timeout")),
            None,
            2,
            Some(&format!("{c}/")),
            1_300,
            2_000.0,
            &[],
        ),
        record(
            &format!("{d}/"),
            ("failed", Some("connect")),
            None,
            2,
            Some(&format!("{b}/")),
            85,
            0.8,
            &[],
        ),
    ];
    for i in 1..=5 {
        let at = 40 + i * 9;
        v.push(record(
            &format!("{b}/post/{i}"),
            ok,
            Some(200),
            2,
            Some(&format!("{b}/")),
            at,
            9.0 + i as f64,
            &[(h2, 2), (h1, 1)],
        ));
    }
    // A redirect chain of two hops.
    let mut chain = record(
        &format!("{a}/old"),
        ok,
        Some(200),
        1,
        Some(&root),
        21,
        7.7,
        &[(h1, 1)],
    );
    chain["redirects"] = json!([format!("{a}/older"), format!("{a}/new")]);
    chain["final_url"] = json!(format!("{a}/new"));
    v.push(chain);
    // The loop's hops, and the server error's retries.
    v[9]["redirects"] = json!([format!("{a}/loop2"), format!("{a}/loop")]);
    v[8]["attempts"] = json!(3);
    // The robots host asks for a Crawl-delay of one second.
    for r in v
        .iter_mut()
        .filter(|r| r["url"].as_str().is_some_and(|u| u.starts_with(c)))
    {
        r["crawl_delay_ms"] = json!(1000);
    }
    v
}

/// The summary the crawl would end its pages file with: counted from the records by
/// this test (not by the library), plus what only the engine knows (links left out).
fn summary_of(records: &[Value], left_out: Value, interrupted: bool) -> Value {
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    let (mut pages, mut non_html, mut robots, mut retries, mut bytes, mut links) =
        (0, 0, 0, 0, 0, 0);
    let mut first = u64::MAX;
    let mut last = 0;
    for r in records {
        let reason = r["reason"].as_str().unwrap_or_default();
        match r["outcome"].as_str() {
            Some("fetched") => pages += 1,
            Some("failed") => *failures.entry(reason.to_owned()).or_default() += 1,
            _ if reason == "not_html" => non_html += 1,
            _ => robots += 1,
        }
        retries += r["attempts"].as_u64().unwrap_or(0).saturating_sub(1);
        bytes += r["bytes"].as_u64().unwrap_or(0);
        links += r["links"].as_u64().unwrap_or(0);
        let start = r["started_ms"].as_u64().unwrap_or(0);
        first = first.min(start);
        last = last.max(start + r["elapsed_ms"].as_f64().unwrap_or(0.0) as u64);
    }
    let seeds = records.iter().filter(|r| r["depth"] == 0).count();
    json!({"summary": {
        "listed": seeds, "bad_lines": 1, "duplicates": 0,
        "requested": records.len(), "pages": pages, "non_html": non_html,
        "robots_denied": robots, "retries": retries, "sitemaps": 0,
        "failures": failures, "left_out": left_out,
        "pages_written": pages, "links_written": links, "body_bytes": bytes,
        "elapsed_ms": (last - first + 50) as f64, "interrupted": interrupted,
        "started_ms": first,
        "settings": {"depth": "3", "scope": "any", "concurrency": "64", "robots": "obeyed"},
    }})
}

fn left_out() -> Value {
    json!({"depth": 5, "scope": 3, "filter": 0, "url_len": 1, "max_pages": 0, "host_budget": 0, "robots": 2})
}

/// Writes `records` and then `summary` (if any) as a pages file in `bin`'s directory.
fn write_lines(bin: &Bin, name: &str, records: &[Value], summary: Option<&Value>) {
    let mut text = String::new();
    for line in records.iter().chain(summary) {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    bin.write(name, text);
}

/// The pages file of the crawl, named `pages.jsonl` (see the module docs).
pub fn write_pages(bin: &Bin) -> String {
    let records = site_records();
    write_lines(
        bin,
        "pages.jsonl",
        &records,
        Some(&summary_of(&records, left_out(), false)),
    );
    "pages.jsonl".to_owned()
}

/// A real crawl of a local multi-host site with `--pages pages.jsonl --report
/// live.html`: pages, a redirect to another host, a 404, a 500, a host that refuses
/// connections, robots.txt rules and a Crawl-delay, a PDF, and pages beyond `--depth`.
/// Returns the servers, which must live as long as the test looks at them.
pub fn real_crawl(bin: &Bin) -> Vec<TestServer> {
    let page = |links: &[String]| {
        let body: String = links
            .iter()
            .map(|l| format!("<a href=\"{l}\">{l}</a>\n"))
            .collect();
        Reply::html(format!("<!DOCTYPE html><html><body>{body}</body></html>"))
    };
    // A port nothing listens on.
    let refused = std::net::TcpListener::bind("127.0.0.4:0")
        .and_then(|l| l.local_addr())
        .map(|a| format!("http://{a}/"))
        .expect("a free port");
    let b = TestServer::start_on(
        "127.0.0.2",
        Routes::new()
            .route(
                "/blog/",
                page(&["/blog/1".into(), "/blog/2".into(), refused.clone()]),
            )
            .route("/blog/1", page(&["/blog/".into()]))
            .route("/blog/2", Reply::status(500, "broken")),
    );
    let blog = b.url_str("/blog/");
    let a = TestServer::start(
        Routes::new()
            .route(
                "/robots.txt",
                Reply::typed(
                    Some("text/plain"),
                    "User-agent: *\nDisallow: /private\nCrawl-delay: 0.05\n",
                ),
            )
            .route(
                "/",
                page(&[
                    "/about".into(),
                    "/moved".into(),
                    "/missing".into(),
                    "/private/x".into(),
                    "/doc.pdf".into(),
                    "/d1".into(),
                ]),
            )
            .route("/about", page(&["/".into()]))
            .route("/moved", Reply::redirect(301, &blog))
            .route("/missing", Reply::status(404, "gone"))
            .route(
                "/doc.pdf",
                Reply::typed(Some("application/pdf"), "%PDF-1.4"),
            )
            .route("/d1", page(&["/d2".into()]))
            .route("/d2", page(&["/d3".into()]))
            .route("/d3", page(&["/d4".into()]))
            .route("/d4", page(&["/".into()])),
    );
    bin.write("seeds.txt", format!("{}\n", a.url_str("/")));
    let run = bin.run(&[
        "seeds.txt",
        "-o",
        "out.tsv",
        "--depth",
        "3",
        "--scope",
        "any",
        "--retries",
        "0",
        "--pages",
        "pages.jsonl",
        "--report",
        "live.html",
    ]);
    run.assert_code(0);
    vec![a, b]
}

/// The summary line of a pages file (its last line).
pub fn read_summary(bin: &Bin, name: &str) -> Value {
    let text = bin.read(name);
    let last = text.lines().last().expect("a non-empty pages file");
    let v: Value = serde_json::from_str(last).expect("the last line is JSON");
    v["summary"].clone()
}

/// `data-figure` name → value, from a report's HTML.
pub fn figures(html: &str) -> BTreeMap<String, f64> {
    let re = regex::Regex::new(r#"<data value="([^"]*)" data-figure="([^"]+)""#).expect("regex");
    re.captures_iter(html)
        .map(|c| (c[2].to_owned(), c[1].parse().expect("a number")))
        .collect()
}

/// What the figures named after the summary's counters must be.
pub fn expected_figures(summary: &Value) -> BTreeMap<String, f64> {
    let n = |k: &str| summary[k].as_f64().unwrap_or(0.0);
    let mut want = BTreeMap::from([
        ("pages".to_owned(), n("pages")),
        ("requested".to_owned(), n("requested")),
        ("non_html".to_owned(), n("non_html")),
        ("robots_denied".to_owned(), n("robots_denied")),
        ("retries".to_owned(), n("retries")),
        ("bytes".to_owned(), n("body_bytes")),
        ("links".to_owned(), n("links_written")),
        ("seeds".to_owned(), n("listed")),
    ]);
    let mut failed = 0.0;
    for (k, v) in summary["failures"].as_object().into_iter().flatten() {
        let v = v.as_f64().unwrap_or(0.0);
        failed += v;
        want.insert(format!("failures.{k}"), v);
    }
    want.insert("failed".to_owned(), failed);
    for (k, v) in summary["left_out"].as_object().into_iter().flatten() {
        want.insert(format!("left_out.{k}"), v.as_f64().unwrap_or(0.0));
    }
    want
}

/// Asserts every figure of `want` is in `got` with that value.
#[track_caller]
pub fn assert_figures(got: &BTreeMap<String, f64>, want: &BTreeMap<String, f64>) {
    for (k, v) in want {
        assert_eq!(
            got.get(k),
            Some(v),
            "figure {k}: the page has {:?}, the summary {v}",
            got.get(k)
        );
    }
}

fn report(bin: &Bin, args: &[&str]) -> String {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    bin.run(&all).assert_code(0);
    bin.read("report.html")
}

#[test]
fn report_figures_equal_the_summary() {
    let bin = Bin::new();
    let pages = write_pages(&bin);
    let run = bin.run(&["report", &pages, "-o", "report.html"]);
    run.assert_code(0);
    assert!(run.stderr.contains("report: "), "{}", run.stderr);
    let html = bin.read("report.html");
    let got = figures(&html);
    assert_figures(&got, &expected_figures(&read_summary(&bin, &pages)));
    // What only the records say, counted by hand from site_records().
    assert_eq!(got["status.200"], 15.0, "14 pages and the PDF");
    assert_eq!(got["status.404"], 1.0);
    assert_eq!(got["status.none"], 4.0);
    assert_eq!(got["skips.robots"], 2.0);
    assert_eq!(got["depth.3.fetched"], 1.0);
    assert_eq!(got["depth.2.failed"], 4.0);
    assert_eq!(got["redirected"], 2.0);
    assert_eq!(got["broken.total"], 6.0);
    assert_eq!(got["hosts"], 4.0);
    assert_eq!(
        got["times.count"], 21.0,
        "every request but the robots skips"
    );
    assert!(html.contains(r#"data-state="complete""#));
    assert!(
        !html.contains("Summary and records disagree"),
        "the crafted summary agrees"
    );
    // The broken link is listed with the page that links to it.
    let row = html
        .find("http://127.0.0.2:8002/gone")
        .expect("the 410 is listed");
    assert!(html[row..].find("http://127.0.0.2:8002/").is_some());
    // The Crawl-delay and robots figures reach the hosts table.
    assert!(
        html.contains(r#"data-sort="1000""#),
        "Crawl-delay of 127.0.0.3"
    );
    assert!(html.len() < 200_000, "{} bytes", html.len());
}

#[test]
fn two_files_give_the_figures_of_one() {
    let bin = Bin::new();
    let records = site_records();
    let whole = summary_of(&records, left_out(), false);
    write_lines(&bin, "all.jsonl", &records, Some(&whole));
    // Two workers: every other record, each with its own summary over the same time
    // span; the links left out split between them.
    let even: Vec<Value> = records.iter().step_by(2).cloned().collect();
    let odd: Vec<Value> = records.iter().skip(1).step_by(2).cloned().collect();
    let mut s1 = summary_of(
        &even,
        json!({"depth": 2, "scope": 3, "url_len": 1, "robots": 2}),
        false,
    );
    let mut s2 = summary_of(
        &odd,
        json!({"depth": 3, "filter": 0, "max_pages": 0, "host_budget": 0}),
        false,
    );
    for s in [&mut s1, &mut s2] {
        s["summary"]["started_ms"] = whole["summary"]["started_ms"].clone();
        s["summary"]["elapsed_ms"] = whole["summary"]["elapsed_ms"].clone();
    }
    // The seed is in one file: the other worker listed none.
    write_lines(&bin, "w1.jsonl", &even, Some(&s1));
    write_lines(&bin, "w2.jsonl", &odd, Some(&s2));

    let one = figures(&report(&bin, &["all.jsonl"]));
    let two = figures(&report(&bin, &["w1.jsonl", "w2.jsonl"]));
    assert_eq!(one, two);
    let swapped = figures(&report(&bin, &["w2.jsonl", "w1.jsonl"]));
    assert_eq!(one, swapped);
    assert_figures(&two, &expected_figures(&whole["summary"]));
}

#[test]
fn a_cumulative_summary_covers_the_runs_before_it() {
    let bin = Bin::new();
    let records = site_records();
    let (first, second) = records.split_at(10);
    let mut run1 = summary_of(first, json!({"depth": 1}), true);
    run1["summary"]["crawl_id"] = json!("c1");
    let mut run2 = summary_of(&records, left_out(), false);
    run2["summary"]["crawl_id"] = json!("c1");
    run2["summary"]["cumulative"] = json!(true);
    write_lines(&bin, "run1.jsonl", first, Some(&run1));
    write_lines(&bin, "run2.jsonl", second, Some(&run2));
    let html = report(&bin, &["run1.jsonl", "run2.jsonl"]);
    assert_figures(&figures(&html), &expected_figures(&run2["summary"]));
    assert!(
        html.contains(r#"data-state="complete""#),
        "the last run completed the crawl"
    );
}

#[test]
fn a_killed_run_without_summary_still_reports() {
    let bin = Bin::new();
    let records = site_records();
    let mut text = String::new();
    for r in &records {
        text.push_str(&r.to_string());
        text.push('\n');
    }
    // Killed mid-write: the last line is cut.
    text.push_str(r#"{"url":"http://127.0.0.1:8001/cut","outco"#);
    bin.write("killed.jsonl", text);
    let run = bin.run(&["report", "killed.jsonl"]);
    run.assert_code(0);
    let cut_line = format!("killed.jsonl:{}:", records.len() + 1);
    assert!(
        run.stderr.contains(&cut_line),
        "a warning naming file and line: {}",
        run.stderr
    );
    let html = bin.read("report.html");
    assert!(html.contains(r#"data-state="incomplete""#));
    assert!(html.contains("has no summary line"));
    let got = figures(&html);
    assert_eq!(got["pages"], 14.0, "counted from the records");
    assert_eq!(got["requested"], records.len() as f64);
    assert!(
        !got.contains_key("left_out.depth"),
        "no summary says what was left out"
    );
}

#[test]
fn bad_inputs_are_clear_errors() {
    let bin = Bin::new();
    let run = bin.run(&["report", "nope.jsonl"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("cannot read nope.jsonl"),
        "{}",
        run.stderr
    );
    bin.write("empty.jsonl", "\n");
    let run = bin.run(&["report", "empty.jsonl"]);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("no record and no summary line in empty.jsonl"),
        "{}",
        run.stderr
    );
    bin.run(&["report"]).assert_code(2);
    let pages = write_pages(&bin);
    let run = bin.run(&["report", &pages, "-o", "no/such/dir/r.html"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("cannot write no/such/dir/r.html"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_real_crawl_reports_what_its_summary_says() {
    let bin = Bin::new();
    let _servers = real_crawl(&bin);
    let summary = read_summary(&bin, "pages.jsonl");
    let want = expected_figures(&summary);
    // The report written by the crawl itself, and the one built from its pages file.
    let live = bin.read("live.html");
    assert_figures(&figures(&live), &want);
    let rebuilt = report(&bin, &["pages.jsonl", "-o", "report.html"]);
    assert_figures(&figures(&rebuilt), &want);
    // The crawl met every kind of end the site offers.
    let n = |k: &str| summary[k].as_u64().unwrap_or(0);
    assert_eq!(n("pages"), 7, "/, about, d1-d3, blog/, blog/1: {summary}");
    assert_eq!(summary["failures"]["client_error"], 1);
    assert_eq!(summary["failures"]["server_error"], 1);
    assert_eq!(summary["failures"]["connect"], 1);
    assert_eq!(summary["left_out"]["robots"], 1);
    assert_eq!(summary["left_out"]["depth"], 1, "d4");
    assert_eq!(n("non_html"), 1);
    let got = figures(&live);
    assert_eq!(got["redirected"], 1.0, "/moved");
    assert_eq!(got["hosts"], 3.0);
    assert!(live.contains(r#"data-state="complete""#));
    assert!(
        !live.contains("Summary and records disagree"),
        "the records add up to the summary"
    );
}

#[test]
fn report_to_stdout() {
    let bin = Bin::new();
    let pages = write_pages(&bin);
    let run = bin.run(&["report", &pages, "-o", "-", "-q"]);
    run.assert_code(0);
    assert!(run.stdout.starts_with("<!DOCTYPE html>"));
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn the_report_subcommand_leaves_the_crawl_command_line_alone() {
    let server = TestServer::start(Routes::new().route("/", Reply::html(r#"<a href="/x">x</a>"#)));
    let bin = Bin::new();
    // A URL list that happens to be called `report` is crawled as `./report`.
    bin.write("report", format!("{}\n", server.url_str("/")));
    let run = bin.run(&["./report", "-o", "out.tsv", "--ignore-robots"]);
    run.assert_code(0);
    assert!(bin.read("out.tsv").contains("/x"), "{}", run.stderr);
    let help = bin.run(&["--help"]);
    help.assert_code(0);
    assert!(help.stdout.contains("--report <FILE.html>"));
    assert!(
        help.stdout
            .contains("report  Build the one-file HTML report")
    );
    // --report may not overwrite the output.
    let run = bin.run(&["report", "-o", "same.html", "--report", "same.html"]);
    run.assert_code(2);
}
