//! Redaction: URLs and messages as they may be shown in logs, with passwords hidden.
//!
//! A URL may carry credentials in its userinfo (`http://user:password@host/`). Every
//! log line and report that shows a URL shows it through [`url()`], which prints
//! `http://user:***@host/`; a URL with a user name and no password (often a token, as
//! in `https://TOKEN@host/`) prints `http://***@host/`. [`text()`] does the same for
//! free text that may contain URLs (an error message, a line of the URL list).
//!
//! The crawl's outputs are data, not logs: a listed URL's userinfo is taken out of it
//! before the crawl starts (it becomes the credentials of its origin, see
//! [`crate::fetch::Fetcher::admit_listed`]), so no URL derived from it carries a
//! password; links found on pages are written as the page has them.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use url::{Position, Url};

/// What stands in for a hidden password or user name.
pub const MASK: &str = "***";

/// `url` for display, its password (or a lone user name) replaced by `***`.
///
/// ```
/// let u = url::Url::parse("http://me:secret@example.com/a?b").unwrap();
/// assert_eq!(crawl::redact::url(&u).to_string(), "http://me:***@example.com/a?b");
/// let t = url::Url::parse("https://token@example.com/").unwrap();
/// assert_eq!(crawl::redact::url(&t).to_string(), "https://***@example.com/");
/// ```
pub fn url(url: &Url) -> RedactedUrl<'_> {
    RedactedUrl(url)
}

/// A URL that displays without its password; see [`url()`].
#[derive(Clone, Copy)]
pub struct RedactedUrl<'a>(&'a Url);

impl fmt::Display for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = self.0;
        let has_password = u.password().is_some();
        if !has_password && u.username().is_empty() {
            return f.write_str(u.as_str());
        }
        f.write_str(&u[..Position::BeforeUsername])?;
        if has_password {
            f.write_str(u.username())?;
            f.write_str(":")?;
        }
        f.write_str(MASK)?;
        f.write_str("@")?;
        f.write_str(&u[Position::BeforeHost..])
    }
}

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// `text` with the userinfo of every `scheme://user:password@` in it redacted as
/// [`url()`] does. Borrowed when there is nothing to hide.
///
/// ```
/// let s = "cannot fetch http://me:secret@example.com/: refused";
/// assert_eq!(crawl::redact::text(s), "cannot fetch http://me:***@example.com/: refused");
/// ```
pub fn text(text: &str) -> Cow<'_, str> {
    static USERINFO: OnceLock<Option<Regex>> = OnceLock::new();
    // scheme "://" userinfo "@": the userinfo stops at the first character that
    // cannot be in it unencoded, so `a://b/c@d` (an `@` in the path) is left alone.
    let re = USERINFO.get_or_init(|| {
        Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s/?#@:]*)(:[^\s/?#@]*)?@").ok()
    });
    let Some(re) = re else {
        return Cow::Borrowed(text);
    };
    re.replace_all(text, |c: &regex::Captures<'_>| {
        let scheme = &c[1];
        match c.get(3) {
            Some(_) => format!("{scheme}{}:{MASK}@", &c[2]),
            None => format!("{scheme}{MASK}@"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(s: &str) -> String {
        url(&Url::parse(s).expect("test URL")).to_string()
    }

    #[test]
    fn urls_without_userinfo_are_unchanged() {
        for s in [
            "http://example.com/",
            "https://example.com:8443/a/b?c=d#e",
            "http://[::1]:80/x@y",
            "http://127.0.0.1/?q=a:b@c",
        ] {
            let parsed = Url::parse(s).expect("test URL");
            assert_eq!(url(&parsed).to_string(), parsed.as_str());
        }
    }

    #[test]
    fn passwords_and_lone_user_names_are_hidden() {
        assert_eq!(
            shown("http://user:password@host/p?q#f"),
            "http://user:***@host/p?q#f"
        );
        // An empty password is no password: the user name alone is hidden.
        assert_eq!(shown("http://user:@host/"), "http://***@host/");
        assert_eq!(
            shown("https://ghp_token@host:8443/"),
            "https://***@host:8443/"
        );
        assert_eq!(shown("http://:pw@host/"), "http://:***@host/");
        assert_eq!(
            shown("http://us%40er:p%3Ass@[::1]:81/"),
            "http://us%40er:***@[::1]:81/"
        );
        assert!(!format!("{:?}", url(&Url::parse("http://u:pw@h/").expect("url"))).contains("pw"));
    }

    #[test]
    fn text_redacts_every_url_in_it() {
        assert_eq!(text("nothing here"), "nothing here");
        assert!(matches!(text("http://host/a@b"), Cow::Borrowed(_)));
        assert_eq!(
            text("a http://u:p@h/ and HTTPS://tok@h2/x, socks5://x:y@p:1080"),
            "a http://u:***@h/ and HTTPS://***@h2/x, socks5://x:***@p:1080"
        );
        assert_eq!(
            text("redirect to http://u:p:q@h/ refused"),
            "redirect to http://u:***@h/ refused"
        );
        assert_eq!(
            text("mailto:a@b.c"),
            "mailto:a@b.c",
            "not a URL with authority"
        );
    }
}
