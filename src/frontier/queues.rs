//! Per-host queues and politeness, shared by the frontiers: per-host FIFO queues, a
//! heap of hosts by the time they may go next, a heap of retries by the time they are
//! due, and the leases handed out. What is admitted (the seen-set and the limits) is
//! the frontier's business; this part only orders and spaces what it is given.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::{HostNews, Kind, Lease, Policy, Pop, Request};
use crate::error::Error;

/// Values that are already hashes, used as they are.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64 ^ (n >> 64) as u64;
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type Hashed = BuildHasherDefault<IdentityHasher>;

#[derive(Debug, Default)]
pub(crate) struct Queues {
    hosts: HashMap<Box<str>, Host>,
    /// Hosts with queued work and a free slot, by when they may go.
    ready: BinaryHeap<Reverse<(Instant, u64, Box<str>)>>,
    /// Requests waiting to be retried, by when.
    delayed: BinaryHeap<Reverse<Delayed>>,
    /// Leases handed out and not ended, with the key of their request.
    leases: HashMap<u64, u64, Hashed>,
    seq: u64,
    /// Requests waiting: in host queues or in `delayed`.
    queued: u64,
}

#[derive(Debug)]
struct Host {
    queue: VecDeque<Queued>,
    in_flight: usize,
    next_start: Instant,
    hold_until: Instant,
    gap: Duration,
    known: bool,
    scheduled: bool,
}

/// A waiting request, kept small: the URL only as its serialization (a parsed `Url`
/// is four times the size), parsed again when it is handed out.
#[derive(Debug)]
struct Queued {
    url: Box<str>,
    root: Arc<str>,
    parent: Option<Arc<str>>,
    /// The frontier's key for the request (a store's row), given back at its end.
    key: u64,
    depth: u32,
    attempt: u32,
    kind: Kind,
}

impl Queued {
    fn new(r: Request, key: u64) -> Self {
        Queued {
            url: String::from(r.url).into_boxed_str(),
            root: r.root,
            parent: r.parent,
            key,
            depth: r.depth,
            attempt: r.attempt,
            kind: r.kind,
        }
    }

    fn into_request(self) -> Option<Request> {
        // A URL's serialization parses back to the same URL.
        let url = Url::parse(&self.url).ok()?;
        Some(Request {
            url,
            depth: self.depth,
            root: self.root,
            attempt: self.attempt,
            kind: self.kind,
            parent: self.parent,
        })
    }
}

#[derive(Debug)]
struct Delayed {
    at: Instant,
    seq: u64,
    key: u64,
    request: Request,
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Delayed {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// `now + d`, saturating far in the future instead of overflowing.
pub(crate) fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 86_400)))
        .unwrap_or(now)
}

fn not_held(id: u64) -> Error {
    Error::Frontier(format!("lease {id} is not held: ended twice, or never handed out").into())
}

impl Queues {
    /// Requests waiting, retries included.
    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// Leases handed out and not ended.
    pub fn in_flight(&self) -> usize {
        self.leases.len()
    }

    fn host_mut(&mut self, key: &str, policy: &Policy, now: Instant) -> &mut Host {
        self.hosts.entry(key.into()).or_insert_with(|| Host {
            queue: VecDeque::new(),
            in_flight: 0,
            next_start: now,
            hold_until: now,
            gap: policy.min_gap,
            known: !policy.probe_first,
            scheduled: false,
        })
    }

    /// Queues a request under `key` at the back of its host's queue, or at the front
    /// (a retry or a released lease: older work goes first).
    pub fn enqueue(
        &mut self,
        request: Request,
        key: u64,
        front: bool,
        policy: &Policy,
        now: Instant,
    ) {
        let host: Box<str> = request.host().into();
        let queue = &mut self.host_mut(&host, policy, now).queue;
        if front {
            queue.push_front(Queued::new(request, key));
        } else {
            queue.push_back(Queued::new(request, key));
        }
        self.queued += 1;
        self.schedule(host, policy);
    }

    /// Puts the host in the ready heap if it has work and a free slot.
    fn schedule(&mut self, key: Box<str>, policy: &Policy) {
        let Some(host) = self.hosts.get_mut(&key) else {
            return;
        };
        let limit = if host.known { policy.max_in_flight } else { 1 };
        if host.scheduled || host.queue.is_empty() || host.in_flight >= limit {
            return;
        }
        host.scheduled = true;
        let at = host.next_start.max(host.hold_until);
        self.seq += 1;
        self.ready.push(Reverse((at, self.seq, key)));
    }

    /// The next request whose host may go now, as a lease; `Drained` when nothing is
    /// queued, waiting or leased here.
    pub fn pop(&mut self, policy: &Policy, now: Instant) -> Result<Pop, Error> {
        while self.delayed.peek().is_some_and(|d| d.0.at <= now) {
            if let Some(Reverse(d)) = self.delayed.pop() {
                self.queued -= 1;
                self.enqueue(d.request, d.key, true, policy, now);
            }
        }
        while let Some(Reverse((at, _, _))) = self.ready.peek() {
            if *at > now {
                // A retry may fall due before the first host is ready.
                let next = self.delayed.peek().map_or(*at, |d| d.0.at.min(*at));
                return Ok(Pop::Wait(Some(next - now)));
            }
            let Some(Reverse((_, _, host_key))) = self.ready.pop() else {
                break;
            };
            let Some(host) = self.hosts.get_mut(&host_key) else {
                continue;
            };
            host.scheduled = false;
            let go_at = host.next_start.max(host.hold_until);
            if go_at > now {
                // A hold or a longer gap arrived after the host was scheduled.
                self.schedule(host_key, policy);
                continue;
            }
            let Some(queued) = host.queue.pop_front() else {
                continue;
            };
            self.queued -= 1;
            let key = queued.key;
            let Some(request) = queued.into_request() else {
                tracing::error!("a queued URL no longer parses; dropped (this is a bug)");
                self.schedule(host_key, policy);
                continue;
            };
            host.in_flight += 1;
            host.next_start = later(now, host.gap);
            self.schedule(host_key, policy);
            self.seq += 1;
            let id = self.seq;
            self.leases.insert(id, key);
            return Ok(Pop::Ready(Lease {
                id,
                request,
                expires: None,
            }));
        }
        if let Some(Reverse(d)) = self.delayed.peek() {
            Ok(Pop::Wait(Some(d.at.saturating_duration_since(now))))
        } else if !self.leases.is_empty() {
            Ok(Pop::Wait(None))
        } else if self.queued > 0 {
            Err(Error::Frontier(
                format!(
                    "{} requests are queued but none can be handed out and none is in flight (a bug)",
                    self.queued
                )
                .into(),
            ))
        } else {
            Ok(Pop::Drained)
        }
    }

    /// Ends the lease's hold on its host; returns its request's key.
    fn end_lease(&mut self, lease: &Lease, policy: &Policy, now: Instant) -> Result<u64, Error> {
        let Some(key) = self.leases.remove(&lease.id) else {
            return Err(not_held(lease.id));
        };
        let host = self.host_mut(lease.request.host(), policy, now);
        host.in_flight = host.in_flight.saturating_sub(1);
        Ok(key)
    }

    /// Gives a lease back: its request goes to the front of its queue. Returns its key.
    pub fn release(&mut self, lease: Lease, policy: &Policy, now: Instant) -> Result<u64, Error> {
        let key = self.end_lease(&lease, policy, now)?;
        self.enqueue(lease.request, key, true, policy, now);
        Ok(key)
    }

    /// Applies what was learned about a host.
    pub fn learn(&mut self, news: &HostNews, policy: &Policy, now: Instant) {
        let host = self.host_mut(&news.host, policy, now);
        if let Some(gap) = news.gap {
            host.gap = gap.max(policy.min_gap);
            host.next_start = host.next_start.max(later(now, host.gap));
        }
        if let Some(hold) = news.hold {
            host.hold_until = host.hold_until.max(later(now, hold));
        }
        let key: Box<str> = news.host.as_str().into();
        self.schedule(key, policy);
    }

    /// Ends a lease that was worked on: frees its host slot, marks the host known and
    /// applies `hosts`. Returns the request's key; `finish` must follow, after the
    /// page's links are queued.
    pub fn end(
        &mut self,
        lease: &Lease,
        hosts: &[HostNews],
        policy: &Policy,
        now: Instant,
    ) -> Result<u64, Error> {
        let key = self.end_lease(lease, policy, now)?;
        self.host_mut(lease.request.host(), policy, now).known = true;
        for news in hosts {
            self.learn(news, policy, now);
        }
        Ok(key)
    }

    /// The second half of ending a lease: queues the request again after `retry_in`
    /// (one attempt further), or forgets its host if nothing is left of it.
    pub fn finish(
        &mut self,
        request: Request,
        key: u64,
        retry_in: Option<Duration>,
        policy: &Policy,
        now: Instant,
    ) {
        let host: Box<str> = request.host().into();
        if let Some(delay) = retry_in {
            let mut request = request;
            request.attempt += 1;
            self.seq += 1;
            self.queued += 1;
            self.delayed.push(Reverse(Delayed {
                at: later(now, delay),
                seq: self.seq,
                key,
                request,
            }));
        } else {
            self.forget_if_idle(&host, policy, now);
        }
        self.schedule(host, policy);
    }

    /// Forgets a host with nothing queued, nothing in flight and nothing learned, so a
    /// list of millions of hosts does not pile up state.
    fn forget_if_idle(&mut self, key: &str, policy: &Policy, now: Instant) {
        let idle = self.hosts.get(key).is_some_and(|h| {
            h.queue.is_empty()
                && h.in_flight == 0
                && !h.scheduled
                && h.next_start <= now
                && h.hold_until <= now
                && h.gap == policy.min_gap
        });
        if idle {
            self.hosts.remove(key);
        }
    }

    /// Forces the stuck state `pop` must report (for tests).
    #[cfg(test)]
    pub fn jam(&mut self, host: &str) {
        self.ready.clear();
        if let Some(h) = self.hosts.get_mut(host) {
            h.scheduled = true;
        }
    }
}
