//! The in-memory frontier: per-host FIFO queues, a heap of hosts by the time they may
//! go next, and a seen-set of 128-bit fingerprints.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::{Done, Frontier, Kind, Pop, Request, fingerprint};
use crate::error::Error;

/// Politeness rules the in-memory frontier enforces.
#[derive(Debug, Clone, Copy)]
pub struct HostPolicy {
    /// Requests in flight at once to one host.
    pub max_in_flight: usize,
    /// Minimum gap between the starts of two requests to one host.
    pub min_gap: Duration,
    /// Let only one request go to a new host until the first one completes (and reports
    /// what it learned from robots.txt, such as `Crawl-delay`).
    pub probe_first: bool,
}

impl Default for HostPolicy {
    fn default() -> Self {
        HostPolicy {
            max_in_flight: crate::config::DEFAULT_HOST_CONCURRENCY,
            min_gap: crate::config::DEFAULT_HOST_DELAY,
            probe_first: true,
        }
    }
}

/// The default [`Frontier`]: everything in one process's memory.
#[derive(Debug, Default)]
pub struct MemoryFrontier {
    policy: HostPolicy,
    inner: Mutex<Inner>,
}

/// The seen-set's values are already hashes: use them as they are.
#[derive(Default)]
struct IdentityHasher(u64);

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
}

type SeenSet = HashSet<u128, BuildHasherDefault<IdentityHasher>>;

#[derive(Debug, Default)]
struct Inner {
    seen: SeenSet,
    hosts: HashMap<Box<str>, Host>,
    /// Hosts with queued work and a free slot, by when they may go.
    ready: BinaryHeap<Reverse<(Instant, u64, Box<str>)>>,
    /// Requests waiting to be retried, by when.
    delayed: BinaryHeap<Reverse<Delayed>>,
    seq: u64,
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
    depth: u32,
    attempt: u32,
    kind: Kind,
}

impl From<Request> for Queued {
    fn from(r: Request) -> Self {
        Queued {
            url: String::from(r.url).into_boxed_str(),
            root: r.root,
            depth: r.depth,
            attempt: r.attempt,
            kind: r.kind,
        }
    }
}

impl Queued {
    fn into_request(self) -> Option<Request> {
        // A URL's serialization parses back to the same URL.
        let url = Url::parse(&self.url).ok()?;
        Some(Request {
            url,
            depth: self.depth,
            root: self.root,
            attempt: self.attempt,
            kind: self.kind,
        })
    }
}

#[derive(Debug)]
struct Delayed {
    at: Instant,
    seq: u64,
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

impl MemoryFrontier {
    /// An empty frontier enforcing `policy`.
    pub fn new(policy: HostPolicy) -> Self {
        MemoryFrontier {
            policy,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data: every update below is
        // completed before anything that can panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a request unless seen (synchronous form of [`Frontier::push`]).
    pub fn push_now(&self, request: Request) -> bool {
        let mut inner = self.lock();
        if !inner.seen.insert(fingerprint(&request.url)) {
            return false;
        }
        inner.enqueue(request, false, &self.policy, Instant::now());
        true
    }

    /// Synchronous form of [`Frontier::pop`].
    pub fn pop_now(&self) -> Pop {
        self.lock().pop(&self.policy, Instant::now())
    }

    /// Synchronous form of [`Frontier::complete`].
    pub fn complete_now(&self, done: Done) {
        self.lock().complete(done, &self.policy, Instant::now());
    }

    /// Synchronous form of [`Frontier::mark_seen`].
    pub fn mark_seen_now(&self, url: &Url) -> bool {
        self.lock().seen.insert(fingerprint(url))
    }

    /// URLs in the seen-set.
    pub fn seen_len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Bytes the seen-set's table takes: 16-byte fingerprints plus a control byte
    /// per slot.
    pub fn seen_bytes(&self) -> usize {
        self.lock().seen.capacity() * (std::mem::size_of::<u128>() + 1)
    }

    /// Requests waiting, retries included.
    pub fn queued_now(&self) -> u64 {
        self.lock().queued
    }
}

impl Inner {
    fn host_mut(&mut self, key: &str, policy: &HostPolicy, now: Instant) -> &mut Host {
        if !self.hosts.contains_key(key) {
            let host = Host {
                queue: VecDeque::new(),
                in_flight: 0,
                next_start: now,
                hold_until: now,
                gap: policy.min_gap,
                known: !policy.probe_first,
                scheduled: false,
            };
            self.hosts.insert(key.into(), host);
        }
        self.hosts
            .get_mut(key)
            .expect("the host entry was inserted above")
    }

    /// Queues a request at the back of its host's queue, or at the front (a retry:
    /// older work goes first).
    fn enqueue(&mut self, request: Request, front: bool, policy: &HostPolicy, now: Instant) {
        let key: Box<str> = request.host().into();
        let queue = &mut self.host_mut(&key, policy, now).queue;
        if front {
            queue.push_front(request.into());
        } else {
            queue.push_back(request.into());
        }
        self.queued += 1;
        self.schedule(key, policy);
    }

    /// Puts the host in the ready heap if it has work and a free slot.
    fn schedule(&mut self, key: Box<str>, policy: &HostPolicy) {
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

    fn pop(&mut self, policy: &HostPolicy, now: Instant) -> Pop {
        while self.delayed.peek().is_some_and(|d| d.0.at <= now) {
            if let Some(Reverse(d)) = self.delayed.pop() {
                self.queued -= 1;
                self.enqueue(d.request, true, policy, now);
            }
        }
        while let Some(Reverse((at, _, _))) = self.ready.peek() {
            if *at > now {
                // A retry may fall due before the first host is ready.
                let next = self.delayed.peek().map_or(*at, |d| d.0.at.min(*at));
                return Pop::NotYet(Some(next - now));
            }
            let Some(Reverse((_, _, key))) = self.ready.pop() else {
                break;
            };
            let Some(host) = self.hosts.get_mut(&key) else {
                continue;
            };
            host.scheduled = false;
            let go_at = host.next_start.max(host.hold_until);
            if go_at > now {
                // A hold arrived after the host was scheduled.
                self.schedule(key, policy);
                continue;
            }
            let Some(queued) = host.queue.pop_front() else {
                continue;
            };
            self.queued -= 1;
            let Some(request) = queued.into_request() else {
                tracing::error!("a queued URL no longer parses; dropped (this is a bug)");
                self.schedule(key, policy);
                continue;
            };
            host.in_flight += 1;
            host.next_start = now + host.gap;
            self.schedule(key, policy);
            return Pop::Ready(request);
        }
        if let Some(Reverse(d)) = self.delayed.peek() {
            Pop::NotYet(Some(d.at.saturating_duration_since(now)))
        } else if self.queued > 0 {
            Pop::NotYet(None)
        } else {
            Pop::Empty
        }
    }

    fn complete(&mut self, done: Done, policy: &HostPolicy, now: Instant) {
        let key: Box<str> = done.request.host().into();
        let host = self.host_mut(&key, policy, now);
        host.in_flight = host.in_flight.saturating_sub(1);
        host.known = true;
        if let Some(gap) = done.host_gap {
            host.gap = gap.max(policy.min_gap);
            host.next_start = host.next_start.max(now + host.gap);
        }
        if let Some(hold) = done.hold_host {
            host.hold_until = host.hold_until.max(now + hold);
        }
        let idle = host.queue.is_empty()
            && host.in_flight == 0
            && host.next_start <= now
            && host.hold_until <= now
            && host.gap == policy.min_gap;
        if let Some(delay) = done.retry_in {
            self.seq += 1;
            self.queued += 1;
            self.delayed.push(Reverse(Delayed {
                at: now + delay,
                seq: self.seq,
                request: done.request,
            }));
        } else if idle && !self.hosts.get(&key).is_some_and(|h| h.scheduled) {
            // Forget idle hosts so a list of millions of hosts does not pile up state.
            self.hosts.remove(&key);
            return;
        }
        self.schedule(key, policy);
    }
}

impl Frontier for MemoryFrontier {
    async fn push(&self, request: Request) -> Result<bool, Error> {
        Ok(self.push_now(request))
    }

    async fn pop(&self) -> Result<Pop, Error> {
        Ok(self.pop_now())
    }

    async fn complete(&self, done: Done) -> Result<(), Error> {
        self.complete_now(done);
        Ok(())
    }

    async fn mark_seen(&self, url: &Url) -> Result<bool, Error> {
        Ok(self.mark_seen_now(url))
    }

    async fn queued(&self) -> Result<u64, Error> {
        Ok(self.queued_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> Request {
        Request::seed(Url::parse(s).expect("test URL"))
    }

    fn ready(p: Pop) -> Request {
        match p {
            Pop::Ready(r) => r,
            other => panic!("expected a ready request, got {other:?}"),
        }
    }

    fn policy(max_in_flight: usize, gap_ms: u64, probe_first: bool) -> HostPolicy {
        HostPolicy {
            max_in_flight,
            min_gap: Duration::from_millis(gap_ms),
            probe_first,
        }
    }

    #[test]
    fn dedups_on_fingerprint() {
        let f = MemoryFrontier::new(policy(8, 0, false));
        assert!(f.push_now(req("http://a/x")));
        assert!(!f.push_now(req("http://a/x#frag")));
        assert!(f.push_now(req("http://a/x/")));
        assert!(!f.mark_seen_now(&Url::parse("http://a/x").expect("url")));
        assert!(f.mark_seen_now(&Url::parse("http://a/y").expect("url")));
        assert!(!f.push_now(req("http://a/y")));
        assert_eq!(f.queued_now(), 2);
    }

    #[test]
    fn host_limit_holds_and_other_hosts_are_not_blocked() {
        let f = MemoryFrontier::new(policy(2, 0, false));
        for i in 0..5 {
            f.push_now(req(&format!("http://a/{i}")));
        }
        f.push_now(req("http://b/0"));
        let mut got = Vec::new();
        while let Pop::Ready(r) = f.pop_now() {
            got.push(r.url.to_string());
        }
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got.iter().filter(|u| u.starts_with("http://a/")).count(), 2);
        assert!(got.contains(&"http://b/0".to_owned()));
        assert!(matches!(f.pop_now(), Pop::NotYet(None)));
        let first = Request::seed(Url::parse(&got[0]).expect("url"));
        f.complete_now(Done::finished(first));
        assert_eq!(ready(f.pop_now()).url.as_str(), "http://a/2");
    }

    #[test]
    fn new_host_gets_one_probe_first() {
        let f = MemoryFrontier::new(policy(8, 0, true));
        f.push_now(req("http://a/1"));
        f.push_now(req("http://a/2"));
        let first = ready(f.pop_now());
        assert!(matches!(f.pop_now(), Pop::NotYet(None)));
        f.complete_now(Done::finished(first));
        assert_eq!(ready(f.pop_now()).url.as_str(), "http://a/2");
    }

    #[tokio::test(start_paused = true)]
    async fn gap_and_hold_delay_the_host() {
        let f = MemoryFrontier::new(policy(8, 100, false));
        for i in 0..3 {
            f.push_now(req(&format!("http://a/{i}")));
        }
        let first = ready(f.pop_now());
        match f.pop_now() {
            Pop::NotYet(Some(d)) => assert_eq!(d, Duration::from_millis(100)),
            other => panic!("{other:?}"),
        }
        tokio::time::advance(Duration::from_millis(100)).await;
        let _second = ready(f.pop_now());
        let mut done = Done::finished(first);
        done.hold_host = Some(Duration::from_secs(5));
        f.complete_now(done);
        tokio::time::advance(Duration::from_millis(100)).await;
        match f.pop_now() {
            Pop::NotYet(Some(d)) => assert_eq!(d, Duration::from_millis(4900)),
            other => panic!("{other:?}"),
        }
        tokio::time::advance(Duration::from_millis(4900)).await;
        assert_eq!(ready(f.pop_now()).url.as_str(), "http://a/2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_due_first_is_not_kept_waiting_behind_a_held_host() {
        let f = MemoryFrontier::new(policy(8, 0, false));
        f.push_now(req("http://a/1"));
        f.push_now(req("http://a/2"));
        f.push_now(req("http://b/1"));
        let a1 = ready(f.pop_now());
        let b1 = ready(f.pop_now());
        let mut held = Done::finished(a1);
        held.hold_host = Some(Duration::from_secs(60));
        f.complete_now(held);
        let mut retry = Done::finished(b1);
        retry.retry_in = Some(Duration::from_millis(10));
        f.complete_now(retry);
        match f.pop_now() {
            Pop::NotYet(Some(d)) => assert_eq!(d, Duration::from_millis(10)),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn learned_gap_and_retry() {
        let f = MemoryFrontier::new(policy(8, 0, true));
        f.push_now(req("http://a/1"));
        f.push_now(req("http://a/2"));
        let first = ready(f.pop_now());
        let mut done = Done::finished(first);
        done.host_gap = Some(Duration::from_secs(2));
        done.retry_in = Some(Duration::from_secs(10));
        f.complete_now(done);
        assert_eq!(f.queued_now(), 2);
        assert!(matches!(f.pop_now(), Pop::NotYet(Some(_))));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(ready(f.pop_now()).url.as_str(), "http://a/2");
        tokio::time::advance(Duration::from_secs(8)).await;
        // The retry is due, but the host's gap still applies after the last start.
        tokio::time::advance(Duration::from_secs(1)).await;
        let retried = ready(f.pop_now());
        assert_eq!(retried.url.as_str(), "http://a/1");
        assert!(matches!(f.pop_now(), Pop::Empty));
    }
}
