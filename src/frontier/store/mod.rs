//! The on-disk frontier (`--state DIR`): a crawl that survives `kill -9`.
//!
//! Everything the crawl must not lose lives in an embedded [redb] database in the
//! state directory: the seen-set, every request queued, in flight or waiting for a
//! retry, redirect claims, per-host budgets and what was learned of hosts (gaps and
//! holds), the settings that define the crawl, its counters, and the committed
//! length of each output file. Memory holds a bounded window of the queue (the rest
//! is read back from disk as the window empties) and the seen-set as 8 bytes a URL.
//!
//! Changes are gathered in memory and written at **commit points**
//! ([`Frontier::commit`]): the crawl's writer task has handed every completed page to
//! the sink, the sink has made its files durable, and one transaction then records
//! the files' lengths with the state. A crawl killed at any moment resumes from the
//! last commit point: its outputs are cut back to the committed lengths and every
//! request not committed as done (in flight, or completed after the commit) is
//! fetched again, so each page's output appears exactly once.
//!
//! ```
//! use crawl::frontier::{Checkpoint, Frontier, Pop, Policy, Request, StoreFrontier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), crawl::Error> {
//! let dir = tempfile::tempdir().expect("a temporary directory");
//! let settings = [("--depth", "2".to_owned())];
//! {
//!     let frontier = StoreFrontier::open(dir.path(), Policy::default(), &settings)?;
//!     let seed = Request::seed(url::Url::parse("http://a.test/").expect("a URL"));
//!     frontier.push(vec![seed]).await?;
//!     frontier.commit(Checkpoint::default()).await?;
//!     // killed here: the request was queued, never completed
//! }
//! let frontier = StoreFrontier::open(dir.path(), Policy::default(), &settings)?;
//! assert!(frontier.checkpoint().is_some());
//! let Pop::Ready(lease) = frontier.pop().await? else { unreachable!() };
//! assert_eq!(lease.request.url.as_str(), "http://a.test/");
//! # Ok(())
//! # }
//! ```

mod db;
mod seen;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redb::{Database, ReadableTable, ReadableTableMetadata};
use tokio::sync::Notify;
use tokio::time::Instant;
use url::Url;

use self::db::{Counters, Journal};
use self::seen::Seen;
use super::memory::admit;
use super::queues::{Hashed, Queues};
use super::{Checkpoint, Done, Frontier, HostNews, Lease, Policy, Pop, Request, Verdict};
use crate::error::Error;

/// Requests held in memory; the rest wait on disk.
const WINDOW: u64 = 50_000;
/// The most the window widens to when none of its hosts may go.
const WIDEST: u64 = 4 * WINDOW;
/// New requests and fingerprints held for the next commit point before asking for it
/// early: about 200 bytes each, so 20 MB.
const JOURNAL_MAX: usize = 100_000;

/// A [`Frontier`] whose state lives on disk and survives the process: see the
/// [module docs](self).
pub struct StoreFrontier {
    policy: Policy,
    dir: PathBuf,
    db: Arc<Database>,
    inner: Arc<Mutex<Inner>>,
    changed: Notify,
    /// The last commit point of an earlier run.
    resumed: Option<Checkpoint>,
    /// The crawl had ended when the state was opened.
    finished: bool,
}

impl std::fmt::Debug for StoreFrontier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreFrontier")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Inner {
    queues: Queues,
    seen: Seen,
    claims: HashMap<u64, u64, Hashed>,
    firsts: HashMap<Box<str>, u64>,
    accepted: u64,
    budget: HashMap<Box<str>, u64>,
    next_key: u64,
    /// Keys below this are in the window, in flight or ended; the rest wait on disk
    /// or in a journal.
    loaded_upto: u64,
    /// Requests waiting outside the window.
    unloaded: u64,
    journal: Journal,
    /// The journal being written, readable until its transaction is done.
    in_commit: Option<Arc<Journal>>,
}

/// The store's fingerprint of a URL: 64 bits of the 128-bit one.
fn fp64(url: &Url) -> u64 {
    super::fingerprint(url) as u64
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl StoreFrontier {
    /// Opens the state in `dir` (created if missing) for a crawl defined by
    /// `settings` (name and value, e.g. from
    /// [`Config::defining_settings`](crate::Config::defining_settings)).
    ///
    /// # Errors
    ///
    /// [`Error::State`] naming `dir` when another process uses it, or it was written by
    /// another version, or it is corrupted or cannot be read; [`Error::Mismatch`] when
    /// it holds a crawl with other settings.
    pub fn open(
        dir: impl AsRef<Path>,
        policy: Policy,
        settings: &[(&str, String)],
    ) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let settings: Vec<(String, String)> = settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let db = db::open(dir, &settings)?;
        let mut frontier = StoreFrontier {
            policy,
            dir: dir.to_path_buf(),
            db: Arc::new(db),
            inner: Arc::default(),
            changed: Notify::new(),
            resumed: None,
            finished: false,
        };
        let (inner, resumed, finished) = frontier.load(&settings)?;
        *frontier.lock() = inner;
        frontier.resumed = resumed;
        frontier.finished = finished;
        Ok(frontier)
    }

    fn state_error(&self, detail: impl Into<String>, source: Option<redb::Error>) -> Error {
        Error::State {
            dir: self.dir.clone(),
            detail: detail.into(),
            source: source.map(|e| Box::new(e) as _),
        }
    }

    /// Reads the state back: checks its version and settings, then loads the seen-set,
    /// what was learned, the counters, and the first window of the queue.
    #[allow(clippy::type_complexity)]
    fn load(
        &self,
        settings: &[(String, String)],
    ) -> Result<(Inner, Option<Checkpoint>, bool), Error> {
        let read_err = |e: redb::Error| self.state_error("cannot read it", Some(e));
        let tx = self.db.begin_read().map_err(|e| read_err(e.into()))?;
        let meta = match tx.open_table(db::META) {
            Ok(meta) => meta,
            Err(redb::TableError::TableDoesNotExist(_)) => {
                return Err(self.state_error(
                    format!(
                        "{} is not a crawl state (a database without crawl's tables); \
                         remove it or use another directory",
                        db::FILE
                    ),
                    None,
                ));
            }
            Err(e) => return Err(read_err(e.into())),
        };
        let corrupt = |what: String| {
            self.state_error(
                format!("{what}: it is corrupted; remove the directory to start over"),
                None,
            )
        };
        let version: Option<Vec<u8>> = meta
            .get("version")
            .map_err(|e| read_err(e.into()))?
            .map(|v| v.value().to_vec());
        if version.as_deref() != Some(db::VERSION.as_bytes()) {
            let found = version.map_or_else(
                || "no version".to_owned(),
                |v| String::from_utf8_lossy(&v).into_owned(),
            );
            return Err(self.state_error(
                format!(
                    "written by another version of crawl ({found}, this one reads {}); \
                     finish it with that version or remove the directory",
                    db::VERSION
                ),
                None,
            ));
        }
        let saved: Vec<(String, String)> = db::meta(&meta, "settings")
            .map_err(corrupt)?
            .unwrap_or_default();
        check_settings(&self.dir, &saved, settings)?;
        let counters: Counters = db::meta(&meta, "counters")
            .map_err(corrupt)?
            .unwrap_or_default();
        let resumed: Option<Checkpoint> = db::meta(&meta, "checkpoint").map_err(corrupt)?;

        let now = Instant::now();
        let wall = SystemTime::now();
        let policy = self.policy;
        let mut inner = Inner {
            next_key: counters.next_key,
            accepted: counters.accepted,
            ..Inner::default()
        };
        let seen = tx.open_table(db::SEEN).map_err(|e| read_err(e.into()))?;
        let mut runs = Vec::new();
        for row in seen.iter().map_err(|e| read_err(e.into()))? {
            let (_, fps) = row.map_err(|e| read_err(e.into()))?;
            runs.push(fps);
        }
        inner.seen = Seen::from_unsorted(runs.iter().flat_map(|run| {
            run.value()
                .chunks_exact(8)
                .filter_map(|b| b.try_into().ok().map(u64::from_le_bytes))
                .collect::<Vec<_>>()
        }));
        for row in tx
            .open_table(db::CLAIMS)
            .map_err(|e| read_err(e.into()))?
            .iter()
            .map_err(|e| read_err(e.into()))?
        {
            let (t, o) = row.map_err(|e| read_err(e.into()))?;
            inner.claims.insert(t.value(), o.value());
        }
        for row in tx
            .open_table(db::FIRSTS)
            .map_err(|e| read_err(e.into()))?
            .iter()
            .map_err(|e| read_err(e.into()))?
        {
            let (k, o) = row.map_err(|e| read_err(e.into()))?;
            inner.firsts.insert(k.value().into(), o.value());
        }
        for row in tx
            .open_table(db::BUDGET)
            .map_err(|e| read_err(e.into()))?
            .iter()
            .map_err(|e| read_err(e.into()))?
        {
            let (k, n) = row.map_err(|e| read_err(e.into()))?;
            inner.budget.insert(k.value().into(), n.value());
        }
        for row in tx
            .open_table(db::HOSTS)
            .map_err(|e| read_err(e.into()))?
            .iter()
            .map_err(|e| read_err(e.into()))?
        {
            let (host, v) = row.map_err(|e| read_err(e.into()))?;
            let (gap_ms, hold_ms) = v.value();
            let hold = (UNIX_EPOCH + Duration::from_millis(hold_ms))
                .duration_since(wall)
                .ok();
            let news = HostNews {
                host: host.value().to_owned(),
                gap: Some(Duration::from_millis(gap_ms)),
                hold,
            };
            inner.queues.learn(&news, &policy, now);
        }
        let queue = tx.open_table(db::QUEUE).map_err(|e| read_err(e.into()))?;
        inner.unloaded = queue.len().map_err(|e| read_err(e.into()))?;
        inner.loaded_upto = match queue.first().map_err(|e| read_err(e.into()))? {
            Some((k, _)) => k.value(),
            None => inner.next_key,
        };
        drop(queue);
        drop(tx);
        self.refill(&mut inner)?;
        Ok((inner, resumed, counters.finished))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update below completes before anything that can panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last commit point of an earlier run (`None` for a new crawl): what the
    /// outputs held and the counters so far.
    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        self.resumed.as_ref()
    }

    /// Whether the crawl in this state had ended when it was opened.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// URLs in the seen-set.
    pub fn seen_len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Bytes the seen-set takes in memory.
    pub fn seen_bytes(&self) -> usize {
        self.lock().seen.bytes()
    }

    /// Requests waiting, in memory and on disk, retries included.
    pub fn queued_now(&self) -> u64 {
        let inner = self.lock();
        inner.queues.queued() + inner.unloaded
    }

    /// Fills the window from disk and the journals when it runs low.
    fn refill(&self, inner: &mut Inner) -> Result<(), Error> {
        if inner.unloaded == 0 || inner.queues.queued() >= WINDOW / 2 {
            return Ok(());
        }
        self.load_window(inner, WINDOW - inner.queues.queued())
    }

    /// Loads up to `want` requests waiting outside the window, in push order.
    fn load_window(&self, inner: &mut Inner, want: u64) -> Result<(), Error> {
        let mut want = want.min(inner.unloaded);
        let now = Instant::now();
        let pending = inner
            .in_commit
            .as_ref()
            .and_then(|j| j.first_insert())
            .or_else(|| inner.journal.first_insert())
            .unwrap_or(inner.next_key);
        if inner.loaded_upto < pending {
            let read_err = |e: redb::Error| self.state_error("cannot read the queue", Some(e));
            let tx = self.db.begin_read().map_err(|e| read_err(e.into()))?;
            let queue = tx.open_table(db::QUEUE).map_err(|e| read_err(e.into()))?;
            let mut rows = Vec::new();
            for row in queue
                .range(inner.loaded_upto..pending)
                .map_err(|e| read_err(e.into()))?
                .take(usize::try_from(want).unwrap_or(usize::MAX))
            {
                let (k, v) = row.map_err(|e| read_err(e.into()))?;
                rows.push((k.value(), db::decode(v.value())));
            }
            for (key, request) in rows {
                self.load_one(inner, key, request, now);
                want -= 1;
            }
            if want > 0 {
                inner.loaded_upto = pending;
            }
        }
        let journals: Vec<Arc<Journal>> = inner.in_commit.iter().cloned().collect();
        for journal in journals.iter().map(|j| &**j) {
            if want == 0 {
                return Ok(());
            }
            let from = journal
                .inserts
                .partition_point(|(k, _)| *k < inner.loaded_upto);
            for (key, bytes) in &journal.inserts[from..] {
                if want == 0 {
                    return Ok(());
                }
                self.load_one(inner, *key, db::decode(bytes), now);
                want -= 1;
            }
        }
        let from = inner
            .journal
            .inserts
            .partition_point(|(k, _)| *k < inner.loaded_upto);
        let rows: Vec<(u64, Option<Request>)> = inner.journal.inserts[from..]
            .iter()
            .take(usize::try_from(want).unwrap_or(usize::MAX))
            .map(|(k, b)| (*k, db::decode(b)))
            .collect();
        for (key, request) in rows {
            self.load_one(inner, key, request, now);
        }
        Ok(())
    }

    fn load_one(&self, inner: &mut Inner, key: u64, request: Option<Request>, now: Instant) {
        inner.loaded_upto = key + 1;
        inner.unloaded = inner.unloaded.saturating_sub(1);
        match request {
            Some(request) => inner.queues.enqueue(request, key, false, &self.policy, now),
            None => {
                tracing::error!(
                    "{}: queued request {key} does not read back; dropped",
                    self.dir.display()
                );
                inner.journal.deletes.push(key);
            }
        }
    }

    fn push_one(&self, inner: &mut Inner, request: Request, now: Instant) -> Verdict {
        let fp = fp64(&request.url);
        if inner.seen.contains(fp) {
            return Verdict::Seen;
        }
        if let Err(verdict) = admit(
            &request,
            &self.policy,
            &mut inner.accepted,
            &mut inner.budget,
        ) {
            return verdict;
        }
        if request.counts_as_page() && self.policy.max_pages_per_host.is_some() {
            let host = request.host();
            let n = inner.budget.get(host).copied().unwrap_or(0);
            inner.journal.budget.insert(host.into(), n);
        }
        inner.seen.insert(fp);
        inner.journal.seen.push(fp);
        let key = inner.next_key;
        inner.next_key += 1;
        inner.journal.inserts.push((key, db::encode(&request)));
        if inner.unloaded == 0 && inner.queues.queued() < WINDOW {
            inner.queues.enqueue(request, key, false, &self.policy, now);
            inner.loaded_upto = key + 1;
        } else {
            inner.unloaded += 1;
        }
        Verdict::Queued
    }

    fn complete_now(&self, lease: Lease, done: Done) -> Result<Vec<Verdict>, Error> {
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut inner = self.lock();
        let key = inner.queues.end(&lease, &done.hosts, &self.policy, now)?;
        for news in &done.hosts {
            let since = |t: SystemTime| millis(t.duration_since(UNIX_EPOCH).unwrap_or_default());
            let entry = inner
                .journal
                .hosts
                .entry(news.host.as_str().into())
                .or_insert((millis(self.policy.min_gap), 0));
            if let Some(gap) = news.gap {
                entry.0 = millis(gap.max(self.policy.min_gap));
            }
            if let Some(hold) = news.hold {
                entry.1 = entry.1.max(since(wall + hold));
            }
        }
        let verdicts = done
            .links
            .into_iter()
            .map(|r| self.push_one(&mut inner, r, now))
            .collect();
        if done.retry_in.is_some() {
            let mut again = lease.request.clone();
            again.attempt += 1;
            inner.journal.updates.push((key, db::encode(&again)));
        } else {
            inner.journal.deletes.push(key);
        }
        inner
            .queues
            .finish(lease.request, key, done.retry_in, &self.policy, now);
        Ok(verdicts)
    }
}

/// Compares the settings a state was made with to this run's.
fn check_settings(
    dir: &Path,
    saved: &[(String, String)],
    now: &[(String, String)],
) -> Result<(), Error> {
    let unset = || "(not set)".to_owned();
    let find = |list: &[(String, String)], name: &str| {
        list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };
    for (name, value) in now {
        let was = find(saved, name).unwrap_or_else(unset);
        if &was != value {
            return Err(Error::Mismatch {
                dir: dir.to_path_buf(),
                setting: name.clone(),
                was,
                now: value.clone(),
            });
        }
    }
    for (name, was) in saved {
        if find(now, name).is_none() {
            return Err(Error::Mismatch {
                dir: dir.to_path_buf(),
                setting: name.clone(),
                was: was.clone(),
                now: unset(),
            });
        }
    }
    Ok(())
}

impl Frontier for StoreFrontier {
    async fn push(&self, requests: Vec<Request>) -> Result<Vec<Verdict>, Error> {
        let now = Instant::now();
        let verdicts = {
            let mut inner = self.lock();
            requests
                .into_iter()
                .map(|r| {
                    let fp = fp64(&r.url);
                    let verdict = self.push_one(&mut inner, r, now);
                    // A listed URL a limit left out is recorded once: a resumed crawl
                    // reading its list again finds it seen.
                    if matches!(verdict, Verdict::MaxPages | Verdict::HostBudget)
                        && inner.seen.insert(fp)
                    {
                        inner.journal.seen.push(fp);
                    }
                    verdict
                })
                .collect()
        };
        self.changed.notify_one();
        Ok(verdicts)
    }

    async fn pop(&self) -> Result<Pop, Error> {
        let mut inner = self.lock();
        self.refill(&mut inner)?;
        let mut popped = inner.queues.pop(&self.policy, Instant::now())?;
        // Nothing in the window may go (its hosts are held back by their gaps) while
        // requests wait on disk: widen the window, up to four times, so other hosts
        // get their turn.
        while matches!(popped, Pop::Wait(_)) && inner.unloaded > 0 && inner.queues.queued() < WIDEST
        {
            self.load_window(&mut inner, WINDOW / 4)?;
            popped = inner.queues.pop(&self.policy, Instant::now())?;
        }
        Ok(popped)
    }

    async fn changed(&self) {
        self.changed.notified().await;
    }

    async fn complete(&self, lease: Lease, done: Done) -> Result<Vec<Verdict>, Error> {
        let verdicts = self.complete_now(lease, done);
        self.changed.notify_one();
        verdicts
    }

    async fn release(&self, lease: Lease) -> Result<(), Error> {
        let result = self
            .lock()
            .queues
            .release(lease, &self.policy, Instant::now())
            .map(drop);
        self.changed.notify_one();
        result
    }

    async fn claim(&self, lease: &Lease, url: &Url) -> Result<bool, Error> {
        let target = fp64(url);
        let owner = fp64(&lease.request.url);
        let mut inner = self.lock();
        if inner.seen.insert(target) {
            inner.claims.insert(target, owner);
            inner.journal.seen.push(target);
            inner.journal.claims.push((target, owner));
            Ok(true)
        } else {
            Ok(inner.claims.get(&target) == Some(&owner))
        }
    }

    async fn first(&self, lease: &Lease, key: &str) -> Result<bool, Error> {
        let owner = fp64(&lease.request.url);
        let mut inner = self.lock();
        match inner.firsts.get(key) {
            Some(first) => Ok(*first == owner),
            None => {
                inner.firsts.insert(key.into(), owner);
                inner.journal.firsts.push((key.into(), owner));
                Ok(true)
            }
        }
    }

    async fn queued(&self) -> Result<u64, Error> {
        Ok(self.queued_now())
    }

    fn durable(&self) -> bool {
        true
    }

    fn resumed(&self) -> Option<Checkpoint> {
        self.resumed.clone()
    }

    fn wants_commit(&self) -> bool {
        let inner = self.lock();
        inner.journal.inserts.len() + inner.journal.seen.len() >= JOURNAL_MAX
    }

    fn commit(
        &self,
        checkpoint: Checkpoint,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let prepared = {
            let mut inner = self.lock();
            if inner.in_commit.is_some() {
                Err(self.state_error(
                    "a commit point was taken before the last one was written (a bug)",
                    None,
                ))
            } else {
                let journal = Arc::new(std::mem::take(&mut inner.journal));
                inner.in_commit = Some(journal.clone());
                let finished = checkpoint.ended
                    && inner.queues.queued() == 0
                    && inner.unloaded == 0
                    && inner.queues.in_flight() == 0;
                let counters = Counters {
                    next_key: inner.next_key,
                    accepted: inner.accepted,
                    finished,
                };
                Ok((journal, counters))
            }
        };
        let db = self.db.clone();
        let shared = self.inner.clone();
        let dir = self.dir.clone();
        async move {
            let (journal, counters) = prepared?;
            let started = std::time::Instant::now();
            let rows = journal.inserts.len() + journal.updates.len() + journal.deletes.len();
            let seen = journal.seen.len();
            let written = tokio::task::spawn_blocking(move || {
                db::write(&db, &journal, Some(&checkpoint), counters).map_err(Box::new)
            })
            .await;
            shared.lock().unwrap_or_else(|e| e.into_inner()).in_commit = None;
            tracing::debug!(
                "commit point: {rows} queue rows, {seen} URLs seen, written in {:.1} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
            match written {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(Error::State {
                    dir,
                    detail: "cannot commit (the state stays at its last commit point and \
                             resumes from there)"
                        .into(),
                    source: Some(Box::new(e)),
                }),
                Err(e) => Err(Error::Frontier(Box::new(e))),
            }
        }
    }
}

#[cfg(test)]
mod tests;
