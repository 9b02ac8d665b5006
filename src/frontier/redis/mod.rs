//! The shared frontier (`--frontier redis://…`): one crawl across many workers and
//! machines, its state in Redis or Valkey (one server or a Cluster).
//!
//! Every worker started with the same crawl id shares the crawl: the seen-set, the
//! per-host queues, the schedule of hosts (so `--host-concurrency`, `--host-delay`,
//! `Crawl-delay` and `Retry-After` hold for all workers together), the leases of
//! work in flight, retries, redirect claims, once-per-crawl markers, the per-host
//! budgets and `--max-pages` all live in Redis. Each step that must be atomic is one
//! Lua script run on one shard (see below), and a page costs under two round trips:
//! one to lease it, and one per shard to complete all the leases the crawl's writer
//! ended together, their new links queued in the same step.
//!
//! ```no_run
//! use crawl::frontier::RedisFrontier;
//! use crawl::{CancellationToken, Config, Crawler, MemorySink, Seeds};
//!
//! # async fn run() -> Result<(), crawl::Error> {
//! let crawler = Crawler::new(Config::builder().depth(3).build()?)?;
//! // Every worker, on any machine, connects to the same crawl id with the same settings.
//! let frontier = RedisFrontier::connect(
//!     "redis://127.0.0.1:6379/0",
//!     "site",
//!     crawler.policy(),
//!     &crawler.shared_settings(),
//!     crawler.lease_ttl(),
//! )
//! .await?;
//! let seeds = Seeds::from_urls([crawl::Url::parse("https://example.com/").expect("a URL")]);
//! let summary = crawler.run(seeds, frontier, MemorySink::new(), CancellationToken::new()).await?;
//! println!("this worker: {summary}");
//! # Ok(())
//! # }
//! ```
//!
//! A worker that dies loses nothing: its leases expire ([`RedisFrontier::connect`]'s
//! `lease_ttl`, renewed by a live worker while it fetches) and go back to the front
//! of their hosts' queues for any worker to take. Time is the server's (`TIME`), so
//! workers' clocks need not agree.
//!
//! # Key layout
//!
//! A crawl `ID` is split into shards by host (`xxh3(host) % shards`; one shard on a
//! single server, 16 on a Cluster). Every key of shard `S` carries the hash tag
//! `{ID/S}`, so each script touches one Cluster slot, and a crawl's shards spread over
//! the Cluster's nodes:
//!
//! | key | type | holds |
//! |-----|------|-------|
//! | `crawl:{ID}:meta` | hash | `settings` (JSON) and `shards`, fixed by the first worker; `pages` accepted for `--max-pages` |
//! | `crawl:{ID/S}:seen` | set | 16-byte fingerprints of URLs seen (queued, fetched or claimed) |
//! | `crawl:{ID/S}:q:HOST` | list | the host's requests, FIFO (JSON) |
//! | `crawl:{ID/S}:sched` | sorted set | hosts with work and a free slot, by when they may go (ms) |
//! | `crawl:{ID/S}:hf`, `hn`, `hh`, `hg` | hashes | per host: requests in flight, next start, held until, learned gap |
//! | `crawl:{ID/S}:known` | set | hosts past their first request (the probe) |
//! | `crawl:{ID/S}:hb` | hash | pages accepted per host (`--max-pages-per-host`) |
//! | `crawl:{ID/S}:leases`, `lp` | sorted set, hash | leases by expiry; each lease's host and request |
//! | `crawl:{ID/S}:delayed` | sorted set | retries by when they are due |
//! | `crawl:{ID/S}:claims`, `firsts` | hashes | redirect targets and once-per-crawl keys, by the request that claimed them |
//! | `crawl:{ID/S}:robots:ORIGIN` | string | the origin's robots.txt, read once for all workers, kept a day |
//! | `crawl:{ID/S}:n` | hash | counters: queued, done, failed, skipped, retried, expired, lease sequence, version |
//!
//! The crawl is over when every shard has nothing queued, waiting or leased, seen in
//! two sweeps between which no shard's version moved (so work moving from one shard
//! to another during a sweep is not missed).

mod admit;
mod conn;
mod end;
mod robots;
mod sweep;

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use ::redis::{Script, Value};
use futures_util::future::try_join_all;
use serde::Serialize;
use tokio::sync::Notify;
use url::Url;

use super::queues::Hashed;
use super::{Done, Frontier, HostNews, Lease, Policy, Pop, Request, Verdict, fingerprint};
use crate::error::Error;
pub(crate) use conn::Conn;
use robots::SharedRobots;
use sweep::Swept;

/// How often a waiting worker looks again for work other workers made.
const POLL: Duration = Duration::from_millis(50);
/// Shards of a crawl on a Cluster.
const CLUSTER_SHARDS: usize = 16;
/// Fingerprints a worker keeps of URLs it knows are seen (16 bytes and a control byte
/// each, about 20 MB at most); past that it starts again.
const KNOWN_MAX: usize = 1 << 20;
/// How long pop skips a shard it found idle (other workers' pushes to it are seen
/// after this; this worker's own at once).
const IDLE_SKIP: Duration = Duration::from_millis(100);
/// Lease ids carry their shard in the low bits.
const SHARD_BITS: u32 = 10;

macro_rules! script {
    ($name:literal) => {
        LazyLock::new(|| {
            Script::new(concat!(
                include_str!("lua/prelude.lua"),
                include_str!(concat!("lua/", $name, ".lua"))
            ))
        })
    };
}

static PUSH: LazyLock<Script> = script!("push");
static SETTLE: LazyLock<Script> = script!("settle");
static POP: LazyLock<Script> = script!("pop");
static DONE: LazyLock<Script> = script!("done");
static LEARN: LazyLock<Script> = script!("learn");
static RELEASE: LazyLock<Script> = script!("release");
static RENEW: LazyLock<Script> = script!("renew");
static MARK: LazyLock<Script> = script!("mark");
static STATUS: LazyLock<Script> = script!("status");
static GRANT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local taken = tonumber(redis.call('HGET', KEYS[1], 'pages') or '0')
         local g = tonumber(ARGV[1]) - taken
         if g > tonumber(ARGV[2]) then g = tonumber(ARGV[2]) end
         if g < 0 then g = 0 end
         redis.call('HINCRBY', KEYS[1], 'pages', g)
         return g",
    )
});

/// A frontier whose state is a crawl in Redis, shared by every worker with its id.
#[derive(Debug)]
pub struct RedisFrontier {
    conn: Conn,
    at: String,
    id: String,
    shards: usize,
    policy: Policy,
    lease_ttl: Duration,
    next: AtomicUsize,
    changed: Notify,
    /// Fingerprints this worker knows the crawl has seen (at most [`KNOWN_MAX`]).
    known: Mutex<HashSet<u128, Hashed>>,
    /// Per shard: skipped by pop until then (found idle; this worker pushed nothing
    /// to it since).
    idle: Mutex<Vec<Option<std::time::Instant>>>,
}

/// A shared crawl's counters, summed over its shards ([`RedisFrontier::status`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Requests waiting in host queues.
    pub queued: u64,
    /// Requests waiting for a retry.
    pub retrying: u64,
    /// Requests leased by a worker.
    pub leased: u64,
    /// Requests done (fetched).
    pub done: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Requests set aside on purpose.
    pub skipped: u64,
    /// Attempts that were retried.
    pub retried: u64,
    /// Leases that expired (their worker died or stalled) and were taken back.
    pub expired: u64,
    /// Hosts the crawl has queued work for.
    pub hosts: u64,
    /// URLs in the seen-set.
    pub seen: u64,
}

impl Status {
    /// Whether nothing is queued, waiting or leased: the crawl is over (or has not
    /// begun).
    pub fn is_idle(&self) -> bool {
        self.queued + self.retrying + self.leased == 0
    }
}

/// A crawl id: letters, digits, `.`, `_`, `-` (it is part of every key, inside a
/// Cluster hash tag).
fn check_id(id: &str) -> Result<(), Error> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "--crawl-id {id:?}: use 1 to 64 letters, digits, '.', '_' or '-'"
        )))
    }
}

/// A limit as admit() reads it: the number, or -1 for none.
fn limit(n: Option<u64>) -> Vec<u8> {
    n.map_or_else(|| b"-1".to_vec(), |n| n.to_string().into())
}

/// A request's fingerprint as the seen-set keeps it: 16 bytes.
fn fp(r: &Request) -> Vec<u8> {
    fingerprint(&r.url).to_le_bytes().to_vec()
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 4)
}

impl RedisFrontier {
    /// Connects to the crawl `crawl_id` at `target` (`redis://HOST:PORT/DB`,
    /// `rediss://…`, `redis+cluster://H1:P1,H2:P2`): a new crawl, defined by
    /// `settings`, or one that workers with the same settings already share.
    /// Requests are leased for `lease_ttl` at a time (renewed while worked on).
    ///
    /// # Errors
    ///
    /// [`Error::Shared`] when the server cannot be reached; [`Error::SharedMismatch`]
    /// when the crawl was started with other settings; [`Error::Config`] for an id
    /// that cannot be a key.
    pub async fn connect(
        target: &str,
        crawl_id: &str,
        policy: Policy,
        settings: &[(&str, String)],
        lease_ttl: Duration,
    ) -> Result<Self, Error> {
        check_id(crawl_id)?;
        let conn = Conn::open(target).await?;
        let at = conn::redacted(target);
        let meta = format!("crawl:{{{crawl_id}}}:meta");
        let shards = if conn.is_cluster() { CLUSTER_SHARDS } else { 1 };
        let ours: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let json = serde_json::to_string(&ours).map_err(|e| Error::Frontier(Box::new(e)))?;
        let fail = |e| conn::failed(&at, e);
        let _: i64 = conn
            .query(::redis::cmd("HSETNX").arg(&meta).arg("shards").arg(shards))
            .await
            .map_err(fail)?;
        let set: i64 = conn
            .query(::redis::cmd("HSETNX").arg(&meta).arg("settings").arg(&json))
            .await
            .map_err(fail)?;
        if set == 0 {
            let theirs: String = conn
                .query(::redis::cmd("HGET").arg(&meta).arg("settings"))
                .await
                .map_err(fail)?;
            let theirs: Vec<(String, String)> =
                serde_json::from_str(&theirs).map_err(|e| Error::Shared {
                    at: at.clone(),
                    detail: format!("crawl {crawl_id}: its stored settings do not parse"),
                    source: Some(Box::new(e)),
                })?;
            for (name, now) in &ours {
                let was = theirs
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or("(not set)", |(_, v)| v.as_str());
                if was != *now {
                    return Err(Error::SharedMismatch {
                        crawl: crawl_id.to_owned(),
                        setting: (*name).to_owned(),
                        was: was.to_owned(),
                        now: (*now).to_owned(),
                    });
                }
            }
        }
        let shards: usize = conn
            .query(::redis::cmd("HGET").arg(&meta).arg("shards"))
            .await
            .map_err(fail)?;
        Ok(Self::attach(conn, at, crawl_id, shards, policy, lease_ttl))
    }

    /// The counters of the crawl `crawl_id` at `target`, for an operator
    /// (`crawl --status`), without joining it.
    ///
    /// # Errors
    ///
    /// As [`RedisFrontier::connect`]; also when no crawl has that id.
    pub async fn status_of(target: &str, crawl_id: &str) -> Result<Status, Error> {
        check_id(crawl_id)?;
        let conn = Conn::open(target).await?;
        let at = conn::redacted(target);
        let meta = format!("crawl:{{{crawl_id}}}:meta");
        let shards: Option<usize> = conn
            .query(::redis::cmd("HGET").arg(&meta).arg("shards"))
            .await
            .map_err(|e| conn::failed(&at, e))?;
        let Some(shards) = shards else {
            return Err(Error::Shared {
                at,
                detail: format!("no crawl with id {crawl_id:?} here"),
                source: None,
            });
        };
        Self::attach(conn, at, crawl_id, shards, Policy::default(), POLL)
            .status()
            .await
    }

    /// Another crawl, `crawl_id`, on this one's connection, without the settings
    /// check of [`RedisFrontier::connect`] (for tests that make many crawls).
    #[doc(hidden)]
    pub fn sibling(&self, crawl_id: &str, policy: Policy) -> Result<Self, Error> {
        check_id(crawl_id)?;
        let shards = self.shards;
        Ok(Self::attach(
            self.conn.clone(),
            self.at.clone(),
            crawl_id,
            shards,
            policy,
            self.lease_ttl,
        ))
    }

    pub(crate) fn attach(
        conn: Conn,
        at: String,
        id: &str,
        shards: usize,
        policy: Policy,
        lease_ttl: Duration,
    ) -> Self {
        RedisFrontier {
            conn,
            at,
            id: id.to_owned(),
            shards: shards.clamp(1, 1 << SHARD_BITS),
            policy,
            lease_ttl,
            next: AtomicUsize::new(0),
            changed: Notify::new(),
            known: Mutex::default(),
            idle: Mutex::new(vec![None; shards.clamp(1, 1 << SHARD_BITS)]),
        }
    }

    /// The server's address, without a password.
    pub fn address(&self) -> &str {
        &self.at
    }

    /// The crawl's counters, summed over its shards.
    ///
    /// # Errors
    ///
    /// [`Error::Shared`] when the server cannot be reached.
    pub async fn status(&self) -> Result<Status, Error> {
        let all =
            try_join_all((0..self.shards).map(|s| self.run::<Vec<u64>>(&STATUS, s, &[]))).await?;
        let mut sum = Status::default();
        for n in all {
            let at = |i: usize| n.get(i).copied().unwrap_or(0);
            sum.queued += at(0);
            sum.retrying += at(1);
            sum.leased += at(2);
            sum.done += at(3);
            sum.failed += at(4);
            sum.skipped += at(5);
            sum.retried += at(6);
            sum.expired += at(7);
            sum.hosts += at(8);
            sum.seen += at(9);
        }
        Ok(sum)
    }

    fn shard_of(&self, key: &str) -> usize {
        (xxhash_rust::xxh3::xxh3_64(key.as_bytes()) % self.shards as u64) as usize
    }

    fn prefix(&self, shard: usize) -> String {
        format!("crawl:{{{}/{shard}}}", self.id)
    }

    /// Runs `script` on `shard` with the policy and `args`.
    fn run<'a, T: ::redis::FromRedisValue + Send>(
        &'a self,
        script: &'a Script,
        shard: usize,
        args: &'a [Vec<u8>],
    ) -> impl Future<Output = Result<T, Error>> + Send + 'a {
        let p = &self.policy;
        let mut invocation = script.key(self.prefix(shard));
        invocation
            .arg(p.max_in_flight)
            .arg(ms(p.min_gap))
            .arg(u8::from(p.probe_first));
        for a in args {
            invocation.arg(a.as_slice());
        }
        async move {
            self.conn
                .invoke(&invocation)
                .await
                .map_err(|e| conn::failed(&self.at, e))
        }
    }

    /// Runs `script` on every shard whose arguments in `by_shard` are not empty, at
    /// once.
    async fn run_each(&self, script: &Script, by_shard: &[Vec<Vec<u8>>]) -> Result<(), Error> {
        try_join_all(
            by_shard
                .iter()
                .enumerate()
                .filter(|(_, args)| !args.is_empty())
                .map(|(shard, args)| self.run::<i64>(script, shard, args)),
        )
        .await?;
        Ok(())
    }

    fn payload(request: &Request) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(request).map_err(|e| Error::Frontier(Box::new(e)))
    }

    fn request(&self, payload: &[u8]) -> Result<Request, Error> {
        serde_json::from_slice(payload).map_err(|e| Error::Shared {
            at: self.at.clone(),
            detail: format!("crawl {}: a queued request does not parse", self.id),
            source: Some(Box::new(e)),
        })
    }

    fn lease_shard(&self, lease: &Lease) -> (usize, Vec<u8>) {
        let shard = (lease.id & ((1 << SHARD_BITS) - 1)) as usize;
        (shard, (lease.id >> SHARD_BITS).to_string().into_bytes())
    }

    fn not_held(&self, lease: &Lease) -> Error {
        Error::Frontier(
            format!(
                "lease {} of {} is not held: ended twice, never handed out, or expired and \
                 taken back (crawl {} at {})",
                lease.id, lease.request.url, self.id, self.at
            )
            .into(),
        )
    }
}

/// The verdict an admit() letter stands for (`p`, pending a grant, is not one yet).
fn verdict(letter: &[u8]) -> Verdict {
    match letter {
        b"q" => Verdict::Queued,
        b"d" => Verdict::Depth,
        b"h" => Verdict::HostBudget,
        b"p" => Verdict::MaxPages,
        _ => Verdict::Seen,
    }
}

fn text(v: &Value) -> Option<&[u8]> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.as_bytes()),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

fn news_args(news: &HostNews) -> [Vec<u8>; 3] {
    let opt = |d: Option<Duration>| d.map_or_else(|| b"-1".to_vec(), |d| ms(d).to_string().into());
    [news.host.as_bytes().to_vec(), opt(news.gap), opt(news.hold)]
}

impl Frontier for RedisFrontier {
    async fn push(&self, requests: Vec<Request>) -> Result<Vec<Verdict>, Error> {
        let verdicts = self.push_batch(&requests).await?;
        self.changed.notify_one();
        Ok(verdicts)
    }

    async fn pop(&self) -> Result<Pop, Error> {
        let first = self.sweep(false).await?;
        if let Some(lease) = first.ready {
            return Ok(Pop::Ready(lease));
        }
        if first.busy {
            return Ok(Pop::Wait(first.wait));
        }
        if self.shards == 1 {
            return Ok(Pop::Drained);
        }
        // Every shard looked at was idle. Two full sweeps between which no shard's
        // version moved prove they were all idle at once.
        let second = self.sweep(true).await?;
        if let Some(lease) = second.ready {
            return Ok(Pop::Ready(lease));
        }
        if second.busy {
            return Ok(Pop::Wait(second.wait));
        }
        let third = self.sweep(true).await?;
        if let Some(lease) = third.ready {
            return Ok(Pop::Ready(lease));
        }
        let by_shard = |a: &Swept| {
            let mut v = a.versions.clone();
            v.sort_unstable();
            v
        };
        if third.busy || by_shard(&second) != by_shard(&third) {
            return Ok(Pop::Wait(third.wait));
        }
        Ok(Pop::Drained)
    }

    async fn changed(&self) {
        tokio::select! {
            () = self.changed.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }

    async fn complete(&self, lease: Lease, done: Done) -> Result<Vec<Verdict>, Error> {
        let mut all = self.complete_all(vec![(lease, done)]).await?;
        Ok(all.pop().unwrap_or_default())
    }

    async fn complete_all(&self, ended: Vec<(Lease, Done)>) -> Result<Vec<Vec<Verdict>>, Error> {
        self.end_all(ended).await
    }

    async fn release(&self, lease: Lease) -> Result<(), Error> {
        let (shard, seq) = self.lease_shard(&lease);
        self.set_idle(shard, None);
        let held: i64 = self.run(&RELEASE, shard, &[seq]).await?;
        self.changed.notify_one();
        if held == 0 {
            return Err(self.not_held(&lease));
        }
        Ok(())
    }

    async fn renew(&self, lease: &Lease) -> Result<(), Error> {
        let (shard, seq) = self.lease_shard(lease);
        let ttl = ms(self.lease_ttl).to_string().into_bytes();
        let expires: i64 = self.run(&RENEW, shard, &[seq, ttl]).await?;
        if expires == 0 {
            return Err(self.not_held(lease));
        }
        Ok(())
    }

    async fn claim(&self, lease: &Lease, url: &Url) -> Result<bool, Error> {
        let shard = self.shard_of(url.host_str().unwrap_or_default());
        let args = [
            b"c".to_vec(),
            fingerprint(url).to_le_bytes().to_vec(),
            fingerprint(&lease.request.url).to_le_bytes().to_vec(),
        ];
        let mine: i64 = self.run(&MARK, shard, &args).await?;
        Ok(mine == 1)
    }

    async fn first(&self, lease: &Lease, key: &str) -> Result<bool, Error> {
        let args = [
            b"f".to_vec(),
            key.as_bytes().to_vec(),
            fingerprint(&lease.request.url).to_le_bytes().to_vec(),
        ];
        let mine: i64 = self.run(&MARK, self.shard_of(key), &args).await?;
        Ok(mine == 1)
    }

    fn outlives_worker(&self) -> bool {
        true
    }

    fn robots_store(&self) -> Option<Arc<dyn crate::robots::RobotsStore>> {
        Some(Arc::new(SharedRobots {
            conn: self.conn.clone(),
            at: self.at.clone(),
            id: self.id.clone(),
            shards: self.shards,
        }))
    }

    async fn queued(&self) -> Result<u64, Error> {
        let s = self.status().await?;
        Ok(s.queued + s.retrying)
    }
}
