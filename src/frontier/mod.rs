//! The frontier: which URLs are waiting, which were seen, and which host may go next.
//!
//! The crawl engine talks to the frontier through the small [`Frontier`] trait, so the
//! in-memory default ([`MemoryFrontier`]) can be swapped for an on-disk store (resumable
//! crawls) or a shared one (crawls across machines) without touching the engine.
//!
//! Politeness lives here because it must hold across everything that pops work: a
//! request is handed out only when its host has a free slot and its delay has passed,
//! and hosts wait in their own queues, so a slow host never blocks the others.

pub mod memory;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use url::{Position, Url};

pub use memory::MemoryFrontier;

use crate::error::Error;

/// A URL waiting to be fetched, with what the crawl needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The URL, without fragment.
    pub url: Url,
    /// Hops from the listed URL it descends from (0 for a listed URL).
    pub depth: u32,
    /// Host of the listed URL it descends from, for scope checks.
    pub root: Arc<str>,
    /// Earlier attempts of this request (0 for the first).
    pub attempt: u32,
    /// What the URL is expected to be.
    pub kind: Kind,
}

/// What a request fetches. Serialized as `"page"` or `"sitemap"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An HTML page whose links are extracted.
    #[default]
    Page,
    /// A sitemap whose URLs seed the crawl (`depth` counts sitemap-index nesting).
    Sitemap,
}

impl Request {
    /// A listed URL: depth 0, its own root.
    pub fn seed(url: Url) -> Self {
        let root: Arc<str> = url.host_str().unwrap_or_default().into();
        Request {
            url,
            depth: 0,
            root,
            attempt: 0,
            kind: Kind::Page,
        }
    }

    /// The politeness key: the URL's host.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }
}

/// What [`Frontier::pop`] found.
#[derive(Debug)]
pub enum Pop {
    /// A request whose host may be fetched now. Report its end with [`Frontier::complete`].
    Ready(Request),
    /// Requests are waiting but no host may go yet: ask again after the duration, or
    /// (`None`) once a request in flight completes.
    NotYet(Option<Duration>),
    /// Nothing is waiting.
    Empty,
}

/// How a popped request ended, and what the host taught us.
#[derive(Debug)]
pub struct Done {
    /// The request that was popped.
    pub request: Request,
    /// Queue the request again after this delay (a retry).
    pub retry_in: Option<Duration>,
    /// The host's minimum gap between requests, if learned (robots.txt `Crawl-delay`).
    pub host_gap: Option<Duration>,
    /// Hold back every request to the host for this long (`Retry-After`).
    pub hold_host: Option<Duration>,
}

impl Done {
    /// A request that ended for good, with nothing learned about its host.
    pub fn finished(request: Request) -> Self {
        Done {
            request,
            retry_in: None,
            host_gap: None,
            hold_host: None,
        }
    }
}

/// Where discovered URLs wait, with the seen-set and per-host politeness.
///
/// Contract: every request handed out by [`pop`](Frontier::pop) is later passed to
/// [`complete`](Frontier::complete) exactly once; the crawl is over when `pop` returns
/// [`Pop::Empty`] and nothing is in flight.
pub trait Frontier: Send + Sync + 'static {
    /// Queues a request unless its URL was seen before. Returns whether it was queued.
    fn push(&self, request: Request) -> impl Future<Output = Result<bool, Error>> + Send;

    /// The next request whose host may be fetched now.
    fn pop(&self) -> impl Future<Output = Result<Pop, Error>> + Send;

    /// Ends a popped request: frees its host slot, applies what was learned, and queues
    /// it again if it is to be retried.
    fn complete(&self, done: Done) -> impl Future<Output = Result<(), Error>> + Send;

    /// Marks a URL as seen without queueing it (the end of a redirect chain). Returns
    /// whether it was new.
    fn mark_seen(&self, url: &Url) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Requests waiting (not in flight).
    fn queued(&self) -> impl Future<Output = Result<u64, Error>> + Send;
}

/// The identity of a URL in the seen-set: a 128-bit hash of its WHATWG serialization
/// without the fragment. Paths stay case-sensitive and query order is kept.
pub fn fingerprint(url: &Url) -> u128 {
    xxhash_rust::xxh3::xxh3_128(url[..Position::AfterQuery].as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn fingerprint_ignores_fragment_only() {
        assert_eq!(
            fingerprint(&u("http://a/x#1")),
            fingerprint(&u("http://a/x"))
        );
        assert_eq!(
            fingerprint(&u("HTTP://A:80/x")),
            fingerprint(&u("http://a/x"))
        );
        assert_ne!(fingerprint(&u("http://a/X")), fingerprint(&u("http://a/x")));
        assert_ne!(
            fingerprint(&u("http://a/x/")),
            fingerprint(&u("http://a/x"))
        );
        assert_ne!(
            fingerprint(&u("http://a/?a&b")),
            fingerprint(&u("http://a/?b&a"))
        );
    }
}
