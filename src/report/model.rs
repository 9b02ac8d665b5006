//! What a finished [`Report`] holds: aggregates and bounded tables, ready to draw.

use std::collections::BTreeMap;

use serde::Serialize;

/// The crawl's headline counts, from the summary or, without one, from the records.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Figures {
    /// URLs requested (records, without a summary).
    pub requested: u64,
    /// HTML pages fetched.
    pub pages: u64,
    /// Sitemaps read.
    pub sitemaps: u64,
    /// Failures by kind (snake case).
    pub failures: BTreeMap<String, u64>,
    /// Responses set aside for not being HTML.
    pub non_html: u64,
    /// URLs robots.txt forbade.
    pub robots_denied: u64,
    /// Retries made.
    pub retries: u64,
    /// Body bytes read.
    pub bytes: u64,
    /// Links found (pairs written).
    pub links: u64,
    /// Seed URLs.
    pub seeds: u64,
    /// When the crawl started (ms since the epoch).
    pub started_ms: Option<u64>,
    /// How long it ran, in milliseconds.
    pub elapsed_ms: f64,
}

impl Figures {
    /// Failures of every kind.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    /// Pages per second of wall time.
    pub fn pages_per_sec(&self) -> f64 {
        if self.elapsed_ms > 0.0 {
            self.pages as f64 * 1000.0 / self.elapsed_ms
        } else {
            0.0
        }
    }
}

/// Where the headline counts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The summary of every run.
    Summary,
    /// The records alone: no run left a summary (killed), or some did not.
    Records,
}

/// How the crawl ended, as far as the inputs tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Every run ran to its end.
    Complete,
    /// At least one run was interrupted (Ctrl-C): what it did is all there.
    Interrupted,
    /// At least one input has no summary: that run was killed before its end.
    Incomplete,
}

/// One bar of a chart: a label, a value, and the name the value goes by in the page
/// (`data-figure`), if tests and tools should find it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    /// What the bar counts.
    pub label: String,
    /// The count.
    pub value: u64,
    /// Its `data-figure` name.
    pub figure: Option<String>,
}

/// Requests ended at one depth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DepthRow {
    /// The depth.
    pub depth: u32,
    /// Pages fetched.
    pub fetched: u64,
    /// Requests failed.
    pub failed: u64,
    /// URLs skipped.
    pub skipped: u64,
}

/// Response times of every request made.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Times {
    /// Requests timed.
    pub count: u64,
    /// Median, 90th and 99th percentile and the maximum, in milliseconds.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// The slowest.
    pub max: f64,
    /// Histogram bins: `(upper bound in ms, count)`; the first starts at 0, the last
    /// takes everything above the bound before it.
    pub bins: Vec<(f64, u64)>,
}

/// One point of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimePoint {
    /// Start of the bin, in milliseconds after the crawl's start.
    pub offset_ms: u64,
    /// Width of the bin in milliseconds.
    pub width_ms: u64,
    /// Pages fetched in it.
    pub pages: u64,
}

impl TimePoint {
    /// Pages per second in the bin.
    pub fn rate(&self) -> f64 {
        if self.width_ms == 0 {
            0.0
        } else {
            self.pages as f64 * 1000.0 / self.width_ms as f64
        }
    }
}

/// A row of the hosts table.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostRow {
    /// The host.
    pub host: String,
    /// Requests ended.
    pub requests: u64,
    /// Pages fetched.
    pub pages: u64,
    /// Failures.
    pub failures: u64,
    /// Median response time (ms).
    pub p50_ms: Option<f64>,
    /// 99th percentile response time (ms).
    pub p99_ms: Option<f64>,
    /// Body bytes.
    pub bytes: u64,
    /// URLs robots.txt forbade.
    pub robots: u64,
    /// `Crawl-delay`, in milliseconds.
    pub crawl_delay_ms: Option<u64>,
    /// Links out to other hosts and its own.
    pub links_out: u64,
    /// Links in from other hosts.
    pub links_in: u64,
}

/// A failed URL and the page it was found on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Broken {
    /// The URL.
    pub url: String,
    /// The failure kind (snake case).
    pub reason: String,
    /// The status, if a response came.
    pub status: Option<u16>,
    /// The failure message.
    pub message: String,
    /// The page that links to it (the first found), if any.
    pub parent: Option<String>,
    /// Its depth.
    pub depth: u32,
}

/// A slow request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slow {
    /// The URL.
    pub url: String,
    /// Its last attempt's time, ms.
    pub elapsed_ms: f64,
    /// The status, if a response came.
    pub status: Option<u16>,
    /// fetched, failed or skipped.
    pub outcome: String,
}

/// A redirect chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    /// The URL requested.
    pub url: String,
    /// Each hop's target, in order.
    pub hops: Vec<String>,
    /// Hops left out of `hops` (very long chains).
    pub more_hops: usize,
    /// The final status.
    pub status: Option<u16>,
    /// How the request ended.
    pub outcome: String,
}

/// What a graph node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A fetched page, or a host with fetched pages.
    Fetched,
    /// A failed request, or a host with only failures.
    Failed,
    /// A skipped URL, or a host nothing was fetched from (only linked to).
    Skipped,
}

/// A node placed in the drawing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Its name (host or URL).
    pub label: String,
    /// Position and radius, in SVG units.
    pub x: f64,
    /// y.
    pub y: f64,
    /// Radius.
    pub r: f64,
    /// Pages (hosts) or 1 (pages).
    pub pages: u64,
    /// What it is.
    pub kind: NodeKind,
}

/// An edge between two placed nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// Index of the source node.
    pub from: usize,
    /// Index of the target node.
    pub to: usize,
    /// Links it stands for.
    pub links: u64,
}

/// A laid-out graph.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Graph {
    /// Drawing width.
    pub width: f64,
    /// Drawing height.
    pub height: f64,
    /// The nodes drawn.
    pub nodes: Vec<Node>,
    /// The edges drawn.
    pub edges: Vec<Edge>,
    /// Nodes left out of the drawing.
    pub hidden_nodes: usize,
    /// Links not drawn (to or from hidden nodes, or past the edge cap).
    pub hidden_links: u64,
}

/// Everything the HTML page shows. Build it with
/// [`Aggregator::finish`](super::Aggregator::finish).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The page title.
    pub title: String,
    /// When the report was made (ms since the epoch).
    pub generated_ms: u64,
    /// How the crawl ended.
    pub state: State,
    /// Where [`Report::figures`] come from.
    pub basis: Basis,
    /// Runs summarised, and how many of them were interrupted.
    pub runs: usize,
    /// Runs interrupted.
    pub interrupted_runs: usize,
    /// The headline counts.
    pub figures: Figures,
    /// The same counts from the records, whatever the basis.
    pub record_figures: Figures,
    /// Counts on which the summary and the records disagree: `(name, summary, records)`.
    pub mismatches: Vec<(String, u64, u64)>,
    /// The summary's other counters (input lines, duplicates, pages written).
    pub extra: Vec<(String, u64)>,
    /// The settings that matter.
    pub settings: BTreeMap<String, String>,
    /// Records read.
    pub records: u64,
    /// The first seeds (alphabetically) and how many there are in the records.
    pub seeds: Vec<String>,
    /// Status codes.
    pub statuses: Vec<Bar>,
    /// Failures by kind (records).
    pub failures: Vec<Bar>,
    /// Skips by reason (records).
    pub skips: Vec<Bar>,
    /// URLs left out by each rule (summary); `None` when no summary says.
    pub left_out: Option<Vec<Bar>>,
    /// Requests per depth.
    pub depths: Vec<DepthRow>,
    /// Response times.
    pub times: Times,
    /// Pages per second over the crawl.
    pub timeline: Vec<TimePoint>,
    /// The busiest hosts.
    pub hosts: Vec<HostRow>,
    /// Hosts with requests in all (the table may show fewer).
    pub hosts_total: usize,
    /// Failed URLs, shallowest first.
    pub broken: Vec<Broken>,
    /// Failed URLs in all.
    pub broken_total: u64,
    /// The slowest requests.
    pub slowest: Vec<Slow>,
    /// The longest redirect chains.
    pub chains: Vec<Chain>,
    /// Requests that were redirected.
    pub redirected: u64,
    /// The host graph.
    pub host_graph: Graph,
    /// The page graph (small crawls only).
    pub page_graph: Option<Graph>,
    /// Notes on the inputs (files without summary, unreadable lines).
    pub notes: Vec<String>,
    /// The files read (empty for a live crawl).
    pub sources: Vec<String>,
}

impl Report {
    /// Whether there is nothing to show: no record and no summary.
    pub fn is_empty(&self) -> bool {
        self.records == 0 && self.runs == 0
    }
}
