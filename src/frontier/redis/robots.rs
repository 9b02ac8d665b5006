//! robots.txt shared by a crawl's workers, so each origin's is read once.

use std::time::Duration;

use url::Url;

use super::{Conn, conn, ms};
use crate::error::Error;
use crate::robots::Stored;

/// robots.txt shared by a crawl's workers: `crawl:{ID/S}:robots:ORIGIN` in the shard
/// of the origin's host, `B` + base URL + newline + body, or `A` (allow all), kept
/// for a day (RFC 9309 §2.4).
#[derive(Debug)]
pub(super) struct SharedRobots {
    pub(super) conn: Conn,
    pub(super) at: String,
    pub(super) id: String,
    pub(super) shards: usize,
}

/// How long shared robots.txt is kept.
const ROBOTS_TTL: Duration = Duration::from_secs(86_400);

impl SharedRobots {
    fn key(&self, url: &Url) -> String {
        let host = url.host_str().unwrap_or_default();
        let shard = (xxhash_rust::xxh3::xxh3_64(host.as_bytes()) % self.shards as u64) as usize;
        format!(
            "crawl:{{{}/{shard}}}:robots:{}",
            self.id,
            url.origin().ascii_serialization()
        )
    }
}

impl crate::robots::RobotsStore for SharedRobots {
    fn load<'a>(
        &'a self,
        url: &'a Url,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<Stored>, Error>> {
        Box::pin(async move {
            let value: Option<Vec<u8>> = self
                .conn
                .query(::redis::cmd("GET").arg(self.key(url)))
                .await
                .map_err(|e| conn::failed(&self.at, e))?;
            let Some(value) = value else {
                return Ok(None);
            };
            Ok(match value.split_first() {
                Some((b'A', _)) => Some(Stored::AllowAll),
                Some((b'B', rest)) => {
                    let at = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                    let base = std::str::from_utf8(&rest[..at])
                        .ok()
                        .and_then(|b| Url::parse(b).ok());
                    base.map(|base| Stored::Body {
                        base,
                        body: rest.get(at + 1..).unwrap_or_default().to_vec(),
                    })
                }
                _ => None,
            })
        })
    }

    fn store<'a>(
        &'a self,
        url: &'a Url,
        stored: &'a Stored,
    ) -> futures_util::future::BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let value = match stored {
                Stored::AllowAll => b"A".to_vec(),
                Stored::Body { base, body } => {
                    let mut v = Vec::with_capacity(base.as_str().len() + body.len() + 2);
                    v.push(b'B');
                    v.extend_from_slice(base.as_str().as_bytes());
                    v.push(b'\n');
                    v.extend_from_slice(body);
                    v
                }
            };
            let _: () = self
                .conn
                .query(
                    ::redis::cmd("SET")
                        .arg(self.key(url))
                        .arg(value)
                        .arg("PX")
                        .arg(ms(ROBOTS_TTL)),
                )
                .await
                .map_err(|e| conn::failed(&self.at, e))?;
            Ok(())
        })
    }
}
