//! Counters kept while a crawl runs, and the [`Summary`] it returns.
//!
//! [`Stats`] is shared by every task through atomics, so a progress display can read it
//! while the crawl runs ([`Crawler::stats`](crate::Crawler::stats)).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::frontier::Kind;
use crate::record::{Outcome, PageRecord, SkipReason};

/// Why a page gave no links. Serialized in snake case (`client_error`), as in the
/// `--pages` records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// The host name did not resolve.
    Dns,
    /// The connection was refused or could not be made.
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// The deadline passed.
    Timeout,
    /// The connection was reset or closed early.
    Reset,
    /// The body was shorter than its `Content-Length`.
    ShortBody,
    /// The peer did not speak HTTP.
    Protocol,
    /// The body, or its decompressed form, was over the cap.
    TooLarge,
    /// The compressed body could not be decoded.
    Decode,
    /// A 4xx status.
    ClientError,
    /// A 5xx status.
    ServerError,
    /// Another status that is neither success nor a redirect.
    OtherStatus,
    /// More redirects than allowed.
    TooManyRedirects,
    /// A redirect back to a URL of the same chain.
    RedirectLoop,
    /// A redirect to a scheme other than http or https.
    RedirectScheme,
    /// A redirect without a usable `Location`.
    BadRedirect,
    /// An address refused by `--block-private`.
    Blocked,
    /// The page could not be parsed within its deadline or its budget.
    Parse,
    /// Headless rendering failed (`--render`): the browser or its tab crashed or hung.
    Render,
    /// The worker handling the page panicked (a bug in crawl).
    Panic,
    /// Anything else.
    Other,
}

impl FailureKind {
    /// All kinds, in display order.
    pub const ALL: [FailureKind; 21] = [
        FailureKind::Dns,
        FailureKind::Connect,
        FailureKind::Tls,
        FailureKind::Timeout,
        FailureKind::Reset,
        FailureKind::ShortBody,
        FailureKind::Protocol,
        FailureKind::TooLarge,
        FailureKind::Decode,
        FailureKind::ClientError,
        FailureKind::ServerError,
        FailureKind::OtherStatus,
        FailureKind::TooManyRedirects,
        FailureKind::RedirectLoop,
        FailureKind::RedirectScheme,
        FailureKind::BadRedirect,
        FailureKind::Blocked,
        FailureKind::Parse,
        FailureKind::Render,
        FailureKind::Panic,
        FailureKind::Other,
    ];

    /// A short label for summaries.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Dns => "dns",
            FailureKind::Connect => "connect",
            FailureKind::Tls => "tls",
            FailureKind::Timeout => "timeout",
            FailureKind::Reset => "reset",
            FailureKind::ShortBody => "short body",
            FailureKind::Protocol => "not http",
            FailureKind::TooLarge => "too large",
            FailureKind::Decode => "decode",
            FailureKind::ClientError => "http 4xx",
            FailureKind::ServerError => "http 5xx",
            FailureKind::OtherStatus => "other status",
            FailureKind::TooManyRedirects => "too many redirects",
            FailureKind::RedirectLoop => "redirect loop",
            FailureKind::RedirectScheme => "redirect scheme",
            FailureKind::BadRedirect => "bad redirect",
            FailureKind::Blocked => "blocked address",
            FailureKind::Parse => "parse",
            FailureKind::Render => "render",
            FailureKind::Panic => "panic",
            FailureKind::Other => "other",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// Why a URL the crawl found was not fetched: a rule or a limit. Counted in
/// [`Summary::left_out`], serialized in snake case.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LeftOut {
    /// `--max-pages` pages were already queued or fetched.
    MaxPages,
    /// Its host's `--max-pages-per-host` budget was used up.
    HostBudget,
    /// robots.txt disallows it.
    Robots,
    /// Its host's `Crawl-delay` is over `--max-crawl-delay`.
    CrawlDelay,
    /// Found on a page at the last `--depth`.
    Depth,
    /// Outside `--scope`.
    Scope,
    /// Not matched by `--include`, or matched by `--exclude`.
    Filter,
    /// Longer than `--max-url-len`.
    UrlLength,
}

impl LeftOut {
    /// All rules, in display order.
    pub const ALL: [LeftOut; 8] = [
        LeftOut::MaxPages,
        LeftOut::HostBudget,
        LeftOut::Robots,
        LeftOut::CrawlDelay,
        LeftOut::Depth,
        LeftOut::Scope,
        LeftOut::Filter,
        LeftOut::UrlLength,
    ];

    /// How the summary names the rule: `40 by --max-pages`.
    pub fn label(self) -> &'static str {
        match self {
            LeftOut::MaxPages => "by --max-pages",
            LeftOut::HostBudget => "by --max-pages-per-host",
            LeftOut::Robots => "by robots.txt",
            LeftOut::CrawlDelay => "by --max-crawl-delay",
            LeftOut::Depth => "beyond --depth",
            LeftOut::Scope => "out of --scope",
            LeftOut::Filter => "by --include/--exclude",
            LeftOut::UrlLength => "over --max-url-len",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// The rule behind a skip reason, if the skip is a rule's.
    pub fn of_skip(reason: SkipReason) -> Option<LeftOut> {
        match reason {
            SkipReason::Robots => Some(LeftOut::Robots),
            SkipReason::MaxPages => Some(LeftOut::MaxPages),
            SkipReason::HostBudget => Some(LeftOut::HostBudget),
            SkipReason::CrawlDelay => Some(LeftOut::CrawlDelay),
            _ => None,
        }
    }
}

/// Live counters of a running crawl.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    started_at: SystemTime,
    /// Counters carried over from earlier runs of a resumed crawl.
    base: Mutex<Option<Summary>>,
    pub(crate) listed: AtomicU64,
    pub(crate) bad_lines: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) requested: AtomicU64,
    /// Page requests whose lease has ended (worked on, not abandoned): what a commit
    /// point counts as requested, since requests in flight are fetched again after a
    /// resume.
    pub(crate) requested_ended: AtomicU64,
    pub(crate) pages: AtomicU64,
    pub(crate) non_html: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) sitemaps: AtomicU64,
    pub(crate) panics: AtomicU64,
    pub(crate) pages_written: AtomicU64,
    pub(crate) links_written: AtomicU64,
    pub(crate) body_bytes: AtomicU64,
    failures: [AtomicU64; FailureKind::ALL.len()],
    left_out: [AtomicU64; LeftOut::ALL.len()],
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            started_at: SystemTime::now(),
            base: Mutex::new(None),
            listed: AtomicU64::new(0),
            bad_lines: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            requested: AtomicU64::new(0),
            requested_ended: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            non_html: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            sitemaps: AtomicU64::new(0),
            panics: AtomicU64::new(0),
            pages_written: AtomicU64::new(0),
            links_written: AtomicU64::new(0),
            body_bytes: AtomicU64::new(0),
            failures: Default::default(),
            left_out: Default::default(),
        }
    }
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

impl Stats {
    pub(crate) fn fail(&self, kind: FailureKind) {
        bump(&self.failures[kind.index()]);
    }

    pub(crate) fn leave_out(&self, rule: LeftOut, n: u64) {
        if n > 0 {
            self.left_out[rule.index()].fetch_add(n, Relaxed);
        }
    }

    /// Counts one request's end, as recorded.
    pub(crate) fn count(&self, record: &PageRecord) {
        self.body_bytes.fetch_add(record.bytes, Relaxed);
        match &record.outcome {
            Outcome::Fetched if record.kind == Kind::Sitemap => bump(&self.sitemaps),
            Outcome::Fetched => bump(&self.pages),
            Outcome::Failed { reason, .. } => {
                if *reason == FailureKind::Panic {
                    bump(&self.panics);
                }
                self.fail(*reason);
            }
            Outcome::Skipped { reason, .. } => match (reason, LeftOut::of_skip(*reason)) {
                (_, Some(rule)) => self.leave_out(rule, 1),
                (SkipReason::NotHtml, None) => bump(&self.non_html),
                (_, None) => bump(&self.duplicates),
            },
        }
    }

    /// Starts from the counters of earlier runs (a resumed crawl): the summary then
    /// covers the whole crawl, its elapsed time included.
    pub fn resume_from(&self, earlier: Summary) {
        *self.base.lock().unwrap_or_else(|e| e.into_inner()) = Some(earlier);
    }

    /// URLs dispatched so far (pages done, failed, skipped or in flight).
    pub fn requested(&self) -> u64 {
        self.requested.load(Relaxed)
    }

    /// URLs whose fetch has ended, one way or another.
    pub fn done(&self) -> u64 {
        let failed: u64 = self.failures.iter().map(|f| f.load(Relaxed)).sum();
        let skipped = self.left_out[LeftOut::Robots.index()].load(Relaxed)
            + self.left_out[LeftOut::CrawlDelay.index()].load(Relaxed);
        self.pages.load(Relaxed) + self.non_html.load(Relaxed) + skipped + failed
    }

    /// Links written so far.
    pub fn links_written(&self) -> u64 {
        self.links_written.load(Relaxed)
    }

    /// Whether the counters start from an earlier run's ([`Stats::resume_from`]).
    pub fn is_resumed(&self) -> bool {
        self.base
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// The counters as a commit point records them: requests still in flight are
    /// not counted as requested (a resumed crawl requests them again).
    pub fn checkpoint_summary(&self) -> Summary {
        self.snapshot(false, self.requested_ended.load(Relaxed))
    }

    /// A snapshot of the counters (added to those of earlier runs, when resumed).
    pub fn summary(&self, interrupted: bool) -> Summary {
        self.snapshot(interrupted, self.requested.load(Relaxed))
    }

    fn snapshot(&self, interrupted: bool, requested: u64) -> Summary {
        let failures = FailureKind::ALL
            .iter()
            .map(|&k| (k, self.failures[k.index()].load(Relaxed)))
            .filter(|&(_, n)| n > 0)
            .collect();
        let left_out = LeftOut::ALL
            .iter()
            .map(|&k| (k, self.left_out[k.index()].load(Relaxed)))
            .filter(|&(_, n)| n > 0)
            .collect();
        let started_ms = self
            .started_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let now = Summary {
            listed: self.listed.load(Relaxed),
            bad_lines: self.bad_lines.load(Relaxed),
            duplicates: self.duplicates.load(Relaxed),
            requested,
            pages: self.pages.load(Relaxed),
            non_html: self.non_html.load(Relaxed),
            robots_denied: self.left_out[LeftOut::Robots.index()].load(Relaxed),
            retries: self.retries.load(Relaxed),
            sitemaps: self.sitemaps.load(Relaxed),
            panics: self.panics.load(Relaxed),
            failures,
            left_out,
            pages_written: self.pages_written.load(Relaxed),
            links_written: self.links_written.load(Relaxed),
            body_bytes: self.body_bytes.load(Relaxed),
            started_ms,
            elapsed: self.started.elapsed(),
            interrupted,
        };
        match &*self.base.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(base) => base.plus(&now),
            None => now,
        }
    }
}

/// What a crawl did. Serializes to JSON with `elapsed_ms` and the counts by kind as
/// objects (`{"failures":{"timeout":2}}`), as the last line of a `--pages` file.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Summary {
    /// Seed URLs accepted from the input (after dedup).
    pub listed: u64,
    /// Input lines skipped as not being http(s) URLs.
    pub bad_lines: u64,
    /// Listed URLs skipped because they were listed before, and redirects to a URL
    /// the crawl had already seen.
    pub duplicates: u64,
    /// Page requests dispatched (first attempts).
    pub requested: u64,
    /// HTML pages fetched and parsed.
    pub pages: u64,
    /// Responses skipped for not being HTML.
    pub non_html: u64,
    /// URLs robots.txt forbade (also in `left_out`).
    pub robots_denied: u64,
    /// Retries made.
    pub retries: u64,
    /// Sitemaps read (`--sitemap`).
    pub sitemaps: u64,
    /// Workers that panicked (a bug in crawl; also counted as `panic` failures).
    pub panics: u64,
    /// Failures by reason (kinds with a zero count left out).
    pub failures: BTreeMap<FailureKind, u64>,
    /// URLs found but not fetched, by the rule or limit that left them out (rules with
    /// a zero count left out). Links are counted once per page that links them, and
    /// only when the crawl had not seen them already.
    pub left_out: BTreeMap<LeftOut, u64>,
    /// Pages whose links were written.
    pub pages_written: u64,
    /// Links (pairs) written.
    pub links_written: u64,
    /// Body bytes read, decompressed.
    pub body_bytes: u64,
    /// When the crawl started, in milliseconds since the Unix epoch.
    pub started_ms: u64,
    /// Wall time from start to the end of the crawl.
    #[serde(rename = "elapsed_ms", with = "millis")]
    pub elapsed: Duration,
    /// Whether the crawl was cancelled before its end.
    pub interrupted: bool,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64() * 1000.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Ok(Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default())
    }
}

impl Summary {
    /// Failed URLs, all reasons together.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    /// Failures of one kind.
    pub fn failures_of(&self, kind: FailureKind) -> u64 {
        self.failures.get(&kind).copied().unwrap_or(0)
    }

    /// URLs left out by one rule.
    pub fn left_out_by(&self, rule: LeftOut) -> u64 {
        self.left_out.get(&rule).copied().unwrap_or(0)
    }

    /// HTML pages per second of wall time.
    pub fn pages_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.pages as f64 / secs
        } else {
            0.0
        }
    }

    /// These counters and `later`'s together (a crawl resumed across runs): counts
    /// add up, times add up, the start is the first run's.
    pub fn plus(&self, later: &Summary) -> Summary {
        fn merge<K: Ord + Copy>(a: &BTreeMap<K, u64>, b: &BTreeMap<K, u64>) -> BTreeMap<K, u64> {
            let mut out = a.clone();
            for (k, n) in b {
                *out.entry(*k).or_insert(0) += n;
            }
            out
        }
        Summary {
            listed: self.listed + later.listed,
            bad_lines: self.bad_lines + later.bad_lines,
            duplicates: self.duplicates + later.duplicates,
            requested: self.requested + later.requested,
            pages: self.pages + later.pages,
            non_html: self.non_html + later.non_html,
            robots_denied: self.robots_denied + later.robots_denied,
            retries: self.retries + later.retries,
            sitemaps: self.sitemaps + later.sitemaps,
            panics: self.panics + later.panics,
            failures: merge(&self.failures, &later.failures),
            left_out: merge(&self.left_out, &later.left_out),
            pages_written: self.pages_written + later.pages_written,
            links_written: self.links_written + later.links_written,
            body_bytes: self.body_bytes + later.body_bytes,
            started_ms: if self.started_ms == 0 {
                later.started_ms
            } else {
                self.started_ms
            },
            elapsed: self.elapsed + later.elapsed,
            interrupted: later.interrupted,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.interrupted {
            "interrupted"
        } else {
            "done"
        };
        writeln!(
            f,
            "crawl {state}: {} pages fetched, {} failed, {} not HTML, {} links written in {:.2}s ({:.0} pages/s)",
            self.pages,
            self.failed(),
            self.non_html,
            self.links_written,
            self.elapsed.as_secs_f64(),
            self.pages_per_sec()
        )?;
        if !self.failures.is_empty() {
            let parts: Vec<String> = self
                .failures
                .iter()
                .map(|(k, n)| format!("{}: {n}", k.label()))
                .collect();
            writeln!(f, "  failures: {}", parts.join(", "))?;
        }
        if !self.left_out.is_empty() {
            let parts: Vec<String> = self
                .left_out
                .iter()
                .map(|(k, n)| format!("{n} {}", k.label()))
                .collect();
            writeln!(f, "  left out: {}", parts.join(", "))?;
        }
        if self.sitemaps > 0 {
            writeln!(f, "  {} sitemaps read", self.sitemaps)?;
        }
        if self.panics > 0 {
            writeln!(
                f,
                "  {} pages lost to a panic in crawl (a bug: please report it)",
                self.panics
            )?;
        }
        write!(
            f,
            "  {} listed, {} bad input lines, {} duplicates, {} retries, {} read",
            self.listed,
            self.bad_lines,
            self.duplicates,
            self.retries,
            bytesize::ByteSize::b(self.body_bytes).display().si()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(outcome: Outcome, kind: Kind) -> PageRecord {
        let json = serde_json::json!({
            "url": "http://a.test/", "final_url": null, "outcome": "fetched", "status": null,
            "content_type": null, "bytes": 10, "links": 0, "depth": 0, "parent": null,
            "kind": "page", "attempts": 1, "started_ms": 0, "elapsed_ms": 1.0,
            "crawl_delay_ms": null
        });
        let mut r: PageRecord = serde_json::from_value(json).expect("a record");
        r.outcome = outcome;
        r.kind = kind;
        r
    }

    fn failed(reason: FailureKind) -> Outcome {
        Outcome::Failed {
            reason,
            message: String::new(),
        }
    }

    fn skipped(reason: SkipReason) -> Outcome {
        Outcome::Skipped {
            reason,
            message: String::new(),
        }
    }

    #[test]
    fn bytes_read_are_printed_in_a_unit_that_fits() {
        for (bytes, shown) in [(0, "0 B read"), (700, "700 B read"), (2_500, "2.5 kB read")] {
            let stats = Stats::default();
            stats.body_bytes.store(bytes, Relaxed);
            let text = stats.summary(false).to_string();
            assert!(text.ends_with(shown), "{bytes}: {text}");
        }
    }

    #[test]
    fn records_are_counted_where_the_summary_shows_them() {
        let stats = Stats::default();
        for outcome in [
            Outcome::Fetched,
            failed(FailureKind::Timeout),
            failed(FailureKind::Timeout),
            failed(FailureKind::ClientError),
            failed(FailureKind::Panic),
            skipped(SkipReason::Robots),
            skipped(SkipReason::NotHtml),
            skipped(SkipReason::Duplicate),
            skipped(SkipReason::MaxPages),
        ] {
            stats.count(&record(outcome, Kind::Page));
        }
        stats.count(&record(Outcome::Fetched, Kind::Sitemap));
        stats.leave_out(LeftOut::Depth, 7);
        let s = stats.summary(false);
        assert_eq!(s.pages, 1, "a sitemap is not a page");
        assert_eq!(s.sitemaps, 1);
        assert_eq!(s.failed(), 4);
        assert_eq!(s.failures_of(FailureKind::Timeout), 2);
        assert_eq!(s.panics, 1);
        assert_eq!(s.robots_denied, 1);
        assert_eq!(s.left_out_by(LeftOut::Robots), 1);
        assert_eq!(s.left_out_by(LeftOut::MaxPages), 1);
        assert_eq!(s.left_out_by(LeftOut::Depth), 7);
        assert_eq!(s.non_html, 1);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.body_bytes, 100);
        assert_eq!(
            stats.done(),
            1 + 4 + 1 + 1,
            "fetched, failed, robots, not HTML"
        );
        let text = s.to_string();
        assert!(
            text.starts_with("crawl done: 1 pages fetched, 4 failed, 1 not HTML"),
            "{text}"
        );
        assert!(text.contains("timeout: 2"), "{text}");
        assert!(text.contains("http 4xx: 1"), "{text}");
        assert!(
            text.contains("left out: 1 by --max-pages, 1 by robots.txt, 7 beyond --depth"),
            "{text}"
        );
        assert!(text.contains("100 B read"), "{text}");
        assert!(text.contains("1 pages lost to a panic"), "{text}");
    }

    #[test]
    fn summaries_add_up_across_runs_and_read_back_from_json() {
        let first = Stats::default();
        first.count(&record(Outcome::Fetched, Kind::Page));
        first.count(&record(failed(FailureKind::Dns), Kind::Page));
        let earlier = first.summary(true);
        let second = Stats::default();
        second.resume_from(earlier.clone());
        second.count(&record(Outcome::Fetched, Kind::Page));
        second.count(&record(failed(FailureKind::Dns), Kind::Page));
        let total = second.summary(false);
        assert_eq!(total.pages, 2);
        assert_eq!(total.failures_of(FailureKind::Dns), 2);
        assert_eq!(
            total.started_ms, earlier.started_ms,
            "the first run's start"
        );
        assert!(!total.interrupted);
        let json = serde_json::to_value(&total).expect("serializes");
        assert_eq!(json["failures"]["dns"], 2);
        assert!(json["elapsed_ms"].is_f64(), "{json}");
        let back: Summary = serde_json::from_value(json).expect("reads back");
        assert_eq!(back.failures, total.failures);
        assert_eq!(back.pages, total.pages);
    }
}
