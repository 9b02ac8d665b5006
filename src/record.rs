//! How every request ended: one [`PageRecord`] per URL the crawl handled.
//!
//! The engine hands a record to the [`Sink`](crate::Sink) for every request it ends,
//! fetched or not, and the `crawl` binary writes them as JSON Lines with `--pages`:
//!
//! ```json
//! {"url":"http://a.test/x","final_url":"http://a.test/y","redirects":["http://a.test/y"],
//!  "outcome":"failed","reason":"client_error","message":"HTTP 404 Not Found","status":404,
//!  "content_type":"text/html","bytes":0,"links":0,"depth":1,"parent":"http://a.test/",
//!  "kind":"page","attempts":1,"started_ms":1764566400000,"elapsed_ms":3.2,
//!  "rendered":false,"crawl_delay_ms":null}
//! ```
//!
//! (one line in the file). `outcome` is `fetched`, `failed` or `skipped`; `reason`
//! names the [`FailureKind`] of a failure or the [`SkipReason`] of a skip, so
//! `jq 'select(.status >= 400)'` lists the broken pages with the page that links to
//! each (`parent`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::frontier::Kind;
use crate::stats::FailureKind;

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PageRecord {
    /// The URL as listed or discovered, without fragment.
    pub url: Url,
    /// The URL the response came from, after redirects (`None` when no response came).
    pub final_url: Option<Url>,
    /// The redirect hops followed, in order: each resolved `Location`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<Url>,
    /// Fetched, failed or skipped, and why.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The HTTP status of the last response, if one came.
    pub status: Option<u16>,
    /// The `Content-Type` of the last response, if it had one.
    pub content_type: Option<String>,
    /// Body bytes read, decompressed.
    pub bytes: u64,
    /// Links found on the page (the pairs written for it).
    pub links: u64,
    /// How many of those links point to each host, for the host graph of a report
    /// (empty when the page has no links).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub link_hosts: BTreeMap<String, u64>,
    /// Hops from the listed URL it descends from (0 for a listed URL).
    pub depth: u32,
    /// The page it was first found on (`None` for a listed URL).
    pub parent: Option<Url>,
    /// A page or a sitemap.
    pub kind: Kind,
    /// Requests made for it: 1, plus one per retry (0 when skipped before a request).
    pub attempts: u32,
    /// When its last attempt started, in milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// How long its last attempt took, in milliseconds (redirects, body and parse).
    pub elapsed_ms: f64,
    /// Whether the page was rendered in a browser (`--render`).
    #[serde(default)]
    pub rendered: bool,
    /// The host's `Crawl-delay` from robots.txt, when it has one.
    pub crawl_delay_ms: Option<u64>,
}

/// Whether a request gave a page, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// An HTML page (or a sitemap) was read and its links extracted.
    Fetched,
    /// No usable response.
    Failed {
        /// Why, by kind.
        reason: FailureKind,
        /// A short human description.
        message: String,
    },
    /// Not fetched, or fetched and set aside, on purpose.
    Skipped {
        /// Why.
        reason: SkipReason,
        /// A short human description.
        message: String,
    },
}

/// Why a URL was set aside rather than fetched as a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipReason {
    /// robots.txt disallows it (or a redirect hop of it).
    Robots,
    /// The response was not HTML.
    NotHtml,
    /// It redirects to a URL the crawl has already seen.
    Duplicate,
    /// `--max-pages` was reached before it was fetched.
    MaxPages,
    /// Its host's `--max-pages-per-host` budget was used up.
    HostBudget,
    /// Its host asks for a `Crawl-delay` longer than `--max-crawl-delay`.
    CrawlDelay,
}

impl SkipReason {
    /// All reasons, in display order.
    pub const ALL: [SkipReason; 6] = [
        SkipReason::Robots,
        SkipReason::NotHtml,
        SkipReason::Duplicate,
        SkipReason::MaxPages,
        SkipReason::HostBudget,
        SkipReason::CrawlDelay,
    ];

    /// A short label for summaries.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::Robots => "robots.txt",
            SkipReason::NotHtml => "not HTML",
            SkipReason::Duplicate => "duplicate",
            SkipReason::MaxPages => "max pages",
            SkipReason::HostBudget => "host budget",
            SkipReason::CrawlDelay => "crawl-delay",
        }
    }
}

impl PageRecord {
    /// A record of `url` ending with `outcome`, everything else empty: no response,
    /// depth 0, no parent, no attempt, no time.
    pub fn new(url: Url, kind: Kind, outcome: Outcome) -> Self {
        PageRecord {
            url,
            final_url: None,
            redirects: Vec::new(),
            outcome,
            status: None,
            content_type: None,
            bytes: 0,
            links: 0,
            link_hosts: BTreeMap::new(),
            depth: 0,
            parent: None,
            kind,
            attempts: 0,
            started_ms: 0,
            elapsed_ms: 0.0,
            rendered: false,
            crawl_delay_ms: None,
        }
    }

    /// Whether the request gave a page.
    pub fn is_fetched(&self) -> bool {
        matches!(self.outcome, Outcome::Fetched)
    }

    /// The failure kind, when the request failed.
    pub fn failure(&self) -> Option<FailureKind> {
        match self.outcome {
            Outcome::Failed { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// The host of the URL.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_flat_and_reads_back() {
        let u = |s: &str| Url::parse(s).expect("test URL");
        let record = PageRecord {
            url: u("http://a.test/x"),
            final_url: Some(u("http://a.test/y")),
            redirects: vec![u("http://a.test/y")],
            outcome: Outcome::Failed {
                reason: FailureKind::ClientError,
                message: "HTTP 404 Not Found".into(),
            },
            status: Some(404),
            content_type: Some("text/html".into()),
            bytes: 0,
            links: 0,
            link_hosts: BTreeMap::new(),
            depth: 1,
            parent: Some(u("http://a.test/")),
            kind: Kind::Page,
            attempts: 1,
            started_ms: 1_764_566_400_000,
            elapsed_ms: 3.25,
            rendered: false,
            crawl_delay_ms: None,
        };
        let json = serde_json::to_string(&record).expect("serializes");
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value["outcome"], "failed");
        assert_eq!(value["reason"], "client_error");
        assert_eq!(value["status"], 404);
        assert_eq!(value["kind"], "page");
        assert_eq!(value["parent"], "http://a.test/");
        let back: PageRecord = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, record);

        let skipped = PageRecord {
            outcome: Outcome::Skipped {
                reason: SkipReason::NotHtml,
                message: "application/pdf".into(),
            },
            ..record
        };
        let json = serde_json::to_string(&skipped).expect("serializes");
        assert!(
            json.contains(r#""outcome":"skipped","reason":"not_html""#),
            "{json}"
        );
    }
}
