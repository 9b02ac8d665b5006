//! Pushing requests: the seen check, depth, budgets and `--max-pages` in Redis, and
//! the links a worker already knows are seen kept out of it.

use futures_util::future::try_join_all;

use super::{GRANT, KNOWN_MAX, PUSH, RedisFrontier, SETTLE, conn, fp, limit, verdict};
use crate::error::Error;
use crate::frontier::{Request, Verdict, fingerprint};

impl RedisFrontier {
    /// The arguments admit() (in the Lua prelude) reads for `items` of `requests`.
    pub(super) fn admit_args(
        &self,
        requests: &[Request],
        items: &[usize],
        payloads: &[Vec<u8>],
    ) -> Vec<Vec<u8>> {
        let mut args = Vec::with_capacity(3 + 5 * items.len());
        args.push(if self.policy.max_pages.is_some() {
            b"p".to_vec()
        } else {
            b"q".to_vec()
        });
        args.push(limit(self.policy.max_pages_per_host));
        args.push(limit(self.policy.max_depth.map(u64::from)));
        for &i in items {
            let r = &requests[i];
            args.push(fp(r));
            args.push(r.host().as_bytes().to_vec());
            args.push(vec![if r.counts_as_page() { b'1' } else { b'0' }]);
            args.push(r.depth.to_string().into_bytes());
            args.push(payloads[i].clone());
        }
        args
    }

    pub(super) async fn push_batch(&self, requests: &[Request]) -> Result<Vec<Verdict>, Error> {
        let known = self.known_seen(requests);
        let mut by_shard: Vec<Vec<usize>> = vec![Vec::new(); self.shards];
        let mut payloads = Vec::with_capacity(requests.len());
        for (i, r) in requests.iter().enumerate() {
            if known[i] {
                payloads.push(Vec::new());
                continue;
            }
            by_shard[self.shard_of(r.host())].push(i);
            payloads.push(Self::payload(r)?);
        }
        let calls = by_shard
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(shard, items)| {
                self.set_idle(shard, None);
                let args = self.admit_args(requests, items, &payloads);
                async move {
                    let letters: Vec<String> = self.run(&PUSH, shard, &args).await?;
                    Ok::<_, Error>((shard, letters))
                }
            });
        let mut letters = vec!["s".to_owned(); requests.len()];
        for (shard, got) in try_join_all(calls).await? {
            for (&i, letter) in by_shard[shard].iter().zip(got) {
                letters[i] = letter;
            }
        }
        let verdicts = self.settle(requests, &letters, payloads).await?;
        self.remember(requests, &verdicts);
        Ok(verdicts)
    }

    /// Which of `requests` this worker already knows the crawl has seen: those are
    /// not sent to Redis (most links of a page are).
    pub(super) fn known_seen(&self, requests: &[Request]) -> Vec<bool> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        requests
            .iter()
            .map(|r| known.contains(&fingerprint(&r.url)))
            .collect()
    }

    /// Notes the URLs the crawl has now seen for good (queued, or seen before).
    pub(super) fn remember(&self, requests: &[Request], verdicts: &[Verdict]) {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= KNOWN_MAX {
            known.clear();
        }
        for (r, v) in requests.iter().zip(verdicts) {
            if matches!(v, Verdict::Queued | Verdict::Seen) {
                known.insert(fingerprint(&r.url));
            }
        }
    }

    /// Verdicts from admit()'s letters; pages pending a `--max-pages` grant are granted
    /// (in the batch's order) and queued, or forgotten.
    pub(super) async fn settle(
        &self,
        requests: &[Request],
        letters: &[String],
        mut payloads: Vec<Vec<u8>>,
    ) -> Result<Vec<Verdict>, Error> {
        let mut verdicts: Vec<Verdict> = letters.iter().map(|l| verdict(l.as_bytes())).collect();
        let pending: Vec<usize> = (0..letters.len()).filter(|&i| letters[i] == "p").collect();
        if let (Some(max), false) = (self.policy.max_pages, pending.is_empty()) {
            let granted: usize = self
                .conn
                .invoke(
                    GRANT
                        .key(format!("crawl:{{{}}}:meta", self.id))
                        .arg(max)
                        .arg(pending.len()),
                )
                .await
                .map_err(|e| conn::failed(&self.at, e))?;
            let mut settle: Vec<Vec<Vec<u8>>> = vec![Vec::new(); self.shards];
            for (n, &i) in pending.iter().enumerate() {
                let r = &requests[i];
                let shard = self.shard_of(r.host());
                let args = &mut settle[shard];
                if args.is_empty() {
                    args.push(limit(self.policy.max_pages_per_host));
                }
                args.push(vec![if n < granted { b'1' } else { b'0' }]);
                args.push(fp(r));
                args.push(r.host().as_bytes().to_vec());
                args.push(std::mem::take(&mut payloads[i]));
                if n < granted {
                    verdicts[i] = Verdict::Queued;
                }
            }
            self.run_each(&SETTLE, &settle).await?;
        }
        Ok(verdicts)
    }
}
