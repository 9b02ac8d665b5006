//! The sitemap reader on arbitrary bytes (XML, text, gzip): never panics, never
//! returns more text than the cap allows.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let map = crawl::sitemap::parse(data, 1 << 16);
    let total: usize = map.pages.iter().chain(&map.sitemaps).map(String::len).sum();
    assert!(total <= data.len().max(1 << 16) * 4);
});
