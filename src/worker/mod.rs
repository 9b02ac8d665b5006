//! One leased request, start to end: the hops ([`hops`]), the body, the parse, and the
//! [`Finished`] it ends with — its record, its links, the requests it leads to and
//! what was learned about hosts. The worker changes no crawl state: the writer task
//! applies what it returns.

mod follow;
mod hops;
#[cfg(feature = "render")]
mod render;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::time::Instant;
use tracing::{debug, info, warn};
use url::Url;

use crate::engine::{Finished, Shared, Slot};
use crate::extract::{ExtractOptions, Link, LinkAttr, LinkFilter, Stop};
use crate::fetch::FetchError;
use crate::frontier::{Frontier, HostNews, Kind, Lease, Request, fingerprint};
use crate::record::{Outcome, PageRecord, SkipReason};
use crate::redact::url as shown;
use crate::stats::FailureKind;
use crate::{Error, charset, extract};

use follow::Found;
use hops::{Fetched, Trace};

/// Bodies larger than this are parsed off the async worker threads, one per core at
/// a time, so one huge page does not hold up the other fetches while it is parsed and
/// the bytes being parsed at once stay bounded.
const INLINE_PARSE_MAX: usize = 64 * 1024;

/// Works on one leased request. `Err` only when the frontier failed on the way.
pub(crate) async fn process<F: Frontier>(
    shared: &Shared<F>,
    lease: &Lease,
    slot: &mut Slot,
) -> Result<Finished, Error> {
    let request = &lease.request;
    let started_at = SystemTime::now();
    let started = Instant::now();
    let mut trace = Trace::default();
    let fetched = hops::fetch(shared, lease, slot, &mut trace).await;
    if let Some(e) = trace.error.take() {
        return Err(e);
    }
    let mut links = Vec::new();
    let mut found = Found::default();
    let mut retry_in = None;
    let mut hosts = std::mem::take(&mut trace.hosts);
    #[cfg_attr(not(feature = "render"), allow(unused_mut))]
    let mut rendered = false;
    let config = &shared.config;
    let outcome = match fetched {
        Fetched::Body(body) => {
            let final_url = trace
                .final_url
                .clone()
                .unwrap_or_else(|| request.url.clone());
            if request.kind == Kind::Sitemap {
                let (entries, count) =
                    follow::read_sitemap(config, request, &final_url, body).await;
                found = entries;
                let outcome = Outcome::Fetched;
                let mut record = record_of(request, outcome, &trace, started_at, started);
                record.links = count;
                return Ok(Finished {
                    record,
                    links,
                    follow: found.follow,
                    retry_in,
                    hosts,
                    left_out: found.left_out,
                });
            }
            #[cfg(feature = "render")]
            let parsed = match &shared.renderer {
                Some(renderer) => {
                    rendered = true;
                    render::render(shared, renderer, &final_url, &body, &trace).await
                }
                None => parse(shared, &final_url, &body, &trace, None)
                    .await
                    .map(|links| (links, None)),
            };
            #[cfg(not(feature = "render"))]
            let parsed = parse(shared, &final_url, &body, &trace, None)
                .await
                .map(|links| (links, None::<Url>));
            match parsed {
                Ok((found_links, navigated)) => {
                    links = found_links;
                    info!("Found {} links for {}", links.len(), shown(&request.url));
                    let root = root_of(request, &final_url);
                    found = follow::children(config, request, root.clone(), &links);
                    if let Some(target) = navigated {
                        // A script sent the page elsewhere: a redirect, followed as
                        // one (not written as a link of the page).
                        info!("{} navigates to {}", shown(&request.url), shown(&target));
                        let to = [crate::extract::Link::hyperlink(
                            target.clone(),
                            crate::extract::LinkTag::A,
                        )];
                        let next = follow::children(config, request, root, &to);
                        found.follow.extend(next.follow);
                        found.left_out.extend(next.left_out);
                        trace.redirects.push(target);
                    }
                    Outcome::Fetched
                }
                Err(error) => failed(shared, request, error, None),
            }
        }
        Fetched::NotHtml(what) => {
            info!("Skipping {}: not HTML ({what})", shown(&request.url));
            skipped(SkipReason::NotHtml, what)
        }
        Fetched::Denied(url) => {
            let message = if url == request.url {
                format!("{}: disallowed by robots.txt, not fetched", shown(&url))
            } else {
                format!(
                    "{}: redirect to {} disallowed by robots.txt",
                    shown(&request.url),
                    shown(&url)
                )
            };
            warn!("{message}");
            skipped(SkipReason::Robots, message)
        }
        Fetched::Duplicate(target) => {
            debug!(
                "{}: redirects to {}, which the crawl has seen",
                shown(&request.url),
                shown(&target)
            );
            skipped(
                SkipReason::Duplicate,
                format!("redirects to {}, already seen", shown(&target)),
            )
        }
        Fetched::CrawlDelay(url, delay) => {
            let message = format!(
                "{}: robots.txt asks for a Crawl-delay of {}, over --max-crawl-delay {}; skipped",
                shown(&url),
                humantime::format_duration(delay),
                humantime::format_duration(config.max_crawl_delay)
            );
            warn!("{message}");
            skipped(SkipReason::CrawlDelay, message)
        }
        Fetched::Failed(error, at) => {
            let hold = error.retry_after.map(|d| d.min(config.max_retry_after));
            if let Some(hold) = hold {
                debug!(
                    "{} asks to wait {hold:?} (Retry-After)",
                    at.host_str().unwrap_or_default()
                );
                hosts.push(HostNews {
                    host: at.host_str().unwrap_or_default().to_owned(),
                    gap: None,
                    hold: Some(hold),
                });
            }
            retry_in = retry_delay(config, request, &error, hold);
            failed(shared, request, error, retry_in)
        }
    };
    // A listed page's sitemaps, once per origin (not for a URL the guard refused, nor
    // before its last attempt).
    let blocked = matches!(
        &outcome,
        Outcome::Failed {
            reason: FailureKind::Blocked,
            ..
        }
    );
    if config.sitemap
        && request.kind == Kind::Page
        && request.depth == 0
        && retry_in.is_none()
        && !blocked
    {
        let origin_url = trace
            .final_url
            .clone()
            .unwrap_or_else(|| request.url.clone());
        let root = root_of(request, &origin_url);
        follow::sitemaps_of(shared, lease, &origin_url, &root, &mut found).await?;
    }
    let mut record = record_of(request, outcome, &trace, started_at, started);
    record.links = links.len() as u64;
    record.link_hosts = link_hosts(&links);
    record.rendered = rendered;
    debug!(
        "{} ended in {:.1} ms: {} ({} bytes, {} links)",
        shown(&request.url),
        record.elapsed_ms,
        record
            .status
            .map_or_else(|| "no response".to_owned(), |s| s.to_string()),
        record.bytes,
        record.links
    );
    Ok(Finished {
        record,
        links,
        follow: found.follow,
        retry_in,
        hosts,
        left_out: found.left_out,
    })
}

/// The record of a worker that panicked.
pub(crate) fn panicked(request: &Request, message: &str) -> Finished {
    let outcome = Outcome::Failed {
        reason: FailureKind::Panic,
        message: format!("crawl panicked on this page (a bug): {message}"),
    };
    let mut record = PageRecord::new(request.url.clone(), request.kind, outcome);
    fill_request(&mut record, request);
    Finished {
        record,
        links: Vec::new(),
        follow: Vec::new(),
        retry_in: None,
        hosts: Vec::new(),
        left_out: Vec::new(),
    }
}

/// The scope root a page's children inherit: a listed page's is the host it finally
/// answered from (`example.com` redirecting to `www.example.com` gives the latter).
fn root_of(request: &Request, final_url: &Url) -> Arc<str> {
    if request.depth == 0 && request.kind == Kind::Page {
        final_url.host_str().unwrap_or_default().into()
    } else {
        request.root.clone()
    }
}

fn skipped(reason: SkipReason, message: String) -> Outcome {
    Outcome::Skipped { reason, message }
}

fn failed<F>(
    shared: &Shared<F>,
    request: &Request,
    error: FetchError,
    retry_in: Option<Duration>,
) -> Outcome {
    let attempt = request.attempt;
    match retry_in {
        Some(wait) => debug!(
            "{}: {error}; retry {} of {} in {wait:.1?}",
            shown(&request.url),
            attempt + 1,
            shared.config.retries
        ),
        None if attempt > 0 => warn!("{}: {error} (after {attempt} retries)", shown(&request.url)),
        None => warn!("{}: {error}", shown(&request.url)),
    }
    Outcome::Failed {
        reason: error.kind,
        message: error.detail,
    }
}

/// When to try again, if the failure may pass and retries are left.
fn retry_delay(
    config: &crate::Config,
    request: &Request,
    error: &FetchError,
    hold: Option<Duration>,
) -> Option<Duration> {
    let attempt = request.attempt;
    if !error.is_retryable() || attempt >= config.retries {
        return None;
    }
    let backoff = jittered(
        config.retry_base.saturating_mul(1 << attempt.min(16)),
        &request.url,
        attempt,
    );
    Some(backoff.max(hold.unwrap_or_default()))
}

/// `base` scaled by a factor in [0.5, 1.5), different per URL and attempt, so retries
/// of many URLs do not arrive together.
fn jittered(base: Duration, url: &Url, attempt: u32) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = fingerprint(url) as u64 ^ u64::from(attempt) ^ u64::from(nanos);
    let unit = (xxhash_rust::xxh3::xxh3_64(&seed.to_le_bytes()) >> 11) as f64 / (1u64 << 53) as f64;
    base.mul_f64(0.5 + unit)
}

/// Decodes and parses the body under the request's deadline (a rendered DOM,
/// `rendered` giving its document's encoding, is UTF-8 already): inline when it is small
/// (a bounded parse of 64 KiB holds a worker for 50 ms at worst: `cargo bench --bench
/// extract`), else on a thread of its own
/// (`block_in_place`) once one of the per-core parse permits is free.
async fn parse<F>(
    shared: &Shared<F>,
    final_url: &Url,
    body: &Bytes,
    trace: &Trace,
    rendered: Option<&'static encoding_rs::Encoding>,
) -> Result<Vec<Link>, FetchError> {
    let config = &shared.config;
    let deadline = trace.deadline;
    let timed_out = || {
        FetchError::new(
            FailureKind::Timeout,
            format!(
                "{} of {}",
                Stop::Deadline,
                humantime::format_duration(config.timeout)
            ),
        )
    };
    let big = body.len() > INLINE_PARSE_MAX;
    let _permit = if big {
        let acquire = shared.parse_permits.acquire();
        match deadline {
            Some(at) => match tokio::time::timeout_at(at, acquire).await {
                Ok(permit) => permit.ok(),
                Err(_) => return Err(timed_out()),
            },
            None => acquire.await.ok(),
        }
    } else {
        None
    };
    let stop = &shared.stop;
    let check = || {
        if stop.is_cancelled() {
            Some(Stop::Cancelled)
        } else if deadline.is_some_and(|at| Instant::now() >= at) {
            Some(Stop::Deadline)
        } else {
            None
        }
    };
    let parse = || {
        let content_type = trace.content_type.as_deref();
        let (text, encoding) = match rendered {
            Some(encoding) => (String::from_utf8_lossy(body), encoding),
            None => {
                let (text, encoding, _) = charset::sniff(body, content_type).decode(body);
                (text, encoding)
            }
        };
        let opts = ExtractOptions {
            keep_fragments: config.keep_fragments,
            encoding: Some(encoding),
        };
        let filter = LinkFilter {
            kinds: config.links,
            select: config.select.clone(),
        };
        let mut extracted = extract::try_extract(final_url, &text, opts, &filter, check);
        if !trace.link_headers.is_empty() {
            let headers: Vec<(LinkAttr, &str)> = trace
                .link_headers
                .iter()
                .map(|(attr, value)| (*attr, value.as_str()))
                .collect();
            let mut links = extract::header_links(final_url, &headers, opts);
            links.append(&mut extracted.links);
            extracted.links = links;
        }
        extracted
    };
    let extracted = if big && Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        tokio::task::block_in_place(parse)
    } else {
        parse()
    };
    match extracted.stopped {
        None => Ok(extracted.links),
        Some(Stop::Deadline) => Err(timed_out()),
        // The crawl is stopping: no record, the request goes back untouched. The stop
        // has fired, so the worker's race (`dispatch::run_worker`) is woken and ends
        // the lease as abandoned.
        Some(Stop::Cancelled) => std::future::pending().await,
        Some(stop) => Err(FetchError::new(FailureKind::Parse, stop.to_string())),
    }
}

fn fill_request(record: &mut PageRecord, request: &Request) {
    record.depth = request.depth;
    record.parent = request.parent.as_deref().and_then(|p| Url::parse(p).ok());
    record.attempts = request.attempt + 1;
}

fn record_of(
    request: &Request,
    outcome: Outcome,
    trace: &Trace,
    started_at: SystemTime,
    started: Instant,
) -> PageRecord {
    let mut record = PageRecord::new(request.url.clone(), request.kind, outcome);
    fill_request(&mut record, request);
    record.final_url.clone_from(&trace.final_url);
    record.redirects.clone_from(&trace.redirects);
    record.status = trace.status;
    record.content_type.clone_from(&trace.content_type);
    record.bytes = trace.bytes;
    record.started_ms = started_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    record.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    record.crawl_delay_ms = trace.crawl_delay.map(|d| d.as_millis() as u64);
    record
}

/// How many links point to each host.
fn link_hosts(links: &[Link]) -> BTreeMap<String, u64> {
    let mut hosts: BTreeMap<String, u64> = BTreeMap::new();
    for link in links {
        let host = link.url.host_str().unwrap_or_default();
        match hosts.get_mut(host) {
            Some(n) => *n += 1,
            None => {
                hosts.insert(host.to_owned(), 1);
            }
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL")
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

    #[test]
    fn a_listed_page_roots_its_children_where_it_landed() {
        let seed = Request::seed(u("http://example.test/"));
        assert_eq!(
            &*root_of(&seed, &u("http://www.example.test/")),
            "www.example.test"
        );
        let child = seed.child(u("http://www.example.test/a"));
        assert_eq!(&*root_of(&child, &u("http://other.test/")), "example.test");
    }
}
