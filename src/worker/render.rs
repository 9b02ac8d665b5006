//! The render step (`--render`): a fetched HTML page is loaded in the browser, and its
//! rendered DOM parsed by the same extractor as a static page.

use bytes::Bytes;
use url::Url;

use super::hops::Trace;
use crate::engine::Shared;
use crate::extract::{Link, LinkTag};
use crate::fetch::FetchError;
use crate::render::{Failure, Page, Renderer};
use crate::stats::FailureKind;

/// Renders the page at `final_url` (its `body` as fetched) and returns its links, and
/// where a script tried to send it, if anywhere.
pub(super) async fn render<F>(
    shared: &Shared<F>,
    renderer: &Renderer,
    final_url: &Url,
    body: &Bytes,
    trace: &Trace,
) -> Result<(Vec<Link>, Option<Url>), FetchError> {
    let config = &shared.config;
    // The browser reads the bytes as HTML in the encoding the static parse uses (the
    // BOM, the header's charset, a <meta> prescan, else UTF-8), so both see the
    // same text; its own fallback for an unlabelled page would be windows-1252.
    let encoding = crate::charset::sniff(body, trace.content_type.as_deref());
    let content_type = format!("text/html; charset={}", encoding.name());
    let page = Page {
        url: final_url,
        body,
        content_type: &content_type,
    };
    let (rendered, deadline) = renderer
        .render(&shared.fetcher, page, config.timeout)
        .await
        .map_err(|failure| match failure {
            Failure::Render(why) | Failure::Hung(why) | Failure::Unready(why) => {
                FetchError::new(FailureKind::Render, why)
            }
            Failure::TooLarge(len) => FetchError::new(
                FailureKind::TooLarge,
                format!(
                    "the rendered DOM ({len} characters) is larger than the cap of {} bytes",
                    config.max_body
                ),
            ),
        })?;
    if rendered.html.len() as u64 > config.max_body {
        return Err(FetchError::new(
            FailureKind::TooLarge,
            format!(
                "the rendered DOM ({} bytes) is larger than the cap of {} bytes",
                rendered.html.len(),
                config.max_body
            ),
        ));
    }
    // pushState keeps the origin: a document URL of another kind (about:blank after
    // a failed load) is not a base for the page's links.
    let base = match rendered.url.scheme() {
        "http" | "https" => &rendered.url,
        _ => final_url,
    };
    let encoding =
        encoding_rs::Encoding::for_label(rendered.charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let html = Bytes::from(rendered.html);
    // The DOM's parse is held to the render's deadline; the header links are the
    // response's.
    let dom = Trace {
        deadline: Some(deadline),
        content_type: trace.content_type.clone(),
        link_headers: trace.link_headers.clone(),
        ..Trace::default()
    };
    let mut links = super::parse(shared, base, &html, &dom, Some(encoding)).await?;
    if config.select.is_none() && config.links.contains(LinkTag::A) {
        add_shadow_links(&mut links, &rendered.shadow, config.keep_fragments);
    }
    Ok((links, rendered.navigated))
}

/// Adds the hyperlinks found in open shadow roots (absolute already: the browser
/// resolved them) that are http(s) and not among `links` yet.
fn add_shadow_links(links: &mut Vec<Link>, shadow: &[String], keep_fragments: bool) {
    for href in shadow {
        let Ok(mut url) = Url::parse(href) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        if !keep_fragments {
            url.set_fragment(None);
        }
        if links.iter().any(|l| l.tag == LinkTag::A && l.url == url) {
            continue;
        }
        links.push(Link::hyperlink(url, LinkTag::A));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_links_are_http_unique_and_without_fragments() {
        let a = Url::parse("http://a.test/x").expect("a URL");
        let mut links = vec![Link::hyperlink(a, LinkTag::A)];
        let shadow = [
            "http://a.test/x#top",
            "http://a.test/y",
            "http://a.test/y",
            "javascript:void(0)",
            "not a url",
        ]
        .map(str::to_owned);
        add_shadow_links(&mut links, &shadow, false);
        let urls: Vec<&str> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, ["http://a.test/x", "http://a.test/y"]);
    }
}
