//! `--check`: verifies the rendered HTML, independently of the generator's own
//! link graph. It reads every `href` of every page, resolves it with the `url`
//! crate as a crawler would, crawls the site breadth-first from `/` through
//! the same router the server uses, and compares what it finds with
//! [`Site::reach`]. It also prints a digest of all bodies, so that two runs
//! (or two machines) can compare the site byte for byte.

use std::collections::{HashSet, VecDeque};

use url::Url;

use crate::site::{Reach, Route, Site};

/// Prints the report; false if some page is unreachable or the HTML disagrees
/// with the generated link graph.
pub fn run(site: &Site, seed: u64) -> bool {
    let origin = Url::parse(site.origin()).expect("the origin is a URL");
    let mut stats = LinkStats::default();
    for n in 0..site.pages() {
        let base = Url::parse(&site.page_url(n)).expect("page URLs are URLs");
        stats.add(site, &origin, &base, body(site, Route::Page(n)));
    }
    let found = crawl(site, &origin);

    let pages = f64::from(site.pages());
    let all = stats.links.max(1) as f64;
    let pct = |x: u64| 100.0 * x as f64 / all;
    println!(
        "benchsite check: {} pages, origin {}, seed {seed:#x}",
        site.pages(),
        site.origin()
    );
    println!("digest          {:016x}", digest(site));
    println!(
        "page bytes      min {} mean {:.0} max {}; all bodies {} bytes",
        stats.min_bytes,
        stats.bytes as f64 / pages,
        stats.max_bytes,
        site.total_bytes
    );
    println!(
        "links per page  min {} mean {:.1} max {}",
        stats.min_links,
        stats.links as f64 / pages,
        stats.max_links
    );
    println!(
        "link kinds      relative {:.1}% (../ {:.1}%), root-relative {:.1}%, absolute internal \
         {:.1}%, fragment-only {:.1}%, with fragment {:.1}%, with query {:.1}%, external {:.1}% \
         (protocol-relative {:.1}%), mailto {:.1}%, tel {:.1}%",
        pct(stats.relative),
        pct(stats.dot_dot),
        pct(stats.root_relative),
        pct(stats.absolute_internal),
        pct(stats.fragment_only),
        pct(stats.with_fragment),
        pct(stats.with_query),
        pct(stats.external),
        pct(stats.protocol_relative),
        pct(stats.mailto),
        pct(stats.tel)
    );
    println!("links to a 404  {:.2}%", pct(stats.to_404));
    println!(
        "crawl from /    {} URLs answer 200 ({} of {} pages, {} query variants, and /), {} answer \
         404, depth {}",
        found.ok,
        found.pages,
        site.pages(),
        found.query_variants,
        found.not_found,
        found.depth
    );
    let mut good = true;
    if found != site.reach {
        println!("MISMATCH        the link graph says {:?}", site.reach);
        good = false;
    }
    if found.pages != u64::from(site.pages()) {
        println!(
            "UNREACHABLE     {} pages",
            u64::from(site.pages()) - found.pages
        );
        good = false;
    }
    println!("result          {}", if good { "ok" } else { "FAILED" });
    good
}

fn body(site: &Site, route: Route) -> &str {
    let bytes = match route {
        Route::Index => site.index(),
        Route::Page(n) => site.page(n),
        Route::Stats | Route::NotFound => site.not_found(),
    };
    std::str::from_utf8(bytes).expect("pages are UTF-8")
}

/// The `href` values of a page, with `&amp;` decoded (the only entity the
/// generator puts in URLs).
fn hrefs(body: &str) -> impl Iterator<Item = String> + '_ {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(h, _)| h.replace("&amp;", "&")))
}

#[derive(Default)]
struct LinkStats {
    links: u64,
    min_links: u64,
    max_links: u64,
    bytes: u64,
    min_bytes: u64,
    max_bytes: u64,
    relative: u64,
    dot_dot: u64,
    root_relative: u64,
    protocol_relative: u64,
    absolute_internal: u64,
    external: u64,
    fragment_only: u64,
    with_fragment: u64,
    with_query: u64,
    mailto: u64,
    tel: u64,
    to_404: u64,
}

impl LinkStats {
    fn add(&mut self, site: &Site, origin: &Url, base: &Url, body: &str) {
        let bytes = body.len() as u64;
        let mut links = 0;
        for href in hrefs(body) {
            links += 1;
            if href.starts_with("mailto:") {
                self.mailto += 1;
                continue;
            }
            if href.starts_with("tel:") {
                self.tel += 1;
                continue;
            }
            if href.starts_with('#') {
                self.fragment_only += 1;
                continue;
            }
            if href.starts_with("//") {
                self.protocol_relative += 1;
            } else if href.starts_with('/') {
                self.root_relative += 1;
            } else if href.starts_with(origin.as_str().trim_end_matches('/')) {
                self.absolute_internal += 1;
            } else if !href.contains("://") {
                self.relative += 1;
                if href.starts_with("../") {
                    self.dot_dot += 1;
                }
            }
            let Ok(url) = base.join(&href) else { continue };
            if url.origin() != origin.origin() {
                self.external += 1;
                continue;
            }
            if url.fragment().is_some() {
                self.with_fragment += 1;
            }
            if url.query().is_some() {
                self.with_query += 1;
            }
            if site.route(url.path()) == Route::NotFound {
                self.to_404 += 1;
            }
        }
        if self.bytes == 0 {
            self.min_bytes = bytes;
            self.min_links = links;
        }
        self.bytes += bytes;
        self.min_bytes = self.min_bytes.min(bytes);
        self.max_bytes = self.max_bytes.max(bytes);
        self.links += links;
        self.min_links = self.min_links.min(links);
        self.max_links = self.max_links.max(links);
    }
}

/// A breadth-first crawl from `/` over the rendered HTML.
fn crawl(site: &Site, origin: &Url) -> Reach {
    let root = origin.join("/").expect("the origin has a root");
    let mut seen = HashSet::from([root.to_string()]);
    let mut queue = VecDeque::from([(root, 0)]);
    let mut pages = vec![false; site.pages() as usize];
    let mut reach = Reach::default();
    while let Some((url, depth)) = queue.pop_front() {
        let route = site.route(url.path());
        if matches!(route, Route::NotFound | Route::Stats) {
            reach.not_found += 1;
            continue;
        }
        reach.ok += 1;
        reach.depth = reach.depth.max(depth);
        if url.query().is_some() {
            reach.query_variants += 1;
        } else if let Route::Page(n) = route {
            pages[n as usize] = true;
        }
        for href in hrefs(body(site, route)) {
            let Ok(mut link) = url.join(&href) else {
                continue;
            };
            if link.origin() != origin.origin() {
                continue;
            }
            link.set_fragment(None);
            if seen.insert(link.to_string()) {
                queue.push_back((link, depth + 1));
            }
        }
    }
    reach.pages = pages.iter().filter(|&&p| p).count() as u64;
    reach
}

/// FNV-1a over every body, each followed by its length.
fn digest(site: &Site) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes.iter().chain(&(bytes.len() as u64).to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    };
    eat(site.index());
    for n in 0..site.pages() {
        eat(site.page(n));
    }
    h
}
