//! The frontier: every piece of crawl state — which URLs wait, which were seen, which
//! are in flight, and which host may go next.
//!
//! The engine talks to the frontier through the [`Frontier`] trait and keeps no crawl
//! state of its own, so the in-memory default ([`MemoryFrontier`]) can be swapped for
//! an on-disk store (a crawl that survives `kill -9`) or a shared one (one crawl across
//! many machines) without touching the engine. What lives behind the trait:
//!
//! - the seen-set, with per-host page budgets and the `--max-pages` count decided in
//!   the same step as the seen check ([`Frontier::push`]);
//! - per-host queues and politeness: at most so many requests in flight to a host, a
//!   gap between their starts, `Crawl-delay` and `Retry-After` holds;
//! - leases: [`Frontier::pop`] hands a request out as a [`Lease`], and only
//!   [`Frontier::complete`] (or [`Frontier::release`]) ends it; a lease that a dead
//!   worker never ends can expire and go back to the queue (backends that outlive a
//!   process);
//! - retries waiting for their backoff, and redirect targets claimed by the request
//!   that reached them ([`Frontier::claim`]);
//! - markers of work done once per crawl, such as the sitemaps of an origin
//!   ([`Frontier::first`]);
//! - termination: [`Pop::Drained`] only when nothing is queued, waiting for a retry or
//!   leased, anywhere.
//!
//! # How the engine uses it
//!
//! ```
//! use crawl::frontier::{Done, Frontier, MemoryFrontier, Pop, Policy, Request};
//! use crawl::record::Outcome;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), crawl::Error> {
//! let frontier = MemoryFrontier::new(Policy::default());
//! let seed = Request::seed(url::Url::parse("http://a.test/").expect("a URL"));
//! frontier.push(vec![seed]).await?;
//! let Pop::Ready(lease) = frontier.pop().await? else { unreachable!() };
//! // ... fetch lease.request.url, write its links, then end the lease with the links
//! // the crawl follows from it:
//! let child = lease.request.child(url::Url::parse("http://a.test/next").expect("a URL"));
//! let verdicts = frontier.complete(lease, Done::with_links(Outcome::Fetched, vec![child])).await?;
//! assert_eq!(frontier.queued().await?, 1);
//! # let _ = verdicts;
//! # Ok(())
//! # }
//! ```
//!
//! When `pop` answers [`Pop::Wait`], nothing may go now: the engine waits for the
//! duration given, or for [`Frontier::changed`], whichever comes first.
//!
//! A new backend proves itself with [`conformance`]: the same contract tests run
//! against every implementation.

pub mod conformance;
pub mod memory;
pub(crate) mod queues;
pub mod redis;
pub mod store;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use url::{Position, Url};

pub use memory::MemoryFrontier;
pub use redis::RedisFrontier;
pub use store::StoreFrontier;

use crate::error::Error;
use crate::record::Outcome;
use crate::stats::Summary;

/// A URL waiting to be fetched, with what the crawl needs to know about it. Serializable,
/// so a store or a shared frontier can keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The URL, without fragment.
    pub url: Url,
    /// Hops from the listed URL it descends from (0 for a listed URL).
    pub depth: u32,
    /// The host scope checks compare against: the host a listed URL finally answered
    /// from (after its redirects), inherited by everything found below it.
    pub root: Arc<str>,
    /// Earlier attempts of this request (0 for the first).
    pub attempt: u32,
    /// What the URL is expected to be.
    pub kind: Kind,
    /// The page it was found on (`None` for a listed URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Arc<str>>,
}

/// What a request fetches. Serialized as `"page"` or `"sitemap"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An HTML page whose links are extracted.
    #[default]
    Page,
    /// A sitemap whose URLs seed the crawl (`depth` counts sitemap-index nesting).
    Sitemap,
}

impl Request {
    /// A listed URL: depth 0, its own root, no parent.
    pub fn seed(url: Url) -> Self {
        let root: Arc<str> = url.host_str().unwrap_or_default().into();
        Request {
            url,
            depth: 0,
            root,
            attempt: 0,
            kind: Kind::Page,
            parent: None,
        }
    }

    /// A page found on this one: one hop deeper, same root, this page as parent.
    pub fn child(&self, url: Url) -> Self {
        Request {
            url,
            depth: self.depth + 1,
            root: self.root.clone(),
            attempt: 0,
            kind: Kind::Page,
            parent: Some(self.url.as_str().into()),
        }
    }

    /// The politeness key: the URL's host.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// Whether the request counts against `--max-pages` and the per-host budget: a
    /// page on its first attempt (sitemaps and retries do not).
    pub fn counts_as_page(&self) -> bool {
        self.kind == Kind::Page && self.attempt == 0
    }
}

/// A request handed out by [`Frontier::pop`]: it is the holder's until it is passed to
/// [`Frontier::complete`] or [`Frontier::release`], or until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The backend's identifier of this lease.
    pub id: u64,
    /// The request.
    pub request: Request,
    /// When the backend takes the request back if the lease is neither ended nor
    /// renewed ([`Frontier::renew`]); `None` when leases never expire (in memory, where
    /// a dead worker means a dead crawl).
    pub expires: Option<SystemTime>,
}

/// What [`Frontier::pop`] found.
#[derive(Debug)]
pub enum Pop {
    /// A request whose host may be fetched now.
    Ready(Lease),
    /// Requests are waiting, but none may go now: ask again after the duration, or
    /// (`None`, or sooner) when [`Frontier::changed`] fires.
    Wait(Option<Duration>),
    /// Nothing is queued, waiting for a retry or leased, anywhere: the crawl is over.
    Drained,
}

/// What [`Frontier::push`] (or [`Frontier::complete`], for a page's links) did with
/// each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// New: queued.
    Queued,
    /// Seen before (queued, fetched or claimed): dropped.
    Seen,
    /// Left out: `--max-pages` pages are already queued or done.
    MaxPages,
    /// Left out: its host's `--max-pages-per-host` budget is used up.
    HostBudget,
    /// Left out: deeper than `--depth` (not recorded as seen, so a shorter path to it
    /// found later still queues it).
    Depth,
}

/// What a request taught about a host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostNews {
    /// The host (a request's politeness key).
    pub host: String,
    /// Its least gap between request starts (robots.txt `Crawl-delay`).
    pub gap: Option<Duration>,
    /// Hold back every request to it for this long (`Retry-After`).
    pub hold: Option<Duration>,
}

/// How a leased request ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// Fetched, failed or skipped (for counters; the record itself goes to the sink).
    pub outcome: Outcome,
    /// Queue the request again after this delay, one attempt further (a retry); the
    /// outcome is then the attempt's, not final.
    pub retry_in: Option<Duration>,
    /// What was learned about hosts: the request's own and any its redirects reached.
    pub hosts: Vec<HostNews>,
    /// Requests found on the page that the crawl follows (already within scope, depth
    /// and filters); the seen-set and the limits decide, as for [`Frontier::push`].
    pub links: Vec<Request>,
}

impl Done {
    /// An ended request with nothing learned and no links.
    pub fn new(outcome: Outcome) -> Self {
        Done {
            outcome,
            retry_in: None,
            hosts: Vec::new(),
            links: Vec::new(),
        }
    }

    /// An ended request whose page gave `links` to follow.
    pub fn with_links(outcome: Outcome, links: Vec<Request>) -> Self {
        Done {
            links,
            ..Done::new(outcome)
        }
    }
}

/// The rules a frontier enforces. Every backend takes the same policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Requests in flight at once to one host.
    pub max_in_flight: usize,
    /// Minimum gap between the starts of two requests to one host.
    pub min_gap: Duration,
    /// Let only one request go to a new host until the first one completes (and reports
    /// what it learned from robots.txt, such as `Crawl-delay`).
    pub probe_first: bool,
    /// Pages accepted in the whole crawl (`--max-pages`): queued, in flight or done.
    pub max_pages: Option<u64>,
    /// Pages accepted from one host (`--max-pages-per-host`).
    pub max_pages_per_host: Option<u64>,
    /// Pages deeper than this are left out (`--depth`); `None` for no limit.
    pub max_depth: Option<u32>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_in_flight: crate::config::DEFAULT_HOST_CONCURRENCY,
            min_gap: crate::config::DEFAULT_HOST_DELAY,
            probe_first: true,
            max_pages: None,
            max_pages_per_host: None,
            max_depth: None,
        }
    }
}

/// Where discovered URLs wait: the seen-set, per-host queues and politeness, leases,
/// retries, limits and the end of the crawl.
///
/// Contract (checked for any backend by [`conformance`]):
/// - a URL is queued at most once per crawl ([`push`](Frontier::push) and the links of
///   [`complete`](Frontier::complete) answer [`Verdict::Seen`] for a URL seen before);
///   the limits are decided with the seen check, so racing pushes cannot overshoot;
/// - [`pop`](Frontier::pop) hands out a request only when its host has a free slot and
///   its gap and holds have passed; every lease is ended exactly once, by `complete`
///   or `release`;
/// - [`Pop::Drained`] means nothing is queued, waiting or leased anywhere; a frontier
///   that holds requests but can hand none out and has none in flight returns an
///   error, never a silent end.
pub trait Frontier: Send + Sync + 'static {
    /// Queues requests (listed URLs, sitemap entries) unless seen before or over a
    /// limit, in one batch. Returns one verdict per request, in order.
    fn push(
        &self,
        requests: Vec<Request>,
    ) -> impl Future<Output = Result<Vec<Verdict>, Error>> + Send;

    /// The next request whose host may be fetched now.
    fn pop(&self) -> impl Future<Output = Result<Pop, Error>> + Send;

    /// Resolves when the frontier may have changed in a way that lets `pop` give more
    /// (a push, a completion, another worker's work); may resolve spuriously.
    fn changed(&self) -> impl Future<Output = ()> + Send;

    /// Ends a lease: frees its host slot, applies what was learned about hosts, queues
    /// the page's links (one batch, verdicts returned in order) and, for a retry, the
    /// request again after its delay.
    fn complete(
        &self,
        lease: Lease,
        done: Done,
    ) -> impl Future<Output = Result<Vec<Verdict>, Error>> + Send;

    /// Ends many leases, as [`complete`](Frontier::complete) does each, in order;
    /// returns each one's verdicts. A backend with round trips ends them together.
    fn complete_all(
        &self,
        ended: Vec<(Lease, Done)>,
    ) -> impl Future<Output = Result<Vec<Vec<Verdict>>, Error>> + Send {
        async move {
            let mut all = Vec::with_capacity(ended.len());
            for (lease, done) in ended {
                all.push(self.complete(lease, done).await?);
            }
            Ok(all)
        }
    }

    /// Gives a lease back untouched (the crawl is stopping): the request goes back to
    /// the front of its queue as if it had never been popped.
    fn release(&self, lease: Lease) -> impl Future<Output = Result<(), Error>> + Send;

    /// Extends a lease that is still being worked on. Backends whose leases do not
    /// expire need not override this.
    fn renew(&self, lease: &Lease) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = lease;
        async { Ok(()) }
    }

    /// Claims `url`, a redirect target the leased request reached, so no other request
    /// fetches it too. Returns whether this lease may fetch it: `true` when it was not
    /// seen before, or was claimed earlier by the same request (a retry, or a request
    /// whose lease expired and came back).
    fn claim(&self, lease: &Lease, url: &Url) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Whether the leased request is the one to do the work named `key`, done once
    /// per crawl (such as reading an origin's sitemaps): `true` for the first request
    /// to ask, and again for that same request (a retry, or a request that came back
    /// after its lease expired or its crawl was killed), `false` for any other.
    fn first(&self, lease: &Lease, key: &str) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Where robots.txt read by this worker is shared with the others of the crawl
    /// (a frontier shared by many workers), so each origin's is fetched once. `None`
    /// by default: the crawl's own cache is enough.
    fn robots_store(&self) -> Option<Arc<dyn crate::robots::RobotsStore>> {
        None
    }

    /// Requests waiting (queued or waiting for a retry), not leased.
    fn queued(&self) -> impl Future<Output = Result<u64, Error>> + Send;

    /// Whether the frontier keeps state that outlives the process, so the crawl is to
    /// call [`commit`](Frontier::commit) at commit points. `false` by default.
    fn durable(&self) -> bool {
        false
    }

    /// Whether the crawl goes on in other processes when this one dies (a frontier
    /// shared by many workers), so a page's output must leave this process (the
    /// sink flushed) before its lease is completed. `false` by default.
    fn outlives_worker(&self) -> bool {
        false
    }

    /// Whether the changes waiting for the next commit point have grown so large that
    /// it should come now, before its interval (a durable frontier bounds its memory
    /// so). `false` by default.
    fn wants_commit(&self) -> bool {
        false
    }

    /// The last commit point of an earlier run whose state this frontier holds (a
    /// resumed crawl), so the crawl's counters go on from there. `None` by default.
    fn resumed(&self) -> Option<Checkpoint> {
        None
    }

    /// A commit point: every lease completed so far has had its record and links
    /// written to the sink, whose files hold `checkpoint.outputs` bytes. A durable
    /// frontier takes its state as of this call, and the future it returns records it
    /// with the checkpoint in one atomic step, so a crawl killed after that resumes
    /// from exactly here. The future is `'static` so it can be awaited in the
    /// background (after the sink's files are synced) while the crawl goes on; await
    /// it before the next call. Frontiers that keep nothing need not override this.
    fn commit(
        &self,
        checkpoint: Checkpoint,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let _ = checkpoint;
        async { Ok(()) }
    }
}

/// What the output holds at a commit point ([`Frontier::commit`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The committed byte length of each file the sink writes, in the sink's order
    /// ([`Sink::checkpoint`](crate::Sink::checkpoint)).
    pub outputs: Vec<u64>,
    /// The crawl's counters as of this point (pages in flight not counted).
    pub summary: Summary,
    /// The crawl has run to its end (not interrupted, nothing failed): with nothing
    /// left in the frontier it is finished.
    pub ended: bool,
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

    #[test]
    fn requests_round_trip_through_json() {
        let seed = Request::seed(u("http://a.test/x"));
        let child = seed.child(u("http://a.test/y"));
        let json = serde_json::to_string(&child).expect("serializes");
        let back: Request = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, child);
        assert_eq!(back.parent.as_deref(), Some("http://a.test/x"));
        assert_eq!(back.depth, 1);
        assert!(back.counts_as_page());
    }
}
