//! The extractor on arbitrary bytes: the first line is the document URL (a default
//! one when it does not parse), the rest is the page, decoded by the charset sniffer.
//! Every link must be an absolute http(s) URL that parses back to itself, without a
//! fragment (unless kept), without tab or newline, each once.
#![no_main]

use std::collections::HashSet;

use crawl::extract::{ExtractOptions, extract_links};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let keep_fragments = head.first().is_some_and(|b| b & 1 == 1);
    let base = std::str::from_utf8(head)
        .ok()
        .and_then(|s| Url::parse(s.get(1..).unwrap_or("")).ok())
        .unwrap_or_else(|| Url::parse("https://example.com/dir/page.html").expect("valid"));
    let encoding = crawl::charset::sniff(body, None);
    let (html, used, _) = encoding.decode(body);
    let opts = ExtractOptions {
        keep_fragments,
        encoding: Some(used),
    };
    let links = extract_links(&base, &html, opts);
    let mut seen = HashSet::new();
    for link in &links {
        let s = link.url.as_str();
        assert!(matches!(link.url.scheme(), "http" | "https"), "{s}");
        assert!(keep_fragments || link.url.fragment().is_none(), "{s}");
        assert!(!s.contains(['\t', '\n', '\r']), "{s:?}");
        assert_eq!(Url::parse(s).as_ref(), Ok(&link.url), "does not parse back: {s}");
        assert!(seen.insert(s.to_owned()), "twice: {s}");
    }
});
