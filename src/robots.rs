//! robots.txt per RFC 9309: fetched once per origin, cached, matched against our
//! product token; `Crawl-delay` and `Sitemap:` lines kept.
//!
//! Parsing and matching (groups, `*` and `$`, longest match, allow on ties) are done by
//! the `texting_robots` crate. This module decides what each fetch outcome means:
//! 2xx is parsed (the first 500 KiB), 4xx allows everything, and 5xx or an unreachable
//! server disallows everything (RFC 9309 §2.3.1.3-4) until a retry finds it back.
//!
//! A shared crawl keeps what one worker read in a [`RobotsStore`] (the frontier's
//! server), so each origin's robots.txt is fetched once for all workers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use texting_robots::Robot;
use tokio::sync::OnceCell;
use tokio::time::Instant;
use url::{Position, Url};

use crate::fetch::{FetchError, Fetcher, Hop};
use crate::stats::FailureKind;

/// The most of a robots.txt that is parsed (RFC 9309 asks for at least 500 KiB).
pub const MAX_ROBOTS_LEN: u64 = 500 * 1024;
/// Redirects followed for robots.txt (RFC 9309 asks for at least five).
const MAX_ROBOTS_REDIRECTS: usize = 5;

/// What robots.txt says about one origin.
#[derive(Debug)]
pub enum RobotsRules {
    /// No robots.txt (4xx), or one that could not be parsed: everything is allowed.
    AllowAll,
    /// Parsed rules.
    Rules(Box<Robot>),
    /// robots.txt was unreachable (5xx, network error): everything is disallowed until
    /// `retry_at`, when it is fetched again.
    Unreachable {
        /// Why.
        error: FetchError,
        /// When to fetch it again.
        retry_at: Instant,
    },
}

/// robots.txt of one origin.
#[derive(Debug)]
pub struct RobotsEntry {
    /// The rules.
    pub rules: RobotsRules,
    /// Our group's `Crawl-delay`, if any.
    pub crawl_delay: Option<Duration>,
    /// The `Sitemap:` URLs it lists.
    pub sitemaps: Vec<Url>,
}

impl RobotsEntry {
    /// Whether `url` may be fetched; `Err` when robots.txt was unreachable.
    pub fn check(&self, url: &Url) -> Result<bool, &FetchError> {
        match &self.rules {
            RobotsRules::AllowAll => Ok(true),
            RobotsRules::Rules(robot) => {
                Ok(robot.allowed(&url[Position::BeforePath..Position::AfterQuery]))
            }
            RobotsRules::Unreachable { error, .. } => Err(error),
        }
    }

    /// A short description for debug lines: what the crawl will do with the origin.
    pub fn describe(&self) -> String {
        let rules = match &self.rules {
            RobotsRules::AllowAll => "no rules (everything allowed)".to_owned(),
            RobotsRules::Rules(_) => "rules apply".to_owned(),
            RobotsRules::Unreachable { error, .. } => {
                format!("unreachable ({error}): nothing allowed for now")
            }
        };
        match self.crawl_delay {
            Some(d) => format!("{rules}, Crawl-delay {d:?}"),
            None => rules,
        }
    }

    fn parse(token: &str, body: &[u8], base: &Url) -> Self {
        match Robot::new(token, body) {
            Ok(robot) => {
                let crawl_delay = robot
                    .delay
                    .filter(|d| d.is_finite() && *d > 0.0)
                    .map(|d| Duration::from_secs_f32(d.min(86_400.0)));
                let sitemaps = robot
                    .sitemaps
                    .iter()
                    .filter_map(|s| base.join(s.trim()).ok())
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .collect();
                RobotsEntry {
                    rules: RobotsRules::Rules(Box::new(robot)),
                    crawl_delay,
                    sitemaps,
                }
            }
            Err(e) => {
                tracing::debug!(
                    "robots.txt at {} does not parse, allowing all: {e:#}",
                    crate::redact::url(base)
                );
                Self::allow_all()
            }
        }
    }

    fn allow_all() -> Self {
        RobotsEntry {
            rules: RobotsRules::AllowAll,
            crawl_delay: None,
            sitemaps: Vec::new(),
        }
    }
}

/// What a worker read of an origin's robots.txt, kept for the other workers of a
/// shared crawl (an unreachable robots.txt is not kept: each worker retries it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A 2xx body and the URL it was read from (after redirects).
    Body {
        /// Where the body came from (`Sitemap:` lines resolve against it).
        base: Url,
        /// The body, up to [`MAX_ROBOTS_LEN`].
        body: Vec<u8>,
    },
    /// No robots.txt (4xx, too many redirects): everything allowed.
    AllowAll,
}

/// Where robots.txt read by one worker is shared with the others
/// ([`Frontier::robots_store`](crate::Frontier::robots_store)). Errors are the
/// store's; the cache then reads robots.txt itself.
pub trait RobotsStore: Send + Sync + std::fmt::Debug {
    /// What is kept for the origin of `url`, if anything.
    fn load<'a>(
        &'a self,
        url: &'a Url,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<Stored>, crate::Error>>;

    /// Keeps `stored` for the origin of `url` (for a day at most, RFC 9309 §2.4).
    fn store<'a>(
        &'a self,
        url: &'a Url,
        stored: &'a Stored,
    ) -> futures_util::future::BoxFuture<'a, Result<(), crate::Error>>;
}

/// The product token robots.txt groups are matched against: the user agent's first
/// word before any `/`, kept to letters, `_` and `-` (RFC 9309 §2.2.1).
pub fn product_token(user_agent: &str) -> String {
    let word = user_agent.split(['/', ' ']).next().unwrap_or_default();
    let token: String = word
        .chars()
        .filter(|c| c.is_ascii_alphabetic() || *c == '_' || *c == '-')
        .collect();
    if token.is_empty() {
        "crawl".to_owned()
    } else {
        token
    }
}

/// The cache of robots.txt by origin, with one fetch in flight per origin.
#[derive(Debug)]
pub struct RobotsCache {
    token: String,
    timeout: Duration,
    retry_after_failure: Duration,
    entries: Mutex<Entries>,
    store: Option<Arc<dyn RobotsStore>>,
}

type Cell = Arc<OnceCell<Arc<RobotsEntry>>>;

/// Origins kept at most; past that the oldest are forgotten (and fetched again if
/// they come back), so a list of millions of hosts does not keep millions of rules.
pub const MAX_CACHED_ORIGINS: usize = 16_384;

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Cell>,
    /// Origins in the order they were added, for forgetting the oldest.
    order: std::collections::VecDeque<String>,
}

impl Entries {
    fn cell(&mut self, key: &str) -> Cell {
        if let Some(cell) = self.map.get(key) {
            return cell.clone();
        }
        while self.map.len() >= MAX_CACHED_ORIGINS {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.map.remove(&oldest);
        }
        let cell = Cell::default();
        self.map.insert(key.to_owned(), cell.clone());
        self.order.push_back(key.to_owned());
        cell
    }

    /// Replaces `stale` (if it is still the origin's cell) with an empty one.
    fn reset(&mut self, key: &str, stale: &Cell) {
        if let Some(cell) = self.map.get_mut(key)
            && Arc::ptr_eq(cell, stale)
        {
            *cell = Cell::default();
        }
    }
}

impl RobotsCache {
    /// A cache matching `user_agent`'s product token; each fetch gets `timeout`; an
    /// unreachable robots.txt is fetched again after `retry_after_failure`.
    pub fn new(user_agent: &str, timeout: Duration, retry_after_failure: Duration) -> Self {
        RobotsCache {
            token: product_token(user_agent),
            timeout,
            retry_after_failure,
            entries: Mutex::default(),
            store: None,
        }
    }

    /// Shares what is read through `store` (a shared crawl's), when there is one.
    #[must_use]
    pub fn with_store(mut self, store: Option<Arc<dyn RobotsStore>>) -> Self {
        self.store = store;
        self
    }

    /// The robots.txt of `url`'s origin, fetched now if not cached. Returns the entry
    /// and whether this call fetched it.
    pub async fn get(&self, fetcher: &Fetcher, url: &Url) -> (Arc<RobotsEntry>, bool) {
        let key = url.origin().ascii_serialization();
        loop {
            let cell = self
                .entries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .cell(&key);
            let mut fetched = false;
            let entry = cell
                .get_or_init(|| {
                    fetched = true;
                    self.fetch(fetcher, url)
                })
                .await
                .clone();
            if let RobotsRules::Unreachable { retry_at, .. } = &entry.rules
                && !fetched
                && *retry_at <= Instant::now()
            {
                // Stale failure: replace the cell (once) and fetch again.
                self.entries
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .reset(&key, &cell);
                continue;
            }
            return (entry, fetched);
        }
    }

    async fn fetch(&self, fetcher: &Fetcher, page: &Url) -> Arc<RobotsEntry> {
        let Ok(robots_url) = page.join("/robots.txt") else {
            return Arc::new(RobotsEntry::allow_all());
        };
        if let Some(store) = &self.store {
            match store.load(&robots_url).await {
                Ok(Some(Stored::Body { base, body })) => {
                    return Arc::new(RobotsEntry::parse(&self.token, &body, &base));
                }
                Ok(Some(Stored::AllowAll)) => return Arc::new(RobotsEntry::allow_all()),
                Ok(None) => {}
                Err(e) => tracing::warn!(
                    "{}: the shared robots.txt could not be read ({e}); reading it here",
                    crate::redact::url(&robots_url)
                ),
            }
        }
        let outcome =
            tokio::time::timeout(self.timeout, self.fetch_body(fetcher, &robots_url)).await;
        let keep = match &outcome {
            Ok(Ok(Some((body, base)))) => Some(Stored::Body {
                base: base.clone(),
                body: body.clone(),
            }),
            Ok(Ok(None)) => Some(Stored::AllowAll),
            _ => None,
        };
        if let (Some(store), Some(keep)) = (&self.store, &keep)
            && let Err(e) = store.store(&robots_url, keep).await
        {
            tracing::warn!(
                "{}: robots.txt could not be shared with the other workers: {e}",
                crate::redact::url(&robots_url)
            );
        }
        let unreachable = |error: FetchError| RobotsEntry {
            rules: RobotsRules::Unreachable {
                error,
                retry_at: Instant::now() + self.retry_after_failure,
            },
            crawl_delay: None,
            sitemaps: Vec::new(),
        };
        let entry = match outcome {
            Err(_) => unreachable(FetchError::new(
                FailureKind::Timeout,
                "robots.txt timed out",
            )),
            Ok(Ok(Some((body, base)))) => RobotsEntry::parse(&self.token, &body, &base),
            Ok(Ok(None)) => RobotsEntry::allow_all(),
            Ok(Err(e)) => {
                let error = FetchError {
                    detail: format!("{} (while fetching robots.txt)", e.detail),
                    ..e
                };
                unreachable(error)
            }
        };
        Arc::new(entry)
    }

    /// `Ok(Some(body))` for a 2xx, `Ok(None)` when robots.txt is "unavailable" (4xx,
    /// too many redirects), `Err` when it is "unreachable" (5xx, network).
    async fn fetch_body(
        &self,
        fetcher: &Fetcher,
        robots_url: &Url,
    ) -> Result<Option<(Vec<u8>, Url)>, FetchError> {
        let mut url = robots_url.clone();
        for _ in 0..=MAX_ROBOTS_REDIRECTS {
            match fetcher.hop(&url).await {
                Ok(Hop::Final(response)) => {
                    let body = fetcher
                        .read_body(response, Some(MAX_ROBOTS_LEN), true)
                        .await?;
                    return Ok(Some((body.to_vec(), url)));
                }
                Ok(Hop::Redirect(next)) => {
                    if !matches!(next.scheme(), "http" | "https") {
                        return Ok(None);
                    }
                    url = next;
                }
                Err(e) if e.kind == FailureKind::ClientError => return Ok(None),
                Err(e) if matches!(e.kind, FailureKind::BadRedirect | FailureKind::OtherStatus) => {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(txt: &str) -> RobotsEntry {
        RobotsEntry::parse(
            "crawl",
            txt.as_bytes(),
            &Url::parse("http://a.test/robots.txt").expect("url"),
        )
    }

    fn allowed(entry: &RobotsEntry, path: &str) -> bool {
        let url = Url::parse("http://a.test/")
            .and_then(|b| b.join(path))
            .expect("url");
        entry.check(&url).expect("reachable")
    }

    #[test]
    fn the_cache_forgets_the_oldest_origins() {
        let mut entries = Entries::default();
        let first = entries.cell("http://0.test");
        for i in 1..=MAX_CACHED_ORIGINS {
            entries.cell(&format!("http://{i}.test"));
        }
        assert_eq!(entries.map.len(), MAX_CACHED_ORIGINS);
        assert!(!entries.map.contains_key("http://0.test"));
        let again = entries.cell("http://0.test");
        assert!(
            !Arc::ptr_eq(&first, &again),
            "a forgotten origin gets a new cell"
        );
        let last = format!("http://{MAX_CACHED_ORIGINS}.test");
        let kept = entries.cell(&last);
        assert!(Arc::ptr_eq(&kept, &entries.cell(&last)));
    }

    #[test]
    fn token_from_user_agent() {
        assert_eq!(product_token("crawl/0.1.0 (+https://x)"), "crawl");
        assert_eq!(product_token("My_Bot-2 extra"), "My_Bot-");
        assert_eq!(product_token("///"), "crawl");
    }

    // The cases below follow RFC 9309's rules and its examples.

    #[test]
    fn group_selection_is_case_insensitive_and_falls_back_to_star() {
        let e = rules("User-agent: *\nDisallow: /all\n\nUser-agent: CRAWL\nDisallow: /ours\n");
        assert!(!allowed(&e, "/ours"));
        assert!(allowed(&e, "/all"), "our group replaces the * group");
        let e = rules("User-agent: other\nDisallow: /\n\nUser-agent: *\nDisallow: /star\n");
        assert!(!allowed(&e, "/star"));
        assert!(allowed(&e, "/x"));
        let e = rules("User-agent: other\nDisallow: /\n");
        assert!(
            allowed(&e, "/x"),
            "no matching group and no * group: allowed"
        );
    }

    #[test]
    fn groups_for_the_same_agent_are_merged() {
        let e = rules(
            "User-agent: crawl\nDisallow: /a\n\nUser-agent: x\nDisallow: /\n\nUser-agent: crawl\nDisallow: /b\n",
        );
        assert!(!allowed(&e, "/a"));
        assert!(!allowed(&e, "/b"));
        assert!(allowed(&e, "/c"));
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let e = rules(
            "User-agent: *\nDisallow: /example/page/\nAllow: /example/page/disallowed.gif\nDisallow: /example/\nAllow: /example/page\n",
        );
        assert!(allowed(&e, "/example/page/disallowed.gif"));
        assert!(!allowed(&e, "/example/page/other"));
        assert!(allowed(&e, "/example/page"));
        assert!(!allowed(&e, "/example/x"));
        let e = rules("User-agent: *\nAllow: /same\nDisallow: /same\n");
        assert!(allowed(&e, "/same"));
    }

    #[test]
    fn wildcards_and_end_anchor() {
        let e = rules("User-agent: *\nDisallow: /*.gif$\nDisallow: /private*/\nAllow: /\n");
        assert!(!allowed(&e, "/img/a.gif"));
        assert!(
            allowed(&e, "/img/a.gif?x=1"),
            "$ anchors at the end of path+query"
        );
        assert!(!allowed(&e, "/private-stuff/x"));
        assert!(allowed(&e, "/privat"));
    }

    #[test]
    fn empty_disallow_and_robots_txt_itself() {
        let e = rules("User-agent: *\nDisallow:\n");
        assert!(allowed(&e, "/anything"));
        let e = rules("User-agent: *\nDisallow: /\n");
        assert!(!allowed(&e, "/anything"));
        assert!(allowed(&e, "/robots.txt"), "robots.txt is always allowed");
    }

    #[test]
    fn percent_encoded_and_query_paths() {
        let e = rules("User-agent: *\nDisallow: /foo/bar?baz=\nDisallow: /ünï\n");
        assert!(!allowed(&e, "/foo/bar?baz=1"));
        assert!(allowed(&e, "/foo/bar"));
        assert!(!allowed(&e, "/%C3%BCn%C3%AF/x"));
    }

    #[test]
    fn crawl_delay_and_sitemaps() {
        let e = rules(
            "User-agent: crawl\nCrawl-delay: 2.5\nDisallow: /x\nSitemap: /sm.xml\nSitemap: https://b.test/s.xml\nSitemap: ftp://c/\n",
        );
        assert_eq!(e.crawl_delay, Some(Duration::from_millis(2500)));
        let sitemaps: Vec<&str> = e.sitemaps.iter().map(Url::as_str).collect();
        assert_eq!(sitemaps, ["http://a.test/sm.xml", "https://b.test/s.xml"]);
    }
}
