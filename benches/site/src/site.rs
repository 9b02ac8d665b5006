//! The synthetic site: deterministic generation, routing and reachability.
//!
//! Layout, for `pages` pages and [`PAGES_PER_DIR`] pages a directory:
//!
//! - `/`: the index, linking to an even spread of about [`INDEX_LINKS`] pages;
//! - `/d<k>/p<n>.html` for `n` in `0..pages`, `k = n / PAGES_PER_DIR`;
//! - `/d<k>/p<first>.html?<query r>`: the first page of each directory is also
//!   linked with one of [`QUERY_VARIANTS`] query strings; a static server
//!   ignores the query, so these are distinct URLs with the same body;
//! - `/d<k>/gone<r>.html`: [`GONE_PER_DIR`] missing pages a directory, the
//!   target of about 1% of links (404);
//! - everything else, `/robots.txt` and `/sitemap.xml` included, is a 404.
//!
//! Every page has about 20 KB of HTML and about 75 `<a href>`: relative
//! (`p12.html`, `./p13.html`, `../d3/p40.html`), root-relative, absolute
//! (`http://127.0.0.1:PORT/...`), with a query, with a fragment, fragment-only,
//! external (`.invalid` hosts, never resolvable), protocol-relative, `mailto:`
//! and `tel:`. Each page links to the next page, so everything is reachable from
//! `/`; the random links make the graph shallow (a breadth-first crawl from `/`
//! is a few levels deep) and wide.

use std::fmt::Write as _;

use bytes::Bytes;

use crate::rng::Rng;

/// Pages in each `/d<k>/` directory.
pub const PAGES_PER_DIR: u32 = 100;
/// Seed used unless `--seed` says otherwise.
pub const DEFAULT_SEED: u64 = 0x5EED_C4A1;
/// Links from the index to an even spread of pages.
pub const INDEX_LINKS: u32 = 400;
/// Query strings with which a directory's first page is linked.
pub const QUERY_VARIANTS: u8 = 3;
/// Missing pages (404) linked in each directory.
pub const GONE_PER_DIR: u8 = 2;
/// The path answering with the server's counters (never linked).
pub const STATS_PATH: &str = "/_benchsite/stats";

/// What a request path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/`
    Index,
    /// `/d<k>/p<n>.html`
    Page(u32),
    /// [`STATS_PATH`]
    Stats,
    /// Anything else.
    NotFound,
}

/// An internal link target, as generated (used for the reachability count).
#[derive(Debug, Clone, Copy)]
enum Target {
    Page(u32),
    /// A directory's first page with query variant `r` (1-based).
    Query(u32, u8),
    /// Directory `k`'s missing page `r`.
    Gone(u32, u8),
}

/// What a breadth-first crawl from `/` finds, computed from the generated link
/// graph (and checked against the HTML by `--check`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// Distinct URLs answering 200: the index, every page, the query variants.
    pub ok: u64,
    /// Of which query variants.
    pub query_variants: u64,
    /// Distinct URLs answering 404.
    pub not_found: u64,
    /// Pages `/d<k>/p<n>.html` reached (all of them, if the site is right).
    pub pages: u64,
    /// Levels of the breadth-first crawl, `/` being level 0.
    pub depth: u32,
}

/// The generated site, rendered in memory.
pub struct Site {
    pages: u32,
    origin: String,
    index: Bytes,
    bodies: Vec<Bytes>,
    not_found: Bytes,
    /// Bytes of all bodies (index and pages).
    pub total_bytes: u64,
    /// The reachability of the site from `/`.
    pub reach: Reach,
}

impl Site {
    /// Renders a site of `pages` pages (at least 1) whose absolute links point
    /// to `origin` (`http://127.0.0.1:PORT`), on up to `threads` threads. The
    /// bytes depend only on `pages`, `origin` and `seed`.
    pub fn generate(pages: u32, origin: &str, seed: u64, threads: usize) -> Site {
        assert!(pages > 0, "a site has at least one page");
        let generator = Generator {
            pages,
            dirs: pages.div_ceil(PAGES_PER_DIR),
            origin,
            seed,
        };
        let threads = threads.clamp(1, 64) as u32;
        let chunk = pages.div_ceil(threads);
        let rendered: Vec<(Bytes, Vec<Target>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let generator = &generator;
                    let start = (t * chunk).min(pages);
                    let end = (start + chunk).min(pages);
                    scope.spawn(move || (start..end).map(|n| generator.page(n)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("page generator panicked"))
                .collect()
        });
        let (index, index_targets) = generator.index();
        let (bodies, targets): (Vec<Bytes>, Vec<Vec<Target>>) = rendered.into_iter().unzip();
        let reach = reachability(pages, &index_targets, &targets);
        let total_bytes = index.len() as u64 + bodies.iter().map(|b| b.len() as u64).sum::<u64>();
        Site {
            pages,
            origin: origin.to_owned(),
            index,
            bodies,
            not_found: Bytes::from_static(NOT_FOUND_BODY.as_bytes()),
            total_bytes,
            reach,
        }
    }

    /// Number of pages `/d<k>/p<n>.html`.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// `http://127.0.0.1:PORT`
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The index page body.
    pub fn index(&self) -> &Bytes {
        &self.index
    }

    /// Page `n`'s body.
    pub fn page(&self, n: u32) -> &Bytes {
        &self.bodies[n as usize]
    }

    /// The 404 body.
    pub fn not_found(&self) -> &Bytes {
        &self.not_found
    }

    /// Page `n`'s URL.
    pub fn page_url(&self, n: u32) -> String {
        format!("{}{}", self.origin, page_path(n))
    }

    /// What a request path (without its query) is. Paths are matched exactly,
    /// as a static file server would: `/d03/p300.html` is a 404.
    pub fn route(&self, path: &str) -> Route {
        if path == "/" {
            return Route::Index;
        }
        if path == STATS_PATH {
            return Route::Stats;
        }
        let Some((dir, file)) = path.strip_prefix("/d").and_then(|p| p.split_once('/')) else {
            return Route::NotFound;
        };
        let page = file.strip_prefix('p').and_then(|f| f.strip_suffix(".html"));
        match (canonical_number(dir), page.and_then(canonical_number)) {
            (Some(k), Some(n)) if n < self.pages && k == n / PAGES_PER_DIR => Route::Page(n),
            _ => Route::NotFound,
        }
    }
}

/// A decimal number without sign, leading zeros or anything else.
fn canonical_number(s: &str) -> Option<u32> {
    let canonical =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if canonical { s.parse().ok() } else { None }
}

/// `/d<k>/p<n>.html`
pub fn page_path(n: u32) -> String {
    format!("/d{}/p{}.html", n / PAGES_PER_DIR, n)
}

const NOT_FOUND_BODY: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>404 Not Found</title></head>\n<body><h1>Not Found</h1><p>The requested page does not \
exist. <a href=\"/\">Home</a></p></body></html>\n";

const QUERIES: [&str; QUERY_VARIANTS as usize] =
    ["?ref=1", "?ref=2&amp;src=related", "?sort=asc&amp;ref=3"];

/// Words for titles, paragraphs and link texts; a few are not ASCII, as on
/// real pages.
const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "had",
    "they",
    "you",
    "were",
    "their",
    "one",
    "all",
    "we",
    "can",
    "her",
    "has",
    "there",
    "been",
    "if",
    "more",
    "when",
    "will",
    "would",
    "who",
    "so",
    "no",
    "time",
    "people",
    "year",
    "way",
    "day",
    "thing",
    "man",
    "world",
    "life",
    "hand",
    "part",
    "child",
    "eye",
    "woman",
    "place",
    "work",
    "week",
    "case",
    "point",
    "government",
    "company",
    "number",
    "group",
    "problem",
    "fact",
    "crawler",
    "network",
    "server",
    "request",
    "response",
    "header",
    "page",
    "link",
    "anchor",
    "index",
    "document",
    "library",
    "archive",
    "river",
    "mountain",
    "garden",
    "kitchen",
    "window",
    "market",
    "harbour",
    "village",
    "engine",
    "signal",
    "pattern",
    "winter",
    "summer",
    "morning",
    "evening",
    "history",
    "science",
    "music",
    "language",
    "question",
    "answer",
    "system",
    "program",
    "journey",
    "letter",
    "paper",
    "story",
    "table",
    "chapter",
    "section",
    "quickly",
    "slowly",
    "carefully",
    "rarely",
    "often",
    "always",
    "never",
    "perhaps",
    "bright",
    "quiet",
    "ancient",
    "modern",
    "simple",
    "complex",
    "useful",
    "careful",
    "small",
    "large",
    "green",
    "narrow",
    "broad",
    "steady",
    "remote",
    "local",
    "public",
    "private",
    "build",
    "write",
    "read",
    "follow",
    "measure",
    "count",
    "carry",
    "gather",
    "open",
    "close",
    "describe",
    "explain",
    "consider",
    "suggest",
    "remember",
    "discover",
    "café",
    "naïve",
    "façade",
    "résumé",
    "über",
    "déjà",
    "coöperate",
    "piñata",
    "smörgåsbord",
    "crème",
];

/// Renders pages; everything a page needs besides its number.
struct Generator<'a> {
    pages: u32,
    dirs: u32,
    origin: &'a str,
    seed: u64,
}

/// A link to be placed on a page.
struct Link {
    href: String,
    text: String,
}

impl Generator<'_> {
    /// Page `n`: its body and its internal link targets.
    fn page(&self, n: u32) -> (Bytes, Vec<Target>) {
        let mut rng = Rng::new(self.seed, u64::from(n) + 1);
        let dir = n / PAGES_PER_DIR;
        let first = dir * PAGES_PER_DIR;
        let size = rng.range(16_000, 24_000) as usize;
        let sections = (size / 1_700).max(4) as u32;
        let next = (n + 1) % self.pages;
        let prev = (n + self.pages - 1) % self.pages;
        let mut targets = vec![Target::Page(first), Target::Page(prev), Target::Page(next)];

        // The links in the body: the two pages after `next`, then random ones.
        let body_links = rng.range(58, 70) as usize;
        let mut links = Vec::with_capacity(body_links);
        for m in [(n + 2) % self.pages, (n + 3) % self.pages] {
            links.push(Link {
                href: self.relative(n, m),
                text: format!("Page {m}"),
            });
            targets.push(Target::Page(m));
        }
        while links.len() < body_links {
            links.push(self.random_link(&mut rng, n, sections, &mut targets));
        }

        let mut html = String::with_capacity(size + 4_096);
        let title = title(&mut rng);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title} &mdash; page {n}</title>\n<meta name=\"description\" content=\""
        );
        sentence(&mut rng, &mut html, 14, None);
        let _ = write!(
            html,
            "\">\n<style>body{{font-family:sans-serif;max-width:60em;margin:auto}}\
             nav ul{{list-style:none;display:flex;gap:1em}}</style>\n</head>\n\
             <body id=\"top\">\n<header><p class=\"site\">Benchsite</p>\n\
             <nav aria-label=\"main\"><ul>\n<li><a href=\"/\">Home</a></li>\n\
             <li><a href=\"/d{dir}/p{first}.html\">Section {dir}</a></li>\n\
             <li><a href=\"{}\" rel=\"prev\">Previous</a></li>\n\
             <li><a href=\"{}\" rel=\"next\">Next</a></li>\n\
             <li><a href=\"#main\">Skip to content</a></li>\n</ul></nav></header>\n\
             <main id=\"main\">\n<h1>{title}</h1>\n",
            self.relative(n, prev),
            self.relative(n, next),
        );

        let mut links = links.into_iter();
        let total = body_links;
        let mut placed = 0;
        let footer_estimate = 600;
        let mut s = 1;
        while s <= sections || (html.len() + footer_estimate < size) {
            // Spread the links evenly over the planned sections.
            let quota = if s <= sections {
                let left = total - placed;
                left.div_ceil((sections - s + 1) as usize)
            } else {
                0
            };
            placed += quota;
            let in_list = quota / 3;
            let mut in_text = quota - in_list;
            let _ = write!(html, "<section id=\"sec{s}\">\n<h2>");
            words(&mut rng, &mut html, 3, 6, true);
            html.push_str("</h2>\n");
            let paragraphs = rng.range(2, 3);
            for p in 0..paragraphs {
                let here = if p + 1 == paragraphs {
                    in_text
                } else {
                    in_text / 2
                };
                in_text -= here;
                paragraph(&mut rng, &mut html, here, &mut links);
            }
            if in_list > 0 {
                html.push_str("<ul class=\"related\">\n");
                for link in links.by_ref().take(in_list) {
                    let _ = writeln!(html, "<li><a href=\"{}\">{}</a></li>", link.href, link.text);
                }
                html.push_str("</ul>\n");
            }
            html.push_str("</section>\n");
            s += 1;
        }
        // Rounding never leaves links over, but be sure.
        for link in links {
            let _ = writeln!(html, "<p><a href=\"{}\">{}</a></p>", link.href, link.text);
        }
        let word = rng.pick(WORDS);
        let _ = write!(
            html,
            "</main>\n<footer>\n<p>Contact <a href=\"mailto:webmaster@example.invalid\">the \
             webmaster</a> or call <a href=\"tel:+1-555-0100\">+1 555 0100</a>.</p>\n\
             <p><a href=\"https://example.invalid/\">Example</a> &middot; \
             <a href=\"http://external.invalid/about/{word}.html\">About us</a> &middot; \
             <a href=\"//social.example.invalid/share?u={n}&amp;t=page\">Share</a> &middot; \
             <a href=\"#top\">Back to top</a></p>\n\
             <p>&copy; 2024 Benchsite. Page {n} of {}.</p>\n</footer>\n</body>\n</html>\n",
            self.pages
        );
        html.shrink_to_fit();
        (Bytes::from(html), targets)
    }

    /// A random body link of page `n`, recording its internal target.
    fn random_link(&self, rng: &mut Rng, n: u32, sections: u32, targets: &mut Vec<Target>) -> Link {
        let text = {
            let mut t = String::new();
            words(rng, &mut t, 1, 3, false);
            t
        };
        let dir = n / PAGES_PER_DIR;
        let roll = rng.below(1000);
        let href = match roll {
            // Relative: half of them within the same directory.
            0..=407 => {
                let m = if rng.chance(1, 2) {
                    self.in_dir(rng, dir)
                } else {
                    self.any_page(rng)
                };
                targets.push(Target::Page(m));
                let href = self.relative(n, m);
                if m / PAGES_PER_DIR == dir && rng.chance(1, 10) {
                    format!("./{href}")
                } else {
                    href
                }
            }
            408..=607 => {
                let m = self.any_page(rng);
                targets.push(Target::Page(m));
                page_path(m)
            }
            608..=707 => {
                let m = self.any_page(rng);
                targets.push(Target::Page(m));
                format!("{}{}", self.origin, page_path(m))
            }
            // A page and a fragment.
            708..=767 => {
                let m = self.any_page(rng);
                targets.push(Target::Page(m));
                let fragment = rng.range(1, 4);
                if rng.chance(1, 2) {
                    format!("{}#sec{fragment}", self.relative(n, m))
                } else {
                    format!("{}#top", page_path(m))
                }
            }
            768..=827 => format!("#sec{}", rng.range(1, u64::from(sections))),
            // A directory's first page with a query string.
            828..=877 => {
                let k = if rng.chance(1, 2) {
                    dir
                } else {
                    rng.below(u64::from(self.dirs)) as u32
                };
                let m = k * PAGES_PER_DIR;
                let r = rng.below(u64::from(QUERY_VARIANTS)) as u8;
                targets.push(Target::Query(m, r + 1));
                let query = QUERIES[r as usize];
                if rng.chance(1, 2) {
                    format!("{}{query}", self.relative(n, m))
                } else {
                    format!("{}{query}", page_path(m))
                }
            }
            // About 1% of all links: a missing page.
            878..=889 => {
                let k = if rng.chance(1, 2) {
                    dir
                } else {
                    rng.below(u64::from(self.dirs)) as u32
                };
                let r = rng.below(u64::from(GONE_PER_DIR)) as u8;
                targets.push(Target::Gone(k, r));
                if k == dir {
                    format!("gone{r}.html")
                } else {
                    format!("/d{k}/gone{r}.html")
                }
            }
            890..=969 => {
                let word = rng.pick(WORDS);
                match rng.below(4) {
                    0 => format!("http://external.invalid/{word}/{}.html", rng.below(1000)),
                    1 => format!("https://example.invalid/{word}"),
                    2 => format!("https://www.example.invalid/search?q={word}&amp;lang=en"),
                    _ => format!("//cdn.example.invalid/{word}/"),
                }
            }
            970..=989 => format!("mailto:{}@example.invalid", rng.pick(&WORDS[70..100])),
            _ => format!("tel:+1-555-01{:02}", rng.below(100)),
        };
        Link { href, text }
    }

    /// A page in directory `dir`.
    fn in_dir(&self, rng: &mut Rng, dir: u32) -> u32 {
        let first = dir * PAGES_PER_DIR;
        let len = PAGES_PER_DIR.min(self.pages - first);
        first + rng.below(u64::from(len)) as u32
    }

    fn any_page(&self, rng: &mut Rng) -> u32 {
        rng.below(u64::from(self.pages)) as u32
    }

    /// The relative link from page `from` to page `to`.
    fn relative(&self, from: u32, to: u32) -> String {
        let dir = to / PAGES_PER_DIR;
        if dir == from / PAGES_PER_DIR {
            format!("p{to}.html")
        } else {
            format!("../d{dir}/p{to}.html")
        }
    }

    /// The index: an even spread of pages, so a crawl from `/` starts wide.
    fn index(&self) -> (Bytes, Vec<Target>) {
        let mut rng = Rng::new(self.seed, 0);
        let step = self.pages.div_ceil(INDEX_LINKS).max(1);
        let mut html = String::with_capacity(32_768);
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>Benchsite &mdash; index of {} pages</title>\n</head>\n<body id=\"top\">\n\
             <header><p class=\"site\">Benchsite</p></header>\n<main id=\"main\">\n\
             <h1>Index</h1>\n",
            self.pages
        );
        paragraph(&mut rng, &mut html, 0, &mut std::iter::empty());
        html.push_str("<ul class=\"pages\">\n");
        let mut targets = Vec::new();
        for m in (0..self.pages).step_by(step as usize) {
            let _ = writeln!(html, "<li><a href=\"{}\">Page {m}</a></li>", page_path(m));
            targets.push(Target::Page(m));
        }
        html.push_str(
            "</ul>\n</main>\n<footer><p><a href=\"mailto:webmaster@example.invalid\">Contact</a> \
             &middot; <a href=\"https://example.invalid/\">Example</a></p></footer>\n\
             </body>\n</html>\n",
        );
        (Bytes::from(html), targets)
    }
}

/// Breadth-first search over the generated link graph from `/`.
fn reachability(pages: u32, index: &[Target], targets: &[Vec<Target>]) -> Reach {
    let mut page_seen = vec![false; pages as usize];
    let mut query_seen = vec![false; pages as usize * QUERY_VARIANTS as usize];
    let mut gone_seen = std::collections::HashSet::new();
    let mut reach = Reach {
        ok: 1,
        ..Reach::default()
    };
    let mut level: Vec<u32> = Vec::new();
    let mut visit = |t: &Target, next: &mut Vec<u32>, reach: &mut Reach| match *t {
        Target::Page(m) if !page_seen[m as usize] => {
            page_seen[m as usize] = true;
            reach.ok += 1;
            reach.pages += 1;
            next.push(m);
        }
        Target::Query(m, r) => {
            let i = m as usize * QUERY_VARIANTS as usize + usize::from(r - 1);
            if !query_seen[i] {
                query_seen[i] = true;
                reach.ok += 1;
                reach.query_variants += 1;
                // Same body as page m: its links are already followed from m,
                // which the variant's directory-first page links to.
                next.push(m);
            }
        }
        Target::Gone(k, r) => {
            if gone_seen.insert((k, r)) {
                reach.not_found += 1;
            }
        }
        Target::Page(_) => {}
    };
    for t in index {
        visit(t, &mut level, &mut reach);
    }
    while !level.is_empty() {
        reach.depth += 1;
        let mut next = Vec::new();
        for m in level {
            for t in &targets[m as usize] {
                visit(t, &mut next, &mut reach);
            }
        }
        level = next;
    }
    reach
}

fn title(rng: &mut Rng) -> String {
    let mut t = String::new();
    words(rng, &mut t, 3, 5, true);
    t
}

/// `lo..=hi` words separated by spaces; each capitalised if `capitals`.
fn words(rng: &mut Rng, out: &mut String, lo: u64, hi: u64, capitals: bool) {
    for i in 0..rng.range(lo, hi) {
        if i > 0 {
            out.push(' ');
        }
        push_word(out, rng.pick(WORDS), capitals);
    }
}

fn push_word(out: &mut String, word: &str, capital: bool) {
    if capital {
        let mut chars = word.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    } else {
        out.push_str(word);
    }
}

/// A sentence of about `len` words, with `link` placed before the full stop.
fn sentence(rng: &mut Rng, out: &mut String, len: u64, link: Option<Link>) {
    let n = rng.range(len / 2 + 1, len + len / 2);
    for i in 0..n {
        if i > 0 {
            out.push(if rng.chance(1, 12) { ',' } else { ' ' });
            if out.ends_with(',') {
                out.push(' ');
            }
        }
        push_word(out, rng.pick(WORDS), i == 0);
    }
    if let Some(link) = link {
        let _ = write!(out, " <a href=\"{}\">{}</a>", link.href, link.text);
    }
    out.push('.');
}

/// A paragraph of sentences carrying the next `links` links of `queue`.
fn paragraph(
    rng: &mut Rng,
    out: &mut String,
    links: usize,
    queue: &mut impl Iterator<Item = Link>,
) {
    out.push_str("<p>");
    let sentences = (rng.range(3, 7) as usize).max(links + 1);
    let mut left = links;
    for i in 0..sentences {
        if i > 0 {
            out.push(' ');
        }
        // Put the links into the sentences at random, all of them by the end.
        let must = left > 0 && sentences - i <= left;
        let link = if left > 0 && (must || rng.chance(1, 2)) {
            left -= 1;
            queue.next()
        } else {
            None
        };
        sentence(rng, out, 12, link);
    }
    out.push_str("</p>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_exact() {
        let site = Site::generate(250, "http://127.0.0.1:1", DEFAULT_SEED, 2);
        assert_eq!(site.route("/"), Route::Index);
        assert_eq!(site.route("/d0/p0.html"), Route::Page(0));
        assert_eq!(site.route("/d2/p249.html"), Route::Page(249));
        for missing in [
            "/d2/p250.html",
            "/d1/p249.html",
            "/d02/p249.html",
            "/d2/p0249.html",
            "/d0/gone0.html",
            "/robots.txt",
            "/sitemap.xml",
            "/index.html",
            "/d0/p0.htm",
            "/d/p.html",
        ] {
            assert_eq!(site.route(missing), Route::NotFound, "{missing}");
        }
    }

    #[test]
    fn generation_is_deterministic_and_thread_independent() {
        let a = Site::generate(300, "http://127.0.0.1:1", 7, 1);
        let b = Site::generate(300, "http://127.0.0.1:1", 7, 3);
        assert_eq!(a.index, b.index);
        assert_eq!(a.bodies, b.bodies);
        let c = Site::generate(300, "http://127.0.0.1:1", 8, 1);
        assert_ne!(a.bodies, c.bodies);
    }

    #[test]
    fn every_page_is_reachable() {
        for pages in [1, 2, 99, 100, 101, 1_000] {
            let site = Site::generate(pages, "http://127.0.0.1:1", DEFAULT_SEED, 2);
            assert_eq!(site.reach.pages, u64::from(pages), "{pages} pages");
        }
    }

    #[test]
    fn pages_are_about_20_kb() {
        let site = Site::generate(200, "http://127.0.0.1:1", DEFAULT_SEED, 2);
        let average = site.total_bytes / 201;
        assert!((18_000..=22_000).contains(&average), "{average}");
    }
}
