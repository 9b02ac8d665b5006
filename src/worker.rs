//! One request, start to end: robots.txt, the redirect hops, the body, the parse, the
//! links handed to the writer and to the frontier, and the report back to the frontier.

use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::time::{Instant, timeout_at};
use tracing::{debug, info, warn};
use url::{Host, Url};

use crate::config::Scope;
use crate::crawler::Shared;
use crate::extract::{ExtractOptions, Link};
use crate::fetch::{self, FetchError, Hop};
use crate::frontier::{Done, Frontier, Kind, Request, fingerprint};
use crate::sink::PageLinks;
use crate::stats::{FailureKind, bump};
use crate::{charset, extract, guard, redact, sitemap};

/// Bodies larger than this are parsed off the async worker threads, so one huge page
/// does not hold up the other fetches while it is parsed.
const INLINE_PARSE_MAX: usize = 256 * 1024;

/// How a fetch ended.
enum Outcome {
    Html {
        final_url: Url,
        body: Bytes,
        content_type: Option<String>,
    },
    NotHtml(String),
    Denied(Url),
    /// A redirect to a URL the crawl has already seen.
    Duplicate(Url),
    Failed(FetchError),
}

/// Processes one popped request and reports it to the frontier.
pub(crate) async fn process<F: Frontier>(shared: &Shared<F>, request: Request) {
    let mut crawl_delay = None;
    let is_page = request.kind == Kind::Page;
    let outcome = tokio::select! {
        biased;
        () = shared.stop.cancelled() => None,
        outcome = fetch_page(shared, &request, is_page, &mut crawl_delay) => Some(outcome),
    };
    if shared.config.sitemap && is_page && request.depth == 0 && outcome.is_some() {
        queue_sitemaps(shared, &request).await;
    }
    let mut done = Done::finished(request);
    done.host_gap = crawl_delay;
    match outcome {
        None => debug!("abandoned: the crawl is stopping"),
        Some(Outcome::Html {
            final_url, body, ..
        }) if !is_page => {
            handle_sitemap(shared, &done.request, &final_url, &body).await;
        }
        Some(Outcome::Failed(error)) if !is_page && !error.is_retryable() => {
            // A missing /sitemap.xml is common: not a failure of the crawl.
            debug!("sitemap {}: {error}", redact::url(&done.request.url));
        }
        Some(Outcome::Html {
            final_url,
            body,
            content_type,
        }) => {
            handle_html(
                shared,
                &done.request,
                final_url,
                &body,
                content_type.as_deref(),
            )
            .await;
        }
        Some(Outcome::NotHtml(what)) => {
            bump(&shared.stats.non_html);
            info!(
                "Skipping {}: not HTML ({what})",
                redact::url(&done.request.url)
            );
        }
        Some(Outcome::Denied(url)) => {
            bump(&shared.stats.robots_denied);
            if url == done.request.url {
                warn!(
                    "{}: disallowed by robots.txt, not fetched",
                    redact::url(&url)
                );
            } else {
                warn!(
                    "{}: redirect to {} disallowed by robots.txt",
                    redact::url(&done.request.url),
                    redact::url(&url)
                );
            }
        }
        Some(Outcome::Duplicate(target)) => {
            bump(&shared.stats.duplicates);
            debug!(
                "{}: redirects to {}, which the crawl has seen",
                redact::url(&done.request.url),
                redact::url(&target)
            );
        }
        Some(Outcome::Failed(error)) => handle_failure(shared, &mut done, error),
    }
    if let Err(e) = shared.frontier.complete(done).await {
        shared.fail(e);
    }
}

fn handle_failure<F>(shared: &Shared<F>, done: &mut Done, error: FetchError) {
    let config = &shared.config;
    let hold = error.retry_after.map(|d| d.min(config.max_retry_after));
    done.hold_host = hold;
    let attempt = done.request.attempt;
    if error.is_retryable() && attempt < config.retries {
        let backoff = jittered(
            config.retry_base.saturating_mul(1 << attempt.min(16)),
            &done.request.url,
            attempt,
        );
        let retry_in = backoff.max(hold.unwrap_or_default());
        debug!(
            "{}: {error}; retry {} in {retry_in:?}",
            redact::url(&done.request.url),
            attempt + 1
        );
        done.retry_in = Some(retry_in);
        done.request.attempt += 1;
        shared
            .retries_pending
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bump(&shared.stats.retries);
    } else {
        shared.stats.fail(error.kind);
        if attempt > 0 {
            warn!(
                "{}: {error} (after {attempt} retries)",
                redact::url(&done.request.url)
            );
        } else {
            warn!("{}: {error}", redact::url(&done.request.url));
        }
    }
}

/// `base` scaled by a factor in [0.5, 1.5), different per URL and attempt, so retries
/// of many URLs do not arrive together.
fn jittered(base: Duration, url: &Url, attempt: u32) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = fingerprint(url) as u64 ^ u64::from(attempt) ^ u64::from(nanos);
    let unit = (xxhash_rust::xxh3::xxh3_64(&seed.to_le_bytes()) >> 11) as f64 / (1u64 << 53) as f64;
    base.mul_f64(0.5 + unit)
}

/// Fetches `request`, following redirects. With `html_only`, a response that is not
/// HTML is not read (sitemaps take any type).
async fn fetch_page<F: Frontier>(
    shared: &Shared<F>,
    request: &Request,
    html_only: bool,
    crawl_delay: &mut Option<Duration>,
) -> Outcome {
    let config = &shared.config;
    let mut deadline = Instant::now() + config.timeout;
    let mut url = request.url.clone();
    let mut chain: Vec<u128> = Vec::new();
    // The host and start of the previous hop, for spacing hops to the same host.
    let mut previous: Option<(String, Instant)> = None;
    loop {
        let mut gap = config.host_delay;
        if config.block_private && guard::is_blocked_literal(&url) {
            let host = url.host_str().unwrap_or_default();
            return Outcome::Failed(FetchError::new(
                FailureKind::Blocked,
                format!("blocked address {host} (--block-private)"),
            ));
        }
        if let Some(robots) = &shared.robots {
            let (entry, _fetched) = robots.get(&shared.fetcher, &url).await;
            if chain.is_empty() {
                *crawl_delay = entry.crawl_delay;
            }
            gap = gap.max(entry.crawl_delay.unwrap_or_default());
            match entry.check(&url) {
                Ok(true) => {}
                Ok(false) => return Outcome::Denied(url),
                Err(e) => return Outcome::Failed(e.clone()),
            }
        }
        // A redirect to the same host waits out the host's gap like any request; the
        // wait does not count against the page's deadline.
        let host = url.host_str().unwrap_or_default();
        if let Some((previous_host, started)) = &previous
            && previous_host == host
            && !gap.is_zero()
        {
            let at = *started + gap;
            let now = Instant::now();
            if at > now {
                deadline += at - now;
                tokio::time::sleep_until(at).await;
            }
        }
        previous = Some((host.to_owned(), Instant::now()));
        let hop = match timeout_at(deadline, shared.fetcher.hop(&url)).await {
            Err(_) => return Outcome::Failed(timed_out(config.timeout)),
            Ok(Err(e)) => return Outcome::Failed(e),
            Ok(Ok(hop)) => hop,
        };
        match hop {
            Hop::Redirect(mut next) => {
                if !matches!(next.scheme(), "http" | "https") {
                    return Outcome::Failed(FetchError::new(
                        FailureKind::RedirectScheme,
                        format!(
                            "redirect to {} refused: only http and https are fetched",
                            redact::url(&next)
                        ),
                    ));
                }
                if chain.len() >= config.max_redirects {
                    return Outcome::Failed(FetchError::new(
                        FailureKind::TooManyRedirects,
                        format!("more than {} redirects", config.max_redirects),
                    ));
                }
                next.set_fragment(None);
                chain.push(fingerprint(&url));
                if chain.contains(&fingerprint(&next)) {
                    return Outcome::Failed(FetchError::new(
                        FailureKind::RedirectLoop,
                        format!("redirect loop back to {}", redact::url(&next)),
                    ));
                }
                // A recursive crawl fetches each URL once, redirect targets included.
                if config.is_recursive() {
                    match shared.frontier.mark_seen(&next).await {
                        Ok(true) => {}
                        Ok(false) => return Outcome::Duplicate(next),
                        Err(e) => {
                            shared.fail(e);
                            return Outcome::Duplicate(next);
                        }
                    }
                }
                debug!("redirected to {}", redact::url(&next));
                url = next;
            }
            Hop::Final(response) => {
                info!(
                    "Got response [{}] for URL: {}",
                    response.status().as_u16(),
                    redact::url(&request.url)
                );
                let content_type = fetch::content_type(&response).map(str::to_owned);
                let declared = fetch::declared_type(content_type.as_deref()).is_some();
                if let Some(t) = &content_type
                    && declared
                    && html_only
                    && !fetch::is_html_type(t)
                {
                    return Outcome::NotHtml(t.clone());
                }
                let body =
                    match timeout_at(deadline, shared.fetcher.read_body(response, None, false))
                        .await
                    {
                        Err(_) => return Outcome::Failed(timed_out(config.timeout)),
                        Ok(Err(e)) => return Outcome::Failed(e),
                        Ok(Ok(body)) => body,
                    };
                bump_bytes(shared, body.len());
                if !declared && html_only && !fetch::sniff_html(&body) {
                    return Outcome::NotHtml(
                        "no usable Content-Type, and the body does not look like HTML".into(),
                    );
                }
                return Outcome::Html {
                    final_url: url,
                    body,
                    content_type,
                };
            }
        }
    }
}

fn timed_out(limit: Duration) -> FetchError {
    FetchError::new(
        FailureKind::Timeout,
        format!(
            "no complete response within {}",
            humantime::format_duration(limit)
        ),
    )
}

fn bump_bytes<F>(shared: &Shared<F>, n: usize) {
    shared
        .stats
        .body_bytes
        .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
}

async fn handle_html<F: Frontier>(
    shared: &Shared<F>,
    request: &Request,
    final_url: Url,
    body: &[u8],
    content_type: Option<&str>,
) {
    let config = &shared.config;
    bump(&shared.stats.pages);
    let parse = || {
        let (text, encoding, _) = charset::sniff(body, content_type).decode(body);
        let opts = ExtractOptions {
            keep_fragments: config.keep_fragments,
            encoding: Some(encoding),
        };
        extract::extract_links(&final_url, &text, opts)
    };
    let links = if body.len() > INLINE_PARSE_MAX
        && Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread
    {
        tokio::task::block_in_place(parse)
    } else {
        parse()
    };
    info!(
        "Found {} links for {}",
        links.len(),
        redact::url(&request.url)
    );
    if config.is_recursive()
        && request.depth < config.depth
        && let Err(e) = enqueue_links(shared, request, &links).await
    {
        shared.fail(e);
    }
    let page = PageLinks {
        source: request.url.clone(),
        final_url,
        links,
    };
    if shared.pages.send(page).await.is_err() {
        // The writer is gone (its error is reported by the engine): stop the crawl.
        shared.stop.cancel();
    }
}

/// Queues the links a recursive crawl follows.
async fn enqueue_links<F: Frontier>(
    shared: &Shared<F>,
    parent: &Request,
    links: &[Link],
) -> Result<(), crate::Error> {
    for link in links {
        let child = Request {
            url: link.url.clone(),
            depth: parent.depth + 1,
            root: parent.root.clone(),
            attempt: 0,
            kind: Kind::Page,
        };
        follow(shared, child).await?;
    }
    Ok(())
}

/// Queues `request` if the crawl follows it: in scope, short enough, matching the
/// include/exclude patterns; [`Shared::push`] applies the per-host budget and the
/// seen-set.
async fn follow<F: Frontier>(shared: &Shared<F>, mut request: Request) -> Result<(), crate::Error> {
    let config = &shared.config;
    let url = &mut request.url;
    url.set_fragment(None);
    if url.as_str().len() > config.max_url_len
        || !in_scope(config.scope, &request.root, url)
        || (!config.include.is_empty() && !config.include.iter().any(|r| r.is_match(url.as_str())))
        || config.exclude.iter().any(|r| r.is_match(url.as_str()))
    {
        return Ok(());
    }
    shared.push(request).await?;
    Ok(())
}

/// Sitemap-index nesting followed (an index listing indexes is not allowed by the
/// protocol, but exists).
const MAX_SITEMAP_NESTING: u32 = 2;

/// On the first listed URL of an origin: queues its robots.txt `Sitemap:` URLs and
/// `/sitemap.xml`.
async fn queue_sitemaps<F: Frontier>(shared: &Shared<F>, seed: &Request) {
    let origin = seed.url.origin().ascii_serialization();
    let new = shared
        .sitemap_origins
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(origin);
    if !new {
        return;
    }
    let mut urls: Vec<Url> = seed.url.join("/sitemap.xml").into_iter().collect();
    if let Some(robots) = &shared.robots {
        let (entry, _) = robots.get(&shared.fetcher, &seed.url).await;
        urls.extend(entry.sitemaps.iter().cloned());
    }
    for url in urls {
        let request = Request {
            url,
            depth: 0,
            root: seed.root.clone(),
            attempt: 0,
            kind: Kind::Sitemap,
        };
        if let Err(e) = shared.frontier.push(request).await {
            shared.fail(e);
        }
    }
}

/// Reads a fetched sitemap: its pages become seeds (in scope), its sitemaps are
/// queued.
async fn handle_sitemap<F: Frontier>(
    shared: &Shared<F>,
    request: &Request,
    final_url: &Url,
    body: &[u8],
) {
    bump(&shared.stats.sitemaps);
    let cap = shared.config.max_body;
    let parse = || sitemap::parse(body, cap);
    let map = if body.len() > INLINE_PARSE_MAX
        && Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread
    {
        tokio::task::block_in_place(parse)
    } else {
        parse()
    };
    info!(
        "Sitemap {} lists {} pages and {} sitemaps",
        redact::url(&request.url),
        map.pages.len(),
        map.sitemaps.len()
    );
    let nested = request.depth < MAX_SITEMAP_NESTING;
    let found = map.pages.iter().map(|u| (u, Kind::Page, 0)).chain(
        map.sitemaps
            .iter()
            .filter(|_| nested)
            .map(|u| (u, Kind::Sitemap, request.depth + 1)),
    );
    for (loc, kind, depth) in found {
        let Ok(url) = final_url.join(loc) else {
            debug!(
                "sitemap {}: skipping {:?}: not a URL",
                redact::url(&request.url),
                redact::text(loc)
            );
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let next = Request {
            url,
            depth,
            root: request.root.clone(),
            attempt: 0,
            kind,
        };
        if let Err(e) = follow(shared, next).await {
            shared.fail(e);
            return;
        }
    }
}

/// Whether a followed link stays within the crawl's scope of its seed's host `root`.
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
    fn jitter_stays_within_half_to_one_and_a_half() {
        let base = Duration::from_millis(1000);
        for attempt in 0..50 {
            let d = jittered(base, &u("http://a/"), attempt);
            assert!(
                d >= Duration::from_millis(500) && d < Duration::from_millis(1500),
                "{d:?}"
            );
        }
    }
}
