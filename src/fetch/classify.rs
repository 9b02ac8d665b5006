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
