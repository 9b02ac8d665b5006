//! The summary line that ends a `--pages` file, read tolerantly, and how the summaries
//! of several files add up.
//!
//! A pages file ends with `{"summary": {...}}`. Every field may be missing (it counts
//! as zero or empty), unknown fields are ignored, and a counter written as a float, a
//! string or `null` still reads, so a report can be built from files written by older
//! or newer versions of crawl.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::config::{Config, Scope};
use crate::stats::Summary;

/// The run's counters, as the last line of a pages file holds them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReportSummary {
    /// Seed URLs accepted from the input.
    #[serde(deserialize_with = "lenient_u64")]
    pub listed: u64,
    /// Input lines that were not http(s) URLs.
    #[serde(deserialize_with = "lenient_u64")]
    pub bad_lines: u64,
    /// Seed URLs listed twice.
    #[serde(deserialize_with = "lenient_u64")]
    pub duplicates: u64,
    /// URLs dispatched to a fetch.
    #[serde(deserialize_with = "lenient_u64")]
    pub requested: u64,
    /// HTML pages fetched and parsed.
    #[serde(deserialize_with = "lenient_u64")]
    pub pages: u64,
    /// Responses set aside for not being HTML.
    #[serde(deserialize_with = "lenient_u64")]
    pub non_html: u64,
    /// URLs robots.txt forbade.
    #[serde(deserialize_with = "lenient_u64")]
    pub robots_denied: u64,
    /// Retries made.
    #[serde(deserialize_with = "lenient_u64")]
    pub retries: u64,
    /// Sitemaps read.
    #[serde(deserialize_with = "lenient_u64")]
    pub sitemaps: u64,
    /// Failures by kind, in snake case (`client_error`), as in the records.
    #[serde(deserialize_with = "lenient_counts")]
    pub failures: BTreeMap<String, u64>,
    /// URLs not followed, by the rule that left them out (`depth`, `scope`, `filter`,
    /// `url_len`, `max_pages`, `host_budget`, `robots`).
    #[serde(deserialize_with = "lenient_counts")]
    pub left_out: BTreeMap<String, u64>,
    /// Pages whose links were written.
    #[serde(deserialize_with = "lenient_u64")]
    pub pages_written: u64,
    /// Links (pairs) written.
    #[serde(deserialize_with = "lenient_u64")]
    pub links_written: u64,
    /// Body bytes read, decompressed.
    #[serde(deserialize_with = "lenient_u64")]
    pub body_bytes: u64,
    /// Wall time of the run, in milliseconds.
    #[serde(deserialize_with = "lenient_f64")]
    pub elapsed_ms: f64,
    /// Whether the run was cancelled before its end.
    #[serde(deserialize_with = "lenient_bool")]
    pub interrupted: bool,
    /// When the run started, in milliseconds since the Unix epoch.
    #[serde(deserialize_with = "lenient_opt_u64")]
    pub started_ms: Option<u64>,
    /// The settings that matter (depth, scope, concurrency…), as text.
    #[serde(deserialize_with = "lenient_settings")]
    pub settings: BTreeMap<String, String>,
    /// Whether the counters cover the whole crawl so far (a resumed crawl), not only
    /// this run: such a summary replaces the ones before it with the same `crawl_id`.
    #[serde(deserialize_with = "lenient_bool")]
    pub cumulative: bool,
    /// Which crawl the summary belongs to, for `cumulative` summaries.
    #[serde(deserialize_with = "lenient_opt_string")]
    pub crawl_id: Option<String>,
}

/// The summary line: `{"summary": {...}}`.
#[derive(Debug, Deserialize, Serialize)]
pub struct SummaryLine {
    /// The counters.
    pub summary: ReportSummary,
}

impl ReportSummary {
    /// The engine's [`Summary`] in the report's terms, read exactly as a pages file's
    /// summary line is (settings left empty: fill them with [`settings_of`]).
    pub fn from_summary(summary: &Summary) -> Self {
        serde_json::to_value(summary)
            .and_then(serde_json::from_value)
            .unwrap_or_default()
    }

    /// Failed URLs, all kinds together.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }
}

/// The settings of `config` a report shows, as text.
pub fn settings_of(config: &Config) -> BTreeMap<String, String> {
    let mut s = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        s.insert(k.to_owned(), v);
    };
    put("depth", config.depth.to_string());
    put(
        "scope",
        match config.scope {
            Scope::Host => "host",
            Scope::Domain => "domain",
            Scope::Any => "any",
        }
        .to_owned(),
    );
    put("concurrency", config.concurrency.to_string());
    put("host_concurrency", config.host_concurrency.to_string());
    put(
        "host_delay",
        humantime::format_duration(config.host_delay).to_string(),
    );
    put(
        "timeout",
        humantime::format_duration(config.timeout).to_string(),
    );
    put("retries", config.retries.to_string());
    put("max_body", config.max_body.to_string());
    put(
        "robots",
        if config.respect_robots {
            "obeyed"
        } else {
            "ignored"
        }
        .to_owned(),
    );
    put("user_agent", config.user_agent.clone());
    if let Some(n) = config.max_pages {
        put("max_pages", n.to_string());
    }
    if let Some(n) = config.max_pages_per_host {
        put("max_pages_per_host", n.to_string());
    }
    if config.sitemap {
        put("sitemap", "yes".to_owned());
    }
    if config.block_private {
        put("block_private", "yes".to_owned());
    }
    for (k, list) in [("include", &config.include), ("exclude", &config.exclude)] {
        if !list.is_empty() {
            let v: Vec<&str> = list.iter().map(|r| r.as_str()).collect();
            put(k, v.join(" "));
        }
    }
    s
}

/// Several summaries added up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Combined {
    /// The sum.
    pub summary: ReportSummary,
    /// How many summaries went into it (after cumulative ones replaced earlier ones).
    pub runs: usize,
    /// How many of those were interrupted.
    pub interrupted_runs: usize,
}

/// Adds up summaries given in the order the runs happened.
///
/// Counters are summed. A `cumulative` summary replaces every summary before it with
/// the same `crawl_id` (or with none, if it has none), since it covers them. The
/// start is the earliest start; the wall time is the length of the union of the runs'
/// intervals (parallel workers overlap and count once, resumed runs add up without the
/// gap between them); a run without a start adds its wall time. Settings that differ
/// between runs are joined with ` | `.
pub fn combine(summaries: impl IntoIterator<Item = ReportSummary>) -> Option<Combined> {
    // Per crawl_id, in order of first appearance: the summaries still counted.
    let mut groups: Vec<(Option<String>, Vec<ReportSummary>)> = Vec::new();
    for s in summaries {
        let i = match groups.iter().position(|(id, _)| *id == s.crawl_id) {
            Some(i) => i,
            None => {
                groups.push((s.crawl_id.clone(), Vec::new()));
                groups.len() - 1
            }
        };
        if s.cumulative {
            groups[i].1.clear();
        }
        groups[i].1.push(s);
    }
    let parts: Vec<ReportSummary> = groups.into_iter().flat_map(|(_, v)| v).collect();
    if parts.is_empty() {
        return None;
    }
    let mut sum = ReportSummary::default();
    let mut intervals = Vec::new();
    let mut unplaced_ms = 0.0;
    for p in &parts {
        sum.listed += p.listed;
        sum.bad_lines += p.bad_lines;
        sum.duplicates += p.duplicates;
        sum.requested += p.requested;
        sum.pages += p.pages;
        sum.non_html += p.non_html;
        sum.robots_denied += p.robots_denied;
        sum.retries += p.retries;
        sum.sitemaps += p.sitemaps;
        sum.pages_written += p.pages_written;
        sum.links_written += p.links_written;
        sum.body_bytes += p.body_bytes;
        sum.interrupted |= p.interrupted;
        for (k, n) in &p.failures {
            *sum.failures.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &p.left_out {
            *sum.left_out.entry(k.clone()).or_default() += n;
        }
        for (k, v) in &p.settings {
            let entry = sum.settings.entry(k.clone()).or_default();
            if entry.is_empty() {
                entry.clone_from(v);
            } else if !entry.split(" | ").any(|old| old == v) {
                entry.push_str(" | ");
                entry.push_str(v);
            }
        }
        match p.started_ms {
            Some(start) => {
                sum.started_ms = Some(sum.started_ms.map_or(start, |s| s.min(start)));
                intervals.push((start as f64, start as f64 + p.elapsed_ms.max(0.0)));
            }
            None => unplaced_ms += p.elapsed_ms.max(0.0),
        }
    }
    sum.elapsed_ms = union_length(&mut intervals) + unplaced_ms;
    sum.cumulative = parts.iter().all(|p| p.cumulative);
    let first_id = parts[0].crawl_id.clone();
    sum.crawl_id = first_id.filter(|id| parts.iter().all(|p| p.crawl_id.as_ref() == Some(id)));
    Some(Combined {
        runs: parts.len(),
        interrupted_runs: parts.iter().filter(|p| p.interrupted).count(),
        summary: sum,
    })
}

/// The total length covered by intervals `(start, end)`, overlaps counted once.
fn union_length(intervals: &mut [(f64, f64)]) -> f64 {
    intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut total = 0.0;
    let mut current: Option<(f64, f64)> = None;
    for &(a, b) in intervals.iter() {
        current = match current {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                total += e - s;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
}

// Lenient readers: a field of the wrong shape reads as empty instead of failing the
// whole summary line.

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(as_u64(&serde_json::Value::deserialize(d)?).unwrap_or(0))
}

fn lenient_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(as_u64(&serde_json::Value::deserialize(d)?))
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match &v {
        serde_json::Value::Number(n) => n.as_f64().unwrap_or(0.0),
        serde_json::Value::String(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    })
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::String(s) => s == "true",
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        _ => false,
    })
}

fn lenient_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

fn lenient_counts<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, u64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let mut out = BTreeMap::new();
    if let serde_json::Value::Object(map) = v {
        for (k, v) in map {
            if let Some(n) = as_u64(&v) {
                out.insert(k, n);
            }
        }
    }
    Ok(out)
}

fn lenient_settings<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    let mut out = BTreeMap::new();
    if let serde_json::Value::Object(map) = v {
        for (k, v) in map {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            out.insert(k, text);
        }
    }
    Ok(out)
}

fn as_u64(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|x| *x >= 0.0).map(|x| x.round() as u64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ReportSummary {
        serde_json::from_str::<SummaryLine>(json)
            .expect("summary line")
            .summary
    }

    #[test]
    fn reads_tolerantly() {
        let s = parse(
            r#"{"summary":{"pages":3,"requested":"5","retries":2.0,"sitemaps":null,
            "failures":{"timeout":1,"client_error":2,"weird":"x"},
            "left_out":{"depth":7},"elapsed_ms":1500,"interrupted":false,
            "settings":{"depth":"2","concurrency":64,"nothing":null},
            "started_ms":1764566400000,"new_field_from_the_future":[1,2]}}"#,
        );
        assert_eq!(s.pages, 3);
        assert_eq!(s.requested, 5);
        assert_eq!(s.retries, 2);
        assert_eq!(s.sitemaps, 0);
        assert_eq!(s.failed(), 3);
        assert!(!s.failures.contains_key("weird"));
        assert_eq!(s.left_out["depth"], 7);
        assert_eq!(s.elapsed_ms, 1500.0);
        assert_eq!(s.settings["concurrency"], "64");
        assert!(!s.settings.contains_key("nothing"));
        assert_eq!(s.started_ms, Some(1_764_566_400_000));
        let empty = parse(r#"{"summary":{}}"#);
        assert_eq!(empty, ReportSummary::default());
    }

    fn run(pages: u64, start: u64, elapsed: f64) -> ReportSummary {
        ReportSummary {
            pages,
            started_ms: Some(start),
            elapsed_ms: elapsed,
            ..Default::default()
        }
    }

    #[test]
    fn parallel_workers_sum_counters_and_overlap_in_time() {
        let mut a = run(10, 1_000, 5_000.0);
        a.failures.insert("timeout".into(), 2);
        a.settings.insert("depth".into(), "2".into());
        let mut b = run(20, 2_000, 5_000.0);
        b.failures.insert("timeout".into(), 1);
        b.failures.insert("dns".into(), 4);
        b.settings.insert("depth".into(), "3".into());
        b.interrupted = true;
        let c = combine([a, b]).expect("two summaries");
        assert_eq!(c.runs, 2);
        assert_eq!(c.interrupted_runs, 1);
        assert_eq!(c.summary.pages, 30);
        assert_eq!(c.summary.failures["timeout"], 3);
        assert_eq!(c.summary.failures["dns"], 4);
        assert_eq!(c.summary.started_ms, Some(1_000));
        assert_eq!(c.summary.elapsed_ms, 6_000.0, "[1000, 7000)");
        assert_eq!(c.summary.settings["depth"], "2 | 3");
        assert!(c.summary.interrupted);
    }

    #[test]
    fn resumed_runs_add_their_times_without_the_gap() {
        let c =
            combine([run(1, 0, 100.0), run(1, 10_000, 50.0), run(1, 0, 0.0)]).expect("summaries");
        assert_eq!(c.summary.elapsed_ms, 150.0);
        let no_start = ReportSummary {
            elapsed_ms: 30.0,
            ..Default::default()
        };
        let c = combine([run(1, 0, 100.0), no_start]).expect("summaries");
        assert_eq!(c.summary.elapsed_ms, 130.0);
    }

    #[test]
    fn a_cumulative_summary_replaces_the_earlier_ones_of_its_crawl() {
        let with = |pages, id: &str, cumulative| ReportSummary {
            pages,
            crawl_id: Some(id.into()),
            cumulative,
            ..Default::default()
        };
        let c = combine([
            with(5, "x", false),
            with(100, "y", false),
            with(8, "x", true),  // covers the 5
            with(12, "x", true), // covers everything of x so far
            with(3, "x", false), // a run after it
            with(1, "y", false),
        ])
        .expect("summaries");
        assert_eq!(c.summary.pages, 12 + 3 + 100 + 1);
        assert_eq!(c.runs, 4);
        assert_eq!(c.summary.crawl_id, None, "two crawls");
        assert_eq!(combine(Vec::new()), None);
    }
}
