//! crawl: an asynchronous web crawler and link extractor.
//!
//! Give it URLs; it fetches the pages concurrently over one shared HTTP client, pulls
//! every hyperlink out of each page exactly as a browser's HTML and URL parsers would,
//! and hands `source → target` pairs to a [`Sink`]. Failed pages are data in the
//! [`Summary`], never errors; no server can hang it past its deadline (the parse
//! included), and its memory stays within bounds set by the caps (see [`parse`]).
//!
//! ```
//! use crawl::{CancellationToken, Config, Crawler, MemorySink, Seeds, Url};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), crawl::Error> {
//! // Port 9 on loopback has nothing listening: the page fails, the crawl does not.
//! let url = Url::parse("http://127.0.0.1:9/").expect("a valid URL");
//! let config = Config::builder().retries(0).respect_robots(false).build()?;
//! let crawler = Crawler::new(config)?;
//! let frontier = crawler.memory_frontier();
//! let sink = MemorySink::new();
//! let summary = crawler
//!     .run(Seeds::from_urls([url]), frontier, sink.clone(), CancellationToken::new())
//!     .await?;
//! assert_eq!(summary.failures_of(crawl::FailureKind::Connect), 1);
//! assert!(sink.pairs().is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! The `crawl` binary is [`crawl()`] with a command line: it reads
//! [`Config::input`] and writes [`Config::output`].
//!
//! # Layout
//!
//! The modules follow the pipeline:
//!
//! - [`config`]: every option and its default;
//! - [`input`]: the URL list, read lazily, bad lines reported by number;
//! - [`frontier`]: waiting URLs, the seen-set and per-host politeness, behind the
//!   [`Frontier`] trait ([`MemoryFrontier`] by default, [`StoreFrontier`] on disk for
//!   `--state`, [`RedisFrontier`] shared by many workers for `--frontier`);
//! - [`fetch`]: the shared client, hop-by-hop redirects, bounded bodies, failure
//!   classification, request options and where credentials go; [`robots`] and
//!   [`guard`] decide what may be fetched; [`redact`] hides passwords in logs;
//! - [`charset`] and [`extract`]: bytes to text to links, pure and synchronous;
//! - `render` (cargo feature `render`, on by default): pages built by JavaScript,
//!   loaded in headless Chromium (`--render`);
//! - [`sink`]: the output formats and the single writer task;
//! - [`sitemap`]: sitemaps read into seeds (`--sitemap`);
//! - [`record`]: how every request ended, one [`PageRecord`] each;
//! - [`report`]: the one-file HTML report of a crawl, live or from `--pages` files;
//! - [`stats`]: live counters and the final [`Summary`].
//!
//! The library emits `tracing` events (a span per page) and installs no subscriber.
#![deny(missing_docs)]

mod apply;
pub mod charset;
pub mod config;
mod crawler;
mod dispatch;
mod engine;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod frontier;
pub mod guard;
pub mod input;
pub mod parse;
pub mod record;
pub mod redact;
#[cfg(feature = "render")]
pub mod render;
pub mod report;
pub mod robots;
pub mod sink;
pub mod sitemap;
pub mod stats;
mod worker;

pub use config::{Config, ConfigBuilder, Format, Input, Output, Scope};
pub use crawler::{Crawler, crawl};
pub use error::{Error, Result};
pub use extract::{Link, LinkAttr, LinkFilter, LinkKinds, LinkTag, Select};
pub use frontier::{Frontier, MemoryFrontier, RedisFrontier, StoreFrontier};
pub use input::Seeds;
pub use record::{Outcome, PageRecord, SkipReason};
pub use sink::{Committed, MemorySink, OutputSink, PageLinks, RecordsSink, Sink};
pub use stats::{FailureKind, LeftOut, Stats, Summary};
pub use tokio_util::sync::CancellationToken;
/// The `url` crate's URL type, which seeds, pages and links use.
pub use url::Url;

/// README.md's Rust examples are compiled as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
