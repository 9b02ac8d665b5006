//! The store's tables (redb), the compact encoding of a queued request, and the one
//! write transaction a commit point makes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::frontier::{Checkpoint, Kind, Request};

/// What a state written by this version says it is; anything else is refused.
pub(super) const VERSION: &str = "crawl-state 1";
/// The store's file inside the state directory.
pub(super) const FILE: &str = "crawl.redb";

/// version, settings, checkpoint, counters: JSON.
pub(super) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Fingerprints of every URL seen: one row per commit point, its new fingerprints as
/// little-endian u64s. Appending a run is sequential; inserting each fingerprint into
/// a B-tree was random writes all over it (commits of 5 to 11 s at 10 million URLs).
pub(super) const SEEN: TableDefinition<u64, &[u8]> = TableDefinition::new("seen-runs");
/// The page cache of the store: what the window refills and the commits touch.
const CACHE: usize = 16 << 20;
/// Requests queued, in flight or waiting for a retry, by key (push order).
pub(super) const QUEUE: TableDefinition<u64, &[u8]> = TableDefinition::new("queue");
/// Redirect targets, by the fingerprint of the request that claimed them.
pub(super) const CLAIMS: TableDefinition<u64, u64> = TableDefinition::new("claims");
/// Work done once per crawl, by the fingerprint of the request that does it.
pub(super) const FIRSTS: TableDefinition<&str, u64> = TableDefinition::new("firsts");
/// Pages accepted per host (`--max-pages-per-host`).
pub(super) const BUDGET: TableDefinition<&str, u64> = TableDefinition::new("budget");
/// What was learned of a host: its gap in ms and a hold until (ms since the epoch).
pub(super) const HOSTS: TableDefinition<&str, (u64, u64)> = TableDefinition::new("hosts");

/// Counters that go with every commit.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub(super) struct Counters {
    /// The next request's key.
    pub next_key: u64,
    /// Pages accepted (`--max-pages`).
    pub accepted: u64,
    /// The crawl ran to its end with nothing left.
    pub finished: bool,
}

/// State changes since the last commit point, written by the next.
#[derive(Debug, Default)]
pub(super) struct Journal {
    /// New requests, in key order.
    pub inserts: Vec<(u64, Vec<u8>)>,
    /// Requests rewritten (a retry: one attempt further).
    pub updates: Vec<(u64, Vec<u8>)>,
    /// Requests ended.
    pub deletes: Vec<u64>,
    pub seen: Vec<u64>,
    pub claims: Vec<(u64, u64)>,
    pub firsts: Vec<(Box<str>, u64)>,
    pub budget: HashMap<Box<str>, u64>,
    pub hosts: HashMap<Box<str>, (u64, u64)>,
}

impl Journal {
    /// The first key this journal inserts.
    pub fn first_insert(&self) -> Option<u64> {
        self.inserts.first().map(|(k, _)| *k)
    }
}

pub(super) fn store_err(e: impl Into<redb::Error>) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(e.into())
}

/// Writes `journal` with the checkpoint and counters in one transaction (durable
/// when it returns).
// redb's error is large; it is made once per commit, never on a hot path.
#[allow(clippy::result_large_err)]
pub(super) fn write(
    db: &Database,
    journal: &Journal,
    checkpoint: Option<&Checkpoint>,
    counters: Counters,
) -> Result<(), redb::Error> {
    let tx = db.begin_write()?;
    {
        let mut queue = tx.open_table(QUEUE)?;
        for (key, bytes) in journal.inserts.iter().chain(&journal.updates) {
            queue.insert(*key, bytes.as_slice())?;
        }
        for key in &journal.deletes {
            queue.remove(*key)?;
        }
        if !journal.seen.is_empty() {
            let mut seen = tx.open_table(SEEN)?;
            let run = seen.last()?.map_or(0, |(k, _)| k.value() + 1);
            let bytes: Vec<u8> = journal
                .seen
                .iter()
                .flat_map(|fp| fp.to_le_bytes())
                .collect();
            seen.insert(run, bytes.as_slice())?;
        }
        let mut claims = tx.open_table(CLAIMS)?;
        for (target, owner) in &journal.claims {
            claims.insert(*target, *owner)?;
        }
        let mut firsts = tx.open_table(FIRSTS)?;
        for (key, owner) in &journal.firsts {
            firsts.insert(&**key, *owner)?;
        }
        let mut budget = tx.open_table(BUDGET)?;
        for (host, n) in &journal.budget {
            budget.insert(&**host, *n)?;
        }
        let mut hosts = tx.open_table(HOSTS)?;
        for (host, v) in &journal.hosts {
            hosts.insert(&**host, *v)?;
        }
        let mut meta = tx.open_table(META)?;
        if let Some(cp) = checkpoint {
            meta.insert("checkpoint", json(cp).as_slice())?;
        }
        meta.insert("counters", json(&counters).as_slice())?;
    }
    tx.commit()?;
    Ok(())
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    // Plain data into a Vec: cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Creates the tables of a new state and writes its version and settings.
#[allow(clippy::result_large_err)]
pub(super) fn init(db: &Database, settings: &[(String, String)]) -> Result<(), redb::Error> {
    let tx = db.begin_write()?;
    {
        let mut meta = tx.open_table(META)?;
        meta.insert("version", VERSION.as_bytes())?;
        meta.insert("settings", json(&settings).as_slice())?;
        meta.insert("counters", json(&Counters::default()).as_slice())?;
        tx.open_table(SEEN)?;
        tx.open_table(QUEUE)?;
        tx.open_table(CLAIMS)?;
        tx.open_table(FIRSTS)?;
        tx.open_table(BUDGET)?;
        tx.open_table(HOSTS)?;
    }
    tx.commit()?;
    Ok(())
}

/// Opens the store in `dir`, or creates it for a crawl defined by `settings`,
/// refusing one in use, corrupted or foreign. A new store is made whole under a
/// temporary name and renamed into place, so a crawl killed while creating it leaves
/// no state rather than half of one.
pub(super) fn open(dir: &Path, settings: &[(String, String)]) -> Result<Database, Error> {
    let state =
        |detail: String, source: Option<Box<dyn std::error::Error + Send + Sync>>| Error::State {
            dir: dir.to_path_buf(),
            detail,
            source,
        };
    std::fs::create_dir_all(dir)
        .map_err(|e| state("cannot create the directory".into(), Some(Box::new(e))))?;
    let path = dir.join(FILE);
    if !path.exists() {
        let tmp = dir.join(format!("{FILE}.new.{}", std::process::id()));
        let made = (|| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            let _ = std::fs::remove_file(&tmp);
            let db = Database::builder()
                .set_cache_size(CACHE)
                .create(&tmp)
                .map_err(store_err)?;
            init(&db, settings).map_err(Box::new)?;
            drop(db);
            std::fs::rename(&tmp, &path)?;
            std::fs::File::open(dir)?.sync_all()?;
            Ok(())
        })();
        if let Err(e) = made {
            let _ = std::fs::remove_file(&tmp);
            return Err(state(format!("cannot create {FILE}"), Some(e)));
        }
    }
    let db = open_existing(&path).map_err(|e| match e {
        Opened::Error(redb::DatabaseError::DatabaseAlreadyOpen) => state(
            "in use by another crawl (one process at a time may use a state)".into(),
            None,
        ),
        Opened::Error(redb::DatabaseError::Storage(redb::StorageError::Io(io)))
            if io.kind() != std::io::ErrorKind::InvalidData =>
        {
            state(format!("cannot open {FILE}"), Some(Box::new(io)))
        }
        Opened::Error(other) => state(
            format!("{FILE} is corrupted or not a crawl state; remove the directory to start over"),
            Some(store_err(other)),
        ),
        Opened::Panicked => state(
            format!("{FILE} is corrupted (cut short?); remove the directory to start over"),
            None,
        ),
    })?;
    // Temporary files of creations killed before their rename (the state is ours now).
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&format!("{FILE}.new.")))
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(db)
}

enum Opened {
    Error(redb::DatabaseError),
    Panicked,
}

/// `Database::open`, which panics on some damaged files (a file cut short fails an
/// assertion in redb 2): the panic is caught, and its message kept off stderr.
fn open_existing(path: &Path) -> Result<Database, Opened> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let opened = std::panic::catch_unwind(|| Database::builder().set_cache_size(CACHE).open(path));
    std::panic::set_hook(hook);
    match opened {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(Opened::Error(e)),
        Err(_) => Err(Opened::Panicked),
    }
}

/// Reads a JSON value from the meta table.
pub(super) fn meta<T: for<'de> Deserialize<'de>>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<T>, String> {
    let Some(bytes) = table.get(key).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    serde_json::from_slice(bytes.value())
        .map(Some)
        .map_err(|e| format!("its {key} do not read: {e}"))
}

/// A request in a few bytes: kind, depth, attempt, root, parent, URL.
pub(super) fn encode(r: &Request) -> Vec<u8> {
    let parent = r.parent.as_deref();
    let mut out =
        Vec::with_capacity(18 + r.root.len() + parent.map_or(0, str::len) + r.url.as_str().len());
    out.push(match r.kind {
        Kind::Page => 0,
        Kind::Sitemap => 1,
    });
    out.extend_from_slice(&r.depth.to_le_bytes());
    out.extend_from_slice(&r.attempt.to_le_bytes());
    out.extend_from_slice(&(r.root.len() as u32).to_le_bytes());
    out.extend_from_slice(r.root.as_bytes());
    match parent {
        Some(p) => {
            out.extend_from_slice(&(p.len() as u32).to_le_bytes());
            out.extend_from_slice(p.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
    out.extend_from_slice(r.url.as_str().as_bytes());
    out
}

/// The request [`encode`] wrote, or `None` for bytes it did not write.
pub(super) fn decode(bytes: &[u8]) -> Option<Request> {
    fn u32_at(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }
    let kind = match bytes.first()? {
        0 => Kind::Page,
        1 => Kind::Sitemap,
        _ => return None,
    };
    let depth = u32_at(bytes, 1)?;
    let attempt = u32_at(bytes, 5)?;
    let root_len = u32_at(bytes, 9)? as usize;
    let root = std::str::from_utf8(bytes.get(13..13 + root_len)?).ok()?;
    let mut at = 13 + root_len;
    let parent_len = u32_at(bytes, at)?;
    at += 4;
    let parent = if parent_len == u32::MAX {
        None
    } else {
        let p = std::str::from_utf8(bytes.get(at..at + parent_len as usize)?).ok()?;
        at += parent_len as usize;
        Some(Arc::<str>::from(p))
    };
    let url = url::Url::parse(std::str::from_utf8(bytes.get(at..)?).ok()?).ok()?;
    Some(Request {
        url,
        depth,
        root: root.into(),
        attempt,
        kind,
        parent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_the_encoding() {
        let seed = Request::seed(url::Url::parse("http://a.test/x?q#f").expect("url"));
        let mut child = seed.child(url::Url::parse("http://b.test/ü").expect("url"));
        child.attempt = 3;
        child.kind = Kind::Sitemap;
        for r in [seed, child] {
            assert_eq!(decode(&encode(&r)), Some(r));
        }
        assert_eq!(decode(b"\x07garbage"), None);
        assert_eq!(decode(b""), None);
    }
}
