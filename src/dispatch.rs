//! The dispatcher: reads seeds into the frontier, takes a `--concurrency` permit, pops
//! a lease and spawns a worker for it, until the frontier is drained or the crawl
//! stops.
//!
//! A worker always ends with a [`Work`] sent to the writer task — its result, a panic
//! turned into a record, or its lease given back when the crawl stops — so no lease is
//! ever lost, and the frontier's `Drained` is the end of the crawl.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{Instrument, warn};

use crate::engine::{End, Shared, Slot, Work};
use crate::error::Error;
use crate::frontier::{Frontier, Lease, Pop, Request};
use crate::input::{SeedItem, Seeds};
use crate::stats::bump;
use crate::worker;

/// Seeds are read ahead only while fewer than this many requests wait in the frontier.
const SEED_READ_AHEAD: u64 = 1024;
/// Seeds pushed to the frontier in one batch at most.
const SEED_BATCH: usize = 256;

/// Runs the dispatcher until the crawl is drained or stopped, then waits for every
/// worker it started.
pub(crate) async fn dispatch<F: Frontier>(
    shared: Arc<Shared<F>>,
    seeds: Seeds,
    work: mpsc::Sender<Work>,
) -> Result<(), Error> {
    // A JoinSet, not detached tasks: when the crawl's future is dropped, this task is
    // aborted and the set with it, which aborts every worker and its fetch.
    let mut dispatcher = Dispatcher {
        shared: &shared,
        seeds,
        seeds_open: true,
        work: &work,
        workers: JoinSet::new(),
    };
    let result = dispatcher.run().await;
    if result.is_err() {
        shared.stop.cancel();
    }
    while dispatcher.workers.join_next().await.is_some() {}
    result
}

struct Dispatcher<'a, F> {
    shared: &'a Arc<Shared<F>>,
    seeds: Seeds,
    seeds_open: bool,
    work: &'a mpsc::Sender<Work>,
    workers: JoinSet<()>,
}

impl<F: Frontier> Dispatcher<'_, F> {
    async fn run(&mut self) -> Result<(), Error> {
        let shared = self.shared;
        let stop = &shared.stop;
        loop {
            if stop.is_cancelled() {
                return Ok(());
            }
            // Reap the workers that ended (their results went to the writer).
            while self.workers.try_join_next().is_some() {}
            if self.seeds_open && shared.frontier.queued().await? < SEED_READ_AHEAD {
                self.read_ready_seeds().await?;
            }
            // Take the permit before popping, and move it into the worker.
            let permit = tokio::select! {
                biased;
                () = stop.cancelled() => return Ok(()),
                permit = shared.permits.clone().acquire_owned() => permit
                    .map_err(|e| Error::Frontier(Box::new(e)))?,
            };
            let after = match shared.frontier.pop().await? {
                Pop::Ready(lease) => {
                    self.spawn(lease, Slot::new(permit, shared.permits.clone()));
                    continue;
                }
                Pop::Wait(after) => after,
                Pop::Drained if !self.seeds_open => return Ok(()),
                Pop::Drained => None,
            };
            drop(permit);
            let seeds_open = self.seeds_open;
            tokio::select! {
                biased;
                () = stop.cancelled() => return Ok(()),
                item = self.seeds.inner.next(), if seeds_open => self.add_seeds(item).await?,
                () = shared.frontier.changed() => {}
                () = tokio::time::sleep(after.unwrap_or(Duration::ZERO)), if after.is_some() => {}
            }
        }
    }

    /// Pushes the seeds that are ready now, without waiting for more.
    async fn read_ready_seeds(&mut self) -> Result<(), Error> {
        match self.seeds.inner.next().now_or_never() {
            Some(item) => self.add_seeds(item).await,
            None => Ok(()),
        }
    }

    /// Adds `first` and whatever else is ready (a batch) to the frontier.
    async fn add_seeds(&mut self, first: Option<Result<SeedItem, Error>>) -> Result<(), Error> {
        let stats = &self.shared.stats;
        // A resumed crawl reads its list again; its bad lines were counted by the run
        // that first read them.
        let count_bad = |stats: &crate::stats::Stats| {
            if !stats.is_resumed() {
                bump(&stats.bad_lines);
            }
        };
        let mut batch = Vec::new();
        let mut next = first;
        loop {
            match next {
                None => {
                    self.seeds_open = false;
                    break;
                }
                Some(item) => match item? {
                    SeedItem::Bad(bad) => {
                        count_bad(stats);
                        warn!("{}", crate::redact::text(&bad.to_string()));
                    }
                    SeedItem::Url(url) => {
                        if !matches!(url.scheme(), "http" | "https") {
                            count_bad(stats);
                            warn!(
                                "skipping seed {}: scheme is not http or https",
                                crate::redact::url(&url)
                            );
                        } else {
                            let mut url = url;
                            url.set_fragment(None);
                            // Credentials are given to the listed URLs' origins, and a
                            // URL's own userinfo leaves it here.
                            self.shared.fetcher.admit_listed(&mut url);
                            batch.push(Request::seed(url));
                        }
                    }
                },
            }
            if batch.len() >= SEED_BATCH {
                break;
            }
            match self.seeds.inner.next().now_or_never() {
                Some(item) => next = item,
                None => break,
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        // The writer pushes them, so a commit point records the push, its counts and
        // its records together or none of them.
        let (pushed, answer) = tokio::sync::oneshot::channel();
        if self.work.send(Work::Seeds { batch, pushed }).await.is_err() {
            self.shared.stop.cancel();
            return Ok(());
        }
        match answer.await {
            Ok(result) => result,
            // The writer stopped on an error of its own, which the crawl reports.
            Err(_) => {
                self.shared.stop.cancel();
                Ok(())
            }
        }
    }

    fn spawn(&mut self, lease: Lease, slot: Slot) {
        let shared = self.shared.clone();
        let work = self.work.clone();
        if lease.request.counts_as_page() {
            bump(&shared.stats.requested);
        }
        let span = tracing::info_span!("page", url = %crate::redact::url(&lease.request.url));
        self.workers.spawn(
            async move {
                let mut slot = slot;
                let end = run_worker(&shared, &lease, &mut slot).await;
                // The writer is gone only when the crawl is stopping on its error.
                let _ = work.send(Work::Leased { lease, end, slot }).await;
            }
            .instrument(span),
        );
    }
}

/// Runs the worker on `lease`, renewing the lease while it works, and turns whatever
/// happens into an [`End`]: its result, a panic, an abandon on stop.
async fn run_worker<F: Frontier>(shared: &Shared<F>, lease: &Lease, slot: &mut Slot) -> End {
    let work = AssertUnwindSafe(worker::process(shared, lease, slot)).catch_unwind();
    tokio::select! {
        biased;
        () = shared.stop.cancelled() => End::Abandoned,
        e = renew(shared, lease) => End::Failed(e),
        result = work => match result {
            Ok(Ok(finished)) => End::Finished(Box::new(finished)),
            Ok(Err(e)) => End::Failed(e),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                tracing::error!(
                    "{}: crawl panicked on this page (a bug): {message}",
                    crate::redact::url(&lease.request.url)
                );
                End::Finished(Box::new(worker::panicked(&lease.request, &message)))
            }
        },
    }
}

/// Renews a lease that expires at half its remaining time, until renewing fails
/// (returns the error); never returns for a lease that does not expire.
async fn renew<F: Frontier>(shared: &Shared<F>, lease: &Lease) -> Error {
    let Some(expires) = lease.expires else {
        return std::future::pending().await;
    };
    let ttl = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap_or(Duration::from_secs(1));
    let every = (ttl / 2).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = shared.frontier.renew(lease).await {
            return e;
        }
    }
}
