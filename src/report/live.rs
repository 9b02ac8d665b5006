//! `--report FILE.html` during a crawl: a [`Sink`] that aggregates every record and
//! writes the report when the crawl ends (also after Ctrl-C, marked interrupted).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::aggregate::Aggregator;
use super::summary::{ReportSummary, settings_of};
use crate::config::Config;
use crate::error::Error;
use crate::sink::{PageLinks, Sink};
use crate::stats::Summary;

/// The aggregate of a running crawl and where its report goes.
#[derive(Debug)]
pub struct LiveReport {
    path: PathBuf,
    settings: BTreeMap<String, String>,
    aggregator: Aggregator,
}

impl LiveReport {
    /// A live report when `config.report` asks for one.
    pub fn new(config: &Config) -> Option<LiveReport> {
        config.report.clone().map(|path| LiveReport {
            path,
            settings: settings_of(config),
            aggregator: Aggregator::new(),
        })
    }

    /// Builds the report with the crawl's `summary` (marked interrupted when it is)
    /// and writes it to the path, through a temporary file renamed into place.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] naming the path when it cannot be written.
    pub fn write(self, summary: &Summary) -> Result<(), Error> {
        let mut s = ReportSummary::from_summary(summary);
        s.settings = self.settings;
        let report = self.aggregator.finish(Some(&s));
        super::write_file(&report, &self.path)
    }
}

impl Sink for LiveReport {
    async fn write_page(&mut self, page: &PageLinks) -> Result<(), Error> {
        self.aggregator.add(&page.record);
        Ok(())
    }

    async fn finish(&mut self, summary: &Summary) -> Result<(), Error> {
        let live = std::mem::replace(
            self,
            LiveReport {
                path: self.path.clone(),
                settings: BTreeMap::new(),
                aggregator: Aggregator::new(),
            },
        );
        live.write(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_the_report_where_the_config_says() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.html");
        let config = Config::builder()
            .report(Some(path.clone()))
            .build()
            .expect("valid");
        let mut live = LiveReport::new(&config).expect("asked for");
        let summary = crate::Stats::default().summary(true);
        live.finish(&summary).await.expect("writes");
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
