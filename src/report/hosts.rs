//! Per-host figures and the host link graph, in bounded memory.
//!
//! Hosts are interned once (crawled hosts and hosts that links point to alike), up to
//! [`MAX_HOSTS`]; the rest share one "(other hosts)" entry. Edges between hosts are
//! counted up to [`MAX_EDGES`] distinct pairs; links beyond that are counted as such.

use std::collections::HashMap;

use super::hist::LogHistogram;

/// Most distinct hosts tracked one by one.
pub const MAX_HOSTS: usize = 50_000;
/// Most distinct host-to-host edges tracked.
pub const MAX_EDGES: usize = 200_000;
/// The name of the entry that stands for every host past [`MAX_HOSTS`].
pub const OTHER_HOSTS: &str = "(other hosts)";

/// What the records of one host add up to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostStats {
    /// Records (requests ended) for URLs on the host.
    pub requests: u64,
    /// Pages fetched.
    pub pages: u64,
    /// Requests that failed.
    pub failures: u64,
    /// URLs robots.txt forbade (robots rules met).
    pub robots: u64,
    /// Other skips (not HTML, duplicates, budgets).
    pub skipped: u64,
    /// Body bytes read.
    pub bytes: u64,
    /// Links found on its pages.
    pub links_out: u64,
    /// Links found on other hosts' pages that point to it.
    pub links_in: u64,
    /// Response times of its requests.
    pub times: LogHistogram,
    /// Its robots.txt `Crawl-delay`, the largest seen.
    pub crawl_delay_ms: Option<u64>,
}

/// Every host seen, and the links between them.
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
    stats: Vec<HostStats>,
    /// `(from, to) -> links`, from ≠ to.
    edges: HashMap<(u32, u32), u64>,
    /// Links to another host not kept as an edge (past [`MAX_EDGES`]).
    pub untracked_links: u64,
    other: Option<u32>,
}

impl Hosts {
    /// The id of `host`, interning it (or the shared overflow entry when full).
    pub fn id(&mut self, host: &str) -> u32 {
        if let Some(&id) = self.ids.get(host) {
            return id;
        }
        if self.names.len() >= MAX_HOSTS {
            return self.other_id();
        }
        self.push(host)
    }

    fn push(&mut self, host: &str) -> u32 {
        let id = self.names.len() as u32;
        self.names.push(host.into());
        self.stats.push(HostStats::default());
        self.ids.insert(host.into(), id);
        id
    }

    fn other_id(&mut self) -> u32 {
        match self.other {
            Some(id) => id,
            None => {
                let id = self.push(OTHER_HOSTS);
                self.other = Some(id);
                id
            }
        }
    }

    /// The figures of host `id`, to update.
    pub fn stats_mut(&mut self, id: u32) -> &mut HostStats {
        &mut self.stats[id as usize]
    }

    /// Counts `links` from `from` to `to` (same-host links count only as `links_out`).
    pub fn link(&mut self, from: u32, to: u32, links: u64) {
        self.stats[from as usize].links_out += links;
        if from == to {
            return;
        }
        self.stats[to as usize].links_in += links;
        if let Some(n) = self.edges.get_mut(&(from, to)) {
            *n += links;
        } else if self.edges.len() < MAX_EDGES {
            self.edges.insert((from, to), links);
        } else {
            self.untracked_links += links;
        }
    }

    /// Hosts tracked (the overflow entry included).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no host was seen.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Every host with its figures, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &HostStats)> {
        self.names.iter().map(|n| &**n).zip(self.stats.iter())
    }

    /// Every edge `(from, to, links)`.
    pub fn edges(&self) -> impl Iterator<Item = (u32, u32, u64)> + '_ {
        self.edges.iter().map(|(&(a, b), &n)| (a, b, n))
    }

    /// The name of host `id`.
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_counts_links() {
        let mut h = Hosts::default();
        let a = h.id("a.test");
        let b = h.id("b.test");
        assert_eq!(h.id("a.test"), a);
        h.link(a, b, 3);
        h.link(a, b, 2);
        h.link(a, a, 10);
        h.link(b, a, 1);
        assert_eq!(h.stats_mut(a).links_out, 15);
        assert_eq!(h.stats_mut(b).links_in, 5);
        let mut edges: Vec<_> = h.edges().collect();
        edges.sort();
        assert_eq!(edges, vec![(a, b, 5), (b, a, 1)]);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn overflow_shares_one_entry() {
        let mut h = Hosts::default();
        for i in 0..MAX_HOSTS {
            h.id(&format!("h{i}.test"));
        }
        let x = h.id("late-1.test");
        let y = h.id("late-2.test");
        assert_eq!(x, y);
        assert_eq!(h.name(x), OTHER_HOSTS);
        assert_eq!(h.len(), MAX_HOSTS + 1);
        assert_eq!(h.id("h7.test"), 7);
    }
}
