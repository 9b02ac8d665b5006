//! The crawl as one self-contained HTML page: `--report FILE.html` and
//! `crawl report PAGES.jsonl… -o FILE.html`.
//!
//! The same [`Aggregator`] serves both. A live crawl feeds it every [`PageRecord`]
//! from its single writer task and finishes it with the crawl's summary; `crawl
//! report` feeds it the records of `--pages` files ([`report_from_files`]) and adds up
//! their summary lines ([`summary::combine`]). The [`Report`] holds aggregates and
//! bounded tables only, so memory and page size stay small for any crawl (24 MiB
//! and 550 kB for a million records: README's "The report").
//!
//! ```
//! use crawl::PageRecord;
//! use crawl::report::{Aggregator, ReportSummary, write_html};
//!
//! let line = r#"{"url":"http://a.test/","final_url":"http://a.test/","outcome":"fetched",
//!     "status":200,"content_type":"text/html","bytes":512,"links":3,"depth":0,
//!     "parent":null,"kind":"page","attempts":1,"started_ms":1764566400000,
//!     "elapsed_ms":4.5,"crawl_delay_ms":null}"#;
//! let record: PageRecord = serde_json::from_str(line).expect("a record");
//! let mut aggregator = Aggregator::new();
//! aggregator.add(&record);
//! let report = aggregator.finish(Some(&ReportSummary::default()));
//! let mut page = Vec::new();
//! write_html(&report, &mut page).expect("writes to memory");
//! let page = String::from_utf8_lossy(&page);
//! assert!(page.contains(r#"<data value="1" data-figure="times.count">1</data>"#));
//! ```
//!
//! The page is drawn with [maud](https://maud.lambda.xyz/): its templates are Rust
//! expressions, checked and escaped at compile time, so each chart is a small function
//! returning markup that unit tests call directly; there are no template files to
//! ship or find at run time.
//!
//! - [`aggregate`]: the [`Aggregator`], records in, [`Report`] out;
//! - [`hist`], [`topn`], [`hosts`]: the bounded structures it is made of;
//! - [`summary`]: the summary line, read tolerantly, and how summaries add up;
//! - [`layout`]: the graph layouts; [`svg`] and [`html`]: the page;
//! - [`read`]: pages files in; [`live`]: `--report` during a crawl.
//!
//! [`PageRecord`]: crate::PageRecord

pub mod aggregate;
pub mod fmt;
pub mod hist;
pub mod hosts;
pub mod html;
pub mod layout;
pub mod live;
pub mod model;
pub mod read;
pub mod summary;
pub mod svg;
pub mod topn;

#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::path::Path;

pub use aggregate::{
    Aggregator, Inputs, PAGE_GRAPH_MAX, TOP_BROKEN, TOP_CHAINS, TOP_HOSTS, TOP_SLOWEST, URL_CHARS,
};
pub use live::LiveReport;
pub use model::{Basis, Figures, Report, State};
pub use read::report_from_files;
pub use summary::{Combined, ReportSummary, SummaryLine, combine, settings_of};

use crate::error::Error;
use crate::record::SkipReason;
use crate::stats::FailureKind;

/// Writes `report` as one HTML document.
///
/// # Errors
///
/// Whatever `out` returns.
pub fn write_html(report: &Report, mut out: impl Write) -> io::Result<()> {
    let page = html::page(report).into_string();
    out.write_all(page.as_bytes())?;
    out.flush()
}

/// Writes `report` to `path` (`-`: standard output) through a temporary file beside
/// it, renamed into place: an interrupted write never leaves half a report.
///
/// # Errors
///
/// [`Error::Output`] naming the path when it cannot be written.
pub fn write_file(report: &Report, path: &Path) -> Result<(), Error> {
    let name = path.display().to_string();
    let fail = |source| Error::Output {
        name: name.clone(),
        source,
    };
    if path.as_os_str() == "-" {
        return write_html(report, io::stdout().lock()).map_err(fail);
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let result = std::fs::File::create(&tmp)
        .and_then(|f| write_html(report, io::BufWriter::new(f)))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

/// A failure kind as the records name it: `client_error`.
pub fn kind_key(kind: FailureKind) -> String {
    serde_key(&kind)
}

/// A skip reason as the records name it: `not_html`.
pub fn skip_key(reason: SkipReason) -> String {
    serde_key(&reason)
}

fn serde_key<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
