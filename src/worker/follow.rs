//! Which found URLs a crawl follows: scope, include/exclude, URL length — and the
//! sitemaps a listed URL's origin offers.

use std::sync::Arc;

use tracing::{debug, info};
use url::{Host, Url};

use crate::config::{Config, Scope};
use crate::engine::Shared;
use crate::extract::Link;
use crate::frontier::{Frontier, Kind, Lease, Request};
use crate::sitemap;
use crate::stats::LeftOut;

/// Sitemap-index nesting followed (an index listing indexes is not allowed by the
/// protocol, but exists).
const MAX_SITEMAP_NESTING: u32 = 2;

/// Requests found while working on one page, and the links left out, by rule.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub follow: Vec<Request>,
    pub left_out: Vec<(LeftOut, u64)>,
}

impl Found {
    /// Adds `request` unless a rule of `config` leaves it out (then counts it).
    /// Depth and the limits are the frontier's to decide.
    pub fn offer(&mut self, config: &Config, mut request: Request) {
        request.url.set_fragment(None);
        match rule_against(config, &request) {
            Some(rule) => self.count(rule),
            None => self.follow.push(request),
        }
    }

    fn count(&mut self, rule: LeftOut) {
        match self.left_out.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, n)) => *n += 1,
            None => self.left_out.push((rule, 1)),
        }
    }
}

/// The rule that leaves `request` out, if any. Sitemap documents are held to the
/// scope and the URL length only: `--include`/`--exclude` choose pages, and a sitemap
/// lists pages of every kind.
fn rule_against(config: &Config, request: &Request) -> Option<LeftOut> {
    let url = request.url.as_str();
    let page = request.kind == Kind::Page;
    if url.len() > config.max_url_len {
        Some(LeftOut::UrlLength)
    } else if !in_scope(config.scope, &request.root, &request.url) {
        Some(LeftOut::Scope)
    } else if page
        && ((!config.include.is_empty() && !config.include.iter().any(|r| r.is_match(url)))
            || config.exclude.iter().any(|r| r.is_match(url)))
    {
        Some(LeftOut::Filter)
    } else {
        None
    }
}

/// The links of a page at `parent` that a recursive crawl offers to the frontier:
/// those it follows as pages ([`Link::is_followed`]: hyperlinks, frames, refreshes;
/// a target found under several kinds is offered once). `root` is the scope root
/// its children inherit.
pub(super) fn children(config: &Config, parent: &Request, root: Arc<str>, links: &[Link]) -> Found {
    let mut found = Found::default();
    if !config.is_recursive() {
        return found;
    }
    found.follow.reserve(links.len());
    let mut offered = rustc_hash::FxHashSet::default();
    for link in links {
        // Without other kinds the links are hyperlinks, each target once.
        if config.links.beyond_hyperlinks()
            && (!link.is_followed() || !offered.insert(link.url.as_str()))
        {
            continue;
        }
        let mut child = parent.child(link.url.clone());
        child.root = root.clone();
        found.offer(config, child);
    }
    found
}

/// On a listed URL's first visit to an origin (`--sitemap`): its `/sitemap.xml` and
/// the `Sitemap:` URLs of its robots.txt, within the crawl's rules.
pub(super) async fn sitemaps_of<F: Frontier>(
    shared: &Shared<F>,
    lease: &Lease,
    origin_url: &Url,
    root: &Arc<str>,
    found: &mut Found,
) -> Result<(), crate::Error> {
    let origin = origin_url.origin().ascii_serialization();
    let seed = &lease.request;
    if !shared
        .frontier
        .first(lease, &format!("sitemaps {origin}"))
        .await?
    {
        return Ok(());
    }
    let mut urls: Vec<Url> = origin_url.join("/sitemap.xml").into_iter().collect();
    if let Some(robots) = &shared.robots {
        let (entry, _) = robots.get(&shared.fetcher, origin_url).await;
        urls.extend(entry.sitemaps.iter().cloned());
    }
    for url in urls {
        found.offer(
            &shared.config,
            Request {
                url,
                depth: 0,
                root: root.clone(),
                attempt: 0,
                kind: Kind::Sitemap,
                parent: Some(seed.url.as_str().into()),
            },
        );
    }
    Ok(())
}

/// A fetched sitemap's entries: pages as new listed URLs, nested sitemaps to read.
/// The body is parsed off the async threads, its size judged after decompression.
pub(super) async fn read_sitemap(
    config: &Config,
    request: &Request,
    final_url: &Url,
    body: bytes::Bytes,
) -> (Found, u64) {
    let cap = config.max_body;
    let map = tokio::task::spawn_blocking(move || sitemap::parse(&body, cap))
        .await
        .unwrap_or_default();
    info!(
        "Sitemap {} lists {} pages and {} sitemaps",
        crate::redact::url(&request.url),
        map.pages.len(),
        map.sitemaps.len()
    );
    let nested = request.depth < MAX_SITEMAP_NESTING;
    let entries = (map.pages.len() + map.sitemaps.len()) as u64;
    let listed = map.pages.iter().map(|u| (u, Kind::Page, 0)).chain(
        map.sitemaps
            .iter()
            .filter(|_| nested)
            .map(|u| (u, Kind::Sitemap, request.depth + 1)),
    );
    let mut found = Found::default();
    for (loc, kind, depth) in listed {
        let Ok(url) = final_url.join(loc) else {
            debug!(
                "sitemap {}: skipping {:?}: not a URL",
                crate::redact::url(&request.url),
                crate::redact::text(loc)
            );
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        found.offer(
            config,
            Request {
                url,
                depth,
                root: request.root.clone(),
                attempt: 0,
                kind,
                parent: Some(request.url.as_str().into()),
            },
        );
    }
    (found, entries)
}

/// Whether a followed link stays within the crawl's scope of its root host.
pub(crate) fn in_scope(scope: Scope, root: &str, url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    match scope {
        Scope::Any => true,
        Scope::Host => host == root,
        Scope::Domain => match url.host() {
            Some(Host::Domain(d)) => {
                let site = |h: &str| {
                    psl::domain_str(h)
                        .map(str::to_owned)
                        .unwrap_or_else(|| h.to_owned())
                };
                site(d) == site(root)
            }
            _ => host == root,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn scope_rules() {
        assert!(in_scope(
            Scope::Host,
            "a.example.com",
            &u("http://a.example.com/x")
        ));
        assert!(!in_scope(
            Scope::Host,
            "a.example.com",
            &u("http://b.example.com/x")
        ));
        assert!(in_scope(
            Scope::Domain,
            "a.example.com",
            &u("https://b.example.com/x")
        ));
        assert!(in_scope(
            Scope::Domain,
            "example.co.uk",
            &u("https://www.example.co.uk/")
        ));
        assert!(!in_scope(
            Scope::Domain,
            "a.example.co.uk",
            &u("https://other.co.uk/")
        ));
        assert!(
            !in_scope(Scope::Domain, "a.github.io", &u("https://b.github.io/")),
            "public suffix"
        );
        assert!(!in_scope(
            Scope::Domain,
            "127.0.0.1",
            &u("http://127.0.0.2/")
        ));
        assert!(in_scope(
            Scope::Domain,
            "127.0.0.1",
            &u("http://127.0.0.1:8080/")
        ));
        assert!(in_scope(Scope::Any, "a.test", &u("http://b.test/")));
    }

    #[test]
    fn only_navigations_are_followed_each_target_once() {
        use crate::extract::{LinkAttr, LinkKinds, LinkTag};
        let config = Config::builder()
            .depth(1)
            .links(LinkKinds::ALL)
            .build()
            .expect("config");
        let parent = Request::seed(u("http://a.test/"));
        let link = |s: &str, tag, attribute| Link {
            url: u(s),
            tag,
            attribute,
        };
        let links = [
            link("http://a.test/img", LinkTag::Img, LinkAttr::Src),
            link("http://a.test/page", LinkTag::A, LinkAttr::Href),
            link("http://a.test/page", LinkTag::Iframe, LinkAttr::Src),
            link("http://a.test/frame", LinkTag::Frame, LinkAttr::Src),
            link("http://a.test/meta", LinkTag::Meta, LinkAttr::Content),
            link(
                "http://a.test/hdr",
                LinkTag::Header,
                LinkAttr::RefreshHeader,
            ),
            link("http://a.test/pre", LinkTag::Header, LinkAttr::LinkHeader),
            link("http://a.test/js", LinkTag::Script, LinkAttr::Src),
            link("http://a.test/form", LinkTag::Form, LinkAttr::Action),
        ];
        let found = children(&config, &parent, "a.test".into(), &links);
        let followed: Vec<&str> = found.follow.iter().map(|r| r.url.path()).collect();
        assert_eq!(followed, ["/page", "/frame", "/meta", "/hdr"]);
    }

    #[test]
    fn rules_are_counted_in_order() {
        let config = Config::builder()
            .depth(1)
            .max_url_len(30)
            .exclude(["/skip"])
            .build()
            .expect("config");
        let parent = Request::seed(u("http://a.test/"));
        let links: Vec<Link> = [
            "http://a.test/ok",
            "http://a.test/skip",
            "http://b.test/x",
            "http://a.test/a-very-long-path-indeed",
        ]
        .iter()
        .map(|s| Link::hyperlink(u(s), crate::extract::LinkTag::A))
        .collect();
        let found = children(&config, &parent, "a.test".into(), &links);
        let followed: Vec<&str> = found.follow.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(followed, ["http://a.test/ok"]);
        let mut left = found.left_out.clone();
        left.sort();
        assert_eq!(
            left,
            [
                (LeftOut::Scope, 1),
                (LeftOut::Filter, 1),
                (LeftOut::UrlLength, 1)
            ]
        );
        assert_eq!(found.follow[0].parent.as_deref(), Some("http://a.test/"));
        assert_eq!(found.follow[0].depth, 1);
    }
}
