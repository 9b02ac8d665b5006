//! The URL-list line parser: never panics; an accepted line is an http(s) URL without
//! fragment that parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some(url)) = crawl::input::parse_line(line) {
        assert!(matches!(url.scheme(), "http" | "https"));
        assert!(url.fragment().is_none());
        assert!(!url.as_str().contains(['\t', '\n', '\r', '\0']));
        assert_eq!(url::Url::parse(url.as_str()).as_ref(), Ok(&url));
    }
});
