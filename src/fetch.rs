//! Fetching: the one shared HTTP client, single request hops, bounded body reads, and
//! the classification of every way a fetch can fail.
//!
//! Redirects are not followed by the client: the crawl engine follows them hop by hop
//! ([`Fetcher::hop`]) so that every hop is checked for its scheme, its loop, robots.txt
//! and blocked addresses. A failure is data ([`FetchError`]), never a panic.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use reqwest::{Client, Response, StatusCode};
use url::Url;

use crate::config::Config;
use crate::error::Error;
use crate::stats::FailureKind;

/// Why a fetch gave no usable response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The reason, for the summary.
    pub kind: FailureKind,
    /// A short human description, for the warning line.
    pub detail: String,
    /// The HTTP status, when the failure is a status.
    pub status: Option<u16>,
    /// A `Retry-After` that came with the response (429, 503).
    pub retry_after: Option<Duration>,
}

impl FetchError {
    pub(crate) fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        FetchError {
            kind,
            detail: detail.into(),
            status: None,
            retry_after: None,
        }
    }

    /// Whether trying again later may succeed: connect errors, timeouts, and the
    /// statuses 429, 502, 503 and 504.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, FailureKind::Connect | FailureKind::Timeout)
            || matches!(self.status, Some(429 | 502 | 503 | 504))
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

/// One request's answer: a redirect to follow, or the final response.
#[derive(Debug)]
pub enum Hop {
    /// A 301, 302, 303, 307 or 308 with a usable `Location`, resolved.
    Redirect(Url),
    /// Any 2xx response; its body is not read yet.
    Final(Response),
}

/// The shared client and the limits that apply to every fetch.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: Client,
    max_body: u64,
}

/// Builds the one HTTP client a crawl shares: pooled connections, gzip, brotli and
/// deflate, HTTP/2 where the server offers it, no automatic redirects.
///
/// # Errors
///
/// [`Error::Client`] when the TLS backend cannot be initialised.
pub fn build_client(config: &Config) -> Result<Client, Error> {
    let mut builder = Client::builder()
        .user_agent(config.user_agent.clone())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(config.host_concurrency.get().min(config.concurrency.get()))
        .tcp_nodelay(true)
        .gzip(true)
        .brotli(true)
        .deflate(true);
    for (host, ip) in &config.resolve {
        // Port 0: the URL's port is used.
        builder = builder.resolve(host, std::net::SocketAddr::new(*ip, 0));
    }
    if config.block_private {
        // A proxy would resolve names itself, out of the guard's sight.
        builder = builder
            .no_proxy()
            .dns_resolver(crate::guard::PublicOnlyResolver);
    }
    builder.build().map_err(Error::Client)
}

impl Fetcher {
    /// A fetcher over the client [`build_client`] makes for `config`.
    ///
    /// # Errors
    ///
    /// As [`build_client`].
    pub fn new(config: &Config) -> Result<Self, Error> {
        Ok(Fetcher {
            client: build_client(config)?,
            max_body: config.max_body,
        })
    }

    /// The shared client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends one GET and sorts the answer: a redirect, a 2xx, or a failure (an error
    /// status, a redirect without a usable `Location`, a transport error).
    pub async fn hop(&self, url: &Url) -> Result<Hop, FetchError> {
        let response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(Hop::Final(response));
        }
        if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            let Some(location) = response.headers().get(LOCATION) else {
                return Err(FetchError::new(
                    FailureKind::BadRedirect,
                    format!("HTTP {} without a Location header", status.as_u16()),
                ));
            };
            // Location is bytes; browsers decode it as UTF-8.
            let location = String::from_utf8_lossy(location.as_bytes());
            return match response.url().join(&location) {
                Ok(next) => Ok(Hop::Redirect(next)),
                Err(e) => Err(FetchError::new(
                    FailureKind::BadRedirect,
                    format!(
                        "HTTP {} with a bad Location {location:?}: {e}",
                        status.as_u16()
                    ),
                )),
            };
        }
        Err(status_error(status, &response))
    }

    /// Reads a body into memory, never more than the cap (counted after decompression).
    ///
    /// With `truncate`, a longer body is cut at the cap (robots.txt); without it, a
    /// longer body is a [`FailureKind::TooLarge`] failure and nothing of it is kept.
    pub async fn read_body(
        &self,
        response: Response,
        cap: Option<u64>,
        truncate: bool,
    ) -> Result<Bytes, FetchError> {
        let cap = cap.unwrap_or(self.max_body);
        read_capped(response, cap, truncate).await
    }
}

async fn read_capped(
    mut response: Response,
    cap: u64,
    truncate: bool,
) -> Result<Bytes, FetchError> {
    let too_large = || {
        FetchError::new(
            FailureKind::TooLarge,
            format!("body larger than the cap of {cap} bytes"),
        )
    };
    let declared = response.content_length().unwrap_or(0);
    if declared > cap && !truncate {
        return Err(too_large());
    }
    let cap_usize = usize::try_from(cap).unwrap_or(usize::MAX);
    // A body that arrives in one chunk is kept as it came, without a copy.
    let mut first: Option<Bytes> = None;
    let mut body = BytesMut::new();
    let mut len = 0usize;
    while let Some(mut chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        let room = cap_usize - len;
        let cut = chunk.len() > room;
        if cut {
            if !truncate {
                return Err(too_large());
            }
            chunk.truncate(room);
        }
        len += chunk.len();
        match first.take() {
            None if body.is_empty() => first = Some(chunk),
            held => {
                if let Some(held) = held {
                    body.reserve(declared.min(cap).max(2 * len as u64).min(1 << 20) as usize);
                    body.extend_from_slice(&held);
                }
                body.extend_from_slice(&chunk);
            }
        }
        if cut {
            break;
        }
    }
    Ok(first.unwrap_or_else(|| body.freeze()))
}

/// The `Content-Type` header, if present and readable.
pub fn content_type(response: &Response) -> Option<&str> {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// The `Content-Type` to decide by, or `None` when the header says nothing usable
/// and the bytes must be sniffed (MIME Sniffing standard: an empty or unparsable
/// value, `unknown/unknown`, `application/unknown`, `*/*`).
pub fn declared_type(content_type: Option<&str>) -> Option<&str> {
    let value = content_type?;
    let essence = value.split(';').next().unwrap_or("").trim();
    let (kind, subtype) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    if !token(kind) || !token(subtype) {
        return None;
    }
    let unknown = essence.eq_ignore_ascii_case("unknown/unknown")
        || essence.eq_ignore_ascii_case("application/unknown")
        || essence == "*/*";
    (!unknown).then_some(value)
}

/// Whether a `Content-Type` names HTML: `text/html` or `application/xhtml+xml`.
pub fn is_html_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("text/html")
        || essence.eq_ignore_ascii_case("application/xhtml+xml")
}

/// For a response without a `Content-Type`: whether its bytes look like HTML, per the
/// MIME Sniffing standard's HTML patterns (after leading whitespace, a case-insensitive
/// `<!DOCTYPE HTML`, `<HTML`, `<HEAD`, `<BODY`, `<A`, `<P`, … followed by a space or `>`).
pub fn sniff_html(body: &[u8]) -> bool {
    const TAGS: [&[u8]; 17] = [
        b"<!DOCTYPE HTML",
        b"<HTML",
        b"<HEAD",
        b"<SCRIPT",
        b"<IFRAME",
        b"<H1",
        b"<DIV",
        b"<FONT",
        b"<TABLE",
        b"<A",
        b"<STYLE",
        b"<TITLE",
        b"<B",
        b"<BODY",
        b"<BR",
        b"<P",
        b"<!--",
    ];
    let start = body
        .iter()
        .position(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '))
        .unwrap_or(body.len());
    let rest = &body[start..];
    TAGS.iter().any(|tag| {
        rest.len() > tag.len()
            && rest[..tag.len()].eq_ignore_ascii_case(tag)
            && matches!(rest[tag.len()], b' ' | b'>')
    })
}

fn status_error(status: StatusCode, response: &Response) -> FetchError {
    let kind = if status.is_client_error() {
        FailureKind::ClientError
    } else if status.is_server_error() {
        FailureKind::ServerError
    } else {
        FailureKind::OtherStatus
    };
    let reason = status.canonical_reason().unwrap_or("");
    let mut err = FetchError::new(
        kind,
        format!("HTTP {} {reason}", status.as_u16()).trim_end(),
    );
    err.status = Some(status.as_u16());
    if matches!(status.as_u16(), 429 | 503) {
        err.retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
    }
    err
}

/// Parses `Retry-After`: delay-seconds or an HTTP date (a date in the past is zero).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Sorts a transport error into a [`FailureKind`] with a short description.
pub fn classify(err: &reqwest::Error) -> FetchError {
    let chain = ErrorChain::of(err);
    let (kind, detail) = if let Some(blocked) = chain.find::<crate::guard::BlockedAddress>() {
        (FailureKind::Blocked, format!("{blocked} (--block-private)"))
    } else if err.is_timeout() || chain.io_kind(io::ErrorKind::TimedOut) {
        (FailureKind::Timeout, "timed out".to_owned())
    } else if let Some(h) = chain.hyper() {
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
    } else if chain.contains("dns error") || chain.contains("failed to lookup address") {
        (
            FailureKind::Dns,
            format!("cannot resolve the host: {}", chain.last()),
        )
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake")
    {
        (FailureKind::Tls, format!("TLS failed: {}", chain.last()))
    } else if err.is_connect() {
        chain.io_or(FailureKind::Connect, err)
    } else {
        chain.io_or(FailureKind::Other, err)
    };
    FetchError::new(kind, detail)
}

struct ErrorChain<'a> {
    errors: Vec<&'a (dyn StdError + 'static)>,
}

impl<'a> ErrorChain<'a> {
    fn of(err: &'a reqwest::Error) -> Self {
        let mut errors: Vec<&'a (dyn StdError + 'static)> = vec![err];
        let mut next = err.source();
        while let Some(e) = next {
            errors.push(e);
            next = e.source();
        }
        ErrorChain { errors }
    }

    fn find<E: StdError + 'static>(&self) -> Option<&'a E> {
        self.errors.iter().find_map(|e| e.downcast_ref::<E>())
    }

    fn hyper(&self) -> Option<&'a hyper::Error> {
        self.find::<hyper::Error>()
    }

    fn io(&self) -> Option<&'a io::Error> {
        self.errors
            .iter()
            .find_map(|e| e.downcast_ref::<io::Error>())
    }

    fn io_kind(&self, kind: io::ErrorKind) -> bool {
        self.io().is_some_and(|e| e.kind() == kind)
    }

    fn contains(&self, needle: &str) -> bool {
        self.errors
            .iter()
            .any(|e| e.to_string().to_ascii_lowercase().contains(needle))
    }

    /// The innermost message, usually the most specific.
    fn last(&self) -> String {
        self.errors
            .last()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    /// Classifies by the innermost I/O error, or falls back to `kind`.
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

    #[test]
    fn html_types() {
        assert!(is_html_type("text/html"));
        assert!(is_html_type("Text/HTML; charset=utf-8"));
        assert!(is_html_type("application/xhtml+xml"));
        assert!(!is_html_type("text/plain"));
        assert!(!is_html_type("application/pdf"));
        assert!(!is_html_type("text/htmlx"));
    }

    #[test]
    fn unusable_content_types_are_sniffed() {
        for v in [
            "",
            "html",
            "unknown/unknown",
            "Application/Unknown",
            "*/*",
            "text/",
            "a b/c",
        ] {
            assert_eq!(declared_type(Some(v)), None, "{v:?}");
        }
        assert_eq!(declared_type(None), None);
        assert_eq!(
            declared_type(Some("text/plain; x=1")),
            Some("text/plain; x=1")
        );
        assert_eq!(declared_type(Some("text/html")), Some("text/html"));
    }

    #[test]
    fn sniffs_html_without_content_type() {
        assert!(sniff_html(b"  \n<!doctype html><p>"));
        assert!(sniff_html(b"<html>"));
        assert!(sniff_html(b"<a href=x>"));
        assert!(!sniff_html(b"<abbr>"));
        assert!(!sniff_html(b"%PDF-1.4"));
        assert!(!sniff_html(b"<html"));
        assert!(!sniff_html(b""));
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn retryable_failures() {
        let status = |code: u16| {
            let mut e = FetchError::new(FailureKind::ServerError, "status");
            e.status = Some(code);
            e.is_retryable()
        };
        assert!(FetchError::new(FailureKind::Timeout, "timed out").is_retryable());
        assert!(FetchError::new(FailureKind::Connect, "refused").is_retryable());
        assert!(status(429) && status(502) && status(503) && status(504));
        assert!(!status(500) && !status(404) && !status(403));
        assert!(!FetchError::new(FailureKind::TooLarge, "big").is_retryable());
        assert!(!FetchError::new(FailureKind::Reset, "reset").is_retryable());
    }
}
