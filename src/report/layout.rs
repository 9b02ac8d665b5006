//! Graph layouts, computed by the program so the report needs no script to draw them:
//! a force-directed layout for the host graph and a radial tree for the page graph.
//! Both are deterministic (no randomness: the same graph gives the same picture) and
//! keep every node inside the drawing.

/// A point in the drawing, in SVG user units.
pub type Point = (f64, f64);

/// The ideal distance between nodes, as a share of the side of a node's share of the
/// area.
const SPREAD: f64 = 0.75;
/// Pull to the centre, relative to a neighbour's push.
const GRAVITY: f64 = 0.08;

/// Fruchterman–Reingold with gravity: nodes repel, edges pull (more for heavier
/// edges, on a log scale), a weak pull to the centre keeps components together, and
/// every node stays `radius[i] + margin` inside the `width × height` box.
///
/// `edges` are `(from, to, weight)` with indices into `radius`; self-loops and
/// out-of-range indices are ignored. Nodes start on a spiral in the order given (put
/// the biggest first and they end near the middle).
pub fn force_layout(
    radius: &[f64],
    edges: &[(usize, usize, f64)],
    width: f64,
    height: f64,
    margin: f64,
) -> Vec<Point> {
    let n = radius.len();
    let (cx, cy) = (width / 2.0, height / 2.0);
    if n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![(cx, cy)];
    }
    // Golden-angle spiral: spread out, no two nodes on the same spot.
    let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
    let spread = width.min(height) / 2.0 - margin;
    let mut pos: Vec<Point> = (0..n)
        .map(|i| {
            let r = spread * ((i as f64 + 0.5) / n as f64).sqrt();
            let a = i as f64 * golden;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    let edges: Vec<(usize, usize, f64)> = edges
        .iter()
        .filter(|&&(a, b, _)| a != b && a < n && b < n)
        .map(|&(a, b, w)| (a, b, 1.0 + w.max(0.0).ln_1p()))
        .collect();
    let max_w = edges.iter().map(|e| e.2).fold(1.0, f64::max);
    let k = (width * height / n as f64).sqrt() * SPREAD;
    let iterations = 300;
    let mut disp = vec![(0.0, 0.0); n];
    for it in 0..iterations {
        let temp = (width.min(height) / 8.0) * (1.0 - it as f64 / iterations as f64) + 0.5;
        disp.iter_mut().for_each(|d| *d = (0.0, 0.0));
        for i in 0..n {
            for j in (i + 1)..n {
                let (dx, dy, d) = delta(pos[i], pos[j], i, j);
                // Keep the node discs apart, not just their centres.
                let d = (d - radius[i] - radius[j]).max(1.0);
                let f = k * k / d;
                disp[i].0 += dx / d * f;
                disp[i].1 += dy / d * f;
                disp[j].0 -= dx / d * f;
                disp[j].1 -= dy / d * f;
            }
        }
        for &(a, b, w) in &edges {
            let (dx, dy, d) = delta(pos[a], pos[b], a, b);
            let f = d * d / k * (w / max_w);
            disp[a].0 -= dx / d * f;
            disp[a].1 -= dy / d * f;
            disp[b].0 += dx / d * f;
            disp[b].1 += dy / d * f;
        }
        for i in 0..n {
            let (dx, dy) = (pos[i].0 - cx, pos[i].1 - cy);
            // Gravity: a node at the rim is pulled as hard as a node a `k` away pushes.
            disp[i].0 -= dx * GRAVITY * k / spread.max(1.0);
            disp[i].1 -= dy * GRAVITY * k / spread.max(1.0);
            let len = (disp[i].0 * disp[i].0 + disp[i].1 * disp[i].1).sqrt();
            if len > 0.0 && len.is_finite() {
                let step = len.min(temp);
                pos[i].0 += disp[i].0 / len * step;
                pos[i].1 += disp[i].1 / len * step;
            }
            pos[i] = clamp(pos[i], radius[i] + margin, width, height);
        }
    }
    pos
}

/// `a − b` and its length (never 0: coincident nodes are nudged apart by index).
fn delta(a: Point, b: Point, i: usize, j: usize) -> (f64, f64, f64) {
    let (mut dx, mut dy) = (a.0 - b.0, a.1 - b.1);
    let mut d = (dx * dx + dy * dy).sqrt();
    if d < 0.01 || !d.is_finite() {
        let angle = (i * 7 + j * 13) as f64;
        dx = angle.cos() * 0.01;
        dy = angle.sin() * 0.01;
        d = 0.01;
    }
    (dx, dy, d)
}

fn clamp(p: Point, inset: f64, width: f64, height: f64) -> Point {
    let fix = |v: f64, max: f64| {
        let (lo, hi) = (inset.min(max / 2.0), (max - inset).max(max / 2.0));
        if v.is_finite() {
            v.clamp(lo, hi)
        } else {
            max / 2.0
        }
    };
    (fix(p.0, width), fix(p.1, height))
}

/// A radial tree: roots (nodes whose parent is `None` or out of range; a cycle is
/// broken at one of its nodes) around the centre, or at it when there is one; each
/// subtree gets an angle in proportion to its leaves, each level its ring (an ellipse
/// filling the box). `parent[i]` is node `i`'s parent; children keep their index
/// order.
pub fn radial_tree(parent: &[Option<usize>], width: f64, height: f64, margin: f64) -> Vec<Point> {
    let n = parent.len();
    let (cx, cy) = (width / 2.0, height / 2.0);
    // A parent link is kept only if following parents from the node ends at a root:
    // links on a cycle are dropped, so nodes on it become roots.
    let mut parent: Vec<Option<usize>> = parent.iter().map(|p| p.filter(|&p| p < n)).collect();
    for i in 0..n {
        let (mut at, mut steps) = (i, 0);
        while let Some(p) = parent[at] {
            at = p;
            steps += 1;
            if steps > n {
                parent[i] = None;
                break;
            }
        }
    }
    let mut children = vec![Vec::new(); n];
    let mut roots = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    // Leaves under each node, children before parents (reverse BFS order).
    let mut order = roots.clone();
    let mut k = 0;
    while k < order.len() {
        order.extend(children[order[k]].iter().copied());
        k += 1;
    }
    let mut leaves = vec![1.0f64; n];
    let mut level = vec![0usize; n];
    for &i in &order {
        if let Some(p) = parent[i] {
            level[i] = level[p] + 1;
        }
    }
    for &i in order.iter().rev() {
        if !children[i].is_empty() {
            leaves[i] = children[i].iter().map(|&c| leaves[c]).sum();
        }
    }
    // One root sits at the centre; several sit on the first ring.
    let offset = usize::from(roots.len() > 1);
    let max_level = order.iter().map(|&i| level[i] + offset).max().unwrap_or(0);
    // The rings are ellipses that fill the box: a wide drawing uses its width.
    let (ring_x, ring_y) = if max_level == 0 {
        (0.0, 0.0)
    } else {
        (
            (width / 2.0 - margin).max(0.0) / max_level as f64,
            (height / 2.0 - margin).max(0.0) / max_level as f64,
        )
    };
    let mut pos = vec![(cx, cy); n];
    // (node, first angle, angle span)
    let total: f64 = roots.iter().map(|&r| leaves[r]).sum();
    let mut stack = Vec::new();
    let mut a = 0.0;
    for &r in &roots {
        let span = std::f64::consts::TAU * leaves[r] / total.max(1.0);
        stack.push((r, a, span));
        a += span;
    }
    while let Some((i, start, span)) = stack.pop() {
        let ring = (level[i] + offset) as f64;
        let mid = start + span / 2.0;
        pos[i] = (
            cx + ring * ring_x * mid.cos(),
            cy + ring * ring_y * mid.sin(),
        );
        let mut a = start;
        for &c in &children[i] {
            let s = span * leaves[c] / leaves[i];
            stack.push((c, a, s));
            a += s;
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(pos: &[Point], radius: &[f64], w: f64, h: f64, margin: f64) {
        for (i, &(x, y)) in pos.iter().enumerate() {
            assert!(x.is_finite() && y.is_finite(), "node {i} at {x},{y}");
            let r = radius.get(i).copied().unwrap_or(0.0) + margin;
            assert!(x >= r - 1e-9 && x <= w - r + 1e-9, "node {i} x {x}");
            assert!(y >= r - 1e-9 && y <= h - r + 1e-9, "node {i} y {y}");
        }
    }

    #[test]
    fn force_layout_stays_in_bounds_and_is_deterministic() {
        let radius: Vec<f64> = (0..30).map(|i| 4.0 + (i % 5) as f64 * 3.0).collect();
        let mut edges = Vec::new();
        for i in 0..29 {
            edges.push((i, i + 1, (i * 10) as f64));
            edges.push((0, i, 1.0));
        }
        edges.push((3, 3, 5.0)); // a self-loop: ignored
        edges.push((3, 99, 5.0)); // out of range: ignored
        let a = force_layout(&radius, &edges, 800.0, 500.0, 10.0);
        inside(&a, &radius, 800.0, 500.0, 10.0);
        assert_eq!(a, force_layout(&radius, &edges, 800.0, 500.0, 10.0));
        for i in 0..a.len() {
            for j in (i + 1)..a.len() {
                let d = ((a[i].0 - a[j].0).powi(2) + (a[i].1 - a[j].1).powi(2)).sqrt();
                assert!(d > 1.0, "nodes {i} and {j} on top of each other");
            }
        }
    }

    #[test]
    fn linked_nodes_end_closer_than_unlinked_ones() {
        // Two cliques of five, no link between them.
        let radius = vec![5.0; 10];
        let mut edges = Vec::new();
        for base in [0, 5] {
            for i in 0..5 {
                for j in (i + 1)..5 {
                    edges.push((base + i, base + j, 10.0));
                }
            }
        }
        let p = force_layout(&radius, &edges, 600.0, 400.0, 10.0);
        let d = |i: usize, j: usize| ((p[i].0 - p[j].0).powi(2) + (p[i].1 - p[j].1).powi(2)).sqrt();
        let within: f64 = (1..5).map(|j| d(0, j) + d(5, 5 + j)).sum::<f64>() / 8.0;
        let across: f64 = (5..10).map(|j| d(0, j)).sum::<f64>() / 5.0;
        assert!(within < across, "within {within}, across {across}");
    }

    #[test]
    fn force_layout_small_cases() {
        assert!(force_layout(&[], &[], 100.0, 100.0, 5.0).is_empty());
        assert_eq!(
            force_layout(&[3.0], &[], 100.0, 80.0, 5.0),
            vec![(50.0, 40.0)]
        );
        // Nodes larger than the box still get finite positions at its middle.
        let p = force_layout(&[80.0, 80.0], &[(0, 1, 1.0)], 100.0, 100.0, 5.0);
        assert!(p.iter().all(|&(x, y)| x == 50.0 && y == 50.0), "{p:?}");
    }

    #[test]
    fn radial_tree_places_children_outside_their_parents() {
        // 0 -> 1, 2; 1 -> 3, 4, 5; 2 -> 6
        let parent = [None, Some(0), Some(0), Some(1), Some(1), Some(1), Some(2)];
        let p = radial_tree(&parent, 600.0, 400.0, 20.0);
        inside(&p, &[], 600.0, 400.0, 20.0 - 1e-6);
        assert_eq!(p[0], (300.0, 200.0), "one root at the centre");
        // Distance from the centre, in rings of the ellipse that touches the margin.
        let r = |i: usize| ((p[i].0 - 300.0) / 280.0).hypot((p[i].1 - 200.0) / 180.0);
        for (child, parent) in [(1, 0), (2, 0), (3, 1), (4, 1), (5, 1), (6, 2)] {
            assert!(r(child) > r(parent) + 0.1, "{child} not outside {parent}");
        }
        assert!((r(3) - 1.0).abs() < 1e-9, "the last ring is at the margin");
        assert!(
            (r(1) - 0.5).abs() < 1e-9,
            "the first of two rings is half way"
        );
    }

    #[test]
    fn radial_tree_survives_cycles_and_many_roots() {
        let parent = [Some(1), Some(0), Some(7), None, None];
        let p = radial_tree(&parent, 300.0, 300.0, 10.0);
        assert_eq!(p.len(), 5);
        inside(&p, &[], 300.0, 300.0, 10.0 - 1e-6);
        let distinct: std::collections::BTreeSet<(i64, i64)> = p
            .iter()
            .map(|&(x, y)| ((x * 100.0) as i64, (y * 100.0) as i64))
            .collect();
        assert_eq!(distinct.len(), 5, "{p:?}");
        assert!(radial_tree(&[], 10.0, 10.0, 1.0).is_empty());
    }
}
