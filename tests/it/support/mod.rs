//! Shared helpers of the integration tests: the misbehaving HTTP server, running the
//! library into a `MemorySink`, capturing its warnings, and running the real binary.

pub mod bin;
pub mod gzip;
pub mod logs;
pub mod proxy;
#[cfg(unix)]
pub mod pty;
pub mod redis;
pub mod reply;
pub mod server;
pub mod tls;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use crawl::{CancellationToken, Config, ConfigBuilder, Crawler, MemorySink, PageLinks, Seeds};
use crawl::{FailureKind, Summary};
use url::Url;

pub use bin::Bin;
pub use logs::{Logs, capture_logs};
pub use reply::{Gate, Reply};
pub use server::{Routes, TestServer};

/// A test that takes longer than this has hung: it fails instead of blocking CI.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// The bytes of `fixtures/<path>`.
///
/// # Panics
///
/// When the file is missing.
pub fn fixture(path: &str) -> Vec<u8> {
    let full = fixture_path(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {}: {e}", full.display()))
}

/// `fixtures/<path>` in the source tree.
pub fn fixture_path(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

/// Fails the test if `fut` has not finished within [`HANG_GUARD`].
pub async fn guard<F: Future>(fut: F) -> F::Output {
    match tokio::time::timeout(HANG_GUARD, fut).await {
        Ok(out) => out,
        Err(_) => panic!("the test hung for {HANG_GUARD:?}"),
    }
}

/// The config tests start from: the crate defaults, but no retries, a quick retry
/// backoff and a 10 s page timeout (so a bug fails fast instead of waiting 30 s).
pub fn config() -> ConfigBuilder {
    Config::builder()
        .retries(0)
        .retry_base(Duration::from_millis(10))
        .timeout(Duration::from_secs(10))
}

/// What a library crawl produced.
#[derive(Debug)]
pub struct Crawled {
    /// The returned summary.
    pub summary: Summary,
    /// The sink the pages went to.
    pub sink: MemorySink,
}

impl Crawled {
    /// Every `(source, target)` pair, in sink order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.sink.pairs()
    }

    /// Every page written.
    pub fn pages(&self) -> Vec<PageLinks> {
        self.sink.pages()
    }

    /// The targets written for `source`, in order (empty if the page was not written).
    pub fn links_of(&self, source: &str) -> Vec<String> {
        self.pages()
            .iter()
            .filter(|p| p.source().as_str() == source)
            .flat_map(|p| p.links.iter().map(|l| l.url.to_string()))
            .collect()
    }

    /// Failures of `kind`.
    pub fn failures(&self, kind: FailureKind) -> u64 {
        self.summary.failures_of(kind)
    }
}

/// The record of `url` among `records`.
///
/// # Panics
///
/// When there is none.
pub fn record_of<'a>(
    records: &'a [crawl::record::PageRecord],
    url: &str,
) -> &'a crawl::record::PageRecord {
    records
        .iter()
        .find(|r| r.url.as_str() == url)
        .unwrap_or_else(|| panic!("no record of {url} in {records:#?}"))
}

/// Crawls `urls` with `config` into a [`MemorySink`], under the hang guard.
///
/// # Panics
///
/// When the crawl returns an error or hangs.
pub async fn crawl(config: Config, urls: impl IntoIterator<Item = Url>) -> Crawled {
    crawl_until(config, urls, CancellationToken::new(), MemorySink::new()).await
}

/// [`crawl`] with the caller's token and sink (to cancel it, or watch it).
///
/// # Panics
///
/// When the crawl returns an error or hangs.
pub async fn crawl_until(
    config: Config,
    urls: impl IntoIterator<Item = Url>,
    cancel: CancellationToken,
    sink: MemorySink,
) -> Crawled {
    let urls: Vec<Url> = urls.into_iter().collect();
    let crawler = Crawler::new(config).expect("crawler");
    let frontier = crawler.memory_frontier();
    let run = crawler.run(Seeds::from_urls(urls), frontier, sink.clone(), cancel);
    let summary = guard(run).await.expect("the crawl returned an error");
    Crawled { summary, sink }
}

/// Scripted, paced responses (added for the hostile catalogue).
pub mod script;
