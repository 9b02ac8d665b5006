//! [`Aggregator`]: records in, one at a time, in any order; a [`Report`] out.
//!
//! Memory is bounded whatever the number of records: counters, log-bucket
//! histograms, a self-coarsening timeline, per-host figures (up to
//! [`MAX_HOSTS`](super::hosts::MAX_HOSTS)) and top-N tables whose ties are broken by
//! URL, so records read in another order (two workers' files swapped) give the same
//! report. Nothing keeps every record, except the page graph, which keeps up to
//! [`PAGE_GRAPH_MAX`] and is dropped past that.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::hist::{LogHistogram, Timeline, display_edges};
use super::hosts::Hosts;
use super::layout;
use super::model::*;
use super::summary::{Combined, ReportSummary};
use super::topn::{Ranked, TopN};
use super::{kind_key, skip_key};
use crate::frontier::Kind;
use crate::record::{Outcome, PageRecord, SkipReason};
use crate::stats::FailureKind;

/// Crawls of at most this many records get a page graph.
pub const PAGE_GRAPH_MAX: usize = 300;
/// Rows of the hosts table.
pub const TOP_HOSTS: usize = 500;
/// Failed URLs listed.
pub const TOP_BROKEN: usize = 1000;
/// Slowest requests listed.
pub const TOP_SLOWEST: usize = 50;
/// Redirect chains listed.
pub const TOP_CHAINS: usize = 50;
/// Seeds listed.
pub const TOP_SEEDS: usize = 20;
/// Hosts drawn in the host graph.
pub const HOST_GRAPH_NODES: usize = 40;
/// Heaviest edges drawn in the host graph.
pub const HOST_GRAPH_EDGES: usize = 150;
/// URLs are shortened to this many characters in the tables.
pub const URL_CHARS: usize = 200;
/// Hops of a chain shown.
const CHAIN_HOPS: usize = 10;
/// Timeline points drawn.
const TIMELINE_POINTS: usize = 120;

/// What the crawl's records add up to. Feed it with [`add`](Self::add) from the
/// single task that sees every record, then [`finish`](Self::finish) it.
#[derive(Debug, Clone)]
pub struct Aggregator {
    records: u64,
    pages: u64,
    sitemaps: u64,
    failures: BTreeMap<FailureKind, u64>,
    skips: BTreeMap<SkipReason, u64>,
    statuses: BTreeMap<u16, u64>,
    no_status: u64,
    depths: BTreeMap<u32, DepthRow>,
    bytes: u64,
    links: u64,
    retries: u64,
    seeds: u64,
    first_start: Option<u64>,
    last_end: Option<u64>,
    times: LogHistogram,
    timeline: Timeline,
    hosts: Hosts,
    broken: TopN<Ranked<Reverse<(u32, String)>, Broken>>,
    slowest: TopN<Ranked<(u64, Reverse<String>), Slow>>,
    chains: TopN<Ranked<(usize, Reverse<String>), Chain>>,
    redirected: u64,
    seed_urls: TopN<Reverse<String>>,
    small: Option<Vec<PageNode>>,
}

/// A record kept for the page graph of a small crawl.
#[derive(Debug, Clone)]
struct PageNode {
    url: String,
    parent: Option<String>,
    kind: NodeKind,
}

/// The inputs behind a report built from files: for [`Aggregator::finish_with`].
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The files read.
    pub sources: Vec<String>,
    /// Notes to show (files without a summary, unreadable lines).
    pub notes: Vec<String>,
    /// Inputs that had no summary line.
    pub without_summary: usize,
}

impl Default for Aggregator {
    fn default() -> Self {
        Self::new()
    }
}

impl Aggregator {
    /// An empty aggregate.
    pub fn new() -> Self {
        Aggregator {
            records: 0,
            pages: 0,
            sitemaps: 0,
            failures: BTreeMap::new(),
            skips: BTreeMap::new(),
            statuses: BTreeMap::new(),
            no_status: 0,
            depths: BTreeMap::new(),
            bytes: 0,
            links: 0,
            retries: 0,
            seeds: 0,
            first_start: None,
            last_end: None,
            times: LogHistogram::new(),
            timeline: Timeline::default(),
            hosts: Hosts::default(),
            broken: TopN::new(TOP_BROKEN),
            slowest: TopN::new(TOP_SLOWEST),
            chains: TopN::new(TOP_CHAINS),
            redirected: 0,
            seed_urls: TopN::new(TOP_SEEDS),
            small: Some(Vec::new()),
        }
    }

    /// Records added so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Counts one record.
    pub fn add(&mut self, r: &PageRecord) {
        self.records += 1;
        let host = self.hosts.id(r.host());
        let depth = self.depths.entry(r.depth).or_insert(DepthRow {
            depth: r.depth,
            ..DepthRow::default()
        });
        let node_kind = match &r.outcome {
            Outcome::Fetched => {
                depth.fetched += 1;
                match r.kind {
                    Kind::Page => self.pages += 1,
                    Kind::Sitemap => self.sitemaps += 1,
                }
                NodeKind::Fetched
            }
            Outcome::Failed { reason, .. } => {
                depth.failed += 1;
                *self.failures.entry(*reason).or_default() += 1;
                NodeKind::Failed
            }
            Outcome::Skipped { reason, .. } => {
                depth.skipped += 1;
                *self.skips.entry(*reason).or_default() += 1;
                NodeKind::Skipped
            }
        };
        match r.status {
            Some(s) => *self.statuses.entry(s).or_default() += 1,
            None => self.no_status += 1,
        }
        self.bytes += r.bytes;
        self.links += r.links;
        self.retries += u64::from(r.attempts.saturating_sub(1));
        let end = r.started_ms + r.elapsed_ms.max(0.0).round() as u64;
        if r.started_ms > 0 {
            self.first_start = Some(
                self.first_start
                    .map_or(r.started_ms, |s| s.min(r.started_ms)),
            );
            self.last_end = Some(self.last_end.map_or(end, |e| e.max(end)));
        }
        let is_seed = r.depth == 0 && r.parent.is_none() && r.kind == Kind::Page;
        if is_seed {
            self.seeds += 1;
            let url = Reverse(short(r.url.as_str()));
            self.seed_urls.push(url);
        }

        {
            let h = self.hosts.stats_mut(host);
            h.requests += 1;
            h.bytes += r.bytes;
            match &r.outcome {
                Outcome::Fetched => h.pages += u64::from(r.kind == Kind::Page),
                Outcome::Failed { .. } => h.failures += 1,
                Outcome::Skipped {
                    reason: SkipReason::Robots,
                    ..
                } => h.robots += 1,
                Outcome::Skipped { .. } => h.skipped += 1,
            }
            if let Some(d) = r.crawl_delay_ms {
                h.crawl_delay_ms = Some(h.crawl_delay_ms.map_or(d, |old| old.max(d)));
            }
        }
        for (target, &n) in &r.link_hosts {
            let to = self.hosts.id(target);
            self.hosts.link(host, to, n);
        }

        if r.attempts > 0 {
            self.times.record(r.elapsed_ms);
            self.hosts.stats_mut(host).times.record(r.elapsed_ms);
            self.add_slow(r);
        }
        if r.is_fetched() && r.kind == Kind::Page && r.started_ms > 0 {
            self.timeline.record(end);
        }
        if let Outcome::Failed { reason, message } = &r.outcome {
            // Kept: the shallowest failures, then by URL; the threshold is the
            // deepest (and last) one kept.
            let beats = self.broken.threshold().is_none_or(|min| {
                let (depth, url) = &min.key.0;
                (r.depth, r.url.as_str()) < (*depth, url.as_str())
            });
            if beats {
                self.broken.push(Ranked {
                    key: Reverse((r.depth, r.url.to_string())),
                    value: Broken {
                        url: short(r.url.as_str()),
                        reason: kind_key(*reason),
                        status: r.status,
                        message: short(message),
                        parent: r.parent.as_ref().map(|p| short(p.as_str())),
                        depth: r.depth,
                    },
                });
            } else {
                self.broken.count_only();
            }
        }
        if !r.redirects.is_empty() {
            self.redirected += 1;
            let hops = r.redirects.len();
            let beats = self.chains.threshold().is_none_or(|min| {
                hops > min.key.0 || hops == min.key.0 && r.url.as_str() < min.key.1.0.as_str()
            });
            if beats {
                self.chains.push(Ranked {
                    key: (hops, Reverse(r.url.to_string())),
                    value: Chain {
                        url: short(r.url.as_str()),
                        hops: r
                            .redirects
                            .iter()
                            .take(CHAIN_HOPS)
                            .map(|u| short(u.as_str()))
                            .collect(),
                        more_hops: hops.saturating_sub(CHAIN_HOPS),
                        status: r.status,
                        outcome: outcome_word(&r.outcome).to_owned(),
                    },
                });
            } else {
                self.chains.count_only();
            }
        }
        if let Some(small) = &mut self.small {
            if small.len() < PAGE_GRAPH_MAX {
                small.push(PageNode {
                    url: r.url.to_string(),
                    parent: r.parent.as_ref().map(|p| p.to_string()),
                    kind: node_kind,
                });
            } else {
                self.small = None;
            }
        }
    }

    fn add_slow(&mut self, r: &PageRecord) {
        let us = (r.elapsed_ms.max(0.0) * 1000.0).round() as u64;
        let beats = self.slowest.threshold().is_none_or(|min| {
            us > min.key.0 || us == min.key.0 && r.url.as_str() < min.key.1.0.as_str()
        });
        if !beats {
            self.slowest.count_only();
            return;
        }
        self.slowest.push(Ranked {
            key: (us, Reverse(r.url.to_string())),
            value: Slow {
                url: short(r.url.as_str()),
                elapsed_ms: r.elapsed_ms,
                status: r.status,
                outcome: outcome_word(&r.outcome).to_owned(),
            },
        });
    }

    /// The counts the records give, in the summary's terms.
    fn record_figures(&self) -> Figures {
        Figures {
            requested: self.records,
            pages: self.pages,
            sitemaps: self.sitemaps,
            failures: self
                .failures
                .iter()
                .map(|(&k, &n)| (kind_key(k), n))
                .collect(),
            non_html: self.skips.get(&SkipReason::NotHtml).copied().unwrap_or(0),
            robots_denied: self.skips.get(&SkipReason::Robots).copied().unwrap_or(0),
            retries: self.retries,
            bytes: self.bytes,
            links: self.links,
            seeds: self.seeds,
            started_ms: self.first_start,
            elapsed_ms: match (self.first_start, self.last_end) {
                (Some(a), Some(b)) => b.saturating_sub(a) as f64,
                _ => 0.0,
            },
        }
    }

    /// The report of a live crawl: `summary` is the crawl's (with
    /// [`ReportSummary::interrupted`] set on Ctrl-C), `None` if it has none.
    pub fn finish(self, summary: Option<&ReportSummary>) -> Report {
        let combined = summary.map(|s| Combined {
            summary: s.clone(),
            runs: 1,
            interrupted_runs: usize::from(s.interrupted),
        });
        self.finish_with(combined.as_ref(), Inputs::default())
    }

    /// The report of files: `summary` is every file's summary added up
    /// ([`combine`](super::summary::combine)).
    pub fn finish_with(self, summary: Option<&Combined>, inputs: Inputs) -> Report {
        let record_figures = self.record_figures();
        let covers_all =
            summary.is_some_and(|c| inputs.without_summary == 0 || c.summary.cumulative);
        let (basis, figures) = match summary {
            Some(c) if covers_all => (Basis::Summary, summary_figures(&c.summary, &record_figures)),
            _ => (Basis::Records, record_figures.clone()),
        };
        let state = if !covers_all {
            State::Incomplete
        } else if summary.is_some_and(|c| c.interrupted_runs > 0) {
            State::Interrupted
        } else {
            State::Complete
        };
        let mismatches = if basis == Basis::Summary {
            mismatches(&figures, &record_figures)
        } else {
            Vec::new()
        };
        let mut notes = inputs.notes;
        if let Some(c) = summary.filter(|_| !covers_all) {
            notes.push(format!(
                "The figures come from the records: {} input(s) have no summary line. The \
                 URLs left out by each rule come from the {} summary line(s) there are.",
                inputs.without_summary, c.runs
            ));
        }
        let extra = summary
            .map(|c| {
                vec![
                    (
                        "input lines that are not URLs".to_owned(),
                        c.summary.bad_lines,
                    ),
                    ("seeds listed twice".to_owned(), c.summary.duplicates),
                    (
                        "pages whose links were written".to_owned(),
                        c.summary.pages_written,
                    ),
                ]
            })
            .unwrap_or_default();
        let left_out = summary
            .filter(|c| !c.summary.left_out.is_empty())
            .map(|c| left_out_bars(&c.summary.left_out));
        let settings = summary
            .map(|c| c.summary.settings.clone())
            .unwrap_or_default();
        let start = figures.started_ms.or(self.first_start).unwrap_or(0);

        let statuses = self
            .statuses
            .iter()
            .map(|(&s, &n)| bar(s.to_string(), n, format!("status.{s}")))
            .chain(
                (self.no_status > 0)
                    .then(|| bar("no response".into(), self.no_status, "status.none".into())),
            )
            .collect();
        let failures = figures
            .failures
            .iter()
            .map(|(k, &n)| bar(failure_label(k), n, format!("failures.{k}")))
            .collect();
        let skips = SkipReason::ALL
            .iter()
            .filter_map(|r| self.skips.get(r).map(|&n| (r, n)))
            .map(|(&r, n)| bar(r.label().to_owned(), n, format!("skips.{}", skip_key(r))))
            .collect();

        let times = times(&self.times);
        let timeline = self
            .timeline
            .series(TIMELINE_POINTS)
            .into_iter()
            .map(|(t, w, n)| TimePoint {
                offset_ms: t.saturating_sub(start),
                width_ms: w,
                pages: n,
            })
            .collect();
        let (hosts, hosts_total) = host_rows(&self.hosts);
        let host_graph = host_graph(&self.hosts);
        let page_graph = self
            .small
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| page_graph(s));
        let title = match hosts.first() {
            Some(h) if hosts_total > 1 => {
                format!("Crawl of {} and {} more hosts", h.host, hosts_total - 1)
            }
            Some(h) => format!("Crawl of {}", h.host),
            None => "Crawl report".to_owned(),
        };
        Report {
            title,
            generated_ms: now_ms(),
            state,
            basis,
            runs: summary.map_or(0, |c| c.runs),
            interrupted_runs: summary.map_or(0, |c| c.interrupted_runs),
            figures,
            record_figures,
            mismatches,
            extra,
            settings,
            records: self.records,
            seeds: self
                .seed_urls
                .into_sorted()
                .into_iter()
                .map(|Reverse(u)| u)
                .collect(),
            statuses,
            failures,
            skips,
            left_out,
            depths: self.depths.into_values().collect(),
            times,
            timeline,
            hosts,
            hosts_total,
            broken_total: self.broken.seen(),
            broken: self
                .broken
                .into_sorted()
                .into_iter()
                .map(|r| r.value)
                .collect(),
            slowest: self
                .slowest
                .into_sorted()
                .into_iter()
                .map(|r| r.value)
                .collect(),
            chains: self
                .chains
                .into_sorted()
                .into_iter()
                .map(|r| r.value)
                .collect(),
            redirected: self.redirected,
            host_graph,
            page_graph,
            notes,
            sources: inputs.sources,
        }
    }
}

fn bar(label: String, value: u64, figure: String) -> Bar {
    Bar {
        label,
        value,
        figure: Some(figure),
    }
}

/// The summary's counts, with what only the records know (seeds, when absent).
fn summary_figures(s: &ReportSummary, records: &Figures) -> Figures {
    Figures {
        requested: s.requested,
        pages: s.pages,
        sitemaps: s.sitemaps,
        failures: s
            .failures
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (k.clone(), *n))
            .collect(),
        non_html: s.non_html,
        robots_denied: s.robots_denied,
        retries: s.retries,
        bytes: s.body_bytes,
        links: s.links_written,
        seeds: if s.listed > 0 {
            s.listed
        } else {
            records.seeds
        },
        started_ms: s.started_ms.or(records.started_ms),
        elapsed_ms: s.elapsed_ms,
    }
}

/// The counts on which summary and records disagree.
fn mismatches(s: &Figures, r: &Figures) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    let mut check = |name: &str, a: u64, b: u64| {
        if a != b {
            out.push((name.to_owned(), a, b));
        }
    };
    check("pages", s.pages, r.pages);
    check("sitemaps", s.sitemaps, r.sitemaps);
    check("not HTML", s.non_html, r.non_html);
    check("robots.txt denied", s.robots_denied, r.robots_denied);
    check("bytes", s.bytes, r.bytes);
    check("links", s.links, r.links);
    check("retries", s.retries, r.retries);
    let kinds: std::collections::BTreeSet<&String> =
        s.failures.keys().chain(r.failures.keys()).collect();
    for k in kinds {
        let get = |f: &Figures| f.failures.get(k).copied().unwrap_or(0);
        check(&format!("failures: {}", failure_label(k)), get(s), get(r));
    }
    out
}

/// The left-out rules in display order, unknown ones after.
const RULES: [(&str, &str); 7] = [
    ("depth", "deeper than --depth"),
    ("scope", "out of --scope"),
    ("filter", "--include / --exclude"),
    ("url_len", "longer than --max-url-len"),
    ("max_pages", "past --max-pages"),
    ("host_budget", "past --max-pages-per-host"),
    ("robots", "robots.txt"),
];

fn left_out_bars(m: &BTreeMap<String, u64>) -> Vec<Bar> {
    let known = RULES.iter().map(|(k, label)| {
        bar(
            (*label).to_owned(),
            m.get(*k).copied().unwrap_or(0),
            format!("left_out.{k}"),
        )
    });
    let unknown = m
        .iter()
        .filter(|(k, _)| !RULES.iter().any(|(r, _)| r == k))
        .map(|(k, &n)| bar(k.clone(), n, format!("left_out.{k}")));
    known.chain(unknown).collect()
}

/// The label of a failure kind given in snake case (the key itself when unknown).
pub(super) fn failure_label(key: &str) -> String {
    serde_json::from_value::<FailureKind>(serde_json::Value::String(key.to_owned()))
        .map(|k| k.label().to_owned())
        .unwrap_or_else(|_| key.replace('_', " "))
}

fn outcome_word(o: &Outcome) -> &'static str {
    match o {
        Outcome::Fetched => "fetched",
        Outcome::Failed { .. } => "failed",
        Outcome::Skipped { .. } => "skipped",
    }
}

fn times(h: &LogHistogram) -> Times {
    if h.count() == 0 {
        return Times::default();
    }
    let edges = display_edges(h.min(), h.max());
    let counts = h.bin(&edges);
    Times {
        count: h.count(),
        p50: h.percentile(50.0).unwrap_or(0.0),
        p90: h.percentile(90.0).unwrap_or(0.0),
        p99: h.percentile(99.0).unwrap_or(0.0),
        max: h.max(),
        bins: edges.into_iter().zip(counts).collect(),
    }
}

/// The hosts table: hosts with requests, busiest first (ties by name), at most
/// [`TOP_HOSTS`]; and how many hosts had requests.
fn host_rows(hosts: &Hosts) -> (Vec<HostRow>, usize) {
    let mut top = TopN::new(TOP_HOSTS);
    let mut total = 0;
    for (name, s) in hosts.iter().filter(|(_, s)| s.requests > 0) {
        total += 1;
        top.push(Ranked {
            key: (s.requests, Reverse(name)),
            value: (name, s),
        });
    }
    let rows = top
        .into_sorted()
        .into_iter()
        .map(
            |Ranked {
                 value: (name, s), ..
             }| HostRow {
                host: name.to_owned(),
                requests: s.requests,
                pages: s.pages,
                failures: s.failures,
                p50_ms: s.times.percentile(50.0),
                p99_ms: s.times.percentile(99.0),
                bytes: s.bytes,
                robots: s.robots,
                crawl_delay_ms: s.crawl_delay_ms,
                links_out: s.links_out,
                links_in: s.links_in,
            },
        )
        .collect();
    (rows, total)
}

/// Width and height of the graph drawings.
const GRAPH_W: f64 = 960.0;
const GRAPH_H: f64 = 600.0;

/// The [`HOST_GRAPH_NODES`] hosts with the most requests (then the most linked-to),
/// sized by pages, joined by the links between them.
fn host_graph(hosts: &Hosts) -> Graph {
    let mut top = TopN::new(HOST_GRAPH_NODES);
    let mut all = 0usize;
    for (id, (name, s)) in hosts.iter().enumerate() {
        if s.requests == 0 && s.links_in == 0 {
            continue;
        }
        all += 1;
        top.push(Ranked {
            key: (s.requests, s.links_in, Reverse(name)),
            value: (id as u32, s.pages, s.requests, s.failures),
        });
    }
    let chosen: Vec<(u32, u64, u64, u64)> =
        top.into_sorted().into_iter().map(|r| r.value).collect();
    let index: std::collections::HashMap<u32, usize> =
        chosen.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
    let mut edges = Vec::new();
    let mut hidden_links = hosts.untracked_links;
    for (a, b, n) in hosts.edges() {
        match (index.get(&a), index.get(&b)) {
            (Some(&from), Some(&to)) => edges.push(Edge { from, to, links: n }),
            _ => hidden_links += n,
        }
    }
    edges.sort_by_key(|e| (Reverse(e.links), e.from, e.to));
    for e in edges.drain(HOST_GRAPH_EDGES.min(edges.len())..) {
        hidden_links += e.links;
    }
    let max_pages = chosen.iter().map(|c| c.1).max().unwrap_or(0).max(1) as f64;
    let radius: Vec<f64> = chosen
        .iter()
        .map(|c| 6.0 + 30.0 * (c.1 as f64 / max_pages).sqrt())
        .collect();
    let weighted: Vec<(usize, usize, f64)> = edges
        .iter()
        .map(|e| (e.from, e.to, e.links as f64))
        .collect();
    let pos = layout::force_layout(&radius, &weighted, GRAPH_W, GRAPH_H, 24.0);
    let nodes = chosen
        .iter()
        .zip(pos)
        .zip(&radius)
        .map(|((&(id, pages, requests, failures), (x, y)), &r)| Node {
            label: hosts.name(id).to_owned(),
            x,
            y,
            r,
            pages,
            kind: if pages > 0 {
                NodeKind::Fetched
            } else if requests > 0 && failures > 0 {
                NodeKind::Failed
            } else {
                NodeKind::Skipped
            },
        })
        .collect();
    Graph {
        width: GRAPH_W,
        height: GRAPH_H,
        nodes,
        edges,
        hidden_nodes: all.saturating_sub(HOST_GRAPH_NODES),
        hidden_links,
    }
}

/// The page graph of a small crawl: every record a node, its parent an edge.
fn page_graph(nodes: &[PageNode]) -> Graph {
    let mut sorted: Vec<&PageNode> = nodes.iter().collect();
    sorted.sort_by(|a, b| a.url.cmp(&b.url));
    sorted.dedup_by(|a, b| a.url == b.url);
    let index: std::collections::HashMap<&str, usize> = sorted
        .iter()
        .enumerate()
        .map(|(i, n)| (n.url.as_str(), i))
        .collect();
    let parent: Vec<Option<usize>> = sorted
        .iter()
        .map(|n| n.parent.as_deref().and_then(|p| index.get(p).copied()))
        .collect();
    let side = GRAPH_H.max(300.0);
    let pos = layout::radial_tree(&parent, GRAPH_W, side, 16.0);
    let edges = parent
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            p.map(|p| Edge {
                from: p,
                to: i,
                links: 1,
            })
        })
        .collect();
    Graph {
        width: GRAPH_W,
        height: side,
        nodes: sorted
            .iter()
            .zip(pos)
            .map(|(n, (x, y))| Node {
                label: short(&n.url),
                x,
                y,
                r: 5.0,
                pages: 1,
                kind: n.kind,
            })
            .collect(),
        edges,
        hidden_nodes: 0,
        hidden_links: 0,
    }
}

/// `s` cut to [`URL_CHARS`] characters, with `…` in the middle when cut.
pub(super) fn short(s: &str) -> String {
    // Passwords in URLs never reach the report.
    let s = &*crate::redact::text(s);
    let n = s.chars().count();
    if n <= URL_CHARS {
        return s.to_owned();
    }
    let head_len = URL_CHARS * 2 / 3;
    let tail_len = URL_CHARS - head_len - 1;
    let head: String = s.chars().take(head_len).collect();
    let tail: String = s.chars().skip(n - tail_len).collect();
    format!("{head}…{tail}")
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
