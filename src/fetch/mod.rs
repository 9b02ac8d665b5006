//! Fetching: the one shared HTTP client, single request hops, bounded body reads, and
//! the classification of every way a fetch can fail.
//!
//! Redirects are not followed by the client: the crawl engine follows them hop by hop
//! ([`Fetcher::hop`]) so that every hop is checked for its scheme, its loop, robots.txt
//! and blocked addresses. [`Fetcher::hop`] is the one way a request is sent (pages,
//! redirects, robots.txt, sitemaps), so what must hold for every request is decided
//! there: `--block-private`'s check of IP literals, and which credentials go with the
//! request ([`credentials`]). A failure is data ([`FetchError`]), never a panic.

mod classify;
mod cookies;
pub mod credentials;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use url::Url;

pub use self::classify::classify;
use self::cookies::CookieJar;
pub use self::cookies::MAX_COOKIES;
use self::credentials::Credentials;
pub use self::credentials::{BasicAuth, ProxyUrl, RequestHeader};
use crate::config::Config;
use crate::error::Error;
use crate::guard;
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

/// A response to a request a rendered page made, whole.
#[cfg(feature = "render")]
#[derive(Debug)]
pub(crate) struct Forwarded {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

/// The shared client, the limits that apply to every fetch, and where credentials may
/// go.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: Client,
    max_body: u64,
    block_private: bool,
    credentials: Arc<Credentials>,
    jar: Option<Arc<CookieJar>>,
}

/// Builds the one HTTP client a crawl shares: pooled connections, gzip, brotli and
/// deflate, HTTP/2 where the server offers it, no automatic redirects, the `-H`
/// headers that are not credentials, the proxy, and the cookie jar.
fn build_client(config: &Config, jar: Option<&Arc<CookieJar>>) -> Result<Client, Error> {
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
        .deflate(true)
        .dns_resolver(guard::Resolver {
            public_only: config.block_private,
        });
    let mut headers = HeaderMap::new();
    for header in config.headers.iter().filter(|h| !h.is_credential()) {
        let (name, value) = header.pair();
        headers.append(name, value);
    }
    builder = builder.default_headers(headers);
    for (host, ip) in &config.resolve {
        // Port 0: the URL's port is used.
        builder = builder.resolve(host, std::net::SocketAddr::new(*ip, 0));
    }
    if config.block_private {
        // A proxy resolves names itself, out of the guard's sight: with
        // --block-private, HTTP(S)_PROXY are ignored (and --proxy is refused).
        builder = builder.no_proxy();
    } else if let Some(proxy) = &config.proxy {
        let unusable = |e: reqwest::Error| {
            let why = crate::redact::text(&e.to_string()).into_owned();
            Error::Config(format!("cannot use the proxy {proxy}: {why}"))
        };
        let proxy = reqwest::Proxy::all(proxy.as_url().as_str())
            .map_err(unusable)?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(proxy);
    }
    if let Some(jar) = jar {
        builder = builder.cookie_provider(jar.clone());
    }
    builder.build().map_err(Error::Client)
}

impl Fetcher {
    /// A fetcher for `config`: its client, and the cookie jar read from
    /// [`Config::cookie_jar`].
    ///
    /// # Errors
    ///
    /// [`Error::Client`] when the TLS backend cannot be initialised or the proxy is
    /// unusable; [`Error::CookieJar`] when the jar cannot be read.
    pub fn new(config: &Config) -> Result<Self, Error> {
        let jar = match &config.cookie_jar {
            Some(path) => Some(Arc::new(CookieJar::load(path)?)),
            None => None,
        };
        Ok(Fetcher {
            client: build_client(config, jar.as_ref())?,
            max_body: config.max_body,
            block_private: config.block_private,
            credentials: Arc::new(Credentials::new(&config.headers, config.basic_auth.clone())),
            jar,
        })
    }

    /// Admits a listed URL: takes its userinfo (`user:password@`) out of it, and gives
    /// its origin the crawl's credentials (`-H` credential headers, `--user`, or its
    /// own userinfo, which comes first). The engine calls it for every listed URL before
    /// queueing it; credentials go to no origin that was not admitted so.
    pub fn admit_listed(&self, url: &mut Url) {
        self.credentials.admit(url);
    }

    /// Writes the cookie jar back to its file, if there is one.
    ///
    /// # Errors
    ///
    /// [`Error::CookieJar`] when it cannot be written.
    pub async fn save_cookies(&self) -> Result<(), Error> {
        let Some(jar) = self.jar.clone() else {
            return Ok(());
        };
        match tokio::task::spawn_blocking(move || jar.save()).await {
            Ok(saved) => saved,
            Err(e) => Err(Error::CookieJar {
                name: "the cookie jar".into(),
                detail: format!("the writing task failed: {e}"),
                source: None,
            }),
        }
    }

    /// Sends one GET and sorts the answer: a redirect, a 2xx, or a failure (an error
    /// status, a redirect without a usable `Location`, a transport error, or, with
    /// `--block-private`, an IP literal that is not public, refused unsent).
    pub async fn hop(&self, url: &Url) -> Result<Hop, FetchError> {
        if self.block_private && guard::is_blocked_literal(url) {
            let host = url.host_str().unwrap_or_default();
            return Err(FetchError::new(
                FailureKind::Blocked,
                format!("blocked address {host} (--block-private)"),
            ));
        }
        let response = self
            .request(Method::GET, url)
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
                        "HTTP {} with a bad Location {:?}: {e}",
                        status.as_u16(),
                        crate::redact::text(&location)
                    ),
                )),
            };
        }
        Err(status_error(status, &response))
    }

    /// The GET for `url`, with the credentials its origin was given: the URL's own
    /// userinfo is taken out of it and sent as basic authentication (to its own
    /// origin only, as the URL says); a listed origin gets `--user` or its listed
    /// userinfo, and the `-H` credential headers. A `-H` cookie is sent together with
    /// the jar's cookies for the URL.
    fn request(&self, method: Method, url: &Url) -> RequestBuilder {
        let mut target = url.clone();
        let own = credentials::take_userinfo(&mut target);
        let grant = self.credentials.grant(&target, own);
        let mut jar_cookies = self.jar.as_ref().and_then(|jar| {
            grant
                .headers
                .iter()
                .any(|(name, _)| name == COOKIE)
                .then(|| reqwest::cookie::CookieStore::cookies(jar.as_ref(), &target))
                .flatten()
        });
        let mut request = self.client.request(method, target);
        if let Some(basic) = &grant.basic {
            request = request.basic_auth(basic.user(), Some(basic.password()));
        }
        for (name, value) in &grant.headers {
            let mut value = value.clone();
            if name == COOKIE
                && let Some(jar) = jar_cookies.take()
            {
                // The client adds the jar's cookies only to a request without a
                // Cookie header: join them here.
                let mut joined = value.as_bytes().to_vec();
                joined.extend_from_slice(b"; ");
                joined.extend_from_slice(jar.as_bytes());
                if let Ok(mut both) = HeaderValue::from_bytes(&joined) {
                    both.set_sensitive(true);
                    value = both;
                }
            }
            request = request.header(name.clone(), value);
        }
        request
    }

    /// Sends a request a rendered page made (`--render`) as the browser asked, with the
    /// crawl's credentials policy, headers and guard, and reads its whole answer (the
    /// body within `cap`). Redirects are returned, not followed: the browser follows
    /// them, and each hop comes back here.
    #[cfg(feature = "render")]
    pub(crate) async fn forward(
        &self,
        method: &str,
        url: &Url,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
        cap: u64,
    ) -> Result<Forwarded, FetchError> {
        /// Set by the client or meaningless once the request is sent again.
        const DROP_SENT: [&str; 11] = [
            "host",
            "connection",
            "content-length",
            "accept-encoding",
            "user-agent",
            "cookie",
            "transfer-encoding",
            "upgrade",
            "te",
            "keep-alive",
            "proxy-authorization",
        ];
        /// Describe the bytes as sent, not as handed back decompressed; cookies stay
        /// in crawl's jar, not the browser's.
        const DROP_RECEIVED: [&str; 6] = [
            "content-encoding",
            "content-length",
            "transfer-encoding",
            "connection",
            "keep-alive",
            "set-cookie",
        ];
        if self.block_private && guard::is_blocked_literal(url) {
            let host = url.host_str().unwrap_or_default();
            return Err(FetchError::new(
                FailureKind::Blocked,
                format!("blocked address {host} (--block-private)"),
            ));
        }
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| FetchError::new(FailureKind::Protocol, "a bad request method"))?;
        let mut request = self.request(method, url);
        for (name, value) in headers {
            if DROP_SENT.iter().any(|d| name.eq_ignore_ascii_case(d)) {
                continue;
            }
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| !DROP_RECEIVED.contains(&name.as_str()))
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let body = read_capped(response, cap, false).await?;
        Ok(Forwarded {
            status,
            headers,
            body,
        })
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
