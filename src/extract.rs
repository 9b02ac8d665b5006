//! Link extraction (placeholder until the standards-exact extractor lands).

use url::Url;

/// Which element a link came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkTag {
    /// `<a>`
    A,
    /// `<area>`
    Area,
}
impl LinkTag {
    /// The tag name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkTag::A => "a",
            LinkTag::Area => "area",
        }
    }
}
/// One hyperlink found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Target.
    pub url: Url,
    /// Tag.
    pub tag: LinkTag,
}
impl Link {
    /// Attribute.
    pub fn attr(&self) -> &'static str {
        "href"
    }
}
/// Extraction options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractOptions {
    /// Keep fragments.
    pub keep_fragments: bool,
}
/// Extract.
pub fn extract_links(document_url: &Url, html: &str, opts: ExtractOptions) -> Vec<Link> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("a[href], area[href]").expect("static selector");
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for el in doc.select(&sel) {
        let Some(href) = el.value().attr("href") else {
            continue;
        };
        let Ok(mut url) = document_url.join(href) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        if !opts.keep_fragments {
            url.set_fragment(None);
        }
        if seen.insert(url.to_string()) {
            let tag = if el.value().name() == "a" {
                LinkTag::A
            } else {
                LinkTag::Area
            };
            out.push(Link { url, tag });
        }
    }
    out
}
