//! The cookie jar (`--cookie-jar FILE`): read at the start of a crawl, kept by the
//! client as RFC 6265 says (the `cookie_store` crate: domain, path, `Secure`,
//! expiry), written back at the end, in the Netscape cookie-file format that curl and
//! wget read and write.
//!
//! The format: one cookie a line, seven fields separated by tabs: domain, whether
//! subdomains match (`TRUE`/`FALSE`), path, `Secure` (`TRUE`/`FALSE`), expiry (Unix
//! seconds, `0` for a session cookie), name, value. A line starting `#HttpOnly_` is an
//! HttpOnly cookie; other lines starting with `#`, and blank lines, are comments. curl
//! writes a line with an empty value as six fields, and so is it read.
//!
//! Kept on top of RFC 6265: a `Domain` that is a public suffix (`Domain=co.uk`) is
//! refused (RFC 6265 §5.3 step 5, with the `psl` list), and the jar holds at most
//! [`MAX_COOKIES`] cookies, so a crawl of the open web cannot grow it without end.
//! Session cookies are written too (with expiry 0), as curl does.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use cookie_store::{CookieDomain, CookieExpiration, CookieStore, RawCookie};
use reqwest::header::HeaderValue;
use url::Url;

use crate::error::Error;

/// The most cookies a jar holds; past it, new cookies are dropped (the ones it holds
/// are still updated).
pub const MAX_COOKIES: usize = 10_000;

/// The first line of a written jar, as curl writes it (wget looks for it).
const HEADER: &str = "# Netscape HTTP Cookie File\n\
# Written by crawl; the format is curl's and wget's.\n\n";

/// A cookie jar backed by a file.
pub(crate) struct CookieJar {
    path: PathBuf,
    store: RwLock<Store>,
}

struct Store {
    cookies: CookieStore,
    /// Cookies inserted so far (expired ones included), for [`MAX_COOKIES`].
    count: usize,
}

impl CookieJar {
    /// Reads the jar at `path`; a missing file is an empty jar (written at the end).
    ///
    /// # Errors
    ///
    /// [`Error::CookieJar`] when the file cannot be read or a line is not a cookie.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let name = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| Error::CookieJar {
                name: name.clone(),
                detail: "not UTF-8 text: is it a cookie file?".into(),
                source: None,
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(Error::CookieJar {
                    name,
                    detail: "cannot read it".into(),
                    source: Some(e),
                });
            }
        };
        let cookies = parse(&text).map_err(|(line, detail)| Error::CookieJar {
            name: format!("{name} line {line}"),
            detail,
            source: None,
        })?;
        let count = cookies.len();
        let cookies = CookieStore::from_cookies(cookies.into_iter().map(Ok::<_, ()>), false)
            .unwrap_or_default();
        Ok(CookieJar {
            path: path.to_owned(),
            store: RwLock::new(Store { cookies, count }),
        })
    }

    /// The cookies in Netscape format.
    pub fn to_netscape(&self) -> String {
        let store = self.store.read().unwrap_or_else(|e| e.into_inner());
        write(&store.cookies)
    }

    /// Writes the jar back to its file: to a temporary file beside it, then renamed
    /// over it, so a crash never leaves half a jar; readable by its owner only.
    ///
    /// # Errors
    ///
    /// [`Error::CookieJar`] when the file cannot be written.
    pub fn save(&self) -> Result<(), Error> {
        let text = self.to_netscape();
        let fail = |e: io::Error| Error::CookieJar {
            name: self.path.display().to_string(),
            detail: "cannot write it".into(),
            source: Some(e),
        };
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        write_private(&tmp, text.as_bytes()).map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            fail(e)
        })
    }

    /// Stores the cookies of one `Set-Cookie` header each, received from `url`.
    fn store(&self, values: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        let mut store = self.store.write().unwrap_or_else(|e| e.into_inner());
        for value in values {
            let Some(raw) = std::str::from_utf8(value.as_bytes())
                .ok()
                .and_then(|s| RawCookie::parse(s).ok())
            else {
                continue;
            };
            let Ok(mut cookie) = cookie_store::Cookie::try_from_raw_cookie(&raw, url) else {
                continue;
            };
            if let CookieDomain::Suffix(domain) = &cookie.domain
                && is_public_suffix(domain)
            {
                // RFC 6265 §5.3 step 5: a cookie for a whole public suffix is
                // refused, unless it is the request's own host (then host-only).
                if url.host_str() != Some(domain.as_str()) {
                    tracing::debug!("cookie {} for public suffix {domain} refused", raw.name());
                    continue;
                }
                match CookieDomain::host_only(url) {
                    Ok(host) => cookie.domain = host,
                    Err(_) => continue,
                }
            }
            let domain = cookie.domain.as_cow().map(|d| d.into_owned());
            let path = String::from(&cookie.path);
            let known = domain
                .as_deref()
                .is_some_and(|d| store.cookies.contains_any(d, &path, cookie.name()));
            if !known && store.count >= MAX_COOKIES {
                continue;
            }
            let cookie = cookie.into_owned();
            if store.cookies.insert(cookie, url).is_ok() && !known {
                store.count += 1;
            }
        }
    }

    fn header_for(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.store.read().unwrap_or_else(|e| e.into_inner());
        let mut value = String::new();
        for (name, v) in store.cookies.get_request_values(url) {
            if !value.is_empty() {
                value.push_str("; ");
            }
            let _ = write!(value, "{name}={v}");
        }
        if value.is_empty() {
            return None;
        }
        HeaderValue::from_str(&value).ok()
    }
}

impl reqwest::cookie::CookieStore for CookieJar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        self.store(headers, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        self.header_for(url)
    }
}

impl std::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.store.read().map(|s| s.count).unwrap_or_default();
        f.debug_struct("CookieJar")
            .field("path", &self.path)
            .field("cookies", &count)
            .finish()
    }
}

fn is_public_suffix(domain: &str) -> bool {
    psl::suffix(domain.as_bytes())
        .is_some_and(|s| s.is_known() && s.as_bytes() == domain.as_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}

/// Parses a Netscape cookie file; an error is a line number and what is wrong.
fn parse(text: &str) -> Result<Vec<cookie_store::Cookie<'static>>, (usize, String)> {
    let mut cookies = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        if line.trim().is_empty() || (!http_only && line.starts_with('#')) {
            continue;
        }
        let cookie = parse_line(line, http_only).map_err(|e| (i + 1, e))?;
        cookies.push(cookie);
    }
    Ok(cookies)
}

fn parse_line(line: &str, http_only: bool) -> Result<cookie_store::Cookie<'static>, String> {
    let fields: Vec<&str> = line.split('\t').collect();
    let (domain, subdomains, path, secure, expires, name, value) = match fields[..] {
        [d, s, p, sec, e, n, v] => (d, s, p, sec, e, n, v),
        [d, s, p, sec, e, n] => (d, s, p, sec, e, n, ""),
        _ => {
            return Err(format!(
                "expected 7 tab-separated fields (domain, subdomains, path, secure, expiry, \
                 name, value), found {}",
                fields.len()
            ));
        }
    };
    let flag = |field: &str, what: &str| match field.to_ascii_uppercase().as_str() {
        "TRUE" => Ok(true),
        "FALSE" => Ok(false),
        _ => Err(format!(
            "the {what} field must be TRUE or FALSE, not {field:?}"
        )),
    };
    let subdomains = flag(subdomains, "subdomains")?;
    let secure = flag(secure, "secure")?;
    let expires: i64 = expires
        .trim()
        .parse()
        .map_err(|_| format!("the expiry must be Unix seconds, not {expires:?}"))?;
    let host = domain.trim().trim_start_matches('.');
    if host.is_empty() || name.is_empty() {
        return Err("the domain and the name must not be empty".into());
    }
    let url = Url::parse(&format!("http://{host}/"))
        .map_err(|e| format!("the domain {domain:?} is not a host: {e}"))?;
    let mut raw = RawCookie::new(name.to_owned(), value.to_owned());
    raw.set_path(path.to_owned());
    raw.set_secure(secure);
    raw.set_http_only(http_only);
    if subdomains {
        raw.set_domain(host.to_owned());
    }
    let mut cookie = cookie_store::Cookie::try_from_raw_cookie(&raw, &url)
        .map_err(|e| format!("not a cookie: {e}"))?;
    cookie.expires = if expires <= 0 {
        CookieExpiration::SessionEnd
    } else {
        let at = time::OffsetDateTime::from_unix_timestamp(expires)
            .map_err(|e| format!("the expiry {expires} is out of range: {e}"))?;
        CookieExpiration::AtUtc(at)
    };
    Ok(cookie.into_owned())
}

/// The store's unexpired cookies in Netscape format, sorted by domain, path and name.
fn write(store: &CookieStore) -> String {
    let mut lines: Vec<String> = store
        .iter_unexpired()
        .filter_map(|c| {
            let (domain, subdomains) = match &c.domain {
                CookieDomain::HostOnly(h) => (h.clone(), "FALSE"),
                CookieDomain::Suffix(s) => (format!(".{s}"), "TRUE"),
                CookieDomain::NotPresent | CookieDomain::Empty => return None,
            };
            let path = String::from(&c.path);
            let expires = match &c.expires {
                CookieExpiration::AtUtc(t) => t.unix_timestamp().max(1),
                CookieExpiration::SessionEnd => 0,
            };
            let fields = [domain.as_str(), &path, c.name(), c.value()];
            if fields.iter().any(|f| f.contains(['\t', '\r', '\n'])) {
                return None;
            }
            let flag = |b: bool| if b { "TRUE" } else { "FALSE" };
            let http_only = if c.http_only().unwrap_or(false) {
                "#HttpOnly_"
            } else {
                ""
            };
            Some(format!(
                "{http_only}{domain}\t{subdomains}\t{path}\t{}\t{expires}\t{}\t{}\n",
                flag(c.secure().unwrap_or(false)),
                c.name(),
                c.value()
            ))
        })
        .collect();
    lines.sort_by(|a, b| {
        let key = |l: &str| l.trim_start_matches("#HttpOnly_").to_owned();
        key(a).cmp(&key(b))
    });
    let mut out = HEADER.to_owned();
    for line in lines {
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::cookie::CookieStore as _;

    /// A jar as curl 8 writes it.
    const CURL: &str = "# Netscape HTTP Cookie File\r\n\
# https://curl.se/docs/http-cookies.html\r\n\
# This file was generated by libcurl! Edit at your own risk.\r\n\
\r\n\
#HttpOnly_.example.com\tTRUE\t/\tFALSE\t4102444800\tsid\tabc\r\n\
www.example.com\tFALSE\t/app\tTRUE\t4102444800\tpref\tdark\r\n\
127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\txyz\r\n\
127.0.0.1\tFALSE\t/\tFALSE\t0\tempty\r\n\
old.test\tFALSE\t/\tFALSE\t1000\tgone\tbye\r\n";

    fn jar(text: &str) -> CookieJar {
        let cookies = parse(text).expect("parses");
        let count = cookies.len();
        CookieJar {
            path: PathBuf::from("unused"),
            store: RwLock::new(Store {
                cookies: CookieStore::from_cookies(cookies.into_iter().map(Ok::<_, ()>), false)
                    .expect("store"),
                count,
            }),
        }
    }

    /// The `Cookie` header for `url`, its cookies sorted.
    fn sent(jar: &CookieJar, url: &str) -> String {
        let url = Url::parse(url).expect("test URL");
        let header = jar
            .cookies(&url)
            .map(|v| v.to_str().expect("ascii").to_owned())
            .unwrap_or_default();
        let mut cookies: Vec<&str> = header.split("; ").filter(|c| !c.is_empty()).collect();
        cookies.sort_unstable();
        cookies.join("; ")
    }

    #[test]
    fn reads_what_curl_writes() {
        let jar = jar(CURL);
        assert_eq!(sent(&jar, "http://example.com/"), "sid=abc");
        assert_eq!(
            sent(&jar, "http://a.b.example.com/x"),
            "sid=abc",
            "subdomains"
        );
        assert_eq!(
            sent(&jar, "http://www.example.com/app/x"),
            "sid=abc",
            "pref is Secure"
        );
        assert_eq!(
            sent(&jar, "https://www.example.com/app/x"),
            "pref=dark; sid=abc"
        );
        assert_eq!(
            sent(&jar, "https://www.example.com/"),
            "sid=abc",
            "pref is for /app"
        );
        assert_eq!(
            sent(&jar, "http://127.0.0.1:8080/"),
            "empty=; session=xyz",
            "host-only, any port"
        );
        assert_eq!(sent(&jar, "http://127.0.0.2/"), "");
        assert_eq!(sent(&jar, "http://old.test/"), "", "expired");
        assert_eq!(sent(&jar, "http://notexample.com/"), "");
    }

    #[test]
    fn writes_what_it_reads() {
        let written = jar(CURL).to_netscape();
        assert!(written.starts_with("# Netscape HTTP Cookie File\n"));
        let lines: Vec<&str> = written.lines().filter(|l| l.contains('\t')).collect();
        assert_eq!(
            lines,
            [
                "#HttpOnly_.example.com\tTRUE\t/\tFALSE\t4102444800\tsid\tabc",
                "127.0.0.1\tFALSE\t/\tFALSE\t0\tempty\t",
                "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\txyz",
                "www.example.com\tFALSE\t/app\tTRUE\t4102444800\tpref\tdark",
            ]
        );
        assert_eq!(jar(&written).to_netscape(), written, "a fixed point");
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let err = |text: &str| parse(text).expect_err(text);
        let (line, why) = err("# c\n\nexample.com\tTRUE\t/\n");
        assert_eq!(line, 3);
        assert!(
            why.contains("7 tab-separated fields") && why.contains("found 3"),
            "{why}"
        );
        assert!(
            err("a.test\tYES\t/\tFALSE\t0\tn\tv")
                .1
                .contains("TRUE or FALSE")
        );
        assert!(
            err("a.test\tTRUE\t/\tno\t0\tn\tv")
                .1
                .contains("TRUE or FALSE")
        );
        assert!(
            err("a.test\tTRUE\t/\tFALSE\tsoon\tn\tv")
                .1
                .contains("Unix seconds")
        );
        assert!(
            err("\tTRUE\t/\tFALSE\t0\tn\tv")
                .1
                .contains("must not be empty")
        );
        assert!(
            err("a.test\tTRUE\t/\tFALSE\t0\t\tv")
                .1
                .contains("must not be empty")
        );
        assert!(
            err("a test\tTRUE\t/\tFALSE\t0\tn\tv")
                .1
                .contains("not a host")
        );
        assert!(
            err("a.test\tTRUE\t/\tFALSE\t99999999999999\tn\tv")
                .1
                .contains("range")
        );
    }

    fn set(jar: &CookieJar, url: &str, set_cookie: &[&str]) {
        let url = Url::parse(url).expect("test URL");
        let values: Vec<HeaderValue> = set_cookie
            .iter()
            .map(|s| HeaderValue::from_str(s).expect("header"))
            .collect();
        jar.set_cookies(&mut values.iter(), &url);
    }

    #[test]
    fn servers_set_cookies_by_rfc_6265() {
        let jar = jar("");
        set(
            &jar,
            "http://a.example.com/x/y",
            &["k=v", "d=1; Domain=example.com; Path=/; Max-Age=3600"],
        );
        assert_eq!(sent(&jar, "http://a.example.com/x/z"), "d=1; k=v");
        assert_eq!(sent(&jar, "http://b.example.com/x/z"), "d=1");
        assert_eq!(
            sent(&jar, "http://a.example.com/"),
            "d=1",
            "k's default path is /x"
        );
        // Another domain, or a public suffix, cannot be set.
        set(
            &jar,
            "http://a.example.com/",
            &["o=1; Domain=other.com", "s=1; Domain=com"],
        );
        set(&jar, "http://a.example.co.uk/", &["u=1; Domain=co.uk"]);
        assert_eq!(sent(&jar, "http://other.com/"), "");
        assert_eq!(sent(&jar, "http://z.com/"), "");
        assert_eq!(sent(&jar, "http://z.co.uk/"), "");
        // A deleting Set-Cookie removes it.
        set(&jar, "http://a.example.com/x/y", &["k=; Max-Age=0"]);
        assert_eq!(sent(&jar, "http://a.example.com/x/z"), "d=1");
    }

    #[test]
    fn the_jar_is_bounded() {
        let jar = jar("");
        let many: Vec<String> = (0..MAX_COOKIES + 5).map(|i| format!("c{i}=v")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        set(&jar, "http://a.test/", &refs);
        let count = |j: &CookieJar| {
            j.store
                .read()
                .expect("lock")
                .cookies
                .iter_unexpired()
                .count()
        };
        assert_eq!(count(&jar), MAX_COOKIES);
        // Held cookies are still updated.
        set(&jar, "http://a.test/", &["c0=new"]);
        assert!(sent(&jar, "http://a.test/").contains("c0=new"));
        assert_eq!(count(&jar), MAX_COOKIES);
    }

    #[test]
    fn load_and_save_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("jar.txt");
        let jar = CookieJar::load(&path).expect("a missing jar is empty");
        set(&jar, "http://127.0.0.1:9/", &["a=1"]);
        jar.save().expect("saved");
        let again = CookieJar::load(&path).expect("read back");
        assert_eq!(sent(&again, "http://127.0.0.1/"), "a=1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
        }
        std::fs::write(&path, "x\ty\n").expect("write");
        let err = CookieJar::load(&path).expect_err("a bad line").to_string();
        assert!(err.contains("jar.txt line 1"), "{err}");
        let err = CookieJar::load(dir.path())
            .expect_err("a directory")
            .to_string();
        assert!(err.contains("cannot read"), "{err}");
    }
}
