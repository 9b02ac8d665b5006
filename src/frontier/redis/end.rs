//! Ending leases: each lease's part of its shard's completion script, and one
//! script a shard for all the leases the writer ended together.

use ::redis::Value;
use futures_util::future::try_join_all;

use super::{DONE, LEARN, RedisFrontier, int, ms, news_args, text, verdict};
use crate::error::Error;
use crate::frontier::{Done, Lease, Verdict};
use crate::record::Outcome;

/// One lease's part of a completion script: its arguments, the links sent (by index)
/// and the verdicts so far.
pub(super) struct Block {
    pub(super) shard: usize,
    pub(super) args: Vec<Vec<u8>>,
    pub(super) fresh: Vec<usize>,
    pub(super) verdicts: Vec<Verdict>,
}

impl RedisFrontier {
    /// A lease's part of the completion script of its shard. The page's links go in
    /// the same step when they all fall in its shard (always, on one server) and need
    /// no --max-pages grant; else they are pushed first, on their shards: while the
    /// lease is held the crawl cannot be seen as over, so work moving to other shards
    /// is never missed. Hosts learned about in other shards are told there first.
    pub(super) async fn block(&self, lease: &Lease, done: &Done) -> Result<Block, Error> {
        let (shard, seq) = self.lease_shard(lease);
        self.set_idle(shard, None);
        let inline = self.policy.max_pages.is_none()
            && done.links.iter().all(|r| self.shard_of(r.host()) == shard);
        let mut verdicts = Vec::new();
        if !inline && !done.links.is_empty() {
            verdicts = self.push_batch(&done.links).await?;
        }
        let mut own = Vec::new();
        let mut elsewhere: Vec<Vec<Vec<u8>>> = vec![Vec::new(); self.shards];
        for news in &done.hosts {
            let s = self.shard_of(&news.host);
            if s == shard {
                own.push(news);
            } else {
                elsewhere[s].extend(news_args(news));
            }
        }
        self.run_each(&LEARN, &elsewhere).await?;
        let counter: &[u8] = match done.outcome {
            Outcome::Fetched => b"done",
            Outcome::Failed { .. } => b"failed",
            Outcome::Skipped { .. } => b"skipped",
        };
        let (delay, again) = match done.retry_in {
            Some(d) => {
                let mut again = lease.request.clone();
                again.attempt += 1;
                (ms(d).to_string().into_bytes(), Self::payload(&again)?)
            }
            None => (b"-1".to_vec(), Vec::new()),
        };
        let mut args = vec![
            seq,
            lease.request.host().as_bytes().to_vec(),
            counter.to_vec(),
            delay,
            again,
            own.len().to_string().into_bytes(),
        ];
        args.extend(own.into_iter().flat_map(news_args));
        let mut fresh = Vec::new();
        if inline {
            let known = self.known_seen(&done.links);
            fresh = (0..done.links.len()).filter(|&i| !known[i]).collect();
            verdicts = vec![Verdict::Seen; done.links.len()];
        }
        args.push(fresh.len().to_string().into_bytes());
        if !fresh.is_empty() {
            let mut payloads = vec![Vec::new(); done.links.len()];
            for &i in &fresh {
                payloads[i] = Self::payload(&done.links[i])?;
            }
            args.extend(self.admit_args(&done.links, &fresh, &payloads));
        }
        Ok(Block {
            shard,
            args,
            fresh,
            verdicts,
        })
    }

    /// Ends leases: one script a shard ends all of its leases, with their links.
    pub(super) async fn end_all(
        &self,
        ended: Vec<(Lease, Done)>,
    ) -> Result<Vec<Vec<Verdict>>, Error> {
        let mut blocks = Vec::with_capacity(ended.len());
        for (lease, done) in &ended {
            blocks.push(self.block(lease, done).await?);
        }
        // One script a shard ends all of its leases.
        let mut by_shard: Vec<Vec<usize>> = vec![Vec::new(); self.shards];
        let mut args: Vec<Vec<Vec<u8>>> = vec![Vec::new(); self.shards];
        for (i, block) in blocks.iter_mut().enumerate() {
            by_shard[block.shard].push(i);
            args[block.shard].append(&mut block.args);
        }
        let calls = by_shard
            .iter()
            .zip(args)
            .enumerate()
            .filter(|(_, (items, _))| !items.is_empty())
            .map(|(shard, (items, rest))| {
                let mut all = vec![items.len().to_string().into_bytes()];
                all.extend(rest);
                async move {
                    let answer: Vec<Value> = self.run(&DONE, shard, &all).await?;
                    Ok::<_, Error>((shard, answer))
                }
            });
        let answers = try_join_all(calls).await?;
        self.changed.notify_one();
        for (shard, answer) in answers {
            let mut answer = answer.into_iter();
            for &i in &by_shard[shard] {
                let one = match answer.next() {
                    Some(Value::Array(one)) => one,
                    _ => Vec::new(),
                };
                if one.first().and_then(int) != Some(1) {
                    return Err(self.not_held(&ended[i].0));
                }
                if let Some(Value::Array(letters)) = one.get(1) {
                    let block = &mut blocks[i];
                    for (&j, l) in block.fresh.iter().zip(letters) {
                        block.verdicts[j] = verdict(text(l).unwrap_or_default());
                    }
                    self.remember(&ended[i].1.links, &block.verdicts);
                }
            }
        }
        Ok(blocks.into_iter().map(|b| b.verdicts).collect())
    }
}
