//! The report in a real browser: headless Chromium, network off, driven over the
//! DevTools protocol (`report_cdp`). Skipped with a note when Chromium is missing,
//! unless `CRAWL_REQUIRE_CHROMIUM=1` (CI), where it fails.
//!
//! It leaves screenshots in `target/report-screenshot.png` (1280×800, light) and
//! `target/report-screenshot-phone-dark.png` (390×844, dark) for CI to keep; with
//! `CRAWL_REFRESH_DOCS=1` it also copies them to `docs/` for README.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::json;

use crate::report::{assert_figures, expected_figures, read_summary, real_crawl};
use crate::report_cdp::{Chromium, require};
use crate::support::Bin;

fn keep(png: &[u8], name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("target").join(name);
    std::fs::create_dir_all(root.join("target")).expect("target/");
    std::fs::write(&path, png).expect("write the screenshot");
    if std::env::var("CRAWL_REFRESH_DOCS").as_deref() == Ok("1") {
        let docs = root.join("docs");
        std::fs::create_dir_all(&docs).expect("docs/");
        let short = name.trim_start_matches("report-screenshot");
        std::fs::write(docs.join(format!("report{short}")), png).expect("write docs/");
    }
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    path
}

#[test]
fn the_report_opens_offline_in_chromium_with_the_summary_figures() {
    let Some(browser) = require("the_report_opens_offline_in_chromium_with_the_summary_figures")
    else {
        return;
    };
    // A real crawl of a local multi-host site, its report written by --report.
    let bin = Bin::new();
    let _servers = real_crawl(&bin);
    let summary = read_summary(&bin, "pages.jsonl");
    let page_url = url::Url::from_file_path(bin.path("live.html"))
        .expect("an absolute path")
        .to_string();

    let mut c = Chromium::launch(&browser);
    c.call(
        "Network.emulateNetworkConditions",
        json!({"offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
    );
    c.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false}),
    );
    c.open(&page_url);

    // The figures, as the rendered page holds them, equal the summary's.
    let got: BTreeMap<String, f64> = serde_json::from_value(c.eval(
        "Object.fromEntries([...document.querySelectorAll('data[data-figure]')]
            .map(e => [e.dataset.figure, Number(e.value)]))",
    ))
    .expect("figures");
    assert_figures(&got, &expected_figures(&summary));
    // And they are shown, not only present: the cards are laid out with text.
    let shown = c.eval(
        "document.querySelector('data[data-figure=pages]').getBoundingClientRect().height > 0",
    );
    assert_eq!(shown, json!(true));
    assert_eq!(
        c.eval("document.querySelector('data[data-figure=pages]').textContent"),
        json!(summary["pages"].to_string())
    );

    // The hosts table sorts by a column when its header is pressed.
    let failures = c.eval(
        "(() => {
            const t = document.getElementById('hosts-table');
            const th = [...t.tHead.rows[0].cells].find(c => c.textContent.trim() === 'failures');
            th.querySelector('button').click();
            return { sort: th.getAttribute('aria-sort'),
                     values: [...t.tBodies[0].rows].map(r => Number(r.cells[th.cellIndex].dataset.sort)) };
        })()",
    );
    assert_eq!(failures["sort"], "descending");
    let values: Vec<f64> = serde_json::from_value(failures["values"].clone()).expect("numbers");
    assert!(
        values.len() > 1 && values.windows(2).all(|w| w[0] >= w[1]),
        "{values:?}"
    );

    let desktop = keep(&c.screenshot(), "report-screenshot.png");

    // A phone in dark mode: dark colours, and nothing wider than the screen (wide
    // tables scroll inside their own box).
    c.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
    );
    c.call(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    );
    assert_eq!(
        c.eval("getComputedStyle(document.body).backgroundColor"),
        json!("rgb(13, 17, 23)")
    );
    let overflow = c.eval("document.documentElement.scrollWidth - window.innerWidth");
    assert!(
        overflow.as_f64().is_some_and(|o| o <= 0.0),
        "the page is wider than the phone by {overflow}"
    );
    keep(&c.screenshot(), "report-screenshot-phone-dark.png");

    let errors = c.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let requests = c.requests();
    assert!(
        requests.iter().all(|r| *r == page_url),
        "the page asked for something else than itself: {requests:#?}"
    );
    assert!(
        !requests.is_empty(),
        "the DevTools events arrive (the page itself was requested)"
    );
    eprintln!("screenshot: {}", desktop.display());

    // The checks can fail: a page that asks for a remote image and logs an error is
    // caught by both.
    bin.write(
        "bad.html",
        r#"<!doctype html><img src="http://example.invalid/x.png"><script>console.error("boom")</script>"#,
    );
    let bad_url = url::Url::from_file_path(bin.path("bad.html"))
        .expect("an absolute path")
        .to_string();
    c.open(&bad_url);
    c.wait_for("Network.loadingFailed");
    assert!(
        c.requests()
            .iter()
            .any(|r| r.starts_with("http://example.invalid/"))
    );
    assert!(
        c.errors().iter().any(|e| e.contains("boom")),
        "{:?}",
        c.errors()
    );
}
