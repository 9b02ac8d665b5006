//! The engine: a dispatcher that pops ready requests from the frontier, takes a permit
//! of the global semaphore and spawns a worker for each, and the single writer task.
//!
//! The crawl is over when the seeds are exhausted, the frontier is empty and no worker
//! is running. Only the dispatcher pops and only it reaps workers, and a worker queues
//! every link it found before it ends, so that test has no race.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;
use tracing::{Instrument, debug, error, warn};

use crate::config::Config;
use crate::error::Error;
use crate::fetch::Fetcher;
use crate::frontier::memory::HostPolicy;
use crate::frontier::{Done, Frontier, Kind, MemoryFrontier, Pop, Request};
use crate::input::{SeedItem, Seeds};
use crate::robots::RobotsCache;
use crate::sink::{OutputSink, PageLinks, Sink, run_writer};
use crate::stats::{Stats, Summary, bump};
use crate::{redact, worker};

/// Seeds are read ahead only while fewer than this many requests wait in the frontier.
const SEED_READ_AHEAD: u64 = 1024;

/// Runs a whole crawl as the `crawl` binary does: reads [`Config::input`], writes
/// [`Config::output`] in [`Config::format`], and returns the summary.
///
/// # Errors
///
/// [`Error::Input`] or [`Error::Output`] when the list cannot be read or the output
/// cannot be written; failed pages are not errors (see [`Summary::failures`]).
pub async fn crawl(config: Config) -> Result<Summary, Error> {
    Crawler::new(config)?.run_io(CancellationToken::new()).await
}

/// A crawl ready to run: the shared HTTP client, the robots.txt cache and the counters.
#[derive(Debug)]
pub struct Crawler {
    config: Config,
    fetcher: Fetcher,
    stats: Arc<Stats>,
}

/// What every worker shares.
pub(crate) struct Shared<F> {
    pub config: Config,
    pub fetcher: Fetcher,
    pub robots: Option<RobotsCache>,
    pub frontier: Arc<F>,
    pub stats: Arc<Stats>,
    pub pages: mpsc::Sender<PageLinks>,
    pub stop: CancellationToken,
    /// Retries queued in the frontier and not yet popped again.
    pub retries_pending: AtomicU64,
    /// Pages accepted per host, for `max_pages_per_host`.
    pub host_pages: Mutex<HashMap<String, u64>>,
    /// Origins whose sitemaps were queued (`--sitemap`).
    pub sitemap_origins: Mutex<HashSet<String>>,
    /// The first error that stopped the crawl from inside a worker.
    pub fatal: Mutex<Option<Error>>,
}

/// What [`Shared::push`] did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    Seen,
    OverBudget,
}

impl<F: Frontier> Shared<F> {
    /// Queues a request within the per-host page budget (`max_pages_per_host`): the
    /// slot is taken before the push and given back if the URL was seen before, so
    /// pushes racing for the last slots cannot overshoot it.
    pub async fn push(&self, request: Request) -> Result<Pushed, Error> {
        let budget = match (self.config.max_pages_per_host, request.kind) {
            (Some(budget), Kind::Page) => budget,
            _ => {
                let queued = self.frontier.push(request).await?;
                return Ok(if queued { Pushed::Queued } else { Pushed::Seen });
            }
        };
        let host = request.host().to_owned();
        {
            let mut pages = self.host_pages.lock().unwrap_or_else(|e| e.into_inner());
            let taken = pages.entry(host.clone()).or_insert(0);
            if *taken >= budget {
                return Ok(Pushed::OverBudget);
            }
            *taken += 1;
        }
        let queued = self.frontier.push(request).await;
        if !matches!(queued, Ok(true)) {
            let mut pages = self.host_pages.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(taken) = pages.get_mut(&host) {
                *taken = taken.saturating_sub(1);
            }
        }
        Ok(if queued? {
            Pushed::Queued
        } else {
            Pushed::Seen
        })
    }
}

impl<F> Shared<F> {
    /// Stops the crawl because of `error`; the first such error is returned by `run`.
    pub fn fail(&self, error: Error) {
        error!("stopping the crawl: {error}");
        self.fatal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert(error);
        self.stop.cancel();
    }
}

impl Crawler {
    /// Sets up a crawl: builds the one HTTP client every request will share.
    ///
    /// # Errors
    ///
    /// [`Error::Client`] when the HTTP client cannot be built.
    pub fn new(config: Config) -> Result<Self, Error> {
        let fetcher = Fetcher::new(&config)?;
        Ok(Crawler {
            config,
            fetcher,
            stats: Arc::new(Stats::default()),
        })
    }

    /// The live counters, for a progress display.
    pub fn stats(&self) -> Arc<Stats> {
        self.stats.clone()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The in-memory frontier with this config's politeness rules.
    pub fn memory_frontier(&self) -> MemoryFrontier {
        MemoryFrontier::new(HostPolicy {
            max_in_flight: self.config.host_concurrency.get(),
            min_gap: self.config.host_delay,
            probe_first: self.config.respect_robots,
        })
    }

    /// Reads [`Config::input`] and writes [`Config::output`], as the binary does, until
    /// the end or until `cancel` fires.
    ///
    /// # Errors
    ///
    /// As [`crawl`].
    pub async fn run_io(self, cancel: CancellationToken) -> Result<Summary, Error> {
        let seeds = Seeds::from_input(&self.config.input).await?;
        let c = &self.config;
        let sink = OutputSink::open(&c.output, c.format, c.header, c.append).await?;
        let frontier = self.memory_frontier();
        self.run(seeds, frontier, sink, cancel).await
    }

    /// Crawls from `seeds` through `frontier` into `sink` until the end or until
    /// `cancel` fires. On cancel, no new fetch starts, fetches in flight are abandoned,
    /// and every page whose links were extracted reaches the sink before this returns.
    ///
    /// # Errors
    ///
    /// The sink's, the frontier's or the seed stream's error, after the crawl has
    /// stopped and everything extracted so far has been handed to the sink.
    pub async fn run<F, S>(
        self,
        seeds: Seeds,
        frontier: F,
        sink: S,
        cancel: CancellationToken,
    ) -> Result<Summary, Error>
    where
        F: Frontier,
        S: Sink,
    {
        let config = self.config;
        let (tx, rx) = mpsc::channel(2 * config.concurrency.get());
        let writer = tokio::spawn(run_writer(rx, sink, self.stats.clone()));
        let stop = cancel.child_token();
        let robots = config.respect_robots.then(|| {
            RobotsCache::new(
                &config.user_agent,
                config.timeout,
                config.retry_base.max(Duration::from_secs(1)),
            )
        });
        let shared = Arc::new(Shared {
            config,
            fetcher: self.fetcher,
            robots,
            frontier: Arc::new(frontier),
            stats: self.stats.clone(),
            pages: tx,
            stop: stop.clone(),
            retries_pending: AtomicU64::new(0),
            host_pages: Mutex::default(),
            sitemap_origins: Mutex::default(),
            fatal: Mutex::default(),
        });
        // The dispatcher is a task of its own, on the runtime's workers: awaited in
        // place it would run wherever the caller polls this future (for the binary,
        // the thread in `block_on`), and every finished page would wake that thread:
        // a futex wake and a context switch or two a page, 46,000 switches and 8%
        // more CPU on a 20,000-page crawl (benches/README.md). Dropping this future
        // aborts the task, and with it the workers.
        let dispatcher = AbortOnDropHandle::new(tokio::spawn({
            let shared = shared.clone();
            async move { dispatch(&shared, seeds).await }
        }));
        let mut dispatched = match dispatcher.await {
            Ok(result) => result,
            Err(e) => match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                // Only when the runtime shuts down under the crawl.
                Err(e) => Err(Error::Frontier(Box::new(e))),
            },
        };
        if let Some(e) = shared
            .fatal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            dispatched = dispatched.and(Err(e));
        }
        // Every request has ended: write the cookie jar back (whatever happened, also
        // after an error or a cancel).
        let cookies = shared.fetcher.save_cookies().await;
        drop(shared);
        let written = match writer.await {
            Ok(result) => result,
            Err(e) => Err(Error::Sink(Box::new(e))),
        };
        let summary = self.stats.summary(cancel.is_cancelled());
        // A write error is the root cause when both failed (the dispatcher stopped
        // because the writer was gone).
        written?;
        dispatched?;
        cookies?;
        Ok(summary)
    }
}

/// The dispatcher. Returns when the crawl is over or stopped and every worker has ended.
async fn dispatch<F: Frontier>(shared: &Arc<Shared<F>>, mut seeds: Seeds) -> Result<(), Error> {
    let mut workers = JoinSet::new();
    let result = dispatch_loop(shared, &mut seeds, &mut workers).await;
    if result.is_err() {
        shared.stop.cancel();
    }
    // Stopped or done: let the workers end (on a stop they abandon their fetches).
    while let Some(joined) = workers.join_next().await {
        reap(joined);
    }
    result
}

async fn dispatch_loop<F: Frontier>(
    shared: &Arc<Shared<F>>,
    seeds: &mut Seeds,
    workers: &mut JoinSet<std::thread::Result<()>>,
) -> Result<(), Error> {
    let config = &shared.config;
    let frontier = &shared.frontier;
    let stop = &shared.stop;
    let semaphore = Arc::new(Semaphore::new(config.concurrency.get()));
    let mut seeds_open = true;
    let mut dispatched: u64 = 0;

    loop {
        if stop.is_cancelled() {
            return Ok(());
        }
        let limit_reached = config.max_pages.is_some_and(|max| dispatched >= max);
        let mut wait = None;
        let mut empty = false;
        // Take the permit before popping, and move it into the worker.
        if let Ok(permit) = semaphore.clone().try_acquire_owned() {
            match frontier.pop().await? {
                Pop::Ready(request) => {
                    if request.attempt > 0 {
                        shared.retries_pending.fetch_sub(1, Relaxed);
                    } else if request.kind != Kind::Page {
                        // Sitemaps are not pages: they do not count against the limit.
                    } else if limit_reached {
                        // Over --max-pages: drop it without a request.
                        frontier.complete(Done::finished(request)).await?;
                        continue;
                    } else {
                        dispatched += 1;
                        bump(&shared.stats.requested);
                    }
                    let span = tracing::info_span!("page", url = %redact::url(&request.url));
                    let shared = shared.clone();
                    let work = async move {
                        let _permit = permit;
                        worker::process(&shared, request).await;
                    };
                    workers.spawn(AssertUnwindSafe(work).catch_unwind().instrument(span));
                    continue;
                }
                Pop::NotYet(after) => wait = after,
                Pop::Empty => empty = true,
            }
        }
        let want_seeds = seeds_open && !limit_reached && frontier.queued().await? < SEED_READ_AHEAD;
        let retries = shared.retries_pending.load(Relaxed);
        if workers.is_empty() && !want_seeds && (empty || (limit_reached && retries == 0)) {
            return Ok(());
        }
        if workers.is_empty() && !want_seeds && wait.is_none() {
            error!("the frontier holds requests but hands none out; stopping");
            return Ok(());
        }
        tokio::select! {
            biased;
            () = stop.cancelled() => return Ok(()),
            Some(joined) = workers.join_next(), if !workers.is_empty() => reap(joined),
            item = seeds.inner.next(), if want_seeds => match item {
                None => seeds_open = false,
                Some(item) => {
                    add_seed(shared, item).await?;
                    // Take whatever else is ready without another turn of the loop.
                    for _ in 0..256 {
                        match seeds.inner.next().now_or_never() {
                            Some(Some(item)) => add_seed(shared, item).await?,
                            Some(None) => {
                                seeds_open = false;
                                break;
                            }
                            None => break,
                        }
                    }
                }
            },
            () = tokio::time::sleep(wait.unwrap_or(Duration::ZERO)), if wait.is_some() => {}
        }
    }
}

fn reap(joined: Result<std::thread::Result<()>, tokio::task::JoinError>) {
    match joined {
        Ok(Ok(())) => {}
        Ok(Err(_)) => error!("a worker panicked; its page is lost (this is a bug)"),
        Err(e) => error!("a worker ended abnormally: {e}"),
    }
}

async fn add_seed<F: Frontier>(
    shared: &Shared<F>,
    item: Result<SeedItem, Error>,
) -> Result<(), Error> {
    match item? {
        SeedItem::Bad(bad) => {
            bump(&shared.stats.bad_lines);
            warn!("{}", redact::text(&bad.to_string()));
        }
        SeedItem::Url(mut url) => {
            if !matches!(url.scheme(), "http" | "https") {
                bump(&shared.stats.bad_lines);
                warn!(
                    "skipping seed {}: scheme is not http or https",
                    redact::url(&url)
                );
                return Ok(());
            }
            // Its userinfo becomes its origin's credentials, out of the URL.
            shared.fetcher.admit_listed(&mut url);
            let mut request = Request::seed(url);
            request.url.set_fragment(None);
            match shared.push(request).await? {
                Pushed::Queued => bump(&shared.stats.listed),
                Pushed::Seen => bump(&shared.stats.duplicates),
                Pushed::OverBudget => debug!("skipping a listed URL: over --max-pages-per-host"),
            }
        }
    }
    Ok(())
}
