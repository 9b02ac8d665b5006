//! The charts: bar tables, column charts and graph drawings, as markup.
//!
//! Every chart carries its own text equivalent: bar charts are tables whose bars are
//! decoration; column charts and graphs are `role="img"` SVGs with a title and a
//! description, and the page puts a table of the same numbers beside each. Colours
//! come from the page's CSS classes (light and dark), and shapes or text always say
//! the same thing as the colour.

use maud::{Markup, html};

use super::fmt;
use super::model::{Bar, Graph, NodeKind};

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v` (1 for nothing to show).
pub fn nice_max(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let mut decade = 10f64.powi(v.log10().floor() as i32);
    // Guard against log10 rounding just under a power of ten.
    if decade * 10.0 <= v {
        decade *= 10.0;
    }
    for step in [1.0, 2.0, 5.0, 10.0] {
        if decade * step >= v * (1.0 - 1e-12) {
            return decade * step;
        }
    }
    decade * 10.0
}

/// A horizontal bar chart as a table: label, count (a `<data>` element named by the
/// bar's figure), share of the total, and a bar as long as the count relative to the
/// largest.
pub fn bar_table(caption: &str, what: &str, bars: &[Bar]) -> Markup {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let total: u64 = bars.iter().map(|b| b.value).sum();
    html! {
        table.bars {
            caption { (caption) }
            thead { tr { th scope="col" { (what) } th.num scope="col" { "count" } th.num scope="col" { "share" } th.barcell scope="col" { span.sr { "bar" } } } }
            tbody {
                @for b in bars {
                    tr {
                        th scope="row" { (b.label) }
                        td.num { (figure(b.figure.as_deref(), b.value)) }
                        td.num { (share(b.value, total)) }
                        td.barcell aria-hidden="true" {
                            span.bar style={ "width:" (width_pct(b.value, max)) "%" } {}
                        }
                    }
                }
                @if bars.is_empty() {
                    tr { td colspan="4" { "none" } }
                }
            }
        }
    }
}

/// A count as `<data value=N data-figure=NAME>1,234</data>` (no name: plain data).
pub fn figure(name: Option<&str>, value: u64) -> Markup {
    html! {
        @if let Some(name) = name {
            data value=(value) data-figure=(name) { (fmt::count(value)) }
        } @else {
            data value=(value) { (fmt::count(value)) }
        }
    }
}

/// `value / total` as a percentage with one decimal (`–` for an empty total).
pub fn share(value: u64, total: u64) -> String {
    if total == 0 {
        "–".to_owned()
    } else {
        format!("{:.1}%", value as f64 * 100.0 / total as f64)
    }
}

/// The bar length in percent of the widest (at least 0.5% so a non-zero count shows).
pub fn width_pct(value: u64, max: u64) -> String {
    if max == 0 || value == 0 {
        return "0".to_owned();
    }
    let pct = (value as f64 * 100.0 / max as f64).max(0.5);
    fmt::trim(pct)
}

/// One column of a [`column_chart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The x-axis label (drawn when there is room; empty for none).
    pub label: String,
    /// The height.
    pub value: f64,
    /// What the column says in words (its tooltip).
    pub title: String,
}

/// Geometry of a column chart: the plot box inside the SVG.
const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 40.0;

/// Column rectangles `(x, y, width, height)` for `values` in the plot box, scaled to
/// `max`: every column inside the box, a zero column of height 0.
pub fn columns(values: &[f64], max: f64) -> Vec<(f64, f64, f64, f64)> {
    let n = values.len().max(1) as f64;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let step = plot_w / n;
    let gap = (step * 0.15).min(4.0);
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let h = if max > 0.0 && v.is_finite() {
                (v.max(0.0) / max).min(1.0) * plot_h
            } else {
                0.0
            };
            (
                LEFT + i as f64 * step + gap / 2.0,
                TOP + plot_h - h,
                step - gap,
                h,
            )
        })
        .collect()
}

/// A column chart: `title` and `desc` name it for assistive technology; `unit`
/// follows the y-axis numbers; `ticks` label the x axis at fractional column
/// positions (0: the left edge of the first column; labels too close to the previous
/// one are left out); `marks` are labelled vertical lines (percentiles).
pub fn column_chart(
    title: &str,
    desc: &str,
    unit: &str,
    cols: &[Column],
    ticks: &[(f64, String)],
    marks: &[(f64, String)],
) -> Markup {
    let max = nice_max(cols.iter().map(|c| c.value).fold(0.0, f64::max));
    let rects = columns(&cols.iter().map(|c| c.value).collect::<Vec<_>>(), max);
    let plot_h = H - TOP - BOTTOM;
    let step = (W - LEFT - RIGHT) / cols.len().max(1) as f64;
    let ticks = spaced(
        ticks.iter().map(|(at, l)| (LEFT + at * step, l.as_str())),
        52.0,
    );
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(title) {
            title { (title) }
            desc { (desc) }
            @for i in 0..=2 {
                @let v = max * f64::from(i) / 2.0;
                @let y = TOP + plot_h - plot_h * f64::from(i) / 2.0;
                line.grid x1=(LEFT) x2=(W - RIGHT) y1=(r1(y)) y2=(r1(y)) {}
                text.axis x=(LEFT - 6.0) y=(r1(y + 4.0)) text-anchor="end" { (axis_number(v)) (unit) }
            }
            @for (c, &(x, y, w, h)) in cols.iter().zip(&rects) {
                rect.col x=(r1(x)) y=(r1(y)) width=(r1(w)) height=(r1(h)) { title { (c.title) } }
            }
            @for (x, label) in ticks {
                line.tick x1=(r1(x)) x2=(r1(x)) y1=(TOP + plot_h) y2=(TOP + plot_h + 4.0) {}
                text.axis x=(r1(x)) y=(H - BOTTOM + 16.0) text-anchor="middle" { (label) }
            }
            @for (at, label) in marks {
                @let x = r1(LEFT + at * step);
                line.mark x1=(x) x2=(x) y1=(TOP) y2=(TOP + plot_h) {}
                text.marklabel x=(x) y=(H - 6.0) text-anchor="middle" { (label) }
            }
        }
    }
}

/// The ticks at least `gap` apart, in order (the first always kept).
pub fn spaced<'a>(ticks: impl Iterator<Item = (f64, &'a str)>, gap: f64) -> Vec<(f64, &'a str)> {
    let mut out: Vec<(f64, &str)> = Vec::new();
    for (x, label) in ticks {
        if out.last().is_none_or(|&(last, _)| x - last >= gap) {
            out.push((x, label));
        }
    }
    out
}

/// An axis number: `0`, `250`, `1.5k`, `2M`.
pub fn axis_number(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", fmt::trim(v / 1e6))
    } else if v >= 1e4 {
        format!("{}k", fmt::trim(v / 1e3))
    } else if v >= 1.0 || v == 0.0 {
        fmt::trim(v)
    } else {
        format!("{v:.2}")
    }
}

fn r1(v: f64) -> String {
    fmt::trim(v)
}

/// The stroke width of an edge of `links` out of a heaviest `max`: 1 to 6 units, on
/// a log scale.
pub fn edge_width(links: u64, max: u64) -> f64 {
    if max <= 1 {
        return 1.0;
    }
    1.0 + 5.0 * ((links.max(1) as f64).ln() / (max as f64).ln()).clamp(0.0, 1.0)
}

/// A laid-out graph as SVG: edges (with arrowheads when `arrows`), then nodes drawn by
/// kind (filled: fetched; crossed: failed; hollow: nothing fetched), each with a
/// tooltip; labels beside nodes when `labels`.
pub fn graph(g: &Graph, id: &str, title: &str, desc: &str, arrows: bool, labels: bool) -> Markup {
    let max = g.edges.iter().map(|e| e.links).max().unwrap_or(1);
    let marker = format!("url(#{id}-arrow)");
    html! {
        svg.graph viewBox={ "0 0 " (g.width) " " (g.height) } role="img" aria-label=(title) {
            title { (title) }
            desc { (desc) }
            @if arrows {
                defs {
                    marker id={ (id) "-arrow" } viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse" {
                        path.arrow d="M0,0 L10,5 L0,10 z" {}
                    }
                }
            }
            @for e in &g.edges {
                @if let (Some(a), Some(b)) = (g.nodes.get(e.from), g.nodes.get(e.to)) {
                    @let (x1, y1, x2, y2) = trim_to_discs((a.x, a.y, a.r), (b.x, b.y, b.r));
                    line.edge x1=(r1(x1)) y1=(r1(y1)) x2=(r1(x2)) y2=(r1(y2))
                        stroke-width=(fmt::trim(edge_width(e.links, max)))
                        marker-end=[arrows.then_some(marker.as_str())] {
                        title { (a.label) " → " (b.label) ": " (fmt::count(e.links)) " links" }
                    }
                }
            }
            @for n in &g.nodes {
                g class=(node_class(n.kind)) {
                    title { (n.label) " — " (kind_word(n.kind)) @if labels { ", " (fmt::count(n.pages)) " pages" } }
                    circle cx=(r1(n.x)) cy=(r1(n.y)) r=(r1(n.r)) {}
                    @if n.kind == NodeKind::Failed {
                        @let d = n.r * 0.6;
                        path.cross d={ "M" (r1(n.x - d)) "," (r1(n.y - d)) "L" (r1(n.x + d)) "," (r1(n.y + d)) "M" (r1(n.x - d)) "," (r1(n.y + d)) "L" (r1(n.x + d)) "," (r1(n.y - d)) } {}
                    }
                }
                @if labels {
                    text.nodelabel x=(r1(n.x)) y=(r1(n.y + n.r + 13.0)) text-anchor="middle" { (n.label) }
                }
            }
        }
    }
}

/// The line between two discs, cut at their rims so arrowheads stay visible.
fn trim_to_discs(a: (f64, f64, f64), b: (f64, f64, f64)) -> (f64, f64, f64, f64) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let d = (dx * dx + dy * dy).sqrt();
    if d <= a.2 + b.2 || d == 0.0 {
        return (a.0, a.1, b.0, b.1);
    }
    let (ux, uy) = (dx / d, dy / d);
    (
        a.0 + ux * a.2,
        a.1 + uy * a.2,
        b.0 - ux * b.2,
        b.1 - uy * b.2,
    )
}

fn node_class(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Fetched => "node fetched",
        NodeKind::Failed => "node failed",
        NodeKind::Skipped => "node skipped",
    }
}

/// What a node's kind means, in words.
pub fn kind_word(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Fetched => "fetched",
        NodeKind::Failed => "failed",
        NodeKind::Skipped => "not fetched",
    }
}

/// The legend of [`graph`]'s node shapes.
pub fn legend() -> Markup {
    let item = |kind: NodeKind, text: &str| {
        html! {
            li {
                svg.key viewBox="0 0 16 16" aria-hidden="true" {
                    g class=(node_class(kind)) {
                        circle cx="8" cy="8" r="6" {}
                        @if kind == NodeKind::Failed { path.cross d="M4.4,4.4L11.6,11.6M4.4,11.6L11.6,4.4" {} }
                    }
                }
                " " (text)
            }
        }
    };
    html! {
        ul.legend {
            (item(NodeKind::Fetched, "filled: pages fetched"))
            (item(NodeKind::Failed, "crossed: failed"))
            (item(NodeKind::Skipped, "hollow: nothing fetched (skipped, or only linked to)"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Edge, Node};

    #[test]
    fn nice_max_rounds_up_to_1_2_5() {
        for (v, want) in [
            (0.0, 1.0),
            (1.0, 1.0),
            (1.2, 2.0),
            (3.0, 5.0),
            (7.0, 10.0),
            (10.0, 10.0),
            (1000.0, 1000.0),
            (1001.0, 2000.0),
            (0.03, 0.05),
            (f64::NAN, 1.0),
        ] {
            assert_eq!(nice_max(v), want, "{v}");
        }
    }

    #[test]
    fn columns_fit_the_plot_box() {
        let values = [0.0, 5.0, 10.0, 20.0, f64::NAN, -3.0];
        let rects = columns(&values, 10.0);
        assert_eq!(rects.len(), 6);
        for &(x, y, w, h) in &rects {
            assert!(x >= LEFT && x + w <= W - RIGHT + 1e-9, "x {x} w {w}");
            assert!(y >= TOP - 1e-9 && y + h <= H - BOTTOM + 1e-9, "y {y} h {h}");
            assert!(w > 0.0 && h >= 0.0);
        }
        assert_eq!(rects[0].3, 0.0);
        assert_eq!(rects[2].3, H - TOP - BOTTOM, "at the max: full height");
        assert_eq!(rects[3].3, rects[2].3, "over the max: clipped");
        assert_eq!(rects[1].3 * 2.0, rects[2].3);
        assert_eq!(rects[4].3, 0.0);
        assert_eq!(rects[5].3, 0.0);
        assert!(
            rects.windows(2).all(|p| p[0].0 + p[0].2 <= p[1].0),
            "no overlap"
        );
    }

    #[test]
    fn bar_table_names_its_figures_and_scales_bars() {
        let bars = vec![
            Bar {
                label: "404".into(),
                value: 3,
                figure: Some("status.404".into()),
            },
            Bar {
                label: "200".into(),
                value: 12,
                figure: Some("status.200".into()),
            },
        ];
        let html = bar_table("Statuses", "status", &bars).into_string();
        assert!(
            html.contains(r#"<data value="3" data-figure="status.404">3</data>"#),
            "{html}"
        );
        assert!(html.contains("width:25%"), "{html}");
        assert!(html.contains("width:100%"), "{html}");
        assert!(html.contains("80.0%"), "share of 12 in 15: {html}");
        assert!(bar_table("x", "y", &[]).into_string().contains("none"));
    }

    #[test]
    fn ticks_keep_their_distance() {
        let ticks = [
            (0.0, "a"),
            (10.0, "b"),
            (60.0, "c"),
            (100.0, "d"),
            (200.0, "e"),
        ];
        let kept: Vec<&str> = spaced(ticks.into_iter(), 52.0)
            .into_iter()
            .map(|t| t.1)
            .collect();
        assert_eq!(kept, vec!["a", "c", "e"]);
    }

    #[test]
    fn widths_and_shares() {
        assert_eq!(width_pct(0, 10), "0");
        assert_eq!(width_pct(1, 100_000), "0.5");
        assert_eq!(width_pct(5, 10), "50");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(1, 0), "–");
        assert_eq!(axis_number(15_000.0), "15k");
        assert_eq!(axis_number(2_500_000.0), "2.5M");
        assert_eq!(axis_number(0.5), "0.50");
        assert_eq!(edge_width(1, 1), 1.0);
        assert_eq!(edge_width(1000, 1000), 6.0);
        assert!(edge_width(10, 1000) > 1.0 && edge_width(10, 1000) < 6.0);
    }

    #[test]
    fn graph_draws_every_node_and_escapes_labels() {
        let node = |label: &str, x, kind| Node {
            label: label.into(),
            x,
            y: 50.0,
            r: 10.0,
            pages: 2,
            kind,
        };
        let g = Graph {
            width: 200.0,
            height: 100.0,
            nodes: vec![
                node("a<b>.test", 30.0, NodeKind::Fetched),
                node("c.test", 170.0, NodeKind::Failed),
            ],
            edges: vec![
                Edge {
                    from: 0,
                    to: 1,
                    links: 7,
                },
                Edge {
                    from: 0,
                    to: 9,
                    links: 1,
                },
            ],
            hidden_nodes: 0,
            hidden_links: 0,
        };
        let svg = graph(&g, "hg", "Hosts", "two hosts", true, true).into_string();
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(
            svg.matches("<line class=\"edge\"").count(),
            1,
            "the edge to a missing node is skipped"
        );
        assert!(svg.contains("a&lt;b&gt;.test"), "{svg}");
        assert!(
            svg.contains(r#"x1="40""#),
            "the edge starts at the rim: {svg}"
        );
        assert!(svg.contains("marker-end=\"url(#hg-arrow)\""));
        assert!(svg.contains("class=\"cross\""), "failed nodes are crossed");
    }
}
