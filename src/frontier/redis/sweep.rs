//! Popping: one sweep of the pop script over the shards, skipping those found idle
//! a moment ago.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use ::redis::Value;

use super::{IDLE_SKIP, POP, RedisFrontier, SHARD_BITS, int, ms, text};
use crate::error::Error;
use crate::frontier::Lease;

#[derive(Debug, Default)]
pub(super) struct Swept {
    pub(super) ready: Option<Lease>,
    pub(super) wait: Option<Duration>,
    /// Each shard looked at, with its version.
    pub(super) versions: Vec<(usize, i64)>,
    pub(super) busy: bool,
}

impl RedisFrontier {
    pub(super) fn idle_until(&self, shard: usize) -> Option<std::time::Instant> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.get(shard).copied().flatten()
    }

    pub(super) fn set_idle(&self, shard: usize, until: Option<std::time::Instant>) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = idle.get_mut(shard) {
            *slot = until;
        }
    }

    /// One sweep of pop over the shards, from a rotating start; unless `full`, the
    /// shards found idle a moment ago are skipped (on a Cluster most shards of a crawl
    /// of few hosts are idle, and each costs a round trip).
    pub(super) async fn sweep(&self, full: bool) -> Result<Swept, Error> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut swept = Swept::default();
        let ttl = ms(self.lease_ttl).to_string().into_bytes();
        let now = std::time::Instant::now();
        for i in 0..self.shards {
            let shard = (start + i) % self.shards;
            if !full && self.idle_until(shard).is_some_and(|until| until > now) {
                continue;
            }
            let answer: Vec<Value> = self.run(&POP, shard, std::slice::from_ref(&ttl)).await?;
            match answer.first().and_then(text) {
                Some(b"r") => {
                    let seq = answer.get(1).and_then(int).unwrap_or(0);
                    let payload = answer.get(2).and_then(text).unwrap_or_default();
                    let expires = answer.get(3).and_then(int).unwrap_or(0);
                    let request = self.request(payload)?;
                    swept.ready = Some(Lease {
                        id: (u64::try_from(seq).unwrap_or(0) << SHARD_BITS) | shard as u64,
                        request,
                        expires: Some(
                            SystemTime::UNIX_EPOCH
                                + Duration::from_millis(u64::try_from(expires).unwrap_or(0)),
                        ),
                    });
                    return Ok(swept);
                }
                Some(b"e") => {
                    return Err(Error::Frontier(
                        format!(
                            "crawl {} at {}: {} requests are queued but none can be handed \
                             out and none is in flight (a bug)",
                            self.id,
                            self.at,
                            answer.get(1).and_then(int).unwrap_or(0)
                        )
                        .into(),
                    ));
                }
                _ => {
                    let wait = answer.get(1).and_then(int).unwrap_or(-1);
                    if let Ok(wait) = u64::try_from(wait) {
                        let wait = Duration::from_millis(wait);
                        swept.wait = Some(swept.wait.map_or(wait, |w| w.min(wait)));
                    }
                    swept
                        .versions
                        .push((shard, answer.get(2).and_then(int).unwrap_or(0)));
                    let open = answer.get(3).and_then(int).unwrap_or(0)
                        + answer.get(4).and_then(int).unwrap_or(0);
                    swept.busy |= open > 0;
                    self.set_idle(shard, (open == 0).then(|| now + IDLE_SKIP));
                }
            }
        }
        Ok(swept)
    }
}
