//! The page: one HTML document with its CSS, SVG and a small sorting script inline.
//!
//! A Content-Security-Policy of `default-src 'none'` is part of the page, so a browser
//! that opens it fetches nothing, whatever a crawled URL or host name contains (they
//! are escaped, and never used as links).

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::fmt;
use super::model::{Basis, Report, State};
use super::svg::{self, Column, bar_table, figure};

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("sort.js");

/// The report as one HTML document.
pub fn page(r: &Report) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";
                title { (r.title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (r.title) }
                    (state_line(r))
                    nav aria-label="Sections" {
                        @for (id, name) in SECTIONS {
                            a href={ "#" (id) } { (name) } " "
                        }
                    }
                }
                main {
                    (overview(r))
                    (outcomes(r))
                    (depth_and_times(r))
                    (timeline(r))
                    (hosts(r))
                    (broken(r))
                    (slowest(r))
                    (redirects(r))
                    (host_graph(r))
                    (page_graph(r))
                }
                footer {
                    p {
                        "Made by crawl " (env!("CARGO_PKG_VERSION")) " on " (fmt::utc(r.generated_ms)) " from "
                        @if r.sources.is_empty() { "the live crawl" } @else { (r.sources.join(", ")) }
                        ". Response-time percentiles come from a log-bucket histogram and are within 1% of the exact value. \
                         Tables are bounded: the " (super::TOP_HOSTS) " busiest hosts, the first " (super::TOP_BROKEN)
                        " failed URLs (shallowest first), the " (super::TOP_SLOWEST) " slowest requests, the "
                        (super::TOP_CHAINS) " longest redirect chains; URLs over " (super::URL_CHARS) " characters are shortened with …."
                    }
                }
                script { (PreEscaped(JS)) }
            }
        }
    }
}

const SECTIONS: [(&str, &str); 10] = [
    ("overview", "Overview"),
    ("outcomes", "Outcomes"),
    ("depth", "Depth and times"),
    ("timeline", "Timeline"),
    ("hosts", "Hosts"),
    ("broken", "Broken links"),
    ("slowest", "Slowest"),
    ("redirects", "Redirects"),
    ("host-graph", "Host graph"),
    ("page-graph", "Page graph"),
];

fn state_line(r: &Report) -> Markup {
    let (class, icon, text) = match r.state {
        State::Complete => ("state ok", "✓", "Complete: the crawl ran to its end.".to_owned()),
        State::Interrupted => (
            "state warn",
            "!",
            if r.runs > 1 {
                format!("Interrupted: {} of {} runs were stopped before their end; what they did is all here.", r.interrupted_runs, r.runs)
            } else {
                "Interrupted: the crawl was stopped before its end; what it did is all here.".to_owned()
            },
        ),
        State::Incomplete => (
            "state bad",
            "✗",
            "Incomplete: no summary line (the run was killed); the figures come from the records read.".to_owned(),
        ),
    };
    html! {
        p class=(class) data-state=(format!("{:?}", r.state).to_lowercase()) {
            span.icon aria-hidden="true" { (icon) } " " (text)
        }
    }
}

fn card(label: &str, body: Markup) -> Markup {
    html! { div.card { div.label { (label) } div.value { (body) } } }
}

fn overview(r: &Report) -> Markup {
    let f = &r.figures;
    let from = match r.basis {
        Basis::Summary => "the crawl's summary",
        Basis::Records => "the records",
    };
    html! {
        section #overview {
            h2 { "Overview" }
            p.muted {
                @if let Some(s) = f.started_ms { "Started " (fmt::utc(s)) ". " }
                "Figures from " (from) "; charts below from the " (fmt::count(r.records)) " records read."
            }
            div.cards {
                (card("Pages fetched", figure(Some("pages"), f.pages)))
                (card("Failed", figure(Some("failed"), f.failed())))
                (card("Requests", figure(Some("requested"), f.requested)))
                (card("Not HTML", figure(Some("non_html"), f.non_html)))
                (card("Denied by robots.txt", figure(Some("robots_denied"), f.robots_denied)))
                (card("Retries", figure(Some("retries"), f.retries)))
                (card("Links found", figure(Some("links"), f.links)))
                (card("Seeds", figure(Some("seeds"), f.seeds)))
                (card("Hosts", figure(Some("hosts"), r.hosts_total as u64)))
                @if f.sitemaps > 0 { (card("Sitemaps", figure(Some("sitemaps"), f.sitemaps))) }
                (card("Bytes read", html! { data value=(f.bytes) data-figure="bytes" { (fmt::bytes(f.bytes)) } }))
                (card("Duration", html! { data value=(f.elapsed_ms.round()) data-figure="elapsed_ms" { (fmt::ms(f.elapsed_ms)) } }))
                (card("Pages per second", html! { (fmt::rate(f.pages_per_sec())) }))
            }
            @if !r.mismatches.is_empty() {
                div.note role="note" {
                    p { strong { "Summary and records disagree" } " (records missing or added after the summary?):" }
                    ul { @for (name, s, rec) in &r.mismatches { li { (name) ": summary " (fmt::count(*s)) ", records " (fmt::count(*rec)) } } }
                }
            }
            @for note in &r.notes { p.note role="note" { (note) } }
            div.cols {
                div {
                    h3 { "Settings" }
                    @if r.settings.is_empty() {
                        p.muted { "Not recorded." }
                    } @else {
                        table.kv { tbody { @for (k, v) in &r.settings { tr { th scope="row" { (k) } td { (v) } } } } }
                    }
                    @if !r.extra.is_empty() {
                        table.kv { tbody { @for (k, v) in &r.extra { tr { th scope="row" { (k) } td.num { (fmt::count(*v)) } } } } }
                    }
                }
                div {
                    h3 { "Seeds" }
                    @if r.seeds.is_empty() { p.muted { "None among the records." } }
                    ul.urls { @for s in &r.seeds { li { (s) } } }
                    @if (r.seeds.len() as u64) < r.record_figures.seeds {
                        p.muted { "and " (fmt::count(r.record_figures.seeds - r.seeds.len() as u64)) " more (first ones alphabetically)." }
                    }
                }
            }
        }
    }
}

fn outcomes(r: &Report) -> Markup {
    html! {
        section #outcomes {
            h2 { "Outcomes" }
            div.cols {
                div { (bar_table("HTTP status of the last response", "status", &r.statuses)) }
                div { (bar_table("Failures by kind", "kind", &r.failures)) }
                div { (bar_table("URLs set aside (records)", "reason", &r.skips)) }
                div {
                    @if let Some(left) = &r.left_out {
                        (bar_table("Links not followed, by the rule that left them out", "rule", left))
                    } @else {
                        p.muted { "No summary says which links were left out by which rule." }
                    }
                }
            }
        }
    }
}

fn depth_and_times(r: &Report) -> Markup {
    let t = &r.times;
    let cols: Vec<Column> = t
        .bins
        .iter()
        .enumerate()
        .map(|(i, &(_, n))| {
            let label = bin_label(i, &t.bins);
            Column {
                title: format!("{label}: {} requests", fmt::count(n)),
                label,
                value: n as f64,
            }
        })
        .collect();
    let marks: Vec<(f64, String)> = [("p50", t.p50), ("p90", t.p90), ("p99", t.p99)]
        .iter()
        .filter(|_| t.count > 0)
        .map(|&(name, v)| (bin_position(v, &t.bins), name.to_owned()))
        .collect();
    // Bin bounds under the boundaries between columns.
    let ticks: Vec<(f64, String)> = t
        .bins
        .iter()
        .enumerate()
        .take(t.bins.len().saturating_sub(1))
        .map(|(i, &(hi, _))| ((i + 1) as f64, with_unit(hi)))
        .collect();
    let max_depth = r
        .depths
        .iter()
        .map(|d| d.fetched + d.failed + d.skipped)
        .max()
        .unwrap_or(0);
    html! {
        section #depth {
            h2 { "Depth and response times" }
            div.cols {
                div {
                    table.bars {
                        caption { "Requests per depth (hops from a seed)" }
                        thead { tr { th scope="col" { "depth" } th.num scope="col" { "fetched" } th.num scope="col" { "failed" } th.num scope="col" { "skipped" } th.barcell scope="col" { span.sr { "bar" } } } }
                        tbody {
                            @for d in &r.depths {
                                tr {
                                    th scope="row" { (d.depth) }
                                    td.num { (figure(Some(&format!("depth.{}.fetched", d.depth)), d.fetched)) }
                                    td.num { (figure(Some(&format!("depth.{}.failed", d.depth)), d.failed)) }
                                    td.num { (figure(Some(&format!("depth.{}.skipped", d.depth)), d.skipped)) }
                                    td.barcell aria-hidden="true" { span.bar style={ "width:" (svg::width_pct(d.fetched + d.failed + d.skipped, max_depth)) "%" } {} }
                                }
                            }
                        }
                    }
                }
                div {
                    h3 { "Response times" }
                    @if t.count == 0 {
                        p.muted { "No request was made." }
                    } @else {
                        p {
                            "Of " (figure(Some("times.count"), t.count)) " requests: median "
                            data value=(t.p50) data-figure="times.p50" { (fmt::ms(t.p50)) } ", p90 "
                            data value=(t.p90) data-figure="times.p90" { (fmt::ms(t.p90)) } ", p99 "
                            data value=(t.p99) data-figure="times.p99" { (fmt::ms(t.p99)) } ", slowest " (fmt::ms(t.max)) "."
                        }
                        (svg::column_chart(
                            "Response-time histogram",
                            &format!("Requests by response time on a 1-2-5 scale; median {}, p90 {}, p99 {}. The table below has the numbers.", fmt::ms(t.p50), fmt::ms(t.p90), fmt::ms(t.p99)),
                            "",
                            &cols,
                            &ticks,
                            &marks,
                        ))
                        details {
                            summary { "Table" }
                            table { thead { tr { th scope="col" { "time" } th.num scope="col" { "requests" } } }
                                tbody { @for c in &cols { tr { td { (c.label) } td.num { (fmt::count(c.value as u64)) } } } } }
                        }
                    }
                }
            }
        }
    }
}

/// `< 1 ms`, `1–2 ms`, `500 ms–1 s`: the range of bin `i` (the first starts at 0).
fn bin_label(i: usize, bins: &[(f64, u64)]) -> String {
    let hi = bins[i].0;
    if i == 0 {
        return format!("< {}", with_unit(hi));
    }
    let lo = bins[i - 1].0;
    if hi < 1000.0 {
        format!("{}–{} ms", bare(lo), bare(hi))
    } else if lo >= 1000.0 {
        format!("{}–{} s", bare(lo / 1000.0), bare(hi / 1000.0))
    } else {
        format!("{}–{}", with_unit(lo), with_unit(hi))
    }
}

fn with_unit(v: f64) -> String {
    if v >= 1000.0 {
        format!("{} s", bare(v / 1000.0))
    } else {
        format!("{} ms", bare(v))
    }
}

/// A bin bound: `0.002`, `5`, `20`.
fn bare(v: f64) -> String {
    if v >= 1.0 {
        fmt::trim(v)
    } else {
        format!("{v}")
    }
}

/// Where `v` falls along the bins, in columns: bin `i` spans `[i, i+1)`, log scale
/// inside it.
fn bin_position(v: f64, bins: &[(f64, u64)]) -> f64 {
    for (i, &(hi, _)) in bins.iter().enumerate() {
        if v < hi || i + 1 == bins.len() {
            let lo = if i == 0 { hi / 2.5 } else { bins[i - 1].0 };
            let frac = if v <= lo || lo <= 0.0 {
                0.0
            } else {
                ((v / lo).ln() / (hi / lo).ln()).clamp(0.0, 1.0)
            };
            return i as f64 + frac;
        }
    }
    0.0
}

fn timeline(r: &Report) -> Markup {
    let cols: Vec<Column> = r
        .timeline
        .iter()
        .map(|p| Column {
            label: fmt::offset(p.offset_ms),
            value: p.rate(),
            title: format!(
                "{}: {} pages/s",
                fmt::offset(p.offset_ms),
                fmt::rate(p.rate())
            ),
        })
        .collect();
    let ticks: Vec<(f64, String)> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64, c.label.clone()))
        .collect();
    html! {
        section #timeline {
            h2 { "Pages per second over the crawl" }
            @if cols.is_empty() {
                p.muted { "No page was fetched." }
            } @else {
                p.muted { "Pages fetched per second, in bins of " (fmt::ms(r.timeline[0].width_ms as f64)) ", by time since the start." }
                (svg::column_chart("Pages per second over time", "Pages fetched per second over the crawl; the table below has the numbers.", "/s", &cols, &ticks, &[]))
                details {
                    summary { "Table" }
                    table { thead { tr { th scope="col" { "from" } th.num scope="col" { "pages" } th.num scope="col" { "pages/s" } } }
                        tbody { @for p in &r.timeline { tr { td { (fmt::offset(p.offset_ms)) } td.num { (fmt::count(p.pages)) } td.num { (fmt::rate(p.rate())) } } } } }
                }
            }
        }
    }
}

fn hosts(r: &Report) -> Markup {
    let num = |v: Option<f64>| v.map_or("-1".to_owned(), |v| v.to_string());
    let heads = [
        ("host", false),
        ("requests", true),
        ("pages", true),
        ("failures", true),
        ("median", true),
        ("p99", true),
        ("bytes", true),
        ("robots rules met", true),
        ("Crawl-delay", true),
        ("links out", true),
        ("links in", true),
    ];
    html! {
        section #hosts {
            h2 { "Hosts" }
            p.muted {
                (fmt::count(r.hosts_total as u64)) " hosts had requests"
                @if r.hosts.len() < r.hosts_total { "; the " (r.hosts.len()) " busiest are listed" }
                ". Sort by any column with its header. Robots rules met: URLs robots.txt forbade."
            }
            div.scroll tabindex="0" role="region" aria-label="Hosts table" {
                table.sortable #hosts-table {
                    thead { tr { @for (name, numeric) in heads {
                        th scope="col" class=[numeric.then_some("num")] { button type="button" { (name) } }
                    } } }
                    tbody {
                        @for h in &r.hosts {
                            tr {
                                th scope="row" { (h.host) }
                                td.num data-sort=(h.requests) { (fmt::count(h.requests)) }
                                td.num data-sort=(h.pages) { (fmt::count(h.pages)) }
                                td.num data-sort=(h.failures) { (fmt::count(h.failures)) }
                                td.num data-sort=(num(h.p50_ms)) { (h.p50_ms.map_or("–".to_owned(), fmt::ms)) }
                                td.num data-sort=(num(h.p99_ms)) { (h.p99_ms.map_or("–".to_owned(), fmt::ms)) }
                                td.num data-sort=(h.bytes) { (fmt::bytes(h.bytes)) }
                                td.num data-sort=(h.robots) { (fmt::count(h.robots)) }
                                td.num data-sort=(h.crawl_delay_ms.map_or(-1, |d| d as i64)) { (h.crawl_delay_ms.map_or("–".to_owned(), |d| fmt::ms(d as f64))) }
                                td.num data-sort=(h.links_out) { (fmt::count(h.links_out)) }
                                td.num data-sort=(h.links_in) { (fmt::count(h.links_in)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn broken(r: &Report) -> Markup {
    html! {
        section #broken {
            h2 { "Broken links" }
            @if r.broken.is_empty() {
                p.muted { "No request failed." }
            } @else {
                p.muted {
                    (figure(Some("broken.total"), r.broken_total)) " URLs failed"
                    @if (r.broken.len() as u64) < r.broken_total { "; the first " (r.broken.len()) " (shallowest first) are listed" }
                    ", each with the page it was found on."
                }
                div.scroll tabindex="0" role="region" aria-label="Broken links table" {
                    table.urls {
                        thead { tr { th scope="col" { "URL" } th scope="col" { "why" } th scope="col" { "linked from" } th.num scope="col" { "depth" } } }
                        tbody { @for b in &r.broken { tr {
                            td.url { (b.url) }
                            td { (super::aggregate::failure_label(&b.reason)) @if let Some(s) = b.status { " (" (s) ")" } br; span.muted { (b.message) } }
                            td.url { @if let Some(p) = &b.parent { (p) } @else { span.muted { "a seed" } } }
                            td.num { (b.depth) }
                        } } }
                    }
                }
            }
        }
    }
}

fn slowest(r: &Report) -> Markup {
    html! {
        section #slowest {
            h2 { "Slowest requests" }
            @if r.slowest.is_empty() { p.muted { "No request was made." } } @else {
                div.scroll tabindex="0" role="region" aria-label="Slowest requests table" {
                    table.urls {
                        thead { tr { th scope="col" { "URL" } th.num scope="col" { "time" } th scope="col" { "status" } th scope="col" { "outcome" } } }
                        tbody { @for s in &r.slowest { tr {
                            td.url { (s.url) }
                            td.num { (fmt::ms(s.elapsed_ms)) }
                            td { @if let Some(st) = s.status { (st) } @else { "–" } }
                            td { (s.outcome) }
                        } } }
                    }
                }
            }
        }
    }
}

fn redirects(r: &Report) -> Markup {
    html! {
        section #redirects {
            h2 { "Redirect chains" }
            @if r.chains.is_empty() { p.muted { "No request was redirected." } } @else {
                p.muted { (figure(Some("redirected"), r.redirected)) " requests were redirected; the longest chains:" }
                div.scroll tabindex="0" role="region" aria-label="Redirect chains table" {
                    table.urls {
                        thead { tr { th scope="col" { "URL requested" } th.num scope="col" { "hops" } th scope="col" { "through" } th scope="col" { "ended" } } }
                        tbody { @for c in &r.chains { tr {
                            td.url { (c.url) }
                            td.num { (c.hops.len() + c.more_hops) }
                            td.url { ol.hops { @for h in &c.hops { li { (h) } } } @if c.more_hops > 0 { span.muted { "and " (c.more_hops) " more hops" } } }
                            td { (c.outcome) @if let Some(s) = c.status { " (" (s) ")" } }
                        } } }
                    }
                }
            }
        }
    }
}

fn host_graph(r: &Report) -> Markup {
    let g = &r.host_graph;
    html! {
        section #host-graph {
            h2 { "Host graph" }
            @if g.nodes.is_empty() { p.muted { "No host." } } @else {
                p.muted {
                    "Hosts as circles sized by pages fetched, arrows for links between hosts (thicker: more links)."
                    @if g.hidden_nodes > 0 { " " (g.hidden_nodes) " smaller hosts are left out." }
                    @if g.hidden_links > 0 { " " (fmt::count(g.hidden_links)) " links to or from them are not drawn." }
                }
                (svg::legend())
                div.graphbox { (svg::graph(g, "hosts", "Host link graph", &format!("{} hosts and {} links between them; the table below lists the links.", g.nodes.len(), g.edges.len()), true, true)) }
                details {
                    summary { "Links between hosts (table)" }
                    table { thead { tr { th scope="col" { "from" } th scope="col" { "to" } th.num scope="col" { "links" } } }
                        tbody { @for e in g.edges.iter().take(200) { tr { td { (g.nodes[e.from].label) } td { (g.nodes[e.to].label) } td.num { (fmt::count(e.links)) } } } } }
                }
            }
        }
    }
}

fn page_graph(r: &Report) -> Markup {
    html! {
        section #page-graph {
            h2 { "Page graph" }
            @if let Some(g) = &r.page_graph {
                p.muted { "Every URL of the crawl, each joined to the page it was found on; seeds in the middle, each ring one hop further." }
                (svg::legend())
                div.graphbox { (svg::graph(g, "pages", "Page graph", &format!("{} URLs as a tree by the page each was found on; the table below lists them.", g.nodes.len()), false, false)) }
                details {
                    summary { "Pages (table)" }
                    table.urls { thead { tr { th scope="col" { "URL" } th scope="col" { "found on" } th scope="col" { "outcome" } } }
                        tbody { @for (i, n) in g.nodes.iter().enumerate() { tr {
                            td.url { (n.label) }
                            td.url { @if let Some(e) = g.edges.iter().find(|e| e.to == i) { (g.nodes[e.from].label) } @else { "–" } }
                            td { (svg::kind_word(n.kind)) }
                        } } } }
                }
            } @else {
                p.muted { "Drawn for crawls of at most " (super::PAGE_GRAPH_MAX) " URLs; this one has " (fmt::count(r.records)) "." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_labels_and_positions() {
        let bins = vec![(1.0, 3), (2.0, 4), (5.0, 0), (10.0, 1)];
        assert_eq!(bin_label(0, &bins), "< 1 ms");
        assert_eq!(bin_label(1, &bins), "1–2 ms");
        assert_eq!(bin_label(2, &bins), "2–5 ms");
        assert_eq!(bin_label(3, &bins), "5–10 ms");
        assert_eq!(bin_position(1.0, &bins), 1.0);
        assert!((bin_position(2f64.sqrt(), &bins) - 1.5).abs() < 1e-9);
        assert_eq!(
            bin_position(500.0, &bins),
            4.0,
            "past the last bound: its end"
        );
        let secs = vec![(500.0, 1), (1000.0, 1), (2000.0, 1)];
        assert_eq!(bin_label(1, &secs), "500 ms–1 s");
        assert_eq!(bin_label(2, &secs), "1–2 s");
        assert_eq!(bin_label(0, &[(0.002, 1)]), "< 0.002 ms");
    }
}
