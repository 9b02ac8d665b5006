//! A request's hops: robots.txt, each redirect, the body — all under one deadline.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::{Instant, timeout_at};
use tracing::{debug, info};
use url::Url;

use crate::engine::{Shared, Slot};
use crate::extract::{LinkAttr, LinkTag};
use crate::fetch::{self, FetchError, Hop};
use crate::frontier::queues::later;
use crate::frontier::{Frontier, HostNews, Kind, Lease, fingerprint};
use crate::redact::url as shown;
use crate::stats::FailureKind;
use crate::{Error, guard};

/// How the hops ended.
pub(super) enum Fetched {
    /// A readable body (HTML for a page; anything for a sitemap).
    Body(Bytes),
    /// A page whose response is not HTML.
    NotHtml(String),
    /// robots.txt disallows this URL (the request's or a redirect's).
    Denied(Url),
    /// A redirect to a URL the crawl has already seen.
    Duplicate(Url),
    /// The host asks for a Crawl-delay over `--max-crawl-delay`.
    CrawlDelay(Url, Duration),
    /// No usable response, at this URL.
    Failed(FetchError, Url),
}

/// What the hops saw, for the record and the frontier.
#[derive(Debug, Default)]
pub(super) struct Trace {
    pub redirects: Vec<Url>,
    /// The URL the last response came from.
    pub final_url: Option<Url>,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub bytes: u64,
    /// The `Crawl-delay` of the request's own host.
    pub crawl_delay: Option<Duration>,
    /// Crawl-delays learned, by host.
    pub hosts: Vec<HostNews>,
    /// A frontier error met on the way: the crawl stops.
    pub error: Option<Error>,
    /// The request's deadline, as it stood when the body was read: the parse is
    /// held to it too.
    pub deadline: Option<Instant>,
    /// The final response's `Link:` and `Refresh:` header values, in order, when
    /// the crawl writes header links (`--links header`).
    pub link_headers: Vec<(LinkAttr, String)>,
}

/// The values of `headers`' `Link:` and `Refresh:` headers, in order (a value that is
/// not UTF-8 is read lossily).
fn link_headers(headers: &reqwest::header::HeaderMap) -> Vec<(LinkAttr, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let attr = if name == reqwest::header::LINK {
                LinkAttr::LinkHeader
            } else if name.as_str() == "refresh" {
                LinkAttr::RefreshHeader
            } else {
                return None;
            };
            Some((attr, String::from_utf8_lossy(value.as_bytes()).into_owned()))
        })
        .collect()
}

impl Trace {
    fn learn_gap(&mut self, host: &str, gap: Duration) {
        if !self.hosts.iter().any(|n| n.host == host) {
            self.hosts.push(HostNews {
                host: host.to_owned(),
                gap: Some(gap),
                hold: None,
            });
        }
    }
}

/// Follows `lease`'s request hop by hop: each hop is checked for its scheme, its loop,
/// `--block-private` and robots.txt, waits out its host's gap when it goes to the
/// same host as the hop before (without holding a `--concurrency` permit), and the
/// whole — robots.txt fetches included — runs under one deadline of `--timeout`
/// (waits for the host's gap are not counted).
pub(super) async fn fetch<F: Frontier>(
    shared: &Shared<F>,
    lease: &Lease,
    slot: &mut Slot,
    trace: &mut Trace,
) -> Fetched {
    let config = &shared.config;
    let request = &lease.request;
    let html_only = request.kind == Kind::Page;
    let mut deadline = later(Instant::now(), config.timeout);
    let mut url = request.url.clone();
    let mut chain: Vec<u128> = Vec::new();
    // The host and start of the previous hop, for spacing hops to the same host.
    let mut previous: Option<(String, Instant)> = None;
    loop {
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut gap = config.host_delay;
        if config.block_private && guard::is_blocked_literal(&url) {
            return Fetched::Failed(
                FetchError::new(
                    FailureKind::Blocked,
                    format!("blocked address {host} (--block-private)"),
                ),
                url,
            );
        }
        if let Some(robots) = &shared.robots {
            let started = Instant::now();
            let Ok((entry, fetched)) =
                timeout_at(deadline, robots.get(&shared.fetcher, &url)).await
            else {
                let mut e = timed_out(config.timeout);
                e.detail.push_str(" (while reading robots.txt)");
                return Fetched::Failed(e, url);
            };
            if fetched {
                debug!(
                    "robots.txt of {} read in {:.0?}: {}",
                    url.origin().ascii_serialization(),
                    started.elapsed(),
                    entry.describe()
                );
            }
            if let Some(delay) = entry.crawl_delay {
                if delay > config.max_crawl_delay {
                    return Fetched::CrawlDelay(url, delay);
                }
                if chain.is_empty() {
                    trace.crawl_delay = Some(delay);
                }
                trace.learn_gap(&host, delay);
                gap = gap.max(delay);
            }
            match entry.check(&url) {
                Ok(true) => {}
                Ok(false) => {
                    debug!("robots.txt disallows {}", shown(&url));
                    return Fetched::Denied(url);
                }
                Err(e) => return Fetched::Failed(e.clone(), url),
            }
        }
        // A redirect to the same host waits out the host's gap like any request,
        // without a permit; the wait does not count against the page's deadline.
        if let Some((previous_host, started)) = &previous
            && *previous_host == host
            && !gap.is_zero()
        {
            let at = later(*started, gap);
            let before = Instant::now();
            if at > before {
                debug!(
                    "waiting {:.0?} for {host}'s gap before {}",
                    at - before,
                    shown(&url)
                );
                slot.pause_until(at).await;
                deadline = later(deadline, before.elapsed());
            }
        }
        previous = Some((host, Instant::now()));
        let hop = match timeout_at(deadline, shared.fetcher.hop(&url)).await {
            Err(_) => return Fetched::Failed(timed_out(config.timeout), url),
            Ok(Err(e)) => {
                if e.status.is_some() {
                    trace.final_url = Some(url.clone());
                    trace.status = e.status;
                }
                return Fetched::Failed(e, url);
            }
            Ok(Ok(hop)) => hop,
        };
        match hop {
            Hop::Redirect(mut next) => {
                if !matches!(next.scheme(), "http" | "https") {
                    return Fetched::Failed(
                        FetchError::new(
                            FailureKind::RedirectScheme,
                            format!(
                                "redirect to {} refused: only http and https are fetched",
                                shown(&next)
                            ),
                        ),
                        url,
                    );
                }
                if chain.len() >= config.max_redirects {
                    return Fetched::Failed(
                        FetchError::new(
                            FailureKind::TooManyRedirects,
                            format!("more than {} redirects", config.max_redirects),
                        ),
                        url,
                    );
                }
                next.set_fragment(None);
                chain.push(fingerprint(&url));
                if chain.contains(&fingerprint(&next)) {
                    return Fetched::Failed(
                        FetchError::new(
                            FailureKind::RedirectLoop,
                            format!("redirect loop back to {}", shown(&next)),
                        ),
                        url,
                    );
                }
                debug!("{} redirects to {}", shown(&url), shown(&next));
                trace.redirects.push(next.clone());
                // A recursive crawl fetches each URL once, redirect targets included;
                // the target is claimed by this request, so its retries may go on.
                if config.is_recursive() {
                    match shared.frontier.claim(lease, &next).await {
                        Ok(true) => {}
                        Ok(false) => return Fetched::Duplicate(next),
                        Err(e) => {
                            trace.error = Some(e);
                            return Fetched::Duplicate(next);
                        }
                    }
                }
                url = next;
            }
            Hop::Final(response) => {
                let status = response.status().as_u16();
                info!("Got response [{status}] for URL: {}", shown(&request.url));
                trace.final_url = Some(url.clone());
                trace.status = Some(status);
                let content_type = fetch::content_type(&response).map(str::to_owned);
                trace.content_type.clone_from(&content_type);
                if config.links.contains(LinkTag::Header) && config.select.is_none() {
                    trace.link_headers = link_headers(response.headers());
                }
                let declared = fetch::declared_type(content_type.as_deref()).is_some();
                if let Some(t) = &content_type
                    && declared
                    && html_only
                    && !fetch::is_html_type(t)
                {
                    return Fetched::NotHtml(t.clone());
                }
                let read = shared.fetcher.read_body(response, None, false);
                let body = match timeout_at(deadline, read).await {
                    Err(_) => return Fetched::Failed(timed_out(config.timeout), url),
                    Ok(Err(e)) => return Fetched::Failed(e, url),
                    Ok(Ok(body)) => body,
                };
                trace.bytes = body.len() as u64;
                trace.deadline = Some(deadline);
                if !declared && html_only && !fetch::sniff_html(&body) {
                    return Fetched::NotHtml(
                        "no usable Content-Type, and the body does not look like HTML".into(),
                    );
                }
                return Fetched::Body(body);
            }
        }
    }
}

pub(super) fn timed_out(limit: Duration) -> FetchError {
    FetchError::new(
        FailureKind::Timeout,
        format!(
            "no complete response within {}",
            humantime::format_duration(limit)
        ),
    )
}
