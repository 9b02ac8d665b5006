//! The parser's ceiling: how fast one core turns a typical page (a benchsite page of
//! 22 KB and 81 links, in `fixtures/bench/page.html`) into links, and how that time
//! splits between html5ever's parse and everything else. Both trees are timed: the
//! crawl's bounded parse into a lean tree (`extract_links`), and scraper's full tree
//! (`links_in_document`, what the crawl used before issue 11).
//!
//! Run: `cargo bench --bench extract`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crawl::extract::{
    ExtractOptions, LinkFilter, LinkKinds, Select, extract_links, links_in_document, try_extract,
};
use url::Url;

fn per_page(rounds: u32, mut f: impl FnMut()) -> Duration {
    for _ in 0..rounds / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..rounds {
        f();
    }
    start.elapsed() / rounds
}

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/bench/page.html");
    let body = std::fs::read(path).expect("fixtures/bench/page.html");
    let url = Url::parse("http://127.0.0.1:18080/d0/p4.html").expect("valid");
    let rounds = 2000;

    let decode = per_page(rounds, || {
        black_box(crawl::charset::decode(
            black_box(&body),
            Some("text/html; charset=utf-8"),
        ));
    });
    let text = crawl::charset::decode(&body, Some("text/html; charset=utf-8"));
    let parse = per_page(rounds, || {
        black_box(scraper::Html::parse_document(black_box(&text)));
    });
    let doc = scraper::Html::parse_document(&text);
    let links = per_page(rounds, || {
        black_box(links_in_document(
            &url,
            black_box(&doc),
            ExtractOptions::default(),
        ));
    });
    let lean = per_page(rounds, || {
        black_box(extract_links(
            &url,
            black_box(&text),
            ExtractOptions::default(),
        ));
    });
    let all = per_page(rounds, || {
        let text = crawl::charset::decode(black_box(&body), Some("text/html; charset=utf-8"));
        black_box(extract_links(&url, &text, ExtractOptions::default()));
    });
    let all_scraper = per_page(rounds, || {
        let text = crawl::charset::decode(black_box(&body), Some("text/html; charset=utf-8"));
        let doc = scraper::Html::parse_document(&text);
        black_box(links_in_document(&url, &doc, ExtractOptions::default()));
    });
    // The other kinds (`--links all`) and a CSS scope (`--select body`), decoded
    // and extracted as in "all together".
    let every_kind = LinkFilter {
        kinds: LinkKinds::ALL,
        select: None,
    };
    let all_kinds = per_page(rounds, || {
        let text = crawl::charset::decode(black_box(&body), Some("text/html; charset=utf-8"));
        black_box(try_extract(
            &url,
            &text,
            ExtractOptions::default(),
            &every_kind,
            || None,
        ));
    });
    let scoped = LinkFilter {
        kinds: LinkKinds::HYPERLINKS,
        select: Some(Select::parse(["body"]).expect("a valid selector")),
    };
    let selected = per_page(rounds, || {
        let text = crawl::charset::decode(black_box(&body), Some("text/html; charset=utf-8"));
        black_box(try_extract(
            &url,
            &text,
            ExtractOptions::default(),
            &scoped,
            || None,
        ));
    });
    let n = extract_links(&url, &text, ExtractOptions::default()).len();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "extract: one core, a {} KB page with {n} distinct links",
        body.len() / 1000
    );
    println!("  decode (charset)        {:>7.1} µs", us(decode));
    println!("  parse (scraper)         {:>7.1} µs", us(parse));
    println!("  links (walk + resolve)  {:>7.1} µs", us(links));
    println!(
        "  bounded parse + links   {:>7.1} µs  (lean tree; scraper's parse + links {:.1} µs)",
        us(lean),
        us(parse) + us(links)
    );
    println!(
        "  all together            {:>7.1} µs  = {:.0} pages/s per core (lean tree)",
        us(all),
        1.0 / all.as_secs_f64()
    );
    for (name, d) in [("--links all", all_kinds), ("--select body", selected)] {
        println!(
            "  all, {name:<18}{:>7.1} µs  = {:.0} pages/s per core ({:.2}x the default's time)",
            us(d),
            1.0 / d.as_secs_f64(),
            d.as_secs_f64() / all.as_secs_f64()
        );
    }
    hostile_inline(&url);
    println!(
        "  all, scraper's tree     {:>7.1} µs  = {:.0} pages/s per core ({:.2}x the lean tree's time)",
        us(all_scraper),
        1.0 / all_scraper.as_secs_f64(),
        all_scraper.as_secs_f64() / all.as_secs_f64()
    );
}

/// The longest a page parsed inline (64 KiB at most, `INLINE_PARSE_MAX` in
/// `src/worker/mod.rs`) can hold a worker thread: the worst shapes known, each cut to
/// 64 KiB, parsed whole (no deadline).
fn hostile_inline(url: &Url) {
    const MAX: usize = 64 * 1024;
    let cut = |mut s: String| {
        let mut at = MAX.min(s.len());
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
        s
    };
    let pages = [
        ("nested <div>", "<div>".repeat(MAX / 5)),
        ("nested tables", "<table><tr><td>".repeat(MAX / 15)),
        (
            "<b id=N>",
            (0..MAX / 10).map(|i| format!("<b id={i}>")).collect(),
        ),
        (
            "distinct attributes",
            format!(
                "<p{}>",
                (0..MAX / 7).map(|i| format!(" a{i}")).collect::<String>()
            ),
        ),
        ("<p> every 3 bytes", "<p>".repeat(MAX / 3)),
        (
            "rebuilt formatting",
            format!(
                "<p>{}</p>{}",
                (0..400).map(|i| format!("<b id={i}>")).collect::<String>(),
                "<p>x</p>".repeat(MAX / 8)
            ),
        ),
    ];
    println!("  hostile pages of 64 KiB, parsed inline (the longest a worker is held):");
    for (name, page) in pages {
        let page = cut(page);
        let start = Instant::now();
        let got = crawl::extract::try_extract_links(url, &page, ExtractOptions::default(), || None);
        let took = start.elapsed();
        println!(
            "    {name:<22} {:>8.1} ms{}",
            took.as_secs_f64() * 1e3,
            got.stopped
                .map_or(String::new(), |s| format!("  (stopped: {s})"))
        );
    }
}
