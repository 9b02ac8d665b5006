//! `--report FILE.html` during a crawl: what the engine's writer task holds.
//!
//! ```
//! use crawl::report::LiveReport;
//!
//! # fn demo(config: &crawl::Config, summary: &crawl::Summary, started_ms: u64) -> crawl::Result<()> {
//! let mut live = LiveReport::new(config);
//! // In the single writer task, for every record the crawl ends:
//! // if let Some(l) = &mut live { l.add(&record); }
//! // At the end, and after Ctrl-C (`summary.interrupted` set):
//! if let Some(l) = live.take() {
//!     l.write(summary, config, started_ms)?;
//! }
//! # Ok(())
//! # }
//! ```

use std::path::PathBuf;

use super::aggregate::Aggregator;
use super::summary::{ReportSummary, settings_of};
use crate::config::Config;
use crate::error::Error;
use crate::record::PageRecord;
use crate::stats::Summary;

/// The aggregate of a running crawl and where its report goes.
#[derive(Debug)]
pub struct LiveReport {
    path: PathBuf,
    aggregator: Aggregator,
}

impl LiveReport {
    /// A live report when `config.report` asks for one.
    pub fn new(config: &Config) -> Option<LiveReport> {
        config.report.clone().map(|path| LiveReport {
            path,
            aggregator: Aggregator::new(),
        })
    }

    /// Counts one record (call it in completion order, from one task).
    pub fn add(&mut self, record: &PageRecord) {
        self.aggregator.add(record);
    }

    /// Builds the report with the crawl's `summary` (marked interrupted when it is)
    /// and writes it to the path, through a temporary file renamed into place.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] naming the path when it cannot be written.
    pub fn write(self, summary: &Summary, config: &Config, started_ms: u64) -> Result<(), Error> {
        let mut s = ReportSummary::from_summary(summary);
        s.settings = settings_of(config);
        s.started_ms = Some(started_ms);
        let report = self.aggregator.finish(Some(&s));
        super::write_file(&report, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_report_where_the_config_says() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.html");
        let config = Config::builder()
            .report(Some(path.clone()))
            .build()
            .expect("valid");
        let live = LiveReport::new(&config).expect("asked for");
        let summary = crate::Stats::default().summary(true);
        live.write(&summary, &config, 1_764_566_400_000)
            .expect("writes");
        let page = std::fs::read_to_string(&path).expect("written");
        assert!(page.contains(r#"data-state="interrupted""#));
        assert!(page.contains("<th scope=\"row\">depth</th>"));
        assert!(
            !dir.path().join("r.html.tmp").exists(),
            "the temporary file is renamed"
        );
        assert!(LiveReport::new(&Config::default()).is_none());
    }
}
