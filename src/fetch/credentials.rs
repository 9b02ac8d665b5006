//! Request options and where credentials may go.
//!
//! - [`RequestHeader`] (`-H "Name: value"`): sent with every request, except the
//!   credential headers (`Authorization`, `Proxy-Authorization`, `Cookie`), which go
//!   only to the origins of the listed URLs.
//! - [`BasicAuth`] (`--user USER:PASSWORD`): HTTP basic authentication for the origins
//!   of the listed URLs.
//! - A listed URL's userinfo (`http://user:password@host/`): basic authentication for
//!   that URL's own origin, which it takes over from `--user`. It is taken out of the URL
//!   when the URL is admitted ([`super::Fetcher::admit_listed`]), so outputs and logs
//!   never carry it.
//! - [`ProxyUrl`] (`--proxy URL`): http, https, socks5 or socks5h; its userinfo is the
//!   proxy's credentials, sent to the proxy only.
//!
//! An origin is a scheme, host and port: credentials given for `https://example.com/`
//! are not sent to `http://example.com/`, `https://www.example.com/` or
//! `https://example.com:8443/`, whether a redirect or a link leads there. Cookies from
//! the cookie jar follow their own domain and path rules (RFC 6265).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use reqwest::header::{AUTHORIZATION, COOKIE, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use url::Url;

use crate::error::Error;
use crate::redact;

/// Header names `-H` may not set: the framing and connection headers the client
/// manages, and the ones another option owns.
const REFUSED: [(&str, &str); 11] = [
    ("host", "it is the URL's host"),
    ("content-length", "crawl sends no request body"),
    ("transfer-encoding", "crawl sends no request body"),
    ("connection", "the client manages connections"),
    ("keep-alive", "the client manages connections"),
    ("proxy-connection", "the client manages connections"),
    ("upgrade", "the client manages connections"),
    ("te", "the client manages connections"),
    ("trailer", "crawl sends no request body"),
    (
        "accept-encoding",
        "crawl asks for the encodings it decodes (gzip, brotli, deflate)",
    ),
    (
        "user-agent",
        "use --user-agent, which robots.txt is matched against",
    ),
];

/// One `-H "Name: value"` request header, validated: a header name (token) and a
/// value without line breaks.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestHeader {
    name: HeaderName,
    value: HeaderValue,
    text: String,
}

impl RequestHeader {
    /// A header named `name` with `value` (surrounding whitespace trimmed).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the name is not a header name, the value holds a line
    /// break or another control character, or the header is one crawl sets itself
    /// (`Host`, `Content-Length`, `Connection`, `Accept-Encoding`, `User-Agent`, …).
    pub fn new(name: &str, value: &str) -> Result<Self, Error> {
        let bad = |why: String| Err(Error::Config(why));
        let header = HeaderName::from_bytes(name.trim().as_bytes());
        let Ok(header) = header else {
            return bad(format!("{name:?} is not a header name"));
        };
        if let Some((_, why)) = REFUSED.iter().find(|(n, _)| *n == header.as_str()) {
            return bad(format!("-H cannot set {name}: {why}"));
        }
        let text = value.trim().to_owned();
        let Ok(mut value) = HeaderValue::from_str(&text) else {
            return bad(format!(
                "the value of the {name} header must be one line of visible characters"
            ));
        };
        let credential = is_credential(&header);
        value.set_sensitive(credential);
        Ok(RequestHeader {
            name: header,
            value,
            text,
        })
    }

    /// The name, lowercase.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The value.
    pub fn value(&self) -> &str {
        &self.text
    }

    /// Whether it carries credentials (`Authorization`, `Proxy-Authorization`,
    /// `Cookie`), and so goes only to the origins of the listed URLs.
    pub fn is_credential(&self) -> bool {
        is_credential(&self.name)
    }

    pub(crate) fn pair(&self) -> (HeaderName, HeaderValue) {
        (self.name.clone(), self.value.clone())
    }
}

fn is_credential(name: &HeaderName) -> bool {
    [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE].contains(name)
}

impl FromStr for RequestHeader {
    type Err = Error;

    /// Parses `Name: value`, as curl's `-H` takes it.
    fn from_str(s: &str) -> Result<Self, Error> {
        let Some((name, value)) = s.split_once(':') else {
            return Err(Error::Config(format!(
                "{:?} is not a header: expected \"Name: value\"",
                redact::text(s)
            )));
        };
        RequestHeader::new(name, value)
    }
}

impl fmt::Debug for RequestHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.is_credential() {
            redact::MASK
        } else {
            self.value()
        };
        write!(f, "{}: {value}", self.name)
    }
}

/// HTTP basic authentication: a user and a password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    user: String,
    password: String,
}

impl BasicAuth {
    /// `user` and `password`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the user holds a `:` (RFC 7617) or either holds a
    /// control character.
    pub fn new(user: &str, password: &str) -> Result<Self, Error> {
        if user.contains(':') {
            return Err(Error::Config(
                "a basic-auth user name cannot hold ':'".into(),
            ));
        }
        if user.chars().chain(password.chars()).any(char::is_control) {
            return Err(Error::Config(
                "a basic-auth user or password cannot hold control characters".into(),
            ));
        }
        Ok(BasicAuth {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl FromStr for BasicAuth {
    type Err = Error;

    /// Parses `USER:PASSWORD` (the password may hold `:`), as curl's `--user` takes it.
    fn from_str(s: &str) -> Result<Self, Error> {
        let Some((user, password)) = s.split_once(':') else {
            return Err(Error::Config(
                "expected USER:PASSWORD (the password after the first ':')".into(),
            ));
        };
        BasicAuth::new(user, password)
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.user, redact::MASK)
    }
}

/// A proxy for every request (`--proxy`): `http://`, `https://`, `socks5://` (names
/// resolved here) or `socks5h://` (names resolved by the proxy), with the proxy's
/// credentials, if any, in its userinfo. It displays with its password hidden.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(Url);

impl ProxyUrl {
    /// The schemes a proxy URL may have.
    pub const SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

    /// The URL, userinfo included.
    pub fn as_url(&self) -> &Url {
        &self.0
    }
}

impl FromStr for ProxyUrl {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let shown = redact::text(s);
        let bad = |why: &str| {
            Err(Error::Config(format!(
                "bad proxy URL {shown:?}: {why} (e.g. http://127.0.0.1:3128, socks5h://127.0.0.1:1080)"
            )))
        };
        let url = match Url::parse(s) {
            Ok(url) => url,
            Err(e) => return bad(&e.to_string()),
        };
        if !Self::SCHEMES.contains(&url.scheme()) {
            return bad("the scheme must be http, https, socks5 or socks5h");
        }
        if url.host_str().is_none_or(str::is_empty) {
            return bad("no host");
        }
        Ok(ProxyUrl(url))
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redact::url(&self.0).fmt(f)
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

/// Takes the userinfo out of `url`, percent-decoded: `None` when it had none.
pub(crate) fn take_userinfo(url: &mut Url) -> Option<BasicAuth> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let auth = BasicAuth {
        user: decode(url.username()),
        password: decode(url.password().unwrap_or_default()),
    };
    // Only cannot-be-a-base URLs refuse these, and they have no userinfo.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(auth)
}

/// What the credentials table grants one request.
#[derive(Debug, Default)]
pub(crate) struct Grant<'a> {
    /// Basic authentication.
    pub basic: Option<BasicAuth>,
    /// `-H` credential headers (with `Authorization` left out when `basic` is set).
    pub headers: Vec<&'a (HeaderName, HeaderValue)>,
}

/// Which credentials go to which origin: `-H` credential headers and `--user` to the
/// origins of the listed URLs, a listed URL's userinfo to its own origin.
#[derive(Default)]
pub(crate) struct Credentials {
    headers: Vec<(HeaderName, HeaderValue)>,
    user: Option<BasicAuth>,
    /// Listed origins (ASCII serialization), each with the userinfo of the first
    /// listed URL of it that had one.
    listed: RwLock<HashMap<String, Option<BasicAuth>>>,
    any_listed: AtomicBool,
}

impl Credentials {
    pub fn new(headers: &[RequestHeader], user: Option<BasicAuth>) -> Self {
        Credentials {
            headers: headers
                .iter()
                .filter(|h| h.is_credential())
                .map(RequestHeader::pair)
                .collect(),
            user,
            ..Credentials::default()
        }
    }

    /// Admits a listed URL: takes its userinfo out, and gives its origin the
    /// credentials (its own userinfo first).
    pub fn admit(&self, url: &mut Url) {
        let userinfo = take_userinfo(url);
        if userinfo.is_none() && self.headers.is_empty() && self.user.is_none() {
            return;
        }
        let key = url.origin().ascii_serialization();
        let mut listed = self.listed.write().unwrap_or_else(|e| e.into_inner());
        let entry = listed.entry(key).or_default();
        if entry.is_none() {
            *entry = userinfo;
        }
        self.any_listed.store(true, Relaxed);
    }

    /// What a request to `url` (without userinfo) gets; `own` is the userinfo the
    /// URL itself carried, which is for its own origin whatever the table says.
    pub fn grant(&self, url: &Url, own: Option<BasicAuth>) -> Grant<'_> {
        let mut grant = Grant {
            basic: own,
            headers: Vec::new(),
        };
        if !self.any_listed.load(Relaxed) {
            return grant;
        }
        let key = url.origin().ascii_serialization();
        let listed = self.listed.read().unwrap_or_else(|e| e.into_inner());
        let Some(userinfo) = listed.get(&key) else {
            return grant;
        };
        if grant.basic.is_none() {
            grant.basic = userinfo.clone().or_else(|| self.user.clone());
        }
        let has_basic = grant.basic.is_some();
        grant.headers = self
            .headers
            .iter()
            .filter(|(name, _)| !(has_basic && name == AUTHORIZATION))
            .collect();
        grant
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origins = self.listed.read().map(|l| l.len()).unwrap_or_default();
        f.debug_struct("Credentials")
            .field("headers", &self.headers.len())
            .field("user", &self.user)
            .field("listed_origins", &origins)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn headers_parse_as_curl_takes_them() {
        let h: RequestHeader = "X-Token:  abc def ".parse().expect("valid");
        assert_eq!((h.name(), h.value()), ("x-token", "abc def"));
        assert!(!h.is_credential());
        let h: RequestHeader = "Accept: text/html, */*;q=0.1".parse().expect("valid");
        assert_eq!(h.value(), "text/html, */*;q=0.1");
        let h: RequestHeader = "X-Empty:".parse().expect("an empty value is a value");
        assert_eq!(h.value(), "");
        for credential in [
            "Authorization: Bearer s3cr3t",
            "cookie: sid=s3cr3t",
            "Proxy-Authorization: Basic s3cr3t",
        ] {
            let h: RequestHeader = credential.parse().expect("valid");
            assert!(h.is_credential(), "{credential}");
            assert!(!format!("{h:?}").contains("s3cr3t"), "{h:?}");
        }
    }

    #[test]
    fn bad_headers_say_why() {
        let err = |s: &str| s.parse::<RequestHeader>().expect_err(s).to_string();
        assert!(err("no colon").contains("expected \"Name: value\""));
        assert!(err("Bad Name: x").contains("not a header name"));
        assert!(err(": x").contains("not a header name"));
        assert!(err("X-A: a\r\nX-B: b").contains("one line"));
        assert!(err("X-A: a\nb").contains("one line"));
        assert!(err("Host: evil.test").contains("Host"));
        assert!(err("Content-Length: 5").contains("no request body"));
        assert!(err("user-agent: x").contains("--user-agent"));
        assert!(err("Accept-Encoding: zstd").contains("decodes"));
    }

    #[test]
    fn basic_auth_parses_user_colon_password() {
        let b: BasicAuth = "me:pa:ss".parse().expect("valid");
        assert_eq!((b.user(), b.password()), ("me", "pa:ss"));
        let b: BasicAuth = "me:".parse().expect("an empty password");
        assert_eq!(b.password(), "");
        assert!("me".parse::<BasicAuth>().is_err());
        assert!("me:a\nb".parse::<BasicAuth>().is_err());
        assert!(BasicAuth::new("a:b", "c").is_err());
        assert_eq!(
            format!("{:?}", BasicAuth::new("me", "secret").expect("valid")),
            "me:***"
        );
    }

    #[test]
    fn proxy_urls() {
        for ok in [
            "http://127.0.0.1:3128",
            "https://proxy.test",
            "socks5://127.0.0.1:1080",
            "SOCKS5H://127.0.0.1",
        ] {
            assert!(ok.parse::<ProxyUrl>().is_ok(), "{ok}");
        }
        for bad in [
            "ftp://p.test",
            "127.0.0.1:3128",
            "http://",
            "socks4://p.test",
        ] {
            let err = bad.parse::<ProxyUrl>().expect_err(bad).to_string();
            assert!(err.contains("bad proxy URL"), "{err}");
        }
        let p: ProxyUrl = "http://me:secret@p.test:3128".parse().expect("valid");
        assert_eq!(p.to_string(), "http://me:***@p.test:3128/");
        assert!(!format!("{p:?}").contains("secret"));
        let err = "ftp://me:secret@p.test"
            .parse::<ProxyUrl>()
            .expect_err("ftp");
        assert!(!err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn userinfo_is_taken_out_decoded() {
        let mut url = u("http://us%40er:p%3Ass%20w@h.test:81/p?q");
        let auth = take_userinfo(&mut url).expect("userinfo");
        assert_eq!((auth.user(), auth.password()), ("us@er", "p:ss w"));
        assert_eq!(url.as_str(), "http://h.test:81/p?q");
        assert!(take_userinfo(&mut url).is_none());
        let mut token = u("https://tok@h.test/");
        let auth = take_userinfo(&mut token).expect("a user alone");
        assert_eq!((auth.user(), auth.password()), ("tok", ""));
    }

    fn table() -> Credentials {
        let headers = ["Authorization: Bearer T", "Cookie: s=1", "X-Other: o"]
            .map(|h| h.parse::<RequestHeader>().expect("valid"));
        Credentials::new(&headers, Some(BasicAuth::new("u", "p").expect("valid")))
    }

    fn names<'a>(grant: &Grant<'a>) -> Vec<&'a str> {
        grant.headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn credentials_go_to_listed_origins_only() {
        let creds = table();
        assert!(
            creds.grant(&u("http://a.test/"), None).basic.is_none(),
            "nothing listed yet"
        );
        let mut seed = u("http://a.test/start");
        creds.admit(&mut seed);
        let granted = creds.grant(&u("http://a.test/other?x"), None);
        assert_eq!(granted.basic.as_ref().map(BasicAuth::user), Some("u"));
        assert_eq!(
            names(&granted),
            ["cookie"],
            "basic auth replaces -H Authorization"
        );
        for elsewhere in [
            "https://a.test/",
            "http://a.test:8080/",
            "http://www.a.test/",
            "http://b.test/",
            "http://127.0.0.1/",
        ] {
            let g = creds.grant(&u(elsewhere), None);
            assert!(
                g.basic.is_none() && g.headers.is_empty(),
                "{elsewhere}: {g:?}"
            );
        }
    }

    #[test]
    fn userinfo_belongs_to_its_own_origin() {
        let creds = Credentials::new(&[], None);
        let mut seed = u("http://me:pw@a.test/x");
        creds.admit(&mut seed);
        assert_eq!(seed.as_str(), "http://a.test/x");
        let g = creds.grant(&u("http://a.test/y"), None);
        assert_eq!(g.basic.as_ref().map(BasicAuth::password), Some("pw"));
        assert!(creds.grant(&u("http://b.test/"), None).basic.is_none());
        // A URL's own userinfo is for its own origin, whatever the table says.
        let own = BasicAuth::new("page", "given").expect("valid");
        let g = creds.grant(&u("http://b.test/"), Some(own));
        assert_eq!(g.basic.as_ref().map(BasicAuth::user), Some("page"));
    }

    #[test]
    fn userinfo_beats_user_and_header_for_its_origin() {
        let creds = table();
        let mut a = u("http://me:pw@a.test/");
        let mut b = u("http://b.test/");
        creds.admit(&mut a);
        creds.admit(&mut b);
        let ga = creds.grant(&u("http://a.test/"), None);
        assert_eq!(ga.basic.as_ref().map(BasicAuth::user), Some("me"));
        let gb = creds.grant(&u("http://b.test/"), None);
        assert_eq!(gb.basic.as_ref().map(BasicAuth::user), Some("u"));
        // A second listed URL of the origin does not replace the first's userinfo.
        let mut again = u("http://other:x@a.test/2");
        creds.admit(&mut again);
        let ga = creds.grant(&u("http://a.test/"), None);
        assert_eq!(ga.basic.as_ref().map(BasicAuth::user), Some("me"));
    }

    #[test]
    fn without_credentials_admitting_keeps_nothing() {
        let creds = Credentials::new(&["X-A: b".parse().expect("valid")], None);
        let mut seed = u("http://a.test/");
        creds.admit(&mut seed);
        assert!(!creds.any_listed.load(Relaxed));
        assert!(creds.listed.read().expect("lock").is_empty());
    }
}
