//! Sorting a transport error into a [`FailureKind`]: by the types along its source
//! chain and the [`io::ErrorKind`]s in it, never by its text (which holds the URL: a
//! refused connection to `/tls-guide.html` is a refused connection).

use std::error::Error as StdError;
use std::fmt;
use std::io;

use super::FetchError;
use crate::guard::{BlockedAddress, DnsError};
use crate::stats::FailureKind;

/// Sorts a transport error into a [`FailureKind`] with a short description.
///
/// In order: the guard's refusal ([`BlockedAddress`]), a timeout, a resolver failure
/// ([`DnsError`]), a TLS failure (a `rustls::Error` anywhere in the chain), an HTTP
/// protocol error (hyper's), a body that cannot be decoded, then by the innermost
/// [`io::ErrorKind`]: refused, reset, cut short, timed out.
pub fn classify(err: &reqwest::Error) -> FetchError {
    let chain = ErrorChain::of(err);
    let (kind, detail) = if let Some(blocked) = chain.find::<BlockedAddress>() {
        (FailureKind::Blocked, format!("{blocked} (--block-private)"))
    } else if err.is_timeout() || chain.io_kind(io::ErrorKind::TimedOut) {
        (FailureKind::Timeout, "timed out".to_owned())
    } else if let Some(dns) = chain.find::<DnsError>() {
        (FailureKind::Dns, dns.to_string())
    } else if let Some(tls) = chain.find::<rustls::Error>() {
        (FailureKind::Tls, format!("TLS failed: {tls}"))
    } else if let Some(h) = chain.find::<hyper::Error>() {
        // Checked before `is_decode`: with decompression on, reqwest calls every body
        // error a decode error, also a short body or a reset underneath.
        if h.is_parse() {
            (
                FailureKind::Protocol,
                format!("not a valid HTTP response: {h}"),
            )
        } else if h.is_incomplete_message() {
            (
                FailureKind::Reset,
                "connection closed before the response was complete".to_owned(),
            )
        } else {
            chain.io_or(FailureKind::Reset, h)
        }
    } else if err.is_decode() {
        (
            FailureKind::Decode,
            format!("cannot decode the body: {}", chain.last()),
        )
    } else if err.is_connect() {
        chain.io_or(FailureKind::Connect, &"cannot connect")
    } else {
        chain.io_or(FailureKind::Other, &"request failed")
    };
    FetchError::new(kind, detail)
}

/// An error and its sources, innermost last. An [`io::Error`] that wraps another
/// error (as tokio-rustls wraps `rustls::Error`) contributes the wrapped error too:
/// `io::Error::source` skips it.
struct ErrorChain<'a> {
    errors: Vec<&'a (dyn StdError + 'static)>,
}

impl<'a> ErrorChain<'a> {
    fn of(err: &'a (dyn StdError + 'static)) -> Self {
        let mut errors: Vec<&'a (dyn StdError + 'static)> = Vec::new();
        let mut next: Option<&'a (dyn StdError + 'static)> = Some(err);
        // Bounded, against a cycle in a hand-written `source`.
        while let Some(e) = next.filter(|_| errors.len() < 64) {
            errors.push(e);
            next = match e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
                Some(inner) => Some(inner as &(dyn StdError + 'static)),
                None => e.source(),
            };
        }
        ErrorChain { errors }
    }

    fn find<E: StdError + 'static>(&self) -> Option<&'a E> {
        self.errors.iter().find_map(|e| e.downcast_ref::<E>())
    }

    fn io(&self) -> Option<&'a io::Error> {
        self.find::<io::Error>()
    }

    fn io_kind(&self, kind: io::ErrorKind) -> bool {
        self.errors
            .iter()
            .filter_map(|e| e.downcast_ref::<io::Error>())
            .any(|e| e.kind() == kind)
    }

    /// The innermost message, usually the most specific.
    fn last(&self) -> String {
        self.errors
            .last()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    /// Classifies by the outermost I/O error, or falls back to `kind`, described as
    /// `outer` and the innermost message.
    fn io_or(&self, kind: FailureKind, outer: &dyn fmt::Display) -> (FailureKind, String) {
        use io::ErrorKind as K;
        match self.io().map(io::Error::kind) {
            Some(K::ConnectionRefused) => (FailureKind::Connect, "connection refused".to_owned()),
            Some(K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe) => {
                (FailureKind::Reset, "connection reset".to_owned())
            }
            Some(K::UnexpectedEof) => (
                FailureKind::ShortBody,
                "body ended before its declared length".to_owned(),
            ),
            Some(K::TimedOut) => (FailureKind::Timeout, "timed out".to_owned()),
            _ => (kind, format!("{outer}: {}", self.last())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::Resolver;
    use reqwest::dns::{Name, Resolve, Resolving};

    /// Paths whose text the old classification matched.
    const MISLEADING: [&str; 6] = [
        "/tls-guide.html",
        "/certificate",
        "/handshake",
        "/dns%20error",
        "/failed%20to%20lookup%20address",
        "/blocked%20address",
    ];

    async fn fail(client: &reqwest::Client, url: &str) -> FetchError {
        let err = client.get(url).send().await.expect_err(url);
        classify(&err)
    }

    /// A port on loopback with nothing listening.
    fn refused_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_failure_whatever_the_url_says() {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let port = refused_port();
        for path in MISLEADING {
            let e = fail(&client, &format!("http://127.0.0.1:{port}{path}")).await;
            assert_eq!(e.kind, FailureKind::Connect, "{path}: {e}");
            assert!(e.is_retryable(), "{path}");
        }
        let e = fail(&client, &format!("https://127.0.0.1:{port}/tls")).await;
        assert_eq!(e.kind, FailureKind::Connect, "https, before any TLS: {e}");
    }

    /// A resolver that fails as the system's does, for a name the test makes up (no
    /// DNS server is asked).
    struct NoSuchName;

    impl Resolve for NoSuchName {
        fn resolve(&self, name: Name) -> Resolving {
            let host = name.as_str().to_owned();
            Box::pin(async move {
                let source = io::Error::other("failed to lookup address information");
                Err(Box::new(DnsError { host, source }) as Box<_>)
            })
        }
    }

    #[tokio::test]
    async fn a_resolver_failure_is_dns_whatever_the_url_says() {
        let client = reqwest::Client::builder()
            .dns_resolver(NoSuchName)
            .no_proxy()
            .build()
            .expect("client");
        for path in ["/", "/tls-guide.html", "/connection%20refused"] {
            let e = fail(&client, &format!("http://nowhere.test{path}")).await;
            assert_eq!(e.kind, FailureKind::Dns, "{path}: {e}");
            assert!(e.detail.contains("nowhere.test"), "{e}");
        }
    }

    #[tokio::test]
    async fn the_public_only_resolver_refuses_as_blocked() {
        // `localhost` is in /etc/hosts: no DNS server is asked.
        let client = reqwest::Client::builder()
            .dns_resolver(Resolver { public_only: true })
            .no_proxy()
            .build()
            .expect("client");
        let e = fail(&client, "http://localhost:9/dns%20error").await;
        assert_eq!(e.kind, FailureKind::Blocked, "{e}");
    }

    #[tokio::test]
    async fn a_tls_failure_is_tls_whatever_the_url_says() {
        // A server that answers the TLS handshake with plain HTTP.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            for stream in listener.incoming().take(2) {
                let Ok(mut stream) = stream else { continue };
                let mut hello = [0u8; 512];
                let _ = stream.read(&mut hello);
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            }
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        for path in ["/connection-refused", "/dns%20error"] {
            let e = fail(&client, &format!("https://127.0.0.1:{port}{path}")).await;
            assert_eq!(e.kind, FailureKind::Tls, "{path}: {e}");
            assert!(!e.is_retryable());
        }
        server.join().expect("server thread");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] io::Error);

    #[test]
    fn the_chain_looks_inside_io_errors() {
        let tls = rustls::Error::General("bad record".into());
        let io = io::Error::new(io::ErrorKind::InvalidData, tls);
        // `io::Error::source` skips the wrapped error; the chain must not.
        assert!(io.source().is_none());
        let outer = Outer(io);
        let chain = ErrorChain::of(&outer);
        assert_eq!(chain.errors.len(), 3, "outer, io, rustls");
        assert!(chain.find::<rustls::Error>().is_some());
        assert!(chain.io_kind(io::ErrorKind::InvalidData));
    }
}
