//! Link extraction: from a page's HTML to the links it contains.
//!
//! Extraction is a pure function: [`extract_links`] takes the page's URL and its
//! decoded HTML and returns the links, with no I/O and no shared state, so it can be
//! unit-tested with inline HTML and fuzzed with arbitrary input.
//!
//! What counts as a link follows the HTML and URL standards, the way a browser sees
//! `document.links`:
//!
//! - the document is parsed by html5ever exactly as a browser with scripting enabled
//!   would build it, so unclosed or nested anchors, uppercase tags, unquoted values
//!   and duplicate attributes behave as in a browser (up to 512 elements deep, and
//!   within an element budget: [`crate::parse`]);
//! - a link is an HTML-namespace `<a>` or `<area>` element with an `href` attribute in
//!   the document tree; text in comments, `<script>`, `<style>`, `<textarea>`,
//!   `<title>`, `<noscript>`, the contents of `<template>` and SVG or MathML `<a>`
//!   elements are not links;
//! - each `href` is resolved against the document base URL (the first `<base href>`
//!   in tree order, else the document URL) by the WHATWG URL parser, as
//!   `new URL(href, base)` does;
//! - only `http` and `https` results are kept, the fragment is dropped unless
//!   [`ExtractOptions::keep_fragments`] is set, and each distinct URL is returned
//!   once, at its first occurrence, in document order.
//!
//! Other kinds of links (`<img src>`, `srcset` candidates, `<script src>`, frames,
//! `<meta http-equiv=refresh>`, ... and the `Link:`/`Refresh:` response headers,
//! [`LinkKinds`]) are resolved the same way; [`try_extract`] returns the kinds a
//! [`LinkFilter`] names, optionally only inside elements CSS selectors match
//! ([`Select`]). Each target is returned once per kind ([`try_extract`]).
//!
//! ```
//! use crawl::extract::{extract_links, ExtractOptions, LinkTag};
//!
//! let page = url::Url::parse("https://example.com/docs/index.html").unwrap();
//! let html = r#"<a href="intro.html#top">Intro</a> <a href="mailto:me@example.com">Mail</a>"#;
//! let links = extract_links(&page, html, ExtractOptions::default());
//! assert_eq!(links.len(), 1);
//! assert_eq!(links[0].url.as_str(), "https://example.com/docs/intro.html");
//! assert_eq!(links[0].tag, LinkTag::A);
//! ```

use rustc_hash::FxHashSet as HashSet;

use scraper::{Html, Node};
use url::Url;

pub use crate::parse::Stop;

mod kinds;
mod syntax;

pub(crate) use kinds::element_link;
pub use kinds::{LinkAttr, LinkKinds, LinkTag, UnknownKind, is_followed};

/// The HTML namespace; elements from SVG or MathML content have another one.
const HTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";

/// One link found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The absolute target, resolved against the document base URL; its scheme is
    /// always `http` or `https`.
    pub url: Url,
    /// The element the link came from (the first one, when several elements of one
    /// kind point to the same URL).
    pub tag: LinkTag,
    /// The attribute (or header) the link came from.
    pub attribute: LinkAttr,
}

impl Link {
    /// A hyperlink: `tag` (`a` or `area`) with its `href`.
    pub fn hyperlink(url: Url, tag: LinkTag) -> Link {
        Link {
            url,
            tag,
            attribute: LinkAttr::Href,
        }
    }

    /// The attribute the link came from (`"href"`, `"src"`, ...), or the header
    /// (`"link"`, `"refresh"`).
    pub fn attr(&self) -> &'static str {
        self.attribute.as_str()
    }

    /// Whether a recursive crawl fetches this link as a page ([`is_followed`]).
    pub fn is_followed(&self) -> bool {
        is_followed(self.tag, self.attribute)
    }
}

/// Which links extraction returns: their kinds, and the part of the page they are in.
#[derive(Debug, Clone, Default)]
pub struct LinkFilter {
    /// The kinds of links returned. Default [`LinkKinds::HYPERLINKS`].
    pub kinds: LinkKinds,
    /// Only links inside an element this matches (the link's element itself or an
    /// ancestor). Default none: links anywhere in the document.
    pub select: Option<Select>,
}

/// CSS selectors (`--select`, repeatable): a link is kept when its element or an
/// ancestor matches any of them. Matched by scraper's selector engine on scraper's
/// tree, which keeps every attribute and text node: on the benchmark page an
/// extraction with selectors took 1.2 to 1.5 times the default lean one's time.
#[derive(Clone)]
pub struct Select {
    sources: Vec<String>,
    /// Shared: a crawl's workers each use the selectors of its config.
    selectors: std::sync::Arc<[scraper::Selector]>,
}

/// A `--select` value that is not a CSS selector list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the selector {selector:?} does not parse: {message}")]
pub struct SelectError {
    /// The selector as given.
    pub selector: String,
    /// The CSS parser's message.
    pub message: String,
}

impl Select {
    /// Parses each selector list (`"main, article"`); a link matching any is kept.
    ///
    /// # Errors
    ///
    /// [`SelectError`] naming the first selector that does not parse, with the
    /// parser's message.
    pub fn parse<I>(selectors: I) -> Result<Select, SelectError>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let sources: Vec<String> = selectors.into_iter().map(Into::into).collect();
        let selectors = sources
            .iter()
            .map(|css| {
                scraper::Selector::parse(css).map_err(|e| SelectError {
                    selector: css.clone(),
                    message: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Select { sources, selectors })
    }

    /// The selectors as given.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Whether `el` or one of its ancestors matches.
    fn contains(&self, el: scraper::ElementRef<'_>) -> bool {
        std::iter::once(*el)
            .chain(el.ancestors())
            .filter_map(scraper::ElementRef::wrap)
            .any(|el| self.selectors.iter().any(|s| s.matches(&el)))
    }
}

impl std::fmt::Debug for Select {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Select").field(&self.sources).finish()
    }
}

/// Extraction options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractOptions {
    /// Keep the `#fragment` of each link. Default `false`: fragments are dropped, so
    /// `page#a` and `page#b` are one link to `page`.
    pub keep_fragments: bool,
    /// The document's character encoding. The HTML standard resolves `href`s with it
    /// ("encoding-parse a URL"): a non-ASCII query is percent-encoded in the page's
    /// encoding, as browsers do for links. `None`, UTF-8 and UTF-16 (which URLs
    /// replace with UTF-8) all mean UTF-8. Paths are always UTF-8.
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl ExtractOptions {
    /// The query encoding, if it is not UTF-8.
    fn query_encoding(&self) -> Option<&'static encoding_rs::Encoding> {
        self.encoding
            .filter(|e| e.output_encoding() != encoding_rs::UTF_8)
    }
}

/// Parses `html` with html5ever and returns the page's hyperlinks (`a`, `area`).
///
/// Pure, synchronous and I/O free; it never panics, whatever the input. See the
/// [module documentation](self) for what counts as a link and how it is resolved.
/// The parse is bounded as [`crate::parse`] describes; a document that goes over its
/// element budget gives the links found up to there ([`try_extract_links`] says so).
pub fn extract_links(document_url: &Url, html: &str, opts: ExtractOptions) -> Vec<Link> {
    try_extract_links(document_url, html, opts, || None).links
}

/// The links a bounded parse found, and why it stopped early if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The links found, in document order (all of them when `stopped` is `None`).
    pub links: Vec<Link>,
    /// Why the parse ended before the end of the document, if it did.
    pub stopped: Option<Stop>,
}

/// [`extract_links`] with a check run between chunks of the parse: returning
/// `Some(stop)` ends it there (a deadline passed, a crawl was cancelled).
pub fn try_extract_links(
    document_url: &Url,
    html: &str,
    opts: ExtractOptions,
    check: impl FnMut() -> Option<Stop>,
) -> Extracted {
    let (found, stopped) = crate::parse::parse(html, LinkKinds::HYPERLINKS, check);
    let links = resolve_found(document_url, &found, opts);
    Extracted { links, stopped }
}

/// [`try_extract_links`] for the links `filter` asks for: the kinds it names, and
/// with [`LinkFilter::select`] only those inside matching elements.
///
/// Without selectors the parse is the lean one [`extract_links`] uses, keeping only
/// the attributes the kinds need. With selectors it builds scraper's whole tree (the
/// same bounds apply: depth, element budget, `check`), for the selector engine.
///
/// A target is returned once per kind, at its first occurrence: an `<a>` and an
/// `<img>` to one URL are two links, two `<img>`s (or an `<img>`'s `src` and its
/// `srcset`) one; `a` and `area` are one kind, as they always were.
pub fn try_extract(
    document_url: &Url,
    html: &str,
    opts: ExtractOptions,
    filter: &LinkFilter,
    check: impl FnMut() -> Option<Stop>,
) -> Extracted {
    match &filter.select {
        None => {
            let (found, stopped) = crate::parse::parse(html, filter.kinds, check);
            let links = resolve_found(document_url, &found, opts);
            Extracted { links, stopped }
        }
        Some(select) => {
            let (doc, stopped) = crate::parse::parse_scraper(html, filter.kinds, check);
            let scan = scan(&doc, filter.kinds, Some(select));
            let links = resolve_all(document_url, scan.base_href, &scan.hrefs, opts);
            Extracted { links, stopped }
        }
    }
}

/// Resolves what the lean parse found.
fn resolve_found(
    document_url: &Url,
    found: &crate::parse::tree::Found,
    opts: ExtractOptions,
) -> Vec<Link> {
    let hrefs: Vec<Raw<'_>> = found
        .hrefs
        .iter()
        .map(|(h, tag, attr)| (&**h, *tag, *attr))
        .collect();
    resolve_all(document_url, found.base_href.as_deref(), &hrefs, opts)
}

/// Returns the hyperlinks of a document scraper has parsed, so callers can reuse one
/// parse.
///
/// `document_url` is the URL the document was fetched from (after redirects); it is
/// the base URL unless the document has a `<base href>`. Gives the same links as
/// [`extract_links`] for any document under [`crate::parse::MAX_DEPTH`] deep and
/// within its element budget, but for MathML `annotation-xml` integration points,
/// which scraper's tree does not mark (its links are found as browsers find them only
/// by [`extract_links`]).
pub fn links_in_document(document_url: &Url, doc: &Html, opts: ExtractOptions) -> Vec<Link> {
    links_in_document_filtered(document_url, doc, opts, &LinkFilter::default())
}

/// [`links_in_document`] for the links `filter` asks for, as [`try_extract`] finds
/// them.
pub fn links_in_document_filtered(
    document_url: &Url,
    doc: &Html,
    opts: ExtractOptions,
    filter: &LinkFilter,
) -> Vec<Link> {
    let scan = scan(doc, filter.kinds, filter.select.as_ref());
    resolve_all(document_url, scan.base_href, &scan.hrefs, opts)
}

/// The links of a response's headers: `headers` holds the values of its `Link:`
/// ([`LinkAttr::LinkHeader`]) and `Refresh:` ([`LinkAttr::RefreshHeader`]) headers,
/// in the order received. Their URLs are resolved against `document_url` (the
/// response's URL: a header comes before any `<base>` the body has), in UTF-8, and
/// each target is returned once per header kind. Their tag is [`LinkTag::Header`].
pub fn header_links(
    document_url: &Url,
    headers: &[(LinkAttr, &str)],
    opts: ExtractOptions,
) -> Vec<Link> {
    let raws: Vec<Raw<'_>> = headers
        .iter()
        .filter(|(attr, _)| matches!(attr, LinkAttr::LinkHeader | LinkAttr::RefreshHeader))
        .map(|&(attr, value)| (value, LinkTag::Header, attr))
        .collect();
    let opts = ExtractOptions {
        encoding: None,
        ..opts
    };
    resolve(document_url, &raws, opts)
}

/// One URL-bearing value as the document holds it: the attribute's value (a whole
/// `srcset` or refresh `content`), its element and its attribute.
type Raw<'a> = (&'a str, LinkTag, LinkAttr);

/// Resolves `hrefs` against the document's base URL.
fn resolve_all(
    document_url: &Url,
    base_href: Option<&str>,
    hrefs: &[Raw<'_>],
    opts: ExtractOptions,
) -> Vec<Link> {
    // The HTML standard's "frozen base URL": the first base element's href parsed
    // against the fallback base URL (the document URL); if that fails, the fallback.
    let frozen;
    let encoding = opts.query_encoding();
    let base = match base_href.and_then(|href| join(document_url, href, encoding)) {
        Some(url) => {
            frozen = url;
            &frozen
        }
        None => document_url,
    };
    resolve(base, hrefs, opts)
}

/// What one walk over the document tree finds.
struct Scan<'a> {
    /// The `href` of the first HTML `<base>` element that has one.
    base_href: Option<&'a str>,
    /// The URL-bearing values of the elements the kinds name, in tree order.
    hrefs: Vec<Raw<'a>>,
}

/// Walks the document tree in tree order, skipping template contents, and collects
/// the first base `href` and the values of the links `kinds` names (inside an
/// element `select` matches, if given).
///
/// One pass finds both because the base URL applies to every link, including the
/// ones before the `<base>` element.
fn scan<'a>(doc: &'a Html, kinds: LinkKinds, select: Option<&Select>) -> Scan<'a> {
    let mut scan = Scan {
        base_href: None,
        hrefs: Vec::new(),
    };
    let root = doc.tree.root();
    let mut next = root.first_child();
    while let Some(node) = next {
        // Only elements have children worth visiting: a template's contents live in
        // a `Node::Fragment` child, which is not in the document tree.
        let mut descend = false;
        if let Node::Element(el) = node.value() {
            descend = true;
            if &*el.name.ns == HTML_NAMESPACE {
                // The parser gives HTML elements only non-namespaced attributes, and
                // of duplicate attributes it keeps the first.
                let attr = |name: &str| el.attrs().find(|&(n, _)| n == name).map(|(_, v)| v);
                if &*el.name.local == "base" {
                    if scan.base_href.is_none() {
                        scan.base_href = attr("href");
                    }
                } else if let Some((tag, names)) = element_link(&el.name.local, kinds, attr) {
                    let inside = select.is_none_or(|select| {
                        scraper::ElementRef::wrap(node).is_some_and(|el| select.contains(el))
                    });
                    if inside {
                        for &name in names {
                            if let Some(value) = attr(name.as_str()) {
                                scan.hrefs.push((value, tag, name));
                            }
                        }
                    }
                }
            }
        }
        next = if descend { node.first_child() } else { None };
        let mut cur = node;
        while next.is_none() {
            if let Some(sibling) = cur.next_sibling() {
                next = Some(sibling);
            } else if let Some(parent) = cur.parent() {
                cur = parent;
            } else {
                break;
            }
        }
    }
    scan
}

/// `new URL(input, base)`: the WHATWG URL parser, which `Url::join` implements, but
/// for one deviation it has.
///
/// url 2.5 treats an input that starts with `//` and more slashes (`///host/x`)
/// against a special base (`http:`, `https:`, `ws:`, `wss:`, `ftp:`) as an empty
/// host and fails, while the standard's "special authority ignore slashes state"
/// skips every `/` and `\` (browsers give `https://host/x`). Such inputs always
/// fail in url 2.5, so only on that failure the leading run of slashes is
/// rewritten to `//` and parsed again: the common path costs nothing.
fn join(base: &Url, input: &str, encoding: Option<&'static encoding_rs::Encoding>) -> Option<Url> {
    let parse = |input: &str| match encoding {
        None => base.join(input),
        Some(encoding) => {
            let encode = higher_ranked(|query| encode_query(encoding, query));
            Url::options()
                .base_url(Some(base))
                .encoding_override(Some(&encode))
                .parse(input)
        }
    };
    let err = match parse(input) {
        Ok(url) => return Some(url),
        Err(err) => err,
    };
    if err != url::ParseError::EmptyHost
        || !matches!(base.scheme(), "http" | "https" | "ws" | "wss" | "ftp")
    {
        return None;
    }
    // The parser first strips leading C0 controls and spaces, and ignores ASCII
    // tabs and newlines anywhere.
    let input = input.trim_start_matches(|c: char| c <= ' ');
    let mut slashes = 0;
    let mut rest = "";
    for (i, c) in input.char_indices() {
        match c {
            '/' | '\\' => slashes += 1,
            '\t' | '\n' | '\r' => {}
            _ => {
                rest = &input[i..];
                break;
            }
        }
    }
    if slashes < 3 {
        return None;
    }
    parse(&format!("//{rest}")).ok()
}

/// The URL standard's "percent-encode after encoding" for a query: the bytes of
/// `query` in `encoding`, with each character the encoding lacks written as
/// `%26%23<decimal>%3B` (an already percent-encoded `&#<decimal>;`, which the URL
/// parser leaves alone). encoding_rs's own replacement would give a bare `&#…;`.
fn encode_query(
    encoding: &'static encoding_rs::Encoding,
    query: &str,
) -> std::borrow::Cow<'static, [u8]> {
    use encoding_rs::EncoderResult;
    let mut encoder = encoding.new_encoder();
    let mut out = Vec::with_capacity(query.len() * 2 + 8);
    let mut rest = query;
    loop {
        let room = encoder
            .max_buffer_length_from_utf8_without_replacement(rest.len())
            .unwrap_or(rest.len() * 4 + 16);
        out.reserve(room);
        let (result, read) =
            encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return out.into(),
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(c) => {
                out.extend_from_slice(format!("%26%23{}%3B", u32::from(c)).as_bytes());
            }
        }
    }
}

/// Lets a closure borrow its argument into its result, as `encoding_override` needs.
fn higher_ranked<F: Fn(&str) -> std::borrow::Cow<'_, [u8]>>(f: F) -> F {
    f
}

/// Resolves each value against `base` (each candidate of a `srcset`, the URL of a
/// refresh or of a `Link:` header), keeps the `http`/`https` results, drops fragments
/// unless asked not to, and removes repeats of a target within a kind (first
/// occurrence wins). An empty value is a link only for `a` and `area` (browsers fetch
/// nothing for an empty `src`).
fn resolve<'a>(base: &Url, hrefs: &[Raw<'a>], opts: ExtractOptions) -> Vec<Link> {
    // An href string seen before in a kind gives the URL it gave then, which is
    // already in (or already rejected): skip it without parsing it again. Pages
    // repeat their navigation links a lot, and parsing is the cost here.
    let encoding = opts.query_encoding();
    let mut seen_hrefs = HashSet::with_capacity_and_hasher(hrefs.len(), Default::default());
    let mut links: Vec<Link> = Vec::with_capacity(hrefs.len());
    let mut one = |href: &'a str, tag: LinkTag, attribute: LinkAttr| {
        let kind = kinds::dedup_kind(tag, attribute);
        if !seen_hrefs.insert((href, kind)) || has_other_scheme(href) {
            return;
        }
        // `join` is the WHATWG URL parser with `base`: it strips leading and
        // trailing C0 controls and spaces, removes tabs and newlines, and treats
        // backslashes as slashes in special schemes, as `new URL(href, base)`.
        let Some(mut url) = join(base, href, encoding) else {
            return;
        };
        if !matches!(url.scheme(), "http" | "https") {
            return;
        }
        if !opts.keep_fragments {
            url.set_fragment(None);
        }
        links.push(Link {
            url,
            tag,
            attribute,
        });
    };
    for &(value, tag, attr) in hrefs {
        match attr {
            LinkAttr::Href if matches!(tag, LinkTag::A | LinkTag::Area) => one(value, tag, attr),
            LinkAttr::Srcset => {
                for url in syntax::srcset_urls(value) {
                    one(url, tag, attr);
                }
            }
            LinkAttr::Content | LinkAttr::RefreshHeader => {
                if let Some(url) = syntax::refresh_url(value).filter(|u| !is_blank(u)) {
                    one(url, tag, attr);
                }
            }
            LinkAttr::LinkHeader => {
                for url in syntax::link_header_urls(value)
                    .into_iter()
                    .filter(|u| !is_blank(u))
                {
                    one(url, tag, attr);
                }
            }
            _ if is_blank(value) => {}
            _ => one(value, tag, attr),
        }
    }
    // Different hrefs can give one URL: dedup on the serialization and kind, borrowed.
    let keep: Vec<bool> = {
        let mut seen = HashSet::with_capacity_and_hasher(links.len(), Default::default());
        links
            .iter()
            .map(|link| {
                seen.insert((
                    link.url.as_str(),
                    kinds::dedup_kind(link.tag, link.attribute),
                ))
            })
            .collect()
    };
    let mut keep = keep.into_iter();
    links.retain(|_| keep.next().unwrap_or(true));
    links
}

/// Whether a value is empty once the URL parser strips it (C0 controls and spaces).
fn is_blank(value: &str) -> bool {
    value.trim_matches(|c: char| c <= ' ').is_empty()
}

/// Whether `href` plainly starts with a scheme other than `http` or `https`
/// (`mailto:`, `javascript:`, ...), so that it cannot resolve to an http(s) URL and
/// need not be parsed. Conservative: anything unusual before the `:` (a tab or
/// newline, which the URL parser would remove) answers `false`.
fn has_other_scheme(href: &str) -> bool {
    let href = href.trim_start_matches(|c: char| c <= ' ');
    let Some(colon) = href.find(':') else {
        return false;
    };
    let scheme = &href[..colon];
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !scheme.eq_ignore_ascii_case("http")
        && !scheme.eq_ignore_ascii_case("https")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "https://example.com/dir/page.html";

    fn extract(doc: &str, html: &str, opts: ExtractOptions) -> Vec<Link> {
        extract_links(&Url::parse(doc).unwrap(), html, opts)
    }

    /// The link URLs of `html` fetched from `doc`, fragments dropped.
    fn urls_at(doc: &str, html: &str) -> Vec<String> {
        extract(doc, html, ExtractOptions::default())
            .into_iter()
            .map(|link| link.url.into())
            .collect()
    }

    fn urls(html: &str) -> Vec<String> {
        urls_at(DOC, html)
    }

    /// What one `<a href="...">` (the attribute as written in HTML) on `doc` yields.
    fn href_at(doc: &str, attr: &str) -> Option<String> {
        let found = urls_at(doc, &format!("<a href=\"{attr}\">x</a>"));
        assert!(found.len() <= 1, "{attr:?} gave {found:?}");
        found.into_iter().next()
    }

    fn href(attr: &str) -> Option<String> {
        href_at(DOC, attr)
    }

    #[track_caller]
    fn assert_href(attr: &str, expected: &str) {
        assert_eq!(href(attr).as_deref(), Some(expected), "href={attr:?}");
    }

    #[track_caller]
    fn assert_dropped(attr: &str) {
        assert_eq!(href(attr), None, "href={attr:?}");
    }

    #[test]
    fn relative_absolute_parent_query_and_fragment_links() {
        let html = r##"
            <a href="other.html">1</a>
            <a href="/root">2</a>
            <a href="../up.html">3</a>
            <a href="?q=1">4</a>
            <a href="#frag">5</a>
            <a href="https://other.example/x">6</a>
            <a href="sub/../x.html#y">7</a>
        "##;
        assert_eq!(
            urls(html),
            [
                "https://example.com/dir/other.html",
                "https://example.com/root",
                "https://example.com/up.html",
                "https://example.com/dir/page.html?q=1",
                "https://example.com/dir/page.html",
                "https://other.example/x",
                "https://example.com/dir/x.html",
            ]
        );
    }

    #[test]
    fn each_target_once_first_occurrence_and_its_tag_win() {
        let html = r##"
            <a href="/x">1</a>
            <map><area href="/x"></map>
            <a href="/x#a">2</a>
            <a href="https://example.com/x">3</a>
            <map><area href="/y"></map>
            <a href="/y">4</a>
        "##;
        let links = extract(DOC, html, ExtractOptions::default());
        let got: Vec<_> = links.iter().map(|l| (l.url.as_str(), l.tag)).collect();
        assert_eq!(
            got,
            [
                ("https://example.com/x", LinkTag::A),
                ("https://example.com/y", LinkTag::Area),
            ]
        );
    }

    #[test]
    fn self_links_count_once() {
        let html = r##"<a href="">1</a> <a href="page.html">2</a> <a href="#top">3</a>"##;
        assert_eq!(
            urls_at("https://example.com/dir/page.html#here", html),
            ["https://example.com/dir/page.html"]
        );
    }

    #[test]
    fn empty_query_only_and_fragment_only_hrefs() {
        let doc = "https://example.com/dir/page.html?old=1#old";
        assert_eq!(
            href_at(doc, "").as_deref(),
            Some("https://example.com/dir/page.html?old=1")
        );
        assert_eq!(
            href_at(doc, "?q").as_deref(),
            Some("https://example.com/dir/page.html?q")
        );
        assert_eq!(
            href_at(doc, "#frag").as_deref(),
            Some("https://example.com/dir/page.html?old=1")
        );
        // A valueless attribute is an empty href: a self link.
        assert_eq!(urls("<a href>x</a>"), [DOC]);
    }

    #[test]
    fn keep_fragments_keeps_them_and_distinguishes_targets() {
        let html = r##"
            <a href="#a">1</a><a href="#b">2</a><a href="x#c">3</a>
            <a href="">4</a><a href="#">5</a><a href="#a">6</a>
        "##;
        let keep = ExtractOptions {
            keep_fragments: true,
            ..ExtractOptions::default()
        };
        let kept: Vec<String> = extract("https://example.com/p#orig", html, keep)
            .into_iter()
            .map(|l| l.url.into())
            .collect();
        assert_eq!(
            kept,
            [
                "https://example.com/p#a",
                "https://example.com/p#b",
                "https://example.com/x#c",
                "https://example.com/p",
                "https://example.com/p#",
            ]
        );
        assert_eq!(
            urls_at("https://example.com/p#orig", html),
            ["https://example.com/p", "https://example.com/x"]
        );
        assert!(!ExtractOptions::default().keep_fragments);
    }

    #[test]
    fn uppercase_and_mixed_case_tags_and_attributes() {
        let html =
            r#"<A HREF="/upper">x</A><MAP><AREA HREF="/area-upper"></MAP><a hReF="/mixed">y</a>"#;
        let links = extract(DOC, html, ExtractOptions::default());
        let got: Vec<_> = links.iter().map(|l| (l.url.path(), l.tag)).collect();
        assert_eq!(
            got,
            [
                ("/upper", LinkTag::A),
                ("/area-upper", LinkTag::Area),
                ("/mixed", LinkTag::A),
            ]
        );
    }

    #[test]
    fn unquoted_and_single_quoted_values() {
        let html = r#"<a href=/unquoted?x=1>1</a><a href='/single "quoted"'>2</a><a href = "/spaced-equals">3</a>"#;
        assert_eq!(
            urls(html),
            [
                "https://example.com/unquoted?x=1",
                "https://example.com/single%20%22quoted%22",
                "https://example.com/spaced-equals",
            ]
        );
    }

    #[test]
    fn first_of_duplicate_href_attributes_wins() {
        assert_eq!(
            urls(r#"<a href="/first" HREF="/second" href="/third">x</a>"#),
            ["https://example.com/first"]
        );
    }

    #[test]
    fn unclosed_and_nested_anchors_follow_the_tree_builder() {
        // A second <a> closes the first (adoption agency), so both are links.
        let html = r#"<p><a href="/1">one<a href="/2">two</p><a href="/3">three"#;
        assert_eq!(
            urls(html),
            [
                "https://example.com/1",
                "https://example.com/2",
                "https://example.com/3"
            ]
        );
        // Misnested formatting: the parser clones the <a> into the <div>; the clone
        // points to the same target and is reported once.
        let html = r#"<a href="/outer"><div>x</a>y</div><a href="/after">z</a>"#;
        let doc = Html::parse_document(html);
        assert_eq!(
            scan(&doc, LinkKinds::HYPERLINKS, None).hrefs.len(),
            3,
            "the clone is in the tree"
        );
        assert_eq!(
            urls(html),
            ["https://example.com/outer", "https://example.com/after"]
        );
        // An <a> inside a table is foster-parented before the table: tree order.
        let html =
            r#"<table><tr><td><a href="/cell">c</a></td></tr><a href="/fostered">f</a></table>"#;
        assert_eq!(
            urls(html),
            ["https://example.com/fostered", "https://example.com/cell"]
        );
    }

    #[test]
    fn area_in_map_is_a_link_with_its_tag() {
        let html = r##"<img usemap="#m"><map name="m"><area shape="rect" coords="0,0,1,1" href="/region"><area nohref></map>"##;
        let links = extract(DOC, html, ExtractOptions::default());
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].url.as_str(), "https://example.com/region");
        assert_eq!(links[0].tag, LinkTag::Area);
        assert_eq!(links[0].tag.as_str(), "area");
        assert_eq!(links[0].attr(), "href");
        assert_eq!(LinkTag::A.as_str(), "a");
    }

    #[test]
    fn anchors_without_href_are_not_links() {
        let html = r#"<a name="x">1</a><a>2</a><a id="href">3</a><a data-href="/d">4</a><a xlink:href="/x">5</a>"#;
        assert_eq!(urls(html), Vec::<String>::new());
    }

    #[test]
    fn text_raw_text_templates_and_foreign_content_are_not_links() {
        let html = r##"<!DOCTYPE html>
            <html><head>
            <title><a href="/title"></a></title>
            <link rel="stylesheet" href="/style.css">
            <link rel="next" href="/next">
            <style>a { } <a href="/style"></a></style>
            <script>var s = '<a href="/script"></a>';</script>
            <noscript><a href="/noscript-head"></a></noscript>
            </head><body>
            <!-- <a href="/comment"></a> -->
            <textarea><a href="/textarea"></a></textarea>
            <noscript><a href="/noscript">x</a></noscript>
            <template><a href="/template">t</a>
              <template><a href="/nested-template">n</a></template></template>
            <svg><a href="/svg">s</a><a xlink:href="/xlink">l</a></svg>
            <math><a href="/math">m</a></math>
            <p>https://example.com/plain-text and href="/attr-lookalike"</p>
            <img src="/img.png"><iframe src="/frame"></iframe>
            <form action="/form"><button formaction="/button">b</button></form>
            <xmp><a href="/xmp"></a></xmp>
            <iframe><a href="/iframe-content"></a></iframe>
            <noembed><a href="/noembed"></a></noembed>
            <noframes><a href="/noframes"></a></noframes>
            <a href="/real">real</a>
            <plaintext><a href="/plaintext"></a>
        "##;
        assert_eq!(urls(html), ["https://example.com/real"]);
    }

    #[test]
    fn html_anchor_inside_svg_foreign_object_is_a_link() {
        let html =
            r#"<svg><foreignObject><a href="/fo">x</a></foreignObject><a href="/svg">y</a></svg>"#;
        assert_eq!(urls(html), ["https://example.com/fo"]);
    }

    #[test]
    fn relative_base_is_resolved_against_the_document_url() {
        let html = r#"<head><base href="../other/"></head><a href="x">x</a>"#;
        assert_eq!(urls(html), ["https://example.com/other/x"]);
        let html = r#"<base href="//cdn.example/c/"><a href="x">x</a>"#;
        assert_eq!(urls(html), ["https://cdn.example/c/x"]);
    }

    #[test]
    fn first_base_with_href_wins() {
        let html = r#"<base href="https://first.example/a/"><base href="https://second.example/b/"><a href="x">x</a>"#;
        assert_eq!(urls(html), ["https://first.example/a/x"]);
        let html = r#"<base target="_blank"><base href="/b/"><a href="x">x</a>"#;
        assert_eq!(urls(html), ["https://example.com/b/x"]);
    }

    #[test]
    fn base_applies_to_links_before_it_and_in_body() {
        let html = r#"<body><a href="x">1</a><p><base href="https://cdn.example/c/"></p><a href="y">2</a></body>"#;
        assert_eq!(
            urls(html),
            ["https://cdn.example/c/x", "https://cdn.example/c/y"]
        );
    }

    #[test]
    fn base_in_template_or_svg_is_ignored() {
        let html = r#"<template><base href="https://t.example/"></template><a href="x">x</a>"#;
        assert_eq!(urls(html), ["https://example.com/dir/x"]);
        let html = r#"<svg><base href="https://svg.example/"></base></svg><a href="x">x</a>"#;
        assert_eq!(urls(html), ["https://example.com/dir/x"]);
    }

    #[test]
    fn unparsable_base_falls_back_to_the_document_url() {
        for base in ["http://a b/", "https://[::1", "http://"] {
            let html = format!(r#"<base href="{base}"><a href="x">x</a>"#);
            assert_eq!(urls(&html), ["https://example.com/dir/x"], "base {base:?}");
        }
    }

    #[test]
    fn base_query_and_fragment_apply_to_empty_href() {
        let html = r##"<base href="/b/?q#f"><a href="">x</a><a href="#g">y</a>"##;
        assert_eq!(urls(html), ["https://example.com/b/?q"]);
    }

    #[test]
    fn opaque_base_makes_relative_links_fail() {
        for base in [
            "data:text/html,hi",
            "javascript:void(0)",
            "mailto:a@example.com",
        ] {
            let html = format!(
                r#"<base href="{base}"><a href="x">x</a><a href="">e</a><a href="https://abs.example/">a</a>"#
            );
            assert_eq!(urls(&html), ["https://abs.example/"], "base {base:?}");
        }
    }

    #[test]
    fn non_http_document_url() {
        let html = r#"<a href="y">1</a><a href="http://a.example/">2</a>"#;
        assert_eq!(urls_at("file:///tmp/x.html", html), ["http://a.example/"]);
        assert_eq!(urls_at("data:text/html,x", html), ["http://a.example/"]);
    }

    #[test]
    fn surrounding_whitespace_is_stripped_and_tabs_newlines_removed() {
        assert_href("  /spaced  ", "https://example.com/spaced");
        assert_href("\t\n/tab\t\r\n ", "https://example.com/tab");
        assert_href("/a\n/b", "https://example.com/a/b");
        assert_href("/c\t/d", "https://example.com/c/d");
        assert_href("/e\r\n/f", "https://example.com/e/f");
        assert_href("/i&#9;j", "https://example.com/ij");
        assert_href("&#32;/k", "https://example.com/k");
        // Inner spaces are not removed but percent-encoded.
        assert_href("/g h", "https://example.com/g%20h");
        assert_href("ht\ntp://ex\tample.org/", "http://example.org/");
    }

    #[test]
    fn character_references_are_decoded_by_the_parser() {
        assert_href("/x?a=1&amp;b=2", "https://example.com/x?a=1&b=2");
        assert_href("&#x2F;slash", "https://example.com/slash");
        assert_href("&#47;&#47;other.example/", "https://other.example/");
        // A legacy entity without `;` followed by `=` is not decoded in attributes.
        assert_href("/y?a=1&copy=2", "https://example.com/y?a=1&copy=2");
        assert_href("/z?&copy;", "https://example.com/z?%C2%A9");
    }

    #[test]
    fn backslashes_are_slashes_in_special_urls() {
        assert_href(r"\\other.example\path", "https://other.example/path");
        assert_href(r"/a\b", "https://example.com/a/b");
        assert_href(r"..\up", "https://example.com/up");
        assert_href(r"http:\\host.example\x", "http://host.example/x");
    }

    #[test]
    fn scheme_relative_and_slash_forms() {
        assert_href("//other.example/x", "https://other.example/x");
        assert_eq!(
            href_at("http://example.com/", "//other.example/x").as_deref(),
            Some("http://other.example/x")
        );
        assert_href("///x", "https://x/");
        assert_href("////x/y", "https://x/y");
        assert_href("//\\/x?q", "https://x/?q");
        assert_href(" /\n//x", "https://x/");
        assert_dropped("///");
        assert_dropped("//\\/");
        // `http:foo` is relative when the base has the same special scheme...
        assert_eq!(
            href_at("http://example.com/dir/page.html", "http:foo").as_deref(),
            Some("http://example.com/dir/foo")
        );
        // ... and names a host when it does not.
        assert_href("http:foo", "http://foo/");
        assert_href("https:/sub", "https://example.com/sub");
    }

    #[test]
    fn idna_hosts() {
        assert_href("http://bücher.example/", "http://xn--bcher-kva.example/");
        assert_href("http://EXAMPLE.Org/", "http://example.org/");
        assert_href("http://ＥＸＡＭＰＬＥ．org/", "http://example.org/");
        assert_href(
            "http://b%C3%BCcher.example/",
            "http://xn--bcher-kva.example/",
        );
        assert_dropped("http://xn--/");
    }

    #[test]
    fn ipv4_hosts() {
        assert_href("http://0x7f.1/", "http://127.0.0.1/");
        assert_href("http://2130706433/", "http://127.0.0.1/");
        assert_href("http://127.1/", "http://127.0.0.1/");
        assert_href("http://0177.0.0.1/", "http://127.0.0.1/");
        assert_href("http://192.168.257/", "http://192.168.1.1/");
        assert_dropped("http://192.168.0.257/");
        assert_dropped("http://1.2.3.4.5/");
        assert_dropped("http://256.256.256.256/");
        assert_dropped("http://4294967296/");
    }

    #[test]
    fn ipv6_hosts() {
        assert_href("http://[::1]:80/", "http://[::1]/");
        assert_href("http://[0:0:0:0:0:0:0:1]/", "http://[::1]/");
        assert_href("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/");
        assert_href(
            "https://[2001:DB8::A]:8443/x",
            "https://[2001:db8::a]:8443/x",
        );
        assert_dropped("http://[::1/");
        assert_dropped("http://[::1::2]/");
    }

    #[test]
    fn default_ports_are_dropped_and_others_kept() {
        assert_href("https://example.com:443/p", "https://example.com/p");
        assert_href("http://example.com:80/", "http://example.com/");
        assert_href("http://example.com:443/", "http://example.com:443/");
        assert_href("http://example.com:8080/", "http://example.com:8080/");
        assert_href("http://example.com:/x", "http://example.com/x");
        assert_href("http://example.com:0080/", "http://example.com/");
        assert_dropped("http://example.com:65536/");
        assert_dropped("http://example.com:8a/");
    }

    #[test]
    fn percent_encoding_of_path_query_and_fragment() {
        assert_href(
            "/a b/ü?q=a b&ü#f g",
            "https://example.com/a%20b/%C3%BC?q=a%20b&%C3%BC",
        );
        assert_href("/%41%zz%", "https://example.com/%41%zz%");
        assert_href("/p?x='y'", "https://example.com/p?x=%27y%27");
        assert_eq!(
            urls(r#"<a href='/p?x="<>"'>x</a>"#),
            ["https://example.com/p?x=%22%3C%3E%22"]
        );
        assert_href("/p{}|`", "https://example.com/p%7B%7D|%60");
        let keep = ExtractOptions {
            keep_fragments: true,
            ..ExtractOptions::default()
        };
        let links = extract(DOC, r##"<a href="/a#f g`ü">x</a>"##, keep);
        assert_eq!(
            links[0].url.as_str(),
            "https://example.com/a#f%20g%60%C3%BC"
        );
    }

    #[test]
    fn dot_segments_are_removed() {
        assert_href("/a/./b/../c", "https://example.com/a/c");
        assert_href("/a/%2e/b/%2E%2e/c", "https://example.com/a/c");
        assert_href("/a/.%2E/b", "https://example.com/b");
        assert_href("../../../../x", "https://example.com/x");
        assert_href("/a/..", "https://example.com/");
        assert_href(".", "https://example.com/dir/");
        assert_href("./", "https://example.com/dir/");
        assert_href("..", "https://example.com/");
    }

    #[test]
    fn scheme_is_case_insensitive() {
        assert_href("HTTP://EXAMPLE.ORG/Path", "http://example.org/Path");
        assert_href("HtTpS://x.example", "https://x.example/");
    }

    #[test]
    fn non_http_schemes_are_dropped() {
        for attr in [
            "javascript:alert(1)",
            "JavaScript:void(0)",
            "  javascript:x",
            "java\nscript:x",
            "mailto:a@example.com",
            "tel:+15555550100",
            "data:text/html,hi",
            "ftp://ftp.example/file",
            "file:///etc/passwd",
            "ws://example.com/",
            "about:blank",
            "blob:https://example.com/x",
            "urn:isbn:0451450523",
        ] {
            assert_dropped(attr);
        }
    }

    #[test]
    fn scheme_shortcut_only_skips_what_cannot_be_http() {
        for href in [
            "mailto:x",
            " javascript:x",
            "tel:1",
            "a+b-c.d:x",
            "HTTPS2:x",
        ] {
            assert!(has_other_scheme(href), "{href:?}");
        }
        for href in [
            "http://x/",
            "HTTPS://x/",
            " http:x",
            "htt\tp://x",
            "/a:b",
            "a/b:c",
            "?x:y",
            "#x:y",
            "1a:b",
            ":x",
            "no-colon",
            "",
        ] {
            assert!(!has_other_scheme(href), "{href:?}");
        }
        // The URL parser agrees wherever the shortcut answers `true`.
        assert_eq!(
            urls(r#"<a href="a+b-c.d:x">1</a><a href="/a:b">2</a><a href="a/b:c">3</a>"#),
            ["https://example.com/a:b", "https://example.com/dir/a/b:c"]
        );
    }

    #[test]
    fn repeated_hrefs_keep_the_first_tag() {
        let html = r#"<map><area href="/m"></map><a href="/m">a</a><a href=" /m">b</a>"#;
        let links = extract(DOC, html, ExtractOptions::default());
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].tag, LinkTag::Area);
    }

    #[test]
    fn unparsable_hrefs_are_dropped() {
        for attr in [
            "http://",
            "https://",
            "http://a b/",
            "http://ex<ample/",
            "http://exa%00mple/",
            "http://user@/",
            "https://[::1",
        ] {
            assert_dropped(attr);
        }
        // and they do not stop the links after them
        assert_eq!(
            urls(r#"<a href="http://">1</a><a href="/ok">2</a>"#),
            ["https://example.com/ok"]
        );
    }

    #[test]
    fn links_in_document_matches_extract_links() {
        let html = r#"<base href="/b/"><a href="x">x</a><area href="y">"#;
        let doc_url = Url::parse(DOC).unwrap();
        let doc = Html::parse_document(html);
        let opts = ExtractOptions::default();
        let from_doc = links_in_document(&doc_url, &doc, opts);
        assert_eq!(from_doc, extract_links(&doc_url, html, opts));
        assert_eq!(from_doc.len(), 2);
    }

    #[test]
    fn never_panics_on_hostile_input() {
        const PIECES: &[&str] = &[
            "<a href=",
            "<A HREF='",
            "<area href=",
            "<base href=",
            "<template>",
            "</template>",
            "<svg>",
            "<math>",
            "<foreignObject>",
            "<table>",
            "<script>",
            "<!--",
            "-->",
            "\"",
            "'",
            ">",
            "</a>",
            "\\\\",
            "//",
            "[::1]",
            "%",
            "&#0;",
            "&#x110000;",
            "\u{0}",
            "\u{FFFD}",
            "ü",
            "javascript:",
            "http:",
            "data:,",
            "#",
            "?",
            " ",
            "\t\n",
            "..",
            "xn--",
        ];
        const DOCS: &[&str] = &[
            DOC,
            "data:text/html,x",
            "file:///",
            "http://[::1]/",
            "mailto:x@example.com",
            "foo:bar",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..300 {
            let mut bytes = Vec::new();
            for _ in 0..(next() % 40) {
                if next() % 4 == 0 {
                    bytes.push(next() as u8);
                } else {
                    let piece = PIECES[(next() % PIECES.len() as u64) as usize];
                    bytes.extend_from_slice(piece.as_bytes());
                }
            }
            let html = String::from_utf8_lossy(&bytes);
            let doc = DOCS[round % DOCS.len()];
            for keep_fragments in [false, true] {
                let opts = ExtractOptions {
                    keep_fragments,
                    ..ExtractOptions::default()
                };
                let links = extract(doc, &html, opts);
                for link in &links {
                    assert!(matches!(link.url.scheme(), "http" | "https"));
                    assert!(keep_fragments || link.url.fragment().is_none());
                }
            }
        }
    }

    #[test]
    fn query_is_encoded_in_the_document_encoding_path_in_utf8() {
        let html = "<a href=\"/caf\u{e9}?q=caf\u{e9}\">x</a>";
        let opts = |encoding| ExtractOptions {
            encoding: Some(encoding),
            ..ExtractOptions::default()
        };
        let got = extract(DOC, html, opts(encoding_rs::WINDOWS_1252));
        assert_eq!(
            got[0].url.as_str(),
            "https://example.com/caf%C3%A9?q=caf%E9"
        );
        let got = extract(DOC, html, opts(encoding_rs::UTF_8));
        assert_eq!(
            got[0].url.as_str(),
            "https://example.com/caf%C3%A9?q=caf%C3%A9"
        );
        // UTF-16 documents resolve URLs as UTF-8.
        let got = extract(DOC, html, opts(encoding_rs::UTF_16LE));
        assert_eq!(
            got[0].url.as_str(),
            "https://example.com/caf%C3%A9?q=caf%C3%A9"
        );
        // Characters the encoding lacks become numeric character references.
        let html = "<a href=\"?q=\u{4e2d}\">x</a>";
        let got = extract(DOC, html, opts(encoding_rs::WINDOWS_1252));
        assert_eq!(
            got[0].url.as_str(),
            "https://example.com/dir/page.html?q=%26%2320013%3B"
        );
        let html = "<a href=\"?q=\u{65e5}\">x</a>";
        let got = extract(DOC, html, opts(encoding_rs::SHIFT_JIS));
        assert_eq!(
            got[0].url.as_str(),
            "https://example.com/dir/page.html?q=%93%FA"
        );
    }
}

#[cfg(test)]
mod kinds_tests;
