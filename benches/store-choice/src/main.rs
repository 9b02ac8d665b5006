//! redb or fjall for `--state`: the crawl's work on each, measured the same way.
//!
//! ```text
//! cargo run --release --manifest-path benches/store-choice/Cargo.toml -- ENGINE PAGES COMMIT
//! ```
//!
//! ENGINE is `redb` or `fjall`; PAGES the pages crawled; COMMIT the pages per durable
//! commit (fsync); then optionally the cache in MiB (64) and fjall's write buffer in
//! MiB (its default otherwise). Each page pops one URL from the queue, checks its 75 links against
//! the seen-set (16-byte fingerprints) and queues the new ones (an 80-byte request),
//! as a recursive crawl of a site of PAGES × 10 pages does. It prints pages/s, the
//! commit's median and worst time, the process's peak RSS and the bytes on disk.
//! One engine per process, so the RSS is the engine's alone.

use std::path::Path;
use std::time::{Duration, Instant};

const LINKS: u64 = 75;

fn fingerprint(n: u64) -> u128 {
    xxhash_rust::xxh3::xxh3_128(&n.to_le_bytes())
}

/// The request queued for URL number `n`: about what a serialized `Request` takes.
fn request(n: u64) -> Vec<u8> {
    format!(
        "{n:>12}\thttp://site.example/section-{}/page-{n}.html\t3\t0\tpage",
        n % 97
    )
    .into_bytes()
}

/// The link targets of page `n`: a site of `site` pages, 75 links a page.
fn links(n: u64, site: u64) -> impl Iterator<Item = u64> {
    (0..LINKS).map(move |i| {
        let h = xxhash_rust::xxh3::xxh3_64(&(n * LINKS + i).to_le_bytes());
        h % site
    })
}

trait Store {
    fn seen_insert(&mut self, fp: u128) -> bool;
    fn push(&mut self, seq: u64, request: &[u8]);
    fn pop(&mut self) -> Option<Vec<u8>>;
    fn commit(&mut self);
}

mod redb_store {
    use redb::{Database, ReadableTable, TableDefinition, WriteTransaction};

    const SEEN: TableDefinition<u128, ()> = TableDefinition::new("seen");
    const QUEUE: TableDefinition<u64, &[u8]> = TableDefinition::new("queue");

    pub struct Redb {
        db: &'static Database,
        tx: Option<WriteTransaction>,
    }

    impl Redb {
        pub fn open(path: &std::path::Path, cache: usize) -> Redb {
            let db = Database::builder()
                .set_cache_size(cache)
                .create(path.join("state.redb"))
                .expect("redb");
            let db: &'static Database = Box::leak(Box::new(db));
            let tx = db.begin_write().expect("tx");
            Redb { db, tx: Some(tx) }
        }
        fn tx(&mut self) -> &WriteTransaction {
            self.tx.as_ref().expect("open transaction")
        }
    }

    impl super::Store for Redb {
        fn seen_insert(&mut self, fp: u128) -> bool {
            // Look first: an insert of a key already there still rewrites its page.
            let mut t = self.tx().open_table(SEEN).expect("table");
            if t.get(fp).expect("get").is_some() {
                return false;
            }
            t.insert(fp, ()).expect("insert");
            true
        }
        fn push(&mut self, seq: u64, request: &[u8]) {
            let mut t = self.tx().open_table(QUEUE).expect("table");
            t.insert(seq, request).expect("insert");
        }
        fn pop(&mut self) -> Option<Vec<u8>> {
            let mut t = self.tx().open_table(QUEUE).expect("table");
            let first = t.pop_first().expect("pop");
            first.map(|(_, v)| v.value().to_vec())
        }
        fn commit(&mut self) {
            if let Some(tx) = self.tx.take() {
                tx.commit().expect("commit");
            }
            self.tx = Some(self.db.begin_write().expect("tx"));
        }
    }
}

mod fjall_store {
    use fjall::{Config, Keyspace, PartitionCreateOptions, PartitionHandle, PersistMode};

    pub struct Fjall {
        ks: Keyspace,
        seen: PartitionHandle,
        queue: PartitionHandle,
        /// The queue's next key: reading from it skips the tombstones of the popped
        /// ones (an LSM tree keeps them until compaction; `first_key_value` would walk
        /// them all, 197 pages/s here).
        head: u64,
    }

    impl Fjall {
        /// `buffers`: the keyspace's write buffer; each memtable gets a quarter.
        pub fn open(path: &std::path::Path, cache: u64, buffers: Option<u64>) -> Fjall {
            let mut config = Config::new(path.join("state.fjall")).cache_size(cache);
            let mut options = PartitionCreateOptions::default();
            if let Some(bytes) = buffers {
                config = config.max_write_buffer_size(bytes);
                options = options.max_memtable_size((bytes / 4) as u32);
            }
            let ks = config.open().expect("fjall");
            let seen = ks.open_partition("seen", options.clone()).expect("seen");
            let queue = ks.open_partition("queue", options).expect("queue");
            Fjall {
                ks,
                seen,
                queue,
                head: 0,
            }
        }
    }

    impl super::Store for Fjall {
        fn seen_insert(&mut self, fp: u128) -> bool {
            let key = fp.to_be_bytes();
            if self.seen.contains_key(key).expect("get") {
                return false;
            }
            self.seen.insert(key, []).expect("insert");
            true
        }
        fn push(&mut self, seq: u64, request: &[u8]) {
            self.queue
                .insert(seq.to_be_bytes(), request)
                .expect("insert");
        }
        fn pop(&mut self) -> Option<Vec<u8>> {
            let (k, v) = self
                .queue
                .range(self.head.to_be_bytes()..)
                .next()?
                .expect("read");
            let mut seq = [0; 8];
            seq.copy_from_slice(&k);
            self.head = u64::from_be_bytes(seq) + 1;
            self.queue.remove(k).expect("remove");
            Some(v.to_vec())
        }
        fn commit(&mut self) {
            self.ks.persist(PersistMode::SyncAll).expect("persist");
        }
    }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn dir_bytes(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let engine = args.get(1).map_or("redb", String::as_str).to_owned();
    let pages: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let every: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(500);
    // Optional: the cache (MiB, default 64) and fjall's write buffer (MiB).
    let cache = args
        .get(4)
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(64)
        << 20;
    let buffers = args
        .get(5)
        .and_then(|s| s.parse::<u64>().ok())
        .map(|m| m << 20);
    let dir = std::env::temp_dir().join(format!("store-choice-{engine}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let mut store: Box<dyn Store> = match engine.as_str() {
        "redb" => Box::new(redb_store::Redb::open(&dir, cache)),
        "fjall" => Box::new(fjall_store::Fjall::open(&dir, cache as u64, buffers)),
        other => panic!("unknown engine {other}: redb or fjall"),
    };
    let site = pages * 10;
    let mut seq = 0;
    store.seen_insert(fingerprint(0));
    store.push(seq, &request(0));
    seq += 1;
    let mut commits: Vec<Duration> = Vec::new();
    let mut queued = 1u64;
    let started = Instant::now();
    let mut done = 0;
    while done < pages {
        let Some(req) = store.pop() else { break };
        let n: u64 = std::str::from_utf8(&req[..12])
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        for target in links(n, site) {
            if store.seen_insert(fingerprint(target)) {
                store.push(seq, &request(target));
                seq += 1;
                queued += 1;
            }
        }
        done += 1;
        if done % every == 0 {
            let t = Instant::now();
            store.commit();
            commits.push(t.elapsed());
        }
    }
    let t = Instant::now();
    store.commit();
    commits.push(t.elapsed());
    let elapsed = started.elapsed();
    commits.sort();
    let median = commits[commits.len() / 2];
    let worst = commits[commits.len() - 1];
    let disk = dir_bytes(&dir);
    drop(store);
    println!(
        "{engine:<6} pages {done:>9} commit every {every:>5}: {:>8.0} pages/s, {queued:>10} URLs seen, \
         commit median {:>6.1} ms worst {:>7.1} ms, peak RSS {:>6.1} MiB, disk {:>7.1} MiB",
        done as f64 / elapsed.as_secs_f64(),
        median.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3,
        peak_rss_mib(),
        disk as f64 / (1 << 20) as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
}
