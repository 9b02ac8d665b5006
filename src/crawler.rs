//! The engine's entry points: [`crawl`] and [`Crawler`], which start the dispatcher
//! ([`crate::dispatch`]) and the writer task ([`crate::apply`]) and wait for both.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use crate::config::{Config, Output};
use crate::engine::Shared;
use crate::error::Error;
use crate::fetch::Fetcher;
use crate::frontier::{Frontier, MemoryFrontier, Policy, RedisFrontier, StoreFrontier};
use crate::input::Seeds;
use crate::robots::RobotsCache;
use crate::sink::{OutputSink, RecordsSink, Sink};
use crate::stats::{Stats, Summary};
use crate::{apply, dispatch};

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
///
/// Build one from a [`Config`] with [`Crawler::new`], then call either
/// [`Crawler::run_io`] (read [`Config::input`], write [`Config::output`], as the binary
/// does) or [`Crawler::run`] (your seeds, frontier and [`Sink`]). Both take the
/// crawler by value: it runs once. Take [`Crawler::stats`] first for a progress
/// display; the [`CancellationToken`] you pass stops the crawl early, with every page
/// already parsed still reaching the sink.
///
/// ```
/// use std::time::Duration;
///
/// use crawl::{CancellationToken, Config, Crawler, MemorySink, Seeds, Url};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), crawl::Error> {
/// let crawler = Crawler::new(Config::builder().depth(1).retries(0).build()?)?;
/// let stats = crawler.stats();
/// let cancel = CancellationToken::new();
/// // Give up after a minute (a Ctrl-C handler would cancel the same way).
/// let deadline = cancel.clone();
/// tokio::spawn(async move {
///     tokio::time::sleep(Duration::from_secs(60)).await;
///     deadline.cancel();
/// });
/// // Nothing listens on port 9 of loopback: the page fails, the crawl does not.
/// let seeds = Seeds::from_urls([Url::parse("http://127.0.0.1:9/").expect("a URL")]);
/// let frontier = crawler.memory_frontier();
/// let sink = MemorySink::new();
/// let summary = crawler.run(seeds, frontier, sink.clone(), cancel).await?;
/// assert_eq!((summary.failed(), stats.done()), (1, 1));
/// assert!(!summary.interrupted);
/// assert!(sink.pages().is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Crawler {
    config: Config,
    fetcher: Fetcher,
    stats: Arc<Stats>,
    /// The headless browser pool, with [`Config::render`].
    #[cfg(feature = "render")]
    renderer: Option<Arc<crate::render::Renderer>>,
}

impl Crawler {
    /// Sets up a crawl: builds the one HTTP client every request will share.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the configuration is invalid (its fields are public and
    /// may have changed since it was built), [`Error::Client`] when the HTTP client
    /// cannot be built. With [`Config::render`], [`Error::Config`] when no browser is
    /// found.
    pub fn new(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let fetcher = Fetcher::new(&config)?;
        #[cfg(feature = "render")]
        let renderer = match config.render {
            true => Some(Arc::new(crate::render::Renderer::new(&config)?)),
            false => None,
        };
        Ok(Crawler {
            config,
            fetcher,
            stats: Arc::new(Stats::default()),
            #[cfg(feature = "render")]
            renderer,
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

    /// The in-memory frontier with this config's politeness rules and limits.
    pub fn memory_frontier(&self) -> MemoryFrontier {
        MemoryFrontier::new(self.policy())
    }

    /// The rules and limits any frontier of this crawl is to enforce.
    pub fn policy(&self) -> Policy {
        let c = &self.config;
        Policy {
            max_in_flight: c.host_concurrency.get(),
            min_gap: c.host_delay,
            probe_first: c.respect_robots,
            max_pages: c.max_pages,
            max_pages_per_host: c.max_pages_per_host,
            max_depth: Some(c.depth),
        }
    }

    /// Reads [`Config::input`] and writes [`Config::output`] (and [`Config::pages`]),
    /// as the binary does, until the end or until `cancel` fires. The input is opened
    /// first: an input that cannot be read leaves an existing output untouched.
    ///
    /// # Errors
    ///
    /// As [`crawl`].
    pub async fn run_io(self, cancel: CancellationToken) -> Result<Summary, Error> {
        let seeds = Seeds::from_input(&self.config.input).await?;
        if let Some(dir) = self.config.state.clone() {
            return self.run_state(&dir, seeds, cancel).await;
        }
        if let (Some(target), Some(id)) = (&self.config.frontier, &self.config.crawl_id) {
            let frontier = RedisFrontier::connect(
                target,
                id,
                self.policy(),
                &self.shared_settings(),
                self.lease_ttl(),
            )
            .await?;
            tracing::info!("{}: joined the shared crawl {id}", frontier.address());
            let sink = self.open_sink().await?;
            return self.run(seeds, frontier, sink, cancel).await;
        }
        let sink = self.open_sink().await?;
        let frontier = self.memory_frontier();
        self.run(seeds, frontier, sink, cancel).await
    }

    /// The sink [`Crawler::run_io`] writes to: the pairs, the `--pages` records and
    /// the live report.
    async fn open_sink(&self) -> Result<impl Sink + use<>, Error> {
        let c = &self.config;
        let pairs =
            OutputSink::open_for(&c.output, c.format, c.header_row, c.append, c.links).await?;
        let records = match &c.pages {
            Some(path) => Some(
                RecordsSink::create(path)
                    .await?
                    .with_settings(crate::report::settings_of(c)),
            ),
            None => None,
        };
        Ok((pairs, (records, crate::report::LiveReport::new(c))))
    }

    /// The settings every worker of a shared crawl must agree on: those of
    /// [`Config::defining_settings`] and the politeness rules, which the frontier
    /// enforces for all workers together.
    pub fn shared_settings(&self) -> Vec<(&'static str, String)> {
        let c = &self.config;
        let mut settings = c.defining_settings();
        settings.push(("--host-concurrency", c.host_concurrency.to_string()));
        settings.push((
            "--host-delay",
            humantime::format_duration(c.host_delay).to_string(),
        ));
        settings
    }

    /// How long a shared crawl's lease lasts unless renewed: a page's deadline
    /// (`--timeout`) and ten seconds more. A live worker renews its leases at half
    /// that, so only a dead or stalled worker's leases expire.
    pub fn lease_ttl(&self) -> Duration {
        self.config.timeout + Duration::from_secs(10)
    }

    /// The settings a crawl kept in a state directory is defined by: those of
    /// [`Config::defining_settings`], and the files it reads and writes.
    pub fn state_settings(&self) -> Vec<(&'static str, String)> {
        let c = &self.config;
        let path = |p: &std::path::Path| {
            std::path::absolute(p)
                .unwrap_or_else(|_| p.to_path_buf())
                .display()
                .to_string()
        };
        let mut settings = c.defining_settings();
        settings.push((
            "the URL list",
            match &c.input {
                crate::config::Input::Stdin => "<stdin>".to_owned(),
                crate::config::Input::Path(p) => path(p),
                crate::config::Input::None => "<none>".to_owned(),
            },
        ));
        settings.push((
            "-o",
            match &c.output {
                Output::Stdout => "-".to_owned(),
                Output::Path(p) => path(p),
            },
        ));
        settings.push((
            "--pages",
            c.pages.as_deref().map_or_else(|| "none".to_owned(), path),
        ));
        settings.push(("--header-row", c.header_row.to_string()));
        settings
    }

    /// [`Crawler::run_io`] with the crawl's state in `dir`: a new crawl, or the
    /// resumption of the one there, its outputs cut back to the last commit point.
    async fn run_state(
        self,
        dir: &std::path::Path,
        seeds: Seeds,
        cancel: CancellationToken,
    ) -> Result<Summary, Error> {
        let frontier = StoreFrontier::open(dir, self.policy(), &self.state_settings())?;
        let c = &self.config;
        let Output::Path(out) = &c.output else {
            return Err(Error::Config("--state needs an output file".into()));
        };
        let committed = frontier.checkpoint().map(|cp| cp.outputs.clone());
        let (pairs, records) = match &committed {
            Some(lengths) => {
                let at = |i: usize| lengths.get(i).copied().unwrap_or(0);
                let pairs =
                    OutputSink::resume_for(out, c.format, c.header_row, at(0), c.links).await?;
                let records = match &c.pages {
                    Some(path) => Some(RecordsSink::resume(path, at(1)).await?),
                    None => None,
                };
                (pairs, records)
            }
            None => {
                let pairs =
                    OutputSink::open_for(&c.output, c.format, c.header_row, false, c.links).await?;
                let records = match &c.pages {
                    Some(path) => Some(RecordsSink::create(path).await?),
                    None => None,
                };
                (pairs, records)
            }
        };
        let records = records.map(|r| r.with_settings(crate::report::settings_of(c)));
        let mut sink = (pairs, records);
        if let Some(cp) = frontier.checkpoint() {
            tracing::info!(
                "{}: resuming the crawl ({} pages so far)",
                dir.display(),
                cp.summary.pages
            );
        }
        if frontier.is_finished() {
            if let Some(cp) = frontier.checkpoint() {
                self.stats.resume_from(cp.summary.clone());
            }
            tracing::warn!(
                "{}: this crawl had finished; nothing to do (use another --state directory \
                 to crawl again)",
                dir.display()
            );
            let summary = self.stats.summary(false);
            sink.finish(&summary).await?;
            return Ok(summary);
        }
        self.run(seeds, frontier, sink, cancel).await
    }

    /// Crawls from `seeds` through `frontier` into `sink` until the end or until
    /// `cancel` fires. On cancel, no new fetch starts, fetches in flight are abandoned
    /// (their leases given back to the frontier), and every request that ended before
    /// reaches the sink before this returns.
    ///
    /// With a durable frontier ([`StoreFrontier`]) the crawl takes commit points every
    /// [`Config::commit_interval`] and a last one at its end, and a resumed crawl's
    /// counters go on from the state's. For exactly-once output, open the sink's files
    /// at the lengths the state committed ([`StoreFrontier::checkpoint`],
    /// [`OutputSink::resume`], [`RecordsSink::resume`]):
    ///
    /// ```no_run
    /// use crawl::frontier::StoreFrontier;
    /// use crawl::{Config, Crawler, Format, OutputSink, Seeds};
    /// use tokio_util::sync::CancellationToken;
    ///
    /// # async fn run() -> Result<(), crawl::Error> {
    /// let config = Config::builder().depth(3).build()?;
    /// let crawler = Crawler::new(config)?;
    /// let frontier = StoreFrontier::open("crawl.state", crawler.policy(), &crawler.state_settings())?;
    /// let committed = frontier.checkpoint().and_then(|cp| cp.outputs.first().copied());
    /// let path = std::path::Path::new("found.tsv");
    /// let sink = OutputSink::resume(path, Format::Tsv, false, committed.unwrap_or(0)).await?;
    /// let seeds = Seeds::from_urls([crawl::Url::parse("https://example.com/").expect("a URL")]);
    /// crawler.run(seeds, frontier, sink, CancellationToken::new()).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The sink's, the frontier's or the seed stream's error, after the crawl has
    /// stopped and everything extracted so far has been handed to the sink. A worker
    /// that panics is not an error of the crawl: its page is recorded as failed
    /// ([`FailureKind::Panic`](crate::FailureKind::Panic)) and counted in
    /// [`Summary::panics`].
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
        if let Some(earlier) = frontier.resumed() {
            // A resumed crawl: the counters go on from the last commit point.
            self.stats.resume_from(earlier.summary);
        }
        let config = self.config;
        let (tx, rx) = mpsc::channel(2 * config.concurrency.get());
        let robots = config.respect_robots.then(|| {
            RobotsCache::new(
                &config.user_agent,
                config.timeout,
                config.retry_base.max(Duration::from_secs(1)),
            )
            .with_store(frontier.robots_store())
        });
        let permits = Arc::new(Semaphore::new(config.concurrency.get()));
        let shared = Arc::new(Shared {
            config,
            fetcher: self.fetcher,
            robots,
            frontier: Arc::new(frontier),
            stats: self.stats.clone(),
            stop: cancel.child_token(),
            permits,
            #[cfg(feature = "render")]
            renderer: self.renderer,
            parse_permits: Semaphore::new(
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            ),
        });
        let writer = AbortOnDropHandle::new(tokio::spawn({
            let shared = shared.clone();
            async move {
                let mut sink = sink;
                let result = apply::apply(&shared, rx, &mut sink).await;
                if result.is_err() {
                    shared.stop.cancel();
                }
                (result, sink)
            }
        }));
        // The dispatcher is a task of its own, on the runtime's workers: awaited in
        // place it would run wherever the caller polls this future (for the binary,
        // the thread in `block_on`), and every finished page would wake that thread:
        // a futex wake and a context switch or two a page, 46,000 switches and 8%
        // more CPU on a 20,000-page crawl (benches/README.md). Dropping this future
        // aborts both tasks, and with them the workers.
        let dispatcher =
            AbortOnDropHandle::new(tokio::spawn(dispatch::dispatch(shared.clone(), seeds, tx)));
        let dispatched = joined(dispatcher.await)?;
        // Every request has ended: write the cookie jar back (whatever happened, also
        // after an error or a cancel).
        let cookies = shared.fetcher.save_cookies().await;
        let frontier = shared.frontier.clone();
        drop(shared);
        let (written, mut sink) = joined(writer.await)?;
        // The last reference to the HTTP client is gone: give its connection tasks a
        // turn to close (on a single-threaded runtime they would wait for the caller).
        tokio::task::yield_now().await;
        let summary = self.stats.summary(cancel.is_cancelled());
        // A write error is the root cause when both failed (the dispatcher stopped
        // because the writer was gone); after one, the sink is not called again.
        written?;
        if frontier.durable() {
            // The last commit point, before the sink's end (a document's closing lines)
            // which a resumed crawl writes again.
            let ended = !cancel.is_cancelled() && dispatched.is_ok();
            crate::apply::commit(&*frontier, &self.stats, &mut sink, ended)
                .await?
                .await?;
        }
        drop(frontier);
        sink.finish(&summary).await?;
        dispatched?;
        cookies?;
        Ok(summary)
    }
}

/// A task's result; its panic resumed here.
fn joined<T>(result: Result<T, tokio::task::JoinError>) -> Result<T, Error> {
    match result {
        Ok(value) => Ok(value),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only when the runtime shuts down under the crawl.
            Err(e) => Err(Error::Frontier(Box::new(e))),
        },
    }
}
