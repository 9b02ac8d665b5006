//! crawl: an asynchronous web crawler and link extractor.
#![deny(missing_docs)]

pub mod charset;
pub mod extract;
