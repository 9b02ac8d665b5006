//! What the engine's tasks share, and what they send each other.
//!
//! The dispatcher pops leases and spawns workers; a worker turns its lease into a
//! [`Work`] and sends it to the single writer task, which applies it: the record and
//! links to the sink, then the completion to the frontier. Nothing else changes crawl
//! state, and errors from a worker reach the crawl through that one place.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::Error;
use crate::extract::Link;
use crate::fetch::Fetcher;
use crate::frontier::{HostNews, Lease, Request};
use crate::record::PageRecord;
use crate::robots::RobotsCache;
use crate::stats::{LeftOut, Stats};

/// What every task of a crawl shares.
pub(crate) struct Shared<F> {
    pub config: Config,
    pub fetcher: Fetcher,
    pub robots: Option<RobotsCache>,
    pub frontier: Arc<F>,
    pub stats: Arc<Stats>,
    /// Fires when the crawl is to stop: the caller's cancel, or a fatal error.
    pub stop: CancellationToken,
    /// The `--concurrency` permits.
    pub permits: Arc<Semaphore>,
    /// The headless browser pool, with `--render`.
    #[cfg(feature = "render")]
    pub renderer: Option<Arc<crate::render::Renderer>>,
    /// One permit per core for parsing a body over the inline size, so the bytes
    /// being parsed at once stay bounded however many pages are in flight.
    pub parse_permits: Semaphore,
}

/// What the writer task is given.
// Nearly every item is a lease: boxing it would add an allocation per page for
// nothing, and the rare record is boxed instead.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Work {
    /// A lease, ended one way or another, with the worker's `--concurrency` permit:
    /// it is given back once the lease is ended in the frontier, so what the request
    /// taught (a hold, a Crawl-delay) applies before the next request goes.
    Leased { lease: Lease, end: End, slot: Slot },
    /// Listed URLs to push to the frontier, their verdicts counted and the ones a
    /// limit left out recorded, all between two commit points; `pushed` is answered
    /// once they are in the frontier.
    Seeds {
        batch: Vec<Request>,
        pushed: tokio::sync::oneshot::Sender<Result<(), Error>>,
    },
}

/// How a worker ended its lease.
pub(crate) enum End {
    /// The request was worked on (to its end, or to a retry).
    Finished(Box<Finished>),
    /// The crawl is stopping: the request goes back untouched.
    Abandoned,
    /// The frontier failed while the request was worked on: the crawl stops.
    Failed(Error),
}

/// A worked request: its record, its links, what the frontier is to learn.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The record of this attempt (written only when it is final).
    pub record: PageRecord,
    /// The page's links, for the sink.
    pub links: Vec<Link>,
    /// The requests the crawl follows from it, for the frontier.
    pub follow: Vec<Request>,
    /// Try again after this long (the record is then not final).
    pub retry_in: Option<Duration>,
    /// What was learned about hosts.
    pub hosts: Vec<HostNews>,
    /// Links not followed, by rule.
    pub left_out: Vec<(LeftOut, u64)>,
}

/// A worker's `--concurrency` permit, given back while it only waits (a redirect
/// waiting out its host's gap) so waiting never holds up other hosts' pages.
pub(crate) struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    permits: Arc<Semaphore>,
}

impl Slot {
    pub fn new(permit: OwnedSemaphorePermit, permits: Arc<Semaphore>) -> Self {
        Slot {
            permit: Some(permit),
            permits,
        }
    }

    /// Sleeps until `at` without the permit, then takes one again.
    pub async fn pause_until(&mut self, at: Instant) {
        self.permit = None;
        tokio::time::sleep_until(at).await;
        // The semaphore is never closed while workers run.
        self.permit = self.permits.clone().acquire_owned().await.ok();
    }
}
