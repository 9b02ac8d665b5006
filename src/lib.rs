//! crawl: an asynchronous web crawler and link extractor.
#![deny(missing_docs)]

pub mod charset;
pub mod config;
mod crawler;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod frontier;
pub mod guard;
pub mod input;
pub mod robots;
pub mod sink;
pub mod stats;
mod worker;

pub use config::{Config, ConfigBuilder, Format, Input, Output, Scope};
pub use crawler::{Crawler, crawl};
pub use error::{Error, Result};
pub use extract::{Link, LinkTag};
pub use frontier::{Frontier, MemoryFrontier};
pub use input::Seeds;
pub use sink::{MemorySink, PageLinks, Sink};
pub use stats::{FailureKind, Stats, Summary};
pub use tokio_util::sync::CancellationToken;
