//! Counters kept while a crawl runs, and the [`Summary`] it returns.
//!
//! [`Stats`] is shared by every task through atomics, so a progress display can read it
//! while the crawl runs ([`Crawler::stats`](crate::Crawler::stats)).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

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

/// Live counters of a running crawl.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    pub(crate) listed: AtomicU64,
    pub(crate) bad_lines: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) requested: AtomicU64,
    pub(crate) pages: AtomicU64,
    pub(crate) non_html: AtomicU64,
    pub(crate) robots_denied: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) sitemaps: AtomicU64,
    pub(crate) pages_written: AtomicU64,
    pub(crate) links_written: AtomicU64,
    pub(crate) body_bytes: AtomicU64,
    failures: [AtomicU64; FailureKind::ALL.len()],
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            listed: AtomicU64::new(0),
            bad_lines: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            requested: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            non_html: AtomicU64::new(0),
            robots_denied: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            sitemaps: AtomicU64::new(0),
            pages_written: AtomicU64::new(0),
            links_written: AtomicU64::new(0),
            body_bytes: AtomicU64::new(0),
            failures: Default::default(),
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

    /// URLs dispatched so far (pages done, failed, skipped or in flight).
    pub fn requested(&self) -> u64 {
        self.requested.load(Relaxed)
    }

    /// URLs whose fetch has ended, one way or another.
    pub fn done(&self) -> u64 {
        let failed: u64 = self.failures.iter().map(|f| f.load(Relaxed)).sum();
        self.pages.load(Relaxed)
            + self.non_html.load(Relaxed)
            + self.robots_denied.load(Relaxed)
            + failed
    }

    /// Links written so far.
    pub fn links_written(&self) -> u64 {
        self.links_written.load(Relaxed)
    }

    /// A snapshot of the counters.
    pub fn summary(&self, interrupted: bool) -> Summary {
        let failures = FailureKind::ALL
            .iter()
            .map(|&k| (k, self.failures[k.index()].load(Relaxed)))
            .filter(|&(_, n)| n > 0)
            .collect();
        Summary {
            listed: self.listed.load(Relaxed),
            bad_lines: self.bad_lines.load(Relaxed),
            duplicates: self.duplicates.load(Relaxed),
            requested: self.requested.load(Relaxed),
            pages: self.pages.load(Relaxed),
            non_html: self.non_html.load(Relaxed),
            robots_denied: self.robots_denied.load(Relaxed),
            retries: self.retries.load(Relaxed),
            sitemaps: self.sitemaps.load(Relaxed),
            failures,
            pages_written: self.pages_written.load(Relaxed),
            links_written: self.links_written.load(Relaxed),
            body_bytes: self.body_bytes.load(Relaxed),
            elapsed: self.started.elapsed(),
            interrupted,
        }
    }
}

/// What a crawl did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Seed URLs accepted from the input (after dedup).
    pub listed: u64,
    /// Input lines skipped as not being http(s) URLs.
    pub bad_lines: u64,
    /// Seed URLs skipped because they were listed before.
    pub duplicates: u64,
    /// URLs dispatched to a fetch.
    pub requested: u64,
    /// HTML pages fetched and parsed.
    pub pages: u64,
    /// Responses skipped for not being HTML.
    pub non_html: u64,
    /// URLs robots.txt forbade.
    pub robots_denied: u64,
    /// Retries made.
    pub retries: u64,
    /// Sitemaps read (`--sitemap`).
    pub sitemaps: u64,
    /// Failures by reason (kinds with a zero count left out).
    pub failures: Vec<(FailureKind, u64)>,
    /// Pages whose links were written.
    pub pages_written: u64,
    /// Links (pairs) written.
    pub links_written: u64,
    /// Body bytes read, decompressed.
    pub body_bytes: u64,
    /// Wall time from start to the end of the crawl.
    pub elapsed: Duration,
    /// Whether the crawl was cancelled before its end.
    pub interrupted: bool,
}

impl Summary {
    /// Failed URLs, all reasons together.
    pub fn failed(&self) -> u64 {
        self.failures.iter().map(|(_, n)| n).sum()
    }

    /// Failures of one kind.
    pub fn failures_of(&self, kind: FailureKind) -> u64 {
        self.failures
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
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
        if self.sitemaps > 0 {
            writeln!(f, "  {} sitemaps read", self.sitemaps)?;
        }
        write!(
            f,
            "  {} listed, {} bad input lines, {} duplicates, {} denied by robots.txt, {} retries, {} read",
            self.listed,
            self.bad_lines,
            self.duplicates,
            self.robots_denied,
            self.retries,
            bytesize::ByteSize(self.body_bytes).display().si()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_and_prints_failures_by_reason() {
        let stats = Stats::default();
        stats.fail(FailureKind::Timeout);
        stats.fail(FailureKind::Timeout);
        stats.fail(FailureKind::ClientError);
        bump(&stats.pages);
        let s = stats.summary(false);
        assert_eq!(s.failed(), 3);
        assert_eq!(s.failures_of(FailureKind::Timeout), 2);
        assert_eq!(stats.done(), 4);
        let text = s.to_string();
        assert!(text.contains("timeout: 2"), "{text}");
        assert!(text.contains("http 4xx: 1"), "{text}");
        assert!(
            text.starts_with("crawl done: 1 pages fetched, 3 failed"),
            "{text}"
        );
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
    fn kinds_have_distinct_indices() {
        for (i, k) in FailureKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }
}
