//! The connection: one Redis server (`redis://`, `rediss://`) or a Cluster
//! (`redis+cluster://H1:P1,H2:P2`), each multiplexed over one connection per node and
//! cheap to clone. Every call has a response timeout, so a server that goes away is an
//! error, never a hang.

use std::time::Duration;

use ::redis::aio::MultiplexedConnection;
use ::redis::cluster_async::ClusterConnection;
use ::redis::{FromRedisValue, RedisError, ScriptInvocation};

use crate::error::Error;

/// How long a command may take before the server is taken for gone.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to the server or the Cluster.
#[derive(Clone)]
pub(crate) enum Conn {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conn::Single(_) => f.write_str("Conn::Single"),
            Conn::Cluster(_) => f.write_str("Conn::Cluster"),
        }
    }
}

/// The address without a password, for messages.
pub(crate) fn redacted(target: &str) -> String {
    match (target.find("://"), target.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}", &target[..scheme + 3], &target[at + 1..])
        }
        _ => target.to_owned(),
    }
}

/// An error talking to the server at `at`.
pub(crate) fn failed(at: &str, e: RedisError) -> Error {
    // The client's error follows as the source: the detail does not repeat it.
    let detail = if e.is_timeout() {
        "no answer in time (is the server up?)"
    } else if e.is_connection_refusal() {
        "connection refused (is the server up?)"
    } else if e.is_io_error() || e.is_connection_dropped() {
        "connection lost"
    } else {
        "the server answered with an error"
    }
    .to_owned();
    Error::Shared {
        at: at.to_owned(),
        detail,
        source: Some(Box::new(e)),
    }
}

impl Conn {
    /// Connects to `target`: `redis://HOST:PORT/DB`, `rediss://…` (TLS), or
    /// `redis+cluster://H1:P1,H2:P2` (`rediss+cluster://` for TLS).
    pub(crate) async fn open(target: &str) -> Result<Conn, Error> {
        let at = redacted(target);
        let bad = |detail: String| Error::Shared {
            at: at.clone(),
            detail,
            source: None,
        };
        let cluster = ["redis+cluster://", "rediss+cluster://"]
            .iter()
            .find(|scheme| target.starts_with(*scheme));
        if let Some(scheme) = cluster {
            let tls = scheme.starts_with("rediss");
            let rest = &target[scheme.len()..];
            let (auth, nodes) = match rest.rfind('@') {
                Some(i) => (&rest[..=i], &rest[i + 1..]),
                None => ("", rest),
            };
            let nodes: Vec<String> = nodes
                .split(',')
                .filter(|n| !n.trim().is_empty())
                .map(|n| {
                    let n = n.trim().trim_end_matches('/');
                    format!("{}://{auth}{n}", if tls { "rediss" } else { "redis" })
                })
                .collect();
            if nodes.is_empty() {
                return Err(bad(
                    "no Cluster nodes given (redis+cluster://H1:P1,H2:P2)".into()
                ));
            }
            let client = redis::cluster::ClusterClient::builder(nodes)
                .connection_timeout(CONNECT_TIMEOUT)
                .response_timeout(RESPONSE_TIMEOUT)
                .build()
                .map_err(|e| failed(&at, e))?;
            let conn = tokio::time::timeout(CONNECT_TIMEOUT * 2, client.get_async_connection())
                .await
                .map_err(|_| bad("no answer in time (is the Cluster up?)".into()))?
                .map_err(|e| failed(&at, e))?;
            return Ok(Conn::Cluster(conn));
        }
        if !(target.starts_with("redis://") || target.starts_with("rediss://")) {
            return Err(bad(
                "not a Redis address: give redis://HOST:PORT/DB, rediss://… or \
                 redis+cluster://H1:P1,H2:P2"
                    .into(),
            ));
        }
        let client = redis::Client::open(target).map_err(|e| failed(&at, e))?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| failed(&at, e))?;
        Ok(Conn::Single(conn))
    }

    /// Whether this is a Cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Conn::Cluster(_))
    }

    /// Runs a script (loading it on first use on each node).
    pub(crate) async fn invoke<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, RedisError> {
        match self {
            Conn::Single(c) => invocation.invoke_async(&mut c.clone()).await,
            Conn::Cluster(c) => invocation.invoke_async(&mut c.clone()).await,
        }
    }

    /// Runs a command.
    pub(crate) async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, RedisError> {
        match self {
            Conn::Single(c) => cmd.query_async(&mut c.clone()).await,
            Conn::Cluster(c) => cmd.query_async(&mut c.clone()).await,
        }
    }
}
